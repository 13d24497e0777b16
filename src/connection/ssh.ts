// The only module that speaks SSH. One connection per host; every phase sends one script to
// `sh -s` over an exec channel (a login shell per command is slow: ~160 ms each, measured).
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import type { ClientChannel, Client as SshClient } from 'ssh2';
import { authConfig } from './connect-errors.js';
import { SshError } from './errors.js';
import { handshake } from './handshake.js';
import { wrapForStdin } from './shell.js';
import type { ConnectOptions, SshTarget } from './target.js';
import type { RunOptions, RunResult, Transport, TransportStats } from './transport.js';

export type { ConnectOptions, SshTarget } from './target.js';

/** sshd's MaxSessions defaults to 10; stay below it. */
const MAX_CHANNELS = 8;

class Semaphore {
  #free: number;
  readonly #waiters: (() => void)[] = [];

  constructor(n: number) {
    this.#free = n;
  }

  async acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return;
    }
    await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  release(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#free++;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class SshTransport implements Transport {
  readonly host: string;
  readonly target: SshTarget;
  readonly stats: TransportStats;
  readonly #client: SshClient;
  readonly #jump: SshTransport | undefined;
  readonly #channels = new Semaphore(MAX_CHANNELS);
  #ended = false;

  private constructor(target: SshTarget, client: SshClient, stats: TransportStats, jump?: SshTransport) {
    this.host = target.host;
    this.target = target;
    this.stats = stats;
    this.#client = client;
    this.#jump = jump;
    client.on('close', () => {
      this.#ended = true;
    });
  }

  static async connect(target: SshTarget, opts: ConnectOptions = {}): Promise<SshTransport> {
    const t = target;
    const auth = authConfig(t);
    const stats: TransportStats = { connects: 0, execs: 0 };
    let jump: SshTransport | undefined;
    if (t.jump) {
      try {
        jump = await SshTransport.connect(t.jump, opts);
      } catch (err) {
        throw viaJump(t, err);
      }
      stats.connects += jump.stats.connects;
    }
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          const sock = jump ? await forwardVia(jump, t) : undefined;
          const client = await handshake(t, auth, stats, sock, opts);
          return new SshTransport(t, client, stats, jump);
        } catch (err) {
          const retryable = err instanceof SshError && (err.kind === 'unreachable' || err.kind === 'timeout');
          if (!retryable || attempt >= t.retries) throw err;
          const delay = Math.min(2000, (opts.retryDelayMs ?? 250) * 2 ** attempt);
          opts.log?.(`${t.host}: ${err.detail}; retrying in ${delay} ms`);
          await sleep(delay);
        }
      }
    } catch (err) {
      await jump?.close();
      throw err;
    }
  }

  /** A TCP stream to address:port opened from this host (for the next hop). */
  forward(address: string, port: number): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      this.#client.forwardOut('127.0.0.1', 0, address, port, (err, stream) => {
        if (err) reject(err);
        else resolve(stream);
      });
    });
  }

  async run(script: string, opts: RunOptions = {}): Promise<RunResult> {
    await this.#channels.acquire();
    let released = false;
    // The slot is held until the channel is really gone, even when a timeout rejects earlier.
    const release = () => {
      if (released) return;
      released = true;
      this.#channels.release();
    };
    try {
      return await this.#exec(script, opts, release);
    } catch (err) {
      if (!(err instanceof SshError && err.kind === 'timeout')) release();
      throw err;
    }
  }

  #exec(script: string, opts: RunOptions, release: () => void): Promise<RunResult> {
    const phase = opts.phase ?? 'run';
    const become = this.target.become && this.target.user !== 'root';
    // sshd refuses signal requests on root logins ("session signalling requires privilege
    // separation"), so the host enforces the timeout: GNU timeout kills the whole process group.
    const limit = opts.timeoutMs === undefined ? '' : `timeout -k 2 ${opts.timeoutMs / 1000} `;
    // The login shell expands $SSH_CONNECTION before sudo resets the environment: the script
    // gets it as $1 (the firewall's lock-out check needs the address the host sees us come from).
    const command = `${become ? 'sudo -n ' : ''}${limit}sh -s -- "$SSH_CONNECTION"`;
    const fail = (kind: 'channel' | 'timeout' | 'sudo', detail: string, hint?: string, cause?: unknown) =>
      new SshError(kind, this.host, detail, { phase, ...(hint ? { hint } : {}), cause });
    return new Promise((resolve, reject) => {
      if (this.#ended) return reject(fail('channel', 'the SSH connection is closed'));
      const started = performance.now();
      this.stats.execs++;
      const onChannel = (err: Error | undefined, ch: ClientChannel) => {
        if (err) return reject(fail('channel', `cannot open an SSH channel: ${err.message}`, undefined, err));
        const out: Buffer[] = [];
        const errOut: Buffer[] = [];
        let exited = false;
        let timedOut = false;
        let code: number | null = null;
        let signal: string | undefined;
        const timeoutError = () =>
          fail('timeout', `command did not finish within ${opts.timeoutMs} ms; killed`);
        // Backstop in case the host's timeout does not end the channel (hung host, no coreutils).
        const timer =
          opts.timeoutMs === undefined
            ? undefined
            : setTimeout(() => {
                timedOut = true;
                ch.signal('KILL');
                ch.close();
                setTimeout(release, 5000).unref();
                reject(timeoutError());
              }, opts.timeoutMs + 5000);
        ch.on('data', (b: Buffer) => out.push(b));
        ch.stderr.on('data', (b: Buffer) => errOut.push(b));
        ch.on('exit', (c: number | null, sig?: string) => {
          exited = true;
          code = typeof c === 'number' ? c : null;
          if (sig) signal = sig;
        });
        ch.on('error', () => {}); // surfaces below as a close without an exit status
        ch.on('close', () => {
          clearTimeout(timer);
          release();
          if (timedOut) return;
          // Decode once: a multi-byte character may straddle two chunks.
          const stdout = Buffer.concat(out).toString('utf8');
          const stderr = Buffer.concat(errOut).toString('utf8');
          const durationMs = Math.round(performance.now() - started);
          if (!exited)
            return reject(fail('channel', 'the SSH connection closed before the command finished'));
          if (opts.timeoutMs !== undefined && code === 124 && durationMs >= opts.timeoutMs) {
            return reject(timeoutError());
          }
          if (become && code !== 0) {
            const sudo = sudoProblem(stderr, this.target.user);
            if (sudo) return reject(fail('sudo', sudo.detail, sudo.hint));
          }
          resolve({ code, ...(signal ? { signal } : {}), stdout, stderr, durationMs });
        });
        // No end(): ssh2 drops signal requests once stdin is closed. The script ends in `exit`.
        ch.write(wrapForStdin(script, opts.stdin));
      };
      try {
        this.#client.exec(command, onChannel);
      } catch (err) {
        reject(fail('channel', `cannot open an SSH channel: ${(err as Error).message}`, undefined, err));
      }
    });
  }

  async close(): Promise<void> {
    if (!this.#ended) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 2000);
        this.#client.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        this.#client.end();
      });
      this.#ended = true;
    }
    await this.#jump?.close();
  }
}

