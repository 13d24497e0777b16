// Secrets from the environment or a file. A Secret never prints its value: not in toString,
// JSON, util.inspect or template output. Only `reveal()` gives it, at the last moment.
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';

const MASK = '***';

export class Secret {
  readonly #value: string;
  /** Where it came from, e.g. `env LVS_VRRP_PASS` (safe to print). */
  readonly source: string;

  constructor(value: string, source: string) {
    this.#value = value;
    this.source = source;
  }

  reveal(): string {
    return this.#value;
  }

  /** What output shows in its place. */
  masked(): string {
    return MASK;
  }

  toString(): string {
    return MASK;
  }

  toJSON(): string {
    return MASK;
  }

  [inspect.custom](): string {
    return MASK;
  }
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Mask every known secret value standing as a word, and whatever follows a secret-bearing
 * keyword (`auth_pass`): the host's file may still hold an older password the loader never saw.
 * A file holding a secret is shown this way (plan diffs, the --debug apply script): the rest of a
 * keepalived.conf (a weight, a real server) is what the operator needs to see.
 */
export function maskSecretText(text: string, secrets: readonly string[]): string {
  let out = text.replace(/^(\s*auth_pass\s+)\S+/gm, `$1${MASK}`);
  for (const s of secrets) {
    if (s === '') continue;
    out = out.replace(new RegExp(`(^|\\s)${escapeRe(s)}(?=\\s|$)`, 'gm'), `$1${MASK}`);
  }
  return out;
}

/**
 * Text that holds a secret (a rendered keepalived.conf): the host gets all of it, output gets
 * `maskSecretText` of it. Like Secret it never prints itself; shell.ts quotes either form.
 */
export class SecretText {
  readonly #text: string;
  readonly #secrets: readonly string[];

  constructor(text: string, secrets: readonly string[] = []) {
    this.#text = text;
    this.#secrets = secrets;
  }

  reveal(): string {
    return this.#text;
  }

  masked(): string {
    return maskSecretText(this.#text, this.#secrets);
  }

  toString(): string {
    return this.masked();
  }

  toJSON(): string {
    return this.masked();
  }

  [inspect.custom](): string {
    return this.masked();
  }
}

export type SecretRef = { env: string } | { file: string };

/** Resolve a secret reference; returns the error text instead of throwing. */
export function resolveSecret(ref: SecretRef, baseDir: string): Secret | string {
  if ('env' in ref) {
    const value = process.env[ref.env];
    if (value === undefined || value === '') return `environment variable ${ref.env} is not set`;
    return new Secret(value, `env ${ref.env}`);
  }
  const path = expandPath(ref.file, baseDir);
  try {
    const value = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    if (value === '') return `secret file ${path} is empty`;
    return new Secret(value, `file ${path}`);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    return `cannot read secret file ${path} (${code})`;
  }
}

/** `~/x` → $HOME/x; relative paths resolve against the inventory's directory. */
export function expandPath(path: string, baseDir: string): string {
  const home = process.env.HOME ?? '/root';
  if (path === '~') return home;
  if (path.startsWith('~/')) return `${home}/${path.slice(2)}`;
  if (path.startsWith('/')) return path;
  return `${baseDir.replace(/\/$/, '')}/${path}`;
}
