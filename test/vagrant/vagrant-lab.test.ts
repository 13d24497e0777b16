// Issue 19: the Vagrant lab brought up for real, on libvirt, as a user would — offline. The box
// comes from vagrant/build-box.sh (cached); libvirt's daemons are started here and stopped by PID;
// every libvirt network is isolated (no NAT, no forwarding) and the guests install from a local
// apt repository served on the host side of the lab network. Then: vagrant up → lvs-deploy up →
// verify (every real server answers, VIP on lb1) → a second up changes nothing → vagrant destroy →
// nothing of ours left in libvirt, and the root namespace's sysctls and firewall as before.
// Runs only as root with vagrant-libvirt installed; hold the lab lock (it is CPU-heavy).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ROOT } from '../helpers/cli.js';
import { buildRepo, serveRepo } from './apt-repo.js';
import {
  type Daemons,
  defineNetworksAndPool,
  HOST_ADDRESS,
  leftovers,
  POOL,
  type RootState,
  removeAll,
  restoreRoot,
  rootState,
  run,
  startDaemons,
  stopDaemons,
} from './libvirt.js';

const VAGRANT_DIR = join(ROOT, 'vagrant');
const INV = join(ROOT, 'inventories', 'vagrant-dr.yaml');
const REPO_PORT = 8056;
const VAGRANT_HOME = process.env.VAGRANT_HOME ?? '/var/cache/lvs-deploy/vagrant-home';
const MIN = 60_000;

const root = process.getuid?.() === 0;
const plugin =
  run('sh', ['-c', 'ls -d /usr/share/rubygems-integration/all/gems/vagrant-libvirt-*']).code === 0;
const skip = !root
  ? 'needs root (libvirt)'
  : !plugin
    ? 'vagrant-libvirt is not installed (.ci/setup installs it)'
    : run('sh', ['-c', 'pgrep -x libvirtd']).code === 0
      ? 'a libvirtd is already running that this test did not start: not touching it'
      : false;

const env = {
  ...process.env,
  LC_ALL: 'C',
  VAGRANT_HOME,
  VAGRANT_DEFAULT_PROVIDER: 'libvirt',
  VAGRANT_CHECKPOINT_DISABLE: '1',
  LIBVIRT_DEFAULT_URI: 'qemu:///system',
  LVS_VAGRANT_LIBVIRT_DRIVER: 'qemu',
  LVS_VAGRANT_LIBVIRT_POOL: POOL,
  LVS_VAGRANT_APT_SOURCE: `deb [trusted=yes] http://${HOST_ADDRESS}:${REPO_PORT}/ ./`,
  LVS_VRRP_PASS: 'vlab19', // keepalived keeps at most 8 characters
};

/** Run a command with a timeout, output kept; resolves with the exit code (124 on timeout). */
function step(
  cmd: string,
  args: string[],
  cwd: string,
  timeoutMs: number,
): Promise<{ code: number; out: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stdout = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      stdout += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      out += b.toString();
    });
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 124, out, stdout });
    });
  });
}

const lvs = (args: string[], timeoutMs: number) =>
  step(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), ...args], ROOT, timeoutMs);

interface JsonHost {
  host: string;
  status: string;
  changes: string[];
  notes?: string[];
  error?: string;
}

const timings: Record<string, number> = {};
async function timed<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  try {
    return await fn();
  } finally {
    timings[name] = Math.round((Date.now() - t0) / 100) / 10;
  }
}

/** Lowest MemAvailable seen while the test runs (sampled every 2 s). */
function memorySampler() {
  const avail = () => Number(/MemAvailable:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0);
  const start = avail();
  let low = start;
  const timer = setInterval(() => {
    low = Math.min(low, avail());
  }, 2000);
  return { stop: () => clearInterval(timer), peakMiB: () => Math.round((start - low) / 1024) };
}

