// The human view of a StatusReport: VRRP instances, then one compact table per service
// (a row per real server and director), then notes and alarms. ANSI emphasis only on a TTY.
import type { RealServerStatus, StatusReport } from './types.js';

const n = (v: number | null) => (v === null ? '-' : String(v));

function grid(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}

function drainText(r: RealServerStatus): string {
  return r.drained ? `drained since ${r.drained.since} by ${r.drained.by}` : '';
}

export function renderTable(report: StatusReport, tty = false): string {
  const bold = (s: string) => (tty ? `\x1b[1m${s}\x1b[0m` : s);
  const red = (s: string) => (tty ? `\x1b[31m${s}\x1b[0m` : s);
  const out: string[] = [bold(`status ${report.inventory}  ${report.time}`)];
  const down = report.directors.filter((d) => !d.reachable);
  for (const d of down) out.push(red(`director ${d.director} UNREACHABLE: ${d.error ?? ''}`));
  if (report.instances.length > 0) {
    out.push('', bold('VRRP'));
    const rows = [['instance', 'director', 'state', 'priority', 'holds']];
    for (const i of report.instances)
      rows.push([
        i.instance,
        i.director,
        i.state,
        `${i.priority}${i.tracked ? ' (tracked)' : ''}`,
        i.held.join(' ') || '-',
      ]);
    out.push(...grid(rows).map((l, k) => (k === 0 ? bold(l) : l)));
  }
  // Sync daemons: shown once any director runs one (or sync is inventoried and one is missing).
  if (
    report.directors.some((d) => (d.sync_daemons?.length ?? 0) > 0) ||
    report.notes.some((x) => x.includes('sync daemon'))
  ) {
    out.push('', bold('IPVS sync daemons'));
    const rows = [['director', 'sync daemons']];
    for (const d of report.directors)
      rows.push([
        d.director,
        d.sync_daemons === null
          ? '-'
          : d.sync_daemons.map((x) => `${x.role} (${x.interface}, syncid ${x.syncid})`).join(', ') || 'none',
      ]);
    out.push(...grid(rows).map((l, k) => (k === 0 ? bold(l) : l)));
  }
  for (const s of report.services) {
    out.push('', bold(`service ${s.service}  ${s.key}`));
    if (s.directors.length === 0) {
      out.push('  (no director table read)');
      continue;
    }
    const rows = [
      [
        'real server',
        'director',
        'weight',
        'active',
        'inact',
        'conn/s',
        'in B/s',
        'out B/s',
        'health',
        'operator',
      ],
    ];
    for (const d of s.directors) {
      if (!d.present) {
        rows.push(['(service missing)', d.director, '', '', '', '', '', '', '', '']);
        continue;
      }
      for (const r of d.real_servers)
        rows.push([
          r.real_server,
          d.director,
          r.inventory_weight !== null && r.weight !== r.inventory_weight
            ? `${n(r.weight)}/${r.inventory_weight}`
            : n(r.weight),
          n(r.active_conns),
          n(r.inactive_conns),
          n(r.conns_per_second),
          n(r.in_bytes_per_second),
          n(r.out_bytes_per_second),
          r.inventory_weight === null ? 'not in inventory' : r.health,
          drainText(r),
        ]);
    }
    out.push(...grid(rows).map((l, k) => `  ${k === 0 ? bold(l) : l}`));
  }
  if (report.real_servers) {
    out.push('', bold('real servers'));
    const yn = (v: boolean | null, yes: string, no: string) => (v === null ? '' : v ? yes : no);
    const rows = [['real server', 'service', 'reachable', 'VIP', 'port']];
    for (const h of report.real_servers) {
      if (!h.reachable) rows.push([h.real_server, '', `no: ${h.error ?? ''}`, '', '']);
      for (const c of h.services)
        rows.push([
          h.real_server,
          c.service,
          'yes',
          yn(c.vip_ready, 'ready', 'MISSING'),
          yn(c.listening, 'listening', 'NOT LISTENING'),
        ]);
    }
    out.push(...grid(rows).map((l, k) => `  ${k === 0 ? bold(l) : l}`));
  }
  if (report.drains.length > 0) out.push('', bold('operator drains'));
  for (const d of report.drains)
    out.push(`  ${d.real_server} (${d.service}) drained on ${d.director} since ${d.since} by ${d.by}`);
  if (report.notes.length > 0) out.push('');
  for (const note of report.notes) out.push(`note: ${note}`);
  out.push('');
  if (report.alarms.length === 0) out.push('alarms: none');
  else {
    out.push(red(bold(`ALARMS (${report.alarms.length})`)));
    for (const a of report.alarms) out.push(red(`  ✘ ${a.kind}: ${a.message}`));
  }
  return out.join('\n');
}
