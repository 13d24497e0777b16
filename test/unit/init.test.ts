// `lvs-deploy init` writes an inventory that validates as written, for every forwarding method and
// every manager, and never asks questions when stdin is not a terminal.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Ajv } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import { parse } from 'yaml';
import { inventoryJsonSchema } from '../../src/inventory/json-schema.js';
import { loadInventory } from '../../src/inventory/load.js';
import { type Manager, type Mode, starterInventory, starterProblem } from '../../src/inventory/starter.js';
import { cli } from '../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'lvs-init-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const addFormats = addFormatsPlugin as unknown as (ajv: Ajv) => Ajv;
const validate = addFormats(new Ajv({ strict: false })).compile(inventoryJsonSchema());

const MODES: Mode[] = ['nat', 'dr', 'tun'];
const MANAGERS: Manager[] = ['ipvsadm', 'keepalived', 'ldirectord'];
const SHAPES = [
  { directors: 1, realServers: 2, port: 80, vip: '10.100.0.10' },
  { directors: 3, realServers: 5, port: 53, vip: '172.16.4.200' },
];

for (const mode of MODES) {
  for (const manager of MANAGERS) {
    test(`init --mode ${mode} --manager ${manager} validates as written (lvs-deploy and ajv)`, async () => {
      for (const shape of SHAPES) {
        const o = { ...shape, mode, manager, directors: manager === 'keepalived' ? shape.directors + 1 : 1 };
        assert.equal(starterProblem(o), undefined);
        const text = starterInventory({ ...o, name: `init-${mode}-${manager}`, schema: 'x.json' });
        const file = join(tmp, `${mode}-${manager}-${shape.port}.yaml`);
        writeFileSync(file, text);
        const inv = await loadInventory(file);
        assert.equal(inv.directors.manager, manager);
        assert.equal(inv.directors.hosts.length, o.directors);
        assert.equal(inv.services[0]?.real_servers.length, shape.realServers);
        assert.ok(inv.services[0]?.real_servers.every((r) => r.forwarding === mode));
        assert.equal(inv.services[0]?.vip, shape.vip);
        assert.ok(validate(parse(text)), JSON.stringify(validate.errors));
        assert.ok(inv.verify?.probes.length === 1, 'verify has a probe through the VIP');
      }
    });
  }
}

test('impossible combinations are refused with the fix', () => {
  const base = { mode: 'dr' as Mode, manager: 'ipvsadm' as Manager, directors: 1, realServers: 2, port: 80 };
  assert.match(starterProblem({ ...base, directors: 2, vip: '10.100.0.10' }) ?? '', /keepalived/);
  assert.match(starterProblem({ ...base, vip: '10.100.0.5' }) ?? '', /\.10 or \.51-\.254/);
  assert.match(starterProblem({ ...base, vip: '2001:db8::1' }) ?? '', /IPv4/);
});

test('init without options and without a terminal asks nothing and prints a valid inventory', async () => {
  const r = await cli(['init']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '', 'no question was asked');
  assert.match(r.stdout, /^# yaml-language-server: \$schema=\S+inventory\.schema\.json\n/);
  const file = join(tmp, 'stdout.yaml');
  writeFileSync(file, r.stdout);
  assert.equal((await loadInventory(file)).directors.manager, 'ipvsadm');
});

test('init -o writes the file, points $schema at the shipped schema, and never overwrites', async () => {
  const out = join(tmp, 'written.yaml');
  const r = await cli(['init', '--mode', 'nat', '--manager', 'keepalived', '-o', out]);
  assert.equal(r.code, 0, r.stderr);
  const schemaPath = /\$schema=(\S+)/.exec(readFileSync(out, 'utf8'))?.[1] ?? '';
  assert.ok(
    JSON.parse(readFileSync(schemaPath.startsWith('/') ? schemaPath : join(tmp, schemaPath), 'utf8')),
  );
  const again = await cli(['init', '-o', out]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /exists; init never overwrites/);
});
