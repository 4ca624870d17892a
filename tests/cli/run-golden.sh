#!/usr/bin/env bash
# Golden-output test of memrangectl over one fixture sysroot.
#
#   run-golden.sh MEMRANGECTL SYSROOT GOLDEN list|verify|crash-ranges
#
# list, crash-ranges: `memrangectl --sysroot SYSROOT MODE -J` must exit 0
#         and print exactly GOLDEN.
# verify: `memrangectl --sysroot SYSROOT verify`; its stdout followed by a
#         line "[exit N]" must equal GOLDEN.
#
# MEMRANGE_CLI_WRAP, when set, is a command prefix such as
# "valgrind -q --error-exitcode=99 --leak-check=full".
# With MEMRANGE_UPDATE_GOLDEN=1 the output is written to GOLDEN instead
# (check the diff by hand before committing it).
set -euo pipefail

if [ $# -ne 4 ]; then
        echo "usage: $0 MEMRANGECTL SYSROOT GOLDEN list|verify|crash-ranges" >&2
        exit 2
fi
tool=$1 sysroot=$2 golden=$3 mode=$4

[ -d "$sysroot" ] || { echo "fixture $sysroot missing" >&2; exit 1; }

out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

case $mode in
list | crash-ranges)
        rc=0
        ${MEMRANGE_CLI_WRAP:-} "$tool" --sysroot "$sysroot" "$mode" -J >"$out" 2>"$err" || rc=$?
        if [ "$rc" -ne 0 ]; then
                echo "memrangectl $mode -J exited $rc" >&2
                cat "$err" >&2
                exit 1
        fi
        ;;
verify)
        rc=0
        ${MEMRANGE_CLI_WRAP:-} "$tool" --sysroot "$sysroot" verify >"$out" 2>"$err" || rc=$?
        echo "[exit $rc]" >>"$out"
        ;;
*)
        echo "unknown mode '$mode'" >&2
        exit 2
        ;;
esac

if [ "${MEMRANGE_UPDATE_GOLDEN:-0}" = 1 ]; then
        mkdir -p "$(dirname "$golden")"
        cp "$out" "$golden"
        echo "updated $golden"
        exit 0
fi

if [ ! -f "$golden" ]; then
        echo "golden file $golden missing; generate it with MEMRANGE_UPDATE_GOLDEN=1" >&2
        exit 1
fi
if ! diff -u "$golden" "$out"; then
        echo "output differs from $golden (stderr follows)" >&2
        cat "$err" >&2
        exit 1
fi
