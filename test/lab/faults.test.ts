// Never break a live host: faults injected while `up` converges a DR real server (files, sysctls,
// the VIP on lo) or a keepalived director leave it FULLY at its old state or FULLY at its new one —
// compared with snapshots of its sysctls, addresses, routes, managed files and daemon, read with
// nsenter, never through the tool — report it failed with a clear reason, let the other host
// converge, and a rerun converges it. Seed 002's shape (keepalived pair lb1/lb2, DR real servers
// web1/web2) in a netns lab; --without-ipvs, since this kernel has no IPVS.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { LOCK_LINK } from '../../src/executor/lock.js';
import { hostExec, type LabState, labEnv, runCommand } from '../../src/lab/netns.js';
import { writeState } from '../../src/lab/state.js';
import { cliInLab, ROOT } from '../helpers/cli.js';
import { nodeInLab, startLab, stopLab } from '../helpers/lab.js';

const root = process.getuid?.() === 0;
const LAB = 'lvs-faults';
const HOSTS = ['lb1', 'lb2', 'web1', 'web2'];
const X = ['--without-ipvs'];
const MANAGED = [
  '/etc/sysctl.d/90-lvs-deploy.conf',
  '/etc/modules-load.d/lvs-deploy.conf',
  '/etc/systemd/system/lvs-deploy-net.service',
  '/usr/local/sbin/lvs-deploy-net',
  '/etc/keepalived/keepalived.conf',
  '/var/lib/lvs-deploy/state.json',
  '/var/lib/lvs-deploy/owned.list',
];
const SYSCTLS = [
  'net.ipv4.ip_forward',
  'net.ipv4.conf.all.arp_ignore',
  'net.ipv4.conf.all.arp_announce',
  'net.ipv4.conf.lo.arp_ignore',
  'net.ipv4.conf.lo.arp_announce',
  'net.ipv4.vs.conntrack',
];
/** Makes `ip addr add` (the DR step that puts the VIP on lo) take 4 s: a window to strike in. */
const SLOW_IP = '#!/bin/sh\ncase "$*" in *"addr add"*) sleep 4 ;; esac\nexec /usr/sbin/ip "$@"\n';
/** Makes `keepalived -t` take 4 s (SIGINT while a director's apply is in flight). */
const SLOW_KEEPALIVED =
  '#!/bin/sh\nfor a; do [ "$a" = -t ] && sleep 4; done\nexec /usr/sbin/keepalived "$@"\n';

interface JsonHost {
  host: string;
  status: string;
  error?: string;
}

