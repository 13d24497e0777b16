// What the inventory itself adds to a host, beside what the roles derive: its network tunables,
// IPVS timeouts, groups and vars. Kept apart from context.ts so the role context stays topology.
import type { Inventory, Vars } from '../inventory/types.js';
import type { HostKind, IpvsTimeouts } from '../model/types.js';

/** Real servers' tunables, then the directors', then the host's own (each wins over the one before). */
export function inventorySysctls(inv: Inventory, host: string, kinds: HostKind[]): Record<string, string> {
  return {
    ...(kinds.includes('realserver') ? inv.real_servers_sysctls : {}),
    ...(kinds.includes('director') ? inv.directors.sysctls : {}),
    ...inv.hosts[host]?.sysctls,
  };
}

export function ipvsTimeouts(inv: Inventory, kinds: HostKind[]): IpvsTimeouts | false {
  const t = inv.directors.ipvs_timeouts;
  if (!t || !kinds.includes('director')) return false;
  return { tcp: t.tcp ?? 0, tcpfin: t.tcpfin ?? 0, udp: t.udp ?? 0 };
}

/** The groups a host belongs to, in name order. */
export function hostGroups(inv: Inventory, host: string): string[] {
  return Object.entries(inv.groups ?? {})
    .filter(([, g]) => g.hosts.includes(host))
    .map(([n]) => n)
    .sort();
}

/** Its groups' vars (in group name order), then its own. */
export function hostVars(inv: Inventory, host: string): Vars {
  const out: Vars = {};
  for (const g of hostGroups(inv, host)) Object.assign(out, inv.groups?.[g]?.vars);
  return Object.assign(out, inv.hosts[host]?.vars);
}

/** `--limit web1,web` → host names: a group stands for its hosts. Unknown names are returned apart. */
export function resolveLimit(inv: Inventory, names: string[]): { hosts: string[]; unknown: string[] } {
  const hosts = new Set<string>();
  const unknown: string[] = [];
  for (const n of names) {
    if (Object.hasOwn(inv.hosts, n)) hosts.add(n);
    else if (inv.groups && Object.hasOwn(inv.groups, n))
      for (const h of inv.groups[n]?.hosts ?? []) hosts.add(h);
    else unknown.push(n);
  }
  return { hosts: [...hosts], unknown };
}
