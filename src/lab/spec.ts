// What a lab must build for an inventory: hosts with their interfaces, the L2 segments joining
// them, the responders each real server runs and the control namespace's legs. Pure: no I/O.
import { createHash } from 'node:crypto';
import { basename, extname } from 'node:path';
import { bigIntToIp, type Cidr, ipFamily, ipToBigInt, networkOf, parseCidr } from '../inventory/net.js';
import type { Inventory } from '../inventory/types.js';
import { HOST_RELEASE, type Release } from '../model/releases.js';
import { releaseRootOf } from './release/rootfs.js';

export interface Responder {
  protocol: 'tcp' | 'udp';
  port: number;
  family: 4 | 6;
  /** DR/TUN real servers also receive traffic addressed to the VIP: bind the wildcard address. */
  answersVip: boolean;
  /** Those VIPs: a UDP answer must leave from the VIP the request was sent to. */
  vips: string[];
}

export interface LabInterface {
  /** Name inside the host, as the inventory spells it (eth0, ens224…). */
  name: string;
  cidrs: string[];
  /** Segment this interface is plugged into. */
  segment: string;
  /** veth end left in the switch namespace (≤ 15 chars). */
  switchPort: string;
}

export interface LabHost {
  name: string;
  address: string;
  sshPort: number;
  namespace: string;
  interfaces: LabInterface[];
  realServer: boolean;
  responders: Responder[];
  /** Another Debian release's root filesystem (lab.release); absent: this machine's own root. */
  release?: Release;
  rootfs?: string;
}

export interface Segment {
  /** Stable short name (s0, s1…), the key of `uplinks` in the VM lab. */
  name: string;
  /** Networks (canonical CIDRs) on this L2 segment. */
  networks: string[];
  /** Bridge in the switch namespace. */
  bridge: string;
}

export interface ControlLeg {
  segment: string;
  /** Interface name inside the control namespace. */
  name: string;
  /** veth end left in the switch namespace. */
  switchPort: string;
  /** One free address per network of the segment, with the segment's prefix. */
  cidrs: string[];
}

export interface LabSpec {
  name: string;
  id: string;
  switchNs: string;
  controlNs: string;
  hosts: LabHost[];
  segments: Segment[];
  control: ControlLeg[];
}

export function labNameOf(inv: Pick<Inventory, 'name' | 'file'>): string {
  if (inv.name) return inv.name;
  const file = basename(inv.file);
  return file.slice(0, file.length - extname(file).length);
}

/** 5 hex chars: short enough for 15-char interface names, stable for a lab name. */
export function labIdOf(labName: string): string {
  return createHash('sha1').update(labName).digest('hex').slice(0, 5);
}

/** A host with no interfaces gets its address on eth0, with the usual subnet size. */
function interfacesOf(inv: Inventory, host: string): Record<string, string[]> {
  const h = inv.hosts[host];
  if (!h) return {};
  if (Object.keys(h.interfaces).length > 0) return h.interfaces;
  return { eth0: [`${h.address}/${ipFamily(h.address) === 6 ? 64 : 24}`] };
}

function mustParse(text: string): Cidr {
  const c = parseCidr(text);
  if (!c) throw new Error(`lab: malformed interface address ${text}`);
  return c;
}

/** Union-find over networks: an interface carrying two networks joins them into one segment. */
function groupNetworks(ifaceNetworks: string[][]): Map<string, string> {
  const parent = new Map<string, string>();
  const find = (n: string): string => {
    let root = n;
    while (parent.get(root) !== root) root = parent.get(root) ?? root;
    parent.set(n, root);
    return root;
  };
  for (const nets of ifaceNetworks) {
    for (const n of nets) if (!parent.has(n)) parent.set(n, n);
    for (const n of nets.slice(1)) parent.set(find(n), find(nets[0] as string));
  }
  const out = new Map<string, string>();
  for (const n of parent.keys()) out.set(n, find(n));
  return out;
}

function respondersFor(inv: Inventory, host: string): Responder[] {
  const byKey = new Map<string, Responder>();
  for (const svc of inv.services) {
    // fwmark services carry no protocol; their real servers are usually web servers.
    const protocol = svc.protocol ?? 'tcp';
    if (protocol === 'sctp') continue;
    for (const rs of svc.real_servers) {
      if (rs.host !== host || !rs.port) continue;
      const family = ipFamily(rs.address) === 6 ? 6 : 4;
      const key = `${protocol}/${rs.port}/${family}`;
      const prev = byKey.get(key);
      const answersVip = rs.forwarding !== 'nat' || (prev?.answersVip ?? false);
      const vips = [
        ...(prev?.vips ?? []),
        ...(rs.forwarding !== 'nat' && !prev?.vips.includes(svc.vip) ? [svc.vip] : []),
      ];
      byKey.set(key, { protocol, port: rs.port, family, answersVip, vips });
    }
  }
  return [...byKey.values()];
}

