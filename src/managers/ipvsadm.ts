// The static manager: lvs-deploy programs the IPVS table itself (live edits with ipvsadm, never a
// flush) and persists it in the distro's rules file; the VIPs are plain addresses on the one
// director. No daemon, no health checks.
import { formatRules } from '../model/ipvs.js';
import { ipvsTable } from '../roles/ipvs-table.js';
import type { InventoryRule, ManagerModule } from './types.js';

const directorRules: InventoryRule = (inv, out) => {
  const d = inv.directors;
  if (d.hosts.length > 1) {
    out.push({
      path: ['directors', 'manager'],
      message: `manager: ipvsadm loads static rules on all ${d.hosts.length} directors and every one would answer for the VIPs; use manager: keepalived for a failover pair, or list one director`,
    });
  }
};

export const ipvsadm: ManagerModule = {
  name: 'ipvsadm',
  programsIpvs: 'lvs-deploy',
  vrrp: false,
  healthChecks: false,
  directorRules,
  templates: {
    'ipvsadm.rules.njk': (inv) => ({ rules: formatRules(ipvsTable(inv.services)) }),
    'ipvsadm.default.njk': (inv) => {
      const sd = inv.directors.sync_daemon;
      return {
        auto: true,
        daemon: sd ? 'master' : 'none',
        ...(sd ? { iface: sd.interface, syncid: sd.id } : {}),
      };
    },
  },
};
