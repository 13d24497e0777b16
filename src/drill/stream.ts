// The drill's traffic, run on verify.from by one perl process: a steady stream of new TCP
// connections through every VIP (round robin, `rate` a second), plus `long` connections per VIP
// opened at the start that send a byte every 0.2 s and finish an HTTP request at the end. Every
// request is printed with the client's own clock, so the outage is measured on one clock.
import { renderScript, sh } from '../connection/shell.js';

export interface StreamTarget {
  vip: string;
  port: number;
}

// A new connection counts as answered when it connects and reads at least one byte back. The
// connect timeout is short (0.5 s): it is the stream's resolution, and a SYN lost to the outage
// is better retried as a new connection than left to the kernel's 1 s SYN retransmit.
// Long-lived connections: a write error or an empty final answer marks them broken; `broke` is
// when the drill first noticed (a write after a RST fails on the next write, not the first).
const STREAM_PL = String.raw`use strict; use IO::Socket::INET; use IO::Select; use Time::HiRes qw(time sleep);
$SIG{PIPE} = 'IGNORE'; $| = 1;
my ($stop, $max, $rate, $long, @targets) = @ARGV;
my $ms = sub { sprintf '%.0f', time * 1000 };
my @ls;
for my $t (@targets) {
  my ($vip, $port) = split /,/, $t;
  for (1..$long) {
    my $s = IO::Socket::INET->new(PeerAddr => $vip, PeerPort => $port, Timeout => 2);
    push @ls, { s => $s, t => $t, broke => ($s ? 0 : $ms->()) };
  }
}
print "start ", $ms->(), "\n";
my $t0 = time; my $next = $t0; my $tick = $t0; my $i = 0;
while (time < $t0 + $max && !-e $stop) {
  if (time >= $next) {
    my $t = $targets[$i++ % @targets]; my ($vip, $port) = split /,/, $t;
    my $at = $ms->(); my $r = '';
    my $c = IO::Socket::INET->new(PeerAddr => $vip, PeerPort => $port, Timeout => 0.5);
    if ($c) {
      print $c "GET / HTTP/1.0\r\n\r\n";
      my $sel = IO::Select->new($c);
      while ($sel->can_read(1)) { my $n = sysread($c, $r, 4096, length $r); last if !$n; }
      close $c;
    }
    print "req $at $t ", ($r ne '' ? 'ok' : $c ? 'fail no-answer' : 'fail connect'), "\n";
    $next += 1 / $rate; $next = time if $next < time - 1;
  }
  if (time >= $tick) {
    for my $l (@ls) { next if $l->{broke}; $l->{broke} = $ms->() if !defined syswrite($l->{s}, 'x') }
    $tick += 0.2;
  }
  sleep 0.005;
}
my $n = 0;
for my $l (@ls) {
  $n++;
  if (!$l->{broke}) {
    my $s = $l->{s}; my $r = '';
    if (defined syswrite($s, "\r\n\r\n")) {
      my $sel = IO::Select->new($s);
      while ($sel->can_read(3)) { my $k = sysread($s, $r, 4096, length $r); last if !$k; }
    }
    $l->{broke} = $ms->() if $r eq '';
  }
  print "long $n $l->{t} ", ($l->{broke} ? "broken $l->{broke}" : 'kept'), "\n";
}
print "end ", $ms->(), "\n";`;

/** The script run on verify.from; it stops when `stopFile` appears or after `maxSecs`. */
export function streamScript(o: {
  targets: StreamTarget[];
  stopFile: string;
  maxSecs: number;
  rate: number;
  long: number;
}): string {
  const args = [o.stopFile, o.maxSecs, o.rate, o.long, ...o.targets.map((t) => `${t.vip},${t.port}`)];
  return renderScript(sh`rm -f ${o.stopFile}\nexec perl -e ${STREAM_PL} ${args}\n`, { strict: false }).script;
}

export interface StreamRequest {
  /** Client clock, ms since the epoch, when the request began. */
  at: number;
  target: string;
  ok: boolean;
  reason?: string;
}

export interface LongLived {
  target: string;
  /** Client clock when it was first seen broken; undefined when it survived. */
  brokenAt?: number;
}

export interface StreamLog {
  start?: number;
  end?: number;
  requests: StreamRequest[];
  long: LongLived[];
}

export function parseStream(out: string): StreamLog {
  const log: StreamLog = { requests: [], long: [] };
  for (const line of out.split('\n')) {
    const w = line.trim().split(/\s+/);
    if (w[0] === 'start') log.start = Number(w[1]);
    else if (w[0] === 'end') log.end = Number(w[1]);
    else if (w[0] === 'req' && w.length >= 4) {
      const ok = w[3] === 'ok';
      log.requests.push({
        at: Number(w[1]),
        target: w[2] ?? '',
        ok,
        ...(ok ? {} : { reason: w[4] ?? 'failed' }),
      });
    } else if (w[0] === 'long' && w.length >= 4) {
      log.long.push({ target: w[2] ?? '', ...(w[3] === 'broken' ? { brokenAt: Number(w[4]) } : {}) });
    }
  }
  return log;
}
