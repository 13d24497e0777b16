import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { verifyJson } from '../../src/cli/commands/verify.js';
import type { Inventory, VirtualService } from '../../src/inventory/types.js';
import { judgeTraffic } from '../../src/verify/checks.js';
import { type ProbeSpec, parseProbeOutput } from '../../src/verify/probes.js';

function service(over: Partial<VirtualService> = {}): VirtualService {
  return {
    name: 'http',
    vip: '192.0.2.9',
    family: 4,
    protocol: 'tcp',
    port: 80,
    scheduler: 'rr',
    flags: [],
    ops: false,
    forwarding: 'dr',
    real_servers: [
      { host: 'web1', address: '192.0.2.20', port: 80, weight: 1, forwarding: 'dr' },
      { host: 'web2', address: '192.0.2.21', port: 80, weight: 1, forwarding: 'dr' },
    ],
    ...over,
  };
}
const inv = {} as Inventory;
const spec = (s: VirtualService, requests = 4): ProbeSpec => ({
  service: s,
  probe: { service: s.name, url: 'http://192.0.2.9/', tcp: false, udp: false, sip: false, requests },
});
const judge = (s: VirtualService, out: string, macs = new Map<string, string>()) => {
  const [o] = parseProbeOutput(out, [spec(s)]);
  assert.ok(o);
  return judgeTraffic(inv, o, macs);
};

describe('verify judges traffic against the scheduler', () => {
  test('round robin without persistence: every real server must answer', () => {
    assert.equal(
      judge(service(), '==>probe 0 192.0.2.9\nok web1\nok web2\nok web1\nok web2\n==>probe end\n').ok,
      true,
    );
    const v = judge(service(), '==>probe 0 192.0.2.9\nok web1\nok web1\nok web1\nok web1\n');
    assert.equal(v.ok, false);
    assert.deepEqual(
      v.rows.map((r) => [r.answered, r.ok]),
      [
        [4, true],
        [0, false],
      ],
    );
  });

  test('with persistence one client sticks to one real server, and two answering is a failure', () => {
    const sticky = service({ persistence: { timeout: 600 } });
    assert.equal(judge(sticky, '==>probe 0 x\nok web2\nok web2\nok web2\nok web2\n').ok, true);
    const broken = judge(sticky, '==>probe 0 x\nok web2\nok web1\nok web2\nok web2\n');
    assert.equal(broken.ok, false);
    assert.match(broken.notes.join(' '), /persistence broken/);
  });

  test('a drained (weight 0) real server must not answer', () => {
    const s = service();
    const second = s.real_servers[1];
    assert.ok(second);
    second.weight = 0;
    assert.equal(judge(s, '==>probe 0 x\nok web1\nok web1\nok web1\nok web1\n').ok, true);
    assert.equal(judge(s, '==>probe 0 x\nok web1\nok web2\nok web1\nok web1\n').ok, false);
  });

  test('failed requests fail the service and say why', () => {
    const v = judge(service(), '==>probe 0 x\nok web1\nfail curl-7\nok web2\nok web1\n');
    assert.equal(v.ok, false);
    assert.equal(v.failed, 1);
    assert.match(v.notes.join(' '), /1 of 4 request\(s\) failed \(curl-7\)/);
  });

  test('two MACs answering ARP for a DR VIP is flagged with the fix', () => {
    const v = judge(
      service(),
      '==>probe 0 x\nok web1\nok web2\nok web1\nok web2\narp 02:00:00:00:00:01 02:00:00:00:00:02\n',
      new Map([['02:00:00:00:00:02', 'web2']]),
    );
    assert.equal(v.ok, false);
    assert.match(v.notes.join(' '), /answered by 2 MACs \(02:00:00:00:00:01, web2\).*arp_ignore=1/);
  });
});

describe('verify --json rows carry fields, not only display strings', () => {
  test('each row names host, address, port, weight, answered and the expected range', () => {
    const v = judge(
      service({
        real_servers: [
          { host: 'web1', address: '192.0.2.20', port: 80, weight: 1, forwarding: 'dr' },
          { address: '192.0.2.21', port: 8080, weight: 0, forwarding: 'dr' },
        ],
      }),
      '==>probe 0 192.0.2.9\nok web1\nok web1\nok web1\nok web1\n',
    );
    const doc = JSON.parse(JSON.stringify(verifyJson({ checks: [], services: [v], ok: v.ok })));
    assert.equal(doc.version, 1);
    assert.equal(doc.command, 'verify');
    assert.deepEqual(doc.services[0].rows, [
      {
        server: 'web1 (192.0.2.20:80)',
        host: 'web1',
        address: '192.0.2.20',
        port: 80,
        weight: 1,
        answered: 4,
        expected: 'at least 1',
        expectation: 'at-least-one',
        expected_min: 1,
        expected_max: null,
        ok: true,
      },
      {
        server: '192.0.2.21 (192.0.2.21:8080)',
        host: null,
        address: '192.0.2.21',
        port: 8080,
        weight: 0,
        answered: 0,
        expected: 'none (weight 0, drained)',
        expectation: 'none',
        expected_min: 0,
        expected_max: 0,
        ok: true,
      },
    ]);
  });
});
