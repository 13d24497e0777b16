// The facts script: ONE POSIX sh function that prints every fact the planner needs, in sections
// marked `==>lvs:<id>`. It changes nothing on the host (it never loads a module or starts ipvsadm
// on a kernel where IPVS is not loaded yet).
import { quote } from '../connection/shell.js';
import type { DesiredDaemon } from '../model/types.js';

export const STATE_DIR = '/var/lib/lvs-deploy';
export const STATE_FILE = `${STATE_DIR}/state.json`;
/** Plain-text list of what `up` owns, readable by sh: `file PATH` / `sysctl KEY` lines. */
export const OWNED_FILE = `${STATE_DIR}/owned.list`;

export interface FactQuery {
  sysctls: string[];
  files: string[];
  packages: string[];
  modules: string[];
  daemons: DesiredDaemon[];
}

const words = (list: string[]) => list.map(quote).join(' ');

function daemonLines(daemons: DesiredDaemon[]): string {
  return daemons
    .map(
      (d) => `  if [ "$lvs_systemd" = yes ]; then
    printf '%s %s %s\\n' ${quote(d.name)} "$(systemctl is-active ${quote(d.unit)} 2>/dev/null || true)" "$(systemctl is-enabled ${quote(d.unit)} 2>/dev/null || true)"
  elif [ -f ${quote(d.pidfile)} ] && kill -0 "$(cat ${quote(d.pidfile)})" 2>/dev/null; then
    printf '%s active %s\\n' ${quote(d.name)} "$(cat ${quote(d.pidfile)})"
  else
    printf '%s inactive -\\n' ${quote(d.name)}
  fi`,
    )
    .join('\n');
}

// Without names dpkg-query would list every installed package: only ask about ours.
function packagesQuery(packages: string[]): string {
  return `  if command -v dpkg-query >/dev/null 2>&1; then
    dpkg-query -W -f='\${Package} \${db:Status-Abbrev}\\n' ${words(packages)} 2>/dev/null || true
  elif command -v rpm >/dev/null 2>&1; then
    rpm -q --qf '%{NAME} ii\\n' ${words(packages)} 2>/dev/null | grep ' ii$' || true
  fi`;
}

/** The function `lvs_facts`; call it to print all sections. */
export function factsFunction(q: FactQuery): string {
  return `lvs_facts() {
  lvs_systemd=no
  [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ] && lvs_systemd=yes
  echo '==>lvs:os'
  ( . /etc/os-release 2>/dev/null; printf '%s|%s|%s\\n' "\${ID:-}" "\${ID_LIKE:-}" "\${VERSION_ID:-}" )
  echo '==>lvs:init'
  echo "$lvs_systemd"
  echo '==>lvs:ipvs-available'
  if [ -e /proc/net/ip_vs ] || modprobe -n -q ip_vs 2>/dev/null; then echo yes; else echo no; fi
  echo '==>lvs:sysctl'
  for k in $({ printf '%s\\n' ${words(q.sysctls)}; sed -n 's/^sysctl //p' ${OWNED_FILE} 2>/dev/null; } | sort -u); do
    f=/proc/sys/$(printf '%s' "$k" | tr . /)
    if [ -r "$f" ]; then printf '%s=%s\\n' "$k" "$(cat "$f")"; else printf '%s!\\n' "$k"; fi
  done
  echo '==>lvs:addr'
  ip -j addr show 2>/dev/null || echo '[]'
  echo '==>lvs:route'
  ip -j route show table main 2>/dev/null || echo '[]'
  echo '==>lvs:rule'
  ip -j rule show 2>/dev/null || echo '[]'
  echo '==>lvs:files'
  for p in $({ printf '%s\\n' ${words(q.files)}; sed -n 's/^file //p' ${OWNED_FILE} 2>/dev/null; } | sort -u); do
    if [ -f "$p" ]; then
      printf 'F %s %s\\n' "$(stat -c '%a %U %G' "$p")" "$p"
      base64 < "$p" | tr -d '\\n'
      echo
    else
      printf 'A - - - %s\\n' "$p"
    fi
  done
  echo '==>lvs:packages'
${q.packages.length === 0 ? '' : packagesQuery(q.packages)}
  echo '==>lvs:modules'
  for m in ${words(q.modules)}; do
    if [ -d "/sys/module/$m" ]; then echo "$m yes"; else echo "$m no"; fi
  done
  echo '==>lvs:ipvs'
  if [ -e /proc/net/ip_vs ] && command -v ipvsadm >/dev/null 2>&1; then ipvsadm -S -n; else echo '!none'; fi
  echo '==>lvs:daemons'
${daemonLines(q.daemons)}
  echo '==>lvs:state'
  cat ${STATE_FILE} 2>/dev/null || true
  echo '==>lvs:end'
}`;
}

export const SCRIPT_PRELUDE = 'export LC_ALL=C PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\numask 022';

/** A standalone facts round trip. */
export function factsScript(q: FactQuery): string {
  return `${SCRIPT_PRELUDE}\n${factsFunction(q)}\nlvs_facts\n`;
}
