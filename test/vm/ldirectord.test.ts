// Seed 001's next step on real kernel IPVS (qemu VM lab): ldirectord manages the table. lab up →
// up starts ldirectord → verify passes with traffic through the VIP → a second up changes
// nothing → drain under a stream (kept over a HUP and an up), enable → a real server stops answering: ldirectord quiesces it (weight 0, still listed) and
// verify reports its failing health check → it answers again: its weight comes back → down stops
// ldirectord, which removes its virtual service, and puts back the package's ldirectord.cf.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadInventory } from '../../src/inventory/load.js';
import type { Inventory } from '../../src/inventory/types.js';
import { responderPidFile, responderStart } from '../../src/lab/host-init.js';
import { labEnv } from '../../src/lab/netns.js';
import { labSpecFromInventory } from '../../src/lab/spec.js';
import { type VmLabState, vmHostExec, vmLabDown, vmLabUp } from '../../src/lab/vm/index.js';
import { cliInLab, ROOT } from '../helpers/cli.js';
import { parseStream, streamCommand } from './stream.js';

const FILE = join(ROOT, 'inventories', 'seed-001-lic-ldirectord.yaml');
const DIRECTOR = 'ifw01';
const VIP = '-t 200.0.0.10:80';
const STOPPED = 'ics02';
const RS = { ics01: '192.168.3.2:80', ics02: '192.168.3.3:80' } as const;
const PIDFILE = '/run/ldirectord.ldirectord.pid';
const CONF = '/etc/ha.d/ldirectord.cf';
/** How long ldirectord may take to notice (2 failed checks, 2 s apart) or to restore, under emulation. */
const BOUND_MS = 30_000;

const skip =
  process.getuid?.() !== 0
    ? 'needs root (namespaces, taps, qemu)'
    : !existsSync('/usr/bin/qemu-system-x86_64')
      ? 'qemu-system-x86 is not installed'
      : !existsSync('/usr/sbin/ldirectord')
        ? 'ldirectord is not installed (bash .ci/setup installs it)'
        : false;

interface JsonHost {
  host: string;
  status: string;
}
interface Report {
  ok: boolean;
  checks: { host: string; check: string; ok: boolean; detail: string }[];
  services: { service: string; ok: boolean; rows: { server: string; answered: number }[] }[];
}

