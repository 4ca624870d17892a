# SPDX-License-Identifier: LGPL-2.1-or-later
"""The Debian 12 guest of the system tests, built in three cached layers
under CACHE (tests/system/cache in the meson build directory):

 1. rootfs-KEY/: `debootstrap bookworm` with the packages below, kdump-tools'
    initrd built by its own kernel hook (MODULES=list, see configure_rootfs)
    and its latest_sysctls stamp, so that the first boot does not rebuild
    it. KEY hashes the package list and the configuration script: a few
    minutes, once.
 2. stock-KEY.img: layer 1 plus the test driver (guest/), as an ext4 image
    made with `mkfs.ext4 -d` (no loop mount). kdump-tools as installed.
 3. memranged-KEY.img: layer 2 plus memranged built from the source tree
    and installed as README.md says. KEY hashes what `meson install` put
    into an empty directory, so an unchanged tree reuses the image.

Each scenario boots a copy of one image. Callers hold the cache lock.
"""

import hashlib
import json
import os
import shutil
import subprocess

from vmtest_fetch import FetchError

SUITE = "bookworm"
MIRROR = os.environ.get("SYSTEST_MIRROR", "http://deb.debian.org/debian")
PACKAGES = [
    "systemd", "systemd-sysv", "udev", "dbus", "initramfs-tools",
    "kdump-tools", "makedumpfile", "kexec-tools", "linux-image-amd64",
    # memranged's run-time libraries
    "libnl-3-200", "libsystemd0", "libjson-c5", "libsmartcols1",
]
IMAGE_SIZE = "4G"
HERE = os.path.dirname(os.path.abspath(__file__))
GUEST_FILES = {
    # file in guest/ : (path in the image, mode)
    "systest-driver": ("usr/local/sbin/systest-driver", 0o755),
    "systest-sampler": ("usr/local/sbin/systest-sampler", 0o755),
    "systest-driver.service": ("etc/systemd/system/systest-driver.service", 0o644),
}

