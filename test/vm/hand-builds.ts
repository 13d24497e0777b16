// The seeds built by hand, the way their documents do it (/work/shared/seeds/), for
// scenarios/import-by-hand.ts: shell run on the VM's hosts directly (vmHostExec), never through
// lvs-deploy, on the clean hosts the seed's own `down` left.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { quote } from '../../src/connection/shell.js';
import { RESPONDER_PL } from '../../src/lab/host-init.js';
import { ROOT } from '../helpers/cli.js';

export interface HandBuild {
  /** The directors' SSH addresses, as an operator would pass them to `import --director`. */
  directors: string[];
  /** Per host, in order: the commands the seed document types (or their exact `ip` form). */
  build: Record<string, string>;
  /** Checks the document makes once it is built (waiting for them), before anyone imports. */
  settle?: Record<string, string>;
  /**
   * `plan` changes on the imported inventory that do change something, each announced by the
   * import (its note is the second element): the seed's own mistakes that an inventory cannot hold.
   */
  announced: [change: string, note: RegExp][];
}

const fixture = (seed: string, h: string) =>
  readFileSync(join(ROOT, 'test', 'fixtures', 'import', seed, `${h}.keepalived.conf`), 'utf8');

/** keepalived as the lab runs daemons without systemd (the seed: `systemctl start keepalived`). */
const KEEPALIVED_START =
  'keepalived -f /etc/keepalived/keepalived.conf -p /run/keepalived.pid </dev/null >/dev/null 2>&1';
/** "Check that the vip is online": the MASTER holds it within 10 s. */
const vipOnline = (dev: string, vip: string) =>
  `i=0; until ip -o addr show dev ${dev} | grep -q ' ${vip}/'; do [ $i -ge 100 ] && exit 1; sleep 0.1; i=$((i+1)); done`;

// Seed 002, web servers: /etc/network/interfaces' `up` lines for lo, then the sysctl.d file the
// seed writes. `sysctl -p FILE` rather than the seed's `sysctl --system`: every host of the VM
// shares one kernel, and --system would also apply the machine's own sysctl.d files to all.
const DR_RS_SYSCTL = `net.ipv4.conf.lo.arp_ignore = 1
net.ipv4.conf.lo.arp_announce = 2
net.ipv4.conf.all.arp_ignore = 1
net.ipv4.conf.all.arp_announce = 2
`;
const dr002Web = [
  'ip addr add dev lo 192.168.100.9/32',
  'route add -host 192.168.100.9 dev lo',
  `printf %s ${quote(DR_RS_SYSCTL)} > /etc/sysctl.d/99-lvs-dr.conf`,
  'sysctl -q -p /etc/sysctl.d/99-lvs-dr.conf',
].join(' && ');
const keepalivedBuild = (seed: string, h: string) =>
  `mkdir -p /etc/keepalived && printf %s ${quote(fixture(seed, h))} > /etc/keepalived/keepalived.conf && ${KEEPALIVED_START}`;

// Seed 003: the pair forwards (NAT) and is the web servers' gateway through the internal VIP.
const nat003Load = (h: string) => `sysctl -q -w net.ipv4.ip_forward=1 && ${keepalivedBuild('seed-003', h)}`;
const nat003Web = 'ip route replace default via 192.168.20.254';

/**
 * `apt-get install ipvsadm` (seed 001 types it; the others assume it): Debian's package ships this
 * rules file. The seed's `down` may have removed or restored it; the hand build starts from the
 * package's state, so every ipvsadm seed's import sees the same stale, empty rules file.
 */
const IPVSADM_PACKAGE = `[ -e /etc/ipvsadm.rules ] || printf '# emtpy rules file for ipvsadm\\n' > /etc/ipvsadm.rules`;
/** What `up` persists over the package's empty rules file, as import notes. */
const RULES_FILE_STALE = (director: string): [string, RegExp] => [
  `${director}: file update /etc/ipvsadm.rules`,
  /the rules file differs from the live table/,
];

// Seed 004 (Wikipedia): the three ipvsadm commands as typed. The document leaves the rest to the
// reader; a NAT director needs the VIP and forwarding, its real servers a route back through it.
const nat004Director = [
  IPVSADM_PACKAGE,
  'ip addr add 192.168.0.1/32 dev eth0',
  'sysctl -q -w net.ipv4.ip_forward=1',
  'ipvsadm -A -t 192.168.0.1:80 -s rr',
  'ipvsadm -a -t 192.168.0.1:80 -r 172.16.0.1:80 -m',
  'ipvsadm -a -t 192.168.0.1:80 -r 172.16.0.2:80 -m',
].join(' && ');
// `replace`, not `add`: whatever default route the lab left goes, as the seed's gateway line would.
const nat004Rs = 'ip route replace default via 172.16.0.254';

