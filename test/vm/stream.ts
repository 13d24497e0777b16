// A steady stream of HTTP requests through a VIP, sent from a lab client by one perl process.
import assert from 'node:assert/strict';

// One perl process on the client: `rate` new HTTP connections a second for `secs` seconds, and
// `long` connections held open the whole time (a byte every 0.5 s), each finished at the end.
export const STREAM_PL = String.raw`use IO::Socket::INET; use IO::Select; use Time::HiRes qw(time sleep);
$SIG{PIPE} = 'IGNORE';
my ($vip, $port, $secs, $rate, $long) = @ARGV;
my @ls; my $lfail = 0;
for (1..$long) { my $s = IO::Socket::INET->new(PeerAddr => $vip, PeerPort => $port, Timeout => 2); if ($s) { push @ls, $s } else { $lfail++ } }
my ($ok, $fail) = (0, 0); my $t0 = time; my $next = $t0; my $tick = $t0;
while (time < $t0 + $secs) {
  if (time >= $next) {
    my $c = IO::Socket::INET->new(PeerAddr => $vip, PeerPort => $port, Timeout => 3);
    my $r = '';
    if ($c) {
      print $c "GET / HTTP/1.0\r\n\r\n";
      my $sel = IO::Select->new($c);
      while ($sel->can_read(3)) { my $n = sysread($c, $r, 4096, length $r); last if !$n; }
      close $c;
    }
    if ($r =~ /200 OK/) { $ok++ } else { $fail++; printf "fail at %.1f s: %s\n", time - $t0, ($c ? 'no answer' : "connect: $!") }
    $next += 1 / $rate;
  }
  if (time >= $tick) { for my $s (@ls) { print $s "x" } $tick += 0.5 }
  sleep 0.01;
}
my $lok = 0;
for my $s (@ls) {
  print $s "\r\n\r\n";
  my $r = ''; my $sel = IO::Select->new($s);
  while ($sel->can_read(3)) { my $n = sysread($s, $r, 4096, length $r); last if !$n; }
  if ($r =~ /\S/) { $lok++ } else { $lfail++ }
}
print "result ok=$ok fail=$fail long_ok=$lok long_fail=$lfail\n";`;

export interface StreamResult {
  /** The stream's own lines for each failed request (when, and why). */
  failures: string[];
  ok: number;
  fail: number;
  longOk: number;
  longFail: number;
}

export function parseStream(out: string): StreamResult {
  const m = /result ok=(\d+) fail=(\d+) long_ok=(\d+) long_fail=(\d+)/.exec(out);
  assert.ok(m, `no result from the stream: ${out}`);
  const failures = out.split('\n').filter((l) => l.startsWith('fail'));
  return { ok: Number(m[1]), fail: Number(m[2]), longOk: Number(m[3]), longFail: Number(m[4]), failures };
}

/** The shell command that runs the stream on a lab host. */
export function streamCommand(vip: string, port: number, secs: number, rate = 20, long = 4): string {
  return `perl -e '${STREAM_PL.replaceAll("'", "'\\''")}' ${vip} ${port} ${secs} ${rate} ${long}`;
}
