// The VM lab: the netns lab's hosts, built by the same up script, inside a qemu VM that boots
// Debian's kernel (which has IPVS). From the host, lab hosts are reached exactly as in the netns
// lab: from the control namespace, whose taps are the VM's NICs, one per lab segment.
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { appendFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sh } from '../../connection/shell.js';
import type { Inventory } from '../../inventory/types.js';
import type { Release } from '../../model/releases.js';
import { responderPidFile } from '../host-init.js';
import { ensureKernel } from '../release/kernel.js';
import { ensureRelease } from '../release/rootfs.js';
import { labUpScript } from '../script.js';
import { type LabSpec, labIdOf, labNameOf, labSpecFromInventory } from '../spec.js';
import {
  ensureKeys,
  LabError,
  type LabState,
  labFiles,
  readState,
  specHash,
  stateDirOf,
  writeState,
} from '../state.js';
import { ensureBootFiles, GUEST_SCRIPT, GUEST_SHARE } from './bootfiles.js';
import { closeMux, type ExecResult, muxDir, vmHostExec } from './exec.js';
import { guestModules, guestScript } from './guest.js';
import { consoleTail, isOurQemu, macFor, startQemu, stopQemu, waitForFile } from './qemu.js';

export { type ExecResult, vmHostExec };

export interface VmInfo {
  qemuPid: number;
  pidFile: string;
  /** Host dir shared writable into the guest: guest.sh, up.sh, ready, guest.log, console.log. */
  runDir: string;
  consoleLog: string;
  taps: string[];
  kernelVersion: string;
  /** Milliseconds from starting qemu to the guest reporting its whole lab built. */
  readyMs: number;
  /** Milliseconds from starting qemu to every lab host answering ssh. */
  bootMs: number;
}

export type VmLabState = LabState & { kind: 'vm'; vm: VmInfo };

export interface VmLabOptions {
  /** Give up on the guest after this long (default 90 s; a boot takes ~20 s on a quiet 2-core machine). */
  readyTimeoutMs?: number;
  memoryMiB?: number;
  cpus?: number;
  /** Boot this release's kernel, and run it on every host without its own lab.release. */
  release?: Release;
}

const tapName = (spec: LabSpec, n: number) => `lvst${spec.id}${n}`;
/** Guest-side names of the uplink NICs, set by MAC before the lab script runs. */
const uplinkName = (n: number) => `lvsu${n}`;

