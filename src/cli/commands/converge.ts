// up, plan and down share one runner: load → expand → run every host → report → exit code.
import { type Command, Option } from '@commander-js/extra-typings';
import { expandDrained } from '../../drain/operator.js';
import { UsageError } from '../../errors.js';
import type { HostResult, Mode } from '../../executor/host.js';
import { type Reporter, runAll } from '../../executor/run.js';
import { loadInventory } from '../../inventory/load.js';
import type { DesiredHost } from '../../model/types.js';
import { expandInventory, secretValues } from '../../roles/expand.js';
import { withoutIpvs } from '../../roles/without-ipvs.js';
import { JsonReporter } from '../output/json.js';
import { LineReporter } from '../output/lines.js';
import { applyConnectTimeout, hostList } from './options.js';

export interface ConvergeOptions {
  concurrency: string;
  limit?: string;
  json?: boolean;
  drainTimeout: string;
  detailedExitcode?: boolean;
  withoutIpvs?: boolean;
  failAfterStep?: string;
  connectTimeout?: string;
  enableDrained?: boolean;
}

function positiveInt(text: string, flag: string, min = 1): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`${flag} expects an integer ≥ ${min}, got "${text}"`);
  return n;
}

/**
 * Redraw task lines only on a terminal that can show them: a TTY reporting 0 columns (`script -qc`,
 * some CI consoles) would wrap every character and split escape codes, so it gets plain lines.
 */
export function liveTerminal(out: { isTTY?: boolean; columns?: number }, env: NodeJS.ProcessEnv): boolean {
  return !!out.isTTY && (out.columns ?? 0) > 0 && !env.CI && env.TERM !== 'dumb';
}

// listr2 and ssh2 are loaded only when used: every module loaded costs start-up time on each run.
async function pickReporter(
  json: boolean | undefined,
  secrets: string[],
): Promise<Reporter & { settle?: () => Promise<void> }> {
  if (json) return new JsonReporter(secrets);
  return liveTerminal(process.stdout, process.env)
    ? new (await import('../output/tty.js')).TtyReporter(secrets)
    : new LineReporter(process.stdout, secrets);
}

function exitCodeFor(results: HostResult[], mode: Mode, detailed: boolean, interrupted: boolean): number {
  if (interrupted) return 130;
  if (results.some((r) => r.status === 'failed' || r.status === 'unreachable')) return 1;
  if (mode === 'plan' && detailed && results.some((r) => r.status === 'changed')) return 3;
  return 0;
}

async function converge(file: string, mode: Mode, opts: ConvergeOptions, debug: boolean): Promise<number> {
  const concurrency = positiveInt(opts.concurrency, '--concurrency');
  const drainSeconds = positiveInt(opts.drainTimeout, '--drain-timeout', 0);
  performance.mark('lvs:command');
  const failAfterStep =
    opts.failAfterStep === undefined ? undefined : positiveInt(opts.failAfterStep, '--fail-after-step', 0);
  // Under `lab exec` the lab's key replaces every identity: the inventory's need not exist here.
  // plan and up print validate's warnings (same lines, stderr) before their work; down removes.
  const inv = await loadInventory(file, {
    checkIdentity: !process.env.LVS_DEPLOY_LAB_IDENTITY,
    ...(mode !== 'down' ? { onWarning: (line: string) => process.stderr.write(`${line}\n`) } : {}),
  });
  applyConnectTimeout(inv, opts.connectTimeout);
  performance.mark('lvs:inventory');
  const strip = opts.withoutIpvs ? withoutIpvs : (d: DesiredHost) => d;
  const desired = new Map([...expandInventory(inv)].map(([k, d]) => [k, strip(d)]));
  performance.mark('lvs:expanded');
  let hosts = [...desired.values()].filter(
    (d) => d.kinds.includes('director') || d.kinds.includes('realserver'),
  );
  const wanted = hostList(opts.limit, inv);
  if (wanted) hosts = hosts.filter((h) => wanted.includes(h.host));
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write(
      '\ninterrupted: hosts in flight finish or roll back; no new host starts (Ctrl-C again to quit now)\n',
    );
  };
  process.on('SIGINT', onSigint);
  const reporter = await pickReporter(opts.json, secretValues(inv));
  const { SshTransport } = await import('../../connection/ssh.js');
  performance.mark('lvs:ssh-loaded');
  try {
    const results = await runAll(inv, hosts, {
      mode,
      concurrency,
      drainSeconds,
      ...(failAfterStep !== undefined ? { failAfterStep } : {}),
      debug,
      reporter,
      connect: (target) => SshTransport.connect(target),
      expand: (host, os, drains) => strip(expandDrained(inv, host, os, drains ?? [])),
      ...(opts.enableDrained ? { drains: () => [] } : {}),
      interrupted: () => interrupted,
    });
    await reporter.settle?.();
    const noIpvs = results.filter((r) => /kernel has no IPVS/.test(r.error ?? '')).map((r) => r.host);
    if (noIpvs.length > 0 && !opts.json)
      process.stderr.write(
        `hint: ${noIpvs.join(', ')}: this kernel has no IPVS (as in the netns lab); the other hosts are reported above. ` +
          `For directors that can forward: lvs-deploy lab down ${file} && lvs-deploy lab up --vm ${file}\n`,
      );
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
Files are shown as unified diffs (a secret in a file is shown as ***), sysctls, addresses,
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
      .option('--json', "print one JSON document with every host's result (shape: docs/json.md)")
      .option(
        '--drain-timeout <seconds>',
        'how long a removed real server may drain (weight 0) before it is deleted',
        '10',
      )
      .option(
        '--connect-timeout <seconds>',
        "SSH connect timeout, overriding the inventory's ssh.connect_timeout",
      )
      .option('--enable-drained', 'up: put back every real server an operator drained (clears operator.json)')
      .addOption(
        new Option('--without-ipvs', 'benchmarks only: leave out IPVS modules, sysctls and table').hideHelp(),
      )
      .addOption(
        new Option('--fail-after-step <n>', 'tests only: make apply step N fail after it ran').hideHelp(),
      )
      .addHelpText('after', spec.help);
    if (spec.name === 'plan') cmd.option('--detailed-exitcode', 'exit 3 when changes are pending (0: none)');
    cmd.action(async (file, o) => {
      const debug = Boolean((program.opts() as { debug?: boolean }).debug);
      process.exitCode = await converge(file, spec.name, o, debug);
    });
  }
}
