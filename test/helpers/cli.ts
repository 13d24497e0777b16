// Run the real CLI as a child process (the built dist/ when present and current, else via tsx),
// optionally inside a lab's control namespace with the lab's key and known_hosts.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
const DIST = join(ROOT, 'dist', 'cli', 'main.js');

/** Newest modification time under src/: dist/ is current only when built after every source change. */
function newestSource(): number {
  const src = join(ROOT, 'src');
  return Math.max(
    ...readdirSync(src, { recursive: true, encoding: 'utf8' }).map((f) => statSync(join(src, f)).mtimeMs),
  );
}

let fresh: boolean | undefined;

function cliArgv(): string[] {
  fresh ??= existsSync(DIST) && statSync(DIST).mtimeMs >= newestSource();
  return fresh && !process.env.LVS_TEST_TSX
    ? [process.execPath, DIST]
    : [process.execPath, '--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts')];
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  input?: string,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const [cmd, ...args] = argv;
    const child = spawn(cmd ?? 'false', args, { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({
        code: code ?? (signal === 'SIGINT' ? 130 : 128),
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
      }),
    );
    child.stdin.end(input ?? '');
  });
}

/** lvs-deploy ARGS on the control node. */
export function cli(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<CliResult> {
  return run([...cliArgv(), ...args], env);
}

/** lvs-deploy ARGS inside a lab's control namespace (what `lab exec` does). */
export function cliInLab(controlNs: string, labEnv: NodeJS.ProcessEnv, args: string[]): Promise<CliResult> {
  return run(['ip', 'netns', 'exec', controlNs, ...cliArgv(), ...args], labEnv);
}
