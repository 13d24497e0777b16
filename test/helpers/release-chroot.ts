// Run a release's own tools (keepalived -t, nft -c …) chrooted into its cached root filesystem
// (src/lab/release/rootfs.ts), inside a network namespace the test made. Everything is mounted in a
// private mount namespace (unshare --mount): the mounts die with it, also when the check fails,
// and the cached tree is never written (the files to check arrive on a tmpfs over its /tmp).
import { spawnSync } from 'node:child_process';
import { quote } from '../../src/connection/shell.js';

export interface ToolRun {
  status: number;
  out: string;
}

/**
 * Copy `files` (host path → name under /tmp inside the root) into the release root's /tmp and run
 * `argv` chrooted there, in network namespace `ns`. root '/' runs this machine's own tools.
 */
export function runInRelease(root: string, ns: string, files: string[], argv: string[]): ToolRun {
  const r = root.replace(/\/$/, '');
  const script = [
    'set -e',
    `mount -t tmpfs -o size=16m lvs-rel-tmp ${quote(`${r}/tmp`)}`,
    ...files.map((f) => `cp ${quote(f)} ${quote(`${r}/tmp/`)}`),
    `mount -t proc proc ${quote(`${r}/proc`)}`,
    `exec chroot ${quote(r || '/')} ${argv.map(quote).join(' ')}`,
  ].join('\n');
  const out =
    root === '/'
      ? spawnSync('ip', ['netns', 'exec', ns, ...argv], {
          encoding: 'utf8',
          env: { ...process.env, LC_ALL: 'C' },
        })
      : spawnSync(
          'ip',
          ['netns', 'exec', ns, 'unshare', '--mount', '--propagation', 'private', 'sh', '-c', script],
          {
            encoding: 'utf8',
            env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' },
          },
        );
  return {
    status: out.status ?? (out.error ? 127 : 1),
    out: `${out.stdout ?? ''}${out.stderr ?? ''}`.trim(),
  };
}
