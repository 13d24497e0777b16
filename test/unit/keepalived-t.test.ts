// Every keepalived.conf we render goes through the real `keepalived -t -f`. keepalived -t fails on
// a missing interface, so each config is checked inside a throwaway network namespace holding
// links with the director's interface names and addresses. The root namespace is never touched.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadInventory } from '../../src/inventory/load.js';
import type { HostSpec } from '../../src/inventory/types.js';
import { expandInventory } from '../../src/roles/expand.js';

process.env.LVS_VRRP_PASS = 'k33pal1v';

const ROOT = join(import.meta.dirname, '..', '..');
const NS = `lvs-kt-${process.pid}`;

function run(cmd: string, args: string[]): { status: number; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
  return { status: r.status ?? (r.error ? 127 : 1), out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}

function must(args: string[]): void {
  const r = run('ip', args);
  assert.equal(r.status, 0, `ip ${args.join(' ')}: ${r.out}`);
}

const skip =
  process.getuid?.() !== 0
    ? 'needs root (ip netns)'
    : run('keepalived', ['-v']).status === 127
      ? 'keepalived is not installed'
      : run('ip', ['netns', 'list']).status !== 0
        ? 'ip netns is not available'
        : false;

/** This kernel may lack the dummy driver; a veth pair (peer kept in the namespace) serves as well. */
let linkKind: 'dummy' | 'veth' = 'dummy';
const made: string[] = [];

/** Give the namespace exactly this director's interfaces (names + addresses), all up. */
function shapeNamespace(h: HostSpec): void {
  for (const name of made.splice(0)) run('ip', ['-n', NS, 'link', 'del', name]);
  Object.keys(h.interfaces).forEach((dev, i) => {
    if (linkKind === 'dummy' && run('ip', ['-n', NS, 'link', 'add', dev, 'type', 'dummy']).status !== 0)
      linkKind = 'veth';
    if (linkKind === 'veth')
      must(['-n', NS, 'link', 'add', dev, 'type', 'veth', 'peer', 'name', `ktpeer${i}`]);
    made.push(dev);
    for (const cidr of h.interfaces[dev] ?? []) must(['-n', NS, 'addr', 'add', cidr, 'dev', dev]);
    must(['-n', NS, 'link', 'set', dev, 'up']);
    if (linkKind === 'veth') must(['-n', NS, 'link', 'set', `ktpeer${i}`, 'up']);
  });
}

function keepalivedT(file: string): { status: number; out: string } {
  return run('ip', ['netns', 'exec', NS, 'keepalived', '-t', '-f', file]);
}

describe('keepalived -t accepts every rendered keepalived.conf', { skip }, () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'lvs-kt-'));
    must(['netns', 'add', NS]);
    must(['-n', NS, 'link', 'set', 'lo', 'up']);
  });
  // Runs also when a test fails: the namespace and temp files never outlive the run.
  after(() => {
    run('ip', ['netns', 'del', NS]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const inventories = [
    ...readdirSync(join(ROOT, 'inventories'))
      .filter((n) => n.endsWith('.yaml'))
      .sort()
      .map((n) => join(ROOT, 'inventories', n)),
    join(ROOT, 'test', 'fixtures', 'keepalived-features.yaml'),
  ];

  test('every director of every inventory (and the feature fixture)', async () => {
    let checked = 0;
    for (const path of inventories) {
      const inv = await loadInventory(path);
      for (const [name, d] of expandInventory(inv)) {
        const conf = d.files.find((f) => f.path === '/etc/keepalived/keepalived.conf');
        const spec = inv.hosts[name];
        if (!conf || !spec) continue;
        shapeNamespace(spec);
        const file = join(dir, `${inv.name}-${name}.conf`);
        writeFileSync(file, conf.content, { mode: 0o600 });
        const r = keepalivedT(file);
        assert.equal(r.status, 0, `keepalived -t -f for ${inv.name}/${name} exited ${r.status}:\n${r.out}`);
        checked++;
      }
    }
    // seed 002 (2) + seed 003 (2) + the fixture (2)
    assert.ok(checked >= 6, `checked ${checked} configs`);
  });

  test('a one-line authentication block is rejected: auth is dropped and -t exits 5', async () => {
    const inv = await loadInventory(join(ROOT, 'inventories', 'seed-002-dr-keepalived.yaml'));
    const lb1 = expandInventory(inv).get('lb1');
    const good = lb1?.files.find((f) => f.path === '/etc/keepalived/keepalived.conf')?.content ?? '';
    const broken = good.replace(
      /^ {2}authentication \{\n {4}auth_type PASS\n {4}auth_pass \S+\n {2}\}$/m,
      '  authentication { auth_type PASS auth_pass x }',
    );
    assert.notEqual(broken, good);
    const spec = inv.hosts.lb1;
    assert.ok(spec);
    shapeNamespace(spec);
    const file = join(dir, 'broken.conf');
    writeFileSync(file, broken, { mode: 0o600 });
    const r = keepalivedT(file);
    // keepalived 2.2.7 reads `authentication {`, ignores the rest of that line, and then finds
    // no auth_type/auth_pass inside the block: it says so and treats the config as invalid.
    assert.notEqual(r.status, 0, 'keepalived -t must fail');
    assert.match(r.out, /Authentication specified but no password given/);
  });
});
