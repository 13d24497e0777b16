// The VM lab carries real traffic through the kernel's IPVS: client -> VIP -> director -> real
// server, with a table set up by hand (no lvs-deploy involved), and leaves no qemu, tap or
// namespace behind. DR, TUN and the rest are proven through `up` + `verify` in seeds-*.test.ts
// (seed 002 and seed 000's DSR for DR, including that the VIP resolves to the director only). Needs root, qemu and
// Debian's kernel (linux-image-amd64); ~25 s per boot under software emulation.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadInventory } from '../../src/inventory/load.js';
import { findKernel } from '../../src/lab/vm/bootfiles.js';
import {
  type ExecResult,
  type VmLabState,
  vmHostExec,
  vmLabDown,
  vmLabStatus,
  vmLabUp,
} from '../../src/lab/vm/index.js';
import { isOurQemu, QEMU_BIN } from '../../src/lab/vm/qemu.js';

const here = dirname(fileURLToPath(import.meta.url));

function why(): string | false {
  if (process.getuid?.() !== 0) return 'needs root (creates a network namespace, taps and a qemu VM)';
  try {
    execFileSync(QEMU_BIN, ['--version'], { stdio: 'ignore' });
  } catch {
    return `needs ${QEMU_BIN} (apt-get install qemu-system-x86)`;
  }
  if (!findKernel()) return 'needs a /boot/vmlinuz-* with ip_vs modules (apt-get install linux-image-amd64)';
  if (!existsSync('/usr/bin/busybox')) return 'needs busybox-static';
  return false;
}
const skip = why();
if (skip) console.log(`# vm lab tests skipped: ${skip}`);

async function on(state: VmLabState, host: string, cmd: string): Promise<ExecResult> {
  const r = await vmHostExec(state, host, cmd);
  assert.equal(r.code, 0, `${host}: ${cmd}\n${r.stderr}`);
  return r;
}

/** Names the client sees over `n` requests to http://vip/. */
async function curlNames(state: VmLabState, vip: string, n: number): Promise<string[]> {
  const loop = `i=0; while [ $i -lt ${n} ]; do curl -s -m 3 http://${vip}/ || echo FAIL; i=$((i+1)); done`;
  const r = await on(state, 'client', loop);
  return r.stdout.trim().split('\n');
}

function leftovers(state: VmLabState): string[] {
  const found: string[] = [];
  if (isOurQemu(state.vm.qemuPid, state.vm.pidFile)) found.push(`qemu pid ${state.vm.qemuPid}`);
  const netns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  for (const l of netns.split('\n')) if (l.startsWith(`lvs-${state.id}-`)) found.push(`netns ${l}`);
  const links = execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' });
  for (const t of state.vm.taps) if (links.includes(`${t}:`)) found.push(`tap ${t} in the root namespace`);
  return found;
}

/** Boot a VM lab for `fixture`; its teardown runs even when a test fails. */
function vmLab(fixture: string): () => VmLabState {
  let state: VmLabState | undefined;
  before(async () => {
    const inv = await loadInventory(join(here, fixture));
    state = await vmLabUp(inv);
    console.log(
      `# ${fixture}: qemu start to every lab host answering ssh: ${(state.vm.bootMs / 1000).toFixed(1)} s`,
    );
  });
  after(async () => {
    if (!state) return;
    await vmLabDown(state.name);
    assert.deepEqual(leftovers(state), [], 'down leaves nothing behind');
    assert.equal((await vmLabStatus(state.name)).up, false);
  });
  return () => {
    assert.ok(state, 'VM lab is up');
    return state;
  };
}

describe('VM lab, LVS-NAT', { skip }, () => {
  const lab = vmLab('nat.yaml');

  test('the taps live in the control namespace, not the root namespace', () => {
    const st = lab();
    const ctl = execFileSync('ip', ['-n', st.controlNs, '-o', 'link'], { encoding: 'utf8' });
    for (const t of st.vm.taps) assert.ok(ctl.includes(`${t}:`), `${t} in ${st.controlNs}`);
    const root = execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' });
    for (const t of st.vm.taps) assert.ok(!root.includes(`${t}:`), `${t} not in the root namespace`);
  });

  test('each lab host answers ssh with its own name and runs the Debian kernel', async () => {
    const st = lab();
    for (const h of Object.keys(st.hosts)) {
      const r = await on(st, h, 'hostname; uname -r');
      assert.deepEqual(r.stdout.trim().split('\n'), [h, st.vm.kernelVersion]);
    }
  });

  test('curl through the VIP reaches both real servers via kernel IPVS (NAT)', async () => {
    const st = lab();
    await on(
      st,
      'dir1',
      [
        'ip addr add 10.77.1.100/24 dev eth0',
        'sysctl -qw net.ipv4.ip_forward=1',
        'ipvsadm -A -t 10.77.1.100:80 -s rr',
        'ipvsadm -a -t 10.77.1.100:80 -r 10.77.2.11:80 -m',
        'ipvsadm -a -t 10.77.1.100:80 -r 10.77.2.12:80 -m',
      ].join(' && '),
    );
    await Promise.all(['rs1', 'rs2'].map((h) => on(st, h, 'ip route replace default via 10.77.2.1')));
    const names = await curlNames(st, '10.77.1.100', 10);
    assert.equal(names.length, 10);
    assert.deepEqual([...new Set(names)].sort(), ['rs1', 'rs2'], `answers: ${names.join(' ')}`);
    // The director really did it: IPVS holds connection entries for the client.
    const conns = await on(st, 'dir1', 'ipvsadm -Lnc');
    assert.match(conns.stdout, /10\.77\.1\.10:\d+\s+10\.77\.1\.100:80\s+10\.77\.2\.1[12]:80/);
  });
});
