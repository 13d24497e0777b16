// The inventory's services as the IPVS table a director must hold, normalised the way
// `ipvsadm -S -n` prints it (the planner and verify compare against the kernel's view).
import type { VirtualService } from '../inventory/types.js';
import { serviceKey, sortDests, sortServices } from '../model/ipvs.js';
import { modelOptions } from '../model/service-options.js';
import type { IpvsService } from '../model/types.js';

export function ipvsService(s: VirtualService): IpvsService {
  const fw = s.fwmark !== undefined;
  const key = fw
    ? serviceKey({ fwmark: s.fwmark, family: s.family })
    : serviceKey({ protocol: s.protocol ?? 'tcp', vip: s.vip, port: s.port ?? 0 });
  return {
    key,
    protocol: fw ? 'fwmark' : (s.protocol ?? 'tcp'),
    ...(fw ? { fwmark: s.fwmark } : { vip: s.vip, port: s.port ?? 0 }),
    family: s.family,
    scheduler: s.scheduler,
    ...modelOptions(s),
    dests: sortDests(
      s.real_servers.map((rs) => ({
        address: rs.address,
        port: rs.port,
        forwarding: rs.forwarding,
        weight: rs.weight,
      })),
    ),
  };
}

/** Sorted by service key, destinations sorted: stable for golden files and plans. */
export function ipvsTable(services: VirtualService[]): IpvsService[] {
  return sortServices(services.map(ipvsService));
}