function sudoProblem(stderr: string, user: string): { detail: string; hint: string } | undefined {
  if (/sudo: (a password is required|a terminal is required)/.test(stderr)) {
    return {
      detail: `sudo asked ${user} for a password (become needs passwordless sudo)`,
      hint: `allow it on the host: echo '${user} ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/lvs-deploy, or connect as root`,
    };
  }
  if (/is not in the sudoers file|is not allowed to run sudo/.test(stderr)) {
    return { detail: `${user} may not use sudo`, hint: `grant ${user} NOPASSWD sudo, or connect as root` };
  }
  if (/sudo: (command )?not found/.test(stderr)) {
    return { detail: 'sudo is not installed on the host', hint: 'install sudo, or connect as root' };
  }
  return undefined;
}

function viaJump(t: SshTarget, err: unknown): unknown {
  if (!(err instanceof SshError) || !t.jump) return err;
  return new SshError(err.kind, t.host, `jump host ${t.jump.host}: ${err.detail}`, {
    phase: err.phase,
    ...(err.hint ? { hint: err.hint } : {}),
    ...(err.hostKey ? { hostKey: err.hostKey } : {}),
    cause: err,
  });
}

async function forwardVia(jump: SshTransport, t: SshTarget): Promise<Duplex> {
  try {
    return await jump.forward(t.address, t.port);
  } catch (err) {
    throw new SshError(
      'unreachable',
      t.host,
      `jump host ${jump.host} cannot reach ${t.address}:${t.port}: ${(err as Error).message}`,
      { phase: 'connect', cause: err },
    );
  }
}
