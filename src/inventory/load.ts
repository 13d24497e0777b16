// Read an inventory file: bytes → YAML document (with positions) → zod → cross-field rules →
// secrets → typed Inventory. Every problem found is reported at once, as FILE:LINE:COL lines.
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, resolve } from 'node:path';
import { type Document, isPair, isSeq, LineCounter, parseDocument, visit } from 'yaml';
import type { z } from 'zod';
import { formatProblem, InventoryError, type InventoryProblem } from '../errors.js';
import { missingIdentities } from './identity.js';
import { formatPath, locate, type PathKey } from './locate.js';
import { normalize } from './normalize.js';
import { checkRules, checkWarnings } from './rules.js';
import { inventorySchema } from './schema.js';
import { unknownKeyMessage, withMappingKeys } from './suggest.js';
import type { Inventory } from './types.js';

const MAX_BYTES = 4 * 1024 * 1024;

interface Ctx {
  file: string;
  doc: Document;
  lc: LineCounter;
}

function problemAt(
  ctx: Ctx,
  path: PathKey[],
  message: string,
  at: 'key' | 'value' = 'value',
): InventoryProblem {
  const { line, col } = locate(ctx.doc, ctx.lc, path, at);
  return { file: ctx.file, line, col, path: formatPath(path), message };
}

function whole(file: string, message: string): InventoryError {
  return new InventoryError([{ file, line: 1, col: 1, path: '', message }]);
}

async function readText(file: string): Promise<string> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw whole(file, code === 'ENOENT' ? 'no such file' : `cannot read the file (${code})`);
  }
  if (size > MAX_BYTES)
    throw whole(file, `file is too large (${size} bytes; an inventory is at most ${MAX_BYTES} bytes)`);
  const bytes = await readFile(file).catch((err: NodeJS.ErrnoException) => {
    throw whole(file, `cannot read the file (${err.code})`);
  });
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    if (text.includes('\0')) throw new Error('nul');
    return text;
  } catch {
    throw whole(file, 'not UTF-8 text (an inventory is a YAML file)');
  }
}

/** The field path of a node from `visit`'s ancestors, so a trap names its field like any problem. */
function visitPath(ancestors: readonly unknown[], node: unknown): PathKey[] {
  const out: PathKey[] = [];
  const chain = [...ancestors, node];
  chain.forEach((n, i) => {
    const next = chain[i + 1];
    if (isPair(n) && next !== undefined && next === n.value) {
      const k = (n.key as { value?: unknown } | null)?.value;
      if (typeof k === 'string' || typeof k === 'number') out.push(k);
    } else if (isSeq(n) && next !== undefined) {
      const idx = n.items.indexOf(next as never);
      if (idx >= 0) out.push(idx);
    }
  });
  return out;
}

/** YAML 1.2 traps that parse fine but rarely mean what the author meant. */
function yamlTraps(ctx: Ctx): InventoryProblem[] {
  const out: InventoryProblem[] = [];
  visit(ctx.doc, {
    Scalar(_key, node, ancestors) {
      const src = (node as { source?: string }).source;
      if (typeof node.value === 'number' && src && /^0\d+$/.test(src) && node.range) {
        const { line, col } = ctx.lc.linePos(node.range[0]);
        out.push({
          file: ctx.file,
          line,
          col,
          path: formatPath(visitPath(ancestors, node)),
          message: `${src}: YAML 1.2 reads a leading zero as decimal ${node.value}, not octal (write ${node.value} or quote it)`,
        });
      }
    },
  });
  return out;
}

/**
 * zod's record() skips a `__proto__` key without a word, so a host named that would vanish.
 * Reported here, unless zod already flagged the same spot (an unknown key of a fixed mapping).
 */
function reservedKeys(ctx: Ctx, already: InventoryProblem[]): InventoryProblem[] {
  const out: InventoryProblem[] = [];
  const taken = new Set(already.map((p) => `${p.line}:${p.col}`));
  visit(ctx.doc, {
    Pair(_key, pair, ancestors) {
      const k = pair.key as { value?: unknown; range?: [number, number, number] } | null;
      if (k?.value !== '__proto__' || !k.range) return;
      const { line, col } = ctx.lc.linePos(k.range[0]);
      if (taken.has(`${line}:${col}`)) return;
      const path = [...visitPath(ancestors, pair), '__proto__'];
      out.push({
        file: ctx.file,
        line,
        col,
        path: formatPath(path),
        message: '"__proto__" is not allowed as a key',
      });
    },
  });
  return out;
}

