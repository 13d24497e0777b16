// Readers of the facts script's sections (see sections.ts, which pairs each with its script).
// Pure; fixture-tested. A section that cannot be parsed is recorded in `errors` rather than guessed.

import { emptyState, type FileFact, type HostFacts, type HostState } from '../model/facts.js';
import type { DesiredAddress, DesiredRoute, DesiredRule } from '../model/types.js';

export function splitSections(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let current: string | undefined;
  let lines: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^==>lvs:([a-z0-9-]+)$/.exec(line);
    if (m?.[1]) {
      if (current) out.set(current, lines.join('\n'));
      current = m[1];
      lines = [];
    } else if (current) lines.push(line);
  }
  if (current) out.set(current, lines.join('\n'));
  return out;
}

function json<T>(text: string | undefined, what: string, errors: string[]): T | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text.trim() || '[]') as T;
  } catch {
    errors.push(`cannot parse ${what}`);
    return undefined;
  }
}

interface IpAddrJson {
  ifname: string;
  flags?: string[];
  link_type?: string;
  address?: string;
  addr_info?: { family: string; local: string; prefixlen: number; label?: string }[];
}

export function parseOs(text: string | undefined): HostFacts['os'] {
  const [id = '', like = '', version = ''] = (text ?? '').trim().split('|');
  const all = `${id} ${like}`;
  const family = /debian|ubuntu/.test(all)
    ? 'debian'
    : /rhel|fedora|centos|rocky|alma/.test(all)
      ? 'rhel'
      : 'unknown';
  return { family, id, version };
}

export function parseSysctls(text: string | undefined): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const line of (text ?? '').split('\n')) {
    if (line.endsWith('!')) out[line.slice(0, -1)] = null;
    else {
      const i = line.indexOf('=');
      if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
    }
  }
  return out;
}

/**
 * `F mode owner group size path` / `A - - - - path` lines, then the contents of the present files
 * as `@@ path` followed by `|line` lines (one awk for all files). A file's last newline is only
 * there when the byte count says so.
 */
export function parseFiles(text: string | undefined): Record<string, FileFact | null> {
  const out: Record<string, FileFact | null> = {};
  const meta = new Map<string, { mode: string; owner: string; group: string; size: number }>();
  const content = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of (text ?? '').split('\n')) {
    if (line.startsWith('|')) {
      current?.push(line.slice(1));
      continue;
    }
    if (line.startsWith('@@ ')) {
      current = [];
      content.set(line.slice(3), current);
      continue;
    }
    const m = /^([FA]) (\S+) (\S+) (\S+) (\S+) (.+)$/.exec(line);
    if (!m?.[6]) continue;
    if (m[1] === 'A') out[m[6]] = null;
    else
      meta.set(m[6], {
        mode: (m[2] ?? '').padStart(4, '0'),
        owner: m[3] ?? '',
        group: m[4] ?? '',
        size: Number(m[5]),
      });
  }
  for (const [path, m] of meta) {
    const lines = content.get(path);
    let text = lines ? `${lines.join('\n')}\n` : '';
    // A different count (non-UTF-8 bytes) just reads as different content: `up` rewrites it.
    if (Buffer.byteLength(text) === m.size + 1) text = text.slice(0, -1);
    out[path] = { content: text, mode: m.mode, owner: m.owner, group: m.group };
  }
  return out;
}

export function parseAddr(
  text: string | undefined,
  errors: string[],
): { addresses: DesiredAddress[]; links: HostFacts['links'] } {
  const data = json<IpAddrJson[]>(text, 'ip -j addr', errors) ?? [];
  const addresses: DesiredAddress[] = [];
  const links: HostFacts['links'] = [];
  for (const link of data) {
    links.push({
      name: link.ifname,
      up: (link.flags ?? []).includes('UP'),
      ...(link.link_type ? { kind: link.link_type } : {}),
      ...(link.address ? { mac: link.address.toLowerCase() } : {}),
    });
    for (const a of link.addr_info ?? []) {
      if (a.family !== 'inet' && a.family !== 'inet6') continue;
      addresses.push({
        dev: link.ifname,
        cidr: `${a.local}/${a.prefixlen}`,
        ...(a.label && a.label !== link.ifname ? { label: a.label } : {}),
      });
    }
  }
  return { addresses, links };
}

export function parseRoutes(text: string | undefined, errors: string[], family: 4 | 6 = 4): DesiredRoute[] {
  // An older facts text has no route6 section: no IPv6 routes, not an error.
  if (family === 6 && text === undefined) return [];
  const data = json<{ dst: string; gateway?: string; dev?: string }[]>(text, 'ip -j route', errors) ?? [];
  return data.map((r) => ({
    dst: family === 6 && r.dst === 'default' ? '::/0' : r.dst,
    ...(r.gateway ? { via: r.gateway } : {}),
    ...(r.dev ? { dev: r.dev } : {}),
  }));
}

export function parseIpRules(text: string | undefined, errors: string[]): DesiredRule[] {
  const data =
    json<{ priority: number; src?: string; srclen?: number; table?: string }[]>(text, 'ip -j rule', errors) ??
    [];
  return data
    .filter((r) => r.src && r.src !== 'all' && /^\d+$/.test(r.table ?? ''))
    .map((r) => ({ from: `${r.src}/${r.srclen ?? 32}`, table: Number(r.table), priority: r.priority }));
}

export function parseKeyValue(text: string | undefined): string[][] {
  return (text ?? '')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => l.trim().split(/\s+/));
}

export function parseState(text: string | undefined, errors: string[]): HostState | null {
  if (!text || text.trim() === '') return null;
  try {
    const raw = JSON.parse(text) as Partial<HostState>;
    return { ...emptyState(raw.inventory ?? ''), ...raw, version: 1 };
  } catch {
    errors.push('cannot parse /var/lib/lvs-deploy/state.json');
    return null;
  }
}

/** `nft -s list table` output, or `!absent`; the copy `up` kept, or `!none`. Section absent: not read. */
export function parseFirewall(live: string | undefined, loaded: string | undefined): HostFacts['firewall'] {
  if (live === undefined) return null;
  const text = (t: string | undefined, none: string) =>
    t === undefined || t.trim() === none ? null : t.trimEnd();
  return { live: text(live, '!absent'), loaded: text(loaded, '!none') };
}

/** `name active|inactive enabled|disabled|PID|-` lines. */
export function parseDaemons(text: string | undefined): HostFacts['daemons'] {
  const daemons: HostFacts['daemons'] = {};
  for (const [name, active, extra] of parseKeyValue(text)) {
    if (!name) continue;
    const pid = Number(extra);
    daemons[name] = {
      running: active === 'active',
      ...(Number.isInteger(pid) && pid > 0 ? { pid } : {}),
      ...(extra === 'enabled' || extra === 'disabled' ? { enabled: extra === 'enabled' } : {}),
    };
  }
  return daemons;
}
