// Dual-stack services (issue 15 §2): a v6 VIP beside the v4 one, rendered for ipvsadm (NAT) and
// keepalived (DR, two vrrp_instances), with the real servers' and directors' desired state.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseDocument } from 'yaml';
import { loadInventory } from '../../src/inventory/load.js';
import type { DesiredHost } from '../../src/model/types.js';
import { expandInventory } from '../../src/roles/expand.js';

process.env.LVS_VRRP_PASS = 'k33pal1v';
const ROOT = join(import.meta.dirname, '..', '..');

function host(map: Map<string, DesiredHost>, name: string): DesiredHost {
  const d = map.get(name);
  assert.ok(d, `host ${name}`);
  return d;
}

function file(d: DesiredHost, path: string): string {
  const f = d.files.find((x) => x.path === path);
  assert.ok(f, `${d.host} has ${path}`);
  return f.content;
}

/** The `vrrp_instance NAME { … }` block of a keepalived.conf. */
function instance(conf: string, name: string): string {
  const m = new RegExp(`^vrrp_instance ${name} \\{\\n([\\s\\S]*?)^\\}`, 'm').exec(conf);
  assert.ok(m?.[1], `${name} in\n${conf}`);
  return m[1];
}

describe('dual stack, ipvsadm NAT (test/fixtures/dual-stack-nat.yaml)', async () => {
  const hosts = expandInventory(await loadInventory(join(ROOT, 'test', 'fixtures', 'dual-stack-nat.yaml')));

  test('the rules file holds both services, each with real servers of its own family, [v6]:port', () => {
    const rules = file(host(hosts, 'director'), '/etc/ipvsadm.rules');
    const lines = rules.split('\n').filter((l) => l.startsWith('-'));
    assert.deepEqual(lines, [
      '-A -t [fd00:168::1]:80 -s rr',
      '-a -t [fd00:168::1]:80 -r [fd00:172::1]:80 -m -w 1',
      '-a -t [fd00:168::1]:80 -r [fd00:172::2]:80 -m -w 1',
      '-A -t 192.168.0.1:80 -s rr',
      '-a -t 192.168.0.1:80 -r 172.16.0.1:80 -m -w 1',
      '-a -t 192.168.0.1:80 -r 172.16.0.2:80 -m -w 1',
    ]);
  });

  test('the director forwards both families and adds the v6 VIP with nodad (boot script)', () => {
    const d = host(hosts, 'director');
    assert.equal(d.sysctls['net.ipv4.ip_forward'], '1');
    assert.equal(d.sysctls['net.ipv6.conf.all.forwarding'], '1');
    assert.deepEqual(d.addresses, [
      { dev: 'eth0', cidr: '192.168.0.1/32' },
      { dev: 'eth0', cidr: 'fd00:168::1/128' },
    ]);
    const net = file(d, '/usr/local/sbin/lvs-deploy-net');
    assert.match(net, /^ {2}ip addr replace fd00:168::1\/128 dev eth0 nodad \|\| rc=1$/m);
    assert.match(net, /^ {2}ip addr replace 192\.168\.0\.1\/32 dev eth0 \|\| rc=1$/m);
  });

  test('a NAT real server routes IPv4 and IPv6 back through the director', () => {
    for (const name of ['rs1', 'rs2']) {
      const d = host(hosts, name);
      assert.deepEqual(
        [...d.routes].sort((a, b) => a.dst.localeCompare(b.dst)),
        [
          { dst: '::/0', via: 'fd00:172::fe' },
          { dst: 'default', via: '172.16.0.254' },
        ],
        name,
      );
    }
  });
});

