// SIP through IPVS with a real SIP peer (issue 15 §1), on both seed-000 boots: sipp as UAS on
// each real server (a lab fixture: this machine's sipp, the VM shares its root; `up` never
// installs it), sipp as UAC on the client, all calls from one UAC socket.
//   DSR (UDP): without the SIP engine every call of the socket lands on one real server; with
//   `persistence: { engine: sip }` + `ops: true` (a variant inventory `up` applies, then the
//   seed's own is put back) the calls spread by Call-ID, and verify's sip probe sees both servers.
//   SNAT (TCP): every call completes over the one TCP connection (one real server); validate
//   refuses the engine there, with the reason.
// The responders answer the seed's SIP port, so they are stopped while sipp runs and restarted.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { VirtualService } from '../../../src/inventory/types.js';
import { responderPidFile, responderStart } from '../../../src/lab/host-init.js';
import { labSpecFromInventory } from '../../../src/lab/spec.js';
import { vmHostExec } from '../../../src/lab/vm/index.js';
import type { SeedContext, SeedScenario } from './index.js';

const CALLS = 40;

interface Calls {
  created: number;
  completed: number;
  failed: number;
}

/** sipp's final statistics screen: cumulative column of three counters. */
function parseSipp(out: string): Calls {
  const last = (name: string) => {
    const all = [...out.matchAll(new RegExp(`${name}\\s*\\|[^|\\n]*\\|\\s*(\\d+)`, 'g'))];
    return Number(all.at(-1)?.[1] ?? -1);
  };
  return {
    created: last('Outgoing calls created'),
    completed: last('Successful call'),
    failed: last('Failed call'),
  };
}

function sipService(ctx: SeedContext): VirtualService {
  const s = ctx.inv().services.find((x) => x.port === 5060);
  assert.ok(s, 'a service on 5060');
  return s;
}

/** InPkts per real server (by host name) of the SIP service, from `ipvsadm -Ln --stats --exact`. */
async function packets(ctx: SeedContext, s: VirtualService): Promise<Record<string, number>> {
  const dir = ctx.inv().directors.hosts[0] ?? '';
  const r = await vmHostExec(ctx.state(), dir, 'ipvsadm -Ln --stats --exact');
  const out: Record<string, number> = {};
  let inService = false;
  for (const line of r.stdout.split('\n')) {
    if (/^(TCP|UDP|SCTP|FWM)/.test(line)) inService = line.includes(`${s.vip}:${s.port}`);
    const m = /^\s+->\s+(\S+):\d+\s+\d+\s+(\d+)/.exec(line);
    const rs = m && s.real_servers.find((x) => x.address === m[1]);
    if (inService && m && rs) out[rs.host ?? rs.address] = Number(m[2]);
  }
  return out;
}

const transport = (s: VirtualService) => (s.protocol === 'tcp' ? 't1' : 'u1');

/** Stop the responders, start a sipp UAS on each real server (DR: bound to the VIP on lo). */
async function startUas(ctx: SeedContext, s: VirtualService): Promise<string[]> {
  const pids: string[] = [];
  for (const rs of s.real_servers) {
    const host = rs.host ?? '';
    const bind = rs.forwarding === 'nat' ? rs.address : s.vip;
    const r = await vmHostExec(
      ctx.state(),
      host,
      `kill "$(cat ${responderPidFile(host)})"; sleep 0.3; cd /tmp && sipp -sn uas -i ${bind} -p ${rs.port} -t ${transport(s)} -nostdin -bg`,
    );
    const pid = /PID=\[(\d+)\]/.exec(r.stdout)?.[1];
    assert.ok(pid, `sipp UAS on ${host}: ${r.stdout}${r.stderr}`);
    pids.push(`${host}:${pid}`);
  }
  return pids;
}

async function stopUas(ctx: SeedContext, pids: string[]): Promise<void> {
  const hosts = labSpecFromInventory(ctx.inv()).hosts;
  for (const hp of pids) {
    const [host = '', pid = ''] = hp.split(':');
    const lab = hosts.find((h) => h.name === host);
    assert.ok(lab);
    await vmHostExec(ctx.state(), host, `kill ${pid}; sleep 0.3\n${responderStart(lab)}`);
  }
}

/** CALLS calls from one UAC socket on verify.from; the counters are zeroed first. */
async function callRun(ctx: SeedContext, s: VirtualService, localPort: number) {
  const inv = ctx.inv();
  const from = inv.verify?.from ?? '';
  const phone = inv.hosts[from]?.address ?? '';
  await vmHostExec(ctx.state(), inv.directors.hosts[0] ?? '', 'ipvsadm -Z');
  const r = await vmHostExec(
    ctx.state(),
    from,
    `cd /tmp && timeout 150 sipp -sn uac ${s.vip}:${s.port} -i ${phone} -p ${localPort} -t ${transport(s)} -m ${CALLS} -r 20 -l 20 -nostdin -timeout 120s 2>&1`,
    { timeoutMs: 180_000 },
  );
  return { calls: parseSipp(r.stdout), code: r.code, perServer: await packets(ctx, s), out: r.stdout };
}

