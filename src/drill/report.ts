// The drill's report and how one phase (failover, fail-back) is judged per VRRP instance from
// the stream's log, who held each address and the client's neighbour entries.
import {
  type DrillMode,
  type HolderView,
  judgeHolders,
  judgeNeighbour,
  judgePhase,
  longKept,
  measureOutage,
  type PhaseReport,
} from './judge.js';
import type { StreamLog } from './stream.js';
import type { DrillInstance, DrillTopology } from './topology.js';

export interface InstanceReport {
  instance: string;
  interface: string;
  virtualRouterId: number;
  addresses: string[];
  phases: PhaseReport[];
}

export interface DirectorState {
  host: string;
  /** `master`, `backup`: the IPVS sync daemons the kernel runs (ipvsadm -L --daemon). */
  syncDaemons: string[];
  /** Connections to the stream's VIP:ports in its IPVS table (synced ones on the BACKUP). */
  established: number;
}

export interface DrillReport {
  version: 1;
  mode: DrillMode;
  inventory: string;
  master: string;
  backup: string;
  syncDaemon: boolean;
  /** Read just before the break: IPVS sync daemons running and ESTABLISHED entries for the VIPs. */
  directors: DirectorState[];
  instances: InstanceReport[];
  /** The MASTER was restored (undo ran). */
  restored: boolean;
  notes: string[];
  ok: boolean;
}

export interface PhaseInput {
  name: PhaseReport['phase'];
  from: string;
  to: string;
  /** Client clock, ms: the phase's requests began in [win[0], win[1]). */
  win: [number, number];
  view: (address: string) => HolderView[];
  /** The client's neighbour entries before the drill and after the phase. */
  before: Map<string, string>;
  after: Map<string, string>;
  boundMs: number;
}

/** One PhaseReport per reported instance; traffic counts only the instance's own VIPs. */
export function phaseReports(
  topo: DrillTopology,
  log: StreamLog,
  macOf: (host: string, i: DrillInstance) => Promise<string | undefined>,
  p: PhaseInput,
): Promise<PhaseReport[]> {
  return Promise.all(
    topo.instances.map(async (i) => {
      const targets = new Set(
        topo.targets.filter((t) => i.addresses.includes(t.vip)).map((t) => `${t.vip},${t.port}`),
      );
      const out = measureOutage(
        log.requests.filter((r) => targets.has(r.target)),
        p.win[0],
        p.win[1],
      );
      const hv = i.addresses.map((a) => judgeHolders(a, p.view(a)));
      const holder = hv[0]?.holders[0];
      const mac = holder ? await macOf(holder, i) : undefined;
      return judgePhase({
        phase: p.name,
        from: p.from,
        to: p.to,
        outageMs: targets.size ? out.outageMs : null,
        failedRequests: out.failed,
        requests: out.requests,
        longLived: longKept(
          log.long.filter((l) => targets.has(l.target)),
          p.win[1],
        ),
        boundMs: p.boundMs,
        holders: hv,
        neighbours: i.addresses
          .filter((a) => topo.vips.includes(a))
          .map((a) => judgeNeighbour(a, p.before.get(a), p.after.get(a), mac)),
        measured: targets.size > 0,
      });
    }),
  );
}
