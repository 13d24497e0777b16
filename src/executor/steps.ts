// Turn each Change into a shell step: the commands that do it and the commands that undo it.
// Every value is quoted; file contents travel as single-quoted printf arguments (no program runs).
import { lines, NOTHING, quote, raw, type ShellFragment, sh } from '../connection/shell.js';
import { FIREWALL_LOADED, STATE_DIR, sysctlPath } from '../facts/script.js';
import { SecretText } from '../inventory/secrets.js';
import { destArgs, destKey, keyArgs, serviceArgs } from '../model/ipvs.js';
import { SERVICE_OPTIONS } from '../model/service-options.js';
import { type DesiredDaemon, type DesiredRoute, FIREWALL_TABLE, type IpvsService } from '../model/types.js';
import type { Change } from '../planner/changes.js';
import { installStep } from './packages.js';

export interface Step {
  /**
   * Commands; a non-zero exit fails the step. Built with `sh`: a file's content that holds a
   * secret stays masked in --debug. A string is taken as trusted shell text.
   */
  run: string | ShellFragment;
  /** Commands that put back what `run` changed (run in reverse order on failure). */
  undo: string;
  /** Undo to run after every other undo (re-reload a daemon once its old config is back). */
  undoLast?: string;
  /** The change holds a secret (see `run`). */
  secret: boolean;
}

export interface StepOptions {
  /** Seconds to wait for a drained real server's connections to finish before deleting it. */
  drainSeconds: number;
  osFamily: string;
  /** Secret values the inventory holds: masked wherever a file holding one is shown. */
  secrets?: readonly string[];
}

const q = quote;
const ipvsadm = (args: string[]) => sh`ipvsadm ${args}`;
// `inet lvs_deploy`: family and name, two words.
const TABLE = FIREWALL_TABLE.split(' ');

function route(r: DesiredRoute): string[] {
  return [
    r.dst,
    ...(r.via ? ['via', r.via] : []),
    ...(r.dev ? ['dev', r.dev] : []),
    ...(r.table ? ['table', String(r.table)] : []),
  ];
}

/** umask that makes a shell redirect create the file with `mode`, or undefined when chmod is needed. */
function umaskFor(mode: string): string | undefined {
  const m = Number.parseInt(mode, 8);
  if (Number.isNaN(m) || m & 0o7111) return undefined;
  return (0o777 & ~m).toString(8).padStart(4, '0');
}

function fileStep(c: Extract<Change, { kind: 'file' }>, n: number, o: StepOptions): Step {
  const p = c.path;
  const saved = sh`"$BK/files/${n}"`;
  // The undo may run although its step failed early: it only removes the file when the step
  // recorded that there was none before.
  const absent = sh`"$BK/files/${n}.absent"`;
  const backup = sh`if [ -e ${p} ]; then cp -p ${p} ${saved}; else : > ${absent}; fi`;
  const undo = sh`rm -f ${p}.lvs-new; if [ -e ${saved} ]; then cp -p ${saved} ${p}.lvs-undo && mv -f ${p}.lvs-undo ${p}; elif [ -e ${absent} ]; then rm -f ${p}; fi`;
  const original = sh`"$LVS_STATE/originals"${p}`;
  if (c.action === 'remove' || c.action === 'restore') {
    const put =
      c.action === 'restore'
        ? sh`cp -p ${original} ${p}.lvs-new && mv -f ${p}.lvs-new ${p} && rm -f ${original}`
        : sh`rm -f ${p}`;
    return { run: sh`${backup}\n${put}`, undo: undo.render(), secret: false };
  }
  const dir = c.path.slice(0, c.path.lastIndexOf('/')) || '/';
  // The first time `up` takes over an existing file, keep it so `down` can put it back.
  const keepOriginal =
    c.action === 'create' || c.path.startsWith(`${STATE_DIR}/`)
      ? NOTHING
      : sh`if [ -e ${p} ] && [ ! -e ${original} ]; then case "$lvs_owned" in *${`|${p}|`}*) ;; *) mkdir -p "$LVS_STATE/originals"${dir} && cp -p ${p} ${original} ;; esac; fi\n`;
  const owner =
    c.owner === 'root' && c.group === 'root' ? NOTHING : sh`chown ${`${c.owner}:${c.group}`} ${p}.lvs-new\n`;
  if (c.metaOnly) {
    return {
      run: sh`${backup}\n${keepOriginal}chmod ${c.mode} ${p} && chown ${`${c.owner}:${c.group}`} ${p}`,
      undo: undo.render(),
      secret: c.secret,
    };
  }
  const mask = umaskFor(c.mode);
  // A refused file is removed (it may hold a secret) and the failure names the check that refused it.
  // `%s` (a word of its own) is the candidate file; the command is the role's argv (ShellCommand).
  const check = c.validate?.render((w) => (w === '%s' ? `${q(p)}.lvs-new` : undefined));
  const shown = c.validate?.argv.map((w) => (w === '%s' ? c.path : w)).join(' ');
  const validate = check
    ? sh`${raw(check)} || { lvs_rc=$?; rm -f ${p}.lvs-new; echo ${`validation failed: ${shown} (exit `}"$lvs_rc"${`); ${c.path} not replaced`} >&2; exit 1; }\n`
    : NOTHING;
  // printf is a builtin: no program starts to write the file (each exec is slow under emulation).
  const content = c.secret ? new SecretText(c.after ?? '', o.secrets) : (c.after ?? '');
  const write = sh`[ -d ${dir} ] || mkdir -p ${dir}
[ ! -e ${p}.lvs-new ] || rm -f ${p}.lvs-new
umask ${mask ?? '0077'}
printf '%s' ${content} > ${p}.lvs-new
${mask ? NOTHING : sh`chmod ${c.mode} ${p}.lvs-new\n`}${owner}${validate}mv -f ${p}.lvs-new ${p}`;
  return { run: sh`${backup}\n${keepOriginal}${write}`, undo: undo.render(), secret: c.secret };
}

