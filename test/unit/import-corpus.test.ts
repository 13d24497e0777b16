// The keepalived.conf corpus (test/fixtures/import/keepalived/*.conf): each file says on its first
// line what import must make of it — `! expect: exact`, `! expect: notes TEXT` (mapped, with a note
// containing TEXT) or `! expect: refused`. For every mapped file the re-rendered keepalived.conf of
// the imported inventory describes the same IPVS table (and, when exact, the same VRRP instance,
// checks and globals) as the original, and passes the real `keepalived -t -f` inside a throwaway
// network namespace shaped like the director (eth0 10.0.0.2/24 + 2001:db8::2/64, eth1 192.168.1.2/24).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildInventory } from '../../src/import/build.js';
import { localSource } from '../../src/import/files.js';
import { importKeepalived } from '../../src/import/keepalived.js';
import { toIpvs } from '../../src/import/table.js';
import type { DirectorImport } from '../../src/import/types.js';
import { loadInventory } from '../../src/inventory/load.js';
import { formatRules } from '../../src/model/ipvs.js';
import { expandInventory } from '../../src/roles/expand.js';

const CORPUS = join(import.meta.dirname, '..', 'fixtures', 'import', 'keepalived');
const INTERFACES = { eth0: ['10.0.0.2/24', '2001:db8::2/64'], eth1: ['192.168.1.2/24'] };
const NS = `lvs-kc-${process.pid}`;

function run(cmd: string, args: string[]): { status: number; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
  return { status: r.status ?? (r.error ? 127 : 1), out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}
const noNetns =
  process.getuid?.() !== 0
    ? 'needs root (ip netns)'
    : run('keepalived', ['-v']).status === 127
      ? 'keepalived is not installed'
      : false;

function shapeNamespace(): void {
  const must = (args: string[]) => assert.equal(run('ip', args).status, 0, `ip ${args.join(' ')}`);
  must(['netns', 'add', NS]);
  must(['-n', NS, 'link', 'set', 'lo', 'up']);
  Object.entries(INTERFACES).forEach(([dev, cidrs], i) => {
    if (run('ip', ['-n', NS, 'link', 'add', dev, 'type', 'dummy']).status !== 0)
      must(['-n', NS, 'link', 'add', dev, 'type', 'veth', 'peer', 'name', `kcpeer${i}`]);
    for (const c of cidrs) must(['-n', NS, 'addr', 'add', c, 'dev', dev, 'nodad']);
    must(['-n', NS, 'link', 'set', dev, 'up']);
  });
}

function keepalivedT(file: string): { status: number; out: string } {
  return run('ip', ['netns', 'exec', NS, 'keepalived', '-t', '-f', file]);
}

/** What keepalived is told, origins and names aside. */
function effect(imp: DirectorImport): unknown {
  const strip = (o: unknown): unknown =>
    JSON.parse(JSON.stringify(o, (k, v) => (k === 'at' || k === 'file' || k === 'name' ? undefined : v)));
  return { services: strip(imp.services), vrrp: strip(imp.vrrp), globals: strip(imp.globals) };
}

interface Expect {
  kind: 'exact' | 'notes' | 'refused';
  text?: string;
  tFails: boolean;
}

function expectation(text: string, file: string): Expect {
  const m = /^! expect: (exact|notes|refused)(?: (.*))?$/m.exec(text);
  assert.ok(m, `${file}: first line must say ! expect: exact|notes TEXT|refused`);
  return {
    kind: m[1] as Expect['kind'],
    ...(m[2] ? { text: m[2] } : {}),
    tFails: /^! keepalived-t: fails$/m.test(text),
  };
}

const files = readdirSync(CORPUS)
  .filter((n) => n.endsWith('.conf'))
  .sort();

describe('keepalived.conf corpus: import maps each file or names what it cannot', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lvs-import-corpus-'));
  const counts = { exact: 0, notes: 0, refused: 0 };
  before(() => {
    if (!noNetns) shapeNamespace();
  });
  after(() => {
    if (!noNetns) run('ip', ['netns', 'del', NS]);
    rmSync(dir, { recursive: true, force: true });
    process.stdout.write(
      `# corpus: ${files.length} files: ${counts.exact} mapped exactly, ${counts.notes} mapped with notes, ${counts.refused} refused\n`,
    );
  });

  test('holds at least 20 files', () => assert.ok(files.length >= 20, `${files.length} files`));

  for (const name of files) {
    test(name, async (t) => {
      const path = join(CORPUS, name);
      const want = expectation(readFileSync(path, 'utf8'), name);
      if (!noNetns && !want.tFails) {
        const r = keepalivedT(path);
        assert.equal(r.status, 0, `the original must pass keepalived -t:\n${r.out}`);
      }
      const orig = importKeepalived(path, localSource);
      const built = buildInventory(
        [{ imp: orig, name: 'lb1', address: '10.0.0.2', interfaces: INTERFACES }],
        { env: 'LVS_VRRP_PASS' },
        name,
      );
      const notes = built.notes.map((n) => `${n.file.replace(`${CORPUS}/`, '')}:${n.line}: ${n.message}`);
      t.diagnostic(notes.join('\n') || 'no notes');
      if (!built.ok) {
        counts.refused++;
        assert.equal(want.kind, 'refused', `refused, notes:\n${notes.join('\n')}`);
        return;
      }
      assert.notEqual(want.kind, 'refused', 'expected a refusal');
      const kind = notes.length === 0 ? 'exact' : 'notes';
      counts[kind]++;
      assert.equal(kind, want.kind, `notes:\n${notes.join('\n')}`);
      if (want.text)
        assert.ok(
          notes.some((n) => n.includes(want.text as string)),
          `a note saying ${want.text}:\n${notes.join('\n')}`,
        );
      process.env.LVS_VRRP_PASS = built.secret ?? 'unused';
      const invFile = join(dir, `${name}.yaml`);
      writeFileSync(invFile, built.yaml);
      const inv = await loadInventory(invFile).catch((e: Error) =>
        assert.fail(`${e.message}\n${built.yaml}`),
      );
      const conf = expandInventory(inv)
        .get('lb1')
        ?.files.find((f) => f.path === '/etc/keepalived/keepalived.conf');
      assert.ok(conf, 'lb1 gets a keepalived.conf');
      const rendered = join(dir, `${name}.rendered.conf`);
      writeFileSync(rendered, conf.content, { mode: 0o600 });
      const back = importKeepalived(rendered, localSource);
      assert.equal(
        formatRules(toIpvs(back.services)),
        formatRules(toIpvs(orig.services)),
        'the same IPVS table',
      );
      if (kind === 'exact') assert.deepEqual(effect(back), effect(orig), 'the same VRRP, checks and globals');
      if (!noNetns) {
        const r = keepalivedT(rendered);
        assert.equal(
          r.status,
          0,
          `the re-rendered config must pass keepalived -t:\n${r.out}\n${conf.content}`,
        );
      }
    });
  }
});
