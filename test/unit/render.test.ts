// Roles + templates → desired state per host, checked against golden files and against what a
// user would look for in each seed's files.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { formatHost, maskSecrets } from '../../src/cli/commands/render.js';
import { RenderError } from '../../src/errors.js';
import { loadInventory } from '../../src/inventory/load.js';
import type { Inventory } from '../../src/inventory/types.js';
import type { DesiredHost } from '../../src/model/types.js';
import { expandHost, expandInventory, secretValues } from '../../src/roles/expand.js';
import { loadRoles, parseRole } from '../../src/roles/load.js';
import { renderTemplate } from '../../src/templates/render.js';
import { assertGoldenDir } from '../helpers/golden.js';

// keepalived cuts auth_pass at 8 characters; the loader refuses longer ones.
process.env.LVS_VRRP_PASS = 'k33pal1v';

const INVENTORIES = join(import.meta.dirname, '..', '..', 'inventories');
const names = readdirSync(INVENTORIES)
  .filter((n) => n.endsWith('.yaml'))
  .sort();

const load = (name: string): Promise<Inventory> => loadInventory(join(INVENTORIES, `${name}.yaml`));

function file(d: DesiredHost | undefined, path: string): string {
  const f = d?.files.find((x) => x.path === path);
  assert.ok(f, `${d?.host} has ${path} (has: ${d?.files.map((x) => x.path).join(', ')})`);
  return f.content;
}

function host(map: Map<string, DesiredHost>, name: string): DesiredHost {
  const d = map.get(name);
  assert.ok(d, `host ${name}`);
  return d;
}

/** Lines of `text` that follow `start` (exclusive) until the block closes. */
function lines(text: string): string[] {
  return text.split('\n').map((l) => l.trim());
}

describe('golden files', () => {
  for (const n of names) {
    test(`${n}: every host's files and desired state match test/golden/${n.replace(/\.yaml$/, '')}`, async () => {
      const inv = await loadInventory(join(INVENTORIES, n));
      const files = new Map<string, string>();
      for (const [h, d] of expandInventory(inv)) {
        for (const f of d.files) files.set(`${h}${f.path}`, f.content);
        const state = { ...d, files: d.files.map(({ content: _c, ...meta }) => meta) };
        files.set(`${h}/desired.json`, `${JSON.stringify(state, null, 2)}\n`);
      }
      assertGoldenDir(n.replace(/\.yaml$/, ''), files);
    });
  }
});

