// The lab commands as a new user meets them (issue 11): `lab exec` is a proper parent (signals
// reach its command, it waits for it) and finds `lvs-deploy` itself; lab hosts cannot read the
// lab state (the control node's private key); lab commands never ask for the inventory's secrets.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { hostExec, isAlive, type LabState, labEnv } from '../../src/lab/netns.js';
import { cli, cliInLab, ROOT } from '../helpers/cli.js';
import { startLab, stopLab } from '../helpers/lab.js';

const root = process.getuid?.() === 0;
const LAB = 'lvs-labcmd';

/** The CLI argv the helpers use, to spawn `lab exec` ourselves and signal it. */
const CLI = [process.execPath, '--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts')];

describe('lab commands (netns lab)', { skip: root ? false : 'needs root (network namespaces)' }, () => {
  let state: LabState;
  let tmp: string;
  let inv: string;
  before(async () => {
    ({ state, inv, dir: tmp } = await startLab(LAB, 'lab-nat-dr.yaml', 'labcmd.yaml'));
  });
  after(async () => {
    await stopLab(LAB, tmp);
  });

  test('a lab host sees neither the lab state dir nor any lab key', async () => {
    const r = await hostExec(
      state,
      'drrs',
      'ls -A /var/lib/lvs-deploy/lab; ls -A /run/lvslab/state; find /run/lvslab /var/lib/lvs-deploy -name "id_ed25519*" -o -path "*hostkeys*"',
    );
    assert.equal(r.stdout.trim(), '', `visible inside the host:\n${r.stdout}`);
    assert.ok(existsSync(join(state.stateDir, 'id_ed25519')), 'the key is still there for the control node');
  });

  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    test(`lab exec forwards ${sig} to its command and returns only after it ended`, async () => {
      const mark = join(tmp, `${sig}.done`);
      const pidFile = join(tmp, `${sig}.pid`);
      // The command takes a second to wind down after the signal, as `up` finishing a host would.
      const script = `echo $$ > ${pidFile}; trap 'sleep 1; echo wound-down > ${mark}; exit 7' INT TERM; while :; do sleep 0.1; done`;
      const child = spawn(CLI[0] ?? 'node', [...CLI.slice(1), 'lab', 'exec', inv, '--', 'sh', '-c', script], {
        cwd: ROOT,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      // 'exit', not 'close': a command left running would hold the inherited pipes open.
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      for (let i = 0; i < 100 && !existsSync(pidFile); i++) await sleep(100);
      const inner = Number(readFileSync(pidFile, 'utf8'));
      child.kill(sig);
      const code = await exited;
      try {
        assert.ok(existsSync(mark), 'lab exec returned before its command had finished');
        assert.equal(code, 7, "lab exec's exit code is its command's");
      } finally {
        if (isAlive(inner)) process.kill(inner, 'SIGKILL');
      }
    });
  }

  test('plan --json: version 1, status pending, one structured entry per change', async () => {
    const r = await cliInLab(state.controlNs, labEnv(state), [
      'plan',
      inv,
      '--json',
      '--limit',
      'drrs,natrs',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.version, 1);
    assert.equal(doc.command, 'plan');
    for (const h of doc.hosts) {
      assert.equal(h.status, 'pending', h.host);
      assert.ok(h.entries.length > 0 && h.entries.length === h.changes.length, h.host);
      for (const e of h.entries) {
        assert.equal(typeof e.kind, 'string');
        assert.equal(typeof e.action, 'string');
        assert.equal(typeof e.summary, 'string');
      }
      const file = h.entries.find((e: { kind: string }) => e.kind === 'file');
      assert.match(file?.diff ?? '', /^\+\+\+ b\//m, `${h.host}: a file change carries its diff`);
    }
  });

  test('plan on a director without IPVS names the fix once: lab up --vm', async () => {
    const r = await cliInLab(state.controlNs, labEnv(state), ['plan', inv]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /kernel has no IPVS/);
    assert.equal(r.stderr.split('lab up --vm').length - 1, 1, r.stderr);
    assert.match(r.stderr, /hint: dir1: this kernel has no IPVS .*the other hosts are reported above/);
  });

  test('verify on directors without IPVS says so once, with the fix, and sends no traffic', async () => {
    const t0 = Date.now();
    const r = await cliInLab(state.controlNs, labEnv(state), ['verify', inv, '--json']);
    assert.equal(r.code, 1, r.stderr);
    assert.ok(Date.now() - t0 < 15_000, `verify took ${Date.now() - t0} ms`);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.version, 1);
    assert.equal(doc.command, 'verify');
    assert.deepEqual(doc.services, []);
    const fixes = doc.checks.filter((c: { fix?: string }) => /lab up --vm/.test(c.fix ?? ''));
    assert.equal(fixes.length, 1, JSON.stringify(doc.checks));
    assert.match(fixes[0].detail, /no director's kernel has IPVS \(dir1\)/);
    assert.ok(!r.stdout.includes('start keepalived'), 'no keepalived advice on an ipvsadm lab');
  });

  test('lab up --vm over this netns lab says to run lab down first, and leaves the lab up', async () => {
    const r = await cli(['lab', 'up', '--vm', inv]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /is up as a netns lab.*run `lvs-deploy lab down lvs-labcmd` first/);
    const status = await cli(['lab', 'status', inv]);
    assert.equal(status.code, 0, status.stdout);
  });

  test('lvs-deploy inside lab exec is this lvs-deploy, also through sh -c', async () => {
    const r = await cli(['lab', 'exec', inv, '--', 'sh', '-c', 'lvs-deploy --version']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\d+\.\d+\.\d+/);
  });
});

describe('lab commands need no secrets', { skip: root ? false : 'needs root (network namespaces)' }, () => {
  test('lab status and lab down work with the VRRP secret unset', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'lvs-nosecret-'));
    try {
      const inv = join(tmp, 'pair.yaml');
      writeFileSync(
        inv,
        readFileSync(join(ROOT, 'inventories', 'seed-002-dr-keepalived.yaml'), 'utf8').replace(
          /^name: .*$/m,
          'name: lvs-nosecret',
        ),
      );
      const env = { ...process.env };
      delete env.LVS_VRRP_PASS;
      const status = await cli(['lab', 'status', inv], env);
      assert.equal(status.code, 1, status.stderr);
      assert.match(status.stdout, /lab lvs-nosecret: down/);
      const down = await cli(['lab', 'down', inv], env);
      assert.equal(down.code, 0, down.stderr);
      // The same file is still refused where the secret is needed.
      const validate = await cli(['validate', inv], env);
      assert.equal(validate.code, 2);
      assert.match(validate.stderr, /LVS_VRRP_PASS is not set/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
