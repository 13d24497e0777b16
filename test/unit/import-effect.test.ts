// `plan` on an adopted director: lvs-deploy rewrites keepalived.conf into its own form, and the
// change says "rewrite, no effective change" when keepalived would build the same state from both
// (compared as parsed structures, not text); any real difference keeps it a plain update.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildInventory } from '../../src/import/build.js';
import { sameEffect } from '../../src/import/effect.js';
import { localSource } from '../../src/import/files.js';
import { importKeepalived } from '../../src/import/keepalived.js';
import { loadInventory } from '../../src/inventory/load.js';
import type { HostFacts } from '../../src/model/facts.js';
import { describeChange } from '../../src/planner/changes.js';
import { planHost } from '../../src/planner/plan.js';
import { expandInventory } from '../../src/roles/expand.js';
import { convergedFacts } from '../helpers/facts.js';

const KPATH = '/etc/keepalived/keepalived.conf';
const FIXTURE = join(
  import.meta.dirname,
  '..',
  'fixtures',
  'import',
  'keepalived',
  '02-nat-gateway-http.conf',
);

async function rendered(): Promise<{
  original: string;
  ours: string;
  facts: (c: string) => HostFacts;
  plan: typeof planHost;
  d: ReturnType<typeof expandInventory>;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'lvs-import-effect-'));
  try {
    const imp = importKeepalived(FIXTURE, localSource);
    const b = buildInventory(
      [
        {
          imp,
          name: 'lb1',
          address: '10.0.0.2',
          interfaces: { eth0: ['10.0.0.2/24'], eth1: ['192.168.1.2/24'] },
        },
      ],
      { env: 'LVS_VRRP_PASS' },
      't',
    );
    writeFileSync(join(dir, 'i.yaml'), b.yaml);
    const inv = await loadInventory(join(dir, 'i.yaml'));
    const d = expandInventory(inv);
    const ours = d.get('lb1')?.files.find((f) => f.path === KPATH)?.content ?? '';
    return {
      original: readFileSync(FIXTURE, 'utf8'),
      ours,
      facts: () => ({}) as HostFacts,
      plan: planHost,
      d,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("an adopted keepalived.conf and lvs-deploy's rewrite of it have the same effect; a changed weight does not", async () => {
  const { original, ours } = await rendered();
  assert.notEqual(original, ours, 'the texts differ');
  assert.equal(sameEffect(KPATH, original, ours), true);
  assert.equal(sameEffect(KPATH, original.replace('weight 1', 'weight 2'), ours), false);
  assert.equal(
    sameEffect(KPATH, original.replace('delay_before_retry 1', 'delay_before_retry 4'), ours),
    false,
  );
  assert.equal(sameEffect(KPATH, original.replace('priority 150', 'priority 151'), ours), false);
  assert.equal(
    sameEffect(KPATH, `${original}\nvirtual_server 10.0.0.9 80 {\n`, ours),
    false,
    'malformed: not known',
  );
  assert.equal(sameEffect('/etc/other.conf', original, original), false, 'only files lvs-deploy can read');
});

test('plan on the adopted director says "rewrite, no effective change" for keepalived.conf, and only that', async () => {
  const { original, d } = await rendered();
  const lb1 = d.get('lb1');
  assert.ok(lb1);
  const f = convergedFacts(lb1);
  const cur = f.files[KPATH];
  assert.ok(cur);
  f.files[KPATH] = { ...cur, content: original };
  assert.deepEqual(planHost(lb1, f).changes.map(describeChange), [
    `file update ${KPATH} (rewrite, no effective change)`,
    'handler reload keepalived',
  ]);
  f.files[KPATH] = { ...cur, content: original.replace('weight 1', 'weight 3') };
  assert.deepEqual(planHost(lb1, f).changes.map(describeChange), [
    `file update ${KPATH}`,
    'handler reload keepalived',
  ]);
});

test("seed 002's keepalived.conf as written: lb1's rewrite has the same effect, lb2's differs only by the priority import announced", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lvs-import-seed002-'));
  try {
    const seed = join(import.meta.dirname, '..', 'fixtures', 'import', 'seed-002');
    const files = ['lb1', 'lb2'].map((h) => join(seed, `${h}.keepalived.conf`));
    const sources = files.map((f, i) => ({
      imp: importKeepalived(f, localSource),
      name: `lb${i + 1}`,
      address: `192.168.100.1${i}`,
      interfaces: { ens224: [`192.168.100.1${i}/27`] },
    }));
    const b = buildInventory(sources, { env: 'LVS_VRRP_PASS' }, 't');
    assert.ok(
      b.notes.some((n) => n.message.startsWith('router_id lb-01: lvs-deploy writes the host')),
      'the router_id that does not survive is named, not dropped silently',
    );
    writeFileSync(join(dir, 'i.yaml'), b.yaml);
    process.env.LVS_VRRP_PASS ??= 'vm-test1';
    const d = expandInventory(await loadInventory(join(dir, 'i.yaml')));
    const ours = (h: string) => d.get(h)?.files.find((f) => f.path === KPATH)?.content ?? '';
    const [lb1, lb2] = files.map((f) => readFileSync(f, 'utf8')) as [string, string];
    // nb_get_retry (ignored by keepalived), the instance name, auth_pass past 8 characters and the
    // order of global_defs differ in text only. The secret itself is the environment's here.
    const pass = process.env.LVS_VRRP_PASS.slice(0, 8);
    const withPass = (t: string) => t.replace('auth_pass generate-a-pasword', `auth_pass ${pass}`);
    assert.equal(sameEffect(KPATH, withPass(lb1), ours('lb1')), true);
    assert.equal(sameEffect(KPATH, withPass(lb2), ours('lb2')), false, 'priority 200 → 199');
    assert.equal(sameEffect(KPATH, withPass(lb2).replace('priority 200', 'priority 199'), ours('lb2')), true);
    assert.equal(sameEffect(KPATH, lb1.replace('nb_get_retry 3', 'retry 3'), ours('lb1')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("seed 003's NAT pair as written by hand (sync group, instance names of its own): lvs-deploy's rewrite has the same effect on both", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lvs-import-seed003-'));
  try {
    const seed = join(import.meta.dirname, '..', 'fixtures', 'import', 'seed-003');
    const files = ['load1', 'load2'].map((h) => join(seed, `${h}.keepalived.conf`));
    const sources = files.map((f, i) => ({
      imp: importKeepalived(f, localSource),
      name: `load${i + 1}`,
      address: `203.0.113.${i + 1}`,
      interfaces: { eth0: [`203.0.113.${i + 1}/24`], eth1: [`192.168.20.${i + 1}/24`] },
    }));
    const b = buildInventory(sources, { env: 'LVS_VRRP_PASS' }, 't');
    assert.deepEqual(b.notes, [], 'imported as it is');
    writeFileSync(join(dir, 'i.yaml'), b.yaml);
    process.env.LVS_VRRP_PASS = 's3cr3t03';
    const d = expandInventory(await loadInventory(join(dir, 'i.yaml')));
    for (const [i, f] of files.entries()) {
      const ours = d.get(`load${i + 1}`)?.files.find((x) => x.path === KPATH)?.content ?? '';
      const hand = readFileSync(f, 'utf8');
      assert.equal(sameEffect(KPATH, hand, ours), true, f);
      assert.equal(
        sameEffect(KPATH, hand.replace('virtual_router_id 54', 'virtual_router_id 55'), ours),
        false,
      );
      const swapped = hand.replace(/\n {6}PUBLIC\n {6}PRIVATE\n/, '\n      PRIVATE\n      PUBLIC\n');
      assert.notEqual(swapped, hand);
      assert.equal(sameEffect(KPATH, swapped, ours), true, 'the order of a sync group is not an effect');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
