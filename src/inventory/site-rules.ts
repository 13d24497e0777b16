// Rules for what the inventory adds to the shipped roles: network tunables (an allow-list, so an
// inventory cannot turn into a general sysctl editor) and groups (names that must resolve).
import type { InventoryProblem } from '../managers/types.js';
import type { PathKey } from './locate.js';
import type { RawInventory } from './schema.js';

/** Prefixes of the tunables an LVS is tuned with. */
const SYSCTL_PREFIXES = [
  'net.ipv4.vs.',
  'net.ipv6.vs.',
  'net.ipv4.conf.',
  'net.ipv6.conf.',
  'net.netfilter.nf_conntrack_',
];
/** Single keys beyond the prefixes: forwarding, local ports, backlogs, TCP reuse. */
const SYSCTL_KEYS = [
  'net.ipv4.ip_forward',
  'net.ipv4.ip_nonlocal_bind',
  'net.ipv6.ip_nonlocal_bind',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_tw_reuse',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_max_syn_backlog',
  'net.core.somaxconn',
  'net.core.netdev_max_backlog',
  'net.nf_conntrack_max',
];

/** Why a key is refused, or undefined when the inventory may set it. */
function refusedSysctl(key: string): string | undefined {
  if (SYSCTL_PREFIXES.some((p) => key.startsWith(p)) || SYSCTL_KEYS.includes(key)) return undefined;
  return `"${key}" is not a network tunable lvs-deploy sets from the inventory (allowed: ${SYSCTL_PREFIXES.map((p) => `${p}*`).join(', ')}, ${SYSCTL_KEYS.join(', ')}); set other sysctls in a site role (docs/roles.md)`;
}

export function tunableRules(inv: RawInventory, out: InventoryProblem[]): void {
  const maps: [PathKey[], Record<string, string> | undefined][] = [
    [['directors', 'sysctls'], inv.directors.sysctls],
    [['real_servers_sysctls'], inv.real_servers_sysctls],
    ...Object.entries(inv.hosts).map(([n, h]): [PathKey[], Record<string, string> | undefined] => [
      ['hosts', n, 'sysctls'],
      h.sysctls,
    ]),
  ];
  for (const [base, map] of maps) {
    for (const key of Object.keys(map ?? {})) {
      const why = refusedSysctl(key);
      if (why) out.push({ path: [...base, key], message: why, at: 'key' });
    }
  }
}

/** The hosts of a group, whichever form it is written in. */
function groupHosts(g: { hosts: string[] }): string[] {
  return g.hosts;
}

export function groupRules(inv: RawInventory, out: InventoryProblem[]): void {
  for (const [name, g] of Object.entries(inv.groups ?? {})) {
    if (Object.hasOwn(inv.hosts, name))
      out.push({
        path: ['groups', name],
        message: `"${name}" is also a host name; --limit could not tell them apart`,
        at: 'key',
      });
    const list = groupHosts(g);
    const base: PathKey[] = ['groups', name, 'hosts'];
    list.forEach((h, i) => {
      if (!Object.hasOwn(inv.hosts, h))
        out.push({ path: [...base, i], message: `unknown host "${h}" (not in hosts)` });
    });
  }
}
