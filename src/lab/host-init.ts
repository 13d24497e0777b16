// The shell program each lab host runs as its anchor: private mounts, hostname, users, its own
// sshd and identity responders, then `sleep` forever so its namespaces stay alive.
// Shared by the netns lab and the VM lab (which runs the same up script inside the guest).
import { lines, raw, type ShellFragment, sh } from '../connection/shell.js';
import { RELEASE_PUB_KEY, RELEASE_ROOT, releaseRootMounts } from './release/host-root.js';
import type { LabHost, LabSpec } from './spec.js';

/** Where the state and run dirs appear inside a host (bound before /var is overlaid). */
const HOST_STATE = '/run/lvslab/state';
const HOST_RUN = '/run/lvslab/run';
/** The host's own ssh host key, copied into its private /etc before the state dir is unmounted. */
const HOST_KEY = '/etc/ssh/lvs-lab-host-key';
/** Every lab's state (LAB_STATE_ROOT in state.ts), hidden inside lab hosts. */
const LAB_ROOT = '/var/lib/lvs-deploy/lab';
const LAB_ADMIN = { user: 'lvsadmin', uid: 1990 } as const;

function sshdConfig(host: LabHost): string {
  return [
    `Port ${host.sshPort}`,
    `ListenAddress ${host.address}`,
    `HostKey ${HOST_KEY}`,
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'UseDNS no',
    'LogLevel VERBOSE',
    'MaxSessions 10',
    // Test suites open many connections at once; the default 10:30:100 drops some.
    'MaxStartups 100:30:200',
    'PidFile none',
    'PrintMotd no',
    'AuthorizedKeysFile .ssh/authorized_keys',
    'Subsystem sftp internal-sftp',
    '',
  ].join('\n');
}

// One process per host serves every responder port: cheap enough for 50 hosts in seconds.
// HTTP requests get `200` + "<hostname>\n" for any path, SIP requests a SIP 200 with the name in
// X-Lvs-Host; raw TCP and UDP get the name alone.
export const RESPONDER_PL = String.raw`
use strict; use warnings; use IO::Socket::IP; use IO::Select; use Socket qw(:all);
$SIG{CHLD} = 'IGNORE'; $SIG{PIPE} = 'IGNORE';
my $name = shift(@ARGV); my $body = "$name\n";
# A SIP request (verify's sip probe sends OPTIONS) gets a SIP 200 naming the host in X-Lvs-Host.
sub sip_reply {
  my ($req) = @_; my $h = '';
  for my $k (qw(Via From To Call-ID CSeq)) { $h .= "$1\r\n" while $req =~ /^(\Q$k\E:[^\r\n]*)/gmi; }
  return "SIP/2.0 200 OK\r\n" . $h . "X-Lvs-Host: $name\r\nContent-Length: 0\r\n\r\n";
}
my $SIP = qr{^[A-Z]+ \S+ SIP/2\.0\r?\n};
my $sel = IO::Select->new; my %udp;
for my $spec (@ARGV) {
  my ($proto, $fam, $port, $vips) = split /:/, $spec;
  my $s = IO::Socket::IP->new(LocalHost => ($fam == 6 ? '::' : '0.0.0.0'), LocalPort => $port,
    Proto => $proto, ReuseAddr => 1, ($proto eq 'tcp' ? (Listen => 128) : ()),
    ($fam == 6 ? (V6Only => 1) : ())) or die "responder $spec: $@\n";
  $udp{fileno $s} = 1 if $proto eq 'udp';
  $sel->add($s);
  # A UDP reply leaves from the socket's address: answer DR/TUN requests from a socket bound to
  # the VIP itself (IP_FREEBIND = 15: the VIP reaches lo only when lvs-deploy up runs).
  for my $vip (grep { length } split /,/, ($vips // '')) {
    socket(my $v, PF_INET, SOCK_DGRAM, IPPROTO_UDP) or die "socket: $!\n";
    setsockopt($v, SOL_SOCKET, SO_REUSEADDR, 1);
    setsockopt($v, IPPROTO_IP, 15, 1);
    bind($v, pack_sockaddr_in($port, inet_aton($vip))) or die "responder $vip:$port: $!\n";
    $udp{fileno $v} = 1;
    $sel->add($v);
  }
}
sub serve {
  my ($c) = @_; my $req = ''; my $cs = IO::Select->new($c);
  # A client that sent nothing gets the name after 2 s (raw TCP); one that has begun a request
  # gets 15 s between reads: a drill's long-lived connections go quiet for a whole VRRP
  # takeover (~4 s, plus the client's retransmission back-off) and must find the server waiting.
  while ($cs->can_read(length $req ? 15 : 2)) {
    my $n = sysread($c, $req, 4096, length $req); last if !$n;
    last if $req =~ /\r?\n\r?\n/ || length $req > 65536;
  }
  if ($req =~ $SIP) { print $c sip_reply($req); }
  elsif ($req =~ /^[A-Z]+ \S+ HTTP\//) {
    my $head = $req =~ /^HEAD / ? '' : $body;
    print $c "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " . length($body)
      . "\r\nConnection: close\r\n\r\n" . $head;
  } else { print $c $body; }
}
while (1) {
  for my $s ($sel->can_read) {
    if ($udp{fileno $s}) {
      my $peer = recv($s, my $buf, 65535, 0);
      send($s, ($buf =~ $SIP ? sip_reply($buf) : $body), 0, $peer) if $peer;
      next;
    }
    my $c = $s->accept or next;
    my $pid = fork;
    if (defined $pid && $pid == 0) { serve($c); close $c; exit 0; }
    close $c;
  }
}
`;

