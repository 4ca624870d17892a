#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Signals (DESIGN.md, daemon promise 7; memranged(8)): SIGHUP re-reads the
configuration file, SIGTERM and SIGINT stop the daemon cleanly and
promptly, removing the sockets it created.

GetStatus does not expose the coalescing timing, so the reload is checked
by its log line and by its effect: with QuietWindowSec=60min a memory event
leaves a rebuild pending for an hour; after a reload that shortens the
window, the next event makes the pending rebuild fire at once.
"""
import os
import signal
import time

import daemon_harness as h
from daemon_harness import expect, expect_eq

FIXTURE = "x86_64-6.1-dimm/hotplug"
SLOW = "[Daemon]\nQuietWindowSec=60min\nMaxDelaySec=60min\n"
FAST = "[Daemon]\nQuietWindowSec=20ms\nMaxDelaySec=50ms\n"


def wait_log(d, text, timeout=5.0):
    """Polls the daemon's log (the daemon writes it, nothing to ask)."""
    timeout *= h.SLOWDOWN
    deadline = time.monotonic() + timeout
    while text not in d.log():
        if time.monotonic() > deadline:
            raise h.TestFailure(f"{d.name} did not log {text!r} within {timeout} s")
        time.sleep(h.POLL_INTERVAL)


def write_config(d, text):
    tmp = d.config + ".new"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, d.config)


def online_event(seq):
    return h.memory_uevent("online", 33, seq)


def test_sighup_rereads_the_configuration(ctx):
    d = ctx.daemon(sysroot=h.fixture(FIXTURE), config=SLOW)
    expect("invalid" not in d.log(), "the daemon refused the first configuration")
    d.send_uevents([online_event(100)])
    s = d.wait_status(lambda s: s["uevents"]["delivered"] == 1, "the first event delivered")
    expect_eq((s["uevents"]["pending"], s["uevents"]["rebuilds"]), (True, 1), "pending for an hour")

    # A broken file is refused and the running configuration kept.
    write_config(d, "[Daemon]\nQuietWindowSec=banana\n")
    d.send_signal(signal.SIGHUP)
    wait_log(d, "has errors, keeping the running configuration")
    d.send_uevents([online_event(101)])
    s = d.wait_status(lambda s: s["uevents"]["delivered"] == 2, "the second event delivered")
    expect_eq((s["uevents"]["pending"], s["uevents"]["rebuilds"]), (True, 1), "still pending after a bad file")

    write_config(d, FAST)
    d.send_signal(signal.SIGHUP)
    wait_log(d, "Configuration: [Daemon] QuietWindowSec: 3600000ms -> 20ms")
    wait_log(d, "Configuration: [Daemon] MaxDelaySec: 3600000ms -> 50ms")
    d.send_uevents([online_event(102)])
    s = d.wait_idle(lambda s: s["uevents"]["delivered"] == 3, "the rebuild under the new timing")
    expect_eq(s["uevents"]["rebuilds"], 2, "rebuilds: the three events made one")
    expect_eq(s["uevents"]["incremental_rebuilds"], 1, "online events re-read memory33 only")
    expect_eq(s["generation"], 1, "generation (nothing changed)")

    # Unchanged file: said so.
    d.send_signal(signal.SIGHUP)
    wait_log(d, "nothing changed")
    expect(d.running(), "the daemon stopped after SIGHUP")


def stop_cleanly(ctx, sig):
    d = ctx.daemon(sysroot=h.fixture(FIXTURE), config=SLOW)
    sub = d.connect()
    sub.send("io.memranged.Subscribe", more=True)
    expect_eq(sub.receive()["parameters"]["change"]["generation"], 1, "subscribed")
    # A rebuild is pending (for an hour, so that it still is however
    # slowly the event got here) when the signal comes.
    d.send_uevents([online_event(7)])
    s = d.wait_status(lambda s: s["uevents"]["delivered"] == 1, "the event delivered")
    expect_eq(s["uevents"]["pending"], True, "a rebuild pending")
    limit = 10.0 if h.WRAP else 3.0  # valgrind is slow to exit, ASan leak checks take a while
    start = time.monotonic()
    code = d.stop(sig, timeout=2 * limit)
    elapsed = time.monotonic() - start
    print(f"{signal.Signals(sig).name}: exit {code} after {elapsed:.3f} s")
    expect_eq(code, 0, f"exit code after {signal.Signals(sig).name}")
    expect(elapsed < limit, f"exit took {elapsed:.3f} s")
    expect(not os.path.lexists(d.socket), "the varlink socket was left behind")
    expect(not os.path.lexists(d.uevent_socket), "the test uevent socket was left behind")
    expect_eq(sub.expect_eof(timeout=2), [], "the subscriber's stream ends without a reply")
    sub.close()
    expect("stopping" in d.log() and "Stopped" in d.log(), "no stop messages in the log")


def test_sigterm_exits_0_promptly_and_removes_the_socket(ctx):
    stop_cleanly(ctx, signal.SIGTERM)


def test_sigint_exits_0_promptly_and_removes_the_socket(ctx):
    stop_cleanly(ctx, signal.SIGINT)


if __name__ == "__main__":
    h.run([test_sighup_rereads_the_configuration,
           test_sigterm_exits_0_promptly_and_removes_the_socket,
           test_sigint_exits_0_promptly_and_removes_the_socket])
