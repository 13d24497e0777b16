#!/bin/sh
# Build a Debian 12 Vagrant box for the libvirt provider with mmdebstrap, and add it as
# debian/bookworm64 (the name vagrant/Vagrantfile uses), so the Vagrant lab runs with no Vagrant
# Cloud: offline once the packages are fetched, or anywhere the public box is not at hand.
#
#   sudo sh vagrant/build-box.sh            # build (or reuse the cached build) and `vagrant box add`
#   LVS_BOX_MIRROR=http://host/debian sh vagrant/build-box.sh
#
# What is in it: systemd, sshd, sudo, ifupdown + DHCP on eth0 (net.ifnames=0), the `vagrant` user
# with Vagrant's insecure public key (from Debian's vagrant package; Vagrant swaps it for a fresh
# key on first boot), curl, lynx and busybox for the lab's provisioners, package lists kept.
# Nothing in it reaches out by itself: apt-daily, unattended upgrades and time sync are masked.
# Boot is vagrant-libvirt's direct kernel boot (the box's Vagrantfile names its vmlinuz/initrd.img)
# from an unpartitioned ext4 disk, so no boot loader is installed. Kernel modules are trimmed to
# what a VM uses; IPVS stays.
#
# The box is cached in $LVS_BOX_CACHE (default /var/cache/lvs-deploy/box), keyed on this script's
# hash: a second run only adds it again. Needs root, mmdebstrap, e2fsprogs, qemu-utils, vagrant.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
name=${LVS_BOX_NAME:-debian/bookworm64}
mirror=${LVS_BOX_MIRROR:-http://deb.debian.org/debian}
security=${LVS_BOX_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
cache=${LVS_BOX_CACHE:-/var/cache/lvs-deploy/box}
key=/usr/share/rubygems-integration/all/gems/vagrant-*/keys/vagrant.pub

[ "$(id -u)" -eq 0 ] || { echo "build-box: run as root (mmdebstrap, file ownership)" >&2; exit 2; }
for tool in mmdebstrap mkfs.ext4 qemu-img vagrant tar; do
  command -v "$tool" >/dev/null || { echo "build-box: $tool is missing (apt-get install mmdebstrap e2fsprogs qemu-utils vagrant)" >&2; exit 2; }
done
# shellcheck disable=SC2086 # the glob picks the installed vagrant's version
set -- $key
[ -r "$1" ] || { echo "build-box: Vagrant's insecure public key not found ($key)" >&2; exit 2; }
pubkey=$1

hash=$(cat "$0" "$pubkey" | sha256sum | cut -c1-16)
box="$cache/bookworm64-libvirt-$hash.box"
if [ -s "$box" ]; then
  echo "build-box: reusing $box"
else
  mkdir -p "$cache"
  work=$(mktemp -d "$cache/build.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  root="$work/root"
  started=$(date +%s)
  # Package lists are kept (apt's default cleanup in mmdebstrap removes them): `up` must also
  # work on images without lists, but a box that keeps them is what users mostly meet.
  mmdebstrap --variant=apt --skip=cleanup/apt/lists \
    --include=systemd-sysv,systemd-resolved,udev,dbus,openssh-server,sudo,ifupdown,isc-dhcp-client,iproute2,ifupdown,linux-image-amd64,initramfs-tools,kmod,procps,less,curl,lynx,busybox,ca-certificates,netbase \
    --customize-hook='chroot "$1" useradd -m -s /bin/bash -G sudo vagrant' \
    bookworm "$root" \
    "deb $mirror bookworm main" "deb $mirror bookworm-updates main" "deb $security bookworm-security main"

  echo lvs-box > "$root/etc/hostname"
  printf '127.0.0.1 localhost\n127.0.1.1 lvs-box\n' > "$root/etc/hosts"
  printf '/dev/vda / ext4 defaults,noatime 0 1\n' > "$root/etc/fstab"
  printf 'auto lo\niface lo inet loopback\n\nallow-hotplug eth0\niface eth0 inet dhcp\n' > "$root/etc/network/interfaces"
  install -d -m 700 -o 1000 -g 1000 "$root/home/vagrant/.ssh"
  install -m 600 -o 1000 -g 1000 "$pubkey" "$root/home/vagrant/.ssh/authorized_keys"
  printf 'vagrant ALL=(ALL) NOPASSWD: ALL\nDefaults:vagrant !requiretty\n' > "$root/etc/sudoers.d/vagrant"
  chmod 440 "$root/etc/sudoers.d/vagrant"
  printf 'UseDNS no\n' > "$root/etc/ssh/sshd_config.d/vagrant.conf"
  # Fresh host keys on each machine's first boot, not one set shared by every VM from this box.
  rm -f "$root"/etc/ssh/ssh_host_*
  mkdir -p "$root/etc/systemd/system/ssh.service.d"
  # Reset the list: Debian's unit runs `sshd -t` first, which fails while there is no host key.
  printf '[Service]\nExecStartPre=\nExecStartPre=/usr/bin/ssh-keygen -A\nExecStartPre=/usr/sbin/sshd -t\n' \
    > "$root/etc/systemd/system/ssh.service.d/host-keys.conf"
  # Nothing that reaches out by itself, nothing slow at boot under emulation.
  for unit in apt-daily.timer apt-daily-upgrade.timer systemd-timesyncd.service unattended-upgrades.service \
    e2scrub_all.timer fstrim.timer man-db.timer systemd-networkd-wait-online.service; do
    ln -sf /dev/null "$root/etc/systemd/system/$unit"
  done
  : > "$root/etc/machine-id"
  # Trim kernel modules to what a VM uses (IPVS and netfilter stay), after the initrd was built.
  kmods=$(echo "$root"/lib/modules/*/kernel)
  for dir in sound drivers/gpu drivers/media drivers/infiniband drivers/net/wireless drivers/bluetooth \
    drivers/staging drivers/usb drivers/scsi drivers/isdn drivers/iio drivers/hid drivers/input/joystick net/bluetooth \
    net/wireless net/mac80211; do
    rm -rf "${kmods:?}/$dir"
  done
  chroot "$root" sh -c 'depmod -a "$(ls /lib/modules)"'
  cp "$root"/boot/vmlinuz-* "$work/vmlinuz"
  cp "$root"/boot/initrd.img-* "$work/initrd.img"
  chmod 644 "$work/vmlinuz" "$work/initrd.img"

  mkfs.ext4 -q -L root -d "$root" "$work/root.raw" 3G
  qemu-img convert -c -O qcow2 "$work/root.raw" "$work/box.img"
  rm -rf "$root" "$work/root.raw"
  printf '{"provider":"libvirt","format":"qcow2","virtual_size":3}\n' > "$work/metadata.json"
  # The box's own Vagrantfile: direct kernel boot from the files beside it.
  cat > "$work/Vagrantfile" <<'EOF'
Vagrant.configure('2') do |config|
  config.vm.provider :libvirt do |lv|
    lv.kernel = File.expand_path('vmlinuz', __dir__)
    lv.initrd = File.expand_path('initrd.img', __dir__)
    lv.cmd_line = 'root=/dev/vda rw console=ttyS0 net.ifnames=0 quiet'
    lv.disk_bus = 'virtio'
  end
end
EOF
  # No gzip: box.img is a compressed qcow2 already, and gzip would only cost CPU time.
  tar -C "$work" -cf "$box.tmp" metadata.json Vagrantfile box.img vmlinuz initrd.img
  mv "$box.tmp" "$box"
  echo "build-box: built $box in $(($(date +%s) - started)) s"
fi
# Under qemu:///system the emulator runs as libvirt-qemu: it must reach the kernel and initrd in
# the box directory, so VAGRANT_HOME must be traversable (not a 0700 home).
vagrant box add --force --name "$name" --provider libvirt "$box"
echo "build-box: $name (libvirt) added from $box"
