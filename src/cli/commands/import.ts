// `lvs-deploy import --from FILE…`: an existing LVS's configuration → an inventory (no SSH).
import { chmod, writeFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { Command } from '@commander-js/extra-typings';
import { UsageError } from '../../errors.js';
import { buildInventory, type SecretOut } from '../../import/build.js';
import { defaultSecretFile, importFile, splitSpec } from '../../import/files.js';

const SECRET_ENV = 'LVS_VRRP_PASS';

export function registerImport(program: Command): void {
  program
    .command('import')
    .description('turn an existing LVS (keepalived.conf, ldirectord.cf, ipvsadm -S -n) into an inventory')
    .requiredOption('--from <file...>', 'configuration files, one per director: FILE or FILE@ADDRESS')
    .option(
      '-o, --output <file>',
      'write the inventory here (else stdout); auth_pass goes beside it, mode 0600',
    )
    .option('--json', 'print a JSON summary (docs/json.md) instead of the inventory')
    .addHelpText(
      'after',
      `
Each file is recognised by its content: keepalived.conf (its includes are read too), ldirectord.cf,
or the output of \`ipvsadm -S -n\` (also a rules file, or typed \`ipvsadm -A/-a\` lines). Give one
file per director; FILE@ADDRESS names the director's SSH address when the file does not.
Everything the inventory cannot express is listed on stderr and at the top of the inventory as
FILE:LINE: what. A VRRP auth_pass never goes into the inventory: with -o it is written to
<output>.vrrp-auth-pass (mode 0600) and referenced as { file: … }; without -o the inventory says
{ env: ${SECRET_ENV} } and the value is not printed. Exit 0 when everything was imported as it is,
3 when something was not (see the notes), 2 on malformed input.

Example:
  lvs-deploy import --from /etc/keepalived/keepalived.conf@192.168.100.10 lb2.conf@192.168.100.11 -o web.yaml`,
    )
    .action(async (opts) => {
      const specs = opts.from.map(splitSpec);
      if (specs.length === 0) throw new UsageError('--from: give at least one file');
      const sources = specs.map((s) => ({
        imp: importFile(s.file),
        ...(s.address ? { address: s.address } : {}),
      }));
      const secretFile = opts.output !== undefined ? defaultSecretFile(resolve(opts.output)) : undefined;
      const ref: SecretOut = secretFile ? { file: `./${basename(secretFile)}` } : { env: SECRET_ENV };
      const r = buildInventory(sources, ref, 'An LVS adopted by lvs-deploy.');
      for (const n of r.notes) process.stderr.write(`${n.file}:${n.line}: ${n.message}\n`);
      if (!r.ok)
        throw new UsageError(
          `${specs.map((s) => s.file).join(', ')}: no virtual service found; nothing to import`,
        );
      if (r.secret !== undefined && secretFile) {
        await writeFile(secretFile, `${r.secret}\n`, { mode: 0o600 });
        await chmod(secretFile, 0o600);
        process.stderr.write(`auth_pass written to ${secretFile} (mode 0600)\n`);
      } else if (r.secret !== undefined) {
        process.stderr.write(
          `auth_pass is not printed: set ${SECRET_ENV} to the auth_pass of the configuration before using the inventory\n`,
        );
      }
      if (opts.output !== undefined) await writeFile(opts.output, r.yaml);
      if (opts.json) {
        process.stdout.write(
          `${JSON.stringify({ version: 1, files: specs.map((s) => s.file), output: opts.output ?? null, notes: r.notes, exact: r.notes.length === 0 }, null, 2)}\n`,
        );
      } else if (opts.output === undefined) process.stdout.write(r.yaml);
      process.exitCode = r.notes.length === 0 ? 0 : 3;
    });
}
