// Small hand-written inventories for lab tests (no YAML loader needed).

import type { HostSpec, Inventory, SshSettings, VirtualService } from '../../src/inventory/types.js';
import type { Forwarding } from '../../src/model/types.js';

const ssh: SshSettings = {
  user: 'root',
  port: 22,
  known_hosts: '~/.ssh/known_hosts',
  host_key_policy: 'strict',
  become: false,
  connect_timeout: 10,
};

export function host(
  name: string,
  address: string,
  interfaces: Record<string, string[]> = {},
  port = 22,
): HostSpec {
  return { name, address, interfaces, ssh: { ...ssh, port } };
}

export function service(
  name: string,
  vip: string,
  port: number,
  realServers: { host: string; address: string; port?: number }[],
  forwarding: Forwarding = 'nat',
  protocol: 'tcp' | 'udp' = 'tcp',
): VirtualService {
  return {
    name,
    vip,
    family: 4,
    protocol,
    port,
    scheduler: 'rr',
    flags: [],
    ops: false,
    forwarding,
    real_servers: realServers.map((rs) => ({ ...rs, port: rs.port ?? port, weight: 1, forwarding })),
  };
}

export function inventory(
  name: string,
  hosts: HostSpec[],
  services: VirtualService[] = [],
  natGateway?: string,
): Inventory {
  return {
    file: `/tmp/${name}.yaml`,
    name,
    ssh,
    hosts: Object.fromEntries(hosts.map((h) => [h.name, h])),
    directors: {
      hosts: [hosts[0]?.name ?? 'lb'],
      manager: 'ipvsadm',
      ...(natGateway ? { nat_gateway: { address: natGateway, interface: 'eth1' } } : {}),
    },
    services,
  };
}

/** NAT layout: client on a public /24, director on both, two real servers on the private /24. */
export function natLab(name: string): Inventory {
  return inventory(
    name,
    [
      host('client', '198.51.100.20', { eth0: ['198.51.100.20/24'] }),
      host('lb', '198.51.100.2', { eth0: ['198.51.100.2/24'], eth1: ['10.10.0.1/24'] }),
      host('web1', '10.10.0.11'),
      host('web2', '10.10.0.12', { ens224: ['10.10.0.12/24'] }, 2222),
      host('dns1', '10.10.0.13'),
    ],
    [
      service('www', '198.51.100.10', 80, [
        { host: 'web1', address: '10.10.0.11' },
        { host: 'web2', address: '10.10.0.12', port: 8080 },
      ]),
      service('dns', '198.51.100.10', 53, [{ host: 'dns1', address: '10.10.0.13' }], 'nat', 'udp'),
    ],
    '10.10.0.254/24',
  );
}

/** n hosts on one /16, every fourth a DR real server. */
export function bigLab(name: string, n: number): Inventory {
  const hosts = Array.from({ length: n }, (_, i) =>
    host(`h${i}`, `10.77.${Math.floor(i / 200)}.${(i % 200) + 1}`, {
      eth0: [`10.77.${Math.floor(i / 200)}.${(i % 200) + 1}/16`],
    }),
  );
  const rs = hosts.filter((_, i) => i % 4 === 3).map((h) => ({ host: h.name, address: h.address }));
  return inventory(name, hosts, [service('www', '10.77.250.1', 80, rs, 'dr')]);
}
