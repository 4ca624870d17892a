#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Fault injection into the kdump reload engine (issue 7): a reload command
that hangs, one that fails several times, and memranged killed with
SIGKILL around a load and started again.

The fake kexec and the DIMM machine come from test-kdump-reload.py (see
its docstring for the fixture values). The kdump-tools settings say an
image is loaded at boot (kexec_crash_loaded reads 1), so a hot-add of the
DIMM (boot -> hotplug) changes the dump ranges and needs one reload.

memranged keeps its record of what it loaded next to its socket, here
the test's temporary directory (kdump-loaded): a restarted daemon with
the same socket directory reads it. Run as root (the fake kexec runs in
a private mount namespace).
"""
import importlib.util
import os
import signal
import subprocess
import time

import daemon_harness as h
from daemon_harness import expect, expect_eq

_spec = importlib.util.spec_from_file_location(
    "kdump_reload", os.path.join(os.path.dirname(os.path.abspath(__file__)), "test-kdump-reload.py"))
kr = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(kr)

HOTPLUG_LINE = kr.HOTPLUG_LINE
# An hour: a storm stays pending until the daemon is killed.
SLOW = "[Daemon]\nQuietWindowSec=60min\nMaxDelaySec=60min\n"


def config(kexec, extra=""):
    return f"[Kdump]\nKexecPath={kexec.path}\n{extra}"


def memrangectl(*args):
    return subprocess.run([h.env_path("MEMRANGECTL"), *args], capture_output=True, text=True, timeout=30)


def kill_hard(ctx, d):
    """SIGKILL, as a crash would: no cleanup, the socket file stays. The
    daemon leaves the test's list (it cannot exit 0 any more)."""
    d.proc.kill()
    d.proc.wait()
    ctx.daemons.remove(d)


def fake_kexec_pids(kexec):
    """Processes running the fake kexec script (sh kexec/kexec ...)."""
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if kexec.path.encode() in argv:
            pids.append(int(pid))
    return pids


def kill_fake_kexec(kexec):
    """SIGKILL to the process group of each fake kexec still running: the
    daemon's death may already be taking them down, so one that is gone
    by now is what we wanted."""
    for pid in fake_kexec_pids(kexec):
        try:
            os.killpg(os.getpgid(pid), signal.SIGKILL)
        except ProcessLookupError:
            pass


def wait_for(predicate, what, timeout=15.0):
    deadline = time.monotonic() + timeout * h.SLOWDOWN
    while not predicate():
        if time.monotonic() > deadline:
            raise h.TestFailure(f"{what} not reached within {timeout * h.SLOWDOWN} s")
        time.sleep(h.POLL_INTERVAL)


def record(ctx):
    with open(ctx.path("kdump-loaded")) as f:
        return dict(line.split("=", 1) for line in f.read().splitlines() if line and not line.startswith("#")
                    and not line.startswith("range="))


def record_ranges(ctx):
    with open(ctx.path("kdump-loaded")) as f:
        return [line[len("range="):] for line in f.read().splitlines() if line.startswith("range=")]


HOTPLUG_RECORD = ["0x1000-0x9fbff backup", "0x100000-0x1dffffff", "0x2e000000-0x3ffdffff", "0x100000000-0x13fffffff"]


# ---------------------------------------------------------------------------
# A hanging reload command

