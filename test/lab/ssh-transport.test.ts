// SshTransport against a real, private sshd on 127.0.0.1 (no mocks). Needs root: sshd must
// run as root to log in as root. The sshd and its keys live in a temp dir and go away after.
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SshError } from '../../src/connection/errors.js';
import { type SshTarget, SshTransport } from '../../src/connection/ssh.js';

const isRoot = process.getuid?.() === 0;
const skip = isRoot ? false : 'needs root (runs a private sshd that logs in as root)';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function keygen(path: string, extra: string[] = []): string {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'lvs-test', '-f', path, ...extra]);
  return readFileSync(`${path}.pub`, 'utf8').trim();
}

async function waitForPort(port: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = new Socket();
      const done = (up: boolean) => {
        s.destroy();
        resolve(up);
      };
      s.once('connect', () => done(true)).once('error', () => done(false));
      s.setTimeout(500, () => done(false));
      s.connect(port, '127.0.0.1');
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`sshd did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('SshTransport against a private sshd', { skip, concurrency: false }, () => {
  let dir = '';
  let port = 0;
  let sshd: ChildProcess | undefined;
  let sshdLog = '';
  let hostPub = '';

  const target = (over: Partial<SshTarget> = {}): SshTarget => ({
    host: 'lab1',
    address: '127.0.0.1',
    port,
    user: 'root',
    identity: join(dir, 'client'),
    knownHosts: join(dir, 'known_hosts'),
    hostKeyPolicy: 'strict',
    become: false,
    connectTimeoutMs: 5000,
    retries: 0,
    ...over,
  });

  const expectSshError = async (p: Promise<unknown>, kind: string, re?: RegExp): Promise<SshError> => {
    const err = await p.then(
      () => assert.fail(`expected an SshError of kind ${kind}`),
      (e: unknown) => e,
    );
    assert.ok(err instanceof SshError, `not an SshError: ${String(err)}`);
    assert.equal(err.kind, kind, err.message);
    if (re) assert.match(err.message, re);
    return err;
  };

  before(async () => {
    // The lab env vars would replace our identity/known_hosts: keep this test self-contained.
    delete process.env.LVS_DEPLOY_LAB_IDENTITY;
    delete process.env.LVS_DEPLOY_LAB_KNOWN_HOSTS;
    dir = mkdtempSync(join(tmpdir(), 'lvs-sshd-'));
    port = await freePort();
    hostPub = keygen(join(dir, 'host_ed25519'));
    execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', join(dir, 'host_rsa')]);
    writeFileSync(join(dir, 'authorized_keys'), `${keygen(join(dir, 'client'))}\n`);
    keygen(join(dir, 'wrong'));
    keygen(join(dir, 'locked'), ['-N', 'secret-passphrase']);
    const config = [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_ed25519')}`,
      `HostKey ${join(dir, 'host_rsa')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'UsePAM no',
      'StrictModes no',
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'AllowTcpForwarding yes',
      'LogLevel ERROR',
    ].join('\n');
    writeFileSync(join(dir, 'sshd_config'), `${config}\n`);
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation dir
    sshd = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    sshd.stderr?.on('data', (b: Buffer) => {
      sshdLog += b.toString();
    });
    await waitForPort(port, 5000);
  });

  after(() => {
    if (sshd?.pid) process.kill(sshd.pid, 'SIGTERM');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('strict policy refuses a host missing from known_hosts, saying it is unknown', async () => {
    writeFileSync(join(dir, 'known_hosts'), '');
    const err = await expectSshError(
      SshTransport.connect(target()),
      'hostkey',
      /unknown host key for \[127\.0\.0\.1\]:\d+/,
    );
    assert.doesNotMatch(err.message, /CHANGED/);
    const fp = createHash('sha256')
      .update(Buffer.from(hostPub.split(' ')[1] ?? '', 'base64'))
      .digest('base64');
    assert.ok(err.message.includes(`SHA256:${fp.replace(/=+$/, '')}`), err.message);
    assert.equal(err.hostKey?.status, 'unknown');
  });

  test('accept-new records a hashed line ssh-keygen -F finds, then strict accepts it', async () => {
    const logs: string[] = [];
    const first = await SshTransport.connect(target({ hostKeyPolicy: 'accept-new' }), {
      log: (l) => logs.push(l),
    });
    await first.close();
    assert.match(logs.join('\n'), /recorded new ssh-ed25519 host key/);
    const text = readFileSync(join(dir, 'known_hosts'), 'utf8');
    assert.ok(text.startsWith('|1|') && !text.includes('127.0.0.1'));
    const found = execFileSync('ssh-keygen', ['-F', `[127.0.0.1]:${port}`, '-f', join(dir, 'known_hosts')], {
      encoding: 'utf8',
    });
    assert.ok(found.includes(hostPub.split(' ')[1] ?? '-'), found);
    const second = await SshTransport.connect(target());
    await second.close();
    assert.equal(readFileSync(join(dir, 'known_hosts'), 'utf8'), text, 'nothing appended the second time');
  });

  describe('on one connection', () => {
    let ssh: SshTransport;
    before(async () => {
      ssh = await SshTransport.connect(target());
    });
    after(async () => {
      await ssh.close();
    });

    test('echo hi comes back as stdout, exit 0', async () => {
      const r = await ssh.run('echo hi');
      assert.equal(r.stdout, 'hi\n');
      assert.equal(r.stderr, '');
      assert.equal(r.code, 0);
      assert.ok(r.durationMs >= 0);
    });

    test('exit codes propagate and stderr stays separate', async () => {
      const r = await ssh.run('echo out; echo err >&2; exit 42');
      assert.deepEqual([r.code, r.stdout, r.stderr], [42, 'out\n', 'err\n']);
    });

    test('12 concurrent runs on one connection all succeed (channels capped below MaxSessions)', async () => {
      const runs = await Promise.all(Array.from({ length: 12 }, (_, i) => ssh.run(`sleep 0.2; echo ${i}`)));
      assert.deepEqual(
        runs.map((r) => r.stdout),
        Array.from({ length: 12 }, (_, i) => `${i}\n`),
      );
    });

    test('a 100 KB script and 100 KB of stdin arrive intact', async () => {
      const blob = 'x'.repeat(100 * 1024);
      const big = await ssh.run(`cat <<'EOF' | wc -c\n${blob}\nEOF`);
      assert.equal(big.stdout.trim(), String(blob.length + 1));
      const data = Buffer.from(Array.from({ length: 100 * 1024 }, (_, i) => (i * 7) % 256));
      const r = await ssh.run('sha256sum | cut -d" " -f1', { stdin: data });
      assert.equal(r.stdout.trim(), createHash('sha256').update(data).digest('hex'));
    });

    test('multi-byte output split across chunks decodes cleanly', async () => {
      const r = await ssh.run(`i=0; while [ $i -lt 20000 ]; do printf 'é✓'; i=$((i+1)); done`);
      assert.equal(r.stdout, 'é✓'.repeat(20000));
    });

    test('scripts run with LC_ALL=C-independent sh, not the login shell rc files', async () => {
      const r = await ssh.run('export LC_ALL=C PATH=/usr/sbin:/usr/bin:/sbin:/bin\necho "$LC_ALL:$PATH"');
      assert.equal(r.stdout, 'C:/usr/sbin:/usr/bin:/sbin:/bin\n');
    });

    test('a command past its timeout is killed, and the connection still works', async () => {
      const started = Date.now();
      await expectSshError(
        ssh.run('sleep 29.123; echo late', { timeoutMs: 300, phase: 'facts' }),
        'timeout',
        /lab1: facts: .*300 ms/,
      );
      assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
      const left = await ssh.run('pgrep -fx "sleep 29.123" || echo none');
      assert.equal(left.stdout, 'none\n', 'the remote command and its children are gone');
    });

    test('round trips are counted', () => {
      assert.equal(ssh.stats.connects, 1);
      assert.ok(ssh.stats.execs >= 17, String(ssh.stats.execs));
    });
  });

  test('become as root runs without sudo', async () => {
    const ssh = await SshTransport.connect(target({ become: true }));
    try {
      assert.equal((await ssh.run('id -u')).stdout, '0\n');
    } finally {
      await ssh.close();
    }
  });

  test('a changed host key is refused, naming the known_hosts file and line', async () => {
    const khFile = join(dir, 'known_hosts_changed');
    const other = keygen(join(dir, 'impostor')).split(' ');
    writeFileSync(khFile, `# first line\n[127.0.0.1]:${port} ${other[0]} ${other[1]}\n`);
    for (const hostKeyPolicy of ['strict', 'accept-new'] as const) {
      const err = await expectSshError(
        SshTransport.connect(target({ knownHosts: khFile, hostKeyPolicy })),
        'hostkey',
        new RegExp(`HOST KEY CHANGED .*${khFile.replaceAll('.', '\\.')}:2`),
      );
      assert.match(err.message, /SHA256:[A-Za-z0-9+/]{43}\b/);
      assert.deepEqual([err.hostKey?.status, err.hostKey?.line], ['changed', 2]);
    }
    assert.equal(
      readFileSync(khFile, 'utf8').split('\n').length,
      3,
      'accept-new never appends for a changed key',
    );
  });

  test('a host known only by its RSA key is accepted: the client asks for that key type first', async () => {
    const khFile = join(dir, 'known_hosts_rsa');
    const rsa = readFileSync(join(dir, 'host_rsa.pub'), 'utf8').split(' ');
    writeFileSync(khFile, `[127.0.0.1]:${port} ${rsa[0]} ${rsa[1]}\n`);
    const ssh = await SshTransport.connect(target({ knownHosts: khFile }));
    await ssh.close();
  });

  test('a key the server does not accept fails as auth', async () => {
    await expectSshError(
      SshTransport.connect(target({ identity: join(dir, 'wrong') })),
      'auth',
      /authentication failed for root@127\.0\.0\.1/,
    );
  });

  test('a passphrase-protected identity fails as auth with a hint, before connecting', async () => {
    const err = await expectSshError(
      SshTransport.connect(target({ identity: join(dir, 'locked') })),
      'auth',
      /passphrase/,
    );
    assert.match(err.hint ?? '', /ssh-add/);
  });

  test('nothing listening fails as unreachable, quickly, after the retries', async () => {
    const dead = await freePort();
    const started = Date.now();
    const err = await expectSshError(
      SshTransport.connect(target({ port: dead, retries: 2 }), { retryDelayMs: 50 }),
      'unreachable',
      /connection refused/,
    );
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
    assert.doesNotMatch(err.message, /host key|auth/);
  });

  test('auth and host key failures are not retried', async () => {
    const logs: string[] = [];
    await expectSshError(
      SshTransport.connect(target({ identity: join(dir, 'wrong'), retries: 3 }), {
        log: (l) => logs.push(l),
      }),
      'auth',
    );
    assert.deepEqual(logs, []);
  });

  test('through a jump host (the same sshd, hopping to itself)', async () => {
    const ssh = await SshTransport.connect(target({ host: 'inner', jump: target({ host: 'bastion' }) }));
    try {
      const r = await ssh.run('echo "$SSH_CONNECTION"');
      assert.equal(r.code, 0);
      assert.match(r.stdout, /^127\.0\.0\.1 \d+ 127\.0\.0\.1 \d+\n$/);
      assert.equal(ssh.stats.connects, 2);
    } finally {
      await ssh.close();
    }
  });

  test('a jump host that cannot reach the target reports unreachable via the jump', async () => {
    const dead = await freePort();
    await expectSshError(
      SshTransport.connect(target({ port: dead, jump: target({ host: 'bastion' }) })),
      'unreachable',
      /jump host bastion cannot reach 127\.0\.0\.1:\d+/,
    );
  });

  test('sshd logged nothing alarming', () => {
    assert.doesNotMatch(sshdLog, /fatal|segfault/i, sshdLog);
  });
});
