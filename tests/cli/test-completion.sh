#!/usr/bin/env bash
# The bash completion of memrangectl (shell-completion/bash/memrangectl),
# sourced into this shell and asked as bash asks it, against the built
# memrangectl: each list it offers is the program's own, and every word it
# offers is one the program accepts.
#
#   test-completion.sh MEMRANGECTL COMPLETION_FILE FIXTURES_DIR
set -euo pipefail

if [ $# -ne 3 ]; then
        echo "usage: $0 MEMRANGECTL COMPLETION_FILE FIXTURES_DIR" >&2
        exit 2
fi
tool=$(realpath "$1") completion=$2 fixtures=$3
sysroot=$fixtures/x86_64-6.1-dimm/hotplug
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The completion runs "memrangectl": the one under test.
mkdir "$tmp/bin"
ln -s "$tool" "$tmp/bin/memrangectl"
PATH=$tmp/bin:$PATH
# shellcheck source=/dev/null
. "$completion"

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# complete WORD...: COMPREPLY for the command line WORD... (the last word
# is the one being completed; "=" is its own word, as bash splits it).
complete_line() {
        COMP_WORDS=("$@")
        COMP_CWORD=$(($# - 1))
        COMP_LINE="$*"
        COMP_POINT=${#COMP_LINE}
        COMPREPLY=()
        _memrangectl
        printf '%s\n' "${COMPREPLY[@]}" | sort
}

sorted() { printf '%s\n' "$@" | sort; }

# expect_same LABEL GOT WANT
expect_same() {
        [ "$2" = "$3" ] || fail "$1: offered [$(echo $2)], expected [$(echo $3)]"
}
# expect_has LABEL GOT WORD...
expect_has() {
        local label=$1 got=$2 w
        shift 2
        for w in "$@"; do
                grep -qxF -- "$w" <<<"$got" || fail "$label: $w not offered (offered: $(echo $got))"
        done
}

# Commands: the program's table, the same as its --help lists.
commands=$(memrangectl --complete-words commands | sort)
help_commands=$(memrangectl --help | sed -n '/^Commands:/,/^$/p' | awk 'NF > 1 { print $1 }' | sort)
[ -n "$commands" ] || fail "--complete-words commands printed nothing"
expect_same "commands vs --help" "$commands" "$help_commands"
expect_same "memrangectl <TAB>" "$(complete_line memrangectl "")" "$commands"
expect_same "memrangectl bl<TAB>" "$(complete_line memrangectl bl)" "blocks"
expect_same "after --sysroot DIR" "$(complete_line memrangectl --sysroot /tmp "")" "$commands"
expect_same "after -s DIR --timeout 3" "$(complete_line memrangectl -s /tmp --timeout 3 li)" "list"

# Global options, the hidden one left out.
got=$(complete_line memrangectl --)
expect_has "memrangectl --<TAB>" "$got" --sysroot --offline --socket --timeout --help --version
grep -q complete-words <<<"$got" && fail "the hidden --complete-words is offered"

# Each command's options: offered ones are all accepted (getopt knows
# them), and blocks has lsmem's.
expect_has "blocks -<TAB>" "$(complete_line memrangectl blocks -)" \
        -a --all -S --split -P --pairs -J --json -r --raw -b --bytes -n --noheadings -o --output --output-all --summary
for cmd in $commands; do
        options=$(complete_line memrangectl "$cmd" -)
        [ -n "$options" ] || fail "$cmd -<TAB>: nothing offered"
        # Online, so that the commands that need memranged parse their
        # options too (and then find no daemon); snapshot reads files only.
        where=(--socket "$tmp/no-daemon")
        [ "$cmd" = snapshot ] && where=(--sysroot "$sysroot")
        for opt in $options; do
                err=$(memrangectl "${where[@]}" "$cmd" "$opt" 2>&1 >/dev/null </dev/null || true)
                if grep -qE "unrecognized option|invalid option" <<<"$err"; then
                        fail "$cmd $opt: offered, but memrangectl says: $err"
                fi
        done
done

# Columns, in comma lists, for -o and blocks -S; every one accepted.
for cmd in list blocks verify crash-ranges; do
        columns=$(memrangectl "$cmd" --help | sed -n '/^Available output columns:/,$p' | awk 'NR > 1 { print $1 }' | sort)
        [ -n "$columns" ] || fail "$cmd --help lists no columns"
        expect_same "$cmd -o <TAB>" "$(complete_line memrangectl "$cmd" -o "")" "$columns"
        for col in $columns; do
                memrangectl --sysroot "$sysroot" "$cmd" -o "$col" >/dev/null 2>&1 ||
                        [ $? -ne 2 ] || fail "$cmd -o $col: offered, refused as usage error"
        done
done
expect_same "blocks -o +NO<TAB>" "$(complete_line memrangectl blocks -o +NO)" "$(sorted +NODE +NODES)"
expect_same "blocks -o RANGE,S<TAB>" "$(complete_line memrangectl blocks --output RANGE,S)" \
        "$(sorted RANGE,SIZE RANGE,STATE)"
expect_has "blocks -S <TAB>" "$(complete_line memrangectl blocks -S "")" none STATE NODE ZONES REMOVABLE
expect_same "blocks -S STATE,Z<TAB>" "$(complete_line memrangectl blocks -S STATE,Z)" "STATE,ZONES"

# Values from the program's name tables, each one accepted.
types=$(memrangectl --complete-words types | sort)
expect_has "types" "$types" ram reserved crashkernel
expect_same "list --type <TAB>" "$(complete_line memrangectl list --type "")" "$types"
expect_same "list -t ram,re<TAB>" "$(complete_line memrangectl list -t ram,re)" "ram,reserved"
for t in $types; do
        memrangectl --sysroot "$sysroot" list -t "$t" >/dev/null 2>&1 || fail "list -t $t: offered, refused"
done
policies=$(memrangectl --complete-words policies | sort)
expect_has "policies" "$policies" auto kernel kexec-tools-x86
expect_same "crash-ranges --policy <TAB>" "$(complete_line memrangectl crash-ranges --policy "")" "$policies"
archs=$(memrangectl --complete-words archs | sort)
expect_same "elfcorehdr --arch <TAB>" "$(complete_line memrangectl elfcorehdr --arch "")" "$archs"
for p in $policies; do
        for a in $archs; do
                memrangectl --sysroot "$sysroot" crash-ranges --policy "$p" --arch "$a" >/dev/null 2>&1 ||
                        [ $? -ne 2 ] || fail "crash-ranges --policy $p --arch $a: offered, refused as usage error"
        done
done
summary=$(memrangectl --complete-words summary | sort)
expect_same "summary values" "$summary" "$(sorted always never only)"
expect_same "blocks --summary=<TAB>" "$(complete_line memrangectl blocks --summary = "")" "$summary"
expect_same "list --summary=n<TAB>" "$(complete_line memrangectl list --summary = n)" "never"
for w in $summary; do
        memrangectl --sysroot "$sysroot" blocks --summary="$w" >/dev/null || fail "blocks --summary=$w refused"
done
memrangectl --complete-words bogus >/dev/null 2>&1 && fail "--complete-words bogus accepted"

# Files and directories where the option takes one.
mkdir "$tmp/sysroot-dir" && touch "$tmp/sysroot-file"
expect_same "--sysroot <TAB>" "$(complete_line memrangectl --sysroot "$tmp/sysroot")" "$tmp/sysroot-dir"
expect_same "elfcorehdr -o <TAB>" "$(complete_line memrangectl elfcorehdr -o "$tmp/sysroot-f")" "$tmp/sysroot-file"
expect_same "snapshot --output <TAB>" "$(complete_line memrangectl snapshot --output "$tmp/sysroot-f")" "$tmp/sysroot-file"

if [ "$failures" -ne 0 ]; then
        echo "$failures check(s) failed" >&2
        exit 1
fi
echo "completion: $(wc -w <<<"$commands") commands, $(wc -w <<<"$types") types, $(wc -w <<<"$policies") policies checked"
