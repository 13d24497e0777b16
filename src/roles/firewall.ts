// The firewall.nft render context for one director (directors.firewall): what the director's own
// input chain accepts, and which real servers' outbound connections it masquerades.
import { RenderError } from '../errors.js';
import { ipFamily, parseCidr } from '../inventory/net.js';
import type { Inventory } from '../inventory/types.js';
import { managerOf } from '../managers/index.js';
import { FIREWALL_FILE, FIREWALL_TABLE } from '../model/types.js';
import type { TemplateContext } from '../templates/contexts.js';

type FirewallContext = TemplateContext<'firewall.nft.njk'>;

/** IPVS connection sync (ipvsadm --start-daemon, keepalived lvs_sync_daemon): UDP port 8848. */
const SYNC_PORT = 8848;

function byFamily(list: string[]): { v4: string[]; v6: string[] } {
  const uniq = [...new Set(list)];
  return {
    v4: uniq.filter((a) => ipFamily(a.split('/')[0] ?? '') === 4),
    v6: uniq.filter((a) => ipFamily(a.split('/')[0] ?? '') === 6),
  };
}

/** Every address a host has in the inventory: its interfaces' addresses and its SSH address. */
function addressesOf(inv: Inventory, name: string): string[] {
  const h = inv.hosts[name];
  if (!h) return [];
  const own = Object.values(h.interfaces).flatMap((list) => list.map((c) => parseCidr(c)?.address ?? ''));
  return [...new Set([h.address, ...own.filter(Boolean)])];
}

export function firewallContext(inv: Inventory, hostName: string): FirewallContext {
  const fw = inv.directors.firewall;
  const h = inv.hosts[hostName];
  if (!fw || !h) throw new RenderError(`${hostName}: firewall.nft needs directors.firewall and a director`);
  const peers = byFamily(
    inv.directors.hosts.filter((d) => d !== hostName).flatMap((d) => addressesOf(inv, d)),
  );
  const admin = byFamily(fw.admin_networks);
  const services = inv.services.filter((s) => s.fwmark === undefined);
  const seen = new Set<string>();
  const accept: FirewallContext['services'] = [];
  for (const s of services) {
    const key = `${s.vip} ${s.protocol ?? 'tcp'} ${s.port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    accept.push({
      name: s.name,
      family: s.family === 6 ? 'ip6' : 'ip',
      vip: s.vip,
      protocol: s.protocol ?? 'tcp',
      port: s.port ?? 0,
    });
  }
  const m = fw.masquerade;
  const natSources = inv.services.flatMap((s) =>
    s.real_servers.filter((rs) => rs.forwarding === 'nat').map((rs) => rs.address),
  );
  const sources = byFamily(m?.sources ?? natSources);
  return {
    table: FIREWALL_TABLE,
    file: FIREWALL_FILE,
    inventory: inv.name,
    policy: fw.policy,
    ssh_port: h.ssh.port,
    admin_v4: admin.v4,
    admin_v6: admin.v6,
    vrrp: managerOf(inv).vrrp,
    vrrp_v4: peers.v4,
    vrrp_v6: peers.v6,
    ...(inv.directors.sync_daemon ? { sync_port: SYNC_PORT } : {}),
    services: accept,
    marks: inv.services.flatMap((s) => (s.fwmark !== undefined ? [{ name: s.name, mark: s.fwmark }] : [])),
    masquerade: m ? { interface: m.interface, v4: sources.v4, v6: sources.v6 } : false,
  };
}
