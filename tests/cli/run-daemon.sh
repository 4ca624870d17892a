#!/usr/bin/env bash
# memrangectl against the real memranged running on a fixture sysroot.
#
#   run-daemon.sh MEMRANGECTL MEMRANGED FIXTURES_DIR CASE [FIXTURE]
#
# compare FIXTURE: `memrangectl --socket S CMD` prints exactly what
#         `memrangectl --sysroot FIXTURE CMD` prints, with the same exit
#         code, for list -J, list, blocks -J, blocks, verify (-J),
#         crash-ranges -J and --policy kernel, and elfcorehdr (whose header
#         files are the same bytes too).
# damaged: the same comparison on copies of x86_64-6.1-dimm/hotplug with a
#         malformed firmware memmap entry (a warning, a source-unreadable
#         error finding and exit code 1 from verify) and with /proc/iomem
#         zeroed as unprivileged readers see it.
# monitor-rescan: the table of a copied fixture changes (memory33 goes
#         offline, as in x86_64-6.1-dimm/offline); rescan reports the new
#         generation and monitor prints the change; stopping the daemon ends
#         the monitor.
# unprivileged: as uid 65534 (root needed to switch; skipped otherwise),
#         addresses are refused, status still answers, rescan is root only.
# MEMRANGE_CLI_WRAP: see test-lib.sh.
set -euo pipefail

