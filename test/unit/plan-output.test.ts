// What `plan` shows for a file holding a secret (issue 11, friction 1): the diff, with only the
// secret masked, on the terminal and in --json (issue 11, friction 7: versioned, structured).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { changeLines } from '../../src/cli/output/format.js';
import { JsonReporter } from '../../src/cli/output/json.js';
import { LineReporter } from '../../src/cli/output/lines.js';
import type { HostResult } from '../../src/executor/host.js';
import { loadInventory } from '../../src/inventory/load.js';
import type { Change } from '../../src/planner/changes.js';
import { expandHost, secretValues } from '../../src/roles/expand.js';

const ROOT = join(import.meta.dirname, '..', '..');
const PASS = 'pl4nPass';
process.env.LVS_VRRP_PASS = PASS;

async function weightChange(): Promise<{ change: Change; secrets: string[] }> {
  const inv = await loadInventory(join(ROOT, 'inventories', 'seed-002-dr-keepalived.yaml'));
  const conf = expandHost(inv, 'lb1').files.find((f) => f.path === '/etc/keepalived/keepalived.conf');
  assert.ok(conf);
  assert.ok(conf.content.includes(PASS), 'the rendered file holds the secret');
  const before = conf.content.replace(/weight (\d+)/, 'weight 7').replace(PASS, 'oldPass9');
  return {
    change: {
      kind: 'file',
      action: 'update',
      path: conf.path,
      before,
      after: conf.content,
      mode: '0600',
      owner: 'root',
      group: 'root',
      secret: true,
    },
    secrets: secretValues(inv),
  };
}

function result(change: Change): HostResult {
  return {
    host: 'lb1',
    status: 'changed',
    changes: ['file update /etc/keepalived/keepalived.conf'],
    plan: { host: 'lb1', changes: [change], blockers: [] },
    durationMs: 5,
    roundTrips: 1,
  };
}

test('plan shows the keepalived.conf diff with only the secret masked (new and old password)', async () => {
  const { change, secrets } = await weightChange();
  const text = changeLines(change, true, secrets).join('\n');
  assert.match(text, /^ {4}- .*weight 7$/m, text);
  assert.match(text, /^ {4}\+ .*weight \d+$/m);
  assert.doesNotMatch(text, new RegExp(PASS));
  assert.doesNotMatch(text, /oldPass9/);
  assert.doesNotMatch(text, /content not shown/);
});

test('the line reporter prints that diff for plan', async () => {
  const { change, secrets } = await weightChange();
  const out: string[] = [];
  const sink = { write: (s: string) => out.push(s) } as unknown as NodeJS.WritableStream;
  const r = new LineReporter(sink, secrets);
  r.start(['lb1'], 'plan');
  r.result(result(change));
  const text = out.join('');
  assert.match(text, /weight 7/);
  assert.doesNotMatch(text, new RegExp(`${PASS}|oldPass9`));
});

test('plan --json: version 1, status pending, per-change entries with the masked diff', async () => {
  const { change, secrets } = await weightChange();
  const chunks: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((s: string) => chunks.push(s) > 0) as typeof process.stdout.write;
  try {
    new JsonReporter(secrets).finish([result(change)], 'plan');
  } finally {
    process.stdout.write = write;
  }
  const doc = JSON.parse(chunks.join(''));
  assert.equal(doc.version, 1);
  assert.equal(doc.command, 'plan');
  const [h] = doc.hosts;
  assert.equal(h.status, 'pending');
  assert.deepEqual(Object.keys(h.entries[0]).sort(), ['action', 'class', 'diff', 'kind', 'summary']);
  assert.equal(h.entries[0].kind, 'file');
  assert.equal(h.entries[0].action, 'update');
  assert.equal(h.entries[0].summary, 'file update /etc/keepalived/keepalived.conf');
  assert.match(h.entries[0].diff, /^-.*weight 7$/m);
  assert.doesNotMatch(chunks.join(''), new RegExp(`${PASS}|oldPass9`));
});

test('a change of the secret alone is said, not shown', async () => {
  const { change, secrets } = await weightChange();
  if (change.kind !== 'file' || change.after === null) assert.fail('a file change');
  const only = { ...change, before: change.after.replace(PASS, 'oldPass9') };
  const text = changeLines(only, true, secrets).join('\n');
  assert.match(text, /only the secret changed/);
  assert.doesNotMatch(text, new RegExp(`${PASS}|oldPass9`));
});