def test_hung_reload_is_killed_after_timeout_reported_and_retried(ctx):
    h.require_root("the fake kexec must run in a private mount namespace")
    kexec = kr.FakeKexec(ctx)
    kexec.sleep(60)
    root = kr.dimm_root(ctx)
    d = ctx.daemon(sysroot=root, config=config(kexec, "TimeoutSec=2500ms\n"))
    kr.swap(root, "x86_64-6.1-dimm/hotplug")
    d.send_uevents(kr.hot_add_events())
    kr.wait_kdump(d, lambda k: k["reloading"], "the reload running")
    wait_for(lambda: fake_kexec_pids(kexec), "the fake kexec running")

    # The daemon serves while kexec hangs: every ListRanges well within a
    # second (a daemon waiting on kexec would take the whole 2.5 s), for as
    # long as the reload runs. The loop follows the reload rather than
    # a fixed second: on a loaded machine reaching this point can take a good
    # part of TimeoutSec=, and the check must not race the kill.
    latencies = []
    deadline = time.monotonic() + 10.0 * h.SLOWDOWN
    while time.monotonic() < deadline:
        start = time.monotonic()
        listed = d.ranges()
        latencies.append(time.monotonic() - start)
        expect_eq(listed["generation"], 2, "ListRanges generation during the hung reload")
        if not d.status()["kdump"]["reloading"]:
            break
        time.sleep(0.02)
    expect(len(latencies) >= 3, f"only {len(latencies)} ListRanges call(s) while the reload hung")
    print(f"ListRanges during the hung reload: {len(latencies)} calls, slowest {max(latencies) * 1000:.1f} ms")
    expect(max(latencies) < 1.0 * h.SLOWDOWN, f"ListRanges took {max(latencies) * 1000:.1f} ms during the reload")

    k = kr.wait_kdump(d, lambda k: k["failures"] == 1 and not k["reloading"], "the hung attempt killed")
    last = k["last_reload"]
    expect_eq((last["result"], last["error"], last["signal"]),
              ("timeout", "killed after 2.5 s (TimeoutSec=)", signal.SIGKILL), "the hung attempt")
    expect(2.5e6 <= last["duration_usec"] < 4e6, f"the hung attempt ran {last['duration_usec']} us")
    expect_eq((k["state"], "retry_usec" in k), ("stale", True), "kdump after the timeout")
    expect_eq(fake_kexec_pids(kexec), [], "the hung kexec still runs after the timeout")
    expect("killed after 2.5 s (TimeoutSec=)" in d.log(), "the timeout is not logged")

    os.unlink(os.path.join(kexec.dir, "sleep"))
    k = kr.wait_kdump(d, lambda k: k["reloads"] == 1, "the retry after the timeout", timeout=30)
    expect_eq((k["attempts"], k["failures"], k["state"], k["loaded_generation"]), (2, 1, "up to date", 2),
              "kdump after the retry")
    expect_eq([a["result"] for a in k["history"]], ["timeout", "success"], "attempt history")
    hung_end = k["history"][0]["started_usec"] + k["history"][0]["duration_usec"]
    waited = (k["history"][1]["started_usec"] - hung_end) / 1e6
    expect(waited >= 0.95, f"retried {waited:.3f} s after the timeout, before the 1 s backoff")
    expect_eq(kexec.count(), 2, "kexec invocations")


# ---------------------------------------------------------------------------
# A reload command failing three times

def test_each_failure_stays_visible_until_the_reload_succeeds(ctx):
    h.require_root("the fake kexec must run in a private mount namespace")
    kexec = kr.FakeKexec(ctx, failures=3)
    root = kr.dimm_root(ctx)
    notify = h.NotifySocket(ctx.tmp)
    d = ctx.daemon(sysroot=root, config=config(kexec, "MaxBackoffSec=1\n"), notify_socket=notify.path)
    expect_eq(notify.last("READY"), "1", "READY=1 after start")
    kr.swap(root, "x86_64-6.1-dimm/hotplug")
    d.send_uevents(kr.hot_add_events())

    k = kr.wait_kdump(d, lambda k: k["failures"] == 2 and not k["reloading"], "two failures")
    expect_eq([a["result"] for a in k["history"]], ["failed", "failed"], "history after two failures")
    # systemctl status says so too.
    expect(notify.last("STATUS").endswith("kdump: stale (reload failed 2 times in a row: exit status 1)"),
           f"STATUS= after two failures: {notify.last('STATUS')!r}")
    # root reads kexec's own message in memrangectl status, on one line...
    shown = memrangectl("--socket", d.socket, "status")
    errors = [line.split(None, 3)[3] for line in shown.stdout.splitlines() if "last reload error" in line]
    expect_eq(errors, ["exit status 1: Could not load the crash kernel: kexec_load failed: Operation not permitted"],
              f"the failure's message for root in:\n{shown.stdout}")
    # ...another user only the exit status (kexec's output is privileged).
    script = ("import subprocess, sys\n"
              "out = subprocess.run([sys.argv[1], '--socket', sys.argv[2], 'status'], capture_output=True,"
              " text=True).stdout\n"
              "print([l.split(None, 3)[3] for l in out.splitlines() if 'last reload error' in l])\n")
    done = h.run_as_nobody(ctx, ["-c", script, h.env_path("MEMRANGECTL"), d.socket])
    expect_eq(done.stdout.strip(), "['exit status 1']", f"the failure for another user: {done.stderr}")
    k = kr.wait_kdump(d, lambda k: k["reloads"] == 1, "the reload after three failures", timeout=30)
    expect_eq((k["attempts"], k["failures"], k["state"], k["up_to_date"], k["loaded_generation"]),
              (4, 3, "up to date", True, 2), "kdump at the end")
    history = k["history"]
    expect_eq([(a["generation"], a["result"], a.get("exit_status"), a.get("error")) for a in history],
              [(2, "failed", 1, "exit status 1")] * 3 + [(2, "success", 0, None)], "attempt history")
    for a in history[:3]:
        expect("kexec_load failed: Operation not permitted" in a["output"], f"stderr tail of a failure: {a}")
    expect_eq(history[3]["output"], "loaded", "output of the success")
    expect_eq(history[-1], k["last_reload"], "the last of the history is last_reload")
    expect(notify.last("STATUS").endswith("kdump: up to date"), f"STATUS= after the success: {notify.last('STATUS')!r}")
    starts = [a["started_usec"] for a in history]
    expect(starts == sorted(starts) and len(set(starts)) == 4, f"attempt start times: {starts}")
    expect_eq(kexec.count(), 4, "kexec invocations")
    expect(HOTPLUG_LINE in kexec.iomem(4).splitlines(), "the last load lacks the DIMM")
    kr.idl().check_reply("GetStatus", d.status())

    shown = memrangectl("--socket", d.socket, "status")
    expect_eq(shown.returncode, 0, f"memrangectl status: {shown.stderr}")
    lines = [line for line in shown.stdout.splitlines() if "generation 2: " in line and " in " in line]
    expect_eq(len(lines), 5, f"last reload and four history lines in:\n{shown.stdout}")
    expect("recent reloads" in lines[1] and "failed" in lines[1] and "(exit status 1)" in lines[1],
           f"first history line: {lines[1]!r}")
    expect("success" in lines[4], f"last history line: {lines[4]!r}")

    # Another user sees the attempts without kexec's output.
    script = ("import sys, varlink_client\n"
              "k = varlink_client.Connection(sys.argv[1], 10).call('io.memranged.GetStatus')['kdump']\n"
              "print(len(k['history']), any('output' in a for a in k['history']))\n")
    done = h.run_as_nobody(ctx, ["-c", script, d.socket])
    expect_eq((done.returncode, done.stdout.strip()), (0, "4 False"), f"unprivileged history: {done.stderr}")


