// validate, offline, on a lab inventory that pins hosts to Debian releases (lab.release): a feature
// the release's tools lack is refused as FILE:LINE:COL, naming the host, the version and the feature.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { cli, ROOT } from '../helpers/cli.js';

const FIXTURE = join(ROOT, 'test', 'fixtures', 'keepalived-features.yaml');
const KA1 = '  ka1: { address: 10.9.0.1, interfaces: { eth0: [10.9.0.1/24], eth1: [10.8.0.1/24] } }';

describe('validate: a lab host pinned to a release', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lvs-validate-release-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const pinned = (release: string) => {
    const text = readFileSync(FIXTURE, 'utf8');
    assert.ok(text.includes(KA1));
    const file = join(dir, `${release}.yaml`);
    writeFileSync(file, text.replace(KA1, `${KA1.slice(0, -2)}, lab: { release: ${release} } }`));
    return file;
  };
  const env = { ...process.env, LVS_VRRP_PASS: 'k33pal1v' };

  test('weight 0 on bullseye (keepalived 2.1.5) is refused at lab.release, exit 2', async () => {
    const file = pinned('bullseye');
    const r = await cli(['validate', file], env);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.equal(
      r.stderr.trim(),
      `${file}:7:103: hosts.ka1.lab.release: ka1 on bullseye: keepalived 2.1.5 turns real server weight 0 into 1 (keepalived #1757, fixed in 2.2.0): weight 0 (drained or inventory) is not possible here: 10.9.0.12:5060`,
    );
  });

  test('the same inventory on trixie (keepalived 2.3.3) is valid', async () => {
    const r = await cli(['validate', pinned('trixie')], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /: ok \(/);
  });
});
