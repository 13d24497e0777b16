// The one registry of director managers. Adding a manager = a module here + its role YAML
// (roles/director-<name>.yaml) + its template(s) and their context schema + tests.
import type { Inventory } from '../inventory/types.js';
import { ipvsadm } from './ipvsadm.js';
import { keepalived } from './keepalived.js';
import { ldirectord } from './ldirectord.js';
import type { ManagerName } from './names.js';
import type { ManagerModule, ManagerTemplates } from './types.js';

export { type DaemonName, MANAGER_NAMES, type ManagerName } from './names.js';
export type { ManagerModule } from './types.js';

// One entry per name in MANAGER_NAMES (the type refuses a missing one); in the same order.
const REGISTRY: Record<ManagerName, ManagerModule> = { keepalived, ipvsadm, ldirectord };

/** Every manager, in MANAGER_NAMES order. */
export const MANAGERS: readonly ManagerModule[] = Object.values(REGISTRY);

export function manager(name: ManagerName): ManagerModule {
  return REGISTRY[name];
}

/** The inventory's manager. */
export function managerOf(inv: Pick<Inventory, 'directors'>): ManagerModule {
  return REGISTRY[inv.directors.manager];
}

/** The manager whose daemon this is (undefined for ipvs-sync). */
export function managerOfDaemon(daemon: string): ManagerModule | undefined {
  return MANAGERS.find((m) => m.daemon?.name === daemon);
}

/** Every manager's templates, merged (template names are unique across managers). */
export const MANAGER_TEMPLATES: ManagerTemplates = Object.assign({}, ...MANAGERS.map((m) => m.templates));
