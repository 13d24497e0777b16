// Judging a drill: pure functions from what was measured (the stream's log, who held each VRRP
// address, the client's neighbour entry) to a verdict per VRRP instance and phase.
import type { LongLived, StreamRequest } from './stream.js';

export type DrillMode = 'graceful' | 'crash' | 'link';
export const DRILL_MODES: readonly DrillMode[] = ['graceful', 'crash', 'link'];

/** The stream's resolution: a request that fails waits one connect timeout before the next. */
export const SLACK_MS = 500;

/**
 * How long the VIP may be without service. A BACKUP takes over when it has heard nothing for
 * 3 × advert_int plus its skew (256 − priority)/256 s (RFC 3768 Master_Down_Interval); a graceful
 * stop sends a priority-0 advert, so the BACKUP takes over after its skew alone: under 1 s.
 */
export function failoverBoundMs(mode: DrillMode, advertInt: number, backupPriority: number): number {
  if (mode === 'graceful') return 1000;
  return Math.ceil(3 * advertInt * 1000 + ((256 - backupPriority) / 256) * 1000);
}

/**
 * The way back: the returning MASTER has the higher priority and preempts as soon as it hears
 * the BACKUP's next advert (or sends its own), so the VIP moves within one advert interval.
 */
export function failBackBoundMs(advertInt: number): number {
  return Math.max(1000, Math.ceil(advertInt * 1000));
}

export interface Outage {
  /** First failed request → first answered one after the last failure; null: never answered again. */
  outageMs: number | null;
  failed: number;
  requests: number;
}

/** Service lost between `from` and `to` (client clock) for the given targets' requests. */
export function measureOutage(requests: readonly StreamRequest[], from: number, to: number): Outage {
  const win = requests.filter((r) => r.at >= from && r.at < to).sort((a, b) => a.at - b.at);
  const fails = win.filter((r) => !r.ok);
  const first = fails[0];
  const last = fails[fails.length - 1];
  if (!first || !last) return { outageMs: 0, failed: 0, requests: win.length };
  const back = win.find((r) => r.ok && r.at > last.at);
  return { outageMs: back ? back.at - first.at : null, failed: fails.length, requests: win.length };
}

/** Long-lived connections still open at `until` (client clock). */
export function longKept(long: readonly LongLived[], until: number): { kept: number; total: number } {
  return {
    kept: long.filter((l) => l.brokenAt === undefined || l.brokenAt > until).length,
    total: long.length,
  };
}

/** What one director showed for one VRRP address. */
export interface HolderView {
  host: string;
  /** null: the host could not be read (its link is down in `link` mode). */
  holds: boolean | null;
  /** The drill silenced it (crash mode): it still has the address but nobody can reach it there. */
  silenced?: boolean;
}

export interface HolderVerdict {
  address: string;
  holders: string[];
  ok: boolean;
  detail: string;
}

/** Exactly one director must answer for the address: none is an outage, two is split brain. */
export function judgeHolders(address: string, views: readonly HolderView[]): HolderVerdict {
  const holders = views.filter((v) => v.holds === true && !v.silenced).map((v) => v.host);
  const silenced = views.filter((v) => v.holds === true && v.silenced).map((v) => v.host);
  const unread = views.filter((v) => v.holds === null).map((v) => v.host);
  const extra = [
    ...(silenced.length ? [`still configured on silenced ${silenced.join(', ')}`] : []),
    ...(unread.length ? [`not readable: ${unread.join(', ')}`] : []),
  ];
  const tail = extra.length ? ` (${extra.join('; ')})` : '';
  if (holders.length === 1) return { address, holders, ok: true, detail: `held by ${holders[0]}${tail}` };
  if (holders.length === 0) return { address, holders, ok: false, detail: `held by no director${tail}` };
  return { address, holders, ok: false, detail: `split brain: held by ${holders.join(' and ')}${tail}` };
}

export interface NeighbourVerdict {
  address: string;
  before?: string;
  after?: string;
  /** The MAC of the holder's interface. */
  expected?: string;
  /** null: the client has no entry for the address (not on its segment, or routed). */
  moved: boolean | null;
}

/** Did the client's neighbour entry for the VIP follow the VIP (gratuitous ARP worked)? */
export function judgeNeighbour(
  address: string,
  before?: string,
  after?: string,
  expected?: string,
): NeighbourVerdict {
  const moved = after === undefined || expected === undefined ? null : after === expected;
  return {
    address,
    ...(before ? { before } : {}),
    ...(after ? { after } : {}),
    ...(expected ? { expected } : {}),
    moved,
  };
}

export interface PhaseReport {
  phase: 'failover' | 'fail-back';
  from: string;
  to: string;
  /** null for an instance without VIPs in the stream (the NAT gateway instance). */
  outageMs: number | null;
  failedRequests: number;
  requests: number;
  longLived: { kept: number; total: number };
  boundMs: number;
  slackMs: number;
  withinBound: boolean;
  holders: HolderVerdict[];
  neighbours: NeighbourVerdict[];
  ok: boolean;
}

/** One phase's verdict: within the bound, exactly one holder per address, neighbours followed. */
export function judgePhase(
  p: Omit<PhaseReport, 'withinBound' | 'ok' | 'slackMs'> & { measured: boolean },
): PhaseReport {
  const { measured, ...rest } = p;
  const withinBound = !measured || (p.outageMs !== null && p.outageMs <= p.boundMs + SLACK_MS);
  const ok = withinBound && p.holders.every((h) => h.ok) && p.neighbours.every((n) => n.moved !== false);
  return { ...rest, slackMs: SLACK_MS, withinBound, ok };
}
