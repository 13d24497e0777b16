// `preflight` (and a check in `verify`): listen on each director's VRRP interfaces for a few
// advert intervals and flag any router outside our directors that uses one of our
// virtual_router_ids: two routers with one VRID on a segment fight over the same virtual MAC and
// VIPs (openshift/installer #2966). Nothing on any host is changed.
import { resolveTarget, type SshTarget } from '../connection/target.js';
import type { Transport } from '../connection/transport.js';
import type { Inventory } from '../inventory/types.js';
import type { Check } from '../verify/check.js';
import { type Advert, listenScript, parseListen } from './listen.js';

export interface VrrpInstanceId {
  interface: string;
  vrid: number;
  addresses: string[];
}

/** Our VRRP instances as the keepalived manager renders them (VI_1, and VI_2 for a NAT gateway). */
function ourInstances(inv: Inventory): VrrpInstanceId[] {
  const v = inv.directors.vrrp;
  if (!v) return [];
  const out = [
    {
      interface: v.interface,
      vrid: v.virtual_router_id,
      addresses: [...new Set(inv.services.map((s) => s.vip))],
    },
  ];
  const gw = inv.directors.nat_gateway;
  if (gw)
    out.push({
      interface: gw.interface,
      vrid: v.virtual_router_id === 255 ? 254 : v.virtual_router_id + 1,
      addresses: [gw.address.replace(/\/\d+$/, '')],
    });
  return out;
}

/** Every address our directors have in the inventory: adverts from these are ours. */
function ourSources(inv: Inventory): Set<string> {
  const out = new Set<string>();
  for (const d of inv.directors.hosts) {
    const h = inv.hosts[d];
    if (!h) continue;
    out.add(h.address);
    for (const cidrs of Object.values(h.interfaces ?? {}))
      for (const c of cidrs) out.add(c.replace(/\/\d+$/, ''));
  }
  return out;
}

/** keepalived sends the password zero-padded to 8 bytes. */
export function authHexOf(pass: string | undefined): string | undefined {
  if (pass === undefined) return undefined;
  return Buffer.concat([Buffer.from(pass, 'utf8').subarray(0, 8), Buffer.alloc(8)])
    .subarray(0, 8)
    .toString('hex');
}

function auth(a: Advert, ours: string | undefined): string {
  if (a.authType === 0) return ours ? 'no authentication (ours: a password)' : 'no authentication, as ours';
  if (a.authType === 2) return 'IPsec AH authentication';
  if (!ours) return 'a simple password (ours: none)';
  return a.authHex === ours ? 'our password' : 'a different password';
}

/** Clashes heard on one director's interface: one failed check per foreign router and VRID. */
export function judgeAdverts(
  host: string,
  inst: VrrpInstanceId,
  adverts: readonly Advert[],
  ours: Set<string>,
  ourAuthHex: string | undefined,
): Check[] {
  const foreign = new Map<string, Advert>();
  for (const a of adverts) if (a.vrid === inst.vrid && !ours.has(a.source)) foreign.set(a.source, a);
  if (foreign.size === 0)
    return [
      {
        host,
        check: 'vrrp-clash',
        ok: true,
        detail: `no other router uses virtual_router_id ${inst.vrid} on ${inst.interface}`,
      },
    ];
  return [...foreign.values()].map((a) => {
    const same = a.addresses.filter((x) => inst.addresses.includes(x));
    const vips = `VIPs ${a.addresses.join(', ') || '(none)'}${same.length ? ` (ours too: ${same.join(', ')})` : ` (ours: ${inst.addresses.join(', ')})`}`;
    return {
      host,
      check: 'vrrp-clash',
      ok: false,
      detail: `${a.source} also advertises virtual_router_id ${inst.vrid} on ${inst.interface}: VRRPv${a.version}, priority ${a.priority}, ${vips}, ${auth(a, ourAuthHex)}`,
      fix: `give this cluster another directors.vrrp.virtual_router_id (1-255, unused on the segment), or stop ${a.source} advertising it`,
    };
  });
}

export interface PreflightOptions {
  connect: (t: SshTarget) => Promise<Transport>;
  /** Listen this long; default 3 × advert_int + 1 s. */
  secs?: number;
}

/** Listen on every director at once; one Check per director, instance and foreign router. */
export async function vrrpClashChecks(inv: Inventory, o: PreflightOptions): Promise<Check[]> {
  const insts = ourInstances(inv);
  if (insts.length === 0) return [];
  const secs = o.secs ?? Math.ceil(3 * (inv.directors.vrrp?.advert_int ?? 1) + 1);
  const ours = ourSources(inv);
  const authHex = authHexOf(inv.directors.vrrp?.auth_pass?.reveal());
  const per = await Promise.all(
    inv.directors.hosts.map(async (host): Promise<Check[]> => {
      let t: Transport | undefined;
      try {
        t = await o.connect(resolveTarget(inv, host));
        const conn = t;
        const ifaces = [...new Set(insts.map((i) => i.interface))];
        const heard = await Promise.all(
          ifaces.map(
            async (i) =>
              [
                i,
                parseListen(
                  (await conn.run(listenScript(i, secs), { timeoutMs: (secs + 20) * 1000 })).stdout,
                ),
              ] as const,
          ),
        );
        return insts.flatMap((inst) => {
          const l = heard.find(([i]) => i === inst.interface)?.[1];
          if (!l || l.problem)
            return [
              {
                host,
                check: 'vrrp-clash',
                ok: false,
                detail: `could not listen on ${inst.interface}: ${l?.problem ?? 'no output'}`,
                fix: 'the director needs perl (perl-base) and root for a raw socket',
              },
            ];
          return judgeAdverts(host, inst, l.adverts, ours, authHex);
        });
      } catch (err) {
        return [
          {
            host,
            check: 'reach',
            ok: false,
            detail: (err as Error).message,
            fix: 'check the host is up and reachable over SSH',
          },
        ];
      } finally {
        await t?.close().catch(() => undefined);
      }
    }),
  );
  return per.flat();
}
