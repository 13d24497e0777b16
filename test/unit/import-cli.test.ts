// `lvs-deploy import --from`, run as a user runs it: seed 002's two keepalived.conf files as the seed
// writes them (one-line blocks expanded) → an inventory that validates, notes on stderr with
// FILE:LINE, the auth_pass in a 0600 file and nowhere else; malformed input → one line, exit 2.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { cli } from '../helpers/cli.js';

const SEED = join(import.meta.dirname, '..', 'fixtures', 'import', 'seed-002');
const env = { ...process.env, LVS_TEST_TSX: '1' };
const dir = mkdtempSync(join(tmpdir(), 'lvs-import-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('lvs-deploy import --from', () => {
  test('seed 002 by hand: the inventory validates, every change is a note, auth_pass only in a 0600 file', async () => {
    const out = join(dir, 'seed-002.yaml');
    const r = await cli(['import', '--from', join(SEED, 'lb1.conf'), join(SEED, 'lb2.conf'), '-o', out], env);
    assert.equal(r.code, 3, `exit 3: imported with notes\n${r.stderr}`);
    const yaml = readFileSync(out, 'utf8');
    const secret = join(dir, 'seed-002.vrrp-auth-pass');
    assert.equal(readFileSync(secret, 'utf8'), 'generate\n', 'the 8 characters keepalived uses');
    assert.equal(statSync(secret).mode & 0o777, 0o600);
    assert.ok(
      !yaml.includes('generate-a-pasword') &&
        !r.stderr.includes('generate-a-pasword') &&
        !r.stdout.includes('generate-a-pasword'),
    );
    assert.match(yaml, /auth_pass: \{ file: "\.\/seed-002\.vrrp-auth-pass" \}/);
    // Both directors under their router_id, at their unicast_src_ip; the seed's equal priorities noted.
    assert.match(yaml, /^ {2}lb-01: \{ address: "192\.168\.100\.10"/m);
    assert.match(yaml, /^ {2}lb-02: \{ address: "192\.168\.100\.11"/m);
    assert.match(
      r.stderr,
      /lb2\.conf:12: lb-02: priority 200 is also lb-01's; the inventory needs distinct priorities: written as 199/,
    );
    assert.match(r.stderr, /lb1\.conf:42: keepalived 2\.2\.7 does not know nb_get_retry in TCP_CHECK/);
    for (const line of r.stderr
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('auth_pass written'))) {
      assert.match(line, /^\S+\.conf:\d+: /, 'every note names its file and line');
      assert.ok(
        yaml.includes(`# NOT IMPORTED or CHANGED: ${line}`),
        `the note is in the inventory too: ${line}`,
      );
    }
    const v = await cli(['validate', out], env);
    assert.equal(v.code, 0, v.stderr);
  });

  test('without -o: the inventory on stdout says { env: LVS_VRRP_PASS }; --json has version 1', async () => {
    const r = await cli(['import', '--from', join(SEED, 'lb1.conf')], env);
    assert.equal(r.code, 3);
    assert.match(r.stdout, /auth_pass: \{ env: LVS_VRRP_PASS \}/);
    assert.match(r.stderr, /set LVS_VRRP_PASS/);
    assert.ok(!`${r.stdout}${r.stderr}`.includes('generate-a-pasword'));
    const j = await cli(['import', '--json', '--from', join(SEED, 'lb1.conf')], env);
    const doc = JSON.parse(j.stdout) as {
      version: number;
      exact: boolean;
      notes: { file: string; line: number }[];
    };
    assert.equal(doc.version, 1);
    assert.equal(doc.exact, false);
    assert.ok(doc.notes.every((n) => n.file.endsWith('lb1.conf') && n.line > 0));
  });

  test('malformed keepalived.conf: one line FILE:LINE, exit 2, nothing written', async () => {
    const bad = join(dir, 'bad.conf');
    writeFileSync(bad, 'vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n');
    const out = join(dir, 'never.yaml');
    const r = await cli(['import', '--from', bad, '-o', out], env);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, `${bad}:1:1: block opened here is never closed with \`}\`\n`);
    assert.throws(() => statSync(out));
  });

  test('an ipvsadm -S -n table: exit 0 when everything maps; NAT without a known route back is noted', async () => {
    const t = join(dir, 'rules');
    writeFileSync(
      t,
      '-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.0.11:80 -g -w 1\n-a -t 10.0.0.1:80 -r 10.0.0.12:80 -g -w 1\n',
    );
    const r = await cli(['import', '--from', `${t}@10.0.0.2`], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /manager: ipvsadm/);
    assert.match(r.stdout, /# Everything in the source was imported as it is\./);
    writeFileSync(t, '-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 192.168.1.11:80 -m -w 1\n');
    const nat = await cli(['import', '--from', `${t}@10.0.0.2`], env);
    assert.equal(nat.code, 3);
    assert.match(
      nat.stderr,
      /rules:2: NAT real server 192\.168\.1\.11: nothing read says how its replies route back/,
    );
  });
});
