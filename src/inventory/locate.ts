// Map a path inside the parsed YAML (from a zod issue or a cross-field rule) back to
// FILE:LINE:COL. Unknown keys point at the key; missing keys at the map that lacks them.
import { readFile } from 'node:fs/promises';
import {
  type Document,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type Pair,
  parseDocument,
} from 'yaml';

export type PathKey = string | number;

export interface Position {
  line: number;
  col: number;
}

function child(node: unknown, key: PathKey): { node: unknown; pair?: Pair } | undefined {
  if (isMap(node)) {
    const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(key));
    return pair ? { node: pair.value, pair } : undefined;
  }
  if (isSeq(node) && typeof key === 'number') {
    const item = node.items[key];
    return item === undefined ? undefined : { node: item };
  }
  return undefined;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null)?.range;
  return range ? range[0] : undefined;
}

/**
 * Find the position for `path`. `at: 'key'` points at the key of the last element (used for
 * unknown keys); otherwise at its value. Falls back to the deepest ancestor that exists.
 */
export function locate(
  doc: Document,
  lc: LineCounter,
  path: PathKey[],
  at: 'key' | 'value' = 'value',
): Position {
  let node: unknown = doc.contents;
  let offset = rangeStart(node) ?? 0;
  for (const [i, key] of path.entries()) {
    const next = child(node, key);
    if (!next) break;
    const isLast = i === path.length - 1;
    const keyStart = next.pair ? rangeStart(next.pair.key) : undefined;
    const valueStart = rangeStart(next.node);
    offset = (isLast && at === 'key' ? keyStart : (valueStart ?? keyStart)) ?? offset;
    node = next.node;
  }
  const pos = lc.linePos(offset);
  return { line: pos.line, col: pos.col };
}

/** `services[0].real_servers[1].port`; an odd key (a newline, a dot) is quoted: `hosts["a\nb"]`. */
export function formatPath(path: readonly PathKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (!/^[A-Za-z0-9_-]+$/.test(key)) out += `[${JSON.stringify(key)}]`;
    else out += out ? `.${key}` : key;
  }
  return out;
}

/** The position of `path` in an inventory file on disk (for problems found after loading it). */
export async function locateInFile(file: string, path: PathKey[]): Promise<Position> {
  const lc = new LineCounter();
  const doc = parseDocument(await readFile(file, 'utf8'), { lineCounter: lc });
  return locate(doc, lc, path);
}
