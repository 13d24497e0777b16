// keepalived health checkers (TCP_CHECK, HTTP_GET, SSL_GET, MISC_CHECK) → the inventory's one
// check per service. Values keepalived would default are filled in explicitly (keepalived.conf(5),
// 2.2.7): the inventory's own defaults differ, and a round trip must keep keepalived's.
import type { Stmt } from './keepalived-syntax.js';
import { arg, int, type Notes, num } from './notes.js';
import type { CheckType, ImportedCheck } from './types.js';

const KEEPALIVED_DEFAULTS = { connect_timeout: 5, retry: 1, delay_before_retry: 1, delay_loop: 60 };

const TYPES: Record<string, CheckType> = {
  TCP_CHECK: 'tcp',
  HTTP_GET: 'http',
  SSL_GET: 'https',
  MISC_CHECK: 'misc',
};
export const CHECKERS = new Set([
  ...Object.keys(TYPES),
  'DNS_CHECK',
  'SMTP_CHECK',
  'UDP_CHECK',
  'PING_CHECK',
  'BFD_CHECK',
  'FILE_CHECK',
]);

/** Timer defaults a virtual_server (or real_server) block sets for its checkers. */
export interface CheckDefaults {
  connect_timeout?: number;
  retry?: number;
  delay_before_retry?: number;
  delay_loop?: number;
}

export function timerKeyword(k: Stmt, d: CheckDefaults): boolean {
  switch (k.keyword) {
    case 'connect_timeout':
      d.connect_timeout = num(k);
      return true;
    case 'retry':
    case 'nb_get_retry':
      d.retry = int(k);
      return true;
    case 'delay_before_retry':
      d.delay_before_retry = num(k);
      return true;
    case 'delay_loop':
      d.delay_loop = num(k);
      return true;
    default:
      return false;
  }
}

/** One checker block; `connectPort` is what it connects to when not the real server's port. */
export function checker(
  s: Stmt,
  defaults: CheckDefaults,
  notes: Notes,
): { check?: ImportedCheck; connectPort?: number } {
  const type = TYPES[s.keyword];
  if (!type) {
    notes.unmapped(
      s,
      'the inventory has tcp, http, https and misc checks only; this checker is not imported',
    );
    return {};
  }
  const t: CheckDefaults = { ...defaults };
  const c: ImportedCheck = { type, at: { file: s.file, line: s.line } };
  let connectPort: number | undefined;
  let misc_timeout: number | undefined;
  for (const k of s.block ?? []) {
    if (k.keyword === 'nb_get_retry' && type !== 'http' && type !== 'https') {
      // keepalived 2.2.7 knows nb_get_retry (deprecated) in HTTP_GET/SSL_GET only; elsewhere -t
      // says "Unknown keyword" and the daemon runs with retry's default.
      notes.add(
        k,
        `keepalived 2.2.7 does not know nb_get_retry in ${s.keyword} and ignores it (retry stays ${t.retry ?? KEEPALIVED_DEFAULTS.retry}); written as that`,
        true,
      );
      continue;
    }
    if (timerKeyword(k, t)) {
      notes.extra(k, 1);
      continue;
    }
    switch (k.keyword) {
      case 'connect_port':
        connectPort = int(k);
        break;
      case 'url': {
        if (c.path !== undefined) {
          notes.unmapped(k, 'the inventory checks one URL per service; this further url is not imported');
          break;
        }
        for (const u of k.block ?? []) {
          if (u.keyword === 'path') c.path = arg(u);
          else if (u.keyword === 'status_code' && u.args.length === 1 && /^\d+$/.test(arg(u)))
            c.status_code = int(u);
          // Any 2xx is what the inventory means when it gives no status_code.
          else if (u.keyword === 'status_code' && u.args.length === 1 && arg(u) === '200-299')
            c.status_code = undefined;
          else notes.unmapped(u);
        }
        c.path ??= '/';
        break;
      }
      case 'misc_path':
        c.misc_path = arg(k);
        notes.extra(k, 1);
        break;
      case 'misc_timeout':
        misc_timeout = num(k);
        break;
      default:
        notes.unmapped(k);
    }
  }
  const delay_loop = t.delay_loop ?? KEEPALIVED_DEFAULTS.delay_loop;
  if (type === 'misc') {
    // lvs-deploy writes misc_timeout from connect_timeout; keepalived's default is the delay_loop.
    c.connect_timeout = misc_timeout ?? delay_loop;
    if (t.retry !== undefined || t.delay_before_retry !== undefined)
      notes.add(
        s,
        'MISC_CHECK retry/delay_before_retry: lvs-deploy writes neither for a misc check; keepalived will use its defaults',
      );
  } else {
    c.connect_timeout = t.connect_timeout ?? KEEPALIVED_DEFAULTS.connect_timeout;
    c.retry = t.retry ?? KEEPALIVED_DEFAULTS.retry;
    c.delay_before_retry = t.delay_before_retry ?? KEEPALIVED_DEFAULTS.delay_before_retry;
  }
  c.delay_loop = delay_loop;
  if ((type === 'http' || type === 'https') && c.path === undefined) {
    notes.add(s, `${s.keyword} without a url: lvs-deploy checks path / for any 2xx status`);
    c.path = '/';
  }
  return { check: c, ...(connectPort !== undefined ? { connectPort } : {}) };
}

/** Two checks that keepalived would run the same way (origins aside). */
export function sameCheck(a: ImportedCheck | undefined, b: ImportedCheck | undefined): boolean {
  const strip = (c: ImportedCheck | undefined) => (c ? JSON.stringify({ ...c, at: undefined }) : '');
  return strip(a) === strip(b);
}
