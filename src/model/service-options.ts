// One declaration per service option: everything an IPVS service carries beyond its selector,
// scheduler and real servers (scheduler flags, persistence, one-packet scheduling, persistence
// engine). Each entry says, in one place, how the inventory's value becomes the IPVS model, its
// ipvsadm arguments (and how `ipvsadm -S -n` prints them back), its keepalived.conf and
// ldirectord.cf lines (or why that manager cannot express it), the rules and warnings `validate`
// checks, and whether the executor's scheduler bridge may be used. The consumers (model/ipvs.ts,
// roles/ipvs-table.ts, the manager modules and templates, executor/steps.ts, inventory/rules.ts)
// iterate over SERVICE_OPTIONS; a new key is a schema fragment (inventory/schema.ts) and an entry here.
import type { PathKey } from '../inventory/locate.js';
import { ipFamily, ipToBigInt } from '../inventory/net.js';
import type { RawService } from '../inventory/schema.js';
import type { ManagerName } from '../managers/names.js';
import type { IpvsService } from './types.js';

/** A service as the inventory gives it (schema-checked), without its real servers and check. */
export type OptionInput = Omit<RawService, 'real_servers' | 'check'>;

/** A problem with one service, its path relative to the service (`['ops']`). */
export interface OptionProblem {
  path: PathKey[];
  message: string;
}

/** What a daemon manager's config file says for one option. */
export interface ManagerLines {
  /** Lines inside the service's block, in the daemon's own words (no indentation). */
  lines: (s: IpvsService) => string[];
  /** Why the manager cannot express this service's value; undefined when it can. */
  refuse?: (s: OptionInput) => string | undefined;
}

export interface ServiceOption {
  /** The inventory key, for messages and docs (`persistence.engine`). */
  key: string;
  /** The option's part of IpvsService, from the inventory's (schema-checked) service. */
  model: (s: OptionInput) => Partial<IpvsService>;
  /** ipvsadm arguments after `-s SCHEDULER`, in the order `ipvsadm -S -n` prints them. */
  args: (s: IpvsService) => string[];
  /** The option's part of IpvsService from the words after the selector of an `-A` line. */
  parse: (rest: string[]) => Partial<IpvsService>;
  /** Its lines in each daemon manager's config file (ipvsadm: the rules file, from `args`). */
  managers: Partial<Record<ManagerName, ManagerLines>>;
  /** Refusals whatever the manager (kernel or protocol limits). */
  rules?: (s: OptionInput) => OptionProblem[];
  /** Accepted, but probably not what the user wants. */
  warnings?: (s: OptionInput) => OptionProblem[];
  /**
   * The executor's scheduler bridge (a 1 s persistence during a scheduler switch, see
   * executor/steps.ts) must not be used for this change: it would change what the option means.
   */
  noBridge?: (before: IpvsService, after: IpvsService) => boolean;
}

/** The word after `flag` in `rest`. */
export function option(rest: string[], flag: string): string | undefined {
  const i = rest.indexOf(flag);
  return i >= 0 ? rest[i + 1] : undefined;
}

const none = (): string[] => [];

const flags: ServiceOption = {
  key: 'flags',
  model: (s) => ({ flags: [...s.flags].sort() }),
  args: (s) => (s.flags.length > 0 ? ['-b', [...s.flags].sort().join(',')] : []),
  parse: (rest) => ({
    flags: (option(rest, '-b') ?? '')
      .split(',')
      .filter((f) => f !== '')
      .sort(),
  }),
  managers: {
    keepalived: { lines: (s) => [...s.flags].sort() },
    ldirectord: {
      lines: (s) => (s.flags.length > 0 ? [`schedflags = ${[...s.flags].sort().join(',')}`] : []),
    },
  },
  rules: (s) =>
    s.flags.flatMap((f, fi) => {
      const sched = f.startsWith('sh-') ? 'sh' : f.startsWith('mh-') ? 'mh' : undefined;
      return sched && s.scheduler !== sched
        ? [{ path: ['flags', fi], message: `flag ${f} needs scheduler: ${sched}` }]
        : [];
    }),
  warnings: (s) =>
    s.scheduler === 'mh' && !s.flags.includes('mh-fallback')
      ? [
          {
            path: ['scheduler'],
            message:
              'mh without flags: [mh-fallback] keeps sending new connections to a real server of weight 0 (a drained or failed one); add mh-fallback',
          },
        ]
      : [],
};

/** ldirectord wants an IPv6 persistence netmask as a prefix length. */
function prefixOrMask(mask: string): string {
  if (ipFamily(mask) !== 6) return mask;
  return String(ipToBigInt(mask).toString(2).replace(/0+$/, '').length);
}