function figure(ctx: SeedContext, what: string, run: Awaited<ReturnType<typeof callRun>>): void {
  const per = Object.entries(run.perServer)
    .map(([h, n]) => `${h}=${n}`)
    .join(' ');
  process.stdout.write(
    `# ${ctx.seed} sipp ${what}: ${run.calls.created} calls, ${run.calls.completed} completed, ${run.calls.failed} failed; InPkts per real server: ${per}\n`,
  );
}

const spread = (per: Record<string, number>) => Object.values(per).filter((n) => n > 0).length;

function registerDsr(ctx: SeedContext): void {
  const dir = mkdtempSync(join(tmpdir(), 'lvs-sip-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const variant = join(dir, 'seed-000-sip-dsr-engine.yaml');

  test('engine: sip (with ops) reaches the kernel as --pe sip; verify through it: each OPTIONS a new call, both real servers answer', async () => {
    const text = readFileSync(ctx.file, 'utf8');
    const withEngine = text.replace(
      /\n {4}scheduler: rr\n/,
      '\n    scheduler: rr\n    ops: true\n    persistence: { timeout: 60, engine: sip }\n',
    );
    assert.notEqual(withEngine, text);
    writeFileSync(variant, withEngine);
    const up = await ctx.lvs(['up', variant]);
    assert.equal(up.code, 0, up.stdout + up.stderr);
    const rules = await vmHostExec(ctx.state(), ctx.inv().directors.hosts[0] ?? '', 'ipvsadm -Sn');
    const line = rules.stdout.split('\n').find((l) => l.startsWith('-A -u 192.168.88.190:5060')) ?? '';
    assert.match(line, / -p 60\b/, rules.stdout);
    assert.match(line, / -o\b/, rules.stdout);
    assert.match(line, / --pe sip\b/, rules.stdout);
    const v = await ctx.lvs(['verify', variant, '--json']);
    assert.equal(v.code, 0, v.stdout + v.stderr);
  });

  test(`sipp: ${CALLS} calls from one UAC socket spread over both real servers with engine: sip, stay on one without`, async () => {
    const s = sipService(ctx);
    const uas = await startUas(ctx, s);
    let restored = false;
    try {
      const withEngine = await callRun(ctx, s, 5062);
      figure(ctx, 'with engine: sip', withEngine);
      const up = await ctx.lvs(['up', ctx.file]);
      assert.equal(up.code, 0, up.stdout + up.stderr);
      restored = true;
      const without = await callRun(ctx, s, 5063);
      figure(ctx, 'without engine', without);
      for (const run of [withEngine, without]) {
        assert.equal(run.code, 0, run.out.slice(-2000));
        assert.deepEqual([run.calls.created, run.calls.completed, run.calls.failed], [CALLS, CALLS, 0]);
      }
      assert.equal(spread(withEngine.perServer), s.real_servers.length, 'every real server took calls');
      assert.equal(spread(without.perServer), 1, 'one socket, one real server');
    } finally {
      await stopUas(ctx, uas);
      // Put the seed's own table back even when a step above failed.
      if (!restored) await ctx.lvs(['up', ctx.file]);
    }
  });
}

function registerSnat(ctx: SeedContext): void {
  test(`sipp over TCP through NAT: ${CALLS} calls on one connection complete on one real server; engine: sip is refused`, async () => {
    const s = sipService(ctx);
    const pids = await startUas(ctx, s);
    try {
      const run = await callRun(ctx, s, 5063);
      figure(ctx, 'over TCP', run);
      assert.equal(run.code, 0, run.out.slice(-2000));
      assert.deepEqual([run.calls.created, run.calls.completed, run.calls.failed], [CALLS, CALLS, 0]);
      assert.equal(spread(run.perServer), 1, 'one TCP connection, one real server');
    } finally {
      await stopUas(ctx, pids);
    }
    const dir = mkdtempSync(join(tmpdir(), 'lvs-sip-'));
    try {
      const bad = join(dir, 'tcp-engine.yaml');
      writeFileSync(
        bad,
        readFileSync(ctx.file, 'utf8').replace(
          /\n {4}scheduler: rr\n/,
          '\n    scheduler: rr\n    persistence: { timeout: 60, engine: sip }\n',
        ),
      );
      const v = await ctx.lvs(['validate', bad]);
      assert.equal(v.code, 2);
      assert.match(
        v.stderr,
        /persistence\.engine: the SIP persistence engine reads the Call-ID from UDP datagrams only/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

export const scenario: SeedScenario = {
  seeds: ['seed-000-sip-dsr', 'seed-000-sip-snat'],
  register: (ctx) => (ctx.seed === 'seed-000-sip-dsr' ? registerDsr(ctx) : registerSnat(ctx)),
};
