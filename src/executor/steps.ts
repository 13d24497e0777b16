// Turn each Change into a shell step: the commands that do it and the commands that undo it.
// Every value is quoted; file contents travel as single-quoted printf arguments (no program runs).
import { command, quote } from '../connection/shell.js';
import { FIREWALL_LOADED, STATE_DIR, sysctlPath } from '../facts/script.js';
import { destArgs, destKey, keyArgs, serviceArgs } from '../model/ipvs.js';
import { type DesiredDaemon, type DesiredRoute, FIREWALL_TABLE, type IpvsService } from '../model/types.js';
import type { Change } from '../planner/changes.js';
import { installStep } from './packages.js';

export interface Step {
  /** Commands; a non-zero exit fails the step. */
  run: string;
  /** Commands that put back what `run` changed (run in reverse order on failure). */
  undo: string;
  /** Undo to run after every other undo (re-reload a daemon once its old config is back). */
  undoLast?: string;
  /** `run` carries a secret: the masked script shows a placeholder instead. */
  secret: boolean;
}

export interface StepOptions {
  /** Seconds to wait for a drained real server's connections to finish before deleting it. */
  drainSeconds: number;
  osFamily: string;
}

const q = quote;
const ipvsadm = (args: string[]) => command(['ipvsadm', ...args]);

function route(r: DesiredRoute): string {
  return [
    r.dst,
    ...(r.via ? ['via', r.via] : []),
    ...(r.dev ? ['dev', r.dev] : []),
    ...(r.table ? ['table', String(r.table)] : []),
  ]
    .map(q)
    .join(' ');
}

/** umask that makes a shell redirect create the file with `mode`, or undefined when chmod is needed. */
function umaskFor(mode: string): string | undefined {
  const m = Number.parseInt(mode, 8);
  if (Number.isNaN(m) || m & 0o7111) return undefined;
  return (0o777 & ~m).toString(8).padStart(4, '0');
}

function fileStep(c: Extract<Change, { kind: 'file' }>, n: number): Step {
  const p = q(c.path);
  const saved = `"$BK/files/${n}"`;
  // The undo may run although its step failed early: it only removes the file when the step
  // recorded that there was none before.
  const absent = `"$BK/files/${n}.absent"`;
  const backup = `if [ -e ${p} ]; then cp -p ${p} ${saved}; else : > ${absent}; fi`;
  const undo = `rm -f ${p}.lvs-new; if [ -e ${saved} ]; then cp -p ${saved} ${p}.lvs-undo && mv -f ${p}.lvs-undo ${p}; elif [ -e ${absent} ]; then rm -f ${p}; fi`;
  const original = `"$LVS_STATE/originals"${q(c.path)}`;
  if (c.action === 'remove' || c.action === 'restore') {
    const put =
      c.action === 'restore'
        ? `cp -p ${original} ${p}.lvs-new && mv -f ${p}.lvs-new ${p} && rm -f ${original}`
        : `rm -f ${p}`;
    return { run: `${backup}\n${put}`, undo, secret: false };
  }
  const dir = c.path.slice(0, c.path.lastIndexOf('/')) || '/';
  // The first time `up` takes over an existing file, keep it so `down` can put it back.
  const keepOriginal =
    c.action === 'create' || c.path.startsWith(`${STATE_DIR}/`)
      ? ''
      : `if [ -e ${p} ] && [ ! -e ${original} ]; then case "$lvs_owned" in *${q(`|${c.path}|`)}*) ;; *) mkdir -p "$LVS_STATE/originals"${q(dir)} && cp -p ${p} ${original} ;; esac; fi\n`;
  const owner =
    c.owner === 'root' && c.group === 'root' ? '' : `chown ${q(`${c.owner}:${c.group}`)} ${p}.lvs-new\n`;
  if (c.metaOnly) {
    return {
      run: `${backup}\n${keepOriginal}chmod ${q(c.mode)} ${p} && chown ${q(`${c.owner}:${c.group}`)} ${p}`,
      undo,
      secret: c.secret,
    };
  }
  const mask = umaskFor(c.mode);
  // A refused file is removed (it may hold a secret) and the failure names the check that refused it.
  // `%s` (a word of its own) is the candidate file.
  const check = c.validate?.render((w) => (w === '%s' ? `${p}.lvs-new` : undefined));
  const shown = c.validate?.argv.map((w) => (w === '%s' ? c.path : w)).join(' ');
  const validate = check
    ? `${check} || { lvs_rc=$?; rm -f ${p}.lvs-new; echo ${q(`validation failed: ${shown} (exit `)}"$lvs_rc"${q(`); ${c.path} not replaced`)} >&2; exit 1; }\n`
    : '';
  // printf is a builtin: no program starts to write the file (each exec is slow under emulation).
  const write = `[ -d ${q(dir)} ] || mkdir -p ${q(dir)}
[ ! -e ${p}.lvs-new ] || rm -f ${p}.lvs-new
umask ${mask ?? '0077'}
printf '%s' ${q(c.after ?? '')} > ${p}.lvs-new
${mask ? '' : `chmod ${q(c.mode)} ${p}.lvs-new\n`}${owner}${validate}mv -f ${p}.lvs-new ${p}`;
  return { run: `${backup}\n${keepOriginal}${write}`, undo, secret: c.secret };
}

