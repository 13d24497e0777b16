// Lab plumbing for the bench: bring a lab up fresh (down + up: new namespaces, new sshd, nothing
// of either tool left), the keepalived VRRP-only shim, sshd log counters and the end-state snapshot.
import { readFileSync, statSync } from 'node:fs';
import type { Inventory } from '../src/inventory/types.js';
import { hostExec, type LabState, labDown, labUp } from '../src/lab/netns.js';
import { labFiles } from '../src/lab/state.js';
import type { BenchTopology } from './inventory.js';

/** Labs this process brought up and has not torn down yet: torn down on exit, error or SIGINT. */
export const openLabs = new Set<string>();

/*
 * This kernel has no IPVS, and keepalived's checker child — the part that programs the IPVS table
 * from virtual_server blocks — exits FATAL without it, taking keepalived down. So on each director
 * `keepalived` resolves (PATH: /usr/local/sbin first, private to each lab host) to this shim, which
 * runs keepalived with --vrrp: VRRP only, exactly the IPVS table left out. Both tools get it alike.
 */
const KEEPALIVED_SHIM = `#!/bin/sh
# lvs-deploy bench: no IPVS in this kernel; run keepalived's VRRP part only (--vrrp).
exec /usr/sbin/keepalived --vrrp "$@"
`;

export async function installShims(state: LabState, topo: BenchTopology): Promise<void> {
  const directors = topo.hosts.filter((h) => h.role === 'director');
  await Promise.all(
    directors.map(async (h) => {
      const r = await hostExec(
        state,
        h.name,
        `cat > /usr/local/sbin/keepalived <<'EOF'\n${KEEPALIVED_SHIM}EOF\nchmod 0755 /usr/local/sbin/keepalived`,
      );
      if (r.code !== 0)
        throw new Error(`${h.name}: installing the keepalived shim failed: ${r.stderr.trim()}`);
    }),
  );
}

/** A lab with fresh hosts: torn down first if it was up (the "cold" starting point). */
export async function freshLab(inv: Inventory, topo: BenchTopology): Promise<LabState> {
  await labDown(topo.name);
  openLabs.add(topo.name);
  const { state } = await labUp(inv);
  await installShims(state, topo);
  return state;
}

export async function closeLab(name: string): Promise<void> {
  await labDown(name);
  openLabs.delete(name);
}

export async function closeAllLabs(): Promise<void> {
  for (const name of [...openLabs]) await closeLab(name).catch(() => undefined);
}

/** sshd log offsets of every host, taken before a run. */
export type LogMark = Map<string, number>;

const logOf = (state: LabState, host: string) => labFiles(state.stateDir).log(host, 'sshd');

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

export function markLogs(state: LabState): LogMark {
  return new Map(Object.keys(state.hosts).map((h) => [h, sizeOf(logOf(state, h))]));
}

export interface SshdCounts {
  /** `Accepted publickey` lines: SSH connections (authenticated) per host. */
  connections: number[];
  /** `Starting session:` lines: channels running a command or subsystem (exec round trips). */
  sessions: number[];
}

/** What every host's sshd logged since `mark` (LogLevel VERBOSE). */
export async function countSince(state: LabState, mark: LogMark): Promise<SshdCounts> {
  // sshd writes its lines as it goes; give the last ones a moment to land.
  await new Promise((r) => setTimeout(r, 150));
  const connections: number[] = [];
  const sessions: number[] = [];
  for (const [host, offset] of mark) {
    let text = '';
    try {
      const all = readFileSync(logOf(state, host));
      text = all.subarray(all.length >= offset ? offset : 0).toString('utf8');
    } catch {
      text = '';
    }
    connections.push((text.match(/^Accepted publickey /gm) ?? []).length);
    sessions.push((text.match(/^Starting session: /gm) ?? []).length);
  }
  return { connections, sessions };
}

/** What the bench compares between the tools on every host, read with nsenter (not via SSH). */
const SNAPSHOT = `export LC_ALL=C
for k in net.ipv4.ip_forward net.ipv4.conf.all.arp_ignore net.ipv4.conf.all.arp_announce net.ipv4.conf.lo.arp_ignore net.ipv4.conf.lo.arp_announce; do
  printf 'sysctl %s=%s\\n' "$k" "$(sysctl -n "$k")"
done
ip -o -4 addr show dev lo | awk '{print "lo " $4}'
for f in /etc/sysctl.d/90-lvs-deploy.conf /etc/modules-load.d/lvs-deploy.conf /usr/local/sbin/lvs-deploy-net /etc/systemd/system/lvs-deploy-net.service /etc/keepalived/keepalived.conf; do
  if [ -f "$f" ]; then printf 'file %s %s %s\\n' "$f" "$(stat -c %a "$f")" "$(sha256sum < "$f" | cut -c1-16)"; fi
done
if [ -f /run/keepalived.pid ] && kill -0 "$(cat /run/keepalived.pid)" 2>/dev/null; then echo 'keepalived running'; else echo 'keepalived not running'; fi
`;

export type Snapshot = Record<string, string[]>;

export async function snapshot(state: LabState): Promise<Snapshot> {
  const out: Snapshot = {};
  await Promise.all(
    Object.keys(state.hosts).map(async (h) => {
      const r = await hostExec(state, h, SNAPSHOT);
      out[h] = r.stdout.trim().split('\n');
    }),
  );
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

/** Lines that differ between two snapshots, as `host: -old / +new`. Empty: same state. */
export function snapshotDiff(a: Snapshot, b: Snapshot): string[] {
  const diffs: string[] = [];
  for (const host of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = new Set(a[host] ?? []);
    const y = new Set(b[host] ?? []);
    for (const l of x) if (!y.has(l)) diffs.push(`${host}: -${l}`);
    for (const l of y) if (!x.has(l)) diffs.push(`${host}: +${l}`);
  }
  return diffs;
}
