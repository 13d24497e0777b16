// POSIX sh scripts that build and tear down a lab topology: a switch namespace with one bridge
// per segment, one namespace per host, a control namespace with a leg on every segment.
// The VM lab runs the same up script inside its guest, with `uplinks` instead of control legs.
import { lines, NOTHING, raw, type ShellFragment, sh } from '../connection/shell.js';
import { hostInitScript } from './host-init.js';
import type { LabHost, LabSpec } from './spec.js';

export interface LabScriptOptions {
  /** Lab state dir: id_ed25519.pub, hostkeys/<host>. Read inside the hosts. */
  stateDir: string;
  /** Writable dir for pids/ and logs/ (default: stateDir). Must not lie under /run or /tmp. */
  runDir?: string;
  /** Segment name -> existing interface to move into the switch namespace (VM guest NICs). */
  uplinks?: Record<string, string>;
  /** Seconds the up script waits for every host to report ready (default 20). */
  readyTimeout?: number;
}

// Names go into `ip -batch` lines unquoted (ip has its own tokenizer): allow only plain tokens.
const SAFE = /^[A-Za-z0-9_.:/@-]+$/;

function safe(value: string, what: string): string {
  if (!SAFE.test(value)) throw new Error(`lab: unsafe ${what} for a lab script: ${JSON.stringify(value)}`);
  return value;
}

/** A heredoc feeding `ip [-n NS] -batch -`; quoted delimiter so the shell expands nothing. */
function ipBatch(ns: string | undefined, batch: string[]): ShellFragment {
  if (batch.length === 0) return NOTHING;
  const head = ns ? sh`ip -n ${ns} -batch - <<'LVS_EOF'` : raw(`ip -batch - <<'LVS_EOF'`);
  // The heredoc's lines are ip's input, not shell: its delimiter is quoted.
  return lines([head, ...batch.map(raw), raw('LVS_EOF')]);
}

function addrLines(dev: string, cidrs: string[]): string[] {
  // nodad: an IPv6 address in DAD is not bindable yet and sshd would fail to listen.
  return cidrs.map((c) => `addr add ${safe(c, 'address')} dev ${dev}${c.includes(':') ? ' nodad' : ''}`);
}

function hasControl(spec: LabSpec, opts: LabScriptOptions): boolean {
  return spec.segments.some((s) => !opts.uplinks?.[s.name]);
}

/** Every namespace the lab creates (down also sweeps the prefix for leftovers). */
export function labNamespaces(spec: LabSpec, opts: Pick<LabScriptOptions, 'uplinks'> = {}): string[] {
  const ctl = hasControl(spec, opts as LabScriptOptions) ? [spec.controlNs] : [];
  return [spec.switchNs, ...ctl, ...spec.hosts.map((h) => h.namespace)];
}

function switchLines(spec: LabSpec, opts: LabScriptOptions): string[] {
  const lines = ['link set lo up'];
  for (const seg of spec.segments) {
    const br = safe(seg.bridge, 'bridge');
    lines.push(
      `link add ${br} type bridge forward_delay 0 stp_state 0 mcast_snooping 0`,
      `link set ${br} up`,
    );
  }
  const bridgeOf = (segment: string) => spec.segments.find((s) => s.name === segment)?.bridge as string;
  for (const h of spec.hosts) {
    for (const i of h.interfaces) {
      const port = safe(i.switchPort, 'interface');
      lines.push(
        `link add ${port} type veth peer name ${safe(i.name, 'interface')} netns ${safe(h.namespace, 'namespace')}`,
      );
      lines.push(`link set ${port} master ${bridgeOf(i.segment)} up`);
    }
  }
  for (const leg of spec.control) {
    const uplink = opts.uplinks?.[leg.segment];
    if (uplink) {
      lines.push(`link set ${safe(uplink, 'interface')} master ${bridgeOf(leg.segment)} up`);
      continue;
    }
    lines.push(
      `link add ${safe(leg.switchPort, 'interface')} type veth peer name ${safe(leg.name, 'interface')} netns ${spec.controlNs}`,
    );
    lines.push(`link set ${leg.switchPort} master ${bridgeOf(leg.segment)} up`);
  }
  return lines;
}

