// Each facts section as data (test/fixtures/facts/sections/<id>.json, pyinfra's tests/facts
// shape): the query in → the exact shell the section adds to the facts script; the output a host
// printed → the part of HostFacts the section owns. The facts were pinned by the parser as it was
// before the sections were split out; a change to a section's shell or parser shows up here.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseFacts, splitSections } from '../../src/facts/parse.js';
import type { FactQuery } from '../../src/facts/script.js';
import { SECTIONS } from '../../src/facts/sections.js';

interface SectionFixture {
  section: string;
  /** Output a Debian release's own tools printed (versions: one fixture per release). */
  release?: string;
  query: FactQuery;
  command: string;
  output: string;
  fact: Record<string, unknown>;
}

const DIR = join(import.meta.dirname, '..', 'fixtures', 'facts', 'sections');
const fixtures = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(join(DIR, f), 'utf8')) as SectionFixture);

describe('facts sections (test/fixtures/facts/sections)', () => {
  test('every section has exactly one fixture (per release where the release decides)', () => {
    const keys = fixtures.map((f) => (f.release ? `${f.section}@${f.release}` : f.section));
    assert.equal(new Set(keys).size, keys.length, 'two fixtures for one section and release');
    assert.deepEqual(
      [...new Set(fixtures.map((f) => f.section))].sort(),
      SECTIONS.map((s) => s.ids[0]).sort(),
    );
  });

  test('versions: one fixture per Debian release, each read the way its tools print', () => {
    const byRelease = Object.fromEntries(
      fixtures.filter((f) => f.section === 'versions').map((f) => [f.release, f.fact.versions]),
    );
    assert.deepEqual(Object.keys(byRelease).sort(), ['bookworm', 'bullseye', 'trixie']);
    assert.deepEqual(
      Object.values(byRelease)
        .map((v) => (v as { keepalived: string }).keepalived.slice(0, 3))
        .sort(),
      ['2.1', '2.2', '2.3'],
    );
  });

  for (const fx of fixtures) {
    test(fx.release ? `${fx.section} (${fx.release})` : fx.section, () => {
      const section = SECTIONS.find((s) => s.ids[0] === fx.section);
      assert.ok(section);
      assert.equal(section.script(fx.query).render(), fx.command);
      const text = splitSections(fx.output);
      const errors: string[] = [];
      assert.deepEqual(
        section.parse((id) => text.get(id), errors),
        fx.fact,
      );
      assert.deepEqual(errors, []);
    });
  }

  test('the sections own every fact, each exactly once', () => {
    const owners = new Map<string, string>();
    for (const s of SECTIONS) {
      for (const key of Object.keys(s.parse(() => undefined, []))) {
        assert.equal(owners.get(key), undefined, `${key} is parsed by ${owners.get(key)} and ${s.ids[0]}`);
        owners.set(key, s.ids[0] ?? '');
      }
    }
    const all = parseFacts('==>lvs:end\n');
    assert.deepEqual([...owners.keys(), 'errors'].sort(), Object.keys(all).sort());
  });
});
