// The live IPVS table with counters, as `ipvsadm -Ln` prints it: what drain reads back (the
// weight the kernel really holds) and what --wait polls (ActiveConn per real server).
import { destKey, serviceKey } from '../model/ipvs.js';

export interface LiveDest {
  /** `address:port` as destKey prints it. */
  dest: string;
  weight: number;
  active: number;
  inactive: number;
}

/** Service key (serviceKey's form, e.g. `-t 192.0.2.1:80`) → its real servers. */
export type LiveTable = Map<string, LiveDest[]>;

const PROTO: Record<string, 'tcp' | 'udp' | 'sctp'> = { TCP: 'tcp', UDP: 'udp', SCTP: 'sctp' };

/** `[2001:db8::1]:80` or `192.0.2.1:80` → address, port. */
function splitHostPort(text: string): { address: string; port: number } | undefined {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(text);
  return m ? { address: m[1] ?? '', port: Number(m[2]) } : undefined;
}

export function parseIpvsList(text: string): LiveTable {
  const table: LiveTable = new Map();
  let current: LiveDest[] | undefined;
  for (const line of text.split('\n')) {
    const w = line.trim().split(/\s+/);
    if (w[0] === '->') {
      const hp = splitHostPort(w[1] ?? '');
      if (!hp || !current || !/^\d+$/.test(w[3] ?? '')) continue;
      current.push({ dest: destKey(hp), weight: Number(w[3]), active: Number(w[4]), inactive: Number(w[5]) });
      continue;
    }
    const proto = PROTO[w[0] ?? ''];
    let key: string | undefined;
    if (proto) {
      const hp = splitHostPort(w[1] ?? '');
      if (hp) key = serviceKey({ protocol: proto, vip: hp.address, port: hp.port });
    } else if (w[0] === 'FWM' && /^\d+$/.test(w[1] ?? '')) {
      key = serviceKey({ fwmark: Number(w[1]), family: w[2] === 'IPv6' ? 6 : 4 });
    }
    if (key === undefined) continue;
    current = [];
    table.set(key, current);
  }
  return table;
}

/** The one shell line each poll runs (`!none`: no IPVS to read). */
export const LIVE_SCRIPT =
  "if [ -e /proc/net/ip_vs ] && command -v ipvsadm >/dev/null 2>&1; then ipvsadm -Ln; else echo '!none'; fi";
