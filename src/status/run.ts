// Read every director at once, one SSH connection and one script each, and build the report.
import type { SshTarget } from '../connection/ssh.js';
import { resolveTarget } from '../connection/target.js';
import type { Transport } from '../connection/transport.js';
import type { Inventory } from '../inventory/types.js';
import type { DesiredHost } from '../model/types.js';
import { drift, splitBrain, tableMismatch, unreachable, vipUnheld } from './alarms.js';
import { type DirectorResult, directorStatus, instanceStatus, serviceStatus } from './build.js';
import { managerView } from './manager.js';
import { parseStatus } from './parse.js';
import { readRealServers } from './realservers.js';
import { statusScript } from './script.js';
import type { StatusReport } from './types.js';

export interface StatusOptions {
  connect: (target: SshTarget) => Promise<Transport>;
  /** Also read every real server host (one round trip each). */
  realServers?: boolean;
  /** Per-director timeout for the read (ms). */
  timeoutMs?: number;
}

async function readDirector(inv: Inventory, desired: DesiredHost, o: StatusOptions): Promise<DirectorResult> {
  const view = managerView(inv, desired);
  const started = Date.now();
  const base = { director: desired.host, desired, view };
  let t: Transport | undefined;
  try {
    t = await o.connect(resolveTarget(inv, desired.host));
    const r = await t.run(statusScript(view), { phase: 'status', timeoutMs: o.timeoutMs ?? 20_000 });
    if (r.code !== 0)
      throw new Error(`status script failed (exit ${r.code}): ${r.stderr.trim().split('\n').pop()}`);
    const read = parseStatus(r.stdout);
    if (read.errors.length > 0) throw new Error(read.errors.join('; '));
    return { ...base, read, ms: Date.now() - started };
  } catch (err) {
    return { ...base, error: (err as Error).message, ms: Date.now() - started };
  } finally {
    await t?.close().catch(() => undefined);
  }
}

/**
 * With directors.sync_daemon, keepalived runs the master and the backup sync daemon on every
 * director (two-way sync): one missing means connections are lost at the next failover.
 */
function syncNotes(inv: Inventory, results: DirectorResult[]): string[] {
  if (!inv.directors.sync_daemon) return [];
  return results.flatMap((r) => {
    const running = r.read?.syncDaemons;
    if (!running) return [];
    const missing = (['master', 'backup'] as const).filter((role) => !running.some((d) => d.role === role));
    return missing.length > 0
      ? [
          `${r.director} runs no IPVS ${missing.join(' or ')} sync daemon although directors.sync_daemon is set: its connections would not survive a failover`,
        ]
      : [];
  });
}

export function buildReport(inv: Inventory, results: DirectorResult[], time = new Date()): StatusReport {
  const instances = results.flatMap(instanceStatus);
  const services = serviceStatus(inv, results);
  const alarms = [
    ...unreachable(results),
    ...splitBrain(instances),
    ...vipUnheld(inv, results),
    ...tableMismatch(services),
    ...results.flatMap((r) => drift(inv, r)),
  ];
  const notes: string[] = [];
  const noKernel = results.filter((r) => r.read?.ipvs === 'no-kernel').map((r) => r.director);
  if (noKernel.length > 0)
    notes.push(`no IPVS in the kernel of ${noKernel.join(', ')}: their service tables were not read`);
  const noTool = results.filter((r) => r.read?.ipvs === 'no-ipvsadm').map((r) => r.director);
  if (noTool.length > 0) notes.push(`ipvsadm is not installed on ${noTool.join(', ')}: tables not read`);
  notes.push(...syncNotes(inv, results));
  return {
    version: 1,
    inventory: inv.name,
    time: time.toISOString(),
    directors: results.map(directorStatus),
    instances,
    services,
    drains: results.flatMap((r) =>
      (r.read?.operator.drains ?? []).map((d) => ({ director: r.director, ...d })),
    ),
    alarms,
    notes,
    ok: alarms.length === 0,
  };
}

export async function readStatus(
  inv: Inventory,
  desired: Map<string, DesiredHost>,
  o: StatusOptions,
): Promise<StatusReport> {
  const directors = inv.directors.hosts.flatMap((h) => {
    const d = desired.get(h);
    return d ? [d] : [];
  });
  const [results, realServers] = await Promise.all([
    Promise.all(directors.map((d) => readDirector(inv, d, o))),
    o.realServers
      ? readRealServers(inv, o.connect, (h) => resolveTarget(inv, h))
      : Promise.resolve(undefined),
  ]);
  const report = buildReport(inv, results);
  return realServers ? { ...report, real_servers: realServers } : report;
}
