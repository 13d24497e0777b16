// `status --realservers`: one round trip per real server (inventory hosts only) — is it
// reachable, does it carry the VIP where its forwarding needs it (DR: lo, TUN: tunl0), and does
// something listen on each service's TCP port. Read-only; never an alarm, the table shows it.
import { SCRIPT_PRELUDE } from '../connection/shell.js';
import type { SshTarget } from '../connection/ssh.js';
import type { Transport } from '../connection/transport.js';
import { splitSections } from '../facts/parse.js';
import type { Inventory } from '../inventory/types.js';

const REALSERVER_SCRIPT = `${SCRIPT_PRELUDE}
echo '==>lvs:addr'
ip -j addr show 2>/dev/null || echo '[]'
echo '==>lvs:listen'
ss -Hlnt 2>/dev/null
echo '==>lvs:end'
`;

export interface RealServerCheck {
  service: string;
  /** DR/TUN: the VIP is on lo (DR) or tunl0 (TUN); null for NAT, which needs none. */
  vip_ready: boolean | null;
  /** Something listens on the real server's TCP port; null for UDP/fwmark services. */
  listening: boolean | null;
}

export interface RealServerHostStatus {
  real_server: string;
  reachable: boolean;
  error?: string;
  round_trip_ms: number;
  services: RealServerCheck[];
}

/** Pure: the script's output and the inventory → checks for one real server host. */
export function judgeRealServer(inv: Inventory, host: string, output: string): RealServerCheck[] {
  const s = splitSections(output);
  let links: { ifname: string; addr_info?: { local: string }[] }[] = [];
  try {
    links = JSON.parse((s.get('addr') ?? '').trim() || '[]');
  } catch {
    links = [];
  }
  const on = (dev: string, addr: string) =>
    links.some((l) => l.ifname === dev && (l.addr_info ?? []).some((a) => a.local === addr));
  const ports = new Set(
    (s.get('listen') ?? '')
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[3] ?? '')
      .map((local) => Number(local.slice(local.lastIndexOf(':') + 1)))
      .filter((p) => p > 0),
  );
  return inv.services.flatMap((svc) =>
    svc.real_servers
      .filter((rs) => rs.host === host)
      .map((rs) => ({
        service: svc.name,
        vip_ready: rs.forwarding === 'nat' ? null : on(rs.forwarding === 'dr' ? 'lo' : 'tunl0', svc.vip),
        listening: svc.protocol === 'tcp' && svc.fwmark === undefined ? ports.has(rs.port) : null,
      })),
  );
}

export async function readRealServers(
  inv: Inventory,
  connect: (t: SshTarget) => Promise<Transport>,
  targetOf: (host: string) => SshTarget,
): Promise<RealServerHostStatus[]> {
  const hosts = [
    ...new Set(inv.services.flatMap((s) => s.real_servers.flatMap((rs) => (rs.host ? [rs.host] : [])))),
  ];
  return Promise.all(
    hosts.map(async (host) => {
      const started = Date.now();
      let t: Transport | undefined;
      try {
        t = await connect(targetOf(host));
        const r = await t.run(REALSERVER_SCRIPT, { phase: 'status', timeoutMs: 20_000 });
        if (r.code !== 0) throw new Error(`status script failed (exit ${r.code})`);
        return {
          real_server: host,
          reachable: true,
          round_trip_ms: Date.now() - started,
          services: judgeRealServer(inv, host, r.stdout),
        };
      } catch (err) {
        return {
          real_server: host,
          reachable: false,
          error: (err as Error).message,
          round_trip_ms: Date.now() - started,
          services: [],
        };
      } finally {
        await t?.close().catch(() => undefined);
      }
    }),
  );
}
