// plan and up print validate's warnings (FILE:LINE:COL: field: warning: …) on stderr before their
// work, with the exit code unchanged. `--limit client` leaves no host to converge: nothing is
// contacted (127.x addresses besides).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { cli } from '../helpers/cli.js';

const INVENTORY = `hosts:
  lb1: { address: 127.0.0.2, interfaces: { eth0: [127.0.0.2/8] } }
  web1: { address: 127.0.0.11 }
  web2: { address: 127.0.0.12 }
  client: { address: 127.0.0.13 }
directors:
  hosts: [lb1]
services:
  - name: http
    vip: 127.0.0.100
    port: 80
    scheduler: mh
    flags: [mh-port]
    real_servers: [ { host: web1 }, { host: web2 } ]
`;

describe('plan and up print the warnings validate prints', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lvs-warn-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'mh.yaml');
  writeFileSync(file, INVENTORY);
  const warning = `${file}:12:16: services[0].scheduler: warning: mh without flags: [mh-fallback] keeps sending new connections to a real server of weight 0 (a drained or failed one); add mh-fallback`;

  test('validate: the warning, exit 0', async () => {
    const r = await cli(['validate', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stderr.trim().split('\n'), [warning]);
  });

  for (const command of ['plan', 'up']) {
    test(`${command}: the same line on stderr first, exit code unchanged, --json stdout still JSON`, async () => {
      const r = await cli([command, file, '--limit', 'client']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.equal(r.stderr.split('\n')[0], warning);
      const j = await cli([command, file, '--limit', 'client', '--json']);
      assert.equal(j.code, 0, j.stderr);
      assert.equal(j.stderr.split('\n')[0], warning);
      assert.equal((JSON.parse(j.stdout) as { version: number }).version, 1);
    });
  }

  test('down prints no warning (it removes what up installed)', async () => {
    const r = await cli(['down', file, '--limit', 'client']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.doesNotMatch(r.stderr, /warning:/);
  });
});
