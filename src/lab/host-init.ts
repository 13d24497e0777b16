// The shell program each lab host runs as its anchor: private mounts, hostname, users, its own
// sshd and identity responders, then `sleep` forever so its namespaces stay alive.
// Shared by the netns lab and the VM lab (which runs the same up script inside the guest).
import { quote } from '../connection/shell.js';
import { RELEASE_PUB_KEY, RELEASE_ROOT, releaseRootMounts } from './release/host-root.js';
import type { LabHost, LabSpec } from './spec.js';

/** The one quoting helper for everything that reaches a shell. */

/** Where the state and run dirs appear inside a host (bound before /var is overlaid). */
export const HOST_STATE = '/run/lvslab/state';
export const HOST_RUN = '/run/lvslab/run';
/** The host's own ssh host key, copied into its private /etc before the state dir is unmounted. */
const HOST_KEY = '/etc/ssh/lvs-lab-host-key';
/** Every lab's state (LAB_STATE_ROOT in state.ts), hidden inside lab hosts. */
const LAB_ROOT = '/var/lib/lvs-deploy/lab';
export const LAB_ADMIN = { user: 'lvsadmin', uid: 1990 } as const;

export function sshdConfig(host: LabHost): string {
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
// HTTP requests get `200` + "<hostname>\n" for any path; raw TCP and UDP get the name alone.
const RESPONDER_PL = String.raw`
use strict; use warnings; use IO::Socket::IP; use IO::Select; use Socket qw(:all);
$SIG{CHLD} = 'IGNORE'; $SIG{PIPE} = 'IGNORE';
my $body = shift(@ARGV) . "\n";
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
  if ($req =~ /^[A-Z]+ \S+ HTTP\//) {
    my $head = $req =~ /^HEAD / ? '' : $body;
    print $c "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " . length($body)
      . "\r\nConnection: close\r\n\r\n" . $head;
  } else { print $c $body; }
}
while (1) {
  for my $s ($sel->can_read) {
    if ($udp{fileno $s}) { my $peer = recv($s, my $buf, 65535, 0); send($s, $body, 0, $peer) if $peer; next; }
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

function adminUser(pubKey: string): string[] {
  const { user, uid } = LAB_ADMIN;
  const home = `/home/${user}`;
  return [
    `echo ${quote(`${user}:x:${uid}:${uid}:lvs-deploy lab:${home}:/bin/sh`)} >> /etc/passwd`,
    // `*` = no password but not locked (sshd refuses `!` accounts when UsePAM is off).
    `echo ${quote(`${user}:*:19000:0:99999:7:::`)} >> /etc/shadow`,
    `echo ${quote(`${user}:x:${uid}:`)} >> /etc/group`,
    `mkdir -p ${home}/.ssh`,
    `cp ${pubKey} ${home}/.ssh/authorized_keys`,
    `chown -R ${uid}:${uid} ${home}`,
    `chmod 700 ${home} ${home}/.ssh`,
    `echo ${quote(`${user} ALL=(ALL:ALL) NOPASSWD: ALL`)} > /etc/sudoers.d/${user}`,
    `chmod 440 /etc/sudoers.d/${user}`,
  ];
}

/** Mounts that give the host its own writable /etc, /var, /usr/local, /run, /tmp, /root and /home. */
function privateMounts(stateDir: string, runDir: string): string[] {
  const ov = (dir: string) =>
    `mount -t overlay lvslab-${dir.replace('/', '-')} -o lowerdir=/${dir},upperdir=/run/.ov/${dir}/u,workdir=/run/.ov/${dir}/w /${dir}`;
  return [
    'mount -t tmpfs -o mode=755,size=64m lvslab-run /run',
    `mkdir -p ${HOST_STATE} ${HOST_RUN}/pids ${HOST_RUN}/logs /run/sshd /run/.ov/etc/u /run/.ov/etc/w /run/.ov/var/u /run/.ov/var/w /run/.ov/usr/local/u /run/.ov/usr/local/w`,
    // Bind the lab dirs before /var is overlaid: writes to them must reach the real files.
    `mount --bind ${quote(stateDir)} ${HOST_STATE}`,
    // Only the pids and logs dirs: in the netns lab the run dir is the state dir, keys included.
    `mount --bind ${quote(`${runDir}/pids`)} ${HOST_RUN}/pids`,
    `mount --bind ${quote(`${runDir}/logs`)} ${HOST_RUN}/logs`,
    ov('etc'),
    ov('var'),
    // `up` installs its boot script under /usr/local/sbin: keep that private to the host too.
    ov('usr/local'),
    // A private /root hides this machine's slow ~/.bashrc (sourced by every ssh command) and secrets.
    'mount -t tmpfs -o mode=700,size=16m lvslab-root /root',
    'mount -t tmpfs -o mode=1777,size=64m lvslab-tmp /tmp',
    'mount -t tmpfs -o mode=755,size=16m lvslab-home /home',
    // /var is this machine's /var underneath: hide every lab's keys and state from the host.
    `if [ -d ${LAB_ROOT} ]; then mount -t tmpfs -o mode=700,size=1m lvslab-hide ${LAB_ROOT}; fi`,
  ];
}

/** Where a lab host keeps its identity responder's PID (inside the host). */
export const responderPidFile = (host: string) => `${HOST_RUN}/pids/${host}.responder`;

/**
 * Start the host's identity responder in the background and record its PID: run by the anchor,
 * and by tests that stop a responder (by that PID) and start it again the same way.
 */
export function responderStart(host: LabHost): string {
  const specs = host.responders
    .map((r) =>
      quote(
        `${r.protocol}:${r.family}:${r.port}:${r.protocol === 'udp' && r.family === 4 ? r.vips.join(',') : ''}`,
      ),
    )
    .join(' ');
  return [
    `perl -e ${quote(RESPONDER_PL)} ${quote(host.name)} ${specs} </dev/null >>${quote(`${HOST_RUN}/logs/${host.name}-responder.log`)} 2>&1 &`,
    `echo $! > ${quote(responderPidFile(host.name))}`,
  ].join('\n');
}

/** Name, hosts, root's and the admin's authorized key (from `pubKey`, a path inside the host). */
function identityLines(spec: LabSpec, host: LabHost, pubKey: string): string[] {
  return [
    `echo ${quote(host.name)} > /etc/hostname`,
    `printf '%s' ${quote(etcHosts(spec, host))} > /etc/hosts`,
    'mkdir -m 700 -p /root/.ssh',
    `cp ${pubKey} /root/.ssh/authorized_keys`,
    ...adminUser(pubKey),
  ];
}

/** sshd, the responders, the ready marker; then the anchor sleeps so its namespaces stay. */
function serveLines(host: LabHost, pid: (kind: string) => string): string[] {
  const lines = [
    `printf '%s' ${quote(sshdConfig(host))} > /etc/ssh/sshd_config.lvs-lab`,
    // -r: no re-exec per connection (an exec of sshd costs most under emulation in the VM lab).
    `/usr/sbin/sshd -D -r -f /etc/ssh/sshd_config.lvs-lab -E ${quote(`${HOST_RUN}/logs/${host.name}-sshd.log`)} </dev/null >/dev/null 2>&1 &`,
    `echo $! > ${pid('sshd')}`,
  ];
  if (host.responders.length > 0) lines.push(responderStart(host));
  lines.push(`: > ${pid('ready')}`, 'trap - EXIT', 'exec sleep infinity');
  return lines;
}

/** The anchor program for one host; runs in the host's netns, in fresh mount + UTS namespaces. */
export function hostInitScript(spec: LabSpec, host: LabHost, stateDir: string, runDir: string): string {
  const pid = (kind: string) => quote(`${HOST_RUN}/pids/${host.name}.${kind}`);
  // On failure leave a `.failed` marker where the up script looks (bound dir once it exists).
  const failed = `[ -d ${HOST_RUN}/pids ] && : > ${pid('failed')} || : > ${quote(`${runDir}/pids/${host.name}.failed`)}`;
  const head = [
    'set -e',
    `trap ${quote(failed)} EXIT`,
    `echo $$ > ${quote(`${runDir}/pids/${host.name}.anchor`)}`,
  ];
  if (host.rootfs) {
    // Another release's userland: its root (overlaid, private) becomes the host's root.
    const inner = [
      'set -e',
      `trap ${quote(`: > ${pid('failed')}`)} EXIT`,
      ...identityLines(spec, host, RELEASE_PUB_KEY),
      ...serveLines(host, pid),
    ];
    return [
      ...head,
      ...releaseRootMounts({ rootfs: host.rootfs, stateDir, runDir, host: host.name, hostKey: HOST_KEY }),
      `hostname ${quote(host.name)}`,
      `exec chroot ${RELEASE_ROOT} sh -c ${quote(inner.join('\n'))} lvs-lab-host`,
    ].join('\n');
  }
  return [
    ...head,
    ...privateMounts(stateDir, runDir),
    `hostname ${quote(host.name)}`,
    ...identityLines(spec, host, `${HOST_STATE}/id_ed25519.pub`),
    // Keep only this host's own key, then drop the lab's state dir (the control node's private
    // key, every other host's key) from the host's view.
    `install -m 600 ${HOST_STATE}/hostkeys/${quote(host.name)} ${HOST_KEY}`,
    `umount ${HOST_STATE}`,
    ...serveLines(host, pid),
  ].join('\n');
}
