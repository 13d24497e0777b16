// drain/enable/roll as data: the desired state with drains for each manager (the exact lines
// that change), the drain set after drain/enable, the last-server refusal, the live table parser,
// and roll's batches.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseIpvsList } from '../../src/drain/live.js';
import {
  type Drain,
  expandDrained,
  OPERATOR_FILE,
  parseOperator,
  renderOperator,
} from '../../src/drain/operator.js';
import { drainTarget, nextDrains, servicesLeftEmpty } from '../../src/drain/select.js';
import { loadInventory } from '../../src/inventory/load.js';
import type { Inventory } from '../../src/inventory/types.js';
import { expandHost } from '../../src/roles/expand.js';
import { allRealServers, pickRealServers, rollBatches } from '../../src/roll/order.js';
import { rollProbeSpecs } from '../../src/roll/roll.js';
import { probeScript } from '../../src/verify/probes.js';

process.env.LVS_VRRP_PASS = 'k33pal1v';
const INVENTORIES = join(import.meta.dirname, '..', '..', 'inventories');
const load = (name: string): Promise<Inventory> => loadInventory(join(INVENTORIES, `${name}.yaml`));
const STAMP = { since: '2026-11-30T04:00:00.000Z', by: 'ops@control' };

/** Lines of each file that differ between the undrained and the drained director: [path, old, new]. */
function changedLines(inv: Inventory, host: string, drains: Drain[]): [string, string, string][] {
  const a = expandHost(inv, host);
  const b = expandDrained(inv, host, 'debian', drains);
  const out: [string, string, string][] = [];
  for (const f of b.files) {
    if (f.path === OPERATOR_FILE) continue;
    const old = a.files.find((x) => x.path === f.path)?.content.split('\n') ?? [];
    f.content.split('\n').forEach((l, i) => {
      if (old[i] !== l) out.push([f.path, old[i] ?? '', l]);
    });
  }
  return out;
}

describe('desired state with an operator drain', () => {
  test('ipvsadm (seed 001): the rules file and the live table carry weight 0 for ics01, nothing else changes', async () => {
    const inv = await load('seed-001-lic-nat');
    const drains = nextDrains([], drainTarget(inv, 'ics01'), 'drain', STAMP);
    assert.deepEqual(changedLines(inv, 'ifw01', drains), [
      [
        '/etc/ipvsadm.rules',
        '-a -t 200.0.0.10:80 -r 192.168.3.2:80 -m -w 100',
        '-a -t 200.0.0.10:80 -r 192.168.3.2:80 -m -w 0',
      ],
    ]);
    const d = expandDrained(inv, 'ifw01', 'debian', drains);
    assert.deepEqual(
      d.ipvs[0]?.dests.map((x) => `${x.address}=${x.weight}`),
      ['192.168.3.2=0', '192.168.3.3=100'],
    );
  });

  test('keepalived (seed 002): keepalived.conf has weight 0 for web1 in the drained service only', async () => {
    const inv = await load('seed-002-dr-keepalived');
    const drains = nextDrains([], drainTarget(inv, 'web1', 'https'), 'drain', STAMP);
    for (const lb of ['lb1', 'lb2'])
      assert.deepEqual(changedLines(inv, lb, drains), [
        ['/etc/keepalived/keepalived.conf', '    weight 1', '    weight 0'],
      ]);
  });

  test('ldirectord (seed 001 ldirectord): ldirectord.cf has ics01 at weight 0', async () => {
    const inv = await load('seed-001-lic-ldirectord');
    const drains = nextDrains([], drainTarget(inv, '192.168.3.2'), 'drain', STAMP);
    assert.deepEqual(
      drains.map((x) => x.real_server),
      ['ics01'],
      'an address names the inventory host',
    );
    const host = inv.directors.hosts[0] ?? '';
    assert.deepEqual(changedLines(inv, host, drains), [
      ['/etc/ha.d/ldirectord.cf', '    real = 192.168.3.2:80 masq 100', '    real = 192.168.3.2:80 masq 0'],
    ]);
  });

  test('directors own operator.json (0600, the fixed contract); real servers do not; no drains = no file', async () => {
    const inv = await load('seed-002-dr-keepalived');
    const drains = nextDrains([], drainTarget(inv, 'web1'), 'drain', STAMP);
    const f = expandDrained(inv, 'lb1', 'debian', drains).files.find((x) => x.path === OPERATOR_FILE);
    assert.equal(f?.mode, '0600');
    assert.deepEqual(JSON.parse(f?.content ?? ''), {
      version: 1,
      drains: [
        { service: 'http', real_server: 'web1', ...STAMP },
        { service: 'https', real_server: 'web1', ...STAMP },
      ],
    });
    assert.deepEqual(parseOperator(f?.content), drains, 'what up writes reads back the same');
    assert.equal(
      renderOperator(parseOperator(f?.content)),
      f?.content,
      'byte-stable: a second up changes nothing',
    );
    assert.ok(!expandDrained(inv, 'web1', 'debian', drains).files.some((x) => x.path === OPERATOR_FILE));
    assert.ok(!expandDrained(inv, 'lb1', 'debian', []).files.some((x) => x.path === OPERATOR_FILE));
  });

  test('a broken operator.json is an error, never "no drains" (up must not undo a drain it cannot read)', () => {
    assert.deepEqual(parseOperator(undefined), []);
    assert.throws(() => parseOperator('{"version":2,"drains":[]}'), /unknown version 2/);
    assert.throws(() => parseOperator('{"version":1,"drains":[{"service":"http"}]}'), /needs service/);
  });
});

