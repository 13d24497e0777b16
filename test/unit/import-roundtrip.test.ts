// Round trip on every example inventory: render each director's configuration (keepalived.conf,
// ldirectord.cf or the ipvsadm rules file) → `import` those files → the imported inventory
// loads, and expands to the same IPVS table, VRRP, checks and real-server roles as the original.
// The director's address, name and interfaces are what a live import reads from the host.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { buildInventory, type DirectorSource } from '../../src/import/build.js';
import { importIpvsadm } from '../../src/import/ipvsadm.js';
import { importKeepalived } from '../../src/import/keepalived.js';
import { importLdirectord } from '../../src/import/ldirectord.js';
import type { DirectorImport } from '../../src/import/types.js';
import { loadInventory } from '../../src/inventory/load.js';
import type { Inventory } from '../../src/inventory/types.js';
import { formatRules } from '../../src/model/ipvs.js';
import type { DesiredHost } from '../../src/model/types.js';
import { expandInventory } from '../../src/roles/expand.js';

process.env.LVS_VRRP_PASS = 'k33pal1v';
const ROOT = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'lvs-import-rt-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const MANAGED = ['/etc/keepalived/keepalived.conf', '/etc/ha.d/ldirectord.cf', '/etc/ipvsadm.rules'];

/** The director's own configuration, read back by the importer. */
function importRendered(name: string, d: DesiredHost): DirectorImport | undefined {
  const f = d.files.find((x) => MANAGED.includes(x.path));
  if (!f) return undefined;
  const file = `${name}:${f.path}`;
  if (f.path.endsWith('keepalived.conf')) {
    return importKeepalived(file, { read: (p) => (p === file ? f.content : undefined), glob: () => [] });
  }
  return f.path.endsWith('ldirectord.cf')
    ? importLdirectord(file, f.content)
    : importIpvsadm(file, f.content);
}

/** What a configuration makes the daemon (or ipvsadm) do, origins and file names aside. */
function effect(imp: DirectorImport | undefined): unknown {
  if (!imp) return undefined;
  const strip = (o: unknown): unknown =>
    JSON.parse(JSON.stringify(o, (k, v) => (k === 'at' || k === 'file' || k === 'name' ? undefined : v)));
  return {
    services: strip(imp.services),
    vrrp: strip(imp.vrrp),
    globals: strip(imp.globals),
    sync: strip(imp.syncGroups),
  };
}

function realServerSide(inv: Inventory, hosts: Map<string, DesiredHost>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const d of hosts.values()) {
    if (!d.kinds.includes('realserver')) continue;
    out[d.address] = {
      roles: d.roles.filter((r) => r.startsWith('realserver')),
      sysctls: d.sysctls,
      addresses: d.addresses,
      links: d.links,
      routes: d.routes.filter((r) => r.dst === 'default'),
    };
  }
  void inv;
  return out;
}

// dr-tunables sets sysctls and IPVS timeouts on the hosts themselves: no keepalived.conf,
// ldirectord.cf or rules file carries them, so an import from files cannot bring them back (a live
// import notes the non-default net.ipv4.vs.* values it finds).
const FROM_FILES_ONLY_PARTLY = new Set(['dr-tunables.yaml']);
// A configuration file names real servers by address: a dual-stack machine's IPv4 and IPv6
// addresses come back as two hosts. Compared there: every VIP each real-server address carries.
const ONE_HOST_PER_ADDRESS = new Set(['dual-stack-dr-keepalived.yaml']);
const loVips = (hosts: Map<string, DesiredHost>) =>
  [...hosts.values()]
    .filter((d) => d.kinds.includes('realserver'))
    .flatMap((d) => d.addresses.map((a) => `${a.dev} ${a.cidr}`))
    .sort();
const inventories = readdirSync(join(ROOT, 'inventories'))
  .filter((n) => n.endsWith('.yaml') && !FROM_FILES_ONLY_PARTLY.has(n))
  .sort();

describe('import round trip on every example inventory', () => {
  for (const name of inventories) {
    test(`${name}: the imported inventory renders the same directors and real servers`, async () => {
      const orig = await loadInventory(join(ROOT, 'inventories', name));
      const hosts = expandInventory(orig);
      const sources: DirectorSource[] = [];
      for (const dn of orig.directors.hosts) {
        const d = hosts.get(dn);
        const spec = orig.hosts[dn];
        const imp = d && importRendered(dn, d);
        assert.ok(imp && spec, `${dn} has no manager configuration`);
        sources.push({ imp, name: dn, address: spec.address, interfaces: spec.interfaces });
      }
      const secretFile = join(dir, `${name}.pass`);
      const r = buildInventory(sources, { file: secretFile }, name);
      assert.ok(r.ok);
      if (r.secret !== undefined) writeFileSync(secretFile, `${r.secret}\n`, { mode: 0o600 });
      const out = join(dir, name);
      writeFileSync(out, r.yaml);
      const back = await loadInventory(out).catch((e: Error) => assert.fail(`${e.message}\n${r.yaml}`));
      const again = expandInventory(back);
      for (const dn of orig.directors.hosts) {
        const a = hosts.get(dn);
        const b = again.get(dn);
        assert.ok(a && b, `${dn} is a director of the imported inventory`);
        assert.equal(formatRules(b.ipvs), formatRules(a.ipvs), `${dn}: IPVS table`);
        assert.deepEqual(
          effect(importRendered(dn, b)),
          effect(importRendered(dn, a)),
          `${dn}: what its daemon is told`,
        );
      }
      if (ONE_HOST_PER_ADDRESS.has(name)) assert.deepEqual(loVips(again), loVips(hosts), 'real servers');
      else assert.deepEqual(realServerSide(back, again), realServerSide(orig, hosts), 'real servers');
      // Only the notes a rendering of lvs-deploy's own form must give: none.
      assert.deepEqual(
        r.notes.map((n) => `${n.file}:${n.line}: ${n.message}`),
        [],
        'notes',
      );
    });
  }
});
