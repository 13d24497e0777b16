// up / plan / down against real sshd hosts in the netns lab. Every host's state is read
// independently of the tool (nsenter into the host), never through lvs-deploy itself.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadInventory } from '../../src/inventory/load.js';
import { hostExec, labDown, labEnv, labUp } from '../../src/lab/netns.js';
import type { LabState } from '../../src/lab/state.js';
import { cliInLab, ROOT } from '../helpers/cli.js';

const INV = join(ROOT, 'inventories', 'lab-nat-dr.yaml');
const root = process.getuid?.() === 0;

interface JsonHost {
  host: string;
  status: string;
  changes: string[];
  error?: string;
}

describe('up, plan and down on real sshd hosts (netns lab)', {
  skip: root ? false : 'needs root (network namespaces)',
}, () => {
  let state: LabState;
  let tmp: string;
  const before0: Record<string, string> = {};
  const sh = async (host: string, cmd: string) => (await hostExec(state, host, cmd)).stdout.trim();
  const snapshot = (host: string) =>
    sh(
      host,
      [
        'sysctl -n net.ipv4.ip_forward net.ipv4.conf.all.arp_ignore net.ipv4.conf.all.arp_announce net.ipv4.conf.lo.arp_ignore net.ipv4.conf.lo.arp_announce',
        "ip -o addr show | awk '{print $2, $4}'",
        'ip route show',
        'ls /etc/sysctl.d /usr/local/sbin /etc/systemd/system /etc/modules-load.d 2>/dev/null',
      ].join('; '),
    );
  const lvs = (args: string[], env = labEnv(state)) => cliInLab(state.controlNs, env, args);
  const upJson = async (args: string[] = [], file = INV, env = labEnv(state)) => {
    const r = await lvs(['up', file, '--json', ...args], env);
    const doc = JSON.parse(r.stdout) as { hosts: JsonHost[] };
    return { code: r.code, hosts: Object.fromEntries(doc.hosts.map((h) => [h.host, h])), stderr: r.stderr };
  };

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'lvs-engine-'));
    state = (await labUp(await loadInventory(INV))).state;
    for (const h of ['natrs', 'drrs', 'dir1']) before0[h] = await snapshot(h);
  });
  after(async () => {
    await labDown('lab-nat-dr');
    rmSync(tmp, { recursive: true, force: true });
  });

  test('up converges the real servers; the director is refused and untouched (no IPVS in this kernel)', async () => {
    const r = await upJson();
    assert.equal(r.code, 1);
    assert.equal(r.hosts.natrs?.status, 'changed');
    assert.equal(r.hosts.drrs?.status, 'changed');
    assert.equal(r.hosts.dir1?.status, 'failed');
    assert.match(r.hosts.dir1?.error ?? '', /kernel has no IPVS: ip_vs module not available/);
    assert.equal(await snapshot('dir1'), before0.dir1, 'director changed although it was refused');
    assert.equal(r.hosts.client, undefined, 'a client-only host is not touched');
  });

  test('each real server is in the state its role describes (read with nsenter, not the tool)', async () => {
    assert.match(await sh('natrs', 'ip route show default'), /^default via 10\.78\.0\.1 dev eth0/);
    assert.match(await sh('drrs', 'ip -o addr show dev lo'), /inet 10\.77\.0\.101\/32/);
    assert.equal(
      await sh('drrs', 'sysctl -n net.ipv4.conf.all.arp_ignore net.ipv4.conf.all.arp_announce'),
      '1\n2',
    );
    assert.match(
      await sh('drrs', 'cat /etc/sysctl.d/90-lvs-deploy.conf'),
      /net\.ipv4\.conf\.all\.arp_ignore = 1/,
    );
    assert.match(
      await sh(
        'drrs',
        'sh /usr/local/sbin/lvs-deploy-net up && ip -o addr show dev lo | grep -c 10.77.0.101',
      ),
      /^1$/,
    );
  });

  test('a second up changes nothing', async () => {
    const r = await upJson(['--limit', 'natrs,drrs']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual([r.hosts.natrs?.status, r.hosts.drrs?.status], ['ok', 'ok']);
  });

  test('plan after up is empty', async () => {
    const r = await lvs(['plan', INV, '--limit', 'natrs,drrs', '--detailed-exitcode']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /\[natrs\] no changes/);
  });

  test('drift made by hand shows in plan exactly, and up puts it back', async () => {
    await sh('drrs', 'sysctl -q -w net.ipv4.conf.all.arp_ignore=0');
    const p = await lvs(['plan', INV, '--limit', 'drrs', '--detailed-exitcode']);
    assert.equal(p.code, 3);
    assert.deepEqual(
      p.stdout
        .split('\n')
        .filter((l) => /^\[drrs\]\s+[~+-] /.test(l))
        .map((l) => l.replace(/^\[drrs\]\s+/, '')),
      ['~ sysctl net.ipv4.conf.all.arp_ignore: 0 → 1  [live]'],
    );
    const r = await upJson(['--limit', 'drrs']);
    assert.equal(r.hosts.drrs?.status, 'changed');
    assert.equal(await sh('drrs', 'sysctl -n net.ipv4.conf.all.arp_ignore'), '1');
  });

  test('a non-root user with NOPASSWD sudo and become: true converges the host', async () => {
    const file = join(tmp, 'become.yaml');
    writeFileSync(
      file,
      readFileSync(INV, 'utf8').replace(
        'drrs:  { address: 10.77.0.21,',
        'drrs:  { ssh: { user: lvsadmin, become: true }, address: 10.77.0.21,',
      ),
    );
    await sh('drrs', 'ip addr del 10.77.0.101/32 dev lo');
    const r = await upJson(['--limit', 'drrs'], file);
    assert.equal(r.hosts.drrs?.status, 'changed', r.hosts.drrs?.error);
    assert.match(await sh('drrs', 'ip -o addr show dev lo'), /10\.77\.0\.101\/32/);
  });

  test('an unreachable host is reported unreachable and the others still converge', async () => {
    const file = join(tmp, 'ghost.yaml');
    writeFileSync(
      file,
      readFileSync(INV, 'utf8')
        .replace(
          '  client:',
          '  ghost: { address: 10.77.0.99, ssh: { connect_timeout: 2 }, interfaces: { eth0: [10.77.0.99/24] } }\n  client:',
        )
        .replace('real_servers: [ { host: drrs } ]', 'real_servers: [ { host: drrs }, { host: ghost } ]'),
    );
    await sh('natrs', 'ip route del default');
    const r = await upJson(['--limit', 'natrs,drrs,ghost'], file);
    assert.equal(r.code, 1);
    assert.equal(r.hosts.ghost?.status, 'unreachable');
    assert.equal(r.hosts.natrs?.status, 'changed');
    assert.match(await sh('natrs', 'ip route show default'), /via 10\.78\.0\.1/);
  });

  test('a changed host key is refused and names the known_hosts line', async () => {
    const known = join(tmp, 'known_hosts');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(tmp, 'other')]);
    const otherKey = readFileSync(join(tmp, 'other.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
    const lines = readFileSync(labEnv(state).LVS_DEPLOY_LAB_KNOWN_HOSTS ?? '', 'utf8').split('\n');
    writeFileSync(
      known,
      lines.map((l) => (l.startsWith('10.77.0.21 ') ? `10.77.0.21 ${otherKey}` : l)).join('\n'),
    );
    const r = await upJson(['--limit', 'drrs,natrs'], INV, {
      ...labEnv(state),
      LVS_DEPLOY_LAB_KNOWN_HOSTS: known,
    });
    assert.equal(r.code, 1);
    assert.equal(r.hosts.drrs?.status, 'failed');
    assert.match(r.hosts.drrs?.error ?? '', /host key.*changed|changed.*host key/i);
    assert.match(r.hosts.drrs?.error ?? '', new RegExp(`${known}:\\d+`));
    assert.equal(r.hosts.natrs?.status, 'ok');
  });

  test('whichever apply step fails, the host ends exactly at its old state', async () => {
    // drrs from scratch: files, four sysctls, the VIP on lo, then the state record (10+ steps).
    await lvs(['down', INV, '--limit', 'drrs']);
    const old = await snapshot('drrs');
    // Fail step 0, 1, 2, … in turn; past the last step nothing is injected and the host converges.
    for (let n = 0; ; n++) {
      const r = await upJson(['--limit', 'drrs', '--fail-after-step', String(n)]);
      if (r.hosts.drrs?.status === 'changed') {
        assert.ok(n >= 8, `only ${n} steps`);
        break;
      }
      assert.equal(r.hosts.drrs?.status, 'failed', `step ${n}`);
      assert.match(r.hosts.drrs?.error ?? '', /injected fault.*rolled back/, `step ${n}`);
      assert.equal(
        await snapshot('drrs'),
        old,
        `after a failure at step ${n} the host is not at its old state`,
      );
      assert.ok(n < 40);
    }
    const r = await upJson(['--limit', 'drrs']);
    assert.equal(r.hosts.drrs?.status, 'ok', 'the rerun converged it');
  });

  test('bad input exits 2 with FILE:LINE:COL and no host is contacted (sshd logs unchanged)', async () => {
    const file = join(tmp, 'typo.yaml');
    writeFileSync(file, readFileSync(INV, 'utf8').replace('scheduler: wlc', 'scheduler: wlcc'));
    const logs = () =>
      Object.keys(state.hosts).map((h) =>
        readFileSync(join(state.stateDir, 'logs', `${h}-sshd.log`), 'utf8'),
      );
    const before1 = logs();
    for (const cmd of ['up', 'plan', 'down', 'verify']) {
      const r = await lvs([cmd, file]);
      assert.equal(r.code, 2, `${cmd}: ${r.stderr}`);
      assert.match(
        r.stderr,
        new RegExp(`${file}:\\d+:\\d+: services\\[1\\]\\.scheduler: "wlcc" is not allowed`),
      );
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    }
    assert.deepEqual(logs(), before1, 'an sshd saw a connection');
  });

  test('down puts every host back to its state before the first up', async () => {
    const r = await lvs(['down', INV, '--limit', 'natrs,drrs']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(await snapshot('natrs'), before0.natrs);
    assert.equal(await snapshot('drrs'), before0.drrs);
    const again = await lvs(['down', INV, '--limit', 'natrs,drrs', '--json']);
    assert.ok(
      (JSON.parse(again.stdout) as { hosts: JsonHost[] }).hosts.every((h) => h.status === 'ok'),
      'a second down changes nothing',
    );
  });
});
