// What the drill does on the MASTER, as scripts that undo themselves. The break script first
// writes the undo (a small sh file) and arms a timer that runs it after `undoAfterSecs` in its own
// session, then breaks the MASTER. Whoever comes first runs the undo exactly once (it is renamed
// before it runs): the drill's restore, or the timer if the control node vanished, was stopped
// with Ctrl-C, or lost SSH (in `link` mode the timer *is* the restore: the link carries SSH).
//
// Modes, on a real host:
// - graceful: keepalived is stopped (systemctl stop, or SIGTERM to its pidfile without systemd):
//   it sends a priority-0 advert and removes its VIPs. Undo: start it again.
// - crash: the host goes silent without a goodbye. keepalived and its children are frozen with
//   SIGSTOP (no advert, no VIP removal), and an nft table owned by the drill, `lvs_deploy_drill`
//   (families inet and arp), drops everything in and out of the VRRP interfaces except the SSH
//   port, and ARP for the VRRP addresses. The VIPs stay configured, as on a hung host. Undo: delete
//   both tables, SIGCONT the frozen processes (they resume as MASTER and preempt).
// - link: the VRRP interfaces go down (`ip link set dev IF down`). Undo: set them up and put back
//   the routes through them that were saved first (the kernel drops them with the link).
import {
  DETECT_SYSTEMD,
  FIXED_ENV,
  lines,
  NOTHING,
  raw,
  renderScript,
  SCRIPT_PRELUDE,
  type ShellFragment,
  sh,
} from '../connection/shell.js';
import { STATE_DIR } from '../facts/query.js';
import type { DesiredDaemon } from '../model/types.js';
import type { DrillMode } from './judge.js';

const DRILL_DIR = `${STATE_DIR}/drill`;
const DRILL_TABLE = 'lvs_deploy_drill';

export interface BreakPlan {
  mode: DrillMode;
  daemon: DesiredDaemon;
  /** VRRP interfaces of the MASTER (the instance's, and the NAT gateway's). */
  interfaces: string[];
  /** Every VRRP address (silenced for ARP in crash mode). */
  addresses: string[];
  sshPort: number;
  /** The timer runs the undo after this many seconds. */
  undoAfterSecs: number;
  /** Where the undo and its timer live (tests point it elsewhere); default DRILL_DIR. */
  dir?: string;
}

function startDaemon(d: DesiredDaemon): ShellFragment {
  return sh`if [ "$lvs_systemd" = yes ]; then systemctl start ${d.unit}; else
  ${d.command}
  i=0; while [ $i -lt 50 ] && ! { [ -f ${d.pidfile} ] && kill -0 "$(cat ${d.pidfile})" 2>/dev/null; }; do sleep 0.1; i=$((i+1)); done
fi`;
}

function stopDaemon(d: DesiredDaemon): ShellFragment {
  return sh`if [ "$lvs_systemd" = yes ]; then systemctl stop ${d.unit}; else
  pid=$(cat ${d.pidfile}); kill "$pid"
  i=0; while [ $i -lt 50 ] && kill -0 "$pid" 2>/dev/null; do sleep 0.1; i=$((i+1)); done
fi`;
}

/** The nft ruleset of crash mode (loaded with `nft -f -`). */
export function crashRuleset(p: Pick<BreakPlan, 'interfaces' | 'addresses' | 'sshPort'>): string {
  const ifs = `{ ${p.interfaces.map((i) => `"${i}"`).join(', ')} }`;
  const v4 = p.addresses.filter((a) => !a.includes(':'));
  const arp = v4.length
    ? `table arp ${DRILL_TABLE} {
  chain in { type filter hook input priority -400; policy accept; arp daddr ip { ${v4.join(', ')} } drop; }
  chain out { type filter hook output priority -400; policy accept; arp saddr ip { ${v4.join(', ')} } drop; }
}
`
    : '';
  return `table inet ${DRILL_TABLE} {
  chain pre { type filter hook prerouting priority -400; policy accept; iifname ${ifs} tcp dport ${p.sshPort} accept; iifname ${ifs} icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept; iifname ${ifs} drop; }
  chain post { type filter hook postrouting priority -400; policy accept; oifname ${ifs} tcp sport ${p.sshPort} accept; oifname ${ifs} icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept; oifname ${ifs} drop; }
}
${arp}`;
}

