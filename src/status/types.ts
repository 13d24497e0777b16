import type { RealServerHostStatus } from './realservers.js';
// The `status` report: what every director says right now, joined with the inventory. This is
// the `--json` shape (docs/json.md, section `status`); the table and Prometheus renderers read it.

export type VrrpState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOPPED';

export interface InstanceStatus {
  /** keepalived's vrrp_instance name (VI_1, VI_2 for the NAT gateway). */
  instance: string;
  director: string;
  state: VrrpState;
  /** Priority the director advertises: the live keepalived.conf's, 0 when stopped or FAULT. */
  priority: number;
  /** The live config tracks scripts/interfaces: keepalived may add or subtract weights. */
  tracked: boolean;
  /** Addresses of the instance this director holds now. */
  held: string[];
  vips: string[];
  /** keepalived 2.2.7 exposes no state-change time without a signal-driven dump: always null. */
  since: null;
}

/** removed: the daemon's checker deleted it; quiesced: weight 0 while the inventory says > 0. */
export type Health = 'up' | 'removed' | 'quiesced' | 'missing' | 'unknown';

export interface RealServerStatus {
  /** Inventory host name, or the address for a real server without one. */
  real_server: string;
  address: string;
  port: number;
  /** Weight the inventory asks for; null for a live entry the inventory does not have. */
  inventory_weight: number | null;
  /** Live values; null when the director's table has no such entry or could not be read. */
  weight: number | null;
  active_conns: number | null;
  inactive_conns: number | null;
  conns_per_second: number | null;
  in_bytes_per_second: number | null;
  out_bytes_per_second: number | null;
  health: Health;
  /** Operator drain recorded on this director (operator.json). */
  drained: { since: string; by: string } | null;
}

export interface ServiceOnDirector {
  director: string;
  /** The virtual service is in this director's live table. */
  present: boolean;
  real_servers: RealServerStatus[];
}

export interface ServiceStatus {
  service: string;
  /** ipvsadm's selector, e.g. `-t 192.168.100.9:80`. */
  key: string;
  vip: string;
  directors: ServiceOnDirector[];
}

/** One IPVS connection-sync daemon the director's kernel runs (`ipvsadm -L --daemon`). */
export interface SyncDaemonStatus {
  /** master: sends this director's connections; backup: receives the peer's. */
  role: 'master' | 'backup';
  interface: string;
  syncid: number;
}

export type IpvsReadable = 'ok' | 'no-kernel' | 'no-ipvsadm' | 'unreachable';

export interface DirectorStatus {
  director: string;
  reachable: boolean;
  error?: string;
  ipvs: IpvsReadable;
  /** The manager's daemon (keepalived, ldirectord); null for the static ipvsadm manager. */
  daemon: { name: string; running: boolean } | null;
  /** The kernel's IPVS sync daemons ([] when none runs); null when the table was not read. */
  sync_daemons: SyncDaemonStatus[] | null;
  round_trip_ms: number;
}

export type AlarmKind = 'split-brain' | 'vip-unheld' | 'table-mismatch' | 'drift' | 'unreachable';

export interface Alarm {
  kind: AlarmKind;
  message: string;
  director?: string;
  service?: string;
  real_server?: string;
  instance?: string;
}

/** One operator drain as recorded on one director. */
export interface DrainRecord {
  director: string;
  service: string;
  real_server: string;
  since: string;
  by: string;
}

export interface StatusReport {
  version: 1;
  inventory: string;
  /** ISO 8601, when the reads finished. */
  time: string;
  directors: DirectorStatus[];
  instances: InstanceStatus[];
  services: ServiceStatus[];
  /** Only with --realservers: one entry per real server host of the inventory. */
  real_servers?: RealServerHostStatus[];
  /** Every operator drain recorded on a director (also when its table cannot be read). */
  drains: DrainRecord[];
  alarms: Alarm[];
  /** Things said once (e.g. no IPVS in a director's kernel), not alarms. */
  notes: string[];
  ok: boolean;
}