function etcHosts(spec: LabSpec, host: LabHost): string {
  const lines = ['127.0.0.1 localhost', '::1 localhost ip6-localhost ip6-loopback', `127.0.1.1 ${host.name}`];
  for (const h of spec.hosts) lines.push(`${h.address} ${h.name}`);
  return `${lines.join('\n')}\n`;
}

function adminUser(pubKey: string): ShellFragment[] {
  const { user, uid } = LAB_ADMIN;
  const home = `/home/${user}`;
  return [
    sh`echo ${`${user}:x:${uid}:${uid}:lvs-deploy lab:${home}:/bin/sh`} >> /etc/passwd`,
    // `*` = no password but not locked (sshd refuses `!` accounts when UsePAM is off).
    sh`echo ${`${user}:*:19000:0:99999:7:::`} >> /etc/shadow`,
    sh`echo ${`${user}:x:${uid}:`} >> /etc/group`,
    sh`mkdir -p ${home}/.ssh`,
    sh`cp ${pubKey} ${home}/.ssh/authorized_keys`,
    sh`chown -R ${uid}:${uid} ${home}`,
    sh`chmod 700 ${home} ${home}/.ssh`,
    sh`echo ${`${user} ALL=(ALL:ALL) NOPASSWD: ALL`} > /etc/sudoers.d/${user}`,
    sh`chmod 440 /etc/sudoers.d/${user}`,
  ];
}

/** Mounts that give the host its own writable /etc, /var, /usr/local, /run, /tmp, /root and /home. */
function privateMounts(stateDir: string, runDir: string): ShellFragment[] {
  const ov = (dir: string) =>
    sh`mount -t overlay lvslab-${dir.replace('/', '-')} -o lowerdir=/${dir},upperdir=/run/.ov/${dir}/u,workdir=/run/.ov/${dir}/w /${dir}`;
  return [
    raw('mount -t tmpfs -o mode=755,size=64m lvslab-run /run'),
    sh`mkdir -p ${HOST_STATE} ${HOST_RUN}/pids ${HOST_RUN}/logs /run/sshd /run/.ov/etc/u /run/.ov/etc/w /run/.ov/var/u /run/.ov/var/w /run/.ov/usr/local/u /run/.ov/usr/local/w`,
    // Bind the lab dirs before /var is overlaid: writes to them must reach the real files.
    sh`mount --bind ${stateDir} ${HOST_STATE}`,
    // Only the pids and logs dirs: in the netns lab the run dir is the state dir, keys included.
    sh`mount --bind ${`${runDir}/pids`} ${HOST_RUN}/pids`,
    sh`mount --bind ${`${runDir}/logs`} ${HOST_RUN}/logs`,
    ov('etc'),
    ov('var'),
    // `up` installs its boot script under /usr/local/sbin: keep that private to the host too.
    ov('usr/local'),
    // A private /root hides this machine's slow ~/.bashrc (sourced by every ssh command) and secrets.
    raw('mount -t tmpfs -o mode=700,size=16m lvslab-root /root'),
    raw('mount -t tmpfs -o mode=1777,size=64m lvslab-tmp /tmp'),
    raw('mount -t tmpfs -o mode=755,size=16m lvslab-home /home'),
    // /var is this machine's /var underneath: hide every lab's keys and state from the host.
    sh`if [ -d ${LAB_ROOT} ]; then mount -t tmpfs -o mode=700,size=1m lvslab-hide ${LAB_ROOT}; fi`,
  ];
}

