// Rules that span fields (docs/inventory.md, the rules the schema enforces). Each returns
// problems with a path into the YAML so the loader can point at FILE:LINE:COL.
import { MANAGERS, manager } from '../managers/index.js';
import type { InventoryProblem } from '../managers/types.js';
import { ipv6VipOnNic } from '../model/neighbour.js';
import { SERVICE_OPTIONS } from '../model/service-options.js';
import type { PathKey } from './locate.js';
import { cidrContains, ipFamily, ipToBigInt, parseCidr, realServerAddress } from './net.js';
import { drVipOnDirectorSubnet, ipv6NatOneDirector, unicastPeersPerFamily } from './rules-vip.js';
import type { RawInventory, RawService } from './schema.js';
import { groupRules, tunableRules } from './site-rules.js';

export type RuleProblem = InventoryProblem;

type Check = (inv: RawInventory, out: RuleProblem[]) => void;

// Own keys only: a name like "constructor" or "toString" must not find Object.prototype's.
const has = (obj: object | undefined, key: string): boolean => obj !== undefined && Object.hasOwn(obj, key);

/** One spelling per address, so 2001:db8::1 and 2001:DB8:0::1 compare equal. */
function canonicalIp(addr: string): string {
  const family = ipFamily(addr);
  return family === 0 ? addr : `${family}/${ipToBigInt(addr).toString(16)}`;
}

/** Every address a host owns: its SSH address and every interface address. */
function hostAddresses(inv: RawInventory, name: string): string[] {
  const host = has(inv.hosts, name) ? inv.hosts[name] : undefined;
  if (!host) return [];
  const fromIfaces = Object.values(host.interfaces ?? {}).flatMap((cs) =>
    cs.map((c) => c.split('/')[0] ?? ''),
  );
  return [host.address, ...fromIfaces];
}

const hostRefs: Check = (inv, out) => {
  const known = (n: string) => has(inv.hosts, n);
  inv.directors.hosts.forEach((h, i) => {
    if (inv.directors.hosts.indexOf(h) !== i)
      out.push({ path: ['directors', 'hosts', i], message: `"${h}" is listed twice` });
    else if (!known(h))
      out.push({ path: ['directors', 'hosts', i], message: `unknown host "${h}" (not in hosts)` });
  });
  for (const h of Object.keys(inv.directors.vrrp?.priority ?? {})) {
    if (!inv.directors.hosts.includes(h)) {
      out.push({
        path: ['directors', 'vrrp', 'priority', h],
        message: `"${h}" is not one of directors.hosts`,
        at: 'key',
      });
    }
  }
  inv.services.forEach((s, si) => {
    s.real_servers.forEach((rs, ri) => {
      const path = ['services', si, 'real_servers', ri];
      if (rs.host !== undefined && !known(rs.host)) {
        out.push({ path: [...path, 'host'], message: `unknown host "${rs.host}" (not in hosts)` });
      }
      if (rs.host === undefined && rs.address === undefined) {
        out.push({ path, message: 'a real server needs host (an inventory host) or address' });
      }
    });
  });
  const from = inv.verify?.from;
  if (from !== undefined && from !== 'control' && !known(from)) {
    out.push({
      path: ['verify', 'from'],
      message: `unknown host "${from}" (expected a host name or "control")`,
    });
  }
  const jumps: [PathKey[], string | undefined][] = [
    [['ssh', 'jump'], inv.ssh.jump],
    ...Object.entries(inv.hosts).map(([n, h]): [PathKey[], string | undefined] => [
      ['hosts', n, 'ssh', 'jump'],
      h.ssh?.jump,
    ]),
  ];
  for (const [path, jump] of jumps) {
    if (jump && !/[@:]/.test(jump) && ipFamily(jump) === 0 && !known(jump)) {
      out.push({ path, message: `unknown jump host "${jump}" (expected a host name or user@address:port)` });
    }
  }
};

const serviceShape: Check = (inv, out) => {
  const names = new Set<string>();
  inv.services.forEach((s, i) => {
    if (names.has(s.name))
      out.push({ path: ['services', i, 'name'], message: `duplicate service name "${s.name}"` });
    names.add(s.name);
    if (s.fwmark !== undefined && (s.port !== undefined || s.protocol !== undefined)) {
      out.push({
        path: ['services', i, 'fwmark'],
        message: 'a fwmark service has no port or protocol (remove them)',
      });
    }
    if (s.fwmark === undefined && s.port === undefined) {
      out.push({ path: ['services', i], message: 'a service needs port (or fwmark)' });
    }
    const mgr = inv.directors.manager;
    for (const o of SERVICE_OPTIONS) {
      for (const p of o.rules?.(s) ?? []) out.push({ path: ['services', i, ...p.path], message: p.message });
      const refused = o.managers[mgr]?.refuse?.(s);
      if (refused) out.push({ path: ['services', i, ...o.key.split('.')], message: refused });
    }
    if (s.check?.type === 'misc' && !s.check.misc_path) {
      out.push({ path: ['services', i, 'check'], message: 'a misc check needs misc_path' });
    }
    if (s.check && !manager(inv.directors.manager).healthChecks) {
      const checking = MANAGERS.filter((m) => m.healthChecks).map((m) => m.name);
      out.push({
        path: ['services', i, 'check'],
        message: `health checks need directors.manager: ${checking.join(' or ')} (${inv.directors.manager} rules are static)`,
      });
    }
  });
};

