// Parse the facts script's output into HostFacts: each section's parser (sections.ts) reads the
// text after its markers. Pure; fixture-tested.
import type { HostFacts } from '../model/facts.js';
import { splitSections } from './read.js';
import { SECTIONS } from './sections.js';

export { splitSections } from './read.js';

export function parseFacts(output: string): HostFacts {
  const s = splitSections(output);
  const errors: string[] = [];
  if (!s.has('end')) errors.push('facts output is incomplete (no end marker)');
  const parts = SECTIONS.map((section) => section.parse((id) => s.get(id), errors));
  return { ...Object.assign({}, ...parts), errors } as HostFacts;
}
