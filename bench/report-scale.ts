// The bench's per-phase and scaling tables: where a converge spends its time against the ssh2
// floor, and how time, memory and fairness grow from 10 to 500 hosts. Pure: measurements in, text out.
import type { HostRun, ToolRun } from './measure.js';
import { type MainResult, median, met, msPer, ratio, row, type SizeResult, sec, times } from './report.js';

const ms = (x: number) => (Number.isFinite(x) ? `${Math.round(x)} ms` : '–');

/** The run whose wall time is the median one (its per-host figures stand for the size). */
function medianRun(runs: ToolRun[]): ToolRun | undefined {
  const sorted = [...runs].sort((a, b) => a.ms - b.ms);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

const phaseOf = (hosts: HostRun[], name: string) =>
  median(hosts.map((h) => h.phases_ms?.[name]).filter((x): x is number => x !== undefined));

/** Milliseconds between two process marks of a run (`up --json` timings_ms). */
function span(r: ToolRun | undefined, from: string | undefined, to: string): number {
  const t = r?.timings;
  if (!t || t[to] === undefined) return Number.NaN;
  return (t[to] as number) - (from === undefined ? 0 : (t[from] ?? Number.NaN));
}

export function phaseRows(m: MainResult): string[] {
  const cold = medianRun(m.lvsCold);
  const noop = medianRun(m.lvsNoop);
  const out = [
    `## Where a converge spends its time, ${m.hosts} hosts (median run; per-host phases are medians over hosts)`,
    '',
    "From `up --json`: `timings_ms` (ms since the process started) and each host's `phases_ms`. The ssh2 floor's own split is connect (all hosts) then one exec.",
    '',
    row(['phase', 'cold', 'no-op', 'ssh2 floor']),
    row(['---', '---:', '---:', '---:']),
  ];
  const tf = m.transport;
  const steps: [string, string | undefined, string][] = [
    ['node start + loading the command', undefined, 'command'],
    ['inventory: read, parse, validate', 'command', 'inventory'],
    ['roles + templates: desired state of every host', 'inventory', 'expanded'],
    ['SSH stack loaded (ssh2)', 'expanded', 'ssh_loaded'],
    ['hosts: first connect → last result', 'hosts_start', 'hosts_end'],
  ];
  for (const [label, from, to] of steps)
    out.push(
      row([
        label,
        ms(span(cold, from, to)),
        ms(span(noop, from, to)),
        to === 'hosts_end' ? ms(median(tf.map((t) => t.ms))) : '–',
      ]),
    );
  for (const p of ['queued', 'connect', 'facts', 'apply', 'post_check'])
    out.push(
      row([
        `per host: ${p.replace('_', '-')}`,
        ms(phaseOf(cold?.hosts ?? [], p)),
        ms(phaseOf(noop?.hosts ?? [], p)),
        p === 'connect' ? `${ms(median(tf.map((t) => t.connectMs)))} (all hosts)` : '–',
      ]),
    );
  out.push('');
  return out;
}

/** Slowest host's time over the median host's, in the median cold run. */
function starvation(runs: ToolRun[]): number {
  const d = (medianRun(runs)?.hosts ?? []).map((h) => h.duration_ms);
  return d.length ? Math.max(...d) / median(d) : Number.NaN;
}

const rss = (runs: ToolRun[]) => {
  const kb = runs.map((r) => r.maxRssKb).filter((x): x is number => x !== undefined);
  return kb.length ? Math.max(...kb) / 1024 : Number.NaN;
};

export function scalingRows(sizes: SizeResult[], runs: number): string[] {
  const out = [
    `## Scaling: lvs-deploy against the ssh2 and OpenSSH floors, median of ${runs} run(s)`,
    '',
    'Targets: time per host flat from 10 to 500 hosts; peak RSS of lvs-deploy ≤ 200 MB at 500 hosts; slowest host ≤ 2× the median host (cold). Lab: `lab down` + `lab up` time and the memory it took (MemAvailable before − after).',
    '',
    row([
      'hosts',
      'ssh2 floor',
      'cold',
      'cold/host',
      'no-op',
      'no-op/host',
      'cold / ssh2',
      'no-op / ssh2',
      'OpenSSH floor',
      'peak RSS',
      'slowest / median host',
      'lab up',
      'lab memory',
      'load 1 min',
      'result',
    ]),
    row([
      '---:',
      '---:',
      '---:',
      '---:',
      '---:',
      '---:',
      '---:',
      '---:',
      '---:',
      '---:',
      '---:',
      '---:',
      '---:',
      '---',
      '---',
    ]),
  ];
  for (const s of sizes) {
    const f = median(s.transport.map((t) => t.ms));
    const c = median(times(s.lvsCold));
    const o = median(times(s.lvsNoop));
    const bad = [...s.lvsCold, ...s.lvsNoop].find((r) => !r.ok);
    const mb = rss([...s.lvsCold, ...s.lvsNoop]);
    const starve = starvation(s.lvsCold);
    out.push(
      row([
        String(s.hosts),
        sec(f),
        sec(c),
        msPer(c, s.hosts),
        sec(o),
        msPer(o, s.hosts),
        ratio(c / f),
        ratio(o / f),
        sec(median(s.floorAll)),
        Number.isFinite(mb) ? `${mb.toFixed(0)} MB${s.hosts >= 500 ? ` (${met(mb, 200, true)})` : ''}` : '–',
        `${ratio(starve)} (${met(starve, 2, true)})`,
        sec(s.labUpMs),
        `${s.labMemMb.toFixed(0)} MiB`,
        s.load.map((x) => x.toFixed(1)).join(' → '),
        bad ? `FAILED: ${bad.error ?? ''}` : 'ok',
      ]),
    );
  }
  out.push('');
  return out;
}