function serviceKey(s: RawService): string {
  return s.fwmark !== undefined ? `fwmark ${s.fwmark}` : `${s.vip} ${s.protocol ?? 'tcp'}/${s.port}`;
}

function serviceIdentity(s: RawService): string {
  // IPVS keys a fwmark service by mark and family; others by address, protocol and port.
  return s.fwmark !== undefined
    ? `fwmark ${s.fwmark} v${ipFamily(s.vip)}`
    : `${canonicalIp(s.vip)} ${s.protocol ?? 'tcp'}/${s.port}`;
}

const uniqueServices: Check = (inv, out) => {
  const seen = new Map<string, number>();
  inv.services.forEach((s, i) => {
    const key = serviceIdentity(s);
    const first = seen.get(key);
    if (first !== undefined) {
      out.push({
        path: ['services', i],
        message: `${serviceKey(s)} is already used by services[${first}] (${inv.services[first]?.name})`,
      });
    } else seen.set(key, i);
  });
};

/** Two hosts with one address: SSH would reach one of them twice, IPVS would send to one of them. */
const uniqueAddresses: Check = (inv, out) => {
  const owner = new Map<string, string>();
  for (const [name, host] of Object.entries(inv.hosts)) {
    const own: [PathKey[], string][] = [
      [['hosts', name, 'address'], host.address],
      ...Object.entries(host.interfaces ?? {}).flatMap(([ifname, cidrs]) =>
        cidrs.map((c, ci): [PathKey[], string] => [
          ['hosts', name, 'interfaces', ifname, ci],
          c.split('/')[0] ?? '',
        ]),
      ),
    ];
    const mine = new Set<string>();
    for (const [path, addr] of own) {
      const key = canonicalIp(addr);
      const prev = owner.get(key);
      if (prev !== undefined && prev !== name && !mine.has(key)) {
        out.push({
          path,
          message: `address ${addr} is also host "${prev}"'s (each host needs its own addresses)`,
        });
      }
      mine.add(key);
      if (prev === undefined) owner.set(key, name);
    }
  }
};

/** The interface of `host` that lists `vip` (undefined: it is only the host's SSH address). */
function vipInterface(inv: RawInventory, host: string, vip: string): string | undefined {
  const ifaces = has(inv.hosts, host) ? (inv.hosts[host]?.interfaces ?? {}) : {};
  return Object.entries(ifaces).find(([, cs]) =>
    cs.some((c) => canonicalIp(c.split('/')[0] ?? '') === canonicalIp(vip)),
  )?.[0];
}

const vipsNotOwned: Check = (inv, out) => {
  const owner = new Map<string, string>();
  for (const name of Object.keys(inv.hosts)) {
    for (const a of hostAddresses(inv, name)) if (!owner.has(canonicalIp(a))) owner.set(canonicalIp(a), name);
  }
  inv.services.forEach((s, i) => {
    const who = owner.get(canonicalIp(s.vip));
    const drServer = s.real_servers.some((rs) => rs.host === who && (rs.forwarding ?? s.forwarding) === 'dr');
    const nic =
      who !== undefined && drServer && ipFamily(s.vip) === 6 ? vipInterface(inv, who, s.vip) : undefined;
    if (who !== undefined && nic !== undefined) {
      out.push({ path: ['services', i, 'vip'], message: ipv6VipOnNic(who, s.vip, nic) });
    } else if (who !== undefined) {
      out.push({
        path: ['services', i, 'vip'],
        message: `VIP ${s.vip} is host "${who}"'s own address (a VIP must be free)`,
      });
    }
  });
};

