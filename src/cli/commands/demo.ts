// `lvs-deploy demo [inventory]`: the whole job on a local lab, end to end — lab up (a VM with a
// real kernel IPVS by default), `up`, `verify` showing every real server answering through the
// VIP, then the lab down again (unless --keep).
import type { Command } from '@commander-js/extra-typings';
import { loadInventory } from '../../inventory/load.js';
import type { Inventory } from '../../inventory/types.js';
import { labDown, labExec, labUp } from '../../lab/netns.js';

const say = (line: string) => process.stdout.write(`${line}\n`);

/** This same program, as a command line another process can run. */
function self(args: string[]): string[] {
  return [process.execPath, ...process.execArgv, process.argv[1] ?? 'lvs-deploy', ...args];
}

async function step(title: string, inv: Inventory, args: string[]): Promise<number> {
  say(`\n==> ${title}: lvs-deploy lab exec ${inv.file} -- lvs-deploy ${args.join(' ')}`);
  return labExec(inv, self(args));
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('lab up → up → verify → lab down, on a local lab (a VM with real IPVS by default)')
    .argument('[inventory]', 'inventory file', 'inventories/seed-003-nat-keepalived.yaml')
    .option('--netns', 'use the netns lab (fast, but this kernel may lack IPVS: directors then fail)')
    .option('--keep', 'leave the lab running afterwards')
    .addHelpText(
      'after',
      `
Needs root (namespaces, qemu). Secrets the inventory names must be set, e.g. LVS_VRRP_PASS;
the demo sets a throwaway one when it is missing.

Example:
  lvs-deploy demo inventories/seed-001-lic-nat.yaml`,
    )
    .action(async (file, o) => {
      if (!process.env.LVS_VRRP_PASS) process.env.LVS_VRRP_PASS = 'demo1234';
      const inv = await loadInventory(file);
      const vm = !o.netns ? await import('../../lab/vm/index.js') : undefined;
      say(`==> lab up${vm ? ' --vm' : ''} ${file}`);
      const t0 = performance.now();
      if (vm) await vm.vmLabUp(inv);
      else await labUp(inv);
      say(`lab ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      let code = 1;
      try {
        const up = await step('converge', inv, ['up', file]);
        const again = await step('converge again (must change nothing)', inv, ['up', file]);
        const verify = await step('verify', inv, ['verify', file]);
        code = up === 0 && again === 0 && verify === 0 ? 0 : 1;
        say(code === 0 ? '\ndemo: OK' : `\ndemo: FAILED (up ${up}, second up ${again}, verify ${verify})`);
      } finally {
        if (!o.keep) {
          if (vm) await vm.vmLabDown(inv);
          else await labDown(inv);
          say('lab down');
        }
      }
      process.exitCode = code;
    });
}
