// npm run build: src/cli/main.ts and everything it imports, commander, yaml and zod included, as
// one ESM entry, dist/cli/main.js (what `bin` points at), plus one chunk per dynamic import() under
// dist/cli/ beside it. Why: start-up. Node resolving, reading and compiling ~90 separate modules cost
// more than the work of `--version` or `validate`, and so did loading every command's code for
// each command. Each command is an import() (src/cli/commands/index.ts), so `--version` loads the
// entry only and `validate` never loads ssh2, nunjucks or listr2, which stay external packages.
import { chmodSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';

/**
 * zod's `z` namespace re-exports every message locale (~40 languages, a third of zod's bytes) and
 * so defeats tree-shaking; lvs-deploy words its own messages and uses zod's default, English.
 */
const onlyEnglishZodLocale = {
  name: 'only-english-zod-locale',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/](classic|core)[\\/]/.test(args.importer)
        ? { path: join(dirname(args.importer), '..', 'locales', 'en.js') }
        : undefined,
    );
  },
};

const root = join(import.meta.dirname, '..');
const outfile = join(root, 'dist', 'cli', 'main.js');
rmSync(join(root, 'dist'), { recursive: true, force: true });
await build({
  entryPoints: [join(root, 'src', 'cli', 'main.ts')],
  outdir: dirname(outfile),
  entryNames: '[name]',
  // Chunks beside main.js: src/templates/render.ts and src/cli/version.ts find the package root
  // two levels above their own file, as they do under tsx.
  chunkNames: '[name]-[hash]',
  splitting: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: process.argv.includes('--minify'),
  keepNames: true,
  legalComments: 'none',
  external: ['ssh2', 'nunjucks', 'listr2', 'cpu-features'],
  // CommonJS packages bundled into ESM (commander) call require() for node builtins.
  banner: {
    js: "import { createRequire as __lvsRequire } from 'node:module';\nconst require = __lvsRequire(import.meta.url);",
  },
  plugins: [onlyEnglishZodLocale],
  logLevel: 'warning',
});
chmodSync(outfile, 0o755);
