// A missing identity file is bad input (issue 11, friction 5): exit 2 with FILE:LINE:COL at the
// `identity:` that names it, before any host is contacted (the hosts are 127.x, never reached).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'lvs-identity-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const INV = join(dir, 'inv.yaml');
writeFileSync(
  INV,
  `name: identity-missing
hosts:
  lb1: { address: 127.0.0.2, interfaces: { eth0: [127.0.0.2/8] } }
  web1:
    address: 127.0.0.3
    ssh: { identity: ${dir}/no-such-key }
directors:
  hosts: [lb1]
services:
  - name: http
    vip: 127.0.0.100
    port: 80
    forwarding: nat
    real_servers: [ { host: web1 } ]
`,
);

for (const command of ['plan', 'up', 'verify']) {
  test(`${command}: a missing identity file is exit 2 at its line, no host contacted`, async () => {
    const env = { ...process.env };
    delete env.LVS_DEPLOY_LAB_IDENTITY;
    const r = await cli([command, INV], env);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(
      r.stderr.trim(),
      `${INV}:6:22: hosts.web1.ssh.identity: identity file ${dir}/no-such-key cannot be read (ENOENT)`,
    );
    assert.equal(r.stdout, '');
  });
}
