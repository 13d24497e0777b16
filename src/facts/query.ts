// What the facts script reads: the query a desired host asks, and the files lvs-deploy keeps on
// every host it manages (read by the facts script, written by the executor).
import type { DesiredDaemon, DesiredHost } from '../model/types.js';

export const STATE_DIR = '/var/lib/lvs-deploy';
export const STATE_FILE = `${STATE_DIR}/state.json`;
/** Plain-text list of what `up` owns, readable by sh: `file PATH` / `sysctl KEY PATH` lines. */
export const OWNED_FILE = `${STATE_DIR}/owned.list`;
/** The firewall table as `nft -s list table` printed it right after `up` loaded it. */
export const FIREWALL_LOADED = `${STATE_DIR}/firewall.loaded`;

export interface FactQuery {
  sysctls: string[];
  files: string[];
  packages: string[];
  modules: string[];
  daemons: DesiredDaemon[];
  /** Director: find out whether the kernel can do IPVS, and read its table. */
  ipvs: boolean;
  /** Read policy routing rules (only hosts that use them). */
  rules: boolean;
  /** Read the nftables table lvs-deploy owns (also read whenever `up` loaded it before). */
  firewall: boolean;
  /** Read the IPVS timeouts (directors with directors.ipvs_timeouts, or whose timeouts `up` set). */
  ipvsTimeouts?: boolean;
}

/** What to read on a host to plan (and verify) its desired state. */
export function factQuery(d: DesiredHost): FactQuery {
  const modules = new Set(d.kinds.includes('director') ? [...d.modules, 'ip_vs'] : d.modules);
  return {
    sysctls: Object.keys(d.sysctls),
    files: d.files.map((f) => f.path),
    packages: d.packages,
    modules: [...modules],
    daemons: d.daemons,
    ipvs: d.kinds.includes('director'),
    rules: d.rules.length > 0,
    firewall: d.firewall !== undefined,
    ...(d.ipvsTimeouts ? { ipvsTimeouts: true } : {}),
  };
}

export const sysctlPath = (key: string) => `/proc/sys/${key.replaceAll('.', '/')}`;