describe('drain and enable', () => {
  test('drain keeps an earlier drain and its time; enable removes only this real server', async () => {
    const inv = await load('seed-002-dr-keepalived');
    const first = nextDrains([], drainTarget(inv, 'web1', 'http'), 'drain', STAMP);
    const later = { since: '2026-11-30T05:00:00.000Z', by: 'b@c' };
    const both = nextDrains(first, drainTarget(inv, 'web1'), 'drain', later);
    assert.deepEqual(
      both.map((d) => `${d.service} ${d.since}`),
      ['http 2026-11-30T04:00:00.000Z', 'https 2026-11-30T05:00:00.000Z'],
    );
    assert.deepEqual(nextDrains(both, drainTarget(inv, 'web1', 'https'), 'enable', later), first);
  });

  test('the last real server with weight > 0 of a service is refused', async () => {
    const inv = await load('seed-002-dr-keepalived');
    const web1 = nextDrains([], drainTarget(inv, 'web1'), 'drain', STAMP);
    assert.deepEqual(servicesLeftEmpty(drainTarget(inv, 'web1'), web1), []);
    const target = drainTarget(inv, 'web2');
    assert.deepEqual(servicesLeftEmpty(target, nextDrains(web1, target, 'drain', STAMP)), ['http', 'https']);
  });

  test('an unknown real server or service is a usage error (exit 2)', async () => {
    const inv = await load('seed-002-dr-keepalived');
    assert.throws(
      () => drainTarget(inv, 'web9'),
      (e: Error & { exitCode?: number }) => e.exitCode === 2,
    );
    assert.throws(() => drainTarget(inv, 'web1', 'smtp'), /no service "smtp"/);
  });

  test('ipvsadm -Ln is read per service key and real server (weight, ActiveConn, InActConn)', () => {
    const t = parseIpvsList(`IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  192.168.100.10:80 wlc persistent 300
  -> 192.168.100.20:80            Route   0      3          7
  -> 192.168.100.21:80            Route   1      12         40
FWM  7 IPv6 rr
  -> [2001:db8::2]:0              Masq    1      0          1
UDP  [2001:db8::1]:53 rr
`);
    assert.deepEqual(t.get('-t 192.168.100.10:80'), [
      { dest: '192.168.100.20:80', weight: 0, active: 3, inactive: 7 },
      { dest: '192.168.100.21:80', weight: 1, active: 12, inactive: 40 },
    ]);
    assert.deepEqual(t.get('-f 7 -6'), [{ dest: '[2001:db8::2]:0', weight: 1, active: 0, inactive: 1 }]);
    assert.deepEqual(t.get('-u [2001:db8::1]:53'), []);
  });
});

describe('roll order', () => {
  test("roll's probe after enable: the verify probe cut to two requests per real server of its service", async () => {
    const inv = await load('seed-003-nat-keepalived');
    assert.equal(inv.verify?.probes[0]?.requests, 20);
    const specs = rollProbeSpecs(inv, 'web2');
    assert.deepEqual(
      specs.map((p) => [p.service.name, p.probe.url, p.probe.requests]),
      [['http', 'http://203.0.113.3/', 4]],
    );
    assert.match(probeScript(specs), /while \[ "\$i" -lt 4 \]/);
    assert.deepEqual(rollProbeSpecs(inv, 'client'), [], 'a host in no service has no probe');
    const few = await load('seed-002-dr-keepalived');
    for (const p of rollProbeSpecs(few, 'web1'))
      assert.ok(p.probe.requests <= 2 * p.service.real_servers.length);
  });

  test('one at a time by default, in the order given', async () => {
    const inv = await load('seed-003-nat-keepalived');
    const all = allRealServers(inv);
    assert.ok(all.length >= 2);
    assert.deepEqual(
      rollBatches(inv, all, 1).map((b) => b.realServers),
      all.map((n) => [n]),
    );
  });

  test('--max-unavailable never takes out every serving real server of a service', async () => {
    const inv = await load('seed-002-dr-keepalived');
    // Two real servers per service: even with 5 allowed, a batch holds one.
    assert.deepEqual(
      rollBatches(inv, ['web2', 'web1'], 5).map((b) => b.realServers),
      [['web2'], ['web1']],
    );
  });

  test('batches up to --max-unavailable when services keep a server', async () => {
    const inv = await load('seed-004-wikipedia-nat');
    const all = allRealServers(inv);
    const batches = rollBatches(inv, all, 2);
    assert.ok(batches.every((b) => b.realServers.length <= 2));
    assert.deepEqual(
      batches.flatMap((b) => b.realServers),
      all,
    );
  });

  test('an operator drain counts as out: the other server of the service cannot roll', async () => {
    const inv = await load('seed-002-dr-keepalived');
    const drains = nextDrains([], drainTarget(inv, 'web1'), 'drain', STAMP);
    assert.throws(() => rollBatches(inv, ['web2'], 1, drains), /web2 is the only serving real server/);
  });

  test('--realservers and --all: exactly one, names checked', async () => {
    const inv = await load('seed-002-dr-keepalived');
    assert.deepEqual(pickRealServers(inv, 'web2,192.168.100.20', false), ['web2', 'web1']);
    assert.throws(() => pickRealServers(inv, undefined, false), /either --realservers/);
    assert.throws(() => pickRealServers(inv, 'web9', false), /web9 is not a real server/);
  });
});
