// The keepalived manager: a VRRP pair (or more) floats the VIPs; keepalived programs the IPVS
// table from keepalived.conf and health-checks the real servers. Below the module, the
// keepalived.conf render context for one director: VRRP instance(s), optional floating NAT
// gateway instance in a sync group, and one virtual_server per service.
import { RenderError } from '../errors.js';
import { ipFamily, parseHostPort } from '../inventory/net.js';
import type { HealthCheck, Inventory, RealServer, VirtualService } from '../inventory/types.js';
import { managerLines } from '../model/service-options.js';
import { addressOn, floatingCidr } from '../roles/addresses.js';
import { ipvsService } from '../roles/ipvs-table.js';
import type { KeepalivedCheck, KeepalivedContext } from '../templates/contexts.js';
import type { ManagerModule } from './types.js';

/** A dual-stack director's vrrp_instance for the IPv6 VIPs (VI_1 holds the IPv4 ones). */
const V6_INSTANCE = 'VI_6';

const METHOD = { nat: 'NAT', dr: 'DR', tun: 'TUN' } as const;
const PROTO = { tcp: 'TCP', udp: 'UDP', sctp: 'SCTP' } as const;

function checker(c: HealthCheck, rs: RealServer): KeepalivedCheck {
  return {
    type: c.type,
    ...(c.type === 'tcp' && rs.port > 0 ? { connect_port: rs.port } : {}),
    connect_timeout: c.connect_timeout,
    retry: c.retry,
    delay_before_retry: c.delay_before_retry,
    path: c.path,
    // keepalived takes a range: unset means what the README promises, any 2xx.
    status_code: c.status_code === undefined ? '200-299' : String(c.status_code),
    ...(c.misc_path !== undefined ? { misc_path: c.misc_path } : {}),
  };
}

/** keepalived's grammar is `smtp_server HOST [PORT]`; the inventory writes HOST:PORT. */
function smtpServer(text: string | undefined): { smtp_server?: string; smtp_port?: number } {
  if (text === undefined) return {};
  const r = parseHostPort(text);
  if ('error' in r) throw new RenderError(`directors.vrrp.smtp_server ${JSON.stringify(text)} is ${r.error}`);
  return { smtp_server: r.host, ...(r.port !== undefined ? { smtp_port: r.port } : {}) };
}

function virtualServer(s: VirtualService): KeepalivedContext['virtual_servers'][number] {
  return {
    selector: s.fwmark !== undefined ? `fwmark ${s.fwmark}` : `${s.vip} ${s.port ?? 0}`,
    delay_loop: s.check?.delay_loop ?? 6,
    lvs_sched: s.scheduler,
    lvs_method: METHOD[s.forwarding],
    ...(s.protocol && s.fwmark === undefined ? { protocol: PROTO[s.protocol] } : {}),
    options: managerLines('keepalived', ipvsService(s)),
    real_servers: s.real_servers.map((rs) => ({
      address: rs.address,
      port: rs.port,
      weight: rs.weight,
      ...(rs.forwarding !== s.forwarding ? { lvs_method: METHOD[rs.forwarding] } : {}),
      ...(s.check ? { check: checker(s.check, rs) } : {}),
    })),
  };
}

function withoutAuth<T extends { auth_pass?: unknown }>(c: T): Omit<T, 'auth_pass'> {
  const { auth_pass: _dropped, ...rest } = c;
  return rest;
}

