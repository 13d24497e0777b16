// Package installs. Fresh cloud images and installs often ship without package lists (or with
// stale ones), and then `apt-get install` fails with "Unable to locate package": refresh the lists
// when they are missing, older than a bound, or when apt could not find a package — at most once
// per install step, and a host has at most one per run. A refresh prints a marker the report turns
// into a note. Installs change no VRRP state, so the MASTER director runs its install before it
// waits for the BACKUPs (see runHost): every host installs in parallel.
import { renderScript, ShellFragment, sh } from '../connection/shell.js';
import type { Transport } from '../connection/transport.js';
import type { Change } from '../planner/changes.js';

/** Package lists older than this are refreshed before an install. */
export const LISTS_MAX_AGE_MINUTES = 24 * 60;

const REFRESHED = '==>lvs:apt-refreshed ';
const LISTS = '/var/lib/apt/lists';
// apt.systemd.daily touches this after a successful update; list files keep the mirror's mtimes.
const STAMP = '/var/lib/apt/periodic/update-success-stamp';

// Wait for another apt (a boot-time job, a second run) instead of failing at once.
const APT = ShellFragment.raw('DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300');

function aptInstall(names: readonly string[]): ShellFragment {
  const install = sh`${APT} install -y ${names}`;
  return sh`lvs_apt_refresh() {
  echo ${REFRESHED}"$1"
  ${APT} update >&2 || return 1
  mkdir -p ${'/var/lib/apt/periodic'} && touch ${STAMP}
}
lvs_reason=
if ! ls ${LISTS} 2>/dev/null | grep -q '_Packages'; then lvs_reason=missing
elif [ -z "$(find ${STAMP} ${LISTS} -prune -mmin -${LISTS_MAX_AGE_MINUTES} 2>/dev/null)" ]; then lvs_reason=stale
fi
[ -z "$lvs_reason" ] || lvs_apt_refresh "$lvs_reason"
lvs_rc=0
lvs_out=$(${install} 2>&1) || lvs_rc=$?
printf '%s\\n' "$lvs_out"
if [ "$lvs_rc" -ne 0 ] && [ -z "$lvs_reason" ] && printf '%s\\n' "$lvs_out" | grep -q -e 'Unable to locate package' -e 'has no installation candidate'; then
  lvs_apt_refresh 'package not found'
  ${install}
else
  [ "$lvs_rc" -eq 0 ]
fi`;
}

/** The shell step that installs `names` (POSIX sh; runs under `set -e` in the apply script). */
export function installStep(osFamily: string, names: readonly string[]): string {
  return (osFamily === 'rhel' ? sh`dnf install -y ${names}` : aptInstall(names)).render();
}

/** The note for the report when the output shows a refresh, e.g. "package lists refreshed (missing)". */
export function refreshNote(output: string): string | undefined {
  const line = output.split('\n').find((l) => l.startsWith(REFRESHED));
  return line === undefined ? undefined : `package lists refreshed (${line.slice(REFRESHED.length).trim()})`;
}

export const isPackageChange = (c: Change): boolean => c.kind === 'package';

/** Install every package change now, in its own round trip; the output's last lines on failure. */
export async function installFirst(
  t: Transport,
  changes: readonly Change[],
  osFamily: string,
): Promise<{ ok: boolean; output: string }> {
  const names = changes.flatMap((c) => (c.kind === 'package' ? c.names : []));
  if (names.length === 0) return { ok: true, output: '' };
  const script = renderScript(ShellFragment.raw(installStep(osFamily, names)));
  const r = await t.run(script.script, { timeoutMs: 600_000 });
  return { ok: r.code === 0, output: `${r.stdout}\n${r.stderr}` };
}
