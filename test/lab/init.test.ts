// `lvs-deploy init` output runs unchanged in the netns lab: for one inventory of each forwarding
// method (and a different manager each), lab up → up → second up (nothing changes) → verify sees
// every host converged. This kernel has no IPVS, so up runs with --without-ipvs (as the other
// netns tests do) and verify's traffic through the VIP is left to the VM lab; without the ipip
// module, TUN real servers are refused for that reason alone.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadInventory } from '../../src/inventory/load.js';
import { labDown, labEnv, labUp } from '../../src/lab/netns.js';
import { cli, cliInLab } from '../helpers/cli.js';

const root = process.getuid?.() === 0;
/** TUN real servers load the ipip module; kernels without it (this project's CI) refuse them. */
const noIpip = spawnSync('modprobe', ['-n', 'ipip']).status !== 0;
const CASES = [
  { mode: 'nat', manager: 'keepalived' },
  { mode: 'dr', manager: 'ipvsadm' },
  { mode: 'tun', manager: 'ldirectord' },
] as const;

interface JsonHost {
  host: string;
  status: string;
  error?: string;
}

describe('an inventory from init runs unchanged in the netns lab', {
  skip: root ? false : 'needs root (network namespaces)',
}, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'lvs-init-lab-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  for (const { mode, manager } of CASES) {
    test(`init --mode ${mode} --manager ${manager}: lab up, up, up again, verify`, async () => {
      const name = `lvs-init-${mode}`;
      const file = join(tmp, `${name}.yaml`);
      const w = await cli(['init', '--mode', mode, '--manager', manager, '--name', name, '-o', file]);
      assert.equal(w.code, 0, w.stderr);
      const inv = await loadInventory(file);
      const realServers = inv.services.flatMap((s) => s.real_servers);
      const { state } = await labUp(inv);
      try {
        const lvs = (args: string[]) => cliInLab(state.controlNs, labEnv(state), args);
        const up = async () => {
          const r = await lvs(['up', file, '--json', '--without-ipvs']);
          const doc = JSON.parse(r.stdout) as { hosts: JsonHost[] };
          return { code: r.code, hosts: doc.hosts, stderr: r.stderr };
        };
        const first = await up();
        if (mode === 'tun' && noIpip) {
          // The directors converge; each real server is refused for the kernel, not the inventory.
          const by = Object.fromEntries(first.hosts.map((h) => [h.host, h]));
          for (const d of inv.directors.hosts) assert.equal(by[d]?.status, 'changed', JSON.stringify(by[d]));
          for (const rs of realServers)
            assert.match(
              by[rs.host ?? '']?.error ?? '',
              /module load ipip.*not found/,
              JSON.stringify(by[rs.host ?? '']),
            );
          return;
        }
        assert.equal(first.code, 0, `${first.stderr}\n${JSON.stringify(first.hosts)}`);
        const managed = [...inv.directors.hosts, ...realServers.map((r) => r.host ?? '')];
        assert.deepEqual(
          first.hosts.map((h) => h.host).sort(),
          managed.sort(),
          'up touched exactly the directors and real servers',
        );
        assert.ok(
          first.hosts.every((h) => h.status === 'changed'),
          JSON.stringify(first.hosts),
        );
        const second = await up();
        assert.equal(second.code, 0, second.stderr);
        assert.ok(
          second.hosts.every((h) => h.status === 'ok'),
          `second up changed something: ${JSON.stringify(second.hosts)}`,
        );
        const v = await lvs(['verify', file]);
        for (const rs of realServers)
          assert.match(v.stdout, new RegExp(`✔ ${rs.host}: converged`), v.stdout + v.stderr);
      } finally {
        await labDown(name);
      }
    });
  }
});