function controlLines(spec: LabSpec, opts: LabScriptOptions): string[] {
  const lines = ['link set lo up'];
  for (const leg of spec.control) {
    if (opts.uplinks?.[leg.segment]) continue;
    lines.push(...addrLines(leg.name, leg.cidrs), `link set ${leg.name} up`);
  }
  return lines;
}

// A new network namespace copies IPv4 settings from this machine's root namespace
// (net.core.devconf_inherit_init_net = 0): a root with ip_forward = 1 (left on by libvirt's NAT
// network, say) would make every lab host a router before `up` ran. Set them, don't inherit them.
// `default` before the veths arrive, so every interface starts from these values too.
export const LAB_HOST_SYSCTLS: Readonly<Record<string, string>> = {
  'net.ipv4.ip_forward': '0',
  'net.ipv4.conf.all.forwarding': '0',
  'net.ipv4.conf.default.forwarding': '0',
  'net.ipv6.conf.all.forwarding': '0',
  'net.ipv6.conf.default.forwarding': '0',
  'net.ipv4.conf.all.arp_ignore': '0',
  'net.ipv4.conf.default.arp_ignore': '0',
  'net.ipv4.conf.all.arp_announce': '0',
  'net.ipv4.conf.default.arp_announce': '0',
};

function hostSysctls(spec: LabSpec): ShellFragment {
  const settings = Object.entries(LAB_HOST_SYSCTLS).map(([k, v]) => `${k}=${v}`);
  const namespaces = spec.hosts.map((h) => safe(h.namespace, 'namespace'));
  // -e: a kernel without IPv6 has no net.ipv6 keys; the rest still applies.
  return sh`for ns in ${namespaces}; do ip netns exec "$ns" sysctl -q -e -w ${settings} >/dev/null; done`;
}

/** Addresses, then the anchor in fresh mount + UTS namespaces; detached so `up` can return. */
function hostBlock(spec: LabSpec, host: LabHost, stateDir: string, runDir: string): ShellFragment {
  const net = ['link set lo up'];
  for (const i of host.interfaces)
    net.push(...addrLines(safe(i.name, 'interface'), i.cidrs), `link set ${i.name} up`);
  const init = hostInitScript(spec, host, stateDir, runDir);
  const log = `${runDir}/logs/${host.name}-init.log`;
  return lines([
    raw('('),
    ipBatch(host.namespace, net),
    sh`setsid ip netns exec ${host.namespace} unshare --mount --uts --propagation private sh -c ${init} lvs-lab-host </dev/null >${log} 2>&1 &`,
    raw(') &'),
  ]);
}

/** Poll for every host's ready/failed marker; print the failures with their init logs. */
function waitBody(names: string[], timeout: number): ShellFragment {
  return lines(
    [
      'lvs_wait=0',
      'while :; do',
      "  pending=0; failed=''",
      sh`  for h in ${names}; do`,
      '    if [ -e "$R/pids/$h.failed" ]; then failed="$failed $h"',
      '    elif [ ! -e "$R/pids/$h.ready" ]; then pending=$((pending + 1)); fi',
      '  done',
      '  if [ -n "$failed" ]; then',
      '    for h in $failed; do echo "lab: host $h failed to start:" >&2; cat "$R/logs/$h-init.log" >&2; done',
      '    exit 1',
      '  fi',
      '  [ "$pending" -eq 0 ] && break',
      '  lvs_wait=$((lvs_wait + 1))',
      sh`  if [ "$lvs_wait" -gt ${Math.ceil(timeout * 20)} ]; then echo "lab: $pending host(s) not ready after ${timeout} s" >&2; exit 1; fi`,
      '  sleep 0.05',
      'done',
    ].map((l) => (typeof l === 'string' ? raw(l) : l)),
  );
}

