// Listen for VRRP on a director's interface and name every router that uses one of our
// virtual_router_ids but is not one of our directors. One perl process with a raw socket for IP
// protocol 112 bound to the interface (and joined to 224.0.0.18, VRRP's multicast group, so
// multicast adverts reach it whether or not keepalived runs): perl-base only, nothing installed.
import { renderScript, sh } from '../connection/shell.js';

// Prints one line per advert: `vrrp SRC DST VERSION VRID PRIO AUTHTYPE ADDR,ADDR AUTHHEX`.
const LISTEN_PL = String.raw`use strict; use Socket;
my ($if, $secs) = @ARGV; $| = 1;
socket(my $s, PF_INET, SOCK_RAW, 112) or die "raw socket: $!\n";
setsockopt($s, SOL_SOCKET, 25, pack('Z*', $if)) or die "bind to $if: $!\n";
open(my $fh, '<', "/sys/class/net/$if/ifindex") or die "no interface $if\n";
my $idx = <$fh>; chomp $idx;
setsockopt($s, 0, 35, pack('a4 a4 i', inet_aton('224.0.0.18'), inet_aton('0.0.0.0'), $idx)) or print "note join: $!\n";
print "listening $if\n";
my $end = time + $secs;
while ((my $left = $end - time) > 0) {
  my $rin = ''; vec($rin, fileno($s), 1) = 1;
  next unless select(my $rout = $rin, undef, undef, $left);
  my $buf = ''; recv($s, $buf, 2048, 0) or next;
  my $ihl = (ord(substr($buf, 0, 1)) & 15) * 4;
  my ($src, $dst) = (inet_ntoa(substr($buf, 12, 4)), inet_ntoa(substr($buf, 16, 4)));
  my $v = substr($buf, $ihl); next if length($v) < 8;
  my ($vt, $vrid, $prio, $n, $auth) = unpack('C C C C C', $v);
  my $ver = $vt >> 4; $auth = 0 if $ver == 3;
  my @a = map { inet_ntoa(substr($v, 8 + 4 * $_, 4)) } grep { 8 + 4 * $_ + 4 <= length $v } 0 .. $n - 1;
  my $ad = $ver == 2 && $auth == 1 ? unpack('H*', substr($v, 8 + 4 * $n, 8)) : '-';
  print "vrrp $src $dst $ver $vrid $prio $auth ", (join(',', @a) || '-'), " $ad\n";
}
print "done\n";`;

export function listenScript(iface: string, secs: number): string {
  const body = sh`command -v perl >/dev/null 2>&1 || { echo 'missing perl'; exit 0; }
perl -e ${LISTEN_PL} ${iface} ${Math.ceil(secs)} 2>&1
`;
  return renderScript(body, { strict: false }).script;
}

export interface Advert {
  source: string;
  destination: string;
  version: number;
  vrid: number;
  priority: number;
  /** 0 none, 1 simple password (VRRPv2), 2 AH. */
  authType: number;
  addresses: string[];
  /** Hex of the simple password (VRRPv2 auth type 1). */
  authHex?: string;
}

export interface Listening {
  adverts: Advert[];
  /** Why nothing could be heard (no perl, no raw socket…); undefined when it listened. */
  problem?: string;
}

export function parseListen(out: string): Listening {
  const adverts: Advert[] = [];
  let listened = false;
  let problem: string | undefined;
  for (const line of out.split('\n')) {
    const w = line.trim().split(/\s+/);
    if (w[0] === 'listening') listened = true;
    else if (w[0] === 'vrrp' && w.length >= 9)
      adverts.push({
        source: w[1] ?? '',
        destination: w[2] ?? '',
        version: Number(w[3]),
        vrid: Number(w[4]),
        priority: Number(w[5]),
        authType: Number(w[6]),
        addresses: w[7] === '-' ? [] : (w[7] ?? '').split(','),
        ...(w[8] && w[8] !== '-' ? { authHex: w[8] } : {}),
      });
    else if (line.trim() && !listened && w[0] !== 'note') problem = line.trim();
  }
  return listened ? { adverts } : { adverts, problem: problem ?? 'the listener did not start' };
}
