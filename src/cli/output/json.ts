// --json for up, plan and down: one document on stdout at the end (shape: docs/json.md). A file
// holding a secret is diffed with the secret masked; descriptions never carry file contents.
import type { HostResult, Mode } from '../../executor/host.js';
import type { Reporter } from '../../executor/run.js';
import { type Change, describeChange } from '../../planner/changes.js';
import { changeClass, type DisruptionClass, worstClass } from '../../planner/disruption.js';
import { changeDiff } from './format.js';

export const JSON_VERSION = 1;

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

export function jsonChange(c: Change, secrets: string[]): JsonChange {
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
export function jsonStatus(r: HostResult, mode: Mode): string {
  return mode === 'plan' && r.status === 'changed' ? 'pending' : r.status;
}

export class JsonReporter implements Reporter {
  readonly #secrets: string[];
  constructor(secrets: string[] = []) {
    this.#secrets = secrets;
  }
  start(): void {}
  stage(): void {}
  result(): void {}
  finish(results: HostResult[], mode: Mode): void {
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
        duration_ms: r.durationMs,
        round_trips: r.roundTrips,
      };
    });
    process.stdout.write(
      `${JSON.stringify({ version: JSON_VERSION, command: mode, mode, hosts }, null, 2)}\n`,
    );
  }
}
