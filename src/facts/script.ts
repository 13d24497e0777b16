// The facts script: ONE POSIX sh function that prints every fact the planner needs, in sections
// marked `==>lvs:<id>`. It changes nothing on the host (it never loads a module or starts ipvsadm
// on a kernel where IPVS is not loaded yet).
//
// It is written to start as few programs as possible: under emulation (the VM lab) or on a busy
// director every exec costs 50–300 ms, so sysctls, pid files and the owned list are read with
// shell builtins, and all managed files are read by one `stat` and one `awk`.
import { DETECT_SYSTEMD, indent, quote, SCRIPT_PRELUDE } from '../connection/shell.js';
import { type DesiredDaemon, type DesiredHost, FIREWALL_TABLE } from '../model/types.js';

export const STATE_DIR = '/var/lib/lvs-deploy';
export const STATE_FILE = `${STATE_DIR}/state.json`;
/** Plain-text list of what `up` owns, readable by sh: `file PATH` / `sysctl KEY PATH` lines. */
export const OWNED_FILE = `${STATE_DIR}/owned.list`;
/** The firewall table as `nft -s list table` printed it right after `up` loaded it. */
export const FIREWALL_LOADED = `${STATE_DIR}/firewall.loaded`;

export interface FactQuery {
  sysctls: string[];
  files: string[];
  packages: string[];
  modules: string[];
  daemons: DesiredDaemon[];
  /** Director: find out whether the kernel can do IPVS, and read its table. */
  ipvs: boolean;
  /** Read policy routing rules (only hosts that use them). */
  rules: boolean;
  /** Read the nftables table lvs-deploy owns (also read whenever `up` loaded it before). */
  firewall: boolean;
}

/** What to read on a host to plan (and verify) its desired state. */
export function factQuery(d: DesiredHost): FactQuery {
  const modules = new Set(d.kinds.includes('director') ? [...d.modules, 'ip_vs'] : d.modules);
  return {
    sysctls: Object.keys(d.sysctls),
    files: d.files.map((f) => f.path),
    packages: d.packages,
    modules: [...modules],
    daemons: d.daemons,
    ipvs: d.kinds.includes('director'),
    rules: d.rules.length > 0,
    firewall: d.firewall !== undefined,
  };
}

export const sysctlPath = (key: string) => `/proc/sys/${key.replaceAll('.', '/')}`;

const words = (list: string[]) => list.map(quote).join(' ');

function daemonLines(daemons: DesiredDaemon[]): string {
  return daemons
    .map(
      (d) => `  if [ "$lvs_systemd" = yes ]; then
    printf '%s %s %s\\n' ${quote(d.name)} "$(systemctl is-active ${quote(d.unit)} 2>/dev/null)" "$(systemctl is-enabled ${quote(d.unit)} 2>/dev/null)"
  elif lvs_pid=; [ -r ${quote(d.pidfile)} ] && { read -r lvs_pid < ${quote(d.pidfile)}; kill -0 "$lvs_pid" 2>/dev/null; }; then
    printf '%s active %s\\n' ${quote(d.name)} "$lvs_pid"
  else
    printf '%s inactive -\\n' ${quote(d.name)}
  fi`,
    )
    .join('\n');
}

// Without names dpkg-query would list every installed package: only ask about ours.
function packagesQuery(packages: string[]): string {
  return `  if command -v dpkg-query >/dev/null 2>&1; then
    dpkg-query -W -f='\${Package} \${db:Status-Abbrev}\\n' ${words(packages)} 2>/dev/null
  elif command -v rpm >/dev/null 2>&1; then
    rpm -q --qf '%{NAME} ii\\n' ${words(packages)} 2>/dev/null | grep ' ii$'
  fi`;
}

