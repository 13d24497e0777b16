// A netns lab for one test file: a shipped inventory copied under the lab name that file owns (lab
// test files never share namespaces), brought up; `stopLab` takes it down with its temp dir.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadInventory } from '../../src/inventory/load.js';
import { type LabState, labDown, labUp } from '../../src/lab/netns.js';
import { ROOT } from './cli.js';

export interface TestLab {
  state: LabState;
  /** The copied inventory (named `lab`). */
  inv: string;
  /** Temp dir holding it; the test may write more files there. */
  dir: string;
}

/**
 * Copy `inventories/<inventory>` to a temp dir as `file` with `name: <lab>`, and bring its lab up.
 * `vrrpPass` (keepalived inventories) is set as LVS_VRRP_PASS for this process first.
 */
export async function startLab(
  lab: string,
  inventory: string,
  file: string,
  vrrpPass?: string,
): Promise<TestLab> {
  const dir = mkdtempSync(join(tmpdir(), `${lab}-`));
  const inv = join(dir, file);
  const text = readFileSync(join(ROOT, 'inventories', inventory), 'utf8');
  writeFileSync(inv, text.replace(/^name: .*$/m, `name: ${lab}`));
  if (vrrpPass !== undefined) process.env.LVS_VRRP_PASS = vrrpPass;
  const state = (await labUp(await loadInventory(inv))).state;
  return { state, inv, dir };
}

/** Take the lab down (nothing up is fine) and remove its temp dir. */
export async function stopLab(lab: string, dir: string | undefined): Promise<void> {
  await labDown(lab);
  if (dir) rmSync(dir, { recursive: true, force: true });
}

/** argv running `script` with node + tsx inside the lab's control namespace (where the lab's hosts are). */
export function nodeInLab(state: LabState, script: string, ...args: string[]): [string, ...string[]] {
  return ['ip', 'netns', 'exec', state.controlNs, process.execPath, '--import', 'tsx', script, ...args];
}
