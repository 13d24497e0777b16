// up, plan and down share one runner: load → expand → run every host → report → exit code.
import { type Command, Option } from '@commander-js/extra-typings';
import { UsageError } from '../../errors.js';
import type { HostResult, Mode } from '../../executor/host.js';
import { type Reporter, runAll } from '../../executor/run.js';
import { loadInventory } from '../../inventory/load.js';
import type { DesiredHost } from '../../model/types.js';
import { expandHost, expandInventory } from '../../roles/expand.js';
import { resolveLimit } from '../../roles/inventory-data.js';
import { withoutIpvs } from '../../roles/without-ipvs.js';
import { JsonReporter } from '../output/json.js';
import { LineReporter } from '../output/lines.js';

export interface ConvergeOptions {
  concurrency: string;
  limit?: string;
  json?: boolean;
  drainTimeout: string;
  detailedExitcode?: boolean;
  withoutIpvs?: boolean;
  failAfterStep?: string;
}

function positiveInt(text: string, flag: string, min = 1): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`${flag} expects an integer ≥ ${min}, got "${text}"`);
  return n;
}

// listr2 and ssh2 are loaded only when used: every module loaded costs start-up time on each run.
async function pickReporter(json: boolean | undefined): Promise<Reporter & { settle?: () => Promise<void> }> {
  if (json) return new JsonReporter();
  const tty = process.stdout.isTTY && !process.env.CI && process.env.TERM !== 'dumb';
  return tty ? new (await import('../output/tty.js')).TtyReporter() : new LineReporter();
}

export function exitCodeFor(
  results: HostResult[],
  mode: Mode,
  detailed: boolean,
  interrupted: boolean,
): number {
  if (interrupted) return 130;
  if (results.some((r) => r.status === 'failed' || r.status === 'unreachable')) return 1;
  if (mode === 'plan' && detailed && results.some((r) => r.status === 'changed')) return 3;
  return 0;
}

export async function converge(
  file: string,
  mode: Mode,
  opts: ConvergeOptions,
  debug: boolean,
): Promise<number> {
  const concurrency = positiveInt(opts.concurrency, '--concurrency');
  const drainSeconds = positiveInt(opts.drainTimeout, '--drain-timeout', 0);
  const failAfterStep =
    opts.failAfterStep === undefined ? undefined : positiveInt(opts.failAfterStep, '--fail-after-step', 0);
  const inv = await loadInventory(file);
  const strip = opts.withoutIpvs ? withoutIpvs : (d: DesiredHost) => d;
  const desired = new Map([...expandInventory(inv)].map(([k, d]) => [k, strip(d)]));
  let hosts = [...desired.values()].filter(
    (d) => d.kinds.includes('director') || d.kinds.includes('realserver'),
  );
  if (opts.limit) {
    const wanted = opts.limit
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const { hosts: names, unknown } = resolveLimit(inv, wanted);
    if (unknown.length > 0)
      throw new UsageError(`--limit: unknown host(s) or group(s) ${unknown.join(', ')} (not in ${file})`);
    hosts = hosts.filter((h) => names.includes(h.host));
  }
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write(
      '\ninterrupted: hosts in flight finish or roll back; no new host starts (Ctrl-C again to quit now)\n',
    );
  };
  process.on('SIGINT', onSigint);
  const reporter = await pickReporter(opts.json);
  const { SshTransport } = await import('../../connection/ssh.js');
  try {
    const results = await runAll(inv, hosts, {
      mode,
      concurrency,
      drainSeconds,
      ...(failAfterStep !== undefined ? { failAfterStep } : {}),
      debug,
      reporter,
      connect: (target) => SshTransport.connect(target),
      expand: (host, os) => strip(expandHost(inv, host, { os })),
      interrupted: () => interrupted,
    });
    await reporter.settle?.();
    return exitCodeFor(results, mode, opts.detailedExitcode ?? false, interrupted);
  } finally {
    process.off('SIGINT', onSigint);
  }
}

interface CommandSpec {
  name: Mode;
  description: string;
  help: string;
}

const SPECS: CommandSpec[] = [
  {
    name: 'up',
    description: 'converge every host of the inventory over SSH, in parallel (idempotent)',
    help: `
Each host: one SSH connection, facts in one round trip, then one script that backs up, applies
the minimal changes, validates keepalived.conf before swapping it, and re-reads the facts. If a
step or the post-check fails the host is rolled back to its backup and reported failed; the other
hosts go on. Under keepalived the MASTER director is changed last.

Examples:
  lvs-deploy up inventories/seed-002-dr-keepalived.yaml
  lvs-deploy up inv.yaml --limit web1,web2 --json`,
  },
  {
    name: 'plan',
    description: 'show what `up` would change on every host (changes nothing)',
    help: `
Files are shown as unified diffs (a file holding a secret is never shown), sysctls, addresses,
routes and IPVS entries as old → new. With --detailed-exitcode: exit 3 when changes are pending.

Example:
  lvs-deploy plan inventories/seed-001-lic-nat.yaml --detailed-exitcode`,
  },
  {
    name: 'down',
    description: 'remove what `up` installed and restore the sysctls and routes it found',
    help: `
Only what lvs-deploy recorded on each host (/var/lib/lvs-deploy/state.json) is removed: its files
(or the originals they replaced are put back), addresses, routes, IPVS services and daemons.

Example:
  lvs-deploy down inventories/seed-004-wikipedia-nat.yaml`,
  },
];

export function registerConverge(program: Command): void {
  for (const spec of SPECS) {
    const cmd = program
      .command(spec.name)
      .description(spec.description)
      .argument('[inventory]', 'inventory file', 'inventory.yaml')
      .option('-c, --concurrency <n>', 'hosts in flight at once', '32')
      .option(
        '-l, --limit <hosts>',
        'only these hosts (comma-separated host or group names from the inventory)',
      )
      .option('--json', "print one JSON document with every host's result")
      .option(
        '--drain-timeout <seconds>',
        'how long a removed real server may drain (weight 0) before it is deleted',
        '10',
      )
      .option('--detailed-exitcode', 'plan: exit 3 when changes are pending (0: none)')
      .addOption(
        new Option('--without-ipvs', 'benchmarks only: leave out IPVS modules, sysctls and table').hideHelp(),
      )
      .addOption(
        new Option('--fail-after-step <n>', 'tests only: make apply step N fail after it ran').hideHelp(),
      )
      .addHelpText('after', spec.help);
    cmd.action(async (file, o) => {
      const debug = Boolean((program.opts() as { debug?: boolean }).debug);
      process.exitCode = await converge(file, spec.name, o, debug);
    });
  }
}