/** The function `lvs_facts`; call it to print all sections. */
export function factsFunction(q: FactQuery): string {
  const wantedFiles = ` ${q.files.join(' ')} `;
  const wantedKeys = ` ${q.sysctls.join(' ')} `;
  return `lvs_sysctl() {
  # dash's read returns non-zero on /proc files even when it read the value: ignore its status.
  if [ -r "$2" ]; then lvs_v=; read -r lvs_v < "$2" 2>/dev/null; printf '%s=%s\\n' "$1" "$lvs_v"; else printf '%s!\\n' "$1"; fi
}
lvs_facts() {
${indent(DETECT_SYSTEMD)}
  echo '==>lvs:os'
  ( . /etc/os-release 2>/dev/null; printf '%s|%s|%s\\n' "\${ID:-}" "\${ID_LIKE:-}" "\${VERSION_ID:-}" )
  echo '==>lvs:init'
  echo "$lvs_systemd"
  echo '==>lvs:ipvs-available'
  ${q.ipvs ? 'if [ -e /proc/net/ip_vs ] || modprobe -n -q ip_vs 2>/dev/null; then echo yes; else echo no; fi' : 'echo no'}
  echo '==>lvs:sysctl'
${q.sysctls.map((k) => `  lvs_sysctl ${quote(k)} ${quote(sysctlPath(k))}`).join('\n')}
  set --
  if [ -r ${OWNED_FILE} ]; then
    while read -r lvs_kind lvs_a lvs_b; do
      case "$lvs_kind" in
        sysctl) case ${quote(wantedKeys)} in *" $lvs_a "*) ;; *) lvs_sysctl "$lvs_a" "$lvs_b" ;; esac ;;
        file) case ${quote(wantedFiles)} in *" $lvs_a "*) ;; *) set -- "$@" "$lvs_a" ;; esac ;;
      esac
    done < ${OWNED_FILE}
  fi
  echo '==>lvs:addr'
  ip -j addr show 2>/dev/null || echo '[]'
  echo '==>lvs:route'
  ip -j route show table main 2>/dev/null || echo '[]'
  echo '==>lvs:rule'
  ${q.rules ? "ip -j rule show 2>/dev/null || echo '[]'" : "echo '[]'"}
  echo '==>lvs:files'
  lvs_extra="$*"
  set --
  for lvs_f in ${words(q.files)} $lvs_extra; do
    if [ -f "$lvs_f" ]; then set -- "$@" "$lvs_f"; else printf 'A - - - - %s\\n' "$lvs_f"; fi
  done
  if [ $# -gt 0 ]; then
    stat -c 'F %a %U %G %s %n' "$@"
    awk 'FNR == 1 { print "@@ " FILENAME } { print "|" $0 }' "$@"
  fi
  echo '==>lvs:packages'
${q.packages.length === 0 ? '' : packagesQuery(q.packages)}
  echo '==>lvs:modules'
  for m in ${words(q.modules)}; do
    if [ -d "/sys/module/$m" ]; then echo "$m yes"; else echo "$m no"; fi
  done
  echo '==>lvs:ipvs'
  if ${q.ipvs ? '[ -e /proc/net/ip_vs ] && command -v ipvsadm >/dev/null 2>&1' : 'false'}; then ipvsadm -S -n; else echo '!none'; fi
  echo '==>lvs:daemons'
${daemonLines(q.daemons)}
  echo '==>lvs:ssh'
  printf '%s\n' "\${lvs_ssh_connection:-}"
  if { ${q.firewall ? 'true' : 'false'} || [ -e ${FIREWALL_LOADED} ]; } && command -v nft >/dev/null 2>&1; then
    echo '==>lvs:nft'
    nft -s list table ${FIREWALL_TABLE} 2>/dev/null || echo '!absent'
    echo '==>lvs:nft-loaded'
    if [ -r ${FIREWALL_LOADED} ]; then while IFS= read -r lvs_l || [ -n "$lvs_l" ]; do printf '%s\n' "$lvs_l"; done < ${FIREWALL_LOADED}; else echo '!none'; fi
  fi
  echo '==>lvs:state'
  if [ -r ${STATE_FILE} ]; then while IFS= read -r lvs_l || [ -n "$lvs_l" ]; do printf '%s\\n' "$lvs_l"; done < ${STATE_FILE}; fi
  echo '==>lvs:end'
}`;
}

/** A standalone facts round trip. */
export function factsScript(q: FactQuery): string {
  return `${SCRIPT_PRELUDE}\n${factsFunction(q)}\nlvs_facts\n`;
}
