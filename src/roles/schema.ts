// zod schema of a role file (roles/*.yaml). A role says WHAT a kind of host needs; string values
// are nunjucks expressions rendered against the host's role context (see context.ts). Entries of
// a list may carry `each: <context list>` (one entry per item, the item is `item`) and
// `when: <expression>` (kept only when true).
import { z } from 'zod';
import { DAEMON_NAMES, MANAGER_NAMES } from '../managers/names.js';

const expr = z.union([z.string(), z.number().transform(String)]);
const cond = z.union([z.boolean(), z.string().min(1)]);
const listName = z.string().regex(/^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*$/, {
  error: 'not a context list name (e.g. dr_vips)',
});
const handlerName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]*$/, { error: 'not a handler name (lowercase, digits, -)' });

// `each`: a context list name (`dr_vips`) or an inline list of words (`[all, lo]`).
const repeat = {
  each: z.union([listName, z.array(z.string().min(1)).min(1)]).optional(),
  when: cond.optional(),
};

const moduleEntry = z.strictObject({ name: expr, ...repeat });
const packageEntry = z.union([expr, z.strictObject({ name: expr, ...repeat })]);
const sysctlEntry = z.strictObject({ key: expr, value: expr, ...repeat });
const linkEntry = z.strictObject({ name: expr, kind: z.literal('ipip'), ...repeat });
const addressEntry = z.strictObject({ dev: expr, cidr: expr, label: expr.optional(), ...repeat });
const routeEntry = z.strictObject({
  dst: expr,
  via: expr.optional(),
  dev: expr.optional(),
  table: expr.optional(),
  ...repeat,
});
const ruleEntry = z.strictObject({ from: expr, table: expr, priority: expr, ...repeat });
const fileEntry = z.strictObject({
  path: expr,
  template: z.string().regex(/^[a-z0-9][a-z0-9.-]*\.njk$/, { error: 'not a template file name (x.njk)' }),
  mode: z.string().regex(/^0[0-7]{3}$/, { error: 'write the mode as a quoted octal string, e.g. "0644"' }),
  owner: z.string().default('root'),
  group: z.string().default('root'),
  // A command as its words (no shell): the word "%s" is the candidate file, checked before it
  // replaces the live one; a non-zero exit refuses it.
  validate: z
    .array(z.string().min(1))
    .min(1)
    .refine((argv) => argv.includes('%s'), {
      error: 'the command needs a "%s" word: the path of the file to check',
    })
    .optional(),
  notify: z.array(handlerName).default([]),
  secret: cond.default(false),
  ...repeat,
});
const handlerEntry = z.strictObject({
  name: handlerName,
  action: z.enum(['reload', 'restart', 'daemon-reload', 'sysctl-system', 'enable']),
  target: expr.optional(),
});
// The managers' own daemons, or a site role's (any plain name).
const daemonName = z.union([
  z.enum(DAEMON_NAMES),
  z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/, { error: 'not a daemon name (lowercase, digits, ._-)' }),
]);
const daemonEntry = z.strictObject({
  name: daemonName,
  unit: expr,
  command: z.array(expr).min(1),
  pidfile: expr,
  reload: z.enum(['hup', 'restart']),
  when: cond.optional(),
});
const syncDaemonEntry = z.strictObject({
  state: z.enum(['master', 'backup']),
  interface: expr,
  syncid: expr,
  ...repeat,
});

/** What may differ per OS family: chosen by the `os` passed to expand. */
const osSection = z.strictObject({
  vars: z.record(z.string().regex(/^[a-z_][a-z0-9_]*$/), expr).default({}),
  packages: z.array(packageEntry).default([]),
  files: z.array(fileEntry).default([]),
});

const hostOrGroup = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, { error: 'not a host or group name' });

/** The role format version (docs/roles.md); a later format bumps it and this loader refuses what it cannot read. */
const ROLE_FORMAT = 1;

export const roleSchema = z.strictObject({
  format: z.literal(ROLE_FORMAT, { error: `this lvs-deploy reads role format ${ROLE_FORMAT}` }).optional(),
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
  description: z.string().optional(),
  applies_to: z
    .strictObject({
      kinds: z
        .array(z.enum(['director', 'realserver']))
        .min(1)
        .optional(),
      manager: z.enum(MANAGER_NAMES).optional(),
      forwarding: z.enum(['nat', 'dr', 'tun']).optional(),
      /** And only to these inventory hosts / members of these inventory groups. */
      hosts: z.array(hostOrGroup).min(1).optional(),
      groups: z.array(hostOrGroup).min(1).optional(),
      /** And only when this expression over the role context is true (e.g. `firewall`). */
      when: cond.optional(),
    })
    .refine((a) => a.kinds !== undefined || a.hosts !== undefined || a.groups !== undefined, {
      error: 'say which hosts: kinds, hosts or groups',
    }),
  /** Named values computed once per host, in order; later entries may use earlier ones. */
  vars: z.record(z.string().regex(/^[a-z_][a-z0-9_]*$/), expr).default({}),
  packages: z.array(packageEntry).default([]),
  modules: z.array(moduleEntry).default([]),
  sysctls: z.array(sysctlEntry).default([]),
  links: z.array(linkEntry).default([]),
  addresses: z.array(addressEntry).default([]),
  routes: z.array(routeEntry).default([]),
  rules: z.array(ruleEntry).default([]),
  floating_addresses: z.array(addressEntry).default([]),
  /** Rendered after every role of the host is merged: `desired.*` is available to them. */
  files: z.array(fileEntry).default([]),
  handlers: z.array(handlerEntry).default([]),
  daemons: z.array(daemonEntry).default([]),
  sync_daemons: z.array(syncDaemonEntry).default([]),
  /** The IPVS table: a context list name, and whether `up` programs it itself. */
  ipvs: z.strictObject({ table: listName, static: z.boolean() }).optional(),
  debian: osSection.optional(),
  rhel: osSection.optional(),
});

export type Role = z.output<typeof roleSchema>;
export type Repeat = { each?: string | string[]; when?: string | boolean };
