// Every firewall.nft we render goes through the real `nft -c -f` (the check `up` runs on the
// host before the file replaces the live one), inside a throwaway network namespace; then it is
// loaded there twice, to prove the file replaces the table whole and leaves other tables alone.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadInventory } from '../../src/inventory/load.js';
import { FIREWALL_FILE } from '../../src/model/types.js';
import { expandInventory } from '../../src/roles/expand.js';

process.env.LVS_VRRP_PASS = 'k33pal1v';

const ROOT = join(import.meta.dirname, '..', '..');
const NS = `lvs-nft-${process.pid}`;

function run(cmd: string, args: string[], input?: string): { status: number; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input, env: { ...process.env, LC_ALL: 'C' } });
  return { status: r.status ?? (r.error ? 127 : 1), out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}
const nft = (args: string[], input?: string) => run('ip', ['netns', 'exec', NS, 'nft', ...args], input);

const skip =
  process.getuid?.() !== 0
    ? 'needs root (ip netns)'
    : run('nft', ['--version']).status === 127
      ? 'nftables is not installed'
      : false;

describe('firewall.nft passes the real nft -c and replaces only its own table', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'lvs-nft-'));
  before(() => {
    assert.equal(run('ip', ['netns', 'add', NS]).status, 0);
  });
  after(() => {
    run('ip', ['netns', 'del', NS]);
    rmSync(dir, { recursive: true, force: true });
  });

  const files = readdirSync(join(ROOT, 'inventories'))
    .filter((n) => n.endsWith('.yaml'))
    .sort();
  test('every example with directors.firewall renders a table nft accepts, loaded twice without a trace of the first', async () => {
    let checked = 0;
    for (const name of files) {
      const inv = await loadInventory(join(ROOT, 'inventories', name));
      if (!inv.directors.firewall) continue;
      for (const [host, d] of expandInventory(inv)) {
        const f = d.files.find((x) => x.path === FIREWALL_FILE);
        if (!f) continue;
        const path = join(dir, `${host}.nft`);
        writeFileSync(path, f.content);
        const c = nft(['-c', '-f', path]);
        assert.equal(c.status, 0, `${name} ${host}: nft -c -f refused it:\n${c.out}`);
        // Someone else's table must survive both loads untouched.
        assert.equal(
          nft(
            ['-f', '-'],
            'table ip other {\n\tchain c {\n\t\ttype filter hook input priority 10; policy accept;\n\t}\n}\n',
          ).status,
          0,
        );
        assert.equal(nft(['-f', path]).status, 0);
        const first = nft(['-s', 'list', 'table', 'inet', 'lvs_deploy']);
        assert.equal(nft(['-f', path]).status, 0, 'loading the same file again (the table exists) works');
        const second = nft(['-s', 'list', 'table', 'inet', 'lvs_deploy']);
        assert.equal(second.out, first.out, 'the second load replaced the table, it did not add rules to it');
        assert.match(nft(['list', 'tables']).out, /table ip other/);
        assert.equal(nft(['delete', 'table', 'inet', 'lvs_deploy']).status, 0);
        assert.equal(nft(['delete', 'table', 'ip', 'other']).status, 0);
        checked++;
      }
    }
    assert.ok(checked >= 2, `only ${checked} firewall files checked`);
  });

  test('a broken rules file is refused by nft -c (so up never replaces the live file with it)', () => {
    const path = join(dir, 'broken.nft');
    writeFileSync(
      path,
      'table inet lvs_deploy\ndelete table inet lvs_deploy\ntable inet lvs_deploy {\n\tchain input {\n\t\tip daddr 203.0.113.3 tcp dport 80 acept\n\t}\n}\n',
    );
    const r = nft(['-c', '-f', path]);
    assert.notEqual(r.status, 0);
    assert.match(r.out, /acept/);
  });
});
