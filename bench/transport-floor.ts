// The ssh2 floor through lvs-deploy's own transport, in one process: connect to every host of the
// inventory at once and run `true` on each. Prints JSON: ms (connect + exec, all hosts), connect
// ms (all hosts), peak RSS. Run inside the lab's control namespace with the lab env (bench/run.ts).
import { SshTransport } from '../src/connection/ssh.js';
import { resolveTarget } from '../src/connection/target.js';
import { loadInventory } from '../src/inventory/load.js';

const file = process.argv[2];
if (!file) throw new Error('usage: transport-floor.ts INVENTORY');
const inv = await loadInventory(file);
const names = Object.keys(inv.hosts);
const started = performance.now();
let connected = 0;
const results = await Promise.all(
  names.map(async (name) => {
    const t = await SshTransport.connect(resolveTarget(inv, name));
    connected = Math.max(connected, performance.now() - started);
    try {
      return (await t.run('true')).code;
    } finally {
      await t.close();
    }
  }),
);
const ms = performance.now() - started;
const failed = results.filter((c) => c !== 0).length;
process.stdout.write(
  `${JSON.stringify({ ms: Math.round(ms), connectMs: Math.round(connected), failed, maxRssKb: process.resourceUsage().maxRSS })}\n`,
);
process.exitCode = failed > 0 ? 1 : 0;
