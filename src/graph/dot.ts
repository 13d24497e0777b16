// Graphviz DOT text for a topology graph: left to right, client → services (clustered by VIP) →
// directors (one cluster) → real servers (clustered by network). Written by us, so `--format dot`
// needs nothing installed; svg.ts lays it out.
import type { GraphNode, TopologyGraph } from './model.js';

const STYLE: Record<GraphNode['kind'], string> = {
  client: 'shape=box, style="rounded,filled", fillcolor="#eef2f7", color="#5b6b80"',
  service: 'shape=box, style="rounded,filled", fillcolor="#fff4d6", color="#b08400"',
  director: 'shape=box, style="filled", fillcolor="#dcebff", color="#2f64b5"',
  realserver: 'shape=box, style="filled", fillcolor="#e3f5e1", color="#2e7d32"',
};

/** --live: the fill and border of a node say what its host said. */
const STATE: Record<NonNullable<GraphNode['state']>, string> = {
  ok: ', penwidth=2',
  warn: ', fillcolor="#ffe4b8", color="#c77700", penwidth=2',
  bad: ', fillcolor="#ffd0d0", color="#c62828", penwidth=2.5',
};

/** A DOT string literal: quotes and backslashes escaped, lines joined with centred breaks. */
function str(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Title bold-ish by a blank-free first line; details below. DOT's \n centres each line. */
function label(lines: string[]): string {
  return str(lines.join('\n')).replace(/\n/g, '\\n');
}

export function toDot(g: TopologyGraph): string {
  const out: string[] = [
    `digraph ${str(g.title)} {`,
    '  graph [rankdir=LR, compound=true, nodesep=0.35, ranksep=1.1, fontname="Helvetica", fontsize=12, labelloc=t,',
    `         label=${str(`${g.title}: client → VIP → director → real server`)}, pad=0.2];`,
    '  node [fontname="Helvetica", fontsize=11, margin="0.15,0.08"];',
    '  edge [fontname="Helvetica", fontsize=10, color="#555555", arrowsize=0.7];',
  ];
  const clustered = new Set(g.clusters.flatMap((c) => c.nodes));
  const nodeLine = (n: GraphNode, indent: string) =>
    `${indent}${n.id} [label=${label(n.lines)}, ${STYLE[n.kind]}${n.dim ? ', style="dashed,filled"' : ''}${n.state ? STATE[n.state] : ''}];`;
  for (const n of g.nodes) if (!clustered.has(n.id)) out.push(nodeLine(n, '  '));
  for (const c of g.clusters) {
    const cid = c.id.startsWith('cluster_') ? c.id : `cluster_${c.id}`;
    out.push(`  subgraph ${cid} {`, `    label=${str(c.label)}; style="rounded,dashed"; color="#999999";`);
    for (const nid of c.nodes) {
      const n = g.nodes.find((x) => x.id === nid);
      if (n) out.push(nodeLine(n, '    '));
    }
    out.push('  }');
  }
  // The sender on the left edge, whatever the clusters pull.
  const sender = g.nodes.find((n) => n.kind === 'client');
  if (sender) out.push(`  { rank=min; ${sender.id}; }`);
  for (const e of g.edges) {
    const attrs: string[] = [];
    let to = e.to;
    const target = g.clusters.find((c) => c.id === e.to);
    if (target) {
      // DOT edges join nodes; clip at the cluster's border so the arrow means "to the directors".
      to = target.nodes[0] ?? e.to;
      attrs.push(`lhead=${target.id.startsWith('cluster_') ? target.id : `cluster_${target.id}`}`);
    }
    if (e.fromCluster) attrs.push(`ltail=${e.fromCluster}`);
    if (e.label) attrs.push(`label=${str(e.label)}`);
    if (e.dim) attrs.push('style=dashed');
    out.push(`  ${e.from} -> ${to}${attrs.length ? ` [${attrs.join(', ')}]` : ''};`);
  }
  out.push('}', '');
  return out.join('\n');
}
