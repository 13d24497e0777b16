// How the importers read their files: keepalived.conf's comments, braces and includes as
// keepalived 2.2.7 reads them (checked against keepalived's own `-d` dump when root), ldirectord.cf,
// `ipvsadm -S -n`, and malformed input as one FILE:LINE line with exit code 2.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { InventoryError } from '../../src/errors.js';
import { importIpvsadm } from '../../src/import/ipvsadm.js';
import { importKeepalived } from '../../src/import/keepalived.js';
import type { ConfigSource } from '../../src/import/keepalived-syntax.js';
import { importLdirectord } from '../../src/import/ldirectord.js';

function files(map: Record<string, string>): ConfigSource {
  return {
    read: (p) => map[p],
    glob: (pattern) => {
      const re = new RegExp(`^${pattern.replace(/[.]/g, '\\.').replace(/\*/g, '[^/]*')}$`);
      return Object.keys(map)
        .filter((k) => re.test(k))
        .sort();
    },
  };
}

const VRRP_ONE_LINERS = `global_defs { router_id X }
vrrp_instance VI_1 {
  state BACKUP ! a comment
  interface eth0
  virtual_router_id 51
  priority 100 # 150 is commented out
  virtual_ipaddress { 10.0.0.7 }
  authentication {
    auth_type PASS
    auth_pass sec }
  advert_int 3
  virtual_ipaddress_excluded {
    10.0.0.8
  } priority 120
  notify_master "/bin/echo a#b ! c"
}
`;

function badInput(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof InventoryError, String(err));
    assert.equal(err.exitCode, 2);
    assert.equal(err.lines().length, 1);
    return err.lines()[0] ?? '';
  }
  return assert.fail('expected bad input');
}

describe('keepalived.conf as keepalived reads it', () => {
  test('comments anywhere, quotes protect them; braces end statements; `} priority 120` is read', () => {
    const imp = importKeepalived('k.conf', files({ 'k.conf': VRRP_ONE_LINERS }));
    const v = imp.vrrp[0];
    assert.ok(v);
    assert.equal(v.state, 'BACKUP');
    assert.equal(v.priority, 120);
    assert.equal(v.advert_int, 3);
    assert.deepEqual(v.vips, [{ address: '10.0.0.7' }]);
    assert.equal(v.auth_pass, 'sec');
    assert.equal(v.notify_master, '/bin/echo a#b ! c');
    assert.equal(imp.globals.router_id, 'X');
    assert.ok(imp.notes.some((n) => n.line === 12 && n.message.includes('virtual_ipaddress_excluded')));
  });

  test('a one-line authentication block is one statement: auth_pass is never read, and the note says so', () => {
    const text = VRRP_ONE_LINERS.replace(
      /authentication \{\n.*\n.*sec \}/,
      'authentication { auth_type PASS auth_pass x }',
    );
    const imp = importKeepalived('k.conf', files({ 'k.conf': text }));
    assert.equal(imp.vrrp[0]?.auth_pass, undefined);
    assert.ok(imp.notes.some((n) => n.line === 8 && n.message.includes('keepalived ignores `auth_pass x`')));
  });

  test('include GLOB reads the matches in order, relative to the including file', () => {
    const imp = importKeepalived(
      '/etc/keepalived/keepalived.conf',
      files({
        '/etc/keepalived/keepalived.conf': 'include conf.d/*.conf\n',
        '/etc/keepalived/conf.d/b.conf':
          'virtual_server 10.0.0.1 443 {\n protocol TCP\n real_server 10.0.0.5 443 {\n }\n}\n',
        '/etc/keepalived/conf.d/a.conf':
          'virtual_server 10.0.0.1 80 {\n protocol TCP\n real_server 10.0.0.5 80 {\n }\n}\n',
      }),
    );
    assert.deepEqual(
      imp.services.map((s) => `${s.port} ${s.at.file}:${s.at.line}`),
      ['80 /etc/keepalived/conf.d/a.conf:1', '443 /etc/keepalived/conf.d/b.conf:1'],
    );
  });

  test('malformed: an unclosed block, a stray brace, a word for a number — one line FILE:LINE, exit 2', () => {
    assert.equal(
      badInput(() =>
        importKeepalived('k.conf', files({ 'k.conf': 'vrrp_instance VI_1 {\n  state MASTER\n' })),
      ),
      'k.conf:1:1: block opened here is never closed with `}`',
    );
    assert.equal(
      badInput(() => importKeepalived('k.conf', files({ 'k.conf': 'global_defs {\n}\n}\n' }))),
      'k.conf:3:1: `}` without a block to close',
    );
    assert.match(
      badInput(() =>
        importKeepalived(
          'k.conf',
          files({
            'k.conf': 'include x.conf\n',
            'x.conf': 'vrrp_instance V {\n interface eth0\n virtual_router_id fifty\n}\n',
          }),
        ),
      ),
      /^x\.conf:3:1: virtual_router_id: expected a number, got "fifty"$/,
    );
  });
});

