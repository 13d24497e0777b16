// What one host looks like right now, as read by the facts script in one round trip.

import type { Drain } from './operator.js';
import type {
  DesiredAddress,
  DesiredRoute,
  DesiredRule,
  IpvsService,
  IpvsTimeouts,
  OsFamily,
} from './types.js';

export interface FileFact {
  content: string;
  mode: string;
  owner: string;
  group: string;
}

export interface LinkFact {
  name: string;
  up: boolean;
  kind?: string;
  /** Link-layer address (MAC), for matching ARP replies to hosts. */
  mac?: string;
}

export interface DaemonFact {
  running: boolean;
  pid?: number;
  /** systemd only */
  enabled?: boolean;
}

/** What `up` recorded on the host, so `down` can undo exactly that and nothing else. */
export interface HostState {
  version: 1;
  inventory: string;
  /** Sysctl values found before the first `up` changed them (null: key did not exist). */
  sysctlOriginals: Record<string, string | null>;
  /** Files `up` wrote; `hadOriginal` = a file was there before (kept under originals/). */
  files: { path: string; hadOriginal: boolean }[];
  addresses: DesiredAddress[];
  routes: DesiredRoute[];
  /** The default route found before `up` replaced it. */
  originalRoutes: DesiredRoute[];
  rules: DesiredRule[];
  links: string[];
  /** IPVS service keys `up` created (static manager). */
  ipvs: string[];
  daemons: string[];
  units: string[];
  /** `up` loaded the nftables table `inet lvs_deploy` (directors.firewall). */
  firewall?: boolean;
  /** IPVS timeouts found before `up` first set directors.ipvs_timeouts (put back by `down`). */
  ipvsTimeouts?: IpvsTimeouts;
}

/** What a director runs, as its own programs say (facts/versions.ts); absent = not read or not there. */
export interface SoftwareVersions {
  kernel?: string;
  keepalived?: string;
  nftables?: string;
  ldirectord?: string;
}

export interface HostFacts {
  os: { family: OsFamily | 'unknown'; id: string; version: string };
  systemd: boolean;
  /** The kernel can do IPVS (module loadable or loaded). */
  ipvsAvailable: boolean;
  sysctls: Record<string, string | null>;
  addresses: DesiredAddress[];
  links: LinkFact[];
  routes: DesiredRoute[];
  rules: DesiredRule[];
  files: Record<string, FileFact | null>;
  packages: Record<string, boolean>;
  /** Loaded or built in. */
  modules: Record<string, boolean>;
  /** null when IPVS is not loaded (nothing to read). */
  ipvs: IpvsService[] | null;
  daemons: Record<string, DaemonFact>;
  state: HostState | null;
  /**
   * The nftables table lvs-deploy owns, as `nft -s list table` prints it now (`live`, null when
   * absent) and as it printed right after `up` loaded it (`loaded`, null when never loaded).
   * null when not read (not a director, or no nft).
   */
  firewall: { live: string | null; loaded: string | null } | null;
  /**
   * Drains the operator set on this director (/var/lib/lvs-deploy/operator.json); [] when the
   * file is missing or the host is not a director.
   */
  drains: Drain[];
  /** `ipvsadm -L --timeout` now; null when not read or IPVS is not loaded. */
  ipvsTimeouts?: IpvsTimeouts | null;
  /** The address this SSH session comes from, as the host sees it ($SSH_CONNECTION); '' if unknown. */
  sshClient: string;
  /** Directors only (not read elsewhere). */
  versions?: SoftwareVersions;
  /** Sections that could not be parsed: reported, never guessed. */
  errors: string[];
}

export function emptyState(inventory: string): HostState {
  return {
    version: 1,
    inventory,
    sysctlOriginals: {},
    files: [],
    addresses: [],
    routes: [],
    originalRoutes: [],
    rules: [],
    links: [],
    ipvs: [],
    daemons: [],
    units: [],
  };
}
