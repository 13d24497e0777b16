// Each release's kernel as the VM lab boots it (lvs-deploy lab rootfs unpacks them; .ci/setup
// runs it): the initramfs's boot drivers resolved from that kernel's own modules.dep — 5.10 has
// fscache and no netfs, 6.12 folds fscache into netfs and builds virtio_pci in — and an IPVS with
// the schedulers the seeds use.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ensureKernel, kernelTreeOf } from '../../src/lab/release/kernel.js';
import { bootModules, hostKernel } from '../../src/lab/vm/bootfiles.js';
import { guestModules } from '../../src/lab/vm/guest.js';

const KERNELS = [
  { release: 'bullseye', series: '5.10.', has: ['fscache'], lacks: ['netfs'] },
  { release: 'trixie', series: '6.12.', has: ['netfs'], lacks: ['fscache', 'virtio_pci'] },
] as const;

for (const k of KERNELS) {
  const built = existsSync(join(kernelTreeOf(k.release), '.complete'));
  describe(`${k.release}'s kernel for the VM lab`, {
    skip: !built && 'not unpacked (lvs-deploy lab rootfs)',
  }, () => {
    test(`${k.series}x: boot drivers come from its own modules.dep, dependencies first`, async () => {
      const tree = await ensureKernel(k.release);
      assert.ok(tree);
      assert.ok(tree.version.startsWith(k.series), tree.version);
      assert.ok(existsSync(join(tree.root, 'boot', `vmlinuz-${tree.version}`)));
      const mods = bootModules(tree.root, tree.version).map((m) => m.name);
      for (const m of ['9pnet_virtio', '9p', 'overlay', 'virtio_net', ...k.has])
        assert.ok(mods.includes(m), m);
      for (const m of k.lacks) assert.ok(!mods.includes(m), `${m} is not a module on ${tree.version}`);
      assert.ok(mods.indexOf('9pnet') < mods.indexOf('9pnet_virtio'));
      assert.ok(mods.indexOf('failover') < mods.indexOf('net_failover'));
      assert.ok(mods.indexOf('net_failover') < mods.indexOf('virtio_net'));
    });
    test('its IPVS and the schedulers the seeds use are modules there', async () => {
      const tree = await ensureKernel(k.release);
      assert.ok(tree);
      const inv = {
        services: ['wlc', 'rr', 'mh'].map((scheduler) => ({ scheduler })),
      } as unknown as Parameters<typeof guestModules>[1];
      assert.deepEqual(guestModules(tree.version, inv, tree.root).sort(), [
        'ip_vs',
        'ip_vs_mh',
        'ip_vs_rr',
        'ip_vs_wlc',
        'nf_conntrack',
      ]);
    });
  });
}

test("this machine's kernel (bookworm, 6.1) keeps its boot drivers", () => {
  const k = hostKernel();
  const mods = bootModules(k.root, k.version).map((m) => m.name);
  assert.deepEqual(mods, [
    'virtio_pci_legacy_dev',
    'virtio_pci_modern_dev',
    'virtio_ring',
    'virtio',
    'virtio_pci',
    'virtio_mmio',
    '9pnet',
    '9pnet_virtio',
    'netfs',
    'fscache',
    '9p',
    'overlay',
    'failover',
    'net_failover',
    'virtio_net',
  ]);
});
