// The context each template gets, computed from the host's merged desired state. The role file
// names the template; what goes into it is decided here, typed, and checked again by the renderer.
import { RenderError } from '../errors.js';
import type { Inventory } from '../inventory/types.js';
import { formatRules } from '../model/ipvs.js';
import {
  type DesiredAddress,
  type DesiredLink,
  type DesiredRoute,
  type DesiredRule,
  FIREWALL_FILE,
  FIREWALL_TABLE,
} from '../model/types.js';
import { isTemplateName, type TemplateContext, type TemplateName } from '../templates/contexts.js';
import { renderTemplate } from '../templates/render.js';
import type { RoleContext } from './context.js';
import { firewallContext } from './firewall.js';
import { keepalivedContext } from './keepalived.js';
import { ldirectordContext } from './ldirectord.js';

export interface DesiredView {
  sysctls: { key: string; value: string }[];
  modules: string[];
  links: DesiredLink[];
  addresses: DesiredAddress[];
  routes: DesiredRoute[];
  rules: DesiredRule[];
}

export const NET_SCRIPT = '/usr/local/sbin/lvs-deploy-net';

type Builders = {
  [T in TemplateName]: (ctx: RoleContext, desired: DesiredView, inv: Inventory) => TemplateContext<T>;
};

const builders: Builders = {
  'keepalived.conf.njk': (ctx, _d, inv) => keepalivedContext(inv, ctx.host.name),
  'ldirectord.cf.njk': (_c, _d, inv) => ldirectordContext(inv),
  'sysctl.conf.njk': (_c, d) => ({ sysctls: d.sysctls }),
  'modules-load.conf.njk': (_c, d) => ({ modules: d.modules }),
  'ipvsadm.rules.njk': (ctx) => ({ rules: formatRules(ctx.ipvs) }),
  'ipvsadm.default.njk': (ctx) => ({
    auto: true,
    daemon: ctx.sync_daemon ? 'master' : 'none',
    ...(ctx.sync_daemon ? { iface: ctx.sync_daemon.interface, syncid: ctx.sync_daemon.id } : {}),
  }),
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
};

/** Render one of our templates for a host. `where` names the role field that asked for it. */
export function renderFor(
  template: string,
  ctx: RoleContext,
  desired: DesiredView,
  inv: Inventory,
  where: string,
): string {
  if (!isTemplateName(template)) {
    throw new RenderError(
      `${where}: no template "${template}" (known: ${Object.keys(builders).sort().join(', ')})`,
    );
  }
  const name: TemplateName = template;
  const build = builders[name] as (
    c: RoleContext,
    d: DesiredView,
    i: Inventory,
  ) => TemplateContext<TemplateName>;
  return renderTemplate(name, build(ctx, desired, inv));
}
