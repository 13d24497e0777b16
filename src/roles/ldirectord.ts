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
import { ipFamily, ipToBigInt } from '../inventory/net.js';
import type { HealthCheck, Inventory, VirtualService } from '../inventory/types.js';
import type { LdirectordContext } from '../templates/contexts.js';

type Virtual = LdirectordContext['virtuals'][number];

export const LDIRECTORD_LOG = '/var/log/ldirectord.log';

const FORWARD = { nat: 'masq', dr: 'gate', tun: 'ipip' } as const;

const hostPort = (addr: string, port: number) =>
  ipFamily(addr) === 6 ? `[${addr}]:${port}` : `${addr}:${port}`;

/** Whole seconds, at least 1: `round` says which way a fraction goes. */
const seconds = (s: number, round: (x: number) => number) => Math.max(1, round(s));

/** ldirectord wants an IPv6 persistence netmask as a prefix length. */
function netmask(mask: string): string {
  if (ipFamily(mask) !== 6) return mask;
  return String(ipToBigInt(mask).toString(2).replace(/0+$/, '').length);
}

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
    schedflags: [...s.flags].sort(),
    ops: s.ops,
    ...(s.persistence ? { persistent: s.persistence.timeout } : {}),
    ...(s.persistence?.netmask ? { netmask: netmask(s.persistence.netmask) } : {}),
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

export function ldirectordContext(inv: Inventory): LdirectordContext {
  const checks = inv.services.flatMap((s) => (s.check ? [s.check] : []));
  // Without checks these are ldirectord's and the inventory's defaults (5 s timeout, 6 s loop).
  return {
    checktimeout: checks.length ? seconds(Math.max(...checks.map((c) => c.connect_timeout)), Math.ceil) : 5,
    checkinterval: checks.length ? seconds(Math.min(...checks.map((c) => c.delay_loop)), Math.floor) : 6,
    logfile: LDIRECTORD_LOG,
    virtuals: inv.services.map(virtual),
  };
}
