// zod schemas for the inventory file (see docs/inventory.md, the user's contract).
// Shapes and per-field rules live here; rules that span fields live in rules.ts.
import { z } from 'zod';
import { MANAGER_NAMES } from '../managers/names.js';
import { RELEASES } from '../model/releases.js';
import { ipFamily, parseCidr, parseHostPort } from './net.js';

const SCHEDULERS = [
  'rr',
  'wrr',
  'lc',
  'wlc',
  'lblc',
  'lblcr',
  'dh',
  'sh',
  'sed',
  'nq',
  'mh',
  'fo',
  'ovf',
  'twos',
] as const;
/** Kernel persistence engines (ip_vs_pe_*): Debian's kernel ships `sip` only. */
export const PERSISTENCE_ENGINES = ['sip'] as const;
export const SCHEDULER_FLAGS = [
  'sh-port',
  'sh-fallback',
  'mh-port',
  'mh-fallback',
  'flag-1',
  'flag-2',
  'flag-3',
] as const;

// Names reach shells, file names and keepalived.conf: keep them to a safe alphabet.
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const IFNAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/;
const USER_RE = /^[a-z_][a-z0-9_-]{0,31}$/;
const ENV_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

const name = (what: string) =>
  z.string().regex(NAME_RE, {
    error: `not a valid ${what} (expected letters, digits, '.', '_' or '-', starting with a letter or digit)`,
  });
const ifname = z.string().regex(IFNAME_RE, {
  error: 'not a valid interface name (expected at most 15 letters, digits, ".", "_" or "-")',
});
// A coarse shape of address/prefix for editors; the refine below is the real check.
const CIDR_PATTERN =
  '^(?:[0-9]{1,3}(?:\\.[0-9]{1,3}){3}/(?:3[0-2]|[12]?[0-9])|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*/(?:12[0-8]|1[01][0-9]|[1-9]?[0-9]))$';
// Node accepts IPv6 zone indexes ("fe80::1%eth0"); ipvsadm, keepalived and `ip addr` do not take them.
// .meta() carries the same rule into the JSON Schema for editors (src/inventory/json-schema.ts).
const ip = z
  .string()
  .refine((s) => ipFamily(s) !== 0 && !s.includes('%'), { error: 'not an IPv4 or IPv6 address' })
  .meta({ anyOf: [{ format: 'ipv4' }, { format: 'ipv6' }] });
const cidr = z
  .string()
  .refine((s) => parseCidr(s) !== undefined && !s.includes('%'), {
    error: 'not an address/prefix (expected e.g. 192.0.2.10/24)',
  })
  .meta({ pattern: CIDR_PATTERN });
const port = z.int().min(1).max(65535);
// A file path read locally or written into keepalived.conf (notify and misc scripts, which keepalived
// runs): no control characters, quotes or shell metacharacters. Spaces stay allowed (script arguments).
const hasControl = (s: string): boolean =>
  [...s].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
