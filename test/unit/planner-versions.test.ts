// What a director's own versions (facts: versions section) change in its plan.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ShellCommand } from '../../src/connection/shell.js';
import { loadInventory } from '../../src/inventory/load.js';
import { planHost } from '../../src/planner/plan.js';
import { versionBlockers } from '../../src/planner/versions.js';
import { expandInventory } from '../../src/roles/expand.js';
import { convergedFacts } from '../helpers/facts.js';
import { desired, keepalived, rs1, rs2, svc } from '../helpers/planner-fixtures.js';

const conf = {
  path: '/etc/keepalived/keepalived.conf',
  content: 'new\n',
  mode: '0640',
  owner: 'root',
  group: 'root',
  notify: [],
  secret: true,
  validate: new ShellCommand(['keepalived', '-t', '-f', '%s']),
};

const rendered = (w: number) =>
  `virtual_server 10.0.0.100 80 {\n  real_server 10.0.1.1 80 {\n    weight 1\n  }\n  real_server 10.0.1.2 80 {\n    weight ${w}\n  }\n}\n`;

function keepalivedDirector(weights: [number, number] = [1, 1]) {
  const d = desired({
    ipvsStatic: false,
    files: [{ ...conf, content: rendered(weights[1]) }],
    daemons: [keepalived],
    ipvs: [
      svc([
        { ...rs1, weight: weights[0] },
        { ...rs2, weight: weights[1] },
      ]),
    ],
  });
  const f = convergedFacts(d);
  f.files[conf.path] = { ...conf, content: 'old\n' };
  return { d, f };
}

const validateOf = (version: string | undefined) => {
  const { d, f } = keepalivedDirector();
  if (version) f.versions = { keepalived: version };
  const c = planHost(d, f).changes.find((x) => x.kind === 'file');
  assert.ok(c && c.kind === 'file');
  return c.validate?.argv ?? [];
};

describe('plan by the versions the director runs', () => {
  test('keepalived 2.1.5 (Debian 11): the check before the swap also fails on any line -t prints', () => {
    const argv = validateOf('2.1.5');
    assert.deepEqual(argv.slice(0, 2), ['sh', '-c']);
    assert.deepEqual(argv.slice(-4), ['keepalived', '-t', '-f', '%s']);
  });

  test('keepalived 2.2.7 and 2.3.3, or an unknown version: the plain keepalived -t -f', () => {
    for (const v of ['2.2.7', '2.3.3', undefined])
      assert.deepEqual(validateOf(v), ['keepalived', '-t', '-f', '%s'], String(v));
  });

  test('weight 0 on keepalived 2.1.5 is refused before anything changes, naming the version and the feature', () => {
    const { d, f } = keepalivedDirector([1, 0]);
    f.versions = { keepalived: '2.1.5' };
    const plan = planHost(d, f);
    assert.deepEqual(plan.changes, []);
    assert.deepEqual(plan.blockers, [
      'keepalived 2.1.5 turns real server weight 0 into 1 (keepalived #1757, fixed in 2.2.0): weight 0 (drained or inventory) is not possible here: 10.0.1.2:80',
    ]);
    f.versions = { keepalived: '2.2.7' };
    assert.deepEqual(planHost(d, f).blockers, []);
  });

  test('the weight 0 is found in the keepalived.conf the templates really render (feature fixture: r2 weight 0)', async () => {
    process.env.LVS_VRRP_PASS = 'k33pal1v';
    const inv = await loadInventory(join(import.meta.dirname, '..', 'fixtures', 'keepalived-features.yaml'));
    const ka1 = expandInventory(inv).get('ka1');
    assert.ok(ka1);
    const f = convergedFacts(ka1);
    f.versions = { keepalived: '2.1.5' };
    assert.deepEqual(versionBlockers(ka1, f.versions), [
      'keepalived 2.1.5 turns real server weight 0 into 1 (keepalived #1757, fixed in 2.2.0): weight 0 (drained or inventory) is not possible here: 10.9.0.12:5060',
    ]);
    f.versions = { keepalived: '2.3.3' };
    assert.deepEqual(versionBlockers(ka1, f.versions), []);
  });
});

describe('plan by the kernel the director runs', () => {
  const withSysctls = (live: Record<string, string | null>) => {
    const d = desired({ sysctls: { 'net.ipv4.vs.run_estimation': '0', 'net.ipv4.vs.conn_reuse_mode': '0' } });
    const f = convergedFacts(d);
    f.sysctls = live;
    f.versions = { kernel: '5.10.0-32-amd64' };
    return planHost(d, f);
  };

  test('a net.ipv4.vs key 5.10 lacks (run_estimation) is refused before anything changes, naming the kernel', () => {
    const p = withSysctls({ 'net.ipv4.vs.run_estimation': null, 'net.ipv4.vs.conn_reuse_mode': '1' });
    assert.deepEqual(p.changes, []);
    assert.deepEqual(p.blockers, [
      "kernel 5.10.0-32-amd64 has no net.ipv4.vs.run_estimation (newer kernels only): remove it from this host's sysctls",
    ]);
  });

  test('every key there (6.1, 6.12), or ip_vs not loaded yet (no net.ipv4.vs key at all): no blocker', () => {
    const there = withSysctls({ 'net.ipv4.vs.run_estimation': '1', 'net.ipv4.vs.conn_reuse_mode': '1' });
    assert.deepEqual(there.blockers, []);
    assert.equal(there.changes.filter((c) => c.kind === 'sysctl').length, 2);
    const unloaded = withSysctls({ 'net.ipv4.vs.run_estimation': null, 'net.ipv4.vs.conn_reuse_mode': null });
    assert.deepEqual(unloaded.blockers, []);
  });
});
