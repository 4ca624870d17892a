#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Configuration files with errors (issue 7; memranged.conf(5)): every
problem is logged naming the file and the line; on SIGHUP a file with an
error (an invalid value, a malformed line or section header) or one that
cannot be read is refused as a whole and the running configuration stays;
unknown keys and sections are warnings and the rest of the file applies.
At start, invalid settings fall back to their defaults.

Whether the running configuration stayed is checked by its effect: it
has a 20 ms quiet window, each refused file asks for an hour, so a
memory event is rebuilt at once only when the refused file was not
applied; the change log of the next good file then starts from 20ms.
"""
import os
import signal
import time

import daemon_harness as h
from daemon_harness import expect, expect_eq

FIXTURE = "x86_64-6.1-dimm/hotplug"
RUNNING = "[Daemon]\nQuietWindowSec=20ms\nMaxDelaySec=50ms\n"


def wait_log(d, text, count=1, timeout=5.0):
    """Polls the log until @text appears @count times."""
    timeout *= h.SLOWDOWN
    deadline = time.monotonic() + timeout
    while d.log().count(text) < count:
        if time.monotonic() > deadline:
            raise h.TestFailure(f"{d.name} did not log {text!r} within {timeout} s; log:\n{d.log()[-2000:]}")
        time.sleep(h.POLL_INTERVAL)


def replace_config(d, text):
    """Writes @text (bytes or str) as the configuration file; None leaves
    the path as the caller made it."""
    if text is None:
        return
    with open(d.config, "wb") as f:
        f.write(text if isinstance(text, bytes) else text.encode())


class Events:
    def __init__(self):
        self.seq = 1000

    def rebuilt_promptly(self, d, what):
        """A memory event is rebuilt within 5 s: the 20 ms window runs."""
        self.seq += 1
        before = d.status()["uevents"]["rebuilds"]
        d.send_uevents([h.memory_uevent("online", 33, self.seq)])
        d.wait_idle(lambda s: s["uevents"]["rebuilds"] == before + 1, f"a prompt rebuild after {what}", timeout=5)


def refused(d, events, text, message, what):
    """SIGHUP with @text as the file: @message is logged, the file is
    refused and the running configuration still runs."""
    refusal = "keeping the running configuration"
    count = d.log().count(refusal)
    replace_config(d, text)
    d.send_signal(signal.SIGHUP)
    wait_log(d, refusal, count + 1)
    expect(message in d.log(), f"{what}: {message!r} not logged")
    events.rebuilt_promptly(d, what)


def test_sighup_with_errors_keeps_the_running_configuration(ctx):
    d = ctx.daemon(sysroot=h.fixture(FIXTURE), config=RUNNING)
    events = Events()
    events.rebuilt_promptly(d, "the start")
    name = d.config

    refused(d, events, "[Daemon]\nQuietWindowSec=60min\nMaxDelaySec=banana\n",
            f"{name}:3: invalid MaxDelaySec=banana (expected a time span", "an invalid value")
    refused(d, events, "[Daemon]\nQuietWindowSec=60min\n[Kdump\nMode=kexec\n",
            f"{name}:3: invalid section header '[Kdump'", "a bad section header")
    refused(d, events, "# comment\n[Daemon]\nQuietWindowSec=60min\nnot a setting\n",
            f"{name}:4: expected Key=Value, got 'not a setting'", "a line without =")
    refused(d, events, "[Daemon]\nQuietWindowSec=60min\n[Kdump]\nTimeoutSec=forever\n",
            f"{name}:4: invalid TimeoutSec=forever", "an invalid [Kdump] value")
    refused(d, events, b"[Daemon]\nQuietWindowSec=60min\n\0\n", f"{name}: contains a NUL byte", "a NUL byte")
    os.unlink(d.config)
    refused(d, events, None, f"Cannot open {name}: No such file or directory", "a missing file")
    os.mkdir(d.config)
    refused(d, events, None, f"Cannot read {name}: Is a directory", "a directory")
    expect(f"{name}: cannot be read, keeping the running configuration" in d.log(), "unreadable: no refusal")

    # Unknown keys and sections: warnings; the rest of the file applies,
    # changed from the configuration that ran all along.
    os.rmdir(d.config)
    replace_config(d, "[Daemon]\nQuietWindowSec=30ms\nQuietWindowSecs=1h\n[Daemon2]\nFoo=bar\n")
    d.send_signal(signal.SIGHUP)
    wait_log(d, f"{name}:3: unknown key QuietWindowSecs= in [Daemon], ignoring it")
    wait_log(d, f"{name}:4: unknown section [Daemon2], ignoring it")
    wait_log(d, "Configuration: [Daemon] QuietWindowSec: 20ms -> 30ms")
    wait_log(d, "Configuration: [Daemon] MaxDelaySec: 50ms -> 2000ms")
    expect(d.running(), "the daemon stopped")


def test_start_with_invalid_settings_uses_their_defaults(ctx):
    d = ctx.daemon(sysroot=h.fixture(FIXTURE),
                   config="[Daemon]\nLogLevel=debug\nQuietWindowSec=banana\n[Socket]\nMaxConnections=0\n")
    log = d.log()
    expect(f"{d.config}:3: invalid QuietWindowSec=banana" in log, "the invalid time span is not named")
    expect(f"{d.config}:5: invalid MaxConnections=0 (expected an integer in range)" in log,
           "the out-of-range value is not named")
    expect(f"{d.config}: 2 invalid setting(s), using the defaults for them" in log, "no summary")
    expect_eq(d.status()["generation"], 1, "generation")


if __name__ == "__main__":
    h.run([test_sighup_with_errors_keeps_the_running_configuration,
           test_start_with_invalid_settings_uses_their_defaults])
