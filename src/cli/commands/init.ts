import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { type Command, Option } from '@commander-js/extra-typings';
import { UsageError } from '../../errors.js';
import {
  DEFAULT_VIP,
  type Manager,
  type Mode,
  type StarterOptions,
  starterInventory,
  starterProblem,
} from '../../inventory/starter.js';
import { MANAGER_NAMES } from '../../managers/names.js';
import { packageRoot } from '../package-root.js';

const MODES = ['nat', 'dr', 'tun'] as const;
/** The registry's names, in the order the prompt offers them (the simplest first). */
const MANAGERS = [...MANAGER_NAMES].sort() as readonly Manager[];

interface Answers {
  mode: Mode;
  manager: Manager;
  directors: number;
  realServers: number;
  vip: string;
  port: number;
  output?: string;
}

function usage(message: string): UsageError {
  return new UsageError(`lvs-deploy init: ${message}`);
}

const int = (flag: string) => (v: string) => {
  if (!/^\d+$/.test(v)) throw usage(`${flag} ${JSON.stringify(v)}: expected a whole number`);
  return Number(v);
};

/** The few questions, on a terminal only; Enter keeps the default shown in brackets. */
async function ask(d: Answers): Promise<Answers> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const q = async (text: string, def: string, ok: (s: string) => boolean): Promise<string> => {
      for (;;) {
        const a = (await rl.question(`${text} [${def}]: `)).trim() || def;
        if (ok(a)) return a;
        process.stderr.write(`  not one of the choices: ${a}\n`);
      }
    };
    const mode = (await q('forwarding (nat, dr, tun)', d.mode, (s) => MODES.includes(s as Mode))) as Mode;
    const manager = (await q('manager (ipvsadm, keepalived, ldirectord)', d.manager, (s) =>
      MANAGERS.includes(s as Manager),
    )) as Manager;
    const dirDefault = manager === 'keepalived' ? '2' : '1';
    const directors = Number(await q('directors', dirDefault, (s) => /^[1-8]$/.test(s)));
    const realServers = Number(await q('real servers', String(d.realServers), (s) => /^\d{1,2}$/.test(s)));
    const vip = await q('VIP', d.vip, (s) => s.length > 0);
    const port = Number(await q('port', String(d.port), (s) => /^\d{1,5}$/.test(s)));
    const output = await q('write to', d.output ?? 'inventory.yaml', (s) => s.length > 0);
    return { mode, manager, directors, realServers, vip, port, output };
  } catch (err) {
    // Ctrl+D (or input ending) at a question: stop without writing anything.
    if ((err as Error).name === 'AbortError') throw usage('stopped: no answer, nothing written');
    throw err;
  } finally {
    rl.close();
  }
}

/** The first line's $schema: relative to the written file, so the pair can move together. */
function schemaRef(output: string | undefined): string {
  const schema = join(packageRoot(), 'schema', 'inventory.schema.json');
  if (!output) return schema;
  const rel = relative(dirname(resolve(output)), schema);
  if (rel.startsWith('../..')) return schema;
  return rel.startsWith('.') ? rel : `./${rel}`;
}

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('write a commented starting inventory that validates and runs in the lab as written')
    .addOption(new Option('--mode <mode>', 'forwarding method').choices(MODES).default('dr' as Mode))
    .addOption(new Option('--manager <manager>', 'what programs IPVS').choices(MANAGERS))
    .option('--directors <n>', 'number of directors (default 2 with keepalived, else 1)', int('--directors'))
    .option('--realservers <n>', 'number of real servers', int('--realservers'), 2)
    .option('--vip <address>', 'the VIP; its /24 holds the hosts (NAT: also the next /24)', DEFAULT_VIP)
    .option('--port <n>', 'the service port (80: an HTTP probe, else a TCP one)', int('--port'), 80)
    .option('--name <name>', 'the inventory name (names the lab)', 'lvs')
    .option('-o, --output <file>', 'write to FILE (never overwritten) instead of stdout')
    .addHelpText(
      'after',
      `
Without options on a terminal, init asks for these; it never asks when stdin is not a terminal.
Addresses are private (10.100.0.0/24 by default) and built by \`lvs-deploy lab up\`; edit them to
your hosts' before running \`up\` on real machines. Every key: docs/inventory.md.

Example:
  lvs-deploy init --mode nat --manager keepalived -o lb.yaml
  lvs-deploy lab up lb.yaml && lvs-deploy lab exec lb.yaml -- lvs-deploy up lb.yaml`,
    )
    .action(async (opts, cmd) => {
      const given = cmd.options.some((o) => cmd.getOptionValueSource(o.attributeName()) === 'cli');
      let a: Answers = {
        mode: opts.mode,
        manager: opts.manager ?? 'ipvsadm',
        directors: opts.directors ?? (opts.manager === 'keepalived' ? 2 : 1),
        realServers: opts.realservers,
        vip: opts.vip,
        port: opts.port,
        ...(opts.output ? { output: opts.output } : {}),
      };
      if (!given && process.stdin.isTTY && process.stderr.isTTY) a = await ask(a);
      const problem = starterProblem(a);
      if (problem) throw usage(problem);
      if (a.output && existsSync(a.output)) throw usage(`${a.output} exists; init never overwrites a file`);
      const options: StarterOptions = { ...a, name: opts.name, schema: schemaRef(a.output) };
      const text = starterInventory(options);
      if (!a.output) {
        process.stdout.write(text);
        return;
      }
      await writeFile(a.output, text, { flag: 'wx' });
      process.stderr.write(
        `wrote ${a.output}: try it with \`lvs-deploy lab up ${a.output}\`, then \`lvs-deploy lab exec ${a.output} -- lvs-deploy up ${a.output}\`\n`,
      );
    });
}
