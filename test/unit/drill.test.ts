// The drill's judgement (bounds, outage, split brain, gratuitous ARP) and its self-undoing remote
// scripts (written before the break, a timer that runs them, crash mode's nft and SIGSTOP), plus
// the CLI refusing before any host is contacted.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  failBackBoundMs,
  failoverBoundMs,
  judgeHolders,
  judgeNeighbour,
  judgePhase,
  longKept,
  measureOutage,
  SLACK_MS,
} from '../../src/drill/judge.js';
import {
  type BreakPlan,
  breakScript,
  crashRuleset,
  parseHolding,
  restoreScript,
  undoText,
} from '../../src/drill/remote.js';
import { parseStream, type StreamRequest } from '../../src/drill/stream.js';
import { cli, ROOT } from '../helpers/cli.js';

const req = (at: number, ok: boolean): StreamRequest => ({ at, target: '192.0.2.9,80', ok });

describe('drill: bounds', () => {
  test('crash and link: 3 × advert_int plus the BACKUP skew (3.61 s at advert_int 1, priority 100)', () => {
    assert.equal(failoverBoundMs('crash', 1, 100), 3610);
    assert.equal(failoverBoundMs('link', 2, 200), 6219);
  });
  test('graceful: under 1 s whatever the timers (priority-0 advert)', () => {
    assert.equal(failoverBoundMs('graceful', 5, 100), 1000);
  });
  test('fail-back: one advert interval, at least 1 s', () => {
    assert.equal(failBackBoundMs(1), 1000);
    assert.equal(failBackBoundMs(3), 3000);
  });
});

describe('drill: outage', () => {
  test('first failed request to the first answered one after the last failure', () => {
    const reqs = [
      req(0, true),
      req(100, false),
      req(200, false),
      req(300, true),
      req(400, false),
      req(500, true),
    ];
    assert.deepEqual(measureOutage(reqs, 0, 1000), { outageMs: 400, failed: 3, requests: 6 });
  });
  test('no failure is no outage; only the window counts', () => {
    assert.deepEqual(measureOutage([req(0, true), req(100, false), req(200, true)], 150, 1000), {
      outageMs: 0,
      failed: 0,
      requests: 1,
    });
  });
  test('never answered again: no outage figure, and the phase fails its bound', () => {
    const o = measureOutage([req(0, true), req(100, false), req(200, false)], 0, 1000);
    assert.equal(o.outageMs, null);
    const p = judgePhase({
      phase: 'failover',
      from: 'lb1',
      to: 'lb2',
      outageMs: o.outageMs,
      failedRequests: o.failed,
      requests: o.requests,
      longLived: { kept: 0, total: 0 },
      boundMs: 3610,
      holders: [judgeHolders('192.0.2.9', [{ host: 'lb2', holds: true }])],
      neighbours: [],
      measured: true,
    });
    assert.equal(p.withinBound, false);
    assert.equal(p.ok, false);
  });
  test('long-lived connections broken after the window still count as kept in it', () => {
    assert.deepEqual(
      longKept([{ target: 'a' }, { target: 'a', brokenAt: 50 }, { target: 'a', brokenAt: 500 }], 100),
      {
        kept: 2,
        total: 3,
      },
    );
  });
});

