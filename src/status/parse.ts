// Parse one director's status output. Pure; fixture-tested with output captured in the VM lab.
import { splitSections } from '../facts/parse.js';
import { parseRules, serviceKey } from '../model/ipvs.js';
import { type OperatorState, parseOperatorState } from '../model/operator.js';
import type { IpvsService, Protocol } from '../model/types.js';
import type { IpvsReadable, SyncDaemonStatus } from './types.js';

/** Live counters of one real server of one service. */
export interface DestCounters {
  weight: number;
  active: number;
  inactive: number;
  cps?: number;
  inBps?: number;
  outBps?: number;
}

export interface DirectorRead {
  ipvs: Exclude<IpvsReadable, 'unreachable'>;
  /** The table as `ipvsadm -S -n` prints it (what the planner diffs). */
  table: IpvsService[];
  /** service key → dest `addr:port` → counters (from `ipvsadm -L -n` and `--rate --exact`). */
  counters: Map<string, Map<string, DestCounters>>;
  /** Addresses on the director (without prefix), with their device. */
  addresses: { dev: string; address: string }[];
  /** Links that are down (or have no carrier): a VRRP instance on one is FAULT. */
  downLinks: string[];
  daemon: { name: string; running: boolean } | null;
  /** null when the section is absent (IPVS not readable). */
  syncDaemons: SyncDaemonStatus[] | null;
  /** From the live keepalived.conf, in order. */
  vrrpConfig: { instance: string; priority: number | null; tracked: boolean }[];
  operator: OperatorState;
  errors: string[];
}

const PROTO: Record<string, Protocol> = { TCP: 'tcp', UDP: 'udp', SCTP: 'sctp' };

function keyOf(line: string): string | undefined {
  const fw = /^FWM\s+(\d+)(\s+IPv6)?\b/.exec(line);
  if (fw) return serviceKey({ fwmark: Number(fw[1]), family: fw[2] ? 6 : 4 });
  const m = /^(TCP|UDP|SCTP)\s+(\S+)/.exec(line);
  const proto = m?.[1] ? PROTO[m[1]] : undefined;
  const hp = m?.[2] ? (/^\[(.+)\]:(\d+)$/.exec(m[2]) ?? /^([^:]+):(\d+)$/.exec(m[2])) : null;
  if (!proto || !hp?.[1]) return undefined;
  return serviceKey({ protocol: proto, vip: hp[1], port: Number(hp[2]) });
}

/**
 * `ipvsadm -L -n` and `ipvsadm -L -n --rate` share one layout: a service line, then
 * `  -> ADDR:PORT` lines with columns. Returns the numeric/word columns after the address.
 */
export function parseIpvsList(text: string): Map<string, Map<string, string[]>> {
  const out = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const line of text.split('\n')) {
    const dest = /^\s+->\s+(\S+)\s*(.*)$/.exec(line);
    if (dest?.[1]) {
      if (dest[1] !== 'RemoteAddress:Port' && current)
        current.set(dest[1], (dest[2] ?? '').trim().split(/\s+/));
      continue;
    }
    const key = keyOf(line);
    if (key) {
      current = new Map();
      out.set(key, current);
    } else current = undefined;
  }
  return out;
}

/** `-L -n` columns: Forward Weight ActiveConn InActConn; `--rate`: CPS InPPS OutPPS InBPS OutBPS. */
function mergeCounters(list: string, rate: string | undefined): Map<string, Map<string, DestCounters>> {
  const rates = parseIpvsList(rate ?? '');
  const out = new Map<string, Map<string, DestCounters>>();
  for (const [svc, dests] of parseIpvsList(list)) {
    const m = new Map<string, DestCounters>();
    for (const [dest, cols] of dests) {
      const [, weight, active, inactive] = cols.map(Number);
      const r = rates.get(svc)?.get(dest)?.map(Number);
      m.set(dest, {
        weight: weight ?? 0,
        active: active ?? 0,
        inactive: inactive ?? 0,
        ...(r && r.length >= 5 ? { cps: r[0], inBps: r[3], outBps: r[4] } : {}),
      });
    }
    out.set(svc, m);
  }
  return out;
}

interface IpLink {
  ifname: string;
  flags?: string[];
  operstate?: string;
  addr_info?: { local: string }[];
}

function parseAddr(
  text: string | undefined,
  errors: string[],
): Pick<DirectorRead, 'addresses' | 'downLinks'> {
  let links: IpLink[] = [];
  try {
    links = JSON.parse((text ?? '').trim() || '[]') as IpLink[];
  } catch {
    errors.push('cannot parse ip -j addr');
  }
  return {
    addresses: links.flatMap((l) => (l.addr_info ?? []).map((a) => ({ dev: l.ifname, address: a.local }))),
    downLinks: links
      .filter((l) => !(l.flags ?? []).includes('UP') || (l.flags ?? []).includes('NO-CARRIER'))
      .map((l) => l.ifname),
  };
}

/** `master sync daemon (mcast=eth0, syncid=51, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)` */
export function parseSyncDaemons(text: string | undefined): SyncDaemonStatus[] | null {
  if (text === undefined) return null;
  const out: SyncDaemonStatus[] = [];
  for (const line of text.split('\n')) {
    const m = /^(master|backup) sync daemon \(mcast=([^,)\s]+), syncid=(\d+)/.exec(line.trim());
    if (m?.[1] && m[2])
      out.push({ role: m[1] as SyncDaemonStatus['role'], interface: m[2], syncid: Number(m[3]) });
  }
  return out;
}

function parseVrrpConfig(text: string | undefined): DirectorRead['vrrpConfig'] {
  const out: DirectorRead['vrrpConfig'] = [];
  for (const line of (text ?? '').split('\n')) {
    const [word, value] = line.trim().split(/\s+/);
    const last = out[out.length - 1];
    if (word === 'instance' && value) out.push({ instance: value, priority: null, tracked: false });
    else if (word === 'priority' && last) last.priority = Number(value);
    else if (word === 'track' && last) last.tracked = true;
  }
  return out;
}

export function parseStatus(output: string): DirectorRead {
  const s = splitSections(output);
  const errors: string[] = [];
  if (!s.has('end')) errors.push('status output is incomplete (no end marker)');
  const ipvsText = (s.get('ipvs') ?? '').trim();
  const ipvs = ipvsText === '!no-kernel' ? 'no-kernel' : ipvsText === '!no-ipvsadm' ? 'no-ipvsadm' : 'ok';
  const [name, state] = (s.get('daemon') ?? '').trim().split(/\s+/);
  let operator: OperatorState = { version: 1, drains: [] };
  try {
    operator = parseOperatorState(s.get('operator') ?? '');
  } catch (err) {
    errors.push((err as Error).message);
  }
  return {
    ipvs,
    table: ipvs === 'ok' ? parseRules(ipvsText).services : [],
    counters: ipvs === 'ok' ? mergeCounters(s.get('ipvs-list') ?? '', s.get('ipvs-rate')) : new Map(),
    ...parseAddr(s.get('addr'), errors),
    daemon: name ? { name, running: state === 'running' } : null,
    syncDaemons: ipvs === 'ok' ? parseSyncDaemons(s.get('sync')) : null,
    vrrpConfig: parseVrrpConfig(s.get('vrrp-conf')),
    operator,
    errors,
  };
}
