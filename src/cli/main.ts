#!/usr/bin/env node
// The lvs-deploy command line: one program, one error boundary, documented exit codes.
import module from 'node:module';
import { Command, CommanderError } from '@commander-js/extra-typings';
import { LvsError } from '../errors.js';
import { registerCommands } from './commands/index.js';
import { version } from './version.js';

export const EXIT = { ok: 0, failed: 1, input: 2, pending: 3, interrupted: 130 } as const;

// Node ≥ 22.1 keeps compiled code on disk between runs (here: the bundle's chunks); Node 20 has no
// such cache and skips this.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();

async function program(argv: string[]): Promise<Command> {
  const p = new Command('lvs-deploy')
    .description(
      'Provision whole LVS/IPVS topologies over SSH from one YAML inventory:\n' +
        'directors (ipvsadm, keepalived or ldirectord) and real servers (NAT, DR, TUN), and prove traffic flows.',
    )
    .version(version(), '-V, --version')
    .option('--debug', 'show stack traces and remote scripts (secrets stay masked)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  p.addHelpText(
    'after',
    `
Exit codes: 0 ok, 1 a host failed or was unreachable, 2 bad input or usage (no host contacted),
            3 changes pending (plan --detailed-exitcode), 130 interrupted.

Example:
  lvs-deploy validate inventories/seed-002-dr-keepalived.yaml
  lvs-deploy lab up inventories/seed-001-lic-nat.yaml
  lvs-deploy lab exec inventories/seed-001-lic-nat.yaml -- lvs-deploy up inventories/seed-001-lic-nat.yaml`,
  );
  await registerCommands(p, argv);
  return p;
}

// `lvs-deploy … | head` closes the pipe early: stop quietly, like any Unix filter, not with a trace.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

function report(err: unknown, debug: boolean): number {
  if (err instanceof CommanderError) {
    if (
      err.code === 'commander.helpDisplayed' ||
      err.code === 'commander.version' ||
      err.code === 'commander.help'
    )
      return 0;
    return EXIT.input;
  }
  if (err instanceof LvsError) {
    for (const line of err.lines()) process.stderr.write(`${line}\n`);
    if (debug && err.stack) process.stderr.write(`${err.stack}\n`);
    return err.exitCode;
  }
  const e = err as Error;
  process.stderr.write(`lvs-deploy: ${e?.message ?? String(err)}\n`);
  if (debug && e?.stack) process.stderr.write(`${e.stack}\n`);
  else process.stderr.write('(this is a bug in lvs-deploy; rerun with --debug for details)\n');
  return EXIT.failed;
}

export async function main(argv: string[]): Promise<number> {
  try {
    const p = await program(argv);
    await p.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    return report(err, argv.includes('--debug'));
  }
}

const code = await main(process.argv);
process.exitCode = code;
