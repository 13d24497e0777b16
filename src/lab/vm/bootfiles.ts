// Boot files for the VM lab: Debian's kernel as an uncompressed ELF plus a tiny initramfs that
// mounts the host's own / read-only over 9p (no disk image to download or keep in sync).
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { KernelTree } from '../release/kernel.js';
import { LabError } from '../state.js';

const VM_CACHE_ROOT = '/var/cache/lvs-deploy/vm';
/** Guest mount point of the writable per-lab share (the VM's run dir on the host). */
export const GUEST_SHARE = '/lvs-vm';
/** Script on the share that busybox init runs as sysinit. */
export const GUEST_SCRIPT = 'guest.sh';

// The boot-critical drivers; each is loaded after what it depends on (modules.dep decides: 5.10
// has no netfs and a separate fscache, 6.12 folds fscache into netfs). virtio_net too: there is no
// udev to load it, and from the 9p root its modprobe cost ~3 s of boot. Everything else (bridge,
// veth, ip_vs…) is modprobe'd later from the 9p root with the host's kmod.
const INITRAMFS_MODULES = ['virtio_pci', 'virtio_mmio', '9pnet_virtio', '9p', 'overlay', 'virtio_net'];

export interface BootFiles {
  kernelVersion: string;
  vmlinux: string;
  initramfs: string;
  /** Where the kernel's tree is on this machine ('/' for its own /boot and /lib/modules). */
  kernelRoot: string;
}

/** Newest /boot/vmlinuz-* whose modules tree has ip_vs (the kernel the lab needs). */
function findKernel(): string | undefined {
  if (!existsSync('/boot')) return undefined;
  const versions = readdirSync('/boot')
    .filter((f) => f.startsWith('vmlinuz-'))
    .map((f) => f.slice('vmlinuz-'.length))
    .filter(
      (v) =>
        existsSync(`/lib/modules/${v}/kernel/net/netfilter/ipvs/ip_vs.ko`) ||
        existsSync(`/lib/modules/${v}/kernel/net/netfilter/ipvs/ip_vs.ko.xz`),
    )
    .sort();
  return versions.at(-1);
}

/** This machine's own Debian kernel (the default VM kernel). */
export function hostKernel(): KernelTree {
  const version = findKernel();
  if (!version) throw new LabError('no /boot/vmlinuz-* with ip_vs modules (install linux-image-amd64)');
  return { root: '/', version };
}

/** Build (once) and return the boot files for `kernel` (default: this machine's own). */
export function ensureBootFiles(kernel: KernelTree = hostKernel()): BootFiles {
  const { root, version: kernelVersion } = kernel;
  const dir = join(VM_CACHE_ROOT, kernelVersion);
  mkdirSync(dir, { recursive: true });
  const mods = bootModules(root, kernelVersion);
  // Another release's modules tree replaces the guest's /lib/modules/<version> (see initScript).
  const modulesFrom = root === '/' ? undefined : join(root, 'lib/modules', kernelVersion);
  // The initramfs is keyed by what goes into it, so a changed module list or /init rebuilds it.
  const key = createHash('sha1')
    .update(
      `${mods.map((m) => m.name).join(' ')}\n${initScript(
        mods.map((m) => m.name),
        kernelVersion,
        modulesFrom,
      )}`,
    )
    .digest('hex')
    .slice(0, 8);
  const files = {
    kernelVersion,
    kernelRoot: root,
    vmlinux: join(dir, 'vmlinux'),
    initramfs: join(dir, `initramfs-${key}.cpio`),
  };
  buildOnce(files.vmlinux, (tmp) => extractVmlinux(join(root, 'boot', `vmlinuz-${kernelVersion}`), tmp));
  buildOnce(files.initramfs, (tmp) => buildInitramfs(mods, kernelVersion, modulesFrom, tmp));
  return files;
}

