// A lab host on another Debian release: the release's cached root filesystem (rootfs.ts), under a
// private writable overlay, becomes the host's root (the anchor chroots into it). Everything is
// mounted inside the host's own mount namespace, so it all goes away with the host's last
// process (lab down, or a failed up): nothing to unmount by hand, nothing seen from the root
// namespace, and the cached tree is only ever a read-only lower layer.
import { raw, type ShellFragment, sh } from '../../connection/shell.js';

/** Where the host's new root is assembled (in the anchor's private tmpfs /run). */
export const RELEASE_ROOT = '/run/lvslab-root';
/** The lab's public key, copied in: the lab's state dir is never visible inside such a host. */
export const RELEASE_PUB_KEY = '/run/lvslab/authorized_key';
// Must match host-init.ts (HOST_RUN): the up script and tests look for pids and logs there.
const HOST_RUN = '/run/lvslab/run';

export interface ReleaseRootOptions {
  rootfs: string;
  stateDir: string;
  runDir: string;
  host: string;
  /** Path of the host's ssh host key inside its root. */
  hostKey: string;
}

export function releaseRootMounts(o: ReleaseRootOptions): ShellFragment[] {
  const n = RELEASE_ROOT;
  const ov = '/run/lvslab-ov';
  return [
    // A private /run over this machine's: the overlay's upper layer and the new root live there.
    raw('mount -t tmpfs -o mode=755,size=512m lvslab-run /run'),
    sh`mkdir -p ${ov}/u ${ov}/w ${n}`,
    sh`mount -t overlay lvslab-release -o ${`lowerdir=${o.rootfs},upperdir=${ov}/u,workdir=${ov}/w`} ${n}`,
    sh`mount -t proc proc ${n}/proc`,
    // ip netns exec mounted this namespace's own /sys: the host sees its own interfaces.
    sh`mount --rbind /sys ${n}/sys`,
    sh`mount --rbind /dev ${n}/dev`,
    // The running kernel's modules (the release root has none): a director's modprobe ip_vs_*
    // reads them. In the VM that is the booted release's kernel, bound over /lib/modules at boot.
    sh`if [ -d /lib/modules ]; then mkdir -p ${n}/lib/modules && mount --rbind /lib/modules ${n}/lib/modules; fi`,
    sh`mount -t tmpfs -o mode=755,size=64m lvslab-run ${n}/run`,
    sh`mount -t tmpfs -o mode=1777,size=64m lvslab-tmp ${n}/tmp`,
    sh`mkdir -p ${n}${HOST_RUN}/pids ${n}${HOST_RUN}/logs ${n}/run/sshd`,
    sh`mount --bind ${`${o.runDir}/pids`} ${n}${HOST_RUN}/pids`,
    sh`mount --bind ${`${o.runDir}/logs`} ${n}${HOST_RUN}/logs`,
    sh`cp ${`${o.stateDir}/id_ed25519.pub`} ${n}${RELEASE_PUB_KEY}`,
    sh`install -m 600 ${`${o.stateDir}/hostkeys/${o.host}`} ${`${n}${o.hostKey}`}`,
  ];
}
