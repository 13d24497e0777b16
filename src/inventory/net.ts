// Small IPv4/IPv6 helpers for validation and subnet checks. No I/O.
import { isIPv4, isIPv6 } from 'node:net';

export function ipFamily(addr: string): 4 | 6 | 0 {
  if (isIPv4(addr)) return 4;
  if (isIPv6(addr)) return 6;
  return 0;
}

export interface Cidr {
  address: string;
  prefix: number;
  family: 4 | 6;
}

/** Parse `addr/prefix`; returns undefined when malformed. */
export function parseCidr(text: string): Cidr | undefined {
  const m = /^([^/\s]+)\/(\d{1,3})$/.exec(text);
  if (!m?.[1] || !m[2]) return undefined;
  const family = ipFamily(m[1]);
  const prefix = Number(m[2]);
  if (family === 0 || prefix > (family === 4 ? 32 : 128)) return undefined;
  return { address: m[1], prefix, family };
}

function v4ToBigInt(addr: string): bigint {
  return addr.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function v6ToBigInt(addr: string): bigint {
  let text = addr;
  const v4tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4tail?.[1]) {
    const n = v4ToBigInt(v4tail[1]);
    text = `${text.slice(0, -v4tail[1].length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g || '0', 16)), 0n);
}

export function ipToBigInt(addr: string): bigint {
  return ipFamily(addr) === 4 ? v4ToBigInt(addr) : v6ToBigInt(addr);
}

export function bigIntToIp(n: bigint, family: 4 | 6): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join('.');
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((n >> BigInt(i * 16)) & 0xffffn).toString(16));
  return groups
    .join(':')
    .replace(/(^|:)0(:0)+(:|$)/, '::')
    .replace(/^:::/, '::');
}

/** Does the subnet of `cidr` contain `addr`? */
export function cidrContains(cidr: Cidr, addr: string): boolean {
  if (ipFamily(addr) !== cidr.family) return false;
  const bits = cidr.family === 4 ? 32 : 128;
  const shift = BigInt(bits - cidr.prefix);
  return ipToBigInt(cidr.address) >> shift === ipToBigInt(addr) >> shift;
}

/** Canonical network address of a CIDR, e.g. 192.168.1.7/24 -> 192.168.1.0/24. */
export function networkOf(cidr: Cidr): string {
  const bits = cidr.family === 4 ? 32 : 128;
  const shift = BigInt(bits - cidr.prefix);
  return `${bigIntToIp((ipToBigInt(cidr.address) >> shift) << shift, cidr.family)}/${cidr.prefix}`;
}

export interface HostPort {
  /** IPv4, IPv6 (without brackets) or a DNS host name. */
  host: string;
  port?: number;
}

const HOSTNAME_RE =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * `HOST`, `HOST:PORT`, `[IPv6]`, `[IPv6]:PORT` or a bare IPv6 address (no port: its colons are the
 * address's). HOST is an IPv4 address or a DNS name. When malformed, a message that reads after
 * `"VALUE" is`, as the inventory loader prints it.
 */
export function parseHostPort(text: string): HostPort | { error: string } {
  const usage = 'e.g. 192.0.2.25, 127.0.0.1:2525, mail.example.org:587, [2001:db8::25]:2525';
  if (/\s/.test(text)) return { error: `not HOST or HOST:PORT (a port is written HOST:PORT here, ${usage})` };
  const bracketed = /^\[([^\]]*)\](?::(\d+))?$/.exec(text);
  const single = /^([^:[\]]+):(\d+)$/.exec(text);
  const [host, portText] = bracketed
    ? [bracketed[1] ?? '', bracketed[2]]
    : single
      ? [single[1] ?? '', single[2]]
      : [text, undefined];
  const ok = bracketed ? ipFamily(host) === 6 : ipFamily(host) !== 0 || HOSTNAME_RE.test(host);
  if (!ok || host.includes('%'))
    return { error: `not an address or host name with an optional :PORT (${usage})` };
  if (portText === undefined) return { host };
  const port = Number(portText);
  if (port < 1 || port > 65535)
    return { error: `not a valid HOST:PORT (port ${portText} is not in 1..65535)` };
  return { host, port };
}

/**
 * The address a host is reached on for a VIP of `family`: its SSH address when that is of the
 * family, else the first interface address of the family (a dual-stack host names its v6 address
 * only in `interfaces`), else its SSH address (validate then reports the family mismatch).
 */
export function hostAddressOfFamily(
  host: { address: string; interfaces?: Record<string, string[]> | undefined },
  family: 4 | 6 | 0,
): string {
  if (family === 0 || ipFamily(host.address) === family) return host.address;
  for (const list of Object.values(host.interfaces ?? {}))
    for (const text of list) {
      const c = parseCidr(text);
      if (c?.family === family) return c.address;
    }
  return host.address;
}

/**
 * A real server's address for a VIP: its own `address:`, else its host's address of the VIP's
 * family (undefined for a host name that is not in `hosts`: the caller reports that).
 */
export function realServerAddress(
  hosts: Record<string, { address: string; interfaces?: Record<string, string[]> | undefined }>,
  rs: { address?: string | undefined; host?: string | undefined },
  vip: string,
): string | undefined {
  if (rs.address !== undefined) return rs.address;
  const h = rs.host !== undefined && Object.hasOwn(hosts, rs.host) ? hosts[rs.host] : undefined;
  return h ? hostAddressOfFamily(h, ipFamily(vip)) : undefined;
}
