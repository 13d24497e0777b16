// Driver for concurrent-runs.test.ts, run inside the lab's control namespace: ROUNDS times, two
// `up` runs at once, then `up` + `down` at once, each followed by a `plan`. The runs are two
// independent runAll calls (own run id each), as two processes would be, minus Node's start-up.
// Prints one JSON line per round.

import { SshTransport } from '../../src/connection/ssh.js';
import type { HostResult, Mode } from '../../src/executor/host.js';
import { type Reporter, runAll } from '../../src/executor/run.js';
import { loadInventory } from '../../src/inventory/load.js';
import { expandHost, expandInventory } from '../../src/roles/expand.js';
import { withoutIpvs } from '../../src/roles/without-ipvs.js';

const [file = '', rounds = '20'] = process.argv.slice(2);
const inv = await loadInventory(file);
const hosts = [...expandInventory(inv).values()]
  .filter((d) => d.kinds.includes('director') || d.kinds.includes('realserver'))
  .map(withoutIpvs);
const quiet: Reporter = { start() {}, stage() {}, result() {}, finish() {} };
const run = (mode: Mode) =>
  runAll(inv, hosts, {
    mode,
    concurrency: 16,
    drainSeconds: 0,
    debug: false,
    reporter: quiet,
    connect: (t) => SshTransport.connect(t),
    expand: (h, os) => withoutIpvs(expandHost(inv, h, { os })),
    interrupted: () => false,
  });
const brief = (rs: HostResult[]) =>
  Object.fromEntries(rs.map((r) => [r.host, { status: r.status, changes: r.changes, error: r.error }]));

await run('down');
const fresh = brief(await run('plan'));
process.stdout.write(`${JSON.stringify({ kind: 'fresh', plan: fresh })}\n`);
for (let i = 0; i < Number(rounds); i++) {
  await run('down');
  const upUp = await Promise.all([run('up'), run('up')]);
  const afterUpUp = brief(await run('plan'));
  const upDown = await Promise.all([run('up'), run('down')]);
  const afterUpDown = brief(await run('plan'));
  process.stdout.write(
    `${JSON.stringify({ round: i, upUp: upUp.map(brief), afterUpUp, upDown: upDown.map(brief), afterUpDown })}\n`,
  );
}
