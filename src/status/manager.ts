// Everything `status` knows about a director's manager (keepalived, ldirectord, ipvsadm) lives
// here, so it can move into the manager modules (src/managers/) as one piece:
// - which daemon programs the table (and whether it runs),
// - the VRRP instances the director takes part in (keepalived only),
// - what a real server missing from the live table, or at weight 0, means.
import type { Inventory } from '../inventory/types.js';
import { keepalivedContext } from '../managers/keepalived.js';
import type { DesiredDaemon, DesiredHost } from '../model/types.js';
import type { Health } from './types.js';

export interface VrrpInstanceSpec {
  name: string;
  interface: string;
  /** Priority the inventory gives this director. */
  priority: number;
  /** Addresses without prefix. */
  vips: string[];
}

export interface ManagerView {
  daemon: DesiredDaemon | null;
  /** keepalived.conf to read the live priority from. */
  vrrpConfig: string | null;
  instances: VrrpInstanceSpec[];
  /** An inventory real server absent from the live table. */
  absentMeans: Health;
  /** A live weight of 0 where the inventory says more, with no operator drain. */
  zeroWeightMeans: Health;
}

export function managerView(inv: Inventory, desired: DesiredHost): ManagerView {
  const daemon = desired.daemons.find((d) => d.name === 'keepalived' || d.name === 'ldirectord') ?? null;
  const keepalived = inv.directors.manager === 'keepalived' && inv.directors.vrrp !== undefined;
  const instances = keepalived
    ? keepalivedContext(inv, desired.host).instances.map((i) => ({
        name: i.name,
        interface: i.interface,
        priority: i.priority,
        vips: i.virtual_ipaddresses.map((a) => a.cidr.replace(/\/\d+$/, '')),
      }))
    : [];
  // A daemon's checker takes a failing real server out by itself (keepalived deletes it,
  // ldirectord quiesces it to weight 0); under the static manager either is drift.
  const daemonOwned = !desired.ipvsStatic;
  return {
    daemon,
    vrrpConfig: keepalived
      ? (desired.files.find((f) => f.path.endsWith('/keepalived.conf'))?.path ?? null)
      : null,
    instances,
    absentMeans: daemonOwned ? 'removed' : 'missing',
    zeroWeightMeans: daemonOwned ? 'quiesced' : 'up',
  };
}
