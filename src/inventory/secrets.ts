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
