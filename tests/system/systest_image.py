# SPDX-License-Identifier: LGPL-2.1-or-later
"""The Debian guests of the system tests, one per release (bookworm = 12,
trixie = 13), built in cached layers under CACHE (tests/system/cache in the
meson build directory):

 0. debian/RELEASE/: memranged's Debian packages, built from the source tree
    by tools/debian-build.sh in a cached debootstrap chroot of the release
    (debian/chroot-RELEASE); rebuilt only when the tree changed.
 1. rootfs-RELEASE-KEY/: `mmdebstrap RELEASE` (Debian 13) or `debootstrap
    RELEASE` (12, see BOOTSTRAP) with the packages below,
    kdump-tools' initrd built by its own kernel hook (MODULES=list, see
    configure_rootfs) and its latest_sysctls stamp, so that the first boot
    does not rebuild it. KEY hashes the package list and the configuration
    script: a few minutes, once.
 2. stock-RELEASE-KEY.img: layer 1 plus the test driver (guest/), as an
    ext4 image made with `mkfs.ext4 -d` (no loop mount). kdump-tools as
    installed; memranged's packages lie in /var/cache/systest-debs (not
    installed) for the package scenario.
 3. memranged-RELEASE-KEY.img: layer 2 plus memranged installed from its
    .deb as README.md says (`apt install ./memranged_*.deb`). KEY hashes
    the packages, so an unchanged tree reuses the image.

Each scenario boots a copy of one image. Callers hold the cache lock.
"""

import hashlib
import os
import re
import shutil
import subprocess

from vmtest_fetch import FetchError

RELEASES = ("bookworm", "trixie")
MIRROR = os.environ.get("SYSTEST_MIRROR", "http://deb.debian.org/debian")
PACKAGES = [
    "systemd", "systemd-sysv", "udev", "dbus", "initramfs-tools",
    "kdump-tools", "makedumpfile", "kexec-tools", "linux-image-amd64",
    # memranged's run-time libraries
    "libnl-3-200", "libsystemd0", "libjson-c5", "libsmartcols1",
]
# What builds a release's root file system. mmdebstrap where it works:
# apt downloads in parallel and dpkg installs in one run (Debian 13's list,
# cold, on a loaded host: 408 s instead of debootstrap's 851 s, README.md);
# mmdebstrap 1.3.5 fails to configure Debian 12's linux-image-6.1.0-50-amd64
# (status 25), so Debian 12 keeps debootstrap.
BOOTSTRAP = {"bookworm": "debootstrap", "trixie": "mmdebstrap"}
IMAGE_SIZE = "4G"
HERE = os.path.dirname(os.path.abspath(__file__))
GUEST_FILES = {
    # file in guest/ : (path in the image, mode)
    "systest-driver": ("usr/local/sbin/systest-driver", 0o755),
    "systest-sampler": ("usr/local/sbin/systest-sampler", 0o755),
    "systest-driver.service": ("etc/systemd/system/systest-driver.service", 0o644),
}

# Run in the chroot after the bootstrap. kdump-tools' kernel hook builds its
# initrd with MODULES=dep when the system's is "most", and "dep" cannot find
# the root device inside a chroot: for the hook's run only, the system's
# initramfs configuration says MODULES=list with the guest's disk drivers
# (the hook copies it into /var/lib/kdump/initramfs-tools). kdump-tools
# 1.10 (Debian 13) skips the initrd when `ischroot` says it runs in a
# chroot: for the hook's run only, an `ischroot` first in PATH says no. The stamp
# latest_sysctls-VERSION keeps `kdump-config load` from rebuilding the
# initrd at first boot (minutes under TCG).
CONFIGURE = r"""
set -eu
mount -t proc proc /proc
echo systest >/etc/hostname
echo '/dev/vda / ext4 errors=remount-ro 0 1' >/etc/fstab
passwd -d root
version=$(ls /lib/modules)
cp /etc/initramfs-tools/modules /root/modules.orig
printf 'virtio_pci\nvirtio_blk\next4\n' >>/etc/initramfs-tools/modules
echo MODULES=list >/etc/initramfs-tools/conf.d/zz-systest-kdump
mkdir /root/systest-bin
printf '#!/bin/sh\nexit 1\n' >/root/systest-bin/ischroot
chmod 755 /root/systest-bin/ischroot
PATH=/root/systest-bin:$PATH /etc/kernel/postinst.d/kdump-tools "$version"
rm -r /root/systest-bin
test -s "/var/lib/kdump/initrd.img-$version"
mv /root/modules.orig /etc/initramfs-tools/modules
rm /etc/initramfs-tools/conf.d/zz-systest-kdump
cp /etc/kdump/sysctl.conf "/var/lib/kdump/latest_sysctls-$version"
rm -f /boot/*.dpkg-bak /boot/*.new
umount /proc
"""

