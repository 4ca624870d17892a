# Shared by run-cli.sh, run-online.sh and run-daemon.sh (sourced): running
# memrangectl and checking what it printed. The sourcing script sets $tool
# (memrangectl) and $tmp (a scratch directory). MEMRANGE_CLI_WRAP, when
# set, is a command prefix (e.g. "valgrind -q --error-exitcode=99
# --leak-check=full") under which every memrangectl run happens.

wrap=${MEMRANGE_CLI_WRAP:-}
main_pid=$BASHPID
failures=0
out= err= rc= last=

# run_as PREFIX... -- ARGS...: runs memrangectl ARGS under PREFIX (env,
# setpriv...), keeping stdout, stderr and the exit code.
run_as() {
        local prefix=()
        while [ "$1" != -- ]; do
                prefix+=("$1")
                shift
        done
        shift
        rc=0
        "${prefix[@]}" $wrap "$tool" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
        out=$(cat "$tmp/out")
        err=$(cat "$tmp/err")
        last="${prefix[*]}${prefix[*]:+ }memrangectl $*"
}

# run ARGS...: runs memrangectl ARGS.
run() { run_as -- "$@"; }

fail() {
        echo "FAIL: $last: $*" >&2
        echo "--- stdout:" >&2
        printf '%s\n' "$out" >&2
        echo "--- stderr:" >&2
        printf '%s\n' "$err" >&2
        failures=$((failures + 1))
}

expect_rc() { [ "$rc" -eq "$1" ] || fail "exit code $rc, expected $1"; }
# Whole-line matches (grep -x) against an extended regular expression.
expect_line() { grep -Eqx -- "$1" <<<"$out" || fail "no stdout line matching '$1'"; }
expect_no_line() { ! grep -Eqx -- "$1" <<<"$out" || fail "unexpected stdout line matching '$1'"; }
expect_out() { grep -Fq -- "$1" <<<"$out" || fail "stdout lacks '$1'"; }
expect_err() { grep -Fq -- "$1" <<<"$err" || fail "stderr lacks '$1'"; }
expect_err_is() { [ "$err" = "$1" ] || fail "stderr is not exactly '$1'"; }
expect_no_out() { [ -z "$out" ] || fail "unexpected stdout"; }
expect_no_err() { [ -z "$err" ] || fail "unexpected stderr"; }
expect_lines() { [ "$(printf '%s\n' "$out" | grep -c .)" -eq "$1" ] || fail "expected $1 non-empty lines"; }

# same_output OPTION_A VALUE_A OPTION_B VALUE_B ARGS...: memrangectl
# OPTION_A VALUE_A ARGS prints exactly what memrangectl OPTION_B VALUE_B
# ARGS prints (stdout and stderr), with the same exit code, and prints
# something. $out, $err and $rc are then those of the second run.
same_output() {
        local a="$1 $2" b="$3 $4" rc_a
        run "$1" "$2" "${@:5}"
        rc_a=$rc
        cp "$tmp/out" "$tmp/a.out"
        cp "$tmp/err" "$tmp/a.err"
        run "$3" "$4" "${@:5}"
        cmp -s "$tmp/a.out" "$tmp/out" || fail "stdout differs ($a, $b): $(diff "$tmp/a.out" "$tmp/out" | head -20)"
        cmp -s "$tmp/a.err" "$tmp/err" || fail "stderr differs ($a, $b): $(diff "$tmp/a.err" "$tmp/err" | head -20)"
        [ "$rc_a" -eq "$rc" ] || fail "exit code $rc_a with $a, $rc with $b"
        [ -s "$tmp/out" ] || [ -s "$tmp/err" ] || fail "no output at all"
}

# same_as_offline SOCKET SYSROOT ARGS...: memrangectl asking the daemon on
# SOCKET prints exactly what it prints reading SYSROOT.
same_as_offline() {
        same_output --socket "$1" --sysroot "$2" "${@:3}"
}

# Copies a fixture sysroot into $tmp/root (fixtures are read-only).
copy_fixture() {
        cp -a "$1" "$tmp/root"
        chmod -R u+w "$tmp/root"
}

# How long a test waits for something that normally takes milliseconds
# (a server starting, a monitor printing): generous, since a machine
# loaded by parallel tests or sanitizers may take seconds. Waiting polls,
# so the margin costs nothing when things are fast.
WAIT_SECONDS=${MEMRANGE_TEST_WAIT_SECONDS:-20}

# wait_for_socket PATH PID: until the server PID listens on PATH. Both
# memranged and fake-memranged.py create PATH only once listening (bound
# under another name, then renamed), so its existence means readiness.
wait_for_socket() {
        local deadline=$((SECONDS + WAIT_SECONDS))
        while [ "$SECONDS" -le "$deadline" ]; do
                kill -0 "$2" 2>/dev/null || return 1
                [ -S "$1" ] && return 0
                sleep 0.05
        done
        return 1
}

# main_shell_only: true in the script's own shell. The EXIT trap's cleanup
# starts with it: a background job signalled before it has exec'd its
# program is still a copy of this shell, and bash runs the EXIT trap there
# too, which would remove $tmp under the test's feet.
main_shell_only() { [ "$BASHPID" = "$main_pid" ]; }

# run_case CASE [WHAT]: calls case_CASE and reports the verdict.
run_case() {
        local fn="case_${1//-/_}"
        if ! declare -F "$fn" >/dev/null; then
                echo "unknown case '$1'" >&2
                exit 2
        fi
        "$fn"
        if [ "$failures" -gt 0 ]; then
                echo "$failures check(s) failed in case $*" >&2
                exit 1
        fi
        echo "ok: $*"
}

# monitor_start SOCKET ARGS...: `memrangectl --socket SOCKET monitor ARGS`
# in the background, printing into $tmp/mon and $tmp/mon.err.
monitor_start() {
        local socket=$1
        shift
        # Emptied here, not by the job's redirection, which may come late:
        # monitor_wait_lines must never count a previous monitor's lines.
        : >"$tmp/mon"
        : >"$tmp/mon.err"
        $wrap "$tool" --socket "$socket" monitor "$@" >>"$tmp/mon" 2>>"$tmp/mon.err" &
        mon_pid=$!
        mon_last="memrangectl monitor $*"
}

# monitor_wait_lines N: until the monitor printed N lines ($WAIT_SECONDS
# at most; a monitor that exited prints no more).
monitor_wait_lines() {
        local deadline=$((SECONDS + WAIT_SECONDS))
        while [ "$SECONDS" -le "$deadline" ]; do
                [ "$(wc -l <"$tmp/mon")" -ge "$1" ] && return 0
                kill -0 "$mon_pid" 2>/dev/null || break
                sleep 0.05
        done
        [ "$(wc -l <"$tmp/mon")" -ge "$1" ] && return 0
        out=$(cat "$tmp/mon")
        err=$(cat "$tmp/mon.err")
        last=$mon_last
        fail "monitor printed $(wc -l <"$tmp/mon") lines, not $1"
}

# monitor_end [SIGNAL]: sends SIGNAL (if given), waits for the monitor to
# exit and takes its output and exit code as $out, $err and $rc.
monitor_end() {
        [ $# -eq 0 ] || kill "-$1" "$mon_pid"
        rc=0
        wait "$mon_pid" || rc=$?
        out=$(cat "$tmp/mon")
        err=$(cat "$tmp/mon.err")
        last="$mon_last${1:+ (SIG$1)}"
}
