// planDown: undo exactly what `up` recorded on the host, restoring the values it found before.
// Anything `up` did not record is left alone.
import type { HostFacts } from '../model/facts.js';
import type { DesiredDaemon } from '../model/types.js';
import type { Change } from './changes.js';
import type { HostPlan } from './plan.js';

export function planDown(host: string, f: HostFacts, daemons: DesiredDaemon[]): HostPlan {
  const s = f.state;
  if (!s) return { host, changes: [], blockers: f.errors.map((e) => `facts: ${e}`) };
  const out: Change[] = [];
  for (const name of s.daemons) {
    const d = daemons.find((x) => x.name === name);
    if (d && f.daemons[name]?.running) out.push({ kind: 'daemon', action: 'stop', daemon: d });
  }
  for (const key of s.ipvs) {
    const live = f.ipvs?.find((x) => x.key === key);
    if (live) out.push({ kind: 'ipvs-service', action: 'remove', service: live });
  }
  if (s.firewall && f.firewall?.live) out.push({ kind: 'firewall', action: 'remove' });
  if (s.ipvsTimeouts)
    out.push({ kind: 'ipvs-timeouts', before: f.ipvsTimeouts ?? null, after: s.ipvsTimeouts });
  const addrs = new Set(f.addresses.map((a) => `${a.dev} ${a.cidr}`));
  for (const a of s.addresses)
    if (addrs.has(`${a.dev} ${a.cidr}`)) out.push({ kind: 'address', action: 'remove', address: a });
  for (const r of s.routes) {
    const cur = f.routes.find((x) => x.dst === r.dst && x.via === r.via);
    if (!cur) continue;
    const original = s.originalRoutes.find((x) => x.dst === r.dst);
    out.push(
      original
        ? { kind: 'route', action: 'replace', route: original, before: cur }
        : { kind: 'route', action: 'remove', route: cur },
    );
  }
  for (const r of s.rules) out.push({ kind: 'rule', action: 'remove', rule: r });
  for (const name of s.links)
    if (f.links.find((l) => l.name === name)?.up) out.push({ kind: 'link', action: 'down', name });
  for (const [key, original] of Object.entries(s.sysctlOriginals)) {
    const cur = f.sysctls[key] ?? null;
    if (original !== null && cur !== null && cur !== original)
      out.push({ kind: 'sysctl', key, before: cur, after: original });
  }
  for (const file of s.files) {
    if (f.files[file.path] === undefined && !file.hadOriginal) continue;
    out.push({
      kind: 'file',
      action: file.hadOriginal ? 'restore' : 'remove',
      path: file.path,
      before: null,
      after: null,
      mode: '',
      owner: '',
      group: '',
      secret: true,
    });
  }
  return { host, changes: out, blockers: [] };
}