# Run in the chroot after debootstrap. kdump-tools' kernel hook builds its
# initrd with MODULES=dep when the system's is "most", and "dep" cannot find
# the root device inside a chroot: for the hook's run only, the system's
# initramfs configuration says MODULES=list with the guest's disk drivers
# (the hook copies it into /var/lib/kdump/initramfs-tools). The stamp
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
/etc/kernel/postinst.d/kdump-tools "$version"
mv /root/modules.orig /etc/initramfs-tools/modules
rm /etc/initramfs-tools/conf.d/zz-systest-kdump
cp /etc/kdump/sysctl.conf "/var/lib/kdump/latest_sysctls-$version"
rm -f /boot/*.dpkg-bak /boot/*.new
umount /proc
"""

# Run in the chroot after `meson install --destdir ROOT` (README.md).
# systemd-tmpfiles wants /proc (in_chroot's private mount namespace).
INSTALL_MEMRANGED = r"""
set -eu
mount -t proc proc /proc
systemd-sysusers
systemd-tmpfiles --create memranged.conf
systemctl enable memranged.socket memranged.service
"""


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


def tree_digest(top):
    """A digest of every path, mode, symlink target and file content under @top."""
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames.sort()
        for name in sorted(filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]):
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            h.update(f"{os.path.relpath(path, top)}\0{st.st_mode:o}\0".encode())
            if os.path.islink(path):
                h.update(os.readlink(path).encode())
            else:
                with open(path, "rb") as f:
                    h.update(f.read())
    return h.hexdigest()[:16]


def _replace_old(cache, prefix, keep):
    """Removes other cache entries named PREFIX-*: each layer keeps one."""
    for name in os.listdir(cache):
        if name.startswith(prefix + "-") and name != keep:
            path = os.path.join(cache, name)
            shutil.rmtree(path) if os.path.isdir(path) and not os.path.islink(path) else os.unlink(path)


def rootfs(cache, log):
    """Layer 1: the directory of the configured debootstrap tree."""
    key = digest(SUITE, MIRROR, *PACKAGES, CONFIGURE)
    dest = os.path.join(cache, f"rootfs-{key}")
    if os.path.isdir(dest):
        return dest
    _replace_old(cache, "rootfs", "")
    tmp = os.path.join(cache, ".rootfs-tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    log(f"debootstrap {SUITE} into {dest} (a few minutes, once)")
    try:
        run(["debootstrap", "--variant=minbase", "--include=" + ",".join(PACKAGES), SUITE, tmp, MIRROR],
            "debootstrap (a package missing from the archive is named above)")
        in_chroot(tmp, CONFIGURE, "configuring the guest (kdump-tools' initrd)")
        os.rename(tmp, dest)
    except BaseException:
        # debootstrap may leave /proc mounted in the tree.
        subprocess.run(["umount", "-l", os.path.join(tmp, "proc")], capture_output=True)
        raise
    return dest


def kernel_files(root):
    """(vmlinuz, initrd.img, version) of the guest's one kernel."""
    versions = os.listdir(os.path.join(root, "lib", "modules"))
    if len(versions) != 1:
        raise FetchError(f"expected one kernel in the guest, found {versions}")
    v = versions[0]
    return os.path.join(root, "boot", f"vmlinuz-{v}"), os.path.join(root, "boot", f"initrd.img-{v}"), v


def _guest_files_digest():
    return digest(*(open(os.path.join(HERE, "guest", f), "rb").read() for f in sorted(GUEST_FILES)))


def _stage(cache, base):
    """A fresh copy of layer 1 with the test driver added, to build an image from."""
    stage = os.path.join(cache, ".stage")
    shutil.rmtree(stage, ignore_errors=True)
    run(["cp", "-a", base, stage], "copying the rootfs")
    for name, (path, mode) in GUEST_FILES.items():
        dest = os.path.join(stage, path)
        shutil.copyfile(os.path.join(HERE, "guest", name), dest)
        os.chmod(dest, mode)
    in_chroot(stage, "systemctl enable systest-driver.service", "enabling the test driver")
    return stage


def _make_image(stage, dest):
    tmp = dest + ".tmp"
    if os.path.exists(tmp):
        os.unlink(tmp)
    run(["mkfs.ext4", "-q", "-F", "-L", "systest", "-d", stage, tmp, IMAGE_SIZE], "mkfs.ext4 -d")
    os.rename(tmp, dest)
    shutil.rmtree(stage)


def stock_image(cache, base, log):
    """Layer 2: kdump-tools as Debian installs it, no memranged."""
    key = digest(os.path.basename(base), _guest_files_digest())
    dest = os.path.join(cache, f"stock-{key}.img")
    if not os.path.exists(dest):
        log(f"building {dest}")
        _replace_old(cache, "stock", "")
        _make_image(_stage(cache, base), dest)
    return dest


def build_memranged(cache, source, log):
    """Configures (once) and builds memranged from @source in its own build
    directory with --prefix=/usr; returns that directory."""
    build = os.path.join(cache, "memranged-build")
    if not os.path.isfile(os.path.join(build, "build.ninja")):
        shutil.rmtree(build, ignore_errors=True)
        run(["meson", "setup", build, source, "--prefix=/usr"], "meson setup of memranged")
    # Only what `meson install` installs: the test programs are not needed
    # in the guest (and a half-edited test must not stop this suite).
    run(["meson", "setup", "--reconfigure", build, source], "meson setup --reconfigure of memranged")
    targets = json.loads(run(["meson", "introspect", "--targets", build], "meson introspect").stdout)
    outputs = [os.path.relpath(f, build) for t in targets if t.get("installed") for f in t["filename"]]
    run(["ninja", "-C", build, *outputs], "building memranged")
    return build


def memranged_image(cache, base, source, log):
    """Layer 3: layer 2 plus memranged as README.md installs it."""
    build = build_memranged(cache, source, log)
    probe = os.path.join(cache, ".install-probe")
    shutil.rmtree(probe, ignore_errors=True)
    run(["meson", "install", "-C", build, "--destdir", probe, "--no-rebuild", "--quiet"],
        "meson install of memranged")
    key = digest(os.path.basename(base), _guest_files_digest(), tree_digest(probe), INSTALL_MEMRANGED)
    shutil.rmtree(probe)
    dest = os.path.join(cache, f"memranged-{key}.img")
    if not os.path.exists(dest):
        log(f"building {dest}")
        _replace_old(cache, "memranged", "memranged-build")
        stage = _stage(cache, base)
        run(["meson", "install", "-C", build, "--destdir", stage, "--no-rebuild", "--quiet"],
            "meson install of memranged into the rootfs")
        in_chroot(stage, INSTALL_MEMRANGED, "installing memranged's users, tmpfiles and units")
        _make_image(stage, dest)
    return dest
