// Issue 18's tunables: directors.sysctls / real_servers_sysctls / hosts.X.sysctls (an allow-list,
// refusals with the reason at FILE:LINE:COL) and directors.ipvs_timeouts (`ipvsadm --set`: planned
// against the live values, recorded, put back by `down`, restored at boot by a unit).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { InventoryError } from '../../src/errors.js';
import { nextState } from '../../src/executor/state.js';
import { stepFor } from '../../src/executor/steps.js';
import { factsFunction } from '../../src/facts/script.js';
import { loadInventory } from '../../src/inventory/load.js';
import { emptyState, type HostFacts } from '../../src/model/facts.js';
import { parseTimeouts } from '../../src/model/ipvs.js';
import type { DesiredHost } from '../../src/model/types.js';
import { describeChange } from '../../src/planner/changes.js';
import { planDown } from '../../src/planner/down.js';
import { planIpvsTimeouts } from '../../src/planner/plan.js';
import { expandHost } from '../../src/roles/expand.js';
import { withoutIpvs } from '../../src/roles/without-ipvs.js';
import { EMPTY_QUERY } from '../helpers/facts.js';

const dir = mkdtempSync(join(tmpdir(), 'lvs-tunables-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const EXAMPLE = join(import.meta.dirname, '..', '..', 'inventories', 'dr-tunables.yaml');

const BASE = `hosts:
  lb1: { address: 127.0.0.10 }
  web1: { address: 127.0.0.21 }
directors:
  hosts: [lb1]
services:
  - { name: http, vip: 127.0.0.100, port: 80, real_servers: [{ host: web1 }] }
`;

async function refused(text: string): Promise<string[]> {
  const file = join(dir, `inv-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, text);
  try {
    await loadInventory(file);
  } catch (err) {
    assert.ok(err instanceof InventoryError, String(err));
    return err.lines().map((l) => l.slice(file.length + 1));
  }
  return assert.fail('expected the inventory to be refused');
}

describe('inventory tunables', () => {
  test('a sysctl outside the allow-list is refused at its key, with the reason', async () => {
    const lines = await refused(`${BASE}real_servers_sysctls:\n  kernel.panic: 10\n`);
    assert.equal(lines.length, 1);
    assert.match(
      lines[0] ?? '',
      /^9:3: real_servers_sysctls\["kernel\.panic"\]: "kernel\.panic" is not a network tunable/,
    );
    assert.match(lines[0] ?? '', /net\.ipv4\.vs\.\*.*set other sysctls in a site role/);
  });

  test('a host sysctl and a director sysctl are checked the same way', async () => {
    const text = BASE.replace(
      'web1: { address: 127.0.0.21 }',
      'web1: { address: 127.0.0.21, sysctls: { vm.swappiness: 1 } }',
    ).replace(
      'hosts: [lb1]',
      'hosts: [lb1]\n  sysctls: { net.ipv4.vs.conn_reuse_mode: 0, fs.file-max: 100 }',
    );
    const lines = await refused(text);
    assert.deepEqual(
      lines.map((l) => l.split(': ').slice(0, 2).join(': ')),
      ['3:43: hosts.web1.sysctls["vm.swappiness"]', '6:46: directors.sysctls["fs.file-max"]'],
    );
  });

  test('a sysctl value with a shell character is refused', async () => {
    const lines = await refused(`${BASE}real_servers_sysctls:\n  net.core.somaxconn: "1; reboot"\n`);
    assert.match(
      lines[0] ?? '',
      /^9:23: real_servers_sysctls\["net\.core\.somaxconn"\]: "1; reboot" is not a sysctl value/,
    );
  });

  test('ipvs_timeouts needs at least one value and whole seconds', async () => {
    const empty = await refused(BASE.replace('hosts: [lb1]', 'hosts: [lb1]\n  ipvs_timeouts: {}'));
    assert.match(
      empty[0] ?? '',
      /directors\.ipvs_timeouts: a mapping is empty: give at least one of tcp, tcpfin, udp/,
    );
    const frac = await refused(BASE.replace('hosts: [lb1]', 'hosts: [lb1]\n  ipvs_timeouts: { tcp: 1.5 }'));
    assert.match(frac[0] ?? '', /directors\.ipvs_timeouts\.tcp/);
  });

  test('the inventory wins over the roles; the host wins over its kind', async () => {
    const inv = await loadInventory(EXAMPLE);
    const lb1 = expandHost(inv, 'lb1');
    assert.equal(lb1.sysctls['net.ipv4.vs.conn_reuse_mode'], '0');
    assert.equal(lb1.sysctls['net.ipv4.vs.expire_nodest_conn'], '1', 'the director role still sets its own');
    const conf = lb1.files.find((f) => f.path === '/etc/sysctl.d/90-lvs-deploy.conf')?.content ?? '';
    assert.match(conf, /^net\.ipv4\.vs\.sloppy_tcp = 1$/m);
    assert.equal(expandHost(inv, 'web1').sysctls['net.core.somaxconn'], '1024');
    assert.equal(expandHost(inv, 'web2').sysctls['net.core.somaxconn'], '4096');
    assert.equal(expandHost(inv, 'web1').sysctls['net.ipv4.vs.conn_reuse_mode'], undefined);
    const override = {
      ...inv,
      directors: { ...inv.directors, sysctls: { 'net.ipv4.vs.expire_nodest_conn': '0' } },
    };
    assert.equal(expandHost(override, 'lb1').sysctls['net.ipv4.vs.expire_nodest_conn'], '0');
  });

  test('ipvs_timeouts: the director gets the values and a boot unit; --without-ipvs drops them', async () => {
    const inv = await loadInventory(EXAMPLE);
    const lb1 = expandHost(inv, 'lb1');
    assert.deepEqual(lb1.ipvsTimeouts, { tcp: 7200, tcpfin: 60, udp: 120 });
    const unit = lb1.files.find((f) => f.path === '/etc/systemd/system/lvs-deploy-ipvs-timeouts.service');
    assert.match(unit?.content ?? '', /^ExecStart=\/sbin\/ipvsadm --set 7200 60 120$/m);
    assert.deepEqual(unit?.notify, ['daemon-reload', 'enable-lvs-deploy-ipvs-timeouts']);
    assert.equal(expandHost(inv, 'web1').ipvsTimeouts, undefined);
    assert.equal(withoutIpvs(lb1).ipvsTimeouts, undefined);
  });
});

describe('reading time sysctls', () => {
  test('the facts script reads a jiffies sysctl whole (a byte-wise read gets "7" for 7200)', () => {
    const key = 'net.ipv4.tcp_keepalive_time';
    const path = '/proc/sys/net/ipv4/tcp_keepalive_time';
    const out = execFileSync(
      'sh',
      ['-c', `${factsFunction(EMPTY_QUERY).render()}\nlvs_sysctl ${key} ${path}`],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(out, `${key}=${readFileSync(path, 'utf8').trim()}\n`);
  });
});

describe('ipvs timeouts: plan, state, down', () => {
  const want = { tcp: 7200, tcpfin: 60, udp: 0 };
  const kernel = { tcp: 900, tcpfin: 120, udp: 300 };
  const d = {
    host: 'lb1',
    ipvsTimeouts: want,
    sysctls: {},
    files: [],
    addresses: [],
    routes: [],
    rules: [],
    links: [],
    ipvs: [],
    ipvsStatic: false,
    daemons: [],
  } as unknown as DesiredHost;
  const facts = (live: typeof kernel | null, original?: typeof kernel) =>
    ({
      ipvsTimeouts: live,
      state: { ...emptyState('t'), ...(original ? { ipvsTimeouts: original } : {}) },
      sysctls: {},
      files: {},
    }) as unknown as HostFacts;

  test('parses ipvsadm -L --timeout', () => {
    assert.deepEqual(parseTimeouts('Timeout (tcp tcpfin udp): 900 120 300\n'), kernel);
    assert.equal(parseTimeouts('!none'), null);
  });

  test('plan shows the change; a 0 (absent) value is not compared; a converged director plans nothing', () => {
    const out: Parameters<typeof planIpvsTimeouts>[2] = [];
    planIpvsTimeouts(d, facts(kernel), out);
    assert.deepEqual(out.map(describeChange), ['ipvs timeouts (tcp tcpfin udp): 900 120 300 → 7200 60 -']);
    const again: typeof out = [];
    planIpvsTimeouts(d, facts({ tcp: 7200, tcpfin: 60, udp: 300 }, kernel), again);
    assert.deepEqual(again, []);
  });

  test('the step runs ipvsadm --set and its undo puts the live values back', () => {
    const step = stepFor({ kind: 'ipvs-timeouts', before: kernel, after: want }, 0, {
      drainSeconds: 0,
      osFamily: 'debian',
    });
    assert.equal(String(step.run), 'ipvsadm --set 7200 60 0');
    assert.equal(step.undo, 'ipvsadm --set 900 120 300');
  });

  test('up records the values it found once; down and a removed key put them back', () => {
    const s1 = nextState('t', d, facts(kernel), []);
    assert.deepEqual(s1.ipvsTimeouts, kernel);
    const s2 = nextState('t', d, { ...facts({ tcp: 7200, tcpfin: 60, udp: 300 }), state: s1 }, []);
    assert.deepEqual(s2.ipvsTimeouts, kernel, 'a second up keeps the first originals');
    const down = planDown(
      'lb1',
      {
        ...facts({ tcp: 7200, tcpfin: 60, udp: 300 }),
        state: s1,
        addresses: [],
        routes: [],
        links: [],
        daemons: {},
      } as unknown as HostFacts,
      [],
    );
    assert.deepEqual(down.changes.map(describeChange), [
      'ipvs timeouts (tcp tcpfin udp): 7200 60 300 → 900 120 300',
    ]);
    const removed: Parameters<typeof planIpvsTimeouts>[2] = [];
    planIpvsTimeouts({ ...d, ipvsTimeouts: undefined }, { ...facts(null), state: s1 }, removed);
    assert.deepEqual(removed.map(describeChange), [
      'ipvs timeouts (tcp tcpfin udp): (unknown) → 900 120 300',
    ]);
    assert.equal(
      nextState('t', { ...d, ipvsTimeouts: undefined }, { ...facts(null), state: s1 }, []).ipvsTimeouts,
      undefined,
    );
  });
});
