// The typed context role expressions are rendered against, computed once per host from the
// inventory. Topology decisions (which interface a VIP goes on, which gateway a NAT real server
// uses) are made here, in TypeScript, so roles stay declarative.
import { RenderError } from '../errors.js';
import { cidrContains, ipFamily, parseCidr } from '../inventory/net.js';
import type { Directors, HostSpec, Inventory } from '../inventory/types.js';
import type { DesiredAddress, Forwarding, HostKind, IpvsService, OsFamily } from '../model/types.js';
import { ipvsTable } from './ipvs-table.js';

export interface VipItem {
  address: string;
  /** VIP/32 or VIP/128 */
  cidr: string;
  family: 4 | 6;
}

export interface RoleContext {
  host: { name: string; address: string };
  os: OsFamily;
  inventory: string;
  manager: Directors['manager'];
  kinds: HostKind[];
  /** Forwarding methods this host is a real server for. */
  forwardings: Forwarding[];
  /** Directors: schedulers and persistence engines used by the services (sorted). */
  schedulers: string[];
  persistence_engines: string[];
  has_v6_service: boolean;
  /** The IPVS table every director holds. */
  ipvs: IpvsService[];
  sync_daemon: { interface: string; id: number } | false;
  /** Static manager and ldirectord (neither moves VIPs): where each VIP is added on this director. */
  vip_addresses: DesiredAddress[];
  /** keepalived: the addresses VRRP floats (VIPs, NAT gateway). */
  floating_addresses: DesiredAddress[];
  dr_vips: VipItem[];
  has_dr_v4: boolean;
  tun_vips: VipItem[];
  /** NAT real servers: the default gateway (floating gateway VIP or the director's DIP). */
  nat_gateway: string | false;
  /** The keepalived.conf carries a VRRP password. */
  vrrp_auth: boolean;
  /** Director with directors.firewall: the nftables table lvs-deploy owns. */
  firewall: boolean;
  [key: string]: unknown;
}

function uniqBy<T>(list: T[], key: (t: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const t of list) if (!seen.has(key(t))) seen.set(key(t), t);
  return [...seen.values()];
}

function hostCidrs(h: HostSpec): { dev: string; cidr: string }[] {
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

function hostPrefix(vip: string): string {
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

function natGateway(inv: Inventory, rsAddress: string): string {
  const gw = inv.directors.nat_gateway;
  if (gw) return parseCidr(gw.address)?.address ?? gw.address.replace(/\/\d+$/, '');
  for (const d of inv.directors.hosts) {
    const h = inv.hosts[d];
    if (!h) continue;
    for (const { cidr } of hostCidrs(h)) {
      const c = parseCidr(cidr);
      if (c && cidrContains(c, rsAddress)) return c.address;
    }
  }
  throw new RenderError(
    `NAT real server ${rsAddress}: no director has an address on its subnet and directors.nat_gateway is not set`,
  );
}

function vipItem(vip: string): VipItem {
  return { address: vip, cidr: hostPrefix(vip), family: ipFamily(vip) === 6 ? 6 : 4 };
}

export function roleContext(inv: Inventory, hostName: string, os: OsFamily): RoleContext {
  const h = inv.hosts[hostName];
  if (!h) throw new RenderError(`no host "${hostName}" in ${inv.file}`);
  const isDirector = inv.directors.hosts.includes(hostName);
  const mine = inv.services.flatMap((s) =>
    s.real_servers.filter((rs) => rs.host === hostName).map((rs) => ({ s, rs })),
  );
  const forwardings = [...new Set(mine.map(({ rs }) => rs.forwarding))].sort();
  const kinds: HostKind[] = [];
  if (isDirector) kinds.push('director');
  if (mine.length > 0) kinds.push('realserver');
  if (kinds.length === 0) kinds.push('client');

  const ipvs = isDirector ? ipvsTable(inv.services) : [];
  const vips = uniqBy(
    inv.services.map((s) => s.vip),
    (v) => v,
  );
  const d = inv.directors;
  const keepalived = isDirector && d.manager === 'keepalived' && d.vrrp !== undefined;
  const floating: DesiredAddress[] = [];
  if (keepalived && d.vrrp) {
    const dev = d.vrrp.interface;
    for (const vip of vips) floating.push({ dev, cidr: floatingCidr(h, dev, vip) });
    if (d.nat_gateway) floating.push({ dev: d.nat_gateway.interface, cidr: d.nat_gateway.address });
  }
  const byForwarding = (f: Forwarding): VipItem[] =>
    uniqBy(
      mine.filter(({ rs }) => rs.forwarding === f).map(({ s }) => vipItem(s.vip)),
      (v) => v.cidr,
    ).sort((a, b) => a.cidr.localeCompare(b.cidr));
  const drVips = byForwarding('dr');
  const tunVips = byForwarding('tun');
  const v6Tun = tunVips.find((v) => v.family === 6);
  if (v6Tun)
    throw new RenderError(`${hostName}: IPv6 TUN real servers (VIP ${v6Tun.address}) are not supported yet`);

  return {
    host: { name: hostName, address: h.address },
    os,
    inventory: inv.name,
    manager: d.manager,
    kinds,
    forwardings,
    schedulers: [...new Set(ipvs.map((s) => s.scheduler))].sort(),
    persistence_engines: [...new Set(ipvs.flatMap((s) => (s.pe ? [s.pe] : [])))].sort(),
    has_v6_service: isDirector && inv.services.some((s) => s.family === 6),
    ipvs,
    sync_daemon:
      isDirector && d.sync_daemon ? { interface: d.sync_daemon.interface, id: d.sync_daemon.id } : false,
    vip_addresses:
      isDirector && (d.manager === 'ipvsadm' || d.manager === 'ldirectord')
        ? vips.map((v) => ({ dev: vipDevice(h, v), cidr: hostPrefix(v) }))
        : [],
    floating_addresses: floating,
    dr_vips: drVips,
    has_dr_v4: drVips.some((v) => v.family === 4),
    tun_vips: tunVips,
    nat_gateway: forwardings.includes('nat') ? natGateway(inv, h.address) : false,
    vrrp_auth: keepalived && d.vrrp?.auth_pass !== undefined,
    firewall: isDirector && d.firewall !== undefined,
  };
}
