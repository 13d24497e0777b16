// --json: one document on stdout at the end, per host: status, changes, duration, and where the
// time went. No secrets: change descriptions never carry file contents.
import type { HostResult, Mode } from '../../executor/host.js';
import type { Reporter } from '../../executor/run.js';

/** Milliseconds since the process started (performance's time origin), rounded. */
const sinceStart = () => Math.round(performance.now());

/**
 * Per host, milliseconds from one stage to the next: `queued` (waiting for a --concurrency slot),
 * `connect` (TCP + SSH handshake + auth), `facts`, `apply`, `post_check` — as far as the host got.
 */
function phases(stages: [string, number][], end: number): Record<string, number> {
  const out: Record<string, number> = {};
  stages.forEach(([name, at], i) => {
    out[name.replace('-', '_')] = (stages[i + 1]?.[1] ?? end) - at;
  });
  return out;
}

export class JsonReporter implements Reporter {
  #stages = new Map<string, [string, number][]>();
  #ends = new Map<string, number>();
  #started = 0;

  start(hosts: string[]): void {
    this.#started = sinceStart();
    for (const h of hosts) this.#stages.set(h, [['queued', this.#started]]);
  }
  stage(host: string, stage: string): void {
    this.#stages.get(host)?.push([stage, sinceStart()]);
  }
  result(r: HostResult): void {
    this.#ends.set(r.host, sinceStart());
  }
  finish(results: HostResult[], mode: Mode): void {
    const end = sinceStart();
    const hosts = results.map((r) => ({
      host: r.host,
      status: r.status,
      changes: r.changes,
      ...(r.error ? { error: r.error } : {}),
      ...(r.rolledBack ? { rolled_back: true } : {}),
      duration_ms: r.durationMs,
      round_trips: r.roundTrips,
      phases_ms: phases(this.#stages.get(r.host) ?? [], this.#ends.get(r.host) ?? end),
    }));
    // Process-wide, in ms since the process started: the command's own marks (command running,
    // inventory loaded, desired state expanded, SSH stack loaded), then the hosts' start and end.
    const marks = performance
      .getEntriesByType('mark')
      .filter((m) => m.name.startsWith('lvs:'))
      .map((m) => [m.name.slice(4).replace('-', '_'), Math.round(m.startTime)] as const);
    const timings_ms = { ...Object.fromEntries(marks), hosts_start: this.#started, hosts_end: end };
    process.stdout.write(`${JSON.stringify({ mode, hosts, timings_ms }, null, 2)}\n`);
  }
}
