// --json: one document on stdout at the end, per host: status, changes, duration. No secrets:
// change descriptions never carry file contents.
import type { HostResult, Mode } from '../../executor/host.js';
import type { Reporter } from '../../executor/run.js';

export class JsonReporter implements Reporter {
  start(): void {}
  stage(): void {}
  result(): void {}
  finish(results: HostResult[], mode: Mode): void {
    const hosts = results.map((r) => ({
      host: r.host,
      status: r.status,
      changes: r.changes,
      ...(r.error ? { error: r.error } : {}),
      ...(r.rolledBack ? { rolled_back: true } : {}),
      ...(r.notes ? { notes: r.notes } : {}),
      duration_ms: r.durationMs,
      round_trips: r.roundTrips,
    }));
    process.stdout.write(`${JSON.stringify({ mode, hosts }, null, 2)}\n`);
  }
}