/** The commands that create a service with its destinations. */
function serviceCommands(s: IpvsService): ShellFragment[] {
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
  if (before.scheduler === after.scheduler || SERVICE_OPTIONS.some((o) => o.noBridge?.(before, after)))
    return [after];
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
    if (c.action === 'add')
      return { run: ipvsadm(serviceArgs(c.service)), undo: remove.render(), secret: false };
    if (c.action === 'edit') {
      const before = c.before ?? c.service;
      const edit = (s: IpvsService) => ipvsadm(serviceArgs(s, '-E'));
      return {
        run: lines(schedulerBridge(before, c.service).map(edit)),
        undo: edit(before).render(),
        secret: false,
      };
    }
    return { run: remove, undo: lines(serviceCommands(c.service)).render(), secret: false };
  }
  const s = c.service;
  const add = ipvsadm(destArgs(s, c.dest));
  const edit = ipvsadm(destArgs(s, c.dest, '-e'));
  const remove = ipvsadm(['-d', ...key, '-r', destKey(c.dest)]);
  if (c.action === 'add') return { run: add, undo: remove.render(), secret: false };
  if (c.action === 'edit')
    return { run: edit, undo: ipvsadm(destArgs(s, c.before ?? c.dest, '-e')).render(), secret: false };
  const drained = { ...c.dest, weight: 0 };
  return {
    run: sh`${ipvsadm(destArgs(s, drained, '-e'))}
lvs_drain ${destKey(c.dest)} ${o.drainSeconds} ${key}
${remove}`,
    undo: sh`${add} 2>/dev/null || ${edit}`.render(),
    secret: false,
  };
}

/**
 * Load (or remove) the one nftables table lvs-deploy owns. The rules file starts with
 * `table …` + `delete table …`, so `nft -f` swaps the whole table in one transaction; the table
 * as it was is kept first, so a failure puts exactly that back. Other tables are never touched.
 */
function firewallStep(c: Extract<Change, { kind: 'firewall' }>, n: number): Step {
  const saved = sh`"$BK/nft.${n}"`;
  const backup = sh`nft list table ${TABLE} > ${saved} 2>/dev/null || rm -f ${saved}`;
  const undo =
    sh`if [ -s ${saved} ]; then { echo ${`table ${FIREWALL_TABLE}`}; echo ${`delete table ${FIREWALL_TABLE}`}; cat ${saved}; } | nft -f -; else nft delete table ${TABLE} 2>/dev/null || true; fi`.render();
  if (c.action === 'remove') {
    return {
      run: sh`${backup}
nft delete table ${TABLE}
rm -f ${FIREWALL_LOADED}`,
      undo,
      secret: false,
    };
  }
  return {
    run: sh`${backup}
nft -f ${c.path}
nft -s list table ${TABLE} > ${FIREWALL_LOADED}`,
    undo,
    secret: false,
  };
}

// Under systemd, restart rather than start: a package this run installed may have started the
// daemon already with its packaged config (Debian's ldirectord.service starts on install, reading
// the dummy /etc/ha.d/ldirectord.cf); for a stopped daemon the two are the same.
function daemonStart(d: DesiredDaemon): ShellFragment {
  return sh`if [ "$lvs_systemd" = yes ]; then systemctl enable ${d.unit} && systemctl restart ${d.unit}; else
  ${d.command}
  i=0; while [ $i -lt 50 ] && ! { [ -f ${d.pidfile} ] && kill -0 "$(cat ${d.pidfile})" 2>/dev/null; }; do sleep 0.1; i=$((i+1)); done
  kill -0 "$(cat ${d.pidfile} 2>/dev/null)" 2>/dev/null
fi`;
}

