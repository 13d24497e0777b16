// "did you mean": the closest allowed key for a typo, a wrong case or a word from keepalived.conf;
// nothing when no key is near; the allowed keys read from the schema itself.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inventorySchema } from '../../src/inventory/schema.js';
import { closest, keysOf, schemaAt, unknownKeyMessage } from '../../src/inventory/suggest.js';

const SERVICE = ['name', 'vip', 'protocol', 'port', 'fwmark', 'scheduler', 'flags', 'ops', 'forwarding'];

test('a typo, a transposition or a wrong case finds the key', () => {
  assert.equal(closest('schedular', SERVICE), 'scheduler');
  assert.equal(closest('fowrarding', SERVICE), 'forwarding');
  assert.equal(closest('VIP', SERVICE), 'vip');
  assert.equal(closest('prot', SERVICE), 'port');
});

test('keepalived.conf and ipvsadm words map to the inventory key', () => {
  assert.equal(closest('lb_algo', SERVICE), 'scheduler');
  assert.equal(closest('lb_kind', SERVICE), 'forwarding');
});

test('a word near no key gets no guess, and prototype names are plain words', () => {
  assert.equal(closest('zzz', SERVICE), undefined);
  assert.equal(closest('real', SERVICE), undefined);
  assert.equal(closest('constructor', SERVICE), undefined);
  assert.equal(closest('__proto__', SERVICE), undefined);
});

test('the allowed keys come from the schema, through lists and mappings of names', () => {
  assert.deepEqual(keysOf(schemaAt(inventorySchema, ['hosts', 'web1'])), [
    'address',
    'interfaces',
    'ssh',
    'sysctls',
    'vars',
    'lab',
  ]);
  assert.deepEqual(keysOf(schemaAt(inventorySchema, ['services', 3, 'persistence'])), [
    'timeout',
    'netmask',
    'engine',
  ]);
  assert.equal(
    unknownKeyMessage(inventorySchema, ['directors', 'nat_gateway'], 'adress'),
    'unknown key; did you mean "address"? (allowed: address, interface)',
  );
});
