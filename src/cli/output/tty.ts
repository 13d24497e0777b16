// The interactive reporter: one listr2 task per host, its title following the stages.
// The only importer of listr2.
import { Listr, type ListrTaskWrapper } from 'listr2';
import type { HostResult, Mode } from '../../executor/host.js';
import type { Reporter } from '../../executor/run.js';
import { changeLines, disruptionLine, hostSummary, recap } from './format.js';

interface Slot {
  done: (r: HostResult) => void;
  task?: ListrTaskWrapper<unknown, never, never>;
}

export class TtyReporter implements Reporter {
  #slots = new Map<string, Slot>();
  #run: Promise<unknown> = Promise.resolve();
  #mode: Mode = 'up';
  readonly #secrets: string[];

  constructor(secrets: string[] = []) {
    this.#secrets = secrets;
  }

  start(hosts: string[], mode: Mode): void {
    this.#mode = mode;
    const list = new Listr(
      hosts.map((host) => ({
        title: `${host}: waiting`,
        task: (_ctx: unknown, task: ListrTaskWrapper<unknown, never, never>) =>
          new Promise<void>((resolve, reject) => {
            const slot: Slot = {
              task,
              done: (r) => {
                task.title = `${host}: ${hostSummary(r, this.#mode)}`;
                if (r.status === 'failed' || r.status === 'unreachable') reject(new Error(task.title));
                else resolve();
              },
            };
            this.#slots.set(host, { ...this.#slots.get(host), ...slot });
          }),
      })),
      { concurrent: true, exitOnError: false, registerSignalListeners: false },
    );
    this.#run = list.run().catch(() => undefined);
  }

  stage(host: string, stage: string): void {
    const t = this.#slots.get(host)?.task;
    if (t) t.title = `${host}: ${stage}`;
  }

  result(r: HostResult): void {
    this.#slots.get(r.host)?.done(r);
  }

  async settle(): Promise<void> {
    await this.#run;
  }

  finish(results: HostResult[], mode: Mode): void {
    void this.#run.then(() => {
      for (const r of results) {
        if (r.status !== 'changed') continue;
        process.stdout.write(`${r.host}:\n`);
        for (const c of r.plan?.changes ?? [])
          for (const l of changeLines(c, mode === 'plan', this.#secrets)) process.stdout.write(`  ${l}\n`);
        process.stdout.write(`  ${disruptionLine(r) ?? ''}\n`);
      }
      process.stdout.write(`\n${recap(results, mode).join('\n')}\n`);
    });
  }
}