const realServers: Check = (inv, out) => {
  const dirs = new Set(inv.directors.hosts);
  const directorOf = new Map<string, string>();
  for (const d of inv.directors.hosts)
    for (const a of hostAddresses(inv, d)) directorOf.set(canonicalIp(a), d);
  inv.services.forEach((s, si) => {
    const seen = new Map<string, number>();
    s.real_servers.forEach((rs, ri) => {
      const path: PathKey[] = ['services', si, 'real_servers', ri];
      const mode = rs.forwarding ?? s.forwarding;
      if (rs.host !== undefined && dirs.has(rs.host)) {
        out.push({
          path: [...path, 'host'],
          message: `"${rs.host}" is a director; it cannot also be a real server of this service`,
        });
      }
      if (rs.host !== undefined && rs.address !== undefined && has(inv.hosts, rs.host)) {
        const own = hostAddresses(inv, rs.host).map(canonicalIp);
        if (!own.includes(canonicalIp(rs.address))) {
          out.push({
            path: [...path, 'address'],
            message: `${rs.address} is not one of host "${rs.host}"'s addresses (${hostAddresses(inv, rs.host).join(', ')}); drop address or fix it`,
          });
        }
      }
      if (
        (mode === 'dr' || mode === 'tun') &&
        rs.port !== undefined &&
        s.port !== undefined &&
        rs.port !== s.port
      ) {
        out.push({
          path: [...path, 'port'],
          message: `${mode.toUpperCase()} real servers listen on the service port (${s.port}); IPVS cannot remap ports in ${mode.toUpperCase()} mode`,
        });
      }
      if ((mode === 'dr' || mode === 'tun') && s.fwmark !== undefined && rs.port !== undefined) {
        out.push({
          path: [...path, 'port'],
          message: 'DR/TUN real servers of a fwmark service take no port',
        });
      }
      const addr = realServerAddress(inv.hosts, rs, s.vip);
      if (addr === undefined) return;
      const director = directorOf.get(canonicalIp(addr));
      if (rs.host === undefined && director !== undefined) {
        out.push({
          path: [...path, 'address'],
          message: `${addr} is director "${director}"'s address; a director cannot also be a real server of this service`,
        });
      }
      const key = `${canonicalIp(addr)} ${rs.port ?? s.port ?? ''}`;
      const first = seen.get(key);
      if (first !== undefined) {
        out.push({
          path,
          message: `real server ${addr}${s.port !== undefined ? `:${rs.port ?? s.port}` : ''} is already real_servers[${first}] of this service`,
        });
      } else seen.set(key, ri);
      if (mode !== 'tun' && ipFamily(addr) !== ipFamily(s.vip)) {
        out.push({
          path,
          message: `real server ${addr} and VIP ${s.vip} are of different IP families (only TUN may mix)`,
        });
      }
      if (mode === 'nat' && !natRouteBack(inv, addr)) {
        out.push({
          path,
          message: `NAT real server ${addr} has no route back through a director (add directors.nat_gateway, or give a director an interface on ${addr}'s subnet)`,
        });
      }
    });
  });
};

function natRouteBack(inv: RawInventory, addr: string): boolean {
  const gw = inv.directors.nat_gateway && parseCidr(inv.directors.nat_gateway.address);
  if (gw) return cidrContains(gw, addr);
  return inv.directors.hosts.some((d) =>
    Object.values((has(inv.hosts, d) ? inv.hosts[d]?.interfaces : undefined) ?? {}).some((cs) =>
      cs.some((c) => {
        const parsed = parseCidr(c);
        return parsed !== undefined && cidrContains(parsed, addr);
      }),
    ),
  );
}

const vrrpRules: Check = (inv, out) => {
  const d = inv.directors;
  const m = manager(d.manager);
  if (m.vrrp && !d.vrrp) {
    out.push({ path: ['directors'], message: `manager: ${m.name} needs a vrrp section` });
  }
  if (!m.vrrp && d.vrrp) {
    const vrrp = MANAGERS.filter((x) => x.vrrp).map((x) => x.name);
    out.push({
      path: ['directors', 'vrrp'],
      message: `vrrp is only used with manager: ${vrrp.join(' or ')}`,
    });
  }
  m.directorRules?.(inv, out);
  if (!d.vrrp) return;
  const byPrio = new Map<number, string>();
  for (const [h, p] of Object.entries(d.vrrp.priority)) {
    const other = byPrio.get(p);
    if (other !== undefined) {
      out.push({
        path: ['directors', 'vrrp', 'priority', h],
        message: `priority ${p} is also ${other}'s; priorities must be distinct`,
      });
    }
    byPrio.set(p, h);
  }
  for (const h of d.hosts) {
    if (!has(d.vrrp.priority, h))
      out.push({ path: ['directors', 'vrrp', 'priority'], message: `no priority for director "${h}"` });
  }
};