describe('seed 002: LVS-DR behind a keepalived pair', () => {
  test('lb1 keepalived.conf is the MASTER with unicast peer, PASS auth on separate lines, DR services', async () => {
    const inv = await load('seed-002-dr-keepalived');
    const hosts = expandInventory(inv);
    const conf = file(host(hosts, 'lb1'), '/etc/keepalived/keepalived.conf');
    const l = lines(conf);
    assert.ok(l.includes('state MASTER'));
    assert.ok(l.includes('priority 200'));
    const peer = l.indexOf('unicast_peer {');
    assert.ok(
      peer > 0 && l[peer + 1] === '192.168.100.11' && l[peer + 2] === '}',
      'unicast_peer block holds 192.168.100.11',
    );
    const auth = l.indexOf('authentication {');
    assert.equal(l[auth + 1], 'auth_type PASS');
    assert.equal(l[auth + 2], 'auth_pass k33pal1v');
    assert.ok(l.includes('virtual_server 192.168.100.9 80 {'));
    assert.ok(l.includes('virtual_server 192.168.100.9 443 {'));
    assert.ok(l.includes('lvs_method DR'));
    assert.ok(l.includes('persistence_timeout 600'));
    const tcp = l.indexOf('TCP_CHECK {');
    assert.equal(l[tcp + 1], 'connect_port 80');
    // The VIP floats with the prefix of lb1's own ens224 address (the seed's `192.168.100.9/28 dev ens224`).
    const prefix = inv.hosts.lb1?.interfaces.ens224?.[0]?.split('/')[1];
    assert.ok(l.includes(`192.168.100.9/${prefix} dev ens224`));
    assert.ok(!conf.includes('vrrp_strict'));
    assert.ok(!conf.includes('enable_script_security'), 'no scripts, so no script security');
  });

  test('lb2 is BACKUP and peers with lb1', async () => {
    const hosts = expandInventory(await load('seed-002-dr-keepalived'));
    const l = lines(file(host(hosts, 'lb2'), '/etc/keepalived/keepalived.conf'));
    assert.ok(l.includes('state BACKUP'));
    assert.ok(l.includes('unicast_src_ip 192.168.100.11'));
    assert.ok(l.includes('192.168.100.10'));
  });

  test("both directors mail seed 002's admin on every VRRP state change", async () => {
    for (const d of expandInventory(await load('seed-002-dr-keepalived')).values()) {
      const conf = d.files.find((f) => f.path === '/etc/keepalived/keepalived.conf')?.content;
      if (!conf) continue;
      const l = lines(conf);
      const g = l.indexOf('global_defs {');
      assert.deepEqual(l.slice(g + 2, g + 8), [
        'notification_email {',
        'admin@mydomain.org',
        '}',
        'notification_email_from dmz-lb-keepalived@mydomain.org',
        'smtp_server 192.168.100.33',
        'smtp_connect_timeout 30',
      ]);
      assert.ok(l.indexOf('smtp_alert') > l.indexOf('vrrp_instance VI_1 {'), `${d.host}: smtp_alert in VI_1`);
    }
  });

  test('smtp_server HOST:PORT becomes keepalived\'s "smtp_server HOST PORT"', async () => {
    const inv = await loadInventory(join(import.meta.dirname, '..', 'fixtures', 'keepalived-features.yaml'));
    const l = lines(file(host(expandInventory(inv), 'ka1'), '/etc/keepalived/keepalived.conf'));
    assert.ok(l.includes('smtp_server 10.9.0.25 2525'), l.filter((x) => x.startsWith('smtp')).join('\n'));
  });

  test('keepalived.conf has one keyword per line: no one-line blocks', async () => {
    for (const n of ['seed-002-dr-keepalived', 'seed-003-nat-keepalived']) {
      for (const d of expandInventory(await load(n)).values()) {
        for (const f of d.files.filter((x) => x.template === 'keepalived.conf.njk')) {
          for (const line of lines(f.content)) {
            if (line.startsWith('!') || line === '') continue;
            assert.ok(
              !/\{.+/.test(line) && !/.+\}/.test(line),
              `${d.host}: "${line}" opens or closes a block mid-line`,
            );
          }
        }
      }
    }
  });

  test('the keepalived director has the file as a secret, validated, reloading keepalived; VIP floats', async () => {
    const inv = await load('seed-002-dr-keepalived');
    const d = expandHost(inv, 'lb1');
    const f = d.files.find((x) => x.path === '/etc/keepalived/keepalived.conf');
    assert.equal(f?.mode, '0640');
    assert.equal(f?.secret, true);
    assert.deepEqual(f?.validate?.argv, ['keepalived', '-t', '-f', '%s']);
    assert.deepEqual(f?.notify, ['reload-keepalived']);
    assert.deepEqual(d.handlers, [{ name: 'reload-keepalived', action: 'reload', target: 'keepalived' }]);
    assert.equal(d.ipvsStatic, false);
    assert.deepEqual(
      d.ipvs.map((s) => s.key),
      ['-t 192.168.100.9:443', '-t 192.168.100.9:80'],
    );
    const prefix = inv.hosts.lb1?.interfaces.ens224?.[0]?.split('/')[1];
    assert.deepEqual(d.floatingAddresses, [{ dev: 'ens224', cidr: `192.168.100.9/${prefix}` }]);
    assert.deepEqual(d.addresses, [], 'keepalived adds the VIP, not up');
    assert.equal(d.daemons[0]?.pidfile, '/run/keepalived.pid');
    assert.deepEqual(d.packages, ['ipvsadm', 'keepalived']);
    assert.deepEqual(d.modules, ['ip_vs', 'ip_vs_rr']);
    assert.equal(d.sysctls['net.ipv4.ip_forward'], '1');
    assert.equal(d.sysctls['net.ipv4.vs.expire_nodest_conn'], '1');
    assert.equal(d.sysctls['net.ipv4.vs.expire_quiescent_template'], '1');
  });

  test('DR real servers get the VIP on lo and the 4 ARP sysctls, persisted', async () => {
    const d = expandHost(await load('seed-002-dr-keepalived'), 'web1');
    assert.deepEqual(d.kinds, ['realserver']);
    assert.deepEqual(d.addresses, [{ dev: 'lo', cidr: '192.168.100.9/32' }]);
    assert.deepEqual(d.sysctls, {
      'net.ipv4.conf.all.arp_announce': '2',
      'net.ipv4.conf.all.arp_ignore': '1',
      'net.ipv4.conf.lo.arp_announce': '2',
      'net.ipv4.conf.lo.arp_ignore': '1',
    });
    assert.match(file(d, '/etc/sysctl.d/90-lvs-deploy.conf'), /^net\.ipv4\.conf\.lo\.arp_ignore = 1$/m);
    assert.match(file(d, '/usr/local/sbin/lvs-deploy-net'), /ip addr replace 192\.168\.100\.9\/32 dev lo/);
    assert.match(file(d, '/etc/systemd/system/lvs-deploy-net.service'), /RemainAfterExit=yes/);
    assert.deepEqual(
      d.handlers.map((h) => h.name),
      ['daemon-reload', 'enable-lvs-deploy-net'],
    );
  });

  test('the client has nothing to do', async () => {
    const d = expandHost(await load('seed-002-dr-keepalived'), 'client');
    assert.deepEqual(d.kinds, ['client']);
    assert.deepEqual([d.files, d.roles, d.addresses, d.sysctls], [[], [], [], {}]);
  });
});