# Run in the chroot with the packages in /var/cache/systest-debs (README.md,
# "Install on Debian"): every dependency is in the rootfs already, so apt
# downloads nothing (with --no-download apt-get refuses local .debs:
# "Pathname to install is not absolute"). The maintainer scripts create the group and
# /run/memranged (systemd-sysusers, systemd-tmpfiles want /proc: in_chroot's
# private mount namespace) and enable the units; nothing starts in a chroot.
INSTALL_MEMRANGED = r"""
set -eu
mount -t proc proc /proc
cd /var/cache/systest-debs
apt-get install -y -q ./memranged_*.deb ./libmemrange[0-9]*_*.deb
systemctl is-enabled memranged.socket memranged.service
"""
DEB_DIR = "var/cache/systest-debs"


def run(cmd, what, **kw):
    """Runs @cmd; a failure raises FetchError with @what and the output's tail."""
    try:
        return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)
    except FileNotFoundError:
        raise FetchError(f"{what}: {cmd[0]} not found (tools/dev.sh installs the host packages)")
    except subprocess.CalledProcessError as e:
        tail = "\n".join(((e.stdout or "") + (e.stderr or "")).strip().splitlines()[-15:])
        raise FetchError(f"{what}: `{' '.join(cmd[:6])}...` failed with status {e.returncode}:\n{tail}")


def in_chroot(root, script, what):
    # A private mount namespace: the /proc mounted inside goes away with it.
    return run(["unshare", "--mount", "--propagation", "private", "chroot", root, "/bin/sh", "-c", script],
               what, env=dict(os.environ, LC_ALL="C.UTF-8", DEBIAN_FRONTEND="noninteractive"))


def digest(*parts):
    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else str(p).encode())
        h.update(b"\0")
    return h.hexdigest()[:16]


def _replace_old(cache, prefix, keep):
    """Removes other cache entries named PREFIX-*: each layer keeps one."""
    for name in os.listdir(cache):
        if name.startswith(prefix + "-") and name != keep:
            path = os.path.join(cache, name)
            shutil.rmtree(path) if os.path.isdir(path) and not os.path.islink(path) else os.unlink(path)


def remove_legacy(cache):
    """Removes the entries of the cache's earlier layout (one release, the
    tree built with meson): gigabytes that nothing uses any more."""
    for name in os.listdir(cache):
        if re.fullmatch(r"(rootfs|stock|memranged)-[0-9a-f]{16}(\.img)?|memranged-build|\.install-probe", name):
            path = os.path.join(cache, name)
            shutil.rmtree(path) if os.path.isdir(path) and not os.path.islink(path) else os.unlink(path)


def upgrade_version(source):
    """The version the package scenarios upgrade to: debian/changelog's
    newest plus "+systest1", which dpkg orders after it."""
    with open(os.path.join(source, "debian", "changelog")) as f:
        m = re.match(r"memranged \(([^)\s]+)\)", f.readline())
    if not m:
        raise FetchError("debian/changelog: no version on its first line")
    return m.group(1) + "+systest1"


def rootfs(cache, release, log):
    """Layer 1: the directory of the configured bootstrap tree of @release."""
    tool = BOOTSTRAP[release]
    # debootstrap trees keep the keys they had before mmdebstrap came in.
    key = digest(release, MIRROR, *PACKAGES, CONFIGURE, *([tool] if tool != "debootstrap" else []))
    dest = os.path.join(cache, f"rootfs-{release}-{key}")
    if os.path.isdir(dest):
        return dest
    _replace_old(cache, f"rootfs-{release}", "")
    tmp = os.path.join(cache, f".rootfs-{release}-tmp")
    # A finished bootstrap is kept for the next try if configuring fails.
    done = os.path.join(tmp, f".{tool}-done-" + digest(release, MIRROR, *PACKAGES))
    if not os.path.exists(done):
        shutil.rmtree(tmp, ignore_errors=True)
    try:
        if not os.path.exists(done):
            log(f"{tool} {release} into {dest} (a few minutes, once)")
            try:
                run([tool, "--variant=minbase", "--include=" + ",".join(PACKAGES), release, tmp, MIRROR],
                    f"{tool} (a package missing from the archive is named above)")
            except FetchError as e:
                raise FetchError(f"{e}\n{bootstrap_diagnosis(tmp, cache)}") from None
            open(done, "w").close()
        in_chroot(tmp, CONFIGURE, "configuring the guest (kdump-tools' initrd)")
        os.unlink(done)
        os.rename(tmp, dest)
    except BaseException:
        # debootstrap, or a failed configuration, may leave /proc mounted in the tree.
        subprocess.run(["umount", "-l", os.path.join(tmp, "proc")], capture_output=True)
        raise
    return dest


