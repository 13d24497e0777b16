// The disruption class of a change: what established and new connections go through when it is
// applied. `plan` prints it per change and the worst one per host (keepalived #2240: a reload can
// cost ~1 s of traffic, and users could not tell in advance).
//   live     — no connection affected (an IPVS edit, a sysctl, a file nobody re-reads yet)
//   reload   — a daemon re-reads its config, or the kernel swaps a service's scheduler;
//              established connections are kept, a new one may be refused for a moment
//   restart  — a daemon is (re)started
//   breaking — connections are lost or traffic moves: a real server or service deleted, a
//              forwarding-method change, a VIP or route taken away, a daemon stopped
import type { Change } from './changes.js';

export type DisruptionClass = 'live' | 'reload' | 'restart' | 'breaking';

const CLASS_ORDER: readonly DisruptionClass[] = ['live', 'reload', 'restart', 'breaking'];

export function changeClass(c: Change): DisruptionClass {
  switch (c.kind) {
    case 'package':
    case 'module':
    case 'file':
    case 'sysctl':
    case 'firewall':
    // ipvsadm --set: new timeouts apply to connections as their state changes; none is cut.
    case 'ipvs-timeouts':
      return 'live';
    case 'link':
      return c.action === 'down' ? 'breaking' : 'live';
    case 'address':
      // A VIP leaving a director or a DR real server's lo: its traffic has nowhere to go.
      return c.action === 'remove' ? 'breaking' : 'live';
    case 'route':
      // A new default gateway sends replies of established connections another way.
      return c.action === 'remove' || c.before !== undefined ? 'breaking' : 'live';
    case 'rule':
      return c.action === 'remove' ? 'breaking' : 'live';
    case 'ipvs-service':
      if (c.action === 'remove') return 'breaking';
      // ipvsadm -E with another scheduler: the kernel (ip_vs_edit_service) unbinds the old one and
      // waits out an RCU grace period before binding the new one; a SYN in that moment finds no
      // scheduler and is answered ICMP port unreachable ("Connection refused"). Seen once in 600
      // requests on real IPVS (test/vm/live.test.ts).
      return c.action === 'edit' && c.before && c.before.scheduler !== c.service.scheduler
        ? 'reload'
        : 'live';
    case 'ipvs-dest':
      // drain+delete: connections still open after --drain-timeout are cut.
      if (c.action === 'drain') return 'breaking';
      return c.action === 'edit' && c.before && c.before.forwarding !== c.dest.forwarding
        ? 'breaking'
        : 'live';
    case 'daemon':
      return c.action === 'stop' ? 'breaking' : c.action === 'start' ? 'restart' : 'live';
    case 'handler':
      return c.handler.action === 'reload' ? 'reload' : c.handler.action === 'restart' ? 'restart' : 'live';
  }
}

export function worstClass(classes: DisruptionClass[]): DisruptionClass | null {
  let worst = -1;
  for (const k of classes) worst = Math.max(worst, CLASS_ORDER.indexOf(k));
  return CLASS_ORDER[worst] ?? null;
}

/** One line per host: `reload (1 reload, 4 live)`; null when nothing changes. */
export function disruptionSummary(changes: Change[]): string | null {
  const classes = changes.map(changeClass);
  const worst = worstClass(classes);
  if (!worst) return null;
  const counts = [...CLASS_ORDER]
    .reverse()
    .map((k) => [k, classes.filter((x) => x === k).length] as const)
    .filter(([, count]) => count > 0)
    .map(([k, count]) => `${count} ${k}`);
  return `${worst} (${counts.join(', ')})`;
}
