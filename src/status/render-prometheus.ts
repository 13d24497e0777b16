// Prometheus text exposition (node_exporter's textfile collector). Labels come only from
// inventory names — service, director, real_server, instance — so cardinality stays bounded.
import type { StatusReport } from './types.js';

type Labels = Record<string, string>;
interface Family {
  name: string;
  help: string;
  samples: { labels: Labels; value: number }[];
}

const esc = (v: string) => v.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
const labelText = (l: Labels) => {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${esc(v)}"`);
  return parts.length > 0 ? `{${parts.join(',')}}` : '';
};

function families(r: StatusReport): Family[] {
  const fam = (name: string, help: string): Family => ({ name: `lvs_deploy_${name}`, help, samples: [] });
  const up = fam('director_up', '1 when the director was read over SSH, 0 when it was not.');
  const ipvs = fam('director_ipvs_readable', '1 when the director kernel has IPVS and its table was read.');
  const master = fam('vrrp_master', '1 when the director holds the VRRP instance addresses (MASTER).');
  const fault = fam('vrrp_fault', '1 when the VRRP instance interface is down on the director (FAULT).');
  const prio = fam(
    'vrrp_priority',
    'Priority the director advertises for the instance (0 when stopped or FAULT).',
  );
  const weight = fam('real_server_weight', 'Live IPVS weight of the real server.');
  const active = fam('real_server_active_connections', 'IPVS ActiveConn of the real server.');
  const inactive = fam('real_server_inactive_connections', 'IPVS InActConn of the real server.');
  const cps = fam('real_server_connections_per_second', 'New connections per second (IPVS rate estimator).');
  const inB = fam('real_server_in_bytes_per_second', 'Bytes per second from clients (IPVS rate estimator).');
  const outB = fam('real_server_out_bytes_per_second', 'Bytes per second to clients (IPVS rate estimator).');
  const inTable = fam('real_server_in_table', '1 when the real server is in the director live table.');
  const healthy = fam(
    'real_server_healthy',
    '0 when the manager checker removed or quiesced the real server.',
  );
  const drained = fam('real_server_drained', '1 when an operator drain is recorded for the real server.');
  // One family per role rather than a role label: labels stay inventory names only.
  const syncMaster = fam(
    'ipvs_sync_master_daemon',
    '1 when the director kernel runs the IPVS master sync daemon.',
  );
  const syncBackup = fam(
    'ipvs_sync_backup_daemon',
    '1 when the director kernel runs the IPVS backup sync daemon.',
  );
  const alarms = fam(
    'alarms',
    'Alarms up: split brain, VIP held by no director, table mismatch, drift, unreachable.',
  );
  for (const d of r.directors) {
    up.samples.push({ labels: { director: d.director }, value: d.reachable ? 1 : 0 });
    ipvs.samples.push({ labels: { director: d.director }, value: d.ipvs === 'ok' ? 1 : 0 });
    if (d.sync_daemons) {
      const runs = (role: string) => (d.sync_daemons?.some((x) => x.role === role) ? 1 : 0);
      syncMaster.samples.push({ labels: { director: d.director }, value: runs('master') });
      syncBackup.samples.push({ labels: { director: d.director }, value: runs('backup') });
    }
  }
  for (const i of r.instances) {
    const labels = { instance: i.instance, director: i.director };
    master.samples.push({ labels, value: i.state === 'MASTER' ? 1 : 0 });
    fault.samples.push({ labels, value: i.state === 'FAULT' ? 1 : 0 });
    prio.samples.push({ labels, value: i.priority });
  }
  for (const s of r.services)
    for (const d of s.directors)
      for (const rs of d.real_servers) {
        const labels = { service: s.service, director: d.director, real_server: rs.real_server };
        const put = (f: Family, v: number | null) => {
          if (v !== null) f.samples.push({ labels, value: v });
        };
        put(weight, rs.weight);
        put(active, rs.active_conns);
        put(inactive, rs.inactive_conns);
        put(cps, rs.conns_per_second);
        put(inB, rs.in_bytes_per_second);
        put(outB, rs.out_bytes_per_second);
        put(inTable, rs.weight === null ? 0 : 1);
        put(healthy, rs.health === 'removed' || rs.health === 'quiesced' || rs.health === 'missing' ? 0 : 1);
        put(drained, rs.drained ? 1 : 0);
      }
  alarms.samples.push({ labels: {}, value: r.alarms.length });
  return [
    up,
    ipvs,
    syncMaster,
    syncBackup,
    master,
    fault,
    prio,
    weight,
    active,
    inactive,
    cps,
    inB,
    outB,
    inTable,
    healthy,
    drained,
    alarms,
  ];
}

export function renderPrometheus(r: StatusReport): string {
  const out: string[] = [];
  for (const f of families(r)) {
    if (f.samples.length === 0) continue;
    out.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} gauge`);
    for (const s of f.samples) out.push(`${f.name}${labelText(s.labels)} ${s.value}`);
  }
  return `${out.join('\n')}\n`;
}
