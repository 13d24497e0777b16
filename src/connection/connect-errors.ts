// Turning ssh2's connect-time failures into SshError values with one clear line each, plus the
// choice of credentials and host key algorithms that those failures depend on.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConnectConfig, ServerHostKeyAlgorithm } from 'ssh2';
import ssh2 from 'ssh2';
import { SshError } from './errors.js';
import { fingerprint, hostKeyName, type KnownHostsVerdict } from './known-hosts.js';
import type { SshTarget } from './target.js';

const { utils } = ssh2;

export interface AuthChoice {
  config: Pick<ConnectConfig, 'privateKey' | 'agent'>;
  /** For messages: `key /root/.ssh/id_ed25519` or `ssh-agent at /tmp/…`. */
  describe: string;
}

/** The keys ssh(1) tries when none is configured (passphrase-protected ones are skipped). */
const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

/** Identity file if given (read and checked now), else the agent; else a clear auth error. */
export function authConfig(t: SshTarget): AuthChoice {
  const fail = (detail: string, hint?: string) =>
    new SshError('auth', t.host, detail, { phase: 'connect', ...(hint ? { hint } : {}) });
  if (t.identity) {
    let key: Buffer;
    try {
      key = readFileSync(t.identity);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw fail(`cannot read identity file ${t.identity} (${code})`);
    }
    const parsed = utils.parseKey(key);
    if (parsed instanceof Error) {
      if (/passphrase|encrypted/i.test(parsed.message)) {
        throw fail(
          `identity file ${t.identity} is protected by a passphrase, and lvs-deploy does not prompt`,
          `load it into ssh-agent (ssh-add ${t.identity}) and leave identity unset`,
        );
      }
      throw fail(`identity file ${t.identity} is not a private key lvs-deploy can read: ${parsed.message}`);
    }
    return { config: { privateKey: key }, describe: `key ${t.identity}` };
  }
  const agent = process.env.SSH_AUTH_SOCK;
  if (agent) return { config: { agent }, describe: `ssh-agent at ${agent}` };
  // Like ssh(1) without an agent: the user's default keys, in OpenSSH's order.
  const home = process.env.HOME ?? '/root';
  for (const name of DEFAULT_KEYS) {
    const file = join(home, '.ssh', name);
    let key: Buffer;
    try {
      key = readFileSync(file);
    } catch {
      continue;
    }
    if (!(utils.parseKey(key) instanceof Error))
      return { config: { privateKey: key }, describe: `key ${file}` };
  }
  throw fail(
    `no identity file given, no ssh-agent running (SSH_AUTH_SOCK is not set), and no usable ${DEFAULT_KEYS.map((k) => `~/.ssh/${k}`).join(', ')}`,
    'set identity for the host, or start ssh-agent and ssh-add your key',
  );
}

const SOCKET_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused (nothing listening?)',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'TCP connect timed out',
  ECONNRESET: 'connection reset during the SSH handshake',
  EPIPE: 'connection closed during the SSH handshake',
};

export function mapConnectError(
  t: SshTarget,
  auth: AuthChoice,
  err: Error & { level?: string; code?: string },
): SshError {
  const at = `${t.address}:${t.port}`;
  const init = { phase: 'connect', cause: err };
  switch (err.level) {
    case 'client-authentication':
      return new SshError(
        'auth',
        t.host,
        `authentication failed for ${t.user}@${at} (tried ${auth.describe})`,
        {
          ...init,
          hint: `check that the public key is in ~${t.user}/.ssh/authorized_keys on ${t.host}`,
        },
      );
    case 'agent':
      return new SshError('auth', t.host, `ssh-agent failed: ${err.message}`, init);
    case 'client-timeout':
      return new SshError(
        'timeout',
        t.host,
        `no SSH handshake from ${at} within ${t.connectTimeoutMs} ms`,
        init,
      );
    case 'client-dns':
      return new SshError('unreachable', t.host, `cannot resolve ${t.address}: ${err.message}`, init);
    case 'client-socket': {
      const why = (err.code && SOCKET_ERRORS[err.code]) ?? err.message;
      return new SshError('unreachable', t.host, `cannot connect to ${at}: ${why}`, init);
    }
    default:
      return new SshError('unreachable', t.host, `SSH handshake with ${at} failed: ${err.message}`, init);
  }
}

export function hostKeyError(
  t: SshTarget,
  refused: { verdict: KnownHostsVerdict; keyType: string; keyBase64: string },
  appendError: unknown,
): SshError {
  const name = hostKeyName(t.address, t.port);
  const { verdict, keyType } = refused;
  const fp = fingerprint(refused.keyBase64);
  const presented = `${keyType} ${fp}`;
  const where = `${verdict.file}:${verdict.line ?? 0}`;
  const hostKey = {
    status: verdict.status === 'ok' ? 'unknown' : verdict.status,
    keyType,
    fingerprint: fp,
    file: verdict.file,
    ...(verdict.line !== undefined ? { line: verdict.line } : {}),
  } as const;
  const init = { phase: 'connect', hostKey };
  if (verdict.status === 'changed') {
    return new SshError(
      'hostkey',
      t.host,
      `HOST KEY CHANGED for ${name}: server presented ${presented}, but ${where} holds a different ${keyType} key; refusing to connect (possible man-in-the-middle)`,
      {
        ...init,
        hint: `if the host was reinstalled, verify the new fingerprint, then: ssh-keygen -R '${name}' -f ${verdict.file}`,
      },
    );
  }
  if (verdict.status === 'revoked') {
    return new SshError(
      'hostkey',
      t.host,
      `host key ${presented} for ${name} is revoked (${where}); refusing to connect`,
      init,
    );
  }
  if (appendError) {
    return new SshError(
      'hostkey',
      t.host,
      `unknown host key ${presented} for ${name}, and it could not be recorded in ${verdict.file}: ${(appendError as Error).message}`,
      init,
    );
  }
  return new SshError(
    'hostkey',
    t.host,
    `unknown host key for ${name}: server presented ${presented}, which is not in ${verdict.file} (host key policy strict)`,
    {
      ...init,
      hint: `check the fingerprint, then add it: ssh-keyscan -H${t.port === 22 ? '' : ` -p ${t.port}`} ${t.address} >> ${verdict.file}; or, for first contact, host_key_policy: accept-new`,
    },
  );
}

const DEFAULT_HOST_KEY_ALGORITHMS: ServerHostKeyAlgorithm[] = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

// A known_hosts `ssh-rsa` key may be proven with any of the three RSA signature algorithms.
const SIGNATURE_ALGORITHMS: Record<string, ServerHostKeyAlgorithm[]> = {
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

/**
 * Like ssh(1): ask first for the key types already recorded for this host, so a host known by
 * its RSA key is not refused as "unknown" because it also has an ed25519 key.
 */
export function hostKeyAlgorithms(knownTypes: readonly string[]): ServerHostKeyAlgorithm[] {
  const preferred = knownTypes.flatMap(
    (type) => SIGNATURE_ALGORITHMS[type] ?? DEFAULT_HOST_KEY_ALGORITHMS.filter((a) => a === type),
  );
  return [...new Set([...preferred, ...DEFAULT_HOST_KEY_ALGORITHMS])];
}
