# SPDX-License-Identifier: LGPL-2.1-or-later
"""Debian packages for the end-to-end tests, fetched by name and cached.

`apt-get download` into CACHE/debs, `dpkg -x` into CACHE/root/<package>.
Every step writes into a temporary name first and renames it when complete,
so an interrupted run leaves no half-filled entry that a later run would
trust. Callers hold the cache lock (see cache_lock) while fetching.
"""

import fcntl
import os
import re
import shutil
import subprocess
import tempfile


class FetchError(Exception):
    pass


def run(cmd, **kw):
    try:
        return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)
    except FileNotFoundError as e:
        raise FetchError(f"{cmd[0]} not found ({e}); the vm tests need apt and dpkg (Debian)")
    except subprocess.CalledProcessError as e:
        tail = "\n".join((e.stderr or e.stdout or "").strip().splitlines()[-5:])
        raise FetchError(f"`{' '.join(cmd)}` failed with status {e.returncode}:\n{tail}")


class cache_lock:
    """An exclusive flock on CACHE/lock: parallel scenarios share the cache."""

    def __init__(self, cache):
        os.makedirs(cache, exist_ok=True)
        self.path = os.path.join(cache, "lock")

    def __enter__(self):
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        self._remove_leftovers()
        return self

    def _remove_leftovers(self):
        """Temporary entries of an interrupted run (nobody else holds the lock)."""
        cache = os.path.dirname(self.path)
        for sub in ("debs", "root"):
            d = os.path.join(cache, sub)
            for name in os.listdir(d) if os.path.isdir(d) else []:
                if name.startswith((".download-", ".unpack-")):
                    shutil.rmtree(os.path.join(d, name), ignore_errors=True)

    def __exit__(self, *exc):
        os.close(self.fd)


def _version_key(name):
    return [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", name)]


def newest_package(prefix, pattern, cache):
    """The newest package name starting with @prefix and matching the
    regular expression @pattern that apt knows. When apt's lists know none (no `apt-get update` yet, or no
    network), the newest one already in the cache is used."""
    def known():
        try:
            out = run(["apt-cache", "pkgnames", prefix]).stdout
        except FetchError:
            return []
        return [n for n in out.split() if re.fullmatch(pattern, n)]

    names = known()
    if not names and os.geteuid() == 0:
        # A fresh machine: apt has no package lists yet.
        try:
            run(["apt-get", "update", "-q"])
        except FetchError:
            pass
        names = known()
    if not names:
        root = os.path.join(cache, "root")
        names = [n for n in os.listdir(root) if re.fullmatch(pattern, n)] if os.path.isdir(root) else []
    if not names:
        raise FetchError(f"no package matches {pattern!r}: run `apt-get update` "
                         "(the vm tests download kernels from Debian's archive)")
    return max(names, key=_version_key)


def _download(name, debs):
    os.makedirs(debs, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=debs, prefix=".download-") as tmp:
        # apt drops privileges to _apt for downloads when it can: let it write.
        os.chmod(tmp, 0o777)
        try:
            run(["apt-get", "download", "-q", name], cwd=tmp)
        except FetchError:
            # A stale package list names files the archive no longer has.
            if os.geteuid() != 0:
                raise
            run(["apt-get", "update", "-q"])
            run(["apt-get", "download", "-q", name], cwd=tmp)
        files = [f for f in os.listdir(tmp) if f.endswith(".deb")]
        if len(files) != 1:
            raise FetchError(f"apt-get download {name} gave {files}")
        dest = os.path.join(debs, files[0])
        os.replace(os.path.join(tmp, files[0]), dest)
        return dest


def _cached_deb(name, debs):
    if not os.path.isdir(debs):
        return None
    prefix = name + "_"
    found = sorted(f for f in os.listdir(debs) if f.startswith(prefix) and f.endswith(".deb"))
    return os.path.join(debs, found[-1]) if found else None


def unpacked(name, cache):
    """The directory where package @name is unpacked (downloaded and
    unpacked first when not cached)."""
    root = os.path.join(cache, "root")
    dest = os.path.join(root, name)
    if os.path.isdir(dest):
        return dest
    debs = os.path.join(cache, "debs")
    deb = _cached_deb(name, debs) or _download(name, debs)
    os.makedirs(root, exist_ok=True)
    tmp = tempfile.mkdtemp(dir=root, prefix=".unpack-")
    try:
        try:
            run(["dpkg-deb", "-x", deb, tmp])
        except FetchError:
            # A truncated .deb from an interrupted run: fetch it again.
            os.unlink(deb)
            deb = _download(name, debs)
            run(["dpkg-deb", "-x", deb, tmp])
        os.rename(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest


def find_one(root, directory, pattern):
    """The single file in root/directory whose name matches @pattern."""
    where = os.path.join(root, directory)
    found = sorted(f for f in os.listdir(where) if re.fullmatch(pattern, f)) if os.path.isdir(where) else []
    if len(found) != 1:
        raise FetchError(f"expected one {pattern} in {where}, found {found}")
    return os.path.join(where, found[0])


KERNELS = {
    # No CONFIG_CRASH_HOTPLUG: nothing but a reload updates a kexec_load image.
    "6.1": ("linux-image-6.1.0-", r"linux-image-6\.1\.0-[0-9]+-amd64", r"vmlinuz-6\.1\.0-.*"),
    # CONFIG_CRASH_HOTPLUG=y: the kernel updates kexec_file_load images.
    "6.12": ("linux-image-6.12.", r"linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned", r"vmlinuz-6\.12\..*"),
}


def kernel_image(series, cache):
    """(package name, path of its vmlinuz) for kernel series "6.1" or "6.12"."""
    prefix, pattern, image = KERNELS[series]
    name = newest_package(prefix, pattern, cache)
    return name, find_one(unpacked(name, cache), "boot", image)


def native(name):
    """@name for this machine's architecture: with foreign architectures
    added (dpkg --add-architecture, for the arm64 and ppc64le suites) a bare
    name may download another architecture's build of a higher version
    (busybox-static:arm64 is a binNMU, +b1)."""
    arch = run(["dpkg", "--print-architecture"]).stdout.strip()
    return f"{name}:{arch}"


def busybox(cache):
    return find_one(unpacked(native("busybox-static"), cache), "bin", r"busybox")


def kexec(cache):
    return find_one(unpacked(native("kexec-tools"), cache), "sbin", r"kexec")
