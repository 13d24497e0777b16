import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The installed package's root (where package.json, schema/, roles/ sit), found by walking up from
 * this module: right under tsx (src/cli), tsc (dist/cli) and a bundle alike.
 */
export function packageRoot(): string {
  let dir = import.meta.dirname;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'lvs-deploy')
      return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`package.json of lvs-deploy not found above ${import.meta.dirname}`);
    dir = up;
  }
}
