// The release matrix's cases (issue 20): a seed inventory copied under another lab name, with
// lab.release per host, for seed-suite.ts to run on its own VM boot.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseDocument } from 'yaml';
import { VS_DEFAULTS } from '../../src/import/live.js';
import type { Inventory } from '../../src/inventory/types.js';
import { type VmLabState, vmHostExec } from '../../src/lab/vm/index.js';
import { formatService, parseRules } from '../../src/model/ipvs.js';
import type { Release } from '../../src/model/releases.js';
import { ROOT } from '../helpers/cli.js';

/**
 * A seed on other Debian releases (the release matrix, issue 20): its own lab name, so its boot
 * never meets the seed's own; `release` boots that release's kernel and runs it on every host
 * without its own entry in `hosts`.
 */
export interface ReleaseCase {
  seed: string;
  /** Lab name (the inventory's `name`, rewritten in a copy) and the describe's title. */
  name: string;
  release?: Release;
  /** Per-host lab.release, written into the copy. */
  hosts?: Record<string, Release>;
  /** What `uname -r` starts with inside the VM. */
  kernel: string;
}

export const DEBIAN_MAJOR: Record<Release, string> = { bullseye: '11', bookworm: '12', trixie: '13' };

/** The seed's inventory under the case's lab name and lab.release entries, in a temp file. */
export function releaseInventory(c: ReleaseCase): string {
  const doc = parseDocument(readFileSync(join(ROOT, 'inventories', `${c.seed}.yaml`), 'utf8'));
  doc.setIn(['name'], c.name);
  for (const [h, r] of Object.entries(c.hosts ?? {}))
    doc.setIn(['hosts', h, 'lab'], doc.createNode({ release: r }));
  const file = releaseInventoryPath(c);
  writeFileSync(file, doc.toString());
  return file;
}

export const releaseInventoryPath = (c: ReleaseCase) => join(tmpdir(), `lvs-${c.name}.yaml`);

export function caseTitle(c: ReleaseCase): string {
  const hosts = Object.entries(c.hosts ?? {}).map(([h, r]) => `${h} ${r}`);
  const on = `${c.release ?? 'bookworm'}${hosts.length ? ` (${hosts.join(', ')})` : ''}`;
  return `${c.name}: ${c.seed} on ${on}, kernel ${c.kernel}`;
}

/** net.ipv4.vs keys and the kernel that added them (seen on 5.10, 6.1 and 6.12 in this matrix). */
const NEWER_KEYS: Record<string, [number, number]> = {
  run_estimation: [6, 1],
  est_cpulist: [6, 2],
  est_nice: [6, 2],
};

/** The case's own tests: the VM booted the kernel it names, every host runs its release. */
export function releaseTests(c: ReleaseCase, state: () => VmLabState, inv: () => Inventory): void {
  test(`every host runs its release's userland, the VM kernel ${c.kernel}`, async () => {
    const s = state();
    assert.ok(s.vm.kernelVersion.startsWith(c.kernel), s.vm.kernelVersion);
    for (const h of Object.keys(s.hosts)) {
      const release: Release = c.hosts?.[h] ?? c.release ?? 'bookworm';
      const r = await vmHostExec(s, h, 'cat /etc/debian_version');
      assert.equal(r.stdout.trim().split('.')[0], DEBIAN_MAJOR[release], `${h} runs ${release}`);
    }
  });

  // `import` leaves out a sysctl at the kernel's default (VS_DEFAULTS); a kernel with another
  // default would make every imported inventory carry (or drop) it.
  test(`the IPVS sysctl defaults import assumes and the keys plan checks are this kernel's (${c.kernel})`, async () => {
    const s = state();
    const host = Object.keys(s.hosts).find((h) => !inv().directors.hosts.includes(h));
    assert.ok(host);
    const r = await vmHostExec(
      s,
      host,
      'cd /proc/sys/net/ipv4/vs && for k in *; do echo "$k $(cat "$k")"; done',
    );
    assert.equal(r.code, 0, r.stderr);
    const live = Object.fromEntries(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(' ', 2) as [string, string]),
    );
    const missing = Object.keys(VS_DEFAULTS).filter((k) => live[k] === undefined);
    process.stdout.write(
      `# ${c.name}: net.ipv4.vs keys: ${Object.keys(live).join(' ')}; missing: ${missing.join(' ') || 'none'}\n`,
    );
    assert.deepEqual(missing, [], `keys import knows but ${s.vm.kernelVersion} lacks`);
    for (const [k, v] of Object.entries(VS_DEFAULTS))
      assert.equal(live[k], v, `net.ipv4.vs.${k} on ${s.vm.kernelVersion}`);
    // The keys newer kernels added, which plan refuses on a kernel without them (kernelBlockers).
    const [major = 0, minor = 0] = s.vm.kernelVersion.split('.').map(Number);
    for (const [k, [M, m]] of Object.entries(NEWER_KEYS)) {
      const has = major * 100 + minor >= M * 100 + m;
      assert.equal(
        live[k] !== undefined,
        has,
        `net.ipv4.vs.${k} ${has ? 'on' : 'not on'} ${s.vm.kernelVersion}`,
      );
    }
  });

  // The director's own ipvsadm on its release, this kernel's mh (loaded on demand through the
  // guest's /lib/modules): the facts read `ipvsadm -S -n`; a flag printed otherwise would be drift.
  test(`an mh service with both flags reads back as lvs-deploy writes it (${c.kernel})`, async () => {
    const s = state();
    const director = inv().directors.hosts[0];
    assert.ok(director);
    const key = '-t 10.255.255.1:81';
    const r = await vmHostExec(
      s,
      director,
      `ipvsadm -A ${key} -s mh -b mh-fallback,mh-port && ipvsadm -S -n | grep -F -- '${key}'; rc=$?; ipvsadm -D ${key}; exit $rc`,
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const line = r.stdout.trim();
    const [svc] = parseRules(line).services;
    assert.ok(svc, line);
    assert.deepEqual([...svc.flags].sort(), ['mh-fallback', 'mh-port'], line);
    assert.equal(formatService(svc), line, 'the line up would write is the line the kernel reports');
  });
}