def bootstrap_diagnosis(tree, cache):
    """What a failed debootstrap left to read: its own log's tail (dpkg's
    real error is there, not on its output) and the space left where it
    unpacked (a full disk shows up as a failed unpack)."""
    lines = []
    log = os.path.join(tree, "debootstrap", "debootstrap.log")
    try:
        with open(log, errors="replace") as f:
            tail = f.read().splitlines()[-25:]
        lines.append(f"the last lines of {log}:")
        lines += ["  " + t for t in tail]
    except OSError as e:
        lines.append(f"no debootstrap log to show ({e.strerror}: {log})")
    st = os.statvfs(cache)
    lines.append(f"free space in {cache}: {st.f_bavail * st.f_frsize // (1 << 20)} MiB, "
                 f"{st.f_favail} inodes")
    return "\n".join(lines)


def kernel_files(root):
    """(vmlinuz, initrd.img, version) of the guest's one kernel."""
    versions = os.listdir(os.path.join(root, "lib", "modules"))
    if len(versions) != 1:
        raise FetchError(f"expected one kernel in the guest, found {versions}")
    v = versions[0]
    return os.path.join(root, "boot", f"vmlinuz-{v}"), os.path.join(root, "boot", f"initrd.img-{v}"), v


def debian_packages(cache, source, release, log, version=None):
    """memranged's binary packages for @release, built by
    tools/debian-build.sh in its chroot (a no-op when the tree is
    unchanged); with @version, a rebuild with that newer version. Returns
    {"memranged": path, "lib": path} (the runtime packages, not -dev or
    -dbgsym)."""
    out = os.path.join(cache, "debian")
    cmd = [os.path.join(source, "tools", "debian-build.sh")]
    if version:
        cmd += ["--version", version]
    log(f"memranged's packages for {release}{' as ' + version if version else ''} (tools/debian-build.sh)")
    run(cmd + [out, release], f"building memranged's Debian packages for {release}")
    dest = os.path.join(out, release + (f"-{version}" if version else ""))
    debs = sorted(os.listdir(dest))
    found = {"memranged": [d for d in debs if re.fullmatch(r"memranged_[^_]+_[^_]+\.deb", d)],
             "lib": [d for d in debs if re.fullmatch(r"libmemrange\d[^_-]*_[^_]+_[^_]+\.deb", d)]}
    for what, names in found.items():
        if len(names) != 1:
            raise FetchError(f"expected one {what} package in {dest}, found {names}")
    return {what: os.path.join(dest, names[0]) for what, names in found.items()}


def _guest_files_digest():
    return digest(*(open(os.path.join(HERE, "guest", f), "rb").read() for f in sorted(GUEST_FILES)))


def _file_digest(path):
    with open(path, "rb") as f:
        return digest(os.path.basename(path), f.read())


def _stage(cache, base, debs):
    """A fresh copy of layer 1 with the test driver and memranged's
    packages (@debs, not installed) added, to build an image from."""
    stage = os.path.join(cache, ".stage")
    shutil.rmtree(stage, ignore_errors=True)
    run(["cp", "-a", base, stage], "copying the rootfs")
    for name, (path, mode) in GUEST_FILES.items():
        dest = os.path.join(stage, path)
        shutil.copyfile(os.path.join(HERE, "guest", name), dest)
        os.chmod(dest, mode)
    deb_dir = os.path.join(stage, DEB_DIR)
    os.makedirs(deb_dir)
    for deb in debs:
        shutil.copyfile(deb, os.path.join(deb_dir, os.path.basename(deb)))
    in_chroot(stage, "systemctl enable systest-driver.service", "enabling the test driver")
    return stage


def _make_image(stage, dest):
    tmp = dest + ".tmp"
    if os.path.exists(tmp):
        os.unlink(tmp)
    run(["mkfs.ext4", "-q", "-F", "-L", "systest", "-d", stage, tmp, IMAGE_SIZE], "mkfs.ext4 -d")
    os.rename(tmp, dest)
    shutil.rmtree(stage)


def stock_image(cache, release, base, debs, log):
    """Layer 2: kdump-tools as Debian installs it; memranged's packages
    @debs (all of them: the package scenario installs the first version,
    then upgrades to the rest) lie in DEB_DIR, not installed."""
    key = digest(os.path.basename(base), _guest_files_digest(), *(_file_digest(d) for d in debs))
    dest = os.path.join(cache, f"stock-{release}-{key}.img")
    if not os.path.exists(dest):
        log(f"building {dest}")
        _replace_old(cache, f"stock-{release}", "")
        _make_image(_stage(cache, base, debs), dest)
    return dest


def memranged_image(cache, release, base, debs, log):
    """Layer 3: layer 1 plus memranged installed from @debs as README.md says."""
    key = digest(os.path.basename(base), _guest_files_digest(), INSTALL_MEMRANGED,
                 *(_file_digest(d) for d in debs))
    dest = os.path.join(cache, f"memranged-{release}-{key}.img")
    if not os.path.exists(dest):
        log(f"building {dest}")
        _replace_old(cache, f"memranged-{release}", "")
        stage = _stage(cache, base, debs)
        in_chroot(stage, INSTALL_MEMRANGED, "installing memranged's packages with apt")
        _make_image(stage, dest)
    return dest
