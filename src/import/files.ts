// Offline import: read keepalived.conf (with includes), ldirectord.cf or an `ipvsadm -S -n` table
// from local files and tell which one each is.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ipFamily } from '../inventory/net.js';
import { importIpvsadm } from './ipvsadm.js';
import { importKeepalived } from './keepalived.js';
import type { ConfigSource } from './keepalived-syntax.js';
import { importLdirectord } from './ldirectord.js';
import type { DirectorImport } from './types.js';
import { syntaxError } from './types.js';

function globRe(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`);
}

/** A tiny glob(3): wildcards in any path component, results sorted. */
function localGlob(pattern: string): string[] {
  const parts = pattern.split('/');
  let found = [parts[0] === '' ? '/' : '.'];
  for (const part of parts.slice(parts[0] === '' ? 1 : 0)) {
    if (part === '') continue;
    const next: string[] = [];
    for (const dir of found) {
      if (!/[*?[]/.test(part)) next.push(join(dir, part));
      else {
        let entries: string[] = [];
        try {
          entries = readdirSync(dir);
        } catch {}
        const re = globRe(part);
        next.push(...entries.filter((e) => re.test(e) && !e.startsWith('.')).map((e) => join(dir, e)));
      }
    }
    found = next;
  }
  return found.sort();
}

export const localSource: ConfigSource = {
  read(path) {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  },
  glob: localGlob,
};

export type SourceKind = 'keepalived' | 'ldirectord' | 'ipvsadm';

/** Which configuration a text is: ipvsadm rules, ldirectord.cf, else keepalived.conf. */
function sniff(text: string): SourceKind {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('!'));
  if (lines.length > 0 && lines.every((l) => /^(ipvsadm\s+)?-[Aa]\s/.test(l))) return 'ipvsadm';
  if (lines.some((l) => /^virtual6?\s*=/.test(l) || /^(checktimeout|checkinterval|quiescent)\s*=/.test(l)))
    return 'ldirectord';
  return 'keepalived';
}

/** `FILE` or `FILE@ADDRESS` (the director's SSH address, which no file holds). */
export function splitSpec(spec: string): { file: string; address?: string } {
  const at = spec.lastIndexOf('@');
  if (at > 0 && ipFamily(spec.slice(at + 1)) !== 0)
    return { file: spec.slice(0, at), address: spec.slice(at + 1) };
  return { file: spec };
}

export function importFile(file: string, src: ConfigSource = localSource): DirectorImport {
  const text = src.read(file);
  if (text === undefined) throw syntaxError(file, 1, 'cannot read the file');
  switch (sniff(text)) {
    case 'ipvsadm':
      return importIpvsadm(file, text);
    case 'ldirectord':
      return importLdirectord(file, text);
    default:
      return importKeepalived(file, src);
  }
}

export function defaultSecretFile(out: string): string {
  return join(dirname(out), `${basename(out).replace(/\.ya?ml$/, '')}.vrrp-auth-pass`);
}
