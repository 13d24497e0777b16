// Load roles/*.yaml: YAML with positions → zod (strict) → Role. Problems name FILE:LINE:COL,
// like inventory errors; a broken role is a RenderError (exit 2) found before any host is contacted.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { RenderError } from '../errors.js';
import { formatPath, locate, type PathKey } from '../inventory/locate.js';
import { packageDir } from '../templates/render.js';
import { type Role, roleSchema } from './schema.js';

export interface LoadedRole {
  role: Role;
  /** Path shown in messages, relative to the package (e.g. roles/common.yaml). */
  file: string;
  /** `roles/x.yaml:12:5: files[0].path` for a field of this role. */
  where(path: PathKey[]): string;
}

const ROLES_DIR = join(packageDir(), 'roles');

export function parseRole(text: string, file: string): LoadedRole {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const pos = e?.linePos?.[0];
    throw new RenderError(
      `${file}:${pos?.line ?? 1}:${pos?.col ?? 1}: YAML syntax: ${e?.message.split('\n')[0] ?? ''}`,
    );
  }
  const where = (path: PathKey[], at: 'key' | 'value' = 'value'): string => {
    const { line, col } = locate(doc, lc, path, at);
    const p = formatPath(path);
    return p ? `${file}:${line}:${col}: ${p}` : `${file}:${line}:${col}`;
  };
  const parsed = roleSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    const lines = parsed.error.issues.flatMap((issue) => {
      const path = issue.path.filter((k): k is PathKey => typeof k !== 'symbol');
      if (issue.code === 'unrecognized_keys')
        return issue.keys.map((k) => `${where([...path, k], 'key')}: unknown key "${k}"`);
      return [`${where(path)}: ${issue.message}`];
    });
    throw new RenderError(lines.join('\n'));
  }
  return { role: parsed.data, file, where };
}

let cache: LoadedRole[] | undefined;
const siteCache = new Map<string, LoadedRole[]>();

/** A path as messages show it: relative to the working directory when below it. */
function shownPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

/** Every role in roles/, sorted by file name (so `common` comes first). Cached per process. */
export function loadRoles(dir: string = ROLES_DIR): LoadedRole[] {
  if (dir === ROLES_DIR && cache) return cache;
  const names = readdirSync(dir)
    .filter((n) => n.endsWith('.yaml'))
    .sort((a, b) => a.slice(0, -5).localeCompare(b.slice(0, -5)));
  const roles = names.map((n) => {
    const path = join(dir, n);
    const shown = relative(packageDir(), path) || path;
    const loaded = parseRole(readFileSync(path, 'utf8'), shown.startsWith('..') ? path : shown);
    if (`${loaded.role.name}.yaml` !== n) {
      throw new RenderError(
        `${loaded.where(['name'])}: role "${loaded.role.name}" must live in ${loaded.role.name}.yaml`,
      );
    }
    return loaded;
  });
  if (dir === ROLES_DIR) cache = roles;
  return roles;
}

/**
 * The site roles of `roles_path` (absolute directories), in directory then file-name order. A site
 * role may not take a shipped role's name (it would silently replace the LVS itself): override a
 * shipped role's template instead.
 */
export function loadSiteRoles(dirs: string[], inventoryFile: string): LoadedRole[] {
  const shipped = new Set(loadRoles().map((lr) => lr.role.name));
  const seen = new Map<string, string>();
  return dirs.flatMap((dir) => {
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => n.endsWith('.yaml'));
    } catch {
      throw new RenderError(`${shownPath(inventoryFile)}: roles_path: no directory ${dir}`);
    }
    const key = dir;
    const cached = siteCache.get(key);
    const roles =
      cached ??
      names.sort().map((n) => {
        const path = join(dir, n);
        const loaded = parseRole(readFileSync(path, 'utf8'), shownPath(path));
        if (`${loaded.role.name}.yaml` !== n)
          throw new RenderError(
            `${loaded.where(['name'])}: role "${loaded.role.name}" must live in ${loaded.role.name}.yaml`,
          );
        return loaded;
      });
    siteCache.set(key, roles);
    for (const lr of roles) {
      if (shipped.has(lr.role.name))
        throw new RenderError(
          `${lr.where(['name'])}: "${lr.role.name}" is a shipped role; give the site role its own name (to change a shipped file, override its template: docs/roles.md)`,
        );
      const other = seen.get(lr.role.name);
      if (other) throw new RenderError(`${lr.where(['name'])}: role "${lr.role.name}" is also in ${other}`);
      seen.set(lr.role.name, lr.file);
    }
    return roles;
  });
}
