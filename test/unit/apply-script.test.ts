// The apply script is one script rendered twice (connection/shell.ts): the host gets every file
// whole, `--debug` gets the same script with a secret-holding file's secret masked (as plan diffs
// show it), and the file's other lines visible. Both renders parse as sh.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { ShellCommand } from '../../src/connection/shell.js';
import { buildApplyScript } from '../../src/executor/script.js';
import type { Change } from '../../src/planner/changes.js';
import { EMPTY_QUERY } from '../helpers/facts.js';

const PASS = 'k33pal1v';
const CONF = `vrrp_instance VI_1 {\n    priority 150\n    auth_type PASS\n    auth_pass ${PASS}\n}\n`;
const change = (secret: boolean, path: string): Change => ({
  kind: 'file',
  action: 'create',
  path,
  before: null,
  after: CONF,
  mode: '0640',
  owner: 'root',
  group: 'root',
  validate: new ShellCommand(['keepalived', '-t', '-f', '%s']),
  secret,
});
const script = buildApplyScript(
  [change(true, '/etc/keepalived/keepalived.conf'), change(false, '/tmp/not-secret.conf')],
  [],
  EMPTY_QUERY,
  {
    drainSeconds: 1,
    osFamily: 'debian',
    secrets: [PASS],
    runId: 'r1',
    keepBackups: 5,
    owner: { runId: 'r1', controlHost: 'ctl', pid: 1, since: '2026-01-01T00:00:00Z' },
    lastRunSeen: '',
  },
);

test('the host gets the secret-holding file whole; --debug shows it with only the secret masked', () => {
  assert.ok(script.raw.includes(`    auth_pass ${PASS}\n}\n' > /etc/keepalived/keepalived.conf.lvs-new`));
  const masked = script.masked.split('/tmp/not-secret.conf')[0] ?? '';
  assert.ok(!masked.includes(PASS), 'the secret file step shows no secret');
  assert.match(
    masked,
    /priority 150\n {4}auth_type PASS\n {4}auth_pass \*\*\*\n\}\n' > \/etc\/keepalived\/keepalived\.conf\.lvs-new/,
  );
  // A file not marked secret is shown as it is (the same value is not hunted for in it).
  assert.ok(script.masked.includes(`auth_pass ${PASS}\n}\n' > /tmp/not-secret.conf.lvs-new`));
  assert.equal(
    script.raw.replace(`auth_pass ${PASS}\n}\n' > /etc`, `auth_pass ***\n}\n' > /etc`),
    script.masked,
  );
});

test('both renders of the apply script parse as sh', () => {
  for (const text of [script.raw, script.masked])
    assert.equal(spawnSync('sh', ['-n'], { input: text }).status, 0, text.slice(0, 200));
});
