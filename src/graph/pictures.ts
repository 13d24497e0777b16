// The seed examples' pictures (docs/pictures/*.svg): one list shared by `npm run pictures` and the
// test that keeps them current.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { loadInventory } from '../inventory/load.js';
import { toDot } from './dot.js';
import { topologyGraph } from './model.js';
import { dotToSvg } from './svg.js';

/** The seeds name their VRRP secret; a picture needs none, so a placeholder stands in if unset. */
const SECRET_ENV = 'LVS_VRRP_PASS';

export async function seedPictures(root: string): Promise<{ name: string; svg: string }[]> {
  process.env[SECRET_ENV] ??= 'picture';
  const files = (await readdir(join(root, 'inventories'))).filter((f) => /^seed-.*\.yaml$/.test(f)).sort();
  const out: { name: string; svg: string }[] = [];
  for (const f of files) {
    const inv = await loadInventory(join(root, 'inventories', f));
    out.push({ name: f.replace(/\.yaml$/, ''), svg: await dotToSvg(toDot(topologyGraph(inv))) });
  }
  return out;
}
