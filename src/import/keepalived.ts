// keepalived.conf (with includes) → what one director's configuration describes.
import type { ConfigSource, Stmt } from './keepalived-syntax.js';
import { parseKeepalivedConf } from './keepalived-syntax.js';
import { globalDefs, syncGroup, vrrpInstance } from './keepalived-vrrp.js';
import { virtualServer } from './keepalived-vs.js';
import { arg, Notes } from './notes.js';
import type { DirectorImport } from './types.js';

/** The statements already parsed (for tests comparing two configs). */
export function keepalivedFromStatements(file: string, stmts: Stmt[]): DirectorImport {
  const notes = new Notes();
  const out: DirectorImport = {
    file,
    manager: 'keepalived',
    services: [],
    vrrp: [],
    syncGroups: [],
    globals: { notification_email: [] },
    notes: notes.list,
  };
  const groups = new Map<string, Stmt>();
  for (const s of stmts) if (s.keyword === 'virtual_server_group') groups.set(arg(s), s);
  for (const s of stmts) {
    switch (s.keyword) {
      case 'global_defs':
        globalDefs(s, out.globals, notes);
        break;
      case 'vrrp_instance':
        out.vrrp.push(vrrpInstance(s, notes));
        break;
      case 'vrrp_sync_group':
        out.syncGroups.push(syncGroup(s, notes));
        break;
      case 'virtual_server':
        out.services.push(...virtualServer(s, groups, notes));
        break;
      case 'virtual_server_group':
        break;
      default:
        notes.unmapped(s);
    }
  }
  return out;
}

export function importKeepalived(path: string, src: ConfigSource): DirectorImport {
  return keepalivedFromStatements(path, parseKeepalivedConf(path, src));
}
