// Everything that reaches a remote shell is built here. Values are always quoted; secrets are
// carried through as Secret so the same script renders twice: raw for the host, masked for logs.
import { Secret, SecretText } from '../inventory/secrets.js';

/** Locale and PATH every remote command runs with (also in files we leave to run later). */
export const FIXED_ENV = 'export LC_ALL=C PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * First lines of every script: remote output must not depend on the host's locale or PATH, and
 * files we create are not group- or world-writable. $1 is the $SSH_CONNECTION the login shell
 * expanded before sudo reset the environment (see ssh.ts).
 */
export const SCRIPT_PRELUDE = `lvs_ssh_connection="\${1:-}"\n${FIXED_ENV}\numask 022`;

/** Sets `lvs_systemd` to yes when PID 1 is systemd (read with a builtin: no program starts). */
export const DETECT_SYSTEMD = `lvs_init=
read -r lvs_init < /proc/1/comm 2>/dev/null
lvs_systemd=no
[ "$lvs_init" = systemd ] && lvs_systemd=yes`;

/** Indent every line of a snippet (for readable generated scripts). */
export const indent = (text: string, by = '  '): string =>
  text
    .split('\n')
    .map((l) => by + l)
    .join('\n');

// Words made only of these need no quotes. `=` is left out so a value can never turn a command
// word into an assignment, `~` so it is never expanded.
const SAFE_WORD = /^[A-Za-z0-9_/.,:@%+-]+$/;

/** POSIX single-quoting: the result is one shell word with exactly the bytes of `s`. */
export function quote(s: string): string {
  if (s.includes('\0')) throw new TypeError('a shell argument cannot contain a NUL byte');
  if (SAFE_WORD.test(s)) return s;
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/**
 * A command kept as its argument vector (a role's `validate:`). Shown, and serialised to JSON,
 * as its shell text; `render` lets a placeholder word (`%s`) stand for already-quoted text.
 */
export class ShellCommand {
  readonly argv: readonly string[];

  constructor(argv: readonly string[]) {
    if (argv.length === 0) throw new TypeError('a command needs at least one word');
    this.argv = [...argv];
  }

  /** Shell text; `subst` may give the (already quoted) text for a word instead of quoting it. */
  render(subst: (word: string) => string | undefined = () => undefined): string {
    return this.argv.map((w) => subst(w) ?? quote(w)).join(' ');
  }

  toString(): string {
    return this.render();
  }

  toJSON(): string {
    return this.render();
  }
}

/**
 * A value the host gets but output never shows (pyinfra's MaskString): a Secret (shown `***`) or
 * a SecretText (a file holding a secret, shown with the secret masked). Quoted either way.
 */
export type Masked = Secret | SecretText;
type Part = string | Masked;

/** A piece of shell text whose interpolations are already quoted. Build it with `sh`. */
export class ShellFragment {
  readonly #parts: readonly Part[];

  /** Text parts are trusted shell; masked parts are quoted when rendered. */
  private constructor(parts: readonly Part[]) {
    this.#parts = parts;
  }

  /** Trusted shell text, taken as is. Only for constants written in our own source. */
  static raw(text: string): ShellFragment {
    return new ShellFragment([text]);
  }

  static of(parts: readonly Part[]): ShellFragment {
    return new ShellFragment(parts);
  }

  /** The script for the host, with secrets revealed. */
  render(): string {
    return this.#parts.map((p) => (typeof p === 'string' ? p : quote(p.reveal()))).join('');
  }

  /** The script for logs and plans, with every secret masked. */
  masked(): string {
    return this.#parts.map((p) => (typeof p === 'string' ? p : quote(p.masked()))).join('');
  }

  /** Masked, so a fragment that slips into a log line never leaks. */
  toString(): string {
    return this.masked();
  }

  /** Internal: lets `sh` splice a nested fragment without rendering it. */
  get parts(): readonly Part[] {
    return this.#parts;
  }
}

export type ShellValue = string | number | bigint | Masked | ShellFragment | readonly ShellValue[];

function pushValue(out: Part[], value: ShellValue): void {
  if (value instanceof ShellFragment) {
    out.push(...value.parts);
  } else if (value instanceof Secret || value instanceof SecretText) {
    out.push(value);
  } else if (Array.isArray(value)) {
    value.forEach((v: ShellValue, i: number) => {
      if (i > 0) out.push(' ');
      pushValue(out, v);
    });
  } else if (typeof value === 'string') {
    out.push(quote(value));
  } else if (typeof value === 'number' || typeof value === 'bigint') {
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw new TypeError(`cannot put ${value} into a shell command`);
    }
    out.push(quote(String(value)));
  } else {
    // Guards callers that escape the type system (JSON data, `as` casts).
    throw new TypeError(`cannot put ${typeof value} into a shell command`);
  }
}

