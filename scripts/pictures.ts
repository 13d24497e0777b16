// Writes docs/pictures/<seed>.svg, the topology picture of every seed example the README shows.
// `npm run pictures`; test/unit/graph.test.ts fails when one is stale.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { seedPictures } from '../src/graph/pictures.js';

const root = join(import.meta.dirname, '..');
await mkdir(join(root, 'docs/pictures'), { recursive: true });
for (const { name, svg } of await seedPictures(root)) {
  await writeFile(join(root, 'docs/pictures', `${name}.svg`), svg);
  process.stdout.write(`docs/pictures/${name}.svg\n`);
}
