// The bench must not rot: a 5-host run of bench/run.ts (one run, no scaling sizes beyond 5) that
// produces its table with every row filled and shows both tools leave the hosts in the same state.
// Times are printed by the bench, never asserted here. The end state of every host is read by the
// bench itself with hostExec (nsenter, not SSH) after each tool and handed over with --state-out.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { labDown } from '../../src/lab/netns.js';
import { labIdOf } from '../../src/lab/spec.js';
import { ROOT, run } from '../helpers/cli.js';

const root = process.getuid?.() === 0;

function ansibleInstalled(): boolean {
  try {
    execFileSync('ansible-playbook', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

interface StateDoc {
  lvs: Record<string, string[]>;
  ansible: Record<string, string[]>;
  parity: string[] | null;
}

describe('bench smoke: 5 hosts, 1 run (times not asserted)', {
  skip: root ? false : 'needs root (network namespaces)',
}, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'lvs-bench-smoke-'));
  const table = join(tmp, 'bench.md');
  const stateFile = join(tmp, 'state.json');
  const withAnsible = ansibleInstalled();
  after(async () => {
    await labDown('bench-5').catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
  });

  test('bench/run.ts produces its table with every row filled and leaves no lab behind', {
    timeout: 240_000,
  }, async () => {
    const args = [
      '--hosts',
      '5',
      '--runs',
      '1',
      '--scaling',
      '5',
      '--no-build',
      '--out',
      table,
      '--state-out',
      stateFile,
    ];
    if (!withAnsible) args.push('--no-ansible');
    const r = await run([process.execPath, '--import', 'tsx', join(ROOT, 'bench', 'run.ts'), ...args]);
    assert.equal(r.code, 0, `bench failed:\n${r.stderr.slice(-2000)}`);
    const md = readFileSync(table, 'utf8');
    assert.equal(r.stdout.trim(), md.trim(), 'the table printed is the table written');
    const rows = md
      .split('\n')
      .filter((l) => l.startsWith('| ') && !/^\| (measure|ratio|run|hosts) \|/.test(l) && !/^\| -/.test(l));
    const expected = [
      'floor: OpenSSH `ssh host true`, 5 hosts in parallel',
      'floor: OpenSSH `ssh host true`, 1 host',
      'lvs-deploy up --without-ipvs, cold',
      'lvs-deploy up --without-ipvs, no-op',
      'Ansible playbook, cold',
      'Ansible playbook, no-op',
      'lvs-deploy cold / ssh2 floor',
      'lvs-deploy no-op / ssh2 floor',
      '`lvs-deploy status` (2 directors, one round trip each)',
      'status / (process start + ssh2 floor)',
      'Ansible cold / lvs-deploy cold',
      'start-up: `--version`',
      'per host: connect',
      'per host: apply',
      'lvs-deploy cold',
      'Ansible no-op',
    ];
    for (const label of expected)
      assert.ok(
        rows.some((l) => l.startsWith(`| ${label} |`)),
        `row missing: ${label}\n${md}`,
      );
    assert.ok(
      rows.some((l) => /^\| 5 \|/.test(l)),
      `scaling row for 5 hosts missing\n${md}`,
    );
    for (const l of rows) {
      const cells = l
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim());
      assert.ok(
        cells.every((c) => c !== ''),
        `empty cell in: ${l}`,
      );
      // The first number of every row (median, ratio, connections, floor) is there, unless Ansible is skipped.
      if (withAnsible || !/Ansible/.test(l)) assert.notEqual(cells[1], '–', `unfilled row: ${l}`);
      assert.doesNotMatch(l, /FAILED|UNEXPECTED/, `a run failed: ${l}`);
    }
    assert.match(md, /IPVS: this kernel has none/, 'the table says the IPVS step is left out');
    assert.match(md, /\| lvs-deploy cold \/ ssh2 floor \| \d+\.\d\d× \|/);
    const namespaces = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    assert.ok(!namespaces.includes(`lvs-${labIdOf('bench-5')}-`), `lab not torn down:\n${namespaces}`);
  });

  test('both tools left the real servers in the same state: VIP on lo, ARP sysctls', {
    skip: withAnsible ? false : 'ansible-playbook not installed',
  }, () => {
    const doc = JSON.parse(readFileSync(stateFile, 'utf8')) as StateDoc;
    assert.deepEqual(doc.parity, [], `end states differ:\n${(doc.parity ?? []).join('\n')}`);
    const realServers = Object.keys(doc.lvs).filter((h) => h.startsWith('rs'));
    assert.equal(realServers.length, 3);
    for (const tool of ['lvs', 'ansible'] as const) {
      for (const h of realServers) {
        const lines = doc[tool][h] ?? [];
        assert.ok(lines.includes('lo 10.90.0.250/32'), `${tool} ${h}: VIP not on lo: ${lines.join('; ')}`);
        for (const s of ['all.arp_ignore=1', 'lo.arp_ignore=1', 'all.arp_announce=2', 'lo.arp_announce=2'])
          assert.ok(
            lines.includes(`sysctl net.ipv4.conf.${s}`),
            `${tool} ${h}: ${s} missing: ${lines.join('; ')}`,
          );
      }
      for (const d of ['lb1', 'lb2'])
        assert.ok(doc[tool][d]?.includes('keepalived running'), `${tool} ${d}: keepalived not running`);
    }
  });
});