describe('seed 001: one static NAT director', () => {
  test('the rules file holds the ipvsadm -S -n lines of the seed', async () => {
    const d = expandHost(await load('seed-001-lic-nat'), 'ifw01');
    const rules = file(d, '/etc/ipvsadm.rules')
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'));
    assert.deepEqual(rules, [
      '-A -t 200.0.0.10:80 -s wlc -p 600',
      '-a -t 200.0.0.10:80 -r 192.168.3.2:80 -m -w 100',
      '-a -t 200.0.0.10:80 -r 192.168.3.3:80 -m -w 100',
    ]);
    assert.match(file(d, '/etc/default/ipvsadm'), /^AUTO="true"$/m);
    assert.match(file(d, '/etc/default/ipvsadm'), /^DAEMON="none"$/m);
    assert.equal(d.ipvsStatic, true);
    assert.deepEqual(
      d.addresses,
      [{ dev: 'eth0', cidr: '200.0.0.10/32' }],
      'VIP on the interface whose subnet holds it',
    );
    assert.deepEqual(d.modules, ['ip_vs', 'ip_vs_wlc']);
  });

  test('NAT real servers route through the director DIP on their subnet', async () => {
    const d = expandHost(await load('seed-001-lic-nat'), 'ics01');
    assert.deepEqual(d.routes, [{ dst: 'default', via: '192.168.3.1' }]);
  });

  test('on RHEL the rules go to /etc/sysconfig/ipvsadm and there is no /etc/default file', async () => {
    const d = expandHost(await load('seed-001-lic-nat'), 'ifw01', { os: 'rhel' });
    assert.match(file(d, '/etc/sysconfig/ipvsadm'), /^-A -t 200\.0\.0\.10:80 -s wlc -p 600$/m);
    assert.ok(!d.files.some((f) => f.path === '/etc/default/ipvsadm' || f.path === '/etc/ipvsadm.rules'));
  });
});