function describeInput(input: unknown): string {
  if (input === undefined) return 'nothing';
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  // JSON quoting keeps a value with a newline or an escape sequence on one line, harmless.
  return typeof input === 'string'
    ? JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input)
    : String(input);
}

/** Fields whose value may be a secret written inline by mistake: never echo what was found there. */
const SECRET_FIELDS = new Set<PathKey>(['auth_pass']);

const TYPE_NAMES: Record<string, string> = {
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
  int: 'an integer',
};

function zodMessage(issue: z.core.$ZodIssue, secret: boolean): string {
  const raw = (issue as { input?: unknown }).input;
  const input =
    secret && raw !== undefined && typeof raw !== 'object' ? '(a value not shown: it may be a secret)' : raw;
  switch (issue.code) {
    case 'invalid_type': {
      const expected = TYPE_NAMES[issue.expected] ?? issue.expected;
      if (raw === undefined) return `required (expected ${expected})`;
      const hint =
        issue.expected === 'boolean' && typeof raw === 'string' && /^(yes|no|on|off|y|n)$/i.test(raw)
          ? ' (YAML 1.2 reads yes/no/on/off as strings: write true or false)'
          : issue.expected === 'boolean' && typeof raw === 'string' && /^(true|false)$/i.test(raw)
            ? ' (remove the quotes)'
            : (issue.expected === 'number' || issue.expected === 'int') &&
                typeof raw === 'string' &&
                /^\d+$/.test(raw)
              ? ' (remove the quotes)'
              : '';
      return `expected ${expected}, got ${secret ? input : describeInput(input)}${hint}`;
    }
    case 'invalid_value':
      return `${describeInput(input)} is not allowed (expected one of: ${issue.values.map(String).join(', ')})`;
    case 'too_small':
      return issue.origin === 'array'
        ? `needs at least ${issue.minimum} item(s)`
        : `${describeInput(input)} is too small (expected ≥ ${issue.minimum})`;
    case 'too_big':
      return `${describeInput(input)} is too large (expected ≤ ${issue.maximum})`;
    case 'invalid_union':
      // Only secret references are unions: { env: NAME } | { file: PATH }.
      return secret && typeof raw === 'string'
        ? 'a secret is not written in the inventory: use { env: NAME } or { file: PATH } (the value is not shown)'
        : `${describeInput(input)} is not valid here (expected { env: NAME } or { file: PATH })`;
    case 'invalid_format':
      // Regex checks carry their own message ("not a valid user name"); zod's default says "regex".
      return issue.format === 'regex'
        ? `${describeInput(input)} is ${issue.message}`
        : `${describeInput(input)} is not a valid ${issue.format}`;
    case 'custom':
      return `${describeInput(input)} is ${issue.message}`;
    default:
      return issue.message;
  }
}

function zodProblems(ctx: Ctx, error: z.ZodError): InventoryProblem[] {
  return error.issues.flatMap((issue) => {
    const path = issue.path.filter((k): k is PathKey => typeof k !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((k) =>
        problemAt(ctx, [...path, k], unknownKeyMessage(inventorySchema, path, k), 'key'),
      );
    }
    if (issue.code === 'invalid_key')
      return [problemAt(ctx, path, `invalid key: ${issue.issues[0]?.message ?? issue.message}`, 'key')];
    const message = zodMessage(issue, SECRET_FIELDS.has(path[path.length - 1] ?? ''));
    return [problemAt(ctx, path, withMappingKeys(inventorySchema, path, message))];
  });
}

function byPosition(a: InventoryProblem, b: InventoryProblem): number {
  return a.line - b.line || a.col - b.col;
}

