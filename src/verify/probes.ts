// Traffic through the VIP, sent from the client host (or the control node): N requests per probe,
// each a new connection; every lab real server answers with its own name. Also an ARP probe for
// the VIP (DR/TUN), so a real server answering ARP for it is caught.
import { lines, raw, SCRIPT_PRELUDE, type ShellFragment, sh } from '../connection/shell.js';
import type { Inventory, Probe, VirtualService } from '../inventory/types.js';

export interface ProbeSpec {
  probe: Probe;
  service: VirtualService;
}

export interface ProbeOutcome {
  spec: ProbeSpec;
  /** One entry per request: the answering identity, or null when the request failed. */
  answers: (string | null)[];
  /** Failure reasons seen (curl/nc exit codes). */
  failures: string[];
  /** lynx -dump of the URL (seed 001's check), when lynx is on the client. */
  lynx?: string;
  /** Distinct MACs that answered ARP for the VIP; undefined when not probed. */
  arpMacs?: string[];
}

/** Default probes when the inventory has none: every service, 10 requests. */
export function probesFor(inv: Inventory): ProbeSpec[] {
  const probes: Probe[] = inv.verify?.probes.length
    ? inv.verify.probes
    : inv.services.map((s) => {
        // The SIP engine drops a datagram without a Call-ID: such a service is probed with SIP.
        const sip = s.persistence?.engine === 'sip';
        return {
          service: s.name,
          tcp: s.protocol === 'tcp' || s.protocol === 'sctp',
          udp: s.protocol === 'udp' && !sip,
          sip,
          requests: 10,
        };
      });
  return probes.flatMap((probe) => {
    const service = inv.services.find((s) => s.name === probe.service);
    return service ? [{ probe, service }] : [];
  });
}

function target(s: VirtualService): string {
  return s.family === 6 ? `[${s.vip}]` : s.vip;
}

// No common tool sends one UDP datagram and waits for the answer (busybox nc has no -u), so one
// perl process sends every request, each from a new socket (a new source port, like new clients).
const UDP_PL = String.raw`use IO::Socket::IP; use IO::Select;
my ($host, $port, $n) = @ARGV; my $fails = 0;
for my $i (1..$n) {
  if ($fails >= 3) { print "fail gave-up-after-3-failures
"; next; }
  my $s = IO::Socket::IP->new(PeerHost => $host, PeerPort => $port, Proto => 'udp');
  if (!$s) { print "fail udp-socket
"; $fails++; next; }
  $s->send("lvs-deploy-verify
");
  my $buf = '';
  if (IO::Select->new($s)->can_read(2) && defined $s->recv($buf, 4096) && $buf ne '') {
    $buf =~ s/\s+$//; $buf =~ s/.*
//s; print "ok $buf
"; $fails = 0;
  } else { print "fail udp-no-reply
"; $fails++; }
}`;

// A SIP OPTIONS request per new socket (UDP datagram or TCP connection), each its own Call-ID:
// any SIP status line counts; the answer names its real server in X-Lvs-Host (the lab's
// responders), else Server or User-Agent, else only the status code is known.
const SIP_PL = String.raw`use IO::Socket::IP; use IO::Select;
my ($host, $port, $n, $proto) = @ARGV; my $fails = 0;
for my $i (1..$n) {
  if ($fails >= 3) { print "fail gave-up-after-3-failures
"; next; }
  my $s = IO::Socket::IP->new(PeerHost => $host, PeerPort => $port, Proto => $proto, Timeout => 2);
  if (!$s) { print "fail sip-$proto-connect
"; $fails++; next; }
  my ($la, $lp) = ($s->sockhost, $s->sockport); $la = "[$la]" if $la =~ /:/;
  my $t = ($proto eq 'udp' ? 'UDP' : 'TCP'); my $h = ($host =~ /:/ ? "[$host]" : $host);
  my $id = "lvs-deploy-$$-$i-" . time();
  $s->send("OPTIONS sip:$h:$port SIP/2.0
Via: SIP/2.0/$t $la:$lp;branch=z9hG4bK$id
Max-Forwards: 70
"
    . "From: <sip:lvs-deploy\@$la>;tag=$id
To: <sip:$h:$port>
Call-ID: $id\@$la
CSeq: 1 OPTIONS
"
    . "Contact: <sip:lvs-deploy\@$la:$lp>
Accept: application/sdp
Content-Length: 0

");
  my $buf = ''; my $sel = IO::Select->new($s);
  while ($sel->can_read(2)) {
    my $part = ''; my $ok = $proto eq 'udp' ? $s->recv($part, 65535) : sysread($s, $part, 65535);
    last if !defined $ok || $part eq ''; $buf .= $part;
    last if $proto eq 'udp' || $buf =~ /
?

?
/;
  }
  if ($buf =~ m{^SIP/2\.0 (\d{3})}) {
    my $code = $1; my ($who) = $buf =~ /^X-Lvs-Host:\s*(\S+)/mi;
    ($who) = $buf =~ /^(?:Server|User-Agent):\s*([^
]+)/mi if !defined $who;
    $who = "sip-$code" if !defined $who; $who =~ s/\s+/_/g;
    print "ok $who
"; $fails = 0;
  } else { print "fail sip-no-answer
"; $fails++; }
}`;

