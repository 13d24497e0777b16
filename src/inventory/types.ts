// The validated, defaults-filled inventory. Produced by inventory/load.ts; read by every later stage.
// Every field is declared once, in schema.ts: these types are the schema's output with what
// normalize.ts resolves (merged SSH settings, real-server addresses, secrets read) laid over it.
import type { Forwarding } from '../model/types.js';
import type { RawInventory, RawService } from './schema.js';
import type { Secret } from './secrets.js';

type RawDirectors = RawInventory['directors'];
type RawHost = RawInventory['hosts'][string];
type RawRealServer = RawService['real_servers'][number];

/** Effective SSH settings (inventory `ssh` merged with the host's own `ssh`, ~ expanded). */
export type SshSettings = RawInventory['ssh'];
export type HostKeyPolicy = SshSettings['host_key_policy'];

export type HostSpec = Omit<RawHost, 'interfaces' | 'ssh'> & {
  name: string;
  /** Interface name -> CIDRs (address/prefix). Empty when the inventory gives none. */
  interfaces: Record<string, string[]>;
  ssh: SshSettings;
};

/** `auth_pass` is the secret itself (read from the environment or a file), not its reference. */
export type VrrpSettings = Omit<NonNullable<RawDirectors['vrrp']>, 'auth_pass'> & { auth_pass?: Secret };

export type NatGateway = NonNullable<RawDirectors['nat_gateway']>;

/** The nftables table `inet lvs_deploy` on every director (seed 003: the director is the firewall). */
export type Firewall = NonNullable<RawDirectors['firewall']>;

export type Directors = Omit<RawDirectors, 'vrrp' | 'sync_daemon'> & {
  /** `id` defaults to the VRRP virtual_router_id, else 1. */
  sync_daemon?: { interface: string; id: number };
  vrrp?: VrrpSettings;
};

export type HealthCheck = NonNullable<RawService['check']>;

export type RealServer = Omit<RawRealServer, 'address' | 'port' | 'forwarding'> & {
  /** From the inventory, or the address of the `host` it names. */
  address: string;
  /** The real server's own, else the service's (0 for a fwmark service without one). */
  port: number;
  forwarding: Forwarding;
};

export type VirtualService = Omit<RawService, 'real_servers'> & {
  family: 4 | 6;
  real_servers: RealServer[];
};

export type Probe = NonNullable<RawInventory['verify']>['probes'][number];
export type VerifySettings = NonNullable<RawInventory['verify']>;

/** A site role template's plain data (inventory `vars`). */
export type Vars = NonNullable<RawHost['vars']>;

/** A group: its hosts and the vars its hosts' site role templates read. */
export interface Group {
  hosts: string[];
  vars: Vars;
}

export type Inventory = Omit<
  RawInventory,
  'name' | 'hosts' | 'directors' | 'services' | 'groups' | 'roles_path' | 'templates_path'
> & {
  /** Groups, in the long form (optional: inventories built in code may leave them out). */
  groups?: Record<string, Group>;
  /** Site role directories, absolute. */
  roles_path?: string[];
  /** Site template directories, absolute, searched before the shipped templates/. */
  templates_path?: string[];
  /** Absolute path of the file it was loaded from. */
  file: string;
  name: string;
  hosts: Record<string, HostSpec>;
  directors: Directors;
  services: VirtualService[];
};
