// Inventory + roles → DesiredHost per host. Roles apply by `applies_to`; their entries are
// rendered against the host's context, merged (conflicts are RenderErrors naming both roles), and
// files are rendered last, once everything else is known. Output is sorted for stable plans.
import { ShellCommand } from '../connection/shell.js';
import { RenderError } from '../errors.js';
import type { PathKey } from '../inventory/locate.js';
import type { Inventory } from '../inventory/types.js';
import type {
  DesiredAddress,
  DesiredFile,
  DesiredHost,
  DesiredRoute,
  HostKind,
  IpvsService,
  OsFamily,
} from '../model/types.js';
import { FIREWALL_FILE } from '../model/types.js';
import { evaluateCondition, renderExpression } from '../templates/render.js';
import { type RoleContext, roleContext } from './context.js';
import { inventorySysctls } from './inventory-data.js';
import type { LoadedRole } from './load.js';
import { Merger } from './merge.js';
import type { Repeat, Role } from './schema.js';
import { appliesToHost, rolesFor } from './site.js';
import { type DesiredView, renderFor } from './template-data.js';

export interface ExpandOptions {
  /** OS family the per-OS role sections are chosen for (facts decide at `up`; default debian). */
  os?: OsFamily;
  /** Roles to use instead of roles/ (tests). */
  roles?: LoadedRole[];
}

type Scope = Record<string, unknown>;
type Where = (path: PathKey[]) => string;

function lookup(scope: Scope, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Scope)[k] : undefined), scope);
}

/** Expand a list of role entries: `each` repeats, `when` filters. */
function expandList<E extends Repeat, T>(
  entries: E[],
  base: PathKey[],
  scope: Scope,
  where: Where,
  fn: (e: E, s: Scope, w: (k: PathKey) => string) => T,
): T[] {
  const out: T[] = [];
  entries.forEach((e, i) => {
    const at = (k: PathKey) => where([...base, i, k]);
    const items: unknown[] = [undefined];
    if (e.each !== undefined) {
      const list = Array.isArray(e.each) ? e.each : lookup(scope, e.each);
      if (!Array.isArray(list))
        throw new RenderError(`${at('each')}: "${String(e.each)}" is not a list in the role context`);
      items.splice(0, 1, ...list);
    }
    for (const item of items) {
      const s = e.each !== undefined ? { ...scope, item } : scope;
      if (e.when !== undefined && !evaluateCondition(e.when, s, at('when'))) continue;
      out.push(fn(e, s, at));
    }
  });
  return out;
}

const str = (v: string, s: Scope, w: string) => renderExpression(v, s, w).trim();
const int = (v: string, s: Scope, w: string) => {
  const text = str(v, s, w);
  if (!/^\d+$/.test(text)) throw new RenderError(`${w}: expected a whole number, got "${text}"`);
  return Number(text);
};
const opt = (v: string | undefined, s: Scope, w: string) => (v === undefined ? undefined : str(v, s, w));

function applies(role: Role, ctx: RoleContext): boolean {
  const a = role.applies_to;
  if (a.when !== undefined && !evaluateCondition(a.when, ctx, `role ${role.name}: applies_to.when`))
    return false;
  if (!appliesToHost(a, ctx)) return false;
  return (a.kinds ?? ctx.kinds).some(
    (k) =>
      ctx.kinds.includes(k) &&
      (k !== 'director' || a.manager === undefined || a.manager === ctx.manager) &&
      (k !== 'realserver' || a.forwarding === undefined || ctx.forwardings.includes(a.forwarding)),
  );
}

function roleScope(lr: LoadedRole, ctx: RoleContext, os: OsFamily): Scope {
  const scope: Scope = { ...ctx };
  const section = lr.role[os];
  const vars: [PathKey[], string, string][] = [
    ...Object.entries(lr.role.vars).map(([k, v]): [PathKey[], string, string] => [['vars', k], k, v]),
    ...Object.entries(section?.vars ?? {}).map(([k, v]): [PathKey[], string, string] => [
      [os, 'vars', k],
      k,
      v,
    ]),
  ];
  for (const [path, name, value] of vars) scope[name] = str(value, scope, lr.where(path));
  return scope;
}

