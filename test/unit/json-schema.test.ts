// The inventory's JSON Schema (lvs-deploy schema, schema/inventory.schema.json) as an editor and an
// independent validator (ajv) read it: committed copy current, every key described, every example
// accepted, and every broken inventory whose fault a JSON Schema can express rejected.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import { parse } from 'yaml';
import { inventoryJsonSchema, undocumented } from '../../src/inventory/json-schema.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const COMMITTED = join(ROOT, 'schema/inventory.schema.json');
const SCHEMA_LINE = '# yaml-language-server: $schema=../schema/inventory.schema.json';

// ajv-formats is CommonJS with a default export; under ESM the plugin is the module itself.
const addFormats = addFormatsPlugin as unknown as (ajv: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ allErrors: true, strict: true, strictTypes: false }));
const validate = ajv.compile(inventoryJsonSchema());

function yamlFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir))
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => join(dir, f));
}

/**
 * Broken inventories a JSON Schema cannot reject, and why: the rule spans keys (lvs-deploy checks
 * it, the schema's description lists it), or lies outside the parsed data (YAML syntax, bytes,
 * YAML 1.2 number traps, the content of a secret). Every other bad fixture must fail in ajv.
 */
const BEYOND_JSON_SCHEMA: Record<string, string> = {
  '001-yaml-bad-indent': 'YAML syntax',
  '002-yaml-unclosed-flow-seq': 'YAML syntax',
  '003-yaml-unclosed-flow-map': 'YAML syntax',
  '004-yaml-tab-indent': 'YAML syntax',
  '005-yaml-duplicate-key': 'YAML syntax',
  '006-yaml-two-documents': 'YAML syntax',
  '007-yaml-unclosed-quote': 'YAML syntax',
  '012-billion-laughs': 'YAML alias expansion',
  '013-deep-nesting': 'YAML nesting depth',
  '019-leading-zero-port': 'YAML 1.2 reads 0080 as 80: a valid number once parsed',
  '094-non-utf8-latin1': 'file encoding',
  '037-unknown-director': 'cross-field: host reference',
  '038-unknown-real-server': 'cross-field: host reference',
  '039-unknown-priority-host': 'cross-field: host reference',
  '040-unknown-verify-from': 'cross-field: host reference',
  '041-unknown-jump-host': 'cross-field: host reference',
  '042-probe-unknown-service': 'cross-field: service reference',
  '043-prototype-name-as-host': 'cross-field: host reference',
  '045-dr-port-mismatch': 'cross-field: real server port vs service port',
  '046-tun-port-mismatch': 'cross-field: real server port vs service port',
  '047-duplicate-service': 'cross-field: uniqueness across services',
  '048-duplicate-service-ipv6-spelling': 'cross-field: uniqueness across services',
  '049-duplicate-fwmark': 'cross-field: uniqueness across services',
  '050-vip-is-host-address': 'cross-field: VIP vs host addresses',
  '051-director-is-real-server': 'cross-field: directors vs real servers',
  '052-nat-no-route-back': 'cross-field: routes between hosts',
  '053-vrrp-without-keepalived': 'cross-field: manager vs vrrp',
  '054-keepalived-without-vrrp': 'cross-field: manager vs vrrp',
  '055-duplicate-priority': 'cross-field: distinct priorities',
  '056-ipvsadm-two-directors': 'cross-field: manager vs number of directors',
  '057-duplicate-host-address': 'cross-field: uniqueness across hosts',
  '058-rs-address-not-the-hosts': 'cross-field: real server address vs host',
  '059-duplicate-real-server': 'cross-field: uniqueness across real servers',
  '060-ops-on-tcp': 'cross-field: ops vs protocol',
  '107-sip-engine-on-tcp': 'cross-field: persistence.engine vs protocol',
  '108-sip-engine-ldirectord': 'cross-field: persistence.engine vs manager',
  '109-sip-engine-fwmark': 'cross-field: persistence.engine vs fwmark',
  '110-sip-engine-without-ops': 'cross-field: persistence.engine vs ops',
  '111-udp-probe-on-sip-engine': 'cross-field: probe vs persistence.engine',
  '113-ipv6-vip-on-dr-real-server-nic': "cross-field: vip vs a real server host's interfaces",
  '114-ipv6-nat-two-directors': 'cross-field: VIP family and forwarding vs directors',
  '115-ipv6-vip-unicast-without-v6-address': 'cross-field: VIP family vs director interfaces',
  '061-fwmark-with-port': 'cross-field: fwmark vs port',
  '062-missing-secret-env': 'the environment at run time',
  '063-missing-secret-file': 'the file system at run time',
  '064-auth-pass-too-long': 'the content of a secret',
  '097-ipv6-vip-with-ipv4-nat-rs': 'cross-field: address families',
  '098-persistence-netmask-family': 'cross-field: address families',
  '099-vrrp-interface-missing-on-director': 'cross-field: interfaces of hosts',
  '100-ops-on-tcp': 'cross-field: ops vs protocol',
  '101-check-with-static-manager': 'cross-field: check vs manager',
};