// Build beside the target and rename: a crash, or a second lab building at the same time, never
// leaves a half-written file where qemu would boot it.
function buildOnce(target: string, build: (tmp: string) => void): void {
  if (existsSync(target)) return;
  const tmp = `${target}.tmp-${process.pid}`;
  try {
    build(tmp);
    renameSync(tmp, target);
  } finally {
    rmSync(tmp, { force: true });
    rmSync(`${tmp}.d`, { recursive: true, force: true });
  }
}

// The payload compressions Debian's kernels use: xz up to bookworm (5.10, 6.1), zstd on trixie (6.12).
const PAYLOADS = [
  // --single-stream: the payload is followed by trailing setup data xz must ignore.
  { magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], argv: ['xz', '-dc', '--single-stream'] },
  // zstd stops at the end of the frame and complains about the trailing data: its exit status
  // says nothing, the ELF header on what it wrote does.
  { magic: [0x28, 0xb5, 0x2f, 0xfd], argv: ['zstd', '-dcq'] },
];
const ELF = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

// An uncompressed ELF boots through qemu's PVH entry; it saves the ~3.5 s of in-guest
// decompression that an emulated CPU would otherwise pay at every boot.
function extractVmlinux(bzImage: string, out: string): void {
  const image = readFileSync(bzImage);
  for (const { magic, argv } of PAYLOADS) {
    const m = Buffer.from(magic);
    for (let off = image.indexOf(m); off >= 0; off = image.indexOf(m, off + 1)) {
      // A false magic match inside other data yields no ELF: keep looking.
      const [cmd = 'false', ...args] = argv;
      const r = spawnSync(cmd, args, { input: image.subarray(off), maxBuffer: 1 << 30 });
      if (r.stdout && r.stdout.length > 4 && r.stdout.subarray(0, 4).equals(ELF)) {
        writeFileSync(out, r.stdout);
        return;
      }
    }
  }
  throw new LabError(`${bzImage}: no xz- or zstd-compressed ELF payload found`);
}

interface BootModule {
  name: string;
  /** Path of the .ko(.xz|.zst) on this machine. */
  file: string;
}

const moduleName = (file: string) =>
  file
    .slice(file.lastIndexOf('/') + 1)
    .replace(/\.ko(\.xz|\.zst|\.gz)?$/, '')
    .replaceAll('-', '_');

/**
 * INITRAMFS_MODULES and everything they need, dependencies first, as this kernel's modules.dep
 * says (built-in ones are skipped: nothing to load).
 */
export function bootModules(root: string, kver: string): BootModule[] {
  const dir = join(root, 'lib/modules', kver);
  const deps = new Map<string, { file: string; needs: string[] }>();
  for (const l of readFileSync(join(dir, 'modules.dep'), 'utf8').split('\n')) {
    const colon = l.indexOf(':');
    if (colon < 0) continue;
    const file = l.slice(0, colon);
    const needs = l
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(moduleName);
    deps.set(moduleName(file), { file, needs });
  }
  const builtinPath = join(dir, 'modules.builtin');
  const builtin = new Set(
    existsSync(builtinPath)
      ? readFileSync(builtinPath, 'utf8').split('\n').filter(Boolean).map(moduleName)
      : [],
  );
  const out: BootModule[] = [];
  const seen = new Set<string>();
  const visit = (m: string) => {
    if (seen.has(m) || builtin.has(m)) return;
    seen.add(m);
    const d = deps.get(m);
    if (!d) throw new LabError(`module ${m} not found in ${dir}/modules.dep`);
    for (const n of d.needs) visit(n);
    out.push({ name: m, file: join(dir, d.file) });
  };
  for (const m of INITRAMFS_MODULES) visit(m);
  return out;
}

