// Help for a mistyped key: the keys a mapping accepts (read from the zod schema itself, so the list
// can never drift from what is accepted) and the closest one to what was written.
import type { z } from 'zod';
import type { PathKey } from './locate.js';

/** The parts of a zod 4 definition this walk reads; every other kind ends the walk. */
interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  valueType?: z.ZodType;
  innerType?: z.ZodType;
  in?: z.ZodType;
}

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** Through optional/default/nullable/pipe wrappers to the shape that says what a value must be. */
function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (let i = 0; i < 10; i++) {
    const d = defOf(s);
    const inner = d.innerType ?? (d.type === 'pipe' ? d.in : undefined);
    if (!inner) return s;
    s = inner;
  }
  return s;
}

/** The schema of the value at `path`, or undefined when the path leaves the schema. */
export function schemaAt(root: z.ZodType, path: readonly PathKey[]): z.ZodType | undefined {
  let s: z.ZodType | undefined = unwrap(root);
  for (const key of path) {
    if (!s) return undefined;
    const d = defOf(s);
    if (d.type === 'object') s = d.shape?.[String(key)];
    else if (d.type === 'array') s = d.element;
    else if (d.type === 'record') s = d.valueType;
    else return undefined;
    if (s) s = unwrap(s);
  }
  return s;
}

/** The keys a fixed mapping accepts, in the schema's order; [] for anything else. */
export function keysOf(schema: z.ZodType | undefined): string[] {
  if (!schema) return [];
  const d = defOf(unwrap(schema));
  return d.type === 'object' ? Object.keys(d.shape ?? {}) : [];
}

/** What a mapping at `path` should hold, for "expected a mapping" messages. */
function mappingHint(root: z.ZodType, path: readonly PathKey[]): string {
  const s = schemaAt(root, path);
  if (!s) return '';
  const d = defOf(s);
  if (d.type === 'object') return ` with keys ${keysOf(s).join(', ')}`;
  if (d.type === 'record') {
    const inner = keysOf(d.valueType);
    return inner.length > 0 ? ` of names to { ${inner.join(', ')} }` : ' of names to values';
  }
  return '';
}

/** "expected a mapping" grows the keys that mapping holds, so the fix needs no reference page. */
export function withMappingKeys(root: z.ZodType, path: readonly PathKey[], message: string): string {
  return message.replace(/^(required \()?expected a mapping/, (m) => `${m}${mappingHint(root, path)}`);
}

/** Edit distance counting a swap of two neighbours as one edit (optimal string alignment). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number): number => d[i]?.[j] ?? 0;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, at(i - 2, j - 2) + 1);
      const row = d[i];
      if (row) row[j] = best;
    }
  }
  return at(a.length, b.length);
}

/**
 * Words users bring from keepalived.conf, ipvsadm and other tools, mapped to this inventory's key
 * for the same thing (used only when that key is allowed where the word was written).
 */
const ALIASES = new Map<string, readonly string[]>(
  Object.entries({
    lb_algo: ['scheduler'],
    lb_kind: ['forwarding'],
    algorithm: ['scheduler'],
    ip: ['address', 'vip'],
    addr: ['address'],
    username: ['user'],
    count: ['requests'],
    state: ['priority'],
    timeout: ['connect_timeout'],
    persistence_timeout: ['persistence'],
    real_server: ['real_servers'],
    realservers: ['real_servers'],
    backends: ['real_servers'],
    servers: ['services', 'real_servers'],
    virtual_ip: ['vip'],
    virtual_ipaddress: ['vip'],
    key: ['identity'],
    proto: ['protocol'],
  }),
);

/** The allowed key nearest to `key`, if it is near enough to be a typo (or a different case). */
export function closest(key: string, allowed: readonly string[]): string | undefined {
  // A Map, not an object: a key named "constructor" must not find Object's.
  const alias = ALIASES.get(key.toLowerCase())?.find((a) => allowed.includes(a));
  if (alias) return alias;
  const lower = key.toLowerCase();
  let best: { k: string; d: number } | undefined;
  for (const k of allowed) {
    const d = distance(lower, k.toLowerCase());
    if (!best || d < best.d) best = { k, d };
  }
  if (!best) return undefined;
  const limit = Math.max(1, Math.min(3, Math.ceil(best.k.length / 4)));
  return best.d <= limit ? best.k : undefined;
}

/** "unknown key; did you mean "scheduler"? (allowed: name, vip, …)" */
export function unknownKeyMessage(root: z.ZodType, parent: readonly PathKey[], key: string): string {
  const allowed = keysOf(schemaAt(root, parent));
  if (allowed.length === 0) return 'unknown key';
  const near = closest(key, allowed);
  const hint = near ? `; did you mean ${JSON.stringify(near)}?` : '';
  return `unknown key${hint} (allowed: ${allowed.join(', ')})`;
}
