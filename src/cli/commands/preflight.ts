import type { Command } from '@commander-js/extra-typings';
import { loadInventory } from '../../inventory/load.js';
import { vrrpClashChecks } from '../../preflight/run.js';
import type { Check } from '../../verify/check.js';

export interface PreflightReport {
  version: 1;
  checks: Check[];
  ok: boolean;
}

function formatPreflight(r: PreflightReport): string {
  const out = r.checks.map(
    (c) => `  ${c.ok ? '✔' : '✘'} ${c.host}: ${c.check}: ${c.detail}${c.fix ? `\n      fix: ${c.fix}` : ''}`,
  );
  if (out.length === 0) out.push('  (no VRRP in this inventory: nothing to listen for)');
  return ['checks:', ...out, '', r.ok ? 'preflight: OK' : 'preflight: FAILED'].join('\n');
}

export function registerPreflight(program: Command): void {
  program
    .command('preflight')
    .description('before the first up: listen for VRRP routers that clash with this inventory')
    .argument('[inventory]', 'inventory file', 'inventory.yaml')
    .option('--listen <secs>', 'how long to listen (default 3 × advert_int + 1 s)')
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      `
Listens on each director's VRRP interfaces (a raw socket in a perl-base one-liner; nothing is
installed or changed) and fails when another router, not one of this inventory's directors,
advertises one of its virtual_router_ids, naming its address, priority, VIPs and authentication.
verify runs the same check. Exit 0 when nothing clashes, 1 otherwise.

Example:
  lvs-deploy lab exec inventories/seed-002-dr-keepalived.yaml -- lvs-deploy preflight inventories/seed-002-dr-keepalived.yaml`,
    )
    .action(async (file, o) => {
      const inv = await loadInventory(file);
      const { SshTransport } = await import('../../connection/ssh.js');
      const secs = o.listen === undefined ? undefined : Number(o.listen);
      const checks = await vrrpClashChecks(inv, {
        connect: (t) => SshTransport.connect(t),
        ...(secs !== undefined && Number.isFinite(secs) && secs > 0 ? { secs } : {}),
      });
      const report: PreflightReport = { version: 1, checks, ok: checks.every((c) => c.ok) };
      process.stdout.write(o.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatPreflight(report)}\n`);
      process.exitCode = report.ok ? 0 : 1;
    });
}
