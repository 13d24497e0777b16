// The release matrix (issue 20): seeds end to end on other Debian releases' userlands and kernels,
// each on its own VM boot under its own lab name (see release-case.ts). The seeds on bookworm
// (this machine's release and 6.1 kernel) are the seeds-*.test.ts files.
// Every host of a case runs the case's release, the client verify probes from included.
import { seedSuite } from './seed-suite.js';

seedSuite([
  // A mid-upgrade pair: VRRP and the IPVS table must agree across keepalived 2.1.5 and 2.3.3.
  {
    seed: 'seed-002-dr-keepalived',
    name: 'matrix-002-bullseye-trixie',
    hosts: { lb1: 'bullseye', lb2: 'trixie' },
    kernel: '6.1.',
  },
  {
    seed: 'seed-003-nat-keepalived',
    name: 'matrix-003-trixie',
    release: 'trixie',
    kernel: '6.12.',
  },
  {
    seed: 'seed-001-lic-nat',
    name: 'matrix-001-bullseye',
    release: 'bullseye',
    kernel: '5.10.',
  },
]);
