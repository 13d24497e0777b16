// Site roles, template overrides, groups and vars (issue 18): loading, precedence, and errors that
// name the site file, line and column. The fixture is test/fixtures/site-lab (also the lab's).
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { formatHost } from '../../src/cli/commands/render.js';
import { InventoryError, RenderError } from '../../src/errors.js';
import { loadInventory } from '../../src/inventory/load.js';
import { expandHost } from '../../src/roles/expand.js';
import { resolveLimit } from '../../src/roles/inventory-data.js';
import { cli } from '../helpers/cli.js';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'site-lab');
const tmp = mkdtempSync(join(tmpdir(), 'lvs-site-roles-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;

/** A copy of the fixture with some files replaced; returns its inventory path. */
function variant(files: Record<string, string>): string {
  n += 1;
  const dir = join(tmp, `v${n}`);
  cpSync(FIXTURE, dir, { recursive: true });
  for (const [rel, text] of Object.entries(files)) writeFileSync(join(dir, rel), text);
  return join(dir, 'inventory.yaml');
}

async function renderError(file: string, host = 'web1'): Promise<string> {
  const inv = await loadInventory(file);
  try {
    expandHost(inv, host);
  } catch (err) {
    assert.ok(err instanceof RenderError, String(err));
    return err.message;
  }
  return assert.fail('expected a RenderError');
}

const ROLE = `format: 1
name: site-hello
applies_to: { groups: [web] }
files:
  - { path: /etc/site-hello.txt, template: site-hello.txt.njk, mode: "0644" }
`;

describe('site roles', () => {
  test('a site role applies to the hosts of its group, after the shipped roles', async () => {
    const inv = await loadInventory(join(FIXTURE, 'inventory.yaml'));
    const web1 = expandHost(inv, 'web1');
    assert.deepEqual(web1.roles, ['common', 'realserver-dr', 'site-hello']);
    assert.equal(web1.sysctls['net.ipv4.tcp_keepalive_time'], '600');
    assert.deepEqual(
      web1.daemons.map((d) => [d.name, d.command.join(' ')]),
      [['site-hello', '/usr/local/sbin/site-hello start']],
    );
    const script = web1.files.find((f) => f.path === '/usr/local/sbin/site-hello');
    assert.equal(script?.validate?.argv.join(' '), 'sh -n %s');
    assert.deepEqual(script?.notify, ['restart-site-hello']);
    assert.deepEqual(expandHost(inv, 'dir1').roles.includes('site-hello'), false);
    assert.deepEqual(expandHost(inv, 'client').roles, []);
  });

  test('templates read the host, its services and vars: the host’s own win over its group’s', async () => {
    const inv = await loadInventory(join(FIXTURE, 'inventory.yaml'));
    const page = (h: string) => expandHost(inv, h).files.find((f) => f.path === '/etc/site-hello.txt');
    assert.equal(
      page('web1')?.content,
      'hello from the web group — web1 (10.81.0.21) serves www on 10.81.0.100:8080\n',
    );
    assert.match(page('web2')?.content ?? '', /^hello from web2's own vars — web2/);
    assert.equal(page('web1')?.source, join(FIXTURE, 'templates', 'site-hello.txt.njk'));
  });

  test('a site template named like a shipped one replaces it, with the same context; render says where from', async () => {
    const inv = await loadInventory(join(FIXTURE, 'inventory.yaml'));
    for (const h of ['dir1', 'web1']) {
      const d = expandHost(inv, h);
      const conf = d.files.find((f) => f.path === '/etc/sysctl.d/90-lvs-deploy.conf');
      assert.match(conf?.content ?? '', /^# Site override of the shipped sysctl\.conf\.njk/m, h);
      assert.match(
        conf?.content ?? '',
        /^net\.ipv4\.conf\.all\.arp_ignore = 1$|^net\.ipv4\.ip_forward = 1$/m,
      );
      const out = formatHost(d, []);
      assert.match(
        out,
        /--- \/etc\/sysctl\.d\/90-lvs-deploy\.conf \(.*template: \S*test\/fixtures\/site-lab\/templates\/sysctl\.conf\.njk \(site\)\)/,
      );
      assert.match(
        out,
        /--- \/etc\/systemd\/system\/lvs-deploy-net\.service \(.*template: templates\/lvs-deploy-net\.service\.njk\)/,
      );
    }
  });

  test('an override keeps the shipped file’s host-side check (keepalived -t)', async () => {
    const dir = join(tmp, 'ka');
    cpSync(
      join(import.meta.dirname, '..', '..', 'inventories', 'seed-002-dr-keepalived.yaml'),
      join(tmp, 'ka.yaml'),
    );
    cpSync(FIXTURE, dir, { recursive: true });
    process.env.LVS_VRRP_PASS = 'k33pal1v';
    const file = join(dir, 'seed.yaml');
    cpSync(join(tmp, 'ka.yaml'), file);
    writeFileSync(
      join(dir, 'templates', 'keepalived.conf.njk'),
      '# {{ managed }}\n# site keepalived.conf\nglobal_defs {\n  router_id {{ router_id }}\n}\n',
    );
    const d = expandHost(await loadInventory(file), 'lb1');
    const conf = d.files.find((f) => f.path === '/etc/keepalived/keepalived.conf');
    assert.match(conf?.content ?? '', /^# site keepalived\.conf$/m);
    assert.equal(conf?.validate?.argv.join(' '), 'keepalived -t -f %s');
    assert.equal(conf?.secret, true);
  });

  test('--limit takes group names', async () => {
    const inv = await loadInventory(join(FIXTURE, 'inventory.yaml'));
    assert.deepEqual(resolveLimit(inv, ['web', 'dir1', 'nope']), {
      hosts: ['web1', 'web2', 'dir1'],
      unknown: ['nope'],
    });
  });
});

describe('site role errors name the site file, line and column', () => {
  test('an unknown key in a site role', async () => {
    const msg = await renderError(variant({ 'roles/site-hello.yaml': `${ROLE}packagez: [nginx]\n` }));
    assert.match(
      msg,
      /^roles\/site-hello\.yaml:6:1: packagez: unknown key "packagez"$|site-hello\.yaml:6:1: packagez: unknown key "packagez"$/,
    );
  });

  test('validate and plan report a site role error as one line, exit 2, before any host', async () => {
    const file = variant({ 'roles/site-hello.yaml': ROLE.replace('[web]', '[web, db]') });
    for (const cmd of ['validate', 'plan']) {
      const r = await cli([cmd, file]);
      assert.equal(r.code, 2, `${cmd}: ${r.stdout}${r.stderr}`);
      assert.match(
        r.stderr.trim(),
        /^\S+\/roles\/site-hello\.yaml:3:29: applies_to\.groups\[1\]: unknown group "db" \(not in the groups of \S+\)$/,
      );
    }
  });

  test('an unknown group in applies_to', async () => {
    const msg = await renderError(variant({ 'roles/site-hello.yaml': ROLE.replace('[web]', '[web, db]') }));
    assert.match(msg, /site-hello\.yaml:3:29: applies_to\.groups\[1\]: unknown group "db"/);
  });

  test('a site role may not take a shipped role’s name', async () => {
    const file = variant({ 'roles/site-hello.yaml': ROLE.replace('name: site-hello', 'name: common') });
    const msg = await renderError(file);
    assert.match(msg, /site-hello\.yaml:2:7: name: role "common" must live in common\.yaml/);
    const msg2 = await renderError(
      variant({
        'roles/common.yaml': ROLE.replace('name: site-hello', 'name: common'),
        'roles/site-hello.yaml': ROLE,
      }),
    );
    assert.match(msg2, /common\.yaml:2:7: name: "common" is a shipped role/);
  });

  test('a format this lvs-deploy does not read', async () => {
    const msg = await renderError(
      variant({ 'roles/site-hello.yaml': ROLE.replace('format: 1', 'format: 2') }),
    );
    assert.match(msg, /site-hello\.yaml:1:9: format: this lvs-deploy reads role format 1/);
  });

  test('a template that is neither shipped nor in a site directory', async () => {
    const msg = await renderError(
      variant({ 'roles/site-hello.yaml': ROLE.replace('site-hello.txt.njk', 'nope.njk') }),
    );
    assert.match(
      msg,
      /site-hello\.yaml:5:44: files\[0\]\.template: no template "nope\.njk" \(shipped: .*site directories: \S*templates/,
    );
  });

  test('a template error names the site template file', async () => {
    const msg = await renderError(variant({ 'templates/site-hello.txt.njk': '{{ vars.nope.deeper }}\n' }));
    assert.match(msg, /site-lab|templates\/site-hello\.txt\.njk: /);
    assert.match(msg, /templates\/site-hello\.txt\.njk: .*undefined|null/);
  });

  test('vars must be plain data, refused at their line and column', async () => {
    const file = variant({});
    const text = (await import('node:fs'))
      .readFileSync(file, 'utf8')
      .replace('beat_seconds: 1', 'beat_seconds: ~');
    writeFileSync(file, text);
    try {
      await loadInventory(file);
      assert.fail('expected refusal');
    } catch (err) {
      assert.ok(err instanceof InventoryError, String(err));
      assert.match(
        err.lines()[0] ?? '',
        /inventory\.yaml:23:21: groups\.web\.vars\.beat_seconds: null is not plain data/,
      );
    }
  });
});
