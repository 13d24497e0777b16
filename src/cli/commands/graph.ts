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
    .option('--live', 'read every director like `status` (one SSH round trip each) and colour the picture')
    .addHelpText(
      'after',
      `
Reads only the inventory: no host is contacted. SVG is laid out by Graphviz compiled to WebAssembly
(shipped with lvs-deploy, nothing to install); Mermaid pastes into GitHub/GitLab Markdown; DOT feeds
your own Graphviz. Dashed: BACKUP directors, drained real servers (weight 0).
With --live the directors are read like \`status\` does: each director shows its live VRRP state and
the VIPs it holds (dashed = BACKUP now), real servers are orange when drained or quiesced and red
when the checker removed them or a director's table lacks them; the title lists status's alarms.

Example:
  lvs-deploy graph inventories/seed-003-nat-keepalived.yaml -o seed-003.svg
  lvs-deploy graph inventory.yaml --format mermaid
  lvs-deploy graph inventory.yaml --live -o now.svg`,
    )
    .action(async (file, opts) => {
      const inv = await loadInventory(file);
      let graph = topologyGraph(inv);
      if (opts.live) {
        const { expandInventory } = await import('../../roles/expand.js');
        const { SshTransport } = await import('../../connection/ssh.js');
        const { readStatus } = await import('../../status/run.js');
        const { withLiveState } = await import('../../graph/live.js');
        const report = await readStatus(inv, expandInventory(inv), {
          connect: (t) => SshTransport.connect(t),
        });
        graph = withLiveState(graph, report, inv.directors.hosts);
      }
      let text: string;
      if (opts.format === 'mermaid') text = toMermaid(graph);
      else if (opts.format === 'dot') text = toDot(graph);
      else text = await (await import('../../graph/svg.js')).dotToSvg(toDot(graph));
      if (opts.output) await writeFile(opts.output, text);
      else process.stdout.write(text);
    });
}
