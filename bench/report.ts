// The bench's markdown: main table, ratios against the targets, connections and round trips,
// end-state parity, scaling. Pure: measurements in, text out.
import type { Startup, ToolRun, TransportFloor } from './measure.js';
import { phaseRows, scalingRows } from './report-scale.js';

export interface SizeResult {
  hosts: number;
  floorAll: number[];
  /** The ssh2 floor through lvs-deploy's own transport, one process (bench/transport-floor.ts). */
  transport: TransportFloor[];
  lvsCold: ToolRun[];
  lvsNoop: ToolRun[];
  /** `lab down` + `lab up` of the first cold start, and the memory it took from the machine. */
  labUpMs: number;
  labMemMb: number;
  /** 1-minute load average when the size started and when it ended. */
  load: number[];
}

export interface MainResult extends SizeResult {
  floorOne: number[];
  transport: TransportFloor[];
  startup: Startup[];
  /** `lvs-deploy status` wall times (read-only, 2 directors), after the lvs-deploy runs. */
  status?: number[];
  ansible: { cold: ToolRun[]; noop: ToolRun[] } | { skipped: string };
  parity: string[] | undefined;
}

export interface ReportInput {
  title: string;
  header: string[];
  main: MainResult;
  scaling: SizeResult[];
}

export function median(xs: number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

export const sec = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : '–');
export const msPer = (ms: number, n: number) => (Number.isFinite(ms) ? `${(ms / n).toFixed(1)} ms` : '–');
export const ratio = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '–');
const range = (xs: number[]) => {
  if (xs.length === 0) return '–';
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return lo === hi ? String(lo) : `${lo}–${hi}`;
};
const spread = (xs: number[]) => (xs.length > 1 ? `${sec(Math.min(...xs))} – ${sec(Math.max(...xs))}` : '–');

function status(runs: ToolRun[], n: number, expectChanged: boolean): string {
  const bad = runs.find((r) => !r.ok);
  if (bad) return `FAILED: ${bad.error ?? `${bad.failed} host(s) failed`}`;
  const changed = runs.map((r) => r.changed);
  const want = expectChanged ? n : 0;
  const okAll = changed.every((c) => c === want);
  return `${okAll ? 'ok' : 'UNEXPECTED'}: ${range(changed)}/${n} hosts changed`;
}

export const times = (runs: ToolRun[]) => runs.map((r) => r.ms);

export function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function toolRows(label: string, runs: ToolRun[], n: number, changed: boolean): string {
  return row([
    label,
    sec(median(times(runs))),
    spread(times(runs)),
    msPer(median(times(runs)), n),
    status(runs, n, changed),
  ]);
}

function countsRow(label: string, runs: ToolRun[], lvs: boolean): string {
  const conns = runs.flatMap((r) => r.sshd.connections);
  const sessions = runs.flatMap((r) => r.sshd.sessions);
  const trips = lvs ? range(runs.flatMap((r) => r.roundTrips ?? [])) : 'n/a';
  const rss = runs.map((r) => r.maxRssKb).filter((x): x is number => x !== undefined);
  const rssText = lvs ? (rss.length ? `${(Math.max(...rss) / 1024).toFixed(0)} MB` : '–') : 'n/a';
  return row([label, range(conns), range(sessions), trips, rssText]);
}

export function met(value: number, target: number, atMost: boolean): string {
  if (!Number.isFinite(value)) return '–';
  return (atMost ? value <= target : value >= target) ? 'yes' : '**no**';
}

