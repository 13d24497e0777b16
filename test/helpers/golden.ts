// Golden files: compare rendered text with test/golden/...; UPDATE_GOLDEN=1 rewrites them.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

export const GOLDEN_DIR = join(import.meta.dirname, '..', 'golden');
export const updating = process.env.UPDATE_GOLDEN === '1';

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

/**
 * Check that `dir` (relative to test/golden) holds exactly `files` (relative path → content).
 * With UPDATE_GOLDEN=1 the directory is replaced by `files` instead.
 */
export function assertGoldenDir(dir: string, files: Map<string, string>): void {
  const root = join(GOLDEN_DIR, dir);
  if (updating) {
    rmSync(root, { recursive: true, force: true });
    for (const [rel, content] of files) {
      const p = join(root, rel);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, content);
    }
    return;
  }
  const have = walk(root)
    .map((p) => relative(root, p))
    .sort();
  assert.deepEqual(
    have,
    [...files.keys()].sort(),
    `golden files under test/golden/${dir} (UPDATE_GOLDEN=1 to refresh)`,
  );
  for (const [rel, content] of files) {
    assert.equal(
      content,
      readFileSync(join(root, rel), 'utf8'),
      `test/golden/${dir}/${rel} differs (UPDATE_GOLDEN=1 to refresh)`,
    );
  }
}
