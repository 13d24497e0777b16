// Small helpers the importers share: notes at a statement, numbers that must be numbers.
import type { Stmt } from './keepalived-syntax.js';
import { type ImportNote, syntaxError } from './types.js';

export class Notes {
  readonly list: ImportNote[] = [];
  add(at: { file: string; line: number }, message: string, ignoredByDaemon = false): void {
    this.list.push({
      file: at.file,
      line: at.line,
      message,
      ...(ignoredByDaemon ? { ignoredByDaemon } : {}),
    });
  }
  /** A keyword the inventory has no place for. */
  unmapped(s: Stmt, why = 'the inventory has no equivalent; not imported'): void {
    const words = [s.keyword, ...s.args].join(' ');
    this.add(s, `\`${words}${s.block ? ' { … }' : ''}\`: ${why}`);
  }
  /** Words keepalived ignores after a keyword's arguments (usually a one-line block). */
  extra(s: Stmt, used: number): void {
    if (s.args.length > used) {
      this.add(
        s,
        `keepalived ignores \`${s.args.slice(used).join(' ')}\` after \`${s.keyword}${used ? ` ${s.args.slice(0, used).join(' ')}` : ''}\` (one keyword per line; a one-line block is read as one statement)`,
        true,
      );
    }
  }
}

/** A number argument; anything else is malformed input (exit 2). */
export function num(s: Stmt, i = 0, what = s.keyword): number {
  const text = s.args[i];
  const n = text === undefined ? Number.NaN : Number(text);
  if (!Number.isFinite(n)) {
    throw syntaxError(
      s.file,
      s.line,
      `${what}: expected a number, got ${text === undefined ? 'nothing' : JSON.stringify(text)}`,
    );
  }
  return n;
}

export function int(s: Stmt, i = 0, what = s.keyword): number {
  const n = num(s, i, what);
  if (!Number.isInteger(n)) throw syntaxError(s.file, s.line, `${what}: expected a whole number, got ${n}`);
  return n;
}

export function arg(s: Stmt, i = 0): string {
  const text = s.args[i];
  if (text === undefined) throw syntaxError(s.file, s.line, `${s.keyword}: missing value`);
  return text;
}