export function renderReport(input: ReportInput): string {
  const m = input.main;
  const n = m.hosts;
  const floor = median(m.floorAll);
  const cold = median(times(m.lvsCold));
  const noop = median(times(m.lvsNoop));
  const out: string[] = [`# ${input.title}`, '', ...input.header.map((l) => `- ${l}`), ''];

  out.push(`## ${n} hosts, median of ${m.lvsCold.length} run(s)`, '');
  out.push(
    row(['measure', 'median', 'min – max', 'per host', 'result']),
    row(['---', '---:', '---', '---:', '---']),
  );
  out.push(
    row([
      `floor: OpenSSH \`ssh host true\`, ${n} hosts in parallel`,
      sec(floor),
      spread(m.floorAll),
      msPer(floor, n),
      'ok',
    ]),
  );
  out.push(
    row(['floor: OpenSSH `ssh host true`, 1 host', sec(median(m.floorOne)), spread(m.floorOne), '–', 'ok']),
  );
  const tf = m.transport.map((t) => t.ms);
  out.push(
    row([
      `ssh2 floor: lvs-deploy's transport, connect + \`true\` on ${n} hosts in one process (excl. node start)`,
      sec(median(tf)),
      spread(tf),
      msPer(median(tf), n),
      `connect ${sec(median(m.transport.map((t) => t.connectMs)))}; wall incl. node+tsx start ${sec(median(m.transport.map((t) => t.wallMs)))}; RSS ${(Math.max(0, ...m.transport.map((t) => t.maxRssKb)) / 1024).toFixed(0)} MB`,
    ]),
  );
  const version = m.startup.map((x) => x.version);
  const validate = m.startup.map((x) => x.validate);
  out.push(
    row(['start-up: `lvs-deploy --version`', sec(median(version)), spread(version), '–', 'ok']),
    row([
      `start-up: \`lvs-deploy validate\` of the ${n}-host inventory`,
      sec(median(validate)),
      spread(validate),
      '–',
      'ok',
    ]),
  );
  if (m.status)
    out.push(
      row([
        '`lvs-deploy status` (2 directors, one round trip each)',
        sec(median(m.status)),
        spread(m.status),
        '–',
        'ok',
      ]),
    );
  out.push(toolRows('lvs-deploy up --without-ipvs, cold', m.lvsCold, n, true));
  out.push(toolRows('lvs-deploy up --without-ipvs, no-op', m.lvsNoop, n, false));
  if ('skipped' in m.ansible) {
    out.push(row(['Ansible playbook, cold', '–', '–', '–', `skipped: ${m.ansible.skipped}`]));
    out.push(row(['Ansible playbook, no-op', '–', '–', '–', `skipped: ${m.ansible.skipped}`]));
  } else {
    out.push(toolRows('Ansible playbook, cold', m.ansible.cold, n, true));
    out.push(toolRows('Ansible playbook, no-op', m.ansible.noop, n, false));
  }
  out.push('');

  const aCold = 'skipped' in m.ansible ? Number.NaN : median(times(m.ansible.cold));
  const aNoop = 'skipped' in m.ansible ? Number.NaN : median(times(m.ansible.noop));
  const ssh2 = median(tf);
  out.push('## Goals (issue 17; measured, not asserted)', '');
  out.push(
    "The floor is the ssh2 one: lvs-deploy's own transport connecting to every host and running `true`, in one process, node start excluded; lvs-deploy's times include its node start.",
    '',
  );
  out.push(row(['ratio', 'value', 'target', 'met']), row(['---', '---:', '---', '---']));
  out.push(row(['lvs-deploy cold / ssh2 floor', ratio(cold / ssh2), '≤ 2×', met(cold / ssh2, 2, true)]));
  out.push(row(['lvs-deploy no-op / ssh2 floor', ratio(noop / ssh2), '≤ 1.5×', met(noop / ssh2, 1.5, true)]));
  out.push(
    row(['Ansible cold / lvs-deploy cold', ratio(aCold / cold), '≥ 12×', met(aCold / cold, 12, false)]),
  );
  out.push(
    row(['Ansible no-op / lvs-deploy no-op', ratio(aNoop / noop), '≥ 12×', met(aNoop / noop, 12, false)]),
  );
  out.push(
    row(['start-up: `--version`', sec(median(version)), '≤ 0.10 s', met(median(version), 100, true)]),
    row([
      `start-up: \`validate\`, ${n} hosts`,
      sec(median(validate)),
      '≤ 0.20 s',
      met(median(validate), 200, true),
    ]),
    row([
      'lvs-deploy cold / OpenSSH floor (issue 5)',
      ratio(cold / floor),
      '≤ 1.5×',
      met(cold / floor, 1.5, true),
    ]),
    row([
      'lvs-deploy no-op / OpenSSH floor (issue 5)',
      ratio(noop / floor),
      '≤ 1.2×',
      met(noop / floor, 1.2, true),
    ]),
  );
  if (m.status) {
    // Floor for status: process start + one connect and exec (the ssh2 floor, all hosts at once).
    const statusFloor = median(m.startup.map((x) => x.version)) + median(m.transport.map((t) => t.ms));
    const r = median(m.status) / statusFloor;
    out.push(row(['status / (process start + ssh2 floor)', ratio(r), '< 1.5×', met(r, 1.5, true)]));
  }
  out.push('');
  out.push(...phaseRows(m));

  out.push(
    '## SSH connections and exec round trips per host (min–max over hosts and runs)',
    '',
    'sshd logs (LogLevel VERBOSE) diffed around each run: `Accepted publickey` = connections, `Starting session:` = channels (exec or sftp). Targets: 1 connection and ≤ 2 exec round trips per host (a converge); peak RSS ≤ 150 MB at 50 hosts, ≤ 200 MB at 500 (scaling table).',
    '',
  );
  out.push(
    row(['run', 'SSH connections', 'sessions (sshd)', 'round_trips (--json)', 'peak RSS']),
    row(['---', '---:', '---:', '---:', '---:']),
  );
  out.push(countsRow('lvs-deploy cold', m.lvsCold, true), countsRow('lvs-deploy no-op', m.lvsNoop, true));
  if ('skipped' in m.ansible) {
    out.push(row(['Ansible cold', '–', '–', 'n/a', `skipped: ${m.ansible.skipped}`]));
    out.push(row(['Ansible no-op', '–', '–', 'n/a', `skipped: ${m.ansible.skipped}`]));
  } else {
    out.push(
      countsRow('Ansible cold', m.ansible.cold, false),
      countsRow('Ansible no-op', m.ansible.noop, false),
    );
  }
  out.push('');

  out.push('## End state: lvs-deploy vs Ansible (read on every host with nsenter)', '');
  if (m.parity === undefined) out.push('not compared: Ansible skipped');
  else if (m.parity.length === 0)
    out.push(
      `same on all ${n} hosts: sysctls (ip_forward, arp_ignore/arp_announce on all and lo), addresses on lo, every file's mode and content, keepalived running`,
    );
  else
    out.push(
      `**DIFFERENT** (${m.parity.length} lines):`,
      '',
      ...m.parity.slice(0, 20).map((l) => `    ${l}`),
    );
  out.push('');

  out.push(...scalingRows(input.scaling, m.lvsCold.length));
  out.push('');
  return out.join('\n');
}
