// `graph --live`: the inventory's picture coloured with what `status` read from the directors —
// who holds each VIP now (MASTER/BACKUP/FAULT/STOPPED, unreachable), and each real server's
// health (removed by the checker, quiesced, missing) or operator drain. The picture stays the
// inventory's: live state only adds lines and colours, so a glance shows where they disagree.
import type { StatusReport } from '../status/types.js';
import type { GraphNode, NodeState, TopologyGraph } from './model.js';

const WORSE: Record<NodeState, number> = { ok: 0, warn: 1, bad: 2 };
const worse = (a: NodeState | undefined, b: NodeState): NodeState =>
  a === undefined || WORSE[b] > WORSE[a] ? b : a;

function directorLive(r: StatusReport, name: string): { lines: string[]; state: NodeState } {
  const d = r.directors.find((x) => x.director === name);
  if (!d?.reachable) return { lines: ['live: unreachable'], state: 'bad' };
  const lines: string[] = [];
  let state: NodeState = 'ok';
  for (const i of r.instances.filter((x) => x.director === name)) {
    lines.push(`live: ${i.instance} ${i.state}${i.held.length ? ` holds ${i.held.join(', ')}` : ''}`);
    if (i.state === 'FAULT' || i.state === 'STOPPED') state = 'bad';
  }
  if (d.daemon && !d.daemon.running) {
    lines.push(`live: ${d.daemon.name} not running`);
    state = 'bad';
  }
  if (d.ipvs === 'no-kernel') lines.push('live: no IPVS in this kernel');
  return { lines, state };
}

function realServerLive(r: StatusReport, name: string): { lines: string[]; state?: NodeState } {
  const lines = new Set<string>();
  let state: NodeState | undefined;
  for (const s of r.services)
    for (const d of s.directors)
      for (const rs of d.real_servers.filter((x) => x.real_server === name)) {
        if (rs.drained) {
          lines.add(`live: drained (${s.service}) since ${rs.drained.since}`);
          state = worse(state, 'warn');
        } else if (rs.health === 'removed' || rs.health === 'missing') {
          lines.add(`live: ${rs.health} on ${d.director} (${s.service})`);
          state = worse(state, 'bad');
        } else if (rs.health === 'quiesced') {
          lines.add(`live: quiesced on ${d.director} (${s.service})`);
          state = worse(state, 'warn');
        } else if (rs.health === 'up') {
          state = worse(state, 'ok');
        }
      }
  return { lines: [...lines], ...(state ? { state } : {}) };
}

export function withLiveState(g: TopologyGraph, r: StatusReport, directors: string[]): TopologyGraph {
  const nodes = g.nodes.map((n): GraphNode => {
    // A director's or real server's first line is its inventory name (an address when unmanaged).
    const name = (n.lines[0] ?? '').replace(/ \(not managed\)$/, '');
    if (n.kind === 'director' && directors.includes(name)) {
      const live = directorLive(r, name);
      // Live VRRP state replaces what the priorities predict: dashed means BACKUP now.
      const backup = r.instances.some((i) => i.director === name && i.state !== 'MASTER');
      return { ...n, lines: [...n.lines, ...live.lines], state: live.state, dim: backup };
    }
    if (n.kind === 'realserver') {
      const live = realServerLive(r, name);
      return { ...n, lines: [...n.lines, ...live.lines], ...(live.state ? { state: live.state } : {}) };
    }
    return n;
  });
  const alarms = r.alarms.length === 0 ? 'no alarms' : r.alarms.map((a) => a.message).join('; ');
  return { ...g, nodes, title: `${g.title} (live ${r.time}: ${alarms})` };
}
