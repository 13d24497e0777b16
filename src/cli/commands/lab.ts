// `lvs-deploy lab up|down|status|exec`: local lab hosts for an inventory (netns, or --vm).
import { existsSync } from 'node:fs';
import type { Command } from '@commander-js/extra-typings';
import { UsageError } from '../../errors.js';
import { loadInventory } from '../../inventory/load.js';
import type { Inventory } from '../../inventory/types.js';
import { downAnyLab } from '../../lab/down.js';
import { labExec, labStatus, labUp } from '../../lab/netns.js';
import { ensureKernel } from '../../lab/release/kernel.js';
import { ensureRelease } from '../../lab/release/rootfs.js';
import { labNameOf } from '../../lab/spec.js';
import { isRelease, RELEASES, type Release } from '../../model/releases.js';

const DEFAULT_INVENTORY = 'inventory.yaml';
/** Lab commands build hosts from the topology: they never read the inventory's secrets. */
const NO_SECRETS = { skipSecrets: true } as const;

// Imported on use: the VM lab is optional and heavy, and the netns lab must work without it.
const vm = () => import('../../lab/vm/index.js');

/** down/status also take a lab name (the inventory may be gone). */
async function inventoryOrLabName(arg: string): Promise<Inventory | string> {
  if (!existsSync(arg) && /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(arg) && !/\.ya?ml$/i.test(arg)) return arg;
  return loadInventory(arg, NO_SECRETS);
}

const say = (line: string) => process.stdout.write(`${line}\n`);

