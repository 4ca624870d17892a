#!/usr/bin/env bash
# The README's two set-up commands for a fresh Debian 12 machine:
#   tools/dev.sh run    install dependencies, build, run the main job
#   tools/dev.sh test   install dependencies, build, run the whole test suite
#                       (gcc -Werror; ASan+UBSan; both with the varlinkctl
#                       suite, Debian 13's varlinkctl against memranged,
#                       fetched into the build directory once; the unit suite under
#                       valgrind; clang -Werror with libFuzzer, every fuzz
#                       target for a bounded time; clang-tidy and cppcheck;
#                       cross builds for arm64 and ppc64le; the Debian
#                       packages built in Debian 12 and 13 chroots and
#                       lintian; then the end-to-end QEMU suites: vm,
#                       vm-arm64, vm-ppc64le and system)
#   tools/dev.sh bench  install dependencies, build (release), run bench/run
set -euo pipefail

cd "$(dirname "$0")/.."
top=$PWD

packages=(
        meson ninja-build pkg-config gcc
        libnl-3-dev libsystemd-dev libjson-c-dev libsmartcols-dev libcmocka-dev
        kexec-tools scdoc valgrind systemd
        # lsmem, which memrangectl blocks is compared with (tests/cli, bench),
        # and bash-completion: its completionsdir and the completion test
        util-linux bash-completion
        # clang -Werror build with libFuzzer (fuzz/; llvm has the sanitizers'
        # symbolizer), clang-tidy and cppcheck (tools/static-analysis.sh)
        clang libclang-rt-14-dev llvm clang-tidy cppcheck
        # tests/vm: QEMU guests (the harness fetches kernels and busybox with
        # apt-get download), a static libc for the capture-side program
        qemu-system-x86 python3 libc6-dev
        # tests/system: a Debian guest (13 by mmdebstrap, 12 by debootstrap)
        # in an ext4 image made with mkfs.ext4 -d and read back with
        # debugfs; makedumpfile -R checks the dump reader (selftest.py);
        # debootstrap also makes the package build chroots
        debootstrap mmdebstrap e2fsprogs makedumpfile
        # cross builds for arm64 and ppc64le (tools/cross/) and their QEMU
        # suites (tests/vm; the arm64 DAX scenarios' UEFI firmware,
        # qemu-efi-aarch64, is fetched with apt-get download like the kernels)
        crossbuild-essential-arm64 crossbuild-essential-ppc64el
        qemu-system-arm qemu-system-ppc
        # debian/: the packages are built in debootstrap chroots
        # (tools/debian-build.sh), checked here with lintian
        lintian
        # tests/prometheus: the metrics file scraped through Debian's
        # node_exporter; promtool (in prometheus) checks it and the alert rules
        prometheus-node-exporter prometheus
)
# Debian multiarch: the -dev libraries of the cross builds, and the
# architectures apt must know for them and for the guests' kernels,
# kexec-tools and busybox (apt-get download).
cross_arches=(arm64 ppc64el)
for a in "${cross_arches[@]}"; do
        packages+=("libjson-c-dev:$a" "libsmartcols-dev:$a" "libsystemd-dev:$a" "libnl-3-dev:$a" "libcmocka-dev:$a")
done

say() { printf '==> %s\n' "$*"; }
# A test stage's header with the space left on the build's file system: a
# stage that runs out of it then shows where the space went.
stage() { say "$* [$(df -h --output=avail "$top" | tail -n 1 | tr -d ' ') free]"; }
die() { printf 'dev.sh: %s\n' "$*" >&2; exit 1; }

