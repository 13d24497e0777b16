// A seeded mutation fuzzer for the inventory loader: every example inventory, mangled as text and as
// a parsed object, must load or be refused with an InventoryError whose every line is one clean
// FILE:LINE:COL problem. Anything else — a TypeError, a RangeError, a hang — is a loader bug.
// The cases run in a worker thread so a hang (a backtracking regex, an endless loop) is caught by the
// main thread's watchdog instead of freezing the test. Each case has its own PRNG derived from
// (seed, case number), so a failure is replayed from those two numbers alone:
//   LVS_FUZZ_SEED=<seed> LVS_FUZZ_CASE=<n> node --import tsx --test test/unit/fuzz-inventory.test.ts
// LVS_FUZZ_CASES and LVS_FUZZ_SECONDS change the bounds (10,000 cases or 60 s, whichever comes first).
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { parse, stringify } from 'yaml';
import { InventoryError } from '../../src/errors.js';
import { loadInventory } from '../../src/inventory/load.js';

const ROOT = join(import.meta.dirname, '..', '..');
const DEFAULT_SEED = 0x1f2e3d4c;
const SEED = process.env.LVS_FUZZ_SEED ? Number(process.env.LVS_FUZZ_SEED) >>> 0 : DEFAULT_SEED;
const MAX_CASES = Number(process.env.LVS_FUZZ_CASES ?? 10_000);
const MAX_SECONDS = Number(process.env.LVS_FUZZ_SECONDS ?? 60);
/** A single case taking this long is a hang (the slowest legitimate ones, 250 kB of nesting, take seconds on a busy machine). */
const HANG_MS = 30_000;
/** Cases are split across workers (2 on a 2-core machine: the loader is CPU-bound). */
const WORKERS = Math.max(1, Math.min(Number(process.env.LVS_FUZZ_WORKERS ?? 2), availableParallelism()));
const ONLY_CASE = process.env.LVS_FUZZ_CASE === undefined ? undefined : Number(process.env.LVS_FUZZ_CASE);

// ---------------------------------------------------------------- deterministic PRNG (mulberry32)

type Rng = () => number;

