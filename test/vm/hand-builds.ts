// The seeds built by hand, the way their documents do it (/work/shared/seeds/), for
// scenarios/import-by-hand.ts: shell run on the VM's hosts directly (vmHostExec), never through
// lvs-deploy. `undo` takes the hand-built pieces away again once lvs-deploy has given them back
// (`down` of the imported inventory restores what it found), so the seed's own `up` starts from
// the state its `down` left.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { quote } from '../../src/connection/shell.js';
import { ROOT } from '../helpers/cli.js';

export interface HandBuild {
  /** The directors' SSH addresses, as an operator would pass them to `import --director`. */
  directors: string[];
  /** Per host, in order: the commands the seed document types (or their exact `ip` form). */
  build: Record<string, string>;
  undo: Record<string, string>;
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
const KEEPALIVED_STOP =
  'if [ -s /run/keepalived.pid ]; then kill "$(cat /run/keepalived.pid)"; i=0; while [ -e /run/keepalived.pid ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; fi';

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
const dr002WebUndo = [
  'route del -host 192.168.100.9 dev lo 2>/dev/null',
  'ip addr del 192.168.100.9/32 dev lo 2>/dev/null',
  'rm -f /etc/sysctl.d/99-lvs-dr.conf',
  'sysctl -q -w net.ipv4.conf.lo.arp_ignore=0 net.ipv4.conf.lo.arp_announce=0 net.ipv4.conf.all.arp_ignore=0 net.ipv4.conf.all.arp_announce=0',
].join('; ');
const keepalivedBuild = (seed: string, h: string) =>
  `mkdir -p /etc/keepalived && printf %s ${quote(fixture(seed, h))} > /etc/keepalived/keepalived.conf && ${KEEPALIVED_START}`;
const dr002LbUndo = `${KEEPALIVED_STOP}; rm -f /etc/keepalived/keepalived.conf; ipvsadm -D -t 192.168.100.9:80 2>/dev/null; ipvsadm -D -t 192.168.100.9:443 2>/dev/null; ip addr del 192.168.100.9/27 dev ens224 2>/dev/null; true`;

// Seed 003: the pair forwards (NAT) and is the web servers' gateway through the internal VIP.
const nat003Load = (h: string) => `sysctl -q -w net.ipv4.ip_forward=1 && ${keepalivedBuild('seed-003', h)}`;
const nat003LoadUndo = `${KEEPALIVED_STOP}; rm -f /etc/keepalived/keepalived.conf; ipvsadm -D -t 203.0.113.3:80 2>/dev/null; ip addr del 203.0.113.3/24 dev eth0 2>/dev/null; ip addr del 192.168.20.254/24 dev eth1 2>/dev/null; sysctl -q -w net.ipv4.ip_forward=0; true`;
const nat003Web = 'ip route replace default via 192.168.20.254';
const nat003WebUndo = 'ip route del default via 192.168.20.254 2>/dev/null; true';

// Seed 004 (Wikipedia): the three ipvsadm commands as typed. The document leaves the rest to the
// reader; a NAT director needs the VIP and forwarding, its real servers a route back through it.
const nat004Director = [
  'ip addr add 192.168.0.1/32 dev eth0',
  'sysctl -q -w net.ipv4.ip_forward=1',
  'ipvsadm -A -t 192.168.0.1:80 -s rr',
  'ipvsadm -a -t 192.168.0.1:80 -r 172.16.0.1:80 -m',
  'ipvsadm -a -t 192.168.0.1:80 -r 172.16.0.2:80 -m',
].join(' && ');
const nat004DirectorUndo =
  'ipvsadm -D -t 192.168.0.1:80 2>/dev/null; ip addr del 192.168.0.1/32 dev eth0 2>/dev/null; sysctl -q -w net.ipv4.ip_forward=0; true';
// `replace`, not `add`: whatever default route the lab left goes, as the seed's gateway line would.
const nat004Rs = 'ip route replace default via 172.16.0.254';
const nat004RsUndo = 'ip route del default via 172.16.0.254 2>/dev/null; true';

export const HAND_BUILDS: Record<string, HandBuild> = {
  'seed-002-dr-keepalived': {
    directors: ['192.168.100.10', '192.168.100.11'],
    build: {
      web1: dr002Web,
      web2: dr002Web,
      lb1: keepalivedBuild('seed-002', 'lb1'),
      lb2: keepalivedBuild('seed-002', 'lb2'),
    },
    undo: { lb1: dr002LbUndo, lb2: dr002LbUndo, web1: dr002WebUndo, web2: dr002WebUndo },
    settle: { lb1: vipOnline('ens224', '192.168.100.9') },
    // The seed gives lb2 priority 200 like lb1; the inventory needs distinct ones (lb2: 199).
    announced: [
      ['lb2: file update /etc/keepalived/keepalived.conf', /priority 200 is also lb1's.*written as 199/],
    ],
  },
  'seed-003-nat-keepalived': {
    directors: ['203.0.113.1', '203.0.113.2'],
    build: { web1: nat003Web, web2: nat003Web, load1: nat003Load('load1'), load2: nat003Load('load2') },
    undo: { load1: nat003LoadUndo, load2: nat003LoadUndo, web1: nat003WebUndo, web2: nat003WebUndo },
    settle: { load1: vipOnline('eth0', '203.0.113.3') },
    announced: [],
  },
  'seed-004-wikipedia-nat': {
    directors: ['192.168.0.2'],
    build: { rs1: nat004Rs, rs2: nat004Rs, director: nat004Director },
    undo: { director: nat004DirectorUndo, rs1: nat004RsUndo, rs2: nat004RsUndo },
    // The machine's root (shared by the VM) holds an /etc/ipvsadm.rules that is not this table:
    // `up` persists the live table there (a reboot would restore the stale one), as import said.
    announced: [['director: file update /etc/ipvsadm.rules', /the rules file differs from the live table/]],
  },
};
