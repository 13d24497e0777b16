// The commented inventory `lvs-deploy init` writes: a small, complete topology for one forwarding
// method and one manager that validates as written and runs unchanged in the netns lab. Addresses
// come from the VIP's /24 (the front network: client, directors, VIP) and, for NAT, the next /24
// (the back network: real servers, the directors' inner side).

export type Mode = 'nat' | 'dr' | 'tun';
export type Manager = 'ipvsadm' | 'keepalived' | 'ldirectord';

export interface StarterOptions {
  name: string;
  mode: Mode;
  manager: Manager;
  directors: number;
  realServers: number;
  vip: string;
  port: number;
  /** What follows `$schema=` on the first line: a path or URL of inventory.schema.json. */
  schema: string;
}

export const DEFAULT_VIP = '10.100.0.10';

/** Why these options cannot make a working inventory, or undefined. */
export function starterProblem(o: Omit<StarterOptions, 'schema' | 'name'>): string | undefined {
  const octets = o.vip.split('.').map(Number);
  if (octets.length !== 4 || octets.some((n) => !Number.isInteger(n) || n < 0 || n > 255))
    return `--vip ${o.vip}: init writes IPv4 inventories (expected e.g. ${DEFAULT_VIP}; edit the file for IPv6)`;
  const last = octets[3] ?? 0;
  // Hosts take .1-.9 (gateway, directors), .11-.48 (real servers) and .50 (client).
  if (!(last === 10 || (last > 50 && last < 255)))
    return `--vip ${o.vip}: init gives hosts .1-.50 of the VIP's /24; pick a VIP ending in .10 or .51-.254 (e.g. ${octets.slice(0, 3).join('.')}.100)`;
  if (o.mode === 'nat' && (octets[2] ?? 0) >= 255) return `--vip ${o.vip}: NAT needs the next /24 free`;
  if (o.manager !== 'keepalived' && o.directors !== 1)
    return `--manager ${o.manager} runs on one director (--directors 1); use --manager keepalived for a failover pair`;
  if (o.directors < 1 || o.directors > 8) return `--directors ${o.directors}: expected 1 to 8`;
  if (o.realServers < 1 || o.realServers > 38) return `--realservers ${o.realServers}: expected 1 to 38`;
  if (!Number.isInteger(o.port) || o.port < 1 || o.port > 65535)
    return `--port ${o.port}: expected 1 to 65535`;
  return undefined;
}

const pad = (s: string, n: number) => s + ' '.repeat(Math.max(1, n - s.length));

export function starterInventory(o: StarterOptions): string {
  const front = o.vip.split('.').slice(0, 3).join('.');
  const [a, b, c] = o.vip.split('.').map(Number) as [number, number, number];
  const back = `${a}.${b}.${c + 1}`;
  const nat = o.mode === 'nat';
  const keepalived = o.manager === 'keepalived';
  const dirs = Array.from({ length: o.directors }, (_, i) => `lb${i + 1}`);
  const rss = Array.from({ length: o.realServers }, (_, i) => `web${i + 1}`);
  const rsNet = nat ? back : front;
  const http = o.port === 80;
  const L: string[] = [];
  const push = (...lines: string[]) => L.push(...lines);

  push(
    `# yaml-language-server: $schema=${o.schema}`,
    `# ${o.mode.toUpperCase()} forwarding, ${o.manager} on ${o.directors} director(s), ${o.realServers} real server(s): written by`,
    '# `lvs-deploy init`. Every key is described in docs/inventory.md (and on hover, through the schema).',
    '# Try it in a lab on this machine (root), then point the addresses at your own hosts:',
    `#   lvs-deploy lab up FILE && lvs-deploy lab exec FILE -- lvs-deploy up FILE`,
    `name: ${o.name}`,
    '',
    '# Every machine lvs-deploy logs into (SSH as root by default; see `ssh:` in the reference) or',
    "# probes from. `interfaces` are the hosts' own networks: the lab builds them, verify checks them.",
    'hosts:',
  );
  dirs.forEach((d, i) => {
    const f = `${front}.${2 + i}`;
    const ifaces = nat ? `eth0: [${f}/24], eth1: [${back}.${2 + i}/24]` : `eth0: [${f}/24]`;
    push(`  ${pad(`${d}:`, 8)}{ address: ${f}, interfaces: { ${ifaces} } }`);
  });
  rss.forEach((r, i) => {
    const addr = `${rsNet}.${11 + i}`;
    push(`  ${pad(`${r}:`, 8)}{ address: ${addr}, interfaces: { eth0: [${addr}/24] } }`);
  });
  push(
    `  ${pad('client:', 8)}{ address: ${front}.50, interfaces: { eth0: [${front}.50/24] } }   # sends verify's requests`,
  );

  push('', '# The directors hold the VIP and run IPVS.', 'directors:', `  hosts: [${dirs.join(', ')}]`);
  if (o.manager === 'ipvsadm') push('  manager: ipvsadm               # static rules, restored at boot');
  if (o.manager === 'ldirectord')
    push('  manager: ldirectord            # ldirectord programs IPVS and health-checks the real servers');
  if (keepalived) {
    push(
      '  manager: keepalived            # VRRP moves the VIP to a live director; health checks remove dead real servers',
      '  vrrp:',
      '    interface: eth0',
      '    virtual_router_id: 51         # unique on this network segment',
      `    priority: { ${dirs.map((d, i) => `${d}: ${200 - 10 * i}`).join(', ')} }   # the highest starts as MASTER`,
      '    unicast: true                 # adverts go to the other directors, not multicast',
      '    # auth_pass: { env: LVS_VRRP_PASS }   # a VRRP password (≤ 8 characters) from the environment',
    );
  }
  if (nat && keepalived) {
    push(
      '  # NAT real servers route their replies through this address; it floats with the MASTER.',
      '  nat_gateway:',
      `    address: ${back}.1/24`,
      '    interface: eth1',
    );
  } else if (nat) {
    push(
      `  # NAT real servers route their replies through ${dirs[0]}'s address on their network (${back}.2).`,
    );
  }

  const why: Record<Mode, string> = {
    nat: 'the director rewrites addresses; replies return through it',
    dr: 'real servers answer the client directly (VIP on lo, no ARP for it)',
    tun: 'requests reach the real servers in IPIP; they answer directly',
  };
  push(
    '',
    '# The virtual services: VIP + protocol + port, scheduler, forwarding, real servers.',
    'services:',
    `  - name: ${http ? 'http' : `tcp-${o.port}`}`,
    `    vip: ${o.vip}`,
    '    protocol: tcp',
    `    port: ${o.port}`,
    '    scheduler: wrr                # weighted round robin; see the reference for the others',
    `${pad(`    forwarding: ${o.mode}`, 34)}# ${why[o.mode]}`,
  );
  if (o.manager !== 'ipvsadm')
    push(`    check: { type: tcp }          # a real server that refuses connections is taken out`);
  push('    real_servers:');
  rss.forEach((r) => {
    push(`      - { host: ${r}, weight: 1 }`);
  });

  push(
    '',
    '# `lvs-deploy verify` sends real requests through the VIP from the client and expects every',
    '# real server to answer.',
    'verify:',
    '  from: client',
    '  probes:',
    http
      ? `    - { service: http, url: "http://${o.vip}/", requests: ${Math.max(10, 4 * o.realServers)} }`
      : `    - { service: tcp-${o.port}, tcp: true, requests: ${Math.max(10, 4 * o.realServers)} }`,
    '',
  );
  return L.join('\n');
}
