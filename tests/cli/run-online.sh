#!/usr/bin/env bash
# Tests of memrangectl's online mode against fake-memranged.py, a varlink
# server answering from canned replies: the client side, the conversion of
# the daemon's JSON and every error message, independently of memranged.
#
#   run-online.sh MEMRANGECTL FIXTURES_DIR CASE
#
# online/dimm-hotplug.json holds the replies memranged gives for the
# fixture x86_64-6.1-dimm/hotplug (each value checked against the
# fixture's proc/iomem, firmware memmap and memory blocks), so the online
# output can be compared with `--sysroot` output of the same fixture.
# MEMRANGE_CLI_WRAP: see test-lib.sh.
set -euo pipefail

if [ $# -ne 3 ]; then
        echo "usage: $0 MEMRANGECTL FIXTURES_DIR CASE" >&2
        exit 2
fi
tool=$1 fixtures=$2 case=$3
here=$(cd "$(dirname "$0")" && pwd)
hotplug=$fixtures/x86_64-6.1-dimm/hotplug
replies=$here/online/dimm-hotplug.json

tmp=$(mktemp -d)
sock=$tmp/io.memranged
fake_pid=
cleanup() {
        main_shell_only || return 0
        if [ -n "$fake_pid" ]; then
                kill "$fake_pid" 2>/dev/null || true
                wait "$fake_pid" 2>/dev/null || true
        fi
        rm -rf "$tmp"
}
trap cleanup EXIT
. "$here/test-lib.sh"

# start_fake [OVERRIDE_JSON]: serves the canned replies, with the methods
# named in OVERRIDE_JSON answered as it says instead.
start_fake() {
        local args=(--socket "$sock" --replies "$replies" --log "$tmp/calls")
        if [ $# -gt 0 ]; then
                printf '%s\n' "$1" >"$tmp/override.json"
                args+=(--replies "$tmp/override.json")
        fi
        stop_fake
        # Never a socket left behind: waiting for the path to exist is
        # waiting for the new fake to listen.
        rm -f "$tmp/calls" "$sock"
        python3 "$here/fake-memranged.py" "${args[@]}" &
        fake_pid=$!
        wait_for_socket "$sock" "$fake_pid" && return 0
        echo "fake-memranged did not start" >&2
        exit 1
}

stop_fake() {
        if [ -n "$fake_pid" ]; then
                kill "$fake_pid" 2>/dev/null || true
                wait "$fake_pid" 2>/dev/null || true
                fake_pid=
        fi
}

# How many calls of METHOD the fake received.
calls_of() { grep -c "\"method\": \"io.memranged.$1\"" "$tmp/calls" || true; }


NOT_RUNNING_HINT="(is memranged running? use --offline to read the kernel files directly)"

case_not_running() {
        for cmd in list blocks verify status monitor rescan; do
                run --socket "$tmp/nothing-here" "$cmd"
                expect_rc 3
                expect_err_is "memrangectl: cannot reach memranged at $tmp/nothing-here: No such file or directory $NOT_RUNNING_HINT"
                expect_no_out
        done
        # The default path, and $MEMRANGED_SOCKET replacing it.
        if [ ! -e /run/memranged/io.memranged ]; then
                run list
                expect_rc 3
                expect_err_is "memrangectl: cannot reach memranged at /run/memranged/io.memranged: No such file or directory $NOT_RUNNING_HINT"
        fi
        run_as env MEMRANGED_SOCKET="$tmp/from-env" -- list
        expect_rc 3
        expect_err "cannot reach memranged at $tmp/from-env: No such file or directory"
        # A socket left behind by a daemon that died: nobody accepts.
        python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$tmp/stale"
        run --socket "$tmp/stale" status
        expect_rc 3
        expect_err_is "memrangectl: cannot reach memranged at $tmp/stale: Connection refused $NOT_RUNNING_HINT"
}

case_modes() {
        # --sysroot and --offline read the files; --socket cannot go with them.
        run --socket "$tmp/nothing-here" --sysroot "$hotplug" list
        expect_rc 2
        expect_err "memrangectl: --socket asks memranged, but --offline/--sysroot read the files"
        run --offline --socket "$tmp/nothing-here" list
        expect_rc 2
        run --sysroot "$hotplug" monitor
        expect_rc 2
        expect_err_is "memrangectl: monitor needs memranged: it cannot work with --offline or --sysroot"
        run --offline rescan
        expect_rc 2
        expect_err "rescan needs memranged"
        # crash-ranges and elfcorehdr ask the daemon unless told not to.
        run --socket "$tmp/nothing-here" crash-ranges
        expect_rc 3
        expect_err "cannot reach memranged at $tmp/nothing-here"
        run_as env MEMRANGED_SOCKET="$tmp/nothing-here" -- elfcorehdr -o "$tmp/hdr"
        expect_rc 3
        [ ! -e "$tmp/hdr" ] || fail "elfcorehdr wrote a file without an answer"
        run --offline reload
        expect_rc 2
        expect_err "reload needs memranged"
        run --help
        expect_line " monitor +.*"
        expect_line " rescan +.*"
        expect_line " reload +.*"
        expect_out "--socket <path>"
        expect_out "monitor, rescan and reload need memranged."
        run --timeout 0 list
        expect_rc 2
        expect_err "memrangectl: invalid timeout '0'"
        run --timeout soon list
        expect_rc 2
}

# Online and offline print through the same code: identical bytes.
case_same_output() {
        start_fake
        same_as_offline "$sock" "$hotplug" list -J
        same_as_offline "$sock" "$hotplug" list
        same_as_offline "$sock" "$hotplug" list -b --output-all -r
        same_as_offline "$sock" "$hotplug" list --summary=only
        same_as_offline "$sock" "$hotplug" blocks -J
        same_as_offline "$sock" "$hotplug" blocks
        same_as_offline "$sock" "$hotplug" blocks -J -b --output-all
        same_as_offline "$sock" "$hotplug" verify
        same_as_offline "$sock" "$hotplug" verify -J
        # The summary's block lines come from ListBlocks: asked for only then.
        rm -f "$tmp/calls"
        run --socket "$sock" list -J
        [ "$(calls_of ListBlocks)" -eq 0 ] || fail "list -J asked for the blocks"
        run --socket "$sock" list
        [ "$(calls_of ListBlocks)" -eq 1 ] || fail "list did not ask for the blocks of its summary"
}

case_filters() {
        start_fake
        run --socket "$sock" list -r -n -o RANGE,TYPE --type ram,reserved --node 0
        expect_rc 0
        grep -Fq '"parameters": {"node": 0, "types": ["ram", "reserved"]}' "$tmp/calls" ||
                fail "filters not passed to the daemon: $(cat "$tmp/calls")"
        # The fake ignores filters; the client applies them again.
        expect_line "0x0000000100000000-0x000000013fffffff ram"
        if grep -Eq ' reserved$' <<<"$out"; then fail "a reserved range without a node passed --node 0"; fi
        run --socket "$sock" list -r -n -o RANGE --node 3
        expect_rc 0
        expect_no_out
}

case_status() {
        start_fake
        run --socket "$sock" status
        expect_rc 0
        expect_line "Daemon: memranged 0\.1\.0 at $sock"
        expect_line "  generation +3"
        expect_line "  uevents received +24"
        expect_line "  uevents ignored +8"
        expect_line "  uevents lost +0"
        expect_line "  full rescans +1"
        expect_line "  rebuild pending +no"
        expect_line "  iomem +ok"
        expect_line "  memblock +absent"
        expect_line "Table: 11 ranges, 14G"
        expect_line "  ram +5 ranges, 2G"
        expect_line "  RAM +2G \(2G online, 0B offline\)"
        expect_line "  reservation +0x000000001e000000-0x000000002dffffff \(256M\)"
        expect_line "  kdump loaded +yes"
        expect_line "  crash_hotplug +0"
        expect_line "  kdump state +stale"
        expect_line "Findings: 0 errors, 0 warnings, 1 info"
        expect_no_err
        run --socket "$sock" status -J -b
        expect_rc 0
        python3 - "$tmp/out" <<'EOF' || fail "status -J does not hold the daemon's values"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["daemon"]["generation"] == 3 and s["daemon"]["uevents"]["received"] == 24, s["daemon"]
assert s["daemon"]["addresses_hidden"] is False
assert s["table"]["ranges"] == 11 and s["table"]["online_ram"] == 2147483648, s["table"]
assert s["crash"]["reservations"] == [{"start": 503316480, "end": 771751935, "size": 268435456, "low": False}]
assert s["crash"]["kdump_state"] == "stale" and s["crash"]["crash_hotplug"] is False
assert s["findings"] == {"info": 1, "warning": 0, "error": 0}, s["findings"]
assert "sysroot" not in s
assert s["daemon"]["last_error"] is None
EOF
        # A failed rebuild is shown while the previous table is served.
        start_fake "$(python3 - "$replies" <<'EOF'
import json, sys
status = json.load(open(sys.argv[1]))["io.memranged.GetStatus"]
status["parameters"]["last_error"] = "proc/iomem:3: bad hex number 'zz'"
print(json.dumps({"io.memranged.GetStatus": status}))
EOF
)"
        run --socket "$sock" status
        expect_rc 0
        expect_line "  last rebuild failed +proc/iomem:3: bad hex number 'zz'"
        # ppc64's linux,memory-limit: the address for privileged callers.
        for limit in '"memory_limit": 2147483648, ' ''; do
                start_fake "$(python3 - "$replies" "$limit" <<'EOF'
import json, sys
status = json.load(open(sys.argv[1]))["io.memranged.GetStatus"]
status["parameters"]["kdump"].update(json.loads("{" + sys.argv[2] + '"memory_limit_boot_only": true}'))
print(json.dumps({"io.memranged.GetStatus": status}))
EOF
)"
                run --socket "$sock" status
                expect_rc 0
                if [ -n "$limit" ]; then
                        expect_line "  memory limit +0x0000000080000000 \\(only boot RAM: memranged's loads read it as 0\\)"
                else
                        expect_line "  memory limit +hidden \\(only boot RAM: memranged's loads read it as 0\\)"
                fi
        done
        start_fake '{"io.memranged.GetStatus": {"parameters": {"version": "0.1.0", "generation": 1, "changed_usec": 0, "ranges": 0, "total_ram": 0, "online_ram": 0, "offline_ram": 0, "findings": {"errors": 0, "warnings": 0, "infos": 0}, "sources": [], "uevents": {"received": 0, "ignored": 0, "lost": 0, "rebuilds": 0, "full_rescans": 0, "pending": "no"}, "kdump": {"loaded": false, "state": "not loaded"}}}}'
        run --socket "$sock" status
        expect_rc 3
        expect_err_is "memrangectl: memranged at $sock sent a malformed reply to GetStatus: uevents.pending: expected a boolean"
}

