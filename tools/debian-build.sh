#!/usr/bin/env bash
# tools/debian-build.sh [--version VERSION] OUTDIR RELEASE...
#
# Builds the Debian packages of this tree (debian/) with
# `dpkg-buildpackage -us -uc -b` inside a debootstrap chroot of each
# RELEASE (bookworm, trixie), never on the host, with the project's
# warnings fatal and the build-environment test suites (debian/rules) run
# there. Run as root on Debian, with the archive reachable the first time.
#
# OUTDIR/chroot-RELEASE   the chroot: `debootstrap --variant=buildd`, then
#                         the Build-Depends (`apt-get build-dep`); kept
# OUTDIR/RELEASE/         the .debs, .changes, .buildinfo and build.log
#
# The source is what `git ls-files` lists in the working tree (a clean
# clone's files, with uncommitted edits), copied into the chroot with the
# test fixtures (../shared/fixtures or $MEMRANGE_FIXTURES) beside it. A
# release whose OUTDIR/RELEASE/stamp matches the source is not rebuilt
# (see source_digest for what counts).
#
# --version VERSION first adds a changelog entry VERSION to the copy (the
# system suite's upgrade scenario builds a newer package this way); such a
# build skips the tests (DEB_BUILD_OPTIONS=nocheck): the same tree was
# tested in the ordinary build.
set -euo pipefail

mirror=${SYSTEST_MIRROR:-http://deb.debian.org/debian}
version=
if [ "${1:-}" = --version ]; then
        version=$2
        shift 2
fi
[ $# -ge 2 ] || { echo "usage: ${0##*/} [--version VERSION] OUTDIR RELEASE..." >&2; exit 2; }
out=$(mkdir -p "$1" && cd "$1" && pwd)
shift
top=$(cd "$(dirname "$0")/.." && pwd)
fixtures=$(cd "${MEMRANGE_FIXTURES:-$top/../shared/fixtures}" && pwd)

say() { printf '==> %s\n' "$*"; }

# in_chroot ROOT COMMAND...: runs COMMAND in the chroot, in a private mount
# namespace whose mounts go away with it: the tree bound onto itself (so
# that / is a mount point there: the tests' own mount namespaces need it),
# /proc, /dev/shm, and a devpts instance of its own (tests that need a
# terminal open one).
in_chroot() {
        local root=$1
        shift
        unshare --mount --propagation private /bin/sh -c '
                root=$1; shift
                mount --bind "$root" "$root" &&
                mount -t proc proc "$root/proc" &&
                mkdir -p "$root/dev/shm" "$root/dev/pts" &&
                mount -t tmpfs tmpfs "$root/dev/shm" &&
                mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$root/dev/pts" &&
                touch "$root/dev/ptmx" && mount --bind "$root/dev/pts/ptmx" "$root/dev/ptmx" &&
                exec chroot "$root" "$@"' sh "$root" "$@"
}

chroot_for() {
        local release=$1 root=$out/chroot-$1
        if [ ! -e "$root/.ready" ]; then
                say "debootstrap $release into $root (a few minutes, once)" >&2
                rm -rf "$root"
                debootstrap --variant=buildd "$release" "$root" "$mirror" >"$out/debootstrap-$release.log" 2>&1 || {
                        tail -n 20 "$out/debootstrap-$release.log" >&2
                        umount -l "$root/proc" 2>/dev/null || true
                        return 1
                }
                # No daemon starts inside; apt sources as debootstrap wrote them.
                printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
                chmod 755 "$root/usr/sbin/policy-rc.d"
                touch "$root/.ready"
        fi
        echo "$root"
}

# The files of the tree as a clean clone has them (edits included).
source_files() {
        git -C "$top" ls-files -z --cached --others --exclude-standard
}

# What the packages are built from: every file but the QEMU suites' own
# (tests/vm, tests/system), which the package build neither builds nor
# runs, so that editing a scenario does not rebuild four packages, and
# this script.
source_digest() {
        (cd "$top" && { source_files | grep -zv -E '^tests/(vm|system)/|^tools/debian-build\.sh$'
                        printf '%s\0' tests/vm/meson.build tests/system/meson.build; } |
                sort -z | xargs -0 sha256sum 2>/dev/null; echo "$version") | sha256sum | cut -c1-16
}

build_release() {
        local release=$1 root dest stamp key src
        # One build at a time per chroot (the system suite calls this too).
        exec 9>"$out/.lock-$release"
        flock 9
        dest=$out/$release${version:+-$version}
        key="$release $(source_digest) ${DEB_BUILD_OPTIONS:-}"
        stamp=$dest/stamp
        if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key" ]; then
                say "$release: packages up to date in $dest"
                return 0
        fi
        root=$(chroot_for "$release")
        src=$root/build/memranged
        rm -rf "$root/build" "$dest"
        mkdir -p "$src" "$root/build/shared" "$dest"
        (cd "$top" && source_files | tar --null -T - -cf -) | tar -C "$src" -xf -
        cp -a "$fixtures" "$root/build/shared/fixtures"
        # DEB_BUILD_OPTIONS from the environment (e.g. nocheck) are kept.
        local opts=${DEB_BUILD_OPTIONS:-}
        if [ -n "$version" ]; then
                {
                        echo "memranged ($version) unstable; urgency=medium"
                        echo
                        echo "  * Rebuilt as $version by tools/debian-build.sh."
                        echo
                        echo " -- $(sed -n 's/^Maintainer: //p' "$src/debian/control")  $(date -R)"
                        echo
                        cat "$src/debian/changelog"
                } >"$src/debian/changelog.new"
                mv "$src/debian/changelog.new" "$src/debian/changelog"
                opts="$opts nocheck"
        fi
        say "$release: build dependencies"
        # The package lists debootstrap left first, a fresh update if they fall short.
        in_chroot "$root" sh -c 'export DEBIAN_FRONTEND=noninteractive
                apt-get build-dep -y -q --no-install-recommends /build/memranged ||
                { apt-get update -q && apt-get build-dep -y -q --no-install-recommends /build/memranged; }' \
                >"$dest/build-dep.log" 2>&1 || { tail -n 20 "$dest/build-dep.log" >&2; return 1; }
        say "$release: dpkg-buildpackage -us -uc -b (log in $dest/build.log)"
        local t0=$SECONDS
        if ! in_chroot "$root" env DEB_BUILD_OPTIONS="$opts" LC_ALL=C.UTF-8 \
                sh -c 'cd /build/memranged && dpkg-buildpackage -us -uc -b' >"$dest/build.log" 2>&1; then
                tail -n 40 "$dest/build.log" >&2
                echo "debian-build.sh: the $release build failed (log: $dest/build.log)" >&2
                return 1
        fi
        cp "$root"/build/*.deb "$root"/build/*.changes "$root"/build/*.buildinfo "$dest/"
        rm -rf "$root/build"
        local tests
        tests=$(grep -E '^(Ok|Fail|Skipped):' "$dest/build.log" | tr -s ' ' | paste -sd' ' || true)
        [ -z "$tests" ] || echo "$release: tests: $tests"
        say "$release: built in $((SECONDS - t0)) s: $(cd "$dest" && ls ./*.deb | tr '\n' ' ')"
        echo "$key" >"$stamp"
}

for release in "$@"; do
        build_release "$release"
done
