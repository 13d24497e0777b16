import { createInterface } from 'node:readline/promises';
import { type Command, Option } from '@commander-js/extra-typings';
import { DRILL_MODES, type DrillMode } from '../../drill/judge.js';
import { type DrillReport, drillFailover } from '../../drill/run.js';
import { drillTopology } from '../../drill/topology.js';
import { UsageError } from '../../errors.js';
import { loadInventory } from '../../inventory/load.js';
import { expandInventory } from '../../roles/expand.js';

const ms = (n: number | null) => (n === null ? 'never answered again' : `${n} ms`);

function formatDrill(r: DrillReport): string {
  const out = [
    `drill failover (${r.mode}): MASTER ${r.master}, BACKUP ${r.backup}, sync daemon ${r.syncDaemon ? 'on' : 'off'}`,
  ];
  for (const d of r.directors)
    out.push(
      `  ${d.host}: ${d.established} established connection(s) to the VIPs in its IPVS table, sync daemon ${d.syncDaemons.join('+') || 'none'}`,
    );
  for (const i of r.instances) {
    out.push(
      `instance ${i.instance} (vrid ${i.virtualRouterId} on ${i.interface}): ${i.addresses.join(', ')}`,
    );
    for (const p of i.phases) {
      const traffic =
        p.requests > 0
          ? `outage ${ms(p.outageMs)} (bound ${p.boundMs} ms + ${p.slackMs} ms resolution) ${p.withinBound ? '✔' : '✘'}, ${p.failedRequests}/${p.requests} requests failed, long-lived kept ${p.longLived.kept}/${p.longLived.total}`
          : 'no stream through this instance (it moves with its sync group)';
      out.push(`  ${p.phase} ${p.from} → ${p.to}: ${traffic}`);
      for (const h of p.holders) out.push(`    ${h.ok ? '✔' : '✘'} ${h.address}: ${h.detail}`);
      for (const n of p.neighbours)
        out.push(
          `    ${n.moved === false ? '✘' : '✔'} client neighbour entry for ${n.address}: ${n.before ?? '(none)'} → ${n.after ?? '(none)'}${n.moved === null ? ' (not on the client segment)' : n.moved ? ' (the new holder: gratuitous ARP worked)' : ` (expected ${n.expected})`}`,
        );
    }
  }
  for (const n of r.notes) out.push(`note: ${n}`);
  out.push(
    r.restored ? `${r.master} restored` : `✘ ${r.master} NOT restored by the drill: its timer undoes it`,
  );
  out.push(r.ok ? 'drill: OK' : 'drill: FAILED');
  return out.join('\n');
}

/** A lab is recognised by the environment `lvs-deploy lab exec` sets (LVS_DEPLOY_LAB). */
async function confirm(file: string, yes: boolean): Promise<void> {
  if (yes || process.env.LVS_DEPLOY_LAB) return;
  if (!process.stdin.isTTY)
    throw new UsageError(
      'drill failover interrupts traffic through the VIPs: pass --yes (or run it on a TTY)',
    );
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const a = await rl.question(
    `drill failover breaks the MASTER of ${file} for a few seconds. Continue? [y/N] `,
  );
  rl.close();
  if (!/^y(es)?$/i.test(a.trim())) throw new UsageError('drill cancelled');
}

export function registerDrill(program: Command): void {
  const drill = program.command('drill').description('deliberate, measured failures with automatic restore');
  drill
    .command('failover')
    .description('break the VRRP MASTER under traffic and measure the takeover')
    .argument('[inventory]', 'inventory file', 'inventory.yaml')
    .option('--instance <name>', 'report on one VRRP instance (VI_1, VI_2)')
    .addOption(
      new Option('--mode <mode>', 'how the MASTER fails')
        .choices(DRILL_MODES)
        .default('graceful' as DrillMode),
    )
    .option('--fail-back', 'restore the MASTER under traffic and measure the way back too')
    .option('--long <n>', 'long-lived connections per VIP', '4')
    .option('--yes', 'do not ask (traffic is interrupted briefly)')
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      `
graceful stops keepalived on the MASTER (priority-0 advert); crash freezes it (SIGSTOP) and drops
everything on its VRRP interfaces but SSH with an nft table "lvs_deploy_drill"; link sets the
VRRP interfaces down. The undo is armed on the MASTER before it breaks and runs by itself after a
timeout if the drill cannot run it (Ctrl-C, lost SSH). Exit 0 when every bound held, exactly one
director holds each address and the MASTER was restored; 1 otherwise (split brain included).

Example:
  lvs-deploy lab exec inventories/seed-002-dr-keepalived.yaml -- lvs-deploy drill failover inventories/seed-002-dr-keepalived.yaml --mode crash --fail-back`,
    )
    .action(async (file, o) => {
      const inv = await loadInventory(file);
      const desired = expandInventory(inv);
      const long = Number(o.long);
      if (!Number.isInteger(long) || long < 0 || long > 100) throw new UsageError('--long: 0 to 100');
      drillTopology(inv, desired, o.instance); // refuses an inventory without a VRRP pair, before asking
      await confirm(file, o.yes === true);
      const { SshTransport } = await import('../../connection/ssh.js');
      const abort = new AbortController();
      const onInt = () => abort.abort();
      process.once('SIGINT', onInt);
      try {
        const report = await drillFailover(inv, desired, {
          mode: o.mode,
          failBack: o.failBack === true,
          ...(o.instance ? { instance: o.instance } : {}),
          long,
          connect: (t) => SshTransport.connect(t),
          progress: (line) => {
            if (!o.json) process.stderr.write(`drill: ${line}\n`);
          },
          signal: abort.signal,
        });
        process.stdout.write(o.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatDrill(report)}\n`);
        process.exitCode = abort.signal.aborted ? 130 : report.ok ? 0 : 1;
      } finally {
        process.off('SIGINT', onInt);
      }
    });
}
