// One measurement each: the OpenSSH floor, the ssh2 transport floor, `lvs-deploy up`, the Ansible
// playbook. Everything runs in the lab's control namespace with the lab key and known_hosts;
// wall time is taken around the whole child (process start included, as a user sees it).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabState } from '../src/lab/netns.js';
import { labEnv } from '../src/lab/netns.js';
import { labSshArgs } from '../src/lab/state.js';
import { countSince, markLogs, type SshdCounts } from './lab.js';

export const ROOT = join(import.meta.dirname, '..');
const DIST = join(ROOT, 'dist', 'cli', 'main.js');

/** Children in flight: killed if the bench is interrupted. */
export const children = new Set<ChildProcess>();

export interface Exec {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export function exec(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<Exec> {
  return new Promise((resolve, reject) => {
    const [cmd, ...args] = argv;
    const started = performance.now();
    const child = spawn(cmd ?? 'false', args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      children.delete(child);
      reject(e);
    });
    child.on('close', (code, signal) => {
      children.delete(child);
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        ms: performance.now() - started,
      });
    });
  });
}

function newestMtime(dir: string): number {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .reduce((t, e) => Math.max(t, statSync(join(e.parentPath, e.name)).mtimeMs), 0);
}

export interface Cli {
  argv: string[];
  how: string;
}

let chosen: Cli | undefined;

/**
 * The lvs-deploy the bench measures, chosen once so every run uses the same build: dist/ when it
 * is at least as new as every src/ file (or `stale` is accepted), else a fresh `npm run build`,
 * else src/ via tsx (slower to start; said in the output).
 */
export async function chooseCli(acceptStale: boolean, log: (line: string) => void): Promise<Cli> {
  const dist: Cli = { argv: [process.execPath, DIST], how: 'dist/ (built)' };
  const fresh = () => existsSync(DIST) && statSync(DIST).mtimeMs >= newestMtime(join(ROOT, 'src'));
  if (fresh()) chosen = dist;
  else if (acceptStale && existsSync(DIST))
    chosen = {
      ...dist,
      how: `dist/ as built at ${statSync(DIST).mtime.toISOString()} (older than src/, --no-build)`,
    };
  else {
    log('dist/ is missing or older than src/: npm run build');
    const b = await exec(['npm', 'run', 'build']);
    chosen =
      b.code === 0 && fresh()
        ? dist
        : {
            argv: [process.execPath, '--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts')],
            how: 'src/ via tsx (npm run build failed)',
          };
  }
  return chosen;
}

export function cliArgv(): Cli {
  if (!chosen) throw new Error('chooseCli() first');
  return chosen;
}

const inControl = (state: LabState, argv: string[]) => ['ip', 'netns', 'exec', state.controlNs, ...argv];

function sshArgv(state: LabState, address: string, port: number): string[] {
  return [...labSshArgs(state.stateDir, { address, port }, ['ControlMaster=no', 'ControlPath=none']), 'true'];
}

