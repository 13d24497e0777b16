// A dual-stack DR topology (inventories/dual-stack-dr-keepalived.yaml: seed 002's keepalived pair
// with an IPv6 VIP beside the IPv4 one) on real sshd hosts in the netns lab. This kernel has no
// IPVS, so `up --without-ipvs` runs keepalived VRRP-only and no request can pass a VIP: what is
// proven here is every host's state (read with nsenter, not the tool), VRRP electing the same
// MASTER for the IPv4 and the IPv6 instance, idempotence, the lab's responders answering over
// IPv6, and verify's neighbour check. Traffic through the v6 VIP is proven in the VM lab
// (test/vm/scenarios/ipv6.ts).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { hostExec, type LabState, labEnv } from '../../src/lab/netns.js';
import { cliInLab } from '../helpers/cli.js';
import { startLab, stopLab } from '../helpers/lab.js';

const root = process.getuid?.() === 0;
const LAB = 'lvs-dual-stack';
const VIP4 = '192.168.100.9';
const VIP6 = 'fd00:100::9';

interface Check {
  host: string;
  check: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

describe('dual-stack DR behind a keepalived pair (netns lab)', {
  skip: root ? false : 'needs root (network namespaces)',
}, () => {
  let state: LabState;
  let tmp: string;
  let inv: string;
  const lvs = (args: string[]) =>
    cliInLab(state.controlNs, { ...labEnv(state), LVS_VRRP_PASS: 'ds6pass' }, args);
  const sh = async (host: string, cmd: string) => {
    const r = await hostExec(state, host, cmd);
    assert.equal(r.code, 0, `${host}: ${cmd}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const holds = async (host: string) =>
    (await sh(host, 'ip -o addr show dev ens224'))
      .split('\n')
      .map((l) => l.split(/\s+/)[3]?.split('/')[0] ?? '')
      .filter((a) => a === VIP4 || a === VIP6)
      .sort();
  const verifyChecks = async () => {
    const r = await lvs(['verify', inv, '--json']);
    return (JSON.parse(r.stdout) as { checks: Check[] }).checks;
  };

  before(async () => {
    ({ state, inv, dir: tmp } = await startLab(LAB, 'dual-stack-dr-keepalived.yaml', 'ds.yaml', 'ds6pass'));
  });
  after(async () => {
    await stopLab(LAB, tmp);
  });

  test('up: real servers get the /128 on lo, directors IPv6 forwarding; a second up changes nothing', async () => {
    const up = await lvs(['up', inv, '--without-ipvs', '--json']);
    assert.equal(up.code, 0, up.stdout + up.stderr);
    for (const h of ['web1', 'web2']) {
      assert.match(await sh(h, 'ip -6 -o addr show dev lo'), new RegExp(`inet6 ${VIP6}/128 `), h);
      assert.match(await sh(h, 'ip -4 -o addr show dev lo'), new RegExp(`inet ${VIP4}/32 `), h);
      assert.equal(await sh(h, 'sysctl -n net.ipv4.conf.all.arp_ignore'), '1', h);
      // The VIP is on lo only: the NIC carries the host's own addresses.
      assert.doesNotMatch(await sh(h, 'ip -o addr show dev ens224'), /fd00:100::9\/|192\.168\.100\.9\//, h);
    }
    for (const d of ['lb1', 'lb2']) {
      assert.equal(await sh(d, 'sysctl -n net.ipv6.conf.all.forwarding'), '1', d);
      const conf = await sh(d, 'cat /etc/keepalived/keepalived.conf');
      assert.match(conf, /vrrp_instance VI_6 \{[^}]*unicast_src_ip fd00:100::1[01]\n/, d);
      assert.match(conf, /virtual_server fd00:100::9 80 \{/, d);
      assert.match(conf, /real_server fd00:100::20 80 \{/, d);
    }
    const again = await lvs(['up', inv, '--without-ipvs', '--json']);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    const hosts = (
      JSON.parse(again.stdout) as { hosts: { host: string; status: string; changes: string[] }[] }
    ).hosts;
    for (const h of hosts) assert.equal(h.status, 'ok', `${h.host}: ${h.changes.join('; ')}`);
  });

  test('VRRP: the IPv4 (VI_1) and IPv6 (VI_6) instances elect the same MASTER; verify says so', async () => {
    for (let i = 0; i < 20 && (await holds('lb1')).length < 2; i++) await sleep(500);
    assert.deepEqual(await holds('lb1'), [VIP4, VIP6].sort());
    assert.deepEqual(await holds('lb2'), []);
    const vrrp = (await verifyChecks()).filter((c) => c.check === 'vrrp');
    assert.deepEqual(
      vrrp.map((c) => [c.host, c.ok, c.detail]).sort(),
      [
        ['lb1', true, `${VIP4} held by lb1 (ens224)`],
        ['lb1', true, `${VIP6} held by lb1 (ens224)`],
      ].sort(),
    );
  });

  test("the lab's responders answer over IPv6 on the real servers' own addresses", async () => {
    for (const [h, addr] of [
      ['web1', 'fd00:100::20'],
      ['web2', 'fd00:100::21'],
    ] as const)
      assert.equal(await sh('client', `curl -s -m 3 http://[${addr}]/`), h);
  });

  test('verify flags the IPv6 VIP on a real server NIC (it would answer Neighbour Solicitations), and stops when it is gone', async () => {
    const clean = (await verifyChecks()).filter((c) => c.check === 'neighbour');
    assert.deepEqual(clean, []);
    await sh('web1', `ip addr add ${VIP6}/64 dev ens224 nodad`);
    try {
      const flagged = (await verifyChecks()).filter((c) => c.check === 'neighbour');
      assert.deepEqual(flagged, [
        {
          host: 'web1',
          check: 'neighbour',
          ok: false,
          detail: `IPv6 VIP ${VIP6} is on web1's ens224: it answers Neighbour Solicitations for the VIP there and takes the VIP's traffic from the director (IPv6 has no arp_ignore; a DR real server keeps the VIP on lo only)`,
          fix: `ip addr del ${VIP6}/64 dev ens224 (keep the VIP on lo only, where lvs-deploy up puts it)`,
        },
      ]);
    } finally {
      await sh('web1', `ip addr del ${VIP6}/64 dev ens224`);
    }
  });

  test('down removes the IPv6 VIP from lo and the forwarding sysctl goes back', async () => {
    const r = await lvs(['down', inv]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.doesNotMatch(await sh('web1', 'ip -6 -o addr show dev lo'), /fd00:100::9/);
    assert.equal(await sh('lb1', 'sysctl -n net.ipv6.conf.all.forwarding'), '0');
  });
});
