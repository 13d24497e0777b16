// directors.firewall in a netns lab (seed 003's keepalived pair, --without-ipvs since this kernel
// has no IPVS; the data path is proven in the VM lab): `up` loads the table inet lvs_deploy on
// both directors and never touches another table; a policy that would cut lvs-deploy's own SSH
// session is refused before anything changes; a hand-edited live table is drift that `plan`
// shows and `up` repairs; `down` removes the table and nothing else.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadInventory } from '../../src/inventory/load.js';
import { hostExec, type LabState, labDown, labEnv, labUp } from '../../src/lab/netns.js';
import { cliInLab, ROOT } from '../helpers/cli.js';

const root = process.getuid?.() === 0;
const X = ['--without-ipvs'];
const DIRECTORS = ['load1', 'load2'];

describe('directors.firewall: one nftables table, owned whole (netns lab)', {
  skip: root ? false : 'needs root (network namespaces)',
}, () => {
  let state: LabState;
  let tmp: string;
  let inv: string;
  let locked: string;
  const env = () => ({ ...labEnv(state), LVS_VRRP_PASS: 'fw-lab1' });
  const lvs = (args: string[]) => cliInLab(state.controlNs, env(), [...args, ...X]);
  const sh = async (host: string, cmd: string) => (await hostExec(state, host, cmd)).stdout;

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'lvs-fw-'));
    // Seed 003 under its own lab name, so it never meets the VM lab of the same seed.
    const text = readFileSync(join(ROOT, 'inventories', 'seed-003-nat-keepalived.yaml'), 'utf8').replace(
      /^name: .*$/m,
      'name: lvs-fw-lab',
    );
    inv = join(tmp, 'fw.yaml');
    writeFileSync(inv, text);
    locked = join(tmp, 'locked.yaml');
    writeFileSync(
      locked,
      text.replace('admin_networks: [203.0.113.0/24]', 'admin_networks: [198.51.100.0/24]'),
    );
    process.env.LVS_VRRP_PASS = 'fw-lab1';
    state = (await labUp(await loadInventory(inv))).state;
    // Someone else's table on load1: lvs-deploy must never touch it.
    const foreign = await hostExec(
      state,
      'load1',
      "printf 'table ip theirs {\\n\\tchain c {\\n\\t\\ttype filter hook input priority 10; policy accept;\\n\\t}\\n}\\n' | nft -f -",
    );
    assert.equal(foreign.code, 0, foreign.stderr);
  });
  after(async () => {
    await labDown('lvs-fw-lab');
    rmSync(tmp, { recursive: true, force: true });
  });

  test('policy drop that would cut the SSH session of up is refused on the directors before anything changes', async () => {
    const r = await lvs(['up', locked]);
    assert.notEqual(r.code, 0, r.stdout);
    assert.match(
      r.stdout + r.stderr,
      /firewall policy drop would cut this SSH session: 203\.0\.113\.\d+ .*not in directors\.firewall\.admin_networks \(198\.51\.100\.0\/24\)/,
    );
    for (const d of DIRECTORS) {
      assert.doesNotMatch(await sh(d, 'nft list tables'), /lvs_deploy/, `${d}: no table loaded`);
      assert.equal(
        (await hostExec(state, d, 'test -e /etc/lvs-deploy/firewall.nft')).code,
        1,
        `${d}: no rules file written`,
      );
      assert.equal(
        (await hostExec(state, d, 'test -e /var/lib/lvs-deploy/state.json')).code,
        1,
        `${d}: nothing at all changed`,
      );
    }
  });

  test('up loads the table on both directors, leaves the other table alone, and plan is then empty', async () => {
    const r = await lvs(['up', inv]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /firewall load table inet lvs_deploy from \/etc\/lvs-deploy\/firewall\.nft \(rules changed\)/,
    );
    for (const d of DIRECTORS) {
      const table = await sh(d, 'nft list table inet lvs_deploy');
      assert.match(table, /policy drop/);
      assert.match(table, /masquerade/);
    }
    assert.match(await sh('load1', 'nft list tables'), /table ip theirs/);
    assert.doesNotMatch(
      await sh('web1', 'nft list tables 2>/dev/null'),
      /lvs_deploy/,
      'real servers get no firewall',
    );
    const plan = await lvs(['plan', inv, '--detailed-exitcode']);
    assert.equal(plan.code, 0, plan.stdout);
  });

  test('a hand-edited live table is drift: plan shows it, up puts the loaded table back', async () => {
    await sh('load1', 'nft add rule inet lvs_deploy input tcp dport 8080 accept');
    const plan = await lvs(['plan', inv, '--detailed-exitcode']);
    assert.equal(plan.code, 3, plan.stdout);
    assert.match(
      plan.stdout,
      /firewall load table inet lvs_deploy .*\(live table differs from what up loaded\)/,
    );
    const r = await lvs(['up', inv]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.doesNotMatch(await sh('load1', 'nft list table inet lvs_deploy'), /8080/);
    assert.match(await sh('load1', 'nft list tables'), /table ip theirs/);
  });

  test('down removes the table, its file and boot unit, and nothing else', async () => {
    const r = await lvs(['down', inv]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const d of DIRECTORS) {
      assert.doesNotMatch(await sh(d, 'nft list tables'), /lvs_deploy/, `${d}: table removed`);
      assert.equal((await hostExec(state, d, 'test -e /etc/lvs-deploy/firewall.nft')).code, 1);
      assert.equal(
        (await hostExec(state, d, 'test -e /etc/systemd/system/lvs-deploy-firewall.service')).code,
        1,
      );
    }
    assert.match(await sh('load1', 'nft list tables'), /table ip theirs/);
  });
});
