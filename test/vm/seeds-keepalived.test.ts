// Seed 003's keepalived pair (LVS-NAT + gateway + firewall) end to end on real kernel IPVS: see
// seed-suite.ts. Seed 002's pair has its own file (seeds-002.test.ts).
import { seedSuite } from './seed-suite.js';

seedSuite(['seed-003-nat-keepalived']);
