// manager: ldirectord — what the director gets (role, ldirectord.cf, daemon), every rendered
// ldirectord.cf parsed by the real ldirectord the way `up` validates it on the host, and how
// verify reads the table ldirectord programs (a quiesced real server fails its health check;
// it is not drift).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parseFacts } from '../../src/facts/parse.js';
import { loadInventory } from '../../src/inventory/load.js';
import { parseRules } from '../../src/model/ipvs.js';
import type { DesiredHost } from '../../src/model/types.js';
import { expandHost, expandInventory } from '../../src/roles/expand.js';
import { daemonTable } from '../../src/verify/daemon-table.js';

process.env.LVS_VRRP_PASS = 'k33pal1v';

const ROOT = join(import.meta.dirname, '..', '..');
const SEED = join(ROOT, 'inventories', 'seed-001-lic-ldirectord.yaml');
const FEATURES = join(ROOT, 'test', 'fixtures', 'ldirectord-features.yaml');
const CONF = '/etc/ha.d/ldirectord.cf';

function conf(d: DesiredHost | undefined): string {
  const f = d?.files.find((x) => x.path === CONF);
  assert.ok(f, `${d?.host} has ${CONF}`);
  return f.content;
}

/** The `virtual` section that starts with `head`, as trimmed lines (without the head). */
function section(text: string, head: string): string[] {
  const lines = text.split('\n');
  const start = lines.indexOf(head);
  assert.ok(start >= 0, `no "${head}" in:\n${text}`);
  const body: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (!l.startsWith('    ')) break;
    body.push(l.trim());
  }
  return body;
}

describe('seed 001, next step: ldirectord on ifw01', () => {
  test('the director gets ldirectord.cf, validated by ldirectord and reloaded with SIGHUP, and the daemon', async () => {
    const d = expandHost(await loadInventory(SEED), 'ifw01');
    assert.deepEqual(d.roles, ['common', 'director', 'director-ldirectord']);
    assert.deepEqual(d.packages, ['ipvsadm', 'ldirectord']);
    const f = d.files.find((x) => x.path === CONF);
    assert.deepEqual(f?.validate?.argv, ['ldirectord', '-d', '%s', 'stop']);
    assert.deepEqual(f?.notify, ['reload-ldirectord']);
    assert.deepEqual(d.daemons, [
      {
        name: 'ldirectord',
        unit: 'ldirectord.service',
        command: ['ldirectord', 'start'],
        pidfile: '/run/ldirectord.ldirectord.pid',
        reload: 'hup',
      },
    ]);
    assert.equal(d.ipvsStatic, false, 'ldirectord programs the table');
    assert.deepEqual(
      d.ipvs.map((s) => s.key),
      ['-t 200.0.0.10:80'],
    );
    assert.deepEqual(
      d.addresses,
      [{ dev: 'eth0', cidr: '200.0.0.10/32' }],
      'up adds the VIP: ldirectord does not',
    );
    assert.deepEqual(d.floatingAddresses, []);
    assert.equal(d.sysctls['net.ipv4.vs.expire_quiescent_template'], '1');
  });

  test('ldirectord.cf: globals, then the seed service with masq real servers and an http check', async () => {
    const text = conf(expandHost(await loadInventory(SEED), 'ifw01'));
    const globals = text.split('\n').filter((l) => /^[a-z]/.test(l));
    assert.deepEqual(globals, [
      'checktimeout = 2',
      'checkinterval = 2',
      'autoreload = no',
      'quiescent = yes',
      'cleanstop = yes',
      'logfile = "/var/log/ldirectord.log"',
      'virtual = 200.0.0.10:80',
    ]);
    assert.deepEqual(section(text, 'virtual = 200.0.0.10:80'), [
      'servicename = www',
      'real = 192.168.3.2:80 masq 100',
      'real = 192.168.3.3:80 masq 100',
      'protocol = tcp',
      'scheduler = wlc',
      'persistent = 600',
      'checktype = negotiate',
      'service = http',
      'request = "/infrastructure/host1"',
      'checktimeout = 2',
      'failurecount = 2',
    ]);
  });
});

