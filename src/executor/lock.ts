// One lvs-deploy run at a time per host, over the whole facts → plan → apply pipeline.
//
// A lock cannot be held by a remote shell across round trips, so two things work together:
// - the apply script takes a lock (an atomic symlink whose target names the owner: remote pid,
//   run id, control host, control pid, time) for as long as it changes the host;
// - every apply that ran records its owner in LAST_RUN_FILE, and the facts round trip reads that
//   file. An apply refuses (exit 92, nothing changed) when LAST_RUN_FILE no longer says what its
//   facts read: another run changed the host after this run's plan was made, so the plan is stale.
// Together: a plan is applied only to the host it was computed from, whatever the interleaving.
import { hostname } from 'node:os';
import { type ShellFragment, sh } from '../connection/shell.js';
import { STATE_DIR } from '../facts/script.js';

export const LOCK_LINK = `${STATE_DIR}/run.lock`;
export const LAST_RUN_FILE = `${STATE_DIR}/last-run`;
export const EXIT_LOCKED = 91;
export const EXIT_MOVED = 92;

export interface RunOwner {
  runId: string;
  controlHost: string;
  pid: number;
  /** ISO time the run started. */
  since: string;
}

export function newOwner(now = new Date()): RunOwner {
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const rand = Math.random().toString(36).slice(2, 8);
  // The host name goes into a symlink target and a shell word: keep it to safe characters.
  const controlHost = hostname().replace(/[^A-Za-z0-9._-]/g, '_') || 'unknown';
  return {
    runId: `${stamp}-${process.pid}-${rand}`,
    controlHost,
    pid: process.pid,
    since: now.toISOString(),
  };
}

export const ownerLine = (o: RunOwner) => `${o.runId} ${o.controlHost} ${o.pid} ${o.since}`;

export function parseOwner(line: string | undefined): RunOwner | undefined {
  const [runId, controlHost, pid, since] = (line ?? '').trim().split(/\s+/);
  if (!runId || !controlHost || !pid || !since) return undefined;
  return { runId, controlHost, pid: Number(pid), since };
}

/** Appended to the facts round trip: prints the last run's owner line (empty: none yet). */
export const READ_LAST_RUN = `echo '==>lvs:last-run'
if [ -r ${LAST_RUN_FILE} ]; then lvs_l=; read -r lvs_l < ${LAST_RUN_FILE}; printf '%s\\n' "$lvs_l"; fi`;

/**
 * sh run at the start of the apply script, before anything changes: take the lock, or exit 91
 * naming its holder; check the last run is the one the facts saw, or exit 92 naming it.
 * A lock whose remote shell is gone (host rebooted mid-apply, shell killed) is stale: taken over.
 */
export function acquireLock(owner: RunOwner, lastRunSeen: string): ShellFragment {
  return sh`  mkdir -p ${STATE_DIR} || exit 90
  if ! ln -s "$$ "${ownerLine(owner)} ${LOCK_LINK} 2>/dev/null; then
    lvs_held=$(readlink ${LOCK_LINK} 2>/dev/null)
    if [ -n "$lvs_held" ] && kill -0 "\${lvs_held%% *}" 2>/dev/null; then echo '==>lvs:locked'; printf '%s\\n' "\${lvs_held#* }"; exit ${EXIT_LOCKED}; fi
    [ "$(readlink ${LOCK_LINK} 2>/dev/null)" = "$lvs_held" ] && rm -f ${LOCK_LINK}
    if ! ln -s "$$ "${ownerLine(owner)} ${LOCK_LINK} 2>/dev/null; then echo '==>lvs:locked'; readlink ${LOCK_LINK} | sed 's/^[0-9]* //'; exit ${EXIT_LOCKED}; fi
  fi
  lvs_seen=
  [ -r ${LAST_RUN_FILE} ] && read -r lvs_seen < ${LAST_RUN_FILE}
  if [ "$lvs_seen" != ${lastRunSeen} ]; then rm -f ${LOCK_LINK}; echo '==>lvs:moved'; printf '%s\\n' "$lvs_seen"; exit ${EXIT_MOVED}; fi`;
}

/** sh run after the apply (applied or rolled back): record this run, then release the lock. */
export function releaseLock(owner: RunOwner): ShellFragment {
  return sh`  printf '%s\\n' ${ownerLine(owner)} > ${LAST_RUN_FILE}.tmp && mv -f ${LAST_RUN_FILE}.tmp ${LAST_RUN_FILE}
  rm -f ${LOCK_LINK}`;
}

function section(out: string, name: string): string | undefined {
  const i = out.indexOf(`==>lvs:${name}\n`);
  return i < 0 ? undefined : out.slice(i + name.length + 8).split('\n')[0];
}

/** The one-line error for a refused apply (exit 91 or 92), or undefined for any other exit. */
export function lockError(host: string, code: number | null, out: string): string | undefined {
  if (code === EXIT_LOCKED) {
    const o = parseOwner(section(out, 'locked'));
    return o
      ? `another lvs-deploy run holds ${host} since ${o.since} (pid ${o.pid} on ${o.controlHost}); nothing applied — run again when it is done`
      : `another lvs-deploy run holds ${host}; nothing applied — run again when it is done`;
  }
  if (code === EXIT_MOVED) {
    const o = parseOwner(section(out, 'moved'));
    const who = o ? ` (run ${o.since}, pid ${o.pid} on ${o.controlHost})` : '';
    return `another lvs-deploy run${who} changed ${host} after this run read its facts; nothing applied — run again to converge`;
  }
  return undefined;
}