case_addresses_hidden() {
        local hidden='{"error": "io.memranged.AddressesHidden"}'
        start_fake "{\"io.memranged.ListRanges\": $hidden, \"io.memranged.ListBlocks\": $hidden, \"io.memranged.ListFindings\": $hidden}"
        for cmd in list blocks verify; do
                run --socket "$sock" "$cmd"
                expect_rc 4
                expect_err_is "memrangectl: memranged shows addresses only to root and members of group memrange"
                expect_no_out
        done
        # status needs no addresses: it says what it cannot show.
        run --socket "$sock" status
        expect_rc 0
        expect_line "Table: 11 ranges \(addresses hidden: .*group memrange\)"
        expect_line "  reservation +hidden"
        expect_line "Findings: 0 errors, 0 warnings, 1 info"
        run --socket "$sock" status -J
        expect_rc 0
        expect_line ' +"addresses_hidden": true,'
        expect_line ' +"bytes": null,'
}

case_rescan() {
        start_fake
        run --socket "$sock" rescan
        expect_rc 0
        expect_line "Rescan done: generation 3, nothing changed\."
        start_fake '{"io.memranged.Rescan": {"error": "org.varlink.service.PermissionDenied"}}'
        run --socket "$sock" rescan
        expect_rc 4
        expect_err_is "memrangectl: rescan: permission denied: only root may make memranged rescan"
}

