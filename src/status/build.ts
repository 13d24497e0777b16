// Join the directors' reads with the inventory: VRRP instances, and per service and director
// every real server with its live counters, health and operator drain. Pure.
import type { Inventory, VirtualService } from '../inventory/types.js';
import { destKey } from '../model/ipvs.js';
import type { DesiredHost } from '../model/types.js';
import { ipvsService } from '../roles/ipvs-table.js';
import type { ManagerView } from './manager.js';
import type { DirectorRead } from './parse.js';
import type {
  DirectorStatus,
  InstanceStatus,
  RealServerStatus,
  ServiceOnDirector,
  ServiceStatus,
  VrrpState,
} from './types.js';

export interface DirectorResult {
  director: string;
  desired: DesiredHost;
  view: ManagerView;
  /** undefined: the director could not be read (see error). */
  read?: DirectorRead;
  error?: string;
  ms: number;
}

export function directorStatus(r: DirectorResult): DirectorStatus {
  return {
    director: r.director,
    reachable: r.read !== undefined,
    ...(r.error ? { error: r.error } : {}),
    ipvs: r.read?.ipvs ?? 'unreachable',
    daemon: r.read?.daemon ?? null,
    sync_daemons: r.read?.syncDaemons ?? null,
    round_trip_ms: r.ms,
  };
}

/**
 * MASTER = holds the instance's addresses; BACKUP = keepalived runs and holds none; FAULT = the
 * instance's interface is down; STOPPED = keepalived is not running (or the director unreadable).
 */
export function instanceStatus(r: DirectorResult): InstanceStatus[] {
  return r.view.instances.map((i) => {
    const read = r.read;
    const held = i.vips.filter((v) => read?.addresses.some((a) => a.address === v));
    const running = read?.daemon?.running ?? false;
    const state: VrrpState = !read
      ? 'STOPPED'
      : read.downLinks.includes(i.interface)
        ? 'FAULT'
        : held.length > 0
          ? 'MASTER'
          : running
            ? 'BACKUP'
            : 'STOPPED';
    const conf = read?.vrrpConfig.find((c) => c.instance === i.name);
    return {
      instance: i.name,
      director: r.director,
      state,
      priority: state === 'STOPPED' || state === 'FAULT' ? 0 : (conf?.priority ?? i.priority),
      tracked: conf?.tracked ?? false,
      held,
      vips: i.vips,
      since: null,
    };
  });
}

const nameOf = (rs: { host?: string; address: string }) => rs.host ?? rs.address;

function onDirector(s: VirtualService, r: DirectorResult): ServiceOnDirector {
  const read = r.read;
  const key = ipvsService(s).key;
  const live = read?.table.find((x) => x.key === key);
  const counters = read?.counters.get(key);
  const readable = read?.ipvs === 'ok';
  const row = (
    name: string,
    address: string,
    port: number,
    inventoryWeight: number | null,
  ): RealServerStatus => {
    const dk = destKey({ address, port });
    const dest = live?.dests.find((d) => destKey(d) === dk);
    const c = counters?.get(dk);
    const drain = read?.operator.drains.find(
      (d) => d.service === s.name && (d.real_server === name || d.real_server === address),
    );
    const weight = dest?.weight ?? c?.weight ?? null;
    const health = !readable
      ? 'unknown'
      : weight === null
        ? r.view.absentMeans
        : weight === 0 && (inventoryWeight ?? 0) > 0 && !drain
          ? r.view.zeroWeightMeans
          : 'up';
    return {
      real_server: name,
      address,
      port,
      inventory_weight: inventoryWeight,
      weight,
      active_conns: c?.active ?? null,
      inactive_conns: c?.inactive ?? null,
      conns_per_second: c?.cps ?? null,
      in_bytes_per_second: c?.inBps ?? null,
      out_bytes_per_second: c?.outBps ?? null,
      health,
      drained: drain ? { since: drain.since, by: drain.by } : null,
    };
  };
  const rows = s.real_servers.map((rs) => row(nameOf(rs), rs.address, rs.port, rs.weight));
  // Live entries the inventory does not have: shown, and the drift alarm names them.
  for (const d of live?.dests ?? []) {
    if (!s.real_servers.some((rs) => destKey(rs) === destKey(d)))
      rows.push(row(d.address, d.address, d.port, null));
  }
  return { director: r.director, present: live !== undefined, real_servers: rows };
}

export function serviceStatus(inv: Inventory, results: DirectorResult[]): ServiceStatus[] {
  return inv.services.map((s) => ({
    service: s.name,
    key: ipvsService(s).key,
    vip: s.vip,
    directors: results.filter((r) => r.read?.ipvs === 'ok').map((r) => onDirector(s, r)),
  }));
}
