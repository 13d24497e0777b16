// Start and stop the lab VM. qemu runs under software emulation (TCG); the flags below are the ones
// measured to boot reliably and fast on this kind of machine (see shared/research/vm-lab-notes.md).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LabError } from '../state.js';
import type { BootFiles } from './bootfiles.js';

export interface QemuOptions {
  boot: BootFiles;
  /** Host dir shared writable into the guest (guest script, ready/status files, console log). */
  runDir: string;
  /** Network namespace qemu runs in: its taps are created there, never in the root namespace. */
  netns: string;
  /** One tap per lab L2 segment, in guest interface order (eth0, eth1, …). */
  taps: string[];
  memoryMiB?: number;
  cpus?: number;
}

export interface QemuHandle {
  pid: number;
  pidFile: string;
  consoleLog: string;
}

const QEMU_BIN = 'qemu-system-x86_64';

// Without a known TSC frequency microvm must calibrate against a PIT it does not have, and hung at
// boot in ~1 of 5 tries; tsc_early_khz skips calibration. Without tsc_known_freq use `-M pc`.
function clockArgs(): { machine: string; cmdline: string[] } {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const mhz = /^cpu MHz\s*:\s*([\d.]+)/m.exec(cpuinfo)?.[1];
  if (/\btsc_known_freq\b/.test(cpuinfo) && mhz) {
    return {
      machine: 'microvm',
      cmdline: [`tsc_early_khz=${Math.round(Number(mhz) * 1000)}`, 'tsc=reliable'],
    };
  }
  return { machine: 'pc', cmdline: [] };
}

export function macFor(tap: string, i: number): string {
  // Locally administered, stable per tap name, distinct per segment.
  let h = 0;
  for (const c of tap) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  const b = [0x52, 0x54, (h >>> 16) & 0xff, (h >>> 8) & 0xff, h & 0xff, i & 0xff];
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

function qemuArgs(o: QemuOptions): string[] {
  const clock = clockArgs();
  const micro = clock.machine === 'microvm';
  const dev = (kind: 'net' | '9p') =>
    micro ? `virtio-${kind}-device` : kind === 'net' ? 'virtio-net-pci' : 'virtio-9p-pci';
  const cmdline = [
    'console=ttyS0',
    'quiet',
    'loglevel=4',
    'panic=-1',
    'rdinit=/init',
    'net.ifnames=0',
    ...clock.cmdline,
  ];
  const args = [
    '-M',
    micro ? 'microvm' : 'pc',
    '-accel',
    'tcg,tb-size=256',
    '-cpu',
    'qemu64,+arat',
    '-smp',
    String(o.cpus ?? 2),
    '-m',
    String(o.memoryMiB ?? 1024),
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-no-reboot',
    '-daemonize',
    '-pidfile',
    join(o.runDir, 'qemu.pid'),
    '-serial',
    `file:${join(o.runDir, 'console.log')}`,
    '-kernel',
    o.boot.vmlinux,
    '-initrd',
    o.boot.initramfs,
    '-append',
    cmdline.join(' '),
    '-fsdev',
    'local,id=fsroot,path=/,security_model=none,readonly=on,multidevs=remap',
    '-device',
    `${dev('9p')},fsdev=fsroot,mount_tag=hostroot`,
    '-fsdev',
    `local,id=fsrun,path=${o.runDir},security_model=none`,
    '-device',
    `${dev('9p')},fsdev=fsrun,mount_tag=labrun`,
  ];
  o.taps.forEach((tap, i) => {
    args.push('-netdev', `tap,id=n${i},ifname=${tap},script=no,downscript=no`);
    args.push('-device', `${dev('net')},netdev=n${i},mac=${macFor(tap, i)}`);
  });
  return args;
}

/** Start qemu daemonized inside `o.netns`; returns once the pidfile exists. */
export function startQemu(o: QemuOptions): QemuHandle {
  const pidFile = join(o.runDir, 'qemu.pid');
  try {
    execFileSync('ip', ['netns', 'exec', o.netns, QEMU_BIN, ...qemuArgs(o)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString().trim() ?? String(e);
    throw new LabError(`qemu failed to start: ${stderr}`);
  }
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  return { pid, pidFile, consoleLog: join(o.runDir, 'console.log') };
}

/**
 * True if `pid` is alive and is the qemu that wrote `pidFile`: a recycled PID, or another
 * engineer's qemu, is never mistaken for ours (our pidfile path is on its command line).
 */
export function isOurQemu(pid: number, pidFile: string): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return (argv[0]?.includes('qemu-system') ?? false) && argv.includes(pidFile);
  } catch {
    return false;
  }
}

/** Stop exactly the qemu we started (by its recorded PID); waits for it to exit. */
export async function stopQemu(pid: number, pidFile: string, timeoutMs = 5000): Promise<void> {
  if (!isOurQemu(pid, pidFile)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (isOurQemu(pid, pidFile) && Date.now() < deadline) await sleep(50);
  if (isOurQemu(pid, pidFile)) process.kill(pid, 'SIGKILL');
  // A reaped or zombie process has an empty cmdline: either way it is gone.
  while (isOurQemu(pid, pidFile)) await sleep(20);
}

export function consoleTail(consoleLog: string, lines = 30): string {
  if (!existsSync(consoleLog)) return '(no console log)';
  return readFileSync(consoleLog, 'utf8').split('\n').slice(-lines).join('\n');
}

/** Wait for `file` to appear (written by the guest into the shared run dir). */
export async function waitForFile(file: string, timeoutMs: number, q: QemuHandle): Promise<void> {
  const { pid, pidFile, consoleLog } = q;
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(file)) {
    if (!isOurQemu(pid, pidFile))
      throw new LabError(`qemu exited before the guest was ready; console:\n${consoleTail(consoleLog)}`);
    if (Date.now() > deadline) {
      throw new LabError(`guest not ready after ${timeoutMs / 1000} s; console:\n${consoleTail(consoleLog)}`);
    }
    await sleep(100);
  }
}
