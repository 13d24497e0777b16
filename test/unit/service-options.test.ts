// The service-option table (src/model/service-options.ts) is the one place a service key is
// declared for ipvsadm, keepalived and ldirectord: what it writes must read back the same, and
// each manager's lines must be what that daemon's config grammar takes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatRules, parseRules, serviceKey } from '../../src/model/ipvs.js';
import { managerLines, SERVICE_OPTIONS } from '../../src/model/service-options.js';
import type { IpvsService } from '../../src/model/types.js';

const base: IpvsService = {
  key: serviceKey({ protocol: 'udp', vip: '192.168.88.190', port: 5060 }),
  protocol: 'udp',
  vip: '192.168.88.190',
  port: 5060,
  family: 4,
  scheduler: 'mh',
  flags: ['mh-fallback', 'mh-port'],
  persistence: { timeout: 60, netmask: '255.255.255.0' },
  ops: false,
  pe: 'sip',
  dests: [{ address: '192.168.88.150', port: 5060, forwarding: 'dr', weight: 1 }],
};

describe('service options', () => {
  test('every option written to a rules file parses back unchanged, in ipvsadm -S -n order', () => {
    const text = formatRules([base]);
    assert.equal(
      text.split('\n')[0],
      '-A -u 192.168.88.190:5060 -s mh -b mh-fallback,mh-port -p 60 -M 255.255.255.0 --pe sip',
    );
    assert.deepEqual(parseRules(text).services, [base]);
    const ops = { ...base, persistence: undefined, pe: undefined, ops: true, flags: [] };
    const { persistence: _p, pe: _e, ...opsOnly } = ops;
    assert.deepEqual(parseRules(formatRules([opsOnly])).services, [opsOnly]);
  });

  test('keepalived and ldirectord get each option in their own words', () => {
    assert.deepEqual(managerLines('keepalived', base), [
      'mh-fallback',
      'mh-port',
      'persistence_timeout 60',
      'persistence_granularity 255.255.255.0',
      'persistence_engine sip',
    ]);
    assert.deepEqual(managerLines('ldirectord', { ...base, pe: undefined, ops: true }), [
      'schedflags = mh-fallback,mh-port',
      'persistent = 60',
      'netmask = 255.255.255.0',
      'ops = yes',
    ]);
    assert.deepEqual(managerLines('ipvsadm', base), []);
  });

  test('every option has a distinct key', () => {
    const keys = SERVICE_OPTIONS.map((o) => o.key);
    assert.equal(new Set(keys).size, keys.length);
  });
});

describe('validate warns (exit 0) on mh without mh-fallback', () => {
  test('the warning names the scheduler line; with mh-fallback there is none', async () => {
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { loadInventory } = await import('../../src/inventory/load.js');
    const dir = mkdtempSync(join(tmpdir(), 'lvs-mh-'));
    try {
      const text = (flags: string) => `hosts:
  lb1: { address: 127.0.0.2, interfaces: { eth0: [127.0.0.2/8] } }
  web1: { address: 127.0.0.11 }
  web2: { address: 127.0.0.12 }
directors:
  hosts: [lb1]
services:
  - name: http
    vip: 127.0.0.100
    port: 80
    scheduler: mh
    flags: ${flags}
    real_servers: [ { host: web1 }, { host: web2 } ]
`;
      const file = join(dir, 'mh.yaml');
      const warned: string[] = [];
      writeFileSync(file, text('[mh-port]'));
      await loadInventory(file, { onWarning: (l) => warned.push(l) });
      assert.deepEqual(warned, [
        `${file}:11:16: services[0].scheduler: warning: mh without flags: [mh-fallback] keeps sending new connections to a real server of weight 0 (a drained or failed one); add mh-fallback`,
      ]);
      warned.length = 0;
      writeFileSync(file, text('[mh-port, mh-fallback]'));
      await loadInventory(file, { onWarning: (l) => warned.push(l) });
      assert.deepEqual(warned, []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
