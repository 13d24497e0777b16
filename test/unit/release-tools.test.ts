// Debian 11 and 13's own tools on every file lvs-deploy renders, chrooted into each release's
// cached root filesystem (lvs-deploy lab rootfs; .ci/setup builds them): keepalived -t, nft -c,
// ldirectord's check. Bookworm's own tools are keepalived-t / nft-check / ldirectord tests.
// Each version difference that needed code is pinned here with the code that handles it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseVersions, versionsScript } from '../../src/facts/versions.js';
import { loadInventory } from '../../src/inventory/load.js';
import type { HostSpec } from '../../src/inventory/types.js';
import { releaseBuilt, releaseRootOf } from '../../src/lab/release/rootfs.js';
import { RELEASE_TOOLS, type Release } from '../../src/model/releases.js';
import { FIREWALL_FILE } from '../../src/model/types.js';
import { KEEPALIVED_QUIET_CHECK } from '../../src/planner/versions.js';
import { expandInventory } from '../../src/roles/expand.js';
import { runInRelease } from '../helpers/release-chroot.js';

process.env.LVS_VRRP_PASS = 'k33pal1v';

const ROOT = join(import.meta.dirname, '..', '..');
const NS = `lvs-rel-${process.pid}`;
const KEEPALIVED_CONF = '/etc/keepalived/keepalived.conf';
const LDIRECTORD_CF = '/etc/ha.d/ldirectord.cf';

const ip = (args: string[]) => spawnSync('ip', args, { encoding: 'utf8' });
const must = (args: string[]) => {
  const r = ip(args);
  assert.equal(r.status, 0, `ip ${args.join(' ')}: ${r.stderr}`);
};

/** The namespace gets exactly this director's interfaces (keepalived -t checks they exist). */
function shapeNamespace(h: HostSpec): void {
  for (const line of ip(['-n', NS, '-o', 'link']).stdout.split('\n')) {
    const dev = /^\d+: ([^:@]+)/.exec(line)?.[1];
    if (dev && dev !== 'lo') ip(['-n', NS, 'link', 'del', dev]);
  }
  Object.keys(h.interfaces).forEach((dev, i) => {
    must(['-n', NS, 'link', 'add', dev, 'type', 'veth', 'peer', 'name', `relpeer${i}`]);
    for (const cidr of h.interfaces[dev] ?? []) must(['-n', NS, 'addr', 'add', cidr, 'dev', dev]);
    must(['-n', NS, 'link', 'set', dev, 'up']);
    must(['-n', NS, 'link', 'set', `relpeer${i}`, 'up']);
  });
}

interface Rendered {
  label: string;
  path: string;
  content: string;
  spec: HostSpec;
}

async function renderedFiles(): Promise<Rendered[]> {
  const files = [
    ...readdirSync(join(ROOT, 'inventories'))
      .filter((n) => n.endsWith('.yaml'))
      .sort()
      .map((n) => join(ROOT, 'inventories', n)),
    join(ROOT, 'test', 'fixtures', 'keepalived-features.yaml'),
    join(ROOT, 'test', 'fixtures', 'ldirectord-features.yaml'),
  ];
  const out: Rendered[] = [];
  for (const file of files) {
    const inv = await loadInventory(file);
    for (const [host, d] of expandInventory(inv)) {
      const spec = inv.hosts[host];
      if (!spec) continue;
      for (const f of d.files)
        if ([KEEPALIVED_CONF, FIREWALL_FILE, LDIRECTORD_CF].includes(f.path))
          out.push({ label: `${inv.name}/${host}`, path: f.path, content: f.content, spec });
    }
  }
  return out;
}

const CHECKS: Record<string, (file: string) => string[]> = {
  [KEEPALIVED_CONF]: (f) => ['keepalived', '-t', '-f', f],
  [FIREWALL_FILE]: (f) => ['nft', '-c', '-f', f],
  [LDIRECTORD_CF]: (f) => ['ldirectord', '-d', f, 'stop'],
};

