// `drill failover`: find the MASTER, start the stream on verify.from, break the MASTER (an undo
// armed on the host first), watch the BACKUP take over, optionally restore and watch the way back,
// then judge. The MASTER is restored in every outcome: normal end, error, Ctrl-C (abort signal),
// and if all of that fails, by the timer on the host.
import { resolveTarget, type SshTarget } from '../connection/target.js';
import type { Transport } from '../connection/transport.js';
import { LvsError } from '../errors.js';
import type { Inventory } from '../inventory/types.js';
import type { DesiredHost } from '../model/types.js';
import {
  type DrillMode,
  failBackBoundMs,
  failoverBoundMs,
  type HolderView,
  type PhaseReport,
} from './judge.js';
import {
  type BreakPlan,
  breakScript,
  HOLDING_AND_CONNS_SCRIPT,
  HOLDING_SCRIPT,
  type Holding,
  neighbourScript,
  parseHolding,
  parseNeighbours,
  restoreScript,
} from './remote.js';
import { type DrillReport, phaseReports } from './report.js';
import { parseStream, streamScript } from './stream.js';
import { type DrillInstance, drillTopology } from './topology.js';

export type { DirectorState, DrillReport, InstanceReport } from './report.js';

/** The drill could not start or break the MASTER (what it changed is undone). Exit 1. */
class DrillError extends LvsError {
  constructor(message: string) {
    super('drill', `drill: ${message}`, 1);
  }
}

