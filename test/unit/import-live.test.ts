// Live import without SSH: canned outputs of the import facts script (the shape
// src/import/live-script.ts prints) through a fake transport. The manager is what runs and is
// configured; real servers are read for their role; broken ones are linted like verify words it;
// an unreachable real server stays an `address:` entry; firewall rules naming the VIP are noted.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { SshTarget } from '../../src/connection/target.js';
import type { Transport } from '../../src/connection/transport.js';
import { buildInventory, type RealServerFacts } from '../../src/import/build.js';
import { DIRECTOR_ROLE_SYSCTLS, liveImport } from '../../src/import/live.js';
import { importScript, parseLiveFacts } from '../../src/import/live-script.js';

const KCONF = `global_defs {\n  router_id lb1\n}\nvrrp_instance VI_1 {\n  state MASTER\n  interface eth0\n  virtual_router_id 9\n  priority 150\n  virtual_ipaddress {\n    10.9.0.100/24 dev eth0\n  }\n}\nvirtual_server 10.9.0.100 80 {\n  lvs_sched rr\n  lvs_method DR\n  protocol TCP\n  real_server 10.9.0.21 80 {\n    weight 1\n  }\n  real_server 10.9.0.22 80 {\n    weight 1\n  }\n  real_server 10.9.0.23 80 {\n    weight 1\n  }\n}\n`;

function facts(o: {
  host: string;
  running?: string;
  ipvs?: string;
  addr: string;
  sysctl?: string;
  route?: string;
  firewall?: string;
  files?: Record<string, string>;
}): string {
  const files = Object.entries(o.files ?? {})
    .map(([p, t]) => `\n=== file ${p}\n${t}`)
    .join('');
  return `\n=== hostname\n${o.host}\n\n=== running\n${o.running ?? ''}\n\n=== ipvs\n${o.ipvs ?? ''}\n=== sysctl\n${o.sysctl ?? ''}\n\n=== addr\n${o.addr}\n\n=== route\n${o.route ?? ''}\n\n=== firewall\n${o.firewall ?? ''}${files}\n=== end\n`;
}

const HOSTS: Record<string, string> = {
  // Typed ipvsadm commands on a Debian host with the ldirectord package's sample ldirectord.cf.
  '10.9.0.40': facts({
    host: 'typed',
    ipvs: '-A -t 10.9.0.140:80 -s rr\n-a -t 10.9.0.140:80 -r 10.9.0.141:80 -m -w 1\n',
    addr: '2: eth0    inet 10.9.0.40/24 scope global eth0\\',
    files: { '/etc/ha.d/ldirectord.cf': '# Global Directives\nchecktimeout=10\n' },
  }),
  '10.9.0.10': facts({
    host: 'lb1',
    running: 'keepalived',
    sysctl:
      '/proc/sys/net/ipv4/ip_forward=1\n/proc/sys/net/ipv4/vs/conntrack=1\n/proc/sys/net/ipv4/vs/amemthresh=1024',
    addr: '2: eth0    inet 10.9.0.10/24 brd 10.9.0.255 scope global eth0\\\n2: eth0    inet 10.9.0.100/24 scope global secondary eth0\\',
    firewall: 'table inet filter {\n  chain input {\n    ip daddr 10.9.0.100 tcp dport 80 accept\n  }\n}',
    files: { '/etc/keepalived/keepalived.conf': KCONF },
  }),
  '10.9.0.21': facts({
    host: 'web1',
    addr: '1: lo    inet 10.9.0.100/32 scope global lo\\\n2: eth0    inet 10.9.0.21/24 scope global eth0\\',
    sysctl: '/proc/sys/net/ipv4/conf/all/arp_ignore=1\n/proc/sys/net/ipv4/conf/all/arp_announce=2',
  }),
  '10.9.0.22': facts({
    host: 'web2',
    addr: '1: lo    inet 10.9.0.100/32 scope global lo\\\n2: eth0    inet 10.9.0.22/24 scope global eth0\\',
  }),
};