describe('dual stack, keepalived DR (inventories/dual-stack-dr-keepalived.yaml)', async () => {
  const inv = await loadInventory(join(ROOT, 'inventories', 'dual-stack-dr-keepalived.yaml'));
  const hosts = expandInventory(inv);

  test('one vrrp_instance per family, same router id, priority and state; VI_6 has no authentication', () => {
    for (const [name, state, prio, src, peer] of [
      ['lb1', 'MASTER', 200, ['192.168.100.10', 'fd00:100::10'], ['192.168.100.11', 'fd00:100::11']],
      ['lb2', 'BACKUP', 100, ['192.168.100.11', 'fd00:100::11'], ['192.168.100.10', 'fd00:100::10']],
    ] as const) {
      const conf = file(host(hosts, name), '/etc/keepalived/keepalived.conf');
      const v4 = instance(conf, 'VI_1');
      const v6 = instance(conf, 'VI_6');
      for (const [block, i] of [
        [v4, 0],
        [v6, 1],
      ] as const) {
        assert.match(block, new RegExp(`^ {2}state ${state}$`, 'm'), name);
        assert.match(block, new RegExp(`^ {2}priority ${prio}$`, 'm'), name);
        assert.match(block, /^ {2}virtual_router_id 51$/m, name);
        assert.match(block, new RegExp(`^ {2}unicast_src_ip ${src[i]}$`, 'm'), name);
        assert.match(block, new RegExp(`^ {4}${peer[i]}$`, 'm'), name);
      }
      assert.match(v4, /virtual_ipaddress \{\n {4}192\.168\.100\.9\/27 dev ens224\n {2}\}/);
      assert.match(v6, /virtual_ipaddress \{\n {4}fd00:100::9\/64 dev ens224\n {2}\}/);
      assert.match(v4, /auth_type PASS/);
      assert.doesNotMatch(v6, /authentication/, 'VRRPv3 has no authentication; keepalived -t fails on it');
      assert.doesNotMatch(conf, /vrrp_sync_group/, 'no sync group unless one exists (nat_gateway)');
      assert.match(conf, /^virtual_server fd00:100::9 80 \{\n[\s\S]*?real_server fd00:100::20 80 \{/m);
      assert.match(
        conf,
        /^virtual_server 192\.168\.100\.9 80 \{\n[\s\S]*?real_server 192\.168\.100\.20 80 \{/m,
      );
    }
  });

  test('a DR real server: /32 and /128 on lo, ARP sysctls for the IPv4 VIP only', () => {
    const d = host(hosts, 'web1');
    assert.deepEqual(d.addresses, [
      { dev: 'lo', cidr: '192.168.100.9/32' },
      { dev: 'lo', cidr: 'fd00:100::9/128' },
    ]);
    assert.deepEqual(Object.keys(d.sysctls).sort(), [
      'net.ipv4.conf.all.arp_announce',
      'net.ipv4.conf.all.arp_ignore',
      'net.ipv4.conf.lo.arp_announce',
      'net.ipv4.conf.lo.arp_ignore',
    ]);
    assert.match(
      file(d, '/usr/local/sbin/lvs-deploy-net'),
      /^ {2}ip addr replace fd00:100::9\/128 dev lo nodad \|\| rc=1$/m,
    );
  });

  test('the v6 instance joins the sync group that the floating NAT gateway makes', async () => {
    const doc = parseDocument(
      readFileSync(join(ROOT, 'inventories', 'seed-003-nat-keepalived.yaml'), 'utf8'),
    );
    for (const [h, a] of [
      ['load1', '2001:db8:113::1/64'],
      ['load2', '2001:db8:113::2/64'],
    ])
      doc.addIn(['hosts', h, 'interfaces', 'eth0'], a);
    doc.addIn(['services'], {
      name: 'http6',
      vip: '2001:db8:113::3',
      forwarding: 'dr',
      port: 80,
      real_servers: [{ address: '2001:db8:113::11' }],
    });
    const dir = mkdtempSync(join(tmpdir(), 'lvs-ds-'));
    let d: DesiredHost;
    try {
      writeFileSync(join(dir, 'ds.yaml'), doc.toString());
      d = host(expandInventory(await loadInventory(join(dir, 'ds.yaml'))), 'load1');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const conf = file(d, '/etc/keepalived/keepalived.conf');
    assert.match(conf, /vrrp_sync_group VG_1 \{\n {2}group \{\n {4}VI_1\n {4}VI_6\n {4}VI_2\n {2}\}/);
  });
});

describe('dual stack, ldirectord', () => {
  test('virtual6/real6 with [v6]:port beside virtual/real (ldirectord -d … stop accepts the file)', async () => {
    const text = readFileSync(join(ROOT, 'test', 'fixtures', 'dual-stack-nat.yaml'), 'utf8').replace(
      'manager: ipvsadm',
      'manager: ldirectord',
    );
    const dir = mkdtempSync(join(tmpdir(), 'lvs-ds-'));
    try {
      writeFileSync(join(dir, 'ld.yaml'), text);
      const d = host(expandInventory(await loadInventory(join(dir, 'ld.yaml'))), 'director');
      const cf = file(d, '/etc/ha.d/ldirectord.cf');
      assert.match(
        cf,
        /^virtual6 = \[fd00:168::1\]:80\n {4}servicename = http6\n {4}real6 = \[fd00:172::1\]:80 masq 1\n {4}real6 = \[fd00:172::2\]:80 masq 1$/m,
      );
      assert.match(
        cf,
        /^virtual = 192\.168\.0\.1:80\n {4}servicename = http\n {4}real = 172\.16\.0\.1:80 masq 1$/m,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
