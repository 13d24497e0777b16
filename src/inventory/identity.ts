// An identity file that is not there fails before any host is contacted (exit 2, FILE:LINE:COL
// at the `identity:` that names it), not half-way through a run at connect time.
import { accessSync, constants } from 'node:fs';
import type { PathKey } from './locate.js';
import type { RawInventory } from './schema.js';
import type { Inventory } from './types.js';

export function missingIdentities(raw: RawInventory, inv: Inventory): { path: PathKey[]; message: string }[] {
  const out = new Map<string, { path: PathKey[]; message: string }>();
  for (const [name, h] of Object.entries(inv.hosts)) {
    const file = h.ssh.identity;
    if (!file) continue;
    try {
      accessSync(file, constants.R_OK);
    } catch (err) {
      const own = raw.hosts[name]?.ssh?.identity !== undefined;
      const path: PathKey[] = own ? ['hosts', name, 'ssh', 'identity'] : ['ssh', 'identity'];
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      out.set(path.join('.'), { path, message: `identity file ${file} cannot be read (${code})` });
    }
  }
  return [...out.values()];
}
