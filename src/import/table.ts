// Imported services as IPVS services (the model's form), for comparing two configurations.
import { serviceKey } from '../model/ipvs.js';
import type { IpvsService } from '../model/types.js';
import type { ImportedService } from './types.js';

export function toIpvs(services: ImportedService[]): IpvsService[] {
  return services.map((s) => ({
    key: serviceKey({ ...s, protocol: s.fwmark !== undefined ? 'fwmark' : s.protocol }),
    protocol: s.fwmark !== undefined ? 'fwmark' : (s.protocol ?? 'tcp'),
    ...(s.fwmark !== undefined ? { fwmark: s.fwmark } : { vip: s.vip, port: s.port }),
    family: s.family,
    scheduler: s.scheduler,
    flags: s.flags,
    ...(s.persistence ? { persistence: s.persistence } : {}),
    ops: s.ops,
    dests: s.real_servers.map((r) => ({
      address: r.address,
      port: r.port,
      forwarding: r.forwarding,
      weight: r.weight,
    })),
  }));
}
