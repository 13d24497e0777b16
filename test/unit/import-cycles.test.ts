// src/ has no import cycles, type-only imports included: a cycle means two modules each need the
// other, which is where a concept has been declared in two places.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';

const SRC = resolve(import.meta.dirname, '..', '..', 'src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

test('no import cycles in src/', () => {
  const graph = new Map<string, string[]>();
  for (const file of sources(SRC)) {
    const text = readFileSync(file, 'utf8');
    const deps = [...text.matchAll(/^(?:import|export)\b[^;]*?from '(\.[^']+)'/gms)].map((m) =>
      resolve(dirname(file), (m[1] ?? '').replace(/\.js$/, '.ts')),
    );
    graph.set(file, deps);
  }
  const cycles: string[] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (n: string) => {
    path.push(n);
    for (const d of graph.get(n) ?? []) {
      const at = path.indexOf(d);
      if (at >= 0) cycles.push([...path.slice(at), d].map((f) => relative(SRC, f)).join(' → '));
      else if (!done.has(d)) visit(d);
    }
    path.pop();
    done.add(n);
  };
  for (const n of graph.keys()) if (!done.has(n)) visit(n);
  assert.ok(graph.size > 50, 'found the sources');
  assert.deepEqual(cycles, []);
});
