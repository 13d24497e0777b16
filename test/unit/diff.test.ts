import assert from 'node:assert/strict';
import { test } from 'node:test';
import { unifiedDiff } from '../../src/planner/diff.js';

test('a changed line shows as -/+ with context', () => {
  const d = unifiedDiff('/etc/x', 'a\nb\nc\nd\n', 'a\nb\nC\nd\n');
  assert.equal(d, ['--- a/etc/x', '+++ b/etc/x', '@@ -1,4 +1,4 @@', ' a', ' b', '-c', '+C', ' d'].join('\n'));
});

test('a new file is all additions from /dev/null', () => {
  const d = unifiedDiff('/etc/new', null, 'one\ntwo\n');
  assert.match(d, /^--- \/dev\/null\n\+\+\+ b\/etc\/new\n@@ -0,0 \+1,2 @@\n\+one\n\+two$/);
});

test('equal files give no diff', () => {
  assert.equal(unifiedDiff('/etc/x', 'same\n', 'same\n'), '');
});

test('distant changes give two hunks', () => {
  const before = Array.from({ length: 30 }, (_, i) => `l${i}`).join('\n');
  const after = before.replace('l2\n', 'L2\n').replace('l25', 'L25');
  assert.equal(
    unifiedDiff('/f', before, after)
      .split('\n')
      .filter((l) => l.startsWith('@@')).length,
    2,
  );
});
