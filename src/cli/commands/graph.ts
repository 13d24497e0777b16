import { writeFile } from 'node:fs/promises';
import { type Command, Option } from '@commander-js/extra-typings';
import { toDot } from '../../graph/dot.js';
import { toMermaid } from '../../graph/mermaid.js';
import { topologyGraph } from '../../graph/model.js';
import { loadInventory } from '../../inventory/load.js';

const FORMATS = ['svg', 'mermaid', 'dot'] as const;

export function registerGraph(program: Command): void {
  program
    .command('graph')
    .description('draw the topology: client → VIPs → directors → real servers (SVG, Mermaid or DOT)')
    .argument('[inventory]', 'inventory file', 'inventory.yaml')
    .addOption(new Option('--format <format>', 'output format').choices(FORMATS).default('svg' as const))
    .option('-o, --output <file>', 'write to FILE instead of stdout')
    .addHelpText(
      'after',
      `
Reads only the inventory: no host is contacted. SVG is laid out by Graphviz compiled to WebAssembly
(shipped with lvs-deploy, nothing to install); Mermaid pastes into GitHub/GitLab Markdown; DOT feeds
your own Graphviz. Dashed: BACKUP directors, drained real servers (weight 0).

Example:
  lvs-deploy graph inventories/seed-003-nat-keepalived.yaml -o seed-003.svg
  lvs-deploy graph inventory.yaml --format mermaid`,
    )
    .action(async (file, opts) => {
      const graph = topologyGraph(await loadInventory(file));
      let text: string;
      if (opts.format === 'mermaid') text = toMermaid(graph);
      else if (opts.format === 'dot') text = toDot(graph);
      else text = await (await import('../../graph/svg.js')).dotToSvg(toDot(graph));
      if (opts.output) await writeFile(opts.output, text);
      else process.stdout.write(text);
    });
}
