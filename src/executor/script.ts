// Assemble the apply script: one round trip that backs up, applies every step with an undo log,
// rolls the host back by itself if a step fails, and ends by printing the facts again (the
// post-check). It survives a dropped SSH connection: HUP/PIPE are ignored and output goes to a
// log first. The whole script is one function called on its last line, so a truncated transfer
// runs nothing. Undo entries are small files sourced newest first; writing them starts no program.
import {
  DETECT_SYSTEMD,
  indent,
  lines,
  NOTHING,
  raw,
  SCRIPT_PRELUDE,
  type ShellFragment,
  sh,
} from '../connection/shell.js';
import { type FactQuery, factsFunction, OWNED_FILE, STATE_DIR } from '../facts/script.js';
import type { Change } from '../planner/changes.js';
import { acquireLock, LOCK_LINK, ownerLine, type RunOwner, releaseLock } from './lock.js';
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

// lvs_drain waits for the real server's ESTABLISHED connections (ActiveConn) to end: closed ones
// in TIME_WAIT (InActConn) linger for minutes and lose nothing when the server is deleted.
const HELPERS = sh`lvs_drain() {
  dest=$1; secs=$2; shift 2; i=0
  # A handshake that began before weight 0 is SYN_RECV (counted inactive) for a moment: let it
  # become established (and so counted) before the first look.
  sleep 2
  while [ "$i" -lt "$secs" ]; do
    n=$(ipvsadm -L -n "$@" 2>/dev/null | awk -v d="$dest" '$1=="->" && $2==d {print $5}')
    [ "\${n:-0}" -eq 0 ] && return 0
    sleep 1; i=$((i+1))
  done
  return 0
}
lvs_undo_all() {
  i=$1
  while [ "$i" -ge 0 ]; do
    if [ -f "$BK/undo.$i" ]; then ( . "$BK/undo.$i" ); fi
    i=$((i-1))
  done
  i=0
  while [ -f "$BK/undo-last.$i" ]; do ( . "$BK/undo-last.$i" ); i=$((i+1)); done
}
lvs_rollback() {
  echo "==>lvs:failed $1"
  lvs_undo_all "$1" > "$BK/undo.log" 2>&1
  echo "==>lvs:rolled-back"
}`;

// The undo is recorded BEFORE its step runs: a step that fails half-way is undone too (every
// undo is safe to run whether or not its step got that far).
function stepBlock(step: Step, n: number, text: ShellFragment): ShellFragment {
  const undo = step.undo ? sh`printf '%s\\n' ${step.undo} > "$BK/undo.${n}"` : raw(':');
  const last = step.undoLast
    ? sh`\n  printf '%s\\n' ${step.undoLast} > "$BK/undo-last.$lvs_last"; lvs_last=$((lvs_last+1))`
    : NOTHING;
  // Not inside an `if`: POSIX shells ignore `set -e` in a tested compound command.
  return sh`  echo '==>lvs:step ${n}'
  ${undo}${last}
  (
set -e
${text}
  )
  if [ $? -ne 0 ]; then lvs_rollback ${n}; return 1; fi`;
}

export function buildApplyScript(
  changes: Change[],
  bookkeeping: Change[],
  facts: FactQuery,
  opts: StepOptions & {
    runId: string;
    keepBackups: number;
    owner: RunOwner;
    lastRunSeen: string;
    /** Fault injection for tests (hidden `--fail-after-step N`): step N fails after it ran. */
    failAfterStep?: number;
  },
): ApplyScript {
  const steps = changes.map((c, i) => stepFor(c, i, opts));
  // Recording what we own is itself a step: undone with the rest if something later fails.
  const record = bookkeeping.map((c, i) => stepFor(c, changes.length + i, opts));
  const all = [...steps, ...record];
  // Fault injection: tests check the host rolls back to exactly its old state whatever step fails.
  const body = (s: Step, i: number) => {
    const run = typeof s.run === 'string' ? raw(s.run) : s.run;
    return i === opts.failAfterStep ? sh`${run}\necho 'injected fault (--fail-after-step)' >&2; false` : run;
  };
  // One script, rendered twice: secrets revealed for the host, masked for --debug.
  const blocks = lines(all.map((s, i) => stepBlock(s, i, body(s, i))));
  const bk = `${BACKUP_DIR}/${opts.runId}`;
  const head = sh`${raw(SCRIPT_PRELUDE)}
${factsFunction(facts)}
${HELPERS}
lvs_main() {
${raw(indent(DETECT_SYSTEMD))}
  lvs_last=0
  lvs_owned='|'
  if [ -r ${OWNED_FILE} ]; then while read -r lvs_kind lvs_a lvs_b; do lvs_owned="$lvs_owned$lvs_a|"; done < ${OWNED_FILE}; fi
  mkdir "$BK/files" || return 1
  if [ -e /proc/net/ip_vs ] && command -v ipvsadm >/dev/null 2>&1; then ipvsadm -S -n > "$BK/ipvs.rules" 2>/dev/null || true; fi
`.render();
  const tail = sh`
  echo '==>lvs:applied'
}
lvs_run() {
  trap '' HUP PIPE
  LVS_STATE=${STATE_DIR}
  BK=${bk}
${acquireLock(opts.owner, opts.lastRunSeen)}
  mkdir -p "$BK" || { rm -f ${LOCK_LINK}; exit 90; }
  lvs_main > "$BK/log" 2>&1
  rc=$?
${releaseLock(opts.owner)}
  set -- ${BACKUP_DIR}/*
  if [ $# -gt ${opts.keepBackups} ]; then (cd ${BACKUP_DIR} && ls -1t | tail -n +${opts.keepBackups + 1} | xargs rm -rf) 2>/dev/null; fi
  while IFS= read -r lvs_l || [ -n "$lvs_l" ]; do printf '%s\\n' "$lvs_l"; done < "$BK/log"
  [ "$rc" -eq 0 ] && lvs_facts
  exit "$rc"
}
lvs_run
`.render();
  return {
    raw: head + blocks.render() + tail,
    masked: head + blocks.masked() + tail,
    runId: opts.runId,
    steps: all.length,
  };
}

/**
 * Run the undo log of an earlier apply (post-check failed). With `owner`, only while no other run
 * has changed the host since that apply (its undo would revert the other run's work).
 */
export function buildUndoScript(runId: string, steps: number, owner?: RunOwner): string {
  return sh`${raw(SCRIPT_PRELUDE)}
${HELPERS}
lvs_undo() {
  trap '' HUP PIPE
${raw(indent(DETECT_SYSTEMD))}
  LVS_STATE=${STATE_DIR}
  BK=${`${BACKUP_DIR}/${runId}`}
${owner ? acquireLock(owner, ownerLine(owner)) : NOTHING}
  lvs_undo_all ${steps - 1} > "$BK/undo.log" 2>&1
${owner ? releaseLock(owner) : NOTHING}
  echo '==>lvs:rolled-back'
}
lvs_undo
`.render();
}