case_errors() {
        start_fake '{"io.memranged.ListRanges": {"raw": "this is not JSON"}}'
        run --socket "$sock" list
        expect_rc 3
        expect_err_is "memrangectl: memranged at $sock sent a malformed reply to ListRanges (not varlink JSON)"
        # Well-formed JSON that breaks the interface: named by member.
        start_fake '{"io.memranged.ListRanges": {"parameters": {"generation": 3, "ranges": [{"start": 4096, "end": 10, "size": 1, "type": "ram", "flags": [], "sources": []}]}}}'
        run --socket "$sock" list
        expect_rc 3
        expect_err "memrangectl: memranged at $sock sent a malformed reply to ListRanges: ranges[0]"
        start_fake '{"io.memranged.GetStatus": {"parameters": {"version": "0.1.0"}}}'
        run --socket "$sock" status
        expect_rc 3
        expect_err_is "memrangectl: memranged at $sock sent a malformed reply to GetStatus: generation: missing"
        start_fake '{"io.memranged.ListBlocks": {"close": true}}'
        run --socket "$sock" blocks
        expect_rc 3
        expect_err_is "memrangectl: memranged at $sock closed the connection before answering ListBlocks"
        start_fake '{"io.memranged.ListFindings": {"error": "io.memranged.InternalError", "parameters": {"errno": 12}}}'
        run --socket "$sock" verify
        expect_rc 1
        expect_err_is "memrangectl: memranged failed to answer ListFindings: Cannot allocate memory"
        start_fake '{"io.memranged.ListBlocks": null}'
        run --socket "$sock" blocks
        expect_rc 1
        expect_err_is "memrangectl: memranged at $sock does not know ListBlocks (is it older than memrangectl?)"
        start_fake '{"io.memranged.ListRanges": {"error": "io.memranged.InvalidParameter", "parameters": {"parameter": "node", "reason": "no such node"}}}'
        run --socket "$sock" list --node 9
        expect_rc 2
        expect_err_is "memrangectl: memranged refused parameter 'node' of ListRanges: no such node"
}

