// drain / enable across every director: read the drains, refuse the last real server, converge
// all directors to the new drain set (all-or-nothing), read the kernel table back, and with
// --wait poll ActiveConn until the drained server holds no connection anywhere.
import { hostname, userInfo } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { destKey } from '../model/ipvs.js';
import { ipvsService } from '../roles/ipvs-table.js';
import type { Directors } from './directors.js';
import { DrainError } from './errors.js';

import type { LiveTable } from './live.js';
import { type Drain, isDrained, matchesRealServer, mergeDrains } from './operator.js';
import { type DrainTarget, nextDrains, servicesLeftEmpty } from './select.js';

export type DrainAction = 'drain' | 'enable';

export interface DrainOptions {
  wait: boolean;
  timeoutS: number;
  force: boolean;
  /** A progress line (non-TTY), or the live line (TTY: `live` true, rewritten in place). */
  log: (line: string, live?: boolean) => void;
  /** How often --wait and the read-back poll the directors. */
  pollMs?: number;
}

export interface TimelineEvent {
  /** Seconds since the command started. */
  t: number;
  event: string;
}

export interface DrainReport {
  action: DrainAction;
  real_server: string;
  services: string[];
  directors: string[];
  drains: Drain[];
  /** ActiveConn per director when --wait finished (or timed out). */
  active?: Record<string, number>;
  timeline: TimelineEvent[];
}

function operatorStamp(now = new Date()): { since: string; by: string } {
  return { since: now.toISOString(), by: `${userInfo().username}@${hostname()}` };
}

/** Per director: the target's live (weight, ActiveConn) in each of its services; absent = not in the table. */
function targetLive(target: DrainTarget, table: LiveTable) {
  return target.services.map((s) => {
    const rs = s.real_servers.find((r) => matchesRealServer(r, target.name));
    const key = destKey({ address: rs?.address ?? '', port: rs?.port ?? 0 });
    const dest = table.get(ipvsService(s).key)?.find((d) => d.dest === key);
    return { service: s, rs, dest };
  });
}

export async function drainOrEnable(
  dirs: Directors,
  target: DrainTarget,
  action: DrainAction,
  o: DrainOptions,
): Promise<DrainReport> {
  const t0 = Date.now();
  const timeline: TimelineEvent[] = [];
  const mark = (event: string) => {
    timeline.push({ t: Number(((Date.now() - t0) / 1000).toFixed(2)), event });
    o.log(event);
  };
  const before = await dirs.readDrains();
  const current = mergeDrains([...before.values()]);
  const drains = nextDrains(current, target, action, operatorStamp());
  const names = target.services.map((s) => s.name);
  if (action === 'drain' && !o.force) {
    const empty = servicesLeftEmpty(target, drains);
    if (empty.length > 0)
      throw new DrainError(
        `refusing to drain ${target.name}: it is the last real server with weight > 0 of ${empty.join(', ')} (--force to drain anyway)`,
      );
  }
  mark(`${action} ${target.name} (${names.join(', ')}) on ${dirs.names.join(', ')}`);
  const { failed, notRestored, changed } = await dirs.converge(drains);
  if (failed.length > 0) {
    const stuck = notRestored.map((r) => r.host);
    const back = dirs.names.filter((n) => !failed.some((f) => f.host === n) && !stuck.includes(n));
    const others = [
      ...(back.length > 0 ? [`${back.join(', ')} put back`] : []),
      ...notRestored.map(
        (r) => `${r.host} could NOT be put back (${r.error ?? r.status}): run lvs-deploy up`,
      ),
    ];
    throw new DrainError(
      `${action} ${target.name} failed on ${failed.map((f) => `${f.host} (${f.error ?? f.status})`).join(', ')}; ${others.length > 0 ? others.join('; ') : 'nothing changed'}`,
    );
  }
  for (const r of changed) mark(`[${r.host}] ${r.changes.join('; ')}`);
  // The kernel must hold the weight: keepalived has had reloads that left the old one (#1228).
  const ok = await readBack(dirs, target, drains, o.pollMs ?? 500, mark);
  if (!ok) {
    await dirs.restore();
    throw new DrainError(
      `${action} ${target.name}: the kernel table did not take the new weight within 20s; every director put back`,
    );
  }
  const report: DrainReport = {
    action,
    real_server: target.name,
    services: names,
    directors: dirs.names,
    drains,
    timeline,
  };
  if (action === 'drain' && o.wait) report.active = await waitIdle(dirs, target, o, mark);
  return report;
}

async function readBack(
  dirs: Directors,
  target: DrainTarget,
  drains: Drain[],
  pollMs: number,
  mark: (e: string) => void,
): Promise<boolean> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const live = await dirs.live();
    const wrong: string[] = [];
    let read = 0;
    for (const [dir, table] of live) {
      if (table === null) continue;
      read++;
      for (const x of targetLive(target, table)) {
        if (!x.rs) continue;
        const want = isDrained(drains, x.service, x.rs) ? 0 : x.rs.weight;
        // Not in the table: the health checker took it out; it gets no traffic either way.
        if (x.dest && x.dest.weight !== want)
          wrong.push(`${dir} ${x.service.name}: weight ${x.dest.weight}, want ${want}`);
      }
    }
    if (wrong.length === 0) {
      mark(
        read === 0
          ? 'no IPVS in the directors’ kernels: nothing to read back'
          : `kernel table on ${read} director(s) holds the new weight`,
      );
      return true;
    }
    if (Date.now() > deadline) {
      mark(`kernel table still wrong: ${wrong.join('; ')}`);
      return false;
    }
    await sleep(pollMs);
  }
}

/** --wait: ActiveConn of the target on every director until all are 0, or the timeout. */
async function waitIdle(
  dirs: Directors,
  target: DrainTarget,
  o: DrainOptions,
  mark: (e: string) => void,
): Promise<Record<string, number>> {
  const deadline = Date.now() + o.timeoutS * 1000;
  let last = '';
  for (;;) {
    const counts: Record<string, number> = {};
    for (const [dir, table] of await dirs.live()) {
      counts[dir] = table ? targetLive(target, table).reduce((n, x) => n + (x.dest?.active ?? 0), 0) : 0;
    }
    const line = Object.entries(counts)
      .map(([d, n]) => `${d} active=${n}`)
      .join('  ');
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    if (total === 0) {
      mark(`${target.name}: 0 active connections on every director`);
      return counts;
    }
    if (line !== last) o.log(`${target.name}: ${line}`, true);
    last = line;
    if (Date.now() > deadline) {
      const open = Object.entries(counts).filter(([, n]) => n > 0);
      throw new DrainError(
        `${target.name} drained but still has open connections after ${o.timeoutS}s: ${open.map(([d, n]) => `${d} ${n} active`).join(', ')}`,
      );
    }
    await sleep(o.pollMs ?? 1000);
  }
}
