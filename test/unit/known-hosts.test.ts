import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { appendHashed, fingerprint, KnownHosts, keyTypeOfBlob } from '../../src/connection/known-hosts.js';

const ED_A = 'AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';
const ED_B = 'AAAAC3NzaC1lZDI1NTE5AAAAIKD0uBO/9xV1aGtJvTpyBbCzRl3UGxqz6C2TO5sPG9+Z';
const RSA = 'AAAAB3NzaC1yc2EAAAADAQABAAAAgQDdummykeyforparsingonly';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'lvs-kh-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('plain entries: host lists, [host]:port, comments, markers, line numbers', () => {
  const kh = KnownHosts.parse(
    [
      '# comment',
      '',
      `web1,10.0.0.5 ssh-ed25519 ${ED_A} root@web1`,
      `[10.0.0.5]:2222 ssh-ed25519 ${ED_B}`,
      `@cert-authority *.lan ssh-ed25519 ${ED_B}`,
      'garbage-line-without-key',
      `*.lan,!evil.lan ssh-ed25519 ${ED_A}`,
    ].join('\n'),
    '/kh',
  );
  assert.deepEqual(kh.verify('10.0.0.5', 22, 'ssh-ed25519', ED_A), { status: 'ok', file: '/kh', line: 3 });
  assert.deepEqual(kh.verify('web1', 22, 'ssh-ed25519', ED_A), { status: 'ok', file: '/kh', line: 3 });
  // The port matters: port 2222 only matches the bracketed line.
  assert.deepEqual(kh.verify('10.0.0.5', 2222, 'ssh-ed25519', ED_B), { status: 'ok', file: '/kh', line: 4 });
  assert.equal(kh.verify('10.0.0.5', 2222, 'ssh-ed25519', ED_A).status, 'changed');
  // @cert-authority lines are not host keys.
  assert.equal(kh.verify('x.lan', 22, 'ssh-ed25519', ED_B).status, 'changed');
  assert.equal(kh.verify('x.lan', 22, 'ssh-ed25519', ED_A).status, 'ok');
  // A negated pattern vetoes the line.
  assert.equal(kh.verify('evil.lan', 22, 'ssh-ed25519', ED_A).status, 'unknown');
  assert.equal(kh.verify('other', 22, 'ssh-ed25519', ED_A).status, 'unknown');
});

test('changed vs unknown: keys are compared within the same key type only', () => {
  const kh = KnownHosts.parse(`h1 ssh-rsa ${RSA}\nh2 ssh-rsa ${RSA}\nh2 ssh-ed25519 ${ED_A}\n`, '/kh');
  assert.deepEqual(kh.verify('h1', 22, 'ssh-ed25519', ED_A), { status: 'unknown', file: '/kh' });
  assert.deepEqual(kh.keyTypesFor('h1', 22), ['ssh-rsa']);
  // Every matching line is checked, not only the first.
  assert.deepEqual(kh.verify('h2', 22, 'ssh-ed25519', ED_A), { status: 'ok', file: '/kh', line: 3 });
  assert.deepEqual(kh.verify('h2', 22, 'ssh-ed25519', ED_B), { status: 'changed', file: '/kh', line: 3 });
});

test('@revoked wins over an ok line', () => {
  const kh = KnownHosts.parse(`h1 ssh-ed25519 ${ED_A}\n@revoked * ssh-ed25519 ${ED_A}\n`, '/kh');
  assert.deepEqual(kh.verify('h1', 22, 'ssh-ed25519', ED_A), { status: 'revoked', file: '/kh', line: 2 });
  assert.equal(kh.verify('h1', 22, 'ssh-ed25519', ED_B).status, 'changed');
});

test('entries hashed by ssh-keygen -H are matched', (t) => {
  const file = join(tempDir(t), 'known_hosts');
  writeFileSync(file, `web1 ssh-ed25519 ${ED_A}\n[192.0.2.7]:2200 ssh-ed25519 ${ED_B}\n`);
  execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
  const text = readFileSync(file, 'utf8');
  assert.ok(!text.includes('web1') && text.startsWith('|1|'), 'ssh-keygen hashed the file');
  const kh = KnownHosts.load(file);
  assert.equal(kh.verify('web1', 22, 'ssh-ed25519', ED_A).status, 'ok');
  assert.equal(kh.verify('web1', 22, 'ssh-ed25519', ED_B).status, 'changed');
  assert.equal(kh.verify('192.0.2.7', 2200, 'ssh-ed25519', ED_B).status, 'ok');
  assert.equal(kh.verify('192.0.2.7', 22, 'ssh-ed25519', ED_B).status, 'unknown');
  assert.equal(kh.verify('web2', 22, 'ssh-ed25519', ED_A).status, 'unknown');
});

test('appendHashed writes a line ssh-keygen -F finds, creating dir 0700 and file 0600', (t) => {
  const dir = join(tempDir(t), 'new', 'dir');
  const file = join(dir, 'known_hosts');
  assert.equal(appendHashed(file, '127.0.0.1', 2222, 'ssh-ed25519', ED_A), 1);
  assert.equal(appendHashed(file, 'web1', 22, 'ssh-ed25519', ED_B), 2);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  const text = readFileSync(file, 'utf8');
  assert.ok(!text.includes('127.0.0.1') && !text.includes('web1'));
  const found = execFileSync('ssh-keygen', ['-F', '[127.0.0.1]:2222', '-f', file], { encoding: 'utf8' });
  assert.match(found, new RegExp(ED_A.replaceAll('+', '\\+')));
  assert.match(execFileSync('ssh-keygen', ['-F', 'web1', '-f', file], { encoding: 'utf8' }), /ssh-ed25519/);
  const kh = KnownHosts.load(file);
  assert.deepEqual(kh.verify('127.0.0.1', 2222, 'ssh-ed25519', ED_A), { status: 'ok', file, line: 1 });
  assert.equal(kh.verify('127.0.0.1', 22, 'ssh-ed25519', ED_A).status, 'unknown');
});

test('appendHashed after a file without a final newline keeps lines intact', (t) => {
  const file = join(tempDir(t), 'known_hosts');
  writeFileSync(file, `web1 ssh-ed25519 ${ED_A}`);
  assert.equal(appendHashed(file, 'web2', 22, 'ssh-ed25519', ED_B), 2);
  const kh = KnownHosts.load(file);
  assert.equal(kh.verify('web1', 22, 'ssh-ed25519', ED_A).status, 'ok');
  assert.deepEqual(kh.verify('web2', 22, 'ssh-ed25519', ED_B), { status: 'ok', file, line: 2 });
});

test('a missing known_hosts file means every host is unknown', () => {
  assert.equal(
    KnownHosts.load('/nonexistent/known_hosts').verify('h', 22, 'ssh-ed25519', ED_A).status,
    'unknown',
  );
});

test('fingerprints match ssh-keygen -l', (t) => {
  const dir = tempDir(t);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'k')]);
  const pub = readFileSync(join(dir, 'k.pub'), 'utf8').split(' ');
  const listed = execFileSync('ssh-keygen', ['-l', '-f', join(dir, 'k.pub')], { encoding: 'utf8' });
  assert.equal(listed.split(' ')[1], fingerprint(pub[1] ?? ''));
  assert.equal(keyTypeOfBlob(Buffer.from(pub[1] ?? '', 'base64')), 'ssh-ed25519');
});
