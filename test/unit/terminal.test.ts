// Which reporter a terminal gets: live task lines only where they can be drawn.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { liveTerminal } from '../../src/cli/commands/converge.js';

test('a TTY reporting 0 columns (script -qc) gets plain lines, not one character per line', () => {
  assert.equal(liveTerminal({ isTTY: true, columns: 0 }, {}), false);
  assert.equal(liveTerminal({ isTTY: true }, {}), false);
});

test('a TTY with columns gets live lines unless CI or TERM=dumb; a pipe never does', () => {
  assert.equal(liveTerminal({ isTTY: true, columns: 80 }, {}), true);
  assert.equal(liveTerminal({ isTTY: true, columns: 80 }, { CI: 'true' }), false);
  assert.equal(liveTerminal({ isTTY: true, columns: 80 }, { TERM: 'dumb' }), false);
  assert.equal(liveTerminal({ isTTY: false, columns: 80 }, {}), false);
});
