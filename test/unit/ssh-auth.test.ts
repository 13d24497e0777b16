// Credentials chosen like OpenSSH (issue 11, friction 5): with no identity and no agent, the
// user's default keys in ssh(1)'s order; a passphrase-protected default key is skipped.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { authConfig } from '../../src/connection/connect-errors.js';
import type { SshTarget } from '../../src/connection/ssh.js';

const home = mkdtempSync(join(tmpdir(), 'lvs-ssh-home-'));
after(() => rmSync(home, { recursive: true, force: true }));
mkdirSync(join(home, '.ssh'), { mode: 0o700 });
const keygen = (name: string, type: string, pass = '') =>
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', pass, '-f', join(home, '.ssh', name)]);

const target: SshTarget = {
  host: 'web1',
  address: '127.0.0.9',
  port: 22,
  user: 'root',
  knownHosts: join(home, 'known_hosts'),
  hostKeyPolicy: 'strict',
  become: false,
  connectTimeoutMs: 1000,
  retries: 0,
};

function withEnv<T>(fn: () => T): T {
  const saved = { HOME: process.env.HOME, SSH_AUTH_SOCK: process.env.SSH_AUTH_SOCK };
  process.env.HOME = home;
  delete process.env.SSH_AUTH_SOCK;
  try {
    return fn();
  } finally {
    process.env.HOME = saved.HOME;
    if (saved.SSH_AUTH_SOCK !== undefined) process.env.SSH_AUTH_SOCK = saved.SSH_AUTH_SOCK;
  }
}

test('no identity and no agent: none of the default keys → a clear auth error', () => {
  assert.throws(
    () => withEnv(() => authConfig(target)),
    /no ssh-agent running .* and no usable ~\/\.ssh\/id_ed25519, ~\/\.ssh\/id_ecdsa, ~\/\.ssh\/id_rsa/,
  );
});

test('no identity and no agent: ~/.ssh/id_rsa is used, then id_ed25519 first when both exist', () => {
  keygen('id_rsa', 'rsa');
  assert.equal(withEnv(() => authConfig(target)).describe, `key ${join(home, '.ssh', 'id_rsa')}`);
  keygen('id_ed25519', 'ed25519');
  assert.equal(withEnv(() => authConfig(target)).describe, `key ${join(home, '.ssh', 'id_ed25519')}`);
});

test('a passphrase-protected default key is skipped for the next one', () => {
  rmSync(join(home, '.ssh', 'id_ed25519'));
  keygen('id_ecdsa', 'ecdsa', 'secret-passphrase');
  assert.equal(withEnv(() => authConfig(target)).describe, `key ${join(home, '.ssh', 'id_rsa')}`);
});
