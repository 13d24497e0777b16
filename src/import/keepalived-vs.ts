// keepalived.conf's virtual_server (and virtual_server_group) blocks → imported services.
import { bigIntToIp, ipFamily, ipToBigInt } from '../inventory/net.js';
import type { Forwarding, Protocol } from '../model/types.js';
import { CHECKERS, type CheckDefaults, checker, sameCheck, timerKeyword } from './keepalived-check.js';
import type { Stmt } from './keepalived-syntax.js';
import { arg, int, type Notes } from './notes.js';
import type { ImportedCheck, ImportedRealServer, ImportedService } from './types.js';
import { syntaxError } from './types.js';

const METHODS: Record<string, Forwarding> = { NAT: 'nat', DR: 'dr', TUN: 'tun' };
const PROTOCOLS: Record<string, Protocol> = { TCP: 'tcp', UDP: 'udp', SCTP: 'sctp' };
const FLAGS = new Set(['sh-port', 'sh-fallback', 'mh-port', 'mh-fallback', 'flag-1', 'flag-2', 'flag-3']);

type Selector = { vip: string; port: number } | { fwmark: number };

function method(k: Stmt): Forwarding {
  const m = METHODS[arg(k).toUpperCase()];
  if (!m) throw syntaxError(k.file, k.line, `${k.keyword}: expected NAT, DR or TUN, got ${arg(k)}`);
  return m;
}

function address(k: Stmt, text: string): string {
  if (ipFamily(text) === 0) throw syntaxError(k.file, k.line, `${k.keyword}: ${text} is not an IP address`);
  return text;
}

/** `virtual_server_group NAME { IP PORT | IP-LASTOCTET PORT | fwmark N }` → selectors. */
function groupSelectors(s: Stmt, notes: Notes): Selector[] {
  const out: Selector[] = [];
  for (const e of s.block ?? []) {
    if (e.keyword === 'fwmark') {
      out.push({ fwmark: int(e) });
      continue;
    }
    const range = /^(.*?)-([0-9a-fA-F]+)$/.exec(e.keyword);
    const first = range?.[1] ?? e.keyword;
    address(e, first);
    const port = int(e, 0, 'virtual_server_group port');
    const fam = ipFamily(first) as 4 | 6;
    const start = ipToBigInt(first);
    const last = range?.[2];
    const count =
      last === undefined
        ? 1
        : Number.parseInt(last, fam === 6 ? 16 : 10) - Number(start & (fam === 6 ? 0xffffn : 0xffn)) + 1;
    if (!(count >= 1 && count <= 256))
      throw syntaxError(e.file, e.line, `virtual_server_group range ${e.keyword} is empty or too large`);
    for (let i = 0; i < count; i++) out.push({ vip: bigIntToIp(start + BigInt(i), fam), port });
    if (e.args.length > 1) notes.extra(e, 1);
  }
  return out;
}

function realServer(
  s: Stmt,
  svcMethod: () => Forwarding,
  defaults: CheckDefaults,
  notes: Notes,
): { rs: ImportedRealServer; check?: ImportedCheck; connectPort?: number; lvs?: Forwarding } {
  const addr = address(s, arg(s));
  const port = s.args[1] !== undefined ? int(s, 1, 'real_server port') : 0;
  let weight = 1;
  let lvs: Forwarding | undefined;
  let check: ImportedCheck | undefined;
  let connectPort: number | undefined;
  const t: CheckDefaults = { ...defaults };
  for (const k of s.block ?? []) {
    if (timerKeyword(k, t)) continue;
    if (k.keyword === 'weight') {
      weight = int(k);
      notes.extra(k, 1);
    } else if (k.keyword === 'lvs_method' || k.keyword === 'lb_kind') lvs = method(k);
    else if (CHECKERS.has(k.keyword)) {
      const c = checker(k, t, notes);
      if (c.check && check)
        notes.unmapped(k, 'the inventory has one check per service; this second checker is not imported');
      else if (c.check) {
        check = c.check;
        connectPort = c.connectPort;
      }
    } else notes.unmapped(k);
  }
  const rs = {
    address: addr,
    port,
    weight,
    forwarding: lvs ?? svcMethod(),
    at: { file: s.file, line: s.line },
  };
  return {
    rs,
    ...(check ? { check } : {}),
    ...(connectPort !== undefined ? { connectPort } : {}),
    ...(lvs ? { lvs } : {}),
  };
}

