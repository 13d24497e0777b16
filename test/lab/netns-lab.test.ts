// The netns lab builds real hosts (namespaces + sshd) and leaves nothing behind. Needs root.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import {
  hostExec,
  isAlive,
  type LabState,
  labDown,
  labExec,
  labStatus,
  labUp,
  runCommand,
} from '../../src/lab/netns.js';
import { labIdOf } from '../../src/lab/spec.js';
import { labSshArgs } from '../../src/lab/state.js';
import { bigLab, natLab } from './lab-inventory.js';

const isRoot = process.getuid?.() === 0;
const skip = isRoot ? false : 'needs root (creates network namespaces and sshd processes)';

const ipSnapshot = async () => {
  const link = await runCommand('ip', ['-o', 'link']);
  const addr = await runCommand('ip', ['-o', 'addr']);
  // Counters and link state flap; names, flags of identity and addresses must not change.
  return {
    links: link.stdout
      .split('\n')
      .map((l) => l.split(':').slice(0, 2).join(':'))
      .join('\n'),
    addrs: addr.stdout.replace(/valid_lft.*$/gm, ''),
  };
};

function ssh(state: LabState, user: string, host: string, cmd: string) {
  const h = state.hosts[host];
  assert.ok(h, `no host ${host}`);
  return runCommand('ip', [
    'netns',
    'exec',
    state.controlNs,
    ...labSshArgs(state.stateDir, { address: h.address, port: h.port, user }, ['ConnectTimeout=5']),
    cmd,
  ]);
}

// busybox nc has no UDP mode: a tiny Perl client sends one datagram and prints the answer.
const UDP_ASK =
  'my $s = IO::Socket::IP->new(PeerHost => $ARGV[0], PeerPort => $ARGV[1], Proto => "udp") or die;' +
  ' $s->send("q"); if (IO::Select->new($s)->can_read(3)) { $s->recv(my $b, 512); print $b }';

function inControl(state: LabState, args: string[]) {
  return runCommand('ip', ['netns', 'exec', state.controlNs, ...args]);
}

