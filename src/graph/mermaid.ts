// Mermaid flowchart text of a topology graph, for pasting into a README or a wiki.
import type { TopologyGraph } from './model.js';

/** Mermaid labels are quoted strings; a quote becomes #quot; and lines join with <br/>. */
function text(lines: string[]): string {
  return `"${lines.map((l) => l.replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;')).join('<br/>')}"`;
}

export function toMermaid(g: TopologyGraph): string {
  const out = ['flowchart LR'];
  const clustered = new Set(g.clusters.flatMap((c) => c.nodes));
  const node = (id: string, indent: string) => {
    const n = g.nodes.find((x) => x.id === id);
    if (!n) return;
    const shape = n.kind === 'service' || n.kind === 'client' ? ['(', ')'] : ['[', ']'];
    out.push(`${indent}${n.id}${shape[0]}${text(n.lines)}${shape[1]}`);
  };
  for (const n of g.nodes) if (!clustered.has(n.id)) node(n.id, '  ');
  for (const c of g.clusters) {
    out.push(`  subgraph ${c.id}[${text([c.label])}]`);
    for (const nid of c.nodes) node(nid, '    ');
    out.push('  end');
  }
  for (const e of g.edges) {
    const from = e.fromCluster ?? e.from;
    const arrow = e.dim ? '-.->' : '-->';
    out.push(`  ${from} ${arrow}${e.label ? `|${text([e.label])}|` : ''} ${e.to}`);
  }
  const dim = g.nodes.filter((n) => n.dim).map((n) => n.id);
  if (dim.length) out.push(`  classDef dim stroke-dasharray: 4 3`, `  class ${dim.join(',')} dim`);
  for (const [state, css] of [
    ['warn', 'fill:#ffe4b8,stroke:#c77700'],
    ['bad', 'fill:#ffd0d0,stroke:#c62828,stroke-width:3px'],
  ] as const) {
    const ids = g.nodes.filter((n) => n.state === state).map((n) => n.id);
    if (ids.length) out.push(`  classDef ${state} ${css}`, `  class ${ids.join(',')} ${state}`);
  }
  out.push('');
  return out.join('\n');
}
