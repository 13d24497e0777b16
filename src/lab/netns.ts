// The netns lab: every inventory host becomes a network + mount + UTS namespace on this machine
// with its own sshd. Builds and tears down with the generated sh scripts (script.ts).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Inventory } from '../inventory/types.js';
import { runForwarding, selfShim } from './exec.js';
import { ensureRelease } from './release/rootfs.js';
import { labDownScript, labNamespaces, labUpScript } from './script.js';
import { type LabSpecOptions, labIdOf, labNameOf, labSpecFromInventory } from './spec.js';
import {
  collectState,
  ensureKeys,
  LabError,
  type LabState,
  labFiles,
  readState,
  specHash,
  stateDirOf,
  writeState,
} from './state.js';

export type { LabState } from './state.js';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a program, feeding `input` on stdin; never throws for a non-zero exit. */
export function runCommand(
  cmd: string,
  args: string[],
  input = '',
  env?: NodeJS.ProcessEnv,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
    // A child that exits without reading stdin must not crash us with EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

const runScript = (script: string) => runCommand('sh', ['-s'], script);

// One child per sshd (in parallel: a banner takes a fork+exec of sshd each) polls until the
// banner arrives; prints the targets not answering by the deadline.
const WAIT_SSH_PL = String.raw`
use strict; use warnings; use IO::Socket::IP; use Time::HiRes qw(time sleep);
my $deadline = time + shift; my %kids;
for my $t (@ARGV) {
  my $pid = fork; die "fork: $!" unless defined $pid;
  if ($pid) { $kids{$pid} = $t; next; }
  my ($h, $p) = $t =~ /^\[?([^\]]*)\]?:(\d+)$/;
  while (1) {
    my $s = IO::Socket::IP->new(PeerHost => $h, PeerPort => $p, Timeout => 1);
    my $line = '';
    if ($s) { eval { local $SIG{ALRM} = sub { die "t\n" }; alarm 2; $line = <$s> // ''; alarm 0; }; close $s; }
    exit 0 if $line =~ /^SSH-/;
    exit 1 if time > $deadline;
    sleep 0.05;
  }
}
my $bad = 0;
while ((my $pid = wait) > 0) { if ($?) { print "$kids{$pid}\n"; $bad = 1; } }
exit $bad;
`;

/** Resolve once every host's sshd sends its banner to the control namespace. */
async function waitForSsh(state: LabState, timeoutSeconds = 15): Promise<void> {
  const targets = Object.values(state.hosts).map((h) => `[${h.address}]:${h.port}`);
  const r = await runCommand('ip', [
    'netns',
    'exec',
    state.controlNs,
    'perl',
    '-e',
    WAIT_SSH_PL,
    String(timeoutSeconds),
    ...targets,
  ]);
  if (r.code !== 0) {
    const missing = r.stdout.trim().split('\n').join(', ');
    throw new LabError(
      `lab ${state.name}: sshd not answering after ${timeoutSeconds} s: ${missing || r.stderr.trim()}`,
    );
  }
}

/** Running (not a zombie waiting for a slow-reaping PID 1). */
export function isAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

export interface LabHostStatus {
  name: string;
  address: string;
  port: number;
  namespace: boolean;
  anchor: boolean;
  sshd: boolean;
  responder: boolean | undefined;
}

export interface LabStatus {
  name: string;
  kind: 'netns';
  up: boolean;
  healthy: boolean;
  stateDir: string;
  hosts: LabHostStatus[];
}

function nameOf(labNameOrInv: string | Inventory): string {
  return typeof labNameOrInv === 'string' ? labNameOrInv : labNameOf(labNameOrInv);
}

export async function labStatus(labNameOrInv: string | Inventory): Promise<LabStatus> {
  const name = nameOf(labNameOrInv);
  const dir = stateDirOf(name);
  const state = await readState(dir);
  const hosts: LabHostStatus[] = Object.entries(state?.hosts ?? {}).map(([host, h]) => ({
    name: host,
    address: h.address,
    port: h.port,
    namespace: existsSync(`/run/netns/${h.namespace}`),
    anchor: isAlive(h.pids.anchor),
    sshd: isAlive(h.pids.sshd),
    responder: h.pids.responder === undefined ? undefined : isAlive(h.pids.responder),
  }));
  const healthy = !!state && hosts.every((h) => h.namespace && h.anchor && h.sshd && h.responder !== false);
  return { name, kind: 'netns', up: !!state, healthy, stateDir: dir, hosts };
}

/** Tear down everything of the lab, also after a partial up. Nothing there is fine. */
export async function labDown(labNameOrInv: string | Inventory): Promise<void> {
  const name = nameOf(labNameOrInv);
  const dir = stateDirOf(name);
  const previous = await readState(dir);
  // `lab down` picks the kind from the state (lab/down.ts); this guards direct callers.
  if (previous && previous.kind !== 'netns')
    throw new LabError(
      `lab ${name} is up as a ${previous.kind} lab: \`lvs-deploy lab down ${name}\` takes it down`,
    );
  const r = await runScript(labDownScript({ id: labIdOf(name) }, { stateDir: dir }));
  if (r.code !== 0) throw new LabError(`lab ${name}: down failed: ${r.stderr.trim()}`);
  await rm(labFiles(dir).state, { force: true });
}

export interface LabUpResult {
  state: LabState;
  /** false: the lab was already up and healthy for this inventory. */
  changed: boolean;
  seconds: number;
}

export async function labUp(inv: Inventory, opts: LabSpecOptions = {}): Promise<LabUpResult> {
  const started = performance.now();
  const spec = labSpecFromInventory(inv, opts);
  const dir = stateDirOf(spec.name);
  const previous = await readState(dir);
  if (previous?.specHash === specHash(spec) && (await labStatus(spec.name)).healthy) {
    return { state: previous, changed: false, seconds: (performance.now() - started) / 1000 };
  }
  // Another release's root filesystem is built once (minutes) and cached: before anything is torn down.
  for (const release of new Set(spec.hosts.flatMap((h) => (h.release ? [h.release] : []))))
    await ensureRelease(release);
  await labDown(spec.name);
  await ensureKeys(dir, spec);
  const up = await runScript(labUpScript(spec, { stateDir: dir }));
  if (up.code !== 0) {
    await labDown(spec.name).catch(() => undefined);
    throw new LabError(`lab ${spec.name}: up failed: ${up.stderr.trim()}`);
  }
  const state = await collectState(dir, spec, labNamespaces(spec));
  await writeState(state);
  try {
    await waitForSsh(state);
  } catch (err) {
    await labDown(spec.name).catch(() => undefined);
    throw err;
  }
  return { state, changed: true, seconds: (performance.now() - started) / 1000 };
}

/** Environment that lets the ssh layer use the lab's key and known_hosts instead of the inventory's. */
export function labEnv(state: LabState): NodeJS.ProcessEnv {
  const f = labFiles(state.stateDir);
  return {
    ...process.env,
    LVS_DEPLOY_LAB_IDENTITY: f.identity,
    LVS_DEPLOY_LAB_KNOWN_HOSTS: f.knownHosts,
    LVS_DEPLOY_LAB: state.name,
  };
}

async function requireState(labNameOrInv: string | Inventory): Promise<LabState> {
  const name = nameOf(labNameOrInv);
  const state = await readState(stateDirOf(name));
  if (!state) throw new LabError(`lab ${name} is not up (run: lvs-deploy lab up)`);
  return state;
}

/** Run argv inside the control namespace with the lab's ssh settings; returns its exit code. */
export async function labExec(labNameOrInv: string | Inventory, argv: string[]): Promise<number> {
  if (argv.length === 0) throw new LabError('lab exec: no command given');
  const state = await requireState(labNameOrInv);
  const bin = await selfShim(state.stateDir);
  const env = labEnv(state);
  return runForwarding(['ip', 'netns', 'exec', state.controlNs, ...argv], {
    ...env,
    PATH: `${bin}:${env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`,
  });
}

/**
 * Run a sh command inside one lab host's namespaces (network, private mounts, hostname), through
 * its anchor: `ip netns exec` alone would not see the host's private /etc. For tests.
 */
export async function hostExec(state: LabState, host: string, cmd: string): Promise<RunResult> {
  const anchor = state.hosts[host]?.pids.anchor;
  if (!anchor) throw new LabError(`lab ${state.name}: no anchor for host ${host}`);
  // -r -w: the anchor's root and cwd (another release's root for a lab.release host).
  return runCommand('nsenter', ['-t', String(anchor), '-m', '-u', '-n', '-r', '-w', '--', 'sh', '-c', cmd]);
}
