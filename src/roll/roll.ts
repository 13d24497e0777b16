// roll --exec CMD: maintenance behind the VIP, batch by batch. For each batch: drain --wait →
// CMD on each real server (SSH, with become) → the directors hold it in their table again (the
// health checker re-added it) → enable → a probe through the VIP is answered by it → next batch.
// On any failure: stop, leave that batch drained, exit 1.

import { renderScript, sh } from '../connection/shell.js';
import { resolveTarget, type SshTarget } from '../connection/target.js';
import type { Transport } from '../connection/transport.js';
import type { Directors } from '../drain/directors.js';
import { drainOrEnable, type TimelineEvent } from '../drain/drain.js';
import { DrainError } from '../drain/errors.js';
import { drainTarget } from '../drain/select.js';
import type { Inventory } from '../inventory/types.js';
import { destKey } from '../model/ipvs.js';
import { ipvsService } from '../roles/ipvs-table.js';
import { type ProbeSpec, parseProbeOutput, probeScript, probesFor } from '../verify/probes.js';
import { runLocal } from '../verify/run.js';
import type { RollBatch } from './order.js';

export interface RollOptions {
  exec: string;
  healthTimeoutS: number;
  drainTimeoutS: number;
  connect: (t: SshTarget) => Promise<Transport>;
  log: (line: string, live?: boolean) => void;
}

export interface RollServerResult {
  real_server: string;
  status: 'done' | 'failed' | 'skipped';
  drained_s?: number;
  exec_s?: number;
  healthy_s?: number;
  answered_s?: number;
  error?: string;
}

export interface RollReport {
  version: 1;
  ok: boolean;
  batches: string[][];
  servers: RollServerResult[];
  duration_s: number;
  timeline: TimelineEvent[];
}

const secs = (ms: number) => Number((ms / 1000).toFixed(2));

async function execOn(dirs: Directors, name: string, cmd: string, o: RollOptions): Promise<void> {
  const t = await o.connect(resolveTarget(dirs.inv, name));
  try {
    const script = renderScript(sh`sh -c ${cmd}`, { strict: false }).script;
    const r = await t.run(script, { timeoutMs: 600_000, phase: 'exec' });
    if (r.code !== 0)
      throw new DrainError(
        `${name}: --exec exited ${r.code}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`,
      );
  } finally {
    await t.close().catch(() => undefined);
  }
}

