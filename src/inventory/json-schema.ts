// The inventory's JSON Schema for editors (yaml-language-server: completion, hover, typos), generated
// from the zod schema so the two cannot disagree, with every key described from descriptions.ts.
import { z } from 'zod';
import { FIELD_DOCS } from './descriptions.js';
import { inventorySchema } from './schema.js';

const TOP = `An lvs-deploy inventory: one YAML file describing a whole LVS/IPVS topology (hosts, directors, virtual services, real servers, verify probes). Reference: docs/inventory.md.

This schema checks each key's type, allowed values, ranges and unknown keys. Rules across keys are checked by \`lvs-deploy validate\` only: host references exist; a host is not both director and real server of a service; DR/TUN real servers listen on the service port; NAT real servers have a route back (nat_gateway or a director on their subnet); VIPs are free and services unique; vrrp is present exactly when manager is keepalived, with distinct priorities; ipvsadm and ldirectord have one director; ops only on UDP; scheduler flags match their scheduler; check needs keepalived or ldirectord, misc checks need misc_path; secrets resolve.`;

type Json = Record<string, unknown>;

/** Host ssh overrides take the same words as the top-level ssh keys. */
function docFor(path: string): { text: string; example?: unknown } | undefined {
  return FIELD_DOCS[path] ?? FIELD_DOCS[path.replace(/^hosts\.\*\.ssh\./, 'ssh.')];
}

/** Paths of the schema's keys that have no description (a unit test keeps this empty). */
export const undocumented: string[] = [];

function describe(node: unknown, path: string): void {
  if (node === null || typeof node !== 'object') return;
  const n = node as Json;
  const join = (key: string) => (path === '' ? key : `${path}.${key}`);
  if (n.properties && typeof n.properties === 'object') {
    for (const [key, child] of Object.entries(n.properties as Json)) {
      const p = join(key);
      const doc = docFor(p);
      if (doc) {
        (child as Json).description = doc.text;
        if (doc.example !== undefined) (child as Json).examples = [doc.example];
      } else undocumented.push(p);
      describe(child, p);
    }
  }
  if (n.items) {
    const doc = docFor(`${path}[]`);
    if (doc && typeof n.items === 'object') (n.items as Json).description ??= doc.text;
    describe(n.items, `${path}[]`);
  }
  if (n.additionalProperties && typeof n.additionalProperties === 'object') {
    const doc = docFor(`${path}.*`);
    if (doc) (n.additionalProperties as Json).description ??= doc.text;
    describe(n.additionalProperties, `${path}.*`);
  }
  for (const alt of (n.anyOf as unknown[] | undefined) ?? []) describe(alt, path);
}

/** The JSON Schema of an inventory file, as `lvs-deploy schema` prints it: draft-07, what yaml-language-server reads best. */
export function inventoryJsonSchema(): Json {
  const generated = z.toJSONSchema(inventorySchema, {
    io: 'input',
    target: 'draft-7',
    unrepresentable: 'any',
  }) as Json;
  undocumented.length = 0;
  describe(generated, '');
  // groups.NAME is read through a preprocess (a list is the short form of { hosts }), which the
  // generator cannot see: offer editors both forms.
  const groups = (generated.properties as Record<string, Json> | undefined)?.groups as Json | undefined;
  const long = groups?.additionalProperties as Json | undefined;
  const hostsList = (long?.properties as Record<string, Json> | undefined)?.hosts;
  if (groups && long && hostsList) {
    const { description: _d, examples: _e, ...list } = hostsList;
    groups.additionalProperties = { anyOf: [list, long] };
  }
  const { $schema, ...rest } = generated;
  return { $schema, title: 'lvs-deploy inventory', description: TOP, ...rest };
}
