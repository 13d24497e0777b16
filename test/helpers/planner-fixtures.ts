// The planner tests' desired director and the facts of that director once converged.
import { emptyState, type HostFacts } from '../../src/model/facts.js';
import { serviceKey } from '../../src/model/ipvs.js';
import type { DesiredHost, IpvsService } from '../../src/model/types.js';

export const svc = (dests: IpvsService['dests'], scheduler = 'rr'): IpvsService => ({
  key: serviceKey({ protocol: 'tcp', vip: '10.0.0.100', port: 80 }),
  protocol: 'tcp',
  vip: '10.0.0.100',
  port: 80,
  family: 4,
  scheduler,
  flags: [],
  ops: false,
  dests,
});
export const rs1 = { address: '10.0.1.1', port: 80, forwarding: 'nat' as const, weight: 1 };
export const rs2 = { address: '10.0.1.2', port: 80, forwarding: 'nat' as const, weight: 1 };
export const keepalived = {
  name: 'keepalived' as const,
  unit: 'keepalived.service',
  command: ['keepalived'],
  pidfile: '/run/keepalived.pid',
  reload: 'hup' as const,
};

export function desired(over: Partial<DesiredHost> = {}): DesiredHost {
  return {
    host: 'd1',
    address: '10.0.0.1',
    kinds: ['director'],
    roles: ['director'],
    packages: ['ipvsadm'],
    modules: ['ip_vs'],
    sysctls: { 'net.ipv4.ip_forward': '1' },
    files: [
      {
        path: '/etc/ipvsadm.rules',
        content: 'x\n',
        mode: '0644',
        owner: 'root',
        group: 'root',
        notify: [],
        secret: false,
      },
    ],
    links: [],
    addresses: [{ dev: 'eth0', cidr: '10.0.0.100/32' }],
    routes: [],
    rules: [],
    ipvs: [svc([rs1, rs2])],
    ipvsStatic: true,
    syncDaemons: [],
    daemons: [],
    handlers: [],
    floatingAddresses: [],
    ...over,
  };
}

export function converged(d: DesiredHost): HostFacts {
  return {
    os: { family: 'debian', id: 'debian', version: '12' },
    systemd: false,
    ipvsAvailable: true,
    sysctls: { ...d.sysctls },
    addresses: [...d.addresses],
    links: d.links.map((l) => ({ name: l.name, up: true })),
    routes: [...d.routes],
    rules: [...d.rules],
    files: Object.fromEntries(
      d.files.map((f) => [f.path, { content: f.content, mode: f.mode, owner: f.owner, group: f.group }]),
    ),
    packages: Object.fromEntries(d.packages.map((p) => [p, true])),
    modules: Object.fromEntries(d.modules.map((m) => [m, true])),
    ipvs: structuredClone(d.ipvs),
    daemons: Object.fromEntries(d.daemons.map((x) => [x.name, { running: true }])),
    state: {
      ...emptyState('t'),
      ipvs: d.ipvs.map((s) => s.key),
      addresses: d.addresses,
      files: d.files.map((f) => ({ path: f.path, hadOriginal: false })),
    },
    firewall: d.firewall ? { live: 'table inet lvs_deploy {}', loaded: 'table inet lvs_deploy {}' } : null,
    drains: [],
    sshClient: '',
    errors: [],
  };
}