/** Every director holds the real server in each of its services' live tables (checker passed). */
async function waitInTable(dirs: Directors, name: string, deadline: number): Promise<void> {
  const target = drainTarget(dirs.inv, name);
  for (;;) {
    const missing: string[] = [];
    for (const [dir, table] of await dirs.live()) {
      if (table === null) continue;
      for (const s of target.services) {
        const rs = s.real_servers.find((r) => r.host === name || r.address === name);
        const key = destKey({ address: rs?.address ?? '', port: rs?.port ?? 0 });
        if (!table.get(ipvsService(s).key)?.some((d) => d.dest === key)) missing.push(`${dir} ${s.name}`);
      }
    }
    if (missing.length === 0) return;
    if (Date.now() > deadline)
      throw new DrainError(`${name}: not healthy again on ${missing.join(', ')} (health checker)`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/**
 * The verify probes of the real server's services, each cut to two requests per real server of
 * its service: enough for the scheduler to reach the enabled one, and the caller repeats a round
 * until the deadline. A verify probe's full count (20 in seed 003) cost a minute per real server
 * under emulation, every round, for no better proof.
 */
export function rollProbeSpecs(inv: Inventory, name: string): ProbeSpec[] {
  return probesFor(inv)
    .filter((p) => p.service.real_servers.some((r) => r.host === name || r.address === name))
    .map((p) => ({
      ...p,
      probe: { ...p.probe, requests: Math.min(p.probe.requests, 2 * p.service.real_servers.length) },
    }));
}

/** Probes through the VIP (the inventory's verify probes) until this real server answers one. */
async function waitAnswered(dirs: Directors, name: string, deadline: number, o: RollOptions): Promise<void> {
  const specs = rollProbeSpecs(dirs.inv, name);
  if (specs.length === 0) return;
  const from = dirs.inv.verify?.from ?? 'control';
  const script = probeScript(specs);
  for (;;) {
    let out = '';
    if (from === 'control') out = (await runLocal(script)).stdout;
    else {
      const t = await o.connect(resolveTarget(dirs.inv, from));
      try {
        out = (await t.run(script, { timeoutMs: 120_000 })).stdout;
      } finally {
        await t.close().catch(() => undefined);
      }
    }
    const answered = parseProbeOutput(out, specs).every((p) => p.answers.includes(name));
    if (answered) return;
    if (Date.now() > deadline)
      throw new DrainError(`${name}: no probe through the VIP was answered by it within the health timeout`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

export async function roll(dirs: Directors, batches: RollBatch[], o: RollOptions): Promise<RollReport> {
  const t0 = Date.now();
  const timeline: TimelineEvent[] = [];
  const mark = (event: string) => {
    timeline.push({ t: secs(Date.now() - t0), event });
    o.log(event);
  };
  const results: RollServerResult[] = batches.flatMap((b) =>
    b.realServers.map((n): RollServerResult => ({ real_server: n, status: 'skipped' })),
  );
  const result = (n: string) => results.find((r) => r.real_server === n) as RollServerResult;
  let ok = true;
  for (const [i, batch] of batches.entries()) {
    const names = batch.realServers;
    mark(`batch ${i + 1}/${batches.length}: ${names.join(', ')}`);
    let phase = 'drain';
    try {
      const start = Date.now();
      for (const n of names) {
        await drainOrEnable(dirs, drainTarget(dirs.inv, n), 'drain', {
          wait: true,
          timeoutS: o.drainTimeoutS,
          force: false,
          log: (l, live) => (live ? o.log(l, true) : mark(l)),
        });
        result(n).drained_s = secs(Date.now() - start);
      }
      phase = 'exec';
      await Promise.all(
        names.map(async (n) => {
          const s = Date.now();
          mark(`${n}: exec ${o.exec}`);
          await execOn(dirs, n, o.exec, o);
          result(n).exec_s = secs(Date.now() - s);
        }),
      );
      phase = 'health';
      const deadline = Date.now() + o.healthTimeoutS * 1000;
      for (const n of names) {
        const s = Date.now();
        await waitInTable(dirs, n, deadline);
        result(n).healthy_s = secs(Date.now() - s);
        mark(`${n}: in every director's table again`);
      }
      phase = 'enable';
      for (const n of names) {
        await drainOrEnable(dirs, drainTarget(dirs.inv, n), 'enable', {
          wait: false,
          timeoutS: o.drainTimeoutS,
          force: false,
          log: mark,
        });
      }
      phase = 'probe';
      for (const n of names) {
        const s = Date.now();
        await waitAnswered(dirs, n, deadline, o);
        result(n).answered_s = secs(Date.now() - s);
        result(n).status = 'done';
        mark(`${n}: answered through the VIP`);
      }
    } catch (err) {
      ok = false;
      const msg = (err as Error).message;
      for (const n of names)
        if (result(n).status !== 'done')
          Object.assign(result(n), { status: 'failed', error: `${phase}: ${msg}` });
      // Enabled but not answering: take it out again, so what failed stays out of rotation.
      if (phase === 'probe') {
        for (const n of names) {
          await drainOrEnable(dirs, drainTarget(dirs.inv, n), 'drain', {
            wait: false,
            timeoutS: o.drainTimeoutS,
            force: true,
            log: mark,
          }).catch((e: Error) => mark(`${n}: could not drain it again: ${e.message}`));
        }
      }
      mark(`roll stopped at batch ${i + 1} (${phase}): ${msg}; ${names.join(', ')} left drained`);
      break;
    }
  }
  return {
    version: 1,
    ok,
    batches: batches.map((b) => b.realServers),
    servers: results,
    duration_s: secs(Date.now() - t0),
    timeline,
  };
}
