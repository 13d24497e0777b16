// One host's pipeline: facts → plan → (apply with post-check, roll back on failure). Every
// outcome is a HostResult; nothing here throws for a host-level failure.

import type { Transport } from '../connection/transport.js';
import { LvsError } from '../errors.js';
import { parseFacts, splitSections } from '../facts/parse.js';
import { type FactQuery, factQuery, factsScript, OWNED_FILE, STATE_FILE } from '../facts/script.js';
import type { Inventory } from '../inventory/types.js';
import type { HostFacts } from '../model/facts.js';
import { type Drain, drainNotes } from '../model/operator.js';
import type { DesiredHost } from '../model/types.js';
import { type Change, describeChange } from '../planner/changes.js';
import { planDown } from '../planner/down.js';
import { type HostPlan, planHost } from '../planner/plan.js';
import { secretValues } from '../roles/expand.js';
import { lockError, newOwner, READ_LAST_RUN, type RunOwner } from './lock.js';
import { installFirst, isPackageChange, refreshNote } from './packages.js';
import { buildApplyScript, buildUndoScript } from './script.js';
import { nextState, stateFiles } from './state.js';

export type Mode = 'up' | 'plan' | 'down';
export type HostStatus = 'ok' | 'changed' | 'failed' | 'unreachable';

export interface HostResult {
  host: string;
  status: HostStatus;
  /** One line per change (applied, or pending for `plan`). */
  changes: string[];
  plan?: HostPlan;
  facts?: HostFacts;
  error?: string;
  rolledBack?: boolean;
  durationMs: number;
  roundTrips: number;
  /** What the operator set that `up` keeps, e.g. "web1 drained by operator since …". */
  notes?: string[];
}

export interface HostJob {
  inv: Inventory;
  desired: DesiredHost;
  mode: Mode;
  drainSeconds: number;
  /** Tests only: make apply step N fail after it ran (see buildApplyScript). */
  failAfterStep?: number;
  debug: boolean;
  /** The host's desired state for that OS, with the operator's drains applied (none: as inventoried). */
  expand: (os: 'debian' | 'rhel', drains?: Drain[]) => DesiredHost;
  /**
   * Directors: the drains to converge to, given those read from the director (default: keep
   * them; `up --enable-drained` clears them; `drain`/`enable` pass the new set).
   */
  drains?: (onHost: Drain[]) => Drain[];
  stage: (stage: string) => void;
  /** This run's identity on the hosts' lock (one per run; a fresh one when absent). */
  owner?: RunOwner;
  /** Resolves when this host may change: the MASTER director waits here for every BACKUP. */
  beforeApply?: () => Promise<void>;
}

function tail(text: string, lines = 6): string {
  return text.trim().split('\n').slice(-lines).join(' | ');
}

interface Gathered {
  facts: HostFacts;
  /** Who last applied on this host (LAST_RUN_FILE): the apply refuses if that changed since. */
  lastRun: string;
}

async function gather(t: Transport, q: FactQuery): Promise<Gathered> {
  const r = await t.run(`${factsScript(q)}${READ_LAST_RUN}\n`);
  if (r.code !== 0)
    throw new LvsError('facts', `facts script failed (exit ${r.code}): ${tail(r.stderr || r.stdout)}`, 1);
  const lastRun = splitSections(r.stdout).get('last-run') ?? '';
  return { facts: parseFacts(r.stdout), lastRun: lastRun.split('\n')[0] ?? '' };
}

function planFor(job: HostJob, desired: DesiredHost, facts: HostFacts): HostPlan {
  return job.mode === 'down' ? planDown(desired.host, facts, desired.daemons) : planHost(desired, facts);
}

/** Parse the apply output: which step failed, and its output. */
function applyFailure(out: string, changes: Change[]): string {
  const m = /^==>lvs:failed (\d+)$/m.exec(out);
  const n = Number(m?.[1] ?? -1);
  const start = out.indexOf(`==>lvs:step ${n}\n`);
  const stepOut =
    start >= 0
      ? out
          .slice(start)
          .split('\n')
          .slice(1)
          .filter((l) => !l.startsWith('==>lvs:'))
          .join('\n')
      : out;
  const what = changes[n] ? describeChange(changes[n]) : 'recording state';
  return `step "${what}" failed: ${tail(stepOut) || '(no output)'}; rolled back`;
}

