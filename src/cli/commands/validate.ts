import type { Command } from '@commander-js/extra-typings';
import { InventoryError, type InventoryProblem } from '../../errors.js';
import { loadInventory } from '../../inventory/load.js';
import { locateInFile } from '../../inventory/locate.js';
import type { Inventory } from '../../inventory/types.js';
import { RELEASE_TOOLS } from '../../lab/release/rootfs.js';
import { versionBlockers } from '../../planner/versions.js';
import { expandInventory } from '../../roles/expand.js';

/**
 * A host pinned to a Debian release in the lab (lab.release) has known tool versions: a feature
 * its release lacks is refused here, offline, like plan/up refuse it from the host's facts.
 */
async function releaseProblems(inv: Inventory): Promise<InventoryProblem[]> {
  const pinned = Object.entries(inv.hosts).filter(([, h]) => h.lab?.release);
  if (pinned.length === 0) return [];
  const desired = expandInventory(inv);
  const out: InventoryProblem[] = [];
  for (const [name, h] of pinned) {
    const release = h.lab?.release;
    const d = desired.get(name);
    if (!release || !d) continue;
    for (const message of versionBlockers(d, RELEASE_TOOLS[release])) {
      const path = ['hosts', name, 'lab', 'release'];
      const { line, col } = await locateInFile(inv.file, path);
      out.push({
        file: inv.file,
        line,
        col,
        path: path.join('.'),
        message: `${name} on ${release}: ${message}`,
      });
    }
  }
  return out;
}

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
