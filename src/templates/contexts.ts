// The typed, validated context of every template. nunjucks' throwOnUndefined misses undefined
// values that go through filters, `for` or `if`, so each template's context is checked here first
// and a missing or malformed value becomes a RenderError naming the template and the key.
// (zod outside inventory/ and roles/: the renderer must own the check, see the note in render.ts.)
import { z } from 'zod';
import { Secret } from '../inventory/secrets.js';

const ifname = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,14}$/, { error: 'not an interface name' });
const addr = z.string().regex(/^[0-9A-Fa-f:.]+$/, { error: 'not an IP address' });
const cidr = z.string().regex(/^[0-9A-Fa-f:.]+\/\d{1,3}$/, { error: 'not an address/prefix' });
const addrOrCidr = z
  .string()
  .regex(/^[0-9A-Fa-f:.]+(\/\d{1,3})?$/, { error: 'not an address or address/prefix' });
const word = z.string().regex(/^[A-Za-z0-9_.:-]+$/, { error: 'not a single word' });
// Quoted inside keepalived.conf: no quote, backslash or newline can break out.
/** A keyword line of a service block (`persistence_timeout 600`, `schedflags = mh-port`): words, no quotes or comments. */
const optionLine = z.string().regex(/^[a-z_-]+( = | )?[A-Za-z0-9_.:,-]*$/, { error: 'not a keyword line' });
const quotable = z.string().regex(/^[^"\\\n\r\0]+$/, { error: 'contains a quote, backslash or newline' });

export const checkSchema = z.strictObject({
  type: z.enum(['tcp', 'http', 'https', 'misc']),
  connect_port: z.int().min(1).max(65535).optional(),
  connect_timeout: z.number().positive(),
  retry: z.int().min(0),
  delay_before_retry: z.number().min(0),
  path: z.string().regex(/^\/[^\s"'\\]*$/),
  status_code: z.string().regex(/^[1-5][0-9]{2}(-[1-5][0-9]{2})?$/),
  misc_path: quotable.optional(),
});

const vrrpInstance = z.strictObject({
  name: word,
  state: z.enum(['MASTER', 'BACKUP']),
  interface: ifname,
  virtual_router_id: z.int().min(1).max(255),
  priority: z.int().min(1).max(254),
  advert_int: z.number().positive(),
  smtp_alert: z.boolean(),
  unicast_src_ip: addr.optional(),
  unicast_peers: z.array(addr),
  auth_pass: z.instanceof(Secret).optional(),
  virtual_ipaddresses: z.array(z.strictObject({ cidr, dev: ifname })).min(1),
  notify_master: quotable.optional(),
  notify_backup: quotable.optional(),
  notify_fault: quotable.optional(),
});

const realServer = z.strictObject({
  address: addr,
  port: z.int().min(0).max(65535),
  weight: z.int().min(0).max(65535),
  /** Only when it differs from the virtual server's. */
  lvs_method: z.enum(['NAT', 'DR', 'TUN']).optional(),
  check: checkSchema.optional(),
});

const virtualServer = z.strictObject({
  /** `192.0.2.1 80` or `fwmark 7` */
  selector: z.string().regex(/^(fwmark \d+|[0-9A-Fa-f:.]+ \d+)$/),
  delay_loop: z.number().positive(),
  lvs_sched: word,
  /** The service options' lines (model/service-options.ts), e.g. `persistence_timeout 600`. */
  options: z.array(optionLine),
  lvs_method: z.enum(['NAT', 'DR', 'TUN']),
  protocol: z.enum(['TCP', 'UDP', 'SCTP']).optional(),
  real_servers: z.array(realServer).min(1),
});

// ldirectord.cf: `key = value` lines; a virtual section's lines are indented. Its parser strips
// everything after a '#' and reads quoted values up to the last quote.
const ldReal = z.strictObject({
  directive: z.enum(['real', 'real6']),
  /** `IP:PORT`, `[IPv6]:PORT`, or the bare address (fwmark service, no port) */
  address: z.string().regex(/^([0-9.]+|\[[0-9A-Fa-f:.]+\])(:\d+)?$/),
  forward: z.enum(['gate', 'masq', 'ipip']),
  weight: z.int().min(0).max(65535),
});

const ldVirtual = z.strictObject({
  /** The inventory's service name (ldirectord's `servicename`, shown in its log). */
  name: word,
  directive: z.enum(['virtual', 'virtual6']),
  /** `VIP:PORT`, `[IPv6]:PORT` or a fwmark number */
  address: z.string().regex(/^(\d+|[0-9.]+:\d+|\[[0-9A-Fa-f:.]+\]:\d+)$/),
  protocol: z.enum(['tcp', 'udp', 'fwm']),
  scheduler: z.string().regex(/^[a-z]+$/),
  /** The service options' lines (model/service-options.ts), e.g. `persistent = 600`. */
  options: z.array(optionLine),
  real_servers: z.array(ldReal).min(1),
  checktype: z.enum(['on', 'connect', 'negotiate', 'external']),
  service: z.enum(['http', 'https']).optional(),
  request: z
    .string()
    .regex(/^\/[^\s"'\\#]*$/)
    .optional(),
  checkcommand: z
    .string()
    .regex(/^\/[^\s"'\\#]+$/)
    .optional(),
  /** Whole seconds; also the negotiate timeout (ldirectord falls back from one to the other). */
  checktimeout: z.int().min(1).optional(),
  failurecount: z.int().min(1).optional(),
});

export const templateContexts = {
  'keepalived.conf.njk': z.strictObject({
    router_id: word,
    script_security: z.boolean(),
    notification_email: z.array(z.string().regex(/^[^\s{}"]+@[^\s{}"]+$/)),
    notification_email_from: z
      .string()
      .regex(/^[^\s{}"]+@[^\s{}"]+$/)
      .optional(),
    smtp_server: z
      .string()
      .regex(/^[A-Za-z0-9.:-]+$/)
      .optional(),
    smtp_port: z.int().min(1).max(65535).optional(),
    smtp_connect_timeout: z.int().min(1).optional(),
    sync_daemon: z.strictObject({ interface: ifname, id: z.int().min(0).max(255) }).optional(),
    sync_group: z.strictObject({ name: word, members: z.array(word).min(2) }).optional(),
    instances: z.array(vrrpInstance).min(1),
    virtual_servers: z.array(virtualServer),
  }),
  'ldirectord.cf.njk': z.strictObject({
    checktimeout: z.int().min(1),
    checkinterval: z.int().min(1),
    logfile: z.string().regex(/^\/[A-Za-z0-9_./-]+$/),
    virtuals: z.array(ldVirtual),
  }),
  'sysctl.conf.njk': z.strictObject({
    sysctls: z.array(
      z.strictObject({ key: z.string().regex(/^[a-z0-9_.\-/]+$/), value: z.string().regex(/^[^\n=]+$/) }),
    ),
  }),
  'modules-load.conf.njk': z.strictObject({ modules: z.array(z.string().regex(/^[a-z0-9_-]+$/)).min(1) }),
  'ipvsadm.rules.njk': z.strictObject({ rules: z.string() }),
  'ipvsadm.default.njk': z.strictObject({
    auto: z.boolean(),
    daemon: z.enum(['none', 'master', 'backup']),
    iface: ifname.optional(),
    syncid: z.int().min(0).max(255).optional(),
  }),
  'lvs-deploy-net.sh.njk': z.strictObject({
    modules: z.array(z.string().regex(/^[a-z0-9_-]+$/)),
    links: z.array(z.strictObject({ name: ifname, kind: z.literal('ipip') })),
    addresses: z.array(
      z.strictObject({
        dev: ifname,
        cidr,
        label: z
          .string()
          .regex(/^[A-Za-z0-9_.:-]{1,15}$/)
          .optional(),
      }),
    ),
    routes: z.array(
      z.strictObject({
        dst: z.string().regex(/^(default|[0-9A-Fa-f:.]+\/\d{1,3})$/),
        via: addr.optional(),
        dev: ifname.optional(),
        table: z.int().min(1).max(0xfffffffe).optional(),
      }),
    ),
    rules: z.array(
      z.strictObject({
        from: z.string().regex(/^[0-9A-Fa-f:./]+$/),
        table: z.int().min(1),
        priority: z.int().min(1),
      }),
    ),
  }),
  'lvs-deploy-net.service.njk': z.strictObject({ script: z.string().regex(/^\/[A-Za-z0-9_./-]+$/) }),
  'firewall.nft.njk': z.strictObject({
    table: z.literal('inet lvs_deploy'),
    file: z.string().regex(/^\/[A-Za-z0-9_./-]+$/),
    inventory: z.string(),
    policy: z.enum(['accept', 'drop']),
    ssh_port: z.int().min(1).max(65535),
    admin_v4: z.array(addrOrCidr),
    admin_v6: z.array(addrOrCidr),
    vrrp: z.boolean(),
    vrrp_v4: z.array(addr),
    vrrp_v6: z.array(addr),
    sync_port: z.int().min(1).max(65535).optional(),
    services: z.array(
      z.strictObject({
        name: word,
        family: z.enum(['ip', 'ip6']),
        vip: addr,
        protocol: z.enum(['tcp', 'udp', 'sctp']),
        port: z.int().min(1).max(65535),
      }),
    ),
    marks: z.array(z.strictObject({ name: word, mark: z.int().min(1) })),
    masquerade: z.union([
      z.literal(false),
      z.strictObject({ interface: ifname, v4: z.array(addrOrCidr), v6: z.array(addrOrCidr) }),
    ]),
  }),
  'lvs-deploy-firewall.service.njk': z.strictObject({
    table: z.literal('inet lvs_deploy'),
    file: z.string().regex(/^\/[A-Za-z0-9_./-]+$/),
  }),
  'lvs-deploy-ipvs-timeouts.service.njk': z.strictObject({
    tcp: z.int().min(0),
    tcpfin: z.int().min(0),
    udp: z.int().min(0),
  }),
} as const;

export type TemplateName = keyof typeof templateContexts;
export type TemplateContext<T extends TemplateName> = z.input<(typeof templateContexts)[T]>;
export type KeepalivedContext = TemplateContext<'keepalived.conf.njk'>;
export type KeepalivedCheck = z.input<typeof checkSchema>;
export type LdirectordContext = TemplateContext<'ldirectord.cf.njk'>;

export function isTemplateName(name: string): name is TemplateName {
  return Object.hasOwn(templateContexts, name);
}

/** Validate; returns problems as `key: message` lines (empty when fine). */
export function checkContext(name: TemplateName, ctx: unknown): { data?: unknown; problems: string[] } {
  const r = templateContexts[name].safeParse(ctx, { reportInput: true });
  if (r.success) return { data: r.data, problems: [] };
  return {
    problems: r.error.issues.map((i) => {
      const key = i.path
        .map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`))
        .join('')
        .replace(/^\./, '');
      const what =
        'input' in i && i.input === undefined && i.code !== 'unrecognized_keys' ? 'missing' : i.message;
      return `${key || '(context)'}: ${what}`;
    }),
  };
}

// A site role's own template (docs/roles.md "What a template sees"): the host, its groups and
// vars, the VIPs and services it serves, and the host's merged desired state.
const vipItem = z.strictObject({ address: addr, cidr, family: z.union([z.literal(4), z.literal(6)]) });
export const siteContextSchema = z.strictObject({
  host: z.strictObject({ name: z.string(), address: addr }),
  inventory: z.string(),
  os: z.enum(['debian', 'rhel']),
  kinds: z.array(z.enum(['director', 'realserver', 'client'])),
  groups: z.array(z.string()),
  vars: z.record(z.string(), z.unknown()),
  /** Services this host is a real server of: the address and port it must answer on. */
  services: z.array(
    z.strictObject({
      name: z.string(),
      vip: addr,
      protocol: z.enum(['tcp', 'udp', 'sctp', 'fwmark']),
      port: z.int().min(0).max(65535),
      forwarding: z.enum(['nat', 'dr', 'tun']),
    }),
  ),
  dr_vips: z.array(vipItem),
  tun_vips: z.array(vipItem),
  desired: z.strictObject({
    sysctls: z.array(z.strictObject({ key: z.string(), value: z.string() })),
    modules: z.array(z.string()),
    links: z.array(z.unknown()),
    addresses: z.array(z.unknown()),
    routes: z.array(z.unknown()),
    rules: z.array(z.unknown()),
  }),
});
export type SiteContext = z.input<typeof siteContextSchema>;