describe('faults during up leave a host fully old or fully new (netns lab)', {
  skip: root ? false : 'needs root (network namespaces)',
}, () => {
  let state: LabState;
  let tmp: string;
  let inv: string;
  const OLD: Record<string, string> = {};
  const NEW: Record<string, string> = {};
  const sh = async (host: string, cmd: string) => (await hostExec(state, host, cmd)).stdout;
  const must = async (host: string, cmd: string) => {
    const r = await hostExec(state, host, cmd);
    assert.equal(r.code, 0, `${host}: ${cmd}: ${r.stderr}`);
    return r.stdout;
  };
  const env = () => ({ ...labEnv(state), LVS_VRRP_PASS: 'faults1' });

  const snapshot = (host: string) =>
    sh(
      host,
      [
        `for k in ${SYSCTLS.join(' ')}; do printf '%s=%s\\n' "$k" "$(sysctl -n "$k" 2>/dev/null)"; done`,
        // The VIP on a director's ens224 is VRRP's to move (whichever director is MASTER), not up's.
        "/usr/sbin/ip -o addr show | awk '{print $2, $3, $4}' | grep -v '^ens224 inet 192[.]168[.]100[.]9/'",
        '/usr/sbin/ip route show',
        `for f in ${MANAGED.join(' ')}; do if [ -e "$f" ]; then echo "== $f $(stat -c %a "$f")"; cat "$f"; else echo "== $f absent"; fi; done`,
        'if [ -f /run/keepalived.pid ] && kill -0 "$(cat /run/keepalived.pid)" 2>/dev/null; then echo keepalived running; else echo keepalived stopped; fi',
      ].join('; '),
    );

  /** Which of its two snapshots the host is at: a half-done host fails here with a diff-able message. */
  const assertOldOrNew = async (host: string, why: string): Promise<'old' | 'new'> => {
    const now = await snapshot(host);
    if (now === OLD[host]) return 'old';
    if (now === NEW[host]) return 'new';
    assert.fail(
      `${host} is neither at its old nor at its new state after ${why}:\n--- now\n${now}\n--- old\n${OLD[host]}\n--- new\n${NEW[host]}`,
    );
  };

  const up = async (args: string[], file = inv) => {
    const r = await cliInLab(state.controlNs, env(), ['up', file, '--json', ...X, ...args]);
    let hosts: Record<string, JsonHost> = {};
    try {
      hosts = Object.fromEntries(
        (JSON.parse(r.stdout) as { hosts: JsonHost[] }).hosts.map((h) => [h.host, h]),
      );
    } catch {
      assert.fail(`up ${args.join(' ')}: no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
    }
    return { code: r.code, hosts, stderr: r.stderr };
  };

  /** Every host back at its old state (down), checked. */
  const reset = async () => {
    const r = await cliInLab(state.controlNs, env(), ['down', inv, ...X]);
    assert.equal(r.code, 0, `down: ${r.stdout}${r.stderr}`);
    for (const h of HOSTS)
      assert.equal(await snapshot(h), OLD[h], `${h}: down did not restore the old state`);
  };

  /** Backup dirs on the host: a new one appears when an apply script starts. */
  const backups = async (host: string) =>
    (await sh(host, 'ls /var/lib/lvs-deploy/backup 2>/dev/null')).trim().split('\n').filter(Boolean);
  const waitForApply = async (host: string, before: string[], timeoutMs = 20_000) => {
    const t0 = Date.now();
    while (Date.now() - t0 < timeoutMs) {
      const now = await backups(host);
      const fresh = now.find((b) => !before.includes(b));
      if (
        fresh &&
        (await hostExec(state, host, `test -f /var/lib/lvs-deploy/backup/${fresh}/log`)).code === 0
      )
        return;
      await sleep(50);
    }
    assert.fail(`${host}: no apply started within ${timeoutMs} ms`);
  };
  /** The apply script holds its run lock (LOCK_LINK) until it has finished or rolled back. */
  const waitForScriptEnd = async (host: string) => {
    for (let i = 0; i < 200 && (await hostExec(state, host, `test -L ${LOCK_LINK}`)).code === 0; i++)
      await sleep(100);
  };

  before(async () => {
    ({ state, inv, dir: tmp } = await startLab(LAB, 'seed-002-dr-keepalived.yaml', 'faults.yaml', 'faults1'));
    const d = await cliInLab(state.controlNs, env(), ['down', inv, ...X]);
    assert.equal(d.code, 0, d.stdout + d.stderr);
    for (const h of HOSTS) OLD[h] = await snapshot(h);
    const u = await up([]);
    assert.equal(u.code, 0, JSON.stringify(u.hosts) + u.stderr);
    for (const h of HOSTS) NEW[h] = await snapshot(h);
    for (const h of HOSTS) assert.notEqual(NEW[h], OLD[h], `${h}: up changed nothing`);
  });
  after(async () => {
    delete process.env.LVS_VRRP_PASS;
    await stopLab(LAB, tmp);
  });

  test("sshd killed while web1's apply runs: web1 fails (connection lost) and ends old or new; web2 converges; rerun converges", {
    timeout: 90_000,
  }, async (t) => {
    await reset();
    await must('web1', `printf '%s' '${SLOW_IP}' > /usr/local/sbin/ip && chmod 755 /usr/local/sbin/ip`);
    const before0 = await backups('web1');
    const run = up(['--limit', 'web1,web2']);
    await waitForApply('web1', before0);
    // sshd listener and the session's sshd processes: only this host's network namespace, by PID.
    const ns = state.hosts.web1?.namespace ?? '';
    const pids = (await runCommand('ip', ['netns', 'pids', ns])).stdout
      .split('\n')
      .filter(Boolean)
      .map(Number);
    const sshd = pids.filter((p) => {
      try {
        return readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'sshd';
      } catch {
        return false;
      }
    });
    assert.ok(
      sshd.includes(state.hosts.web1?.pids.sshd ?? -1),
      `the lab's sshd ${state.hosts.web1?.pids.sshd} is not among ${sshd}`,
    );
    assert.ok(sshd.length >= 2, `no session sshd besides the listener: ${sshd}`);
    for (const p of sshd) process.kill(p, 'SIGKILL');
    const r = await run;
    assert.equal(r.code, 1);
    assert.equal(r.hosts.web1?.status, 'failed', JSON.stringify(r.hosts.web1));
    assert.match(r.hosts.web1?.error ?? '', /connection (closed|lost)/i);
    assert.equal(r.hosts.web2?.status, 'changed', r.hosts.web2?.error);
    assert.equal(await snapshot('web2'), NEW.web2);
    await waitForScriptEnd('web1');
    t.diagnostic(
      `web1 after sshd was killed mid-apply: ${await assertOldOrNew('web1', 'sshd was killed mid-apply')} state; error: ${r.hosts.web1?.error}`,
    );
    // Restart the host's sshd as the lab does and record its PID, so the lab stays healthy.
    await must('web1', 'rm -f /usr/local/sbin/ip');
    const pid = Number(
      (
        await must(
          'web1',
          '/usr/sbin/sshd -D -r -f /etc/ssh/sshd_config.lvs-lab -E /run/lvslab/run/logs/web1-sshd.log </dev/null >/dev/null 2>&1 & echo $!',
        )
      ).trim(),
    );
    const h = state.hosts.web1;
    assert.ok(h && pid > 0);
    h.pids.sshd = pid;
    await writeState(state);
    await sleep(300);
    const again = await up(['--limit', 'web1']);
    assert.equal(again.code, 0, again.hosts.web1?.error);
    assert.equal(await snapshot('web1'), NEW.web1);
  });

  test('/etc read-only on web1: the sysctl.d write fails, web1 is rolled back to its old state; web2 converges; rerun converges', {
    timeout: 60_000,
  }, async () => {
    await reset();
    await must('web1', 'mount -o remount,ro /etc');
    try {
      const r = await up(['--limit', 'web1,web2']);
      assert.equal(r.code, 1);
      assert.equal(r.hosts.web1?.status, 'failed');
      assert.match(r.hosts.web1?.error ?? '', /Read-only file system/);
      assert.match(r.hosts.web1?.error ?? '', /rolled back/);
      assert.equal(r.hosts.web2?.status, 'changed', r.hosts.web2?.error);
      assert.equal(await snapshot('web2'), NEW.web2);
      assert.equal(await assertOldOrNew('web1', 'a failed step'), 'old');
    } finally {
      await must('web1', 'mount -o remount,rw /etc');
    }
    const again = await up(['--limit', 'web1']);
    assert.equal(again.hosts.web1?.status, 'changed', again.hosts.web1?.error);
    assert.equal(await snapshot('web1'), NEW.web1);
  });

  test('keepalived -t refuses the config on lb2: keepalived.conf not swapped, lb2 unchanged, the error names the check; lb1 converges', {
    timeout: 60_000,
  }, async () => {
    await reset();
    // Inside lb2's mount namespace only: keepalived -t fails, anything else runs the real one.
    await must(
      'lb2',
      [
        'cp /usr/sbin/keepalived /tmp/keepalived.real',
        `printf '%s' '#!/bin/sh\nfor a; do [ "$a" = -t ] && { echo "Keepalived config check: fault injected" >&2; exit 5; }; done\nexec /tmp/keepalived.real "$@"\n' > /tmp/keepalived.fake`,
        'chmod 755 /tmp/keepalived.fake',
        'mount --bind /tmp/keepalived.fake /usr/sbin/keepalived',
      ].join(' && '),
    );
    try {
      const r = await up(['--limit', 'lb1,lb2']);
      assert.equal(r.code, 1);
      assert.equal(r.hosts.lb2?.status, 'failed');
      assert.match(
        r.hosts.lb2?.error ?? '',
        /validation failed: keepalived -t -f \/etc\/keepalived\/keepalived\.conf \(exit 5\)/,
      );
      assert.match(r.hosts.lb2?.error ?? '', /config check: fault injected/);
      assert.match(r.hosts.lb2?.error ?? '', /rolled back/);
      assert.equal(await assertOldOrNew('lb2', 'keepalived -t failed'), 'old');
      assert.equal(
        (
          await hostExec(
            state,
            'lb2',
            'ls /etc/keepalived/keepalived.conf /etc/keepalived/keepalived.conf.lvs-new 2>/dev/null',
          )
        ).stdout.trim(),
        '',
        'the refused keepalived.conf (or its .lvs-new copy) was left',
      );
      assert.equal(r.hosts.lb1?.status, 'changed', r.hosts.lb1?.error);
      assert.equal(await snapshot('lb1'), NEW.lb1);
    } finally {
      await must('lb2', 'umount /usr/sbin/keepalived');
    }
    const again = await up(['--limit', 'lb2']);
    assert.equal(again.hosts.lb2?.status, 'changed', again.hosts.lb2?.error);
    assert.equal(await snapshot('lb2'), NEW.lb2);
  });

  test('sudo denied (become: true, lvsadmin without sudoers entry): web1 fails with a sudo message and is untouched; web2 converges', {
    timeout: 60_000,
  }, async () => {
    await reset();
    const file = join(tmp, 'become.yaml');
    writeFileSync(
      file,
      readFileSync(inv, 'utf8').replace(
        'web1:   { address:',
        'web1:   { ssh: { user: lvsadmin, become: true }, address:',
      ),
    );
    assert.match(readFileSync(file, 'utf8'), /lvsadmin/);
    const sudoers = await must('web1', 'cat /etc/sudoers.d/lvsadmin');
    await must('web1', 'rm /etc/sudoers.d/lvsadmin');
    try {
      const r = await up(['--limit', 'web1,web2'], file);
      assert.equal(r.code, 1);
      assert.equal(r.hosts.web1?.status, 'failed');
      assert.match(r.hosts.web1?.error ?? '', /sudo/);
      assert.equal(await assertOldOrNew('web1', 'sudo was denied'), 'old');
      assert.equal(r.hosts.web2?.status, 'changed', r.hosts.web2?.error);
    } finally {
      await must(
        'web1',
        `printf '%s' '${sudoers.replaceAll("'", '')}' > /etc/sudoers.d/lvsadmin && chmod 440 /etc/sudoers.d/lvsadmin`,
      );
    }
    const again = await up(['--limit', 'web1'], file);
    assert.equal(again.hosts.web1?.status, 'changed', again.hosts.web1?.error);
    assert.equal(await snapshot('web1'), NEW.web1);
  });

  test("web1's link dropped while its apply runs: reported failed or unreachable; web2 converges; link back, rerun converges", {
    timeout: 120_000,
  }, async (t) => {
    await reset();
    await must('web1', `printf '%s' '${SLOW_IP}' > /usr/local/sbin/ip && chmod 755 /usr/local/sbin/ip`);
    const before0 = await backups('web1');
    const run = up(['--limit', 'web1,web2']);
    await waitForApply('web1', before0);
    await must('web1', '/usr/sbin/ip link set ens224 down');
    let r: Awaited<ReturnType<typeof up>>;
    try {
      // The tool notices through SSH keepalives (about 30 s); the link stays down until then.
      r = await run;
    } finally {
      await must('web1', '/usr/sbin/ip link set ens224 up && rm -f /usr/local/sbin/ip');
    }
    assert.equal(r.code, 1);
    assert.ok(['failed', 'unreachable'].includes(r.hosts.web1?.status ?? ''), JSON.stringify(r.hosts.web1));
    assert.ok(r.hosts.web1?.error, 'no reason given');
    assert.equal(r.hosts.web2?.status, 'changed', r.hosts.web2?.error);
    await waitForScriptEnd('web1');
    t.diagnostic(
      `web1 after its link dropped mid-apply: ${await assertOldOrNew('web1', 'its link dropped')} state; ${r.hosts.web1?.status}: ${r.hosts.web1?.error}`,
    );
    const again = await up(['--limit', 'web1']);
    assert.equal(again.code, 0, again.hosts.web1?.error);
    assert.equal(await snapshot('web1'), NEW.web1);
  });

  test('SIGINT during up --concurrency 1 on 4 hosts: exit 130, the host in flight finishes or rolls back, the others are untouched', {
    timeout: 90_000,
  }, async (t) => {
    await reset();
    // lb2 goes first (the MASTER, lb1, goes last); its keepalived -t takes 4 s.
    await must(
      'lb2',
      `printf '%s' '${SLOW_KEEPALIVED}' > /usr/local/sbin/keepalived && chmod 755 /usr/local/sbin/keepalived`,
    );
    try {
      const before0 = await backups('lb2');
      const [cmd, ...args] = nodeInLab(
        state,
        join(ROOT, 'src', 'cli', 'main.ts'),
        ...['up', inv, '--json', '--concurrency', '1', ...X],
      );
      const child = spawn(cmd, args, { cwd: ROOT, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (b: Buffer) => (out += b));
      child.stderr.on('data', (b: Buffer) => (err += b));
      const exited = new Promise<number>((resolve) =>
        child.on('close', (code, sig) => resolve(code ?? (sig === 'SIGINT' ? 130 : 128))),
      );
      await waitForApply('lb2', before0);
      child.kill('SIGINT');
      const code = await exited;
      assert.equal(code, 130, `${out}\n${err}`);
      assert.match(err, /interrupted/);
      const hosts = Object.fromEntries(
        (JSON.parse(out) as { hosts: JsonHost[] }).hosts.map((h) => [h.host, h]),
      );
      for (const h of ['lb1', 'web1', 'web2']) {
        assert.match(
          hosts[h]?.error ?? '',
          /interrupted before it started/,
          `${h}: ${JSON.stringify(hosts[h])}`,
        );
        assert.equal(await snapshot(h), OLD[h], `${h} was touched although it had not started`);
      }
      await waitForScriptEnd('lb2');
      const lb2 = await assertOldOrNew('lb2', 'SIGINT');
      t.diagnostic(`lb2 (in flight at SIGINT): ${hosts.lb2?.status}, ${lb2} state`);
      assert.equal(lb2, hosts.lb2?.status === 'changed' ? 'new' : 'old');
    } finally {
      await must('lb2', 'rm -f /usr/local/sbin/keepalived');
    }
    const again = await up([]);
    assert.equal(again.code, 0, JSON.stringify(again.hosts));
    for (const h of HOSTS) assert.equal(await snapshot(h), NEW[h], `${h} after the rerun`);
  });
});
