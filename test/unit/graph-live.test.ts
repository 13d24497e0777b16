// `graph --live`: what status read (VRRP state, held VIPs, health, drains, alarms) colours the
// inventory's picture; the SVG still lays out.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { toDot } from '../../src/graph/dot.js';
import { withLiveState } from '../../src/graph/live.js';
import { toMermaid } from '../../src/graph/mermaid.js';
import { topologyGraph } from '../../src/graph/model.js';
import { dotToSvg } from '../../src/graph/svg.js';
import { loadInventory } from '../../src/inventory/load.js';
import type { RealServerStatus, StatusReport } from '../../src/status/types.js';
import { ROOT } from '../helpers/cli.js';

process.env.LVS_VRRP_PASS ??= 'picture';

const rs = (name: string, extra: Partial<RealServerStatus>): RealServerStatus => ({
  real_server: name,
  address: '192.168.100.20',
  port: 80,
  inventory_weight: 1,
  weight: 1,
  active_conns: 0,
  inactive_conns: 0,
  conns_per_second: 0,
  in_bytes_per_second: 0,
  out_bytes_per_second: 0,
  health: 'up',
  drained: null,
  ...extra,
});

/** Seed 002 after the priorities were overturned: lb2 MASTER, lb1 BACKUP; web1 drained, web2 removed on lb2. */
const report: StatusReport = {
  version: 1,
  inventory: 'seed-002-dr-keepalived.yaml',
  time: '2026-11-30T05:00:00.000Z',
  directors: [
    {
      director: 'lb1',
      reachable: true,
      ipvs: 'ok',
      daemon: { name: 'keepalived', running: true },
      sync_daemons: [],
      round_trip_ms: 40,
    },
    {
      director: 'lb2',
      reachable: true,
      ipvs: 'ok',
      daemon: { name: 'keepalived', running: true },
      sync_daemons: [],
      round_trip_ms: 41,
    },
  ],
  instances: [
    {
      instance: 'VI_1',
      director: 'lb1',
      state: 'BACKUP',
      priority: 200,
      tracked: false,
      held: [],
      vips: ['192.168.100.9'],
      since: null,
    },
    {
      instance: 'VI_1',
      director: 'lb2',
      state: 'MASTER',
      priority: 100,
      tracked: false,
      held: ['192.168.100.9'],
      vips: ['192.168.100.9'],
      since: null,
    },
  ],
  services: [
    {
      service: 'http',
      key: '-t 192.168.100.9:80',
      vip: '192.168.100.9',
      directors: [
        {
          director: 'lb2',
          present: true,
          real_servers: [
            rs('web1', { weight: 0, drained: { since: '2026-11-30T04:00:00Z', by: 'a@b' } }),
            rs('web2', { health: 'removed', weight: null }),
          ],
        },
      ],
    },
  ],
  drains: [],
  alarms: [{ kind: 'drift', message: 'web2 is missing from lb2' }],
  notes: [],
  ok: false,
};

test('graph --live: live VRRP roles replace the priorities; drained is orange, removed is red; alarms in the title', async () => {
  const inv = await loadInventory(join(ROOT, 'inventories', 'seed-002-dr-keepalived.yaml'));
  const g = withLiveState(topologyGraph(inv), report, inv.directors.hosts);
  const dot = toDot(g);
  assert.match(
    dot,
    /dir_lb2 \[label="lb2\\n[^"]*live: VI_1 MASTER holds 192\.168\.100\.9"[^\n]*penwidth=2\]/,
  );
  assert.match(dot, /dir_lb1 \[label="lb1\\n[^"]*live: VI_1 BACKUP"[^\n]*style="dashed,filled"/);
  assert.doesNotMatch(dot, /dir_lb2 \[[^\n]*dashed/, 'the live MASTER is not drawn as a BACKUP');
  assert.match(dot, /rs_web1 \[[^\n]*live: drained \(http\) since 2026-11-30T04:00:00Z[^\n]*#c77700/);
  assert.match(dot, /rs_web2 \[[^\n]*live: removed on lb2 \(http\)[^\n]*#c62828/);
  assert.match(dot, /live 2026-11-30T05:00:00\.000Z: web2 is missing from lb2/);
  const mermaid = toMermaid(g);
  assert.match(mermaid, /class rs_web1 warn/);
  assert.match(mermaid, /class rs_web2 bad/);
  assert.match(await dotToSvg(dot), /<svg[\s\S]*live: VI_1 MASTER/);
});

test('graph --live: an unreachable director is red and says so', async () => {
  const inv = await loadInventory(join(ROOT, 'inventories', 'seed-002-dr-keepalived.yaml'));
  const down: StatusReport = {
    ...report,
    directors: [
      {
        ...report.directors[0],
        director: 'lb1',
        reachable: false,
        error: 'timeout',
      } as StatusReport['directors'][number],
    ],
    instances: [],
  };
  const dot = toDot(withLiveState(topologyGraph(inv), down, inv.directors.hosts));
  assert.match(dot, /dir_lb1 \[label="lb1\\n[^"]*live: unreachable"[^\n]*#c62828/);
  assert.match(
    dot,
    /dir_lb2 \[label="lb2\\n[^"]*live: unreachable"/,
    'a director status could not read is unreachable',
  );
});
