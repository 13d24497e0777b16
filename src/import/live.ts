// Live import: one read-only round trip per host (live-script.ts), then the same importers as
// --from on what the directors hold, plus what the real servers say about their forwarding role.
import { performance } from 'node:perf_hooks';
import { applyLabOverrides, type SshTarget } from '../connection/target.js';
import type { Transport } from '../connection/transport.js';
import { ipFamily } from '../inventory/net.js';
import type { DirectorSource, RealServerFacts } from './build.js';
import { sameEffect } from './effect.js';
import { importIpvsadm } from './ipvsadm.js';
import { importKeepalived } from './keepalived.js';
import type { ConfigSource } from './keepalived-syntax.js';
import { importLdirectord } from './ldirectord.js';
import { lintLive } from './live-lint.js';
import { CONFIG_FILES, importScript, type LiveFacts, parseLiveFacts } from './live-script.js';
import type { DirectorImport, ImportNote } from './types.js';

export interface LiveOptions {
  directors: string[];
  realservers: string[];
  ssh: Pick<SshTarget, 'port' | 'user' | 'knownHosts' | 'hostKeyPolicy' | 'become'> & { identity?: string };
  connect: (t: SshTarget) => Promise<Transport>;
}

/** Where one host's share of the import's time went (ms): what `--json` reports as timings_ms. */
export interface HostTiming {
  address: string;
  role: 'director' | 'realserver';
  /** Since the import started, when this host's connection was opened. */
  start: number;
  /** TCP + SSH handshake + authentication. */
  connect: number;
  /** The one read-only round trip: the script runs on the host, its output comes back. */
  read: number;
}

export interface LiveResult {
  sources: DirectorSource[];
  realServers: Map<string, RealServerFacts>;
  lints: ImportNote[];
  /** Hosts that could not be read: director failures are fatal, real servers are kept as address:. */
  unreachable: Map<string, string>;
  timings: HostTiming[];
}

function targetOf(address: string, o: LiveOptions): SshTarget {
  return applyLabOverrides({ host: address, address, ...o.ssh, connectTimeoutMs: 10_000, retries: 1 });
}

async function readHost(address: string, o: LiveOptions, timing: HostTiming): Promise<LiveFacts> {
  const t0 = performance.now();
  const t = await o.connect(targetOf(address, o));
  const t1 = performance.now();
  timing.connect = Math.round(t1 - t0);
  try {
    const r = await t.run(importScript(), { phase: 'import', timeoutMs: 60_000 });
    timing.read = Math.round(performance.now() - t1);
    if (r.code !== 0)
      throw new Error(`${address}: the import facts script exited ${r.code}: ${r.stderr.trim()}`);
    return parseLiveFacts(r.stdout);
  } finally {
    await t.close();
  }
}

/** The host's files as a ConfigSource; names carry the host (`ADDR:/etc/…`) so notes say where. */
function remoteSource(address: string, facts: LiveFacts): ConfigSource {
  const local = (p: string) => (p.startsWith(`${address}:`) ? p.slice(address.length + 1) : p);
  return {
    read: (p) => facts.files.get(local(p)),
    glob: (pattern) => {
      const re = new RegExp(
        `^${local(pattern)
          .replace(/[.+^${}()|\\]/g, '\\$&')
          .replace(/\*/g, '[^/]*')
          .replace(/\?/g, '[^/]')}$`,
      );
      return [...facts.files.keys()]
        .filter((k) => re.test(k))
        .sort()
        .map((k) => `${address}:${k}`);
    },
  };
}

