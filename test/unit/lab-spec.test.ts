// What a lab builds for an inventory: segments, control addresses, responders, names.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCidr } from '../../src/inventory/net.js';
import { LAB_HOST_SYSCTLS, labDownScript, labUpScript } from '../../src/lab/script.js';
import { freeAddress, labIdOf, labSpecFromInventory } from '../../src/lab/spec.js';
import { host, inventory, natLab, service } from '../lab/lab-inventory.js';

test('hosts sharing a subnet share a segment; the director joins both', () => {
  const spec = labSpecFromInventory(natLab('nat'));
  assert.equal(spec.segments.length, 2);
  const segOf = (h: string, i: string) =>
    spec.hosts.find((x) => x.name === h)?.interfaces.find((x) => x.name === i)?.segment;
  assert.equal(segOf('client', 'eth0'), segOf('lb', 'eth0'));
  assert.equal(segOf('lb', 'eth1'), segOf('web1', 'eth0'));
  assert.equal(segOf('web2', 'ens224'), segOf('web1', 'eth0'));
  assert.notEqual(segOf('lb', 'eth0'), segOf('lb', 'eth1'));
});

test('a host without interfaces gets its address on eth0 as a /24', () => {
  const web1 = labSpecFromInventory(natLab('nat')).hosts.find((h) => h.name === 'web1');
  assert.deepEqual(
    web1?.interfaces.map((i) => [i.name, i.cidrs]),
    [['eth0', ['10.10.0.11/24']]],
  );
});

test('the control leg takes the highest free address, skipping the NAT gateway and VIPs', () => {
  const spec = labSpecFromInventory(natLab('nat'));
  const cidrs = spec.control.flatMap((c) => c.cidrs).sort();
  // 10.10.0.254 is the nat_gateway; 198.51.100.254 is free.
  assert.deepEqual(cidrs, ['10.10.0.253/24', '198.51.100.254/24']);
  const inv = inventory('vip', [host('a', '192.0.2.1')], [service('s', '192.0.2.254', 80, [])]);
  assert.deepEqual(labSpecFromInventory(inv).control[0]?.cidrs, ['192.0.2.253/24']);
});

test('freeAddress scans downward within small subnets and gives up when full', () => {
  const net = parseCidr('192.168.100.0/29');
  assert.ok(net);
  assert.equal(freeAddress(net, new Set()), '192.168.100.6');
  const used = new Set(['1', '2', '3', '4', '5', '6'].map((n) => String(0xc0a86400n + BigInt(n))));
  assert.equal(freeAddress(net, used), undefined);
  const v6 = parseCidr('2001:db8::/64');
  assert.ok(v6);
  assert.equal(freeAddress(v6, new Set()), '2001:db8::ffff:ffff:ffff:ffff');
});

test('real servers get responders per protocol and port; DR/TUN ones answer on the VIP', () => {
  const spec = labSpecFromInventory(natLab('nat'));
  const r = (h: string) => spec.hosts.find((x) => x.name === h);
  assert.deepEqual(r('web1')?.responders, [
    { protocol: 'tcp', port: 80, family: 4, answersVip: false, vips: [] },
  ]);
  assert.deepEqual(r('web2')?.responders, [
    { protocol: 'tcp', port: 8080, family: 4, answersVip: false, vips: [] },
  ]);
  assert.deepEqual(r('dns1')?.responders, [
    { protocol: 'udp', port: 53, family: 4, answersVip: false, vips: [] },
  ]);
  assert.equal(r('lb')?.realServer, false);
  assert.deepEqual(r('lb')?.responders, []);
  const dr = inventory(
    'dr',
    [host('w', '10.0.0.5')],
    [service('s', '10.0.0.100', 80, [{ host: 'w', address: '10.0.0.5' }], 'dr')],
  );
  assert.equal(labSpecFromInventory(dr).hosts[0]?.responders[0]?.answersVip, true);
  assert.deepEqual(labSpecFromInventory(dr).hosts[0]?.responders[0]?.vips, ['10.0.0.100']);
});

