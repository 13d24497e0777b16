// The only module that imports nunjucks. Renders our own templates/ (never user-supplied template
// text) and the small expressions roles are written in. Every failure is a RenderError that names
// the template (or role field) and, where the context is at fault, the key.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import nunjucks from 'nunjucks';
import { quote } from '../connection/shell.js';
import { RenderError } from '../errors.js';
import { Secret } from '../inventory/secrets.js';
import {
  checkContext,
  isTemplateName,
  type SiteContext,
  siteContextSchema,
  type TemplateContext,
  type TemplateName,
} from './contexts.js';

/** The package root: `<root>/src/templates` under tsx, `<root>/dist/cli` in the bundle (scripts/bundle.mjs): two levels up either way. */
export function packageDir(): string {
  return resolve(import.meta.dirname, '../..');
}

const TEMPLATES_DIR = join(packageDir(), 'templates');

/** The header every written file starts with, in the file's comment syntax. */
const MANAGED = 'managed by lvs-deploy — changes will be overwritten';

/** POSIX sh single-quoting (values are validated before; this is the second fence). */
/** The `sh` filter: one shell word (connection/shell.ts quote). */
function shQuote(value: unknown): string {
  return quote(String(value));
}

// One environment per search path: the site's template directories (an inventory's
// templates_path) come before the shipped templates/, so a site file of the same name wins.
const envs = new Map<string, nunjucks.Environment>();

function environment(siteDirs: readonly string[] = []): nunjucks.Environment {
  const key = siteDirs.join('\0');
  const had = envs.get(key);
  if (had) return had;
  const env = new nunjucks.Environment(
    new nunjucks.FileSystemLoader([...siteDirs, TEMPLATES_DIR], { noCache: false }),
    { autoescape: false, throwOnUndefined: true, trimBlocks: true, lstripBlocks: true },
  );
  env.addFilter('sh', shQuote);
  env.addGlobal('managed', MANAGED);
  envs.set(key, env);
  return env;
}

/** The site file that `name` resolves to (first of `siteDirs` holding it), or undefined: shipped. */
export function siteTemplate(name: string, siteDirs: readonly string[]): string | undefined {
  for (const dir of siteDirs) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  return undefined;
}

/**
 * Render a site role's own template (not one of ours) against the site context, checked first.
 * `shown` names the file in messages.
 */
export function renderSiteTemplate(
  name: string,
  context: SiteContext,
  siteDirs: readonly string[],
  shown: string,
): string {
  const r = siteContextSchema.safeParse(context);
  if (!r.success)
    throw new RenderError(
      `${shown}: bad render context: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  try {
    return environment(siteDirs).render(name, r.data as object);
  } catch (err) {
    throw new RenderError(
      `${shown}: ${firstLine(err)} (context keys: ${Object.keys(context).sort().join(', ')})`,
    );
  }
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join(' ');
}

/**
 * Rendered files by template, site directories and context. Most hosts of a fleet share a context
 * (every DR real server of a VIP gets the same sysctl.d file and boot unit): render each distinct
 * one once. The key holds secrets' values (a Secret serialises masked, and two secrets must not
 * share an entry); it lives as long as the process, like the inventory that already holds them.
 */
const rendered = new Map<string, string>();

function contextKey(name: string, context: object, siteDirs: readonly string[]): string {
  return `${name}\0${siteDirs.join('\0')}\0${JSON.stringify(
    context,
    function (this: Record<string, unknown>, key, value) {
      const raw = this[key];
      return raw instanceof Secret ? { secret: raw.reveal() } : value;
    },
  )}`;
}

/**
 * Render `templates/<name>` against its validated context; a site file of the same name in
 * `siteDirs` replaces the shipped one and gets the same validated context.
 */
export function renderTemplate<T extends TemplateName>(
  name: T,
  context: TemplateContext<T>,
  siteDirs: readonly string[] = [],
): string {
  const key = contextKey(name, context, siteDirs);
  const hit = rendered.get(key);
  if (hit !== undefined) return hit;
  const text = renderFresh(name, context, siteDirs);
  rendered.set(key, text);
  return text;
}

function renderFresh<T extends TemplateName>(
  name: T,
  context: TemplateContext<T>,
  siteDirs: readonly string[],
): string {
  if (!isTemplateName(name)) throw new RenderError(`templates/${String(name)}: no such template`);
  const shown = siteTemplate(name, siteDirs) ?? `templates/${name}`;
  const { data, problems } = checkContext(name, context);
  if (problems.length > 0) {
    throw new RenderError(`${shown}: bad render context: ${problems.join('; ')}`);
  }
  try {
    return environment(siteDirs).render(name, data as object);
  } catch (err) {
    throw new RenderError(
      `${shown}: ${firstLine(err)} (context keys: ${Object.keys(context).sort().join(', ')})`,
    );
  }
}

/** Render a role's string value (`"{{ item.address }}/32"`) against the role context. */
// Compiled once per expression string: renderString would recompile it for every host (the
// benchmark's profile found a quarter of a cold 50-host run in here).
const compiled = new Map<string, nunjucks.Template>();

export function renderExpression(text: string, context: object, where: string): string {
  try {
    let t = compiled.get(text);
    if (!t) {
      t = new nunjucks.Template(text, environment());
      compiled.set(text, t);
    }
    return t.render(context);
  } catch (err) {
    throw new RenderError(`${where}: ${firstLine(err).replace(/^\(unknown path\)\s*/, '')} (in "${text}")`);
  }
}

const KEYWORDS = new Set([
  'and',
  'or',
  'not',
  'in',
  'is',
  'if',
  'else',
  'true',
  'false',
  'none',
  'True',
  'False',
  'None',
]);

/** Names a condition reads that the context lacks (`{% if typo %}` is silently false otherwise). */
function unknownNames(expr: string, context: object): string[] {
  const bare = expr.replace(/"[^"]*"|'[^']*'/g, '""');
  const out: string[] = [];
  for (const m of bare.matchAll(/([.|]\s*|\bis\s+(?:not\s+)?)?\b([A-Za-z_][A-Za-z0-9_]*)\b/g)) {
    const name = m[2] ?? '';
    if (m[1] || KEYWORDS.has(name) || /^\d/.test(name)) continue;
    if (!(name in context)) out.push(name);
  }
  return out;
}

/** Evaluate a role's `when:` (a nunjucks expression without braces) to a boolean. */
export function evaluateCondition(expr: string | boolean, context: object, where: string): boolean {
  if (typeof expr === 'boolean') return expr;
  const unknown = unknownNames(expr, context);
  if (unknown.length > 0)
    throw new RenderError(
      `${where}: "${expr}" reads ${unknown.join(', ')}, which the role context does not have`,
    );
  return renderExpression(`{% if (${expr}) %}1{% endif %}`, context, where) === '1';
}
