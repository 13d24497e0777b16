// drain / enable on a live keepalived pair (seed 002's shape: lb1/lb2, DR real servers web1/web2)
// in a netns lab, --without-ipvs (this kernel has no IPVS; keepalived runs VRRP only): the drain
// is written on both directors or on neither, `plan` names it and a second `up` keeps it, and
// `enable`, `up --enable-drained` and `down` clear it. Files are read with nsenter, never through
// the tool.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hostExec, type LabState, labEnv } from '../../src/lab/netns.js';
import { cliInLab } from '../helpers/cli.js';
import { startLab, stopLab } from '../helpers/lab.js';

const root = process.getuid?.() === 0;
const LAB = 'lvs-drain';
const X = ['--without-ipvs'];
const OPERATOR = '/var/lib/lvs-deploy/operator.json';
const CONF = '/etc/keepalived/keepalived.conf';
/** keepalived whose config check fails: the apply script's validation step fails on that director. */
const BROKEN_KEEPALIVED =
  '#!/bin/sh\nfor a; do [ "$a" = -t ] && { echo "injected: config check fails" >&2; exit 1; }; done\nexec /usr/sbin/keepalived "$@"\n';

describe('drain / enable on a keepalived pair (netns lab)', {
  skip: root ? false : 'needs root (network namespaces)',
}, () => {
  let state: LabState;
  let tmp: string;
  let inv: string;
  const env = () => ({ ...labEnv(state), LVS_VRRP_PASS: 'drain1' });
  const lvs = (args: string[]) => cliInLab(state.controlNs, env(), args);
  const sh = async (host: string, cmd: string) => (await hostExec(state, host, cmd)).stdout;
  const operator = async (host: string) =>
    sh(host, `if [ -e ${OPERATOR} ]; then stat -c '%a' ${OPERATOR}; cat ${OPERATOR}; else echo absent; fi`);
  /** web1's weight lines in keepalived.conf: one per service it is in. */
  const web1Weights = async (host: string) => {
    const conf = await sh(host, `cat ${CONF}`);
    return [...conf.matchAll(/real_server 192\.168\.100\.20 \d+ \{\n\s+weight (\d+)/g)].map((m) => m[1]);
  };

  before(async () => {
    ({ state, inv, dir: tmp } = await startLab(LAB, 'seed-002-dr-keepalived.yaml', 'drain.yaml', 'drain1'));
    const u = await lvs(['up', inv, ...X]);
    assert.equal(u.code, 0, u.stdout + u.stderr);
  });
  after(async () => {
    delete process.env.LVS_VRRP_PASS;
    await stopLab(LAB, tmp);
  });

  test('drain writes operator.json (0600) and weight 0 on both directors; plan names it; a second up keeps it', {
    timeout: 120_000,
  }, async () => {
    const d = await lvs(['drain', 'web1', inv, '--json', ...X]);
    assert.equal(d.code, 0, d.stdout + d.stderr);
    const report = JSON.parse(d.stdout) as { version: number; services: string[]; directors: string[] };
    assert.equal(report.version, 1);
    assert.deepEqual(report.services, ['http', 'https']);
    for (const lb of ['lb1', 'lb2']) {
      const op = await operator(lb);
      assert.match(op, /^600\n/, `${lb}: ${op}`);
      const json = JSON.parse(op.slice(4)) as {
        version: number;
        drains: { service: string; real_server: string }[];
      };
      assert.equal(json.version, 1);
      assert.deepEqual(
        json.drains.map((x) => `${x.service}/${x.real_server}`),
        ['http/web1', 'https/web1'],
      );
      assert.deepEqual(await web1Weights(lb), ['0', '0'], `${lb} keepalived.conf`);
    }
    const p = await lvs(['plan', inv, '--detailed-exitcode', ...X]);
    assert.equal(p.code, 0, `plan after drain is not empty:\n${p.stdout}${p.stderr}`);
    assert.match(p.stdout, /\[lb1\] web1 drained by operator since \d{4}-\d\d-\d\dT/);
    assert.match(p.stdout, /\[lb2\] web1 drained by operator since/);
    const u = await lvs(['up', inv, ...X]);
    assert.equal(u.code, 0, u.stdout + u.stderr);
    assert.match(u.stdout, /lb1 +: ok=1 changed=0/);
    for (const lb of ['lb1', 'lb2']) assert.deepEqual(await web1Weights(lb), ['0', '0']);
  });

  test('draining the last real server with weight > 0 is refused (exit 1) unless --force', {
    timeout: 60_000,
  }, async () => {
    const before = await operator('lb1');
    const r = await lvs(['drain', 'web2', inv, ...X]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(
      r.stderr,
      /refusing to drain web2: it is the last real server with weight > 0 of http, https/,
    );
    assert.equal(await operator('lb1'), before);
  });

  test('enable is all-or-nothing: lb2 fails keepalived -t, lb1 is put back and stays drained; then enable clears both', {
    timeout: 120_000,
  }, async () => {
    await sh(
      'lb2',
      `printf '%s' '${BROKEN_KEEPALIVED}' > /usr/local/sbin/keepalived && chmod 755 /usr/local/sbin/keepalived`,
    );
    const before = { lb1: await operator('lb1'), lb2: await operator('lb2') };
    const r = await lvs(['enable', 'web1', inv, ...X]);
    await sh('lb2', 'rm -f /usr/local/sbin/keepalived');
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /enable web1 failed on lb2 .*; lb1 put back/);
    assert.equal(await operator('lb1'), before.lb1);
    assert.equal(await operator('lb2'), before.lb2);
    for (const lb of ['lb1', 'lb2']) assert.deepEqual(await web1Weights(lb), ['0', '0'], lb);
    const ok = await lvs(['enable', 'web1', inv, ...X]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    for (const lb of ['lb1', 'lb2']) {
      assert.equal((await operator(lb)).trim(), 'absent');
      assert.deepEqual(await web1Weights(lb), ['1', '1'], lb);
    }
  });

  test('drain is all-or-nothing too: lb2 fails, lb1 gets no operator.json', {
    timeout: 120_000,
  }, async () => {
    await sh(
      'lb2',
      `printf '%s' '${BROKEN_KEEPALIVED}' > /usr/local/sbin/keepalived && chmod 755 /usr/local/sbin/keepalived`,
    );
    const r = await lvs(['drain', 'web1', inv, '--service', 'http', ...X]);
    await sh('lb2', 'rm -f /usr/local/sbin/keepalived');
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /drain web1 failed on lb2/);
    for (const lb of ['lb1', 'lb2']) {
      assert.equal((await operator(lb)).trim(), 'absent', lb);
      assert.deepEqual(await web1Weights(lb), ['1', '1'], lb);
    }
  });

  test('up --enable-drained clears a drain; down removes operator.json', { timeout: 180_000 }, async () => {
    let r = await lvs(['drain', 'web1', inv, '--service', 'https', ...X]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(await web1Weights('lb1'), ['1', '0']);
    r = await lvs(['up', inv, '--enable-drained', ...X]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const lb of ['lb1', 'lb2']) {
      assert.equal((await operator(lb)).trim(), 'absent', lb);
      assert.deepEqual(await web1Weights(lb), ['1', '1'], lb);
    }
    r = await lvs(['drain', 'web1', inv, ...X]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(await operator('lb2'), /"web1"/);
    r = await lvs(['down', inv, ...X]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const lb of ['lb1', 'lb2']) assert.equal((await operator(lb)).trim(), 'absent', lb);
  });
});
