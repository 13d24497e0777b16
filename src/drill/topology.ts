// What a drill needs from the inventory: the VRRP pair, its instances (as the keepalived manager
// names them: VI_1 for the VIPs, VI_2 for the floating NAT gateway, one sync group), the client
// and one stream target per VIP. Refused with a usage error when the inventory has no VRRP pair.
import { UsageError } from '../errors.js';
import type { Inventory } from '../inventory/types.js';
import { managerOf } from '../managers/index.js';
import type { DesiredDaemon, DesiredHost } from '../model/types.js';
import type { StreamTarget } from './stream.js';

export interface DrillInstance {
  name: string;
  interface: string;
  virtualRouterId: number;
  addresses: string[];
}

export interface DrillTopology {
  directors: string[];
  priority: Record<string, number>;
  advertInt: number;
  /** The instances reported on (--instance narrows it). */
  instances: DrillInstance[];
  /** Every instance: a sync group fails over together, so the break covers all of them. */
  all: DrillInstance[];
  client: string;
  vips: string[];
  targets: StreamTarget[];
  daemon: DesiredDaemon;
}

export function drillTopology(
  inv: Inventory,
  desired: Map<string, DesiredHost>,
  only?: string,
): DrillTopology {
  const v = inv.directors.vrrp;
  const m = managerOf(inv);
  if (!m.vrrp || !v || inv.directors.hosts.length < 2)
    throw new UsageError(
      `${inv.file}: drill failover needs a VRRP pair (directors.vrrp, two directors, a VRRP manager)`,
    );
  const from = inv.verify?.from;
  if (!from || from === 'control' || !inv.hosts[from])
    throw new UsageError(`${inv.file}: drill failover needs verify.from: the client host the stream runs on`);
  const vips = [...new Set(inv.services.map((s) => s.vip))];
  const instances: DrillInstance[] = [
    { name: 'VI_1', interface: v.interface, virtualRouterId: v.virtual_router_id, addresses: vips },
  ];
  const gw = inv.directors.nat_gateway;
  if (gw)
    instances.push({
      name: 'VI_2',
      interface: gw.interface,
      virtualRouterId: v.virtual_router_id === 255 ? 254 : v.virtual_router_id + 1,
      addresses: [gw.address.replace(/\/\d+$/, '')],
    });
  if (only && !instances.some((i) => i.name === only))
    throw new UsageError(
      `--instance ${only}: no such VRRP instance (${instances.map((i) => i.name).join(', ')})`,
    );
  const targets: StreamTarget[] = vips.flatMap((vip) => {
    const s = inv.services.find(
      (x) => x.vip === vip && (x.protocol ?? 'tcp') === 'tcp' && x.port !== undefined,
    );
    return s?.port ? [{ vip, port: s.port }] : [];
  });
  if (targets.length === 0)
    throw new UsageError(`${inv.file}: drill failover needs a TCP service with a port`);
  const first = inv.directors.hosts[0] ?? '';
  const daemon = desired.get(first)?.daemons.find((d) => d.name === m.daemon?.name);
  if (!daemon) throw new UsageError(`${inv.file}: the directors run no VRRP daemon`);
  // A sync group moves its instances together: --instance narrows the report, not the failure.
  const shown = only ? instances.filter((i) => i.name === only) : instances;
  return {
    directors: inv.directors.hosts,
    priority: v.priority,
    advertInt: v.advert_int,
    instances: shown,
    all: instances,
    client: from,
    vips,
    targets,
    daemon,
  };
}