case_timeout() {
        start_fake '{"io.memranged.GetStatus": {"hang": true}}'
        local t0=$SECONDS
        run --socket "$sock" --timeout 0.5 status
        expect_rc 3
        expect_err_is "memrangectl: memranged at $sock did not answer GetStatus within 0.5 s"
        [ $((SECONDS - t0)) -lt 5 ] || fail "the timeout did not bound the call"
}

# A table changing between the calls of one command is read again.
case_generation_race() {
        start_fake '{"io.memranged.ListRanges": {"parameters": {"generation": 4, "ranges": []}}}'
        run --socket "$sock" list -J
        expect_rc 0
        [ "$(calls_of GetStatus)" -eq 3 ] || fail "expected 3 attempts, got $(calls_of GetStatus)"
        start_fake
        run --socket "$sock" list -J
        expect_rc 0
        [ "$(calls_of GetStatus)" -eq 1 ] || fail "a consistent table was read more than once"
}

case_monitor() {
        start_fake
        monitor_start "$sock"
        monitor_wait_lines 5
        monitor_end TERM
        expect_rc 0
        expect_no_err
        expect_line "generation 3 \(startup\): 11 ranges; waiting for changes"
        expect_line "generation 4 \(uevent\): removed 0x0000000100000000-0x000000013fffffff 1G ram flags=hotplug node=0 sources=iomem,firmware-memmap,memory-blocks,numa"
        expect_line "generation 4 \(uevent\): added 0x0000000108000000-0x000000010fffffff 128M ram flags=hotplug,offline node=0 sources=iomem,firmware-memmap,memory-blocks,numa"
        expect_line "generation 4 \(uevent\): added 0x0000000110000000-0x000000013fffffff 768M ram flags=hotplug node=0 sources=.*"
        [ "$(wc -l <<<"$out")" -eq 5 ] || fail "expected 5 lines"

        monitor_start "$sock" -J
        monitor_wait_lines 2
        monitor_end INT
        expect_rc 0
        python3 - "$tmp/mon" <<'EOF' || fail "monitor -J is not one JSON change per line"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 2, lines
first, second = (json.loads(l) for l in lines)
assert first["generation"] == 3 and first["reason"] == "startup" and len(first["added"]) == 11
assert first["removed"] == []
assert second["generation"] == 4 and [r["start"] for r in second["removed"]] == [4294967296]
assert [(r["start"], r["end"], r["flags"]) for r in second["added"]] == [
    (4294967296, 4429185023, ["hotplug"]), (4429185024, 4563402751, ["hotplug", "offline"]),
    (4563402752, 5368709119, ["hotplug"])], second["added"]
EOF
}

case_monitor_daemon_closes() {
        start_fake "$(python3 - "$replies" <<'EOF'
import json, sys
sub = json.load(open(sys.argv[1]))["io.memranged.Subscribe"]
sub["end"] = "close"
print(json.dumps({"io.memranged.Subscribe": sub}))
EOF
)"
        run --socket "$sock" monitor
        expect_rc 3
        expect_line "generation 3 \(startup\): 11 ranges; waiting for changes"
        expect_err_is "memrangectl: memranged at $sock closed the connection during Subscribe"
        # A change the client cannot read ends the monitor with a message.
        start_fake '{"io.memranged.Subscribe": {"stream": [{"change": {"generation": 1}}], "end": "wait"}}'
        run --socket "$sock" monitor
        expect_rc 3
        expect_err "memrangectl: memranged at $sock sent a malformed reply to Subscribe: change"
}
run_case "$case"