describe('drill: who holds the VIP', () => {
  test('two directors holding it is split brain, named', () => {
    const v = judgeHolders('192.0.2.9', [
      { host: 'lb1', holds: true },
      { host: 'lb2', holds: true },
    ]);
    assert.equal(v.ok, false);
    assert.match(v.detail, /split brain: held by lb1 and lb2/);
  });
  test('none holding it fails; one passes', () => {
    assert.equal(judgeHolders('a', [{ host: 'lb1', holds: false }]).ok, false);
    assert.equal(
      judgeHolders('a', [
        { host: 'lb1', holds: false },
        { host: 'lb2', holds: true },
      ]).detail,
      'held by lb2',
    );
  });
  test('a director silenced by the crash drill keeps the address configured but does not count', () => {
    const v = judgeHolders('a', [
      { host: 'lb1', holds: true, silenced: true },
      { host: 'lb2', holds: true },
    ]);
    assert.equal(v.ok, true);
    assert.match(v.detail, /held by lb2 \(still configured on silenced lb1\)/);
  });
  test('the client neighbour entry must follow the VIP to the new holder', () => {
    assert.equal(judgeNeighbour('a', 'aa', 'bb', 'bb').moved, true);
    assert.equal(judgeNeighbour('a', 'aa', 'aa', 'bb').moved, false);
    assert.equal(judgeNeighbour('a', undefined, undefined, 'bb').moved, null);
    const p = judgePhase({
      phase: 'failover',
      from: 'lb1',
      to: 'lb2',
      outageMs: 100,
      failedRequests: 1,
      requests: 50,
      longLived: { kept: 4, total: 4 },
      boundMs: 1000,
      holders: [judgeHolders('a', [{ host: 'lb2', holds: true }])],
      neighbours: [judgeNeighbour('a', 'aa', 'aa', 'bb')],
      measured: true,
    });
    assert.equal(p.withinBound, true);
    assert.equal(p.ok, false, 'a client still sending to the old MAC fails the drill');
  });
  test('an outage within bound + resolution passes, one over fails', () => {
    const base = {
      phase: 'failover' as const,
      from: 'lb1',
      to: 'lb2',
      failedRequests: 1,
      requests: 50,
      longLived: { kept: 4, total: 4 },
      boundMs: 3610,
      holders: [],
      neighbours: [],
      measured: true,
    };
    assert.equal(judgePhase({ ...base, outageMs: 3610 + SLACK_MS }).ok, true);
    assert.equal(judgePhase({ ...base, outageMs: 3611 + SLACK_MS }).ok, false);
  });
});

describe('drill: parsing the host and the stream', () => {
  test('addresses and MACs from ip -o', () => {
    const h =
      parseHolding(`2: ens224    inet 192.168.100.10/27 brd 192.168.100.31 scope global ens224\\       valid_lft forever
2: ens224    inet 192.168.100.9/32 scope global ens224\\       valid_lft forever
2: ens224@if5: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen 1000\\    link/ether 52:54:00:aa:bb:cc brd ff:ff:ff:ff:ff:ff`);
    assert.ok(h.addresses.has('192.168.100.9'));
    assert.equal(h.macs.get('ens224'), '52:54:00:aa:bb:cc');
  });
  test('sync daemons and IPVS connection entries from ipvsadm', () => {
    const h = parseHolding(`syncd master sync daemon (mcast=ens224, syncid=51)
syncd backup sync daemon (mcast=ens224, syncid=51)
conn IPVS connection entries
conn pro expire state       source             virtual            destination
conn TCP  14:59  ESTABLISHED 192.168.100.30:45678 192.168.100.9:80   192.168.100.20:80
conn TCP  00:59  SYN_RECV    192.168.100.30:45679 192.168.100.9:80   192.168.100.21:80`);
    assert.deepEqual(h.syncDaemons, ['master', 'backup']);
    assert.deepEqual(h.connections, [
      { state: 'ESTABLISHED', virtual: '192.168.100.9:80' },
      { state: 'SYN_RECV', virtual: '192.168.100.9:80' },
    ]);
  });
  test('stream lines', () => {
    const s = parseStream(
      'start 1000\nreq 1000 192.0.2.9,80 ok\nreq 1100 192.0.2.9,80 fail connect\nlong 1 192.0.2.9,80 kept\nlong 2 192.0.2.9,80 broken 1500\nend 2000\n',
    );
    assert.equal(s.start, 1000);
    assert.equal(s.end, 2000);
    assert.deepEqual(s.requests[1], { at: 1100, target: '192.0.2.9,80', ok: false, reason: 'connect' });
    assert.deepEqual(s.long, [{ target: '192.0.2.9,80' }, { target: '192.0.2.9,80', brokenAt: 1500 }]);
  });
});

const plan = (mode: BreakPlan['mode']): BreakPlan => ({
  mode,
  daemon: {
    name: 'keepalived',
    unit: 'keepalived',
    command: ['keepalived', '-D'],
    pidfile: '/run/keepalived.pid',
    reload: 'hup',
  },
  interfaces: ['ens224'],
  addresses: ['192.168.100.9'],
  sshPort: 22,
  undoAfterSecs: 42,
});