function collect(lr: LoadedRole, scope: Scope, os: OsFamily, m: Merger): void {
  const { role, where } = lr;
  const name = role.name;
  const norm = (p: Role['packages'][number]) => (typeof p === 'string' ? { name: p } : p);
  const pkgLists: [PathKey[], Role['packages']][] = [
    [['packages'], role.packages],
    [[os, 'packages'], role[os]?.packages ?? []],
  ];
  for (const [base, list] of pkgLists) {
    for (const pkg of expandList(list.map(norm), base, scope, where, (e, s, at) =>
      str(e.name, s, at('name')),
    )) {
      if (pkg !== '') m.packages.add(pkg);
    }
  }
  for (const mod of expandList(role.modules, ['modules'], scope, where, (e, s, at) =>
    str(e.name, s, at('name')),
  ))
    m.modules.add(mod);
  expandList(role.sysctls, ['sysctls'], scope, where, (e, s, at) =>
    m.sysctl(str(e.key, s, at('key')), str(e.value, s, at('value')), name, at('value')),
  );
  for (const l of expandList(role.links, ['links'], scope, where, (e, s, at) => ({
    name: str(e.name, s, at('name')),
    kind: e.kind,
  })))
    m.links.set(l.name, l);
  const address = (e: Role['addresses'][number], s: Scope, at: (k: PathKey) => string): DesiredAddress => {
    const label = opt(e.label, s, at('label'));
    return { dev: str(e.dev, s, at('dev')), cidr: str(e.cidr, s, at('cidr')), ...(label ? { label } : {}) };
  };
  for (const a of expandList(role.addresses, ['addresses'], scope, where, address))
    m.addresses.set(`${a.dev} ${a.cidr}`, a);
  for (const a of expandList(role.floating_addresses, ['floating_addresses'], scope, where, address))
    m.floating.set(`${a.dev} ${a.cidr}`, a);
  expandList(role.routes, ['routes'], scope, where, (e, s, at) => {
    const via = opt(e.via, s, at('via'));
    const dev = opt(e.dev, s, at('dev'));
    const r: DesiredRoute = {
      dst: str(e.dst, s, at('dst')),
      ...(via ? { via } : {}),
      ...(dev ? { dev } : {}),
    };
    if (e.table !== undefined) r.table = int(e.table, s, at('table'));
    m.route(r, name, at('dst'));
  });
  for (const r of expandList(role.rules, ['rules'], scope, where, (e, s, at) => ({
    from: str(e.from, s, at('from')),
    table: int(e.table, s, at('table')),
    priority: int(e.priority, s, at('priority')),
  })))
    m.rules.set(`${r.priority} ${r.from} ${r.table}`, r);
  role.handlers.forEach((h, i) => {
    const target = opt(h.target, scope, where(['handlers', i, 'target']));
    m.handler(
      { name: h.name, action: h.action, ...(target ? { target } : {}) },
      name,
      where(['handlers', i]),
    );
  });
  role.daemons.forEach((d, i) => {
    const at = (k: PathKey, ...rest: PathKey[]) => where(['daemons', i, k, ...rest]);
    if (d.when !== undefined && !evaluateCondition(d.when, scope, at('when'))) return;
    m.daemons.set(d.name, {
      name: d.name,
      unit: str(d.unit, scope, at('unit')),
      command: d.command.map((c, j) => str(c, scope, at('command', j))),
      pidfile: str(d.pidfile, scope, at('pidfile')),
      reload: d.reload,
    });
  });
  for (const sd of expandList(role.sync_daemons, ['sync_daemons'], scope, where, (e, s, at) => ({
    state: e.state,
    interface: str(e.interface, s, at('interface')),
    syncid: int(e.syncid, s, at('syncid')),
  })))
    m.sync.set(`${sd.state} ${sd.interface}`, sd);
  if (role.ipvs) {
    const table = lookup(scope, role.ipvs.table);
    if (!Array.isArray(table))
      throw new RenderError(
        `${where(['ipvs', 'table'])}: "${role.ipvs.table}" is not a list in the role context`,
      );
    m.ipvs = table as IpvsService[];
    m.ipvsStatic = role.ipvs.static;
  }
}

function collectFiles(
  lr: LoadedRole,
  scope: Scope,
  os: OsFamily,
  m: Merger,
  inv: Inventory,
  ctx: RoleContext,
  view: DesiredView,
): void {
  const lists: [PathKey[], Role['files']][] = [
    [['files'], lr.role.files],
    [[os, 'files'], lr.role[os]?.files ?? []],
  ];
  for (const [base, entries] of lists) {
    expandList(entries, base, scope, lr.where, (e, s, at) => {
      const path = str(e.path, s, at('path'));
      if (!path.startsWith('/')) throw new RenderError(`${at('path')}: "${path}" is not an absolute path`);
      const { content, source } = renderFor(e.template, ctx, view, inv, at('template'));
      const file: DesiredFile = {
        path,
        content,
        ...(source ? { source } : {}),
        mode: e.mode,
        owner: e.owner,
        group: e.group,
        ...(e.validate !== undefined ? { validate: new ShellCommand(e.validate) } : {}),
        notify: e.notify,
        secret: evaluateCondition(e.secret, s, at('secret')),
        template: e.template,
      };
      m.file(file, lr.role.name, at('path'));
    });
  }
}

