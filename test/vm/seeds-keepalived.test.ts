// The keepalived pairs of the seeds (002: LVS-DR, 003: LVS-NAT + gateway + firewall) end to end
// on real kernel IPVS: see seed-suite.ts.
import { seedSuite } from './seed-suite.js';

seedSuite(['seed-002-dr-keepalived', 'seed-003-nat-keepalived']);
