// A steady stream of HTTP requests through a VIP, sent from a lab client by one perl process.
import assert from 'node:assert/strict';

// One perl process on the client: `rate` new HTTP connections a second for `secs` seconds, and
// `long` connections held open the whole time (a byte every 0.5 s), each finished at the end.
// Requests overlap (non-blocking connects): under emulation on a busy machine one request can
// take longer than 1/rate, and a one-at-a-time client then sent far fewer than asked for (the
// roll run: 5 a second for a stream of 25).
export const STREAM_PL = String.raw`use IO::Socket::INET; use IO::Select; use Socket qw(SOL_SOCKET SO_ERROR); use Time::HiRes qw(time);
$SIG{PIPE} = 'IGNORE';
my ($vip, $port, $secs, $rate, $long) = @ARGV;
my @ls; my $lfail = 0;
for (1..$long) { my $s = IO::Socket::INET->new(PeerAddr => $vip, PeerPort => $port, Timeout => 2); if ($s) { push @ls, $s } else { $lfail++ } }
my ($ok, $fail) = (0, 0); my $t0 = time; my $end = $t0 + $secs; my $next = $t0; my $tick = $t0;
# Requests overlap: each starts on time (non-blocking connect) and ends when its answer comes; one
# select() waits for whichever socket is ready or the next start, so a slow answer never lowers
# the rate and the loop costs next to no CPU (it runs under emulation).
my %fly;
sub done { my ($q, $why) = @_; delete $fly{fileno $q->{c}}; close $q->{c};
  if (!defined $why && $q->{r} =~ /200 OK/) { $ok++ } else { $fail++; printf "fail at %.1f s: %s\n", $q->{t} - $t0, $why // 'no answer' } }
while (time < $end || %fly) {
  my $now = time;
  while ($now < $end && $now >= $next) {
    my $c = IO::Socket::INET->new(PeerAddr => $vip, PeerPort => $port, Blocking => 0);
    if ($c) { $fly{fileno $c} = { c => $c, t => $now, sent => 0, r => '' } } else { $fail++; printf "fail at %.1f s: connect: %s\n", $now - $t0, $! }
    $next += 1 / $rate;
  }
  if ($now >= $tick) { for my $s (@ls) { print $s "x" } $tick += 0.5 }
  for my $q (values %fly) {
    if ($now - $q->{t} > ($q->{sent} ? 6 : 3)) { done($q, $q->{sent} ? 'no answer' : 'connect: timed out') }
  }
  my $ws = IO::Select->new(map { $_->{c} } grep { !$_->{sent} } values %fly);
  my $rs = IO::Select->new(map { $_->{c} } grep { $_->{sent} } values %fly);
  my $wait = ($now < $end ? $next : $now + 0.1) - $now; $wait = $tick - $now if $tick - $now < $wait; $wait = 0 if $wait < 0;
  my ($r, $w) = IO::Select->select($rs, $ws, undef, $wait);
  for my $c (@{$w // []}) {
    my $q = $fly{fileno $c} or next;
    my $err = unpack('i', getsockopt($c, SOL_SOCKET, SO_ERROR) // pack('i', 0));
    if ($err) { $! = $err; done($q, "connect: $!"); next }
    syswrite($c, "GET / HTTP/1.0\r\n\r\n"); $q->{sent} = 1;
  }
  for my $c (@{$r // []}) {
    my $q = $fly{fileno $c} or next;
    my $n = sysread($c, $q->{r}, 4096, length $q->{r});
    done($q) if !$n;
  }
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