/** DR/TUN: ask who answers ARP for the VIP on the client's segment (only one MAC may). */
function arpCheck(s: VirtualService): ShellFragment {
  return s.real_servers.some((r) => r.forwarding !== 'nat') && s.family === 4
    ? sh`dev=$(ip route get ${s.vip} 2>/dev/null | sed -n 's/.* dev \\([^ ]*\\).*/\\1/p' | head -n 1)
  if [ -n "$dev" ] && ! ip route get ${s.vip} | grep -q ' via ' && command -v arping >/dev/null 2>&1; then
    printf 'arp %s\\n' "$(arping -c 3 -w 4 -I "$dev" ${s.vip} 2>/dev/null | grep -oiE '([0-9a-f]{2}:){5}[0-9a-f]{2}' | tr 'A-F' 'a-f' | sort -u | tr '\\n' ' ')"
  fi`
    : raw(':');
}

/** The marker line parseProbeOutput splits on (the target text is ours: protocol, VIP, port). */
const probeHeader = (i: number, s: VirtualService) => raw(`echo '==>probe ${i} ${target(s)}'`);

function udpLoop(i: number, p: ProbeSpec): ShellFragment {
  const s = p.service;
  return sh`${probeHeader(i, s)}
  perl -e ${UDP_PL} ${s.vip} ${s.port ?? 0} ${p.probe.requests}
  ${arpCheck(s)}`;
}

function sipLoop(i: number, p: ProbeSpec): ShellFragment {
  const s = p.service;
  const proto = s.protocol === 'tcp' ? 'tcp' : 'udp';
  return sh`${probeHeader(i, s)}
  perl -e ${SIP_PL} ${s.vip} ${s.port ?? 5060} ${p.probe.requests} ${proto}
  ${arpCheck(s)}`;
}

function requestLoop(i: number, p: ProbeSpec): ShellFragment {
  const s = p.service;
  if (p.probe.sip) return sipLoop(i, p);
  if (!p.probe.url && (p.probe.udp || s.protocol === 'udp')) return udpLoop(i, p);
  const n = p.probe.requests;
  const port = s.port ?? 80;
  const one = p.probe.url
    ? sh`out=$(curl -s -S -m 2 -H 'Connection: close' ${p.probe.url} 2>&1) && printf 'ok %s\\n' "$(printf '%s' "$out" | sed '/^\\s*$/d' | tail -n 1)" || printf 'fail curl-%s\\n' "$?"`
    : sh`out=$(printf 'GET / HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 3 ${s.vip} ${port} 2>&1) && printf 'ok %s\\n' "$(printf '%s' "$out" | tr -d '\\r' | sed '/^$/d' | tail -n 1)" || printf 'fail nc-%s\\n' "$?"`;
  const lynx = p.probe.url
    ? sh`if command -v lynx >/dev/null 2>&1; then printf 'lynx %s\\n' "$(lynx -dump ${p.probe.url} 2>/dev/null | sed '/^\\s*$/d' | tail -n 1)"; fi`
    : raw(':');
  // After 3 failures in a row the rest are counted failed without waiting on more timeouts.
  return sh`${probeHeader(i, s)}
  i=0; f=0
  while [ "$i" -lt ${n} ]; do
    if [ "$f" -ge 3 ]; then echo 'fail gave-up-after-3-failures'; else
      r=$(${one})
      echo "$r"
      case "$r" in fail*) f=$((f+1)) ;; *) f=0 ;; esac
    fi
    i=$((i+1))
  done
  ${lynx}
  ${arpCheck(s)}`;
}

/** One script that runs every probe in turn. */
export function probeScript(specs: ProbeSpec[]): string {
  return sh`${raw(SCRIPT_PRELUDE)}
lvs_probe() {
  ${lines(
    specs.map((p, i) => requestLoop(i, p)),
    '\n  ',
  )}
  echo '==>probe end'
}
lvs_probe
`.render();
}

export function parseProbeOutput(out: string, specs: ProbeSpec[]): ProbeOutcome[] {
  const results: ProbeOutcome[] = specs.map((spec) => ({ spec, answers: [], failures: [] }));
  let cur: ProbeOutcome | undefined;
  for (const line of out.split('\n')) {
    const m = /^==>probe (\d+)/.exec(line);
    if (m) {
      cur = results[Number(m[1])];
      continue;
    }
    if (!cur) continue;
    if (line.startsWith('ok ')) cur.answers.push(line.slice(3).trim() || '(connected)');
    else if (line.startsWith('fail ')) {
      cur.answers.push(null);
      cur.failures.push(line.slice(5).trim());
    } else if (line.startsWith('lynx ')) cur.lynx = line.slice(5).trim();
    else if (line.startsWith('arp ')) cur.arpMacs = line.slice(4).trim().split(/\s+/).filter(Boolean);
  }
  return results;
}
