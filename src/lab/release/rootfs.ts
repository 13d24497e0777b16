// Another Debian release's userland for lab hosts: a minimal root filesystem built once with
// mmdebstrap from Debian's own mirror, cached under /var/cache/lvs-deploy/releases/<release>-<hash>/
// and reused. Bookworm is this machine's own root, as it always was: nothing to build.
// The hash covers everything that shapes the tree (release, packages, mirror, build options), so
// a changed package list builds a new directory instead of reusing a stale one.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LvsError } from '../../errors.js';
import { HOST_RELEASE, type Release } from '../../model/releases.js';

/** A release's root filesystem could not be built. Exit code 1, like every lab error. */
export class ReleaseError extends LvsError {
  constructor(message: string) {
    super('lab', message, 1);
  }
}

/** LVS_RELEASE_CACHE: another place (a cold build measured beside the real cache). */
export const RELEASE_CACHE = process.env.LVS_RELEASE_CACHE || '/var/cache/lvs-deploy/releases';
// mmdebstrap's own hook: dpkg under eatmydata skips its fsyncs while the tree is built (the tree is
// thrown away if the build fails anyway); removed again before the tree is finished.
const EATMYDATA_HOOKS = '/usr/share/mmdebstrap/hooks/eatmydata';
const MIRROR = 'http://deb.debian.org/debian';

/**
 * What a lab host runs: sshd, the managers (keepalived, ldirectord, ipvsadm), nft, ip, sysctl/ps,
 * perl for the identity responders, sudo for a non-root ssh user, kmod for modprobe -n.
 * ldirectord pulls perl's LWP stack: about 15 MB more, cheap next to the rest.
 * curl and busybox: what verify's probes run on the client (`verify.from`), so a whole lab on one
 * release (`lab up --release`) verifies like a bookworm one.
 */
export const RELEASE_PACKAGES = [
  'openssh-server',
  'keepalived',
  'ldirectord',
  'ipvsadm',
  'nftables',
  'iproute2',
  'procps',
  'perl',
  'sudo',
  'kmod',
  'curl',
  'busybox',
] as const;

// Docs, man pages and translations are a third of the tree and nothing in a lab reads them.
const DPKG_EXCLUDES = [
  'path-exclude=/usr/share/man/*',
  'path-exclude=/usr/share/doc/*',
  'path-include=/usr/share/doc/*/copyright',
  'path-exclude=/usr/share/locale/*',
  'path-exclude=/usr/share/info/*',
];

// Debian's mirror serves bullseye from the main archive still (LTS ended 2026-08; archive.d.o is
// where it moves eventually: change MIRROR per release then, and the hash with it).
function mmdebstrapArgs(release: Release, target: string): string[] {
  return [
    '--variant=essential',
    '--mode=root',
    ...(existsSync(EATMYDATA_HOOKS) ? [`--hook-dir=${EATMYDATA_HOOKS}`] : []),
    `--include=${RELEASE_PACKAGES.join(',')}`,
    ...DPKG_EXCLUDES.map((o) => `--dpkgopt=${o}`),
    // Packages must not start daemons while the tree is built (sshd, keepalived): no init here.
    '--customize-hook=rm -f "$1/etc/ssh/ssh_host_"*',
    release,
    target,
    MIRROR,
  ];
}

export function releaseHash(release: Release): string {
  return createHash('sha256')
    .update(JSON.stringify({ v: 1, args: mmdebstrapArgs(release, '-') }))
    .digest('hex')
    .slice(0, 10);
}

/** Where a release's root lives; '/' for this machine's own release. */
export function releaseRootOf(release: Release): string {
  if (release === HOST_RELEASE) return '/';
  return join(RELEASE_CACHE, `${release}-${releaseHash(release)}`);
}

/** Present and complete (the build renames into place only when mmdebstrap succeeded). */
export function releaseBuilt(release: Release): boolean {
  return release === HOST_RELEASE || existsSync(join(releaseRootOf(release), 'usr/sbin/keepalived'));
}

export interface BuildResult {
  release: Release;
  root: string;
  /** false: reused from the cache. */
  built: boolean;
  seconds: number;
}

function runLogged(cmd: string, args: string[], log: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (d: Buffer) => {
      log.push(d.toString());
      if (log.length > 200) log.splice(0, log.length - 200);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
}

/**
 * Build the release's root filesystem unless the cache has it. Concurrent callers (two test files)
 * serialize on a per-release lock: the second finds the tree the first built.
 */
export async function ensureRelease(release: Release): Promise<BuildResult> {
  const t0 = performance.now();
  const root = releaseRootOf(release);
  const seconds = () => (performance.now() - t0) / 1000;
  if (releaseBuilt(release)) return { release, root, built: false, seconds: seconds() };
  await mkdir(RELEASE_CACHE, { recursive: true });
  const lock = join(RELEASE_CACHE, `.${release}.lock`);
  await writeFile(lock, '', { flag: 'a' });
  const log: string[] = [];
  const tmp = `${root}.tmp`;
  // flock(1) holds the lock for the child's lifetime; the child re-checks before building.
  const script = `[ -e "$1/usr/sbin/keepalived" ] && exit 0; rm -rf "$2"; shift 2; exec mmdebstrap "$@"`;
  const code = await runLogged(
    'flock',
    [lock, 'sh', '-c', script, 'lvs-release', root, tmp, ...mmdebstrapArgs(release, tmp)],
    log,
  );
  if (code !== 0) {
    await rm(tmp, { recursive: true, force: true });
    throw new ReleaseError(
      `release ${release}: mmdebstrap failed (exit ${code}):\n${log.join('').slice(-2000)}`,
    );
  }
  if (existsSync(tmp)) await rename(tmp, root);
  await pruneStale(release, root);
  return { release, root, built: true, seconds: seconds() };
}

/** Older trees of the same release (a changed package list) only take space. */
async function pruneStale(release: Release, keep: string): Promise<void> {
  for (const name of await readdir(RELEASE_CACHE)) {
    const path = join(RELEASE_CACHE, name);
    // <release>-kernel-<hash> is the release's kernel (kernel.ts), not an older root.
    if (path !== keep && name.startsWith(`${release}-`) && !name.startsWith(`${release}-kernel-`))
      await rm(path, { recursive: true, force: true });
  }
}