function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function caseRng(seed: number, i: number): Rng {
  let h = (seed ^ Math.imul(i + 1, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return mulberry32(h ^ (h >>> 16));
}

const int = (r: Rng, n: number): number => Math.floor(r() * n);
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[int(r, xs.length)] as T;

// ---------------------------------------------------------------- the corpus

function corpus(): { name: string; text: string }[] {
  const dirs = [join(ROOT, 'inventories'), join(ROOT, 'test', 'fixtures', 'good')];
  return dirs.flatMap((d) =>
    readdirSync(d)
      .filter((f) => f.endsWith('.yaml'))
      .sort()
      .map((f) => ({ name: f, text: readFileSync(join(d, f), 'utf8') })),
  );
}

// ---------------------------------------------------------------- mutations on the text

const NASTY = [
  '"',
  "'",
  '`',
  '$(x)',
  '`id`',
  '$' + '{HOME}',
  '\n',
  '\r\n',
  '\t',
  '\0',
  '\u0085',
  '\u2028',
  '\ufeff',
  '\u001b[31m',
  '#',
  '!',
  '&a',
  '*a',
  '*',
  '&',
  '|',
  '>',
  '- ',
  ': ',
  '? ',
  '---',
  '...',
  '%YAML 1.1',
  '!!binary',
  '!!set',
  '!!omap',
  '!!timestamp',
  '!!str',
  '!!int',
  '!!float',
  '!!map',
  '!!seq',
  '!ruby/object',
  '<<: *a',
  '{',
  '}',
  '[',
  ']',
  ',',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  '\\',
  '\\x00',
  '%',
  '@',
  '~',
  'null',
  'NaN',
  '.nan',
  '.inf',
  '-.inf',
  '0x7fffffff',
  '0o777',
  '1e309',
  '-0',
  '💥',
  'ß',
  '\ud800',
];

const HUGE = [
  '99999999999999999999999',
  '1e309',
  '-1',
  '-65536',
  '0',
  '0.5',
  '-0.0',
  '4294967296',
  '9007199254740993',
  '.inf',
  '-.inf',
  '.nan',
  '0x10000',
  '1_000',
  '080',
  '00',
  '2.',
  '+1',
  '1e3',
  '65536',
  '256',
  '255',
  '0o17',
];

function longString(r: Rng): string {
  // Mostly moderate; now and then far past anything real (the parser's cost grows with length,
  // so the huge ones are kept rare to fit 10,000 cases in the time bound).
  const x = r();
  const n = x < 0.5 ? 300 : x < 0.8 ? 2_000 : x < 0.95 ? 10_000 : x < 0.99 ? 70_000 : 500_000;
  return pick(r, ['a', '#', ' ', 'x.', '9', '-', '\\', "'", '"', '[', '{', '- ', 'a: ', '*'])
    .repeat(Math.ceil(n / 2))
    .slice(0, n);
}

function randomBytes(r: Rng): string {
  let s = '';
  const n = 1 + int(r, 8);
  for (let k = 0; k < n; k++)
    s += String.fromCharCode(
      int(r, 3) === 0 ? int(r, 0x20) : int(r, 2) === 0 ? 0x20 + int(r, 95) : int(r, 0x10000),
    );
  return s;
}

type TextMutation = (r: Rng, lines: string[]) => string[];

const textMutations: TextMutation[] = [
  // delete a line
  (r, ls) => ls.filter((_, i) => i !== int(r, ls.length)),
  // duplicate a line (duplicate keys, duplicate list items)
  (r, ls) => {
    const i = int(r, ls.length);
    return [...ls.slice(0, i + 1), ls[i] ?? '', ...ls.slice(i + 1)];
  },
  // swap two lines
  (r, ls) => {
    const out = [...ls];
    const a = int(r, out.length);
    const b = int(r, out.length);
    [out[a], out[b]] = [out[b] ?? '', out[a] ?? ''];
    return out;
  },
  // flip indentation: more, less, none, a tab
  (r, ls) => {
    const i = int(r, ls.length);
    const l = ls[i] ?? '';
    const v = pick(r, [`  ${l}`, l.replace(/^ {1,2}/, ''), l.trimStart(), `\t${l.trimStart()}`, ` ${l}`]);
    return ls.map((x, k) => (k === i ? v : x));
  },
  // insert random bytes / a nasty token / a newline at a random column
  (r, ls) => {
    const i = int(r, ls.length);
    const l = ls[i] ?? '';
    const at = int(r, l.length + 1);
    const what = pick(r, [randomBytes(r), pick(r, NASTY), pick(r, NASTY), '\n', '"', "'", '$(x)']);
    return ls.map((x, k) => (k === i ? `${l.slice(0, at)}${what}${l.slice(at)}` : x));
  },
  // a very long string: as a value, as a key, as a comment, as a line of its own
  (r, ls) => {
    const i = int(r, ls.length);
    const l = ls[i] ?? '';
    const s = longString(r);
    const v = pick(r, [
      l.replace(/:\s+(\S.*)$/, `: ${s}`),
      `${s}: 1`,
      `# ${s}`,
      s,
      l.replace(/([A-Za-z_]+):/, `${s}:`),
    ]);
    return ls.map((x, k) => (k === i ? v : x));
  },
  // numbers → huge, negative, float, odd spellings
  (r, ls) => {
    const i = int(r, ls.length);
    return ls.map((x, k) => (k === i || r() < 0.05 ? x.replace(/\b\d+(\.\d+)?\b/, () => pick(r, HUGE)) : x));
  },
  // replace a scalar value with a list, a map, null, an alias, a tagged value
  (r, ls) => {
    const i = int(r, ls.length);
    const repl = pick(r, [
      '[a, b]',
      '{ a: 1 }',
      '[]',
      '{}',
      '~',
      'null',
      '*nope',
      '!!binary aGk=',
      '!!set { a }',
      '[[[[[[[[]]]]]]]]',
      '{ env: X }',
      '{ file: /etc/passwd }',
      'true',
      '"true"',
      "''",
      '- x',
      '|\n  block',
      '2001-12-14',
    ]);
    return ls.map((x, k) =>
      k === i ? x.replace(/:\s+([^#\n]+)$/, `: ${repl}`).replace(/^(\s*-\s+)(\S[^#]*)$/, `$1${repl}`) : x,
    );
  },
  // drop a key (its line and any deeper-indented lines after it)
  (r, ls) => {
    const keyed = ls.map((l, i) => [l, i] as const).filter(([l]) => /^\s*[A-Za-z_]+:/.test(l));
    if (keyed.length === 0) return ls;
    const [l, i] = pick(r, keyed);
    const indent = /^\s*/.exec(l)?.[0].length ?? 0;
    let end = i + 1;
    while (
      end < ls.length &&
      ((ls[end] ?? '').trim() === '' || (/^\s*/.exec(ls[end] ?? '')?.[0].length ?? 0) > indent)
    )
      end++;
    return [...ls.slice(0, i), ...ls.slice(end)];
  },
  // anchors, aliases, merge keys, documents, directives
  (r, ls) => {
    const i = int(r, ls.length);
    const add = pick(r, [
      'x: &a { b: *a }',
      'x: &a [*a]',
      '<<: *a',
      '<<: [*a, *b]',
      '<<: 1',
      '---',
      '--- !!map',
      '%TAG ! tag:x,2000:',
      'a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]',
      '? [a, b]\n: c',
      '? { a: 1 }\n: c',
      '"\\u0000": 1',
      '"": 1',
      '1: 2',
      'null: 1',
      '~: 1',
      'true: 1',
      '.5: 1',
      '[a]: 1',
    ]);
    return [...ls.slice(0, i), add, ...ls.slice(i)];
  },
];

// ---------------------------------------------------------------- mutations on the parsed object

type Json = unknown;

const VALUES: (() => Json)[] = [
  () => 1e308 * 10,
  () => -1,
  () => 0,
  () => 0.5,
  () => Number.NaN,
  () => -0,
  () => 2 ** 53 + 2,
  () => 65536,
  () => 256,
  () => '',
  () => ' ',
  () => 'x'.repeat(100_000),
  () => 'a\nb',
  () => '$(reboot)',
  () => '"; rm -rf / #',
  () => '10.0.0.1',
  () => '::1',
  () => 'fe80::1%eth0',
  () => '10.0.0.1/33',
  () => '10.0.0.1/24',
  () => [],
  () => [1, 2],
  () => ({}),
  () => ({ a: 1 }),
  () => null,
  () => true,
  () => false,
  () => ({ env: 'LVS_VRRP_PASS' }),
  () => ({ env: 'NOPE_UNSET_VAR' }),
  () => ({ file: '/nonexistent/secret' }),
  () => ({ file: '/etc' }),
  () => ({ env: 'X', file: 'y' }),
  () => 'rr',
  () => 'dr',
  () => 'keepalived',
  () => '__proto__',
  () => 'constructor',
  () => JSON.parse('{"__proto__": {"polluted": 1}}'),
  () => ({ constructor: 1, toString: 2 }),
  () => new Date(0),
  () => [[[[[[[[[[[]]]]]]]]]]],
];

type Path = (string | number)[];

function allPaths(v: Json, path: Path = [], out: Path[] = []): Path[] {
  out.push(path);
  // A mutated document may nest thousands deep or hold thousands of items: a sample is enough.
  if (path.length > 30 || out.length > 5000) return out;
  if (Array.isArray(v)) {
    for (const [i, x] of v.entries()) allPaths(x, [...path, i], out);
  } else if (v !== null && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) allPaths(x, [...path, k], out);
  return out;
}

function parentOf(
  root: Json,
  path: Path,
): { parent: Record<string | number, Json>; key: string | number } | undefined {
  if (path.length === 0) return undefined;
  let node = root as Record<string | number, Json>;
  for (const k of path.slice(0, -1)) node = node[k] as Record<string | number, Json>;
  return { parent: node, key: path[path.length - 1] as string | number };
}

type ObjMutation = (r: Rng, root: Json, path: Path) => void;

const objMutations: ObjMutation[] = [
  // replace a value
  (r, root, path) => {
    const at = parentOf(root, path);
    if (at) at.parent[at.key] = pick(r, VALUES)();
  },
  // drop a key / an item
  (_r, root, path) => {
    const at = parentOf(root, path);
    if (!at) return;
    if (Array.isArray(at.parent)) at.parent.splice(at.key as number, 1);
    else delete at.parent[at.key];
  },
  // wrap a scalar in a list or a map
  (r, root, path) => {
    const at = parentOf(root, path);
    if (at) at.parent[at.key] = r() < 0.5 ? [at.parent[at.key]] : { value: at.parent[at.key] };
  },
  // rename a key (to a near miss, an odd name, or another key's name)
  (r, root, path) => {
    const at = parentOf(root, path);
    if (!at || Array.isArray(at.parent)) return;
    const v = at.parent[at.key];
    delete at.parent[at.key];
    const k = String(at.key);
    at.parent[
      pick(r, [
        `${k}s`,
        k.toUpperCase(),
        k.slice(1),
        `${k} `,
        'a.b',
        'x'.repeat(64),
        '',
        '0',
        'constructor',
        'toString',
        'hosts',
        'port',
      ])
    ] = v;
  },
  // duplicate an item in a list, or empty a list/map
  (r, root, path) => {
    const at = parentOf(root, path);
    if (!at) return;
    const v = at.parent[at.key];
    if (Array.isArray(v)) {
      if (r() < 0.5) v.push(structuredClone(v[int(r, v.length)]));
      else v.length = 0;
    } else if (v !== null && typeof v === 'object') at.parent[at.key] = {};
  },
  // numbers: off by one, sign, fraction, huge
  (r, root, path) => {
    const at = parentOf(root, path);
    if (!at || typeof at.parent[at.key] !== 'number') return;
    const n = at.parent[at.key] as number;
    at.parent[at.key] = pick(r, [n + 1, n - 1, -n, n + 0.5, n * 1e12, String(n), 0]);
  },
];

// ---------------------------------------------------------------- one case

export interface FuzzCase {
  source: string;
  mutations: string[];
  /** The bytes written to the file (a string; lone surrogates become U+FFFD on write). */
  text: string;
}

export function makeCase(seed: number, i: number, docs: { name: string; text: string }[]): FuzzCase {
  const r = caseRng(seed, i);
  const src = pick(r, docs);
  const mutations: string[] = [];
  let text = src.text;
  const rounds = 1 + int(r, 3);
  for (let k = 0; k < rounds; k++) {
    // Parsing and re-dumping a huge mutated text costs more than the loader does: mangle it as text.
    if (r() < 0.65 || text.length > 20_000) {
      const m = int(r, textMutations.length);
      mutations.push(`text#${m}`);
      text = (textMutations[m] as TextMutation)(r, text.split('\n')).join('\n');
    } else {
      let obj: Json;
      try {
        // 'error': a broken text throws (with 'silent' yaml drops the errors and converts the wreck).
        obj = parse(text, { uniqueKeys: false, maxAliasCount: 10, logLevel: 'error' });
      } catch {
        continue;
      }
      if (obj === null || typeof obj !== 'object') continue;
      const m = int(r, objMutations.length);
      const paths = allPaths(obj).filter((p) => p.length > 0);
      if (paths.length === 0) continue;
      const path = pick(r, paths);
      mutations.push(`obj#${m}@${path.join('.').slice(0, 80)}`);
      try {
        (objMutations[m] as ObjMutation)(r, obj, path);
        // Shared nodes (from aliases) stay aliases: expanded, a few nested ones dump exponentially.
        text = stringify(obj, { lineWidth: 0 });
      } catch {
        // Too deep for the YAML writer (the fuzzer's own limit, not the loader's): keep the text.
      }
    }
  }
  return { source: src.name, mutations, text };
}

export type Verdict = { ok: true; loaded: boolean } | { ok: false; why: string };

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Node warnings printed while loading: stray lines on the user's stderr. */
const warnings: string[] = [];

export async function judge(file: string): Promise<Verdict> {
  warnings.length = 0;
  const verdict = await judgeLoad(file);
  if (verdict.ok && warnings.length > 0)
    return { ok: false, why: `the loader printed a Node warning: ${warnings[0]}` };
  return verdict;
}

async function judgeLoad(file: string): Promise<Verdict> {
  try {
    await loadInventory(file);
    return { ok: true, loaded: true };
  } catch (err) {
    if (!(err instanceof InventoryError)) {
      return {
        ok: false,
        why: `not an InventoryError: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      };
    }
    const lineRe = new RegExp(`^${escapeRe(file)}:\\d+:\\d+: \\S`);
    const lines = err.lines();
    if (lines.length === 0) return { ok: false, why: 'an InventoryError with no problem' };
    for (const l of lines) {
      if (l.includes('\n') || l.includes('\r'))
        return { ok: false, why: `a problem line holds a line break: ${JSON.stringify(l)}` };
      if (!lineRe.test(l))
        return {
          ok: false,
          why: `a problem line is not FILE:LINE:COL: …: ${JSON.stringify(l.slice(0, 300))}`,
        };
    }
    for (const p of err.problems) {
      if (!Number.isInteger(p.line) || !Number.isInteger(p.col) || p.line < 1 || p.col < 1) {
        return { ok: false, why: `a problem at ${p.line}:${p.col} (not a 1-based position)` };
      }
    }
    if (err.message !== lines.join('\n')) return { ok: false, why: 'message differs from lines()' };
    return { ok: true, loaded: false };
  }
}

// ---------------------------------------------------------------- worker: runs the cases

interface WorkerIn {
  seed: number;
  maxCases: number;
  maxSeconds: number;
  /** This worker runs cases first, first + stride, first + 2·stride… */
  first: number;
  stride: number;
  /** A temp dir the main thread owns (and removes, also after a hung worker is terminated). */
  dir: string;
  only?: number;
}
type Slowest = { i: number; ms: number; gen: number };
type WorkerMsg =
  | { type: 'start'; i: number }
  | { type: 'loading'; i: number; bytes: number }
  | { type: 'fail'; i: number; why: string; source: string; mutations: string[]; text: string }
  | { type: 'done'; cases: number; loaded: number; refused: number; ms: number; slowest: Slowest };

async function worker(input: WorkerIn): Promise<void> {
  // A valid canary: the example inventories take their VRRP password from here.
  process.env.LVS_VRRP_PASS = 'fz9Pass';
  process.on('warning', (w) => warnings.push(`${w.name}: ${w.message}`));
  const docs = corpus();
  const file = join(input.dir, `inventory-${input.first}.yaml`);
  const t0 = Date.now();
  let cases = 0;
  let loaded = 0;
  let refused = 0;
  let slowest: Slowest = { i: -1, ms: 0, gen: 0 };
  try {
    const first = input.only ?? input.first;
    const last = input.only ?? input.maxCases - 1;
    for (let i = first; i <= last; i += input.stride) {
      if (Date.now() - t0 > input.maxSeconds * 1000) break;
      parentPort?.postMessage({ type: 'start', i } satisfies WorkerMsg);
      const g0 = Date.now();
      const c = makeCase(input.seed, i, docs);
      writeFileSync(file, c.text);
      const l0 = Date.now();
      parentPort?.postMessage({ type: 'loading', i, bytes: c.text.length } satisfies WorkerMsg);
      const v = await judge(file);
      const l1 = Date.now();
      if (l1 - g0 > slowest.ms) slowest = { i, ms: l1 - g0, gen: l0 - g0 };
      cases++;
      if (!v.ok) parentPort?.postMessage({ type: 'fail', i, why: v.why, ...c } satisfies WorkerMsg);
      else if (v.loaded) loaded++;
      else refused++;
    }
  } finally {
    rmSync(file, { force: true });
  }
  parentPort?.postMessage({
    type: 'done',
    cases,
    loaded,
    refused,
    ms: Date.now() - t0,
    slowest,
  } satisfies WorkerMsg);
}

if (!isMainThread && (workerData as { fuzz?: WorkerIn } | undefined)?.fuzz) {
  await worker((workerData as { fuzz: WorkerIn }).fuzz);
}

// ---------------------------------------------------------------- the test

const replay = (i: number) =>
  `replay: LVS_FUZZ_SEED=${SEED} LVS_FUZZ_CASE=${i} node --import tsx --test test/unit/fuzz-inventory.test.ts`;

/** A failed case as the worker sent it; the whole text is also saved to a file. */
function show(m: Extract<WorkerMsg, { type: 'fail' }>): string {
  // Long lines cut, so a 500 kB mutation stays readable; the saved file holds the whole text.
  const cut = m.text
    .split('\n')
    .map((l) => (l.length > 200 ? `${l.slice(0, 200)}… (${l.length} characters)` : l))
    .join('\n');
  const text = cut.length > 6000 ? `${cut.slice(0, 6000)}\n… (${m.text.length} characters in all)` : cut;
  const saved = join(tmpdir(), `lvs-fuzz-${SEED}-${m.i}.yaml`);
  writeFileSync(saved, m.text);
  return [
    `case ${m.i} of seed ${SEED}, whole text in ${saved} (${replay(m.i)})`,
    `  from ${m.source}, mutations ${m.mutations.join(', ')}`,
    `  ${m.why.split('\n').join('\n  ')}`,
    '  --- mutated text ---',
    text,
    '  --- end ---',
  ].join('\n');
}

if (isMainThread) {
  describe('inventory loader under a mutation fuzzer', () => {
    test('every mangled example inventory loads or is refused with clean FILE:LINE:COL lines', {
      timeout: (MAX_SECONDS + 60) * 1000,
    }, async (t) => {
      t.diagnostic(`fuzz seed ${SEED} (set LVS_FUZZ_SEED to change it)`);
      // Loader hooks (tsx) do not reach a worker's entry module on Node 20: the worker loads this
      // file through tsx's API instead.
      const api = import.meta.resolve('tsx/esm/api');
      const boot = `import(${JSON.stringify(api)}).then((m) => m.tsImport(${JSON.stringify(import.meta.url)}, ${JSON.stringify(import.meta.url)}))`;
      const n = ONLY_CASE === undefined ? WORKERS : 1;
      const failures: string[] = [];
      const fail = (m: Extract<WorkerMsg, { type: 'fail' }>) =>
        failures.push(failures.length < 5 ? show(m) : `case ${m.i}: ${m.why.split('\n')[0]}`);
      // A hung or dead worker cannot send its case: say which one, to replay on its own.
      const lost = (i: number, why: string) =>
        failures.push(`case ${i} of seed ${SEED}: ${why} (${replay(i)})`);
      const dir = mkdtempSync(join(tmpdir(), 'lvs-fuzz-'));
      t.after(() => rmSync(dir, { recursive: true, force: true }));
      const results = await Promise.all(
        Array.from({ length: n }, (_, k) => {
          const fuzz: WorkerIn = {
            seed: SEED,
            maxCases: MAX_CASES,
            maxSeconds: MAX_SECONDS,
            first: k,
            stride: n,
            dir,
            ...(ONLY_CASE !== undefined ? { only: ONLY_CASE } : {}),
          };
          // The CLI loads on the main thread (about 1 MB of stack); a worker's default 4 MB lets the
          // YAML parser go four times deeper into a pathological nesting, where it is quadratic.
          const w = new Worker(boot, {
            eval: true,
            workerData: { fuzz },
            resourceLimits: { stackSizeMb: 1 },
          });
          let current = -1;
          let lastStart = Date.now();
          let phase = 'starting';
          return new Promise<Extract<WorkerMsg, { type: 'done' }> | undefined>((resolve) => {
            const watchdog = setInterval(() => {
              if (Date.now() - lastStart <= HANG_MS) return;
              clearInterval(watchdog);
              lost(current, `hang: no answer after ${Date.now() - lastStart} ms (${phase})`);
              void w.terminate().then(() => resolve(undefined));
            }, 500);
            w.on('message', (m: WorkerMsg) => {
              if (m.type === 'start') {
                current = m.i;
                lastStart = Date.now();
                phase = 'mutating: the fuzzer itself';
              } else if (m.type === 'loading') phase = `loading ${m.bytes} characters: the loader`;
              else if (m.type === 'fail') fail(m);
              else {
                clearInterval(watchdog);
                resolve(m);
              }
            });
            w.on('error', (e) => {
              clearInterval(watchdog);
              lost(current, `the worker died: ${e.stack ?? e}`);
              resolve(undefined);
            });
          });
        }),
      );
      const done = results.filter((r) => r !== undefined);
      if (done.length === n) {
        const sum = (f: (r: (typeof done)[number]) => number) => done.reduce((a, r) => a + f(r), 0);
        const cases = sum((r) => r.cases);
        const ms = Math.max(...done.map((r) => r.ms));
        const slowest = done.map((r) => r.slowest).reduce((a, b) => (b.ms > a.ms ? b : a));
        const line = `fuzz seed ${SEED}: ${cases} cases in ${(ms / 1000).toFixed(1)} s on ${n} worker(s) (${(cases / (ms / 1000)).toFixed(0)}/s): ${sum((r) => r.loaded)} loaded, ${sum((r) => r.refused)} refused cleanly, ${failures.length} failed; slowest case ${slowest.i}: ${slowest.ms} ms (${slowest.gen} ms to mutate)`;
        t.diagnostic(line);
        if (ONLY_CASE === undefined)
          assert.ok(cases >= Math.min(MAX_CASES, 1000), `only ${cases} cases ran in ${MAX_SECONDS} s`);
      }
      assert.equal(
        failures.length,
        0,
        `the loader failed on ${failures.length} case(s):\n\n${failures.slice(0, 20).join('\n\n')}`,
      );
    });
  });
}
