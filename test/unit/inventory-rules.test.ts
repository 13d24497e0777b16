// Every rule of the inventory contract (docs/inventory.md, the rules the schema enforces), one
// inventory that passes and one that fails, with the exact LINE:COL of the failure. Inventories are
// written inline; `⟨` marks where the problem must be reported and is removed before writing.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { InventoryError } from '../../src/errors.js';
import { loadInventory } from '../../src/inventory/load.js';
import type { Inventory } from '../../src/inventory/types.js';

const dir = mkdtempSync(join(tmpdir(), 'lvs-inventory-rules-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let count = 0;

function write(text: string): string {
  count += 1;
  const file = join(dir, `inv-${count}.yaml`);
  writeFileSync(file, text);
  return file;
}

/** Strip the `⟨` marker; return the text and the marker's LINE:COL. */
function marked(src: string): { text: string; at: string } {
  const i = src.indexOf('⟨');
  assert.ok(i >= 0, 'the failing inventory needs a ⟨ marker');
  const before = src.slice(0, i);
  const line = before.split('\n').length;
  const col = i - (before.lastIndexOf('\n') + 1) + 1;
  return { text: src.slice(0, i) + src.slice(i + 1), at: `${line}:${col}` };
}

async function load(text: string): Promise<Inventory> {
  try {
    return await loadInventory(write(text));
  } catch (err) {
    if (err instanceof InventoryError)
      assert.fail(`expected a valid inventory, got:\n${err.lines().join('\n')}`);
    throw err;
  }
}

/** Problem lines without the file name: `LINE:COL: path: message`. */
async function problems(text: string): Promise<string[]> {
  const file = write(text);
  try {
    await loadInventory(file);
  } catch (err) {
    assert.ok(err instanceof InventoryError, `expected an InventoryError, got ${String(err)}`);
    assert.equal(err.exitCode, 2);
    return err.lines().map((l) => {
      assert.ok(l.startsWith(`${file}:`), l);
      return l.slice(file.length + 1);
    });
  }
  return assert.fail('expected the inventory to be refused');
}

/** The marked inventory is refused with a problem at the marker whose text contains `fragment`. */
async function refused(src: string, fragment: string): Promise<string[]> {
  const { text, at } = marked(src);
  const lines = await problems(text);
  assert.ok(
    lines.some((l) => l.startsWith(`${at}: `) && l.includes(fragment)),
    `expected ${at}: …${fragment}…, got:\n${lines.join('\n')}`,
  );
  return lines;
}

// Building blocks. Line numbers in the markers come from the assembled text, so blocks may change.
const HOSTS = `hosts:
  lb1: { address: 10.0.0.2, interfaces: { eth0: [10.0.0.2/24] } }
  lb2: { address: 10.0.0.3, interfaces: { eth0: [10.0.0.3/24] } }
  web1: { address: 10.0.0.11, interfaces: { eth0: [10.0.0.11/24] } }
  web2: { address: 10.0.0.12, interfaces: { eth0: [10.0.0.12/24] } }
  client: { address: 10.0.0.50 }
`;
const ONE_DIRECTOR = `directors:
  hosts: [lb1]
`;
const PAIR = `directors:
  hosts: [lb1, lb2]
  manager: keepalived
  vrrp:
    interface: eth0
    virtual_router_id: 51
    priority: { lb1: 200, lb2: 100 }
`;
const HTTP = `services:
  - name: http
    vip: 10.0.0.100
    protocol: tcp
    port: 80
    real_servers:
      - { host: web1 }
      - { host: web2 }
`;

function inv(
  parts: { ssh?: string; hosts?: string; directors?: string; services?: string; verify?: string } = {},
): string {
  return [
    parts.ssh ?? '',
    parts.hosts ?? HOSTS,
    parts.directors ?? ONE_DIRECTOR,
    parts.services ?? HTTP,
    parts.verify ?? '',
  ].join('');
}

const service = (
  rs: string,
  extra = '',
  head = 'vip: 10.0.0.100\n    protocol: tcp\n    port: 80',
) => `services:
  - name: http
    ${head}${extra}
    real_servers:
${rs}`;

describe('defaults the schema fills', () => {
  test('ssh port 22, user root, strict host keys; scheduler wlc, DR, weight 1, real server port = service port', async () => {
    const i = await load(inv());
    assert.equal(i.ssh.port, 22);
    assert.equal(i.ssh.user, 'root');
    assert.equal(i.ssh.host_key_policy, 'strict');
    assert.equal(i.ssh.become, false);
    assert.equal(i.hosts.web1?.ssh.port, 22);
    assert.equal(i.hosts.web1?.ssh.user, 'root');
    assert.equal(i.directors.manager, 'ipvsadm');
    const s = i.services[0];
    assert.ok(s);
    assert.equal(s.scheduler, 'wlc');
    assert.equal(s.forwarding, 'dr');
    assert.deepEqual(
      s.real_servers.map((r) => [r.host, r.address, r.port, r.weight, r.forwarding]),
      [
        ['web1', '10.0.0.11', 80, 1, 'dr'],
        ['web2', '10.0.0.12', 80, 1, 'dr'],
      ],
    );
  });

  test('a host overrides one ssh key and keeps the inventory defaults for the others', async () => {
    const i = await load(
      inv({ ssh: 'ssh:\n  user: admin\n' }).replace(
        'client: { address: 10.0.0.50 }',
        'client: { address: 10.0.0.50, ssh: { port: 2222 } }',
      ),
    );
    assert.equal(i.hosts.client?.ssh.port, 2222);
    assert.equal(i.hosts.client?.ssh.user, 'admin');
    assert.equal(i.hosts.web1?.ssh.port, 22);
  });

  test('a NAT real server may listen on another port than the service', async () => {
    const hosts = HOSTS.replace(
      'lb1: { address: 10.0.0.2, interfaces: { eth0: [10.0.0.2/24] } }',
      'lb1: { address: 10.0.0.2, interfaces: { eth0: [10.0.0.2/24], eth1: [172.16.0.1/24] } }',
    );
    const i = await load(
      inv({
        hosts,
        services: service('      - { address: 172.16.0.5, port: 8080 }\n', '\n    forwarding: nat'),
      }),
    );
    assert.deepEqual([i.services[0]?.real_servers[0]?.port, i.services[0]?.port], [8080, 80]);
  });
});

describe('every host reference exists', () => {
  test('directors.hosts: a known host passes, an unknown one fails', async () => {
    await load(inv());
    await refused(inv({ directors: 'directors:\n  hosts: [⟨lb9]\n' }), 'unknown host "lb9" (not in hosts)');
  });

  test('a director listed twice fails', async () => {
    await refused(inv({ directors: 'directors:\n  hosts: [lb1, ⟨lb1]\n' }), '"lb1" is listed twice');
  });

  test('real_servers[].host: unknown fails', async () => {
    await refused(
      inv({ services: service('      - { host: web1 }\n      - { host: ⟨web9 }\n') }),
      'unknown host "web9"',
    );
  });

  test('Object.prototype names are not hosts ("constructor", "toString")', async () => {
    await refused(inv({ directors: 'directors:\n  hosts: [⟨constructor]\n' }), 'unknown host "constructor"');
    await refused(inv({ services: service('      - { host: ⟨toString }\n') }), 'unknown host "toString"');
  });

  test('vrrp.priority keys: directors pass, another host fails at its key', async () => {
    await load(inv({ directors: PAIR }));
    await refused(
      inv({ directors: PAIR.replace('{ lb1: 200, lb2: 100 }', '{ lb1: 200, lb2: 100, ⟨web1: 50 }') }),
      '"web1" is not one of directors.hosts',
    );
  });

  test('verify.from: a host or "control" passes, an unknown name fails', async () => {
    await load(inv({ verify: 'verify:\n  from: client\n' }));
    await load(inv({ verify: 'verify:\n  from: control\n' }));
    await refused(inv({ verify: 'verify:\n  from: ⟨laptop\n' }), 'unknown host "laptop"');
  });

  test('ssh.jump: a host or user@addr:port passes, an unknown name fails (inventory and host level)', async () => {
    await load(inv({ ssh: 'ssh:\n  jump: client\n' }));
    await load(inv({ ssh: 'ssh:\n  jump: admin@192.0.2.1:2222\n' }));
    await refused(inv({ ssh: 'ssh:\n  jump: ⟨bastion\n' }), 'unknown jump host "bastion"');
    const hosts = HOSTS.replace(
      'client: { address: 10.0.0.50 }',
      'client: { address: 10.0.0.50, ssh: { jump: ⟨gw } }',
    );
    await refused(inv({ hosts }), 'unknown jump host "gw"');
  });
});

describe('a host is not both director and real server of one service', () => {
  test('by host name', async () => {
    await refused(
      inv({ services: service('      - { host: web1 }\n      - { host: ⟨lb1 }\n') }),
      '"lb1" is a director',
    );
  });

  test('by address', async () => {
    await refused(
      inv({ services: service('      - { host: web1 }\n      - { address: ⟨10.0.0.2 }\n') }),
      'is director "lb1"\'s address',
    );
  });
});

describe('DR and TUN real servers listen on the service port', () => {
  test('DR: the same port passes, another fails at the port', async () => {
    await load(inv({ services: service('      - { host: web1, port: 80 }\n') }));
    await refused(
      inv({ services: service('      - { host: web1, port: ⟨8080 }\n') }),
      'DR real servers listen on the service port (80)',
    );
  });

  test('TUN: another port fails; a real server may override the forwarding', async () => {
    await refused(
      inv({ services: service('      - { host: web1, port: ⟨8080 }\n', '\n    forwarding: tun') }),
      'TUN real servers listen on the service port',
    );
    await refused(
      inv({
        services: service('      - { host: web1, forwarding: tun, port: ⟨81 }\n', '\n    forwarding: nat'),
      }),
      'TUN real servers',
    );
  });
});

describe('NAT real servers have a route back through a director', () => {
  const natService = (rs: string) => service(rs, '\n    forwarding: nat');

  test('a director with a DIP on the real server subnet passes', async () => {
    await load(inv({ services: natService('      - { host: web1 }\n') }));
  });

  test('nat_gateway passes for a real server on its subnet', async () => {
    const directors = `${PAIR}  nat_gateway: { address: 172.16.0.254/24, interface: eth0 }\n`;
    await load(inv({ directors, services: natService('      - { address: 172.16.0.5 }\n') }));
  });

  test('no DIP and no gateway on the subnet fails at the real server', async () => {
    await refused(
      inv({ services: natService('      - ⟨{ address: 172.16.0.5 }\n') }),
      'NAT real server 172.16.0.5 has no route back',
    );
  });

  test('a nat_gateway on another subnet fails too', async () => {
    const directors = `${PAIR}  nat_gateway: { address: 192.168.20.254/24, interface: eth0 }\n`;
    await refused(inv({ directors, services: natService('      - ⟨{ host: web1 }\n') }), 'has no route back');
  });
});

describe("a VIP is not any host's own address", () => {
  test('a free VIP passes; a host address or an interface address fails', async () => {
    await load(inv());
    await refused(
      inv({ services: service('      - { host: web1 }\n', '', 'vip: ⟨10.0.0.50\n    port: 80') }),
      'VIP 10.0.0.50 is host "client"\'s own address',
    );
    const hosts = HOSTS.replace('eth0: [10.0.0.11/24]', 'eth0: [10.0.0.11/24, 10.0.0.100/24]');
    await refused(
      inv({ hosts, services: service('      - { host: web2 }\n', '', 'vip: ⟨10.0.0.100\n    port: 80') }),
      'host "web1"\'s own address',
    );
  });

  test('IPv6 spellings compare as addresses', async () => {
    const hosts = `hosts:\n  lb1: { address: "2001:db8::2" }\n  web1: { address: "2001:db8::11" }\n`;
    const services = service('      - { host: web1 }\n', '', 'vip: ⟨"2001:DB8:0::11"\n    port: 80');
    await refused(inv({ hosts, services }), 'is host "web1"\'s own address');
  });
});

describe('no two services share vip + protocol + port, or fwmark', () => {
  const two = (a: string, b: string) => `services:
  - { name: a, ${a}, real_servers: [ { host: web1 } ] }
  - ⟨{ name: b, ${b}, real_servers: [ { host: web2 } ] }
`;
  test('same VIP and port over another protocol passes; same protocol fails', async () => {
    await load(
      inv({
        services: two(
          'vip: 10.0.0.100, port: 53, protocol: tcp',
          'vip: 10.0.0.100, port: 53, protocol: udp',
        ).replace('⟨', ''),
      }),
    );
    await refused(
      inv({ services: two('vip: 10.0.0.100, port: 53', 'vip: 10.0.0.100, port: 53, protocol: tcp') }),
      'already used by services[0] (a)',
    );
  });

  test('the same VIP written two ways fails', async () => {
    const hosts = `hosts:\n  lb1: { address: "2001:db8::2" }\n  web1: { address: "2001:db8::11" }\n  web2: { address: "2001:db8::12" }\n`;
    await refused(
      inv({ hosts, services: two('vip: "2001:db8::100", port: 80', 'vip: "2001:db8:0:0::100", port: 80') }),
      'already used',
    );
  });

  test('two fwmarks pass; the same fwmark fails', async () => {
    await load(
      inv({ services: two('vip: 10.0.0.100, fwmark: 1', 'vip: 10.0.0.101, fwmark: 2').replace('⟨', '') }),
    );
    await refused(
      inv({ services: two('vip: 10.0.0.100, fwmark: 1', 'vip: 10.0.0.101, fwmark: 1') }),
      'fwmark 1 is already used',
    );
  });
});

describe('vrrp is present exactly when manager: keepalived; priorities are distinct', () => {
  test('keepalived with vrrp passes', async () => {
    const i = await load(inv({ directors: PAIR }));
    assert.equal(i.directors.vrrp?.virtual_router_id, 51);
  });

  test('keepalived without vrrp fails', async () => {
    await refused(
      inv({ directors: 'directors:\n  ⟨hosts: [lb1, lb2]\n  manager: keepalived\n' }),
      'manager: keepalived needs a vrrp section',
    );
  });

  test('vrrp without keepalived fails at vrrp', async () => {
    const directors =
      'directors:\n  hosts: [lb1]\n  manager: ipvsadm\n  vrrp:\n    ⟨interface: eth0\n    virtual_router_id: 5\n    priority: { lb1: 100 }\n';
    await refused(inv({ directors }), 'vrrp is only used with manager: keepalived');
  });

  test('equal priorities fail at the second', async () => {
    await refused(
      inv({ directors: PAIR.replace('{ lb1: 200, lb2: 100 }', '{ lb1: 200, lb2: ⟨200 }') }),
      'priorities must be distinct',
    );
  });

  test('a director without a priority fails', async () => {
    await refused(
      inv({ directors: PAIR.replace('priority: { lb1: 200, lb2: 100 }', 'priority: ⟨{ lb1: 200 }') }),
      'no priority for director "lb2"',
    );
  });
});

describe('vrrp.smtp_server is HOST or HOST:PORT (added rule)', () => {
  const smtp = (value: string) =>
    inv({ directors: `${PAIR}    smtp_alert: true\n    smtp_server: ${value}\n` });

  test('an address, a host name, an IPv6 address, each with or without a port, pass as written', async () => {
    for (const value of [
      '127.0.0.1:2525',
      '192.0.2.25',
      'mail.example.org:587',
      '"[2001:db8::25]:2525"',
      '2001:db8::25',
    ]) {
      const i = await load(smtp(value));
      assert.equal(i.directors.vrrp?.smtp_server, value.replaceAll('"', ''));
    }
  });

  test('a port out of range fails at the value', async () => {
    await refused(smtp('⟨127.0.0.1:99999'), 'port 99999 is not in 1..65535');
  });

  test("keepalived's own spelling (HOST PORT) fails with the HOST:PORT hint", async () => {
    await refused(smtp('⟨"127.0.0.1 2525"'), 'a port is written HOST:PORT here');
  });

  test('an IPv4 address in brackets, or a port that is not a number, fails', async () => {
    await refused(smtp('⟨"[10.0.0.1]:25"'), 'not an address or host name with an optional :PORT');
    await refused(smtp('⟨127.0.0.1:smtp'), 'not an address or host name with an optional :PORT');
  });
});

describe('manager: ipvsadm has exactly one director (added rule)', () => {
  test('one director passes; two fail at manager', async () => {
    await load(inv());
    await refused(
      inv({ directors: 'directors:\n  hosts: [lb1, lb2]\n  manager: ⟨ipvsadm\n' }),
      'use manager: keepalived',
    );
  });

  test('the default manager counts too (pointing at directors)', async () => {
    await refused(
      inv({ directors: 'directors:\n  ⟨hosts: [lb1, lb2]\n' }),
      'manager: ipvsadm loads static rules on all 2 directors',
    );
  });
});

describe('weights are integers ≥ 0; 0 means drained', () => {
  test('weight 0 passes and stays 0', async () => {
    const i = await load(
      inv({
        services: service('      - { host: web1, weight: 0 }\n      - { host: web2, weight: 65535 }\n'),
      }),
    );
    assert.deepEqual(
      i.services[0]?.real_servers.map((r) => r.weight),
      [0, 65535],
    );
  });

  test('a negative weight fails', async () => {
    await refused(
      inv({ services: service('      - { host: web1, weight: ⟨-1 }\n') }),
      '-1 is too small (expected ≥ 0)',
    );
  });

  test('a fractional weight fails', async () => {
    await refused(
      inv({ services: service('      - { host: web1, weight: ⟨2.5 }\n') }),
      'expected an integer, got 2.5',
    );
  });
});

describe('YAML 1.2 traps get a hint', () => {
  test('become: true passes; yes/no/on are strings, with a hint', async () => {
    await load(inv({ ssh: 'ssh:\n  become: true\n' }));
    await refused(
      inv({ ssh: 'ssh:\n  become: ⟨yes\n' }),
      'YAML 1.2 reads yes/no/on/off as strings: write true or false',
    );
    await refused(
      inv({ directors: PAIR.replace('priority:', 'unicast: ⟨no\n    priority:') }),
      'write true or false',
    );
  });

  test('a quoted boolean gets "remove the quotes"', async () => {
    await refused(inv({ ssh: 'ssh:\n  become: ⟨"false"\n' }), 'remove the quotes');
  });

  test('0644 is decimal 644: a hint at the number, even though 644 is a valid port', async () => {
    await load(inv({ ssh: 'ssh:\n  port: 644\n' }));
    assert.equal((await load(inv({ ssh: 'ssh:\n  port: 0o1204\n' }))).ssh.port, 644, 'YAML 1.2 octal is 0o');
    const lines = await refused(
      inv({ ssh: 'ssh:\n  port: ⟨0644\n' }),
      'ssh.port: 0644: YAML 1.2 reads a leading zero as decimal 644, not octal',
    );
    assert.equal(lines.length, 1);
  });
});

describe('secrets are read at start-up and never printed', () => {
  const withPass = (ref: string) =>
    inv({
      directors: PAIR.replace(
        'priority: { lb1: 200, lb2: 100 }',
        `priority: { lb1: 200, lb2: 100 }\n    auth_pass: ${ref}`,
      ),
    });

  test('a set environment variable passes and stays masked', async () => {
    process.env.LVS_RULES_TEST_PASS = 'abc123';
    const i = await load(withPass('{ env: LVS_RULES_TEST_PASS }'));
    assert.equal(i.directors.vrrp?.auth_pass?.reveal(), 'abc123');
    assert.ok(!JSON.stringify(i).includes('abc123'));
  });

  test('a missing environment variable fails', async () => {
    delete process.env.LVS_RULES_TEST_UNSET;
    await refused(
      withPass('⟨{ env: LVS_RULES_TEST_UNSET }'),
      'environment variable LVS_RULES_TEST_UNSET is not set',
    );
  });

  test('a secret file passes; a missing one fails', async () => {
    writeFileSync(join(dir, 'vrrp.pass'), 'k33p\n');
    const i = await load(withPass('{ file: ./vrrp.pass }'));
    assert.equal(i.directors.vrrp?.auth_pass?.reveal(), 'k33p');
    await refused(withPass('⟨{ file: ./missing.pass }'), 'cannot read secret file');
  });

  test('8 characters pass; 9 fail without printing the value', async () => {
    process.env.LVS_RULES_TEST_PASS = '12345678';
    await load(withPass('{ env: LVS_RULES_TEST_PASS }'));
    const canary = 'CANARY-rules-987654321';
    process.env.LVS_RULES_TEST_PASS = canary;
    const lines = await refused(withPass('⟨{ env: LVS_RULES_TEST_PASS }'), 'longer than 8 characters');
    assert.ok(!lines.join('\n').includes(canary.slice(0, 8)));
  });

  test('a password written inline is refused and not echoed', async () => {
    const lines = await refused(withPass('⟨CANARY-inline-pass'), 'a secret is not written in the inventory');
    assert.ok(!lines.join('\n').includes('CANARY'));
  });
});

describe('two hosts do not share an address (added rule)', () => {
  test("a host repeating its own address in interfaces passes; another host's fails", async () => {
    await load(inv());
    await refused(
      inv({ hosts: HOSTS.replace('client: { address: 10.0.0.50 }', 'client: { address: ⟨10.0.0.12 }') }),
      'address 10.0.0.12 is also host "web2"\'s',
    );
  });

  test('an interface address of another host fails at the interface', async () => {
    await refused(
      inv({
        hosts: HOSTS.replace(
          'client: { address: 10.0.0.50 }',
          'client: { address: 10.0.0.50, interfaces: { eth0: [⟨10.0.0.3/24] } }',
        ),
      }),
      'also host "lb2"\'s',
    );
  });
});

describe('verify.probes name known services', () => {
  test('a known service passes; an unknown one fails at service', async () => {
    await load(
      inv({
        verify: 'verify:\n  from: client\n  probes:\n    - { service: http, url: "http://10.0.0.100/" }\n',
      }),
    );
    await refused(
      inv({ verify: 'verify:\n  probes:\n    - { service: ⟨https, tcp: true }\n' }),
      'unknown service "https"',
    );
  });
});

describe("a real server given by host and address: the address is the host's (added rule)", () => {
  test("one of the host's interface addresses passes and is used", async () => {
    const hosts = HOSTS.replace('eth0: [10.0.0.11/24]', 'eth0: [10.0.0.11/24], eth1: [10.0.1.11/24]');
    const i = await load(inv({ hosts, services: service('      - { host: web1, address: 10.0.1.11 }\n') }));
    assert.equal(i.services[0]?.real_servers[0]?.address, '10.0.1.11');
  });

  test('another address fails at address', async () => {
    await refused(
      inv({ services: service('      - { host: web1, address: ⟨10.0.0.12 }\n') }),
      '10.0.0.12 is not one of host "web1"\'s addresses',
    );
  });

  test('a real server by address only passes', async () => {
    const i = await load(inv({ services: service('      - { address: 10.0.0.77 }\n') }));
    assert.deepEqual(
      [i.services[0]?.real_servers[0]?.host, i.services[0]?.real_servers[0]?.address],
      [undefined, '10.0.0.77'],
    );
  });

  test('the same real server twice in one service fails (added rule)', async () => {
    await refused(
      inv({ services: service('      - { host: web1 }\n      - ⟨{ address: 10.0.0.11 }\n') }),
      'is already real_servers[0]',
    );
  });
});

describe('schema errors come before cross-field rules', () => {
  test('with a schema error, only schema problems are listed (rules need a well-typed inventory)', async () => {
    const lines = await refused(
      inv({ directors: 'directors:\n  hosts: [lb9]\n  manager: ⟨static\n' }),
      '"static" is not allowed',
    );
    assert.equal(lines.length, 1, lines.join('\n'));
  });

  test('every schema error of a file is listed, in file order', async () => {
    const text = inv({
      ssh: 'ssh:\n  port: 0\n  user: "bad user"\n',
      services: service('      - { host: web1, weight: -2, colour: red }\n', '\n    scheduler: fastest'),
    });
    const lines = await problems(text);
    assert.deepEqual(
      lines.map((l) => l.split(': ')[1]),
      [
        'ssh.port',
        'ssh.user',
        'services[0].scheduler',
        'services[0].real_servers[0].weight',
        'services[0].real_servers[0].colour',
      ],
    );
  });
});

describe('valid edge inventories (test/fixtures/good) and the example inventories validate', () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const good = (name: string) => loadInventory(join(root, 'test/fixtures/good', name));

  test('every file in test/fixtures/good and inventories/ loads', async () => {
    process.env.LVS_VRRP_PASS = 'pass1234';
    for (const d of ['test/fixtures/good', 'inventories']) {
      const files = readdirSync(join(root, d)).filter((f) => f.endsWith('.yaml'));
      assert.ok(files.length > 0, d);
      for (const f of files) await loadInventory(join(root, d, f));
    }
  });

  test('IPv6 VIP with DR', async () => {
    const s = (await good('ipv6-vip-dr.yaml')).services[0];
    assert.deepEqual([s?.family, s?.forwarding, s?.real_servers.map((r) => r.port)], [6, 'dr', [80, 80]]);
  });

  test('fwmark service: no port or protocol', async () => {
    const s = (await good('fwmark-service.yaml')).services[0];
    assert.deepEqual([s?.fwmark, s?.port, s?.protocol], [1, undefined, undefined]);
  });

  test('UDP with one-packet scheduling', async () => {
    const s = (await good('udp-ops.yaml')).services[0];
    assert.deepEqual([s?.protocol, s?.ops], ['udp', true]);
  });

  test('sh scheduler with sh-port', async () => {
    const s = (await good('sh-port-scheduler.yaml')).services[0];
    assert.deepEqual([s?.scheduler, s?.flags], ['sh', ['sh-port', 'sh-fallback']]);
  });

  test('a drained real server keeps weight 0', async () => {
    const s = (await good('drained-weight-zero.yaml')).services[0];
    assert.deepEqual(
      s?.real_servers.map((r) => r.weight),
      [5, 0],
    );
  });

  test('real servers by address only', async () => {
    const s = (await good('real-server-by-address.yaml')).services[0];
    assert.deepEqual(
      s?.real_servers.map((r) => [r.host, r.address, r.port, r.weight]),
      [
        [undefined, '172.20.0.5', 8080, 3],
        [undefined, '172.20.0.6', 8080, 1],
      ],
    );
  });
});

describe('manager: ldirectord (added rules: what its grammar cannot say)', () => {
  const LDIR = 'directors:\n  hosts: [lb1]\n  manager: ldirectord\n';
  const RS = '      - { host: web1 }\n      - { host: web2 }\n';
  const V6_RS = '      - { address: "2001:db8::11" }\n';
  const V6_HEAD = 'vip: 2001:db8::100\n    protocol: tcp\n    port: 80';
  const FWMARK_HEAD = 'vip: 10.0.0.100\n    fwmark: 7';
  const ldir = (extra: string, rs = RS, head?: string) =>
    inv({ directors: LDIR, services: service(rs, extra, head) });

  test('one director with a health check passes; ipvsadm with a check fails at check', async () => {
    const i = await load(ldir('\n    check: { type: http, path: /health }'));
    assert.equal(i.directors.manager, 'ldirectord');
    assert.equal(i.services[0]?.check?.type, 'http');
    await refused(
      inv({ services: service(RS, '\n    check: ⟨{ type: tcp }') }),
      'health checks need directors.manager: keepalived or ldirectord',
    );
  });

  test('two directors fail at manager (ldirectord does not move VIPs)', async () => {
    await refused(
      inv({ directors: 'directors:\n  hosts: [lb1, lb2]\n  manager: ⟨ldirectord\n' }),
      'manager: ldirectord would run on all 2 directors',
    );
  });

  test('vrrp stays keepalived-only', async () => {
    await refused(
      inv({
        directors: `${LDIR}  vrrp:\n    ⟨interface: eth0\n    virtual_router_id: 5\n    priority: { lb1: 100 }\n`,
      }),
      'vrrp is only used with manager: keepalived',
    );
  });

  test('UDP passes; SCTP fails at protocol', async () => {
    await load(ldir('', RS, 'vip: 10.0.0.100\n    protocol: udp\n    port: 53'));
    await refused(
      ldir('', RS, 'vip: 10.0.0.100\n    protocol: ⟨sctp\n    port: 80'),
      'ldirectord manages tcp, udp and fwmark services only',
    );
  });

  test('a fwmark service: an http check passes, a tcp check of real servers without a port fails at type', async () => {
    await load(ldir('\n    check: { type: http }', RS, FWMARK_HEAD));
    await refused(
      ldir('\n    check: { type: ⟨tcp }', RS, FWMARK_HEAD),
      'ldirectord has no port to connect to',
    );
  });

  test('an http check expecting any 2xx passes; expecting 301 fails at status_code', async () => {
    await load(ldir('\n    check: { type: https, status_code: 204 }'));
    await refused(
      ldir('\n    check: { type: http, status_code: ⟨301 }'),
      "ldirectord's http check passes on any 2xx answer and cannot expect 301",
    );
  });

  test('IPv6: a tcp check passes, an http check fails at type (no Net::INET6Glue)', async () => {
    await load(ldir('\n    check: { type: tcp }', V6_RS, V6_HEAD));
    await refused(ldir('\n    check: { type: ⟨http }', V6_RS, V6_HEAD), "needs perl's Net::INET6Glue");
  });

  test('a misc check becomes an external check: one path passes, a path with arguments fails at misc_path', async () => {
    await load(ldir('\n    check: { type: misc, misc_path: /usr/local/bin/check-web }'));
    await refused(
      ldir('\n    check: { type: misc, misc_path: ⟨"/usr/local/bin/check web" }'),
      'ldirectord runs the check command without a shell',
    );
  });

  test('a TUN real server of the other IP family passes under ipvsadm and fails under ldirectord', async () => {
    const mixed = (marker: string) => `      - ${marker}{ address: "2001:db8::11", forwarding: tun }\n`;
    await load(inv({ services: service(mixed('')) }));
    await refused(ldir('', mixed('⟨')), 'ldirectord cannot mix IPv4 and IPv6 in one virtual service');
  });
});

describe('a DR VIP sits on the directors subnet', () => {
  test('a VIP in the directors /24 passes; one outside every director subnet fails at vip', async () => {
    await load(inv({ directors: PAIR }));
    await refused(
      inv({ directors: PAIR, services: HTTP.replace('vip: 10.0.0.100', 'vip: ⟨10.99.1.100') }),
      'DR VIP 10.99.1.100 is in no subnet of the directors (lb1: 10.0.0.2/24; lb2: 10.0.0.3/24)',
    );
  });
});
