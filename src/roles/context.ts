// The typed context role expressions are rendered against, computed once per host from the
// inventory. Topology decisions (which interface a VIP goes on, which gateway a NAT real server
// uses) are made here, in TypeScript, so roles stay declarative.
import { RenderError } from '../errors.js';
import { cidrContains, hostAddressOfFamily, ipFamily, parseCidr } from '../inventory/net.js';
import type { Inventory } from '../inventory/types.js';
import { managerOf } from '../managers/index.js';
import type { DesiredAddress, Forwarding, HostKind, OsFamily } from '../model/types.js';
import type { SiteContext } from '../templates/contexts.js';
import { floatingCidr, hostCidrs, hostPrefix, vipDevice } from './addresses.js';
import { hostGroups, hostVars, ipvsTimeouts } from './inventory-data.js';
import { ipvsTable } from './ipvs-table.js';

/** A VIP a real server answers on (the site template context's `dr_vips`/`tun_vips` item). */
export type VipItem = SiteContext['dr_vips'][number];

/**
 * What roles' `applies_to`/`when:` and templates see of a host: the type is the builder's
 * (`roleContext` below), so a new key is declared once, where its value is computed.
 */
export type RoleContext = ReturnType<typeof roleContext>;

function uniqBy<T>(list: T[], key: (t: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const t of list) if (!seen.has(key(t))) seen.set(key(t), t);
  return [...seen.values()];
}

function natGateway(inv: Inventory, rsAddress: string): string {
  const gw = inv.directors.nat_gateway;
  const gwCidr = gw ? parseCidr(gw.address) : undefined;
  if (gw && (gwCidr === undefined || gwCidr.family === ipFamily(rsAddress)))
    return gwCidr?.address ?? gw.address.replace(/\/\d+$/, '');
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

export function roleContext(inv: Inventory, hostName: string, os: OsFamily) {
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
  const m = managerOf(inv);
  const vrrp = isDirector && m.vrrp && d.vrrp !== undefined;
  const floating: DesiredAddress[] = [];
  if (vrrp && d.vrrp) {
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
  const natFamilies = new Set(mine.filter(({ rs }) => rs.forwarding === 'nat').map(({ s }) => s.family));
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
    /** Forwarding methods this host is a real server for. */
    forwardings,
    /** Directors: schedulers and persistence engines used by the services (sorted). */
    schedulers: [...new Set(ipvs.map((s) => s.scheduler))].sort(),
    persistence_engines: [...new Set(ipvs.flatMap((s) => (s.pe ? [s.pe] : [])))].sort(),
    has_v6_service: isDirector && inv.services.some((s) => s.family === 6),
    /** The IPVS table every director holds. */
    ipvs,
    sync_daemon:
      isDirector && d.sync_daemon ? { interface: d.sync_daemon.interface, id: d.sync_daemon.id } : false,
    /** Managers that do not float VIPs (ipvsadm, ldirectord): where each VIP is added on this director. */
    vip_addresses:
      isDirector && !m.vrrp ? vips.map((v) => ({ dev: vipDevice(h, v), cidr: hostPrefix(v) })) : [],
    /** VRRP managers (keepalived): the addresses VRRP floats (VIPs, NAT gateway). */
    floating_addresses: floating,
    dr_vips: drVips,
    has_dr_v4: drVips.some((v) => v.family === 4),
    tun_vips: tunVips,
    /** NAT real servers: the default gateway (floating gateway VIP or the director's DIP). */
    nat_gateway: natFamilies.has(4) ? natGateway(inv, hostAddressOfFamily(h, 4)) : false,
    /** NAT real servers of an IPv6 service: the IPv6 default route (`::/0`) through a director. */
    nat_gateway6: natFamilies.has(6) ? natGateway(inv, hostAddressOfFamily(h, 6)) : false,
    /** The keepalived.conf carries a VRRP password. */
    vrrp_auth: vrrp && d.vrrp?.auth_pass !== undefined,
    /** Director with directors.firewall: the nftables table lvs-deploy owns. */
    firewall: isDirector && d.firewall !== undefined,
    /** Director with directors.ipvs_timeouts: the `ipvsadm --set` values (0: leave). */
    ipvs_timeouts: ipvsTimeouts(inv, kinds),
    /** Inventory groups this host is in. */
    groups: hostGroups(inv, hostName),
    /** Inventory vars: its groups', then its own (site role templates read them). */
    vars: hostVars(inv, hostName),
  };
}