export function labUpScript(spec: LabSpec, opts: LabScriptOptions): string {
  const runDir = opts.runDir ?? opts.stateDir;
  const namespaces = labNamespaces(spec, opts).map((ns) => `netns add ${safe(ns, 'namespace')}`);
  const uplinkMoves = Object.values(opts.uplinks ?? {}).map(
    (ifname) => `link set ${safe(ifname, 'interface')} netns ${spec.switchNs}`,
  );
  return script([
    '#!/bin/sh',
    raw(`# lvs-deploy lab up: ${spec.name.replace(/[^\w.-]/g, '_')} (generated)`),
    'set -eu',
    sh`R=${runDir}`,
    'rm -rf "$R/pids"',
    'mkdir -p "$R/pids" "$R/logs"',
    // Parallel `ip netns add` races creating the /run/netns mount: make it a shared mount first.
    'mkdir -p /run/netns',
    'mount --make-shared /run/netns 2>/dev/null || { mount --bind /run/netns /run/netns && mount --make-shared /run/netns; }',
    ipBatch(undefined, namespaces),
    hostSysctls(spec),
    ipBatch(undefined, uplinkMoves),
    ipBatch(spec.switchNs, switchLines(spec, opts)),
    hasControl(spec, opts) ? ipBatch(spec.controlNs, controlLines(spec, opts)) : NOTHING,
    ...spec.hosts.map((h) => hostBlock(spec, h, opts.stateDir, runDir)),
    'wait',
    waitBody(
      spec.hosts.map((h) => h.name),
      opts.readyTimeout ?? 20,
    ),
  ]);
}

/** Lines of a script (string lines are our own shell text), empty parts dropped. */
function script(parts: (string | ShellFragment)[]): string {
  return lines(
    parts.map((p) => (typeof p === 'string' ? raw(p) : p)).filter((f) => f.render() !== ''),
  ).render();
}

/**
 * Kill every process in the lab's namespaces (the anchors, sshds and responders recorded in
 * pids/, plus anything started through their sshd), then delete the namespaces: their
 * veths, bridges and private mounts go with them. Works after a partial up.
 */
export function labDownScript(spec: Pick<LabSpec, 'id'>, opts: LabScriptOptions): string {
  const runDir = opts.runDir ?? opts.stateDir;
  const prefix = `lvs-${safe(spec.id, 'lab id')}-`;
  return `${script([
    '#!/bin/sh',
    'set -u',
    sh`R=${runDir}`,
    sh`lvs_ns=$(ip netns list 2>/dev/null | while read -r n _; do case "$n" in ${prefix}*) echo "$n";; esac; done)`,
    "pids=''",
    'for n in $lvs_ns; do pids="$pids $(ip netns pids "$n" 2>/dev/null | tr \'\\n\' \' \')"; done',
    'pids=$(echo $pids)',
    'if [ -n "$pids" ]; then',
    '  kill -TERM $pids 2>/dev/null',
    '  i=0',
    '  while [ $i -lt 40 ]; do',
    "    alive=''",
    // A zombie counts as gone: its parent (often a slow-reaping PID 1) may collect it late.
    '    for p in $pids; do { read -r st < "/proc/$p/stat"; } 2>/dev/null || continue; case "$st" in *\') Z \'*) ;; *) alive="$alive $p";; esac; done',
    '    [ -z "$alive" ] && break',
    '    i=$((i + 1)); sleep 0.05',
    '  done',
    '  [ -n "$alive" ] && kill -KILL $alive 2>/dev/null',
    'fi',
    'for n in $lvs_ns; do echo "netns del $n"; done | ip -force -batch - 2>/dev/null',
    'rm -rf "$R/pids"',
    'exit 0',
  ])}\n`;
}
