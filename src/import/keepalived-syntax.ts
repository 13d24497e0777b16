// keepalived.conf as keepalived 2.2.7 reads it, into a tree of statements with file:line.
// What keepalived does (each checked against its own `-d` dump, see test/unit/import-keepalived.test.ts):
// - `#` and `!` start a comment anywhere on a line, except inside "double quotes";
// - `{` and `}` end a statement like a line end does, so `virtual_ipaddress { 10.0.0.7 }` and
//   `} priority 120` work, but `authentication { auth_type PASS auth_pass x }` is ONE statement
//   `auth_type PASS auth_pass x`: the words after the first keyword's arguments are ignored;
// - `include GLOB` (any level) reads the matching files in place, relative paths resolved
//   against the including file's directory.
import { dirname, isAbsolute, join } from 'node:path';
import { syntaxError } from './types.js';

export interface Stmt {
  keyword: string;
  args: string[];
  file: string;
  line: number;
  /** Present when the statement opens a block. */
  block?: Stmt[];
}

/** Where keepalived.conf and its includes are read from (local files, or what facts brought back). */
export interface ConfigSource {
  read(path: string): string | undefined;
  /** Paths matching a glob, sorted (keepalived uses glob(3), which sorts). */
  glob(pattern: string): string[];
}

interface Token {
  text: string;
  quoted: boolean;
  file: string;
  line: number;
}

/** Words of one line with comments removed; `{` and `}` are words of their own. */
function lineTokens(text: string, file: string, line: number): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t' || c === '\r') i++;
    else if (c === '#' || c === '!') break;
    else if (c === '{' || c === '}') {
      out.push({ text: c, quoted: false, file, line });
      i++;
    } else if (c === '"') {
      const end = text.indexOf('"', i + 1);
      if (end < 0) throw syntaxError(file, line, 'unterminated "quoted string"', i + 1);
      out.push({ text: text.slice(i + 1, end), quoted: true, file, line });
      i = end + 1;
    } else {
      let j = i;
      while (j < text.length && !' \t\r{}#!"'.includes(text[j] as string)) j++;
      out.push({ text: text.slice(i, j), quoted: false, file, line });
      i = j;
    }
  }
  return out;
}

const MAX_DEPTH = 8;

/** Every token of a file, includes expanded in place. */
function fileTokens(path: string, src: ConfigSource, depth: number, from?: Token): Token[] {
  const text = src.read(path);
  if (text === undefined) {
    if (from) throw syntaxError(from.file, from.line, `cannot read included file ${path}`);
    throw syntaxError(path, 1, 'cannot read the file');
  }
  const out: Token[] = [];
  text.split('\n').forEach((raw, idx) => {
    const toks = lineTokens(raw, path, idx + 1);
    if (toks[0]?.text === 'include' && !toks[0].quoted) {
      const pattern = toks[1]?.text;
      if (pattern === undefined) throw syntaxError(path, idx + 1, 'include without a file name');
      if (depth >= MAX_DEPTH) throw syntaxError(path, idx + 1, `includes nested deeper than ${MAX_DEPTH}`);
      const abs = isAbsolute(pattern) ? pattern : join(dirname(path), pattern);
      const files = /[*?[]/.test(abs) ? src.glob(abs) : [abs];
      for (const f of files) out.push(...fileTokens(f, src, depth + 1, toks[0]));
      out.push(...toks.slice(2));
      return;
    }
    // A line end ends a statement: mark it with an empty token.
    out.push(...toks, { text: '', quoted: false, file: path, line: idx + 1 });
  });
  return out;
}

/** Statements from tokens: a statement ends at a line end, `{` or `}`; `{` opens its block. */
function statements(toks: Token[], pos: { i: number }, depth: number, opener?: Token): Stmt[] {
  const out: Stmt[] = [];
  let cur: Stmt | undefined;
  let last: Stmt | undefined;
  while (pos.i < toks.length) {
    const t = toks[pos.i++] as Token;
    if (t.text === '' && !t.quoted) {
      if (cur) out.push(cur);
      if (cur) last = cur;
      cur = undefined;
    } else if (t.text === '{' && !t.quoted) {
      // The block belongs to the statement on this line, or (keepalived allows it) the previous line's.
      const owner = cur ?? last;
      if (cur) out.push(cur);
      cur = undefined;
      if (!owner || owner.block) throw syntaxError(t.file, t.line, '`{` without a keyword before it');
      if (depth >= 16) throw syntaxError(t.file, t.line, 'blocks nested too deep');
      owner.block = statements(toks, pos, depth + 1, t);
      last = undefined;
    } else if (t.text === '}' && !t.quoted) {
      if (cur) out.push(cur);
      if (!opener) throw syntaxError(t.file, t.line, '`}` without a block to close');
      return out;
    } else if (cur) cur.args.push(t.text);
    else {
      cur = { keyword: t.text, args: [], file: t.file, line: t.line };
      last = undefined;
    }
  }
  if (cur) out.push(cur);
  if (opener) throw syntaxError(opener.file, opener.line, 'block opened here is never closed with `}`');
  return out;
}

/** Parse keepalived.conf (with its includes) into statements. Throws an exit-2 error on bad syntax. */
export function parseKeepalivedConf(path: string, src: ConfigSource): Stmt[] {
  return statements(fileTokens(path, src, 0), { i: 0 }, 0);
}