function directorImport(address: string, f: LiveFacts): DirectorImport {
  const src = remoteSource(address, f);
  const has = (p: string) => f.files.has(p);
  const kconf = '/etc/keepalived/keepalived.conf';
  const ldir = CONFIG_FILES.slice(0, 2).find(has);
  const rules = CONFIG_FILES.slice(2).find(has);
  const notRunning = (what: string): ImportNote => ({
    file: `${address}:${what}`,
    line: 1,
    message: `${what} is configured but its daemon is not running`,
  });
  const running = (daemon: string) => f.running.includes(daemon);
  if (has(kconf) && running('keepalived')) return importKeepalived(`${address}:${kconf}`, src);
  if (ldir && running('ldirectord')) return importLdirectord(`${address}:${ldir}`, f.files.get(ldir) ?? '');
  // No daemon runs: a live table is what someone typed (ipvsadm), whatever configuration files
  // lie around (Debian's ldirectord package ships a sample ldirectord.cf).
  if (f.ipvs.trim() !== '') {
    const imp = importIpvsadm(`${address}:ipvsadm -S -n`, f.ipvs);
    for (const idle of [has(kconf) ? kconf : undefined, ldir].filter((p) => p !== undefined))
      imp.notes.push({
        ...notRunning(idle),
        message: `${notRunning(idle).message}; imported the live IPVS table`,
      });
    if (!rules)
      imp.notes.push({
        file: `${address}:ipvsadm -S -n`,
        line: 1,
        message: 'the live table is not persisted in a rules file; lvs-deploy will write one',
      });
    else if (!sameEffect(rules, f.files.get(rules) ?? '', f.ipvs))
      imp.notes.push({
        file: `${address}:${rules}`,
        line: 1,
        message: 'the rules file differs from the live table; imported the live table',
      });
    return imp;
  }
  if (has(kconf)) {
    const imp = importKeepalived(`${address}:${kconf}`, src);
    imp.notes.push(notRunning(kconf));
    return imp;
  }
  if (ldir) {
    const imp = importLdirectord(`${address}:${ldir}`, f.files.get(ldir) ?? '');
    imp.notes.push(notRunning(ldir));
    return imp;
  }
  if (rules) return importIpvsadm(`${address}:${rules}`, f.files.get(rules) ?? '');
  throw new Error(
    `${address}: no keepalived.conf, ldirectord.cf, IPVS table or ipvsadm rules file found; is it a director?`,
  );
}

/** Kernel defaults of the IPVS sysctls people change (Documentation/networking/ipvs-sysctl). */
export const VS_DEFAULTS: Record<string, string> = {
  am_droprate: '10',
  amemthresh: '1024',
  backup_only: '0',
  cache_bypass: '0',
  conn_reuse_mode: '1',
  conntrack: '0',
  drop_entry: '0',
  drop_packet: '0',
  expire_nodest_conn: '0',
  expire_quiescent_template: '0',
  ignore_tunneled: '0',
  nat_icmp_send: '0',
  pmtu_disc: '1',
  schedule_icmp: '0',
  secure_tcp: '0',
  sloppy_sctp: '0',
  sloppy_tcp: '0',
  snat_reroute: '1',
};

/**
 * What lvs-deploy's director role sets (roles/director.yaml): an imported director that runs with
 * other values keeps them through `directors`' per-host sysctls, so `plan` changes nothing.
 */
export const DIRECTOR_ROLE_SYSCTLS: Record<string, string> = {
  'net.ipv4.ip_forward': '1',
  'net.ipv4.vs.expire_nodest_conn': '1',
  'net.ipv4.vs.expire_quiescent_template': '1',
};

/**
 * ip_forward and net.ipv4.vs.* as the host runs them, where that differs from what `up` would
 * leave (the director role's value, else the kernel default): the inventory must say them.
 */
export function keptSysctls(f: LiveFacts): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [k, raw] of Object.entries(f.sysctls)) {
    const name = /^net\.ipv4\.vs\.(.+)$/.exec(k)?.[1];
    const known = k === 'net.ipv4.ip_forward' || (name !== undefined && VS_DEFAULTS[name] !== undefined);
    if (!known) continue;
    const upLeaves = DIRECTOR_ROLE_SYSCTLS[k] ?? (name !== undefined ? VS_DEFAULTS[name] : undefined);
    const v = raw.trim();
    if (/^-?\d+$/.test(v) && v !== upLeaves) kept[k] = v;
  }
  return kept;
}

