// The facts script as data: one {script, parse} pair per section. `script` prints the section's
// marker (`==>lvs:<id>`) and its data inside the `lvs_facts` function; `parse` turns that text
// into the part of HostFacts it owns. Each section has a fixture (test/fixtures/facts/sections/).
//
// Written to start as few programs as possible: under emulation (the VM lab) or on a busy
// director every exec costs 50–300 ms, so sysctls, pid files and the owned list are read with
// shell builtins, and all managed files are read by one `stat` and one `awk`.
import { lines, NOTHING, raw, type ShellFragment, sh } from '../connection/shell.js';
import type { HostFacts } from '../model/facts.js';
import { parseRules, parseTimeouts } from '../model/ipvs.js';
import { OPERATOR_FILE, parseOperator } from '../model/operator.js';
import { type DesiredDaemon, FIREWALL_TABLE } from '../model/types.js';
import { type FactQuery, FIREWALL_LOADED, OWNED_FILE, STATE_FILE, sysctlPath } from './query.js';
import {
  parseAddr,
  parseDaemons,
  parseFiles,
  parseFirewall,
  parseIpRules,
  parseKeyValue,
  parseOs,
  parseRoutes,
  parseState,
  parseSysctls,
} from './read.js';
import { parseVersions, VERSIONS_SECTION, versionsScript } from './versions.js';

export interface FactSection {
  /** The markers it prints, its own first (a section may print a sub-section, like nft-loaded). */
  ids: string[];
  /** Shell lines of `lvs_facts` (two-space indent); empty when the section is not asked for. */
  script(q: FactQuery): ShellFragment;
  /** The text after each of its markers (undefined: not printed) → its part of HostFacts. */
  parse(get: (id: string) => string | undefined, errors: string[]): Partial<HostFacts>;
}

function daemonLines(daemons: DesiredDaemon[]): ShellFragment {
  return lines(
    daemons.map(
      (d) => sh`  if [ "$lvs_systemd" = yes ]; then
    printf '%s %s %s\\n' ${d.name} "$(systemctl is-active ${d.unit} 2>/dev/null)" "$(systemctl is-enabled ${d.unit} 2>/dev/null)"
  elif lvs_pid=; [ -r ${d.pidfile} ] && { read -r lvs_pid < ${d.pidfile}; kill -0 "$lvs_pid" 2>/dev/null; }; then
    printf '%s active %s\\n' ${d.name} "$lvs_pid"
  else
    printf '%s inactive -\\n' ${d.name}
  fi`,
    ),
  );
}

// Without names dpkg-query would list every installed package: only ask about ours.
function packagesQuery(packages: string[]): ShellFragment {
  return sh`  if command -v dpkg-query >/dev/null 2>&1; then
    dpkg-query -W -f='\${Package} \${db:Status-Abbrev}\\n' ${packages} 2>/dev/null
  elif command -v rpm >/dev/null 2>&1; then
    rpm -q --qf '%{NAME} ii\\n' ${packages} 2>/dev/null | grep ' ii$'
  fi`;
}

const yes = (text: string | undefined) => (text ?? '').trim() === 'yes';