function buildInitramfs(
  mods: BootModule[],
  kver: string,
  modulesFrom: string | undefined,
  out: string,
): void {
  const root = `${out}.d`;
  for (const d of ['bin', 'dev', 'proc', 'sys', 'mods', 'lower', 'ovl', 'newroot'])
    mkdirSync(join(root, d), { recursive: true });
  copyFileSync('/usr/bin/busybox', join(root, 'bin/busybox'));
  chmodSync(join(root, 'bin/busybox'), 0o755);
  symlinkSync('busybox', join(root, 'bin/sh'));
  for (const m of mods) {
    const dst = join(root, 'mods', `${m.name}.ko`);
    // insmod takes a plain .ko: trixie's are xz-compressed.
    if (m.file.endsWith('.xz'))
      writeFileSync(dst, execFileSync('xz', ['-dc', m.file], { maxBuffer: 1 << 28 }));
    else if (m.file.endsWith('.zst'))
      writeFileSync(dst, execFileSync('zstd', ['-dcq', m.file], { maxBuffer: 1 << 28 }));
    else copyFileSync(m.file, dst);
  }
  writeFileSync(
    join(root, 'init'),
    initScript(
      mods.map((m) => m.name),
      kver,
      modulesFrom,
    ),
    {
      mode: 0o755,
    },
  );
  // Uncompressed: an emulated CPU unpacks gzip slower than it copies 3 MB.
  execFileSync('sh', ['-c', 'cd "$1" && find . | cpio -o -H newc --quiet > "$2"', 'sh', root, out]);
  rmSync(root, { recursive: true, force: true });
}

function initScript(mods: string[], kver: string, modulesFrom: string | undefined): string {
  const p9 = 'trans=virtio,version=9p2000.L,msize=262144';
  return `#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
# microvm passes virtio_mmio.device=... on the command line; insmod does not read it, so hand it over.
mmio=$(tr ' ' '\\n' </proc/cmdline | sed -n 's/^virtio_mmio\\.//p' | tr '\\n' ' ')
for m in ${mods.join(' ')}; do
  if [ "$m" = virtio_mmio ]; then insmod /mods/$m.ko $mmio; else insmod /mods/$m.ko; fi
done
fail() { echo "lvs-vm init: $*"; exec sh; }
mount -t 9p -o ${p9},ro,cache=loose hostroot /lower || fail "9p root"
mount -t tmpfs -o mode=0755 ovl /ovl && mkdir -p /ovl/upper /ovl/work
mount -t overlay overlay -o lowerdir=/lower,upperdir=/ovl/upper,workdir=/ovl/work /newroot || fail overlay
${
  modulesFrom
    ? `# Another release's kernel: its modules, from its cached tree on the 9p root, are the guest's
# /lib/modules/${kver} (modprobe, and the kernel's own module requests, read them there).
mkdir -p /newroot/lib/modules/${kver}
mount --bind /newroot${modulesFrom} /newroot/lib/modules/${kver} || fail "modules ${kver}"
`
    : ''
}mkdir -p /newroot${GUEST_SHARE}
mount -t 9p -o ${p9} labrun /newroot${GUEST_SHARE} || fail "9p lab share"
# busybox init with our own inittab (in the tmpfs upper layer, never on the host): the lab script
# is sysinit, and there is no respawning console shell (it kept a vCPU busy). The script runs under
# the host's /bin/sh: busybox sh would prefer its own applets (ip, mount…) over iproute2/util-linux.
mkdir -p /newroot/etc
cat > /newroot/etc/inittab <<'EOF'
::sysinit:/bin/sh ${GUEST_SHARE}/${GUEST_SCRIPT}
::ctrlaltdel:/bin/busybox poweroff -f
EOF
# The 9p root exports the host's /proc, /sys, /run…: cover them all before anything runs. A host
# /proc/self/exe would point at the qemu serving 9p, and busybox re-execs applets through it.
for d in proc sys dev; do mount --move /$d /newroot/$d || fail "move /$d"; done
mkdir -p /newroot/dev/pts /newroot/dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /newroot/dev/pts
mount -t tmpfs -o mode=1777 shm /newroot/dev/shm
# Private /run, /tmp and /root: /root also hides the host's dotfiles (bash sourced a slow .bashrc
# for every ssh command) and secrets.
for d in run tmp root; do mount -t tmpfs -o mode=0755 $d /newroot/$d; done
chmod 1777 /newroot/tmp
exec switch_root /newroot /bin/busybox init
`;
}
