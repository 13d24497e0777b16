// Every broken inventory in test/fixtures/bad is refused with exit code 2, one FILE:LINE:COL line per
// problem, at the position its first line promises (`# expect: LINE:COL fragment`, or a sidecar
// NNN-name.expect for files that cannot hold a comment), and never with a stack trace or a secret.
// All fixtures go through loadInventory in-process (fast); a handful also go through the real CLI,
// spawned in parallel, whose stderr must match the in-process lines exactly.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { InventoryError } from '../../src/errors.js';
import { loadInventory } from '../../src/inventory/load.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const REL_DIR = 'test/fixtures/bad';
const DIR = join(ROOT, REL_DIR);
/** The value of LVS_TEST_CANARY_PASS, the secret of 0NN-auth-pass-too-long: must never be printed. */
const CANARY = 'CANARY-s3cr3t-0123456789';
const INLINE_CANARY = 'CANARY-inline-0xdeadbeef';
const PROBLEM_LINE = /^(.+?):(\d+):(\d+): \S/;

process.env.LVS_TEST_CANARY_PASS = CANARY;
delete process.env.LVS_TEST_SURELY_UNSET_VAR;

interface Fixture {
  name: string;
  rel: string;
  abs: string;
  line: number;
  col: number;
  fragment: string;
}

function fixtures(): Fixture[] {
  return readdirSync(DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => {
      const abs = join(DIR, f);
      const sidecar = abs.replace(/\.yaml$/, '.expect');
      const spec = existsSync(sidecar)
        ? readFileSync(sidecar, 'utf8').trim()
        : (/^# expect: (.*)$/m.exec(readFileSync(abs, 'utf8').split('\n')[0] ?? '')?.[1] ?? '');
      const m = /^(\d+):(\d+) (.+)$/.exec(spec);
      if (!m?.[1] || !m[2] || !m[3])
        throw new Error(`${f}: no "# expect: LINE:COL fragment" line and no .expect sidecar`);
      return {
        name: f.replace(/\.yaml$/, ''),
        rel: `${REL_DIR}/${f}`,
        abs,
        line: Number(m[1]),
        col: Number(m[2]),
        fragment: m[3],
      };
    });
}

async function problems(path: string): Promise<{ exitCode: number; lines: string[] }> {
  try {
    await loadInventory(path);
  } catch (err) {
    if (err instanceof InventoryError) return { exitCode: err.exitCode, lines: err.lines() };
    throw err;
  }
  throw new Error(`${path} validated, but it is a bad input`);
}

function assertLines(fx: Fixture, file: string, lines: string[]): void {
  assert.ok(lines.length > 0, 'at least one problem');
  for (const l of lines) {
    assert.match(l, PROBLEM_LINE, `not a FILE:LINE:COL line: ${JSON.stringify(l)}`);
    assert.equal(PROBLEM_LINE.exec(l)?.[1], file);
    // One line per problem: a value with a newline or escape sequence is quoted, never raw.
    assert.ok(
      ![...l].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f),
      `control character in ${JSON.stringify(l)}`,
    );
    assert.ok(!l.includes(CANARY) && !l.includes(INLINE_CANARY), `a secret value was printed: ${l}`);
  }
  const at = `${file}:${fx.line}:${fx.col}: `;
  assert.ok(
    lines.some((l) => l.startsWith(at) && l.includes(fx.fragment)),
    `expected a line starting ${at} containing ${JSON.stringify(fx.fragment)}, got:\n${lines.join('\n')}`,
  );
}

function runCli(rel: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'validate', rel], {
      cwd: ROOT,
      env: { ...process.env, LVS_TEST_CANARY_PASS: CANARY },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const ALL = fixtures();

test('there are at least 45 bad fixtures, each with an expectation', () => {
  assert.ok(ALL.length >= 45, `only ${ALL.length} fixtures`);
  const numbers = ALL.map((f) => f.name.slice(0, 3));
  assert.equal(new Set(numbers).size, numbers.length, 'fixture numbers are unique');
});

describe('every bad inventory is refused at its line and column (in-process)', () => {
  for (const fx of ALL) {
    test(`${fx.name} → ${fx.line}:${fx.col} ${fx.fragment}`, async () => {
      const { exitCode, lines } = await problems(fx.abs);
      assert.equal(exitCode, 2);
      assertLines(fx, fx.abs, lines);
    });
  }
});

test('a file with several schema errors reports every one of them', async () => {
  const fx = ALL.find((f) => f.name.endsWith('several-schema-errors'));
  assert.ok(fx);
  const { lines } = await problems(fx.abs);
  const tail = lines.map((l) => l.slice(fx.abs.length + 1));
  assert.equal(lines.length, 3, lines.join('\n'));
  assert.match(tail[0] ?? '', /^8:12: directors\.manager: "static" is not allowed/);
  assert.match(tail[1] ?? '', /^12:11: services\[0\]\.port: 0 is too small/);
  assert.match(tail[2] ?? '', /^15:31: services\[0\]\.real_servers\[1\]\.weight: -1 is too small/);
});

// The real CLI for the inputs most likely to escape the error boundary: raw bytes, an alias bomb,
// a secret, a newline in a key, several problems. Spawned together; each start-up loads every command
// (about a second), so the rest are checked in-process through loadInventory, which the CLI calls.
const THROUGH_CLI = ['billion-laughs', 'several-schema-errors', 'auth-pass-too-long', 'binary-garbage'];

test('the real CLI: exit 2, only FILE:LINE:COL lines on stderr, no stack trace, no secret', async () => {
  const chosen = THROUGH_CLI.map((suffix) => {
    const fx = ALL.find((f) => f.name.slice(4) === suffix);
    assert.ok(fx, `no fixture named NNN-${suffix}`);
    return fx;
  });
  // In batches of the CPU count: more at once only makes each start-up slower.
  const results: {
    fx: Fixture;
    run: Awaited<ReturnType<typeof runCli>>;
    local: Awaited<ReturnType<typeof problems>>;
  }[] = [];
  const batch = Math.max(2, availableParallelism());
  for (let i = 0; i < chosen.length; i += batch) {
    const part = chosen.slice(i, i + batch);
    results.push(
      ...(await Promise.all(
        part.map(async (fx) => ({ fx, run: await runCli(fx.rel), local: await problems(fx.abs) })),
      )),
    );
  }
  for (const { fx, run, local } of results) {
    const lines = run.stderr.split('\n').filter((l) => l !== '');
    assert.equal(run.code, 2, `${fx.rel}: exit code\n${run.stderr}`);
    assert.equal(run.stdout, '', `${fx.rel}: nothing on stdout`);
    assert.ok(!lines.some((l) => /^\s+at /.test(l)), `${fx.rel}: stack trace\n${run.stderr}`);
    assert.ok(!run.stderr.includes('this is a bug'), `${fx.rel}: reached the bug handler\n${run.stderr}`);
    assertLines(fx, fx.rel, lines);
    // Exactly the problems loadInventory found, one line each.
    assert.deepEqual(
      lines,
      local.lines.map((l) => fx.rel + l.slice(fx.abs.length)),
    );
  }
});

test('the canary secret of auth-pass-too-long never appears, but its source does', async () => {
  const fx = ALL.find((f) => f.name.endsWith('auth-pass-too-long'));
  assert.ok(fx);
  const { lines } = await problems(fx.abs);
  const text = lines.join('\n');
  assert.ok(!text.includes(CANARY));
  assert.ok(!text.includes(CANARY.slice(0, 8)), 'not even the first 8 characters keepalived would keep');
  assert.match(text, /env LVS_TEST_CANARY_PASS/);
});