/** Addresses the control namespace must not take: hosts, VIPs, real servers, the NAT gateway. */
function usedAddresses(inv: Inventory, hostCidrs: Cidr[]): Set<string> {
  const used = new Set<string>(hostCidrs.map((c) => ipToBigInt(c.address).toString()));
  const add = (a: string | undefined) => {
    if (a && ipFamily(a)) used.add(ipToBigInt(a).toString());
  };
  for (const h of Object.values(inv.hosts)) add(h.address);
  for (const s of inv.services) {
    add(s.vip);
    for (const rs of s.real_servers) add(rs.address);
  }
  add(inv.directors.nat_gateway?.address.split('/')[0]);
  return used;
}

/** Highest usable address of the network not in `used`, scanning downward. */
export function freeAddress(network: Cidr, used: Set<string>): string | undefined {
  const bits = network.family === 4 ? 32 : 128;
  const size = 1n << BigInt(bits - network.prefix);
  const base =
    (ipToBigInt(network.address) >> BigInt(bits - network.prefix)) << BigInt(bits - network.prefix);
  // IPv4 skips the broadcast address; both skip the network (subnet-router anycast) address.
  const top = network.family === 4 && size > 2n ? base + size - 2n : base + size - 1n;
  const low = size > 2n ? base + 1n : base;
  for (let n = top, tries = 0; n >= low && tries < 65536; n--, tries++) {
    if (!used.has(n.toString())) return bigIntToIp(n, network.family);
  }
  return undefined;
}

export interface LabSpecOptions {
  /** `lab up --release`: the release of every host that does not name its own (lab.release). */
  release?: Release;
}

export function labSpecFromInventory(inv: Inventory, opts: LabSpecOptions = {}): LabSpec {
  const name = labNameOf(inv);
  const id = labIdOf(name);
  const hostNames = Object.keys(inv.hosts);
  const ifaces = hostNames.flatMap((h) =>
    Object.entries(interfacesOf(inv, h)).map(([ifname, cidrs]) => ({
      host: h,
      ifname,
      cidrs: cidrs.map(mustParse),
    })),
  );
  const root = groupNetworks(ifaces.map((i) => i.cidrs.map(networkOf)));
  const segmentOfRoot = new Map<string, Segment>();
  for (const [net, r] of root) {
    let seg = segmentOfRoot.get(r);
    if (!seg) {
      const n = segmentOfRoot.size;
      seg = { name: `s${n}`, networks: [], bridge: `lvsb${id}${n}` };
      segmentOfRoot.set(r, seg);
    }
    seg.networks.push(net);
  }
  let port = 0;
  const hosts: LabHost[] = hostNames.map((h) => {
    const spec = inv.hosts[h];
    const responders = respondersFor(inv, h);
    const interfaces = ifaces
      .filter((i) => i.host === h && i.cidrs.length > 0)
      .map((i) => ({
        name: i.ifname,
        cidrs: i.cidrs.map((c) => `${c.address}/${c.prefix}`),
        segment: segmentOfRoot.get(root.get(networkOf(i.cidrs[0] as Cidr)) as string)?.name as string,
        switchPort: `lvsv${id}${port++}`,
      }));
    const release = spec?.lab?.release ?? opts.release;
    return {
      ...(release && release !== HOST_RELEASE ? { release, rootfs: releaseRootOf(release) } : {}),
      name: h,
      address: spec?.address ?? '',
      sshPort: spec?.ssh.port ?? 22,
      namespace: `lvs-${id}-h-${h}`,
      interfaces,
      realServer: inv.services.some((s) => s.real_servers.some((rs) => rs.host === h)),
      responders,
    };
  });
  const used = usedAddresses(
    inv,
    ifaces.flatMap((i) => i.cidrs),
  );
  const segments = [...segmentOfRoot.values()];
  const control = segments.map((seg, n) => ({
    segment: seg.name,
    name: `lvsc${id}${n}`,
    switchPort: `lvsk${id}${n}`,
    cidrs: seg.networks.flatMap((net) => {
      const c = mustParse(net);
      const addr = freeAddress(c, used);
      if (addr) used.add(ipToBigInt(addr).toString());
      return addr ? [`${addr}/${c.prefix}`] : [];
    }),
  }));
  return { name, id, switchNs: `lvs-${id}-sw`, controlNs: `lvs-${id}-ctl`, hosts, segments, control };
}
