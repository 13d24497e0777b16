// Site roles (issue 18): the inventory's roles_path beside the shipped roles/, and the
// host/group half of `applies_to`. Kept out of expand.ts, which stays about merging.
import { RenderError } from '../errors.js';
import type { Inventory } from '../inventory/types.js';
import type { RoleContext } from './context.js';
import { type LoadedRole, loadRoles, loadSiteRoles } from './load.js';
import type { Role } from './schema.js';

/** Shipped roles, then the inventory's site roles (checked against its hosts and groups). */
export function rolesFor(inv: Inventory): LoadedRole[] {
  const dirs = inv.roles_path ?? [];
  if (dirs.length === 0) return loadRoles();
  const site = loadSiteRoles(dirs, inv.file);
  for (const lr of site) {
    const a = lr.role.applies_to;
    a.hosts?.forEach((h, i) => {
      if (!Object.hasOwn(inv.hosts, h))
        throw new RenderError(
          `${lr.where(['applies_to', 'hosts', i])}: unknown host "${h}" (not in ${inv.file})`,
        );
    });
    a.groups?.forEach((g, i) => {
      if (!inv.groups || !Object.hasOwn(inv.groups, g))
        throw new RenderError(
          `${lr.where(['applies_to', 'groups', i])}: unknown group "${g}" (not in the groups of ${inv.file})`,
        );
    });
  }
  return [...loadRoles(), ...site];
}

/** `applies_to.hosts` / `applies_to.groups`: the host is named, or in a named group (either list). */
export function appliesToHost(a: Role['applies_to'], ctx: RoleContext): boolean {
  if (a.hosts === undefined && a.groups === undefined) return true;
  return (a.hosts ?? []).includes(ctx.host.name) || (a.groups ?? []).some((g) => ctx.groups.includes(g));
}