/**
 * Tagged template: the literal text is trusted shell, every `${value}` becomes one quoted word
 * (an array becomes several words, a nested `sh` fragment is spliced unchanged, a Secret or
 * SecretText is quoted at render time and masked in logs).
 */
export function sh(strings: TemplateStringsArray, ...values: readonly ShellValue[]): ShellFragment {
  const out: Part[] = [];
  strings.forEach((text, i) => {
    out.push(text);
    if (i < values.length) pushValue(out, values[i] as ShellValue);
  });
  return ShellFragment.of(out);
}

/** Joins fragments with `separator` (trusted shell text; default: one command per line). */
export function lines(fragments: readonly ShellFragment[], separator = '\n'): ShellFragment {
  const out: Part[] = [];
  fragments.forEach((f, i) => {
    if (i > 0) out.push(separator);
    out.push(...f.parts);
  });
  return ShellFragment.of(out);
}

/** Trusted shell text written in our own source (a constant snippet), spliced unchanged by `sh`. */
export const raw = (text: string): ShellFragment => ShellFragment.raw(text);

/** Nothing: the `''` of a conditional part (a plain `''` would become an empty quoted word). */
export const NOTHING = ShellFragment.raw('');

export interface RenderedScript {
  /** Sent to the host. Contains secrets: never log it. */
  script: string;
  /** Safe to log, print in plans and keep in reports. */
  masked: string;
}

export interface RenderOptions {
  /** Add `set -eu` after the prelude (default true): stop at the first failing command. */
  strict?: boolean;
}

/** A complete POSIX sh script: prelude, optional `set -eu`, then the body. */
export function renderScript(
  body: ShellFragment | readonly ShellFragment[],
  opts: RenderOptions = {},
): RenderedScript {
  const fragment = body instanceof ShellFragment ? body : lines(body);
  const head = opts.strict === false ? `${SCRIPT_PRELUDE}\n` : `${SCRIPT_PRELUDE}\nset -eu\n`;
  const tail = (s: string) => (s === '' || s.endsWith('\n') ? s : `${s}\n`);
  return { script: head + tail(fragment.render()), masked: head + tail(fragment.masked()) };
}

const STDIN_END = 'LVS_DEPLOY_STDIN_END'; // `_` is outside the base64 alphabet: cannot collide

/**
 * What is written to `sh -s`: the script wrapped in a function, so the shell parses all of it
 * before running any of it, and commands inside never read the rest of the script as their
 * input. Their stdin is /dev/null, or `stdin` exactly (base64 in a heredoc: any bytes, no
 * trailing-newline surprises). The function gets sh's arguments ($SSH_CONNECTION, see ssh.ts).
 */
export function wrapForStdin(script: string, stdin?: string | Buffer): string {
  const body = script.endsWith('\n') ? script : `${script}\n`;
  const fn = `lvs_deploy_main() {\n:\n${body}}\n`;
  // `exit` so sh ends without waiting for EOF: the channel's stdin stays open, which keeps
  // ssh2 able to send a signal on timeout.
  if (stdin === undefined) return `${fn}lvs_deploy_main "$@" </dev/null\nexit\n`;
  const b64 = (typeof stdin === 'string' ? Buffer.from(stdin, 'utf8') : stdin).toString('base64');
  const wrapped = b64.replace(/.{1,76}/g, '$&\n');
  return `${fn}base64 -d <<'${STDIN_END}' | lvs_deploy_main "$@"\n${wrapped}${STDIN_END}\nexit\n`;
}
