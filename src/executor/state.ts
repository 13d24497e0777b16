// What `up` records on each host (/var/lib/lvs-deploy/state.json + owned.list) so that a later
// `up` knows what it owns and `down` can undo exactly that, restoring the values it found.

import { OWNED_FILE, STATE_FILE, sysctlPath } from '../facts/script.js';
import { emptyState, type HostFacts, type HostState } from '../model/facts.js';
import type { DesiredHost } from '../model/types.js';
import type { Change } from '../planner/changes.js';

export function nextState(inventory: string, d: DesiredHost, f: HostFacts, changes: Change[]): HostState {
  const prev = f.state ?? emptyState(inventory);
  const sysctlOriginals: HostState['sysctlOriginals'] = {};
  for (const key of Object.keys(d.sysctls)) {
    if (key in prev.sysctlOriginals) sysctlOriginals[key] = prev.sysctlOriginals[key] ?? null;
    else sysctlOriginals[key] = f.sysctls[key] ?? null;
  }
  const prevFiles = new Map(prev.files.map((x) => [x.path, x.hadOriginal]));
  const files = d.files.map((x) => ({
    path: x.path,
    hadOriginal: prevFiles.get(x.path) ?? f.files[x.path] != null,
  }));
  const originalRoutes = [...prev.originalRoutes];
  for (const c of changes) {
    if (
      c.kind === 'route' &&
      c.action === 'replace' &&
      c.before &&
      !originalRoutes.some((r) => r.dst === c.route.dst)
    ) {
      originalRoutes.push(c.before);
    }
  }
  return {
    version: 1,
    inventory,
    sysctlOriginals,
    files,
    addresses: d.addresses,
    routes: d.routes,
    originalRoutes: originalRoutes.filter((r) => d.routes.some((x) => x.dst === r.dst)),
    rules: d.rules,
    links: d.links.map((l) => l.name),
    ipvs: d.ipvsStatic ? d.ipvs.map((s) => s.key) : [],
    daemons: d.daemons.map((x) => x.name),
    units: d.files
      .filter((x) => x.path.startsWith('/etc/systemd/system/'))
      .map((x) => x.path.split('/').pop() ?? ''),
    ...(d.firewall ? { firewall: true } : {}),
    ...(d.ipvsTimeouts && (prev.ipvsTimeouts ?? f.ipvsTimeouts)
      ? { ipvsTimeouts: prev.ipvsTimeouts ?? f.ipvsTimeouts ?? undefined }
      : {}),
  };
}

export function stateFiles(state: HostState): { path: string; content: string }[] {
  const owned = [
    ...state.files.map((x) => `file ${x.path}`),
    ...Object.keys(state.sysctlOriginals).map((k) => `sysctl ${k} ${sysctlPath(k)}`),
  ];
  return [
    { path: STATE_FILE, content: `${JSON.stringify(state, null, 2)}\n` },
    { path: OWNED_FILE, content: `${owned.join('\n')}\n` },
  ];
}