/** The undo file's text for a mode (run with sh, so it carries its own PATH and systemd test). */
export function undoText(p: BreakPlan): string {
  return undoFragment(p).render();
}

function undoFragment(p: BreakPlan): ShellFragment {
  const head = sh`${raw(FIXED_ENV)}\n${raw(DETECT_SYSTEMD)}\nD=${p.dir ?? DRILL_DIR}`;
  if (p.mode === 'graceful') return sh`${head}\n${startDaemon(p.daemon)}\n`;
  if (p.mode === 'crash')
    return sh`${head}
nft delete table inet ${DRILL_TABLE} 2>/dev/null
nft delete table arp ${DRILL_TABLE} 2>/dev/null
for p in $(cat "$D/frozen.pids" 2>/dev/null); do kill -CONT "$p" 2>/dev/null; done
`;
  return sh`${head}
${lines(
  p.interfaces.map(
    (i) => sh`ip link set dev ${i} up
while read -r r; do ip route replace $r dev ${i} 2>/dev/null; done < "$D"/routes.${i}`,
  ),
)}
`;
}

function breakText(p: BreakPlan): ShellFragment {
  if (p.mode === 'graceful') return stopDaemon(p.daemon);
  if (p.mode === 'crash') {
    return sh`main=$(cat ${p.daemon.pidfile})
{ echo "$main"; pgrep -P "$main"; } > "$D/frozen.pids"
nft -f - <<'LVS_DRILL_NFT'
${raw(crashRuleset(p))}LVS_DRILL_NFT
for p in $(cat "$D/frozen.pids"); do kill -STOP "$p"; done
# SIGSTOP takes effect when the process next runs: "armed" means frozen, so wait (<= 5 s) for T.
for p in $(cat "$D/frozen.pids"); do n=0
  until grep -q '^State:[[:space:]]*T' /proc/"$p"/status 2>/dev/null || [ ! -d /proc/"$p" ] || [ $n -ge 50 ]; do n=$((n+1)); sleep 0.1; done
done`;
  }
  // The link may carry this SSH session: take it down a moment after the script has answered.
  const save = lines(p.interfaces.map((i) => sh`ip route show dev ${i} > "$D"/routes.${i}`));
  const down = lines(
    p.interfaces.map((i) => sh`ip link set dev ${i} down`),
    '; ',
  );
  return sh`${save}
setsid sh -c ${sh`sleep 0.5; ${down}`.render()} </dev/null >/dev/null 2>&1 &`;
}

/** Break the MASTER, after arming its own undo. Prints `==>drill:armed` or why it did not. */
export function breakScript(p: BreakPlan): string {
  const timer = `sleep "$1"; if mv "$2/undo.sh" "$2/undo.run" 2>/dev/null; then sh "$2/undo.run" > "$2/undo.log" 2>&1; rm -f "$2/undo.run"; fi`;
  const crashNeeds =
    p.mode === 'crash'
      ? sh`command -v nft >/dev/null 2>&1 || { echo '==>drill:missing nft (crash mode needs nftables)'; exit 4; }
[ -s ${p.daemon.pidfile} ] || { echo ${`==>drill:missing keepalived pidfile ${p.daemon.pidfile}`}; exit 4; }
`
      : NOTHING;
  const body = sh`${raw(DETECT_SYSTEMD)}
D=${p.dir ?? DRILL_DIR}
mkdir -p "$D"
if [ -f "$D/undo.sh" ] || [ -f "$D/undo.run" ]; then echo '==>drill:pending an earlier drill has not been undone yet'; exit 3; fi
${crashNeeds}printf '%s\\n' ${undoFragment(p).render()} > "$D/undo.sh"
setsid sh -c ${timer} lvs-drill-timer ${p.undoAfterSecs} "$D" </dev/null >/dev/null 2>&1 &
echo $! > "$D/timer.pid"
set -e
${breakText(p)}
echo "==>drill:armed $(date +%s%3N)"
`;
  return renderScript(body, { strict: false }).script;
}