function emptyHost(ctx: RoleContext, kinds: HostKind[]): DesiredHost {
  return {
    host: ctx.host.name,
    address: ctx.host.address,
    kinds,
    roles: [],
    packages: [],
    modules: [],
    sysctls: {},
    files: [],
    links: [],
    addresses: [],
    routes: [],
    rules: [],
    ipvs: [],
    ipvsStatic: false,
    syncDaemons: [],
    daemons: [],
    handlers: [],
    floatingAddresses: [],
  };
}

/** The desired state of one host. Throws RenderError on a role/template problem. */
export function expandHost(inv: Inventory, hostName: string, opts: ExpandOptions = {}): DesiredHost {
  const os = opts.os ?? 'debian';
  const ctx = roleContext(inv, hostName, os);
  const roles = (opts.roles ?? rolesFor(inv)).filter((lr) => applies(lr.role, ctx));
  const out = emptyHost(ctx, ctx.kinds);
  if (roles.length === 0) return out;
  const m = new Merger();
  const scopes = roles.map((lr) => roleScope(lr, ctx, os));
  for (const [i, lr] of roles.entries()) collect(lr, scopes[i] ?? {}, os, m);
  // The inventory's own tunables win over what a role sets (the operator chose them).
  for (const [key, value] of Object.entries(inventorySysctls(inv, hostName, ctx.kinds)))
    m.sysctls.set(key, { value, role: 'inventory' });
  const view = m.view();
  for (const [i, lr] of roles.entries())
    collectFiles(lr, { ...scopes[i], desired: view }, os, m, inv, ctx, view);
  const notified = new Set<string>();
  for (const { file } of m.files.values()) {
    for (const n of file.notify) {
      if (!m.handlers.has(n))
        throw new RenderError(`${file.path} notifies handler "${n}", which no role of ${hostName} defines`);
      notified.add(n);
    }
  }
  return {
    ...out,
    roles: roles.map((lr) => lr.role.name),
    packages: [...m.packages].sort(),
    modules: view.modules,
    sysctls: Object.fromEntries(view.sysctls.map((s) => [s.key, s.value])),
    files: [...m.files.values()].map((f) => f.file).sort((a, b) => a.path.localeCompare(b.path)),
    links: view.links,
    addresses: view.addresses,
    routes: view.routes,
    rules: view.rules,
    ipvs: m.ipvs,
    ipvsStatic: m.ipvsStatic,
    syncDaemons: [...m.sync.values()],
    daemons: [...m.daemons.values()].sort((a, b) => a.name.localeCompare(b.name)),
    // Only handlers some file notifies; in the order the roles define them (daemon-reload before enable).
    handlers: [...m.handlers.values()].map((h) => h.handler).filter((h) => notified.has(h.name)),
    floatingAddresses: [...m.floating.values()].sort((a, b) =>
      `${a.dev} ${a.cidr}`.localeCompare(`${b.dev} ${b.cidr}`),
    ),
    ...(ctx.firewall && inv.directors.firewall
      ? {
          firewall: {
            path: FIREWALL_FILE,
            policy: inv.directors.firewall.policy,
            adminNetworks: inv.directors.firewall.admin_networks,
          },
        }
      : {}),
    ...(ctx.ipvs_timeouts ? { ipvsTimeouts: ctx.ipvs_timeouts } : {}),
  };
}

/** Every host of the inventory (clients included, with nothing to do), in inventory order. */
export function expandInventory(inv: Inventory, opts: ExpandOptions = {}): Map<string, DesiredHost> {
  const roles = opts.roles ?? rolesFor(inv);
  return new Map(Object.keys(inv.hosts).map((name) => [name, expandHost(inv, name, { ...opts, roles })]));
}

/** Secret values the inventory holds, for masking output (never print them). */
export function secretValues(inv: Inventory): string[] {
  const pass = inv.directors.vrrp?.auth_pass;
  return pass ? [pass.reveal()] : [];
}
