// drain / enable REAL_SERVER: weight 0 (or back) on every director, durably (operator.json).
import { type Command, Option } from '@commander-js/extra-typings';
import { Directors } from '../../drain/directors.js';
import { type DrainAction, drainOrEnable } from '../../drain/drain.js';
import { drainTarget } from '../../drain/select.js';
import { UsageError } from '../../errors.js';
import { loadInventory } from '../../inventory/load.js';

export interface DrainCliOptions {
  service?: string;
  wait?: boolean;
  timeout?: string;
  force?: boolean;
  json?: boolean;
  withoutIpvs?: boolean;
}

/** Progress: lines, or on a TTY the live count rewritten in place. --json: progress to stderr. */
export function progressLog(json: boolean | undefined): (line: string, live?: boolean) => void {
  const out = json ? process.stderr : process.stdout;
  const tty = Boolean(out.isTTY) && !process.env.CI && process.env.TERM !== 'dumb';
  let pending = false;
  return (line, live) => {
    const stamp = new Date().toISOString().slice(11, 19);
    if (tty && live) {
      out.write(`\r\x1b[K${stamp} ${line}`);
      pending = true;
      return;
    }
    if (pending) out.write('\n');
    pending = false;
    out.write(`${stamp} ${line}\n`);
  };
}

export function seconds(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0)
    throw new UsageError(`${flag} expects a number of seconds > 0, got "${text}"`);
  return n;
}

async function run(
  action: DrainAction,
  file: string,
  realServer: string,
  o: DrainCliOptions,
  debug: boolean,
) {
  const timeoutS = seconds(o.timeout ?? '300', '--timeout');
  const inv = await loadInventory(file);
  const target = drainTarget(inv, realServer, o.service);
  const { SshTransport } = await import('../../connection/ssh.js');
  const dirs = new Directors(inv, {
    withoutIpvs: Boolean(o.withoutIpvs),
    debug,
    connect: (t) => SshTransport.connect(t),
  });
  await dirs.open();
  try {
    const report = await drainOrEnable(dirs, target, action, {
      wait: Boolean(o.wait),
      timeoutS,
      force: Boolean(o.force),
      log: progressLog(o.json),
    });
    if (o.json) process.stdout.write(`${JSON.stringify({ version: 1, ...report }, null, 2)}\n`);
    return 0;
  } finally {
    await dirs.close();
  }
}

export function registerDrain(program: Command): void {
  for (const action of ['drain', 'enable'] as const) {
    const cmd = program
      .command(action)
      .description(
        action === 'drain'
          ? 'weight 0 for a real server on every director, durably: new connections stop, open ones finish'
          : 'put a drained real server back into rotation on every director',
      )
      .argument('<real-server>', 'inventory host name or address of the real server')
      .argument('[inventory]', 'inventory file', 'inventory.yaml')
      .option('--service <name>', 'only this service (default: every service the real server is in)')
      .option('--json', 'print one JSON document at the end (progress goes to stderr)')
      .addOption(new Option('--without-ipvs', 'labs only: directors without IPVS').hideHelp());
    if (action === 'drain')
      cmd
        .option('--wait', 'wait until the real server has no active connection on any director')
        .option('--timeout <seconds>', 'with --wait: give up (exit 1) after this long', '300')
        .option('--force', 'drain even the last real server with weight > 0 of a service');
    cmd.action(async (realServer, file, o) => {
      const debug = Boolean((program.opts() as { debug?: boolean }).debug);
      process.exitCode = await run(action, file, realServer, o as DrainCliOptions, debug);
    });
  }
}