const RELEASES: Release[] = ['bullseye', 'trixie'];
const missing = RELEASES.filter((r) => !releaseBuilt(r));
const skip =
  process.getuid?.() !== 0
    ? 'needs root (ip netns, chroot)'
    : missing.length > 0
      ? `no root filesystem for ${missing.join(', ')} (build: lvs-deploy lab rootfs ${missing.join(' ')}; .ci/setup does)`
      : false;

describe("Debian 11 and 13's own tools accept what lvs-deploy renders", { skip }, () => {
  let dir = '';
  let rendered: Rendered[] = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lvs-rel-'));
    must(['netns', 'add', NS]);
    must(['-n', NS, 'link', 'set', 'lo', 'up']);
    rendered = await renderedFiles();
  });
  after(() => {
    ip(['netns', 'del', NS]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const inRelease = (release: Release, content: string, argv: (file: string) => string[]) => {
    const file = join(dir, `check-${Math.random().toString(36).slice(2)}`);
    writeFileSync(file, content, { mode: 0o600 });
    return runInRelease(releaseRootOf(release), NS, [file], argv(`/tmp/${basename(file)}`));
  };

  for (const release of RELEASES) {
    test(`${release}: keepalived -t, nft -c and ldirectord accept every rendered file, silently`, () => {
      const seen = new Set<string>();
      for (const r of rendered) {
        shapeNamespace(r.spec);
        const check = CHECKS[r.path];
        assert.ok(check);
        const out = inRelease(release, r.content, check);
        assert.equal(out.status, 0, `${release} ${check('FILE').join(' ')} for ${r.label}:\n${out.out}`);
        // keepalived 2.1.5's -t says what is wrong only in words (exit 0): a valid file prints nothing.
        if (r.path !== LDIRECTORD_CF) assert.equal(out.out, '', `${release} ${r.label} ${r.path}`);
        seen.add(r.path);
      }
      assert.deepEqual([...seen].sort(), [LDIRECTORD_CF, KEEPALIVED_CONF, FIREWALL_FILE].sort());
    });
  }

  const BROKEN =
    'global_defs {\n  bogus_keyword 1\n}\nvrrp_instance X {\n  interface lo\n  virtual_router_id 300\n}\n';
  test('keepalived -t exits 0 on a broken file on 2.1.5 (Debian 11), 5 on 2.3.3; the check up runs on 2.1 refuses it', () => {
    const plain = (f: string) => ['keepalived', '-t', '-f', f];
    const old = inRelease('bullseye', BROKEN, plain);
    assert.equal(old.status, 0, 'keepalived 2.1.5 -t exits 0 whatever it finds');
    assert.match(old.out, /Unknown keyword 'bogus_keyword'/);
    assert.equal(inRelease('trixie', BROKEN, plain).status, 5);
    const quiet = (f: string) => [...KEEPALIVED_QUIET_CHECK, ...plain(f)];
    const strict = inRelease('bullseye', BROKEN, quiet);
    assert.notEqual(strict.status, 0, 'the wrapped check fails on 2.1.5');
    assert.match(strict.out, /VRID '300' not valid/);
    const good = rendered.find((r) => r.path === KEEPALIVED_CONF);
    assert.ok(good);
    shapeNamespace(good.spec);
    assert.equal(inRelease('bullseye', good.content, quiet).status, 0, 'and passes a valid file');
  });

  test('the versions facts section reads each release as its tools print it', () => {
    const script = versionsScript({
      sysctls: [],
      files: [],
      packages: ['keepalived', 'ldirectord'],
      modules: [],
      daemons: [],
      ipvs: true,
      rules: false,
      firewall: true,
    }).render();
    const read = (release: Release) => {
      const r = inRelease(release, script, (f) => ['sh', f]);
      assert.equal(r.status, 0, r.out);
      const { versions } = parseVersions(r.out.replace(/^==>lvs:versions\n/, ''));
      const { kernel: _, ...tools } = versions ?? {};
      return tools;
    };
    assert.deepEqual(read('bullseye'), RELEASE_TOOLS.bullseye);
    assert.deepEqual(read('trixie'), RELEASE_TOOLS.trixie);
    assert.equal(RELEASE_TOOLS.bullseye.keepalived, '2.1.5');
    assert.equal(RELEASE_TOOLS.trixie.keepalived, '2.3.3');
  });
});
