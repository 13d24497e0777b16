// keepalived.conf's global_defs, vrrp_instance and vrrp_sync_group blocks → the import model.
import { ipFamily } from '../inventory/net.js';
import type { Stmt } from './keepalived-syntax.js';
import { arg, int, type Notes, num } from './notes.js';
import type { ImportedGlobals, ImportedVip, ImportedVrrp } from './types.js';
import { syntaxError } from './types.js';

/** Keywords the inventory's form sets by itself: importing them adds nothing. */
const GLOBAL_IMPLIED = new Set(['enable_script_security']);

export function globalDefs(s: Stmt, g: ImportedGlobals, notes: Notes): void {
  for (const k of s.block ?? []) {
    switch (k.keyword) {
      case 'router_id':
        g.router_id = arg(k);
        notes.extra(k, 1);
        break;
      case 'notification_email':
        for (const e of k.block ?? []) g.notification_email.push(e.keyword, ...e.args);
        break;
      case 'notification_email_from':
        g.notification_email_from = arg(k);
        notes.extra(k, 1);
        break;
      case 'smtp_server': {
        const host = arg(k);
        g.smtp_server =
          k.args[1] !== undefined ? `${ipFamily(host) === 6 ? `[${host}]` : host}:${int(k, 1)}` : host;
        notes.extra(k, 2);
        break;
      }
      case 'smtp_connect_timeout':
        g.smtp_connect_timeout = int(k);
        notes.extra(k, 1);
        break;
      case 'lvs_sync_daemon': {
        const idAt = k.args.indexOf('id');
        g.sync_daemon = { interface: arg(k), ...(idAt > 0 ? { id: int(k, idAt + 1) } : {}) };
        const rest = k.args.slice(2).filter((_, i) => i + 2 !== idAt && i + 2 !== idAt + 1);
        if (rest.length)
          notes.add(
            k,
            `lvs_sync_daemon options \`${rest.join(' ')}\` have no inventory equivalent; not imported`,
          );
        break;
      }
      case 'script_user':
        if (k.args[0] !== 'root') notes.unmapped(k, 'lvs-deploy runs scripts as root; not imported');
        break;
      default:
        if (!GLOBAL_IMPLIED.has(k.keyword)) notes.unmapped(k);
    }
  }
}

function vip(k: Stmt, notes: Notes): ImportedVip {
  const [addr, prefix] = k.keyword.split('/');
  if (!addr || ipFamily(addr) === 0)
    throw syntaxError(k.file, k.line, `virtual_ipaddress: ${k.keyword} is not an address`);
  const out: ImportedVip = { address: addr, ...(prefix !== undefined ? { prefix: Number(prefix) } : {}) };
  for (let i = 0; i < k.args.length; i++) {
    if (k.args[i] === 'dev' && k.args[i + 1]) {
      out.dev = k.args[i + 1];
      i++;
    } else {
      notes.add(
        k,
        `virtual_ipaddress option \`${k.args.slice(i).join(' ')}\` on ${k.keyword} has no inventory equivalent; not imported`,
      );
      break;
    }
  }
  return out;
}

function script(k: Stmt, notes: Notes): string {
  if (k.args.length > 1)
    notes.add(
      k,
      `${k.keyword} runs as user/group \`${k.args.slice(1).join(' ')}\`; lvs-deploy runs it as root`,
    );
  return arg(k);
}

export function vrrpInstance(s: Stmt, notes: Notes): ImportedVrrp {
  const name = arg(s);
  const v: ImportedVrrp = {
    name,
    state: 'BACKUP',
    interface: '',
    virtual_router_id: 0,
    advert_int: 1,
    priority: 100,
    unicast_peers: [],
    vips: [],
    smtp_alert: false,
    at: { file: s.file, line: s.line },
  };
  for (const k of s.block ?? []) {
    switch (k.keyword) {
      case 'state': {
        const st = arg(k).toUpperCase();
        if (st !== 'MASTER' && st !== 'BACKUP')
          throw syntaxError(k.file, k.line, `state: expected MASTER or BACKUP, got ${arg(k)}`);
        v.state = st;
        notes.extra(k, 1);
        break;
      }
      case 'interface':
        v.interface = arg(k);
        notes.extra(k, 1);
        break;
      case 'virtual_router_id':
        v.virtual_router_id = int(k);
        notes.extra(k, 1);
        break;
      case 'priority':
        v.priority = int(k);
        notes.extra(k, 1);
        break;
      case 'advert_int':
        v.advert_int = num(k);
        notes.extra(k, 1);
        break;
      case 'authentication':
        for (const a of k.block ?? []) {
          if (a.keyword === 'auth_pass') {
            v.auth_pass = arg(a);
            v.auth_at = { file: a.file, line: a.line };
            notes.extra(a, 1);
          } else if (a.keyword === 'auth_type') {
            if (a.args[0] !== 'PASS') notes.unmapped(a, 'only auth_type PASS can be expressed; not imported');
            notes.extra(a, 1);
          } else notes.unmapped(a);
        }
        if (v.auth_pass === undefined)
          notes.add(k, 'authentication without auth_pass: keepalived ignores it');
        break;
      case 'unicast_src_ip':
        v.unicast_src_ip = arg(k);
        notes.extra(k, 1);
        break;
      case 'unicast_peer':
        for (const p of k.block ?? []) {
          v.unicast_peers.push(p.keyword);
          if (p.args.length)
            notes.add(
              p,
              `unicast_peer options \`${p.args.join(' ')}\` have no inventory equivalent; not imported`,
            );
        }
        break;
      case 'virtual_ipaddress':
        for (const a of k.block ?? []) v.vips.push(vip(a, notes));
        notes.extra(k, 0);
        break;
      case 'notify_master':
      case 'notify_backup':
      case 'notify_fault':
        v[k.keyword] = script(k, notes);
        break;
      case 'smtp_alert':
        v.smtp_alert = k.args[0] === undefined || /^(true|yes|on)$/i.test(k.args[0]);
        break;
      default:
        notes.unmapped(k);
    }
  }
  if (!v.interface) throw syntaxError(s.file, s.line, `vrrp_instance ${name}: no interface`);
  if (!v.virtual_router_id) throw syntaxError(s.file, s.line, `vrrp_instance ${name}: no virtual_router_id`);
  return v;
}

export function syncGroup(
  s: Stmt,
  notes: Notes,
): { name: string; members: string[]; at: { file: string; line: number } } {
  const members: string[] = [];
  for (const k of s.block ?? []) {
    if (k.keyword === 'group') for (const m of k.block ?? []) members.push(m.keyword, ...m.args);
    else notes.unmapped(k);
  }
  return { name: arg(s), members, at: { file: s.file, line: s.line } };
}