export function daemonStop(d: DesiredDaemon): ShellFragment {
  return sh`if [ "$lvs_systemd" = yes ]; then systemctl disable --now ${d.unit}; elif [ -f ${d.pidfile} ]; then
  pid=$(cat ${d.pidfile}); kill "$pid" 2>/dev/null || true
  i=0; while [ $i -lt 50 ] && kill -0 "$pid" 2>/dev/null; do sleep 0.1; i=$((i+1)); done
fi`;
}

function daemonReload(d: DesiredDaemon, restart: boolean): ShellFragment {
  if (restart)
    return sh`if [ "$lvs_systemd" = yes ]; then systemctl restart ${d.unit}; else\n${daemonStop(d)}\n${daemonStart(d)}\nfi`;
  return sh`if [ "$lvs_systemd" = yes ]; then systemctl reload ${d.unit}; else kill -HUP "$(cat ${d.pidfile})"; fi`;
}

/** A step that holds no secret; `undo`/`undoLast` are kept as text (written into undo files). */
function step(run: ShellFragment, undo: ShellFragment = NOTHING, undoLast?: ShellFragment): Step {
  return { run, undo: undo.render(), ...(undoLast ? { undoLast: undoLast.render() } : {}), secret: false };
}

export function stepFor(c: Change, n: number, o: StepOptions): Step {
  switch (c.kind) {
    case 'package':
      return { run: installStep(o.osFamily, c.names), undo: '', secret: false };
    case 'module':
      return step(sh`modprobe ${c.name}`);
    case 'file':
      return fileStep(c, n, o);
    case 'sysctl':
      // A redirect into /proc/sys is a builtin; it fails (and so the step) when the key is missing.
      return step(
        sh`printf '%s\\n' ${c.after} > ${sysctlPath(c.key)}`,
        c.before === null ? NOTHING : sh`printf '%s\\n' ${c.before} > ${sysctlPath(c.key)}`,
      );
    case 'link':
      return c.action === 'up'
        ? step(sh`ip link set ${c.name} up`, sh`ip link set ${c.name} down`)
        : step(sh`ip link set ${c.name} down`, sh`ip link set ${c.name} up`);
    case 'address': {
      const a = c.address;
      // nodad: a tentative IPv6 address is not usable yet (the DR /128 on lo, a static VIP).
      const nodad = a.cidr.includes(':') ? raw(' nodad') : NOTHING;
      const add = sh`ip addr add ${a.cidr} dev ${a.dev}${a.label ? sh` label ${a.label}` : NOTHING}${nodad}`;
      const del = sh`ip addr del ${a.cidr} dev ${a.dev}`;
      return c.action === 'add' ? step(add, del) : step(del, add);
    }
    case 'route':
      if (c.action === 'remove')
        return step(sh`ip route del ${route(c.route)}`, sh`ip route replace ${route(c.route)}`);
      return step(
        sh`ip route replace ${route(c.route)}`,
        c.before ? sh`ip route replace ${route(c.before)}` : sh`ip route del ${route(c.route)}`,
      );
    case 'rule': {
      const r = sh`from ${c.rule.from} lookup ${c.rule.table} priority ${c.rule.priority}`;
      return c.action === 'add'
        ? step(sh`ip rule add ${r}`, sh`ip rule del ${r}`)
        : step(sh`ip rule del ${r}`, sh`ip rule add ${r}`);
    }
    case 'ipvs-service':
    case 'ipvs-dest':
      return ipvsStep(c, o);
    case 'firewall':
      return firewallStep(c, n);
    case 'ipvs-timeouts': {
      const set = (t: { tcp: number; tcpfin: number; udp: number }) =>
        ipvsadm(['--set', ...[t.tcp, t.tcpfin, t.udp].map(String)]);
      return step(set(c.after), c.before ? set(c.before) : NOTHING);
    }
    case 'daemon':
      if (c.action === 'start') return step(daemonStart(c.daemon), daemonStop(c.daemon));
      if (c.action === 'stop') return step(daemonStop(c.daemon), daemonStart(c.daemon));
      return step(sh`systemctl enable ${c.daemon.unit}`, sh`systemctl disable ${c.daemon.unit}`);
    case 'handler': {
      const h = c.handler;
      if (h.action === 'daemon-reload')
        return step(raw('systemctl daemon-reload'), NOTHING, raw('systemctl daemon-reload'));
      if (h.action === 'enable') return step(sh`systemctl enable ${h.target ?? ''}`);
      if (h.action === 'sysctl-system') return step(raw('sysctl -q --system'));
      if (!c.daemon) return step(raw('true'));
      const cmd = daemonReload(c.daemon, h.action === 'restart');
      return step(cmd, NOTHING, cmd);
    }
  }
}
