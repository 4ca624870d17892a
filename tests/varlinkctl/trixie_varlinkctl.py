# SPDX-License-Identifier: LGPL-2.1-or-later
"""varlinkctl of Debian 13 (trixie, systemd 257), unpacked from its
packages and run through trixie's own dynamic loader.

Why unpacking rather than a debootstrap'ed trixie (both measured on a
2-core machine of this project, a build running beside each):
`debootstrap --variant=minbase --include=systemd trixie` took 12 min 25 s
and left 238 MB, and varlinkctl in it would need /proc mounted and the
test's socket bind-mounted into the chroot, as root. These 17 packages are
12 MB of .debs, 43 MB unpacked; with trixie's package lists (21 MB) the
first run takes about a minute, later ones nothing. `ld.so --library-path`
runs varlinkctl in this machine's own namespace: it reaches any socket
path and runs as another user with setpriv like any program. What
unpacking skips (maintainer scripts, /etc) varlinkctl does not use.

The cache (CACHE, the meson build directory's tests/varlinkctl/cache):
  apt/   a private apt configuration and package lists of trixie main
         (apt-get update with them touches none of the machine's apt state)
  debs/  the downloaded packages
  root/  the packages unpacked with dpkg-deb -x; root/.complete names the
         packages, so a changed list unpacks anew
"""
import os
import shutil
import subprocess

MIRROR = os.environ.get("VARLINKCTL_MIRROR", "http://deb.debian.org/debian")
SUITE = "trixie"
# varlinkctl, libsystemd-shared-257.so and every library they load
# (readelf NEEDED, recursively); check_closure() proves none is missing.
PACKAGES = [
    "systemd", "libsystemd-shared", "libc6",
    "libacl1", "libblkid1", "libcap2", "libcrypt1", "libmount1", "libssl3t64", "libpam0g",
    "libseccomp2", "libselinux1", "libpcre2-8-0", "libaudit1", "libcap-ng0", "libzstd1", "zlib1g",
]
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"


class Unreachable(Exception):
    """The archive could not be reached (no network, no such mirror)."""


class FetchError(Exception):
    """Anything else went wrong: a missing package, a missing library."""


def _arch():
    return subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True,
                          check=True).stdout.strip()


def _apt_config(apt):
    for d in ("lists/partial", "cache/archives/partial", "sources.list.d"):
        os.makedirs(os.path.join(apt, d), exist_ok=True)
    with open(os.path.join(apt, "sources.list"), "w") as f:
        f.write(f"deb [signed-by={KEYRING}] {MIRROR} {SUITE} main\n")
    config = os.path.join(apt, "apt.conf")
    with open(config, "w") as f:
        f.write(f'Dir::Etc::SourceList "{apt}/sources.list";\n'
                f'Dir::Etc::SourceParts "{apt}/sources.list.d";\n'
                f'Dir::State::Lists "{apt}/lists";\n'
                f'Dir::Cache "{apt}/cache";\n'
                'Dir::State::status "/dev/null";\n'
                f'APT::Architecture "{_arch()}";\n'
                f'APT::Architectures {{ "{_arch()}"; }};\n'
                'Acquire::Languages "none";\n'
                'Acquire::Retries "2";\n'
                'Acquire::http::Timeout "30";\n'
                # The cache may lie where apt's _apt user cannot write.
                'APT::Sandbox::User "root";\n')
    return dict(os.environ, APT_CONFIG=config)


def _run(args, env, cwd=None):
    return subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL)


def _download(cache, log):
    apt = os.path.join(cache, "apt")
    env = _apt_config(apt)
    log(f"apt-get update: {SUITE} main from {MIRROR} (private lists under {apt})")
    r = _run(["apt-get", "update", "-q"], env)
    # apt-get update exits 0 with only a warning when a source fails.
    failed = [line for line in (r.stdout + r.stderr).splitlines() if line.startswith(("E:", "W: Failed", "Err:"))]
    if r.returncode != 0 or failed:
        raise Unreachable(f"apt-get update of {SUITE} failed:\n" + "\n".join(failed or [r.stderr]))
    debs = os.path.join(cache, "debs")
    shutil.rmtree(debs, ignore_errors=True)
    os.makedirs(debs)
    log(f"apt-get download {' '.join(PACKAGES)}")
    r = _run(["apt-get", "download", "-q"] + PACKAGES, env, cwd=debs)
    if r.returncode != 0:
        raise FetchError(f"apt-get download failed:\n{r.stdout}{r.stderr}")
    return sorted(os.path.join(debs, n) for n in os.listdir(debs) if n.endswith(".deb"))


def loader(root):
    """The command prefix that runs a trixie binary of @root."""
    libdir = os.path.join(root, "usr/lib", _multiarch(root))
    return [os.path.join(libdir, _ld_so_name(libdir)), "--library-path", f"{libdir}:{libdir}/systemd"]


def _multiarch(root):
    names = [n for n in os.listdir(os.path.join(root, "usr/lib")) if n.endswith("-linux-gnu")]
    if len(names) != 1:
        raise FetchError(f"expected one multiarch directory in {root}/usr/lib, found {names}")
    return names[0]


def _ld_so_name(libdir):
    names = [n for n in os.listdir(libdir) if n.startswith("ld-linux")]
    if len(names) != 1:
        raise FetchError(f"no single dynamic loader in {libdir}: {names}")
    return names[0]


def check_closure(root):
    """Every library varlinkctl loads comes from @root, none from this
    machine (a library missing from PACKAGES would silently be Debian
    12's)."""
    r = subprocess.run(loader(root) + ["--list", os.path.join(root, "usr/bin/varlinkctl")],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise FetchError(f"ld.so --list varlinkctl failed: {r.stderr}")
    outside = [line.strip() for line in r.stdout.splitlines()
               if "=>" in line and not line.split("=>", 1)[1].strip().startswith(root)]
    if outside:
        raise FetchError("libraries not from the trixie packages (add their packages to PACKAGES): "
                         + "; ".join(outside))


def varlinkctl(cache, log):
    """The command (a list) that runs trixie's varlinkctl; fetches and
    unpacks on the first call. Raises Unreachable or FetchError."""
    cache = os.path.abspath(cache)
    root = os.path.join(cache, "root")
    stamp = os.path.join(root, ".complete")
    wanted = "\n".join(PACKAGES) + "\n"
    try:
        with open(stamp) as f:
            complete = f.read() == wanted
    except FileNotFoundError:
        complete = False
    if not complete:
        os.makedirs(cache, exist_ok=True)
        tmp = os.path.join(cache, ".root-tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        for deb in _download(cache, log):
            r = subprocess.run(["dpkg-deb", "-x", deb, tmp], capture_output=True, text=True)
            if r.returncode != 0:
                raise FetchError(f"dpkg-deb -x {deb}: {r.stderr}")
        with open(os.path.join(tmp, ".complete"), "w") as f:
            f.write(wanted)
        shutil.rmtree(root, ignore_errors=True)
        os.rename(tmp, root)
        # Readable by uid 65534 too (the unprivileged-caller case).
        os.chmod(root, 0o755)
    check_closure(root)
    return loader(root) + [os.path.join(root, "usr/bin/varlinkctl")]
