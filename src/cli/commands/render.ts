// `lvs-deploy render`: what `up` would install on each host, computed locally (no SSH).
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { type Command, Option } from '@commander-js/extra-typings';
import { UsageError } from '../../errors.js';
import { loadInventory } from '../../inventory/load.js';
import { formatRules } from '../../model/ipvs.js';
import type { DesiredHost, OsFamily } from '../../model/types.js';
import { expandHost, expandInventory, secretValues } from '../../roles/expand.js';

const MASK = '***';

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Replace every secret value standing as a word of its own (e.g. `auth_pass VALUE`) with ***. */
export function maskSecrets(text: string, secrets: string[]): string {
  let out = text;
  for (const s of secrets) {
    if (s === '') continue;
    out = out.replace(new RegExp(`(^|\\s)${escapeRe(s)}(?=\\s|$)`, 'gm'), `$1${MASK}`);
  }
  return out;
}

function section(title: string, lines: string[]): string {
  if (lines.length === 0) return `${title}: none\n`;
  return `${title}:\n${lines.map((l) => `  ${l}`).join('\n')}\n`;
}

/** The human report for one host. File contents of secret files are masked. */
/** A site template's path, relative to the working directory when below it. */
function shownSource(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

export function formatHost(d: DesiredHost, secrets: string[], written?: Map<string, string>): string {
  let out = `=== ${d.host} (${d.address}) — ${d.kinds.join(', ')}${d.roles.length ? `; roles: ${d.roles.join(', ')}` : ''}\n`;
  if (d.kinds.length === 1 && d.kinds[0] === 'client') return `${out}nothing to install (client only)\n\n`;
  for (const f of d.files) {
    const extra = [
      `mode ${f.mode}`,
      `${f.owner}:${f.group}`,
      ...(f.secret ? ['secret'] : []),
      ...(f.validate ? [`validate: ${f.validate}`] : []),
      ...(f.notify.length ? [`notify: ${f.notify.join(', ')}`] : []),
      ...(f.source
        ? [`template: ${shownSource(f.source)} (site)`]
        : f.template
          ? [`template: templates/${f.template}`]
          : []),
    ];
    out += `--- ${f.path} (${extra.join(', ')})\n`;
    const to = written?.get(f.path);
    if (to) out += `    written to ${to}\n`;
    else out += f.secret ? maskSecrets(f.content, secrets) : f.content;
    if (!to && !f.content.endsWith('\n')) out += '\n';
  }
  out += section('packages', d.packages);
  out += section(
    'sysctls',
    Object.entries(d.sysctls).map(([k, v]) => `${k} = ${v}`),
  );
  out += section('modules', d.modules);
  out += section(
    'links',
    d.links.map((l) => `${l.name} (${l.kind})`),
  );
  out += section(
    'addresses',
    d.addresses.map((a) => `${a.cidr} dev ${a.dev}${a.label ? ` label ${a.label}` : ''}`),
  );
  out += section(
    'routes',
    d.routes.map(
      (r) =>
        `${r.dst}${r.via ? ` via ${r.via}` : ''}${r.dev ? ` dev ${r.dev}` : ''}${r.table ? ` table ${r.table}` : ''}`,
    ),
  );
  if (d.rules.length)
    out += section(
      'rules',
      d.rules.map((r) => `${r.priority}: from ${r.from} lookup ${r.table}`),
    );
  out += section(
    'floating addresses (VRRP)',
    d.floatingAddresses.map((a) => `${a.cidr} dev ${a.dev}`),
  );
  if (d.daemons.length)
    out += section(
      'daemons',
      d.daemons.map((x) => `${x.name} (${x.unit}, reload: ${x.reload})`),
    );
  if (d.syncDaemons.length)
    out += section(
      'sync daemons',
      d.syncDaemons.map((s) => `${s.state} on ${s.interface} syncid ${s.syncid}`),
    );
  if (d.kinds.includes('director')) {
    const daemon = d.daemons.find((x) => x.name !== 'ipvs-sync')?.name ?? 'its daemon';
    const how = d.ipvsStatic ? 'programmed by lvs-deploy' : `programmed by ${daemon}`;
    out += section(
      `ipvs (ipvsadm -S -n, ${how})`,
      formatRules(d.ipvs)
        .split('\n')
        .filter((l) => l !== ''),
    );
  }
  return `${out}\n`;
}

async function writeHost(dir: string, d: DesiredHost): Promise<Map<string, string>> {
  const written = new Map<string, string>();
  for (const f of d.files) {
    const target = join(dir, d.host, f.path);
    await mkdir(dirname(target), { recursive: true, mode: 0o700 });
    await writeFile(target, f.content, { mode: 0o600 });
    await chmod(target, 0o600);
    written.set(f.path, target);
  }
  return written;
}

export function registerRender(program: Command): void {
  program
    .command('render')
    .description(
      'show what `up` would install on each host: files, sysctls, addresses, routes, IPVS table (no SSH)',
    )
    .argument('[inventory]', 'inventory file', 'inventory.yaml')
    .option('--host <name>', 'only this host')
    .option('--out <dir>', 'also write every file to DIR/<host>/<path> (mode 0600; secrets unmasked there)')
    .addOption(
      new Option('--os <family>', 'OS family to render for')
        .choices(['debian', 'rhel'] as const)
        .default('debian' as const),
    )
    .addHelpText(
      'after',
      `
Nothing is contacted. Secrets in printed files are shown as ***; files written with --out hold
the real values, readable by you only.

Example:
  LVS_VRRP_PASS=s3cret lvs-deploy render inventories/seed-002-dr-keepalived.yaml --host lb1
  lvs-deploy render inventories/seed-001-lic-nat.yaml --os rhel --out /tmp/lic`,
    )
    .action(async (file, opts) => {
      const inv = await loadInventory(file);
      const os = opts.os as OsFamily;
      if (opts.host !== undefined && !(opts.host in inv.hosts)) {
        throw new UsageError(
          `--host ${opts.host}: no such host in ${file} (hosts: ${Object.keys(inv.hosts).join(', ')})`,
        );
      }
      const hosts =
        opts.host !== undefined
          ? new Map([[opts.host, expandHost(inv, opts.host, { os })]])
          : expandInventory(inv, { os });
      const secrets = secretValues(inv);
      for (const d of hosts.values()) {
        const written = opts.out !== undefined ? await writeHost(resolve(opts.out), d) : undefined;
        process.stdout.write(formatHost(d, secrets, written));
      }
    });
}
