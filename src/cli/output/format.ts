// Text shared by the reporters: change lines with diffs, the recap.
import type { HostResult, Mode } from '../../executor/host.js';
import { type Change, describeChange } from '../../planner/changes.js';
import { unifiedDiff } from '../../planner/diff.js';

const SIGN: Record<string, string> = { add: '+', create: '+', remove: '-', drain: '-', stop: '-', down: '-' };

export function changeLines(c: Change, withDiff: boolean): string[] {
  const action = 'action' in c ? c.action : 'set';
  const head = `${SIGN[action] ?? '~'} ${describeChange(c)}`;
  if (!withDiff || c.kind !== 'file' || c.metaOnly) return [head];
  if (c.secret) return [head, '    (content not shown: the file holds a secret)'];
  const diff = unifiedDiff(c.path, c.before, c.after);
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
