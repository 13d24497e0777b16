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

/** Keys sorted, so that two structures compare by content, not by the order they were read in. */
function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
  );
}

function effect(imp: DirectorImport): string {
  // Names reach the daemon's behaviour only as the notify scripts' arguments: otherwise an
  // instance is known by its interface and router id, and a sync group by its members.
  // keepalived authenticates with the first 8 characters of auth_pass. router_id only names the
  // director in logs and alert mails; lvs-deploy writes the host's name.
  const notifies = imp.vrrp.some((v) => v.notify_master || v.notify_backup || v.notify_fault);
  const key = new Map(
    imp.vrrp.map((v) => [v.name, notifies ? v.name : `${v.interface}/${v.virtual_router_id}`]),
  );
  const vrrp = imp.vrrp
    .map((v) => ({
      ...v,
      name: key.get(v.name) ?? v.name,
      ...(v.auth_pass !== undefined ? { auth_pass: v.auth_pass.slice(0, 8) } : {}),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
  const sync = imp.syncGroups
    .map((g) => ({ name: notifies ? g.name : '', members: g.members.map((m) => key.get(m) ?? m).sort() }))
    .sort((a, b) => a.members.join().localeCompare(b.members.join()));
  // The IPVS table is a set: the order virtual and real servers are written in does not matter.
  const byText = (a: unknown, b: unknown) => text(a).localeCompare(text(b));
  const services = imp.services
    .map((s) => ({ ...s, real_servers: [...s.real_servers].sort(byText) }))
    .sort(byText);
  const { router_id: _, ...globals } = imp.globals;
  return text({ services, vrrp, globals, sync });
}

function text(v: unknown): string {
  return JSON.stringify(sorted(v), (k, x) =>
    k === 'at' || k === 'auth_at' || k === 'file' || k === 'line' ? undefined : x,
  );
}

/** true when both texts make the daemon build the same state; false when not or not known. */
export function sameEffect(path: string, before: string, after: string): boolean {
  const kind = kindOf(path);
  if (!kind) return false;
  try {
    const a = read(kind, before);
    const b = read(kind, after);
    // Unmapped keywords change behaviour in ways the model does not see: only a parse whose
    // notes are all about things keepalived itself ignores counts.
    const clean = (i: DirectorImport) => i.notes.every((n) => n.ignoredByDaemon);
    return clean(a) && clean(b) && effect(a) === effect(b);
  } catch {
    return false;
  }
}
