// IPVS reconcile for the static manager: edit the live table towards the desired one, never flush.
// Only services the inventory declares, or that `up` created before, are ever touched.
import { destKey, formatService } from '../model/ipvs.js';
import type { IpvsService } from '../model/types.js';
import type { Change } from './changes.js';

function sameService(a: IpvsService, b: IpvsService): boolean {
  return formatService(a) === formatService(b);
}

export function planIpvs(desired: IpvsService[], live: IpvsService[], owned: string[]): Change[] {
  const changes: Change[] = [];
  const liveByKey = new Map(live.map((s) => [s.key, s]));
  const desiredKeys = new Set(desired.map((s) => s.key));
  for (const want of desired) {
    const have = liveByKey.get(want.key);
    if (!have) {
      changes.push({ kind: 'ipvs-service', action: 'add', service: want });
      for (const dest of want.dests) changes.push({ kind: 'ipvs-dest', action: 'add', service: want, dest });
      continue;
    }
    if (!sameService(want, have))
      changes.push({ kind: 'ipvs-service', action: 'edit', service: want, before: have });
    const haveDests = new Map(have.dests.map((d) => [destKey(d), d]));
    const wantKeys = new Set(want.dests.map(destKey));
    // Add and edit before draining, so capacity arrives before it leaves.
    for (const dest of want.dests) {
      const cur = haveDests.get(destKey(dest));
      if (!cur) changes.push({ kind: 'ipvs-dest', action: 'add', service: want, dest });
      else if (cur.weight !== dest.weight || cur.forwarding !== dest.forwarding) {
        changes.push({ kind: 'ipvs-dest', action: 'edit', service: want, dest, before: cur });
      }
    }
    for (const cur of have.dests) {
      if (!wantKeys.has(destKey(cur)))
        changes.push({ kind: 'ipvs-dest', action: 'drain', service: want, dest: cur });
    }
  }
  for (const key of owned) {
    const have = liveByKey.get(key);
    if (have && !desiredKeys.has(key)) {
      for (const dest of have.dests)
        changes.push({ kind: 'ipvs-dest', action: 'drain', service: have, dest });
      changes.push({ kind: 'ipvs-service', action: 'remove', service: have });
    }
  }
  return changes;
}
