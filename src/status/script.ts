// The status read: ONE POSIX sh script per director, one round trip, read-only. It never signals
// a daemon (keepalived's signal-driven dumps have caused trouble, keepalived #2066): VRRP state is
// inferred from what the kernel shows (addresses held, link state) plus whether the daemon's pid
// is alive (/proc/PID, not kill -0) and the priority written in the live keepalived.conf.
// Sections are marked `==>lvs:<id>` like the facts script.
import { NOTHING, renderScript, type ShellFragment, sh } from '../connection/shell.js';
import { OPERATOR_FILE } from '../model/operator.js';
import type { ManagerView } from './manager.js';

/** Print a file line by line with builtins only (no exec): `cat` costs a process under emulation. */
const echoFile = (path: string) =>
  sh`if [ -r ${path} ]; then while IFS= read -r lvs_l || [ -n "$lvs_l" ]; do printf '%s\\n' "$lvs_l"; done < ${path}; fi`;

function daemonCheck(m: ManagerView): ShellFragment {
  const d = m.daemon;
  if (!d) return NOTHING;
  return sh`lvs_p=
if [ -r ${d.pidfile} ] && read -r lvs_p < ${d.pidfile} && [ -n "$lvs_p" ] && [ -d "/proc/$lvs_p" ]; then
  echo ${d.name} running
elif [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ] && systemctl is-active -q ${d.unit} 2>/dev/null; then
  echo ${d.name} running
else
  echo ${d.name} stopped
fi`;
}

// vrrp_instance names, their priority, and whether anything tracked can move it.
const VRRP_AWK = `$1 == "vrrp_instance" { print "instance", $2 } $1 == "priority" { print "priority", $2 } $1 ~ /^track_/ { print "track" }`;

export function statusScript(m: ManagerView): string {
  const body = sh`echo '==>lvs:ipvs'
if [ ! -e /proc/net/ip_vs ]; then echo '!no-kernel'
elif ! command -v ipvsadm >/dev/null 2>&1; then echo '!no-ipvsadm'
else
  ipvsadm -S -n
  echo '==>lvs:ipvs-list'
  ipvsadm -L -n
  echo '==>lvs:ipvs-rate'
  ipvsadm -L -n --rate --exact
  echo '==>lvs:sync'
  ipvsadm -L --daemon
fi
echo '==>lvs:addr'
ip -j addr show 2>/dev/null || echo '[]'
echo '==>lvs:daemon'
${daemonCheck(m)}
echo '==>lvs:vrrp-conf'
${m.vrrpConfig ? sh`[ -r ${m.vrrpConfig} ] && awk ${VRRP_AWK} ${m.vrrpConfig}` : NOTHING}
echo '==>lvs:operator'
${echoFile(OPERATOR_FILE)}
echo '==>lvs:end'
`;
  return renderScript(body, { strict: false }).script;
}
