// --json for up, plan and down: one document on stdout at the end (shape: docs/json.md), per
// host: status, changes, duration and where the time went. A file holding a secret is diffed with
// the secret masked; descriptions never carry file contents.
import type { HostResult, Mode } from '../../executor/host.js';
import type { Reporter } from '../../executor/run.js';
import { type Change, describeChange } from '../../planner/changes.js';
import { changeClass, type DisruptionClass, worstClass } from '../../planner/disruption.js';
import { changeDiff } from './format.js';

const JSON_VERSION = 1;

export interface JsonChange {
  kind: Change['kind'];
  action: string;
  /** What describeChange prints: `file update /etc/keepalived/keepalived.conf`. */
  summary: string;
  /** live | reload | restart | breaking: what the change does to traffic (docs/json.md). */
  class: DisruptionClass;
  /** Unified diff of a file change (secrets masked); absent for other kinds. */
  diff?: string;
}

function jsonChange(c: Change, secrets: string[]): JsonChange {
  const diff = changeDiff(c, secrets);
  return {
    kind: c.kind,
    action: 'action' in c ? c.action : 'set',
    summary: describeChange(c),
    class: changeClass(c),
    ...(diff ? { diff } : {}),
  };
}

/** `plan` reports what is pending, not what changed. */
function jsonStatus(r: HostResult, mode: Mode): string {
  return mode === 'plan' && r.status === 'changed' ? 'pending' : r.status;
}

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
  readonly #secrets: string[];
  #stages = new Map<string, [string, number][]>();
  #ends = new Map<string, number>();
  #started = 0;

  constructor(secrets: string[] = []) {
    this.#secrets = secrets;
  }
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
    const hosts = results.map((r) => {
      const applied = r.status === 'changed';
      const list = applied ? (r.plan?.changes ?? []) : [];
      return {
        host: r.host,
        status: jsonStatus(r, mode),
        changes: r.changes,
        entries: list.map((c) => jsonChange(c, this.#secrets)),
        // Disruption class of each change, in the order of `changes`, and the host's worst.
        classes: list.map(changeClass),
        disruption: list.length > 0 ? worstClass(list.map(changeClass)) : null,
        ...(r.error ? { error: r.error } : {}),
        ...(r.rolledBack ? { rolled_back: true } : {}),
        ...(r.notes ? { notes: r.notes } : {}),
        duration_ms: r.durationMs,
        round_trips: r.roundTrips,
        phases_ms: phases(this.#stages.get(r.host) ?? [], this.#ends.get(r.host) ?? end),
      };
    });
    // Process-wide, in ms since the process started: the command's own marks (command running,
    // inventory loaded, desired state expanded, SSH stack loaded), then the hosts' start and end.
    const marks = performance
      .getEntriesByType('mark')
      .filter((m) => m.name.startsWith('lvs:'))
      .map((m) => [m.name.slice(4).replace('-', '_'), Math.round(m.startTime)] as const);
    const timings_ms = { ...Object.fromEntries(marks), hosts_start: this.#started, hosts_end: end };
    process.stdout.write(
      `${JSON.stringify({ version: JSON_VERSION, command: mode, mode, hosts, timings_ms }, null, 2)}\n`,
    );
  }
}
