// The validated, defaults-filled inventory. Produced by inventory/load.ts; read by every later stage.
import type { Forwarding, Protocol } from '../model/types.js';
import type { Secret } from './secrets.js';

export type HostKeyPolicy = 'strict' | 'accept-new';

export interface SshSettings {
  user: string;
  port: number;
  /** Private key file (~ expanded); unset = SSH agent. */
  identity?: string;
  known_hosts: string;
  host_key_policy: HostKeyPolicy;
  become: boolean;
  /** Host name from `hosts`, or "user@addr:port". */
  jump?: string;
  connect_timeout: number;
}

export interface HostSpec {
  name: string;
  address: string;
  /** Interface name -> CIDRs (address/prefix). Empty when the inventory gives none. */
  interfaces: Record<string, string[]>;
  /** Effective SSH settings (inventory `ssh` merged with the host's own `ssh`). */
  ssh: SshSettings;
}

export interface VrrpSettings {
  interface: string;
  virtual_router_id: number;
  advert_int: number;
  /** Director name -> priority (1..254); highest starts as MASTER. */
  priority: Record<string, number>;
  auth_pass?: Secret;
  unicast: boolean;
  /** Extra optional keys (notifications, notify scripts) live here as they are added. */
  notification_email?: string[];
  notification_email_from?: string;
  /** HOST or HOST:PORT (`[IPv6]:PORT`), as written; checked by the schema. */
  smtp_server?: string;
  smtp_connect_timeout?: number;
  smtp_alert?: boolean;
  notify_master?: string;
  notify_backup?: string;
  notify_fault?: string;
}

export interface NatGateway {
  /** address/prefix */
  address: string;
  interface: string;
}

export interface Directors {
  hosts: string[];
  /** ipvsadm: static rules; keepalived: VRRP pair + checks; ldirectord: one director + checks. */
  manager: 'keepalived' | 'ipvsadm' | 'ldirectord';
  sync_daemon?: { interface: string; id: number };
  vrrp?: VrrpSettings;
  nat_gateway?: NatGateway;
  firewall?: Firewall;
}

/** The nftables table `inet lvs_deploy` on every director (seed 003: the director is the firewall). */
export interface Firewall {
  /** What happens to traffic addressed to a director that no rule accepts. */
  policy: 'accept' | 'drop';
  /** Networks SSH to the directors is accepted from (address/prefix). */
  admin_networks: string[];
  /** Real servers' own outbound connections leaving `interface` get the director's address. */
  masquerade?: { interface: string; sources?: string[] };
}

export interface HealthCheck {
  type: 'tcp' | 'http' | 'https' | 'misc';
  connect_timeout: number;
  retry: number;
  delay_before_retry: number;
  delay_loop: number;
  /** http/https */
  path: string;
  /** Unset: any 2xx passes. */
  status_code?: number;
  /** misc */
  misc_path?: string;
}

export interface RealServer {
  /** Inventory host name; unset for a real server the tool cannot log into. */
  host?: string;
  address: string;
  port: number;
  weight: number;
  forwarding: Forwarding;
}

export interface VirtualService {
  name: string;
  vip: string;
  family: 4 | 6;
  /** Unset for fwmark services. */
  protocol?: Protocol;
  port?: number;
  fwmark?: number;
  scheduler: string;
  flags: string[];
  ops: boolean;
  forwarding: Forwarding;
  persistence?: { timeout: number; netmask?: string };
  check?: HealthCheck;
  real_servers: RealServer[];
}

export interface Probe {
  service: string;
  url?: string;
  tcp: boolean;
  udp: boolean;
  requests: number;
}

export interface VerifySettings {
  /** Host name, or `control`. */
  from: string;
  probes: Probe[];
}

export interface Inventory {
  /** Absolute path of the file it was loaded from. */
  file: string;
  name: string;
  ssh: SshSettings;
  hosts: Record<string, HostSpec>;
  directors: Directors;
  services: VirtualService[];
  verify?: VerifySettings;
}
