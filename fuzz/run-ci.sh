#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Bounded fuzzing for CI: runs every libFuzzer target of BUILD_DIR for
# SECONDS each, one after the other, on top of a temporary copy of the
# committed corpus and regression inputs (the committed files are never
# modified). Fails (exit 1) on any crash, sanitizer report, leak, timeout
# (-timeout=10) or out-of-memory (-rss_limit_mb=2048), naming the target
# and keeping the reproducer in BUILD_DIR/fuzz-artifacts/TARGET/. Prints
# per target the executions and libFuzzer's final coverage (cov: edges,
# ft: features).
#   CC=clang meson setup build-fuzz -Db_sanitize=address,undefined -Db_lundef=false -Dwerror=true
#   ninja -C build-fuzz && fuzz/run-ci.sh build-fuzz 20
set -euo pipefail

if [ $# -ne 2 ] || ! [[ $2 =~ ^[0-9]+$ ]] || [ "$2" -eq 0 ]; then
        echo "usage: $0 BUILD_DIR SECONDS" >&2
        exit 2
fi
build=$(cd "$1" && pwd)
seconds=$2
src=$(cd "$(dirname "$0")" && pwd)

targets=()
for c in "$src"/corpus/*/; do
        t=$(basename "$c")
        [ -x "$build/fuzz/fuzz-$t" ] && targets+=("$t")
done
if [ ${#targets[@]} -eq 0 ]; then
        echo "run-ci.sh: no libFuzzer binaries in $build/fuzz (configure with CC=clang)" >&2
        exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/memrange-fuzz-ci.XXXXXX")
trap 'rm -rf "$work"' EXIT
# UBSan only reports by default: make its findings crashes like ASan's.
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1}

# final_stat NAME LOG: a number from libFuzzer's -print_final_stats lines.
final_stat() { sed -n "s/^stat::$1: *//p" "$2" | tail -1; }
# progress FIELD LOG: the last value of "cov:" or "ft:" in the status lines.
progress() { grep -o " $1: [0-9]*" "$2" | tail -1 | sed 's/.*: //'; }

failed=()
printf '%-12s %10s %8s %6s %6s %7s  %s\n' target executions exec/s cov ft corpus result
for t in "${targets[@]}"; do
        dir=$work/$t
        mkdir -p "$dir/corpus" "$dir/artifacts"
        cp "$src/corpus/$t"/* "$dir/corpus/" 2>/dev/null || true
        find "$src/regressions/$t" -maxdepth 1 -type f ! -name '.*' -exec cp {} "$dir/corpus/" \; 2>/dev/null || true
        rc=0
        "$build/fuzz/fuzz-$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -detect_leaks=1 \
                -print_final_stats=1 -artifact_prefix="$dir/artifacts/" "$dir/corpus" >"$dir/log" 2>&1 || rc=$?
        result=ok
        if [ $rc -ne 0 ] || [ -n "$(ls -A "$dir/artifacts")" ]; then
                result="FAILED (exit $rc)"
                failed+=("$t")
        fi
        printf '%-12s %10s %8s %6s %6s %7s  %s\n' "$t" "$(final_stat number_of_executed_units "$dir/log")" \
                "$(final_stat average_exec_per_sec "$dir/log")" "$(progress cov "$dir/log")" \
                "$(progress ft "$dir/log")" "$(find "$dir/corpus" -type f | wc -l)" "$result"
        if [ "$result" != ok ]; then
                keep=$build/fuzz-artifacts/$t
                mkdir -p "$keep"
                cp "$dir/artifacts"/* "$keep/" 2>/dev/null || true
                cp "$dir/log" "$keep/log"
                echo "---- fuzz-$t failed; reproducer(s), replay with $build/fuzz/fuzz-$t FILE:"
                ls "$keep"/* | grep -v '/log$' | sed 's/^/    /' || echo "    (none written; see $keep/log)"
                grep -E 'ERROR|SUMMARY|runtime error|Test unit written|abort|deadly' "$dir/log" | head -20 || true
                echo "----"
        fi
done

if [ ${#failed[@]} -gt 0 ]; then
        echo "run-ci.sh: failing target(s): ${failed[*]}" >&2
        exit 1
fi
echo "run-ci.sh: ${#targets[@]} targets, ${seconds}s each, no crash, leak, timeout or OOM"
