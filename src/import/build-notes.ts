// Notes the assembled inventory needs beyond the parsers': where lvs-deploy's own form (VIP
// prefixes, NAT routes) would differ from what the files said or could not be known from them.
import { cidrContains, ipFamily, parseCidr } from '../inventory/net.js';
import type { DirectorRef, Notes, VrrpPlan } from './build-vrrp.js';
import type { DirectorSource, ImportedService } from './types.js';

function prefixOnDev(v: VrrpPlan['main'] | undefined): number | undefined {
  return v?.vips.find((x) => x.prefix !== undefined && (x.dev === undefined || x.dev === v.interface))
    ?.prefix;
}

/** The director's interface as keepalived.conf shows it (unicast_src_ip, the VIPs' prefix). */
export function derivedInterfaces(
  d: DirectorRef,
  vrrp: VrrpPlan | undefined,
): Record<string, string[]> | undefined {
  const mine = d.vrrp.find((v) => v.name === vrrp?.main.name) ?? d.vrrp[0];
  if (!mine) return undefined;
  const p = prefixOnDev(mine) ?? (ipFamily(d.address) === 6 ? 128 : 32);
  return { [mine.interface]: [`${mine.unicast_src_ip ?? d.address}/${p}`] };
}

/** NAT real servers need a route back the inventory can see: a gateway VIP or a director subnet. */
export function natRouteNotes(
  directors: (DirectorRef & { src?: DirectorSource })[],
  services: ImportedService[],
  vrrp: VrrpPlan | undefined,
  notes: Notes,
): void {
  const gw = vrrp?.gateway?.vips[0];
  const nets = [
    ...directors.flatMap((d) => Object.values(d.src?.interfaces ?? derivedInterfaces(d, vrrp) ?? {}).flat()),
    ...(gw ? [`${gw.address}/${gw.prefix ?? 32}`] : []),
  ].flatMap((c) => parseCidr(c) ?? []);
  const seen = new Set<string>();
  for (const s of services)
    for (const r of s.real_servers) {
      if (r.forwarding !== 'nat' || seen.has(r.address) || nets.some((n) => cidrContains(n, r.address)))
        continue;
      seen.add(r.address);
      notes.add(
        r.at,
        `NAT real server ${r.address}: nothing read says how its replies route back through a director; add the director's interface on its subnet under hosts (a live import reads it)`,
      );
    }
}

/** lvs-deploy floats a VIP with the prefix of the director's own address on that interface. */
export function vipPrefixNotes(
  vrrp: VrrpPlan,
  ifs: Record<string, string[]> | undefined,
  notes: Notes,
): void {
  const m = vrrp.main;
  for (const x of m.vips) {
    const fam = ipFamily(x.address);
    const mine = (ifs?.[m.interface] ?? []).map(parseCidr).filter((c) => c !== undefined && c.family === fam);
    const best = mine.find((c) => c !== undefined && cidrContains(c, x.address)) ?? mine[0];
    const theirs = x.prefix ?? (fam === 6 ? 128 : 32);
    const ours = best?.prefix ?? (fam === 6 ? 128 : 32);
    if (theirs !== ours)
      notes.add(
        m.at,
        `virtual_ipaddress ${x.address}/${theirs}: lvs-deploy floats it as /${ours}, the prefix of the director's address on ${m.interface}`,
      );
  }
}
