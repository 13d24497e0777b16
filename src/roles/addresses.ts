// Where a director's addresses go: the interface a VIP is added on, the prefix VRRP floats it
// with, a director's own address on an interface. Shared by the role context and the managers.
import { cidrContains, ipFamily, parseCidr } from '../inventory/net.js';
import type { HostSpec } from '../inventory/types.js';

export function hostCidrs(h: HostSpec): { dev: string; cidr: string }[] {
  return Object.entries(h.interfaces).flatMap(([dev, list]) => list.map((cidr) => ({ dev, cidr })));
}

/** Static manager: the interface whose subnet holds the VIP, else the one holding the host's address, else lo. */
export function vipDevice(h: HostSpec, vip: string): string {
  const all = hostCidrs(h);
  const subnet = all.find(({ cidr }) => {
    const c = parseCidr(cidr);
    return c !== undefined && cidrContains(c, vip);
  });
  if (subnet) return subnet.dev;
  const own = all.find(({ cidr }) => parseCidr(cidr)?.address === h.address);
  return own ? own.dev : 'lo';
}

export function hostPrefix(vip: string): string {
  return `${vip}/${ipFamily(vip) === 6 ? 128 : 32}`;
}

/** keepalived: the VIP with the prefix of this director's address on `dev` (seed 002: /28). */
export function floatingCidr(h: HostSpec, dev: string, vip: string): string {
  const fam = ipFamily(vip);
  const mine = (h.interfaces[dev] ?? []).map(parseCidr).filter((c) => c !== undefined && c.family === fam);
  // Outside every subnet of the device: a host route. Borrowing the device's prefix (/24) would
  // claim a subnet the director is not on and route its traffic out of the wrong place.
  const best = mine.find((c) => c !== undefined && cidrContains(c, vip));
  return best ? `${vip}/${best.prefix}` : hostPrefix(vip);
}

/** A director's address on `dev` (same family as `like`), else its SSH address. */
export function addressOn(h: HostSpec, dev: string, family: 4 | 6 = 4): string {
  const c = (h.interfaces[dev] ?? []).map(parseCidr).find((x) => x?.family === family);
  return c?.address ?? h.address;
}
