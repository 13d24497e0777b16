// `lab down NAME` takes down whatever lab of that name is up: the state file says which kind it
// is, so the operator need not remember whether it was built with --vm. `--vm` only decides when
// no state is left (a crashed up), and a VM pidfile left behind also means a VM lab.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Inventory } from '../inventory/types.js';
import { labDown } from './netns.js';
import { labNameOf } from './spec.js';
import { type LabState, readState, stateDirOf } from './state.js';

export type LabKind = LabState['kind'];

/** Which lab `down` removes: the one its state records, else the flag's, else a VM if one left its pidfile. */
export function labKindToDown(
  state: Pick<LabState, 'kind'> | undefined,
  vmFlag: boolean,
  vmPidfileLeft: boolean,
): LabKind {
  if (state) return state.kind;
  return vmFlag || vmPidfileLeft ? 'vm' : 'netns';
}

/** Take the lab down, whichever kind it is; returns the kind taken down. */
export async function downAnyLab(invOrName: Inventory | string, vmFlag: boolean): Promise<LabKind> {
  const name = typeof invOrName === 'string' ? invOrName : labNameOf(invOrName);
  const dir = stateDirOf(name);
  const kind = labKindToDown(await readState(dir), vmFlag, existsSync(join(dir, 'vm', 'qemu.pid')));
  // Imported on use: the VM lab is optional and heavy, and the netns lab must work without it.
  if (kind === 'vm') await (await import('./vm/index.js')).vmLabDown(invOrName);
  else await labDown(invOrName);
  return kind;
}