install_packages() {
        local missing=() added=0
        local sudo=()
        [ "$(id -u)" -eq 0 ] || sudo=(sudo)
        for a in "${cross_arches[@]}"; do
                dpkg --print-foreign-architectures | grep -qx "$a" && continue
                say "adding the $a architecture to dpkg (multiarch)"
                "${sudo[@]}" dpkg --add-architecture "$a"
                added=1
        done
        [ $added -eq 0 ] || "${sudo[@]}" apt-get update -q
        for p in "${packages[@]}"; do
                dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
        done
        [ ${#missing[@]} -eq 0 ] && return 0
        say "installing ${missing[*]}"
        "${sudo[@]}" apt-get update -q
        DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# setup DIR [meson options...]: configure DIR once, reconfigure when it exists.
setup() {
        local dir=$1; shift
        if [ -d "$dir/meson-private" ]; then
                meson setup "$dir" --reconfigure "$@" >/dev/null
        else
                meson setup "$dir" "$@" >/dev/null
        fi
}

fixtures_dir() {
        local dir=${MEMRANGE_FIXTURES:-$top/../shared/fixtures}
        [ -d "$dir" ] || die "kernel fixtures not found at $dir (set MEMRANGE_FIXTURES to the shared/fixtures directory)"
        (cd "$dir" && pwd)
}

# Starts memranged from the build tree in the foreground with its socket in a
# private runtime directory, shows `memrangectl status` and `list` against it,
# then keeps it running until Ctrl-C (or stops it at once when not on a
# terminal, so scripted runs end).
run_main() {
        install_packages
        setup build
        ninja -C build
        rundir=$(mktemp -d /tmp/memranged.XXXXXX)
        sock=$rundir/io.memranged
        build/daemon/memranged --foreground --socket "$sock" &
        daemon=$!
        # Globals, not locals: the EXIT trap runs after run_main returned.
        trap 'kill "$daemon" 2>/dev/null; wait "$daemon" 2>/dev/null; rm -rf "$rundir"' EXIT INT TERM
        for _ in $(seq 100); do
                build/cli/memrangectl --socket "$sock" status >/dev/null 2>&1 && break
                kill -0 "$daemon" 2>/dev/null || die "memranged exited during start-up"
                sleep 0.1
        done
        say "memrangectl status (memranged at $sock)"
        build/cli/memrangectl --socket "$sock" status
        say "memrangectl list"
        build/cli/memrangectl --socket "$sock" list
        say "memrangectl verify"
        build/cli/memrangectl --socket "$sock" verify || true
        if [ -t 0 ]; then
                say "memranged keeps running in the foreground; Ctrl-C stops it"
                wait "$daemon" || true
        fi
}

run_tests() {
        local fixtures rootfs_job
        # On failure, where the disk went (CI's file system is shared and
        # finite; a full one shows up as some unrelated tool failing).
        trap 'rc=$?; [ $rc -eq 0 ] || { df -h "$top"; du -sh "$top"/build-* 2>/dev/null; }' EXIT
        install_packages
        fixtures=$(fixtures_dir)

        stage "build with -Werror, run every suite but vm and system"
        setup build-test -Dwerror=true -Dfixtures_dir="$fixtures"
        # The system suite's guest root file systems (debootstrap, kdump
        # initrd: the bulk of its cold cost) build meanwhile, niced, while
        # the other suites use the CPU; the suite waits for them below.
        stage "guest root file systems of Debian 12 and 13 in the background (log: build-test/systest-rootfs.log)"
        nice -n 19 python3 tests/system/systest.py --build-dir build-test/tests/system --rootfs bookworm trixie \
                >build-test/systest-rootfs.log 2>&1 &
        rootfs_job=$!
        ninja -C build-test
        meson test -C build-test --print-errorlogs --num-processes 2 --no-suite vm --no-suite vm-arm64 --no-suite vm-ppc64le --no-suite system

        cross_builds

        stage "ASan+UBSan build, run every suite"
        setup build-asan -Dwerror=true -Dfixtures_dir="$fixtures" \
                -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
        ninja -C build-asan
        # No strict_string_checks: it rescans a whole buffer on every strchr(),
        # making line splitting of a 32768-line iomem quadratic (minutes).
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
        UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
                meson test -C build-asan --print-errorlogs --num-processes 2 --no-suite vm --no-suite vm-arm64 --no-suite vm-ppc64le --no-suite system

        stage "unit suite and fuzz regressions under valgrind memcheck (errors fatal)"
        meson test -C build-test --suite unit --suite fuzz-regress --print-errorlogs --num-processes 2 \
                --wrap 'valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect'

        stage "clang build with -Werror, ASan+UBSan and libFuzzer"
        CC=clang setup build-clang -Dwerror=true -Dfixtures_dir="$fixtures" \
                -Db_sanitize=address,undefined -Db_lundef=false
        ninja -C build-clang

        stage "every fuzz target for ${FUZZ_SECONDS:-20} s on the committed corpus"
        fuzz/run-ci.sh build-clang "${FUZZ_SECONDS:-20}"

        stage "static analysis: clang-tidy (.clang-tidy) and cppcheck, zero findings"
        tools/static-analysis.sh build-clang

        # The system suite installs these packages in its guests and reuses
        # the chroots and packages cached here.
        local debs=build-test/tests/system/cache/debian
        stage "Debian packages in Debian 12 and 13 chroots (tools/debian-build.sh; the first run debootstraps both)"
        tools/debian-build.sh "$debs" bookworm trixie
        for release in bookworm trixie; do
                stage "lintian on the $release packages (errors and warnings fatal)"
                lintian --fail-on error,warning --display-info "$debs/$release"/memranged_*.changes
        done

        stage "end-to-end tests on real kernels in QEMU (suite vm, a few minutes)"
        meson test -C build-test --suite vm --print-errorlogs

        stage "end-to-end tests on Debian's arm64 and ppc64le kernels in QEMU (suites vm-arm64, vm-ppc64le)"
        meson test -C build-test --suite vm-arm64 --suite vm-ppc64le --print-errorlogs

        stage "waiting for the guest root file systems"
        wait "$rootfs_job" || { tail -n 30 build-test/systest-rootfs.log >&2; die "building the guest root file systems failed"; }
        cat build-test/systest-rootfs.log
        stage "system tests on a booted Debian 12 and 13 in QEMU (suite system)"
        meson test -C build-test --suite system --print-errorlogs
        stage "all tests passed"
}

# memranged and memrangectl for arm64 and ppc64le with Debian's cross
# compilers (tools/cross/*.ini), -Werror, and the static capture-side
# vmcore-phdrs: the arm64 and ppc64le vm suites boot them (build-aarch64,
# build-ppc64le). Only these targets are built (the tests stay native).
cross_builds() {
        local c fixtures
        fixtures=$(fixtures_dir)
        for c in aarch64 ppc64le; do
                say "cross build for $c (build-$c)"
                setup "build-$c" --cross-file "tools/cross/$c.ini" -Dwerror=true -Dtests=enabled -Dman=disabled \
                        -Dfixtures_dir="$fixtures"
                ninja -C "build-$c" daemon/memranged cli/memrangectl tests/vm/vmcore-phdrs
        done
}

# The benchmarks of bench/ at full size (several minutes), with a table of
# figures; extra arguments go to bench/run (e.g. --runs 9, --only 4).
run_bench() {
        install_packages
        setup build-bench -Dbuildtype=release
        ninja -C build-bench
        bench/run --build build-bench "$@"
}

case ${1:-} in
run) run_main ;;
test) run_tests ;;
bench) shift; run_bench "$@" ;;
*) die "usage: tools/dev.sh run|test|bench [bench/run options]" ;;
esac
