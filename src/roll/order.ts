// roll, the pure part: which real servers, in which batches. A batch never holds more than
// --max-unavailable real servers, and never every remaining real server (weight > 0, not drained
// by an operator) of a service: each service keeps one serving while a batch is out.

import { type Drain, isDrained, matchesRealServer, realServerName } from '../drain/operator.js';
import { UsageError } from '../errors.js';
import type { Inventory } from '../inventory/types.js';

export interface RollBatch {
  /** Real server names (inventory host, else address). */
  realServers: string[];
}

/** Every real server of the inventory, once, in inventory order. */
export function allRealServers(inv: Inventory): string[] {
  const seen = new Set<string>();
  for (const s of inv.services) for (const rs of s.real_servers) seen.add(realServerName(rs));
  return [...seen];
}

/** --realservers a,b (names or addresses, checked) or --all, as names. */
export function pickRealServers(inv: Inventory, list: string | undefined, all: boolean): string[] {
  if (all === (list !== undefined)) throw new UsageError('roll: give either --realservers a,b or --all');
  if (all) return allRealServers(inv);
  const names = (list ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  if (names.length === 0) throw new UsageError('--realservers: empty list');
  return names.map((n) => {
    const rs = inv.services.flatMap((s) => s.real_servers).find((r) => matchesRealServer(r, n));
    if (!rs) throw new UsageError(`--realservers: ${n} is not a real server of any service in ${inv.name}`);
    return realServerName(rs);
  });
}

/**
 * Batches in the order given: a server joins the current batch while the batch is below
 * `maxUnavailable` and every service it is in keeps another serving real server; otherwise it
 * starts the next batch. A server that would leave a service empty even alone is refused.
 */
export function rollBatches(
  inv: Inventory,
  servers: string[],
  maxUnavailable: number,
  drains: Drain[] = [],
): RollBatch[] {
  const serving = (out: string[]) =>
    inv.services.every((s) => {
      const mine = s.real_servers.filter((rs) => out.some((n) => matchesRealServer(rs, n)));
      if (mine.length === 0) return true;
      return s.real_servers.some(
        (rs) => rs.weight > 0 && !isDrained(drains, s, rs) && !out.some((n) => matchesRealServer(rs, n)),
      );
    });
  const lonely = servers.filter((n) => !serving([n]));
  if (lonely.length > 0)
    throw new UsageError(
      `roll: ${lonely.join(', ')} is the only serving real server of a service; taking it out stops the service`,
    );
  const batches: RollBatch[] = [];
  let cur: string[] = [];
  for (const n of servers) {
    if (cur.length < maxUnavailable && serving([...cur, n])) {
      cur.push(n);
      continue;
    }
    batches.push({ realServers: cur });
    cur = [n];
  }
  if (cur.length > 0) batches.push({ realServers: cur });
  return batches;
}