describe('keepalived -d agrees with the parser', {
  skip: process.getuid?.() !== 0 ? 'needs root (ip netns)' : false,
}, () => {
  test('priority, advert_int, VIPs and auth_pass as keepalived dumps them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lvs-import-kd-'));
    const ns = `lvs-kd-${process.pid}`;
    const ip = (...a: string[]) => spawnSync('ip', a, { encoding: 'utf8' });
    try {
      ip('netns', 'add', ns);
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      if (ip('-n', ns, 'link', 'add', 'eth0', 'type', 'dummy').status !== 0)
        ip('-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'kdpeer');
      ip('-n', ns, 'addr', 'add', '10.0.0.2/24', 'dev', 'eth0');
      const conf = join(dir, 'k.conf');
      writeFileSync(conf, VRRP_ONE_LINERS);
      const pids = ['-p', 'k', '-c', 'c', '-r', 'v'].map((x) => (x.length === 1 ? join(dir, `${x}.pid`) : x));
      const r = spawnSync(
        'timeout',
        ['3', 'ip', 'netns', 'exec', ns, 'keepalived', '-n', '-l', '-D', '-d', '--vrrp', '-f', conf, ...pids],
        { encoding: 'utf8' },
      );
      const dump = `${r.stdout}${r.stderr}`;
      const mine = importKeepalived(conf, files({ [conf]: VRRP_ONE_LINERS })).vrrp[0];
      assert.ok(mine);
      assert.match(dump, new RegExp(`Priority = ${mine.priority}\\b`));
      assert.match(dump, new RegExp(`Advert interval = ${mine.advert_int} sec`));
      assert.match(dump, new RegExp(`Password = ${mine.auth_pass}\\b`));
      assert.match(dump, /Virtual IP \(1\):\s*\n.*10\.0\.0\.7 dev eth0/);
      assert.match(dump, /Master state transition script = '\S*echo' 'a#b' '!' 'c'/);
    } finally {
      ip('netns', 'del', ns);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ldirectord.cf and ipvsadm -S -n', () => {
  test('ldirectord.cf: a virtual section with its checks in the inventory words', () => {
    const text = `checktimeout = 4\ncheckinterval = 5\nquiescent = yes\nemailalert = "root@example.org"\n\nvirtual = 10.0.0.1:80\n\treal = 10.0.0.5:80 gate 2\n\treal = 10.0.0.6:80 gate\n\tservice = http\n\trequest = "/ok"\n\treceive = "OK"\n\tchecktype = negotiate\n\tscheduler = wlc\n\tfailurecount = 3\n`;
    const imp = importLdirectord('l.cf', text);
    const s = imp.services[0];
    assert.ok(s);
    assert.deepEqual(
      s.real_servers.map((r) => [r.address, r.port, r.weight, r.forwarding]),
      [
        ['10.0.0.5', 80, 2, 'dr'],
        ['10.0.0.6', 80, 1, 'dr'],
      ],
    );
    assert.equal(s.check?.type, 'http');
    assert.equal(s.check?.path, '/ok');
    assert.equal(s.check?.retry, 2);
    assert.equal(s.check?.connect_timeout, 4);
    assert.deepEqual(
      imp.notes.map((n) => `${n.line}: ${n.message.split(':')[0]}`),
      ['4: `emailalert = "root@example.org"`', '11: `receive = "OK"`'],
    );
    assert.equal(
      badInput(() => importLdirectord('l.cf', 'virtual 10.0.0.1:80\n')),
      'l.cf:1:1: expected `key = value`, got "virtual 10.0.0.1:80"',
    );
  });

  test('ipvsadm -S -n: --pe sip becomes persistence.engine: sip, with no note', () => {
    const imp = importIpvsadm(
      't',
      '-A -u 10.0.0.1:5060 -s rr -p 60 -o --pe sip\n-a -u 10.0.0.1:5060 -r 10.0.0.5:5060 -g -w 1\n',
    );
    assert.deepEqual(imp.services[0]?.persistence, { timeout: 60, engine: 'sip' });
    assert.equal(imp.services[0]?.ops, true);
    assert.deepEqual(imp.notes, []);
  });

  test('ipvsadm -S -n: the table; a line that is no rule is bad input', () => {
    const imp = importIpvsadm(
      't',
      '-A -t 10.0.0.1:80 -s wrr -p 60\n-a -t 10.0.0.1:80 -r 192.168.1.5:8080 -m -w 3\n',
    );
    assert.deepEqual(
      imp.services.map((s) => [
        s.vip,
        s.port,
        s.scheduler,
        s.persistence?.timeout,
        s.real_servers[0]?.port,
        s.real_servers[0]?.forwarding,
      ]),
      [['10.0.0.1', 80, 'wrr', 60, 8080, 'nat']],
    );
    assert.equal(
      badInput(() => importIpvsadm('t', '-A -t 10.0.0.1:80 -s rr\n-X nonsense\n')),
      't:2:1: not an ipvsadm -A/-a rule: "-X nonsense"',
    );
  });
});
