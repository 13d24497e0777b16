// status: parser fixtures captured from real directors in the VM lab (seed 002 under a traffic
// stream, test/vm/scenarios/status.ts with LVS_STATUS_CAPTURE), the alarm logic on variations of
// them, and the Prometheus text through the real `promtool check metrics`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { loadInventory } from '../../src/inventory/load.js';
import type { Inventory } from '../../src/inventory/types.js';
import { expandHost } from '../../src/roles/expand.js';
import type { DirectorResult } from '../../src/status/build.js';
import { managerView } from '../../src/status/manager.js';
import { parseIpvsList, parseStatus, parseSyncDaemons } from '../../src/status/parse.js';
import { judgeRealServer } from '../../src/status/realservers.js';
import { renderPrometheus } from '../../src/status/render-prometheus.js';
import { renderTable } from '../../src/status/render-table.js';
import { buildReport } from '../../src/status/run.js';
import { cli, ROOT } from '../helpers/cli.js';

const fixture = (name: string) => readFileSync(join(ROOT, 'test', 'fixtures', 'status', name), 'utf8');
const LB1 = fixture('lb1-traffic.txt');
const LB2 = fixture('lb2-traffic.txt');
const VIP_ON_LB1 =
  ',{"family":"inet","local":"192.168.100.9","prefixlen":27,"scope":"global","secondary":true,"label":"ens224","valid_life_time":4294967295,"preferred_life_time":4294967295}';
const WEB2_HTTP = /^.*192\.168\.100\.21:80\b.*\n/gm;

