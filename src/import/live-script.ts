// The one read-only round trip of a live import: a fixed POSIX sh script (no value from the user
// reaches it) that prints what a director or real server holds, in marked sections. It writes
// nothing, starts and stops nothing: only reads files, /proc and `ip`/`ipvsadm -S -n`/`nft list`.
//
// Few programs: under emulation (the VM lab) a program start costs 50–300 ms, and a `cat` per
// process and per sysctl made one host's round trip take 8–10 s. Process names are read with the
// shell's `read`; the sysctls with ONE `grep` (FILE:VALUE lines) — not `read`, which reads a byte
// at a time, and an integer sysctl answers nothing past offset 0 (amemthresh 1024 read as "1").
import { renderScript, sh } from '../connection/shell.js';

/** Files that may configure a director's IPVS table (the distribution's paths). */
export const CONFIG_FILES = [
  '/etc/ha.d/ldirectord.cf',
  '/etc/ldirectord.cf',
  '/etc/ipvsadm.rules',
  '/etc/sysconfig/ipvsadm',
];

const BODY = sh`
lvs_sec() { printf '\\n=== %s\\n' "$1"; }
lvs_sec hostname; lvs_v=; { read -r lvs_v < /proc/sys/kernel/hostname; } 2>/dev/null; echo "\${lvs_v:-$(hostname)}"
lvs_sec running
lvs_k=; lvs_l=
for c in /proc/[0-9]*/comm; do
  lvs_v=; { read -r lvs_v < "$c"; } 2>/dev/null
  case "$lvs_v" in keepalived) lvs_k=1 ;; ldirectord) lvs_l=1 ;; esac
done
[ -n "$lvs_k" ] && echo keepalived; [ -n "$lvs_l" ] && echo ldirectord
lvs_sec ipvs; if [ -r /proc/net/ip_vs ]; then ipvsadm -S -n 2>/dev/null || true; fi
lvs_sec sysctl
grep -s -H '' /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv4/vs/* /proc/sys/net/ipv4/conf/*/arp_ignore /proc/sys/net/ipv4/conf/*/arp_announce /proc/sys/net/ipv4/conf/*/rp_filter || true
lvs_sec addr; ip -o addr show 2>/dev/null || true
lvs_sec route; ip route show 2>/dev/null || true
lvs_sec firewall; nft list ruleset 2>/dev/null || iptables-save 2>/dev/null || true
if [ -d /etc/keepalived ]; then
  find /etc/keepalived -type f -size -1024k 2>/dev/null | sort | while IFS= read -r f; do lvs_sec "file $f"; cat "$f" 2>/dev/null; done
fi
for f in ${CONFIG_FILES}; do
  [ -f "$f" ] && { lvs_sec "file $f"; cat "$f" 2>/dev/null; }
done
lvs_sec end
`;

export function importScript(): string {
  return renderScript(BODY, { strict: false }).script;
}

export interface LiveFacts {
  hostname: string;
  running: string[];
  ipvs: string;
  sysctls: Record<string, string>;
  /** `ip -o addr` as dev → CIDRs (lo included). */
  addresses: Record<string, string[]>;
  routes: string[];
  firewall: string;
  files: Map<string, string>;
}

export function parseLiveFacts(out: string): LiveFacts {
  const sections = new Map<string, string>();
  const files = new Map<string, string>();
  let name = '';
  let body: string[] = [];
  const flush = () => {
    if (!name) return;
    const text = `${body.join('\n').replace(/\n$/, '')}\n`;
    if (name.startsWith('file ')) files.set(name.slice(5), text);
    else sections.set(name, text);
  };
  for (const line of out.split('\n')) {
    const m = /^=== (.+)$/.exec(line);
    if (m?.[1]) {
      flush();
      name = m[1];
      body = [];
    } else body.push(line);
  }
  flush();
  const addresses: Record<string, string[]> = {};
  for (const l of (sections.get('addr') ?? '').split('\n')) {
    const m = /^\d+:\s+(\S+?)(?:@\S+)?\s+inet6?\s+(\S+)/.exec(l);
    if (m?.[1] && m[2] && !m[2].startsWith('fe80:')) {
      const list = addresses[m[1]] ?? [];
      list.push(m[2]);
      addresses[m[1]] = list;
    }
  }
  const sysctls: Record<string, string> = {};
  for (const l of (sections.get('sysctl') ?? '').split('\n')) {
    const m = /^\/proc\/sys\/(.+?)[=:](.*)$/.exec(l);
    if (m?.[1]) sysctls[m[1].replace(/\//g, '.')] = m[2] ?? '';
  }
  const lines = (k: string) =>
    (sections.get(k) ?? '')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '');
  return {
    hostname: lines('hostname')[0] ?? '',
    running: lines('running'),
    ipvs: sections.get('ipvs') ?? '',
    sysctls,
    addresses,
    routes: lines('route'),
    firewall: sections.get('firewall') ?? '',
    files,
  };
}