describe('seed 003: NAT keepalived pair that is also the gateway', () => {
  test('VI_2 floats the internal gateway, both instances in one sync group', async () => {
    const hosts = expandInventory(await load('seed-003-nat-keepalived'));
    const l = lines(file(host(hosts, 'load1'), '/etc/keepalived/keepalived.conf'));
    const vi2 = l.indexOf('vrrp_instance VI_2 {');
    assert.ok(vi2 > 0);
    const block = l.slice(vi2, l.indexOf('}', l.indexOf('virtual_ipaddress {', vi2)) + 1);
    assert.ok(block.includes('interface eth1'));
    assert.ok(block.includes('virtual_router_id 54'));
    assert.ok(block.includes('192.168.20.254/24 dev eth1'));
    assert.ok(block.includes('unicast_src_ip 192.168.20.1'));
    assert.ok(block.includes('192.168.20.2'), 'unicast peer on eth1');
    const vg = l.indexOf('vrrp_sync_group VG_1 {');
    assert.deepEqual(l.slice(vg, vg + 6), ['vrrp_sync_group VG_1 {', 'group {', 'VI_1', 'VI_2', '}', '}']);
    assert.ok(l.includes('lvs_method NAT'));
    assert.ok(l.includes('HTTP_GET {'));
    // No status_code in the inventory: any 2xx passes, as the README says.
    assert.ok(l.includes('status_code 200-299'), 'an http check without status_code accepts any 2xx');
    assert.deepEqual(host(hosts, 'load1').floatingAddresses, [
      { dev: 'eth0', cidr: '203.0.113.3/24' },
      { dev: 'eth1', cidr: '192.168.20.254/24' },
    ]);
  });

  test('its real servers route through the floating gateway 192.168.20.254', async () => {
    const d = expandHost(await load('seed-003-nat-keepalived'), 'web2');
    assert.deepEqual(d.routes, [{ dst: 'default', via: '192.168.20.254' }]);
    assert.match(file(d, '/usr/local/sbin/lvs-deploy-net'), /ip route replace default via 192\.168\.20\.254/);
  });
});

describe('TUN', () => {
  test('TUN real servers get ipip, tunl0 with the VIP, rp_filter off and the ARP sysctls', async () => {
    const d = expandHost(await load('tun'), 'rs1');
    assert.deepEqual(d.modules, ['ipip']);
    assert.deepEqual(d.links, [{ name: 'tunl0', kind: 'ipip' }]);
    assert.deepEqual(d.addresses, [{ dev: 'tunl0', cidr: '10.20.0.100/32' }]);
    assert.equal(d.sysctls['net.ipv4.conf.all.rp_filter'], '0');
    assert.equal(d.sysctls['net.ipv4.conf.tunl0.rp_filter'], '0');
    assert.equal(d.sysctls['net.ipv4.conf.all.arp_ignore'], '1');
    assert.equal(d.sysctls['net.ipv4.conf.lo.arp_announce'], '2');
    const script = file(d, '/usr/local/sbin/lvs-deploy-net');
    assert.match(script, /ip link show dev tunl0 .*\|\| ip link add name tunl0 type ipip/);
    assert.match(script, /ip addr replace 10\.20\.0\.100\/32 dev tunl0/);
  });

  test('the director rules use -i and weights', async () => {
    const d = expandHost(await load('tun'), 'director');
    assert.match(file(d, '/etc/ipvsadm.rules'), /^-a -t 10\.20\.0\.100:80 -r 10\.20\.0\.11:80 -i -w 2$/m);
    assert.deepEqual(d.modules, ['ip_vs', 'ip_vs_wrr']);
  });
});

describe('IPv6 and several modes on one host', () => {
  const fixture = (n: string) => loadInventory(join(import.meta.dirname, '..', 'fixtures', `${n}.yaml`));

  test('an IPv6 DR real server gets the VIP as /128 on lo and no ARP sysctls; the director forwards IPv6', async () => {
    const hosts = expandInventory(await fixture('dr-v6'));
    const rs = host(hosts, 'rs1');
    assert.deepEqual(rs.addresses, [{ dev: 'lo', cidr: '2001:db8::100/128' }]);
    assert.deepEqual(rs.sysctls, {});
    const lb = host(hosts, 'lb');
    assert.equal(lb.sysctls['net.ipv6.conf.all.forwarding'], '1');
    assert.deepEqual(lb.addresses, [{ dev: 'eth0', cidr: '2001:db8::100/128' }]);
    assert.match(file(lb, '/etc/ipvsadm.rules'), /^-A -t \[2001:db8::100\]:80 -s rr$/m);
  });

  test('a real server that is DR for one service and TUN for another gets both roles, merged', async () => {
    const d = expandHost(await fixture('keepalived-features'), 'r2');
    assert.deepEqual(d.roles, ['common', 'realserver-dr', 'realserver-tun']);
    assert.deepEqual(d.addresses, [
      { dev: 'lo', cidr: '10.9.0.100/32' },
      { dev: 'lo', cidr: '10.9.0.101/32' },
      { dev: 'tunl0', cidr: '10.9.0.100/32' },
    ]);
    assert.equal(d.sysctls['net.ipv4.conf.all.arp_ignore'], '1', 'set by both roles to the same value');
    assert.equal(d.sysctls['net.ipv4.conf.tunl0.rp_filter'], '0');
  });

  test('the static sync daemon is a master on the sync interface', async () => {
    const inv = await load('seed-001-lic-nat');
    inv.directors.sync_daemon = { interface: 'eth1', id: 9 };
    const d = expandHost(inv, 'ifw01');
    assert.deepEqual(d.syncDaemons, [{ state: 'master', interface: 'eth1', syncid: 9 }]);
    assert.match(file(d, '/etc/default/ipvsadm'), /^DAEMON="master"$/m);
    assert.match(file(d, '/etc/default/ipvsadm'), /^IFACE="eth1"$/m);
  });
});

