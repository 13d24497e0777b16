// The ldirectord manager (one director): lvs-deploy adds the VIPs, ldirectord programs the IPVS
// table from ldirectord.cf and health-checks the real servers, quiescing a failing one (weight 0).
//
// The ldirectord.cf render context for one director: globals, then one `virtual` section per
// service. The inventory's health checks are written in keepalived's words; here they become
// ldirectord's:
//   tcp        → checktype = connect (to each real server's own port)
//   http/https → checktype = negotiate, service = http/https, request = path
//                (ldirectord passes any 2xx answer: the rules refuse a non-2xx status_code)
//   misc       → checktype = external, checkcommand = misc_path (exit 0 = alive; ldirectord
//                adds VIP, port, real server and port as arguments)
//   none       → checktype = on: without it ldirectord would pick a check from the port number
//                (port 80 → an http check) and quiesce real servers nobody asked to check.
// Timers: connect_timeout → the virtual's checktimeout (also its negotiate timeout); retry N →
// failurecount N+1 (keepalived declares a server down after N retries of a failed check);
// delay_loop → the global checkinterval, the smallest of all services' (ldirectord honours a
// per-virtual checkinterval only in fork mode). ldirectord reads whole seconds only.

import type { PathKey } from '../inventory/locate.js';
import { ipFamily, realServerAddress } from '../inventory/net.js';
import type { HealthCheck, Inventory, VirtualService } from '../inventory/types.js';
import { managerLines } from '../model/service-options.js';
import { ipvsService } from '../roles/ipvs-table.js';
import type { LdirectordContext } from '../templates/contexts.js';
import type { InventoryRule, ManagerModule } from './types.js';

type Virtual = LdirectordContext['virtuals'][number];

const LDIRECTORD_LOG = '/var/log/ldirectord.log';

const FORWARD = { nat: 'masq', dr: 'gate', tun: 'ipip' } as const;

const hostPort = (addr: string, port: number) =>
  ipFamily(addr) === 6 ? `[${addr}]:${port}` : `${addr}:${port}`;

/** Whole seconds, at least 1: `round` says which way a fraction goes. */
const seconds = (s: number, round: (x: number) => number) => Math.max(1, round(s));

function check(
  c: HealthCheck | undefined,
): Pick<Virtual, 'checktype' | 'service' | 'request' | 'checkcommand' | 'checktimeout' | 'failurecount'> {
  if (!c) return { checktype: 'on' };
  const timers = { checktimeout: seconds(c.connect_timeout, Math.ceil), failurecount: c.retry + 1 };
  switch (c.type) {
    case 'tcp':
      return { checktype: 'connect', ...timers };
    case 'http':
    case 'https':
      return { checktype: 'negotiate', service: c.type, request: c.path, ...timers };
    case 'misc':
      return {
        checktype: 'external',
        ...(c.misc_path !== undefined ? { checkcommand: c.misc_path } : {}),
        ...timers,
      };
  }
}

function virtual(s: VirtualService): Virtual {
  const v6 = s.family === 6;
  return {
    name: s.name,
    directive: v6 ? 'virtual6' : 'virtual',
    address: s.fwmark !== undefined ? String(s.fwmark) : hostPort(s.vip, s.port ?? 0),
    protocol: s.fwmark !== undefined ? 'fwm' : s.protocol === 'udp' ? 'udp' : 'tcp',
    scheduler: s.scheduler,
    options: managerLines('ldirectord', ipvsService(s)),
    real_servers: s.real_servers.map((rs) => ({
      directive: v6 ? 'real6' : 'real',
      // A fwmark service's real servers without a port of their own are written without one.
      address: rs.port > 0 ? hostPort(rs.address, rs.port) : v6 ? `[${rs.address}]` : rs.address,
      forward: FORWARD[rs.forwarding],
      weight: rs.weight,
    })),
    ...check(s.check),
  };
}

function ldirectordContext(inv: Inventory): LdirectordContext {
  const checks = inv.services.flatMap((s) => (s.check ? [s.check] : []));
  // Without checks these are ldirectord's and the inventory's defaults (5 s timeout, 6 s loop).
  return {
    checktimeout: checks.length ? seconds(Math.max(...checks.map((c) => c.connect_timeout)), Math.ceil) : 5,
    checkinterval: checks.length ? seconds(Math.min(...checks.map((c) => c.delay_loop)), Math.floor) : 6,
    logfile: LDIRECTORD_LOG,
    virtuals: inv.services.map(virtual),
  };
}

const directorRules: InventoryRule = (inv, out) => {
  const d = inv.directors;
  if (d.hosts.length > 1) {
    out.push({
      path: ['directors', 'manager'],
      message: `manager: ldirectord would run on all ${d.hosts.length} directors and none of them moves the VIPs, so every one would answer for them; use manager: keepalived for a failover pair, or list one director`,
    });
  }
};

/** What Debian 12's ldirectord (4.12, /usr/sbin/ldirectord's read_config) cannot express or run. */
const serviceRules: InventoryRule = (inv, out) => {
  inv.services.forEach((s, i) => {
    const at = (...p: PathKey[]): PathKey[] => ['services', i, ...p];
    if (s.protocol === 'sctp') {
      out.push({
        path: at('protocol'),
        message: 'ldirectord manages tcp, udp and fwmark services only; use manager: keepalived for SCTP',
      });
    }
    s.real_servers.forEach((rs, ri) => {
      const addr = realServerAddress(inv.hosts, rs, s.vip);
      if (
        (rs.forwarding ?? s.forwarding) === 'tun' &&
        addr !== undefined &&
        ipFamily(addr) !== ipFamily(s.vip)
      ) {
        out.push({
          path: at('real_servers', ri),
          message: `ldirectord cannot mix IPv4 and IPv6 in one virtual service (real server ${addr}, VIP ${s.vip})`,
        });
      }
    });
    const c = s.check;
    if (!c) return;
    if (c.type === 'tcp' && s.fwmark !== undefined && s.real_servers.some((rs) => rs.port === undefined)) {
      out.push({
        path: at('check', 'type'),
        message:
          "ldirectord has no port to connect to for a fwmark service's real servers without one; give them a port, or use an http, https or misc check",
      });
    }
    if (
      (c.type === 'http' || c.type === 'https') &&
      c.status_code !== undefined &&
      (c.status_code < 200 || c.status_code > 299)
    ) {
      out.push({
        path: at('check', 'status_code'),
        message: `ldirectord's ${c.type} check passes on any 2xx answer and cannot expect ${c.status_code}`,
      });
    }
    if ((c.type === 'http' || c.type === 'https') && ipFamily(s.vip) === 6) {
      out.push({
        path: at('check', 'type'),
        message: `ldirectord's ${c.type} check of IPv6 real servers needs perl's Net::INET6Glue, which Debian's ldirectord does not install; use a tcp check`,
      });
    }
    if (c.type === 'misc' && c.misc_path !== undefined && /\s/.test(c.misc_path)) {
      out.push({
        path: at('check', 'misc_path'),
        message:
          'ldirectord runs the check command without a shell (adding VIP, port, real server and port as its arguments): give one path, no arguments',
      });
    }
  });
};

export const ldirectord: ManagerModule = {
  name: 'ldirectord',
  programsIpvs: 'daemon',
  vrrp: false,
  healthChecks: true,
  daemon: { name: 'ldirectord', look: `\`ldirectord status\`, ${LDIRECTORD_LOG}` },
  directorRules,
  serviceRules,
  templates: { 'ldirectord.cf.njk': (inv) => ldirectordContext(inv) },
};
