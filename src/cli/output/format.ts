// Text shared by the reporters: change lines with diffs, the recap.
import type { HostResult, Mode } from '../../executor/host.js';
import { maskSecretText } from '../../inventory/secrets.js';
import { type Change, describeChange } from '../../planner/changes.js';
import { unifiedDiff } from '../../planner/diff.js';
import { changeClass, disruptionSummary } from '../../planner/disruption.js';

const SIGN: Record<string, string> = { add: '+', create: '+', remove: '-', drain: '-', stop: '-', down: '-' };

/** The unified diff a file change makes; a file holding a secret shows *** in its place. */
export function changeDiff(c: Change, secrets: string[]): string {
  if (c.kind !== 'file' || c.metaOnly) return '';
  const show = (t: string | null) => (t === null || !c.secret ? t : maskSecretText(t, secrets));
  const diff = unifiedDiff(c.path, show(c.before), show(c.after));
  return diff || c.before === c.after ? diff : '(only the secret changed; its value is never shown)';
}

export function changeLines(c: Change, withDiff: boolean, secrets: string[] = []): string[] {
  const action = 'action' in c ? c.action : 'set';
  const head = `${SIGN[action] ?? '~'} ${describeChange(c)}  [${changeClass(c)}]`;
  if (!withDiff) return [head];
  const diff = changeDiff(c, secrets);
  return diff ? [head, ...diff.split('\n').map((l) => `    ${l}`)] : [head];
}

export function hostSummary(r: HostResult, mode: Mode): string {
  const n = r.plan?.changes.length ?? r.changes.length;
  switch (r.status) {
    case 'ok':
      return mode === 'plan' ? 'no changes' : 'ok (nothing to change)';
    case 'changed':
      return mode === 'plan' ? `${n} change(s) pending` : `changed (${n} change(s))`;
    case 'unreachable':
      return `UNREACHABLE: ${r.error ?? ''}`;
    case 'failed':
      return `FAILED: ${r.error ?? ''}`;
  }
}

export function recap(results: HostResult[], mode: Mode): string[] {
  const width = Math.max(4, ...results.map((r) => r.host.length));
  const out = [`${mode.toUpperCase()} RECAP ${'*'.repeat(50)}`];
  for (const r of results) {
    const count = (s: string) => (r.status === s ? 1 : 0);
    const changed = r.status === 'changed' ? (r.plan?.changes.length ?? 0) : 0;
    out.push(
      `${r.host.padEnd(width)} : ok=${count('ok') + count('changed')} changed=${changed} unreachable=${count('unreachable')} failed=${count('failed')}  ${(r.durationMs / 1000).toFixed(1)}s`,
    );
  }
  // Operator drains `up` keeps, once per host: "[lb1] web1 drained by operator since …".
  for (const r of results) for (const n of r.notes ?? []) out.push(`[${r.host}] ${n}`);
  return out;
}

/** `disruption: reload (1 reload, 4 live)` — the host's worst class; null when nothing changes. */
export function disruptionLine(r: HostResult): string | null {
  if (r.status !== 'changed') return null;
  const summary = disruptionSummary(r.plan?.changes ?? []);
  return summary ? `disruption: ${summary}` : null;
}
