// An `ipvsadm -S -n` table (or a rules file, or typed `ipvsadm -A/-a` commands) → what one
// director's table holds. Reuses the model's parser; a line it cannot read is bad input (exit 2).
import { parseRules } from '../model/ipvs.js';
import type { DirectorImport, ImportedService } from './types.js';
import { syntaxError } from './types.js';

export function importIpvsadm(file: string, text: string): DirectorImport {
  const lines = text.split('\n');
  const { services, unparsed } = parseRules(text);
  const bad = unparsed[0];
  if (bad !== undefined) {
    throw syntaxError(
      file,
      lines.indexOf(bad) + 1,
      `not an ipvsadm -A/-a rule: ${JSON.stringify(bad.trim())}`,
    );
  }
  const lineOf = (needle: string) => {
    const i = lines.findIndex((l) => l.includes(needle));
    return i < 0 ? 1 : i + 1;
  };
  const out: ImportedService[] = services.map((s) => {
    const at = { file, line: lineOf(s.key.split(' ')[1] ?? s.key) };
    return {
      ...(s.fwmark !== undefined
        ? { fwmark: s.fwmark }
        : { vip: s.vip, port: s.port, protocol: s.protocol === 'fwmark' ? 'tcp' : s.protocol }),
      family: s.family,
      scheduler: s.scheduler,
      flags: s.flags,
      ops: s.ops,
      forwarding: s.dests[0]?.forwarding ?? 'dr',
      ...(s.persistence
        ? { persistence: { ...s.persistence, ...(s.pe === 'sip' ? { engine: 'sip' as const } : {}) } }
        : {}),
      real_servers: s.dests.map((d) => ({ ...d, at: { file, line: lineOf(`${d.address}`) } })),
      at,
    };
  });
  const notes = services
    .filter((s) => s.pe !== undefined && !(s.pe === 'sip' && s.persistence))
    .map((s) => ({
      file,
      line: lineOf(s.key.split(' ')[1] ?? ''),
      message: `--pe ${s.pe}: the inventory knows persistence.engine sip with persistence only; not imported`,
    }));
  const empty = out.filter((s) => s.real_servers.length === 0);
  for (const s of empty)
    notes.push({
      ...s.at,
      message: 'service without real servers: the inventory needs at least one; not imported',
    });
  return {
    file,
    manager: 'ipvsadm',
    services: out.filter((s) => s.real_servers.length > 0),
    vrrp: [],
    syncGroups: [],
    globals: { notification_email: [] },
    notes,
  };
}
