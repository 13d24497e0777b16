// What varies by director manager: everything else in the pipeline asks the manager's module
// (managers/index.ts) instead of testing `manager === '…'`.
import type { PathKey } from '../inventory/locate.js';
import type { RawInventory } from '../inventory/schema.js';
import type { Inventory } from '../inventory/types.js';
import type { DesiredDaemon } from '../model/types.js';
import type { TemplateContext, TemplateName } from '../templates/contexts.js';
import type { DaemonName, ManagerName } from './names.js';

/** A problem an inventory rule found, with its path into the YAML (see inventory/rules.ts). */
export interface InventoryProblem {
  path: PathKey[];
  message: string;
  /** Point at the key instead of its value (a wrong name rather than a wrong value). */
  at?: 'key';
}

/** An inventory rule over the schema-checked (raw) inventory. */
export type InventoryRule = (inv: RawInventory, out: InventoryProblem[]) => void;

/** The render contexts of the manager's own templates, keyed by template name. */
export type ManagerTemplates = {
  [T in TemplateName]?: (inv: Inventory, host: string) => TemplateContext<T>;
};

/** Day 2: one real server's health as the manager's checker sees it. */
export interface RealServerHealth {
  service: string;
  dest: string;
  healthy: boolean;
  /** Why the checker took it out, in the manager's words (log line, state). */
  detail?: string;
}

export interface ManagerModule {
  name: ManagerName;
  /**
   * Who programs the director's IPVS table: `lvs-deploy` edits it live with ipvsadm (and writes
   * the rules file), `daemon` means the manager's daemon builds it from its config file.
   */
  programsIpvs: 'lvs-deploy' | 'daemon';
  /**
   * Floats the VIPs (and the NAT gateway) between directors with VRRP: needs `directors.vrrp`,
   * the VIPs are never added by `up`, the MASTER director converges last, and the firewall
   * accepts VRRP between the directors.
   */
  vrrp: boolean;
  /** Health-checks real servers: services may carry `check`. */
  healthChecks: boolean;
  /** The daemon that programs the table, and where to look when it did not (verify's hint). */
  daemon?: { name: DaemonName; look: string };
  /** Rules on `directors` (run with the VRRP rules). */
  directorRules?: InventoryRule;
  /** Rules on services this manager cannot express or run (run after every generic rule). */
  serviceRules?: InventoryRule;
  /** The manager's own config files: template name → render context. */
  templates: ManagerTemplates;
  /** `--without-ipvs` (kernels without IPVS): the daemon as it must run there. */
  withoutIpvs?: (d: DesiredDaemon) => DesiredDaemon;
  // No setWeight hook: a drain is desired state (src/drain/operator.ts sets the drained real
  // server's weight to 0 before the roles expand), so each manager carries it through its own
  // templates and table — and `drain` reuses the apply script instead of a second way to change
  // a host. What differs by manager after the change is `programsIpvs` (read the kernel back).
  /**
   * Day 2, not implemented yet (status/roll). How to read each real server's health as the
   * manager's checker sees it: a command (argument vector) whose output `parse` reads.
   */
  readHealth?: { command: string[]; parse: (output: string) => RealServerHealth[] };
}