# ---------------------------------------------------------------------------
# SIGKILL and restart: the record of what memranged loaded

def test_restart_after_kill_mid_storm_reloads_the_new_ranges_once(ctx):
    """memranged loaded the boot ranges itself, then was killed while a
    hot-add storm waited for its rebuild: the image lacks the DIMM. The
    restarted daemon must not take the image for its generation 1."""
    h.require_root("the fake kexec must run in a private mount namespace")
    kexec = kr.FakeKexec(ctx)
    root = kr.dimm_root(ctx)
    d = ctx.daemon(sysroot=root, config=config(kexec) + SLOW)
    reply = d.call("io.memranged.Reload", {"force": True})
    expect_eq((reply["reloaded"], reply["generation"]), (True, 1), "forced load of the boot ranges")
    expect_eq(record(ctx)["state"], "done", "record after the load")
    expect_eq(len(record_ranges(ctx)), 3, f"boot dump ranges recorded: {record_ranges(ctx)}")

    kr.swap(root, "x86_64-6.1-dimm/hotplug")
    storm = kr.hot_add_events() + [h.memory_uevent("online", 32 + i % 8, kr.FIRST_SEQNUM + 16 + i)
                                   for i in range(284)]
    d.send_uevents(storm)
    d.wait_status(lambda s: s["uevents"]["delivered"] == 300 and s["uevents"]["pending"], "the storm pending")
    kill_hard(ctx, d)

    d = ctx.daemon(sysroot=root, config=config(kexec))
    k = kr.wait_kdump(d, lambda k: k["reloads"] == 1 and not k["reloading"], "the reload after the restart")
    expect_eq((k["state"], k["loaded_by"], k["image_ranges"], k["loaded_generation"], k["attempts"]),
              ("up to date", "memranged", "exact", 1, 1), "kdump after the restart")
    expect("before it restarted" in d.log(), "the record was not read")
    time.sleep(0.5)
    expect_eq(kexec.count(), 2, "kexec runs: the forced load, one after the restart")
    expect(HOTPLUG_LINE in kexec.iomem(2).splitlines(), "the reload after the restart lacks the DIMM")
    expect_eq(record_ranges(ctx), HOTPLUG_RECORD, "record after the reload")
    expect_eq(d.ranges()["ranges"], ctx.fresh_scan(h.fixture("x86_64-6.1-dimm/hotplug")).ranges, "table after the restart")