/** OpenSSH floor: one `ssh host true` process per host, all at once, in one control-ns shell. */
export async function opensshFloor(state: LabState, hosts: string[]): Promise<number> {
  const lines = hosts.map((h) => {
    const s = state.hosts[h];
    if (!s) throw new Error(`no lab host ${h}`);
    return `${sshArgv(state, s.address, s.port)
      .map((w) => `'${w}'`)
      .join(' ')} || echo fail >> "$f" &`;
  });
  const script = `f=$(mktemp); ${lines.join('\n')}\nwait; n=$(wc -l < "$f"); rm -f "$f"; [ "$n" -eq 0 ]`;
  // A file, not `sh -c`: 500 hosts' command lines pass the kernel's 128 KiB limit on one argument.
  const file = join(tmpdir(), `lvs-bench-floor-${process.pid}.sh`);
  writeFileSync(file, script);
  const r = await exec(inControl(state, ['sh', file])).finally(() => rmSync(file, { force: true }));
  if (r.code !== 0)
    throw new Error(`OpenSSH floor: some ssh failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return r.ms;
}

export interface TransportFloor {
  ms: number;
  connectMs: number;
  wallMs: number;
  maxRssKb: number;
}

export async function transportFloor(state: LabState, inventory: string): Promise<TransportFloor> {
  const r = await exec(
    inControl(state, [
      process.execPath,
      '--import',
      'tsx',
      join(ROOT, 'bench', 'transport-floor.ts'),
      inventory,
    ]),
    labEnv(state),
  );
  if (r.code !== 0) throw new Error(`ssh2 transport floor failed: ${r.stderr.trim() || r.stdout.trim()}`);
  const doc = JSON.parse(r.stdout) as Omit<TransportFloor, 'wallMs'>;
  return { ...doc, wallMs: r.ms };
}

export interface HostRun {
  host: string;
  status: string;
  changes: string[];
  error?: string;
  duration_ms: number;
  round_trips: number;
  /** queued, connect, facts, apply, post_check (src/cli/output/json.ts). */
  phases_ms?: Record<string, number>;
}

/** The process-wide marks of `up --json`, ms since the process started. */
export type Timings = Record<string, number>;

export interface ToolRun {
  ms: number;
  ok: boolean;
  /** changed / ok / failed hosts, as the tool reports them. */
  changed: number;
  failed: number;
  error?: string;
  sshd: SshdCounts;
  /** lvs-deploy only. */
  roundTrips?: number[];
  maxRssKb?: number;
  hosts?: HostRun[];
  timings?: Timings;
}

export async function lvsUp(
  state: LabState,
  inventory: string,
  concurrency: number,
  tmp: string,
): Promise<ToolRun> {
  const rssFile = join(tmp, 'rss');
  rmSync(rssFile, { force: true });
  const { argv } = cliArgv();
  const [node, ...rest] = argv;
  const cmd = [node ?? process.execPath, '--import', join(ROOT, 'bench', 'rss-probe.mjs'), ...rest];
  const mark = markLogs(state);
  const r = await exec(
    inControl(state, [
      ...cmd,
      'up',
      inventory,
      '--without-ipvs',
      '--json',
      '--concurrency',
      String(concurrency),
    ]),
    { ...labEnv(state), BENCH_RSS_FILE: rssFile, CI: '1' },
  );
  const sshd = await countSince(state, mark);
  const maxRssKb = Number(readFileSync(rssFile, 'utf8').trim()) || undefined;
  let hosts: HostRun[] = [];
  let timings: Timings | undefined;
  try {
    const doc = JSON.parse(r.stdout) as { hosts: HostRun[]; timings_ms?: Timings };
    hosts = doc.hosts;
    timings = doc.timings_ms;
  } catch {
    return {
      ms: r.ms,
      ok: false,
      changed: 0,
      failed: 0,
      error: `no --json output (exit ${r.code}): ${r.stderr.trim()}`,
      sshd,
    };
  }
  const failed = hosts.filter((h) => h.status !== 'ok' && h.status !== 'changed');
  return {
    ms: r.ms,
    ok: r.code === 0 && failed.length === 0,
    changed: hosts.filter((h) => h.status === 'changed').length,
    failed: failed.length,
    ...(failed.length > 0 || r.code !== 0
      ? {
          error:
            failed
              .map((h) => `${h.host}: ${h.error ?? h.status}`)
              .slice(0, 3)
              .join('; ') || r.stderr.trim(),
        }
      : {}),
    sshd,
    roundTrips: hosts.map((h) => h.round_trips),
    ...(maxRssKb ? { maxRssKb } : {}),
    hosts,
    ...(timings ? { timings } : {}),
  };
}

/**
 * `lvs-deploy status --json`: wall time of the whole process (one round trip per director).
 * Exit 1 (an alarm, e.g. VRRP still electing right after `up`) is a valid read; no JSON is not.
 */
export async function lvsStatus(
  state: LabState,
  inventory: string,
): Promise<{ ms: number; ok: boolean; alarms: string[]; error?: string }> {
  const r = await exec(inControl(state, [...cliArgv().argv, 'status', inventory, '--json']), {
    ...labEnv(state),
    CI: '1',
  });
  try {
    const doc = JSON.parse(r.stdout) as { version: number; alarms: { message: string }[] };
    return { ms: r.ms, ok: doc.version === 1, alarms: doc.alarms.map((a) => a.message) };
  } catch {
    return { ms: r.ms, ok: false, alarms: [], error: `exit ${r.code}, no JSON: ${r.stderr.trim()}` };
  }
}

export interface Startup {
  version: number;
  validate: number;
}

/** Start-up as a user meets it: `--version`, and `validate` of the bench inventory (no host contacted). */
export async function startup(inventory: string): Promise<Startup> {
  const { argv } = cliArgv();
  const version = await exec([...argv, '--version']);
  const validate = await exec([...argv, 'validate', inventory]);
  if (version.code !== 0 || validate.code !== 0)
    throw new Error(
      `start-up: --version exit ${version.code}, validate exit ${validate.code}: ${validate.stderr.trim()}`,
    );
  return { version: version.ms, validate: validate.ms };
}

interface RecapLine {
  host: string;
  changed: number;
  bad: number;
}

/** The PLAY RECAP lines of the default callback: `host : ok=5 changed=4 unreachable=0 failed=0 …`. */
export function parseRecap(stdout: string): RecapLine[] {
  const recap = stdout.slice(stdout.lastIndexOf('PLAY RECAP'));
  const out: RecapLine[] = [];
  for (const m of recap.matchAll(/^(\S+)\s+:\s+(.*)$/gm)) {
    const n = (k: string) => Number(new RegExp(`\\b${k}=(\\d+)`).exec(m[2] ?? '')?.[1] ?? 0);
    out.push({ host: m[1] ?? '', changed: n('changed'), bad: n('unreachable') + n('failed') });
  }
  return out;
}

export async function ansibleRun(state: LabState, dir: string): Promise<ToolRun> {
  // Fresh ControlPath dir per run: each run pays its own connections, as lvs-deploy's do.
  const cp = join(dir, 'cp');
  rmSync(cp, { recursive: true, force: true });
  mkdirSync(cp, { recursive: true });
  const mark = markLogs(state);
  const r = await exec(
    inControl(state, [
      'ansible-playbook',
      '-i',
      join(dir, 'hosts.ini'),
      join(ROOT, 'bench', 'ansible', 'site.yml'),
    ]),
    {
      ...process.env,
      ANSIBLE_CONFIG: join(dir, 'ansible.cfg'),
      ANSIBLE_STDOUT_CALLBACK: 'default',
      ANSIBLE_NOCOLOR: '1',
      ANSIBLE_LOCAL_TEMP: join(dir, 'local-tmp'),
      ANSIBLE_HOME: join(dir, 'home'),
    },
  );
  // Close the persistent masters so they do not leak into the next measurement.
  await exec([
    'sh',
    '-c',
    `for s in ${cp}/*; do [ -S "$s" ] && ssh -O exit -o ControlPath="$s" x 2>/dev/null; done; true`,
  ]);
  const sshd = await countSince(state, mark);
  const recap = parseRecap(r.stdout);
  const failed = recap.filter((x) => x.bad > 0).length;
  const tail = (
    r.stdout
      .split('\n')
      .filter((l) => /fatal|FAILED|ERROR/.test(l))
      .slice(0, 2)
      .join(' | ') || r.stderr.trim()
  ).slice(0, 400);
  return {
    ms: r.ms,
    ok: r.code === 0 && failed === 0 && recap.length > 0,
    changed: recap.filter((x) => x.changed > 0).length,
    failed,
    ...(r.code !== 0 || recap.length === 0 ? { error: `ansible-playbook exit ${r.code}: ${tail}` } : {}),
    sshd,
  };
}
