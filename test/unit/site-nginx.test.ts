// inventories/site-nginx (issue 18): the application deployed with the LVS from one inventory. The
// rendered nginx settings go through the role's own `validate:` command with the real nginx, the
// way `up` checks the candidate file on the host.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { quote } from '../../src/connection/shell.js';
import { loadInventory } from '../../src/inventory/load.js';
import type { DesiredHost } from '../../src/model/types.js';
import { expandInventory } from '../../src/roles/expand.js';

process.env.LVS_VRRP_PASS = 'k33pal1v';
const INV = join(import.meta.dirname, '..', '..', 'inventories', 'site-nginx', 'inventory.yaml');
const tmp = mkdtempSync(join(tmpdir(), 'lvs-site-nginx-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const file = (d: DesiredHost | undefined, path: string) => d?.files.find((f) => f.path === path);

/** Run a file's validate argv on `content` as the host would (`%s` = the candidate file). */
function validate(d: DesiredHost | undefined, path: string, content: string): number {
  const f = file(d, path);
  assert.ok(f?.validate, `${path} has a validate command`);
  const candidate = join(tmp, 'candidate.conf');
  writeFileSync(candidate, content);
  try {
    execFileSync('sh', ['-c', f.validate.render((w) => (w === '%s' ? quote(candidate) : undefined))], {
      stdio: 'pipe',
    });
    return 0;
  } catch (err) {
    return (err as { status: number }).status;
  }
}

describe('inventories/site-nginx: nginx on the real servers of a DR keepalived pair', () => {
  test('every web host gets nginx, a page with its own name, and nginx kept running', async () => {
    const hosts = expandInventory(await loadInventory(INV));
    for (const name of ['web1', 'web2']) {
      const d = hosts.get(name);
      assert.ok(d?.packages.includes('nginx'), name);
      assert.match(
        file(d, '/var/www/html/index.html')?.content ?? '',
        new RegExp(`<p>served by ${name}</p>`),
      );
      assert.deepEqual(
        d?.daemons.map((x) => x.name),
        ['nginx'],
      );
    }
    assert.equal(hosts.get('lb1')?.packages.includes('nginx'), false, 'directors get no nginx');
  });

  test('the directors get the tunables: conn_reuse_mode, sloppy_tcp and the ipvsadm --set timeouts', async () => {
    const lb1 = expandInventory(await loadInventory(INV)).get('lb1');
    assert.equal(lb1?.sysctls['net.ipv4.vs.conn_reuse_mode'], '0');
    assert.equal(lb1?.sysctls['net.ipv4.vs.sloppy_tcp'], '1');
    assert.deepEqual(lb1?.ipvsTimeouts, { tcp: 900, tcpfin: 30, udp: 120 });
  });

  test('nginx itself accepts the rendered settings and refuses a broken file (the host-side check)', async () => {
    const web1 = expandInventory(await loadInventory(INV)).get('web1');
    const conf = file(web1, '/etc/nginx/conf.d/site-nginx.conf')?.content ?? '';
    assert.equal(validate(web1, '/etc/nginx/conf.d/site-nginx.conf', conf), 0);
    assert.notEqual(validate(web1, '/etc/nginx/conf.d/site-nginx.conf', `${conf}server_tokens maybe;\n`), 0);
  });
});