describe('status', () => {
  let inv: Inventory;
  before(async () => {
    process.env.LVS_VRRP_PASS ??= 'unit1';
    inv = await loadInventory(join(ROOT, 'inventories', 'seed-002-dr-keepalived.yaml'));
  });
  const result = (director: string, text: string): DirectorResult => {
    const desired = expandHost(inv, director);
    return { director, desired, view: managerView(inv, desired), read: parseStatus(text), ms: 0 };
  };
  const report = (lb1 = LB1, lb2 = LB2) =>
    buildReport(inv, [result('lb1', lb1), result('lb2', lb2)], new Date('2026-11-30T03:23:27Z'));
  const kinds = (r: ReturnType<typeof report>) => r.alarms.map((a) => a.kind);

  test('parses a real director: table, counters under traffic, VIP, daemon, priority', () => {
    const r = parseStatus(LB1);
    assert.deepEqual(r.errors, []);
    assert.equal(r.ipvs, 'ok');
    assert.deepEqual(
      r.table.map((s) => [s.key, s.persistence?.timeout, s.dests.length]),
      [
        ['-t 192.168.100.9:80', 600, 2],
        ['-t 192.168.100.9:443', 600, 2],
      ],
    );
    assert.deepEqual(r.counters.get('-t 192.168.100.9:80')?.get('192.168.100.21:80'), {
      weight: 1,
      active: 0,
      inactive: 220,
      cps: 5,
      inBps: 1802,
      outBps: 0,
    });
    assert.ok(r.addresses.some((a) => a.dev === 'ens224' && a.address === '192.168.100.9'));
    assert.deepEqual(r.downLinks, []);
    assert.deepEqual(r.daemon, { name: 'keepalived', running: true });
    assert.deepEqual(r.vrrpConfig, [{ instance: 'VI_1', priority: 200, tracked: false }]);
    assert.deepEqual(r.operator.drains, []);
  });

  test('long-lived connections open: ActiveConn and the rate estimator as ipvsadm printed them', () => {
    const c = parseStatus(fixture('lb1-traffic-open.txt')).counters.get('-t 192.168.100.9:80');
    assert.deepEqual(c?.get('192.168.100.21:80'), {
      weight: 1,
      active: 5,
      inactive: 302,
      cps: 16,
      inBps: 4934,
      outBps: 0,
    });
    assert.deepEqual(c?.get('192.168.100.20:80'), {
      weight: 1,
      active: 0,
      inactive: 0,
      cps: 0,
      inBps: 0,
      outBps: 0,
    });
  });

  test('ipvsadm -L lines for UDP, IPv6 and fwmark services key like the planner', () => {
    const t = parseIpvsList(
      [
        'UDP  10.0.0.1:53 rr',
        '  -> 10.0.1.1:53                   Masq    2      0          7',
        'TCP  [2001:db8::1]:80 wlc',
        '  -> [2001:db8::10]:80             Route   1      3          0',
        'FWM  7 rr',
        '  -> 10.0.1.2:0                    Tunnel  1      1          1',
      ].join('\n'),
    );
    assert.deepEqual([...t.keys()], ['-u 10.0.0.1:53', '-t [2001:db8::1]:80', '-f 7']);
    assert.deepEqual(t.get('-t [2001:db8::1]:80')?.get('[2001:db8::10]:80'), ['Route', '1', '3', '0']);
  });

  test('a healthy pair: lb1 MASTER 200, lb2 BACKUP 100, counters per real server, no alarm', () => {
    const r = report();
    assert.deepEqual(
      r.instances.map((i) => [i.director, i.state, i.priority, i.held]),
      [
        ['lb1', 'MASTER', 200, ['192.168.100.9']],
        ['lb2', 'BACKUP', 100, []],
      ],
    );
    const web2 = r.services[0]?.directors[0]?.real_servers[1];
    assert.deepEqual(
      [web2?.real_server, web2?.active_conns, web2?.inactive_conns, web2?.conns_per_second, web2?.health],
      ['web2', 0, 220, 5, 'up'],
    );
    assert.deepEqual(r.alarms, []);
    assert.ok(r.ok);
  });

  test('split brain: both directors hold the VIP', () => {
    const r = report(
      LB1,
      LB2.replace(
        '"label":"ens224","valid_life_time":4294967295,"preferred_life_time":4294967295}',
        `$&${VIP_ON_LB1}`,
      ),
    );
    assert.deepEqual(kinds(r), ['split-brain']);
    assert.equal(r.alarms[0]?.message, 'VI_1: lb1 and lb2 are all MASTER');
    assert.equal(r.ok, false);
  });

  test('a VIP held by no director: one alarm per service on it, both directors BACKUP', () => {
    const r = report(LB1.replace(VIP_ON_LB1, ''));
    assert.deepEqual(kinds(r), ['vip-unheld', 'vip-unheld']);
    assert.deepEqual(
      r.instances.map((i) => i.state),
      ['BACKUP', 'BACKUP'],
    );
  });

  test("a real server keepalived's checker removed on one director: health removed, table mismatch, not drift", () => {
    const r = report(LB1.replace(WEB2_HTTP, ''));
    assert.equal(r.services[0]?.directors[0]?.real_servers[1]?.health, 'removed');
    assert.deepEqual(kinds(r), ['table-mismatch']);
    assert.equal(r.alarms[0]?.message, "http: web2 is in lb2's table but not in lb1's");
  });

  test('drift: a weight the inventory does not have is the planner diff', () => {
    const r = report(
      LB1.replace(
        '-a -t 192.168.100.9:443 -r 192.168.100.20:443 -g -w 1',
        '-a -t 192.168.100.9:443 -r 192.168.100.20:443 -g -w 5',
      ),
    );
    assert.deepEqual(kinds(r), ['drift']);
    assert.match(
      r.alarms[0]?.message ?? '',
      /^lb1: live table differs from the inventory: up would ipvs edit .* -w 5 → .* -w 1$/,
    );
  });

  test('drift under the static manager: a missing real server is drift, not health', () => {
    const staticInv: Inventory = {
      ...inv,
      directors: { ...inv.directors, manager: 'ipvsadm', vrrp: undefined },
    };
    const desired = expandHost(staticInv, 'lb1');
    const r = buildReport(staticInv, [
      {
        director: 'lb1',
        desired,
        view: managerView(staticInv, desired),
        read: parseStatus(LB1.replace(WEB2_HTTP, '')),
        ms: 0,
      },
    ]);
    assert.equal(r.services[0]?.directors[0]?.real_servers[1]?.health, 'missing');
    assert.deepEqual(kinds(r), ['drift']);
    assert.match(
      r.alarms[0]?.message ?? '',
      /ipvs add -a -t 192\.168\.100\.9:80 -r 192\.168\.100\.21:80 -g -w 1/,
    );
  });

  test('an operator drain: shown per real server, its weight 0 raises nothing', () => {
    const drain =
      '{"version":1,"drains":[{"service":"http","real_server":"web2","since":"2026-11-30T03:00:00Z","by":"ops@control"}]}';
    const zero = (t: string) =>
      t
        .replace(
          '-a -t 192.168.100.9:80 -r 192.168.100.21:80 -g -w 1',
          '-a -t 192.168.100.9:80 -r 192.168.100.21:80 -g -w 0',
        )
        .replace(/(192\.168\.100\.21:80 +Route +)1/, '$10')
        .replace('==>lvs:operator\n', `==>lvs:operator\n${drain}\n`);
    const r = report(zero(LB1), zero(LB2));
    const web2 = r.services[0]?.directors[0]?.real_servers[1];
    assert.deepEqual(
      [web2?.weight, web2?.health, web2?.drained],
      [0, 'up', { since: '2026-11-30T03:00:00Z', by: 'ops@control' }],
    );
    assert.deepEqual(r.alarms, []);
    assert.equal(r.drains.length, 2);
    assert.match(renderTable(r), /web2 \(http\) drained on lb1 since 2026-11-30T03:00:00Z by ops@control/);
  });

  test('an unreadable operator.json and an unreachable director are said, not guessed', () => {
    assert.match(
      parseStatus(LB1.replace('==>lvs:operator\n', '==>lvs:operator\n{"version":2}\n')).errors.join(),
      /version 2/,
    );
    const desired = expandHost(inv, 'lb2');
    const r = buildReport(inv, [
      result('lb1', LB1),
      { director: 'lb2', desired, view: managerView(inv, desired), error: 'connect timeout', ms: 10 },
    ]);
    assert.deepEqual(kinds(r), ['unreachable']);
    assert.deepEqual(
      r.instances.map((i) => i.state),
      ['MASTER', 'STOPPED'],
    );
  });

  test('keepalived stopped and a link down read as STOPPED and FAULT, priority 0', () => {
    const r = report(LB1, LB2.replace('keepalived running', 'keepalived stopped'));
    assert.deepEqual([r.instances[1]?.state, r.instances[1]?.priority], ['STOPPED', 0]);
    const f = report(
      LB1,
      LB2.replace(
        '"ifname":"ens224","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"]',
        '"ifname":"ens224","flags":["BROADCAST","MULTICAST","UP","NO-CARRIER"]',
      ),
    );
    assert.equal(f.instances[1]?.state, 'FAULT');
  });

  test('sync daemons: read from ipvsadm -L --daemon per director, in the JSON, the table and Prometheus', async () => {
    assert.equal(parseStatus(LB1).syncDaemons, null, 'output without the section (no IPVS read): unknown');
    // Captured in the VM lab: lb1 with both daemons started by hand (syncid 77), lb2 with none.
    const lb1 = fixture('lb1-sync.txt');
    const lb2 = fixture('lb2-sync.txt');
    assert.deepEqual(parseStatus(lb1).syncDaemons, [
      { role: 'master', interface: 'ens224', syncid: 77 },
      { role: 'backup', interface: 'ens224', syncid: 77 },
    ]);
    assert.deepEqual(parseStatus(lb2).syncDaemons, [], 'the section present and empty: none runs');
    // ipvsadm before 1.29 printed no maxlen/group/port/ttl.
    assert.deepEqual(parseSyncDaemons('backup sync daemon (mcast=eth1, syncid=7)\n'), [
      { role: 'backup', interface: 'eth1', syncid: 7 },
    ]);
    const r = report(lb1, lb2);
    assert.deepEqual(
      r.directors.map((d) => [d.director, d.sync_daemons?.map((x) => x.role)]),
      [
        ['lb1', ['master', 'backup']],
        ['lb2', []],
      ],
    );
    assert.deepEqual(r.notes, [], 'seed 002 does not set directors.sync_daemon: nothing is missing');
    const text = renderTable(r);
    assert.match(text, /^IPVS sync daemons$/m);
    assert.match(text, /^lb1\s+master \(ens224, syncid 77\), backup \(ens224, syncid 77\)$/m);
    assert.match(text, /^lb2\s+none$/m);
    assert.doesNotMatch(
      renderTable(report()),
      /sync daemons/,
      'no section when none runs and none is asked for',
    );
    const prom = renderPrometheus(r);
    assert.match(prom, /^lvs_deploy_ipvs_sync_master_daemon\{director="lb1"\} 1$/m);
    assert.match(prom, /^lvs_deploy_ipvs_sync_backup_daemon\{director="lb2"\} 0$/m);
    const check = spawnSync('promtool', ['check', 'metrics'], { input: prom, encoding: 'utf8' });
    assert.equal(check.status, 0, `${check.stdout}${check.stderr}`);
    // With directors.sync_daemon each director must run both (two-way sync): lb2 runs neither.
    const synced = await loadInventory(join(ROOT, 'inventories', 'seed-002-dr-keepalived.yaml'));
    synced.directors.sync_daemon = { interface: 'ens224', id: 51 };
    const withSync = buildReport(synced, [result('lb1', lb1), result('lb2', lb2)]);
    assert.deepEqual(withSync.notes, [
      'lb2 runs no IPVS master or backup sync daemon although directors.sync_daemon is set: its connections would not survive a failover',
    ]);
    assert.match(renderTable(withSync), /^note: lb2 runs no IPVS master or backup sync daemon/m);
  });

  test('the table: one row per real server and director, the VRRP roles, alarms last', () => {
    const text = renderTable(report());
    assert.match(text, /^VI_1\s+lb1\s+MASTER\s+200\s+192\.168\.100\.9$/m);
    assert.match(text, /^ {2}web2\s+lb1\s+1\s+0\s+220\s+5\s+1802\s+0\s+up$/m);
    assert.match(text, /alarms: none$/);
  });

  test('Prometheus text passes the real promtool check metrics, labels from inventory names only', () => {
    const text = renderPrometheus(report(LB1.replace(WEB2_HTTP, '')));
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(check.error, undefined, 'promtool is installed (Debian package prometheus)');
    assert.equal(check.status, 0, `${check.stdout}${check.stderr}`);
    assert.match(
      text,
      /^lvs_deploy_real_server_inactive_connections\{service="https",director="lb1",real_server="web2"\} 10$/m,
    );
    assert.match(
      text,
      /^lvs_deploy_real_server_in_table\{service="http",director="lb1",real_server="web2"\} 0$/m,
    );
    assert.match(text, /^lvs_deploy_alarms 1$/m);
    const labels = new Set([...text.matchAll(/([a-z_]+)="/g)].map((m) => m[1]));
    assert.deepEqual([...labels].sort(), ['director', 'instance', 'real_server', 'service']);
  });
});

describe('status --realservers', () => {
  test('a DR real server: VIP on lo and the port listening, read from ip -j addr and ss -Hlnt', async () => {
    process.env.LVS_VRRP_PASS ??= 'unit1';
    const inv = await loadInventory(join(ROOT, 'inventories', 'seed-002-dr-keepalived.yaml'));
    const addr = JSON.stringify([
      { ifname: 'lo', addr_info: [{ local: '127.0.0.1' }, { local: '192.168.100.9' }] },
      { ifname: 'ens224', addr_info: [{ local: '192.168.100.20' }] },
    ]);
    const listen = [
      'LISTEN 0      128          0.0.0.0:22        0.0.0.0:*',
      'LISTEN 0      511                *:80              *:*',
    ].join('\n');
    const out = `==>lvs:addr\n${addr}\n==>lvs:listen\n${listen}\n==>lvs:end\n`;
    assert.deepEqual(judgeRealServer(inv, 'web1', out), [
      { service: 'http', vip_ready: true, listening: true },
      { service: 'https', vip_ready: true, listening: false },
    ]);
    assert.deepEqual(
      judgeRealServer(inv, 'web1', out.replace(',{"local":"192.168.100.9"}', '')).map((c) => c.vip_ready),
      [false, false],
    );
  });
});

describe('status command', () => {
  test('bad input: FILE:LINE:COL lines, exit 2, nothing contacted', async () => {
    const r = await cli(['status', 'test/fixtures/bad/001-yaml-bad-indent.yaml']);
    assert.equal(r.code, 2);
    for (const line of r.stderr.trim().split('\n'))
      assert.match(line, /^test\/fixtures\/bad\/001-yaml-bad-indent\.yaml:\d+:\d+: .+$/);
    assert.equal(r.stdout, '');
  });

  test('a director that cannot be reached is an alarm: exit 1, JSON version 1', async () => {
    const r = await cli(['status', 'test/fixtures/status-unreachable.yaml', '--json']);
    assert.equal(r.code, 1, r.stderr);
    const doc = JSON.parse(r.stdout) as { version: number; alarms: { kind: string }[]; ok: boolean };
    assert.equal(doc.version, 1);
    assert.deepEqual(
      doc.alarms.map((a) => a.kind),
      ['unreachable'],
    );
    assert.equal(doc.ok, false);
  });
});
