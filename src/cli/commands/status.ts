// lvs-deploy status: VRRP roles, the live IPVS table with counters, health, drains and alarms —
// one SSH round trip per director, read-only. Exit 1 while any alarm is up.
import { type Command, Option } from '@commander-js/extra-typings';
import { UsageError } from '../../errors.js';
import { loadInventory } from '../../inventory/load.js';
import { expandInventory } from '../../roles/expand.js';
import type { StatusReport } from '../../status/types.js';

type Format = 'table' | 'json' | 'prometheus';

async function render(report: StatusReport, format: Format, tty: boolean): Promise<string> {
  if (format === 'json') return `${JSON.stringify(report, null, 2)}\n`;
  if (format === 'prometheus')
    return (await import('../../status/render-prometheus.js')).renderPrometheus(report);
  return `${(await import('../../status/render-table.js')).renderTable(report, tty)}\n`;
}

function watchSeconds(v: string | boolean | undefined): number | undefined {
  if (v === undefined || v === false) return undefined;
  if (v === true) return 2;
  const s = Number(v);
  if (!Number.isFinite(s) || s < 0.5) throw new UsageError(`--watch expects seconds ≥ 0.5, got "${v}"`);
  return s;
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('VRRP roles, live IPVS table with counters, health, operator drains and alarms')
    .argument('[inventory]', 'inventory file', 'inventory.yaml')
    .option('--json', 'print the report as JSON (same as --format json)')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'prometheus']))
    .option('--realservers', 'also read every real server (VIP where DR/TUN needs it, port listening)')
    .option('-w, --watch [seconds]', 'redraw every N seconds (default 2) until interrupted')
    .addHelpText(
      'after',
      `
Reads every director in one SSH round trip each, never signalling keepalived: VRRP state comes
from the addresses the director holds (MASTER holds the instance's VIPs, BACKUP none, FAULT: its
interface is down, STOPPED: keepalived is not running), priority from the live keepalived.conf;
per service and director every real server's weight, ActiveConn, InActConn, conn/s and bytes/s
(ipvsadm -L -n [--rate --exact]), its health (removed by keepalived's checker, quiesced by
ldirectord) and any operator drain (/var/lib/lvs-deploy/operator.json).
Exit 1 while an alarm is up: split brain, a VIP on no director, a real server in one director's
table and not another's, the live table differing from the inventory, a director unreadable.

Examples:
  lvs-deploy status inventories/seed-002-dr-keepalived.yaml
  lvs-deploy status inv.yaml --watch 1
  lvs-deploy status inv.yaml --format prometheus > /var/lib/node_exporter/textfile/lvs.prom`,
    )
    .action(async (file, o) => {
      const format: Format = o.json ? 'json' : ((o.format as Format | undefined) ?? 'table');
      const every = watchSeconds(o.watch);
      const inv = await loadInventory(file);
      const desired = expandInventory(inv);
      const { SshTransport } = await import('../../connection/ssh.js');
      const { readStatus } = await import('../../status/run.js');
      const tty = Boolean(process.stdout.isTTY) && process.env.TERM !== 'dumb';
      const once = () =>
        readStatus(inv, desired, {
          connect: (t) => SshTransport.connect(t),
          realServers: o.realservers ?? false,
        });
      if (every === undefined) {
        const report = await once();
        process.stdout.write(await render(report, format, tty));
        process.exitCode = report.ok ? 0 : 1;
        return;
      }
      let stop = false;
      process.once('SIGINT', () => {
        stop = true;
      });
      while (!stop) {
        const started = Date.now();
        const report = await once();
        const text = await render(report, format, tty);
        // In place on a terminal (home + clear to end), one block after another in a pipe.
        process.stdout.write(tty ? `\x1b[H\x1b[J${text}` : `${text}\n`);
        process.exitCode = report.ok ? 0 : 1;
        const wait = Math.max(0, every * 1000 - (Date.now() - started));
        await new Promise<void>((r) => {
          const t = setTimeout(r, wait);
          process.once('SIGINT', () => {
            clearTimeout(t);
            r();
          });
        });
      }
    });
}
