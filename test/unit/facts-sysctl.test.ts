// The facts script's sysctl reads on this machine's kernel: an integer sysctl answers no read past
// offset 0 and dash's `read` takes a byte at a time, so a multi-digit value must come whole
// (somaxconn 4096 once read as "4": `plan` would never be empty for dr-tunables' 4096).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { factsScript, sysctlPath } from '../../src/facts/script.js';
import { EMPTY_QUERY } from '../helpers/facts.js';

test('the facts script reads multi-digit and switch sysctls whole, as cat does', () => {
  const keys = [
    'net.core.somaxconn',
    'kernel.pid_max',
    'net.ipv4.ip_forward',
    'net.ipv4.conf.all.arp_ignore',
  ];
  const script = factsScript({ ...EMPTY_QUERY, sysctls: keys });
  const out = execFileSync('sh', ['-s'], { input: script, encoding: 'utf8' });
  const section = out.split('==>lvs:sysctl\n')[1]?.split('==>')[0] ?? '';
  const got = Object.fromEntries(
    section
      .trim()
      .split('\n')
      .map((l) => l.split('=') as [string, string]),
  );
  const want = Object.fromEntries(keys.map((k) => [k, readFileSync(sysctlPath(k), 'utf8').trim()]));
  assert.ok((want['net.core.somaxconn'] ?? '').length > 1, 'somaxconn has several digits here');
  assert.deepEqual(got, want);
});
