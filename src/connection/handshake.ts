// One SSH handshake: host key checked against known_hosts (strict | accept-new), then auth.
// Every failure becomes an SshError; ssh2's 'error' is always listened to.
import type { Duplex } from 'node:stream';
import type { ConnectConfig, Client as SshClient } from 'ssh2';
import ssh2 from 'ssh2';
import { type AuthChoice, hostKeyAlgorithms, hostKeyError, mapConnectError } from './connect-errors.js';
import { SshError } from './errors.js';
import { appendHashed, KnownHosts, type KnownHostsVerdict, keyTypeOfBlob } from './known-hosts.js';
import type { ConnectOptions, SshTarget } from './target.js';
import type { TransportStats } from './transport.js';

// Named imports of `Client`/`utils` fail under ESM for this CommonJS package (measured).
const { Client } = ssh2;
const KEEPALIVE_MS = 10_000;

export async function handshake(
  t: SshTarget,
  auth: AuthChoice,
  stats: TransportStats,
  sock: Duplex | undefined,
  opts: ConnectOptions,
): Promise<SshClient> {
  const known = KnownHosts.load(t.knownHosts);
  let refused: { verdict: KnownHostsVerdict; keyType: string; keyBase64: string } | undefined;
  let appendError: unknown;
  const hostVerifier = (key: Buffer): boolean => {
    const keyBase64 = key.toString('base64');
    const keyType = keyTypeOfBlob(key);
    const verdict = known.verify(t.address, t.port, keyType, keyBase64);
    if (verdict.status === 'ok') return true;
    if (verdict.status === 'unknown' && t.hostKeyPolicy === 'accept-new') {
      try {
        const line = appendHashed(t.knownHosts, t.address, t.port, keyType, keyBase64);
        opts.log?.(`${t.host}: recorded new ${keyType} host key in ${t.knownHosts}:${line}`);
        return true;
      } catch (err) {
        appendError = err;
      }
    }
    refused = { verdict, keyType, keyBase64 };
    return false;
  };
  const config: ConnectConfig = {
    host: t.address,
    port: t.port,
    username: t.user,
    readyTimeout: t.connectTimeoutMs,
    keepaliveInterval: KEEPALIVE_MS,
    hostVerifier,
    algorithms: { serverHostKey: hostKeyAlgorithms(known.keyTypesFor(t.address, t.port)) },
    ...auth.config,
    ...(sock ? { sock } : {}),
  };
  return new Promise((resolve, reject) => {
    const client = new Client();
    let settled = false;
    const settle = (err?: SshError) => {
      if (settled) return;
      settled = true;
      if (err) {
        client.end();
        reject(err);
      } else {
        resolve(client);
      }
    };
    client.on('ready', () => settle());
    // Always listening: an unhandled 'error' event would crash the process.
    client.on('error', (err: Error & { level?: string }) => {
      if (!settled && refused) settle(hostKeyError(t, refused, appendError));
      else if (!settled) settle(mapConnectError(t, auth, err));
      else opts.log?.(`${t.host}: SSH connection error: ${err.message}`);
    });
    client.on('close', () =>
      settle(
        new SshError(
          'unreachable',
          t.host,
          `${t.address}:${t.port} closed the connection during the SSH handshake`,
          { phase: 'connect' },
        ),
      ),
    );
    stats.connects++;
    try {
      client.connect(config);
    } catch (err) {
      settle(mapConnectError(t, auth, err as Error));
    }
  });
}
