// What a director's own versions change in its plan (facts/versions.ts reads them). Each rule here
// is a difference found by running Debian 11/12/13's own tools on the files lvs-deploy renders
// (test/unit/release-tools.test.ts): unknown versions change nothing, facts decide, not guesses.
import { ShellCommand } from '../connection/shell.js';
import { olderThan } from '../facts/versions.js';
import type { HostFacts, SoftwareVersions } from '../model/facts.js';
import type { DesiredHost } from '../model/types.js';

/**
 * keepalived before 2.2 (Debian 11: 2.1.5) exits 0 from `keepalived -t` whatever it finds: it
 * prints "Unknown keyword", "VRID not valid", "Non-existent interface" and still exits 0, so a
 * broken keepalived.conf would pass the check and replace the live one. There the check also fails
 * on any line it prints (a valid file prints nothing on 2.1.5).
 */
export const KEEPALIVED_QUIET_CHECK = [
  'sh',
  '-c',
  'lvs_out=$("$@" 2>&1); lvs_rc=$?; [ -z "$lvs_out" ] || printf \'%s\\n\' "$lvs_out" >&2; [ "$lvs_rc" -eq 0 ] && [ -z "$lvs_out" ]',
  'keepalived-check',
] as const;

export function validateFor(cmd: ShellCommand, f: HostFacts): ShellCommand {
  if (cmd.argv[0] === 'keepalived' && cmd.argv.includes('-t') && olderThan(f.versions?.keepalived, '2.2'))
    return new ShellCommand([...KEEPALIVED_QUIET_CHECK, ...cmd.argv]);
  return cmd;
}

/** `real_server ADDR [PORT] {` directly followed by `weight 0`, as keepalived.conf.njk writes it. */
const ZERO_WEIGHT = /^\s*real_server (\S+)(?: (\d+))? \{\n\s*weight 0\s*$/gm;

/**
 * Features the host's versions lack: the host is refused before anything changes, naming the
 * version and the feature. keepalived 2.1.x turns a real server's `weight 0` into 1
 * (keepalived #1757, fixed in 2.2.0): a drained real server would keep taking new connections.
 * Read from the keepalived.conf the host gets (a site template may write it), not the model.
 */
export function versionBlockers(d: DesiredHost, versions: SoftwareVersions | undefined): string[] {
  const out: string[] = [];
  const ka = versions?.keepalived;
  const conf = d.files.find((x) => x.path === '/etc/keepalived/keepalived.conf');
  if (conf && olderThan(ka, '2.2')) {
    const zero = [...conf.content.matchAll(ZERO_WEIGHT)].map((m) => (m[2] ? `${m[1]}:${m[2]}` : `${m[1]}`));
    if (zero.length > 0)
      out.push(
        `keepalived ${ka} turns real server weight 0 into 1 (keepalived #1757, fixed in 2.2.0): weight 0 (drained or inventory) is not possible here: ${[...new Set(zero)].join(', ')}`,
      );
  }
  return out;
}

/**
 * IPVS sysctls the running kernel lacks: net.ipv4.vs.run_estimation (6.1+), est_cpulist and
 * est_nice (6.2+) are not on 5.10 (Debian 11). Setting one would fail half-way through `up`; it is
 * refused first. Only when the kernel's net.ipv4.vs is there at all (ip_vs loaded: another
 * net.ipv4.vs key has a value); before that, `up` loads ip_vs and the key may appear.
 */
export function kernelBlockers(d: DesiredHost, f: HostFacts): string[] {
  const vs = (k: string) => k.startsWith('net.ipv4.vs.');
  const loaded = Object.entries(f.sysctls).some(([k, v]) => vs(k) && v !== null);
  if (!loaded) return [];
  const absent = Object.keys(d.sysctls).filter((k) => vs(k) && f.sysctls[k] === null);
  if (absent.length === 0) return [];
  const kernel = f.versions?.kernel ? `kernel ${f.versions.kernel}` : 'this kernel';
  return [`${kernel} has no ${absent.join(', ')} (newer kernels only): remove it from this host's sysctls`];
}