function fakeConnect(t: SshTarget): Promise<Transport> {
  const out = HOSTS[t.address];
  if (out === undefined) return Promise.reject(new Error(`${t.address}: connection refused`));
  return Promise.resolve({
    host: t.host,
    stats: { connects: 1, execs: 0 },
    run: async (script: string) => {
      assert.equal(script, importScript(), 'one script, the same for every host');
      return { code: 0, stdout: out, stderr: '', durationMs: 1 };
    },
    close: async () => {},
  });
}

describe('import --director (fake transport)', () => {
  test('keepalived director, two real servers read, one unreachable; lints and notes', async () => {
    const r = await liveImport({
      directors: ['10.9.0.10'],
      realservers: [],
      ssh: { user: 'root', port: 22, knownHosts: '/dev/null', hostKeyPolicy: 'strict', become: false },
      connect: fakeConnect,
    });
    assert.equal(r.sources[0]?.imp.manager, 'keepalived');
    assert.deepEqual(
      r.sources[0]?.interfaces,
      { eth0: ['10.9.0.10/24'] },
      'the VIP is not the director own address',
    );
    assert.deepEqual(
      r.lints.map((l) => l.message.split(' — ')[0]),
      ['a DR/TUN real server answers ARP for the VIP (10.9.0.22: arp_ignore=0, arp_announce=0)'],
    );
    assert.ok(
      r.sources[0]?.imp.notes.some(
        (n) =>
          n.file === '10.9.0.10:firewall' && n.message.includes('ip daddr 10.9.0.100 tcp dport 80 accept'),
      ),
    );
    // conntrack is away from the kernel default, which `up` would leave: the inventory keeps it.
    // expire_nodest_conn is not in the facts (unknown), amemthresh is at its default.
    assert.deepEqual(r.sources[0]?.sysctls, { 'net.ipv4.vs.conntrack': '1' });
    assert.match(r.unreachable.get('10.9.0.23') ?? '', /connection refused/);
    const b = buildInventory(r.sources, { env: 'X' }, 't', r.realServers as Map<string, RealServerFacts>);
    assert.match(b.yaml, /^ {2}lb1: \{ address: "10\.9\.0\.10"/m);
    assert.match(
      b.yaml,
      /^ {2}lb1: \{ .*, sysctls: \{ net\.ipv4\.vs\.conntrack: 1 \} \} {2}# director, from .*; sysctls as live in \/proc\/sys/m,
    );
    assert.match(
      b.yaml,
      /^ {2}web1: \{ address: "10\.9\.0\.21", interfaces: \{ eth0: \["10\.9\.0\.21\/24"\] \} \}/m,
    );
    assert.match(
      b.yaml,
      /- \{ address: "10\.9\.0\.23", weight: 1 \} {2}# from 10\.9\.0\.10:\/etc\/keepalived\/keepalived\.conf:23; not reachable/,
    );
  });

  test('the sysctls import compares with are the ones the director role sets', () => {
    const role = readFileSync(new URL('../../roles/director.yaml', import.meta.url), 'utf8');
    for (const [k, v] of Object.entries(DIRECTOR_ROLE_SYSCTLS))
      assert.match(role, new RegExp(`\\{ key: ${k.replace(/\./g, '\\.')}, value: "${v}" \\}`), k);
  });

  test('no daemon runs: the live table is imported (ipvsadm), an idle ldirectord.cf is only a note', async () => {
    const r = await liveImport({
      directors: ['10.9.0.40'],
      realservers: [],
      ssh: { user: 'root', port: 22, knownHosts: '/dev/null', hostKeyPolicy: 'strict', become: false },
      connect: fakeConnect,
    });
    const imp = r.sources[0]?.imp;
    assert.equal(imp?.manager, 'ipvsadm');
    assert.equal(imp?.services[0]?.vip, '10.9.0.140');
    assert.ok(
      imp?.notes.some(
        (n) =>
          n.file === '10.9.0.40:/etc/ha.d/ldirectord.cf' &&
          /configured but its daemon is not running; imported the live IPVS table/.test(n.message),
      ),
      JSON.stringify(imp?.notes),
    );
  });

  test('a real server is read as soon as one director names it, not after the slowest director', async () => {
    const slow = (t: SshTarget) =>
      t.address === '10.9.0.10'
        ? new Promise<Transport>((res) => setTimeout(() => res(fakeConnect(t)), 400))
        : fakeConnect(t);
    const r = await liveImport({
      directors: ['10.9.0.10', '10.9.0.40'],
      realservers: [],
      ssh: { user: 'root', port: 22, knownHosts: '/dev/null', hostKeyPolicy: 'strict', become: false },
      connect: slow,
    });
    const t = (a: string) => r.timings.find((x) => x.address === a);
    assert.equal(t('10.9.0.10')?.role, 'director');
    assert.ok((t('10.9.0.10')?.connect ?? 0) >= 350, JSON.stringify(r.timings));
    // 10.9.0.141 is in the fast director's table only.
    assert.equal(t('10.9.0.141')?.role, 'realserver');
    assert.ok((t('10.9.0.141')?.start ?? 1000) < 300, JSON.stringify(r.timings));
    assert.ok(r.unreachable.has('10.9.0.141'));
    assert.deepEqual(
      [...r.realServers.keys()],
      ['10.9.0.21', '10.9.0.22', '10.9.0.23', '10.9.0.141'],
      'the table order, whichever read finished first',
    );
  });

  test('the sysctls come whole, as grep -H prints them (FILE:VALUE), multi-digit values included', () => {
    const f = parseLiveFacts(
      '\n=== sysctl\n/proc/sys/net/ipv4/vs/amemthresh:1024\n/proc/sys/net/ipv4/vs/sync_threshold:3\t50\n/proc/sys/net/ipv4/ip_forward:1\n=== end\n',
    );
    assert.deepEqual(f.sysctls, {
      'net.ipv4.vs.amemthresh': '1024',
      'net.ipv4.vs.sync_threshold': '3\t50',
      'net.ipv4.ip_forward': '1',
    });
    assert.match(importScript(), /grep -s -H '' \/proc\/sys\/net\/ipv4\/ip_forward /);
  });

  test('the facts script is read-only sh that parses on this machine', () => {
    const out = execFileSync('sh', ['-s'], { input: importScript(), encoding: 'utf8' });
    const f = parseLiveFacts(out);
    assert.ok(f.hostname !== '');
    assert.ok('net.ipv4.ip_forward' in f.sysctls);
    assert.doesNotMatch(
      importScript(),
      /(^|[;&|]\s*)(rm|mv|cp|tee|sysctl -w|ip (addr|link|route) (add|del|set)|systemctl|kill)\b/m,
    );
  });

  test('the facts script finds a running keepalived without starting a program per process or sysctl', () => {
    // Under emulation every program start costs 50–300 ms: a `cat` per /proc entry made one
    // host's import take 20–40 s in the VM lab. A `cat` on PATH counts how often it is started.
    const dir = mkdtempSync(join(tmpdir(), 'lvs-import-script-'));
    const log = join(dir, 'cat.log');
    writeFileSync(join(dir, 'cat'), `#!/bin/sh\necho x >> ${log}\nexec /bin/cat "$@"\n`, { mode: 0o755 });
    copyFileSync('/bin/sleep', join(dir, 'keepalived'));
    const daemon = spawn(join(dir, 'keepalived'), ['30'], { stdio: 'ignore' });
    try {
      // The script sets its own PATH: the counting `cat` goes first in it.
      const script = importScript().replace(/\bPATH=/, `PATH=${dir}:`);
      assert.notEqual(script, importScript());
      const out = execFileSync('sh', ['-s'], { input: script, encoding: 'utf8' });
      const f = parseLiveFacts(out);
      assert.deepEqual(f.running, ['keepalived']);
      assert.match(f.sysctls['net.ipv4.ip_forward'] ?? '', /^[01]$/);
      assert.equal(f.hostname, readFileSync('/proc/sys/kernel/hostname', 'utf8').trim());
      const processes = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).length;
      const cats = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).length : 0;
      assert.ok(processes > 20, `${processes} processes: too few to tell`);
      assert.ok(cats <= 5, `${cats} cat starts for ${processes} processes`);
    } finally {
      daemon.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
