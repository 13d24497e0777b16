// `lab exec`: run a command in the lab's control namespace as a well-behaved parent — signals sent
// to lvs-deploy (Ctrl-C, kill, a CI timeout) reach the command, and lvs-deploy returns only once
// the command has ended, with its exit code. `lvs-deploy` inside the command is this very program.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sh } from '../connection/shell.js';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const SIGNAL_NUMBER: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

/**
 * Write DIR/lvs-deploy, a shim that runs this same program (same node, same loader flags), so
 * `lab exec INV -- lvs-deploy up INV` works without lvs-deploy on PATH, also inside `sh -c`.
 */
export async function selfShim(dir: string): Promise<string> {
  const bin = join(dir, 'bin');
  await mkdir(bin, { recursive: true, mode: 0o700 });
  const argv = [process.execPath, ...process.execArgv, process.argv[1] ?? ''];
  await writeFile(join(bin, 'lvs-deploy'), sh`#!/bin/sh\nexec ${argv} "$@"\n`.render());
  await chmod(join(bin, 'lvs-deploy'), 0o755);
  return bin;
}

/** This process's group is the foreground group of its terminal (/proc/self/stat: pgrp, tpgid). */
function inForegroundOfTerminal(): boolean {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const [pgrp, tpgid] = [Number(f[2]), Number(f[5])];
    return tpgid > 0 && pgrp === tpgid;
  } catch {
    return false;
  }
}

/** Run argv; forward SIGINT/SIGTERM/SIGHUP to it and wait for it. Exit code, or 128+signal. */
export function runForwarding(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [cmd = 'false', ...args] = argv;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: 'inherit', env });
    // A terminal's Ctrl-C already reaches the child (same foreground process group): sending it
    // again would read as a second Ctrl-C ("quit now"). Forward only what the child did not get.
    const forward = (sig: NodeJS.Signals) => {
      if (sig === 'SIGINT' && inForegroundOfTerminal()) return;
      if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    };
    for (const s of SIGNALS) process.on(s, forward);
    const done = () => {
      for (const s of SIGNALS) process.off(s, forward);
    };
    child.on('error', (err) => {
      done();
      reject(err);
    });
    child.on('close', (code, signal) => {
      done();
      resolve(code ?? (signal ? 128 + (SIGNAL_NUMBER[signal] ?? 0) : 1));
    });
  });
}