/** nftables/iptables rules that name a VIP or a fwmark: the inventory does not hold them. */
function firewallNotes(address: string, f: LiveFacts, imp: DirectorImport): void {
  const vips = imp.services.flatMap((s) => (s.vip ? [s.vip] : []));
  const marks = imp.services.flatMap((s) => (s.fwmark !== undefined ? [s.fwmark] : []));
  f.firewall.split('\n').forEach((line, i) => {
    const t = line.trim();
    const mark = marks.some((m) => new RegExp(`mark (set )?(0x0*${m.toString(16)}|${m})\\b`).test(t));
    if (t !== '' && (vips.some((v) => t.includes(v)) || mark))
      imp.notes.push({
        file: `${address}:firewall`,
        line: i + 1,
        message: `rule concerning a VIP or fwmark not imported: ${t}`,
      });
  });
}

function directorSource(address: string, f: LiveFacts): DirectorSource {
  const imp = directorImport(address, f);
  firewallNotes(address, f, imp);
  const floating = new Set([
    ...imp.services.flatMap((s) => (s.vip ? [s.vip] : [])),
    ...imp.vrrp.flatMap((v) => v.vips.map((x) => x.address)),
  ]);
  const interfaces = Object.fromEntries(
    Object.entries(f.addresses)
      .filter(([dev]) => dev !== 'lo')
      .map(([dev, cidrs]) => [dev, cidrs.filter((c) => !floating.has(c.split('/')[0] ?? ''))] as const)
      .filter(([, cidrs]) => cidrs.length > 0),
  );
  return {
    imp,
    address,
    interfaces,
    sysctls: keptSysctls(f),
    ...(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(f.hostname) ? { name: f.hostname } : {}),
  };
}

function realServerFacts(a: string, f: LiveFacts): RealServerFacts {
  const interfaces = Object.fromEntries(
    Object.entries(f.addresses).filter(([dev]) => dev !== 'lo' && dev !== 'tunl0' && ipFamily(a) !== 0),
  );
  return {
    ...(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(f.hostname) ? { name: f.hostname } : {}),
    interfaces,
  };
}

/**
 * Every host is read at once: the --realserver ones with the directors, and each real server of a
 * director's table as soon as that director's table is known (an emulated or distant sshd takes
 * seconds per handshake; waiting for the slowest director before starting would add them up).
 */
export async function liveImport(o: LiveOptions): Promise<LiveResult> {
  const started = performance.now();
  const timings: HostTiming[] = [];
  const timingOf = (address: string, role: HostTiming['role']): HostTiming => {
    const t = { address, role, start: Math.round(performance.now() - started), connect: 0, read: 0 };
    timings.push(t);
    return t;
  };
  const rsReads = new Map<string, Promise<LiveFacts | Error>>();
  const readRealServer = (a: string) => {
    if (rsReads.has(a) || o.directors.includes(a)) return;
    const read = readHost(a, o, timingOf(a, 'realserver')).catch((err: unknown) =>
      err instanceof Error ? err : new Error(String(err)),
    );
    rsReads.set(a, read);
  };
  for (const a of o.realservers) readRealServer(a);
  const read = await Promise.all(
    o.directors.map(async (address) => {
      const f = await readHost(address, o, timingOf(address, 'director'));
      const source = directorSource(address, f);
      for (const s of source.imp.services) for (const r of s.real_servers) readRealServer(r.address);
      return { f, source };
    }),
  );
  const facts = read.map((r) => r.f);
  const sources = read.map((r) => r.source);
  // The same order as before the reads ran side by side: --realserver first, then table order.
  const rsAddrs = new Set([
    ...o.realservers,
    ...sources.flatMap((s) => s.imp.services.flatMap((x) => x.real_servers.map((r) => r.address))),
  ]);
  for (const d of o.directors) rsAddrs.delete(d);
  const realServers = new Map<string, RealServerFacts>();
  const unreachable = new Map<string, string>();
  const rsFacts = new Map<string, LiveFacts>();
  for (const a of rsAddrs) {
    const f = await (rsReads.get(a) ?? Promise.resolve(new Error(`${a}: not read`)));
    if (f instanceof Error) {
      unreachable.set(a, f.message);
      realServers.set(a, { unreachable: f.message });
    } else {
      rsFacts.set(a, f);
      realServers.set(a, realServerFacts(a, f));
    }
  }
  const lints = lintLive(sources, facts, rsFacts);
  return { sources, realServers, lints, unreachable, timings };
}
