// The context each template gets, computed from the host's merged desired state. The role file
// names the template; what goes into it is decided here, typed, and checked again by the renderer.
import { join } from 'node:path';
import { RenderError } from '../errors.js';
import type { Inventory } from '../inventory/types.js';
import { MANAGER_TEMPLATES } from '../managers/index.js';
import {
  type DesiredAddress,
  type DesiredLink,
  type DesiredRoute,
  type DesiredRule,
  FIREWALL_FILE,
  FIREWALL_TABLE,
} from '../model/types.js';
import {
  isTemplateName,
  type SiteContext,
  type TemplateContext,
  type TemplateName,
} from '../templates/contexts.js';
import { renderSiteTemplate, renderTemplate, siteTemplate } from '../templates/render.js';
import type { RoleContext } from './context.js';
import { firewallContext } from './firewall.js';

export interface DesiredView {
  sysctls: { key: string; value: string }[];
  modules: string[];
  links: DesiredLink[];
  addresses: DesiredAddress[];
  routes: DesiredRoute[];
  rules: DesiredRule[];
}

const NET_SCRIPT = '/usr/local/sbin/lvs-deploy-net';

type Builder<T extends TemplateName> = (
  ctx: RoleContext,
  desired: DesiredView,
  inv: Inventory,
) => TemplateContext<T>;
type Builders = { [T in TemplateName]?: Builder<T> };

// The templates every manager shares; each manager's own come from its module (managers/).
const shared: Builders = {
  'sysctl.conf.njk': (_c, d) => ({ sysctls: d.sysctls }),
  'modules-load.conf.njk': (_c, d) => ({ modules: d.modules }),
  'lvs-deploy-net.sh.njk': (_c, d) => ({
    modules: [...new Set(d.links.map((l) => l.kind))].sort(),
    links: d.links,
    addresses: d.addresses,
    routes: d.routes,
    rules: d.rules,
  }),
  'lvs-deploy-net.service.njk': () => ({ script: NET_SCRIPT }),
  'firewall.nft.njk': (ctx, _d, inv) => firewallContext(inv, ctx.host.name),
  'lvs-deploy-firewall.service.njk': () => ({ table: FIREWALL_TABLE, file: FIREWALL_FILE }),
  'lvs-deploy-ipvs-timeouts.service.njk': (ctx) => ctx.ipvs_timeouts || { tcp: 0, tcpfin: 0, udp: 0 },
};

/** The context builder of a template: shared, else the manager module's that owns it. */
export function builderFor(name: TemplateName): Builder<TemplateName> | undefined {
  const own = shared[name] as Builder<TemplateName> | undefined;
  if (own) return own;
  const fromManager = MANAGER_TEMPLATES[name] as
    | ((inv: Inventory, host: string) => TemplateContext<TemplateName>)
    | undefined;
  return fromManager && ((ctx, _d, inv) => fromManager(inv, ctx.host.name));
}

/** Site template directories: the inventory's templates_path, then each site role directory's templates/. */
function siteTemplateDirs(inv: Inventory): string[] {
  return [...(inv.templates_path ?? []), ...(inv.roles_path ?? []).map((d) => join(d, 'templates'))];
}

function siteContext(ctx: RoleContext, desired: DesiredView, inv: Inventory): SiteContext {
  const services = inv.services.flatMap((s) =>
    s.real_servers
      .filter((rs) => rs.host === ctx.host.name)
      .map((rs) => ({
        name: s.name,
        vip: s.vip,
        protocol: s.protocol ?? ('fwmark' as const),
        port: rs.port,
        forwarding: rs.forwarding,
      })),
  );
  return {
    host: ctx.host,
    inventory: ctx.inventory,
    os: ctx.os,
    kinds: ctx.kinds,
    groups: ctx.groups,
    vars: ctx.vars,
    services,
    dr_vips: ctx.dr_vips,
    tun_vips: ctx.tun_vips,
    desired,
  };
}

/**
 * Render a file's template for a host: one of ours (a site file of the same name replaces it, with
 * the same context), else a site role's own. `where` names the role field that asked for it;
 * `source` is the site file used, if any.
 */
export function renderFor(
  template: string,
  ctx: RoleContext,
  desired: DesiredView,
  inv: Inventory,
  where: string,
): { content: string; source?: string } {
  const dirs = siteTemplateDirs(inv);
  const source = siteTemplate(template, dirs);
  const build = isTemplateName(template) ? builderFor(template) : undefined;
  if (isTemplateName(template) && build)
    return {
      content: renderTemplate(template, build(ctx, desired, inv), dirs),
      ...(source ? { source } : {}),
    };
  if (source)
    return { content: renderSiteTemplate(template, siteContext(ctx, desired, inv), dirs, source), source };
  const known = [...Object.keys(shared), ...Object.keys(MANAGER_TEMPLATES)];
  throw new RenderError(
    `${where}: no template "${template}" (shipped: ${known.sort().join(', ')}; site directories: ${dirs.join(', ') || 'none'})`,
  );
}
