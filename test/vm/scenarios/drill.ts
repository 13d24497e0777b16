// `drill failover` on the seeds' keepalived pairs (002 DR, 003 NAT with the floating internal
// gateway VI_2, which must move with the VIP), real IPVS: graceful, crash and link, each with
// --fail-back so the MASTER is MASTER again afterwards; on 002 also the VRID-clash preflight and
// the same crash with connection sync on (a copy of the inventory with directors.sync_daemon,
// `up`, drill, `status` shows both sync daemons per director, `up` with the original).
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { DrillReport } from '../../../src/drill/run.js';
import { loadInventory } from '../../../src/inventory/load.js';
import { vmHostExec } from '../../../src/lab/vm/index.js';
import { expandHost } from '../../../src/roles/expand.js';
import { managerView } from '../../../src/status/manager.js';
import { statusScript } from '../../../src/status/script.js';
import type { StatusReport } from '../../../src/status/types.js';
import type { SeedContext, SeedScenario } from './index.js';

function figures(seed: string, label: string, r: DrillReport): string {
  const lines: string[] = [];
  for (const i of r.instances)
    for (const p of i.phases)
      if (p.requests === 0)
        // An instance without a service VIP (seed 003's floating NAT gateway): who holds it.
        lines.push(
          `# drill ${seed} ${label} ${i.instance} ${p.phase}: ${i.addresses.join(',')} ${p.holders.map((h) => h.detail).join('; ')}`,
        );
      else
        lines.push(
          `# drill ${seed} ${label} ${i.instance} ${p.phase}: outage ${p.outageMs ?? 'none-recovered'} ms, ${p.failedRequests}/${p.requests} requests failed, long-lived kept ${p.longLived.kept}/${p.longLived.total}, bound ${p.boundMs} ms (+${p.slackMs}) ${p.withinBound ? 'pass' : 'FAIL'}, holders ${p.holders.map((h) => h.detail).join('; ')}, neighbour ${p.neighbours.map((n) => `${n.before ?? '-'} → ${n.after ?? '-'} (new holder ${n.expected ?? '-'}): moved ${n.moved}`).join(', ')}`,
        );
  lines.push(
    `# drill ${seed} ${label} before the break: ${r.directors.map((d) => `${d.host} ${d.established} established, syncd ${d.syncDaemons.join('+') || 'none'}`).join('; ')}`,
  );
  return `${lines.join('\n')}\n`;
}

async function drill(ctx: SeedContext, mode: string, label: string, file = ctx.file): Promise<DrillReport> {
  const r = await ctx.lvs(['drill', 'failover', file, '--mode', mode, '--fail-back', '--json']);
  assert.ok(
    r.stdout.trim().startsWith('{'),
    `drill printed no report (exit ${r.code}): ${r.stdout}${r.stderr}`,
  );
  const report = JSON.parse(r.stdout) as DrillReport;
  process.stdout.write(figures(ctx.seed, label, report));
  assert.equal(report.version, 1);
  assert.ok(report.restored, 'the drill restored the MASTER');
  for (const i of report.instances)
    for (const p of i.phases)
      for (const h of p.holders) assert.ok(h.ok, `${p.phase} ${h.address}: ${h.detail}`);
  return report;
}

const master = (ctx: SeedContext) => {
  const v = ctx.inv().directors.vrrp;
  return [...ctx.inv().directors.hosts].sort((a, b) => (v?.priority[b] ?? 0) - (v?.priority[a] ?? 0))[0];
};

export const scenario: SeedScenario = {
  // 002: DR pair (and the preflight and sync proofs); 003: NAT pair whose floating internal
  // gateway (VI_2) must move with the VIP, since the real servers' replies go through it.
  seeds: ['seed-002-dr-keepalived', 'seed-003-nat-keepalived'],
  register: (ctx) => {
    const results = new Map<string, DrillReport>();
    if (ctx.seed === 'seed-002-dr-keepalived') registerPreflight(ctx);
    for (const mode of MODES) registerDrill(ctx, mode, results);
    // Sync on/off is proven on the DR pair (the NAT pair's drills run without sync).
    if (ctx.seed === 'seed-002-dr-keepalived') registerSync(ctx, results);
  },
};

