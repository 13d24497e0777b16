import { writeFile } from 'node:fs/promises';
import type { Command } from '@commander-js/extra-typings';
import { inventoryJsonSchema } from '../../inventory/json-schema.js';

export function registerSchema(program: Command): void {
  program
    .command('schema')
    .description("print the inventory's JSON Schema (for editors: completion, hover, typo warnings)")
    .option('-o, --output <file>', 'write it to FILE instead of stdout')
    .addHelpText(
      'after',
      `
Generated from the same schema validate uses; every key carries its meaning, default and an example.
Editors with yaml-language-server (VS Code's YAML extension, Neovim) read it from a first line like
  # yaml-language-server: $schema=../schema/inventory.schema.json
The package ships it as schema/inventory.schema.json. Rules across keys (host references, routes
back, VRRP) are checked by \`lvs-deploy validate\` only.

Example:
  lvs-deploy schema -o inventory.schema.json`,
    )
    .action(async (opts) => {
      const text = `${JSON.stringify(inventoryJsonSchema(), null, 2)}\n`;
      if (opts.output) await writeFile(opts.output, text);
      else process.stdout.write(text);
    });
}
