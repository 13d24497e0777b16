// A steady stream of HTTP requests through a VIP, sent from a lab client by one perl process.
import assert from 'node:assert/strict';

// One perl process on the client: `rate` new HTTP connections a second for `secs` seconds, and
// `long` connections held open the whole time (a byte every 0.5 s), each finished at the end.
// Requests overlap (non-blocking connects): under emulation on a busy machine one request can
// take longer than 1/rate, and a one-at-a-time client then sent far fewer than asked for (the
// roll run: 5 a second for a stream of 25).
export const STREAM_PL = String.raw`use IO::Socket::INET; use IO::Select; use Socket qw(SOL_SOCKET SO_ERROR); use Time::HiRes qw(time sleep);
$SIG{PIPE} = 'IGNORE';
my ($vip, $port, $secs, $rate, $long) = @ARGV;
my @ls; my $lfail = 0;
for (1..$long) { my $s = IO::Socket::INET->new(PeerAddr => $vip, PeerPort => $port, Timeout => 2); if ($s) { push @ls, $s } else { $lfail++ } }
my ($ok, $fail) = (0, 0); my $t0 = time; my $next = $t0; my $tick = $t0;
# Requests overlap: each is started on time (non-blocking connect) and finished when its answer
# comes, so a slow answer never lowers the rate of new connections.
my @fly;
sub done { my ($q, $why) = @_; close $q->{c};
  if (!defined $why && $q->{r} =~ /200 OK/) { $ok++ } else { $fail++; printf "fail at %.1f s: %s\n", $q->{t} - $t0, $why // 'no answer' } }
while (time < $t0 + $secs || @fly) {
  if (time < $t0 + $secs && time >= $next) {
    my $c = IO::Socket::INET->new(PeerAddr => $vip, PeerPort => $port, Blocking => 0);
    if ($c) { push @fly, { c => $c, t => time, sent => 0, r => '' } } else { $fail++; printf "fail at %.1f s: connect: %s\n", time - $t0, $! }
    $next += 1 / $rate;
  }
  if (time >= $tick) { for my $s (@ls) { print $s "x" } $tick += 0.5 }
  my @keep;
  for my $q (@fly) {
    my $c = $q->{c};
    if (!$q->{sent}) {
      my $w = IO::Select->new($c);
      if ($w->can_write(0)) {
        my $err = getsockopt($c, SOL_SOCKET, SO_ERROR); $err = unpack('i', $err // pack('i', 0));
        if ($err) { $! = $err; done($q, "connect: $!"); next }
        syswrite($c, "GET / HTTP/1.0\r\n\r\n"); $q->{sent} = 1;
      } elsif (time - $q->{t} > 3) { done($q, 'connect: timed out'); next }
      push @keep, $q; next;
    }
    my $sel = IO::Select->new($c);
    if ($sel->can_read(0)) {
      my $n = sysread($c, $q->{r}, 4096, length $q->{r});
      if (!$n) { done($q); next }
    } elsif (time - $q->{t} > 6) { done($q, 'no answer'); next }
    push @keep, $q;
  }
  @fly = @keep;
  sleep 0.005;
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