test('schema/inventory.schema.json is what `lvs-deploy schema` prints (run npm run schema)', () => {
  const fresh = `${JSON.stringify(inventoryJsonSchema(), null, 2)}\n`;
  assert.equal(readFileSync(COMMITTED, 'utf8'), fresh, 'stale: run `npm run schema` and commit it');
});

test('every key of the schema carries a description and an example where it has a value', () => {
  inventoryJsonSchema();
  assert.deepEqual(undocumented, [], 'add these to src/inventory/descriptions.ts and docs/inventory.md');
  const schema = JSON.stringify(inventoryJsonSchema());
  assert.match(schema, /cross|across keys/i, 'the top description names the rules the schema cannot check');
});

test('every key the schema describes appears in docs/inventory.md', () => {
  const doc = readFileSync(join(ROOT, 'docs/inventory.md'), 'utf8');
  const keys = new Set<string>();
  const walk = (n: unknown): void => {
    if (n === null || typeof n !== 'object') return;
    const o = n as Record<string, unknown>;
    for (const [k, v] of Object.entries((o.properties as Record<string, unknown>) ?? {})) {
      keys.add(k);
      walk(v);
    }
    for (const v of Object.values(o)) if (typeof v === 'object') walk(v);
  };
  walk(inventoryJsonSchema());
  const missing = [...keys].filter(
    (k) => !doc.includes(`\`${k}\``) && !doc.includes(`.${k}\``) && !doc.includes(`{ ${k}: `),
  );
  assert.deepEqual(missing, []);
});

test('every example inventory starts with the yaml-language-server schema line and validates in ajv', () => {
  for (const rel of [...yamlFiles('inventories'), ...yamlFiles('test/fixtures/good')]) {
    const text = readFileSync(join(ROOT, rel), 'utf8');
    if (rel.startsWith('inventories/')) assert.equal(text.split('\n')[0], SCHEMA_LINE, rel);
    const ok = validate(parse(text, { merge: true }));
    assert.ok(ok, `${rel}: ${ajv.errorsText(validate.errors)}`);
  }
});

test('ajv rejects every broken inventory whose fault a JSON Schema can express, and only those pass', () => {
  const wrongly: string[] = [];
  for (const rel of yamlFiles('test/fixtures/bad')) {
    const name = rel.replace(/^.*\//, '').replace(/\.yaml$/, '');
    const beyond = BEYOND_JSON_SCHEMA[name];
    let data: unknown;
    try {
      data = parse(readFileSync(join(ROOT, rel), 'utf8'), { maxAliasCount: 100, merge: true });
    } catch {
      if (!beyond) wrongly.push(`${name}: YAML error, but not listed as beyond JSON Schema`);
      continue;
    }
    const accepted = validate(data);
    if (accepted && !beyond) wrongly.push(`${name}: accepted by ajv`);
    if (!accepted && beyond && !beyond.startsWith('YAML'))
      wrongly.push(
        `${name}: rejected by ajv (${ajv.errorsText(validate.errors)}), yet listed as "${beyond}"`,
      );
  }
  assert.deepEqual(wrongly, []);
});
