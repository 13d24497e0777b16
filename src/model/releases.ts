// The Debian releases lvs-deploy knows and what each runs: the lab builds hosts on them
// (src/lab/release/), the inventory schema accepts them as lab.release, and `validate` checks a
// host pinned to one against its tool versions offline (src/planner/release-problems.ts).
import type { SoftwareVersions } from './facts.js';

export const RELEASES = ['bullseye', 'bookworm', 'trixie'] as const;
export type Release = (typeof RELEASES)[number];
/** The release this machine (and every lab host without `lab.release`) runs. */
export const HOST_RELEASE: Release = 'bookworm';

/**
 * What each release's root filesystem runs, as the versions facts section reads it there (pinned
 * by test/unit/release-tools.test.ts): `validate` checks a lab.release host against it offline.
 */
export const RELEASE_TOOLS: Record<Release, SoftwareVersions> = {
  bullseye: { keepalived: '2.1.5', nftables: '0.9.8', ldirectord: '4.7.0' },
  bookworm: { keepalived: '2.2.7', nftables: '1.0.6', ldirectord: '4.12.0' },
  trixie: { keepalived: '2.3.3', nftables: '1.1.3', ldirectord: '4.16.0' },
};

export function isRelease(name: string): name is Release {
  return (RELEASES as readonly string[]).includes(name);
}
