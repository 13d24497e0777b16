// State checks for `verify`: each host's live state against the desired state (which also proves
// what is persisted equals what is live: both must equal the same desired files and values),
// the IPVS table keepalived or ldirectord programs (daemon-table.ts), who holds each floating address, and the traffic expectations.
import type { Inventory } from '../inventory/types.js';
import type { HostFacts } from '../model/facts.js';
import { destKey } from '../model/ipvs.js';
import { ipv6VipOnNic } from '../model/neighbour.js';
import type { DesiredHost } from '../model/types.js';
import { describeChange } from '../planner/changes.js';
import { planHost } from '../planner/plan.js';
import type { Check } from './check.js';
import { daemonTable } from './daemon-table.js';
import type { ProbeOutcome } from './probes.js';

export type { Check } from './check.js';

const FIX_UP = 'run `lvs-deploy up` for this inventory';

export function hostChecks(d: DesiredHost, f: HostFacts, inventoryFile: string): Check[] {
  const plan = planHost(d, f);
  const out: Check[] = plan.blockers.map((b) => ({ host: d.host, check: 'host', ok: false, detail: b }));
  if (plan.changes.length === 0 && plan.blockers.length === 0) {
    const n =
      Object.keys(d.sysctls).length +
      d.files.length +
      d.addresses.length +
      d.routes.length +
      (d.ipvsStatic ? d.ipvs.length : 0) +
      d.daemons.length;
    const what = [
      d.kinds.includes('director') ? `ip_forward=${f.sysctls['net.ipv4.ip_forward'] ?? '?'}` : '',
      ...d.addresses.map((a) => `${a.cidr} on ${a.dev}`),
      ...d.routes.map((r) => `${r.dst} via ${r.via ?? '-'}`),
      ...d.daemons.map((x) => `${x.name} running`),
    ].filter(Boolean);
    out.push({
      host: d.host,
      check: 'converged',
      ok: true,
      detail: `live and persisted state as desired (${n} items${what.length ? `: ${what.join(', ')}` : ''})`,
    });
  }
  for (const c of plan.changes) {
    out.push({
      host: d.host,
      check: 'drift',
      ok: false,
      detail: `pending: ${describeChange(c)}`,
      fix: `${FIX_UP} (${inventoryFile})`,
    });
  }
  if (d.firewall && plan.blockers.length === 0 && !plan.changes.some((c) => c.kind === 'firewall')) {
    const live = f.firewall?.live ?? '';
    const rules = live
      .split('\n')
      .filter((l) => /\b(accept|drop|masquerade)\b/.test(l) && !/\bpolicy\b/.test(l)).length;
    out.push({
      host: d.host,
      check: 'firewall',
      ok: true,
      detail: `nftables table inet lvs_deploy live as up loaded it (policy ${d.firewall.policy}, ${rules} rules)`,
    });
  }
  if (!d.ipvsStatic && d.ipvs.length > 0 && plan.blockers.length === 0) out.push(...daemonTable(d, f));
  out.push(...neighbourChecks(d, f));
  return out;
}

/** A DR real server's IPv6 VIP (desired on lo) live on another interface (model/neighbour.ts). */
export function neighbourChecks(d: DesiredHost, f: HostFacts): Check[] {
  const vips = d.addresses
    .filter((a) => a.dev === 'lo' && a.cidr.includes(':'))
    .map((a) => a.cidr.split('/')[0]);
  return f.addresses
    .filter((a) => a.dev !== 'lo' && a.cidr.includes(':') && vips.includes(a.cidr.split('/')[0]))
    .map((a) => ({
      host: d.host,
      check: 'neighbour',
      ok: false,
      detail: ipv6VipOnNic(d.host, a.cidr.split('/')[0] ?? a.cidr, a.dev),
      fix: `ip addr del ${a.cidr} dev ${a.dev} (keep the VIP on lo only, where lvs-deploy up puts it)`,
    }));
}

/** Exactly one director holds each address keepalived floats. */
export function floatingChecks(
  inv: Inventory,
  desired: Map<string, DesiredHost>,
  facts: Map<string, HostFacts>,
): Check[] {
  const out: Check[] = [];
  const floating = new Map<string, string>();
  for (const name of inv.directors.hosts) {
    for (const a of desired.get(name)?.floatingAddresses ?? [])
      floating.set(a.cidr.split('/')[0] ?? '', a.dev);
  }
  for (const [addr, dev] of floating) {
    const holders = inv.directors.hosts.filter((h) =>
      facts.get(h)?.addresses.some((a) => a.cidr.split('/')[0] === addr),
    );
    const known = inv.directors.hosts.filter((h) => facts.has(h));
    if (known.length === 0) continue;
    out.push({
      host: holders.join('+') || 'directors',
      check: 'vrrp',
      ok: holders.length === 1,
      detail:
        holders.length === 1
          ? `${addr} held by ${holders[0]} (${dev})`
          : holders.length === 0
            ? `${addr} is on no director`
            : `${addr} is on ${holders.length} directors: split brain`,
      ...(holders.length === 1
        ? {}
        : {
            fix:
              holders.length === 0
                ? 'start keepalived on the directors; check VRRP (protocol 112) passes between them'
                : 'the directors do not hear each other: check unicast peers, auth_pass and that VRRP is not filtered',
          }),
    });
  }
  return out;
}