describe('every rendered file', () => {
  test('starts with the managed-by header; shell scripts pass sh -n', async () => {
    for (const n of names) {
      for (const d of expandInventory(await loadInventory(join(INVENTORIES, n))).values()) {
        for (const f of d.files) {
          const head = f.content.split('\n').slice(0, 2).join('\n');
          assert.match(
            head,
            /^(#|!) managed by lvs-deploy — changes will be overwritten$/m,
            `${d.host}:${f.path}`,
          );
          if (f.content.startsWith('#!/bin/sh')) execFileSync('sh', ['-n'], { input: f.content });
        }
      }
    }
  });

  test('rendering is deterministic', async () => {
    const inv = await load('seed-003-nat-keepalived');
    assert.deepEqual([...expandInventory(inv)], [...expandInventory(inv)]);
  });
});

describe('render errors', () => {
  test('an unknown key in a role names file:line:col', () => {
    assert.throws(
      () =>
        parseRole(
          'name: x\napplies_to: { kinds: [director] }\nsysctl:\n  - { key: a, value: b }\n',
          'roles/x.yaml',
        ),
      (err: unknown) =>
        err instanceof RenderError && /roles\/x\.yaml:3:1: .*unknown key "sysctl"/.test(err.message),
    );
  });

  test('a sysctl set to two values by two roles names both roles', async () => {
    const a = parseRole(
      'name: a\napplies_to: { kinds: [realserver] }\nsysctls: [ { key: net.x, value: "1" } ]\n',
      'roles/a.yaml',
    );
    const b = parseRole(
      'name: b\napplies_to: { kinds: [realserver] }\nsysctls: [ { key: net.x, value: "2" } ]\n',
      'roles/b.yaml',
    );
    assert.throws(
      () =>
        expandHost(Object.freeze(structuredClone(inventoryShape)) as Inventory, 'web1', { roles: [a, b] }),
      (err: unknown) =>
        err instanceof RenderError && /roles\/b\.yaml:3:.*net\.x is 2 here but 1 in role a/.test(err.message),
    );
  });

  test('a role reading an unknown name is an error, not silently false', () => {
    const r = parseRole(
      'name: c\napplies_to: { kinds: [realserver] }\nsysctls: [ { key: k, value: "1", when: has_dr_v5 } ]\n',
      'roles/c.yaml',
    );
    assert.throws(
      () => expandHost(inventoryShape as Inventory, 'web1', { roles: [r] }),
      (err: unknown) => err instanceof RenderError && /roles\/c\.yaml:3:.*has_dr_v5/.test(err.message),
    );
  });

  test('a template context missing a key names the template and the key', () => {
    assert.throws(
      () => renderTemplate('ipvsadm.default.njk', { auto: true } as never),
      (err: unknown) =>
        err instanceof RenderError && /templates\/ipvsadm\.default\.njk: .*daemon: missing/.test(err.message),
    );
  });

  test('the shipped roles load', () => {
    assert.deepEqual(
      loadRoles().map((r) => r.role.name),
      [
        'common',
        'director',
        'director-firewall',
        'director-ipvsadm',
        'director-keepalived',
        'director-ldirectord',
        'director-tunables',
        'realserver-dr',
        'realserver-nat',
        'realserver-tun',
      ],
    );
  });
});

describe('render command output', () => {
  test('secret file content is masked', async () => {
    const inv = await load('seed-002-dr-keepalived');
    const out = formatHost(expandHost(inv, 'lb1'), secretValues(inv));
    assert.ok(!out.includes('k33pal1v'));
    assert.match(out, /^ {4}auth_pass \*\*\*$/m);
    assert.match(out, /^ {2}-A -t 192\.168\.100\.9:80 -s rr -p 600$/m);
    assert.equal(maskSecrets('auth_pass ab\nxaby ab', ['ab']), 'auth_pass ***\nxaby ***');
  });
});

// A tiny inventory for the error tests (no file needed).
const inventoryShape: Inventory = {
  file: '/tmp/x.yaml',
  name: 'x',
  ssh: {
    user: 'root',
    port: 22,
    known_hosts: '/dev/null',
    host_key_policy: 'strict',
    become: false,
    connect_timeout: 10,
  },
  hosts: {
    lb: {
      name: 'lb',
      address: '192.0.2.1',
      interfaces: { eth0: ['192.0.2.1/24'] },
      ssh: {} as Inventory['ssh'],
    },
    web1: { name: 'web1', address: '192.0.2.11', interfaces: {}, ssh: {} as Inventory['ssh'] },
  },
  directors: { hosts: ['lb'], manager: 'ipvsadm' },
  services: [
    {
      name: 's',
      vip: '192.0.2.100',
      family: 4,
      protocol: 'tcp',
      port: 80,
      scheduler: 'rr',
      flags: [],
      ops: false,
      forwarding: 'dr',
      real_servers: [{ host: 'web1', address: '192.0.2.11', port: 80, weight: 1, forwarding: 'dr' }],
    },
  ],
};

describe('directors.firewall (seed 003: the director is also the gateway and firewall)', () => {
  test('each director gets one table: VRRP from its peer, the service, SSH from admin networks, masquerade for the web servers', async () => {
    const inv = await load('seed-003-nat-keepalived');
    const all = expandInventory(inv);
    const fw1 = file(host(all, 'load1'), '/etc/lvs-deploy/firewall.nft');
    const fw2 = file(host(all, 'load2'), '/etc/lvs-deploy/firewall.nft');
    assert.match(
      fw1,
      /^table inet lvs_deploy\ndelete table inet lvs_deploy\n\ntable inet lvs_deploy \{$/m,
      'the whole table is replaced in one transaction',
    );
    assert.match(fw1, /type filter hook input priority filter; policy drop;/);
    assert.match(
      fw1,
      /ip saddr \{ 203\.0\.113\.2, 192\.168\.20\.2 \} meta l4proto 112 accept/,
      'load1 accepts VRRP from load2 only',
    );
    assert.match(
      fw2,
      /ip saddr \{ 203\.0\.113\.1, 192\.168\.20\.1 \} meta l4proto 112 accept/,
      'load2 accepts VRRP from load1 only',
    );
    assert.match(fw1, /ip daddr 203\.0\.113\.3 tcp dport 80 accept/);
    assert.match(fw1, /ip saddr \{ 203\.0\.113\.0\/24 \} tcp dport 22 accept/);
    assert.match(fw1, /oifname "eth0" ip saddr \{ 192\.168\.20\.11, 192\.168\.20\.12 \} masquerade/);
    assert.deepEqual(host(all, 'load1').firewall, {
      path: '/etc/lvs-deploy/firewall.nft',
      policy: 'drop',
      adminNetworks: ['203.0.113.0/24'],
    });
    assert.equal(host(all, 'web1').firewall, undefined, 'real servers get no firewall');
    assert.ok(
      host(all, 'load1').files.some((f) => f.path === '/etc/systemd/system/lvs-deploy-firewall.service'),
      'restored at boot',
    );
    assert.ok(host(all, 'load1').packages.includes('nftables'));
  });

  test('inventories without directors.firewall get no table and no nftables package', async () => {
    const all = expandInventory(await load('seed-002-dr-keepalived'));
    for (const d of all.values()) {
      assert.equal(d.firewall, undefined);
      assert.ok(!d.files.some((f) => f.path.includes('firewall')));
      assert.ok(!d.packages.includes('nftables'));
    }
  });
});