export function keepalivedContext(inv: Inventory, hostName: string): KeepalivedContext {
  const d = inv.directors;
  const v = d.vrrp;
  const h = inv.hosts[hostName];
  if (!v || !h) throw new RenderError(`keepalived.conf for ${hostName}: directors.vrrp is not set`);
  const priority = v.priority[hostName];
  if (priority === undefined)
    throw new RenderError(
      `keepalived.conf for ${hostName}: directors.vrrp.priority has no entry for ${hostName}`,
    );
  const top = Math.max(...d.hosts.map((n) => v.priority[n] ?? 0));
  const state = priority === top ? 'MASTER' : 'BACKUP';
  const peers = d.hosts.filter((n) => n !== hostName);
  const vips = [...new Set(inv.services.map((s) => s.vip))];
  const unicast = (dev: string, family: 4 | 6) =>
    v.unicast
      ? {
          unicast_src_ip: addressOn(h, dev, family),
          unicast_peers: peers.map((n) => {
            const p = inv.hosts[n];
            return p ? addressOn(p, dev, family) : n;
          }),
        }
      : { unicast_peers: [] };
  const common = {
    state,
    priority,
    advert_int: v.advert_int,
    smtp_alert: v.smtp_alert ?? false,
    ...(v.auth_pass ? { auth_pass: v.auth_pass } : {}),
    ...(v.notify_master ? { notify_master: v.notify_master } : {}),
    ...(v.notify_backup ? { notify_backup: v.notify_backup } : {}),
    ...(v.notify_fault ? { notify_fault: v.notify_fault } : {}),
  } as const;
  const fam = (addr: string): 4 | 6 => (ipFamily(addr) === 6 ? 6 : 4);
  // keepalived holds one address family per vrrp_instance. One family: VI_1 as ever. Dual stack:
  // the IPv4 VIPs in VI_1, the IPv6 ones in VI_6, with the same router id, priority and state
  // (VRRP for IPv4 and IPv6 are separate protocols, so the id may repeat).
  // IPv6 VRRP is version 3, which has no authentication (keepalived -t fails on auth_pass there).
  const instance = (name: string, family: 4 | 6, list: string[]) => ({
    name,
    interface: v.interface,
    virtual_router_id: v.virtual_router_id,
    ...(family === 6 ? withoutAuth(common) : common),
    ...unicast(v.interface, family),
    virtual_ipaddresses: list.map((vip) => ({ cidr: floatingCidr(h, v.interface, vip), dev: v.interface })),
  });
  const v4 = vips.filter((vip) => fam(vip) === 4);
  const v6 = vips.filter((vip) => fam(vip) === 6);
  const instances: KeepalivedContext['instances'] =
    v4.length > 0 && v6.length > 0
      ? [instance('VI_1', 4, v4), instance(V6_INSTANCE, 6, v6)]
      : [instance('VI_1', fam(vips[0] ?? h.address), vips)];
  const gw = d.nat_gateway;
  if (gw) {
    instances.push({
      name: 'VI_2',
      interface: gw.interface,
      virtual_router_id: v.virtual_router_id === 255 ? 254 : v.virtual_router_id + 1,
      ...common,
      ...unicast(gw.interface, fam(gw.address.replace(/\/\d+$/, ''))),
      virtual_ipaddresses: [{ cidr: gw.address, dev: gw.interface }],
    });
  }
  const scripts =
    v.notify_master !== undefined ||
    v.notify_backup !== undefined ||
    v.notify_fault !== undefined ||
    inv.services.some((s) => s.check?.type === 'misc');
  return {
    router_id: hostName,
    script_security: scripts,
    notification_email: v.notification_email ?? [],
    ...(v.notification_email_from ? { notification_email_from: v.notification_email_from } : {}),
    ...smtpServer(v.smtp_server),
    ...(v.smtp_connect_timeout !== undefined ? { smtp_connect_timeout: v.smtp_connect_timeout } : {}),
    // No VRRP instance named: keepalived (≥ 2.1) then runs the kernel's master AND backup sync
    // daemons on every director all the time, so connections are synced both ways (fail-back
    // keeps them too) and a reload cannot leave a director with the wrong one (keepalived #1819).
    ...(d.sync_daemon ? { sync_daemon: { interface: d.sync_daemon.interface, id: d.sync_daemon.id } } : {}),
    ...(gw ? { sync_group: { name: 'VG_1', members: instances.map((i) => i.name) } } : {}),
    instances,
    virtual_servers: inv.services.map(virtualServer),
  };
}

export const keepalived: ManagerModule = {
  name: 'keepalived',
  programsIpvs: 'daemon',
  vrrp: true,
  healthChecks: true,
  daemon: { name: 'keepalived', look: 'keepalived -t -f /etc/keepalived/keepalived.conf' },
  templates: { 'keepalived.conf.njk': keepalivedContext },
  // keepalived's checker exits without IPVS and takes the daemon down: run VRRP only.
  withoutIpvs: (d) => ({ ...d, command: [...d.command, '--vrrp'] }),
};