/** One real server's share of the probe traffic: display strings and the same as fields. */
export interface TrafficRow {
  /** Display: `web1 (10.0.0.11:80)`. */
  server: string;
  /** Inventory host name; null for a real server given by address only. */
  host: string | null;
  address: string;
  port: number;
  weight: number;
  answered: number;
  /** Display: `at least 1`, `none (weight 0, drained)`, … */
  expected: string;
  /** none: weight 0; all-or-none: persistence; at-least-one; any: fewer requests than servers. */
  expectation: 'none' | 'all-or-none' | 'at-least-one' | 'any';
  expected_min: number;
  /** null: no upper bound. */
  expected_max: number | null;
  ok: boolean;
}

export interface ServiceVerdict {
  service: string;
  target: string;
  /** The VIP's IP family: a dual-stack inventory has one verdict per family's service. */
  family: 4 | 6;
  rows: TrafficRow[];
  requests: number;
  failed: number;
  ok: boolean;
  notes: string[];
}

/** Compare who answered with what the scheduler, weights and persistence should give. */
export function judgeTraffic(
  _inv: Inventory,
  o: ProbeOutcome,
  macOwners: Map<string, string>,
): ServiceVerdict {
  const s = o.spec.service;
  // The SIP engine keeps a call (Call-ID), not a client, on one real server: each probe request is
  // a new call, so they spread like a scheduler without persistence.
  const sticky =
    (s.persistence !== undefined && s.persistence.engine === undefined) ||
    ['sh', 'dh', 'mh'].includes(s.scheduler);
  const counts = new Map<string, number>();
  for (const a of o.answers) if (a !== null) counts.set(a, (counts.get(a) ?? 0) + 1);
  const failed = o.answers.filter((a) => a === null).length;
  const names = s.real_servers.map((r) => r.host ?? r.address);
  const healthy = s.real_servers.filter((r) => r.weight > 0).map((r) => r.host ?? r.address);
  const answeredHealthy = healthy.filter((h) => (counts.get(h) ?? 0) > 0);
  const rows = s.real_servers.map((r) => {
    const name = r.host ?? r.address;
    const n = counts.get(name) ?? 0;
    let expected: string;
    let expectation: TrafficRow['expectation'];
    let range: [number, number | null];
    let ok: boolean;
    if (r.weight === 0) {
      expected = 'none (weight 0, drained)';
      expectation = 'none';
      range = [0, 0];
      ok = n === 0;
    } else if (sticky) {
      expected = 'all or none (one real server per client)';
      expectation = 'all-or-none';
      range = [0, o.answers.length - failed];
      ok = n === 0 || n === o.answers.length - failed;
    } else {
      const enough = o.spec.probe.requests >= healthy.length;
      expected = enough ? 'at least 1' : 'any';
      expectation = enough ? 'at-least-one' : 'any';
      range = [enough ? 1 : 0, null];
      ok = o.spec.probe.requests < healthy.length || n > 0;
    }
    return {
      server: `${name} (${destKey({ address: r.address, port: r.port })})`,
      host: r.host ?? null,
      address: r.address,
      port: r.port,
      weight: r.weight,
      answered: n,
      expected,
      expectation,
      expected_min: range[0],
      expected_max: range[1],
      ok,
    };
  });
  const strangers = [...counts.keys()].filter((k) => !names.includes(k) && k !== '(connected)');
  const notes: string[] = [];
  if (strangers.length > 0) notes.push(`answers from outside the pool: ${strangers.join(', ')}`);
  if (sticky && answeredHealthy.length > 1)
    notes.push(`persistence broken: ${answeredHealthy.length} real servers answered one client`);
  if (failed > 0)
    notes.push(`${failed} of ${o.answers.length} request(s) failed (${[...new Set(o.failures)].join(', ')})`);
  if (o.lynx !== undefined) notes.push(`lynx -dump: ${o.lynx || '(empty)'}`);
  if (o.arpMacs && o.arpMacs.length > 1) {
    const who = o.arpMacs.map((m) => macOwners.get(m) ?? m).join(', ');
    notes.push(
      `ARP for ${s.vip} answered by ${o.arpMacs.length} MACs (${who}): a DR/TUN real server answers ARP for the VIP — fix: arp_ignore=1 and arp_announce=2 on the real servers (lvs-deploy up sets them)`,
    );
  }
  const ok =
    failed === 0 &&
    rows.every((r) => r.ok) &&
    strangers.length === 0 &&
    !(sticky && answeredHealthy.length > 1) &&
    !(o.arpMacs && o.arpMacs.length > 1) &&
    answeredHealthy.length > 0;
  const vip = s.family === 6 ? `[${s.vip}]` : s.vip;
  const target = s.fwmark !== undefined ? `fwmark ${s.fwmark}` : `${vip}:${s.port}/${s.protocol}`;
  return { service: s.name, target, family: s.family, rows, requests: o.answers.length, failed, ok, notes };
}