function registerPreflight(ctx: SeedContext): void {
  test('preflight names a foreign keepalived on the segment that uses our virtual_router_id', async () => {
    const inv = ctx.inv();
    const v = inv.directors.vrrp;
    const client = inv.verify?.from ?? 'client';
    assert.ok(v);
    // A multicast keepalived on the client with our VRID and another VIP; priority 50, so it
    // never outbids our MASTER. Its own pid files, stopped by PID afterwards.
    const conf = `vrrp_instance FOREIGN {\n  state BACKUP\n  interface ${v.interface}\n  virtual_router_id ${v.virtual_router_id}\n  priority 50\n  advert_int 1\n  virtual_ipaddress {\n    192.0.2.77/32\n  }\n}\n`;
    const start = await vmHostExec(
      ctx.state(),
      client,
      `printf '%s' '${conf}' > /tmp/lvs-foreign.conf; setsid keepalived -n -l --vrrp -f /tmp/lvs-foreign.conf -p /tmp/lvs-foreign.pid -r /tmp/lvs-foreign-vrrp.pid </dev/null >/tmp/lvs-foreign.log 2>&1 & echo $!`,
    );
    const pid = Number(start.stdout.trim());
    assert.ok(pid > 1, `foreign keepalived did not start: ${start.stdout}${start.stderr}`);
    try {
      await new Promise((r) => setTimeout(r, 5000)); // BACKUP → MASTER after 3 × advert_int + skew
      const r = await ctx.lvs(['preflight', ctx.file, '--json']);
      process.stdout.write(
        `# preflight ${ctx.seed} with a foreign VRID ${v.virtual_router_id}: exit ${r.code}\n`,
      );
      assert.equal(r.code, 1, r.stdout + r.stderr);
      const report = JSON.parse(r.stdout) as { version: number; checks: { ok: boolean; detail: string }[] };
      assert.equal(report.version, 1);
      const clash = report.checks.filter((c) => !c.ok);
      const addr = inv.hosts[client]?.address ?? '';
      assert.ok(
        clash.some(
          (c) =>
            c.detail.includes(addr) &&
            c.detail.includes(`virtual_router_id ${v.virtual_router_id}`) &&
            c.detail.includes('192.0.2.77'),
        ),
        `the clash names the foreign source and its VIP: ${JSON.stringify(clash)}`,
      );
      process.stdout.write(`# preflight: ${clash[0]?.detail}\n`);
    } finally {
      // keepalived's parent stops its VRRP child on SIGTERM; under emulation that takes seconds.
      await vmHostExec(
        ctx.state(),
        client,
        `c=$(cat /tmp/lvs-foreign-vrrp.pid 2>/dev/null); kill ${pid} $c 2>/dev/null; i=0; while [ $i -lt 100 ] && kill -0 ${pid} $c 2>/dev/null; do sleep 0.1; i=$((i+1)); done; for p in ${pid} $c; do kill -0 $p 2>/dev/null && kill -9 $p; done; ip addr del 192.0.2.77/32 dev ${v.interface} 2>/dev/null; true`,
      );
    }
    const clean = await ctx.lvs(['preflight', ctx.file]);
    assert.equal(clean.code, 0, `with the foreign router gone preflight passes: ${clean.stdout}`);
  });
}

const MODES = ['graceful', 'crash', 'link'];

