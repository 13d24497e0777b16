// A site role on real sshd hosts (netns lab, issue 18): test/fixtures/site-lab's role gives group
// `web` a sysctl, a page and a package-less daemon. plan shows them, up applies them, a second up
// changes nothing, down removes exactly them. Host state is read with nsenter, not with the tool.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadInventory } from '../../src/inventory/load.js';
import { responderPidFile } from '../../src/lab/host-init.js';
import { hostExec, labDown, labEnv, labUp } from '../../src/lab/netns.js';
import type { LabState } from '../../src/lab/state.js';
import { cliInLab, ROOT } from '../helpers/cli.js';

const INV = join(ROOT, 'test', 'fixtures', 'site-lab', 'inventory.yaml');
const root = process.getuid?.() === 0;

interface JsonHost {
  host: string;
  status: string;
  changes: string[];
}

describe('a site role on real sshd hosts (netns lab)', {
  skip: root ? false : 'needs root (network namespaces)',
}, () => {
  let state: LabState;
  const before0: Record<string, string> = {};
  const sh = async (host: string, cmd: string) => (await hostExec(state, host, cmd)).stdout.trim();
  // What the site role touches, plus what the shipped roles do, as a user would look at it.
  const snapshot = (host: string) =>
    sh(
      host,
      [
        'sysctl -n net.ipv4.tcp_keepalive_time net.ipv4.conf.all.arp_ignore',
        'ls /etc/site-hello.txt /usr/local/sbin /etc/sysctl.d 2>/dev/null',
        'if [ -f /run/site-hello.pid ] && kill -0 "$(cat /run/site-hello.pid)" 2>/dev/null; then echo running; else echo stopped; fi',
      ].join('; '),
    );
  const lvs = (args: string[]) => cliInLab(state.controlNs, labEnv(state), args);
  const json = async (cmd: string) => {
    const r = await lvs([cmd, INV, '--limit', 'web', '--json']);
    const doc = JSON.parse(r.stdout) as { hosts: JsonHost[] };
    return { code: r.code, hosts: Object.fromEntries(doc.hosts.map((h) => [h.host, h])), stderr: r.stderr };
  };

  before(async () => {
    state = (await labUp(await loadInventory(INV))).state;
    for (const h of ['web1', 'web2']) before0[h] = await snapshot(h);
  });
  after(async () => {
    await labDown('lab-site');
  });

  test('plan shows the site role’s sysctl, files and daemon (and changes nothing)', async () => {
    const r = await json('plan');
    assert.equal(r.code, 0, r.stderr);
    const changes = r.hosts.web1?.changes ?? [];
    for (const want of [
      /^sysctl net\.ipv4\.tcp_keepalive_time: \d+ → 600$/,
      /^file create \/etc\/site-hello\.txt$/,
      /^file create \/usr\/local\/sbin\/site-hello$/,
      /^service start site-hello$/,
    ])
      assert.ok(
        changes.some((c) => want.test(c)),
        `${want} in:\n${changes.join('\n')}`,
      );
    assert.equal(r.hosts.dir1, undefined, '--limit web leaves the director out');
    assert.equal(await snapshot('web1'), before0.web1, 'plan changed the host');
  });

  test('up applies them: the sysctl is live, the page names the host, the daemon runs', async () => {
    const r = await json('up');
    assert.equal(r.code, 0, `${r.stderr}\n${JSON.stringify(r.hosts, null, 1)}`);
    assert.equal(r.hosts.web1?.status, 'changed');
    assert.equal(await sh('web1', 'sysctl -n net.ipv4.tcp_keepalive_time'), '600');
    assert.equal(
      await sh('web1', 'cat /etc/site-hello.txt'),
      'hello from the web group — web1 (10.81.0.21) serves www on 10.81.0.100:8080',
    );
    assert.match(await sh('web2', 'cat /etc/site-hello.txt'), /^hello from web2's own vars — web2 /);
    assert.match(
      await sh('web1', 'cat /etc/sysctl.d/90-lvs-deploy.conf'),
      /^# Site override of the shipped/m,
    );
    assert.equal(await sh('web1', 'kill -0 "$(cat /run/site-hello.pid)" && echo alive'), 'alive');
    const beat = await sh('web1', 'sleep 2.2; cat /run/site-hello.beat');
    assert.ok(Math.abs(Number(beat) - Date.now() / 1000) < 5, `heartbeat is fresh: ${beat}`);
  });

  test('a second up changes nothing', async () => {
    const r = await json('up');
    assert.equal(r.code, 0, r.stderr);
    for (const h of ['web1', 'web2']) {
      assert.equal(r.hosts[h]?.status, 'ok', `${h}: ${r.hosts[h]?.changes.join('; ')}`);
      assert.deepEqual(r.hosts[h]?.changes, []);
    }
  });

  test('down removes exactly them: each real server is as it was before up', async () => {
    const r = await lvs(['down', INV, '--limit', 'web']);
    assert.equal(r.code, 0, r.stderr);
    for (const h of ['web1', 'web2']) assert.equal(await snapshot(h), before0[h], h);
    assert.equal(await sh('web1', 'test -e /run/site-hello.beat && echo left || echo gone'), 'gone');
  });
});

// inventories/site-nginx on netns hosts: the real servers get nginx (installed on this machine by
// .ci/setup, so `up` finds the package) with the page naming each host. No IPVS in this kernel, so
// the page is fetched from each real server directly; the VIP path is the VM lab's to prove.
const NGINX = join(ROOT, 'inventories', 'site-nginx', 'inventory.yaml');

describe('inventories/site-nginx: nginx on the real servers (netns lab)', {
  skip: root ? false : 'needs root (network namespaces)',
}, () => {
  let state: LabState;
  const sh = async (host: string, cmd: string) => (await hostExec(state, host, cmd)).stdout.trim();
  const env = () => ({ ...labEnv(state), LVS_VRRP_PASS: 'k33pal1v' });

  before(async () => {
    process.env.LVS_VRRP_PASS = 'k33pal1v';
    state = (await labUp(await loadInventory(NGINX))).state;
    // nginx serves port 80 here: stop the lab's identity responders (started by the lab, by PID).
    for (const h of ['web1', 'web2']) await sh(h, `kill "$(cat ${responderPidFile(h)})"`);
  });
  after(async () => {
    await labDown('site-nginx');
  });

  test('up --limit web starts nginx serving each host its own page; a second up changes nothing; down stops it', async () => {
    const up = await cliInLab(state.controlNs, env(), ['up', NGINX, '--limit', 'web', '--json']);
    assert.equal(up.code, 0, `${up.stdout}\n${up.stderr}`);
    for (const [h, addr] of [
      ['web1', '192.168.100.20'],
      ['web2', '192.168.100.21'],
    ] as const) {
      const page = await sh('client', `curl -s --max-time 5 http://${addr}/`);
      assert.match(page, new RegExp(`<p>served by ${h}</p>`), `${h}: ${page}`);
    }
    const again = await cliInLab(state.controlNs, env(), [
      'plan',
      NGINX,
      '--limit',
      'web',
      '--detailed-exitcode',
    ]);
    assert.equal(again.code, 0, `plan after up is empty:\n${again.stdout}`);
    const down = await cliInLab(state.controlNs, env(), ['down', NGINX, '--limit', 'web']);
    assert.equal(down.code, 0, down.stderr);
    assert.equal(await sh('web1', 'test -e /var/www/html/index.html && echo left || echo gone'), 'gone');
    assert.notEqual(
      await sh(
        'client',
        'curl -s --max-time 3 -o /dev/null -w "%{http_code}" http://192.168.100.20/ || true',
      ),
      '200',
    );
  });
});
