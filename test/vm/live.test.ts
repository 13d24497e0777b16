// Live changes without loss, on real kernel IPVS: while a client sends a steady stream of new
// connections (plus a few long-lived ones) through the VIP, `up` adds a real server, changes a
// weight, removes a real server (drained first) and changes the scheduler: nothing may fail.
// The same stream through a naive `ipvsadm -C` + restore shows what that costs, in the same test.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadInventory } from '../../src/inventory/load.js';
import type { Inventory } from '../../src/inventory/types.js';
import { labEnv } from '../../src/lab/netns.js';
import { type VmLabState, vmHostExec, vmLabDown, vmLabUp } from '../../src/lab/vm/index.js';
import { cliInLab } from '../helpers/cli.js';
import { parseStream, streamCommand } from './stream.js';

const BEFORE = join(import.meta.dirname, 'live-before.yaml');
const AFTER = join(import.meta.dirname, 'live-after.yaml');

const skip =
  process.getuid?.() !== 0
    ? 'needs root'
    : !existsSync('/usr/bin/qemu-system-x86_64')
      ? 'qemu missing'
      : false;

describe('live changes through a VIP under traffic (real kernel IPVS)', { skip }, () => {
  let inv: Inventory;
  let state: VmLabState;
  const lvs = (args: string[]) => cliInLab(state.controlNs, labEnv(state), args);
  const stream = (secs: number) =>
    vmHostExec(state, 'client', streamCommand('192.168.50.100', 80, secs), { timeoutMs: (secs + 60) * 1000 });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  before(async () => {
    inv = await loadInventory(BEFORE);
    state = await vmLabUp(inv);
    const r = await lvs(['up', BEFORE]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });
  after(async () => {
    await vmLabDown(inv ?? 'vm-live');
  });

  test('up adds, reweights, drains and removes real servers and changes the scheduler with 0 failed requests', async () => {
    const traffic = stream(30);
    await sleep(5000);
    const up = await lvs(['up', AFTER, '--drain-timeout', '60']);
    const result = parseStream((await traffic).stdout);
    assert.equal(up.code, 0, up.stdout + up.stderr);
    assert.match(up.stdout, /drain\+delete -t 192\.168\.50\.100:80 -r 10\.50\.0\.12:80/);
    assert.match(up.stdout, /ipvs edit -A -t 192\.168\.50\.100:80 -s rr → -A -t 192\.168\.50\.100:80 -s wrr/);
    process.stdout.write(
      `# live change: ${result.ok + result.fail} requests, ${result.fail} failed; ${result.longOk + result.longFail} long-lived, ${result.longFail} broken\n`,
    );
    assert.ok(result.ok > 100, `too few requests went through (${result.ok})`);
    assert.equal(result.fail, 0, result.failures.join('; '));
    assert.equal(result.longFail, 0);
    const table = await vmHostExec(state, 'dir', 'ipvsadm -S -n');
    assert.match(table.stdout, /-A -t 192\.168\.50\.100:80 -s wrr/);
    assert.match(table.stdout, /-r 10\.50\.0\.11:80 -m -w 3/);
    assert.match(table.stdout, /-r 10\.50\.0\.13:80 -m -w 1/);
    assert.doesNotMatch(table.stdout, /10\.50\.0\.12/);
  });

  test('the naive way (ipvsadm -C, then restore the same rules) under the same traffic breaks connections', async () => {
    const traffic = stream(20);
    await sleep(5000);
    await vmHostExec(state, 'dir', 'ipvsadm -S -n > /tmp/rules && ipvsadm -C && ipvsadm -R < /tmp/rules');
    const result = parseStream((await traffic).stdout);
    process.stdout.write(
      `# naive flush: ${result.ok + result.fail} requests, ${result.fail} failed; ${result.longOk + result.longFail} long-lived, ${result.longFail} broken\n`,
    );
    assert.ok(result.fail + result.longFail > 0, 'a flush under traffic was expected to break something');
  });
});