/** The commands that create a service with its destinations. */
function serviceCommands(s: IpvsService): string[] {
  return [ipvsadm(serviceArgs(s)), ...s.dests.map((d) => ipvsadm(destArgs(s, d)))];
}

/**
 * The `-E` edits that take a service from `before` to `after` without refusing a connection.
 * Changing the scheduler unbinds the old one and waits for an RCU grace period before binding the
 * new one; a non-persistent service answers a SYN arriving in that window with ICMP port
 * unreachable (the client sees "connection refused"), a persistent one drops it and the client's
 * SYN retransmit lands on the new scheduler. So a non-persistent service is made persistent (1 s)
 * for the switch: measured in the VM lab, 40 scheduler switches under 50 new connections a second
 * refused 23 connections with a plain `-E`, none with the bridge.
 */
export function schedulerBridge(before: IpvsService, after: IpvsService): IpvsService[] {
  if (before.scheduler === after.scheduler || before.persistence || before.ops || after.ops) return [after];
  const bridge = { timeout: 1 };
  const steps = [
    { ...before, persistence: bridge },
    { ...after, persistence: after.persistence ?? bridge },
  ];
  return after.persistence ? steps : [...steps, after];
}

function ipvsStep(c: Extract<Change, { kind: 'ipvs-service' | 'ipvs-dest' }>, o: StepOptions): Step {
  const key = keyArgs(c.service);
  if (c.kind === 'ipvs-service') {
    const remove = ipvsadm(['-D', ...key]);
    if (c.action === 'add') return { run: ipvsadm(serviceArgs(c.service)), undo: remove, secret: false };
    if (c.action === 'edit') {
      const before = c.before ?? c.service;
      const edit = (s: IpvsService) => ipvsadm(serviceArgs(s, '-E'));
      return {
        run: schedulerBridge(before, c.service).map(edit).join('\n'),
        undo: edit(before),
        secret: false,
      };
    }
    return { run: remove, undo: serviceCommands(c.service).join('\n'), secret: false };
  }
  const s = c.service;
  const add = ipvsadm(destArgs(s, c.dest));
  const edit = ipvsadm(destArgs(s, c.dest, '-e'));
  const remove = ipvsadm(['-d', ...key, '-r', destKey(c.dest)]);
  if (c.action === 'add') return { run: add, undo: remove, secret: false };
  if (c.action === 'edit')
    return { run: edit, undo: ipvsadm(destArgs(s, c.before ?? c.dest, '-e')), secret: false };
  const drained = { ...c.dest, weight: 0 };
  return {
    run: `${ipvsadm(destArgs(s, drained, '-e'))}
${command(['lvs_drain', destKey(c.dest), String(o.drainSeconds), ...key])}
${remove}`,
    undo: `${add} 2>/dev/null || ${edit}`,
    secret: false,
  };
}

/**
 * Load (or remove) the one nftables table lvs-deploy owns. The rules file starts with
 * `table …` + `delete table …`, so `nft -f` swaps the whole table in one transaction; the table
 * as it was is kept first, so a failure puts exactly that back. Other tables are never touched.
 */
function firewallStep(c: Extract<Change, { kind: 'firewall' }>, n: number): Step {
  const saved = `"$BK/nft.${n}"`;
  const backup = `nft list table ${FIREWALL_TABLE} > ${saved} 2>/dev/null || rm -f ${saved}`;
  const undo = `if [ -s ${saved} ]; then { echo 'table ${FIREWALL_TABLE}'; echo 'delete table ${FIREWALL_TABLE}'; cat ${saved}; } | nft -f -; else nft delete table ${FIREWALL_TABLE} 2>/dev/null || true; fi`;
  if (c.action === 'remove') {
    return {
      run: `${backup}
nft delete table ${FIREWALL_TABLE}
rm -f ${q(FIREWALL_LOADED)}`,
      undo,
      secret: false,
    };
  }
  return {
    run: `${backup}
nft -f ${q(c.path)}
nft -s list table ${FIREWALL_TABLE} > ${q(FIREWALL_LOADED)}`,
    undo,
    secret: false,
  };
}

// Under systemd, restart rather than start: a package this run installed may have started the
// daemon already with its packaged config (Debian's ldirectord.service starts on install, reading
// the dummy /etc/ha.d/ldirectord.cf); for a stopped daemon the two are the same.
function daemonStart(d: DesiredDaemon): string {
  return `if [ "$lvs_systemd" = yes ]; then systemctl enable ${q(d.unit)} && systemctl restart ${q(d.unit)}; else
  ${d.command.map(q).join(' ')}
  i=0; while [ $i -lt 50 ] && ! { [ -f ${q(d.pidfile)} ] && kill -0 "$(cat ${q(d.pidfile)})" 2>/dev/null; }; do sleep 0.1; i=$((i+1)); done
  kill -0 "$(cat ${q(d.pidfile)} 2>/dev/null)" 2>/dev/null
fi`;
}

