// Another Debian release's kernel for the VM lab: linux-image-amd64 and its dependencies, only
// unpacked (mmdebstrap's extract variant: no dpkg, no initramfs-tools run, ~6 s), from Debian's
// mirror, cached beside the release's root filesystem under <release>-kernel-<hash>/. The VM boots
// its /boot/vmlinuz-<version>; its /lib/modules/<version> (modules.dep made here with depmod, which
// the extract variant never runs) is what the guest's modprobe reads.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HOST_RELEASE, type Release } from '../../model/releases.js';
import { RELEASE_CACHE, ReleaseError } from './rootfs.js';

const MIRROR = 'http://deb.debian.org/debian';

/** A kernel the VM lab can boot: `<root>/boot/vmlinuz-<version>` and `<root>/lib/modules/<version>`. */
export interface KernelTree {
  root: string;
  version: string;
}

function mmdebstrapArgs(release: Release, target: string): string[] {
  return ['--variant=extract', '--mode=root', '--include=linux-image-amd64', release, target, MIRROR];
}

export function kernelTreeOf(release: Release): string {
  const hash = createHash('sha256')
    .update(JSON.stringify({ v: 1, args: mmdebstrapArgs(release, '-') }))
    .digest('hex')
    .slice(0, 10);
  return join(RELEASE_CACHE, `${release}-kernel-${hash}`);
}

/** The one kernel version unpacked in `root` (undefined: not built). */
function versionIn(root: string): string | undefined {
  if (!existsSync(join(root, '.complete'))) return undefined;
  const v = readdirSync(join(root, 'boot'))
    .filter((f) => f.startsWith('vmlinuz-'))
    .map((f) => f.slice('vmlinuz-'.length))
    .sort();
  return v.at(-1);
}

function run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const keep = (d: Buffer) => {
      out = (out + d.toString()).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

/**
 * The release's kernel, unpacked once and cached (undefined for this machine's own release: the
 * VM lab then boots /boot's kernel as before). Concurrent callers serialize on a per-release lock.
 */
export async function ensureKernel(release: Release): Promise<KernelTree | undefined> {
  if (release === HOST_RELEASE) return undefined;
  const root = kernelTreeOf(release);
  const have = versionIn(root);
  if (have) return { root, version: have };
  await mkdir(RELEASE_CACHE, { recursive: true });
  const lock = join(RELEASE_CACHE, `.${release}-kernel.lock`);
  await writeFile(lock, '', { flag: 'a' });
  const tmp = `${root}.tmp`;
  // Trixie's tree is merged-/usr without the /lib link (extract runs no maintainer script): add it
  // so depmod -b and the guest find <root>/lib/modules on every release.
  const script = `[ -e "$1/.complete" ] && exit 0; rm -rf "$2"; r="$1"; t="$2"; shift 2
mmdebstrap "$@" || exit $?
[ -e "$t/lib" ] || ln -s usr/lib "$t/lib"
for v in "$t"/lib/modules/*; do depmod -b "$t" "\${v##*/}" || exit $?; done
: > "$t/.complete" && rm -rf "$r" && mv "$t" "$r"`;
  const r = await run('flock', [
    lock,
    'sh',
    '-c',
    script,
    'lvs-kernel',
    root,
    tmp,
    ...mmdebstrapArgs(release, tmp),
  ]);
  if (r.code !== 0) {
    await rm(tmp, { recursive: true, force: true });
    throw new ReleaseError(
      `release ${release}: kernel unpack failed (exit ${r.code}):\n${r.out.slice(-2000)}`,
    );
  }
  const version = versionIn(root);
  if (!version) throw new ReleaseError(`release ${release}: no /boot/vmlinuz-* in ${root}`);
  for (const name of await readdir(RELEASE_CACHE)) {
    const path = join(RELEASE_CACHE, name);
    if (path !== root && name.startsWith(`${release}-kernel-`))
      await rm(path, { recursive: true, force: true });
  }
  return { root, version };
}
