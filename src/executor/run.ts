// Run the per-host pipeline over every managed host: all in flight at once, bounded by
// --concurrency; under keepalived the MASTER director goes last, after every BACKUP finished.
import { SshError } from '../connection/errors.js';
import { resolveTarget, type SshTarget } from '../connection/target.js';
import type { Transport } from '../connection/transport.js';
import type { Inventory } from '../inventory/types.js';
import { managerOf } from '../managers/index.js';
import type { Drain } from '../model/operator.js';
import type { DesiredHost } from '../model/types.js';
import { type HostResult, type Mode, runHost } from './host.js';
import { newOwner, type RunOwner } from './lock.js';

export interface Reporter {
  start(hosts: string[], mode: Mode): void;
  stage(host: string, stage: string): void;
  result(r: HostResult): void;
  finish(results: HostResult[], mode: Mode): void;
}

export interface RunOptions {
  mode: Mode;
  concurrency: number;
  drainSeconds: number;
  /** Tests only: make apply step N fail after it ran (hidden --fail-after-step). */
  failAfterStep?: number;
  debug: boolean;
  reporter: Reporter;
  connect: (target: SshTarget) => Promise<Transport>;
  expand: (host: string, os: 'debian' | 'rhel', drains?: Drain[]) => DesiredHost;
  /** Directors: the drains to converge to, given the director's own (see HostJob.drains). */
  drains?: (onHost: Drain[]) => Drain[];
  /** Set when the user interrupted: hosts not yet started are skipped. */
  interrupted: () => boolean;
  /** This run's identity in the hosts' locks; set by runAll when absent. */
  owner?: RunOwner;
}

/** VRRP managers (keepalived): the director that starts as MASTER. */
function masterDirector(inv: Inventory): string | undefined {
  const prio = inv.directors.vrrp?.priority;
  if (!managerOf(inv).vrrp || !prio) return undefined;
  return Object.entries(prio).sort((a, b) => b[1] - a[1])[0]?.[0];
}

function semaphore(n: number) {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((r) => waiting.push(r));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

async function oneHost(
  inv: Inventory,
  d: DesiredHost,
  o: RunOptions,
  beforeApply?: () => Promise<void>,
): Promise<HostResult> {
  const started = Date.now();
  if (o.interrupted())
    return {
      host: d.host,
      status: 'failed',
      changes: [],
      error: 'interrupted before it started',
      durationMs: 0,
      roundTrips: 0,
    };
  o.reporter.stage(d.host, 'connect');
  let t: Transport | undefined;
  try {
    t = await o.connect(resolveTarget(inv, d.host));
    return await runHost(
      t,
      {
        inv,
        desired: d,
        mode: o.mode,
        drainSeconds: o.drainSeconds,
        ...(o.failAfterStep !== undefined ? { failAfterStep: o.failAfterStep } : {}),
        debug: o.debug,
        expand: (os, drains) => o.expand(d.host, os, drains),
        ...(o.drains ? { drains: o.drains } : {}),
        stage: (s) => o.reporter.stage(d.host, s),
        owner: o.owner,
        ...(beforeApply ? { beforeApply } : {}),
      },
      started,
    );
  } catch (err) {
    const unreachable = err instanceof SshError && (err.kind === 'unreachable' || err.kind === 'timeout');
    return {
      host: d.host,
      status: unreachable ? 'unreachable' : 'failed',
      changes: [],
      error: (err as Error).message,
      durationMs: Date.now() - started,
      roundTrips: t?.stats.execs ?? 0,
    };
  } finally {
    await t?.close().catch(() => undefined);
  }
}

export async function runAll(inv: Inventory, hosts: DesiredHost[], o: RunOptions): Promise<HostResult[]> {
  o.reporter.start(
    hosts.map((h) => h.host),
    o.mode,
  );
  o = { ...o, owner: o.owner ?? newOwner() };
  const limit = semaphore(Math.max(1, o.concurrency));
  const master = o.mode === 'plan' ? undefined : masterDirector(inv);
  const isBackup = (h: DesiredHost) => h.kinds.includes('director') && h.host !== master;
  const run = (d: DesiredHost, beforeApply?: () => Promise<void>) =>
    limit(() => oneHost(inv, d, o, beforeApply)).then((r) => {
      o.reporter.result(r);
      return r;
    });
  const first = hosts.filter((h) => h.host !== master).map((h) => ({ h, p: run(h) }));
  const results = new Map<string, HostResult>();
  const masterHost = hosts.find((h) => h.host === master);
  if (masterHost) {
    // Never change both directors of a pair at once: the MASTER connects and reads its facts with
    // everyone else (they are its own, which no BACKUP's change touches), but applies only after
    // every BACKUP finished. A MASTER with nothing to change never waits.
    const backups = first.filter((x) => isBackup(x.h)).map((x) => x.p);
    // The MASTER takes a slot last, so BACKUPs are never queued behind it.
    results.set(
      masterHost.host,
      await run(masterHost, async () => {
        await Promise.all(backups);
      }),
    );
  }
  for (const x of first) results.set(x.h.host, await x.p);
  const ordered = hosts.map((h) => results.get(h.host)).filter((r): r is HostResult => r !== undefined);
  o.reporter.finish(ordered, o.mode);
  return ordered;
}