function ip(args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function netnsExists(ns: string): boolean {
  return existsSync(`/run/netns/${ns}`);
}

/** Boot a VM lab for `inv`. A lab already up under the same name is torn down first (a boot is the reset). */
export async function vmLabUp(inv: Inventory, opts: VmLabOptions = {}): Promise<VmLabState> {
  const spec = labSpecFromInventory(inv, opts.release ? { release: opts.release } : {});
  // A host on another release runs that release's root (over 9p, under its own overlay) exactly
  // as in the netns lab; --release also boots that release's kernel. Both are built once, cached.
  for (const release of new Set(spec.hosts.flatMap((h) => (h.release ? [h.release] : []))))
    await ensureRelease(release);
  const kernel = opts.release ? await ensureKernel(opts.release) : undefined;
  const stateDir = stateDirOf(spec.name);
  if (existsSync(labFiles(stateDir).state)) await vmLabDown(spec.name);
  const boot = ensureBootFiles(kernel);
  await ensureKeys(stateDir, spec);
  const runDir = join(stateDir, 'vm');
  await rm(runDir, { recursive: true, force: true });
  await mkdir(runDir, { recursive: true });

  const taps = spec.segments.map((_, n) => tapName(spec, n));
  const uplinks = Object.fromEntries(spec.segments.map((s, n) => [s.name, uplinkName(n)]));
  const up = labUpScript(spec, { stateDir, runDir: `${GUEST_SHARE}/lab`, uplinks, readyTimeout: 60 });
  const nics = taps.map((t, n) => ({ name: uplinkName(n), mac: macFor(t, n) }));
  await writeFile(join(runDir, 'up.sh'), up);
  await writeFile(
    join(runDir, GUEST_SCRIPT),
    guestScript({ modules: guestModules(boot.kernelVersion, inv, boot.kernelRoot), nics }),
  );

  // The control namespace holds qemu's taps: the VM's network never touches the root namespace.
  if (netnsExists(spec.controlNs))
    throw new LabError(`namespace ${spec.controlNs} already exists (a netns lab named ${spec.name} is up?)`);
  ip(['netns', 'add', spec.controlNs]);
  let qemuPid: number | undefined;
  try {
    ip(['-n', spec.controlNs, 'link', 'set', 'lo', 'up']);
    const t0 = Date.now();
    const q = startQemu({
      boot,
      runDir,
      netns: spec.controlNs,
      taps,
      memoryMiB: opts.memoryMiB,
      cpus: opts.cpus,
    });
    qemuPid = q.pid;
    const state: VmLabState = {
      kind: 'vm',
      name: spec.name,
      id: spec.id,
      specHash: specHash(spec),
      stateDir,
      switchNs: spec.switchNs,
      controlNs: spec.controlNs,
      // Only the control namespace exists on the host; the others live inside the VM.
      namespaces: [spec.controlNs],
      hosts: Object.fromEntries(
        spec.hosts.map((h) => [
          h.name,
          { address: h.address, port: h.sshPort, namespace: h.namespace, pids: {} },
        ]),
      ),
      createdAt: new Date().toISOString(),
      vm: {
        qemuPid: q.pid,
        pidFile: q.pidFile,
        runDir,
        consoleLog: q.consoleLog,
        taps,
        kernelVersion: boot.kernelVersion,
        readyMs: 0,
        bootMs: 0,
      },
    };
    // Written before the guest is ready so a failed or interrupted up can still be torn down.
    await writeState(state);
    // Taps exist once -daemonize returns; give each the control leg address the spec assigns.
    const batch = spec.control.flatMap((leg, n) => [
      ...leg.cidrs.map((c) => `addr add ${c} dev ${taps[n]}${c.includes(':') ? ' nodad' : ''}`),
      `link set ${taps[n]} up`,
    ]);
    execFileSync('ip', ['-n', spec.controlNs, '-batch', '-'], { input: `${batch.join('\n')}\n` });

    const timeout = opts.readyTimeoutMs ?? 90_000;
    // Each host is tried over ssh as soon as the guest marks it ready (its pids/ dir is on the
    // share), overlapping the handshakes with the other hosts' setup.
    const sshAll = Promise.all(
      spec.hosts.map(async (h) => {
        await waitForFile(join(runDir, 'lab', 'pids', `${h.name}.ready`), timeout, q);
        await waitForSsh(state, h.name, t0 + timeout);
      }),
    );
    sshAll.catch(() => undefined); // reported below, or moot when the guest itself failed
    await waitForFile(join(runDir, 'ready'), timeout, q).catch(async (e: Error) => {
      throw new LabError(`VM lab ${spec.name}: ${e.message.split('\n')[0]}\n${await guestLogTail(runDir)}`);
    });
    let ready = (await readFile(join(runDir, 'ready'), 'utf8')).trim();
    // An older guest script wrote `ready` in place: give a half-written file a moment over 9p.
    for (let i = 0; ready === '' && i < 20; i++) {
      await new Promise((r) => setTimeout(r, 100));
      ready = (await readFile(join(runDir, 'ready'), 'utf8')).trim();
    }
    state.vm.readyMs = Date.now() - t0;
    if (ready !== 'ok')
      throw new LabError(`VM lab ${spec.name}: guest lab setup ${ready}:\n${await guestLogTail(runDir)}`);
    await sshAll;
    state.vm.bootMs = Date.now() - t0;
    await writeState(state);
    return state;
  } catch (e) {
    await vmLabDown(spec.name).catch(() => undefined);
    // Before the state file exists vmLabDown cannot know about them.
    if (qemuPid !== undefined) await stopQemu(qemuPid, join(runDir, 'qemu.pid'));
    if (netnsExists(spec.controlNs)) ip(['netns', 'del', spec.controlNs]);
    throw e;
  }
}

async function guestLogTail(runDir: string): Promise<string> {
  const log = await readFile(join(runDir, 'guest.log'), 'utf8').catch(() => '(no guest.log)');
  return `${log.split('\n').slice(-40).join('\n')}\n--- console ---\n${consoleTail(join(runDir, 'console.log'))}`;
}

async function waitForSsh(state: VmLabState, host: string, deadline: number): Promise<void> {
  const log = join(state.vm.runDir, 'ssh-wait.log');
  for (;;) {
    const t = Date.now();
    // Generous: an emulated sshd on a busy machine can take seconds to send its banner, and a
    // short timeout would only restart the same slow handshake.
    const r = await vmHostExec(state, host, 'true', { connectTimeout: 20 });
    // Kept for diagnosis: which host answered when, and why earlier attempts failed.
    await appendFile(
      log,
      `${new Date(t).toISOString()} ${host} ${Date.now() - t} ms rc=${r.code} ${r.stderr.trim()}\n`,
    );
    if (r.code === 0) return;
    if (Date.now() > deadline)
      throw new LabError(`VM lab ${state.name}: ssh to ${host} fails: ${r.stderr.trim()}`);
    await sleep(200);
  }
}

/** Tear down the VM lab: stop our qemu (by its recorded PID), drop the control namespace and taps. */
export async function vmLabDown(invOrName: Inventory | string): Promise<void> {
  const name = typeof invOrName === 'string' ? invOrName : labNameOf(invOrName);
  const stateDir = stateDirOf(name);
  const state = await readState(stateDir);
  if (state && state.kind !== 'vm')
    throw new LabError(
      `lab ${name} is up as a ${state.kind} lab, not a VM lab: run \`lvs-deploy lab down ${name}\` first (then lab up --vm)`,
    );
  const vm = (state as VmLabState | undefined)?.vm;
  const pidFile = vm?.pidFile ?? join(stateDir, 'vm', 'qemu.pid');
  const pid = vm?.qemuPid ?? Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
  // End our ssh masters (they live in the control namespace and would keep it alive).
  if (state) await Promise.all(Object.values(state.hosts).map((h) => closeMux(state, h.address, h.port)));
  rmSync(muxDir(labIdOf(name)), { recursive: true, force: true });
  // Only the qemu whose command line names our pidfile is ever signalled.
  if (pid > 0) await stopQemu(pid, pidFile);
  // The taps die with qemu; deleting the namespace also removes anything left in it. Without a
  // state or pidfile the namespace is not provably ours: leave it.
  const ctl = state?.controlNs ?? `lvs-${labIdOf(name)}-ctl`;
  if ((state || pid > 0) && netnsExists(ctl)) ip(['netns', 'del', ctl]);
  await rm(labFiles(stateDir).state, { force: true });
}

export interface VmLabHostStatus {
  name: string;
  address: string;
  port: number;
  /** Its sshd took a command. */
  sshd: boolean;
  /** Its identity responder runs (undefined: the host has none, or sshd could not tell). */
  responder: boolean | undefined;
}

export interface VmLabStatus {
  name: string;
  up: boolean;
  qemuRunning: boolean;
  /** Every host checked inside the VM (empty when the VM is not running). */
  hosts: VmLabHostStatus[];
  healthy: boolean;
  state?: VmLabState;
}

/** One ssh command per host, through the lab's multiplexed ssh: sshd answers, responder alive. */
async function hostHealth(state: VmLabState, host: string): Promise<VmLabHostStatus> {
  const h = state.hosts[host];
  const pidFile = responderPidFile(host);
  const r = await vmHostExec(
    state,
    host,
    // A killed responder stays a zombie (its parent, the anchor, never reaps): kill -0 would pass.
    sh`if [ -r ${pidFile} ]; then read p < ${pidFile}; s=$(cat /proc/"$p"/stat 2>/dev/null); case "$s" in ''|*') Z '*) echo responder-dead ;; *) echo responder-alive ;; esac; else echo responder-none; fi`.render(),
    { connectTimeout: 10, timeoutMs: 30_000 },
  );
  const out = r.stdout.trim();
  return {
    name: host,
    address: h?.address ?? '',
    port: h?.port ?? 22,
    sshd: r.code === 0,
    responder: out === 'responder-alive' ? true : out === 'responder-dead' ? false : undefined,
  };
}

export async function vmLabStatus(invOrName: Inventory | string): Promise<VmLabStatus> {
  const name = typeof invOrName === 'string' ? invOrName : labNameOf(invOrName);
  const state = await readState(stateDirOf(name));
  if (state?.kind !== 'vm') return { name, up: false, qemuRunning: false, hosts: [], healthy: false };
  const vmState = state as VmLabState;
  const qemuRunning = isOurQemu(vmState.vm.qemuPid, vmState.vm.pidFile);
  const up = qemuRunning && netnsExists(state.controlNs);
  // A running qemu says nothing about the hosts inside it: ask each one.
  const hosts = up ? await Promise.all(Object.keys(vmState.hosts).map((h) => hostHealth(vmState, h))) : [];
  const healthy = up && hosts.every((h) => h.sshd && h.responder !== false);
  return { name, up, qemuRunning, hosts, healthy, state: vmState };
}
