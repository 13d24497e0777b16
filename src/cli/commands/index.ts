// Every command registers itself here; main.ts stays small. Each entry is imported on use: a
// command loads only its own module graph (validate never loads ssh2, nunjucks or listr2), and
// `--version` loads none. The bundle (scripts/bundle.mjs) keeps each import() a separate chunk.
import type { Command } from '@commander-js/extra-typings';

type Register = (program: Command) => void;

const COMMANDS: Record<string, () => Promise<Register>> = {
  validate: async () => (await import('./validate.js')).registerValidate,
  render: async () => (await import('./render.js')).registerRender,
  up: async () => (await import('./converge.js')).registerConverge,
  plan: async () => (await import('./converge.js')).registerConverge,
  down: async () => (await import('./converge.js')).registerConverge,
  verify: async () => (await import('./verify.js')).registerVerify,
  lab: async () => (await import('./lab.js')).registerLabCommand,
  status: async () => (await import('./status.js')).registerStatus,
  demo: async () => (await import('./demo.js')).registerDemo,
  schema: async () => (await import('./schema.js')).registerSchema,
  init: async () => (await import('./init.js')).registerInit,
  graph: async () => (await import('./graph.js')).registerGraph,
  import: async () => (await import('./import.js')).registerImport,
  preflight: async () => (await import('./preflight.js')).registerPreflight,
  drill: async () => (await import('./drill.js')).registerDrill,
  drain: async () => (await import('./drain.js')).registerDrain,
  enable: async () => (await import('./drain.js')).registerDrain,
  roll: async () => (await import('./roll.js')).registerRoll,
};

/** The command a command line names: its first word that is not an option. */
function commandOf(argv: string[]): string | undefined {
  return argv.slice(2).find((a) => !a.startsWith('-'));
}

/**
 * Register the command that `argv` names, or every command when it names none that we know
 * (help, a typo commander should suggest a fix for). `-V/--version` alone registers nothing.
 */
export async function registerCommands(program: Command, argv: string[]): Promise<void> {
  const words = argv.slice(2);
  if (words.length > 0 && words.every((a) => a === '-V' || a === '--version')) return;
  const name = commandOf(argv);
  const wanted = name !== undefined && name in COMMANDS ? [name] : Object.keys(COMMANDS);
  const loaders = [...new Set(wanted.map((n) => COMMANDS[n]))];
  const registered = new Set<Register>();
  for (const load of loaders) {
    const register = await load?.();
    if (register && !registered.has(register)) {
      registered.add(register);
      register(program);
    }
  }
}
