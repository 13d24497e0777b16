// `validate`'s offline half of the version rules (versions.ts): hosts pinned to a Debian release
// in the lab have known tool versions, so what their release lacks is refused before any host is
// contacted, at the inventory line that pins it.
import type { InventoryProblem } from '../errors.js';
import { locateInFile } from '../inventory/locate.js';
import type { Inventory } from '../inventory/types.js';
import { RELEASE_TOOLS } from '../model/releases.js';
import { expandInventory } from '../roles/expand.js';
import { versionBlockers } from './versions.js';

/**
 * A host pinned to a Debian release in the lab (lab.release) has known tool versions: a feature
 * its release lacks is refused here, offline, like plan/up refuse it from the host's facts.
 */
export async function releaseProblems(inv: Inventory): Promise<InventoryProblem[]> {
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
