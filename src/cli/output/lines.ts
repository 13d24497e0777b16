// Plain host-prefixed lines: for CI, pipes and TERM=dumb. Readable when hosts interleave.
import type { HostResult, Mode } from '../../executor/host.js';
import type { Reporter } from '../../executor/run.js';
import { changeLines, disruptionLine, hostSummary, recap } from './format.js';

export class LineReporter implements Reporter {
  readonly #out: NodeJS.WritableStream;
  readonly #started = Date.now();
  #mode: Mode = 'up';

  readonly #secrets: string[];

  constructor(out: NodeJS.WritableStream = process.stdout, secrets: string[] = []) {
    this.#out = out;
    this.#secrets = secrets;
  }

  #w(line: string): void {
    this.#out.write(`${line}\n`);
  }

  start(hosts: string[], mode: Mode): void {
    this.#mode = mode;
    this.#w(`${mode}: ${hosts.length} host(s): ${hosts.join(', ')}`);
  }

  stage(host: string, stage: string): void {
    this.#w(`[${host}] ${stage}`);
  }

  result(r: HostResult): void {
    const mode = this.#mode;
    this.#w(`[${r.host}] ${hostSummary(r, mode)}`);
    for (const c of r.plan?.changes ?? []) {
      if (r.status !== 'changed') break;
      for (const l of changeLines(c, mode === 'plan', this.#secrets)) this.#w(`[${r.host}]   ${l}`);
    }
    const worst = disruptionLine(r);
    if (worst) this.#w(`[${r.host}] ${worst}`);
  }

  finish(results: HostResult[], mode: Mode): void {
    this.#w('');
    for (const l of recap(results, mode)) this.#w(l);
    this.#w(`${results.length} host(s) in ${((Date.now() - this.#started) / 1000).toFixed(1)}s`);
  }
}
