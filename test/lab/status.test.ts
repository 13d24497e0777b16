// `status` against real sshd hosts in the netns lab: seed 002's shape (keepalived pair lb1/lb2,
// DR real servers). This kernel has no IPVS, so `up --without-ipvs` runs keepalived VRRP-only:
// status must say once that the tables cannot be read, still report VRRP roles and which director
// holds the VIP, show an operator drain written to operator.json, and raise alarms it can see.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { hostExec, type LabState, labEnv } from '../../src/lab/netns.js';
import { OPERATOR_FILE } from '../../src/model/operator.js';
import type { StatusReport } from '../../src/status/types.js';
import { cliInLab, ROOT } from '../helpers/cli.js';
import { nodeInLab, startLab, stopLab } from '../helpers/lab.js';

const root = process.getuid?.() === 0;
const LAB = 'lvs-status';

describe('status on a keepalived pair without IPVS (netns lab)', {
  skip: root ? false : 'needs root (network namespaces)',
}, () => {
  let state: LabState;
  let tmp: string;
  let inv: string;
  const env = () => ({ ...labEnv(state), LVS_VRRP_PASS: 'status1' });
  const lvs = (args: string[]) => cliInLab(state.controlNs, env(), args);
  const status = async () => {
    const r = await lvs(['status', inv, '--json']);
    return { code: r.code, report: JSON.parse(r.stdout) as StatusReport };
  };
  const must = async (host: string, cmd: string) => {
    const r = await hostExec(state, host, cmd);
    assert.equal(r.code, 0, `${host}: ${cmd}: ${r.stderr}`);
  };
  const roles = (r: StatusReport) => Object.fromEntries(r.instances.map((i) => [i.director, i.state]));

  before(async () => {
    ({ state, inv, dir: tmp } = await startLab(LAB, 'seed-002-dr-keepalived.yaml', 'status.yaml', 'status1'));
    const up = await lvs(['up', inv, '--without-ipvs', '--json']);
    assert.equal(up.code, 0, up.stdout + up.stderr);
  });
  after(async () => {
    await stopLab(LAB, tmp);
  });

  test('no IPVS: said once; VRRP roles and VIP ownership still reported, exit 0', async () => {
    let r = await status();
    // keepalived's first election takes a few adverts.
    for (let i = 0; i < 15 && roles(r.report).lb1 !== 'MASTER'; i++) {
      await sleep(1000);
      r = await status();
    }
    assert.deepEqual(roles(r.report), { lb1: 'MASTER', lb2: 'BACKUP' });
    assert.deepEqual(
      r.report.instances.map((i) => [i.director, i.priority, i.held]),
      [
        ['lb1', 200, ['192.168.100.9']],
        ['lb2', 100, []],
      ],
    );
    assert.deepEqual(r.report.notes, [
      'no IPVS in the kernel of lb1, lb2: their service tables were not read',
    ]);
    assert.deepEqual(r.report.alarms, []);
    assert.equal(r.code, 0);
    const table = await lvs(['status', inv]);
    assert.equal(table.code, 0);
    assert.equal(table.stdout.match(/no IPVS/g)?.length, 1, table.stdout);
    assert.match(table.stdout, /VI_1\s+lb1\s+MASTER\s+200\s+192\.168\.100\.9/);
    assert.match(table.stdout, /VI_1\s+lb2\s+BACKUP\s+100\s+-/);
  });

  test('graph --live colours the picture with what the directors say', async () => {
    const r = await lvs(['graph', inv, '--live', '--format', 'dot']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /dir_lb1 \[label="lb1\\n[^"]*live: VI_1 MASTER holds 192\.168\.100\.9/);
    assert.match(r.stdout, /dir_lb2 \[label="lb2\\n[^"]*live: VI_1 BACKUP[^\n]*dashed/);
    assert.match(r.stdout, /no IPVS in this kernel/);
  });

  test('an operator drain written to operator.json shows in status', async () => {
    const record = JSON.stringify({
      version: 1,
      drains: [{ service: 'http', real_server: 'web1', since: '2026-11-30T04:00:00Z', by: 'alice@control' }],
    });
    await must(
      'lb1',
      `umask 077; mkdir -p /var/lib/lvs-deploy; printf '%s\\n' '${record}' > ${OPERATOR_FILE}`,
    );
    try {
      const { report } = await status();
      assert.deepEqual(report.drains, [
        {
          director: 'lb1',
          service: 'http',
          real_server: 'web1',
          since: '2026-11-30T04:00:00Z',
          by: 'alice@control',
        },
      ]);
      const table = await lvs(['status', inv]);
      assert.match(table.stdout, /web1 \(http\) drained on lb1 since 2026-11-30T04:00:00Z by alice@control/);
    } finally {
      await must('lb1', `rm -f ${OPERATOR_FILE}`);
    }
  });

  test('--format prometheus passes promtool check metrics', async () => {
    const r = await lvs(['status', inv, '--format', 'prometheus']);
    assert.equal(r.code, 0, r.stderr);
    const check = spawnSync('promtool', ['check', 'metrics'], { input: r.stdout, encoding: 'utf8' });
    assert.equal(check.status, 0, `${check.stdout}${check.stderr}`);
    assert.match(r.stdout, /^lvs_deploy_vrrp_master\{instance="VI_1",director="lb1"\} 1$/m);
    assert.match(r.stdout, /^lvs_deploy_director_ipvs_readable\{director="lb2"\} 0$/m);
  });

  test('--realservers: one round trip per real server, the VIP on lo where DR needs it', async () => {
    const r = await lvs(['status', inv, '--json', '--realservers']);
    const report = JSON.parse(r.stdout) as StatusReport;
    assert.deepEqual(
      report.real_servers?.map((h) => [
        h.real_server,
        h.reachable,
        h.services.map((c) => [c.service, c.vip_ready]),
      ]),
      [
        [
          'web1',
          true,
          [
            ['http', true],
            ['https', true],
          ],
        ],
        [
          'web2',
          true,
          [
            ['http', true],
            ['https', true],
          ],
        ],
      ],
    );
    await must('web2', 'ip addr del 192.168.100.9/32 dev lo');
    try {
      const t = await lvs(['status', inv, '--realservers']);
      assert.match(t.stdout, /web2\s+http\s+yes\s+MISSING/);
    } finally {
      await must('web2', 'ip addr add 192.168.100.9/32 dev lo');
    }
  });

  test('--watch redraws until interrupted; a pipe gets one block per read', async () => {
    const { spawn } = await import('node:child_process');
    const [cmd, ...args] = nodeInLab(state, join(ROOT, 'src/cli/main.ts'), 'status', inv, '--watch', '1');
    const child = spawn(cmd, args, { env: env(), cwd: ROOT });
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    const t0 = Date.now();
    while ((out.match(/^status lvs-status /gm)?.length ?? 0) < 3 && Date.now() - t0 < 30_000)
      await sleep(200);
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    assert.ok((out.match(/^status lvs-status /gm)?.length ?? 0) >= 3, out);
    assert.equal(code, 0, 'the last read had no alarm');
  });

  test('keepalived stopped on both: the VIP is held by no director, status exits 1', async () => {
    for (const d of ['lb1', 'lb2']) await must(d, 'kill "$(cat /run/keepalived.pid)"');
    let r = await status();
    // keepalived drops the VIP first, then exits: wait for both to be gone.
    for (let i = 0; i < 20 && Object.values(roles(r.report)).some((x) => x !== 'STOPPED'); i++) {
      await sleep(500);
      r = await status();
    }
    assert.equal(r.code, 1);
    assert.deepEqual(roles(r.report), { lb1: 'STOPPED', lb2: 'STOPPED' });
    assert.deepEqual(
      r.report.alarms.map((a) => a.kind),
      ['vip-unheld', 'vip-unheld'],
      'http and https share the VIP: one alarm per service',
    );
  });
});
