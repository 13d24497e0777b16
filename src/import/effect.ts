// Whether two versions of a director's configuration file make its daemon do the same thing:
// compared as what keepalived / ldirectord / ipvsadm would build from each (IPVS table, checks,
// VRRP instances, globals), not as text. `plan` uses it to say "rewrite, no effective change"
// when lvs-deploy rewrites an adopted file into its own form.
import { importIpvsadm } from './ipvsadm.js';
import { keepalivedFromStatements } from './keepalived.js';
import { parseKeepalivedConf } from './keepalived-syntax.js';
import { importLdirectord } from './ldirectord.js';
import type { DirectorImport } from './types.js';

type Kind = 'keepalived' | 'ldirectord' | 'ipvsadm';

function kindOf(path: string): Kind | undefined {
  if (path.endsWith('/keepalived.conf')) return 'keepalived';
  if (path.endsWith('/ldirectord.cf')) return 'ldirectord';
  if (path === '/etc/ipvsadm.rules' || path === '/etc/sysconfig/ipvsadm') return 'ipvsadm';
  return undefined;
}

function read(kind: Kind, text: string): DirectorImport {
  const f = 'f';
  if (kind === 'ldirectord') return importLdirectord(f, text);
  if (kind === 'ipvsadm') return importIpvsadm(f, text.replace(/^#.*$/gm, ''));
  // A keepalived.conf that includes other files cannot be judged from its own text.
  return keepalivedFromStatements(
    f,
    parseKeepalivedConf(f, { read: (p) => (p === f ? text : undefined), glob: () => [] }),
  );
}

function effect(imp: DirectorImport): string {
  return JSON.stringify(
    { services: imp.services, vrrp: imp.vrrp, globals: imp.globals, sync: imp.syncGroups },
    (k, v) => (k === 'at' || k === 'auth_at' || k === 'file' || k === 'line' ? undefined : v),
  );
}

/** true when both texts make the daemon build the same state; false when not or not known. */
export function sameEffect(path: string, before: string, after: string): boolean {
  const kind = kindOf(path);
  if (!kind) return false;
  try {
    const a = read(kind, before);
    const b = read(kind, after);
    // Unmapped keywords change behaviour in ways the model does not see: only a clean parse counts.
    return a.notes.length === 0 && b.notes.length === 0 && effect(a) === effect(b);
  } catch {
    return false;
  }
}