const PATH_RE = /^[^"'`$;&|<>\\{}#!]+$/;
const path = z
  .string()
  .min(1)
  .refine((s) => PATH_RE.test(s) && !hasControl(s), {
    error:
      'not a valid path (no control characters, quotes or shell characters such as $ ` ; | & < > { } # !)',
  })
  .meta({ pattern: '^[^"\'`$;&|<>\\\\{}#!\\u0000-\\u001f\\u007f]+$' });
const bool = z.boolean();

const secretRef = z.union([
  z.strictObject({ env: z.string().regex(ENV_RE, { error: 'not a valid environment variable name' }) }),
  z.strictObject({ file: path }),
]);

const sshFields = {
  user: z.string().regex(USER_RE, { error: 'not a valid user name' }),
  port,
  identity: path,
  known_hosts: path,
  host_key_policy: z.enum(['strict', 'accept-new']),
  become: bool,
  jump: z.string().regex(/^(?:[a-z_][a-z0-9_-]*@)?[A-Za-z0-9][A-Za-z0-9_.:\-[\]]*$/, {
    error: 'not a host name or user@address:port',
  }),
  connect_timeout: z.number().positive().max(300),
};

const sshDefaults = z.strictObject({
  user: sshFields.user.default('root'),
  port: sshFields.port.default(22),
  identity: sshFields.identity.optional(),
  known_hosts: sshFields.known_hosts.default('~/.ssh/known_hosts'),
  host_key_policy: sshFields.host_key_policy.default('strict'),
  become: sshFields.become.default(false),
  jump: sshFields.jump.optional(),
  connect_timeout: sshFields.connect_timeout.default(10),
});

const sshOverride = z.strictObject({
  user: sshFields.user.optional(),
  port: sshFields.port.optional(),
  identity: sshFields.identity.optional(),
  known_hosts: sshFields.known_hosts.optional(),
  host_key_policy: sshFields.host_key_policy.optional(),
  become: sshFields.become.optional(),
  jump: sshFields.jump.optional(),
  connect_timeout: sshFields.connect_timeout.optional(),
});

// Tunables the inventory may set (rules.ts checks the key against the allow-list, with the reason).
const sysctlMap = z.record(
  z.string().regex(/^[a-z0-9_]+(\.[A-Za-z0-9_-]+)+$/, {
    error: 'not a sysctl key (e.g. net.ipv4.vs.conn_reuse_mode)',
  }),
  z.union([
    z
      .string()
      .regex(/^[A-Za-z0-9 ._:/-]+$/, { error: 'not a sysctl value (letters, digits, spaces, ._:/-)' }),
    z.int().transform(String),
  ]),
);

// Site role variables: plain YAML data (no tags, no functions), read by templates; a value reaching
// a shell goes through the `sh` filter.
const VAR_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
type PlainValue = string | number | boolean | PlainValue[] | { [k: string]: PlainValue };
const isPlain = (v: unknown): v is PlainValue =>
  (typeof v === 'string' && !v.includes('\0')) ||
  (typeof v === 'number' && Number.isFinite(v)) ||
  typeof v === 'boolean' ||
  (Array.isArray(v) && v.every(isPlain)) ||
  (v !== null &&
    typeof v === 'object' &&
    Object.getPrototypeOf(v) === Object.prototype &&
    Object.entries(v).every(([k, x]) => VAR_NAME_RE.test(k) && isPlain(x)));
const plainValue = z.custom<PlainValue>(isPlain, {
  error:
    'not plain data (a string, number, true/false, or a list or mapping of them; names: letters, digits, _)',
});
const varsMap = z.record(
  z.string().regex(VAR_NAME_RE, { error: 'not a variable name (letters, digits, _)' }),
  plainValue,
);

const host = z.strictObject({
  address: ip,
  interfaces: z.record(ifname, z.array(cidr).min(1)).optional(),
  ssh: sshOverride.optional(),
  sysctls: sysctlMap
    .optional()
    .describe(
      "This host's own network tunables; they win over directors.sysctls and real_servers_sysctls. Default: none. Example: { net.ipv4.vs.conn_reuse_mode: 0 }",
    ),
  vars: varsMap
    .optional()
    .describe(
      "Values this host's site role templates read as vars.NAME; they win over its groups' vars. Default: none. Example: { site_title: Shop }",
    ),
  lab: z
    .strictObject({
      release: z
        .enum(RELEASES)
        .describe(
          "Debian release this host's userland runs in the lab, netns or VM (its root filesystem: lvs-deploy lab rootfs). Default: this machine's own.",
        ),
    })
    .optional()
    .describe(
      'How the lab builds this host; ignored outside labs. Default: none. Example: { release: bullseye }',
    ),
});

const vrrp = z.strictObject({
  interface: ifname,
  virtual_router_id: z.int().min(1).max(255),
  advert_int: z.number().positive().max(255).default(1),
  priority: z.record(name('host name'), z.int().min(1).max(254)),
  auth_pass: secretRef.optional(),
  unicast: bool.default(false),
  notification_email: z.array(z.email()).optional(),
  notification_email_from: z.email().optional(),
  // HOST or HOST:PORT; keepalived.conf gets `smtp_server HOST [PORT]` (managers/keepalived.ts splits it).
  smtp_server: z
    .string()
    .superRefine((s, ctx) => {
      const r = parseHostPort(s);
      if ('error' in r) ctx.addIssue({ code: 'custom', message: r.error, input: s });
    })
    .optional(),
  smtp_connect_timeout: z.int().min(1).max(3600).optional(),
  smtp_alert: bool.optional(),
  notify_master: path.optional(),
  notify_backup: path.optional(),
  notify_fault: path.optional(),
});

const directors = z.strictObject({
  hosts: z.array(name('host name')).min(1),
  manager: z.enum(MANAGER_NAMES).default('ipvsadm'),
  sync_daemon: z.strictObject({ interface: ifname, id: z.int().min(0).max(255).optional() }).optional(),
  vrrp: vrrp.optional(),
  nat_gateway: z.strictObject({ address: cidr, interface: ifname }).optional(),
  firewall: z
    .strictObject({
      policy: z.enum(['accept', 'drop']).default('accept'),
      admin_networks: z.array(cidr).default([]),
      masquerade: z.strictObject({ interface: ifname, sources: z.array(cidr).optional() }).optional(),
    })
    .optional(),
  sysctls: sysctlMap
    .optional()
    .describe(
      'Network tunables for every director (net.ipv4.vs.*, net.ipv4.conf.*, net.netfilter.nf_conntrack_* and a few more); they win over the shipped roles. Default: none. Example: { net.ipv4.vs.conn_reuse_mode: 0, net.ipv4.vs.sloppy_tcp: 1 }',
    ),
  ipvs_timeouts: z
    .strictObject({
      tcp: z.int().min(1).max(2147483).optional(),
      tcpfin: z.int().min(1).max(2147483).optional(),
      udp: z.int().min(1).max(2147483).optional(),
    })
    .refine((t) => t.tcp !== undefined || t.tcpfin !== undefined || t.udp !== undefined, {
      error: 'empty: give at least one of tcp, tcpfin, udp (seconds)',
    })
    .optional()
    .describe(
      "IPVS connection timeouts in seconds (ipvsadm --set tcp tcpfin udp), set live, restored at boot, put back by down; an absent one is left as it is. Default: the kernel's (900 120 300). Example: { tcp: 7200, tcpfin: 60, udp: 120 }",
    ),
});

const forwarding = z.enum(['nat', 'dr', 'tun']);

const realServer = z.strictObject({
  host: name('host name').optional(),
  address: ip.optional(),
  port: port.optional(),
  weight: z.int().min(0).max(65535).default(1),
  forwarding: forwarding.optional(),
});

const check = z.strictObject({
  type: z.enum(['tcp', 'http', 'https', 'misc']),
  connect_timeout: z.number().positive().max(300).default(3),
  retry: z.int().min(0).max(100).default(3),
  delay_before_retry: z.number().min(0).max(300).default(3),
  delay_loop: z.number().positive().max(3600).default(6),
  // Written into keepalived.conf and reused by probes: URL path characters only, none a shell or
  // keepalived ('#', '!', braces) would read specially.
  path: z
    .string()
    .regex(/^\/[A-Za-z0-9._~%/=?+,:@-]*$/, {
      error: 'not a URL path (expected /something: letters, digits and ._~%/=?+,:@-)',
    })
    .default('/'),
  // Unset: any 2xx answer passes (keepalived renders `status_code 200-299`).
  status_code: z.int().min(100).max(599).optional(),
  misc_path: path.optional(),
});

const service = z.strictObject({
  name: name('service name'),
  vip: ip,
  protocol: z.enum(['tcp', 'udp', 'sctp']).optional(),
  port: port.optional(),
  fwmark: z.int().min(1).max(0xffffffff).optional(),
  scheduler: z.enum(SCHEDULERS).default('wlc'),
  flags: z.array(z.enum(SCHEDULER_FLAGS)).default([]),
  ops: bool.default(false),
  forwarding: forwarding.default('dr'),
  persistence: z
    .strictObject({
      timeout: z.int().min(1).max(2678400).default(300),
      netmask: ip.optional(),
      engine: z.enum(PERSISTENCE_ENGINES).optional(),
    })
    .optional(),
  check: check.optional(),
  real_servers: z.array(realServer).min(1),
});

const probe = z.strictObject({
  service: name('service name'),
  url: z
    .string()
    .refine((s) => /^https?:\/\/[^\s"'`\\$;&|<>(){}]+$/.test(s) && !hasControl(s), {
      error: 'not an http(s) URL (no spaces or shell characters)',
    })
    .meta({ pattern: '^https?://[^\\s"\'`\\\\$;&|<>(){}\\u0000-\\u001f\\u007f]+$' })
    .optional(),
  tcp: bool.default(false),
  udp: bool.default(false),
  sip: bool.default(false),
  requests: z.int().min(1).max(10000).default(10),
});

export const inventorySchema = z.strictObject({
  name: name('inventory name').optional(),
  ssh: sshDefaults.default(sshDefaults.parse({})),
  hosts: z.record(name('host name'), host),
  directors,
  services: z.array(service).min(1),
  verify: z
    .strictObject({ from: name('host name').default('control'), probes: z.array(probe).default([]) })
    .optional(),
  real_servers_sysctls: sysctlMap
    .optional()
    .describe(
      'Network tunables for every real server (same keys as directors.sysctls). Default: none. Example: { net.ipv4.conf.all.rp_filter: 0 }',
    ),
  groups: z
    .record(
      name('group name'),
      z.preprocess(
        (g) => (Array.isArray(g) ? { hosts: g } : g),
        z.strictObject({ hosts: z.array(name('host name')).min(1), vars: varsMap.default({}) }),
      ),
    )
    .optional()
    .describe(
      "Named sets of hosts, for --limit and a site role's applies_to.groups; the long form carries vars its hosts' templates read. Default: none. Example: { web: [web1, web2] } or { web: { hosts: [web1], vars: { port: 80 } } }",
    ),
  roles_path: z
    .array(path)
    .optional()
    .describe(
      'Directories of site roles (docs/roles.md), relative to the inventory file; applied beside the shipped roles. Default: none. Example: [./roles]',
    ),
  templates_path: z
    .array(path)
    .optional()
    .describe(
      "Directories searched for templates before the shipped ones, relative to the inventory file: a site role's templates, or one named like a shipped template to replace it. Default: [./templates] when it exists. Example: [./templates]",
    ),
});

export type RawInventory = z.output<typeof inventorySchema>;
export type RawService = RawInventory['services'][number];