/** Sorted by position, each problem once (the parser may say the same thing twice at one spot). */
function report(problems: InventoryProblem[]): InventoryError {
  const seen = new Set<string>();
  const unique = problems.filter((p) => {
    const key = `${p.line}:${p.col}:${p.path}:${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return new InventoryError(unique.sort(byPosition));
}

/** Aliases expand in toJS; a few nested ones ("billion laughs") would expand to gigabytes. */
const MAX_ALIASES = 100;

function toData(ctx: Ctx): unknown {
  try {
    return ctx.doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (err) {
    let first: number | undefined;
    visit(ctx.doc, {
      Alias(_k, node) {
        first ??= node.range?.[0];
        return visit.BREAK;
      },
    });
    const { line, col } = ctx.lc.linePos(first ?? 0);
    const message =
      err instanceof RangeError
        ? 'YAML: the document is nested too deeply'
        : `YAML: aliases expand too far (more than ${MAX_ALIASES} expansions; a "billion laughs" document?)`;
    throw new InventoryError([
      {
        file: ctx.file,
        line: err instanceof RangeError ? 1 : line,
        col: err instanceof RangeError ? 1 : col,
        path: '',
        message,
      },
    ]);
  }
}

/** Load and validate; throws InventoryError (exit 2) listing every problem. */
export interface LoadOptions {
  /** Lab commands: leave secrets unread. */
  skipSecrets?: boolean;
  /** Commands that connect: every identity file must be readable now (exit 2 otherwise). */
  checkIdentity?: boolean;
  /** Accepted but suspicious (`FILE:LINE:COL: field: warning: …`); ignored when unset. */
  onWarning?: (line: string) => void;
}

export async function loadInventory(path: string, opts: LoadOptions = {}): Promise<Inventory> {
  const file = resolve(path);
  const shown = path;
  const text = await readText(file).catch((err: unknown) => {
    if (err instanceof InventoryError)
      throw new InventoryError(err.problems.map((p) => ({ ...p, file: shown })));
    throw err;
  });
  // Line by line: a single regex over the whole text backtracked exponentially on a "####…" banner.
  if (text.split('\n').every((l) => /^\s*(?:#.*)?$/.test(l))) {
    throw whole(shown, 'the file is empty (expected a mapping with hosts, directors and services)');
  }
  const lc = new LineCounter();
  let doc: Document;
  try {
    // logLevel 'error': yaml would print a Node warning ("Keys with collection values…") on stderr.
    doc = parseDocument(text, {
      lineCounter: lc,
      prettyErrors: false,
      uniqueKeys: true,
      merge: true,
      logLevel: 'error',
    });
  } catch (err) {
    // Deep block nesting ("- - - - …") overflows the parser's stack outside its own error list.
    if (err instanceof RangeError) throw whole(shown, 'YAML syntax: the document is nested too deeply');
    throw err;
  }
  const ctx: Ctx = { file: shown, doc, lc };
  if (doc.errors.length > 0) {
    // prettyErrors: false leaves linePos unset; the offset is always there.
    throw report(
      doc.errors.map((e) => {
        // Where the parser ran out of stack depends on the stack size, not on the file: say 1:1.
        const deep = /call stack/i.test(e.message);
        const { line, col } = deep ? { line: 1, col: 1 } : lc.linePos(e.pos[0]);
        const msg =
          e.code === 'MULTIPLE_DOCS'
            ? 'more than one document (---) in the file; an inventory is one document'
            : deep
              ? 'the document is nested too deeply'
              : e.message.split('\n')[0];
        return { file: shown, line, col, path: '', message: `YAML syntax: ${msg}` };
      }),
    );
  }
  const data = toData(ctx);
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    const what = data === null ? 'an empty document' : describeInput(data);
    throw whole(shown, `expected a mapping with hosts, directors and services at the top level, got ${what}`);
  }
  const traps = yamlTraps(ctx);
  const parsed = inventorySchema.safeParse(data, { reportInput: true });
  // Cross-field rules run only on a schema-valid inventory: they read defaults and types the schema
  // guarantees (a port that is a number, a host map of objects), and on a half-valid document they
  // would mostly repeat the schema's complaint in other words. zod itself reports every issue it finds.
  if (!parsed.success) {
    const schemaProblems = zodProblems(ctx, parsed.error);
    throw report([...schemaProblems, ...traps, ...reservedKeys(ctx, schemaProblems)]);
  }
  const reserved = reservedKeys(ctx, []);
  if (reserved.length > 0) throw report([...reserved, ...traps]);
  const ruleProblems = checkRules(parsed.data).map((p) => problemAt(ctx, p.path, p.message, p.at));
  if (ruleProblems.length > 0 || traps.length > 0) throw report([...ruleProblems, ...traps]);
  for (const w of checkWarnings(parsed.data)) {
    opts.onWarning?.(formatProblem(problemAt(ctx, w.path, `warning: ${w.message}`)));
  }
  const fallbackName = basename(file, extname(file));
  const result = normalize(parsed.data, {
    file,
    name: parsed.data.name ?? fallbackName,
    baseDir: dirname(file),
    ...(opts.skipSecrets ? { skipSecrets: true } : {}),
  });
  const problems = [
    ...result.problems,
    ...(opts.checkIdentity ? missingIdentities(parsed.data, result.inventory) : []),
  ];
  if (problems.length > 0) throw report(problems.map((p) => problemAt(ctx, p.path, p.message)));
  return result.inventory;
}
