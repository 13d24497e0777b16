// `lvs-deploy graph`: the picture says what the inventory says (VIPs, scheduler, VRRP roles, NAT
// gateway, firewall, forwarding, weights, networks), and the README's pictures are current.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { toDot } from '../../src/graph/dot.js';
import { toMermaid } from '../../src/graph/mermaid.js';
import { topologyGraph } from '../../src/graph/model.js';
import { seedPictures } from '../../src/graph/pictures.js';
import { loadInventory } from '../../src/inventory/load.js';
import { cli, ROOT } from '../helpers/cli.js';

process.env.LVS_VRRP_PASS ??= 'picture';
const inv = (name: string) => loadInventory(join(ROOT, 'inventories', `${name}.yaml`));

test('docs/pictures/*.svg are the current pictures of the seed examples (npm run pictures)', async () => {
  const pictures = await seedPictures(ROOT);
  assert.ok(pictures.length >= 7);
  for (const { name, svg } of pictures) {
    const committed = readFileSync(join(ROOT, 'docs/pictures', `${name}.svg`), 'utf8');
    assert.equal(committed, svg, `docs/pictures/${name}.svg is stale: run npm run pictures`);
    assert.ok(readFileSync(join(ROOT, 'README.md'), 'utf8').includes(`docs/pictures/${name}.svg`));
  }
});

test('seed 003: VIP, scheduler, MASTER/BACKUP, NAT gateway, firewall, NAT edges to the web servers', async () => {
  const dot = toDot(topologyGraph(await inv('seed-003-nat-keepalived')));
  assert.match(dot, /label="VIP 203\.0\.113\.3"/);
  assert.match(dot, /http\\n203\.0\.113\.3:80\/tcp\\nscheduler rr\\ncheck http \//);
  assert.match(
    dot,
    /dir_load1 \[label="load1\\n[^"]*MASTER · priority 150\\nNAT gateway 192\.168\.20\.254 \(eth1\)\\nfirewall: drop, masquerade eth0"/,
  );
  assert.match(dot, /dir_load2 \[[^\n]*BACKUP · priority 100[^\n]*style="dashed,filled"/);
  assert.match(dot, /label="directors · keepalived · VRID 53 unicast"/);
  assert.match(dot, /label="network 192\.168\.20\.0\/24"/);
  for (const rs of ['web1', 'web2'])
    assert.match(
      dot,
      new RegExp(`dir_load1 -> rs_${rs} \\[ltail=cluster_directors, label="http: NAT :80 w1"\\]`),
    );
  assert.match(dot, /client -> svc_http;/);
});

test('a drained real server and a real server given by address are drawn as such', async () => {
  const g = topologyGraph(await loadInventory(join(ROOT, 'test/fixtures/good/drained-weight-zero.yaml')));
  assert.ok(g.edges.some((e) => e.dim && /w0 \(drained\)$/.test(e.label ?? '')));
  const byAddr = topologyGraph(
    await loadInventory(join(ROOT, 'test/fixtures/good/real-server-by-address.yaml')),
  );
  assert.ok(byAddr.nodes.some((n) => n.kind === 'realserver' && /\(not managed\)$/.test(n.lines[0] ?? '')));
});

test('mermaid: one subgraph per VIP, directors and network; every edge of the graph', async () => {
  const g = topologyGraph(await inv('seed-002-dr-keepalived'));
  const m = toMermaid(g);
  assert.match(m, /^flowchart LR\n/);
  assert.match(m, /subgraph vip_192_168_100_9\["VIP 192\.168\.100\.9"\]/);
  assert.match(m, /cluster_directors -->\|"https: DR :443 w1"\| rs_web2/);
  assert.equal(m.split('\n').filter((l) => l.includes('-->')).length, g.edges.length);
});

test('lvs-deploy graph prints DOT, Mermaid and SVG, and writes -o FILE', async () => {
  const file = join(ROOT, 'inventories/seed-004-wikipedia-nat.yaml');
  const dot = await cli(['graph', file, '--format', 'dot']);
  assert.equal(dot.code, 0, dot.stderr);
  assert.match(dot.stdout, /^digraph "seed-004-wikipedia-nat" \{/);
  const svg = await cli(['graph', file]);
  assert.equal(svg.code, 0, svg.stderr);
  assert.match(svg.stdout, /<svg[^>]*>[\s\S]*director[\s\S]*<\/svg>/);
  const bad = await cli(['graph', file, '--format', 'png']);
  assert.equal(bad.code, 2);
});