test('names: lab id from the name (else the file), namespaces and links ≤ 15 chars', () => {
  const spec = labSpecFromInventory(natLab('nat'));
  assert.equal(spec.id, labIdOf('nat'));
  assert.match(spec.id, /^[0-9a-f]{5}$/);
  assert.equal(spec.switchNs, `lvs-${spec.id}-sw`);
  assert.equal(spec.controlNs, `lvs-${spec.id}-ctl`);
  assert.equal(spec.hosts[0]?.namespace, `lvs-${spec.id}-h-client`);
  const links = [
    ...spec.segments.map((s) => s.bridge),
    ...spec.hosts.flatMap((h) => h.interfaces.map((i) => i.switchPort)),
    ...spec.control.flatMap((c) => [c.name, c.switchPort]),
  ];
  for (const l of links) {
    assert.ok(l.length <= 15, l);
    assert.ok(l.startsWith(`lvs`) && l.includes(spec.id), l);
  }
  const unnamed = { ...natLab(''), file: '/srv/inv/my-lab.yaml' };
  assert.equal(labSpecFromInventory(unnamed).name, 'my-lab');
});

test('up script: one batch per namespace, hosts in parallel, uplinks replace control legs', () => {
  const spec = labSpecFromInventory(natLab('nat'));
  const up = labUpScript(spec, { stateDir: '/var/lib/lvs-deploy/lab/nat' });
  assert.match(up, /mount --make-shared \/run\/netns/);
  assert.equal(up.match(/ip -batch -/g)?.length, 1);
  assert.match(up, new RegExp(`netns add ${spec.controlNs}`));
  assert.ok(!/route[^\n]*default|default via/.test(up), 'no default route anywhere');
  assert.ok(!/ip_forward=1|forwarding=1/.test(up), 'the lab never turns forwarding on');
  const vm = labUpScript(spec, {
    stateDir: '/s',
    runDir: '/lvs-vm/run',
    uplinks: { s0: 'lvsu0', s1: 'lvsu1' },
  });
  assert.ok(!vm.includes(spec.controlNs), 'no control namespace when every segment has an uplink');
  assert.match(vm, /link set lvsu0 netns lvs-\w+-sw/);
  assert.match(vm, /link set lvsu1 master lvsb\w+ up/);
});

test('up script: every host namespace gets its sysctls set (ip_forward 0), not inherited, before its interfaces exist', () => {
  const spec = labSpecFromInventory(natLab('nat'));
  const up = labUpScript(spec, { stateDir: '/var/lib/lvs-deploy/lab/nat' });
  const line = up.split('\n').find((l) => l.includes('sysctl -q -e -w')) ?? '';
  for (const h of spec.hosts)
    assert.ok(line.includes(` ${h.namespace} `) || line.includes(` ${h.namespace};`), h.name);
  for (const [k, v] of Object.entries(LAB_HOST_SYSCTLS)) assert.ok(line.includes(`${k}=${v}`), k);
  assert.equal(LAB_HOST_SYSCTLS['net.ipv4.ip_forward'], '0');
  assert.ok(up.indexOf(line) < up.indexOf('type veth'), 'set before the veths are created');
  assert.ok(up.indexOf(line) > up.indexOf('netns add'), 'set after the namespaces exist');
});

test('scripts quote values and refuse names ip -batch could misread', () => {
  const down = labDownScript({ id: 'abcde' }, { stateDir: "/tmp/it's" });
  assert.match(down, /R='\/tmp\/it'\\''s'/);
  const bad = labSpecFromInventory(inventory('x', [host('a', '10.0.0.1', { 'eth0 x': ['10.0.0.1/24'] })]));
  assert.throws(() => labUpScript(bad, { stateDir: '/s' }), /unsafe interface/);
});
