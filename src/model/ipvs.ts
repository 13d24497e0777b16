// The IPVS table in `ipvsadm -S -n` form: format (rules file, plan output), parse (facts),
// and normalise so that what we wrote and what the kernel prints compare equal.
import { option, optionArgs, parseOptions } from './service-options.js';
import type { Forwarding, IpvsDest, IpvsService, IpvsTimeouts, Protocol } from './types.js';

const PROTO_FLAG: Record<Protocol, string> = { tcp: '-t', udp: '-u', sctp: '--sctp-service' };
const FWD_FLAG: Record<Forwarding, string> = { nat: '-m', dr: '-g', tun: '-i' };
const FLAG_FWD: Record<string, Forwarding> = { '-m': 'nat', '-g': 'dr', '-i': 'tun' };

function hostPort(addr: string, port: number): string {
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

export function serviceKey(s: {
  protocol?: Protocol | 'fwmark';
  vip?: string;
  port?: number;
  fwmark?: number;
  family?: 4 | 6;
}): string {
  if (s.fwmark !== undefined) return s.family === 6 ? `-f ${s.fwmark} -6` : `-f ${s.fwmark}`;
  return `${PROTO_FLAG[(s.protocol ?? 'tcp') as Protocol]} ${hostPort(s.vip ?? '', s.port ?? 0)}`;
}

export function destKey(d: Pick<IpvsDest, 'address' | 'port'>): string {
  return hostPort(d.address, d.port);
}

/** The service selector as ipvsadm arguments. `key` is serviceKey's: words joined by one space. */
export function keyArgs(s: Pick<IpvsService, 'key'>): string[] {
  return s.key.split(' ');
}

/** ipvsadm arguments that add (`-A`) or edit (`-E`) a service with all its attributes. */
export function serviceArgs(s: IpvsService, op: '-A' | '-E' = '-A'): string[] {
  return [op, ...keyArgs(s), '-s', s.scheduler, ...optionArgs(s)];
}

/** ipvsadm arguments that add (`-a`) or edit (`-e`) one destination. */
export function destArgs(s: IpvsService, d: IpvsDest, op: '-a' | '-e' = '-a'): string[] {
  return [op, ...keyArgs(s), '-r', destKey(d), FWD_FLAG[d.forwarding], '-w', String(d.weight)];
}

/** The `-A` line (without leading "ipvsadm"), as `ipvsadm -S -n` prints it. */
export function formatService(s: IpvsService): string {
  return serviceArgs(s).join(' ');
}

/** The `-a` line for one destination. */
export function formatDest(s: IpvsService, d: IpvsDest): string {
  return destArgs(s, d).join(' ');
}

/** Rules file text, exactly the shape `ipvsadm -S -n` prints, sorted for stable output. */
export function formatRules(services: IpvsService[]): string {
  const lines: string[] = [];
  for (const s of sortServices(services)) {
    lines.push(formatService(s));
    for (const d of sortDests(s.dests)) lines.push(formatDest(s, d));
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

export function sortServices(list: IpvsService[]): IpvsService[] {
  return [...list].sort((a, b) => a.key.localeCompare(b.key));
}

export function sortDests(list: IpvsDest[]): IpvsDest[] {
  return [...list].sort((a, b) => destKey(a).localeCompare(destKey(b)));
}

function splitHostPort(text: string): { address: string; port: number } {
  const m = /^\[(.+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  if (!m?.[1] || !m[2]) return { address: text, port: 0 };
  return { address: m[1], port: Number(m[2]) };
}

/** Parse `ipvsadm -S -n` (or a rules file). Unknown lines are returned in `unparsed`. */
export function parseRules(text: string): { services: IpvsService[]; unparsed: string[] } {
  const byKey = new Map<string, IpvsService>();
  const unparsed: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim().replace(/^ipvsadm\s+/, '');
    if (line === '' || line.startsWith('#')) continue;
    const words = line.split(/\s+/);
    const op = words[0];
    const { key, rest } = takeKey(words.slice(1));
    if (!key || (op !== '-A' && op !== '-a')) {
      unparsed.push(raw);
      continue;
    }
    if (op === '-A') byKey.set(key.text, serviceFrom(key, rest));
    else {
      const svc = byKey.get(key.text);
      const dest = destFrom(rest);
      if (svc && dest) svc.dests.push(dest);
      else unparsed.push(raw);
    }
  }
  return { services: [...byKey.values()], unparsed };
}

interface ParsedKey {
  text: string;
  protocol: Protocol | 'fwmark';
  vip?: string;
  port?: number;
  fwmark?: number;
  family: 4 | 6;
}

function takeKey(words: string[]): { key?: ParsedKey; rest: string[] } {
  const [flag, value, ...rest] = words;
  if (!flag || !value) return { rest: words };
  if (flag === '-f') {
    const v6 = rest[0] === '-6';
    const fw = Number(value);
    return {
      key: {
        text: serviceKey({ fwmark: fw, family: v6 ? 6 : 4 }),
        protocol: 'fwmark',
        fwmark: fw,
        family: v6 ? 6 : 4,
      },
      rest: v6 ? rest.slice(1) : rest,
    };
  }
  const protocol = (Object.entries(PROTO_FLAG).find(([, f]) => f === flag)?.[0] ?? undefined) as
    | Protocol
    | undefined;
  if (!protocol) return { rest: words };
  const { address, port } = splitHostPort(value);
  const family = address.includes(':') ? 6 : 4;
  return {
    key: { text: serviceKey({ protocol, vip: address, port }), protocol, vip: address, port, family },
    rest,
  };
}

function serviceFrom(key: ParsedKey, rest: string[]): IpvsService {
  return {
    key: key.text,
    protocol: key.protocol,
    ...(key.vip !== undefined ? { vip: key.vip, port: key.port } : { fwmark: key.fwmark }),
    family: key.family,
    scheduler: option(rest, '-s') ?? 'wlc',
    ...parseOptions(rest),
    dests: [],
  };
}

function destFrom(rest: string[]): IpvsDest | undefined {
  const r = option(rest, '-r');
  if (!r) return undefined;
  const { address, port } = splitHostPort(r);
  const fwd = rest.find((w) => w in FLAG_FWD);
  return {
    address,
    port,
    forwarding: FLAG_FWD[fwd ?? '-g'] ?? 'dr',
    weight: Number(option(rest, '-w') ?? 1),
  };
}

/** `ipvsadm -L --timeout`: "Timeout (tcp tcpfin udp): 900 120 300"; null when absent. */
export function parseTimeouts(text: string): IpvsTimeouts | null {
  const m = /Timeout \(tcp tcpfin udp\):\s*(\d+)\s+(\d+)\s+(\d+)/.exec(text);
  return m ? { tcp: Number(m[1]), tcpfin: Number(m[2]), udp: Number(m[3]) } : null;
}
