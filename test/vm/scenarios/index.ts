// Extra VM scenarios that run on an existing seed boot (no new VM boot): every module in this
// folder (other than this one) exports `scenario: SeedScenario`. seed-suite.ts registers each
// scenario's tests after "a second up changes nothing", before failover and `down`, for every
// seed the scenario names. A scenario must leave the topology as `up` left it (enable what it
// drained, restart what it stopped), so the seed's later tests see what they expect.
// A scenario with `at: 'after-down'` runs last instead, on the clean hosts the seed's `down`
// left, and may leave them in any state (the lab goes down next): no restore to pay for.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Inventory } from '../../../src/inventory/types.js';
import type { VmLabState } from '../../../src/lab/vm/index.js';
import type { CliResult } from '../../helpers/cli.js';

export interface SeedContext {
  seed: string;
  /** Absolute path of the seed's inventory. */
  file: string;
  /** Set once the seed's `before` has booted the VM: read them inside a test, not at registration. */
  inv: () => Inventory;
  state: () => VmLabState;
  /** lvs-deploy ARGS inside the lab's control namespace. */
  lvs: (args: string[]) => Promise<CliResult>;
}

export interface SeedScenario {
  /** Inventory names (inventories/<seed>.yaml) this scenario runs on. */
  seeds: string[];
  /** Run after the seed's `down` instead of before failover and `down` (the default). */
  at?: 'after-down';
  /** Declares node:test `test(...)` calls; called inside the seed's describe. */
  register: (ctx: SeedContext) => void;
}

const here = dirname(fileURLToPath(import.meta.url));

/**
 * LVS_VM_SCENARIOS=drain,drill (file names without .ts) loads only those scenarios — for a
 * developer iterating on one scenario; CI leaves it unset and runs them all.
 */
export async function loadScenarios(): Promise<SeedScenario[]> {
  const only = process.env.LVS_VM_SCENARIOS?.split(',').map((s) => `${s.trim()}.ts`);
  const files = readdirSync(here)
    .filter((f) => f.endsWith('.ts') && f !== 'index.ts' && !f.endsWith('.test.ts'))
    .filter((f) => !only || only.includes(f))
    .sort();
  const mods = await Promise.all(
    files.map((f) => import(join(here, f)) as Promise<{ scenario?: SeedScenario }>),
  );
  return mods.flatMap((m) => (m.scenario ? [m.scenario] : []));
}
