// Every command registers itself here; main.ts stays small.
import type { Command } from '@commander-js/extra-typings';
import { registerConverge } from './converge.js';
import { registerDemo } from './demo.js';
import { registerDrain } from './drain.js';
import { registerLabCommand } from './lab.js';
import { registerRender } from './render.js';
import { registerRoll } from './roll.js';
import { registerValidate } from './validate.js';
import { registerVerify } from './verify.js';

export function registerCommands(program: Command): void {
  registerValidate(program);
  registerRender(program);
  registerConverge(program);
  registerVerify(program);
  registerDrain(program);
  registerRoll(program);
  registerLabCommand(program);
  registerDemo(program);
}
