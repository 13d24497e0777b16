import type { Command } from '@commander-js/extra-typings';
import { InventoryError } from '../../errors.js';
import { loadInventory } from '../../inventory/load.js';
import { releaseProblems } from '../../planner/release-problems.js';
import { expandInventory } from '../../roles/expand.js';

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check an inventory file without contacting any host')
    .argument('[inventory]', 'inventory file', 'inventory.yaml')
    .addHelpText(
      'after',
      `
Every problem is printed at once, one line each, as FILE:LINE:COL: field: what is wrong.
Secrets named in the inventory ({ env: NAME } / { file: PATH }) must be readable.\nSite roles (roles_path) are loaded and rendered for every host, so their errors show too.
Warnings (accepted, probably not meant) go to stderr as FILE:LINE:COL: field: warning: …
Exit code 0 when valid (warnings or not), 2 when not.

Example:
  LVS_VRRP_PASS=s3cret lvs-deploy validate inventories/seed-002-dr-keepalived.yaml`,
    )
    .action(async (file) => {
      const inv = await loadInventory(file, { onWarning: (line) => process.stderr.write(`${line}\n`) });
      // Site roles and templates are the inventory's too: their errors (FILE:LINE:COL) show here.
      if ((inv.roles_path ?? []).length > 0) expandInventory(inv);
      const problems = await releaseProblems(inv);
      if (problems.length > 0) throw new InventoryError(problems);
      const dirs = inv.directors.hosts.length;
      const rs = new Set(inv.services.flatMap((s) => s.real_servers.map((r) => r.address))).size;
      process.stdout.write(
        `${file}: ok (${Object.keys(inv.hosts).length} hosts, ${dirs} director(s) [${inv.directors.manager}], ${inv.services.length} service(s), ${rs} real server(s))\n`,
      );
    });
}