// Seed 001 (LIC): the two commands as typed ("-p 600" without -s: ipvsadm's default, wlc), the
// second web server the document adds later, and the rules file exactly as it edits it — with rr
// and weight 1, not what it typed live ("If you spotted this, have a cookie"). The pre-flight
// checks show the VIP answering on ifw01 already, and the cluster routes back through ifw01.
const RULES_001 = `# emtpy rules file for ipvsadm
-A -t 200.0.0.10:80 -s rr
-a -t 200.0.0.10:80 -r 192.168.3.2:80 -m -w 1
`;
const nat001Director = [
  'ip addr add 200.0.0.10/32 dev eth0',
  'sysctl -q -w net.ipv4.ip_forward=1',
  'ipvsadm -A -t 200.0.0.10:80 -p 600',
  'ipvsadm -a -t 200.0.0.10:80 -r 192.168.3.2 -m -w 100',
  'ipvsadm -a -t 200.0.0.10:80 -r 192.168.3.3 -m -w 100',
  `printf %s ${quote(RULES_001)} > /etc/ipvsadm.rules`,
].join(' && ');
const nat001Rs = 'ip route replace default via 192.168.3.1';

// Seed 000: /etc/sysctl.conf's ip_forward line and `sysctl -p` (here `sysctl -w`: the VM's hosts
// share the machine's /etc/sysctl.conf), `ipvsadm -C`, then the service and its two real servers
// as typed — TCP (-t) in both modes. The document never puts the VIP on the director; it has to
// be there for the director to receive the clients' packets.
const sip000Director = (method: '-m' | '-g') =>
  [
    IPVSADM_PACKAGE,
    'sysctl -q -w net.ipv4.ip_forward=1',
    'ip addr add 192.168.88.190/32 dev eth0',
    'ipvsadm -C',
    'ipvsadm -A -t 192.168.88.190:5060 -s rr',
    `ipvsadm -a -t 192.168.88.190:5060 -r 192.168.88.150:5060 ${method}`,
    `ipvsadm -a -t 192.168.88.190:5060 -r 192.168.88.151:5060 ${method}`,
  ].join(' && ');
// SNAT: the SIP servers answer through the director's DIP.
const sip000SnatRs = 'ip route replace default via 192.168.88.129';
// DSR: "Configure a loop interface using the ip address of the service" and the two arp lines,
// as the document types them (conf.all only). The document's SIP servers listen on TCP 5060 (it
// types -t); this seed's lab answers SIP on UDP only (its inventory's service), so the hand build
// starts the lab's own responder for SIP over TCP too.
const SIP_OVER_TCP = `{ setsid perl -e ${quote(RESPONDER_PL)} "$(hostname)" tcp:4:5060: </dev/null >/dev/null 2>&1 & }`;
const sip000DsrRs = [
  SIP_OVER_TCP,
  'ifconfig lo:0 192.168.88.190 netmask 255.255.255.255',
  'echo 1 > /proc/sys/net/ipv4/conf/all/arp_ignore',
  'echo 2 > /proc/sys/net/ipv4/conf/all/arp_announce',
].join(' && ');

export const HAND_BUILDS: Record<string, HandBuild> = {
  'seed-002-dr-keepalived': {
    directors: ['192.168.100.10', '192.168.100.11'],
    build: {
      web1: dr002Web,
      web2: dr002Web,
      lb1: keepalivedBuild('seed-002', 'lb1'),
      lb2: keepalivedBuild('seed-002', 'lb2'),
    },
    settle: { lb1: vipOnline('ens224', '192.168.100.9') },
    // The seed gives lb2 priority 200 like lb1; the inventory needs distinct ones (lb2: 199).
    announced: [
      ['lb2: file update /etc/keepalived/keepalived.conf', /priority 200 is also lb1's.*written as 199/],
    ],
  },
  'seed-003-nat-keepalived': {
    directors: ['203.0.113.1', '203.0.113.2'],
    build: { web1: nat003Web, web2: nat003Web, load1: nat003Load('load1'), load2: nat003Load('load2') },
    settle: { load1: vipOnline('eth0', '203.0.113.3') },
    announced: [],
  },
  'seed-004-wikipedia-nat': {
    directors: ['192.168.0.2'],
    build: { rs1: nat004Rs, rs2: nat004Rs, director: nat004Director },
    announced: [RULES_FILE_STALE('director')],
  },
  'seed-001-lic-nat': {
    directors: ['200.0.0.1'],
    build: { ics01: nat001Rs, ics02: nat001Rs, ifw01: nat001Director },
    // The rules file the document edits is not its live table: `up` persists the live one.
    announced: [RULES_FILE_STALE('ifw01')],
  },
  'seed-000-sip-snat': {
    directors: ['192.168.88.161'],
    build: { sip1: sip000SnatRs, sip2: sip000SnatRs, lvs: sip000Director('-m') },
    announced: [RULES_FILE_STALE('lvs')],
  },
  'seed-000-sip-dsr': {
    directors: ['192.168.88.2'],
    build: { sip1: sip000DsrRs, sip2: sip000DsrRs, lvs: sip000Director('-g') },
    announced: [RULES_FILE_STALE('lvs')],
  },
};
