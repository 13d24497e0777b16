// `status` on seed 002 (keepalived DR pair) on real kernel IPVS: VRRP roles, counters equal to
// `ipvsadm -Ln` read on the director around the same moment under a traffic stream, Prometheus
// text through the real promtool, an operator drain, and the split-brain alarm while an nft rule
// on the BACKUP drops VRRP — removed again, and the test waits for one MASTER before it ends.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { vmHostExec } from '../../../src/lab/vm/index.js';
import { OPERATOR_FILE } from '../../../src/model/operator.js';
import { expandHost } from '../../../src/roles/expand.js';
import { managerView } from '../../../src/status/manager.js';
import { parseIpvsList } from '../../../src/status/parse.js';
import { statusScript } from '../../../src/status/script.js';
import type { StatusReport } from '../../../src/status/types.js';
import { parseStream, streamCommand } from '../stream.js';
import type { SeedScenario } from './index.js';

/** Raw outputs kept for the parser's fixtures (test/fixtures/status/). */
const CAPTURE = process.env.LVS_STATUS_CAPTURE;
const NFT_TABLE = 'inet lvs_status_test';

export const scenario: SeedScenario = {
  seeds: ['seed-002-dr-keepalived'],
  register: ({ file, inv, state, lvs }) => {
    const status = async (extra: string[] = []) => {
      const r = await lvs(['status', file, '--json', ...extra]);
      return { code: r.code, report: JSON.parse(r.stdout) as StatusReport, stderr: r.stderr };
    };
    const onHost = async (host: string, cmd: string) => {
      const r = await vmHostExec(state(), host, cmd);
      assert.equal(r.code, 0, `${host}: ${cmd}: ${r.stderr}`);
      return r.stdout;
    };
    const roles = (r: StatusReport) =>
      Object.fromEntries(r.instances.filter((i) => i.instance === 'VI_1').map((i) => [i.director, i.state]));

    test('status: lb1 MASTER (200), lb2 BACKUP (100), every real server up, no alarm', async () => {
      const { code, report } = await status();
      assert.deepEqual(roles(report), { lb1: 'MASTER', lb2: 'BACKUP' });
      assert.deepEqual(
        report.instances.map((i) => [i.director, i.priority]),
        [
          ['lb1', 200],
          ['lb2', 100],
        ],
      );
      assert.deepEqual(report.alarms, []);
      assert.equal(code, 0);
      for (const s of report.services)
        for (const d of s.directors) {
          assert.ok(d.present, `${s.service} in ${d.director}'s table`);
          assert.deepEqual(
            d.real_servers.map((r) => [r.real_server, r.weight, r.health]),
            [
              ['web1', 1, 'up'],
              ['web2', 1, 'up'],
            ],
          );
        }
    });

    test('status counts equal ipvsadm -Ln on the MASTER at the same moment, under a traffic stream', async () => {
      const svc = inv().services[0];
      assert.ok(svc && inv().verify);
      const traffic = vmHostExec(
        state(),
        inv().verify?.from ?? 'client',
        // 45 s: on a loaded machine the reads below took over 30 s and the long-lived
        // connections had closed before the JSON read (06:46 UTC run: 0 active).
        streamCommand(svc.vip, 80, 45, 20, 4),
        {
          timeoutMs: 120_000,
        },
      );
      await sleep(5000);
      const ipvsadm = () => onHost('lb1', 'ipvsadm -Ln').then(parseIpvsList);
      // The compared reads first, then the table for the report (still within the stream).
      const before = await ipvsadm();
      const { report } = await status();
      const after = await ipvsadm();
      const table = await lvs(['status', file]);
      if (CAPTURE) {
        mkdirSync(CAPTURE, { recursive: true });
        for (const d of ['lb1', 'lb2']) {
          const view = managerView(inv(), expandHost(inv(), d));
          writeFileSync(join(CAPTURE, `${d}-traffic.txt`), await onHost(d, statusScript(view)));
        }
        writeFileSync(join(CAPTURE, 'status-table.txt'), table.stdout);
      }
      process.stdout.write(`# status under traffic:\n${table.stdout.replace(/^/gm, '# ')}\n`);
      const served = parseStream((await traffic).stdout);
      assert.equal(served.fail, 0, served.failures.join('; '));
      const http = report.services
        .find((s) => s.service === svc.name)
        ?.directors.find((d) => d.director === 'lb1');
      assert.ok(http);
      let busy = 0;
      for (const rs of http.real_servers) {
        const dk = `${rs.address}:${rs.port}`;
        const cols = [before, after].map((t) => t.get(`-t ${svc.vip}:80`)?.get(dk)?.map(Number) ?? []);
        for (const [what, i, got] of [
          ['ActiveConn', 2, rs.active_conns],
          ['InActConn', 3, rs.inactive_conns],
        ] as const) {
          const seen = cols.map((c) => c[i] ?? Number.NaN);
          const lo = Math.min(...seen) - 1;
          const hi = Math.max(...seen) + 1;
          assert.ok(
            got !== null && got >= lo && got <= hi,
            `${rs.real_server} ${what}: status ${got}, ipvsadm -Ln ${seen.join(' then ')}`,
          );
        }
        busy += rs.active_conns ?? 0;
        assert.ok((rs.conns_per_second ?? -1) >= 0);
      }
      assert.ok(busy >= 4, `the 4 long-lived connections are counted as active (${busy})`);
    });

    test('status --format prometheus passes promtool check metrics', async () => {
      const r = await lvs(['status', file, '--format', 'prometheus']);
      assert.equal(r.code, 0, r.stderr);
      const check = spawnSync('promtool', ['check', 'metrics'], { input: r.stdout, encoding: 'utf8' });
      assert.equal(check.status, 0, `${check.stdout}${check.stderr}`);
      assert.match(r.stdout, /^lvs_deploy_vrrp_master\{instance="VI_1",director="lb1"\} 1$/m);
      assert.match(
        r.stdout,
        /^lvs_deploy_real_server_active_connections\{service="http",director="lb1",real_server="web1"\} \d+$/m,
      );
    });

    test('status shows the IPVS sync daemons each director kernel runs, as ipvsadm -L --daemon says', async () => {
      const iface = inv().directors.vrrp?.interface ?? 'eth0';
      /** The kernel's view, in the table's words: `master (ens224, syncid 51)`. */
      const kernel = async (d: string) =>
        (await onHost(d, 'ipvsadm -L --daemon'))
          .split('\n')
          .filter((l) => l.trim())
          .map((l) => l.replace(/^(\w+) sync daemon \(mcast=([^,]+), syncid=(\d+).*$/, '$1 ($2, syncid $3)'));
      const shown = (r: StatusReport, d: string) =>
        r.directors
          .find((x) => x.director === d)
          ?.sync_daemons?.map((x) => `${x.role} (${x.interface}, syncid ${x.syncid})`);
      const first = await status();
      for (const d of ['lb1', 'lb2']) assert.deepEqual(shown(first.report, d), await kernel(d), `${d} now`);
      // Seed 002 sets no sync_daemon: both daemons started by hand on lb1 (syncid 77) must show.
      const running = await kernel('lb1');
      if (running.length > 0) {
        // Left by an earlier scenario (the drill's sync run): compared above, not touched.
        process.stdout.write(`# lb1 already runs IPVS sync daemons: ${running.join(', ')}\n`);
        return;
      }
      await onHost(
        'lb1',
        `ipvsadm --start-daemon master --mcast-interface ${iface} --syncid 77 && ipvsadm --start-daemon backup --mcast-interface ${iface} --syncid 77`,
      );
      try {
        const { report } = await status();
        assert.deepEqual(shown(report, 'lb1'), await kernel('lb1'));
        assert.deepEqual(
          shown(report, 'lb1'),
          [`master (${iface}, syncid 77)`, `backup (${iface}, syncid 77)`],
          JSON.stringify(report.directors),
        );
        assert.ok(!shown(report, 'lb2')?.some((l) => l.includes('syncid 77')), 'lb2 does not run it');
        const table = await lvs(['status', file]);
        assert.match(table.stdout, new RegExp(`^lb1\\s+.*master \\(${iface}, syncid 77\\)`, 'm'));
        const prom = await lvs(['status', file, '--format', 'prometheus']);
        assert.match(prom.stdout, /^lvs_deploy_ipvs_sync_master_daemon\{director="lb1"\} 1$/m);
        if (CAPTURE) {
          writeFileSync(join(CAPTURE, 'status-table-sync.txt'), table.stdout);
          const view = managerView(inv(), expandHost(inv(), 'lb1'));
          writeFileSync(join(CAPTURE, 'lb1-sync.txt'), await onHost('lb1', statusScript(view)));
        }
        process.stdout.write(`# status with a sync daemon on lb1:\n${table.stdout.replace(/^/gm, '# ')}\n`);
      } finally {
        await onHost('lb1', 'ipvsadm --stop-daemon master; ipvsadm --stop-daemon backup');
      }
    });

    test('an operator drain recorded on the directors shows, and its weight 0 is not drift', async () => {
      const record = JSON.stringify({
        version: 1,
        drains: [{ service: 'http', real_server: 'web2', since: '2026-11-30T03:00:00Z', by: 'ops@control' }],
      });
      try {
        for (const d of ['lb1', 'lb2'])
          await onHost(
            d,
            `umask 077; printf '%s\\n' '${record}' > ${OPERATOR_FILE} && ipvsadm -e -t 192.168.100.9:80 -r 192.168.100.21:80 -g -w 0`,
          );
        const { code, report } = await status();
        assert.deepEqual(report.alarms, [], 'a drained real server at weight 0 raises no alarm');
        assert.equal(code, 0);
        for (const d of report.services.find((s) => s.service === 'http')?.directors ?? []) {
          const web2 = d.real_servers.find((r) => r.real_server === 'web2');
          assert.equal(web2?.weight, 0);
          assert.deepEqual(web2?.drained, { since: '2026-11-30T03:00:00Z', by: 'ops@control' });
          assert.equal(web2?.health, 'up');
        }
        const table = await lvs(['status', file]);
        assert.match(table.stdout, /web2 \(http\) drained on lb1 since 2026-11-30T03:00:00Z by ops@control/);
      } finally {
        for (const d of ['lb1', 'lb2'])
          await onHost(
            d,
            `rm -f ${OPERATOR_FILE}; ipvsadm -e -t 192.168.100.9:80 -r 192.168.100.21:80 -g -w 1`,
          );
      }
      const { code } = await status();
      assert.equal(code, 0);
    });

    test('split brain: VRRP dropped on the BACKUP makes both MASTER, status exits 1; then one MASTER again', async () => {
      const waitFor = async (what: string, ok: (r: { code: number; report: StatusReport }) => boolean) => {
        for (let i = 0; i < 30; i++) {
          const r = await status();
          if (ok(r)) return r;
          await sleep(1000);
        }
        assert.fail(`timed out waiting for ${what}`);
      };
      await onHost(
        'lb2',
        `nft add table ${NFT_TABLE} && nft add chain ${NFT_TABLE} in '{ type filter hook input priority -10; }' && nft add rule ${NFT_TABLE} in ip protocol vrrp drop`,
      );
      try {
        const split = await waitFor('both MASTER', (r) => roles(r.report).lb2 === 'MASTER');
        assert.deepEqual(roles(split.report), { lb1: 'MASTER', lb2: 'MASTER' });
        assert.equal(split.code, 1);
        assert.ok(
          split.report.alarms.some((a) => a.kind === 'split-brain' && a.instance === 'VI_1'),
          JSON.stringify(split.report.alarms),
        );
        const table = await lvs(['status', file]);
        assert.equal(table.code, 1);
        assert.match(table.stdout, /split-brain: VI_1: lb1 and lb2 are all MASTER/);
      } finally {
        await onHost('lb2', `nft delete table ${NFT_TABLE}`);
      }
      const healed = await waitFor('one MASTER', (r) => r.code === 0);
      assert.deepEqual(roles(healed.report), { lb1: 'MASTER', lb2: 'BACKUP' });
      // The client may still have lb2's MAC for the VIP from lb2's gratuitous ARPs: forget it.
      await onHost(inv().verify?.from ?? 'client', 'ip neigh flush all');
      const v = await lvs(['verify', file]);
      assert.equal(v.code, 0, `the topology is back as up left it:\n${v.stdout}`);
    });
  },
};