def test_restart_after_kill_following_the_final_load_does_not_reload(ctx):
    h.require_root("the fake kexec must run in a private mount namespace")
    kexec = kr.FakeKexec(ctx)
    root = kr.dimm_root(ctx)
    d = ctx.daemon(sysroot=root, config=config(kexec))
    kr.swap(root, "x86_64-6.1-dimm/hotplug")
    d.send_uevents(kr.hot_add_events())
    kr.wait_kdump(d, lambda k: k["reloads"] == 1 and not k["reloading"], "the reload after the hot-add")
    expect_eq((record(ctx)["state"], record(ctx)["generation"]), ("done", "2"), "record after the load")
    expect_eq(record_ranges(ctx), HOTPLUG_RECORD, "recorded dump ranges")
    kill_hard(ctx, d)

    d = ctx.daemon(sysroot=root, config=config(kexec))
    k = kr.kdump(d)
    expect_eq((k["state"], k["up_to_date"], k["loaded_by"], k["image_ranges"], k["loaded_generation"]),
              ("up to date", True, "memranged, before it restarted", "recorded", 1), "kdump after the restart")
    time.sleep(0.5)
    k = kr.kdump(d)
    expect_eq((k["attempts"], k["reloading"], kexec.count()), (0, False, 1), "no reload after the restart")
    expect_eq(d.ranges()["ranges"], ctx.fresh_scan(h.fixture("x86_64-6.1-dimm/hotplug")).ranges, "table after the restart")


def test_restart_after_kill_during_a_load_reloads(ctx):
    """Killed while kexec ran: the record stays pending, the image is
    unknown (kexec may or may not have loaded), and the restarted daemon
    reloads although its first generation's ranges are those being
    loaded."""
    h.require_root("the fake kexec must run in a private mount namespace")
    kexec = kr.FakeKexec(ctx)
    kexec.sleep(60)
    root = kr.dimm_root(ctx)
    d = ctx.daemon(sysroot=root, config=config(kexec))
    kr.swap(root, "x86_64-6.1-dimm/hotplug")
    d.send_uevents(kr.hot_add_events())
    kr.wait_kdump(d, lambda k: k["reloading"], "the reload running")
    expect_eq((record(ctx)["state"], record(ctx)["generation"]), ("pending", "2"), "record during the load")
    expect_eq(record_ranges(ctx), HOTPLUG_RECORD, "ranges being loaded")
    wait_for(lambda: kexec.count() == 1 and fake_kexec_pids(kexec), "the fake kexec running")
    kill_hard(ctx, d)
    kill_fake_kexec(kexec)
    os.unlink(os.path.join(kexec.dir, "sleep"))

    d = ctx.daemon(sysroot=root, config=config(kexec))
    k = kr.wait_kdump(d, lambda k: k["reloads"] == 1 and not k["reloading"], "the reload after the restart")
    expect_eq((k["state"], k["loaded_by"], k["loaded_generation"], k["attempts"]), ("up to date", "memranged", 1, 1),
              "kdump after the restart")
    expect("was interrupted" in d.log(), "the interrupted load is not logged")
    expect_eq(kexec.count(), 2, "kexec runs: the interrupted one, one after the restart")
    expect_eq(record(ctx)["state"], "done", "record after the reload")


def test_record_of_another_boot_is_ignored(ctx):
    """A done record whose boot_id is not this boot's says nothing about
    the image loaded now: the image is assumed to be kdump-tools' of
    generation 1, as without a record, and status says it is assumed."""
    kexec = kr.FakeKexec(ctx)
    root = kr.dimm_root(ctx)
    kr.write(root, "proc/sys/kernel/random/boot_id", "0f0e0d0c-0b0a-4908-8706-050403020100\n")
    with open(ctx.path("kdump-loaded"), "w") as f:
        f.write("state=done\nboot_id=11111111-2222-4333-8444-555555555555\ngeneration=7\n"
                "policy=kexec-tools-x86\narch=x86_64\nrange=0x1000-0x9fbff backup\n")
    d = ctx.daemon(sysroot=root, config=config(kexec))
    k = kr.kdump(d)
    expect_eq((k["state"], k["loaded_by"], k["image_ranges"], k["loaded_generation"]),
              ("up to date", "before memranged started", "assumed", 1), "kdump with another boot's record")
    expect("is of another boot" in d.log(), "the foreign record is not logged")
    expect_eq(kexec.count(), 0, "kexec invocations")


if __name__ == "__main__":
    h.run([
        test_hung_reload_is_killed_after_timeout_reported_and_retried,
        test_each_failure_stays_visible_until_the_reload_succeeds,
        test_restart_after_kill_mid_storm_reloads_the_new_ranges_once,
        test_restart_after_kill_following_the_final_load_does_not_reload,
        test_restart_after_kill_during_a_load_reloads,
        test_record_of_another_boot_is_ignored,
    ])
