// The single-director seeds (000 SIP SNAT and DSR, 001 LVS-NAT, 004 Wikipedia's NAT, TUN) end to
// end on real kernel IPVS: see seed-suite.ts.
import { seedSuite } from './seed-suite.js';

seedSuite(['seed-004-wikipedia-nat', 'seed-001-lic-nat', 'seed-000-sip-snat', 'seed-000-sip-dsr', 'tun']);
