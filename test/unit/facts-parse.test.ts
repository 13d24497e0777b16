// The facts parser on outputs captured from real lab hosts (test/fixtures/facts/*.txt).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseFacts } from '../../src/facts/parse.js';

const fixture = (name: string) =>
  parseFacts(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'facts', name), 'utf8'));

describe('facts parser (captured outputs)', () => {
  test('a fresh DR real server: Debian, no systemd, no IPVS, ARP sysctls at 0, nothing owned', () => {
    const f = fixture('dr-realserver-fresh.txt');
    assert.deepEqual(f.errors, []);
    assert.equal(f.os.family, 'debian');
    assert.equal(f.systemd, false);
    assert.equal(f.ipvsAvailable, false);
    assert.equal(f.sysctls['net.ipv4.conf.all.arp_ignore'], '0');
    assert.equal(f.state, null);
    assert.equal(f.files['/etc/sysctl.d/90-lvs-deploy.conf'], null);
    assert.ok(f.addresses.some((a) => a.dev === 'eth0' && a.cidr === '10.77.0.21/24'));
    assert.ok(!f.addresses.some((a) => a.cidr.startsWith('10.77.0.101')));
  });

  test('a converged DR real server: VIP on lo, sysctls, files with mode and owner, recorded state', () => {
    const f = fixture('dr-realserver-converged.txt');
    assert.deepEqual(f.errors, []);
    assert.ok(f.addresses.some((a) => a.dev === 'lo' && a.cidr === '10.77.0.101/32'));
    assert.equal(f.sysctls['net.ipv4.conf.all.arp_announce'], '2');
    const conf = f.files['/etc/sysctl.d/90-lvs-deploy.conf'];
    assert.equal(conf?.mode, '0644');
    assert.equal(conf?.owner, 'root');
    assert.match(conf?.content ?? '', /net\.ipv4\.conf\.all\.arp_ignore = 1/);
    assert.equal(f.files['/usr/local/sbin/lvs-deploy-net']?.mode, '0755');
    assert.equal(f.state?.inventory, 'lab-nat-dr');
    assert.equal(f.state?.sysctlOriginals['net.ipv4.conf.all.arp_ignore'], '0');
    assert.ok(f.links.find((l) => l.name === 'eth0')?.mac?.match(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/));
  });

  test('a converged NAT real server: default route through the director', () => {
    const f = fixture('nat-realserver-converged.txt');
    assert.deepEqual(
      f.routes.find((r) => r.dst === 'default'),
      { dst: 'default', via: '10.78.0.1', dev: 'eth0' },
    );
  });

  test('a director on a kernel without IPVS: no table to read, packages known', () => {
    const f = fixture('director-no-ipvs.txt');
    assert.equal(f.ipvsAvailable, false);
    assert.equal(f.ipvs, null);
    assert.equal(f.packages.ipvsadm, true);
    assert.equal(f.modules.ip_vs, false);
    assert.equal(f.sysctls['net.ipv4.vs.expire_nodest_conn'], null);
  });

  test('a truncated output is an error, not a guess', () => {
    const text = readFileSync(
      join(import.meta.dirname, '..', 'fixtures', 'facts', 'dr-realserver-fresh.txt'),
      'utf8',
    );
    assert.deepEqual(parseFacts(text.slice(0, text.indexOf('==>lvs:end'))).errors, [
      'facts output is incomplete (no end marker)',
    ]);
  });
});
