// A keepalived pair mid-upgrade in the netns lab: seed 002's shape with lb1 on Debian 11's
// userland (keepalived 2.1.5, OpenSSH 8.4) and lb2 on Debian 13's (keepalived 2.3.3, OpenSSH 10),
// each lab host chrooted into its release's root filesystem (lab: { release }). This kernel has no
// IPVS, so `up --without-ipvs` runs keepalived VRRP-only: the two versions must still agree on one
// MASTER, a second up must change nothing on either, and down must take everything away.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadInventory } from '../../src/inventory/load.js';
import { hostExec, type LabState, labDown, labEnv, labUp } from '../../src/lab/netns.js';
import { releaseBuilt } from '../../src/lab/release/rootfs.js';
import type { StatusReport } from '../../src/status/types.js';
import { cliInLab, ROOT } from '../helpers/cli.js';

const LAB = 'lvs-releases';
const skip =
  process.getuid?.() !== 0
    ? 'needs root (network namespaces)'
    : !releaseBuilt('bullseye') || !releaseBuilt('trixie')
      ? 'no bullseye/trixie root filesystem (build: lvs-deploy lab rootfs bullseye trixie; .ci/setup does)'
      : false;

interface HostResult {
  host: string;
  status: string;
  changes: string[];
  error?: string;
}

describe('a keepalived pair mid-upgrade: lb1 on bullseye, lb2 on trixie (netns lab)', { skip }, () => {
  let state: LabState;
  let tmp: string;
  let inv: string;
  const env = () => ({ ...labEnv(state), LVS_VRRP_PASS: 'release1' });
  const lvs = (args: string[]) => cliInLab(state.controlNs, env(), args);
  const sh = async (host: string, cmd: string) => {
    const r = await hostExec(state, host, cmd);
    assert.equal(r.code, 0, `${host}: ${cmd}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const up = async () => {
    const r = await lvs(['up', inv, '--without-ipvs', '--json']);
    const hosts = (JSON.parse(r.stdout || '{"hosts":[]}') as { hosts: HostResult[] }).hosts;
    return { code: r.code, stderr: r.stderr, hosts: Object.fromEntries(hosts.map((h) => [h.host, h])) };
  };
  const roles = async () => {
    const r = await lvs(['status', inv, '--json']);
    const report = JSON.parse(r.stdout) as StatusReport;
    return Object.fromEntries(report.instances.map((i) => [i.director, i.state]));
  };

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'lvs-releases-'));
    inv = join(tmp, 'releases.yaml');
    const seed = readFileSync(join(ROOT, 'inventories', 'seed-002-dr-keepalived.yaml'), 'utf8')
      .replace(/^name: .*$/m, `name: ${LAB}`)
      .replace(/^( {2}lb1: .*) \}$/m, '$1, lab: { release: bullseye } }')
      .replace(/^( {2}lb2: .*) \}$/m, '$1, lab: { release: trixie } }');
    assert.match(seed, /lab: \{ release: trixie \}/);
    writeFileSync(inv, seed);
    state = (await labUp(await loadInventory(inv, { skipSecrets: true }))).state;
  });
  after(async () => {
    await labDown(LAB);
    rmSync(tmp, { recursive: true, force: true });
  });

  test("each director runs its release's userland (os-release, keepalived, sshd)", async () => {
    const os = 'sed -n "s/^VERSION_CODENAME=//p" /etc/os-release';
    assert.equal(await sh('lb1', os), 'bullseye');
    assert.equal(await sh('lb2', os), 'trixie');
    assert.equal(await sh('web1', os), 'bookworm', 'a host without lab.release runs this machine’s');
    assert.match(await sh('lb1', 'keepalived -v 2>&1 | head -n 1'), /^Keepalived v2\.1\./);
    assert.match(await sh('lb2', 'keepalived -v 2>&1 | head -n 1'), /^Keepalived v2\.3\./);
    // Reached over ssh: the release's own sshd answered (OpenSSH 8.4 and 10.0).
    const r = await lvs(['plan', inv, '--without-ipvs', '--limit', 'lb1,lb2']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  test('up converges both; VRRP agrees across 2.1.5 and 2.3.3: lb1 MASTER, lb2 BACKUP', async () => {
    const r = await up();
    assert.equal(r.code, 0, `${r.stderr}${JSON.stringify(r.hosts)}`);
    assert.deepEqual([r.hosts.lb1?.status, r.hosts.lb2?.status], ['changed', 'changed']);
    let seen = await roles();
    for (let i = 0; i < 15 && !(seen.lb1 === 'MASTER' && seen.lb2 === 'BACKUP'); i++) {
      await sleep(1000);
      seen = await roles();
    }
    assert.deepEqual(seen, { lb1: 'MASTER', lb2: 'BACKUP' });
    // The VIP is on the MASTER only.
    const vipOn = (h: string) => sh(h, 'ip -o addr show | grep -c " 192.168.100.9/" || true');
    assert.deepEqual([await vipOn('lb1'), await vipOn('lb2')], ['1', '0']);
  });

  test('a second up changes nothing on either release', async () => {
    const r = await up();
    assert.equal(r.code, 0, r.stderr);
    for (const h of ['lb1', 'lb2', 'web1', 'web2'])
      assert.equal(r.hosts[h]?.status, 'ok', `${h}: ${JSON.stringify(r.hosts[h])}`);
  });

  test("facts read each director's keepalived over ssh: weight 0 is refused on 2.1.5 only, naming it", async () => {
    const zero = join(tmp, 'weight0.yaml');
    const text = readFileSync(inv, 'utf8').replace(
      '{ host: web1, port: 80, weight: 1 }',
      '{ host: web1, port: 80, weight: 0 }',
    );
    assert.match(text, /weight: 0/);
    writeFileSync(zero, text);
    const r = await lvs(['plan', zero, '--without-ipvs', '--limit', 'lb1,lb2', '--json']);
    const hosts = Object.fromEntries(
      (JSON.parse(r.stdout) as { hosts: HostResult[] }).hosts.map((h) => [h.host, h]),
    );
    assert.equal(hosts.lb1?.status, 'failed', JSON.stringify(hosts.lb1));
    assert.match(
      hosts.lb1?.error ?? '',
      /keepalived 2\.1\.5 turns real server weight 0 into 1 .*192\.168\.100\.20:80/,
    );
    assert.equal(hosts.lb2?.status, 'pending', JSON.stringify(hosts.lb2));
    assert.deepEqual(hosts.lb2?.changes.slice(0, 1), ['file update /etc/keepalived/keepalived.conf']);
  });

  test('the MASTER stopping hands the VIP to the other release', async () => {
    await sh('lb1', 'kill "$(cat /run/keepalived.pid)"');
    let seen = await roles();
    for (let i = 0; i < 15 && seen.lb2 !== 'MASTER'; i++) {
      await sleep(1000);
      seen = await roles();
    }
    assert.equal(seen.lb2, 'MASTER');
    const r = await up();
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.hosts.lb1?.changes, ['service start keepalived']);
  });

  test('down removes keepalived and its file from both', async () => {
    const r = await lvs(['down', inv, '--without-ipvs', '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const h of ['lb1', 'lb2']) {
      assert.equal(await sh(h, 'test -e /etc/keepalived/keepalived.conf && echo yes || echo no'), 'no');
      // By its pid file: pgrep would see every lab's keepalived (one pid namespace).
      assert.equal(
        await sh(
          h,
          'kill -0 "$(cat /run/keepalived.pid 2>/dev/null)" 2>/dev/null && echo running || echo stopped',
        ),
        'stopped',
      );
    }
  });
});