const directorInterfaces: Check = (inv, out) => {
  const d = inv.directors;
  const wanted: [PathKey[], string | undefined][] = [
    [['directors', 'vrrp', 'interface'], d.vrrp?.interface],
    [['directors', 'sync_daemon', 'interface'], d.sync_daemon?.interface],
    [['directors', 'nat_gateway', 'interface'], d.nat_gateway?.interface],
    [['directors', 'firewall', 'masquerade', 'interface'], d.firewall?.masquerade?.interface],
  ];
  for (const [path, iface] of wanted) {
    if (!iface) continue;
    for (const h of d.hosts) {
      const ifaces = has(inv.hosts, h) ? inv.hosts[h]?.interfaces : undefined;
      if (ifaces && !has(ifaces, iface)) {
        out.push({
          path,
          message: `director "${h}" has no interface ${iface} (it has ${Object.keys(ifaces).join(', ')})`,
        });
      }
    }
  }
  const gw = d.nat_gateway;
  if (gw) {
    const addr = gw.address.split('/')[0] ?? '';
    const owners = d.hosts.filter((h) => hostAddresses(inv, h).includes(addr));
    const floats = manager(d.manager).vrrp;
    if (floats && owners.length > 0) {
      out.push({
        path: ['directors', 'nat_gateway', 'address'],
        message: `${addr} floats between directors under ${d.manager}; it must not be ${owners[0]}'s own address`,
      });
    }
    if (!floats && owners.length === 0) {
      const vrrp = MANAGERS.filter((x) => x.vrrp).map((x) => x.name);
      out.push({
        path: ['directors', 'nat_gateway', 'address'],
        message: `without ${vrrp.join(' or ')} the NAT gateway is the director's own DIP; ${addr} is no director's address`,
      });
    }
  }
};

const firewallRules: Check = (inv, out) => {
  const fw = inv.directors.firewall;
  if (!fw) return;
  if (fw.policy === 'drop' && fw.admin_networks.length === 0) {
    out.push({
      path: ['directors', 'firewall', 'admin_networks'],
      message:
        "policy: drop with no admin_networks would refuse every SSH connection to the directors, lvs-deploy's own included; list the networks you administer from",
    });
  }
  const m = fw.masquerade;
  const natServers = inv.services.flatMap((s) =>
    s.real_servers.filter((rs) => (rs.forwarding ?? s.forwarding) === 'nat'),
  );
  if (m && !m.sources && natServers.length === 0) {
    out.push({
      path: ['directors', 'firewall', 'masquerade'],
      message:
        'no NAT real server routes through the directors, so there is nothing to masquerade by default; list the source networks (sources: [10.0.0.0/24])',
    });
  }
};

const probes: Check = (inv, out) => {
  inv.verify?.probes.forEach((p, i) => {
    const s = inv.services.find((x) => x.name === p.service);
    if (!s) {
      out.push({ path: ['verify', 'probes', i, 'service'], message: `unknown service "${p.service}"` });
      return;
    }
    const proto = s.protocol ?? 'tcp';
    if ((p.url !== undefined || p.tcp) && proto !== 'tcp') {
      out.push({ path: ['verify', 'probes', i], message: `service ${s.name} is ${proto}; use udp: true` });
    }
    if (p.sip && s.fwmark === undefined && proto !== 'udp' && proto !== 'tcp')
      out.push({
        path: ['verify', 'probes', i, 'sip'],
        message: `service ${s.name} is ${proto}; SIP runs over UDP or TCP`,
      });
    if ((p.udp || (p.tcp && !p.sip)) && s.persistence?.engine === 'sip')
      out.push({
        path: ['verify', 'probes', i, p.udp ? 'udp' : 'tcp'],
        message: `service ${s.name} uses the SIP persistence engine: the kernel drops a datagram without a SIP Call-ID; use sip: true`,
      });
    if (p.udp && proto !== 'udp')
      out.push({ path: ['verify', 'probes', i, 'udp'], message: `service ${s.name} is not UDP` });
  });
};

const CHECKS: Check[] = [
  hostRefs,
  serviceShape,
  uniqueServices,
  uniqueAddresses,
  vipsNotOwned,
  realServers,
  vrrpRules,
  directorInterfaces,
  firewallRules,
  (inv, out) => manager(inv.directors.manager).serviceRules?.(inv, out),
  probes,
  drVipOnDirectorSubnet,
  ipv6NatOneDirector,
  unicastPeersPerFamily,
  tunableRules,
  groupRules,
];

/** Accepted but probably not meant: each service option's warnings (validate prints them, exit 0). */
export function checkWarnings(inv: RawInventory): RuleProblem[] {
  return inv.services.flatMap((s, i) =>
    SERVICE_OPTIONS.flatMap((o) =>
      (o.warnings?.(s) ?? []).map((w) => ({ path: ['services', i, ...w.path], message: w.message })),
    ),
  );
}

export function checkRules(inv: RawInventory): RuleProblem[] {
  const out: RuleProblem[] = [];
  for (const check of CHECKS) check(inv, out);
  return out;
}