describe('Vagrant lab on libvirt, offline (vagrant up → lvs-deploy up → verify → destroy)', { skip }, () => {
  let daemons: Daemons | undefined;
  let before0: RootState | undefined;
  let server: Server | undefined;
  let cleaned = false;
  const hadDotVagrant = existsSync(join(VAGRANT_DIR, '.vagrant'));
  const memory = memorySampler();

  async function cleanup(): Promise<string[]> {
    if (cleaned) return [];
    cleaned = true;
    if (daemons) {
      await step('vagrant', ['destroy', '-f'], VAGRANT_DIR, 3 * MIN);
      removeAll();
      await stopDaemons(daemons);
    }
    server?.close();
    if (!hadDotVagrant) rmSync(join(VAGRANT_DIR, '.vagrant'), { recursive: true, force: true });
    return before0 ? restoreRoot(before0) : [];
  }

  before(async () => {
    before0 = rootState();
    const box = await timed('box', () => step('sh', [join(VAGRANT_DIR, 'build-box.sh')], ROOT, 15 * MIN));
    assert.equal(box.code, 0, `build-box.sh:\n${box.out.slice(-3000)}`);
    const repo = buildRepo();
    daemons = await startDaemons();
    defineNetworksAndPool();
    server = await serveRepo(repo, HOST_ADDRESS, REPO_PORT);
  });

  after(async () => {
    memory.stop();
    await cleanup();
    process.stderr.write(
      `vagrant lab timings (s): ${JSON.stringify(timings)}; peak memory used: ${memory.peakMiB()} MiB\n`,
    );
  });

  test('the lab networks are isolated: libvirt neither NATs nor forwards them', () => {
    for (const n of ['lvsdeploy-mgmt', 'lvsdeploy-lab']) {
      const xml = run('virsh', ['net-dumpxml', n]).out;
      assert.match(xml, new RegExp(`<name>${n}</name>`));
      assert.doesNotMatch(xml, /<forward/, `${n} has a <forward> element`);
    }
    assert.equal(
      run('sysctl', ['-n', 'net.ipv4.ip_forward']).out.trim(),
      before0?.sysctls['net.ipv4.ip_forward'],
    );
  });

  test('vagrant up --provider=libvirt brings up the five machines', async () => {
    const r = await timed('vagrant up', () =>
      step('vagrant', ['up', '--provider=libvirt'], VAGRANT_DIR, 8 * MIN),
    );
    assert.equal(r.code, 0, `vagrant up:\n${r.out.slice(-4000)}`);
    const running = run('virsh', ['list', '--name']).out;
    for (const h of ['lb1', 'lb2', 'web1', 'web2', 'client'])
      assert.match(running, new RegExp(`lvsdeploy-vagrant_${h}|lvsdeploy-${h}`), `${h} runs`);
  });

  test('lvs-deploy up converges every host, refreshing the emptied package lists', async () => {
    const r = await timed('up', () => lvs(['up', INV, '--json'], 6 * MIN));
    assert.equal(r.code, 0, r.out.slice(-4000));
    const doc = JSON.parse(r.stdout) as { hosts: JsonHost[] };
    const lb1 = doc.hosts.find((h) => h.host === 'lb1');
    assert.equal(lb1?.status, 'changed');
    assert.ok(
      lb1?.changes.some((c) => /^package install .*keepalived/.test(c)),
      lb1?.changes.join('\n'),
    );
    assert.ok(lb1?.notes?.includes('package lists refreshed (missing)'), JSON.stringify(lb1?.notes));
  });

  test('verify: every real server answers through the VIP, and the VIP is on lb1', async () => {
    const r = await timed('verify', () => lvs(['verify', INV], 3 * MIN));
    assert.equal(r.code, 0, r.out.slice(-4000));
    assert.match(r.out, /web1/);
    assert.match(r.out, /web2/);
    const vip = await step('vagrant', ['ssh', 'lb1', '-c', 'ip -o addr show dev eth1'], VAGRANT_DIR, MIN);
    assert.match(vip.out, /192\.168\.56\.100\//);
  });

  test('second up changes nothing', async () => {
    const r = await timed('second up', () => lvs(['up', INV, '--json'], 3 * MIN));
    assert.equal(r.code, 0, r.out.slice(-4000));
    const doc = JSON.parse(r.stdout) as { hosts: JsonHost[] };
    for (const h of doc.hosts) assert.equal(h.status, 'ok', `${h.host}: ${h.changes.join('; ')}`);
  });

  test('vagrant destroy -f, then nothing is left: domains, networks, pools, volumes, daemons', async () => {
    const r = await timed('destroy', () => step('vagrant', ['destroy', '-f'], VAGRANT_DIR, 3 * MIN));
    assert.equal(r.code, 0, r.out.slice(-3000));
    removeAll();
    assert.deepEqual(leftovers(), []);
    const pids = daemons?.started ?? [];
    await cleanup();
    for (const { name, pid } of pids)
      assert.throws(() => process.kill(pid, 0), `${name} (pid ${pid}) still runs`);
    const now = rootState();
    assert.deepEqual(now.sysctls, before0?.sysctls, 'root namespace sysctls as before');
    assert.deepEqual(Object.keys(now.tables).sort(), Object.keys(before0?.tables ?? {}).sort());
  });
});