describe('ldirectord.cf maps every service shape', () => {
  test('checks, forwarding, UDP/ops, fwmark, flags, netmasks and weights', async () => {
    const inv = await loadInventory(FEATURES);
    const text = conf(expandHost(inv, 'lb'));
    assert.match(text, /^checkinterval = 4$/m, 'the smallest delay_loop, whole seconds');
    assert.match(text, /^checktimeout = 3$/m, 'the largest connect_timeout, rounded up');
    assert.deepEqual(section(text, 'virtual = 10.9.0.100:80'), [
      'servicename = web',
      'real = 10.9.0.11:80 gate 1',
      'real = 10.9.0.12:80 gate 0',
      'protocol = tcp',
      'scheduler = rr',
      'checktype = negotiate',
      'service = http',
      'request = "/health"',
      'checktimeout = 3',
      'failurecount = 3',
    ]);
    assert.deepEqual(section(text, 'virtual = 10.9.0.100:443'), [
      'servicename = tls',
      'real = 10.9.0.11:443 ipip 1',
      'real = 10.9.0.12:443 ipip 3',
      'protocol = tcp',
      'scheduler = sh',
      'schedflags = sh-fallback,sh-port',
      'persistent = 300',
      'netmask = 255.255.255.0',
      'checktype = connect',
      'checktimeout = 3',
      'failurecount = 4',
    ]);
    assert.deepEqual(section(text, 'virtual = 10.9.0.101:53'), [
      'servicename = dns',
      'real = 10.9.0.11:5353 masq 1',
      'protocol = udp',
      'scheduler = wlc',
      'ops = yes',
      'checktype = on',
    ]);
    assert.deepEqual(section(text, 'virtual = 7'), [
      'servicename = marked',
      'real = 10.9.0.11 gate 1',
      'protocol = fwm',
      'scheduler = wlc',
      'checktype = external',
      'checkcommand = "/usr/local/bin/check-marked"',
      'checktimeout = 3',
      'failurecount = 4',
    ]);
    assert.deepEqual(section(text, 'virtual6 = [2001:db8:9::100]:80'), [
      'servicename = web6',
      'real6 = [2001:db8:9::11]:80 gate 1',
      'protocol = tcp',
      'scheduler = wlc',
      'persistent = 60',
      'netmask = 64',
      'checktype = connect',
      'checktimeout = 3',
      'failurecount = 4',
    ]);
  });
});

const ldirectord = '/usr/sbin/ldirectord';
const skip = !existsSync(ldirectord)
  ? 'ldirectord is not installed (bash .ci/setup installs it)'
  : !existsSync('/usr/sbin/ipvsadm') && !existsSync('/sbin/ipvsadm')
    ? 'ipvsadm is not installed (ldirectord refuses to start without it)'
    : false;

/** The command the role validates with: `ldirectord -d FILE stop` (see roles/director-ldirectord.yaml). */
function parse(file: string): { status: number; out: string } {
  const r = spawnSync(ldirectord, ['-d', file, 'stop'], {
    encoding: 'utf8',
    env: { ...process.env, LC_ALL: 'C' },
  });
  return { status: r.status ?? 1, out: `${r.stdout}${r.stderr}`.trim() };
}

describe('ldirectord itself parses every rendered ldirectord.cf', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'lvs-ldirectord-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('every director of every inventory and the feature fixture', async () => {
    const files = [
      ...readdirSync(join(ROOT, 'inventories'))
        .filter((n) => n.endsWith('.yaml'))
        .map((n) => join(ROOT, 'inventories', n)),
      FEATURES,
    ];
    let checked = 0;
    for (const path of files) {
      const inv = await loadInventory(path);
      for (const [name, d] of expandInventory(inv)) {
        const f = d.files.find((x) => x.path === CONF);
        if (!f) continue;
        // The name `up` gives the candidate: ldirectord derives its pid file from it.
        const file = join(dir, `${inv.name}-${name}.ldirectord.cf.lvs-new`);
        writeFileSync(file, f.content);
        const r = parse(file);
        assert.equal(r.status, 0, `ldirectord -d ${file} stop exited ${r.status}:\n${r.out}`);
        checked++;
      }
    }
    assert.ok(checked >= 2, `checked ${checked} configs`);
  });

  test('a broken config is refused with exit 2 and the line at fault', async () => {
    const good = conf(expandHost(await loadInventory(SEED), 'ifw01'));
    const broken = good.replace('192.168.3.3:80 masq 100', '192.168.3.3:80 mask 100');
    assert.notEqual(broken, good);
    const file = join(dir, 'broken.cf');
    writeFileSync(file, broken);
    const r = parse(file);
    const line = broken.split('\n').indexOf('    real = 192.168.3.3:80 mask 100') + 1;
    assert.equal(r.status, 2, r.out);
    assert.match(r.out, new RegExp(`at line ${line}: forward method must be gate, masq or ipip`));
  });
});