describe('seed 001, next step: ldirectord manages IPVS on real kernel IPVS', { skip }, () => {
  let inv: Inventory;
  let state: VmLabState;
  const lvs = (args: string[]) => cliInLab(state.controlNs, labEnv(state), args);
  const on = async (host: string, cmd: string) => {
    const r = await vmHostExec(state, host, cmd, { timeoutMs: 120_000 });
    assert.equal(r.code, 0, `${host}: ${cmd}: exit ${r.code}\n${r.stdout}${r.stderr}`);
    return r.stdout;
  };
  const weightOf = (table: string, rs: string) =>
    new RegExp(`^-a ${VIP} -r ${rs.replaceAll('.', '\\.')} -m -w (\\d+)$`, 'm').exec(table)?.[1];
  /** Poll the director's table (about once a second) until `want` holds; return the ms it took. */
  const until = async (what: string, want: (table: string) => boolean): Promise<number> => {
    const t0 = Date.now();
    let table = '';
    while (Date.now() - t0 < BOUND_MS) {
      table = await on(DIRECTOR, 'ipvsadm -S -n');
      if (want(table)) return Date.now() - t0;
      await new Promise((r) => setTimeout(r, 1000));
    }
    return assert.fail(`${what}: not within ${BOUND_MS / 1000} s; ${DIRECTOR}'s table:\n${table}`);
  };
  const verify = async () => {
    const r = await lvs(['verify', FILE, '--json']);
    return { code: r.code, report: JSON.parse(r.stdout) as Report, raw: r.stdout + r.stderr };
  };

  before(async () => {
    inv = await loadInventory(FILE);
    state = await vmLabUp(inv);
  });
  after(async () => {
    await vmLabDown(inv ?? 'seed-001-lic-ldirectord');
  });

  test('up writes ldirectord.cf and starts ldirectord, which programs the VIP service', async () => {
    const r = await lvs(['up', FILE, '--json']);
    const hosts = (JSON.parse(r.stdout) as { hosts: JsonHost[] }).hosts;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok(
      hosts.every((h) => h.status === 'changed'),
      JSON.stringify(hosts),
    );
    assert.match(
      await on(
        DIRECTOR,
        `kill -0 "$(cat ${PIDFILE})" && cat /proc/"$(cat ${PIDFILE})"/cmdline | tr '\\0' ' '`,
      ),
      /ldirectord/,
    );
    assert.match(await on(DIRECTOR, `cat ${CONF}`), /^virtual = 200\.0\.0\.10:80$/m);
    // ldirectord adds real servers quiesced and restores each once its first check passes.
    const ms = await until(
      'both real servers at weight 100',
      (t) => weightOf(t, RS.ics01) === '100' && weightOf(t, RS.ics02) === '100',
    );
    process.stdout.write(`# ldirectord had both real servers up ${ms} ms after up returned\n`);
    assert.match(await on(DIRECTOR, 'ipvsadm -S -n'), /^-A -t 200\.0\.0\.10:80 -s wlc -p 600$/m);
  });

  test('verify passes: every check green and traffic reaches a real server through the VIP', async () => {
    const { code, report, raw } = await verify();
    assert.equal(code, 0, raw);
    assert.ok(report.ok);
    const ipvs = report.checks.find((c) => c.host === DIRECTOR && c.check === 'ipvs');
    assert.match(ipvs?.detail ?? '', /2 real server\(s\), 2 passing their health check/);
    const [www] = report.services;
    // 600 s persistence: one client sticks to one real server.
    assert.equal(www?.rows.filter((row) => row.answered > 0).length, 1, JSON.stringify(www));
  });

  test('a second up changes nothing', async () => {
    const r = await lvs(['up', FILE, '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const hosts = (JSON.parse(r.stdout) as { hosts: JsonHost[] }).hosts;
    assert.ok(
      hosts.every((h) => h.status === 'ok'),
      r.stdout,
    );
  });

  test('drain --wait under a stream: 0 failed, a HUP of ldirectord and a second up keep it drained, enable brings it back', async () => {
    const t0 = Date.now();
    // The server the (600 s persistent) client is pinned to: expire_quiescent_template must move it.
    const who = await on(
      'xcl01',
      `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 3 200.0.0.10 80 | tail -n 1`,
    );
    const target = who.trim() as keyof typeof RS;
    assert.ok(target in RS, `the VIP answered "${target}"`);
    /** Conns (connections ever scheduled) to the target, from the kernel's counters. */
    const conns = async () => {
      const m = new RegExp(`^\\s+->\\s+${RS[target].replaceAll('.', '\\.')}\\s+(\\d+)`, 'm').exec(
        await on(DIRECTOR, 'ipvsadm -Ln --stats --exact'),
      );
      return Number(m?.[1] ?? -1);
    };
    const stream = (secs: number, long: number) =>
      vmHostExec(state, 'xcl01', streamCommand('200.0.0.10', 80, secs, 25, long), { timeoutMs: 120_000 });
    const during = stream(10, 2);
    await new Promise((r) => setTimeout(r, 2000));
    const d = await lvs(['drain', target, FILE, '--wait', '--timeout', '60']);
    assert.equal(d.code, 0, d.stdout + d.stderr);
    const first = parseStream((await during).stdout);
    assert.equal(first.fail, 0, first.failures.join('; '));
    assert.equal(first.longFail, 0, 'long-lived connections finish normally');
    const drainedAt = await conns();
    // ldirectord re-reads its config on HUP (and re-checks every real server): still weight 0.
    await on(DIRECTOR, `kill -HUP "$(cat ${PIDFILE})"`);
    const after = stream(5, 0);
    const up = await lvs(['up', FILE]);
    const second = parseStream((await after).stdout);
    assert.equal(up.code, 0, up.stdout + up.stderr);
    assert.match(up.stdout, new RegExp(`${target} drained by operator since`));
    assert.equal(weightOf(await on(DIRECTOR, 'ipvsadm -S -n'), RS[target]), '0');
    assert.equal(second.fail, 0, second.failures.join('; '));
    const now = await conns();
    process.stdout.write(
      `# ldirectord drain ${target}: ${first.ok + first.fail} + ${second.ok + second.fail} requests, ${first.fail + second.fail} failed, long-lived ${first.longOk} finished; ${target} connections ${drainedAt} → ${now} while drained\n`,
    );
    assert.equal(now, drainedAt, `${target} got new connections while drained`);
    const e = await lvs(['enable', target, FILE]);
    assert.equal(e.code, 0, e.stdout + e.stderr);
    await until(`${target} back at weight 100`, (t) => weightOf(t, RS[target]) === '100');
    const plan = await lvs(['plan', FILE, '--detailed-exitcode']);
    assert.equal(plan.code, 0, plan.stdout);
    process.stdout.write(`# ldirectord drain/enable check took ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    // The load the issue asks for (≥ 20 new connections/s); last, so a starved client does not
    // hide the checks above.
    assert.ok(first.ok >= 20 * 10, `≥ 20 new connections/s during the drain (${first.ok} in 10 s)`);
  });

  test('a real server that stops answering is quiesced (weight 0, still listed), reported by verify, and restored', async () => {
    const lab = labSpecFromInventory(inv).hosts.find((h) => h.name === STOPPED);
    assert.ok(lab && lab.responders.length > 0, `${STOPPED} runs an identity responder`);
    const pid = (await on(STOPPED, `cat ${responderPidFile(STOPPED)}`)).trim();
    assert.match(pid, /^\d+$/);
    await on(STOPPED, `kill ${pid}`);
    const down = await until(`${STOPPED} quiesced`, (t) => weightOf(t, RS.ics02) === '0');
    process.stdout.write(`# ${STOPPED} quiesced ${down} ms after its responder stopped\n`);
    assert.equal(
      weightOf(await on(DIRECTOR, 'ipvsadm -S -n'), RS.ics01),
      '100',
      'the other real server keeps its weight',
    );

    const { code, report } = await verify();
    assert.equal(code, 1, 'verify fails while a real server fails its health check');
    const failing = report.checks.filter((c) => !c.ok);
    assert.deepEqual(
      failing.map((c) => [c.host, c.check]),
      [[DIRECTOR, 'health']],
      `only the health check fails, no drift: ${JSON.stringify(failing)}`,
    );
    assert.match(
      failing[0]?.detail ?? '',
      /192\.168\.3\.3:80 .* fails its health check \(ldirectord quiesced it: weight 0, configured 100\)/,
    );
    assert.ok(
      report.services.every((s) => s.ok),
      'traffic still flows through the other real server',
    );

    await on(STOPPED, responderStart(lab));
    const back = await until(`${STOPPED} restored`, (t) => weightOf(t, RS.ics02) === '100');
    process.stdout.write(`# ${STOPPED} back at weight 100 ${back} ms after its responder started again\n`);
  });

  test('down stops ldirectord, which removes its virtual service, and puts the package ldirectord.cf back', async () => {
    const r = await lvs(['down', FILE]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(await on(DIRECTOR, `[ -e ${PIDFILE} ] && echo running || echo stopped`), 'stopped\n');
    assert.doesNotMatch(await on(DIRECTOR, 'ps -eo args'), /ldirectord/);
    assert.doesNotMatch(await on(DIRECTOR, 'ipvsadm -S -n'), /200\.0\.0\.10/);
    assert.doesNotMatch(await on(DIRECTOR, 'ip -o addr show'), /200\.0\.0\.10\//);
    const conf = await on(DIRECTOR, `cat ${CONF}`);
    assert.match(conf, /Dummy configuration file/, 'the file Debian ships is back');
    assert.doesNotMatch(conf, /virtual =/);
    const v = await lvs(['verify', FILE]);
    assert.equal(v.code, 1, 'verify fails once the topology is gone');
  });
});
