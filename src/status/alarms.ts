// The alarms `status` raises (exit 1 when any is up). Pure: reads and inventory in, alarms out.
import type { Inventory } from '../inventory/types.js';
import { destKey } from '../model/ipvs.js';
import type { IpvsService } from '../model/types.js';
import { describeChange } from '../planner/changes.js';
import { planIpvs } from '../planner/ipvs.js';
import { ipvsService } from '../roles/ipvs-table.js';
import type { DirectorResult } from './build.js';
import type { Alarm, InstanceStatus, ServiceStatus } from './types.js';

export function splitBrain(instances: InstanceStatus[]): Alarm[] {
  const names = [...new Set(instances.map((i) => i.instance))];
  return names.flatMap((name) => {
    const masters = instances
      .filter((i) => i.instance === name && i.state === 'MASTER')
      .map((i) => i.director);
    return masters.length > 1
      ? [
          {
            kind: 'split-brain',
            instance: name,
            message: `${name}: ${masters.join(' and ')} are all MASTER`,
          } as Alarm,
        ]
      : [];
  });
}

/** Each service VIP must be on some director (only judged when at least one director was read). */
export function vipUnheld(inv: Inventory, results: DirectorResult[]): Alarm[] {
  const read = results.filter((r) => r.read);
  if (read.length === 0) return [];
  const out: Alarm[] = [];
  for (const vip of [...new Set(inv.services.map((s) => s.vip))]) {
    if (read.some((r) => r.read?.addresses.some((a) => a.address === vip && a.dev !== 'lo'))) continue;
    const services = inv.services.filter((s) => s.vip === vip).map((s) => s.name);
    for (const service of services)
      out.push({ kind: 'vip-unheld', service, message: `VIP ${vip} (${service}) is held by no director` });
  }
  return out;
}

/** A real server in one director's table and not in another's. */
export function tableMismatch(services: ServiceStatus[]): Alarm[] {
  const out: Alarm[] = [];
  for (const s of services) {
    if (s.directors.length < 2) continue;
    const names = [...new Set(s.directors.flatMap((d) => d.real_servers.map((r) => r.real_server)))];
    for (const name of names) {
      const has = s.directors.filter((d) =>
        d.real_servers.some((r) => r.real_server === name && r.weight !== null),
      );
      if (has.length === 0 || has.length === s.directors.length) continue;
      const lacks = s.directors.filter((d) => !has.includes(d)).map((d) => d.director);
      out.push({
        kind: 'table-mismatch',
        service: s.service,
        real_server: name,
        message: `${s.service}: ${name} is in ${has.map((d) => d.director).join(', ')}'s table but not in ${lacks.join(', ')}'s`,
      });
    }
  }
  return out;
}

/**
 * The drift `plan` sees (the planner's IPVS diff), minus what is not drift: a real server the
 * manager's checker took out (health), and weight 0 under an operator drain.
 */
export function drift(inv: Inventory, r: DirectorResult): Alarm[] {
  const read = r.read;
  if (read?.ipvs !== 'ok') return [];
  const live = read.table;
  const drained = (svc: IpvsService, addr: string) => {
    const s = inv.services.find((x) => ipvsService(x).key === svc.key);
    const rs = s?.real_servers.find((x) => x.address === addr);
    return read.operator.drains.some(
      (d) => d.service === s?.name && (d.real_server === addr || d.real_server === rs?.host),
    );
  };
  const desired = r.desired.ipvs.map((want) => {
    const have = live.find((x) => x.key === want.key);
    if (!have) return want;
    const dests = want.dests.flatMap((d) => {
      const cur = have.dests.find((x) => destKey(x) === destKey(d));
      if (!cur) return r.view.absentMeans === 'removed' ? [] : [d];
      const zeroOk = r.view.zeroWeightMeans === 'quiesced' || drained(want, d.address);
      return [cur.weight === 0 && zeroOk ? { ...d, weight: 0 } : d];
    });
    return { ...want, dests };
  });
  const changes = planIpvs(
    desired,
    live,
    live.map((s) => s.key),
  );
  return changes.map((c) => ({
    kind: 'drift',
    director: r.director,
    message: `${r.director}: live table differs from the inventory: up would ${describeChange(c)}`,
  }));
}

export function unreachable(results: DirectorResult[]): Alarm[] {
  return results
    .filter((r) => !r.read)
    .map((r) => ({
      kind: 'unreachable',
      director: r.director,
      message: `${r.director}: ${r.error ?? 'not read'}`,
    }));
}
