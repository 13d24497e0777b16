// Issue 19: fresh images ship without package lists, and `apt-get install` then fails with
// "Unable to locate package". A real server whose package lists were emptied must still converge:
// `up` refreshes the lists (once), installs the package and says so; the second `up` neither
// installs nor refreshes. The package is lvs-lab-probe, an empty .deb built here and served from a
// local `file:` repository, so apt touches no network. The lab host's /etc and /var are private
// overlays (src/lab/host-init.ts): its sources, lists and dpkg database change, this machine's
// do not — the last test checks that.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { loadInventory } from '../../src/inventory/load.js';
import { hostExec, labDown, labEnv, labUp } from '../../src/lab/netns.js';
import type { LabState } from '../../src/lab/state.js';
import { cliInLab, ROOT } from '../helpers/cli.js';

const INV = join(ROOT, 'test', 'fixtures', 'apt-lab', 'inventory.yaml');
const root = process.getuid?.() === 0;
const exec = promisify(execFile);
// Under /var (lab hosts see this machine's /var beneath their overlay), readable by apt's _apt.
const REPO_PARENT = '/var/cache/lvs-deploy';

interface JsonHost {
  host: string;
  status: string;
  changes: string[];
  notes?: string[];
  error?: string;
}

/** An empty binary package and a flat repository (Packages) around it. */
async function buildRepo(): Promise<string> {
  await mkdir(REPO_PARENT, { recursive: true });
  const repo = await mkdtemp(join(REPO_PARENT, 'lab-apt-repo-'));
  await chmod(repo, 0o755);
  const pkg = join(repo, 'pkg');
  await mkdir(join(pkg, 'DEBIAN'), { recursive: true });
  await writeFile(
    join(pkg, 'DEBIAN', 'control'),
    [
      'Package: lvs-lab-probe',
      'Version: 1.0',
      'Architecture: all',
      'Maintainer: lvs-deploy tests <tests@lvs-deploy.invalid>',
      'Description: empty package for the lvs-deploy apt refresh test',
      '',
    ].join('\n'),
  );
  await exec('dpkg-deb', ['--build', '--root-owner-group', pkg, join(repo, 'lvs-lab-probe_1.0_all.deb')]);
  await rm(pkg, { recursive: true });
  const { stdout } = await exec('dpkg-scanpackages', ['--multiversion', '.', '/dev/null'], { cwd: repo });
  await writeFile(join(repo, 'Packages'), stdout);
  return repo;
}

describe('up on a host without package lists (netns lab)', {
  skip: root ? false : 'needs root (network namespaces)',
}, () => {
  let state: LabState;
  let repo: string;
  const sh = async (host: string, cmd: string) => (await hostExec(state, host, cmd)).stdout.trim();
  const up = async () => {
    const r = await cliInLab(state.controlNs, labEnv(state), ['up', INV, '--limit', 'web', '--json']);
    const doc = JSON.parse(r.stdout) as { hosts: JsonHost[] };
    return { code: r.code, web1: doc.hosts.find((h) => h.host === 'web1'), stderr: r.stderr };
  };

  before(async () => {
    repo = await buildRepo();
    state = (await labUp(await loadInventory(INV))).state;
    // Only the local repository, and no lists at all: what a fresh image looks like to apt.
    await sh(
      'web1',
      [
        'rm -f /etc/apt/sources.list.d/*',
        `echo 'deb [trusted=yes] file:${repo} ./' > /etc/apt/sources.list`,
        'find /var/lib/apt/lists -maxdepth 1 -type f -delete',
        'rm -f /var/lib/apt/periodic/update-success-stamp /var/cache/apt/*.bin',
      ].join('; '),
    );
  });
  after(async () => {
    await labDown('lab-apt');
    if (repo) await rm(repo, { recursive: true, force: true });
  });

  test('the host has no package lists and apt cannot find the package', async () => {
    assert.equal(await sh('web1', 'ls /var/lib/apt/lists | grep -c _Packages || true'), '0');
    assert.match(
      await sh('web1', 'apt-cache policy lvs-lab-probe 2>&1; dpkg-query -W lvs-lab-probe 2>&1 || true'),
      /no packages found|Unable to locate/i,
    );
  });

  test('up refreshes the lists, installs the package and says the lists were refreshed', async () => {
    const r = await up();
    assert.equal(r.code, 0, `${r.stderr}\n${JSON.stringify(r.web1, null, 1)}`);
    assert.equal(r.web1?.status, 'changed');
    assert.ok(r.web1?.changes.includes('package install lvs-lab-probe'), r.web1?.changes.join('\n'));
    assert.deepEqual(
      r.web1?.notes?.filter((n) => n.startsWith('package lists')),
      ['package lists refreshed (missing)'],
    );
    assert.equal(await sh('web1', 'dpkg -s lvs-lab-probe | grep ^Status:'), 'Status: install ok installed');
    assert.notEqual(await sh('web1', 'ls /var/lib/apt/lists | grep -c _Packages || true'), '0');
  });

  test('second up changes nothing and refreshes nothing', async () => {
    const r = await up();
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.web1?.status, 'ok', JSON.stringify(r.web1));
    assert.equal(r.web1?.notes, undefined);
  });

  test("this machine's own package database and sources were not touched", async () => {
    const own = await exec('dpkg-query', ['-W', 'lvs-lab-probe']).catch((e: { code: number }) => e);
    assert.notEqual('code' in own ? own.code : 0, 0, 'lvs-lab-probe is installed on the machine itself');
    const { stdout } = await exec('sh', ['-c', 'cat /etc/apt/sources.list 2>/dev/null; true']);
    assert.ok(!stdout.includes(repo), 'the machine’s sources.list names the lab repository');
  });
});
