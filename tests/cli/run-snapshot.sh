#!/usr/bin/env bash
# Tests of `memrangectl snapshot`: the archive of a sysroot, read back.
#
#   run-snapshot.sh MEMRANGECTL FIXTURES_DIR CASE [FIXTURE]
#
# fixture FIXTURE: the snapshot of the fixture sysroot lists with GNU tar
# and Python's tarfile, holds every file of the fixture byte for byte, and
# memrangectl prints the same on the extracted tree as on the fixture.
# Other cases: options and exit codes, the file's mode and the temporary
# file, vanished and unreadable entries (MEMRANGE_VANISH_SHIM: the
# LD_PRELOAD shim of tests/daemon/integration/vanish.c).
set -euo pipefail

if [ $# -lt 3 ]; then
        echo "usage: $0 MEMRANGECTL FIXTURES_DIR CASE [FIXTURE]" >&2
        exit 2
fi
tool=$1 fixtures=$2 case=$3 fixture=${4:-}

dimm=$fixtures/x86_64-6.1-dimm
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/test-lib.sh"

case_fixture() {
        local root=$fixtures/$fixture n_files n_tar

        run --sysroot "$root" snapshot -o "$tmp/s.tar" --name snap
        expect_rc 0
        expect_no_out
        n_files=$(find "$root" -type f | wc -l)
        expect_err "memrangectl: snapshot: $tmp/s.tar: $n_files files, 0 links, "
        expect_err ", 0 skipped (unreadable), 0 vanished"
        [ "$(stat -c %a "$tmp/s.tar")" = 600 ] || fail "the archive is not mode 0600"

        # GNU tar lists and extracts it; Python's tarfile reads the same entries.
        tar -tvf "$tmp/s.tar" >"$tmp/list" || fail "tar -tvf failed"
        n_tar=$(wc -l <"$tmp/list")
        [ "$(grep -c '^-' "$tmp/list")" -eq "$n_files" ] || fail "tar lists not $n_files regular files"
        python3 - "$tmp/s.tar" "$n_tar" <<'EOF' || fail "Python's tarfile disagrees"
import sys, tarfile
with tarfile.open(sys.argv[1], mode="r:") as t:
    members = t.getmembers()
    assert len(members) == int(sys.argv[2]), (len(members), sys.argv[2])
    assert all(m.name == "snap" or m.name.startswith("snap/") for m in members)
    for m in members:
        if m.isfile():
            assert len(t.extractfile(m).read()) == m.size
EOF
        mkdir "$tmp/x"
        tar -xf "$tmp/s.tar" -C "$tmp/x" || fail "tar -xf failed"
        # Every file of the fixture (all of them are on capture-sysroot.sh's
        # list) is in the extract, byte for byte, and nothing else.
        diff -r "$root" "$tmp/x/snap" >"$tmp/diff" || fail "extract differs: $(head -5 "$tmp/diff")"

        same_output --sysroot "$root" --sysroot "$tmp/x/snap" list -J -b
        same_output --sysroot "$root" --sysroot "$tmp/x/snap" blocks -J
        same_output --sysroot "$root" --sysroot "$tmp/x/snap" verify
        same_output --sysroot "$root" --sysroot "$tmp/x/snap" crash-ranges
}

case_options() {
        run --sysroot "$dimm/boot" snapshot
        expect_rc 2
        expect_err_is "memrangectl: snapshot: no output file given (-o FILE.tar, or -o - for standard output)"
        run --sysroot "$dimm/boot" snapshot -o "$tmp/a.tar" extra
        expect_rc 2
        expect_err "memrangectl: snapshot: unexpected argument 'extra'"
        run --sysroot "$dimm/boot" snapshot --frobnicate
        expect_rc 2
        expect_err "Try 'memrangectl snapshot --help'"
        for bad in a/b .. . ''; do
                run --sysroot "$dimm/boot" snapshot -o "$tmp/a.tar" --name "$bad"
                expect_rc 2
                expect_err_is "memrangectl: snapshot: invalid --name '$bad' (one path component)"
        done
        run --socket "$tmp/sock" snapshot -o "$tmp/a.tar"
        expect_rc 2
        expect_err_is "memrangectl: snapshot reads the kernel files itself: --socket does not apply"
        run --sysroot "$tmp/nonexistent" snapshot -o "$tmp/a.tar"
        expect_rc 3
        expect_err_is "memrangectl: cannot open sysroot $tmp/nonexistent: No such file or directory"
        [ ! -e "$tmp/a.tar" ] || fail "an archive was written"

        run snapshot --help
        expect_rc 0
        expect_out "memrangectl [--sysroot DIR] snapshot -o FILE.tar [options]"
        run --help
        expect_line " snapshot +archive the kernel files read, for bug reports"

        # The default top directory names the host and the time.
        run --sysroot "$dimm/boot" snapshot -o "$tmp/a.tar"
        expect_rc 0
        tar -tf "$tmp/a.tar" >"$tmp/list"
        grep -Eqx "memranged-snapshot-$(hostname)-[0-9]{8}-[0-9]{6}/" <(head -1 "$tmp/list") ||
                fail "default top directory: $(head -1 "$tmp/list")"
}

case_stdout() {
        # To a pipe: the same entries as to a file.
        rc=0
        "$tool" --sysroot "$dimm/hotplug" snapshot -o - --name s 2>"$tmp/err" | tar -tf - >"$tmp/pipe.list" || rc=$?
        [ "$rc" -eq 0 ] || fail "snapshot -o - | tar -t failed"
        grep -Fq "memrangectl: snapshot: standard output: 174 files, 0 links, " "$tmp/err" || fail "no summary line"
        run --sysroot "$dimm/hotplug" snapshot -o "$tmp/f.tar" --name s
        tar -tf "$tmp/f.tar" >"$tmp/file.list"
        cmp -s "$tmp/pipe.list" "$tmp/file.list" || fail "stdout and file archives differ"
        # A terminal is refused (script(1) gives it one).
        if command -v script >/dev/null; then
                script -qec "$tool --sysroot $dimm/hotplug snapshot -o -" /dev/null >"$tmp/tty" 2>&1 && fail "wrote to a tty"
                grep -Fq "memrangectl: snapshot: refusing to write a tar archive to a terminal" "$tmp/tty" ||
                        fail "no refusal on a terminal: $(head -3 "$tmp/tty")"
        fi
}

# Mode 0600 whatever the umask; a failure leaves neither the file nor the
# temporary one.
case_file() {
        for mask in 000 022 077; do
                rm -f "$tmp/m.tar"
                (umask "$mask" && "$tool" --sysroot "$dimm/boot" snapshot -o "$tmp/m.tar" 2>/dev/null) ||
                        fail "umask $mask: failed"
                [ "$(stat -c %a "$tmp/m.tar")" = 600 ] || fail "umask $mask: mode $(stat -c %a "$tmp/m.tar")"
        done
        run --sysroot "$dimm/boot" snapshot -o "$tmp/missing/a.tar"
        expect_rc 1
        expect_err_is "memrangectl: snapshot: cannot create a file beside $tmp/missing/a.tar: No such file or directory"

        # A fifo late in the walk fails the snapshot after the temporary
        # file was written to: nothing is left, an older archive stays.
        copy_fixture "$dimm/hotplug"
        rm "$tmp/root/sys/devices/system/cpu/online"
        mkfifo "$tmp/root/sys/devices/system/cpu/online"
        mkdir "$tmp/out-dir"
        echo old >"$tmp/out-dir/a.tar"
        run --sysroot "$tmp/root" snapshot -o "$tmp/out-dir/a.tar"
        expect_rc 1
        expect_err_is "memrangectl: snapshot: sys/devices/system/cpu/online: neither a regular file nor a symbolic link"
        [ "$(ls -A "$tmp/out-dir")" = a.tar ] || fail "left behind: $(ls -A "$tmp/out-dir")"
        [ "$(cat "$tmp/out-dir/a.tar")" = old ] || fail "the old archive was replaced"
}

# A memory block removed between the listing and the read of its files
# is left out with a note; the snapshot succeeds.
case_vanish() {
        if [ -z "${MEMRANGE_VANISH_SHIM:-}" ]; then
                echo "MEMRANGE_VANISH_SHIM not set: skipped"
                exit 77
        fi
        copy_fixture "$dimm/hotplug"
        run_as env LD_PRELOAD="$MEMRANGE_VANISH_SHIM" ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
                MEMRANGED_VANISH_BLOCK=33 MEMRANGED_VANISH_ROOT="$tmp/root" \
                -- --sysroot "$tmp/root" snapshot -o "$tmp/v.tar" --name v
        expect_rc 0
        expect_err "memrangectl: snapshot: note: sys/devices/system/memory/memory33 vanished while being read"
        # hotplug has 174 files; memory33 had 7 (6 attributes and node0).
        expect_err "memrangectl: snapshot: $tmp/v.tar: 167 files, 0 links, "
        expect_err ", 0 skipped (unreadable), 1 vanished"
        tar -tf "$tmp/v.tar" >"$tmp/list"
        ! grep -q "memory/memory33" "$tmp/list" || fail "memory33 is in the archive"
        grep -qx "v/sys/devices/system/memory/memory34/state" "$tmp/list" || fail "memory34 is missing"
}

# A file its reader may not open (debugfs as non-root) is left out and
# counted; a live system read as non-root warns about /proc/iomem.
case_unreadable() {
        if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null; then
                echo "needs root and setpriv to become another user: skipped"
                exit 77
        fi
        local nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
        chmod 755 "$tmp"
        copy_fixture "$dimm/boot"
        chmod -R a+rX "$tmp/root"
        chmod 000 "$tmp/root/sys/kernel/vmcoreinfo"
        mkdir -m 777 "$tmp/pub"
        run_as "${nobody[@]}" -- --sysroot "$tmp/root" snapshot -o "$tmp/pub/u.tar"
        expect_rc 0
        expect_err "memrangectl: snapshot: note: sys/kernel/vmcoreinfo: left out, cannot read: Permission denied"
        expect_err "memrangectl: snapshot: $tmp/pub/u.tar: 106 files, 0 links, "
        expect_err ", 1 skipped (unreadable), 0 vanished"
        run_as "${nobody[@]}" -- snapshot -o "$tmp/pub/live.tar"
        expect_rc 0
        expect_err "memrangectl: snapshot: warning: run as root: /proc/iomem addresses are hidden from unprivileged users"
        [ -s "$tmp/pub/live.tar" ] || fail "no archive written"
}

run_case "$case" $fixture
