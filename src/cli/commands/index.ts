// Every command registers itself here; main.ts stays small.
import type { Command } from '@commander-js/extra-typings';
import { registerConverge } from './converge.js';
import { registerDemo } from './demo.js';
import { registerDrill } from './drill.js';
import { registerLabCommand } from './lab.js';
import { registerPreflight } from './preflight.js';
import { registerRender } from './render.js';
import { registerValidate } from './validate.js';
import { registerVerify } from './verify.js';

export function registerCommands(program: Command): void {
  registerValidate(program);
  registerRender(program);
  registerConverge(program);
  registerVerify(program);
  registerPreflight(program);
  registerLabCommand(program);
  registerDemo(program);
  registerDrill(program);
}
