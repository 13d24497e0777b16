// Facts of a host that already holds everything lvs-deploy would write: the planner's "nothing to
// do" input, which tests then change one fact at a time.
import type { FactQuery } from '../../src/facts/query.js';
import { emptyState, type HostFacts } from '../../src/model/facts.js';
import type { DesiredHost } from '../../src/model/types.js';

/** What a host reports after a successful `up` of `d` (no drains, no errors). */
export function convergedFacts(d: DesiredHost): HostFacts {
  return {
    os: { family: 'debian', id: 'debian', version: '12' },
    systemd: false,
    ipvsAvailable: true,
    sysctls: { ...d.sysctls },
    addresses: [...d.addresses],
    links: d.links.map((l) => ({ name: l.name, up: true })),
    routes: [...d.routes],
    rules: [...d.rules],
    files: Object.fromEntries(
      d.files.map((f) => [f.path, { content: f.content, mode: f.mode, owner: f.owner, group: f.group }]),
    ),
    packages: Object.fromEntries(d.packages.map((p) => [p, true])),
    modules: Object.fromEntries(d.modules.map((m) => [m, true])),
    ipvs: structuredClone(d.ipvs),
    daemons: Object.fromEntries(d.daemons.map((x) => [x.name, { running: true }])),
    state: {
      ...emptyState('t'),
      ipvs: d.ipvs.map((s) => s.key),
      addresses: d.addresses,
      files: d.files.map((f) => ({ path: f.path, hadOriginal: false })),
    },
    firewall: d.firewall ? { live: 'table inet lvs_deploy {}', loaded: 'table inet lvs_deploy {}' } : null,
    drains: [],
    sshClient: '',
    errors: [],
  };
}

/** A fact query that asks for nothing optional (a test adds what it reads). */
export const EMPTY_QUERY: FactQuery = {
  sysctls: [],
  files: [],
  packages: [],
  modules: [],
  daemons: [],
  ipvs: false,
  rules: false,
  firewall: false,
};