/** One virtual_server block → one service per selector (a group gives several). */
export function virtualServer(s: Stmt, groups: Map<string, Stmt>, notes: Notes): ImportedService[] {
  let selectors: Selector[];
  const a0 = arg(s);
  if (a0 === 'fwmark') selectors = [{ fwmark: int(s, 1, 'virtual_server fwmark') }];
  else if (a0 === 'group') {
    const g = groups.get(arg(s, 1));
    if (!g)
      throw syntaxError(
        s.file,
        s.line,
        `virtual_server group ${arg(s, 1)}: no virtual_server_group of that name`,
      );
    selectors = groupSelectors(g, notes);
    notes.add(
      s,
      `virtual_server group ${arg(s, 1)} is written as ${selectors.length} services (same IPVS table; keepalived's group-wide quorum and sorry_server are not expressed)`,
    );
  } else selectors = [{ vip: address(s, a0), port: int(s, 1, 'virtual_server port') }];
  for (const sel of selectors)
    if ('fwmark' in sel)
      notes.add(
        s,
        `fwmark ${sel.fwmark}: the firewall rule that marks the packets is not part of keepalived.conf and is not imported; the service's vip is the VRRP address it floats`,
      );

  let scheduler: string | undefined;
  let forwarding: Forwarding | undefined;
  let protocol: Protocol | undefined;
  let persistence: ImportedService['persistence'];
  let netmask: string | undefined;
  let engine: string | undefined;
  let ops = false;
  const flags: string[] = [];
  const defaults: CheckDefaults = {};
  const rsStmts: Stmt[] = [];
  for (const k of s.block ?? []) {
    if (timerKeyword(k, defaults)) notes.extra(k, 1);
    else if (k.keyword === 'lb_algo' || k.keyword === 'lvs_sched') scheduler = arg(k);
    else if (k.keyword === 'lb_kind' || k.keyword === 'lvs_method') forwarding = method(k);
    else if (k.keyword === 'protocol') {
      protocol = PROTOCOLS[arg(k).toUpperCase()];
      if (!protocol) throw syntaxError(k.file, k.line, `protocol: expected TCP, UDP or SCTP, got ${arg(k)}`);
    } else if (k.keyword === 'persistence_timeout')
      persistence = { timeout: k.args[0] !== undefined ? int(k) : 360 };
    else if (k.keyword === 'persistence_granularity') netmask = arg(k);
    else if (k.keyword === 'persistence_engine') engine = arg(k);
    else if (k.keyword === 'ops') ops = true;
    else if (FLAGS.has(k.keyword)) flags.push(k.keyword);
    else if (k.keyword === 'real_server') rsStmts.push(k);
    else notes.unmapped(k);
  }
  if (!scheduler) notes.add(s, 'no lvs_sched: keepalived uses wlc, written explicitly');
  if (!forwarding) notes.add(s, 'no lvs_method: keepalived uses NAT, written explicitly');
  const fwmark = selectors.every((x) => 'fwmark' in x);
  if (!protocol && !fwmark) notes.add(s, 'no protocol: keepalived 2.2.7 uses UDP, written explicitly');
  const svcMethod = () => forwarding ?? 'nat';
  const parsed = rsStmts.map((r) => realServer(r, svcMethod, defaults, notes));
  if (parsed.length === 0)
    notes.add(s, 'virtual_server without real servers: the inventory needs at least one; not imported');

  const firstCheck = parsed.find((p) => p.check)?.check;
  for (const p of parsed) {
    if (!sameCheck(p.check, firstCheck)) {
      notes.add(
        p.rs.at,
        `real_server ${p.rs.address}: its check differs from the service's first (${firstCheck ? `${firstCheck.at.file}:${firstCheck.at.line}` : 'none'}); the inventory has one check per service, written as that one`,
      );
    }
    if (p.connectPort !== undefined && p.connectPort !== p.rs.port && p.check?.type !== 'misc') {
      notes.add(
        p.rs.at,
        `real_server ${p.rs.address}: connect_port ${p.connectPort} is not its service port ${p.rs.port}; lvs-deploy checks the real server's own port`,
      );
    }
  }
  if (engine === 'sip' && persistence) persistence.engine = 'sip';
  else if (engine !== undefined)
    notes.add(
      s,
      `persistence_engine ${engine}: the inventory knows sip with persistence_timeout only; not imported`,
    );
  if (netmask !== undefined && persistence) persistence.netmask = netmask;
  else if (netmask !== undefined)
    notes.add(s, 'persistence_granularity without persistence_timeout: IPVS ignores it; not imported');

  if (parsed.length === 0) return [];
  return selectors.map((sel) => {
    const famOf = 'vip' in sel ? sel.vip : (parsed[0]?.rs.address ?? '');
    return {
      ...('vip' in sel
        ? { vip: sel.vip, port: sel.port, protocol: protocol ?? 'udp' }
        : { fwmark: sel.fwmark }),
      family: (ipFamily(famOf) === 6 ? 6 : 4) as 4 | 6,
      scheduler: scheduler ?? 'wlc',
      flags: [...flags].sort(),
      ops,
      forwarding: svcMethod(),
      ...(persistence ? { persistence: { ...persistence } } : {}),
      ...(firstCheck ? { check: firstCheck } : {}),
      real_servers: parsed.map((p) => ({ ...p.rs })),
      at: { file: s.file, line: s.line },
    };
  });
}
