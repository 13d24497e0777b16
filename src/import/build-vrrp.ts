// The VRRP side of an import: which vrrp_instance floats the services' VIPs, which one is the NAT
// gateway, each director's priority, and every difference from the inventory's own form as a note.
import { Notes } from './notes.js';
import type { ImportedService, ImportedVrrp, Origin } from './types.js';

export interface DirectorRef {
  name: string;
  address: string;
  vrrp: ImportedVrrp[];
  file: string;
}

export interface VrrpPlan {
  main: ImportedVrrp;
  gateway?: ImportedVrrp;
  /** Per director name. */
  priority: Record<string, { value: number; at: Origin }>;
  unicast: boolean;
  auth_pass?: { value: string; at: Origin };
}

function pickMain(list: ImportedVrrp[], vips: Set<string>): ImportedVrrp | undefined {
  let best: ImportedVrrp | undefined;
  let score = -1;
  for (const v of list) {
    const n = v.vips.filter((x) => vips.has(x.address)).length;
    if (n > score) {
      best = v;
      score = n;
    }
  }
  return best;
}

export function planVrrp(
  directors: DirectorRef[],
  services: ImportedService[],
  notes: Notes,
): VrrpPlan | undefined {
  const first = directors.find((d) => d.vrrp.length > 0);
  if (!first) return undefined;
  const vips = new Set(services.flatMap((s) => (s.vip ? [s.vip] : [])));
  const main = pickMain(first.vrrp, vips) as ImportedVrrp;
  const rest = first.vrrp.filter((v) => v !== main);
  const gateway = rest.find(
    (v) => v.vips.length === 1 && !vips.has(v.vips[0]?.address ?? '') && v.interface !== main.interface,
  );
  // lvs-deploy's own dual-stack form: the other family's VIPs in a second instance (VI_6) on the
  // same interface with the same router id. The inventory writes it as services alone.
  const family = (a: string) => (a.includes(':') ? 6 : 4);
  const mainFamilies = new Set(main.vips.map((x) => family(x.address)));
  const twin = rest.find(
    (v) =>
      v !== gateway &&
      v.interface === main.interface &&
      v.virtual_router_id === main.virtual_router_id &&
      v.vips.length > 0 &&
      v.vips.every((x) => vips.has(x.address) && !mainFamilies.has(family(x.address))),
  );
  for (const v of rest) {
    if (v !== gateway && v !== twin)
      notes.add(
        v.at,
        `vrrp_instance ${v.name}: the inventory has one VRRP instance for the VIPs (and one for a NAT gateway); not imported`,
      );
  }
  if (
    gateway &&
    gateway.virtual_router_id !== (main.virtual_router_id === 255 ? 254 : main.virtual_router_id + 1)
  )
    notes.add(
      gateway.at,
      `vrrp_instance ${gateway.name}: lvs-deploy gives the NAT gateway instance virtual_router_id ${main.virtual_router_id + 1}, not ${gateway.virtual_router_id}`,
    );
  for (const x of main.vips) {
    if (!vips.has(x.address) && !services.some((s) => s.fwmark !== undefined))
      notes.add(
        main.at,
        `virtual_ipaddress ${x.address}: no virtual_server uses it; the inventory floats service VIPs only; not imported`,
      );
    if (x.dev !== undefined && x.dev !== main.interface)
      notes.add(
        main.at,
        `virtual_ipaddress ${x.address} dev ${x.dev}: lvs-deploy puts every VIP on the instance's interface ${main.interface}`,
      );
  }
  for (const vip of vips) {
    if (!main.vips.some((x) => x.address === vip) && !twin?.vips.some((x) => x.address === vip))
      notes.add(
        main.at,
        `VIP ${vip} of a virtual_server is not in ${main.name}'s virtual_ipaddress: lvs-deploy floats it with VRRP`,
      );
  }
  const priority: VrrpPlan['priority'] = {};
  for (const d of directors) {
    const mine = d.vrrp.find((v) => v.name === main.name) ?? d.vrrp[0];
    if (!mine) {
      notes.add({ file: d.file, line: 1 }, `${d.name} has no vrrp_instance`);
      continue;
    }
    if (
      mine.interface !== main.interface ||
      mine.virtual_router_id !== main.virtual_router_id ||
      mine.advert_int !== main.advert_int
    )
      notes.add(
        mine.at,
        `${d.name}'s ${mine.name} differs from ${first.name}'s (interface, virtual_router_id or advert_int); the inventory has one: ${first.name}'s`,
      );
    if ((mine.auth_pass ?? '') !== (main.auth_pass ?? ''))
      notes.add(
        mine.at,
        `${d.name}'s auth_pass differs from ${first.name}'s; the inventory has one: ${first.name}'s`,
      );
    priority[d.name] = { value: mine.priority, at: mine.at };
  }
  // Unicast peers that are no imported director: the other director(s) of the pair, not read.
  for (const peer of main.unicast_peers) {
    if (directors.some((d) => d.address === peer)) continue;
    const top = Math.max(...Object.values(priority).map((p) => p.value));
    const value =
      main.state === 'MASTER'
        ? Math.max(1, Math.min(...Object.values(priority).map((p) => p.value)) - 1)
        : Math.min(254, top + 1);
    directors.push({ name: peer.replace(/:/g, '-'), address: peer, vrrp: [], file: first.file });
    priority[peer.replace(/:/g, '-')] = { value, at: main.at };
    notes.add(
      main.at,
      `unicast_peer ${peer}: its keepalived.conf was not read; imported as a director with priority ${value} (${main.state === 'MASTER' ? 'BACKUP' : 'MASTER'}); check it`,
    );
  }
  // The inventory derives MASTER/BACKUP from priority and needs distinct priorities.
  const seen = new Map<number, string>();
  for (const d of directors) {
    const p = priority[d.name];
    if (!p) continue;
    while (seen.has(p.value) && p.value > 1) {
      notes.add(
        p.at,
        `${d.name}: priority ${p.value} is also ${seen.get(p.value)}'s; the inventory needs distinct priorities: written as ${p.value - 1}`,
      );
      p.value -= 1;
    }
    seen.set(p.value, d.name);
  }
  const top = Math.max(...Object.values(priority).map((p) => p.value));
  for (const d of directors) {
    const mine = d.vrrp.find((v) => v.name === main.name);
    const p = priority[d.name];
    if (mine && p && (mine.state === 'MASTER') !== (p.value === top))
      notes.add(
        mine.at,
        `${d.name}: state ${mine.state} with priority ${p.value}; lvs-deploy makes the highest priority MASTER`,
      );
  }
  return {
    main,
    ...(gateway ? { gateway } : {}),
    priority,
    unicast: main.unicast_peers.length > 0,
    ...(main.auth_pass !== undefined
      ? { auth_pass: { value: main.auth_pass, at: main.auth_at ?? main.at } }
      : {}),
  };
}

export { Notes };
