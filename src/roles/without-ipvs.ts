// --without-ipvs: the desired state of a host with its IPVS part left out, for kernels without
// IPVS (benchmarks on this project's CI machine). A hidden flag of up/plan/down.
import { managerOfDaemon } from '../managers/index.js';
import type { DesiredHost } from '../model/types.js';

/**
 * --without-ipvs (benchmarks on kernels without IPVS, like this project's CI machine): drop exactly
 * the IPVS part of the desired state — ip_vs modules, net.ipv4.vs.* sysctls, the IPVS table —
 * so directors converge everything else. Never for production.
 */
export function withoutIpvs(d: DesiredHost): DesiredHost {
  return {
    ...d,
    modules: d.modules.filter((m) => !m.startsWith('ip_vs')),
    sysctls: Object.fromEntries(
      Object.entries(d.sysctls).filter(
        ([k]) => !k.startsWith('net.ipv4.vs.') && !k.startsWith('net.ipv6.vs.'),
      ),
    ),
    files: d.files.map((f) =>
      f.path.endsWith('/sysctl.d/90-lvs-deploy.conf') || f.path.endsWith('/modules-load.d/lvs-deploy.conf')
        ? {
            ...f,
            content: f.content
              .split('\n')
              .filter((l) => !/^(ip_vs|net\.ipv[46]\.vs\.)/.test(l))
              .join('\n'),
          }
        : f,
    ),
    ipvs: [],
    ipvsStatic: false,
    ipvsTimeouts: undefined,
    // A daemon that needs IPVS runs the way its manager module says (keepalived: VRRP only).
    daemons: d.daemons.map((x) => managerOfDaemon(x.name)?.withoutIpvs?.(x) ?? x),
  };
}
