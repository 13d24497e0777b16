// The drill's break scripts run for real in a throwaway network namespace (root only): crash mode
// freezes the "daemon" and loads the drill's nft tables, link mode downs the interface and its
// routes; then nobody restores, and the host's own timer puts everything back. The drill's
// restore does it at once and disarms the timer.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { type BreakPlan, breakScript, restoreScript } from '../../src/drill/remote.js';

const NS = `lvs-dundo-${process.pid}`;
const sh = (script: string) =>
  spawnSync('ip', ['netns', 'exec', NS, 'sh', '-s'], { input: script, encoding: 'utf8' });
const ip = (...args: string[]) => spawnSync('ip', ['-n', NS, ...args], { encoding: 'utf8' }).stdout;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Polls until `ok()` (the timer fires after 2 s; a loaded CI machine may take longer to run it). */
async function waitFor(ok: () => boolean, ms = 20_000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(200)) if (ok()) return true;
  return ok();
}
const state = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2];
/** The process state letter, undefined once it is gone (Z: killed, not yet reaped). */
const alive = (pid: number) => {
  try {
    return state(pid);
  } catch {
    return undefined;
  }
};
const children = (pid: number) =>
  readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);

const skip =
  process.getuid?.() !== 0
    ? 'needs root (ip netns, nft)'
    : spawnSync('nft', ['--version']).status !== 0
      ? 'nftables is not installed'
      : false;

describe('drill: the host undoes the drill by itself', { skip }, () => {
  let dir = '';
  let daemon: ChildProcess | undefined;
  const plan = (mode: BreakPlan['mode'], undoAfterSecs: number): BreakPlan => ({
    mode,
    daemon: {
      name: 'keepalived',
      unit: 'keepalived',
      command: ['true'],
      pidfile: join(dir, 'daemon.pid'),
      reload: 'hup',
    },
    interfaces: ['dv0'],
    addresses: ['10.88.0.9'],
    sshPort: 22,
    undoAfterSecs,
    dir: join(dir, 'drill'),
  });

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'lvs-dundo-'));
    spawnSync('ip', ['netns', 'add', NS]);
    ip('link', 'add', 'dv0', 'type', 'veth', 'peer', 'name', 'dv1');
    ip('addr', 'add', '10.88.0.1/24', 'dev', 'dv0');
    ip('link', 'set', 'dv0', 'up');
    ip('link', 'set', 'dv1', 'up');
    ip('route', 'add', '10.88.1.0/24', 'via', '10.88.0.2', 'dev', 'dv0');
    // A stand-in for keepalived: a parent with a child, as keepalived has.
    daemon = spawn('sh', ['-c', 'sleep 300 & wait'], { stdio: 'ignore' });
    writeFileSync(join(dir, 'daemon.pid'), `${daemon.pid}\n`);
  });
  // Each test starts from an undone host, also after a failed one (restore is idempotent).
  afterEach(() => sh(restoreScript(join(dir, 'drill'))));
  after(() => {
    if (daemon?.pid) {
      for (const c of children(daemon.pid)) process.kill(c, 'SIGKILL');
      process.kill(daemon.pid, 'SIGKILL');
    }
    spawnSync('ip', ['netns', 'del', NS]);
    rmSync(dir, { recursive: true, force: true });
  });

  test('crash: frozen and silenced, a second drill refused, then the timer thaws it and drops the tables', async () => {
    const r = sh(breakScript(plan('crash', 2)));
    assert.match(r.stdout, /==>drill:armed \d+/, r.stdout + r.stderr);
    const pid = daemon?.pid ?? 0;
    assert.equal(state(pid), 'T', 'keepalived is frozen');
    const tables = sh('nft list tables').stdout;
    assert.match(tables, /table inet lvs_deploy_drill/);
    assert.match(tables, /table arp lvs_deploy_drill/);
    const again = sh(breakScript(plan('crash', 2)));
    assert.equal(again.status, 3);
    assert.match(again.stdout, /==>drill:pending/);
    assert.ok(
      await waitFor(() => state(pid) !== 'T' && !/lvs_deploy_drill/.test(sh('nft list tables').stdout)),
      'the timer sent SIGCONT and dropped the tables',
    );
  });

  test('link: the interface and its routes come back by themselves', async () => {
    const r = sh(breakScript(plan('link', 2)));
    assert.match(r.stdout, /==>drill:armed/, r.stdout + r.stderr);
    // The break takes the link down a moment after it answered (its answer may use that link).
    await sleep(1200);
    assert.doesNotMatch(ip('-o', 'link', 'show', 'dv0'), /[<,]UP[,>]/, 'the link is down');
    assert.doesNotMatch(ip('route'), /10\.88\.1\.0\/24/);
    assert.ok(
      await waitFor(() => /10\.88\.1\.0\/24 via/.test(ip('route'))),
      'the timer brought the link and its route back',
    );
    assert.match(ip('-o', 'link', 'show', 'dv0'), /[<,]UP[,>]/, 'the link is up again');
    assert.match(ip('route'), /10\.88\.1\.0\/24 via 10\.88\.0\.2 dev dv0/, 'the route through it is back');
  });

  test("the drill's restore undoes at once and disarms the timer", async () => {
    const r = sh(breakScript(plan('crash', 60)));
    assert.match(r.stdout, /==>drill:armed/);
    const timer = Number(readFileSync(join(dir, 'drill', 'timer.pid'), 'utf8'));
    const back = sh(restoreScript(join(dir, 'drill')));
    assert.match(back.stdout, /==>drill:restored/);
    assert.notEqual(state(daemon?.pid ?? 0), 'T');
    assert.doesNotMatch(sh('nft list tables').stdout, /lvs_deploy_drill/);
    await sleep(300);
    assert.ok(['Z', undefined].includes(alive(timer)), 'the timer is gone');
    assert.match(
      sh(restoreScript(join(dir, 'drill'))).stdout,
      /==>drill:restored/,
      'a second restore is harmless',
    );
  });
});
