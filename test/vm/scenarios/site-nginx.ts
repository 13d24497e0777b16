// Issue 18's proof on real kernel IPVS: inventories/site-nginx (seed 002's hosts and addresses)
// on seed 002's boot. The lab's identity responders are stopped on the real servers, `up` of
// site-nginx brings up the LVS and nginx from the site role, `verify` through the VIP counts
// answers from nginx on every real server (the page's last line names the host), and the IPVS
// tunables are live on both directors. Then `down`, the seed's own `up`, the responders back.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { quote } from '../../../src/connection/shell.js';
import { responderPidFile, responderStart } from '../../../src/lab/host-init.js';
import { labSpecFromInventory } from '../../../src/lab/spec.js';
import { vmHostExec } from '../../../src/lab/vm/index.js';
import { ROOT } from '../../helpers/cli.js';
import type { SeedContext, SeedScenario } from './index.js';

const NGINX = join(ROOT, 'inventories', 'site-nginx', 'inventory.yaml');
const WEB = ['web1', 'web2'];
const DIRECTORS = ['lb1', 'lb2'];

interface VerifyDoc {
  ok: boolean;
  services: { service: string; rows: { host: string | null; answered: number }[] }[];
}

const secs = (t0: number) => ((Date.now() - t0) / 1000).toFixed(1);

function register({ file, inv, state, lvs }: SeedContext): void {
  const run = async (h: string, cmd: string) => {
    const r = await vmHostExec(state(), h, cmd);
    assert.equal(r.code, 0, `${h}: ${cmd}\n${r.stdout}${r.stderr}`);
    return r.stdout.trim();
  };

  test('site-nginx: up installs and starts nginx on the real servers; verify counts nginx answers from each; tunables live', async () => {
    const t0 = Date.now();
    // The VM runs on this machine's root (9p, read-only, tmpfs overlay): .ci/setup installed
    // nginx there, so the role's package is already installed in the VM and `up` plans no install.
    const plan = await lvs(['plan', NGINX, '--json', '--limit', 'web']);
    const planned = (JSON.parse(plan.stdout) as { hosts: { host: string; changes: string[] }[] }).hosts;
    for (const h of planned)
      assert.ok(
        !h.changes.some((c) => c.startsWith('package install')),
        `${h.host}: nginx comes with the machine's root, no install: ${h.changes.join('; ')}`,
      );
    process.stdout.write(
      `# site-nginx: package install planned on the real servers: none (${await run('web1', "dpkg -s nginx | grep -E '^(Status|Version):' | tr '\\n' ' '")})\n`,
    );

    for (const h of WEB) await run(h, `read p < ${quote(responderPidFile(h))} && kill "$p"`);
    const up = await lvs(['up', NGINX, '--json']);
    assert.equal(up.code, 0, up.stdout + up.stderr);
    const nginxUp = Date.now();

    // keepalived's HTTP_GET may need one delay_loop to take the new real servers in: a few tries.
    let doc: VerifyDoc | undefined;
    let out = '';
    for (let i = 0; i < 4 && !doc?.ok; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 3000));
      const v = await lvs(['verify', NGINX, '--json']);
      out = v.stdout;
      doc = JSON.parse(v.stdout) as VerifyDoc;
    }
    assert.ok(doc?.ok, out);
    process.stdout.write(`# site-nginx: up to verify green: ${secs(nginxUp)} s\n`);
    const http = doc.services.find((s) => s.service === 'http');
    assert.deepEqual(http?.rows.map((r) => r.host).sort(), WEB);
    for (const row of http?.rows ?? [])
      assert.ok(row.answered > 0, `${row.host} answered through the VIP: ${out}`);
    // The answers are nginx's page (not a responder's bare name): fetch it through the VIP.
    const page = await run('client', 'curl -s -m 3 http://192.168.100.9/');
    assert.match(page, /<title>lvs-deploy demo shop<\/title>\n<p>served by web[12]<\/p>/);
    assert.match(await run('web1', 'cat /run/nginx.pid | xargs ps -o comm= -p'), /nginx/);

    for (const d of DIRECTORS) {
      assert.equal(await run(d, 'sysctl -n net.ipv4.vs.conn_reuse_mode'), '0', d);
      assert.equal(await run(d, 'sysctl -n net.ipv4.vs.sloppy_tcp'), '1', d);
      assert.match(
        await run(d, 'ipvsadm -L --timeout'),
        /Timeout \(tcp tcpfin udp\): 900 30 120/,
        `${d}: ipvsadm --set is live`,
      );
    }
    process.stdout.write(`# site-nginx: responders off → verify green: ${secs(t0)} s\n`);
  });

  test('site-nginx: down, then the seed its own inventory again with its responders', async () => {
    const t0 = Date.now();
    const down = await lvs(['down', NGINX]);
    assert.equal(down.code, 0, down.stdout + down.stderr);
    const spec = labSpecFromInventory(inv());
    for (const h of WEB) {
      const host = spec.hosts.find((x) => x.name === h);
      assert.ok(host);
      await run(h, responderStart(host));
    }
    // The responder gets port 80 back only if `down` stopped nginx: it answers with its bare name.
    for (const [h, addr] of [
      ['web1', '192.168.100.20'],
      ['web2', '192.168.100.21'],
    ]) {
      const ask = `i=0; until out=$(curl -s -m 2 http://${addr}/) && [ -n "$out" ] || [ $i -ge 20 ]; do sleep 0.2; i=$((i+1)); done; printf '%s' "$out"`;
      assert.equal(await run('client', ask), h, `${h}: nginx stopped, the responder answers`);
    }
    const up = await lvs(['up', file]);
    assert.equal(up.code, 0, up.stdout + up.stderr);
    const plan = await lvs(['plan', file, '--detailed-exitcode']);
    assert.equal(plan.code, 0, `plan after up must be empty:\n${plan.stdout}`);
    for (const d of DIRECTORS)
      assert.match(await run(d, 'ipvsadm -L --timeout'), /Timeout \(tcp tcpfin udp\): 900 120 300/, d);
    process.stdout.write(`# site-nginx: restore: ${secs(t0)} s\n`);
  });
}

export const scenario: SeedScenario = {
  seeds: ['seed-002-dr-keepalived'],
  register,
};
