// The intermediate model of an import: what one director's configuration (keepalived.conf,
// ldirectord.cf or an `ipvsadm -S -n` table) says, in the inventory's words, with where each value
// came from. Everything the inventory cannot express is an ImportNote; nothing is dropped silently.
import { InventoryError } from '../errors.js';
import type { ManagerName } from '../managers/names.js';
import type { Forwarding, Protocol } from '../model/types.js';

export interface Origin {
  file: string;
  line: number;
}

/** Something the inventory cannot express (or expresses differently), with its file and line. */
export interface ImportNote extends Origin {
  message: string;
  /**
   * keepalived itself ignores what the note is about, so the parsed structure is still exactly
   * what the daemon builds (an unknown keyword it skips, words after a one-line block's keyword).
   */
  ignoredByDaemon?: true;
}

export type CheckType = 'tcp' | 'http' | 'https' | 'misc';

export interface ImportedCheck {
  type: CheckType;
  connect_timeout?: number;
  retry?: number;
  delay_before_retry?: number;
  delay_loop?: number;
  path?: string;
  status_code?: number;
  misc_path?: string;
  at: Origin;
}

export interface ImportedRealServer {
  address: string;
  /** 0: none given (fwmark services). */
  port: number;
  weight: number;
  forwarding: Forwarding;
  at: Origin;
}

export interface ImportedService {
  name?: string;
  vip?: string;
  protocol?: Protocol;
  port?: number;
  fwmark?: number;
  family: 4 | 6;
  scheduler: string;
  flags: string[];
  ops: boolean;
  forwarding: Forwarding;
  persistence?: { timeout: number; netmask?: string; engine?: 'sip' };
  check?: ImportedCheck;
  real_servers: ImportedRealServer[];
  at: Origin;
}

export interface ImportedVip {
  address: string;
  prefix?: number;
  dev?: string;
}

export interface ImportedVrrp {
  name: string;
  state: 'MASTER' | 'BACKUP';
  interface: string;
  virtual_router_id: number;
  advert_int: number;
  priority: number;
  auth_pass?: string;
  auth_at?: Origin;
  unicast_src_ip?: string;
  unicast_peers: string[];
  vips: ImportedVip[];
  notify_master?: string;
  notify_backup?: string;
  notify_fault?: string;
  smtp_alert: boolean;
  at: Origin;
}

export interface ImportedGlobals {
  router_id?: string;
  notification_email: string[];
  notification_email_from?: string;
  /** HOST or HOST:PORT, the inventory's form. */
  smtp_server?: string;
  smtp_connect_timeout?: number;
  sync_daemon?: { interface: string; id?: number };
}

/** What one director's configuration describes. */
export interface DirectorImport {
  file: string;
  manager: ManagerName;
  services: ImportedService[];
  vrrp: ImportedVrrp[];
  /** vrrp_sync_group members, when there is one. */
  syncGroups: { name: string; members: string[]; at: Origin }[];
  globals: ImportedGlobals;
  notes: ImportNote[];
}

/** One director's configuration and what is known of the host it came from. */
export interface DirectorSource {
  imp: DirectorImport;
  /** SSH address (live import, or `FILE@ADDR`). */
  address?: string;
  name?: string;
  /** The host's interfaces (live facts); else derived from keepalived.conf where it can be. */
  interfaces?: Record<string, string[]>;
  /** Live sysctls the inventory must set for `up` to leave them as they are (live import). */
  sysctls?: Record<string, string>;
}

/** What a live import learnt of a real server: its name and interfaces, or why it was not read. */
export type RealServerFacts =
  | { name?: string; interfaces: Record<string, string[]> }
  | { unreachable: string };

/** Bad input: one line FILE:LINE:COL: message, exit 2 (the CLI's InventoryError handling). */
export function syntaxError(file: string, line: number, message: string, col = 1): InventoryError {
  return new InventoryError([{ file, line, col, path: '', message }]);
}