/** Undo now (idempotent: does nothing when the timer already did), and disarm the timer. */
export function restoreScript(dir = DRILL_DIR): string {
  const body = sh`D=${dir}
if [ -f "$D/timer.pid" ]; then kill "$(cat "$D/timer.pid")" 2>/dev/null; rm -f "$D/timer.pid"; fi
if mv "$D/undo.sh" "$D/undo.run" 2>/dev/null; then sh "$D/undo.run" > "$D/undo.log" 2>&1; rm -f "$D/undo.run"; fi
echo '==>drill:restored'
`;
  return renderScript(body, { strict: false }).script;
}

/** Addresses and links of a director, parsed by `parseHolding`. */
export const HOLDING_SCRIPT = `${SCRIPT_PRELUDE}
ip -o addr show
ip -o link show
if command -v ipvsadm >/dev/null 2>&1; then ipvsadm -L --daemon 2>/dev/null | sed 's/^/syncd /'; fi
`;

/**
 * HOLDING_SCRIPT plus the ESTABLISHED IPVS entries (read once, before the break: with sync on and
 * persistence the table runs to thousands of lines, too slow to list on every read).
 */
export const HOLDING_AND_CONNS_SCRIPT = `${HOLDING_SCRIPT}if command -v ipvsadm >/dev/null 2>&1; then ipvsadm -L -n -c 2>/dev/null | awk '$3 == "ESTABLISHED" {print "conn", $0}'; fi
`;

export interface Holding {
  addresses: Set<string>;
  /** MAC per interface name. */
  macs: Map<string, string>;
  /** IPVS sync daemons running: `master`, `backup`. */
  syncDaemons: string[];
  connections: { state: string; virtual: string }[];
}

export function parseHolding(out: string): Holding {
  const addresses = new Set<string>();
  const macs = new Map<string, string>();
  const syncDaemons: string[] = [];
  const connections: Holding['connections'] = [];
  for (const line of out.split('\n')) {
    const d = /^syncd (master|backup) sync daemon/.exec(line);
    if (d?.[1]) syncDaemons.push(d[1]);
    // conn TCP 14:59  ESTABLISHED 192.168.100.30:45678 192.168.100.9:80 192.168.100.20:80
    const c = /^conn \S+\s+\S+\s+(\S+)\s+\S+\s+(\S+)\s+\S+/.exec(line);
    if (c?.[1] && c[2] && c[1] !== 'state') connections.push({ state: c[1], virtual: c[2] });
    const a = /^\d+:\s+(\S+)\s+inet6?\s+([^/\s]+)/.exec(line);
    if (a?.[2]) addresses.add(a[2]);
    const l = /^\d+:\s+([^:@\s]+)[@:].*link\/ether\s+([0-9a-f:]{17})/.exec(line);
    if (l?.[1] && l[2]) macs.set(l[1], l[2]);
  }
  return { addresses, macs, syncDaemons, connections };
}

/** The client's neighbour entries for the VIPs and its clock (ms), parsed by `parseNeighbours`. */
export function neighbourScript(addresses: string[]): string {
  const body = sh`for a in ${addresses}; do printf 'neigh %s %s\\n' "$a" "$(ip neigh show to "$a" | sed -n 's/.* lladdr \\([0-9a-f:]*\\).*/\\1/p' | head -n 1)"; done
echo "clock $(date +%s%3N)"
`;
  return renderScript(body, { strict: false }).script;
}

export function parseNeighbours(out: string): { macs: Map<string, string>; clock?: number } {
  const macs = new Map<string, string>();
  let clock: number | undefined;
  for (const line of out.split('\n')) {
    const w = line.trim().split(/\s+/);
    if (w[0] === 'neigh' && w[1] && w[2]) macs.set(w[1], w[2]);
    if (w[0] === 'clock') clock = Number(w[1]);
  }
  return clock === undefined ? { macs } : { macs, clock };
}
