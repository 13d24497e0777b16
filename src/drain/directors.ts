// One SSH connection per director for the whole drain/enable/roll, and the three things done
// through it: read the drains (and refuse a director with pending changes), converge to a new
// drain set with the ordinary apply script (backup, validate, reload, post-check, roll back on
// failure), and read the live table.
import { resolveTarget, type SshTarget } from '../connection/target.js';
import type { Transport } from '../connection/transport.js';
import { type HostResult, runHost } from '../executor/host.js';
import type { Inventory } from '../inventory/types.js';
import { describeChange } from '../planner/changes.js';
import { withoutIpvs } from '../roles/without-ipvs.js';
import { DrainError } from './errors.js';
import { LIVE_SCRIPT, type LiveTable, parseIpvsList } from './live.js';
import { type Drain, expandDrained } from './operator.js';

export interface DirectorsOptions {
  withoutIpvs: boolean;
  debug: boolean;
  connect: (target: SshTarget) => Promise<Transport>;
}

export class Directors {
  readonly names: string[];
  /** Each director's drains as read before the command changed anything. */
  readonly before = new Map<string, Drain[]>();
  #t = new Map<string, Transport>();

  constructor(
    readonly inv: Inventory,
    readonly opts: DirectorsOptions,
  ) {
    this.names = [...inv.directors.hosts];
  }

  async open(): Promise<void> {
    const opened = await Promise.allSettled(
      this.names.map(async (n) => [n, await this.opts.connect(resolveTarget(this.inv, n))] as const),
    );
    const failed: string[] = [];
    opened.forEach((r, i) => {
      if (r.status === 'fulfilled') this.#t.set(r.value[0], r.value[1]);
      else failed.push(`${this.names[i]}: ${(r.reason as Error).message}`);
    });
    if (failed.length > 0) {
      await this.close();
      throw new DrainError(`cannot reach director(s): ${failed.join('; ')}`);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.#t.values()].map((t) => t.close().catch(() => undefined)));
    this.#t.clear();
  }

  transport(name: string): Transport {
    const t = this.#t.get(name);
    if (!t) throw new DrainError(`${name}: not connected`);
    return t;
  }

  #run(name: string, mode: 'plan' | 'up', drains?: (onHost: Drain[]) => Drain[]): Promise<HostResult> {
    const strip = this.opts.withoutIpvs ? withoutIpvs : <T>(d: T) => d;
    const expand = (os: 'debian' | 'rhel', d?: Drain[]) => strip(expandDrained(this.inv, name, os, d ?? []));
    return runHost(
      this.transport(name),
      {
        inv: this.inv,
        desired: expand('debian'),
        mode,
        drainSeconds: 10,
        debug: this.opts.debug,
        expand,
        ...(drains ? { drains } : {}),
        stage: () => undefined,
      },
      Date.now(),
    );
  }

  /**
   * Every director's drains, merged. Refuses a director that is not converged: drain applies
   * the whole desired state, and must not carry unrelated pending changes along with it.
   */
  async readDrains(): Promise<Map<string, Drain[]>> {
    const results = await Promise.all(this.names.map((n) => this.#run(n, 'plan')));
    const problems: string[] = [];
    for (const r of results) {
      if (r.status !== 'ok') {
        const pending = r.plan?.changes.map(describeChange) ?? [];
        problems.push(
          r.error
            ? `${r.host}: ${r.error}`
            : `${r.host}: ${pending.length} pending change(s) (${pending.slice(0, 2).join('; ')}); run lvs-deploy up first`,
        );
        continue;
      }
      this.before.set(r.host, r.facts?.drains ?? []);
    }
    if (problems.length > 0) throw new DrainError(`director(s) not ready: ${problems.join(' | ')}`);
    return this.before;
  }

  /**
   * Converge every director to `drains`, all at once. All-or-nothing: when one fails (it rolls
   * itself back), the others are put back to the drains they had; returns the failures.
   */
  async converge(
    drains: Drain[],
  ): Promise<{ failed: HostResult[]; notRestored: HostResult[]; changed: HostResult[] }> {
    const results = await Promise.all(this.names.map((n) => this.#run(n, 'up', () => drains)));
    const failed = results.filter((r) => r.status === 'failed' || r.status === 'unreachable');
    let notRestored: HostResult[] = [];
    if (failed.length > 0) {
      const back = await this.restore(results.filter((r) => !failed.includes(r)).map((r) => r.host));
      notRestored = back.filter((r) => r.status === 'failed' || r.status === 'unreachable');
    }
    return { failed, notRestored, changed: results.filter((r) => r.status === 'changed') };
  }

  /** Put these directors back to the drains they had before the command. */
  async restore(names: string[] = this.names): Promise<HostResult[]> {
    return Promise.all(names.map((n) => this.#run(n, 'up', () => this.before.get(n) ?? [])));
  }

  /** Each director's live table; null where the kernel has no IPVS to read. */
  async live(): Promise<Map<string, LiveTable | null>> {
    const out = new Map<string, LiveTable | null>();
    await Promise.all(
      this.names.map(async (n) => {
        const r = await this.transport(n).run(LIVE_SCRIPT, { timeoutMs: 20_000, phase: 'read' });
        if (r.code !== 0)
          throw new DrainError(`${n}: ipvsadm -Ln failed (exit ${r.code}): ${r.stderr.trim()}`);
        out.set(n, r.stdout.trim() === '!none' ? null : parseIpvsList(r.stdout));
      }),
    );
    return out;
  }
}
