// Hand-written YAML for the imported inventory: flow mappings one per line, each with a comment
// saying where its values came from. (Only inventory/ and roles/ load the yaml package; the output
// is small and regular, and `loadInventory` proves it reads back.)
import type { Origin } from './types.js';

const PLAIN = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** A YAML scalar: plain when it cannot be read as anything else, else double-quoted (JSON). */
export function scalar(v: string | number | boolean): string {
  if (typeof v !== 'string') return String(v);
  return PLAIN.test(v) && !/^(true|false|yes|no|on|off|null|y|n)$/i.test(v) ? v : JSON.stringify(v);
}

export type Value = string | number | boolean | Value[] | { [k: string]: Value | undefined };

export function flow(v: Value): string {
  if (Array.isArray(v)) return `[${v.map(flow).join(', ')}]`;
  if (typeof v === 'object') {
    const parts = Object.entries(v)
      .filter(([, x]) => x !== undefined)
      .map(([k, x]) => `${scalar(k)}: ${flow(x as Value)}`);
    return `{ ${parts.join(', ')} }`;
  }
  return scalar(v);
}

/** `from FILE:LINE` (empty when nothing is known). */
export function where(...at: (Origin | undefined)[]): string {
  const list = at.filter((a): a is Origin => a !== undefined).map((a) => `${a.file}:${a.line}`);
  return list.length ? `from ${[...new Set(list)].join(', ')}` : '';
}

/** The end-of-line comment `  # from FILE:LINE`. */
export function from(...at: (Origin | undefined)[]): string {
  const w = where(...at);
  return w ? `  # ${w}` : '';
}

export class YamlOut {
  readonly lines: string[] = [];
  line(indent: number, text: string, comment = ''): void {
    this.lines.push(`${' '.repeat(indent)}${text}${comment}`);
  }
  comment(indent: number, text: string): void {
    for (const l of text.split('\n')) this.lines.push(`${' '.repeat(indent)}# ${l}`);
  }
  text(): string {
    return `${this.lines.join('\n')}\n`;
  }
}
