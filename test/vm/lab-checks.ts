// Helpers of the VM seed suite (seed-suite.ts): when it can run, the public host of seed 003, the
// lab's shape, and what a VM lab could leave behind on this machine.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { type VmLabState, vmHostExec } from '../../src/lab/vm/index.js';
import { isOurQemu } from '../../src/lab/vm/qemu.js';

export function skipReason(): string | false {
  if (process.getuid?.() !== 0) return 'needs root (namespaces, taps, qemu)';
  if (!existsSync('/usr/bin/qemu-system-x86_64')) return 'qemu-system-x86 is not installed';
  return false;
}

// Seed 003's "public" host: the client listens on a port and answers with the address it sees.
export const PUBLIC_LISTENER = String.raw`setsid perl -MIO::Socket::INET -e '$s = IO::Socket::INET->new(LocalPort => 9009, Listen => 8, ReuseAddr => 1) or die "listen: $!\n"; while (1) { my $c = $s->accept or next; print $c $c->peerhost, "\n"; close $c }' </dev/null >/tmp/lvs-public.log 2>&1 & echo $! > /tmp/lvs-public.pid`;
export const CONNECT = (addr: string, port: number) =>
  String.raw`perl -MIO::Socket::INET -e '$c = IO::Socket::INET->new(PeerAddr => "${addr}", PeerPort => ${port}, Timeout => 3) or die "connect: $@\n"; print scalar <$c>'`;

/** What a VM lab could leave behind on this machine: its qemu, namespaces, taps. */
export function leftovers(state: VmLabState): string[] {
  const found: string[] = [];
  if (isOurQemu(state.vm.qemuPid, state.vm.pidFile)) found.push(`qemu pid ${state.vm.qemuPid}`);
  const netns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  for (const l of netns.split('\n')) if (l.startsWith(`lvs-${state.id}-`)) found.push(`netns ${l}`);
  const links = execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' });
  for (const t of state.vm.taps) if (links.includes(`${t}:`)) found.push(`tap ${t} in the root namespace`);
  return found;
}

/** The lab's shape: qemu's taps in the control namespace only, each host its name on the VM's kernel. */
export function vmLabTest(lab: () => VmLabState): void {
  test('the VM lab: taps in the control namespace only, each host its own name on the Debian kernel', async () => {
    const state = lab();
    const ctl = execFileSync('ip', ['-n', state.controlNs, '-o', 'link'], { encoding: 'utf8' });
    const root = execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' });
    for (const t of state.vm.taps) {
      assert.ok(ctl.includes(`${t}:`), `${t} in ${state.controlNs}`);
      assert.ok(!root.includes(`${t}:`), `${t} not in the root namespace`);
    }
    for (const h of Object.keys(state.hosts)) {
      const r = await vmHostExec(state, h, 'hostname; uname -r');
      assert.deepEqual(r.stdout.trim().split('\n'), [h, state.vm.kernelVersion]);
    }
  });
}