if [ $# -lt 4 ]; then
        echo "usage: $0 MEMRANGECTL MEMRANGED FIXTURES_DIR CASE [FIXTURE]" >&2
        exit 2
fi
tool=$1 daemon=$2 fixtures=$3 case=$4 fixture=${5:-}

tmp=$(mktemp -d)
sock=$tmp/io.memranged
daemon_pid=
cleanup() {
        main_shell_only || return 0
        stop_daemon
        rm -rf "$tmp"
}
trap cleanup EXIT
. "$(dirname "$0")/test-lib.sh"

# start_daemon SYSROOT: memranged in the foreground without kernel uevents;
# ready once its socket exists (it binds after the first scan).
start_daemon() {
        : >"$tmp/empty.conf"
        "$daemon" --sysroot "$1" --no-kernel-uevents --socket "$sock" --config "$tmp/empty.conf" --foreground \
                2>"$tmp/daemon.log" &
        daemon_pid=$!
        wait_for_socket "$sock" "$daemon_pid" && return 0
        echo "memranged did not start:" >&2
        cat "$tmp/daemon.log" >&2
        exit 1
}

stop_daemon() {
        if [ -n "$daemon_pid" ]; then
                kill "$daemon_pid" 2>/dev/null || true
                wait "$daemon_pid" 2>/dev/null || true
                daemon_pid=
        fi
}

case_compare() {
        local sysroot=$fixtures/$fixture
        [ -d "$sysroot" ] || { echo "fixture $sysroot missing" >&2; exit 1; }
        start_daemon "$sysroot"
        same_as_offline "$sock" "$sysroot" list -J
        [ -s "$tmp/out" ] || fail "list -J printed nothing"
        same_as_offline "$sock" "$sysroot" list
        same_as_offline "$sock" "$sysroot" list -b --output-all -r
        same_as_offline "$sock" "$sysroot" blocks -J
        same_as_offline "$sock" "$sysroot" blocks
        same_as_offline "$sock" "$sysroot" verify
        same_as_offline "$sock" "$sysroot" verify -J
        # The crash dump of the daemon's table is the one of the files.
        same_as_offline "$sock" "$sysroot" crash-ranges -J
        same_as_offline "$sock" "$sysroot" crash-ranges --policy kernel -b
        run --socket "$sock" elfcorehdr -o "$tmp/hdr"
        mv "$tmp/hdr" "$tmp/daemon.hdr"
        same_as_offline "$sock" "$sysroot" elfcorehdr -o "$tmp/hdr" # the offline run writes last
        cmp -s "$tmp/daemon.hdr" "$tmp/hdr" || fail "the header from memranged differs from the one of the files"
        run --socket "$sock" status
        expect_rc 0
        expect_line "Daemon: memranged [0-9.]+ at $sock"
        expect_line "  generation +1"
}

case_damaged() {
        cp -a "$fixtures/x86_64-6.1-dimm/hotplug" "$tmp/root"
        chmod -R u+w "$tmp/root"
        printf '0xzz\n' >"$tmp/root/sys/firmware/memmap/3/start"
        start_daemon "$tmp/root"
        same_as_offline "$sock" "$tmp/root" list
        grep -Fq "warning: firmware-memmap ignored: sys/firmware/memmap/3/start" "$tmp/err" ||
                fail "no warning about the malformed entry"
        same_as_offline "$sock" "$tmp/root" verify
        expect_rc 1
        expect_line "error +source-unreadable +firmware-memmap +.*sys/firmware/memmap/3/start.*"
        same_as_offline "$sock" "$tmp/root" blocks -J
        stop_daemon

        rm -rf "$tmp/root"
        cp -a "$fixtures/x86_64-6.1-dimm/hotplug" "$tmp/root"
        chmod -R u+w "$tmp/root"
        sed -E -i 's/^( *)[0-9a-f]+-[0-9a-f]+ :/\100000000-00000000 :/' "$tmp/root/proc/iomem"
        start_daemon "$tmp/root"
        same_as_offline "$sock" "$tmp/root" list -J
        grep -Fq "run as root to see addresses" "$tmp/err" || fail "no explanation of the hidden iomem"
        same_as_offline "$sock" "$tmp/root" verify
        same_as_offline "$sock" "$tmp/root" verify -J
}

# Copies the files that differ between x86_64-6.1-dimm/hotplug and
# .../offline (memory33 offlined; diff -rq of the two trees) into @1.
offline_memory33() {
        local from=$fixtures/x86_64-6.1-dimm/offline
        for f in proc/meminfo sys/devices/system/memory/memory33/online sys/devices/system/memory/memory33/state \
                sys/devices/system/memory/memory33/valid_zones sys/devices/system/node/node0/meminfo; do
                cat "$from/$f" >"$1/$f"
        done
}

case_monitor_rescan() {
        if [ "$(id -u)" -ne 0 ]; then
                echo "rescan needs root: skipped"
                exit 77
        fi
        cp -a "$fixtures/x86_64-6.1-dimm/hotplug" "$tmp/root"
        chmod -R u+w "$tmp/root"
        start_daemon "$tmp/root"

        monitor_start "$sock"
        monitor_wait_lines 1
        run --socket "$sock" rescan
        expect_rc 0
        expect_line "Rescan done: generation 1, nothing changed\."

        offline_memory33 "$tmp/root"
        run --socket "$sock" rescan
        expect_rc 0
        expect_line "Rescan done: generation 2, the table changed\."
        same_as_offline "$sock" "$fixtures/x86_64-6.1-dimm/offline" list -J

        monitor_wait_lines 5
        stop_daemon
        monitor_end
        expect_rc 3
        expect_err_is "memrangectl: memranged at $sock closed the connection during Subscribe"
        expect_line "generation 1 \(current\): 11 ranges; waiting for changes"
        expect_line "generation 2 \(rescan\): removed 0x0000000100000000-0x000000013fffffff 1G ram flags=hotplug node=0 sources=iomem,firmware-memmap,memory-blocks,numa"
        expect_line "generation 2 \(rescan\): added 0x0000000100000000-0x0000000107ffffff 128M ram flags=hotplug node=0 sources=iomem,firmware-memmap,memory-blocks,numa"
        expect_line "generation 2 \(rescan\): added 0x0000000108000000-0x000000010fffffff 128M ram flags=hotplug,offline node=0 sources=iomem,firmware-memmap,memory-blocks,numa"
        expect_line "generation 2 \(rescan\): added 0x0000000110000000-0x000000013fffffff 768M ram flags=hotplug node=0 sources=iomem,firmware-memmap,memory-blocks,numa"
        [ "$(wc -l <<<"$out")" -eq 5 ] || fail "expected 5 lines"
}

case_unprivileged() {
        if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null; then
                echo "needs root and setpriv to become another user: skipped"
                exit 77
        fi
        chmod 755 "$tmp"
        start_daemon "$fixtures/x86_64-6.1-dimm/hotplug"
        chmod 666 "$sock"
        local nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)

        for cmd in list blocks verify monitor; do
                run_as "${nobody[@]}" -- --socket "$sock" "$cmd"
                expect_rc 4
                expect_err_is "memrangectl: memranged shows addresses only to root and members of group memrange"
        done
        run_as "${nobody[@]}" -- --socket "$sock" status
        expect_rc 0
        expect_line "Table: 11 ranges \(addresses hidden: .*\)"
        expect_line "  generation +1"
        run_as "${nobody[@]}" -- --socket "$sock" rescan
        expect_rc 4
        expect_err_is "memrangectl: rescan: permission denied: only root may make memranged rescan"
}

run_case "$case" $fixture
