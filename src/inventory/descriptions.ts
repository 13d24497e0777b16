// What each inventory key means, for the JSON Schema editors read (hover and completion). Keyed by
// path: `[]` a list item, `*` a mapping's value. Keep in step with docs/inventory.md; a unit test
// fails when a key of the schema has no entry here. Host ssh overrides reuse the `ssh.` entries.

export interface FieldDoc {
  text: string;
  example?: unknown;
}

const d = (text: string, example?: unknown): FieldDoc =>
  example === undefined ? { text } : { text, example };

export const FIELD_DOCS: Record<string, FieldDoc> = {
  name: d('Names the lab and the reports. Default: the file name without extension.', 'web-dr'),
  ssh: d('SSH settings for every host; a host’s own `ssh` overrides any key.'),
  'ssh.user': d('The login user. Default: root.', 'admin'),
  'ssh.port': d('The SSH port. Default: 22.', 22),
  'ssh.identity': d(
    'Private key file (`~/` and relative paths expand). Default: the SSH agent.',
    '~/.ssh/id_ed25519',
  ),
  'ssh.known_hosts': d(
    'Host keys are checked against this file. Default: ~/.ssh/known_hosts.',
    '~/.ssh/known_hosts',
  ),
  'ssh.host_key_policy': d(
    'strict: an unknown host key is refused; accept-new: it is added on first contact (a changed key is still refused). Default: strict.',
    'accept-new',
  ),
  'ssh.become': d('true: run as root through `sudo -n` (passwordless sudo). Default: false.', true),
  'ssh.jump': d(
    'Connect through this bastion: a host name from `hosts`, or user@address:port. Default: none.',
    'bastion',
  ),
  'ssh.connect_timeout': d('Seconds to wait for the SSH handshake. Default: 10.', 10),
  hosts: d('Required. Every machine the tool may touch or probe from: host name → host.'),
  'hosts.*': d('One host.'),
  'hosts.*.address': d(
    'Required. Where SSH connects; also the host’s address in the topology.',
    '192.168.100.10',
  ),
  'hosts.*.interfaces': d(
    'The host’s own network, interface → addresses with prefix: the lab builds it, verify lints against it, rules use it (NAT route back, VRRP interface). Default: none.',
    { eth0: ['192.168.100.10/24'] },
  ),
  'hosts.*.interfaces.*': d('The addresses of this interface, with prefix (at least one).', [
    '192.168.100.10/24',
  ]),
  'hosts.*.interfaces.*[]': d('An address with its prefix.', '192.168.100.10/24'),
  'hosts.*.ssh': d('Per-host SSH overrides of the top-level `ssh`.', { user: 'admin', become: true }),
  directors: d('Required. Which hosts run IPVS and what programs their table.'),
  'directors.hosts': d(
    'Required. The directors: one with ipvsadm or ldirectord, two or more with keepalived.',
    ['lb1', 'lb2'],
  ),
  'directors.hosts[]': d('A host name from `hosts`.', 'lb1'),
  'directors.manager': d(
    'What programs the IPVS table: ipvsadm (static rules restored at boot), keepalived (VRRP failover and health checks), ldirectord (health checks). Default: ipvsadm.',
    'keepalived',
  ),
  'directors.sync_daemon': d(
    'IPVS connection sync between directors, so a failover keeps connections. Default: none.',
  ),
  'directors.sync_daemon.interface': d('Required. The interface sync traffic (UDP 8848) goes over.', 'eth0'),
  'directors.sync_daemon.id': d('The sync ID. Default: the VRRP virtual_router_id, else 1.', 51),
  'directors.vrrp': d('VRRP settings: present exactly when manager is keepalived.'),
  'directors.vrrp.interface': d('Required. Where VRRP adverts go and the VIPs are added.', 'eth0'),
  'directors.vrrp.virtual_router_id': d('Required. The VRRP router ID, unique per network segment.', 51),
  'directors.vrrp.advert_int': d('Seconds between adverts; a takeover takes about 3 × this. Default: 1.', 1),
  'directors.vrrp.priority': d(
    'Required. One distinct priority (1–254) per director; the highest starts as MASTER.',
    {
      lb1: 200,
      lb2: 100,
    },
  ),
  'directors.vrrp.priority.*': d('This director’s priority.', 200),
  'directors.vrrp.auth_pass': d(
    'VRRP password, at most 8 characters, read at start-up from { env: NAME } or { file: PATH }; never written inline, never printed. Default: none.',
    { env: 'LVS_VRRP_PASS' },
  ),
  'directors.vrrp.auth_pass.env': d('The environment variable holding the secret.', 'LVS_VRRP_PASS'),
  'directors.vrrp.auth_pass.file': d('The file holding the secret.', '/etc/lvs-deploy/vrrp.pass'),
  'directors.vrrp.unicast': d(
    'true: adverts go to the other directors (unicast_peer) instead of multicast. Default: false.',
    true,
  ),
  'directors.vrrp.notification_email': d('Who keepalived mails on a state change. Default: none.', [
    'ops@example.com',
  ]),
  'directors.vrrp.notification_email[]': d('An e-mail address.', 'ops@example.com'),
  'directors.vrrp.notification_email_from': d('The sender of those mails. Default: none.', 'lb@example.com'),
  'directors.vrrp.smtp_server': d(
    'The mail relay: HOST, HOST:PORT or [v6]:PORT. Default: none.',
    'smtp.example.com:25',
  ),
  'directors.vrrp.smtp_connect_timeout': d(
    'Seconds to wait for the mail relay. Default: keepalived’s (30).',
    30,
  ),
  'directors.vrrp.smtp_alert': d('true: mail on every VRRP state change. Default: keepalived’s.', true),
  'directors.vrrp.notify_master': d(
    'A script on the directors run on becoming MASTER. Default: none.',
    '/usr/local/bin/became-master',
  ),
  'directors.vrrp.notify_backup': d(
    'A script on the directors run on becoming BACKUP. Default: none.',
    '/usr/local/bin/became-backup',
  ),
  'directors.vrrp.notify_fault': d(
    'A script on the directors run on entering FAULT. Default: none.',
    '/usr/local/bin/fault',
  ),
  'directors.nat_gateway': d(
    'NAT: the gateway address of the NAT real servers. Floats with VRRP under keepalived (then no director’s own address); else a director’s own address. Default: none (a director with an address on each NAT real server’s subnet).',
  ),
  'directors.nat_gateway.address': d('Required. The gateway address with its prefix.', '192.168.20.254/24'),
  'directors.nat_gateway.interface': d(
    'Required. The directors’ interface on the real servers’ network.',
    'eth1',
  ),
  'directors.firewall': d(
    'An nftables table (inet lvs_deploy) on the directors, owned by lvs-deploy: accepts loopback, established, ICMP, VRRP, IPVS sync, the services, SSH from admin_networks. Default: none.',
  ),
  'directors.firewall.policy': d(
    'What happens to traffic to the directors no rule accepts; under drop, up refuses a director whose SSH session is outside admin_networks. Default: accept.',
    'drop',
  ),
  'directors.firewall.admin_networks': d('Where SSH to the directors is accepted from. Default: [].', [
    '203.0.113.0/24',
  ]),
  'directors.firewall.admin_networks[]': d('A network with its prefix.', '203.0.113.0/24'),
  'directors.firewall.masquerade': d(
    'NAT real servers’ own outbound connections leave as the director. Default: none.',
    {
      interface: 'eth0',
    },
  ),
  'directors.firewall.masquerade.interface': d('Required. The outbound interface.', 'eth0'),
  'directors.firewall.masquerade.sources': d(
    'Which sources are masqueraded. Default: the NAT real servers’ addresses.',
    ['192.168.20.0/24'],
  ),
  'directors.firewall.masquerade.sources[]': d('A network with its prefix.', '192.168.20.0/24'),
  services: d('Required. The virtual services (at least one).'),
  'services[]': d(
    'A virtual service: VIP + protocol + port (or fwmark), scheduler, forwarding, real servers.',
  ),
  'services[].name': d('Required. Unique; probes and reports refer to it.', 'http'),
  'services[].vip': d('Required. The virtual IP clients connect to; no host’s own address.', '192.168.100.9'),
  'services[].protocol': d('tcp, udp or sctp (not with fwmark). Default: tcp.', 'tcp'),
  'services[].port': d('The service port; required unless fwmark is given.', 80),
  'services[].fwmark': d('A firewall-mark service instead of protocol + port. Default: none.', 1),
  'services[].scheduler': d('The IPVS scheduler. Default: wlc.', 'rr'),
  'services[].flags': d('Scheduler flags: sh-* need scheduler sh, mh-* need scheduler mh. Default: [].', [
    'sh-port',
  ]),
  'services[].flags[]': d('A scheduler flag.', 'sh-port'),
  'services[].ops': d(
    'One-packet scheduling: each UDP datagram is scheduled on its own (UDP only). Default: false.',
    true,
  ),
  'services[].forwarding': d(
    'nat (masquerading), dr (direct routing) or tun (IPIP); a real server may override it. Default: dr.',
    'nat',
  ),
  'services[].persistence': d('Send a client to the same real server for a while. Default: none.', {
    timeout: 600,
  }),
  'services[].persistence.timeout': d('Seconds a client sticks to its real server. Default: 300.', 600),
  'services[].persistence.netmask': d(
    'Clients in one such network share a real server (same family as the VIP). Default: per client address.',
    '255.255.255.0',
  ),
  'services[].persistence.engine': d(
    'A kernel persistence engine: sip keeps each SIP call (Call-ID) on one real server and spreads the calls of one client socket (UDP services, manager ipvsadm or keepalived). Default: none (per client address).',
    'sip',
  ),
  'services[].check': d('A health check (manager keepalived or ldirectord only). Default: none.', {
    type: 'http',
    path: '/healthz',
  }),
  'services[].check.type': d(
    'Required. tcp: connect; http/https: GET path expecting status_code; misc: run misc_path.',
    'tcp',
  ),
  'services[].check.connect_timeout': d('Seconds for one check. Default: 3.', 3),
  'services[].check.retry': d('Failed attempts before a real server is taken out. Default: 3.', 3),
  'services[].check.delay_before_retry': d('Seconds between attempts. Default: 3.', 3),
  'services[].check.delay_loop': d('Seconds between checks. Default: 6.', 6),
  'services[].check.path': d('What http/https checks request. Default: /.', '/healthz'),
  'services[].check.status_code': d(
    'The status an http/https check expects. Default: unset, any 2xx answer passes (keepalived: status_code 200-299).',
    200,
  ),
  'services[].check.misc_path': d(
    'misc checks: a script on the directors (with arguments), exit 0 = healthy. Required for type misc.',
    '/usr/local/bin/check-dns 53',
  ),
  'services[].real_servers': d('Required. The backends (at least one).', [
    { host: 'web1' },
    { host: 'web2', weight: 2 },
  ]),
  'services[].real_servers[]': d(
    'A real server: host (configured by lvs-deploy) or address (directors only); one of them is required.',
  ),
  'services[].real_servers[].host': d(
    'An inventory host; lvs-deploy configures it (VIP on lo, routes, tunnel).',
    'web1',
  ),
  'services[].real_servers[].address': d(
    'The real server’s address. Default: the host’s address; alone for a server the tool cannot log into.',
    '10.0.0.5',
  ),
  'services[].real_servers[].port': d(
    'Where the real server listens; only NAT may differ from the service port. Default: the service port.',
    8080,
  ),
  'services[].real_servers[].weight': d('The scheduler’s weight; 0 means drained. Default: 1.', 2),
  'services[].real_servers[].forwarding': d(
    'nat, dr or tun for this real server. Default: the service’s forwarding.',
    'tun',
  ),
  verify: d('How `lvs-deploy verify` sends real traffic through the VIPs. Default: none.'),
  'verify.from': d(
    'Where probes are sent from: a host name, or control (the machine running lvs-deploy). Default: control.',
    'client',
  ),
  'verify.probes': d('The traffic to send. Default: [].'),
  'verify.probes[]': d('One probe: url, tcp, udp or sip.', {
    service: 'http',
    url: 'http://192.168.100.9/',
    requests: 20,
  }),
  'verify.probes[].service': d('Required. The service the probe goes through.', 'http'),
  'verify.probes[].url': d(
    'Request this http(s) URL through the VIP. Default: none.',
    'http://192.168.100.9/',
  ),
  'verify.probes[].tcp': d(
    'Open a TCP connection to the VIP and port and read the answer. Default: false.',
    true,
  ),
  'verify.probes[].udp': d('Send a UDP datagram and read the answer (UDP services). Default: false.', true),
  'verify.probes[].sip': d(
    'Send a SIP OPTIONS request (over the service protocol, UDP or TCP) and count any SIP answer; the lab names its real server in X-Lvs-Host. Default: false.',
    true,
  ),
  'verify.probes[].requests': d(
    'How many requests to send; enough to see every real server answer. Default: 10.',
    20,
  ),
  'hosts.*.sysctls': d(
    "This host's own network tunables (same keys as directors.sysctls); they win over directors.sysctls and real_servers_sysctls. Default: none.",
    { 'net.ipv4.vs.conn_reuse_mode': 0 },
  ),
  'hosts.*.vars': d(
    "Values this host's site role templates read as vars.NAME (plain data); they win over its groups' vars. Default: none.",
    { site_title: 'Shop' },
  ),
  'hosts.*.lab': d('How the netns lab builds this host; ignored outside labs. Default: none.', {
    release: 'bullseye',
  }),
  'hosts.*.lab.release': d(
    "Debian release whose userland this host runs in the lab, netns or VM (bullseye, bookworm, trixie): its root filesystem, built once by lvs-deploy lab rootfs, becomes the host's root. Default: this machine's own.",
    'trixie',
  ),
  'directors.sysctls': d(
    'Network tunables for every director: keys under net.ipv4.vs.*, net.ipv6.vs.*, net.ipv4.conf.*, net.ipv6.conf.*, net.netfilter.nf_conntrack_* and a short allow-list (others are refused with the reason); they win over the shipped roles. Default: none.',
    { 'net.ipv4.vs.conn_reuse_mode': 0, 'net.ipv4.vs.sloppy_tcp': 1 },
  ),
  'directors.ipvs_timeouts': d(
    "IPVS connection timeouts in seconds (ipvsadm --set tcp tcpfin udp): set live, restored at boot, put back by down; an absent one is left as it is. Default: the kernel's (900 120 300).",
    { tcp: 7200, tcpfin: 60, udp: 120 },
  ),
  'directors.ipvs_timeouts.tcp': d(
    'Timeout of established TCP connections, seconds. Default: left as it is.',
    7200,
  ),
  'directors.ipvs_timeouts.tcpfin': d(
    'Timeout of TCP connections after FIN, seconds. Default: left as it is.',
    60,
  ),
  'directors.ipvs_timeouts.udp': d('Timeout of UDP flows, seconds. Default: left as it is.', 120),
  real_servers_sysctls: d(
    'Network tunables for every real server (same keys as directors.sysctls). Default: none.',
    { 'net.ipv4.conf.all.rp_filter': 0 },
  ),
  groups: d(
    "Named sets of hosts, for --limit and a site role's applies_to.groups: a list of host names, or { hosts, vars } whose vars its hosts' templates read. Default: none.",
    { web: ['web1', 'web2'] },
  ),
  'groups.*.hosts': d('The host names in the group.', ['web1', 'web2']),
  'groups.*.vars': d("Values the group's hosts' site role templates read as vars.NAME. Default: none.", {
    port: 80,
  }),
  roles_path: d(
    'Directories of site roles (docs/roles.md), relative to the inventory file, applied beside the shipped roles. Default: none.',
    ['./roles'],
  ),
  templates_path: d(
    "Directories searched for templates before the shipped ones, relative to the inventory file: a site role's templates, or one named like a shipped template to replace it. Default: ./templates when it exists.",
    ['./templates'],
  ),
};