const persistence: ServiceOption = {
  key: 'persistence',
  model: (s) =>
    s.persistence
      ? {
          persistence: {
            timeout: s.persistence.timeout,
            ...(s.persistence.netmask ? { netmask: s.persistence.netmask } : {}),
          },
        }
      : {},
  args: (s) => {
    const p = s.persistence;
    if (!p) return [];
    // ipvsadm -S prints -M only for a netmask narrower than one address.
    const wide = p.netmask && p.netmask !== '255.255.255.255' && p.netmask !== '128';
    return ['-p', String(p.timeout), ...(wide && p.netmask ? ['-M', p.netmask] : [])];
  },
  parse: (rest) => {
    const timeout = option(rest, '-p');
    const netmask = option(rest, '-M');
    return timeout !== undefined
      ? { persistence: { timeout: Number(timeout), ...(netmask ? { netmask } : {}) } }
      : {};
  },
  managers: {
    keepalived: {
      lines: (s) =>
        s.persistence
          ? [
              `persistence_timeout ${s.persistence.timeout}`,
              ...(s.persistence.netmask ? [`persistence_granularity ${s.persistence.netmask}`] : []),
            ]
          : [],
    },
    ldirectord: {
      lines: (s) =>
        s.persistence
          ? [
              `persistent = ${s.persistence.timeout}`,
              ...(s.persistence.netmask ? [`netmask = ${prefixOrMask(s.persistence.netmask)}`] : []),
            ]
          : [],
    },
  },
  rules: (s) => {
    const nm = s.persistence?.netmask;
    return nm !== undefined && ipFamily(nm) !== ipFamily(s.vip)
      ? [{ path: ['persistence', 'netmask'], message: 'netmask family differs from the VIP' }]
      : [];
  },
  // Already persistent: a scheduler switch refuses nothing, no bridge needed.
  noBridge: (before) => before.persistence !== undefined,
};

const ops: ServiceOption = {
  key: 'ops',
  model: (s) => ({ ops: s.ops }),
  args: (s) => (s.ops ? ['-o'] : []),
  parse: (rest) => ({ ops: rest.includes('-o') }),
  managers: {
    keepalived: { lines: (s) => (s.ops ? ['ops'] : []) },
    ldirectord: { lines: (s) => (s.ops ? ['ops = yes'] : []) },
  },
  rules: (s) =>
    s.ops && (s.protocol ?? 'tcp') !== 'udp'
      ? [{ path: ['ops'], message: 'one-packet scheduling (ops) is only for UDP services' }]
      : [],
  // A bridged ops service would become persistent: ipvsadm refuses -p with -o.
  noBridge: (before, after) => before.ops || after.ops,
};

// The SIP engine keys persistence on the Call-ID (plus the client's address), so the calls of one
// SIP proxy socket spread over the real servers while each call's requests stay together; plain
// UDP persistence (or none) schedules a whole proxy socket onto one real server.
const engine: ServiceOption = {
  key: 'persistence.engine',
  model: (s) => (s.persistence?.engine ? { pe: s.persistence.engine } : {}),
  args: (s) => (s.pe ? ['--pe', s.pe] : []),
  parse: (rest) => {
    const pe = option(rest, '--pe');
    return pe ? { pe } : {};
  },
  managers: {
    keepalived: { lines: (s) => (s.pe ? [`persistence_engine ${s.pe}`] : []) },
    ldirectord: {
      lines: none,
      refuse: (s) =>
        s.persistence?.engine
          ? 'ldirectord.cf has no persistence engine keyword (Debian 12, ldirectord 4.12); use manager: keepalived or ipvsadm'
          : undefined,
    },
  },
  rules: (s) => {
    if (!s.persistence?.engine) return [];
    const at = ['persistence', 'engine'];
    if (s.fwmark !== undefined)
      return [
        {
          path: at,
          message:
            'the SIP persistence engine needs a UDP service: a fwmark service may carry TCP, where the kernel (ip_vs_pe_sip) finds no Call-ID and drops every new connection',
        },
      ];
    const proto = s.protocol ?? 'tcp';
    if (proto !== 'udp')
      return [
        {
          path: at,
          message: `the SIP persistence engine reads the Call-ID from UDP datagrams only: on a ${proto} service the kernel (ip_vs_pe_sip) finds none and drops every new connection; use protocol: udp`,
        },
      ];
    // The engine keys the persistence template on the Call-ID, but without -o the first datagram
    // also leaves a connection entry for the client's address and port, and every later call from
    // that socket follows the entry, not the template (the engine's author pairs it with -o).
    return s.ops
      ? []
      : [
          {
            path: at,
            message:
              'the SIP persistence engine needs ops: true: without one-packet scheduling the connection entry of a client socket carries all its later calls to the first real server',
          },
        ];
  },
};

export const SERVICE_OPTIONS: readonly ServiceOption[] = [flags, persistence, ops, engine];

/** The flags and ops entries always set theirs (key order follows the table: JSON output and goldens). */
type OptionFields = Pick<IpvsService, 'flags' | 'ops'> & Partial<IpvsService>;

/** Every option's ipvsadm arguments, in `ipvsadm -S -n` order. */
export function optionArgs(s: IpvsService): string[] {
  return SERVICE_OPTIONS.flatMap((o) => o.args(s));
}

/** Every option's part of IpvsService from an `-A` line's words. */
export function parseOptions(rest: string[]): OptionFields {
  return Object.assign({}, ...SERVICE_OPTIONS.map((o) => o.parse(rest))) as OptionFields;
}

/** Every option's part of IpvsService from the inventory's service. */
export function modelOptions(s: OptionInput): OptionFields {
  return Object.assign({}, ...SERVICE_OPTIONS.map((o) => o.model(s))) as OptionFields;
}

/** A daemon manager's lines for one service, in table order. */
export function managerLines(manager: ManagerName, s: IpvsService): string[] {
  return SERVICE_OPTIONS.flatMap((o) => o.managers[manager]?.lines(s) ?? []);
}
