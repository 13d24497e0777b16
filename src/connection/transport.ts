// What later stages see of a connection. Facts, executor and tests depend on this interface,
// never on ssh2, so a fake or a local transport can stand in.

export interface RunOptions {
  /** Bytes fed to the script's standard input (the script itself travels separately). */
  stdin?: string | Buffer;
  /** Kill the remote command and fail with kind 'timeout' after this long. */
  timeoutMs?: number;
  /** Named in errors: `facts`, `apply`, … (default `run`). */
  phase?: string;
}

export interface RunResult {
  /** Exit status; null when the command died from a signal or the channel closed without one. */
  code: number | null;
  signal?: string;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** Round trips, read by the benchmark: SSH handshakes (jump hosts included) and exec channels. */
export interface TransportStats {
  connects: number;
  execs: number;
}

export interface Transport {
  /** Inventory name of the host. */
  readonly host: string;
  readonly stats: TransportStats;
  /** Run a POSIX sh script (see shell.ts renderScript); resolves even when it exits non-zero. */
  run(script: string, opts?: RunOptions): Promise<RunResult>;
  close(): Promise<void>;
}