export const SECTIONS: FactSection[] = [
  {
    ids: ['os'],
    script: () => sh`  echo '==>lvs:os'
  ( . /etc/os-release 2>/dev/null; printf '%s|%s|%s\\n' "\${ID:-}" "\${ID_LIKE:-}" "\${VERSION_ID:-}" )`,
    parse: (get) => ({ os: parseOs(get('os')) }),
  },
  {
    ids: ['init'],
    script: () => sh`  echo '==>lvs:init'
  echo "$lvs_systemd"`,
    parse: (get) => ({ systemd: yes(get('init')) }),
  },
  {
    ids: ['ipvs-available'],
    script: (q) => sh`  echo '==>lvs:ipvs-available'
  ${raw(q.ipvs ? 'if [ -e /proc/net/ip_vs ] || modprobe -n -q ip_vs 2>/dev/null; then echo yes; else echo no; fi' : 'echo no')}`,
    parse: (get) => ({ ipvsAvailable: yes(get('ipvs-available')) }),
  },
  {
    // Also reads the owned list: owned sysctls not asked for are printed here, owned files not
    // asked for are left in "$@" for the files section (so `down` finds everything `up` wrote).
    ids: ['sysctl'],
    script: (q) => sh`  echo '==>lvs:sysctl'
${lines(q.sysctls.map((k) => sh`  lvs_sysctl ${k} ${sysctlPath(k)}`))}
  set --
  if [ -r ${OWNED_FILE} ]; then
    while read -r lvs_kind lvs_a lvs_b; do
      case "$lvs_kind" in
        sysctl) case ${` ${q.sysctls.join(' ')} `} in *" $lvs_a "*) ;; *) lvs_sysctl "$lvs_a" "$lvs_b" ;; esac ;;
        file) case ${` ${q.files.join(' ')} `} in *" $lvs_a "*) ;; *) set -- "$@" "$lvs_a" ;; esac ;;
      esac
    done < ${OWNED_FILE}
  fi`,
    parse: (get) => ({ sysctls: parseSysctls(get('sysctl')) }),
  },
  {
    ids: ['addr'],
    script: () => sh`  echo '==>lvs:addr'
  ip -j addr show 2>/dev/null || echo '[]'`,
    parse: (get, errors) => parseAddr(get('addr'), errors),
  },
  {
    ids: ['route', 'route6'],
    // IPv6 routes too (a NAT real server's `::/0` through the director); their default is keyed
    // `::/0` so it never meets the IPv4 `default`.
    script: () => sh`  echo '==>lvs:route'
  ip -j route show table main 2>/dev/null || echo '[]'
  echo '==>lvs:route6'
  ip -6 -j route show table main 2>/dev/null || echo '[]'`,
    parse: (get, errors) => ({
      routes: [...parseRoutes(get('route'), errors), ...parseRoutes(get('route6'), errors, 6)],
    }),
  },
  {
    ids: ['rule'],
    script: (q) => sh`  echo '==>lvs:rule'
  ${raw(q.rules ? "ip -j rule show 2>/dev/null || echo '[]'" : "echo '[]'")}`,
    parse: (get, errors) => ({ rules: parseIpRules(get('rule'), errors) }),
  },
  {
    ids: ['files'],
    script: (q) => sh`  echo '==>lvs:files'
  lvs_extra="$*"
  set --
  for lvs_f in ${q.files} $lvs_extra; do
    if [ -f "$lvs_f" ]; then set -- "$@" "$lvs_f"; else printf 'A - - - - %s\\n' "$lvs_f"; fi
  done
  if [ $# -gt 0 ]; then
    stat -c 'F %a %U %G %s %n' "$@"
    awk 'FNR == 1 { print "@@ " FILENAME } { print "|" $0 }' "$@"
  fi`,
    parse: (get) => ({ files: parseFiles(get('files')) }),
  },
  {
    ids: ['packages'],
    script: (q) => sh`  echo '==>lvs:packages'
${q.packages.length === 0 ? NOTHING : packagesQuery(q.packages)}`,
    parse: (get) => ({
      packages: Object.fromEntries(parseKeyValue(get('packages')).map(([n, st]) => [n ?? '', st === 'ii'])),
    }),
  },
  {
    ids: ['modules'],
    script: (q) => sh`  echo '==>lvs:modules'
  for m in ${q.modules}; do
    if [ -d "/sys/module/$m" ]; then echo "$m yes"; else echo "$m no"; fi
  done`,
    parse: (get) => ({
      modules: Object.fromEntries(parseKeyValue(get('modules')).map(([n, st]) => [n ?? '', st === 'yes'])),
    }),
  },
  {
    ids: ['ipvs'],
    script: (q) => sh`  echo '==>lvs:ipvs'
  if ${raw(q.ipvs ? '[ -e /proc/net/ip_vs ] && command -v ipvsadm >/dev/null 2>&1' : 'false')}; then ipvsadm -S -n; else echo '!none'; fi`,
    parse: (get) => {
      const text = get('ipvs') ?? '!none';
      return { ipvs: text.trim() === '!none' ? null : parseRules(text).services };
    },
  },
  {
    // Only when asked (ipvs_timeouts): one more exec on a director that does not need it is not free.
    ids: ['ipvs-timeouts'],
    script: (q) =>
      q.ipvsTimeouts
        ? sh`  echo '==>lvs:ipvs-timeouts'
  if [ -e /proc/net/ip_vs ] && command -v ipvsadm >/dev/null 2>&1; then ipvsadm -L --timeout; else echo '!none'; fi`
        : NOTHING,
    parse: (get) => {
      const text = get('ipvs-timeouts');
      return text === undefined ? {} : { ipvsTimeouts: parseTimeouts(text) };
    },
  },
  {
    ids: ['daemons'],
    script: (q) => sh`  echo '==>lvs:daemons'
${daemonLines(q.daemons)}`,
    parse: (get) => ({ daemons: parseDaemons(get('daemons')) }),
  },
  {
    ids: ['ssh'],
    script: () => sh`  echo '==>lvs:ssh'
  printf '%s\n' "\${lvs_ssh_connection:-}"`,
    parse: (get) => ({ sshClient: (get('ssh') ?? '').trim().split(' ')[0] ?? '' }),
  },
  {
    // Only where nft exists and the table is wanted or was loaded by an earlier `up`.
    ids: ['nft', 'nft-loaded'],
    script: (
      q,
    ) => sh`  if { ${raw(q.firewall ? 'true' : 'false')} || [ -e ${FIREWALL_LOADED} ]; } && command -v nft >/dev/null 2>&1; then
    echo '==>lvs:nft'
    nft -s list table ${FIREWALL_TABLE.split(' ')} 2>/dev/null || echo '!absent'
    echo '==>lvs:nft-loaded'
    if [ -r ${FIREWALL_LOADED} ]; then while IFS= read -r lvs_l || [ -n "$lvs_l" ]; do printf '%s\n' "$lvs_l"; done < ${FIREWALL_LOADED}; else echo '!none'; fi
  fi`,
    parse: (get) => ({ firewall: parseFirewall(get('nft'), get('nft-loaded')) }),
  },
  {
    // Directors only: the operator's drains (see model/operator.ts); absent file = no drains.
    ids: ['operator'],
    script: (q) => sh`  echo '==>lvs:operator'
  if ${raw(q.ipvs ? 'true' : 'false')} && [ -r ${OPERATOR_FILE} ]; then while IFS= read -r lvs_l || [ -n "$lvs_l" ]; do printf '%s\\n' "$lvs_l"; done < ${OPERATOR_FILE}; fi`,
    parse: (get, errors) => {
      try {
        return { drains: parseOperator(get('operator')) };
      } catch (err) {
        errors.push(`cannot parse ${OPERATOR_FILE}: ${(err as Error).message}`);
        return { drains: [] };
      }
    },
  },
  {
    ids: [VERSIONS_SECTION],
    script: versionsScript,
    parse: (get) => parseVersions(get(VERSIONS_SECTION)),
  },
  {
    ids: ['state'],
    script: () => sh`  echo '==>lvs:state'
  if [ -r ${STATE_FILE} ]; then while IFS= read -r lvs_l || [ -n "$lvs_l" ]; do printf '%s\\n' "$lvs_l"; done < ${STATE_FILE}; fi`,
    parse: (get, errors) => ({ state: parseState(get('state'), errors) }),
  },
];
