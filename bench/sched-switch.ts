// npx tsx bench/sched-switch.ts [switches]
// Why `up` changes a scheduler through a 1 s persistence bridge: on real kernel IPVS (VM lab, the
// live-change topology of test/vm/live-before.yaml), a client opens 50 new connections a second
// through the VIP while the director switches the service's scheduler rr ⇄ wrr N times (default
// 40), first with a plain `ipvsadm -E`, then the way `up` does it (schedulerBridge). Prints the
// refused connections of each, measured in the same lab boot. Needs root and qemu.
import { join } from 'node:path';
import { quote } from '../src/connection/shell.js';
import { schedulerBridge } from '../src/executor/steps.js';
import { loadInventory } from '../src/inventory/load.js';
import { labEnv } from '../src/lab/netns.js';
import { vmHostExec, vmLabDown, vmLabUp } from '../src/lab/vm/index.js';
import { serviceArgs } from '../src/model/ipvs.js';
import type { IpvsService } from '../src/model/types.js';
import { cliInLab } from '../test/helpers/cli.js';
import { parseStream, streamCommand } from '../test/vm/stream.js';

const switches = Number(process.argv[2] ?? 40);
const FILE = join(import.meta.dirname, '..', 'test', 'vm', 'live-before.yaml');
const VIP = '192.168.50.100';
const base: IpvsService = {
  key: `-t ${VIP}:80`,
  protocol: 'tcp',
  vip: VIP,
  port: 80,
  family: 4,
  scheduler: 'rr',
  flags: [],
  ops: false,
  dests: [],
};
const rr = base;
const wrr = { ...base, scheduler: 'wrr' };

/** Shell lines that switch rr → wrr → rr `switches / 2` times, 0.3 s apart. */
function switching(edit: (from: IpvsService, to: IpvsService) => IpvsService[]): string {
  const lines = (from: IpvsService, to: IpvsService) =>
    edit(from, to)
      .map((s) => `ipvsadm ${serviceArgs(s, '-E').join(' ')}`)
      .join('; ');
  return `sleep 3; i=0; while [ $i -lt ${Math.ceil(switches / 2)} ]; do ${lines(rr, wrr)}; sleep 0.3; ${lines(wrr, rr)}; sleep 0.3; i=$((i+1)); done`;
}

const inv = await loadInventory(FILE);
const state = await vmLabUp(inv);
try {
  const up = await cliInLab(state.controlNs, labEnv(state), ['up', FILE]);
  if (up.code !== 0) throw new Error(`up failed:\n${up.stdout}${up.stderr}`);
  const rows: string[] = [];
  for (const [how, edit] of [
    ['plain ipvsadm -E', (_from: IpvsService, to: IpvsService) => [to]],
    ['through the persistence bridge (up)', schedulerBridge],
  ] as const) {
    const secs = Math.ceil(switches * 0.3) + 8;
    const traffic = vmHostExec(state, 'client', streamCommand(VIP, 80, secs, 50, 2), {
      timeoutMs: (secs + 60) * 1000,
    });
    const change = await vmHostExec(state, 'dir', `sh -c ${quote(switching(edit))}`, {
      timeoutMs: (secs + 60) * 1000,
    });
    if (change.code !== 0) throw new Error(`switching failed: ${change.stderr}`);
    const r = parseStream((await traffic).stdout);
    rows.push(`| ${how} | ${switches} | ${r.ok + r.fail} | ${r.fail} |`);
  }
  console.log(
    `| scheduler switch rr ⇄ wrr | switches | new connections | refused |\n|---|---|---|---|\n${rows.join('\n')}`,
  );
} finally {
  await vmLabDown(inv);
}