describe('verify reads the table ldirectord programs', () => {
  const facts = (table: string) => ({ ...parseFacts('==>lvs:end\n'), ipvs: parseRules(table).services });
  const SERVICE = '-A -t 200.0.0.10:80 -s wlc -p 600';
  const ics01 = (w: number) => `-a -t 200.0.0.10:80 -r 192.168.3.2:80 -m -w ${w}`;
  const ics02 = (w: number) => `-a -t 200.0.0.10:80 -r 192.168.3.3:80 -m -w ${w}`;
  const director = async () => expandHost(await loadInventory(SEED), 'ifw01');

  test('the table as configured passes', async () => {
    const checks = daemonTable(await director(), facts([SERVICE, ics01(100), ics02(100)].join('\n')));
    assert.deepEqual(
      checks.map((c) => [c.check, c.ok]),
      [['ipvs', true]],
    );
    assert.match(checks[0]?.detail ?? '', /2 real server\(s\), 2 passing their health check/);
  });

  test('a real server quiesced by ldirectord (weight 0) fails its health check and is not drift', async () => {
    const checks = daemonTable(await director(), facts([SERVICE, ics01(100), ics02(0)].join('\n')));
    assert.deepEqual(
      checks.map((c) => [c.check, c.ok]),
      [
        ['ipvs', true],
        ['health', false],
      ],
    );
    assert.equal(
      checks[1]?.detail,
      'real server 192.168.3.3:80 of -t 200.0.0.10:80 fails its health check (ldirectord quiesced it: weight 0, configured 100)',
    );
    assert.match(checks[1]?.fix ?? '', /ldirectord puts it back by itself/);
  });

  test('a service with no live real server fails verify (every one quiesced)', async () => {
    const checks = daemonTable(await director(), facts([SERVICE, ics01(0), ics02(0)].join('\n')));
    assert.deepEqual(
      checks.map((c) => [c.check, c.ok]),
      [
        ['ipvs', false],
        ['health', false],
        ['health', false],
      ],
    );
    assert.match(checks[0]?.detail ?? '', /has no live real server .*connections to it fail/);
  });

  test('a service whose daemon removed every real server fails verify', async () => {
    const [c] = daemonTable(await director(), facts(SERVICE));
    assert.deepEqual([c?.check, c?.ok], ['ipvs', false]);
    assert.match(c?.detail ?? '', /no live real server \(0 in the table/);
  });

  test('a changed weight, an unknown real server or other service attributes are drift, naming ldirectord', async () => {
    const table = [
      SERVICE.replace('wlc', 'rr'),
      ics01(5),
      ics02(100),
      '-a -t 200.0.0.10:80 -r 192.168.3.9:80 -m -w 1',
    ].join('\n');
    const [c, ...rest] = daemonTable(await director(), facts(table));
    assert.deepEqual([c?.check, c?.ok, rest.length], ['ipvs', false, 0]);
    assert.match(
      c?.detail ?? '',
      /live -A -t 200\.0\.0\.10:80 -s rr -p 600, desired -A -t 200\.0\.0\.10:80 -s wlc -p 600/,
    );
    assert.match(c?.detail ?? '', /192\.168\.3\.2:80: live .* -w 5, desired .* -w 100/);
    assert.match(c?.detail ?? '', /192\.168\.3\.9:80: not in the inventory/);
    assert.match(c?.fix ?? '', /^ldirectord has not applied its config/);
  });

  test('a missing service names ldirectord and where to look', async () => {
    const [c] = daemonTable(await director(), facts(''));
    assert.deepEqual([c?.ok, c?.detail], [false, `missing ${SERVICE}`]);
    assert.match(c?.fix ?? '', /check ldirectord is running .*\/var\/log\/ldirectord\.log/);
  });

  test('under keepalived a removed real server fails its health check too', async () => {
    const d = expandHost(
      await loadInventory(join(ROOT, 'inventories', 'seed-002-dr-keepalived.yaml')),
      'lb1',
    );
    const want = d.ipvs.find((s) => s.key === '-t 192.168.100.9:80');
    assert.ok(want);
    const [first] = want.dests;
    assert.ok(first);
    const live = d.ipvs.map((s) => ({ ...s, dests: s === want ? s.dests.slice(1) : s.dests }));
    const checks = daemonTable(d, { ...parseFacts('==>lvs:end\n'), ipvs: live });
    const health = checks.filter((c) => c.check === 'health');
    assert.equal(health.length, 1);
    assert.match(health[0]?.detail ?? '', /fails its health check \(keepalived removed it\)/);
    assert.ok(checks.filter((c) => c.check === 'ipvs').every((c) => c.ok));
  });
});
