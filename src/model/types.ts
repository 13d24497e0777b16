// Plain domain types shared by every stage of the pipeline. No logic lives here.
import type { ShellCommand } from '../connection/shell.js';
import type { DaemonName } from '../managers/names.js';

export type Forwarding = 'nat' | 'dr' | 'tun';
export type Protocol = 'tcp' | 'udp' | 'sctp';
export type OsFamily = 'debian' | 'rhel';

/** One real server of one IPVS virtual service, as the kernel sees it. */
export interface IpvsDest {
  address: string;
  port: number;
  forwarding: Forwarding;
  weight: number;
}

/** One IPVS virtual service, normalised the way `ipvsadm -S -n` prints it. */
export interface IpvsService {
  /** The ipvsadm service selector, e.g. `-t 192.0.2.1:80`, `-u [2001:db8::1]:53`, `-f 7`. */
  key: string;
  protocol: Protocol | 'fwmark';
  vip?: string;
  port?: number;
  fwmark?: number;
  family: 4 | 6;
  scheduler: string;
  /** Scheduler flags as ipvsadm -b takes them (sh-port, sh-fallback, mh-port, …). */
  flags: string[];
  persistence?: { timeout: number; netmask?: string };
  /** One-packet scheduling (UDP only). */
  ops: boolean;
  /** Persistence engine, e.g. `sip`. */
  pe?: string;
  dests: IpvsDest[];
}

/** A file `up` writes. Content is final (already rendered). */
export interface DesiredFile {
  path: string;
  content: string;
  /** Octal as a string, e.g. "0644". */
  mode: string;
  owner: string;
  group: string;
  /** Validation command run on the host against the temp file; the word `%s` stands for its path. */
  validate?: ShellCommand;
  /** Handler names to run once when this file changes. */
  notify: string[];
  /** Holds a secret: never shown in diffs or output. */
  secret: boolean;
  /** Template it came from (for reports). */
  template?: string;
  /** The site template file used instead of the shipped one (or a site role's own); absent: shipped. */
  source?: string;
}

export interface DesiredAddress {
  dev: string;
  /** address/prefix, e.g. 192.0.2.10/32 */
  cidr: string;
  label?: string;
}

export interface DesiredRoute {
  /** `default` or a CIDR. */
  dst: string;
  via?: string;
  dev?: string;
  /** Policy routing table number; unset = main. */
  table?: number;
}

/** A policy routing rule, e.g. `from 10.0.0.0/24 lookup 100`. */
export interface DesiredRule {
  from: string;
  table: number;
  priority: number;
}

/** A link `up` creates or brings up (TUN real servers: tunl0). */
export interface DesiredLink {
  name: string;
  kind: 'ipip';
}

/** A daemon `up` runs and keeps running. */
export interface DesiredDaemon {
  /** A manager's daemon (DaemonName) or a site role's. */
  name: DaemonName | (string & {});
  /** systemd unit name when PID 1 is systemd. */
  unit: string;
  /** Command line used when there is no systemd (lab hosts, containers). */
  command: string[];
  pidfile: string;
  /** How to reload without restart: `hup` (SIGHUP) or `restart`. */
  reload: 'hup' | 'restart';
}

export type HandlerAction = 'reload' | 'restart' | 'daemon-reload' | 'sysctl-system' | 'enable';

export interface Handler {
  name: string;
  action: HandlerAction;
  /** Daemon or unit the handler acts on. */
  target?: string;
}

/** IPVS sync daemon (ipvsadm --start-daemon), for the static manager. */
export interface SyncDaemon {
  state: 'master' | 'backup';
  interface: string;
  syncid: number;
}

export type HostKind = 'director' | 'realserver' | 'client';

/** Everything one host must have after `up`. Produced by roles/expand, consumed by the planner. */
export interface DesiredHost {
  host: string;
  address: string;
  kinds: HostKind[];
  /** Roles that contributed, in order (for reports). */
  roles: string[];
  packages: string[];
  modules: string[];
  /** Live sysctl values; persisted through a sysctl.d file among `files`. */
  sysctls: Record<string, string>;
  files: DesiredFile[];
  links: DesiredLink[];
  addresses: DesiredAddress[];
  routes: DesiredRoute[];
  rules: DesiredRule[];
  /**
   * The IPVS services this host's table must hold when the tool programs it directly
   * (static `ipvsadm` manager). Under a daemon manager (keepalived, ldirectord: see src/managers/) the daemon programs the table
   * and this lists what verify expects to find.
   */
  ipvs: IpvsService[];
  /** true: `up` edits the live table itself (static manager). false: a daemon owns it. */
  ipvsStatic: boolean;
  syncDaemons: SyncDaemon[];
  daemons: DesiredDaemon[];
  handlers: Handler[];
  /** Addresses keepalived floats between directors: never added by `up`, checked by verify. */
  floatingAddresses: DesiredAddress[];
  /** Directors with `directors.firewall`: the nftables table lvs-deploy owns. */
  firewall?: DesiredFirewall;
  /** Directors with `directors.ipvs_timeouts`: `ipvsadm --set` values (0: leave as it is). */
  ipvsTimeouts?: IpvsTimeouts;
}

/** IPVS connection timeouts in seconds, as `ipvsadm --set tcp tcpfin udp` takes them. */
export interface IpvsTimeouts {
  tcp: number;
  tcpfin: number;
  udp: number;
}

/** The one nftables table `up` writes, replaced whole with `nft -f` (never other tables). */
export const FIREWALL_TABLE = 'inet lvs_deploy';
export const FIREWALL_FILE = '/etc/lvs-deploy/firewall.nft';

export interface DesiredFirewall {
  /** The rules file (one of `files`) that `nft -f` loads: it replaces the table atomically. */
  path: string;
  policy: 'accept' | 'drop';
  /** SSH is accepted from these under `policy: drop`; `up` refuses to cut its own session. */
  adminNetworks: string[];
}
