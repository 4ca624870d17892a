#!/usr/bin/env bash
# Static analysis gate: clang-tidy (the checks in .clang-tidy, with the clang
# static analyzer, which does scan-build's job) and cppcheck over every .c
# file of the project in BUILD_DIR's compile_commands.json. Prints each
# finding and exits non-zero when there is any.
#
#   tools/static-analysis.sh BUILD_DIR
#
# BUILD_DIR is a configured and built meson directory, gcc or clang (a
# clang one with libFuzzer also covers fuzz/). Needs clang-tidy and
# cppcheck (Debian: clang-tidy cppcheck), python3. JOBS=n sets the
# parallelism (default 2).
set -euo pipefail

cd "$(dirname "$0")/.."
top=$PWD
jobs=${JOBS:-2}

die() { printf 'static-analysis.sh: %s\n' "$*" >&2; exit 2; }
say() { printf '==> %s\n' "$*"; }

[ $# -eq 1 ] || die "usage: tools/static-analysis.sh BUILD_DIR"
build=$(cd "$1" 2>/dev/null && pwd) || die "no build directory $1"
[ -f "$build/compile_commands.json" ] || die "$build/compile_commands.json missing (meson setup $1 first)"

tidy=$(command -v clang-tidy-14 || command -v clang-tidy) || die "clang-tidy not installed"
command -v cppcheck >/dev/null || die "cppcheck not installed"

work=$(mktemp -d /tmp/memranged-static.XXXXXX)
trap 'rm -rf "$work"' EXIT

# The project's own .c files, each once (test-util.c is compiled into every
# test): generated sources in the build directory are left out. Both tools
# read this trimmed database.
python3 - "$build" "$top" "$work/compile_commands.json" <<'EOF'
import json, os, sys
build, top, out = sys.argv[1:]
seen, keep = set(), []
for e in json.load(open(os.path.join(build, "compile_commands.json"))):
    path = os.path.realpath(os.path.join(e["directory"], e["file"]))
    rel = os.path.relpath(path, top)
    if not path.endswith(".c") or rel.startswith("..") or path.startswith(build + os.sep):
        continue
    if rel.split(os.sep)[0] not in ("basic", "lib", "varlink", "cli", "daemon", "tests", "bench", "fuzz"):
        continue
    if path in seen:
        continue
    seen.add(path)
    e["file"] = path
    keep.append(e)
keep.sort(key=lambda e: e["file"])
json.dump(keep, open(out, "w"), indent=1)
print("\n".join(e["file"] for e in keep), file=open(out + ".files", "w"))
EOF
nfiles=$(wc -l <"$work/compile_commands.json.files")
[ "$nfiles" -gt 0 ] || die "no project files in $build/compile_commands.json"

# clang-tidy, one process per file, $jobs at a time. Its configuration is
# .clang-tidy next to each file (tests/ has a lighter one on top). Findings
# in a header show up once per file including it: each is counted once.
say "clang-tidy on $nfiles files ($jobs jobs)"
start=$SECONDS
# Each file's output in its own log; a run that fails without a finding
# (a crash, a file that does not compile) is noted in failed.
xargs -a "$work/compile_commands.json.files" -P "$jobs" -I{} sh -c '
        log="$2/tidy.$(echo "$3" | tr / _)"
        "$1" -p "$2" --quiet --extra-arg=-Wno-unknown-warning-option "$3" >"$log" 2>&1 ||
                grep -qE ":[0-9]+:[0-9]+: (warning|error): " "$log" ||
                echo "$3" >>"$2/failed"' sh "$tidy" "$work" {} || true
cat "$work"/tidy.* >"$work/tidy.all" 2>/dev/null || true
# Paths as the source tree names them, whichever way the build directory
# spelt them (absolute, build/../lib, ../lib).
relative="s|$build/\\.\\./||; s|^$top/||; s|^\\.\\./||"
tidy_findings=$(grep -E '^[^ ].*:[0-9]+:[0-9]+: (warning|error): ' "$work/tidy.all" |
        sed "$relative" | sort -u || true)
if [ -n "$tidy_findings" ]; then
        # Whole diagnostics (notes, source lines); the list comes at the end.
        grep -vE '^[0-9]+ warnings? (generated|treated as errors)\.?$|^Suppressed [0-9]+ warnings|^Use -header-filter' \
                "$work/tidy.all" | sed "$relative" || true
fi
n_tidy=$(printf '%s' "$tidy_findings" | grep -c . || true)
if [ -s "$work/failed" ]; then
        while read -r f; do
                printf 'clang-tidy failed on %s:\n' "${f#"$top"/}"
                cat "$work/tidy.$(echo "$f" | tr / _)"
        done <"$work/failed"
        n_tidy=$((n_tidy + $(wc -l <"$work/failed")))
fi
say "clang-tidy: $n_tidy finding(s) in $((SECONDS - start)) s"

# cppcheck on the same files with their compile commands' -D and -I.
say "cppcheck on $nfiles files ($jobs jobs)"
start=$SECONDS
cppcheck_rc=0
cppcheck --project="$work/compile_commands.json" \
        --enable=warning,style,performance,portability \
        -D__CPPCHECK__ --inline-suppr --suppressions-list="$top/.cppcheck-suppressions" \
        --error-exitcode=1 --quiet -j "$jobs" \
        --template='{file}:{line}:{column}: {severity}: {message} [{id}]\n{code}' \
        2>"$work/cppcheck.out" || cppcheck_rc=$?
# Paths relative to the source tree, like clang-tidy's.
sed "$relative" "$work/cppcheck.out"
n_cppcheck=$(grep -cE '^[^ ].*:[0-9]+:[0-9]+: [a-z]+: ' "$work/cppcheck.out" || true)
say "cppcheck: $n_cppcheck finding(s) in $((SECONDS - start)) s"

if [ "$n_tidy" -gt 0 ] || [ "$n_cppcheck" -gt 0 ] || [ "$cppcheck_rc" -ne 0 ]; then
        printf '%s\n' "$tidy_findings" | grep . || true
        die "$n_tidy clang-tidy and $n_cppcheck cppcheck finding(s)"
fi
say "static analysis: no findings"
