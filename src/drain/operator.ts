// Durable operator state: the drains an operator set with `drain`, kept on every director in
// /var/lib/lvs-deploy/operator.json (mode 0600). The record lives on the directors, not on the
// control node: any operator's `plan`/`up`/`status` from any machine sees it, a director reboot
// keeps it, and `down` (which removes what `up` owns) cleans it. Fixed contract, see
// docs/operator-state.md.

import type { Inventory, RealServer, VirtualService } from '../inventory/types.js';
import { type Drain, drainKey, OPERATOR_FILE, renderOperator, sortDrains } from '../model/operator.js';
import type { DesiredFile, DesiredHost, OsFamily } from '../model/types.js';
import { expandHost } from '../roles/expand.js';

export {
  type Drain,
  OPERATOR_FILE,
  parseOperator,
  renderOperator,
  sortDrains,
} from '../model/operator.js';

/** The name a real server goes by in drains and reports: its inventory host, else its address. */
export function realServerName(rs: Pick<RealServer, 'host' | 'address'>): string {
  return rs.host ?? rs.address;
}

/** Does REAL_SERVER (a host name or an address, as the operator typed it) name this one? */
export function matchesRealServer(rs: Pick<RealServer, 'host' | 'address'>, name: string): boolean {
  return rs.host === name || rs.address === name;
}

/** Every director's drains as one list: first record of each (service, real server) wins. */
export function mergeDrains(lists: Drain[][]): Drain[] {
  const out = new Map<string, Drain>();
  for (const list of lists) for (const d of list) if (!out.has(drainKey(d))) out.set(drainKey(d), d);
  return sortDrains([...out.values()]);
}

export function isDrained(drains: Drain[], service: VirtualService, rs: RealServer): boolean {
  return drains.some((d) => d.service === service.name && matchesRealServer(rs, d.real_server));
}

/**
 * The inventory as the directors must run it: every drained real server at weight 0. Applied
 * before roles expand, so every manager's output carries it the same way (the live IPVS table
 * and rules file for ipvsadm, keepalived.conf, ldirectord.cf) and `up` never undoes a drain.
 */
function applyDrains(inv: Inventory, drains: Drain[]): Inventory {
  if (drains.length === 0) return inv;
  return {
    ...inv,
    services: inv.services.map((s) => ({
      ...s,
      real_servers: s.real_servers.map((rs) => (isDrained(drains, s, rs) ? { ...rs, weight: 0 } : rs)),
    })),
  };
}

/** operator.json as a file `up` owns (so `down` removes it); none when nothing is drained. */
function operatorFile(drains: Drain[]): DesiredFile[] {
  if (drains.length === 0) return [];
  return [
    {
      path: OPERATOR_FILE,
      content: renderOperator(drains),
      mode: '0600',
      owner: 'root',
      group: 'root',
      notify: [],
      secret: false,
    },
  ];
}

/** One host's desired state with the drains applied; directors also own operator.json. */
export function expandDrained(inv: Inventory, host: string, os: OsFamily, drains: Drain[]): DesiredHost {
  const d = expandHost(applyDrains(inv, drains), host, { os });
  if (!d.kinds.includes('director')) return d;
  const files = [...d.files.filter((f) => f.path !== OPERATOR_FILE), ...operatorFile(drains)];
  return { ...d, files: files.sort((a, b) => a.path.localeCompare(b.path)) };
}
