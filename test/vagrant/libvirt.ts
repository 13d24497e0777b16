// The libvirt side of the Vagrant lab test: libvirt's daemons started by hand (systemd is not PID 1
// on CI machines) and stopped by their own PIDs, isolated networks and a storage pool the test
// defines itself (every name starts with lvsdeploy-), and a record of the root namespace's
// settings libvirt touches (sysctls, firewall tables) to put back when the test ends.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';

export const PREFIX = 'lvsdeploy-';
export const POOL = `${PREFIX}pool`;
const POOL_DIR = '/var/lib/libvirt/images/lvsdeploy-pool';

/** The networks the lab uses, isolated: no <forward> element, so libvirt neither NATs nor routes. */
export const NETWORKS = [
  // Vagrant's management network (its default 192.168.121.0/24): DHCP, so Vagrant finds the guests.
  {
    name: `${PREFIX}mgmt`,
    xml: `<network><name>${PREFIX}mgmt</name><bridge name='lvsd-mgmt' stp='off'/><ip address='192.168.121.1' netmask='255.255.255.0'><dhcp><range start='192.168.121.10' end='192.168.121.250'/></dhcp></ip></network>`,
  },
  // The inventory's network; the host side (192.168.56.1) serves the test's apt repository.
  {
    name: `${PREFIX}lab`,
    xml: `<network><name>${PREFIX}lab</name><bridge name='lvsd-lab' stp='off'/><ip address='192.168.56.1' netmask='255.255.255.0'/></network>`,
  },
];
export const HOST_ADDRESS = '192.168.56.1';

export interface Ran {
  code: number;
  out: string;
}

/** Run a command with a timeout; never throws. */
export function run(cmd: string, args: string[], timeoutMs = 60_000, input?: string): Ran {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    timeout: timeoutMs,
    input,
    env: { ...process.env, LC_ALL: 'C', LIBVIRT_DEFAULT_URI: 'qemu:///system' },
  });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`;
  return { code: r.status ?? 124, out };
}

export const virsh = (args: string[], timeoutMs = 60_000): Ran => run('virsh', args, timeoutMs);

// What libvirt may change in the root namespace: forwarding (NAT networks turn it on and leave it
// on), and its iptables chains (kept after the networks go).
const SYSCTLS = ['net.ipv4.ip_forward', 'net.ipv6.conf.all.forwarding', 'net.ipv6.conf.default.forwarding'];
const TABLES = [
  ['ip', 'filter'],
  ['ip', 'nat'],
  ['ip', 'mangle'],
  ['ip6', 'filter'],
  ['ip6', 'nat'],
  ['ip6', 'mangle'],
] as const;

export interface RootState {
  sysctls: Record<string, string>;
  /** `nft list table` of each table that existed, by "family name". */
  tables: Record<string, string>;
}

export function rootState(): RootState {
  const sysctls: Record<string, string> = {};
  for (const k of SYSCTLS) sysctls[k] = run('sysctl', ['-n', k]).out.trim();
  const tables: Record<string, string> = {};
  for (const [family, name] of TABLES) {
    const r = run('nft', ['-s', 'list', 'table', family, name]);
    if (r.code === 0) tables[`${family} ${name}`] = r.out;
  }
  return { sysctls, tables };
}

/** Put back what differs from `before`: sysctls, and firewall tables libvirt created or changed. */
export function restoreRoot(before: RootState): string[] {
  const done: string[] = [];
  const now = rootState();
  for (const [k, v] of Object.entries(before.sysctls))
    if (now.sysctls[k] !== v && v !== '') {
      run('sysctl', ['-q', '-w', `${k}=${v}`]);
      done.push(`${k}=${v}`);
    }
  for (const key of Object.keys(now.tables)) {
    if (now.tables[key] === before.tables[key]) continue;
    const [family, name] = key.split(' ') as [string, string];
    run('nft', ['delete', 'table', family, name]);
    const old = before.tables[key];
    // nft's own listing is a valid script for it: recreate the table exactly as it was.
    if (old !== undefined) run('nft', ['-f', '-'], 60_000, old);
    done.push(`${old === undefined ? 'removed' : 'restored'} table ${key}`);
  }
  return done;
}

export interface Daemons {
  started: { name: string; pid: number }[];
  children: ChildProcess[];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** virtlogd then libvirtd, in the foreground as our children (their PIDs are ours to stop). */
export async function startDaemons(): Promise<Daemons> {
  const d: Daemons = { started: [], children: [] };
  for (const name of ['virtlogd', 'libvirtd']) {
    const child = spawn(name, [], { stdio: 'ignore', detached: true });
    if (child.pid === undefined) throw new Error(`${name} did not start`);
    d.started.push({ name, pid: child.pid });
    d.children.push(child);
    child.unref();
  }
  for (let i = 0; i < 100; i++) {
    if (virsh(['version'], 5_000).code === 0) return d;
    await sleep(300);
  }
  throw new Error(`libvirtd did not answer in 30 s: ${virsh(['version']).out}`);
}

/** SIGTERM each daemon we started (libvirtd first), SIGKILL after 15 s. */
export async function stopDaemons(d: Daemons): Promise<void> {
  for (const { pid } of [...d.started].reverse()) {
    if (!alive(pid)) continue;
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 150 && alive(pid); i++) await sleep(100);
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
}

export function defineNetworksAndPool(): void {
  for (const n of NETWORKS) {
    const file = `/tmp/${n.name}.xml`;
    run('sh', ['-c', `cat > ${file}`], 5_000, n.xml);
    const r = virsh(['net-define', file]);
    rmSync(file, { force: true });
    if (r.code !== 0) throw new Error(`net-define ${n.name}: ${r.out}`);
    const s = virsh(['net-start', n.name]);
    if (s.code !== 0) throw new Error(`net-start ${n.name}: ${s.out}`);
  }
  mkdirSync(POOL_DIR, { recursive: true });
  for (const args of [
    ['pool-define-as', POOL, 'dir', '--target', POOL_DIR],
    ['pool-start', POOL],
  ]) {
    const r = virsh(args);
    if (r.code !== 0) throw new Error(`${args[0]}: ${r.out}`);
  }
}

/** Every lvsdeploy-* domain, network, pool (and its volumes). */
export function leftovers(): string[] {
  const list = (args: string[]) =>
    virsh(args)
      .out.split('\n')
      .map((l) => l.trim())
      .filter((l) => l.startsWith(PREFIX));
  return [
    ...list(['list', '--all', '--name']).map((n) => `domain ${n}`),
    ...list(['net-list', '--all', '--name']).map((n) => `network ${n}`),
    ...list(['pool-list', '--all', '--name']).map((n) => `pool ${n}`),
  ];
}

/** Remove everything of ours libvirt still holds; safe to run twice. */
export function removeAll(): void {
  for (const name of virsh(['list', '--all', '--name'])
    .out.split('\n')
    .map((l) => l.trim())) {
    if (!name.startsWith(PREFIX)) continue;
    virsh(['destroy', name]);
    virsh(['undefine', name, '--nvram', '--remove-all-storage']);
  }
  for (const n of NETWORKS) {
    virsh(['net-destroy', n.name]);
    virsh(['net-undefine', n.name]);
  }
  const vols = virsh(['vol-list', POOL, '--details']).out.split('\n').slice(2);
  for (const line of vols) {
    const name = line.trim().split(/\s+/)[0];
    if (name) virsh(['vol-delete', name, '--pool', POOL]);
  }
  virsh(['pool-destroy', POOL]);
  virsh(['pool-undefine', POOL]);
  rmSync(POOL_DIR, { recursive: true, force: true });
}
