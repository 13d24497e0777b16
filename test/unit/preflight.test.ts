// preflight's VRRP clash judgement: adverts heard on a director's interface (the listener's
// output, as it printed it on a veth pair with a foreign keepalived) against our instances.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseListen } from '../../src/preflight/listen.js';
import { authHexOf, judgeAdverts, type VrrpInstanceId } from '../../src/preflight/run.js';

const HEARD = `listening ens224
vrrp 192.168.100.10 192.168.100.11 2 51 200 1 192.168.100.9 766d2d7465737431
vrrp 192.168.100.30 224.0.0.18 2 51 50 1 192.0.2.77 7365637265743132
vrrp 192.168.100.40 224.0.0.18 3 52 100 0 192.0.2.88 -
done
`;
const ours = new Set(['192.168.100.10', '192.168.100.11']);
const vi1: VrrpInstanceId = { interface: 'ens224', vrid: 51, addresses: ['192.168.100.9'] };

describe('preflight: VRRP clashes', () => {
  test('parses every advert heard', () => {
    const l = parseListen(HEARD);
    assert.equal(l.problem, undefined);
    assert.equal(l.adverts.length, 3);
    assert.deepEqual(l.adverts[1], {
      source: '192.168.100.30',
      destination: '224.0.0.18',
      version: 2,
      vrid: 51,
      priority: 50,
      authType: 1,
      addresses: ['192.0.2.77'],
      authHex: '7365637265743132',
    });
  });
  test('a foreign router on our VRID is named with its priority, VIPs and authentication', () => {
    const checks = judgeAdverts('lb2', vi1, parseListen(HEARD).adverts, ours, authHexOf('vm-test1'));
    assert.equal(checks.length, 1, 'our own directors and other VRIDs are not clashes');
    const c = checks[0];
    assert.ok(c && !c.ok);
    assert.match(
      c.detail,
      /^192\.168\.100\.30 also advertises virtual_router_id 51 on ens224: VRRPv2, priority 50/,
    );
    assert.match(c.detail, /VIPs 192\.0\.2\.77 \(ours: 192\.168\.100\.9\)/);
    assert.match(c.detail, /a different password/);
    assert.doesNotMatch(c.detail, /secret12|vm-test1/, 'no password is printed');
  });
  test('nothing foreign: one passing check per instance', () => {
    const checks = judgeAdverts('lb2', { ...vi1, vrid: 60 }, parseListen(HEARD).adverts, ours, undefined);
    assert.deepEqual(
      checks.map((c) => c.ok),
      [true],
    );
  });
  test('keepalived pads the password to 8 bytes', () => {
    assert.equal(authHexOf('ab'), '6162000000000000');
    assert.equal(authHexOf('123456789'), '3132333435363738');
  });
  test('a listener that could not start is a problem, not silence', () => {
    assert.equal(
      parseListen('raw socket: Operation not permitted\n').problem,
      'raw socket: Operation not permitted',
    );
    assert.equal(parseListen('missing perl\n').problem, 'missing perl');
  });
});
