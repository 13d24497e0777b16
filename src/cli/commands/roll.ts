// roll --exec CMD: one batch of real servers at a time out of rotation, CMD on them, back in.
import { type Command, Option } from '@commander-js/extra-typings';
import { Directors } from '../../drain/directors.js';
import { UsageError } from '../../errors.js';
import { loadInventory } from '../../inventory/load.js';
import type { Inventory } from '../../inventory/types.js';
import { pickRealServers, type RollBatch, rollBatches } from '../../roll/order.js';
import { roll } from '../../roll/roll.js';
import { probesFor } from '../../verify/probes.js';
import { progressLog, seconds } from './drain.js';

interface RollCliOptions {
  exec: string;
  realservers?: string;
  all?: boolean;
  maxUnavailable: string;
  healthTimeout: string;
  timeout: string;
  dryRun?: boolean;
  json?: boolean;
  withoutIpvs?: boolean;
}

/** --dry-run: the order and, per batch, the checks that gate the next one. */
function describeRoll(inv: Inventory, batches: RollBatch[], o: RollCliOptions): string[] {
  const out = [`roll: ${batches.length} batch(es), at most ${o.maxUnavailable} real server(s) out at once`];
  for (const [i, b] of batches.entries()) {
    out.push(`batch ${i + 1}: ${b.realServers.join(', ')}`);
    for (const n of b.realServers) {
      const probes = probesFor(inv)
        .filter((p) => p.service.real_servers.some((r) => r.host === n || r.address === n))
        .map((p) => `${p.service.name} (${p.service.vip}:${p.service.port ?? 0})`);
      out.push(
        `  ${n}: drain --wait (timeout ${o.timeout}s) on ${inv.directors.hosts.join(', ')}`,
        `  ${n}: exec ${JSON.stringify(o.exec)} over SSH${inv.hosts[n]?.ssh.become ? ' with sudo' : ''}`,
        `  ${n}: in every director's table again (health timeout ${o.healthTimeout}s), then enable`,
        `  ${n}: a probe through the VIP answered by ${n}: ${probes.join(', ') || '(no probe covers it)'}`,
      );
    }
  }
  return out;
}

async function run(file: string, o: RollCliOptions, debug: boolean): Promise<number> {
  const max = Number(o.maxUnavailable);
  if (!Number.isInteger(max) || max < 1)
    throw new UsageError(`--max-unavailable expects an integer ≥ 1, got "${o.maxUnavailable}"`);
  const healthTimeoutS = seconds(o.healthTimeout, '--health-timeout');
  const drainTimeoutS = seconds(o.timeout, '--timeout');
  if (o.exec.trim() === '') throw new UsageError('--exec: empty command');
  const inv = await loadInventory(file);
  const servers = pickRealServers(inv, o.realservers, Boolean(o.all));
  const batches = rollBatches(inv, servers, max);
  if (o.dryRun) {
    for (const l of describeRoll(inv, batches, o)) process.stdout.write(`${l}\n`);
    return 0;
  }
  const { SshTransport } = await import('../../connection/ssh.js');
  const connect = (t: Parameters<typeof SshTransport.connect>[0]) => SshTransport.connect(t);
  const dirs = new Directors(inv, { withoutIpvs: Boolean(o.withoutIpvs), debug, connect });
  await dirs.open();
  try {
    const report = await roll(dirs, batches, {
      exec: o.exec,
      healthTimeoutS,
      drainTimeoutS,
      connect,
      log: progressLog(o.json),
    });
    const done = report.servers.filter((s) => s.status === 'done').length;
    const summary = `roll: ${done}/${report.servers.length} real server(s) done in ${report.duration_s}s${report.ok ? '' : ' — FAILED'}`;
    if (o.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else process.stdout.write(`${summary}\n`);
    return report.ok ? 0 : 1;
  } finally {
    await dirs.close();
  }
}

export function registerRoll(program: Command): void {
  program
    .command('roll')
    .description(
      'maintenance behind the VIP: drain, run a command, bring back — one batch of real servers at a time',
    )
    .argument('[inventory]', 'inventory file', 'inventory.yaml')
    .requiredOption('--exec <cmd>', 'shell command run on each real server (over SSH, with become)')
    .option('--realservers <list>', 'these real servers, in this order (names or addresses, comma-separated)')
    .option('--all', 'every real server of the inventory, in inventory order')
    .option('--max-unavailable <n>', 'real servers out of rotation at once', '1')
    .option(
      '--health-timeout <seconds>',
      'how long a real server may take to be healthy and answer again',
      '120',
    )
    .option('--timeout <seconds>', 'how long drain --wait may take per real server', '300')
    .option('--dry-run', 'print the order and the checks, contact no host')
    .option('--json', 'print one JSON document at the end (progress goes to stderr)')
    .addOption(new Option('--without-ipvs', 'labs only: directors without IPVS').hideHelp())
    .addHelpText(
      'after',
      `
On any failure the roll stops, the real server that failed stays drained, and it exits 1.
Never more than --max-unavailable real servers are drained at once, and never the last one
serving a service.

Example:
  lvs-deploy roll inventories/seed-003-nat-keepalived.yaml --all --exec 'systemctl restart nginx'`,
    )
    .action(async (file, o) => {
      const debug = Boolean((program.opts() as { debug?: boolean }).debug);
      process.exitCode = await run(file, o, debug);
    });
}
