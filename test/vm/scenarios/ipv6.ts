// IPv6 VIPs end to end (issue 15 §2) on real kernel IPVS, on three seed boots: DR on
// seed-000-sip-dsr (ipvsadm) and on seed 002's keepalived pair (the v6 VIP in its own
// vrrp_instance VI_6, which must follow VI_1 on a failover), NAT on seed-004-wikipedia-nat. The boot's hosts have IPv4 only, so the
// scenario first does what an operator's network already would: an IPv6 address on each host's
// interface (by hand, nodad). Then `up` of a dual-stack variant (the seed plus an IPv6 TCP/80
// service beside its own, written to a temp file), a second `up` that changes nothing, `verify`
// sending IPv6 traffic through the v6 VIP from `verify.from` (every real server answers), and what
// a user would check by hand: the IPv6 IPVS table, the /128 on lo (DR) or the IPv6 default route
// through the director (NAT), and (DR) that only the director answered the client's Neighbour
// Solicitation for the VIP. At the end the seed's own `up` and the hand-made addresses removed.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parseDocument } from 'yaml';
import { quote } from '../../../src/connection/shell.js';
import { loadInventory } from '../../../src/inventory/load.js';
import { responderPidFile, responderStart } from '../../../src/lab/host-init.js';
import { labSpecFromInventory } from '../../../src/lab/spec.js';
import { vmHostExec } from '../../../src/lab/vm/index.js';
import type { SeedContext, SeedScenario } from './index.js';

interface DualStack {
  /** host → interface → the IPv6 CIDR the operator's network gives it. */
  addresses: Record<string, Record<string, string>>;
  vip: string;
  forwarding: 'dr' | 'nat';
  realServers: string[];
  /** The director holding the VIP (keepalived: the MASTER) and its interface on the VIP's network. */
  director: string;
  dev: string;
  /** keepalived pair: the BACKUP that must take the v6 VIP when the MASTER's keepalived stops. */
  backup?: string;
}

const PLANS: Record<string, DualStack> = {
  'seed-000-sip-dsr': {
    addresses: {
      lvs: { eth0: 'fd00:88::2/64' },
      sip1: { eth0: 'fd00:88::150/64' },
      sip2: { eth0: 'fd00:88::151/64' },
      phone: { eth0: 'fd00:88::170/64' },
    },
    vip: 'fd00:88::190',
    forwarding: 'dr',
    realServers: ['sip1', 'sip2'],
    director: 'lvs',
    dev: 'eth0',
  },
  'seed-002-dr-keepalived': {
    addresses: {
      lb1: { ens224: 'fd00:100::10/64' },
      lb2: { ens224: 'fd00:100::11/64' },
      web1: { ens224: 'fd00:100::20/64' },
      web2: { ens224: 'fd00:100::21/64' },
      client: { ens224: 'fd00:100::30/64' },
    },
    vip: 'fd00:100::9',
    forwarding: 'dr',
    realServers: ['web1', 'web2'],
    director: 'lb1',
    dev: 'ens224',
    backup: 'lb2',
  },
  'seed-004-wikipedia-nat': {
    addresses: {
      director: { eth0: 'fd00:168::2/64', eth1: 'fd00:172::fe/64' },
      rs1: { eth0: 'fd00:172::1/64' },
      rs2: { eth0: 'fd00:172::2/64' },
      client: { eth0: 'fd00:168::10/64' },
    },
    vip: 'fd00:168::1',
    forwarding: 'nat',
    realServers: ['rs1', 'rs2'],
    director: 'director',
    dev: 'eth0',
  },
};

const SERVICE = 'web6';
const V6_PID = '/run/lvs-ipv6-responder.pid';

/** The seed's inventory plus the hosts' IPv6 addresses and an IPv6 TCP/80 service with its probe. */
function dualStack(seedText: string, plan: DualStack): string {
  const doc = parseDocument(seedText);
  for (const [host, ifaces] of Object.entries(plan.addresses))
    for (const [dev, cidr] of Object.entries(ifaces)) {
      const list = doc.getIn(['hosts', host, 'interfaces', dev]);
      assert.ok(list, `${host} has interface ${dev} in the seed`);
      doc.addIn(['hosts', host, 'interfaces', dev], cidr);
    }
  doc.addIn(['services'], {
    name: SERVICE,
    vip: plan.vip,
    protocol: 'tcp',
    port: 80,
    scheduler: 'rr',
    forwarding: plan.forwarding,
    real_servers: plan.realServers.map((host) => ({ host })),
  });
  doc.addIn(['verify', 'probes'], { service: SERVICE, url: `http://[${plan.vip}]/`, requests: 10 });
  return doc.toString();
}

