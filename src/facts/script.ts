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
  # Time sysctls (jiffies handlers: tcp_keepalive_time, nf_conntrack_*_timeout_*) answer no read
  # past offset 0, so a byte-wise read gets only the first digit ("7" for 7200): cat those.
  if [ -r "$2" ]; then
    case "$1" in
      *time*|*intvl*) lvs_v=$(cat "$2" 2>/dev/null) ;;
      *) lvs_v=; read -r lvs_v < "$2" 2>/dev/null ;;
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
