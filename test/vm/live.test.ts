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

const BEFORE = join(import.meta.dirname, 'live-before.yaml');
const AFTER = join(import.meta.dirname, 'live-after.yaml');

// One perl process on the client: `rate` new HTTP connections a second for `secs` seconds, and
// `long` connections held open the whole time (a byte every 0.5 s), each finished at the end.
const STREAM_PL = String.raw`use IO::Socket::INET; use IO::Select; use Time::HiRes qw(time sleep);
$SIG{PIPE} = 'IGNORE';
my ($vip, $port, $secs, $rate, $long) = @ARGV;
my @ls; my $lfail = 0;
for (1..$long) { my $s = IO::Socket::INET->new(PeerAddr => $vip, PeerPort => $port, Timeout => 2); if ($s) { push @ls, $s } else { $lfail++ } }
my ($ok, $fail) = (0, 0); my $t0 = time; my $next = $t0; my $tick = $t0;
while (time < $t0 + $secs) {
  if (time >= $next) {
    my $c = IO::Socket::INET->new(PeerAddr => $vip, PeerPort => $port, Timeout => 1);
    my $r = '';
    if ($c) {
      print $c "GET / HTTP/1.0\r\n\r\n";
      my $sel = IO::Select->new($c);
      while ($sel->can_read(2)) { my $n = sysread($c, $r, 4096, length $r); last if !$n; }
      close $c;
    }
    if ($r =~ /200 OK/) { $ok++ } else { $fail++; printf "fail %.1f\n", time - $t0 }
    $next += 1 / $rate;
  }
  if (time >= $tick) { for my $s (@ls) { print $s "x" } $tick += 0.5 }
  sleep 0.01;
}
my $lok = 0;
for my $s (@ls) {
  print $s "\r\n\r\n";
  my $r = ''; my $sel = IO::Select->new($s);
  while ($sel->can_read(3)) { my $n = sysread($s, $r, 4096, length $r); last if !$n; }
  if ($r =~ /^rs\d/m) { $lok++ } else { $lfail++ }
}
print "result ok=$ok fail=$fail long_ok=$lok long_fail=$lfail\n";`;

interface StreamResult {
  ok: number;
  fail: number;
  longOk: number;
  longFail: number;
}

function parseStream(out: string): StreamResult {
  const m = /result ok=(\d+) fail=(\d+) long_ok=(\d+) long_fail=(\d+)/.exec(out);
  assert.ok(m, `no result from the stream: ${out}`);
  return { ok: Number(m[1]), fail: Number(m[2]), longOk: Number(m[3]), longFail: Number(m[4]) };
}

const skip = process.getuid?.() !== 0 ? 'needs root' : !existsSync('/usr/bin/qemu-system-x86_64') ? 'qemu missing' : false;

describe('live changes through a VIP under traffic (real kernel IPVS)', { skip }, () => {
  let inv: Inventory;
  let state: VmLabState;
  const lvs = (args: string[]) => cliInLab(state.controlNs, labEnv(state), args);
  const stream = (secs: number) =>
    vmHostExec(state, 'client', `perl -e '${STREAM_PL.replaceAll("'", "'\\''")}' 192.168.50.100 80 ${secs} 20 4`, { timeoutMs: (secs + 60) * 1000 });
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
    process.stdout.write(`# live change: ${result.ok + result.fail} requests, ${result.fail} failed; ${result.longOk + result.longFail} long-lived, ${result.longFail} broken\n`);
    assert.ok(result.ok > 100, `too few requests went through (${result.ok})`);
    assert.equal(result.fail, 0);
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
    process.stdout.write(`# naive flush: ${result.ok + result.fail} requests, ${result.fail} failed; ${result.longOk + result.longFail} long-lived, ${result.longFail} broken\n`);
    assert.ok(result.fail + result.longFail > 0, 'a flush under traffic was expected to break something');
  });
});
