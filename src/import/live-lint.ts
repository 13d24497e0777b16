// A live setup that is broken, said the way `verify` says it, with its fix. The imported inventory
// describes the intended state; these lines say where the hosts are not in it yet.
import type { DirectorSource } from './build.js';
import type { LiveFacts } from './live-script.js';
import type { ImportNote } from './types.js';

const num = (f: LiveFacts, k: string) => Number(f.sysctls[k] ?? '0');
const holds = (f: LiveFacts, ip: string) =>
  Object.values(f.addresses).some((cs) => cs.some((c) => c.split('/')[0] === ip));

export function lintLive(
  sources: DirectorSource[],
  directors: LiveFacts[],
  rs: Map<string, LiveFacts>,
): ImportNote[] {
  const out: ImportNote[] = [];
  const first = sources[0];
  if (!first) return out;
  const vips = [...new Set(first.imp.services.flatMap((s) => (s.vip ? [s.vip] : [])))];
  for (const vip of vips) {
    const masters = sources.filter((_, i) => directors[i] && holds(directors[i] as LiveFacts, vip));
    if (first.imp.manager === 'keepalived' && masters.length > 1)
      out.push({
        file: masters.map((m) => m.address).join(', '),
        line: 0,
        message: `two directors MASTER: ${vip} is on ${masters.map((m) => m.address).join(' and ')} — fix: one virtual_router_id, reachable VRRP adverts between them (unicast peers or multicast allowed)`,
      });
  }
  const dips = sources.flatMap((s) => Object.values(s.interfaces ?? {}).flat());
  const gws = first.imp.vrrp.flatMap((v) =>
    v.vips.filter((x) => !vips.includes(x.address)).map((x) => x.address),
  );
  for (const s of first.imp.services) {
    for (const r of s.real_servers) {
      const f = rs.get(r.address);
      if (!f) continue;
      const at = { file: `${r.address}`, line: 0 };
      if ((r.forwarding === 'dr' || r.forwarding === 'tun') && s.vip) {
        const dev = r.forwarding === 'tun' ? 'tunl0' : 'lo';
        if (!holds(f, s.vip))
          out.push({
            ...at,
            message: `${s.vip} is not on ${dev} of real server ${r.address}: it drops the ${r.forwarding.toUpperCase()} traffic — fix: lvs-deploy up adds it`,
          });
        const ignore = Math.max(num(f, 'net.ipv4.conf.all.arp_ignore'), 0);
        const announce = Math.max(num(f, 'net.ipv4.conf.all.arp_announce'), 0);
        if (holds(f, s.vip) && (ignore < 1 || announce < 2))
          out.push({
            ...at,
            message: `a DR/TUN real server answers ARP for the VIP (${r.address}: arp_ignore=${ignore}, arp_announce=${announce}) — fix: arp_ignore=1 and arp_announce=2 on the real servers (lvs-deploy up sets them)`,
          });
      }
      if (r.forwarding === 'nat') {
        const via = f.routes.map((l) => /^default via (\S+)/.exec(l)?.[1]).find((x) => x !== undefined);
        const ok = via !== undefined && (gws.includes(via) || dips.some((c) => c.split('/')[0] === via));
        if (!ok)
          out.push({
            ...at,
            message: `NAT real server ${r.address}'s default route ${via ? `via ${via}` : '(none)'} bypasses the director: replies would not be un-NATed — fix: route via the director's DIP or the NAT gateway (lvs-deploy up sets it)`,
          });
      }
    }
  }
  return out;
}
