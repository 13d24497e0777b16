import type { Command } from '@commander-js/extra-typings';
import { UsageError } from '../../errors.js';
import { loadInventory } from '../../inventory/load.js';
import { expandInventory } from '../../roles/expand.js';
import { type VerifyReport, verify } from '../../verify/run.js';
import { applyConnectTimeout, hostList } from './options.js';

/** verify --json (docs/json.md): the report with a version and the command's name. */
export function verifyJson(r: VerifyReport): { version: 1; command: 'verify' } & VerifyReport {
  return { version: 1, command: 'verify', ...r };
}

function formatReport(r: VerifyReport): string {
  const out: string[] = [];
  for (const s of r.services) {
    out.push(
      `service ${s.service}  ${s.target}  IPv${s.family}  ${s.ok ? 'OK' : 'FAILED'}  (${s.requests - s.failed}/${s.requests} requests answered)`,
    );
    const width = Math.max(11, ...s.rows.map((x) => x.server.length));
    out.push(`  ${'real server'.padEnd(width)}  answered  expected`);
    for (const row of s.rows) {
      out.push(
        `  ${row.server.padEnd(width)}  ${`${row.answered}/${s.requests}`.padStart(8)}  ${row.expected}${row.ok ? '' : '   ✘'}`,
      );
    }
    for (const n of s.notes) out.push(`  note: ${n}`);
    out.push('');
  }
  out.push('checks:');
  for (const c of r.checks) {
    out.push(
      `  ${c.ok ? '✔' : '✘'} ${c.host}: ${c.check}: ${c.detail}${c.fix ? `\n      fix: ${c.fix}` : ''}`,
    );
  }
  out.push(
    '',
    r.ok
      ? 'verify: OK — every check passed and traffic reached the real servers as expected'
      : 'verify: FAILED',
  );
  return out.join('\n');
}

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('prove the topology works: state on every host, then real traffic through each VIP')
    .argument('[inventory]', 'inventory file', 'inventory.yaml')
    .option('--json', 'print the report as JSON (shape: docs/json.md)')
    .option('-l, --limit <hosts>', 'read only these hosts (comma-separated names from the inventory)')
    .option('-s, --service <names>', 'probe only these services (comma-separated service names)')
    .option(
      '--connect-timeout <seconds>',
      "SSH connect timeout, overriding the inventory's ssh.connect_timeout",
    )
    .addHelpText(
      'after',
      `
Reads every director and real server (ip_forward, IPVS table, keepalived, VIP on lo and ARP
sysctls for DR, default route for NAT, tunl0 for TUN, persisted files), checks exactly one
director holds each VRRP address, then sends the inventory's verify.probes from verify.from
(curl, lynx -dump, TCP, UDP; an ARP probe for DR/TUN VIPs) and shows which real server answered.
Exit 0 only when everything passes; each failure names the host, the check and the fix.

Example:
  lvs-deploy lab exec inventories/seed-002-dr-keepalived.yaml -- lvs-deploy verify inventories/seed-002-dr-keepalived.yaml`,
    )
    .action(async (file, o) => {
      const inv = await loadInventory(file, { checkIdentity: !process.env.LVS_DEPLOY_LAB_IDENTITY });
      applyConnectTimeout(inv, o.connectTimeout);
      const limit = hostList(o.limit, inv);
      const services = o.service?.split(',').map((s) => s.trim());
      const unknown = services?.filter((s) => !inv.services.some((x) => x.name === s)) ?? [];
      if (unknown.length > 0)
        throw new UsageError(
          `--service: unknown service(s) ${unknown.join(', ')} (${inv.file} has ${inv.services.map((s) => s.name).join(', ')})`,
        );
      const desired = expandInventory(inv);
      const { SshTransport } = await import('../../connection/ssh.js');
      const report = await verify(inv, desired, {
        connect: (t) => SshTransport.connect(t),
        progress: (line) => {
          if (!o.json) process.stderr.write(`verify: ${line}\n`);
        },
        ...(limit ? { limit } : {}),
        ...(services ? { services } : {}),
      });
      process.stdout.write(
        o.json ? `${JSON.stringify(verifyJson(report), null, 2)}\n` : `${formatReport(report)}\n`,
      );
      process.exitCode = report.ok ? 0 : 1;
    });
}
