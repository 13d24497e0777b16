// The changes a plan is made of. Plain data: the planner makes them, the executor turns them into
// shell steps, reporters describe them. A description never contains a secret.

import type { ShellCommand } from '../connection/shell.js';
import { destKey, formatDest, formatService } from '../model/ipvs.js';
import {
  type DesiredAddress,
  type DesiredDaemon,
  type DesiredRoute,
  type DesiredRule,
  FIREWALL_TABLE,
  type Handler,
  type IpvsDest,
  type IpvsService,
  type IpvsTimeouts,
} from '../model/types.js';

export type Change =
  | { kind: 'package'; names: string[] }
  | { kind: 'module'; name: string }
  | {
      kind: 'file';
      action: 'create' | 'update' | 'remove' | 'restore';
      path: string;
      before: string | null;
      after: string | null;
      mode: string;
      owner: string;
      group: string;
      validate?: ShellCommand;
      secret: boolean;
      /** Only mode/owner differ. */
      metaOnly?: boolean;
      /** The text differs but the daemon would build the same state from both (an adopted file). */
      noEffect?: boolean;
    }
  | { kind: 'sysctl'; key: string; before: string | null; after: string }
  | { kind: 'link'; action: 'up' | 'down'; name: string }
  | { kind: 'address'; action: 'add' | 'remove'; address: DesiredAddress }
  | { kind: 'route'; action: 'replace' | 'remove'; route: DesiredRoute; before?: DesiredRoute }
  | { kind: 'rule'; action: 'add' | 'remove'; rule: DesiredRule }
  | { kind: 'ipvs-service'; action: 'add' | 'edit' | 'remove'; service: IpvsService; before?: IpvsService }
  | {
      kind: 'ipvs-dest';
      action: 'add' | 'edit' | 'drain';
      service: IpvsService;
      dest: IpvsDest;
      before?: IpvsDest;
    }
  | { kind: 'firewall'; action: 'load'; path: string; reason: string }
  | { kind: 'firewall'; action: 'remove' }
  | { kind: 'ipvs-timeouts'; before: IpvsTimeouts | null; after: IpvsTimeouts }
  | { kind: 'daemon'; action: 'start' | 'stop' | 'enable'; daemon: DesiredDaemon }
  | { kind: 'handler'; handler: Handler; daemon?: DesiredDaemon };

function route(r: DesiredRoute): string {
  return `${r.dst}${r.via ? ` via ${r.via}` : ''}${r.dev ? ` dev ${r.dev}` : ''}${r.table ? ` table ${r.table}` : ''}`;
}

const timeouts = (t: IpvsTimeouts) =>
  [t.tcp, t.tcpfin, t.udp].map((v) => (v === 0 ? '-' : String(v))).join(' ');

/** One line, for plans and reports. */
export function describeChange(c: Change): string {
  switch (c.kind) {
    case 'package':
      return `package install ${c.names.join(' ')}`;
    case 'module':
      return `module load ${c.name}`;
    case 'file':
      return `file ${c.action} ${c.path}${c.metaOnly ? ` (mode/owner → ${c.mode} ${c.owner}:${c.group})` : ''}${c.noEffect ? ' (rewrite, no effective change)' : ''}`;
    case 'sysctl':
      return `sysctl ${c.key}: ${c.before ?? '(absent)'} → ${c.after}`;
    case 'link':
      return `link ${c.name} ${c.action}`;
    case 'address':
      return `address ${c.action} ${c.address.cidr} dev ${c.address.dev}`;
    case 'route':
      return c.action === 'replace'
        ? `route ${c.before ? `${route(c.before)} → ` : 'add '}${route(c.route)}`
        : `route remove ${route(c.route)}`;
    case 'rule':
      return `rule ${c.action} from ${c.rule.from} lookup ${c.rule.table}`;
    case 'ipvs-service':
      return c.action === 'edit' && c.before
        ? `ipvs edit ${formatService(c.before)} → ${formatService(c.service)}`
        : `ipvs ${c.action} ${formatService(c.service)}`;
    case 'ipvs-dest':
      if (c.action === 'drain')
        return `ipvs drain+delete ${c.service.key} -r ${destKey(c.dest)} (weight 0 first)`;
      return c.action === 'edit' && c.before
        ? `ipvs edit ${formatDest(c.service, c.before)} → ${formatDest(c.service, c.dest)}`
        : `ipvs add ${formatDest(c.service, c.dest)}`;
    case 'firewall':
      return c.action === 'load'
        ? `firewall load table ${FIREWALL_TABLE} from ${c.path} (${c.reason})`
        : `firewall remove table ${FIREWALL_TABLE}`;
    case 'ipvs-timeouts':
      return `ipvs timeouts (tcp tcpfin udp): ${c.before ? timeouts(c.before) : '(unknown)'} → ${timeouts(c.after)}`;
    case 'daemon':
      return `service ${c.action} ${c.daemon.name}`;
    case 'handler':
      return `handler ${c.handler.action}${c.handler.target ? ` ${c.handler.target}` : ''}`;
  }
}
