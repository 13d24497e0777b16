// A direct-routing VIP must sit on the directors' segment: clients and the router find it by ARP
// there, and keepalived moves it with gratuitous ARP. A VIP outside every director subnet used
// to validate silently and come out as a /24 on the first interface.

import type { InventoryProblem as RuleProblem } from '../managers/types.js';
import { cidrContains, hostAddressOfFamily, ipFamily, parseCidr } from './net.js';
import type { RawInventory } from './schema.js';

export function drVipOnDirectorSubnet(inv: RawInventory, out: RuleProblem[]): void {
  const directors = inv.directors.hosts.flatMap((name) => {
    const h = Object.hasOwn(inv.hosts, name) ? inv.hosts[name] : undefined;
    return h ? [{ name, cidrs: Object.values(h.interfaces ?? {}).flat() }] : [];
  });
  // Judged only where every director lists its interfaces: otherwise we cannot know its subnets.
  if (directors.length === 0 || directors.some((d) => d.cidrs.length === 0)) return;
  inv.services.forEach((s, si) => {
    const family = ipFamily(s.vip);
    if (s.forwarding !== 'dr' || family === 0) return;
    const subnets = directors.flatMap((d) =>
      d.cidrs.map(parseCidr).filter((p) => p !== undefined && p.family === family),
    );
    // No director subnet of the VIP's family listed (an IPv6 VIP on IPv4-only interfaces): no judge.
    if (subnets.length > 0 && !subnets.some((p) => p !== undefined && cidrContains(p, s.vip)))
      out.push({
        path: ['services', si, 'vip'],
        message: `DR VIP ${s.vip} is in no subnet of the directors (${directors.map((d) => `${d.name}: ${d.cidrs.join(', ')}`).join('; ')}); put it in the directors' subnet so clients reach it by ARP`,
      });
  });
}

/**
 * A NAT real server's IPv6 default route points at a director's own IPv6 address (there is no
 * floating IPv6 NAT gateway yet): behind two directors, a failover would leave it on the dead one.
 */
export function ipv6NatOneDirector(inv: RawInventory, out: RuleProblem[]): void {
  const n = inv.directors.hosts.length;
  if (n < 2) return;
  inv.services.forEach((s, si) => {
    if (ipFamily(s.vip) !== 6) return;
    s.real_servers.forEach((rs, ri) => {
      if ((rs.forwarding ?? s.forwarding) !== 'nat') return;
      const h = rs.host !== undefined && Object.hasOwn(inv.hosts, rs.host) ? inv.hosts[rs.host] : undefined;
      const addr = rs.address ?? (h ? hostAddressOfFamily(h, 6) : '');
      out.push({
        path: ['services', si, 'real_servers', ri],
        message: `IPv6 NAT real server ${addr} behind ${n} directors: its IPv6 default route would point at one director's own address and break on a failover (lvs-deploy floats no IPv6 NAT gateway yet); use DR for the IPv6 service, or one director`,
      });
    });
  });
}

/**
 * keepalived with unicast peers: the vrrp_instance of each VIP family sends from, and to, the
 * directors' addresses of that family on the VRRP interface (VI_6 for the IPv6 VIPs of a
 * dual-stack pair). A director without one would get a peer of the wrong family.
 */
export function unicastPeersPerFamily(inv: RawInventory, out: RuleProblem[]): void {
  const v = inv.directors.vrrp;
  if (!v?.unicast || inv.directors.manager !== 'keepalived') return;
  const families = new Set(inv.services.map((s) => ipFamily(s.vip)).filter((f) => f !== 0));
  for (const name of inv.directors.hosts) {
    const h = Object.hasOwn(inv.hosts, name) ? inv.hosts[name] : undefined;
    if (!h) continue;
    const own = [h.address, ...(h.interfaces?.[v.interface] ?? []).map((c) => c.split('/')[0] ?? '')];
    for (const family of families) {
      if (own.some((a) => ipFamily(a) === family)) continue;
      out.push({
        path: ['directors', 'vrrp', 'unicast'],
        message: `${name} has no IPv${family} address on ${v.interface} for the IPv${family} VIPs' vrrp_instance to send its unicast adverts from; list one in hosts.${name}.interfaces.${v.interface}`,
      });
    }
  }
}
