// `lvs-deploy import`: an existing LVS → an inventory. Offline from files (--from) or live from
// the hosts (--director), read-only: one round trip per host, nothing written or restarted.
import { chmod, writeFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type Command, Option } from '@commander-js/extra-typings';
import { SshTransport } from '../../connection/ssh.js';
import { UsageError } from '../../errors.js';
import {
  type BuildResult,
  buildInventory,
  type RealServerFacts,
  type SecretOut,
} from '../../import/build.js';
import { defaultSecretFile, importFile, splitSpec } from '../../import/files.js';
import { type HostTiming, liveImport } from '../../import/live.js';
import type { ImportNote } from '../../import/types.js';
import { ipFamily } from '../../inventory/net.js';

const SECRET_ENV = 'LVS_VRRP_PASS';

const list = (v: string, prev: string[] = []) => [...prev, ...v.split(',').filter((x) => x !== '')];

function addresses(flag: string, xs: string[]): string[] {
  for (const x of xs) if (ipFamily(x) === 0) throw new UsageError(`${flag} ${x}: not an IP address`);
  return xs;
}

export function registerImport(program: Command): void {
  program
    .command('import')
    .description('turn an existing LVS into an inventory: from its hosts (--director) or its files (--from)')
    .option('--from <file...>', 'configuration files, one per director: FILE or FILE@ADDRESS (no SSH)')
    .option('--director <addr,...>', 'read these directors over SSH (read-only)', list)
    .option(
      '--realserver <addr,...>',
      'also read these real servers (those in the IPVS table are read anyway)',
      list,
    )
    .option('--user <user>', 'SSH user', 'root')
    .option('--identity <file>', 'SSH private key (else the agent)')
    .option('--port <n>', 'SSH port', '22')
    .option('--become', 'run as root through `sudo -n`')
    .option('--known-hosts <file>', 'known_hosts file', '~/.ssh/known_hosts')
    .addOption(
      new Option('--host-key-policy <policy>', 'unknown host keys')
        .choices(['strict', 'accept-new'] as const)
        .default('strict' as const),
    )
    .option(
      '-o, --output <file>',
      'write the inventory here (else stdout); auth_pass goes beside it, mode 0600',
    )
    .option('--json', 'print a JSON summary (docs/json.md) instead of the inventory')
    .addHelpText(
      'after',
      `
--from: each file is recognised by its content: keepalived.conf (its includes are read too),
ldirectord.cf, or \`ipvsadm -S -n\` output (also a rules file or typed \`ipvsadm -A/-a\` lines).
FILE@ADDRESS names the director's SSH address when the file does not.
--director: one read-only round trip per host (IPVS table, keepalived.conf and includes,
ldirectord.cf, rules file, sysctls, addresses, routes, firewall); the manager is what is running
and configured. Real servers found in the table are read with the same credentials; unreachable
ones become \`address:\` real servers. A broken live setup is reported as a lint with its fix.
Everything the inventory cannot express is listed on stderr and at the top of the inventory as
FILE:LINE: what. A VRRP auth_pass never goes into the inventory: with -o it is written to
<output>.vrrp-auth-pass (mode 0600) and referenced as { file: … }; without -o the inventory says
{ env: ${SECRET_ENV} } and the value is not printed.
Exit 0 when everything was imported as it is, 3 when something was not or a lint was found,
2 on malformed input, 1 when a director could not be read.

Example:
  lvs-deploy import --from lb1/keepalived.conf@192.168.100.10 lb2/keepalived.conf@192.168.100.11 -o web.yaml
  lvs-deploy import --director 192.168.100.10,192.168.100.11 --known-hosts ./known_hosts -o web.yaml`,
    )
    .action(async (opts) => {
      if ((opts.from === undefined) === (opts.director === undefined))
        throw new UsageError('give either --from FILE… or --director ADDR[,ADDR…]');
      const secretFile = opts.output !== undefined ? defaultSecretFile(resolve(opts.output)) : undefined;
      const invName = opts.output !== undefined ? basename(opts.output).replace(/\.ya?ml$/, '') : undefined;
      const ref: SecretOut = secretFile ? { file: `./${basename(secretFile)}` } : { env: SECRET_ENV };
      let r: BuildResult;
      let lints: ImportNote[] = [];
      const started = performance.now();
      let hosts: HostTiming[] | undefined;
      const files = opts.from ?? opts.director ?? [];
      if (opts.from) {
        const sources = opts.from
          .map(splitSpec)
          .map((s) => ({ imp: importFile(s.file), ...(s.address ? { address: s.address } : {}) }));
        r = buildInventory(sources, ref, 'An LVS adopted by lvs-deploy.', new Map(), invName);
      } else {
        const port = Number(opts.port);
        if (!Number.isInteger(port) || port < 1 || port > 65535)
          throw new UsageError(`--port ${opts.port}: not a port`);
        const live = await liveImport({
          directors: addresses('--director', opts.director ?? []),
          realservers: addresses('--realserver', opts.realserver ?? []),
          ssh: {
            user: opts.user,
            port,
            knownHosts: opts.knownHosts,
            hostKeyPolicy: opts.hostKeyPolicy,
            become: opts.become === true,
            ...(opts.identity ? { identity: opts.identity } : {}),
          },
          connect: (t) => SshTransport.connect(t),
        });
        lints = live.lints;
        hosts = live.timings;
        r = buildInventory(
          live.sources,
          ref,
          'An LVS adopted by lvs-deploy, read live.',
          live.realServers as Map<string, RealServerFacts>,
        );
        if (lints.length)
          r = { ...r, yaml: `${lints.map((l) => `# LINT: ${l.file}: ${l.message}`).join('\n')}\n${r.yaml}` };
      }
      for (const n of r.notes) process.stderr.write(`${n.file}:${n.line}: ${n.message}\n`);
      for (const l of lints) process.stderr.write(`lint: ${l.file}: ${l.message}\n`);
      if (!r.ok) throw new UsageError(`${files.join(', ')}: no virtual service found; nothing to import`);
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
        const doc = {
          version: 1,
          sources: files,
          output: opts.output ?? null,
          notes: r.notes,
          lints,
          exact: r.notes.length === 0 && lints.length === 0,
          ...(hosts ? { timings_ms: { total: Math.round(performance.now() - started), hosts } } : {}),
        };
        process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
      } else if (opts.output === undefined) process.stdout.write(r.yaml);
      process.exitCode = r.notes.length === 0 && lints.length === 0 ? 0 : 3;
    });
}
