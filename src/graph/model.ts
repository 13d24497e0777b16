// The topology picture as plain data: who sends (the verify client), what it reaches (each virtual
// service on its VIP), who forwards (the directors, with manager, VRRP role, NAT gateway, firewall)
// and who answers (the real servers, grouped by network). dot.ts and mermaid.ts only draw it.
import { networkOf as cidrNetwork, parseCidr } from '../inventory/net.js';
import type { Inventory, RealServer, VirtualService } from '../inventory/types.js';

export type NodeKind = 'client' | 'service' | 'director' | 'realserver';

/** `graph --live`: what the hosts said (ok, needs a look, broken); unset without --live. */
export type NodeState = 'ok' | 'warn' | 'bad';

export interface GraphNode {
  id: string;
  kind: NodeKind;
  /** First line is the title; the others are details. */
  lines: string[];
  /** A BACKUP director, a drained real server: drawn dashed. */
  dim?: boolean;
  state?: NodeState;
}

export interface GraphCluster {
  id: string;
  label: string;
  nodes: string[];
}

export interface GraphEdge {
  from: string;
  /** A node id, or a cluster id (then the edge ends at the cluster's border). */
  to: string;
  fromCluster?: string;
  label?: string;
  dim?: boolean;
}

export interface TopologyGraph {
  title: string;
  nodes: GraphNode[];
  clusters: GraphCluster[];
  edges: GraphEdge[];
}

const id = (prefix: string, name: string) => `${prefix}_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;

function endpoint(s: VirtualService): string {
  if (s.fwmark !== undefined) return `fwmark ${s.fwmark}`;
  const vip = s.family === 6 ? `[${s.vip}]` : s.vip;
  return `${vip}:${s.port}/${s.protocol ?? 'tcp'}`;
}

/** The network (CIDR of the interface address) a host's address sits on, if its interfaces say. */
function networkOf(inv: Inventory, host: string | undefined, address: string): string | undefined {
  if (!host) return undefined;
  for (const list of Object.values(inv.hosts[host]?.interfaces ?? {})) {
    for (const c of list) {
      const p = parseCidr(c);
      if (p && p.address === address) return cidrNetwork(p);
    }
  }
  return undefined;
}

function netLine(inv: Inventory, host: string, address: string): string[] {
  const net = networkOf(inv, host, address);
  return net ? [`on ${net}`] : [];
}

function directorLines(inv: Inventory, name: string): { lines: string[]; backup: boolean } {
  const d = inv.directors;
  const h = inv.hosts[name];
  const lines = [name];
  for (const [ifname, list] of Object.entries(h?.interfaces ?? {}))
    lines.push(`${ifname} ${list.join(', ')}`);
  if (Object.keys(h?.interfaces ?? {}).length === 0 && h) lines.push(h.address);
  let backup = false;
  if (d.manager === 'keepalived' && d.vrrp) {
    const prio = d.vrrp.priority[name] ?? 0;
    const top = Math.max(...Object.values(d.vrrp.priority));
    backup = prio !== top;
    lines.push(`${backup ? 'BACKUP' : 'MASTER'} · priority ${prio}`);
  }
  if (d.nat_gateway)
    lines.push(`NAT gateway ${d.nat_gateway.address.split('/')[0]} (${d.nat_gateway.interface})`);
  if (d.firewall) {
    const m = d.firewall.masquerade ? `, masquerade ${d.firewall.masquerade.interface}` : '';
    lines.push(`firewall: ${d.firewall.policy}${m}`);
  }
  return { lines, backup };
}

function managerLabel(inv: Inventory): string {
  const d = inv.directors;
  const parts = [`directors · ${d.manager}`];
  if (d.vrrp) parts.push(`VRID ${d.vrrp.virtual_router_id}${d.vrrp.unicast ? ' unicast' : ''}`);
  if (d.sync_daemon) parts.push(`conn sync ${d.sync_daemon.interface}`);
  return parts.join(' · ');
}

function rsEdgeLabel(s: VirtualService, rs: RealServer): string {
  return `${s.name}: ${rs.forwarding.toUpperCase()} :${rs.port || '*'} w${rs.weight}`;
}

export function topologyGraph(inv: Inventory): TopologyGraph {
  const nodes: GraphNode[] = [];
  const clusters: GraphCluster[] = [];
  const edges: GraphEdge[] = [];
  const inCluster = (cid: string, label: string, node: string) => {
    let c = clusters.find((x) => x.id === cid);
    if (!c) {
      c = { id: cid, label, nodes: [] };
      clusters.push(c);
    }
    if (!c.nodes.includes(node)) c.nodes.push(node);
  };

  // The sender: verify's client host, else the clients of the world.
  const from = inv.verify?.from;
  const clientHost = from && from !== 'control' ? inv.hosts[from] : undefined;
  const client = 'client';
  nodes.push({
    id: client,
    kind: 'client',
    // Its network goes in the label, not a cluster: in DR it is the real servers' network too, and
    // sharing their cluster would pull the client to the right-hand side of the picture.
    lines: clientHost
      ? [
          `${clientHost.name} (verify client)`,
          clientHost.address,
          ...netLine(inv, clientHost.name, clientHost.address),
        ]
      : ['clients'],
  });

  // Services, grouped by VIP.
  for (const s of inv.services) {
    const sid = id('svc', s.name);
    const lines = [
      s.name,
      endpoint(s),
      `scheduler ${s.scheduler}${s.flags.length ? ` (${s.flags.join(', ')})` : ''}`,
    ];
    if (s.persistence) lines.push(`persistence ${s.persistence.timeout}s`);
    if (s.check)
      lines.push(`check ${s.check.type}${s.check.type.startsWith('http') ? ` ${s.check.path}` : ''}`);
    nodes.push({ id: sid, kind: 'service', lines });
    inCluster(id('vip', s.vip), `VIP ${s.vip}`, sid);
    edges.push({ from: client, to: sid });
  }

  // Directors.
  const dcluster = 'cluster_directors';
  for (const name of inv.directors.hosts) {
    const { lines, backup } = directorLines(inv, name);
    const did = id('dir', name);
    nodes.push({ id: did, kind: 'director', lines, dim: backup });
    inCluster(dcluster, managerLabel(inv), did);
  }
  const firstDirector = id('dir', inv.directors.hosts[0] ?? '');
  for (const s of inv.services) edges.push({ from: id('svc', s.name), to: dcluster });

  // Real servers, one node per address, grouped by their network.
  for (const s of inv.services) {
    for (const rs of s.real_servers) {
      const rid = id('rs', rs.host ?? rs.address);
      if (!nodes.some((n) => n.id === rid)) {
        const title = rs.host ? `${rs.host}` : `${rs.address} (not managed)`;
        nodes.push({ id: rid, kind: 'realserver', lines: rs.host ? [title, rs.address] : [title] });
        const net = networkOf(inv, rs.host, rs.address);
        inCluster(id('net', net ?? 'real_servers'), net ? `network ${net}` : 'real servers', rid);
      }
      const drained = rs.weight === 0;
      edges.push({
        from: firstDirector,
        fromCluster: dcluster,
        to: rid,
        label: `${rsEdgeLabel(s, rs)}${drained ? ' (drained)' : ''}`,
        dim: drained,
      });
    }
  }
  return { title: inv.name, nodes, clusters, edges };
}
