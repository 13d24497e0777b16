import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { schedulerBridge } from '../../src/executor/steps.js';
import { formatRules, parseRules, serviceArgs, serviceKey } from '../../src/model/ipvs.js';
import type { IpvsService } from '../../src/model/types.js';

const seed001: IpvsService = {
  key: serviceKey({ protocol: 'tcp', vip: '200.0.0.10', port: 80 }),
  protocol: 'tcp',
  vip: '200.0.0.10',
  port: 80,
  family: 4,
  scheduler: 'wlc',
  flags: [],
  ops: false,
  persistence: { timeout: 600 },
  dests: [{ address: '192.168.3.2', port: 80, forwarding: 'nat', weight: 100 }],
};

describe('ipvsadm rules (-S -n form)', () => {
  test("seed 001's table renders exactly as ipvsadm -S -n prints it", () => {
    assert.equal(
      formatRules([seed001]),
      '-A -t 200.0.0.10:80 -s wlc -p 600\n-a -t 200.0.0.10:80 -r 192.168.3.2:80 -m -w 100\n',
    );
  });

  test('what ipvsadm -S -n prints parses back to the same table', () => {
    const text = '-A -t 200.0.0.10:80 -s wlc -p 600\n-a -t 200.0.0.10:80 -r 192.168.3.2:80 -m -w 100\n';
    const { services, unparsed } = parseRules(text);
    assert.deepEqual(unparsed, []);
    assert.deepEqual(services, [seed001]);
    assert.equal(formatRules(services), text);
  });

  test('UDP, IPv6, fwmark, flags, netmask and one-packet scheduling round-trip', () => {
    const text = [
      '-A -u 192.168.88.190:5060 -s sh -b sh-port -p 300 -M 255.255.255.0 -o',
      '-a -u 192.168.88.190:5060 -r 192.168.88.150:5060 -g -w 1',
      '-A -t [2001:db8::10]:80 -s rr',
      '-a -t [2001:db8::10]:80 -r [2001:db8::20]:80 -g -w 0',
      '-A -f 7 -s wlc -p 600',
      '-a -f 7 -r 10.0.1.11:0 -i -w 2',
    ].join('\n');
    const { services } = parseRules(text);
    assert.equal(services.length, 3);
    const udp = services.find((s) => s.protocol === 'udp');
    assert.equal(udp?.ops, true);
    assert.deepEqual(udp?.flags, ['sh-port']);
    assert.equal(udp?.persistence?.netmask, '255.255.255.0');
    const v6 = services.find((s) => s.family === 6);
    assert.equal(v6?.dests[0]?.address, '2001:db8::20');
    assert.equal(v6?.dests[0]?.weight, 0);
    const fw = services.find((s) => s.fwmark === 7);
    assert.equal(fw?.dests[0]?.forwarding, 'tun');
    assert.deepEqual(
      parseRules(formatRules(services)).services,
      parseRules(formatRules(parseRules(formatRules(services)).services)).services,
    );
  });

  test('lines it does not understand are reported, not dropped silently', () => {
    assert.deepEqual(parseRules('-A -t 1.2.3.4:80 -s rr\n--start-daemon master\n').unparsed, [
      '--start-daemon master',
    ]);
  });
});

describe('scheduler change without refusing a connection', () => {
  const plain: IpvsService = { ...seed001, persistence: undefined, scheduler: 'rr' };
  const lines = (list: IpvsService[]) => list.map((s) => serviceArgs(s, '-E').join(' '));

  test('a non-persistent service is bridged through 1 s persistence, then restored', () => {
    assert.deepEqual(lines(schedulerBridge(plain, { ...plain, scheduler: 'wrr' })), [
      '-E -t 200.0.0.10:80 -s rr -p 1',
      '-E -t 200.0.0.10:80 -s wrr -p 1',
      '-E -t 200.0.0.10:80 -s wrr',
    ]);
  });

  test('a service that becomes persistent keeps its own timeout as the last edit', () => {
    assert.deepEqual(
      lines(schedulerBridge(plain, { ...plain, scheduler: 'wlc', persistence: { timeout: 600 } })),
      ['-E -t 200.0.0.10:80 -s rr -p 1', '-E -t 200.0.0.10:80 -s wlc -p 600'],
    );
  });

  test('an already persistent service, or a change that keeps the scheduler, is one edit', () => {
    assert.deepEqual(lines(schedulerBridge(seed001, { ...seed001, scheduler: 'rr' })), [
      '-E -t 200.0.0.10:80 -s rr -p 600',
    ]);
    assert.deepEqual(lines(schedulerBridge(plain, { ...plain, flags: ['sh-port'] })), [
      '-E -t 200.0.0.10:80 -s rr -b sh-port',
    ]);
  });
});