export function daemonStop(d: DesiredDaemon): string {
  return `if [ "$lvs_systemd" = yes ]; then systemctl disable --now ${q(d.unit)}; elif [ -f ${q(d.pidfile)} ]; then
  pid=$(cat ${q(d.pidfile)}); kill "$pid" 2>/dev/null || true
  i=0; while [ $i -lt 50 ] && kill -0 "$pid" 2>/dev/null; do sleep 0.1; i=$((i+1)); done
fi`;
}

function daemonReload(d: DesiredDaemon, restart: boolean): string {
  if (restart)
    return `if [ "$lvs_systemd" = yes ]; then systemctl restart ${q(d.unit)}; else\n${daemonStop(d)}\n${daemonStart(d)}\nfi`;
  return `if [ "$lvs_systemd" = yes ]; then systemctl reload ${q(d.unit)}; else kill -HUP "$(cat ${q(d.pidfile)})"; fi`;
}

export function stepFor(c: Change, n: number, o: StepOptions): Step {
  switch (c.kind) {
    case 'package':
      return { run: installStep(o.osFamily, c.names), undo: '', secret: false };
    case 'module':
      return { run: `modprobe ${q(c.name)}`, undo: '', secret: false };
    case 'file':
      return fileStep(c, n);
    case 'sysctl':
      // A redirect into /proc/sys is a builtin; it fails (and so the step) when the key is missing.
      return {
        run: `printf '%s\\n' ${q(c.after)} > ${q(sysctlPath(c.key))}`,
        undo: c.before === null ? '' : `printf '%s\\n' ${q(c.before)} > ${q(sysctlPath(c.key))}`,
        secret: false,
      };
    case 'link':
      return c.action === 'up'
        ? { run: `ip link set ${q(c.name)} up`, undo: `ip link set ${q(c.name)} down`, secret: false }
        : { run: `ip link set ${q(c.name)} down`, undo: `ip link set ${q(c.name)} up`, secret: false };
    case 'address': {
      const a = c.address;
      const add = `ip addr add ${q(a.cidr)} dev ${q(a.dev)}${a.label ? ` label ${q(a.label)}` : ''}`;
      const del = `ip addr del ${q(a.cidr)} dev ${q(a.dev)}`;
      return c.action === 'add'
        ? { run: add, undo: del, secret: false }
        : { run: del, undo: add, secret: false };
    }
    case 'route':
      if (c.action === 'remove')
        return {
          run: `ip route del ${route(c.route)}`,
          undo: `ip route replace ${route(c.route)}`,
          secret: false,
        };
      return {
        run: `ip route replace ${route(c.route)}`,
        undo: c.before ? `ip route replace ${route(c.before)}` : `ip route del ${route(c.route)}`,
        secret: false,
      };
    case 'rule': {
      const r = `from ${q(c.rule.from)} lookup ${c.rule.table} priority ${c.rule.priority}`;
      return c.action === 'add'
        ? { run: `ip rule add ${r}`, undo: `ip rule del ${r}`, secret: false }
        : { run: `ip rule del ${r}`, undo: `ip rule add ${r}`, secret: false };
    }
    case 'ipvs-service':
    case 'ipvs-dest':
      return ipvsStep(c, o);
    case 'firewall':
      return firewallStep(c, n);
    case 'ipvs-timeouts': {
      const set = (t: { tcp: number; tcpfin: number; udp: number }) =>
        ipvsadm(['--set', String(t.tcp), String(t.tcpfin), String(t.udp)]);
      return { run: set(c.after), undo: c.before ? set(c.before) : '', secret: false };
    }
    case 'daemon':
      if (c.action === 'start')
        return { run: daemonStart(c.daemon), undo: daemonStop(c.daemon), secret: false };
      if (c.action === 'stop')
        return { run: daemonStop(c.daemon), undo: daemonStart(c.daemon), secret: false };
      return {
        run: `systemctl enable ${q(c.daemon.unit)}`,
        undo: `systemctl disable ${q(c.daemon.unit)}`,
        secret: false,
      };
    case 'handler': {
      const h = c.handler;
      if (h.action === 'daemon-reload')
        return {
          run: 'systemctl daemon-reload',
          undo: '',
          undoLast: 'systemctl daemon-reload',
          secret: false,
        };
      if (h.action === 'enable')
        return { run: `systemctl enable ${q(h.target ?? '')}`, undo: '', secret: false };
      if (h.action === 'sysctl-system') return { run: 'sysctl -q --system', undo: '', secret: false };
      if (!c.daemon) return { run: 'true', undo: '', secret: false };
      const cmd = daemonReload(c.daemon, h.action === 'restart');
      return { run: cmd, undo: '', undoLast: cmd, secret: false };
    }
  }
}
