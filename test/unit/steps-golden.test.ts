// Golden apply steps, one file per change kind (test/golden/steps/<kind>.json, pyinfra's
// tests/operations shape): a Change and the step options in, the exact shell step out. The shell
// the executor generates is checked here without root; the lab suites run it for real.
// UPDATE_GOLDEN=1 rewrites the `step` of every case (review the diff: it is what hosts will run).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ShellCommand } from '../../src/connection/shell.js';
import { type Step, type StepOptions, stepFor } from '../../src/executor/steps.js';
import type { Change } from '../../src/planner/changes.js';

interface GoldenCase {
  name: string;
  /** The step's index in the apply script (names its backup files). */
  n: number;
  options: StepOptions;
  /** A Change as JSON: a file's `validate` is its argv list. */
  change: Record<string, unknown>;
  step: Step;
}

const DIR = join(import.meta.dirname, '..', 'golden', 'steps');
const update = process.env.UPDATE_GOLDEN === '1';

function changeOf(json: Record<string, unknown>): Change {
  const v = json.validate;
  return (Array.isArray(v) ? { ...json, validate: new ShellCommand(v as string[]) } : json) as Change;
}

/** A step as stored: its `run` as the shell text the host receives. */
const asJson = (s: Step): Step => ({ ...s, run: typeof s.run === 'string' ? s.run : s.run.render() });

const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));

describe('apply steps per change kind (test/golden/steps)', () => {
  test('every change kind has a golden file', () => {
    const kinds = [
      'package',
      'module',
      'file',
      'sysctl',
      'link',
      'address',
      'route',
      'rule',
      'ipvs-service',
      'ipvs-dest',
      'firewall',
      'ipvs-timeouts',
      'daemon',
      'handler',
    ] satisfies Change['kind'][];
    assert.deepEqual(files.map((f) => f.replace(/\.json$/, '')).sort(), [...kinds].sort());
  });

  for (const file of files) {
    const path = join(DIR, file);
    const cases = JSON.parse(readFileSync(path, 'utf8')) as GoldenCase[];
    test(file, () => {
      for (const c of cases) {
        const kind = file.replace(/\.json$/, '');
        assert.equal(c.change.kind, kind, `${file}: ${c.name} is a ${String(c.change.kind)} change`);
        const got = asJson(stepFor(changeOf(c.change), c.n, c.options));
        if (update) c.step = got;
        else assert.deepEqual(got, c.step, `${file}: ${c.name}`);
      }
      if (update) writeFileSync(path, `${JSON.stringify(cases, null, 2)}\n`);
    });
  }
});