describe('drill: the self-undoing scripts', () => {
  for (const mode of ['graceful', 'crash', 'link'] as const) {
    test(`${mode}: the undo is written and its timer armed before the MASTER breaks`, () => {
      const s = breakScript(plan(mode));
      const undo = s.indexOf('> "$D/undo.sh"');
      const timer = s.indexOf('lvs-drill-timer 42');
      const brk =
        mode === 'graceful'
          ? s.indexOf('systemctl stop')
          : mode === 'crash'
            ? s.indexOf('kill -STOP')
            : s.indexOf('ip link set dev ens224 down');
      assert.ok(
        undo > 0 && timer > undo && brk > timer,
        `order undo ${undo} < timer ${timer} < break ${brk}`,
      );
      assert.match(
        s,
        /undo\.sh" \] \|\| \[ -f "\$D\/undo\.run" \]; then echo '==>drill:pending/,
        'a pending undo refuses a second drill',
      );
      assert.equal(spawnSync('sh', ['-n'], { input: s }).status, 0, 'the script parses');
      assert.equal(spawnSync('sh', ['-n'], { input: undoText(plan(mode)) }).status, 0, 'the undo parses');
    });
  }
  test('crash: freezes keepalived and its children, undo deletes the drill table and resumes them', () => {
    const s = breakScript(plan('crash'));
    assert.match(s, /pgrep -P "\$main"/);
    const u = undoText(plan('crash'));
    assert.match(u, /nft delete table inet lvs_deploy_drill/);
    assert.match(u, /nft delete table arp lvs_deploy_drill/);
    assert.match(u, /kill -CONT/);
  });
  test('crash: the ruleset keeps SSH and drops the rest of the interface, and ARP for the VIPs only', () => {
    const r = crashRuleset(plan('crash'));
    assert.match(r, /iifname \{ "ens224" \} tcp dport 22 accept; .* iifname \{ "ens224" \} drop;/);
    assert.match(r, /arp daddr ip \{ 192\.168\.100\.9 \} drop/);
    if (process.getuid?.() === 0 && spawnSync('nft', ['--version']).status === 0) {
      const c = spawnSync('nft', ['-c', '-f', '-'], { input: r, encoding: 'utf8' });
      assert.equal(c.status, 0, c.stderr);
    }
  });
  test('link: routes through the interface are saved first and put back after the link is up', () => {
    assert.match(breakScript(plan('link')), /ip route show dev ens224 > "\$D"\/routes\.ens224\n/);
    assert.match(
      undoText(plan('link')),
      /ip link set dev ens224 up\nwhile read -r r; do ip route replace \$r dev ens224/,
    );
  });
  test('restore runs the undo once (renamed first) and disarms the timer', () => {
    const s = restoreScript();
    assert.match(s, /kill "\$\(cat "\$D\/timer\.pid"\)"/);
    assert.match(s, /if mv "\$D\/undo\.sh" "\$D\/undo\.run"/);
  });
});

describe('drill: the CLI refuses before contacting a host', () => {
  const env = { ...process.env, LVS_VRRP_PASS: 'k33pal1v', LVS_DEPLOY_LAB: '' };
  test('an inventory without a VRRP pair: exit 2', async () => {
    const r = await cli(
      ['drill', 'failover', join(ROOT, 'inventories', 'seed-001-lic-nat.yaml'), '--yes'],
      env,
    );
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /needs a VRRP pair/);
  });
  test('outside a lab, without --yes and without a TTY: exit 2', async () => {
    const r = await cli(['drill', 'failover', join(ROOT, 'inventories', 'seed-002-dr-keepalived.yaml')], env);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /pass --yes/);
  });
});

describe('connection sync', () => {
  test('keepalived runs the master and the backup sync daemon on every director (no VRRP instance named)', async () => {
    process.env.LVS_VRRP_PASS ??= 'k33pal1v';
    const { loadInventory } = await import('../../src/inventory/load.js');
    const { expandInventory } = await import('../../src/roles/expand.js');
    const inv = await loadInventory(join(ROOT, 'test', 'fixtures', 'keepalived-features.yaml'));
    for (const host of inv.directors.hosts) {
      const conf = expandInventory(inv)
        .get(host)
        ?.files.find((f) => f.path.endsWith('keepalived.conf'))?.content;
      assert.match(conf ?? '', /^ {2}lvs_sync_daemon eth1 id \d+$/m, `${host}: ${conf}`);
    }
  });
});
