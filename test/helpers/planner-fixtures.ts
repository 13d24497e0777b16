// The planner tests' desired director (its converged facts: convergedFacts in facts.ts).
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