describe('netns lab: NAT layout with 5 hosts on 2 subnets', { skip }, () => {
  const inv = natLab('test-netns-nat');
  let state: LabState;
  let rootBefore: Awaited<ReturnType<typeof ipSnapshot>>;

  before(async () => {
    rootBefore = await ipSnapshot();
    const r = await labUp(inv);
    state = r.state;
    console.log(
      `# lab ${inv.name}: ${Object.keys(state.hosts).length} hosts up in ${r.seconds.toFixed(2)} s`,
    );
  });
  after(async () => {
    await labDown(inv);
  });

  test('every sshd accepts the lab key from the control namespace and prints its own hostname', async () => {
    for (const name of Object.keys(state.hosts)) {
      const r = await ssh(state, 'root', name, 'hostname');
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
      assert.equal(r.stdout.trim(), name);
    }
  });

  test('lvsadmin logs in with the lab key and sudo works without a password', async () => {
    const r = await ssh(state, 'lvsadmin', 'lb', 'id -un; sudo -n id -u');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['lvsadmin', '0']);
  });

  test('a file written to /etc on one host is visible neither on another nor in the root namespace', async () => {
    const w = await hostExec(state, 'web1', 'echo private > /etc/lvs-lab-probe && cat /etc/lvs-lab-probe');
    assert.equal(w.stdout.trim(), 'private', w.stderr);
    const other = await hostExec(state, 'web2', 'test -e /etc/lvs-lab-probe && echo seen || echo absent');
    assert.equal(other.stdout.trim(), 'absent');
    assert.throws(() => readFileSync('/etc/lvs-lab-probe'));
  });

  test('each host has exactly its inventory interfaces and no default route', async () => {
    const links = await hostExec(
      state,
      'lb',
      "ip -o -4 addr show | awk '{print $2, $4}'; ip route show default",
    );
    assert.deepEqual(links.stdout.trim().split('\n').sort(), [
      'eth0 198.51.100.2/24',
      'eth1 10.10.0.1/24',
      'lo 127.0.0.1/8',
    ]);
  });

  test('real servers answer HTTP on any path and UDP datagrams with their own name', async () => {
    const web1 = await inControl(state, ['curl', '-s', '-m', '5', 'http://10.10.0.11/anything/at/all']);
    assert.equal(web1.stdout, 'web1\n');
    const web2 = await inControl(state, [
      'curl',
      '-s',
      '-m',
      '5',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      'http://10.10.0.12:8080/x',
    ]);
    assert.equal(web2.stdout, '200');
    const dns = await inControl(state, [
      'perl',
      '-MIO::Socket::IP',
      '-MIO::Select',
      '-e',
      UDP_ASK,
      '10.10.0.13',
      '53',
    ]);
    assert.equal(dns.stdout, 'dns1\n');
  });

  test('lab exec runs in the control namespace with the lab ssh environment', async () => {
    const code = await labExec(inv, [
      'sh',
      '-c',
      'test "$LVS_DEPLOY_LAB" = test-netns-nat && test -r "$LVS_DEPLOY_LAB_IDENTITY" && ip -o addr | grep -q 10.10.0.253/24',
    ]);
    assert.equal(code, 0);
  });

  test('second up changes nothing and the lab stays healthy', async () => {
    const r = await labUp(inv);
    assert.equal(r.changed, false);
    assert.equal((await labStatus(inv)).healthy, true);
  });

  test('the root namespace gained no links or addresses', async () => {
    assert.deepEqual(await ipSnapshot(), rootBefore);
  });

  test('after down: no namespace, no recorded process, no mount left; a second down is fine', async () => {
    const pids = Object.values(state.hosts)
      .flatMap((h) => Object.values(h.pids))
      .filter((p): p is number => !!p);
    assert.ok(pids.length >= 5);
    await labDown(inv);
    await labDown(inv);
    const ns = await runCommand('ip', ['netns', 'list']);
    assert.ok(!ns.stdout.includes(`lvs-${state.id}-`), ns.stdout);
    for (const pid of pids) assert.equal(isAlive(pid), false, `pid ${pid} still alive`);
    assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes(`lvs-${state.id}`));
    assert.equal((await labStatus(inv)).up, false);
    assert.deepEqual(await ipSnapshot(), rootBefore);
  });
});

describe('netns lab: 50 hosts', { skip }, () => {
  const inv = bigLab('test-netns-50', 50);
  after(async () => {
    await labDown(inv);
  });

  test('50 hosts come up with every sshd answering (timing printed)', async () => {
    const r = await labUp(inv);
    console.log(`# lab ${inv.name}: 50 hosts up in ${r.seconds.toFixed(2)} s`);
    assert.equal(Object.keys(r.state.hosts).length, 50);
    assert.ok(r.seconds < 15, `took ${r.seconds} s`);
    const t0 = performance.now();
    await labDown(inv);
    console.log(`# lab ${inv.name}: down in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  });
});

describe('netns lab: down after a partial up', { skip }, () => {
  const name = 'test-netns-partial';
  after(async () => {
    await labDown(name);
  });

  test('down removes namespaces and processes left by an interrupted up, without state.json', async () => {
    const id = labIdOf(name);
    const ns = [`lvs-${id}-sw`, `lvs-${id}-h-a`];
    await runCommand('ip', ['-batch', '-'], ns.map((n) => `netns add ${n}`).join('\n'));
    await runCommand('ip', ['-n', ns[0] as string, 'link', 'add', `lvsb${id}0`, 'type', 'bridge']);
    const child = spawn('ip', ['netns', 'exec', ns[1] as string, 'sleep', '600'], {
      stdio: 'ignore',
      detached: true,
    });
    child.unref();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(isAlive(child.pid), true);
    await labDown(name);
    const list = await runCommand('ip', ['netns', 'list']);
    assert.ok(!list.stdout.includes(`lvs-${id}-`), list.stdout);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(isAlive(child.pid), false);
  });
});
