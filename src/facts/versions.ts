// The versions that decide what a director's files may say: its kernel, keepalived, nftables and
// ldirectord. Debian 11/12/13 differ in each (keepalived 2.1.5/2.2.7/2.3.x, nftables
// 0.9.8/1.0.6/1.1.x, kernel 5.10/6.1/6.12), and a fleet mid-upgrade runs several at once.
// Read from the programs themselves (a keepalived built from source has no package), except
// ldirectord, whose own banner has said "v1.186-ha" since 2006: its package version is the truth.
import { raw, type ShellFragment } from '../connection/shell.js';
import type { HostFacts, SoftwareVersions } from '../model/facts.js';
import type { FactQuery } from './query.js';

export const VERSIONS_SECTION = 'versions';

/** Only directors, and only the tools they use: every exec costs on a busy or emulated host. */
export function versionsScript(q: FactQuery): ShellFragment {
  if (!q.ipvs) return raw('');
  const lines = [
    `  echo '==>lvs:${VERSIONS_SECTION}'`,
    // A builtin read: no uname exec.
    `  { read -r lvs_v < /proc/sys/kernel/osrelease && echo "kernel $lvs_v"; } 2>/dev/null`,
  ];
  if (q.packages.includes('keepalived'))
    // Its first line only: the rest (build options) is 2 kB on the wire per director.
    lines.push(
      '  command -v keepalived >/dev/null 2>&1 && keepalived -v 2>&1 | { read -r lvs_v; echo "$lvs_v"; }',
    );
  if (q.firewall) lines.push('  command -v nft >/dev/null 2>&1 && nft -v 2>&1');
  if (q.packages.includes('ldirectord'))
    lines.push(`  dpkg-query -W -f='ldirectord \${Version}\\n' ldirectord 2>/dev/null`);
  lines.push('  :');
  // Constant text of our own: no value from an inventory or a host reaches it.
  return raw(lines.join('\n'));
}

// keepalived -v: "Keepalived v2.2.7 (01/16,2022)" (then copyright and build options: ignored).
// nft -v: "nftables v1.0.6 (Lester Gooch #5)". dpkg: "1:4.12.1-1" → 4.12.1 (epoch, revision dropped).
export function parseVersions(text: string | undefined): Partial<HostFacts> {
  if (text === undefined) return {};
  const v: SoftwareVersions = {};
  for (const line of text.split('\n')) {
    let m = /^kernel (\S+)/.exec(line);
    if (m?.[1]) v.kernel = m[1];
    m = /^Keepalived v(\d+(?:\.\d+)+)/.exec(line);
    if (m?.[1]) v.keepalived = m[1];
    m = /^nftables v(\d+(?:\.\d+)+)/.exec(line);
    if (m?.[1]) v.nftables = m[1];
    m = /^ldirectord (?:\d+:)?(\d+(?:\.\d+)+)/.exec(line);
    if (m?.[1]) v.ldirectord = m[1];
  }
  return { versions: v };
}

/** -1, 0, 1 comparing dotted numeric versions ("2.1.5" < "2.2" < "2.2.7"). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** The version is known and older than `min`: unknown versions never block (facts decide, not guesses). */
export const olderThan = (version: string | undefined, min: string) =>
  version !== undefined && compareVersions(version, min) < 0;