interface VerifyDoc {
  ok: boolean;
  services: {
    service: string;
    target: string;
    family: number;
    ok: boolean;
    rows: { host: string | null; address: string; answered: number }[];
  }[];
}

function register(ctx: SeedContext): void {
  const plan = PLANS[ctx.seed];
  if (!plan) return;
  const dir = mkdtempSync(join(tmpdir(), 'lvs-ipv6-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const variant = join(dir, `${ctx.seed}-dual-stack.yaml`);
  const run = async (h: string, cmd: string) => {
    const r = await vmHostExec(ctx.state(), h, cmd, { timeoutMs: 60_000 });
    assert.equal(r.code, 0, `${h}: ${cmd}\n${r.stdout}${r.stderr}`);
    return r.stdout.trim();
  };
  const from = () => ctx.inv().verify?.from ?? '';

  test(`IPv6 ${plan.forwarding.toUpperCase()}: a v6 VIP beside the v4 one; up twice, verify sends IPv6 traffic to every real server`, async () => {
    writeFileSync(variant, dualStack(readFileSync(ctx.file, 'utf8'), plan));
    for (const [host, ifaces] of Object.entries(plan.addresses))
      for (const [dev, cidr] of Object.entries(ifaces))
        await run(host, `ip addr add ${quote(cidr)} dev ${quote(dev)} nodad`);
    // The boot's responders serve the seed's IPv4 ports; the v6 ports get a second responder
    // (its PID kept apart, the boot's own PID file left as it was).
    const spec = labSpecFromInventory(await loadInventory(variant));
    for (const h of plan.realServers) {
      const host = spec.hosts.find((x) => x.name === h);
      assert.ok(host);
      const v6 = { ...host, responders: host.responders.filter((r) => r.family === 6) };
      assert.equal(v6.responders.length, 1, `${h}: one IPv6 responder (tcp/80)`);
      const pid = quote(responderPidFile(h));
      // Separate commands: a `&&` list ending in responderStart's `&` would background the whole
      // list in a subshell that keeps the ssh session's output open.
      await run(h, `cp ${pid} ${pid}.v4`);
      await run(h, responderStart(v6));
      await run(h, `mv ${pid} ${V6_PID} && mv ${pid}.v4 ${pid}`);
    }

    const up = await ctx.lvs(['up', variant, '--json']);
    assert.equal(up.code, 0, up.stdout + up.stderr);
    const again = await ctx.lvs(['plan', variant, '--detailed-exitcode']);
    assert.equal(again.code, 0, `a second up would change nothing:\n${again.stdout}`);

    let doc: VerifyDoc | undefined;
    let out = '';
    for (let i = 0; i < 3 && !doc?.ok; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 2000));
      const v = await ctx.lvs(['verify', variant, '--json']);
      out = v.stdout + v.stderr;
      doc = JSON.parse(v.stdout) as VerifyDoc;
    }
    assert.ok(doc?.ok, out);
    const web6 = doc.services.find((s) => s.service === SERVICE);
    assert.ok(web6, out);
    assert.equal(web6.family, 6);
    assert.equal(web6.target, `[${plan.vip}]:80/tcp`);
    assert.deepEqual(web6.rows.map((r) => r.host).sort(), plan.realServers);
    for (const row of web6.rows) {
      assert.ok(row.address.includes(':'), `${row.host} is reached on its IPv6 address`);
      assert.ok(row.answered > 0, `${row.host} answered through [${plan.vip}]: ${out}`);
    }
    process.stdout.write(
      `# ${ctx.seed} IPv6 ${plan.forwarding.toUpperCase()} verify ${web6.target}: ${web6.rows.map((r) => `${r.host} (${r.address}) ${r.answered}`).join(', ')} of 10 requests from ${from()}\n`,
    );

    // What a user checks by hand.
    assert.match(await run(plan.director, 'ipvsadm -Ln'), new RegExp(`TCP  \\[${plan.vip}\\]:80 rr`));
    assert.equal(await run(plan.director, 'sysctl -n net.ipv6.conf.all.forwarding'), '1');
    if (plan.forwarding === 'dr') {
      for (const h of plan.realServers)
        assert.match(await run(h, 'ip -6 -o addr show dev lo'), new RegExp(`inet6 ${plan.vip}/128 `), h);
      // Only the director answered the client's Neighbour Solicitation: the VIP on lo stays silent.
      const mac = await run(plan.director, `cat /sys/class/net/${plan.dev}/address`);
      assert.match(await run(from(), `ip -6 neigh show ${quote(plan.vip)}`), new RegExp(`lladdr ${mac} `));
    } else {
      const gw = plan.addresses[plan.director]?.eth1?.split('/')[0] ?? '';
      for (const h of plan.realServers)
        assert.match(await run(h, 'ip -6 route show default'), new RegExp(`^default via ${gw} `), h);
    }
  });

  if (plan.backup) {
    const backup = plan.backup;
    test('IPv6 keepalived pair: VI_6 follows VI_1 — the MASTER stops, the BACKUP takes both VIPs and IPv6 traffic goes on', async () => {
      const v4 = ctx.inv().services[0]?.vip ?? '';
      const holds = async (h: string, vip: string) =>
        (await vmHostExec(ctx.state(), h, `ip -o addr show dev ${quote(plan.dev)}`)).stdout.includes(
          ` ${vip}/`,
        );
      assert.ok(
        await holds(plan.director, plan.vip),
        `${plan.director} holds ${plan.vip} before the failure`,
      );
      await run(plan.director, 'kill "$(cat /run/keepalived.pid)"');
      let both = false;
      for (let i = 0; i < 40 && !both; i++) {
        await new Promise((r) => setTimeout(r, 250));
        both = (await holds(backup, plan.vip)) && (await holds(backup, v4));
      }
      assert.ok(both, `${backup} took ${v4} and ${plan.vip}`);
      assert.ok(!(await holds(plan.director, plan.vip)), `the stopped MASTER released ${plan.vip}`);
      // Through the BACKUP now: the client's neighbour entry moves with the unsolicited NA.
      const curl = `for i in $(seq 10); do curl -s -m 3 http://[${plan.vip}]/ || echo fail; done`;
      let answers: string[] = [];
      for (let i = 0; i < 5; i++) {
        answers = (await run(from(), curl)).split('\n').filter((l) => l.trim() !== '');
        if (!answers.includes('fail')) break;
        await new Promise((r) => setTimeout(r, 1000));
      }
      const by = (h: string) => answers.filter((l) => l.includes(h)).length;
      process.stdout.write(
        `# ${ctx.seed} IPv6 after failover to ${backup}: ${plan.realServers.map((h) => `${h} ${by(h)}`).join(', ')} of ${answers.length}\n`,
      );
      assert.ok(!answers.includes('fail'), answers.join('\n'));
      for (const h of plan.realServers)
        assert.ok(by(h) > 0, `${h} answered through ${backup}: ${answers.join(' ')}`);
    });
  }

  test(`IPv6 ${plan.forwarding.toUpperCase()}: the seed's own up takes the v6 service away; the hand-made addresses go`, async () => {
    const up = await ctx.lvs(['up', ctx.file]);
    assert.equal(up.code, 0, up.stdout + up.stderr);
    for (const h of plan.realServers) await run(h, `kill "$(cat ${V6_PID})" && rm -f ${V6_PID}`);
    for (const [host, ifaces] of Object.entries(plan.addresses))
      for (const [dev, cidr] of Object.entries(ifaces))
        await run(host, `ip addr del ${quote(cidr)} dev ${quote(dev)}`);
    assert.doesNotMatch(await run(plan.director, 'ipvsadm -Ln'), /\[/);
    for (const h of plan.realServers) assert.equal(await run(h, 'ip -6 route show default'), '', h);
    if (plan.backup) {
      // The failover test stopped the MASTER's keepalived; `up` started it again: wait until it
      // holds the seed's VIP again, as the later tests expect.
      const v4 = ctx.inv().services[0]?.vip ?? '';
      let back = false;
      for (let i = 0; i < 40 && !back; i++) {
        await new Promise((r) => setTimeout(r, 250));
        back = (await run(plan.director, `ip -o addr show dev ${quote(plan.dev)}`)).includes(` ${v4}/`);
      }
      assert.ok(back, `${plan.director} is MASTER again after up`);
    }
    const plan0 = await ctx.lvs(['plan', ctx.file, '--detailed-exitcode']);
    assert.equal(plan0.code, 0, `plan after the restore must be empty:\n${plan0.stdout}`);
  });
}

export const scenario: SeedScenario = {
  seeds: Object.keys(PLANS),
  register,
};
