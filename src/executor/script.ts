// Assemble the apply script: one round trip that backs up, applies every step with an undo log,
// rolls the host back by itself if a step fails, and ends by printing the facts again (the
// post-check). It survives a dropped SSH connection: HUP/PIPE are ignored and output goes to a
// log first. The whole script is one function called on its last line, so a truncated transfer
// runs nothing.
import { quote } from '../connection/shell.js';
import { factsFunction, type FactQuery, SCRIPT_PRELUDE, STATE_DIR } from '../facts/script.js';
import type { Change } from '../planner/changes.js';
import { type Step, type StepOptions, stepFor } from './steps.js';

export interface ApplyScript {
  /** Sent to the host. */
  raw: string;
  /** Same script with secrets replaced, for --debug. */
  masked: string;
  runId: string;
  steps: number;
}

export const BACKUP_DIR = `${STATE_DIR}/backup`;

const HELPERS = `lvs_undo_push() {
  { printf '%s\\n' "$1"; cat "$BK/undo.sh"; } > "$BK/undo.tmp" && mv -f "$BK/undo.tmp" "$BK/undo.sh"
}
lvs_drain() {
  dest=$1; secs=$2; shift 2; i=0
  while [ "$i" -lt "$secs" ]; do
    n=$(ipvsadm -L -n "$@" 2>/dev/null | awk -v d="$dest" '$1=="->" && $2==d {print $5+$6}')
    [ "\${n:-0}" -eq 0 ] && return 0
    sleep 1; i=$((i+1))
  done
  return 0
}
lvs_rollback() {
  echo "==>lvs:failed $1"
  sh "$BK/undo.sh" > "$BK/undo.log" 2>&1
  sh "$BK/undo-last.sh" >> "$BK/undo.log" 2>&1
  echo "==>lvs:rolled-back"
}`;

function stepBlock(step: Step, n: number, text: string): string {
  const undo = step.undo ? `lvs_undo_push ${quote(step.undo)}` : ':';
  const last = step.undoLast ? `\n  printf '%s\\n' ${quote(step.undoLast)} >> "$BK/undo-last.sh"` : '';
  // Not inside an `if`: POSIX shells ignore `set -e` in a tested compound command.
  return `  echo '==>lvs:step ${n}'
  (
set -e
${text}
  )
  if [ $? -ne 0 ]; then lvs_rollback ${n}; return 1; fi
  ${undo}${last}`;
}

export function buildApplyScript(
  changes: Change[],
  bookkeeping: Change[],
  facts: FactQuery,
  opts: StepOptions & { runId: string; keepBackups: number },
): ApplyScript {
  const steps = changes.map((c, i) => stepFor(c, i, opts));
  // Recording what we own is itself a step: undone with the rest if something later fails.
  const record = bookkeeping.map((c, i) => stepFor(c, changes.length + i, opts));
  const all = [...steps, ...record];
  const render = (masked: boolean) =>
    all.map((s, i) => stepBlock(s, i, masked && s.secret ? '  : "*** step with a secret, masked ***"' : s.run)).join('\n');
  const bk = `${BACKUP_DIR}/${opts.runId}`;
  const head = `${SCRIPT_PRELUDE}
${factsFunction(facts)}
${HELPERS}
lvs_main() {
  lvs_systemd=no
  [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ] && lvs_systemd=yes
  mkdir -p "$BK/files" && : > "$BK/undo.sh" && : > "$BK/undo-last.sh" || return 1
  if command -v ipvsadm >/dev/null 2>&1 && [ -e /proc/net/ip_vs ]; then ipvsadm -S -n > "$BK/ipvs.rules" 2>/dev/null || true; fi
`;
  const tail = `
  echo '==>lvs:applied'
}
lvs_run() {
  trap '' HUP PIPE
  LVS_STATE=${STATE_DIR}
  BK=${quote(bk)}
  mkdir -p ${BACKUP_DIR} || exit 90
  if ! mkdir ${STATE_DIR}/lock 2>/dev/null; then
    if kill -0 "$(cat ${STATE_DIR}/lock/pid 2>/dev/null)" 2>/dev/null; then echo "==>lvs:locked"; exit 91; fi
    rm -rf ${STATE_DIR}/lock; mkdir ${STATE_DIR}/lock || exit 91
  fi
  echo $$ > ${STATE_DIR}/lock/pid
  mkdir -p "$BK"
  lvs_main > "$BK/log" 2>&1
  rc=$?
  rm -rf ${STATE_DIR}/lock
  (cd ${BACKUP_DIR} && ls -1t | tail -n +${opts.keepBackups + 1} | xargs rm -rf) 2>/dev/null
  cat "$BK/log"
  [ "$rc" -eq 0 ] && lvs_facts
  exit "$rc"
}
lvs_run
`;
  return { raw: head + render(false) + tail, masked: head + render(true) + tail, runId: opts.runId, steps: all.length };
}

/** Run the undo log of an earlier apply (post-check failed). */
export function buildUndoScript(runId: string): string {
  const bk = quote(`${BACKUP_DIR}/${runId}`);
  return `${SCRIPT_PRELUDE}
lvs_undo() {
  trap '' HUP PIPE
  sh ${bk}/undo.sh > ${bk}/undo.log 2>&1
  sh ${bk}/undo-last.sh >> ${bk}/undo.log 2>&1
  echo '==>lvs:rolled-back'
}
lvs_undo
`;
}
