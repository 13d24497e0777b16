// OpenSSH known_hosts: parse, verify, append. Same rules as ssh(1): a host may have one line per
// key type, so a key is "changed" only when a line of the *same* type holds a different key.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

export type KnownHostsStatus = 'ok' | 'unknown' | 'changed' | 'revoked';

export interface KnownHostsVerdict {
  status: KnownHostsStatus;
  file: string;
  /** The deciding line: the matching one (ok), a same-type line (changed), the @revoked line. */
  line?: number;
}

export interface KnownHostEntry {
  file: string;
  line: number;
  marker: 'revoked' | 'cert-authority' | null;
  /** Plain patterns (`web1`, `[10.0.0.1]:2222`, `*.lan`, `!x`), or empty when hashed. */
  patterns: string[];
  /** For `|1|salt|hmac` entries. */
  hashed?: { salt: Buffer; hmac: Buffer };
  keyType: string;
  keyBase64: string;
}

/** `host` for port 22, `[host]:port` otherwise, as OpenSSH writes and looks up names. */
export function hostKeyName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`. */
function hashHostName(name: string, salt: Buffer = randomBytes(20)): string {
  const mac = createHmac('sha1', salt).update(name).digest();
  return `|1|${salt.toString('base64')}|${mac.toString('base64')}`;
}

/** `SHA256:…` fingerprint of a base64 public key blob, as ssh-keygen -l and ssh print it. */
export function fingerprint(keyBase64: string): string {
  const digest = createHash('sha256').update(Buffer.from(keyBase64, 'base64')).digest('base64');
  return `SHA256:${digest.replace(/=+$/, '')}`;
}

/** The key type named inside an SSH wire-format public key blob (`ssh-ed25519`, …). */
export function keyTypeOfBlob(blob: Buffer): string {
  if (blob.length < 4) return '';
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString('latin1');
}

// OpenSSH glob: `*` any run, `?` one character, nothing else special.
function globMatch(pattern: string, text: string): boolean {
  // Most lines name plain addresses: compare them without building a RegExp (a fleet's
  // known_hosts is read for every host, so this runs hosts × lines times).
  if (!pattern.includes('*') && !pattern.includes('?'))
    return pattern.length === text.length && pattern.toLowerCase() === text.toLowerCase();
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replaceAll('*', '.*')
    .replaceAll('?', '.');
  return new RegExp(`^${re}$`, 'i').test(text);
}

function patternsMatch(patterns: readonly string[], name: string): boolean {
  let matched = false;
  for (const p of patterns) {
    if (p.startsWith('!')) {
      if (globMatch(p.slice(1), name)) return false; // a negated match vetoes the whole line
    } else if (globMatch(p, name)) {
      matched = true;
    }
  }
  return matched;
}

function parseHashed(field: string): { salt: Buffer; hmac: Buffer } | undefined {
  const parts = field.split('|'); // ['', '1', salt, hmac]
  if (parts.length !== 4 || parts[1] !== '1') return undefined;
  const salt = Buffer.from(parts[2] ?? '', 'base64');
  const hmac = Buffer.from(parts[3] ?? '', 'base64');
  return salt.length > 0 && hmac.length === 20 ? { salt, hmac } : undefined;
}

const loaded = new Map<string, { stamp: string; known: KnownHosts }>();

export class KnownHosts {
  readonly file: string;
  readonly entries: readonly KnownHostEntry[];

  private constructor(file: string, entries: KnownHostEntry[]) {
    this.file = file;
    this.entries = entries;
  }

  /**
   * A missing file is an empty one (strict will then refuse every host). Parsed once per process
   * while the file keeps its size and mtime: every connection of a fleet reads the same file, and
   * an append (accept-new) changes both.
   */
  static load(file: string): KnownHosts {
    const st = existsSync(file) ? statSync(file) : undefined;
    const stamp = st ? `${st.size}:${st.mtimeMs}` : 'absent';
    const hit = loaded.get(file);
    if (hit?.stamp === stamp) return hit.known;
    const known = KnownHosts.parse(st ? readFileSync(file, 'utf8') : '', file);
    loaded.set(file, { stamp, known });
    return known;
  }

  /** Malformed lines are skipped, as ssh(1) does. */
  static parse(text: string, file: string): KnownHosts {
    const entries: KnownHostEntry[] = [];
    text.split('\n').forEach((raw, i) => {
      const fields = raw.trim().split(/\s+/);
      if (fields[0] === undefined || fields[0] === '' || fields[0].startsWith('#')) return;
      let marker: KnownHostEntry['marker'] = null;
      if (fields[0].startsWith('@')) {
        if (fields[0] === '@revoked') marker = 'revoked';
        else if (fields[0] === '@cert-authority') marker = 'cert-authority';
        else return;
        fields.shift();
      }
      const [hosts, keyType, keyBase64] = fields;
      if (!hosts || !keyType || !keyBase64) return;
      const entry: KnownHostEntry = { file, line: i + 1, marker, patterns: [], keyType, keyBase64 };
      if (hosts.startsWith('|')) {
        const hashed = parseHashed(hosts);
        if (!hashed) return;
        entry.hashed = hashed;
      } else {
        entry.patterns = hosts.split(',').filter((p) => p !== '');
      }
      entries.push(entry);
    });
    return new KnownHosts(file, entries);
  }

  /** Lines (any key type, cert-authority excluded) that name this host and port. */
  matching(host: string, port: number): KnownHostEntry[] {
    const name = hostKeyName(host, port);
    return this.entries.filter((e) => {
      if (e.marker === 'cert-authority') return false;
      if (e.hashed) {
        const mac = createHmac('sha1', e.hashed.salt).update(name).digest();
        return mac.equals(e.hashed.hmac);
      }
      return patternsMatch(e.patterns, name);
    });
  }

  /** Key types already known for the host, so the client can ask the server for one of them. */
  keyTypesFor(host: string, port: number): string[] {
    const types = this.matching(host, port)
      .filter((e) => e.marker === null)
      .map((e) => e.keyType);
    return [...new Set(types)];
  }

  verify(host: string, port: number, keyType: string, keyBase64: string): KnownHostsVerdict {
    const lines = this.matching(host, port);
    const revoked = lines.find((e) => e.marker === 'revoked' && e.keyBase64 === keyBase64);
    if (revoked) return { status: 'revoked', file: this.file, line: revoked.line };
    const sameType = lines.filter((e) => e.marker === null && e.keyType === keyType);
    const ok = sameType.find((e) => e.keyBase64 === keyBase64);
    if (ok) return { status: 'ok', file: this.file, line: ok.line };
    const other = sameType[0];
    if (other) return { status: 'changed', file: this.file, line: other.line };
    return { status: 'unknown', file: this.file };
  }
}

/**
 * Append a hashed line, creating the directory (0700) and file (0600) when missing.
 * Returns the 1-based line number written.
 */
export function appendHashed(
  file: string,
  host: string,
  port: number,
  keyType: string,
  keyBase64: string,
): number {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  let prefix = '';
  let lineNo = 1;
  if (existsSync(file) && statSync(file).size > 0) {
    const text = readFileSync(file, 'utf8');
    if (!text.endsWith('\n')) prefix = '\n';
    lineNo = text.split('\n').length + (prefix ? 1 : 0);
  }
  const line = `${hashHostName(hostKeyName(host, port))} ${keyType} ${keyBase64}\n`;
  appendFileSync(file, prefix + line, { mode: 0o600 });
  return lineNo;
}