export interface DrillOptions {
  mode: DrillMode;
  failBack: boolean;
  instance?: string;
  /** Long-lived connections per VIP. */
  long: number;
  connect: (t: SshTarget) => Promise<Transport>;
  progress: (line: string) => void;
  signal?: AbortSignal;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

async function holdingOf(
  conns: Map<string, Transport>,
  host: string,
  script = HOLDING_SCRIPT,
): Promise<Holding | null> {
  const t = conns.get(host);
  if (!t) return null;
  try {
    const r = await t.run(script, { timeoutMs: 20_000 });
    return r.code === 0 ? parseHolding(r.stdout) : null;
  } catch {
    return null;
  }
}

export async function drillFailover(
  inv: Inventory,
  desired: Map<string, DesiredHost>,
  o: DrillOptions,
): Promise<DrillReport> {
  const topo = drillTopology(inv, desired, o.instance);
  const conns = new Map<string, Transport>();
  const open = async (h: string) => {
    conns
      .get(h)
      ?.close()
      .catch(() => undefined);
    conns.set(h, await o.connect(resolveTarget(inv, h)));
  };
  const notes: string[] = [];
  let restored = false;
  let broken = false;
  const stopFile = `/tmp/lvs-deploy-drill.${process.pid}.stop`;
  try {
    await Promise.all([...topo.directors, topo.client].map(open));
    const client = conns.get(topo.client) as Transport;
    const readAll = async (script = HOLDING_SCRIPT, skip?: string) =>
      new Map(
        await Promise.all(
          topo.directors.map(
            async (h) => [h, h === skip ? null : await holdingOf(conns, h, script)] as const,
          ),
        ),
      );
    const first = topo.instances[0] as DrillInstance;
    const before = await readAll();
    const holders = topo.directors.filter((h) => before.get(h)?.addresses.has(first.addresses[0] ?? ''));
    if (holders.length !== 1)
      throw new DrillError(
        `${first.addresses[0]} is held by ${holders.length ? holders.join(' and ') : 'no director'}: fix that before a drill`,
      );
    const master = holders[0] as string;
    const backup =
      topo.directors
        .filter((h) => h !== master)
        .sort((a, b) => (topo.priority[b] ?? 0) - (topo.priority[a] ?? 0))[0] ?? '';
    const neigh = async () => {
      const r = await client.run(neighbourScript(topo.vips), { timeoutMs: 10_000 });
      return parseNeighbours(r.stdout);
    };
    const n0 = await neigh();
    const bound = failoverBoundMs(o.mode, topo.advertInt, topo.priority[backup] ?? 100);
    const holdMs = Math.max(bound + 4000, 5000);
    const backMs = failBackBoundMs(topo.advertInt) + 4000;
    const streamRun = client.run(
      streamScript({ targets: topo.targets, stopFile, maxSecs: 180, rate: 10, long: o.long }),
      { timeoutMs: 200_000 },
    );
    o.progress(`stream from ${topo.client}: 10 new connections/s and ${o.long} long-lived per VIP`);
    // IPVS flushes sync messages at least every 2 s: give the BACKUP time to hear of the
    // long-lived connections before the MASTER breaks.
    await sleep(inv.directors.sync_daemon ? 5000 : 3000, o.signal);
    const ready = await readAll(HOLDING_AND_CONNS_SCRIPT);
    const vipPorts = new Set(topo.targets.map((t) => `${t.vip}:${t.port}`));
    const directors = topo.directors.map((h) => {
      const g = ready.get(h);
      return {
        host: h,
        syncDaemons: g?.syncDaemons ?? [],
        established: g
          ? g.connections.filter((c) => c.state === 'ESTABLISHED' && vipPorts.has(c.virtual)).length
          : 0,
      };
    });
    const plan: BreakPlan = {
      mode: o.mode,
      daemon: topo.daemon,
      interfaces: topo.all.map((i) => i.interface).filter((v, i, a) => a.indexOf(v) === i),
      addresses: topo.all.flatMap((i) => i.addresses),
      sshPort: resolveTarget(inv, master).port,
      undoAfterSecs:
        o.mode === 'link' ? Math.ceil(holdMs / 1000) + 10 : Math.ceil((holdMs + backMs) / 1000) + 60,
    };
    if (inv.directors.sync_daemon) {
      // keepalived switches the kernel's sync daemon only on a VRRP state change: after a reload
      // that added lvs_sync_daemon the pair can run the wrong one, and nothing is synced.
      const has = (h: string, d: string) => directors.find((x) => x.host === h)?.syncDaemons.includes(d);
      if (!has(master, 'master'))
        notes.push(`${master} is MASTER but runs no master sync daemon: no connection reaches the BACKUP`);
      if (!has(backup, 'backup'))
        notes.push(`${backup} is BACKUP but runs no backup sync daemon: it learns no connection`);
    }
    const t0 = (await neigh()).clock ?? Date.now();
    o.progress(
      `${o.mode}: breaking ${master} (undo armed on the host, runs by itself in ${plan.undoAfterSecs} s)`,
    );
    broken = true;
    const br = await (conns.get(master) as Transport).run(breakScript(plan), { timeoutMs: 20_000 });
    if (!br.stdout.includes('==>drill:armed')) {
      if (br.stdout.includes('==>drill:pending')) broken = false;
      throw new DrillError(
        `could not break ${master}: ${(br.stdout + br.stderr).trim().split('\n').pop() ?? ''}`,
      );
    }
    await sleep(holdMs, o.signal);
    const views = async (silenced: string | undefined, unread?: string) => {
      const got = await readAll(HOLDING_SCRIPT, unread);
      return (addr: string): HolderView[] =>
        topo.directors.map((h) => {
          const g = got.get(h);
          return {
            host: h,
            holds: g ? g.addresses.has(addr) : null,
            ...(h === silenced ? { silenced: true } : {}),
          };
        });
    };
    // The client first (a quick read); in link mode the MASTER is not read at all: its SSH may
    // ride the downed link, and waiting on it would outlast the host's timer.
    const n1 = await neigh();
    const during = await views(
      o.mode === 'graceful' ? undefined : master,
      o.mode === 'link' ? master : undefined,
    );
    let streamLog: ReturnType<typeof parseStream> | undefined;
    const macOf = async (h: string, i: DrillInstance) => (await holdingOf(conns, h))?.macs.get(i.interface);
    const phase = (
      name: PhaseReport['phase'],
      from: string,
      to: string,
      win: [number, number],
      view: (a: string) => HolderView[],
      after: Map<string, string>,
      boundMs: number,
    ) =>
      phaseReports(topo, streamLog ?? { requests: [], long: [] }, macOf, {
        name,
        from,
        to,
        win,
        view,
        before: n0.macs,
        after,
        boundMs,
      });
    let back: { view: (a: string) => HolderView[]; n: Map<string, string>; t: number } | undefined;
    const tBack = n1.clock ?? Date.now();
    // In link mode the SSH connection may ride the link that is down: a new connection, retried
    // until a while after the host's own timer has brought the link back.
    const restore = async () => {
      const until = Date.now() + (plan.undoAfterSecs + 30) * 1000;
      for (;;) {
        try {
          if (o.mode === 'link') await open(master);
          const r = await (conns.get(master) as Transport).run(restoreScript(), { timeoutMs: 60_000 });
          restored = r.stdout.includes('==>drill:restored');
          return;
        } catch (err) {
          if (o.mode !== 'link' || Date.now() > until) throw err;
          await sleep(2000);
        }
      }
    };
    if (o.failBack && !o.signal?.aborted) {
      o.progress(`fail-back: restoring ${master}`);
      await restore();
      await sleep(backMs, o.signal);
      back = { view: await views(undefined), n: (await neigh()).macs, t: Date.now() };
    }
    await client.run(`touch ${stopFile}`, { timeoutMs: 10_000 });
    const sr = await streamRun;
    streamLog = parseStream(sr.stdout);
    if (!streamLog.end) notes.push(`the stream did not finish: ${sr.stderr.trim().split('\n').pop() ?? ''}`);
    if (!o.failBack) await restore();
    const tEnd = streamLog.end ?? Date.now();
    const fo = await phase(
      'failover',
      master,
      backup,
      [t0, o.failBack ? tBack : tEnd],
      during,
      n1.macs,
      bound,
    );
    const fb = back
      ? await phase(
          'fail-back',
          backup,
          master,
          [tBack, tEnd],
          back.view,
          back.n,
          failBackBoundMs(topo.advertInt),
        )
      : undefined;
    const instances = topo.instances.map((i, k) => ({
      instance: i.name,
      interface: i.interface,
      virtualRouterId: i.virtualRouterId,
      addresses: i.addresses,
      phases: [fo[k], ...(fb ? [fb[k]] : [])].filter((p): p is PhaseReport => p !== undefined),
    }));
    if (!o.failBack)
      notes.push(
        `${master} was restored after the stream ended (the way back was not measured: --fail-back)`,
      );
    if (o.signal?.aborted) notes.push('interrupted: the MASTER was restored early');
    const ok = restored && !o.signal?.aborted && instances.every((i) => i.phases.every((p) => p.ok));
    return {
      version: 1,
      mode: o.mode,
      inventory: inv.file,
      master,
      backup,
      syncDaemon: !!inv.directors.sync_daemon,
      directors,
      instances,
      restored,
      notes,
      ok,
    };
  } finally {
    // The stream stops at this file (else it would run on for minutes after an error).
    await conns
      .get(topo.client)
      ?.run(`touch ${stopFile}`, { timeoutMs: 10_000 })
      .catch(() => undefined);
    if (broken && !restored) {
      // Best effort, on every director (the MASTER may not be known yet): a restore that fails
      // here leaves the undo to the host's own timer.
      for (const h of topo.directors) {
        if (o.mode === 'link') await open(h).catch(() => undefined);
        await conns
          .get(h)
          ?.run(restoreScript(), { timeoutMs: 60_000 })
          .catch(() => undefined);
      }
    }
    await Promise.all([...conns.values()].map((t) => t.close().catch(() => undefined)));
  }
}
