// Seed 002's keepalived pair (LVS-DR) end to end on real kernel IPVS: see seed-suite.ts. Most
// day-2 scenarios (status, drain, drill, mh, import by hand, site-nginx) join this boot, so it
// has a file of its own: the test runner runs it beside the other seeds' files, not after them.
import { seedSuite } from './seed-suite.js';

seedSuite(['seed-002-dr-keepalived']);
