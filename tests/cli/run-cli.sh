#!/usr/bin/env bash
# Tests of memrangectl's options, messages and exit codes.
#
#   run-cli.sh MEMRANGECTL FIXTURES_DIR CASE
#
# Each CASE is one function below; expected values were read by hand from
# the fixture files named in each case. MEMRANGE_CLI_WRAP: see test-lib.sh.
set -euo pipefail

if [ $# -ne 3 ]; then
        echo "usage: $0 MEMRANGECTL FIXTURES_DIR CASE" >&2
        exit 2
fi
tool=$1 fixtures=$2 case=$3

dimm=$fixtures/x86_64-6.1-dimm
tree_fixtures=$(cd "$(dirname "$0")/../fixtures" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/test-lib.sh"

case_help() {
        run --help
        expect_rc 0
        expect_out "Usage:"
        for cmd in list blocks verify status; do
                expect_line " $cmd +.*"
        done
        for cmd in list blocks verify status; do
                run "$cmd" --help
                expect_rc 0
                expect_out "memrangectl [--sysroot DIR] $cmd [options]"
                expect_no_err
        done
        # Help works without any readable sysroot.
        run --sysroot /nonexistent list -h
        expect_rc 0
        for col in RANGE START END SIZE TYPE FLAGS NODE SOURCES; do
                expect_line " +$col  .*"
        done
        run blocks --help
        for col in BLOCK RANGE SIZE STATE ONLINE ZONES NODE REMOVABLE; do
                expect_line " +$col  .*"
        done
        run verify --help
        for col in SEVERITY CODE RANGE SOURCES MESSAGE; do
                expect_line " +$col  .*"
        done
}

case_version() {
        run --version
        expect_rc 0
        expect_line "memrangectl [0-9]+\.[0-9]+\.[0-9]+"
}

case_bad_option() {
        run --frobnicate
        expect_rc 2
        expect_err "Try 'memrangectl --help'"
        for cmd in list blocks verify status; do
                run --sysroot "$dimm/boot" "$cmd" --frobnicate
                expect_rc 2
                expect_err "Try 'memrangectl $cmd --help'"
                [ -z "$out" ] || fail "stdout not empty"
        done
        run --sysroot "$dimm/boot" list extra-argument
        expect_rc 2
        expect_err "memrangectl: list: unexpected argument 'extra-argument'"
        run --sysroot "$dimm/boot" list --summary=sometimes
        expect_rc 2
        expect_err "unsupported --summary argument 'sometimes'"
        run --sysroot "$dimm/boot" list -J --summary=only
        expect_rc 2
        run --sysroot "$dimm/boot" list --type ramm
        expect_rc 2
        expect_err "memrangectl: list: unknown type 'ramm'"
        run --sysroot "$dimm/boot" list --node -1
        expect_rc 2
        expect_err "memrangectl: list: invalid node '-1'"
}

case_bad_command() {
        run frobnicate
        expect_rc 2
        expect_err "memrangectl: unknown command 'frobnicate'"
        run
        expect_rc 2
        expect_err "memrangectl: no command given"
}

case_bad_column() {
        run --sysroot "$dimm/boot" list -o RANGE,COLOUR
        expect_rc 2
        expect_err "memrangectl: list: unknown column 'COLOUR'"
        run --sysroot "$dimm/boot" blocks -o +TYPE
        expect_rc 2
        expect_err "memrangectl: blocks: unknown column 'TYPE'"
}

case_no_sysroot() {
        for cmd in list blocks verify status; do
                run --sysroot "$tmp/does-not-exist" "$cmd"
                expect_rc 3
                expect_err "memrangectl: cannot open sysroot $tmp/does-not-exist: No such file or directory"
        done
}

case_empty_sysroot() {
        mkdir "$tmp/empty"
        for cmd in list verify status; do
                run --sysroot "$tmp/empty" "$cmd"
                expect_rc 3
                expect_err "memrangectl: $tmp/empty: no kernel memory source found"
        done
}

# An unprivileged reader sees every /proc/iomem address as zero.
case_hidden_iomem() {
        copy_fixture "$dimm/hotplug"
        sed -E -i 's/^( *)[0-9a-f]+-[0-9a-f]+ :/\100000000-00000000 :/' "$tmp/root/proc/iomem"
        grep -q '^00000000-00000000 : System RAM$' "$tmp/root/proc/iomem" || fail "iomem not zeroed"

        run --sysroot "$tmp/root" verify
        expect_line "proc/iomem: .*run as root to see addresses"
        run --sysroot "$tmp/root" verify -J
        expect_err "run as root to see addresses"
        run --sysroot "$tmp/root" status
        expect_rc 0
        expect_line "  iomem +hidden"
        expect_out "run as root to see addresses"
        run --sysroot "$tmp/root" list
        expect_err "run as root to see addresses"
}

# The acceptance example: the hot-added DIMM and the crash kernel.
case_acceptance() {
        run --sysroot "$dimm/hotplug" list
        expect_rc 0
        expect_line "RANGE +SIZE TYPE +FLAGS +NODE SOURCES"
        expect_line "0x0000000000001000-0x000000000009fbff +635K ram .*"
        expect_line "0x0000000000100000-0x[0-9a-f]{16} +[0-9.]+[KMG] ram .*"
        expect_line "0x000000001e000000-0x000000002dffffff +256M [a-z]+ +([a-z,-]+,)?crashkernel(,[a-z,-]+)? .*"
        expect_line "0x0000000100000000-0x000000013fffffff +1G ram .*"

        run --sysroot "$dimm/hotplug" blocks -a -r -n -o BLOCK,STATE
        expect_rc 0
        for b in 0 1 2 3 4 5 6 7 32 33 34 35 36 37 38 39; do
                expect_line "$b online"
        done
        expect_lines 16
}

# lsmem's rows: blocks 0-7 online, 32 online, 33 offline, 34-39 online;
# zones none (block 0), DMA32 (1-7), Normal, "Normal Movable" (33).
case_blocks() {
        run --sysroot "$dimm/offline" blocks
        expect_rc 0
        expect_line "RANGE +SIZE +STATE REMOVABLE +BLOCK"
        expect_line "0x0000000000000000-0x000000003fffffff +1G +online +yes +0-7"
        expect_line "0x0000000100000000-0x0000000107ffffff +128M +online +yes +32"
        expect_line "0x0000000108000000-0x000000010fffffff +128M +offline +33"
        expect_line "0x0000000110000000-0x000000013fffffff +768M +online +yes +34-39"
        expect_line "Memory block size: +128M"
        expect_line "Total online memory: +1.9G"
        expect_line "Total offline memory: +128M"
        expect_lines 8

        # ZONES splits 0-7 where the zones change.
        run --sysroot "$dimm/offline" blocks -r -n -o BLOCK,ZONES
        expect_line "0 None"
        expect_line "1-7 DMA32"
        expect_line "32 Normal"
        expect_line "33 Normal/Movable"
        expect_line "34-39 Normal"
        expect_lines 5
        # -S none: only the holes between blocks split; -a: one row each.
        run --sysroot "$dimm/offline" blocks -r -n -o BLOCK,STATE -S none
        expect_line "0-7 online"
        expect_line "32-39 online"
        expect_lines 2
        run --sysroot "$dimm/offline" blocks -a -r -n -o BLOCK
        expect_lines 16
        run --sysroot "$dimm/offline" blocks -a -S state
        expect_rc 2
        expect_err "memrangectl: blocks: options --all and --split are mutually exclusive"
        run --sysroot "$dimm/offline" blocks -J -r
        expect_rc 2
        run --sysroot "$dimm/offline" blocks -S TYPE
        expect_rc 2
        expect_err "memrangectl: blocks: unknown column 'TYPE'"

        run --sysroot "$dimm/offline" blocks -P -o BLOCK,STATE,REMOVABLE
        expect_rc 0
        expect_line 'BLOCK="33" STATE="offline" REMOVABLE=""'
        expect_lines 4

        run --sysroot "$dimm/offline" blocks -a -J -b -o BLOCK,SIZE,ONLINE,REMOVABLE,NODE
        expect_rc 0
        expect_out '"memory": ['
        expect_line ' +"block": "33",'
        expect_line ' +"size": 134217728,'
        expect_line ' +"online": false,'
        expect_line ' +"removable": true,'
        expect_line ' +"node": 0'
        [ "$(grep -c '"online": false' <<<"$out")" -eq 1 ] || fail "expected exactly one offline block"
        # lsmem's order-dependent summary: -J turns it off, a later
        # --summary=always back on.
        run --sysroot "$dimm/offline" blocks -J --summary=always
        expect_line "Total offline memory: +128M"
        run --sysroot "$dimm/offline" blocks --summary=always -J
        expect_no_line "Total offline memory: .*"
}

case_columns() {
        run --sysroot "$dimm/hotplug" list -r -n -o START,END,TYPE
        expect_rc 0
        expect_line "0x0000000100000000 0x000000013fffffff ram"
        run --sysroot "$dimm/hotplug" list -J -o START,END,NODE
        expect_line ' +"start": 4294967296,'
        expect_line ' +"end": 5368709119,'
        run --sysroot "$dimm/hotplug" list -o +START -r
        expect_line "RANGE SIZE TYPE FLAGS NODE SOURCES START"
        run --sysroot "$dimm/hotplug" list --output-all -r
        expect_line "RANGE START END SIZE TYPE FLAGS NODE SOURCES"
        run --sysroot "$dimm/hotplug" blocks -o block,state -r -n
        expect_line "32-39 online"
}

case_bytes() {
        run --sysroot "$dimm/hotplug" list -b -r -n -o RANGE,SIZE
        expect_rc 0
        expect_line "0x0000000000001000-0x000000000009fbff 650240"
        expect_line "0x0000000100000000-0x000000013fffffff 1073741824"
        run --sysroot "$dimm/hotplug" list -b -J -o RANGE,SIZE
        expect_line ' +"size": 1073741824'
        run --sysroot "$dimm/hotplug" list -J -o RANGE,SIZE
        expect_line ' +"size": "1G"'
}

case_raw() {
        run --sysroot "$dimm/hotplug" list -r -o RANGE,SIZE,TYPE
        expect_rc 0
        expect_line "RANGE SIZE TYPE"
        expect_line "0x0000000100000000-0x000000013fffffff 1G ram"
        # Raw output has no summary and no blank line.
        expect_no_line ""
        expect_no_line "Memory block size:.*"
        run --sysroot "$dimm/hotplug" list -r -n -o TYPE
        expect_no_line "TYPE"
}

case_summary() {
        run --sysroot "$dimm/hotplug" list --summary
        expect_rc 0
        expect_no_line "RANGE .*"
        expect_line "Memory block size: +128M"
        expect_line "Total online memory: +2G"
        expect_line "Total offline memory: +0B"
        expect_line "Crash kernel reservation: +256M"
        run --sysroot "$dimm/hotplug" list --summary=never
        expect_no_line "Memory block size:.*"
        expect_line "RANGE .*"
        run --sysroot "$dimm/hotplug" list --summary=always
        expect_line "RANGE .*"
        expect_line "Memory block size: +128M"
        run --sysroot "$dimm/hotplug" list -b --summary=only
        expect_line "Memory block size: +134217728"
        expect_line "Crash kernel reservation: +268435456"
        run --sysroot "$dimm/hotplug" blocks --summary=only
        expect_line "Total online memory: +2G"
        expect_lines 3
}

case_filters() {
        run --sysroot "$dimm/hotplug" list -r -n -o RANGE,TYPE --type ram
        expect_rc 0
        expect_line "0x0000000100000000-0x000000013fffffff ram"
        expect_no_line ".* reserved"
        run --sysroot "$dimm/hotplug" list -r -n -o TYPE --type reserved,acpi
        expect_line "reserved"
        expect_no_line "ram"
        run --sysroot "$dimm/hotplug" list -r -n -o RANGE --node 7
        [ -z "$out" ] || fail "no range is on node 7"
}

# A malformed source is reported with its file and line.
case_malformed_source() {
        copy_fixture "$dimm/hotplug"
        printf '0xzz\n' >"$tmp/root/sys/firmware/memmap/3/start"
        run --sysroot "$tmp/root" verify
        expect_rc 1
        expect_line "error +source-unreadable +firmware-memmap +.*sys/firmware/memmap/3/start.*"
        run --sysroot "$tmp/root" list
        expect_rc 0
        expect_err "memrangectl: warning: firmware-memmap ignored: sys/firmware/memmap/3/start"
}

case_status() {
        run --sysroot "$dimm/hotplug" status
        expect_rc 0
        expect_line "Sysroot: $dimm/hotplug"
        expect_line "  iomem +ok"
        expect_line "  firmware-memmap +ok"
        expect_line "  memory-blocks +ok"
        expect_line "  memblock +absent"
        expect_line "  reservation +0x000000001e000000-0x000000002dffffff \(256M\)"
        expect_line "  kexec_crash_loaded +1"
        expect_line "  kexec_crash_size +268435456"
        expect_line "  crash_elfcorehdr_size +n/a"
        expect_line "  CPUs possible +0-1"
        expect_line "  CPUs online +0-1"
        expect_line "Findings: [0-9]+ errors, [0-9]+ warnings, [0-9]+ info"
        run --sysroot "$dimm/hotplug" status -J
        expect_rc 0
        expect_line ' +"kexec_crash_loaded": 1,'
        expect_line ' +"crash_elfcorehdr_size": null,'
        expect_line ' +"start": 503316480,'
        python3 -c 'import json,sys; json.load(sys.stdin)' <<<"$out" || fail "status -J is not JSON"
        # pseries keeps its crash region (/chosen/linux,crashkernel-base
        # 0x20000000, -size 0x10000000) out of proc/iomem: status shows the
        # table's reservation, as online, and so does the summary.
        run --sysroot "$fixtures/ppc64le-6.1-pseries/boot" status
        expect_rc 0
        expect_line "  reservation +0x0000000020000000-0x000000002fffffff \(256M\)"
        expect_no_line "  memory limit .*"
        run --sysroot "$fixtures/ppc64le-6.1-pseries/boot" list --summary=only
        expect_line "Crash kernel reservation: +256M"
        # Debian's ppc64le 6.12 publishes the boot RAM's end as
        # /chosen/linux,memory-limit (0x80000000 here, no mem=).
        local ppc612=$tree_fixtures/ppc64le-6.12-dimm-nomemranged/root
        run --sysroot "$ppc612" status
        expect_rc 0
        expect_line "  memory limit +0x0000000080000000 \(only boot RAM: memranged's loads read it as 0\)"
        run --sysroot "$ppc612" status -J
        expect_line ' +"address": 2147483648,'
        expect_line ' +"boot_only": true'
        run --sysroot "$fixtures/ppc64le-6.1-pseries/boot" status -J
        expect_line ' +"memory_limit": null,'
}

# crash-ranges and elfcorehdr on the DIMM hot-add: System RAM minus the
# Crash kernel 1e000000-2dffffff (proc/iomem), two CPU notes and vmcoreinfo.
case_crash() {
        run --sysroot "$dimm/hotplug" crash-ranges
        expect_rc 0
        expect_line "Policy: kexec-tools-x86 \(auto, x86_64\)"
        expect_line " +START +END +SIZE BACKUP"
        expect_line "0x0000000000001000 0x000000000009fbff +635K yes"
        expect_line "0x000000002e000000 0x000000003ffdffff +[0-9.]+M *"
        expect_line "0x0000000100000000 0x000000013fffffff +1G *"
        run --sysroot "$dimm/hotplug" crash-ranges --policy kernel -r -n -b -o START,SIZE
        expect_rc 0
        expect_no_line "Policy:.*"
        expect_line "0x0000000000100000 502267904"
        expect_no_line "0x0000000000001000 .*"
        expect_lines 3
        run --sysroot "$fixtures/arm64-6.12-virt/boot" crash-ranges -J
        expect_rc 0
        expect_line ' +"policy": "kexec-tools-arm64",'
        expect_line ' +"start": 3114270720,'
        python3 -c 'import json,sys; json.load(sys.stdin)' <<<"$out" || fail "crash-ranges -J is not JSON"
        run --sysroot "$fixtures/x86_64-6.12-virtiomem/hotplug" crash-ranges --policy kexec-tools-arm64
        expect_rc 0
        expect_err "warning: driver-managed RAM 0x0000000100000000-0x000000013fffffff is not dumped under policy kexec-tools-arm64"
        run --sysroot "$dimm/hotplug" crash-ranges --policy sometimes
        expect_rc 2
        expect_err "memrangectl: crash-ranges: unknown policy 'sometimes'"
        run --sysroot "$dimm/hotplug" crash-ranges --arch sparc
        expect_rc 2
        expect_err "memrangectl: crash-ranges: unknown architecture 'sparc'"
        run --sysroot "$dimm/hotplug" crash-ranges --policy kexec-tools-ppc64
        expect_rc 1
        expect_err "kexec-tools-ppc64: needs the device tree"

        run --sysroot "$dimm/hotplug" elfcorehdr
        expect_rc 2
        expect_err "memrangectl: elfcorehdr: no output file given (-o FILE)"
        run --sysroot "$dimm/hotplug" elfcorehdr -o "$tmp/hdr"
        expect_rc 0
        expect_line "Wrote 456 bytes to $tmp/hdr: 3 PT_NOTE, 4 PT_LOAD; policy kexec-tools-x86 \(auto, x86_64\)"
        [ "$(stat -c %a "$tmp/hdr")" = 600 ] || fail "the header is not mode 0600"
        if command -v readelf >/dev/null; then
                readelf -lW "$tmp/hdr" |
                        grep -Eq '^ +LOAD +0x100000000 0xffff888100000000 0x0000000100000000 0x40000000 0x40000000 RWE' ||
                        fail "readelf does not show the hot-added DIMM"
        fi
        run --sysroot "$dimm/hotplug" elfcorehdr -o "$tmp/missing/hdr"
        expect_rc 1
        expect_err "memrangectl: elfcorehdr: cannot write $tmp/missing/hdr: No such file or directory"
        run --sysroot "$dimm/hotplug" elfcorehdr -o "$tmp/hdr" --direct-map-base zz
        expect_rc 2
        expect_err "memrangectl: elfcorehdr: invalid direct map base 'zz'"
}
run_case "$case"
