// The facts script: ONE POSIX sh function that prints every fact the planner needs, in sections
// marked `==>lvs:<id>` (sections.ts: each section's script and parser). It changes nothing on the
// host (it never loads a module or starts ipvsadm on a kernel where IPVS is not loaded yet).
import {
  DETECT_SYSTEMD,
  indent,
  lines,
  raw,
  renderScript,
  type ShellFragment,
  sh,
} from '../connection/shell.js';
import type { FactQuery } from './query.js';
import { SECTIONS } from './sections.js';

export {
  type FactQuery,
  FIREWALL_LOADED,
  factQuery,
  OWNED_FILE,
  STATE_DIR,
  STATE_FILE,
  sysctlPath,
} from './query.js';

/** The function `lvs_facts`; call it to print all sections. */
export function factsFunction(q: FactQuery): ShellFragment {
  return sh`lvs_sysctl() {
  # dash's read returns non-zero on /proc files even when it read the value: ignore its status.
  # An integer sysctl (proc_dointvec and its kin: somaxconn, amemthresh, the jiffies timeouts)
  # answers no read past offset 0, and dash reads a byte at a time, so \`read\` gets only the first
  # digit ("4" for 4096). Only the switches that never have two digits are read with \`read\`
  # (no program started); every other value with one \`cat\`.
  if [ -r "$2" ]; then
    case "$1" in
      *.arp_ignore|*.arp_announce|*.rp_filter|net.ipv4.ip_forward|*.forwarding|net.ipv4.vs.expire_nodest_conn|net.ipv4.vs.expire_quiescent_template|net.ipv4.vs.conntrack)
        lvs_v=; read -r lvs_v < "$2" 2>/dev/null ;;
      *) lvs_v=$(cat "$2" 2>/dev/null) ;;
    esac
    printf '%s=%s\\n' "$1" "$lvs_v"
  else printf '%s!\\n' "$1"; fi
}
lvs_facts() {
${raw(indent(DETECT_SYSTEMD))}
${lines(SECTIONS.map((section) => section.script(q)).filter((s) => s.render() !== ''))}
  echo '==>lvs:end'
}`;
}

/** A standalone facts round trip. */
export function factsScript(q: FactQuery): string {
  return renderScript(sh`${factsFunction(q)}\nlvs_facts\n`, { strict: false }).script;
}
