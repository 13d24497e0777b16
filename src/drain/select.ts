// drain/enable, the pure part: which services a REAL_SERVER is in, the drain set after the
// command, and the refusal to drain the last real server of a service still taking traffic.
import { UsageError } from '../errors.js';
import type { Inventory, VirtualService } from '../inventory/types.js';
import { type Drain, isDrained, matchesRealServer, realServerName, sortDrains } from './operator.js';

export interface DrainTarget {
  /** The real server's name in drains and reports (inventory host, else address). */
  name: string;
  services: VirtualService[];
}

/** Services REAL_SERVER is in (or just `--service`); a usage error (exit 2) when none. */
export function drainTarget(inv: Inventory, realServer: string, service?: string): DrainTarget {
  if (service !== undefined && !inv.services.some((s) => s.name === service))
    throw new UsageError(
      `--service: no service "${service}" (services: ${inv.services.map((s) => s.name).join(', ')})`,
    );
  const services = inv.services.filter(
    (s) =>
      (service === undefined || s.name === service) &&
      s.real_servers.some((rs) => matchesRealServer(rs, realServer)),
  );
  if (services.length === 0)
    throw new UsageError(
      `${realServer} is not a real server of ${service !== undefined ? `service ${service}` : 'any service'} in ${inv.name}`,
    );
  const rs = services[0]?.real_servers.find((r) => matchesRealServer(r, realServer));
  return { name: rs ? realServerName(rs) : realServer, services };
}

/** The drain set after `drain` (added, `since` now) or `enable` (removed). */
export function nextDrains(
  current: Drain[],
  target: DrainTarget,
  action: 'drain' | 'enable',
  stamp: { since: string; by: string },
): Drain[] {
  const mine = (d: Drain) =>
    d.real_server === target.name && target.services.some((s) => s.name === d.service);
  if (action === 'enable') return sortDrains(current.filter((d) => !mine(d)));
  const kept = current.filter((d) => !mine(d));
  const added = target.services.map(
    (s) =>
      current.find((d) => mine(d) && d.service === s.name) ?? {
        service: s.name,
        real_server: target.name,
        ...stamp,
      },
  );
  return sortDrains([...kept, ...added]);
}

/**
 * Services left with no real server of weight > 0 once `drains` apply: draining the last one
 * stops the service (refused unless --force). A weight-0 real server in the inventory counts as
 * out already.
 */
export function servicesLeftEmpty(target: DrainTarget, drains: Drain[]): string[] {
  return target.services
    .filter((s) => !s.real_servers.some((rs) => rs.weight > 0 && !isDrained(drains, s, rs)))
    .map((s) => s.name);
}
