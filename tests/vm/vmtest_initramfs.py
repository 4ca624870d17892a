# SPDX-License-Identifier: LGPL-2.1-or-later
"""Initramfs images for the end-to-end tests: cpio "newc" archives, gzipped.

capture_image() holds what the kdump capture kernel runs: busybox, the init
script and the static vmcore-phdrs. first_image() adds kexec, memranged,
memrangectl (each with its shared libraries and the dynamic loader, see
add_program()), shared/tools' capture-sysroot.sh as /bin/capture-sysroot,
the kernel as /boot/vmlinuz and the capture image as /boot/capture.img, so
the guest can load the same kernel as its crash kernel.
"""

import gzip
import os
import re
import stat
import subprocess

from vmtest_fetch import FetchError


class Archive:
    """Entries by path (later additions replace earlier ones), written in
    path order so that every directory precedes its contents."""

    def __init__(self):
        self.entries = {}

    def _parents(self, path):
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            self.entries.setdefault(d, (stat.S_IFDIR | 0o755, b"", 0))

    def add_dir(self, path, mode=0o755):
        path = path.strip("/")
        self._parents(path)
        self.entries[path] = (stat.S_IFDIR | mode, b"", 0)

    def add_data(self, path, data, mode=0o644):
        path = path.strip("/")
        self._parents(path)
        self.entries[path] = (stat.S_IFREG | mode, data, 0)

    def add_file(self, path, source, mode=None):
        with open(source, "rb") as f:
            data = f.read()
        if mode is None:
            mode = 0o755 if os.stat(source).st_mode & 0o111 else 0o644
        self.add_data(path, data, mode)

    def add_symlink(self, path, target):
        path = path.strip("/")
        self._parents(path)
        self.entries[path] = (stat.S_IFLNK | 0o777, target.encode(), 0)

    def add_chardev(self, path, major, minor, mode=0o600):
        path = path.strip("/")
        self._parents(path)
        self.entries[path] = (stat.S_IFCHR | mode, b"", os.makedev(major, minor))

    def cpio(self):
        out = bytearray()
        ino = 1
        for path in sorted(self.entries, key=lambda p: p.split("/")):
            mode, data, rdev = self.entries[path]
            out += _newc_entry(ino, path, mode, data, rdev)
            ino += 1
        out += _newc_entry(0, "TRAILER!!!", 0, b"", 0)
        return bytes(out)

    def write_gzip(self, dest):
        tmp = dest + ".tmp"
        with open(tmp, "wb") as f:
            # Level 1: most of the bytes are an already compressed kernel.
            f.write(gzip.compress(self.cpio(), compresslevel=1, mtime=0))
        os.replace(tmp, dest)


def _pad4(n):
    return (4 - n % 4) % 4


def _newc_entry(ino, path, mode, data, rdev):
    name = path.encode() + b"\0"
    nlink = 2 if stat.S_ISDIR(mode) else 1
    fields = [ino, mode, 0, 0, nlink, 0, len(data), 0, 0,
              os.major(rdev), os.minor(rdev), len(name), 0]
    header = b"070701" + b"".join(b"%08X" % v for v in fields)
    entry = header + name + b"\0" * _pad4(len(header) + len(name))
    return entry + data + b"\0" * _pad4(len(data))


def shared_libraries(binary):
    """The libraries @binary loads, dynamic loader included, as resolved
    paths (empty for a static binary)."""
    try:
        out = subprocess.run(["ldd", binary], capture_output=True, text=True).stdout
    except FileNotFoundError:
        raise FetchError("ldd not found (libc-bin)")
    libs = []
    for line in out.splitlines():
        line = line.strip()
        if "not found" in line:
            raise FetchError(f"{binary}: shared library {line.split()[0]} not found")
        m = re.match(r"\S+ => (/\S+) \(0x[0-9a-f]+\)$", line) or re.match(r"(/\S+) \(0x[0-9a-f]+\)$", line)
        if m:
            libs.append(m.group(1))
    return libs


def add_busybox(archive, busybox):
    archive.add_file("bin/busybox", busybox, 0o755)
    applets = subprocess.run([busybox, "--list-full"], capture_output=True, text=True, check=True).stdout
    for applet in applets.split():
        if applet == "bin/busybox":
            continue
        depth = applet.count("/")
        archive.add_symlink(applet, "../" * depth + "bin/busybox")


# Where the guest's dynamic loader looks without an ld.so.cache (Debian's
# multiarch directory is one of its built-in ones).
GUEST_LIBDIR = "usr/lib/x86_64-linux-gnu"


def add_program(archive, path, binary):
    """@binary at @path, with its shared libraries: system ones at their
    host paths, the build tree's own (libmemrange.so, found through a
    $ORIGIN run path that means nothing in the guest) in GUEST_LIBDIR."""
    archive.add_file(path, binary, 0o755)
    for lib in shared_libraries(binary):
        guest = lib if lib.startswith(("/lib", "/usr/lib")) else f"{GUEST_LIBDIR}/{os.path.basename(lib)}"
        archive.add_file(guest, os.path.realpath(lib), 0o755)


def _base(init, busybox):
    a = Archive()
    for d in ("proc", "sys", "dev", "run", "tmp", "etc", "root"):
        a.add_dir(d)
    # The kernel opens /dev/console for init before devtmpfs is mounted.
    a.add_chardev("dev/console", 5, 1)
    add_busybox(a, busybox)
    a.add_file("init", init, 0o755)
    return a


def capture_image(dest, init, busybox, vmcore_phdrs):
    a = _base(init, busybox)
    if shared_libraries(vmcore_phdrs):
        raise FetchError(f"{vmcore_phdrs} must be linked statically")
    a.add_file("bin/vmcore-phdrs", vmcore_phdrs, 0o755)
    a.write_gzip(dest)


def first_image(dest, init, busybox, vmcore_phdrs, kexec, memranged, memrangectl,
                capture_sysroot, kernel, capture_img, capture_cmdline, memranged_conf):
    a = _base(init, busybox)
    a.add_file("bin/vmcore-phdrs", vmcore_phdrs, 0o755)
    add_program(a, "sbin/kexec", kexec)
    add_program(a, "usr/sbin/memranged", memranged)
    add_program(a, "usr/bin/memrangectl", memrangectl)
    a.add_file("bin/capture-sysroot", capture_sysroot, 0o755)
    a.add_file("boot/vmlinuz", kernel, 0o644)
    a.add_file("boot/capture.img", capture_img, 0o644)
    a.add_data("etc/vmtest/capture-cmdline", capture_cmdline.encode() + b"\n")
    a.add_data("etc/memranged.conf", memranged_conf.encode())
    a.write_gzip(dest)
