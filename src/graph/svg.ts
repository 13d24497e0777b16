// DOT → SVG with Graphviz compiled to WebAssembly (@hpcc-js/wasm-graphviz): no system package on
// the control node. Imported lazily, only for --format svg, so other commands never load the WASM.

export async function dotToSvg(dot: string): Promise<string> {
  const { Graphviz } = await import('@hpcc-js/wasm-graphviz');
  const graphviz = await Graphviz.load();
  return graphviz.dot(dot, 'svg');
}