export async function runHost(t: Transport, job: HostJob, started: number): Promise<HostResult> {
  const base = { host: job.desired.host, durationMs: 0, roundTrips: 0 };
  let notes: string[] | undefined;
  const finish = (r: Omit<HostResult, 'durationMs' | 'roundTrips' | 'host'>): HostResult => ({
    ...base,
    ...r,
    ...(notes ? { notes } : {}),
    durationMs: Date.now() - started,
    roundTrips: t.stats.execs,
  });
  job.stage('facts');
  let desired = job.desired;
  let query = factQuery(desired);
  let seen = await gather(t, query);
  if (seen.facts.os.family === 'rhel') {
    desired = job.expand('rhel');
    query = factQuery(desired);
    seen = await gather(t, query);
  }
  let facts = seen.facts;
  if (job.mode !== 'down' && desired.kinds.includes('director')) {
    // A drain is durable: the weights and operator.json come from what the director holds.
    const drains = job.drains ? job.drains(facts.drains) : facts.drains;
    if (drains.length > 0) {
      desired = job.expand(facts.os.family === 'rhel' ? 'rhel' : 'debian', drains);
      query = factQuery(desired);
      seen = await gather(t, query);
      facts = seen.facts;
      notes = drainNotes(drains);
    }
  }
  const plan = planFor(job, desired, facts);
  const descriptions = plan.changes.map(describeChange);
  if (plan.blockers.length > 0)
    return finish({ status: 'failed', changes: [], plan, facts, error: plan.blockers.join('; ') });
  if (job.mode === 'plan' || plan.changes.length === 0) {
    return finish({ status: plan.changes.length > 0 ? 'changed' : 'ok', changes: descriptions, plan, facts });
  }
  let applied = plan.changes;
  const addNote = (n: string | undefined) => {
    if (n) notes = [...(notes ?? []), n];
  };
  if (job.beforeApply) {
    // Installing packages changes no VRRP state: the MASTER does it now, with everyone, and
    // waits only to change its configuration.
    if (job.mode === 'up' && applied.some(isPackageChange)) {
      job.stage('packages');
      const r = await installFirst(t, applied, facts.os.family);
      addNote(refreshNote(r.output));
      if (!r.ok)
        return finish({
          status: 'failed',
          changes: [],
          plan,
          error: `package install failed: ${tail(r.output)}`,
        });
      applied = applied.filter((c) => !isPackageChange(c));
    }
    job.stage('wait-backup');
    await job.beforeApply();
  }
  job.stage('apply');
  const state = job.mode === 'down' ? undefined : nextState(job.inv.name, desired, facts, plan.changes);
  const bookkeeping: Change[] =
    state === undefined
      ? [STATE_FILE, OWNED_FILE].map((path) => ({
          kind: 'file',
          action: 'remove',
          path,
          before: null,
          after: null,
          mode: '',
          owner: '',
          group: '',
          secret: false,
        }))
      : stateFiles(state).map((f) => ({
          kind: 'file',
          action: 'update',
          path: f.path,
          before: null,
          after: f.content,
          mode: '0600',
          owner: 'root',
          group: 'root',
          secret: false,
        }));
  const owner = job.owner ?? newOwner();
  const runId = owner.runId;
  const script = buildApplyScript(applied, bookkeeping, query, {
    drainSeconds: job.drainSeconds,
    ...(job.failAfterStep !== undefined ? { failAfterStep: job.failAfterStep } : {}),
    osFamily: facts.os.family,
    secrets: secretValues(job.inv),
    runId,
    keepBackups: 5,
    owner,
    lastRunSeen: seen.lastRun,
  });
  if (job.debug)
    process.stderr.write(`--- ${desired.host}: apply script (secrets masked)\n${script.masked}\n`);
  const r = await t.run(script.raw, { timeoutMs: 600_000 });
  addNote(refreshNote(r.stdout));
  const refused = lockError(desired.host, r.code, r.stdout);
  if (refused) return finish({ status: 'failed', changes: [], plan, error: refused });
  if (r.code !== 0) {
    const error =
      r.code === null
        ? 'connection lost during apply; the host completes or rolls back on its own — rerun to converge'
        : applyFailure(r.stdout, applied);
    return finish({ status: 'failed', changes: [], plan, error, rolledBack: r.code !== null });
  }
  job.stage('post-check');
  const after = r.stdout.slice(r.stdout.indexOf('==>lvs:applied'));
  const postFacts = parseFacts(splitSections(after).size > 0 ? after : '');
  const left = planFor(job, desired, postFacts);
  if (left.changes.length > 0 || left.blockers.length > 0) {
    const undo = await t.run(buildUndoScript(runId, script.steps, owner));
    const refused = lockError(desired.host, undo.code, undo.stdout);
    if (refused)
      return finish({
        status: 'failed',
        changes: [],
        plan,
        error: `post-check: still not converged; not rolled back: ${refused}`,
      });
    const pending = [...left.blockers, ...left.changes.map(describeChange)].slice(0, 3).join('; ');
    return finish({
      status: 'failed',
      changes: [],
      plan,
      error: `post-check: still not converged (${pending}); rolled back`,
      rolledBack: true,
    });
  }
  return finish({ status: 'changed', changes: descriptions, plan, facts: postFacts });
}