/** Where a lab host keeps its identity responder's PID (inside the host). */
export const responderPidFile = (host: string) => `${HOST_RUN}/pids/${host}.responder`;

/**
 * Start the host's identity responder in the background and record its PID: run by the anchor,
 * and by tests that stop a responder (by that PID) and start it again the same way.
 */
export function responderStart(host: LabHost): string {
  const specs = host.responders.map(
    (r) =>
      `${r.protocol}:${r.family}:${r.port}:${r.protocol === 'udp' && r.family === 4 ? r.vips.join(',') : ''}`,
  );
  return lines([
    sh`perl -e ${RESPONDER_PL} ${host.name} ${specs} </dev/null >>${`${HOST_RUN}/logs/${host.name}-responder.log`} 2>&1 &`,
    sh`echo $! > ${responderPidFile(host.name)}`,
  ]).render();
}

/** Name, hosts, root's and the admin's authorized key (from `pubKey`, a path inside the host). */
function identityLines(spec: LabSpec, host: LabHost, pubKey: string): ShellFragment[] {
  return [
    sh`echo ${host.name} > /etc/hostname`,
    sh`printf '%s' ${etcHosts(spec, host)} > /etc/hosts`,
    raw('mkdir -m 700 -p /root/.ssh'),
    sh`cp ${pubKey} /root/.ssh/authorized_keys`,
    ...adminUser(pubKey),
  ];
}

/** sshd, the responders, the ready marker; then the anchor sleeps so its namespaces stay. */
function serveLines(host: LabHost, pid: (kind: string) => string): ShellFragment[] {
  const out = [
    sh`printf '%s' ${sshdConfig(host)} > /etc/ssh/sshd_config.lvs-lab`,
    // -r: no re-exec per connection (an exec of sshd costs most under emulation in the VM lab).
    sh`/usr/sbin/sshd -D -r -f /etc/ssh/sshd_config.lvs-lab -E ${`${HOST_RUN}/logs/${host.name}-sshd.log`} </dev/null >/dev/null 2>&1 &`,
    sh`echo $! > ${pid('sshd')}`,
  ];
  if (host.responders.length > 0) out.push(raw(responderStart(host)));
  out.push(sh`: > ${pid('ready')}`, raw('trap - EXIT'), raw('exec sleep infinity'));
  return out;
}

/** The anchor program for one host; runs in the host's netns, in fresh mount + UTS namespaces. */
export function hostInitScript(spec: LabSpec, host: LabHost, stateDir: string, runDir: string): string {
  const pid = (kind: string) => `${HOST_RUN}/pids/${host.name}.${kind}`;
  // On failure leave a `.failed` marker where the up script looks (bound dir once it exists).
  const failed = sh`[ -d ${HOST_RUN}/pids ] && : > ${pid('failed')} || : > ${`${runDir}/pids/${host.name}.failed`}`;
  const head = [
    raw('set -e'),
    sh`trap ${failed.render()} EXIT`,
    sh`echo $$ > ${`${runDir}/pids/${host.name}.anchor`}`,
  ];
  if (host.rootfs) {
    // Another release's userland: its root (overlaid, private) becomes the host's root.
    const inner = lines([
      raw('set -e'),
      sh`trap ${sh`: > ${pid('failed')}`.render()} EXIT`,
      ...identityLines(spec, host, RELEASE_PUB_KEY),
      ...serveLines(host, pid),
    ]);
    return lines([
      ...head,
      ...releaseRootMounts({ rootfs: host.rootfs, stateDir, runDir, host: host.name, hostKey: HOST_KEY }),
      sh`hostname ${host.name}`,
      sh`exec chroot ${RELEASE_ROOT} sh -c ${inner.render()} lvs-lab-host`,
    ]).render();
  }
  return lines([
    ...head,
    ...privateMounts(stateDir, runDir),
    sh`hostname ${host.name}`,
    ...identityLines(spec, host, `${HOST_STATE}/id_ed25519.pub`),
    // Keep only this host's own key, then drop the lab's state dir (the control node's private
    // key, every other host's key) from the host's view.
    sh`install -m 600 ${HOST_STATE}/hostkeys/${host.name} ${HOST_KEY}`,
    sh`umount ${HOST_STATE}`,
    ...serveLines(host, pid),
  ]).render();
}