async function upCommand(inv: Inventory, useVm: boolean, release?: Release): Promise<void> {
  const hosts = Object.keys(inv.hosts).length;
  if (useVm) {
    const t0 = performance.now();
    const state = await (await vm()).vmLabUp(inv, release ? { release } : {});
    say(
      `lab ${state.name}: ${hosts} hosts up in a VM (kernel ${state.vm.kernelVersion}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    return;
  }
  const r = await labUp(inv, release ? { release } : {});
  say(
    r.changed
      ? `lab ${r.state.name}: ${hosts} hosts up in ${r.seconds.toFixed(1)} s`
      : `lab ${r.state.name}: already up (${hosts} hosts)`,
  );
  say(`  state: ${r.state.stateDir}`);
  say(
    `  try:   lvs-deploy lab exec ${inv.file} -- ssh -i ${r.state.stateDir}/id_ed25519 -o UserKnownHostsFile=${r.state.stateDir}/known_hosts root@${Object.values(r.state.hosts)[0]?.address ?? 'ADDRESS'} hostname`,
  );
}

function hostLine(name: string, address: string, port: number, bad: (string | false)[]): void {
  const problems = bad.filter((b): b is string => !!b);
  say(
    `  ${name.padEnd(16)} ${`${address}:${port}`.padEnd(24)} ${problems.length ? problems.join(', ') : 'ok'}`,
  );
}

async function statusCommand(inv: Inventory | string, useVm: boolean): Promise<void> {
  if (useVm) {
    const s = await (await vm()).vmLabStatus(inv);
    say(
      `lab ${s.name}: ${!s.up ? 'down' : s.healthy ? 'up' : 'DEGRADED'} (VM${s.qemuRunning ? ' running' : ''}${s.up ? `, ${s.hosts.length} hosts` : ''})`,
    );
    for (const h of s.hosts)
      hostLine(h.name, h.address, h.port, [
        !h.sshd && 'sshd dead',
        h.responder === false && 'responder dead',
      ]);
    if (!s.healthy) process.exitCode = 1;
    return;
  }
  const s = await labStatus(inv);
  if (!s.up) {
    say(`lab ${s.name}: down`);
    process.exitCode = 1;
    return;
  }
  say(`lab ${s.name}: ${s.healthy ? 'up' : 'DEGRADED'} (${s.hosts.length} hosts, state ${s.stateDir})`);
  for (const h of s.hosts) {
    const bad = [
      !h.namespace && 'namespace gone',
      !h.anchor && 'anchor dead',
      !h.sshd && 'sshd dead',
      h.responder === false && 'responder dead',
    ];
    hostLine(h.name, h.address, h.port, bad);
  }
  if (!s.healthy) process.exitCode = 1;
}

/** `lab exec [inventory] -- COMMAND...`: commander drops `--`, so an inventory is a leading *.yaml/*.yml word. */
function splitExecArgs(words: string[]): { file: string; argv: string[] } {
  const [first, ...rest] = words;
  if (first && rest.length > 0 && /\.ya?ml$/i.test(first)) return { file: first, argv: rest };
  return { file: DEFAULT_INVENTORY, argv: words };
}

export function registerLabCommand(program: Command): void {
  const lab = program
    .command('lab')
    .description('local lab hosts for an inventory: namespaces with their own sshd (or a VM with --vm)')
    .addHelpText(
      'after',
      `
The netns lab turns every inventory host into Linux namespaces on this machine (own addresses,
private /etc /var /root /tmp /run, hostname, sshd on the inventory address) joined by bridges in
a lab switch namespace. The root namespace is never changed. Needs root.
Real servers answer HTTP on any path (and UDP datagrams) on their service ports with their name
(plain HTTP, no TLS: an https check or probe cannot pass in a lab).
State, keys and logs: /var/lib/lvs-deploy/lab/<lab name>/.

Example:
  lvs-deploy lab up inventories/seed-001-lic-nat.yaml
  lvs-deploy lab exec inventories/seed-001-lic-nat.yaml -- curl -s http://192.168.3.2/
  lvs-deploy lab exec inventories/seed-001-lic-nat.yaml -- lvs-deploy up inventories/seed-001-lic-nat.yaml
  lvs-deploy lab down inventories/seed-001-lic-nat.yaml`,
    );

  lab
    .command('up')
    .description('build the lab (no-op when it is already up and healthy for this inventory)')
    .argument('[inventory]', 'inventory file', DEFAULT_INVENTORY)
    .option('--vm', 'hosts inside a qemu VM with a real IPVS kernel')
    .option(
      '--release <release>',
      `Debian release of every host without its own lab.release (${RELEASES.join(', ')}); with --vm the VM also boots that release's kernel`,
    )
    .addHelpText(
      'after',
      '\nExample:\n  lvs-deploy lab up inventories/seed-001-lic-nat.yaml\n  lvs-deploy lab up --release bullseye inventories/seed-001-lic-nat.yaml\n  lvs-deploy lab up --vm inventories/seed-002-dr-keepalived.yaml\n  lvs-deploy lab up --vm --release trixie inventories/seed-003-nat-keepalived.yaml',
    )
    .action(async (file, opts) => {
      if (opts.release !== undefined && !isRelease(opts.release))
        throw new UsageError(`lab up: unknown release ${opts.release} (${RELEASES.join(', ')})`);
      const release = opts.release !== undefined && isRelease(opts.release) ? opts.release : undefined;
      await upCommand(await loadInventory(file, NO_SECRETS), !!opts.vm, release);
    });

  lab
    .command('down')
    .description('remove every namespace, link, process and mount of the lab (fine when nothing is there)')
    .argument('[inventory]', 'inventory file or lab name', DEFAULT_INVENTORY)
    .option('--vm', 'a VM lab (only needed when its state is gone: a lab that is up is recognised)')
    .addHelpText('after', '\nExample:\n  lvs-deploy lab down inventories/seed-001-lic-nat.yaml')
    .action(async (file, opts) => {
      const inv = await inventoryOrLabName(file);
      await downAnyLab(inv, !!opts.vm);
      say(`lab ${typeof inv === 'string' ? inv : labNameOf(inv)}: down`);
    });

  lab
    .command('status')
    .description('show whether every lab host, its sshd and responders are alive (exit 1 if not)')
    .argument('[inventory]', 'inventory file or lab name', DEFAULT_INVENTORY)
    .option('--vm', 'the VM lab')
    .addHelpText('after', '\nExample:\n  lvs-deploy lab status inventories/seed-001-lic-nat.yaml')
    .action(async (file, opts) => statusCommand(await inventoryOrLabName(file), !!opts.vm));

  lab
    .command('exec')
    .description('run a command in the lab control namespace, with the lab ssh key and known_hosts')
    .argument('<words...>', '[inventory] -- COMMAND...')
    .addHelpText(
      'after',
      `
The command gets LVS_DEPLOY_LAB, LVS_DEPLOY_LAB_IDENTITY and LVS_DEPLOY_LAB_KNOWN_HOSTS, which the
ssh layer uses in place of the inventory's identity and known_hosts. Exit code: the command's.

Example:
  lvs-deploy lab exec inventories/seed-001-lic-nat.yaml -- lvs-deploy up inventories/seed-001-lic-nat.yaml`,
    )
    .action(async (words) => {
      const { file, argv } = splitExecArgs(words);
      if (argv.length === 0)
        throw new UsageError('lab exec: no command given (lab exec [inventory] -- COMMAND...)');
      process.exitCode = await labExec(await loadInventory(file, NO_SECRETS), argv);
    });

  lab
    .command('rootfs')
    .description(
      "build (or reuse from the cache) another Debian release's root filesystem and kernel for lab hosts",
    )
    .argument('<release...>', `${RELEASES.join(' | ')} (bookworm: this machine's own root, nothing to build)`)
    .addHelpText(
      'after',
      `
Built with mmdebstrap from Debian's mirror into /var/cache/lvs-deploy/releases/<release>-<hash>/,
reused while the package list is unchanged. A lab host runs it with lab: { release: NAME }.
The release's kernel (linux-image-amd64, unpacked only) goes beside it, into
<release>-kernel-<hash>/: lab up --vm --release NAME boots it.

Example:
  lvs-deploy lab rootfs bullseye trixie`,
    )
    .action(async (names) => {
      for (const name of names)
        if (!isRelease(name))
          throw new UsageError(`lab rootfs: unknown release ${name} (${RELEASES.join(', ')})`);
      // In parallel: a build waits on the mirror and on dpkg's fsyncs as much as on the CPU.
      const releases = names.filter(isRelease);
      const [built, kernels] = await Promise.all([
        Promise.all(releases.map(ensureRelease)),
        Promise.all(releases.map(ensureKernel)),
      ]);
      for (const r of built)
        say(`release ${r.release}: ${r.built ? `built in ${r.seconds.toFixed(1)} s` : 'cached'}: ${r.root}`);
      kernels.forEach((k, i) => {
        if (k) say(`release ${releases[i]}: kernel ${k.version}: ${k.root}`);
      });
    });
}