function registerDrill(ctx: SeedContext, mode: string, results: Map<string, DrillReport>): void {
  test(`drill failover --mode ${mode} --fail-back: the BACKUP takes over within the bound and the MASTER comes back`, async () => {
    const r = await drill(ctx, mode, `${mode} sync-off`);
    results.set(mode, r);
    assert.equal(r.master, master(ctx), 'the drill starts from the inventory MASTER');
    const [fo, fb] = r.instances[0]?.phases ?? [];
    assert.ok(fo && fb, 'failover and fail-back measured');
    assert.ok(fo.withinBound, `failover outage ${fo.outageMs} ms over the ${fo.boundMs} ms bound`);
    assert.ok(fo.failedRequests < fo.requests, 'the VIP answered during the drill');
    assert.ok(
      fo.neighbours.every((n) => n.moved !== false),
      'the client follows the VIP to the BACKUP',
    );
    assert.ok(
      fb.holders.every((h) => h.holders[0] === r.master),
      'the MASTER holds the VIPs again',
    );
    // A NAT pair's floating gateway (VI_2) moves with the VIP: without it the real servers'
    // replies would go to the old MASTER and the stream could not recover within the bound.
    const gw = ctx.inv().directors.nat_gateway;
    if (!gw) return;
    const vi2 = r.instances.find((i) => i.instance === 'VI_2');
    assert.ok(vi2, `the drill reports the gateway instance: ${r.instances.map((i) => i.instance).join(',')}`);
    const [gfo, gfb] = vi2.phases;
    assert.ok(gfo && gfb);
    assert.deepEqual(
      gfo.holders.map((h) => [h.address, h.holders]),
      [[gw.address.replace(/\/\d+$/, ''), [r.backup]]],
      'the BACKUP alone holds the internal gateway after the failover',
    );
    assert.deepEqual(
      gfb.holders.map((h) => h.holders),
      [[r.master]],
      'the MASTER alone holds the internal gateway after the fail-back',
    );
    assert.ok(fb.failedRequests < fb.requests, 'the VIP answered after the fail-back');
  });
}

function registerSync(ctx: SeedContext, results: Map<string, DrillReport>): void {
  test('drill with directors.sync_daemon: long-lived connections survive the crash of the MASTER', async () => {
    const file = join(tmpdir(), `${ctx.seed}-sync.yaml`);
    const iface = ctx.inv().directors.vrrp?.interface ?? 'eth0';
    writeFileSync(
      file,
      readFileSync(ctx.file, 'utf8').replace(
        /^ {2}manager: keepalived\n/m,
        `  manager: keepalived\n  sync_daemon: { interface: ${iface} }\n`,
      ),
    );
    const up = await ctx.lvs(['up', file]);
    assert.equal(up.code, 0, up.stdout + up.stderr);
    try {
      // keepalived switches the kernel's sync daemons on VRRP state changes: one graceful drill
      // moves both directors through them after the reload that turned sync on.
      const g = await drill(ctx, 'graceful', 'graceful sync-on', file);
      process.stdout.write(
        `# drill ${ctx.seed} after the up that added sync_daemon: ${g.notes.join('; ') || 'sync daemons as expected'}\n`,
      );
      const r = await drill(ctx, 'crash', 'crash sync-on', file);
      assert.deepEqual(
        r.notes.filter((n) => n.includes('sync daemon')),
        [],
        'the MASTER runs the master sync daemon, the BACKUP the backup one',
      );
      assert.ok(r.syncDaemon);
      const fo = r.instances[0]?.phases[0];
      const off = results.get('crash')?.instances[0]?.phases[0];
      assert.ok(fo && off);
      process.stdout.write(
        `# drill ${ctx.seed} crash long-lived kept at failover: sync off ${off.longLived.kept}/${off.longLived.total}, sync on ${fo.longLived.kept}/${fo.longLived.total}\n`,
      );
      assert.ok(off.longLived.kept < off.longLived.total, 'without sync the long-lived connections break');
      assert.ok(fo.longLived.kept >= 0.9 * fo.longLived.total, 'with sync ≥ 90 % survive');
      // status reads the same from the kernel: both daemons on each director, no note.
      const st = await ctx.lvs(['status', file, '--json']);
      const report = JSON.parse(st.stdout) as StatusReport;
      for (const d of report.directors)
        assert.deepEqual(
          d.sync_daemons?.map((x) => x.role).sort(),
          ['backup', 'master'],
          `${d.director} runs both sync daemons: ${JSON.stringify(d)}`,
        );
      assert.deepEqual(
        report.notes.filter((n) => n.includes('sync daemon')),
        [],
      );
      const capture = process.env.LVS_STATUS_CAPTURE;
      if (capture) {
        mkdirSync(capture, { recursive: true });
        const inv = await loadInventory(file);
        for (const d of inv.directors.hosts) {
          const out = await vmHostExec(ctx.state(), d, statusScript(managerView(inv, expandHost(inv, d))));
          writeFileSync(join(capture, `${d}-sync.txt`), out.stdout);
        }
      }
    } finally {
      const back = await ctx.lvs(['up', ctx.file]);
      assert.equal(back.code, 0, back.stdout + back.stderr);
    }
  });
}
