#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The real kernel's uevents reach memranged (DESIGN.md, daemon promise 1).

The daemon runs on this machine itself: no --sysroot, kernel uevents on
(netlink group 1), its socket in the test's temporary directory. Writing
"online" into /sys/devices/system/memory/memoryN/uevent of an online block
makes the kernel send a synthetic "online" event for it (with SYNTH_UUID);
the daemon must count it as received, re-read the block and keep the
generation, since nothing changed.

Needs root and /sys/devices/system/memory. Without them the test FAILS
with a message saying so (CI runs as root): a silent skip would hide that
the kernel path was never tested.
"""
import os

import daemon_harness as h
from daemon_harness import expect, expect_eq

MEMORY = "/sys/devices/system/memory"


def online_block():
    """An online memory block whose uevent file we can write."""
    if not os.path.isdir(MEMORY):
        raise h.TestFailure(f"{MEMORY} is missing: this test needs a kernel with memory blocks in sysfs")
    h.require_root(f"writing {MEMORY}/memoryN/uevent needs root")
    names = sorted((n for n in os.listdir(MEMORY) if n.startswith("memory") and n[6:].isdigit()),
                   key=lambda n: int(n[6:]))
    for name in names:
        try:
            with open(os.path.join(MEMORY, name, "state")) as f:
                if f.read().strip() != "online":
                    continue
        except OSError:
            continue
        uevent = os.path.join(MEMORY, name, "uevent")
        if os.access(uevent, os.W_OK):
            return name, uevent
    raise h.TestFailure(f"no online memory block with a writable uevent file under {MEMORY}")


def test_kernel_online_uevent_is_received_and_changes_nothing(ctx):
    name, uevent_file = online_block()
    d = ctx.daemon(kernel_uevents=True, test_uevents=False)
    expect("Kernel uevents disabled" not in d.log(), "the daemon did not open the kernel's uevent socket")
    before = d.wait_idle(lambda s: True, "an idle daemon")

    with open(uevent_file, "w") as f:
        f.write("online")
    s = d.wait_idle(lambda s: s["uevents"]["received"] > before["uevents"]["received"] and
                    s["uevents"]["rebuilds"] > before["uevents"]["rebuilds"],
                    f"the kernel's event for {name} and its rebuild")
    print(f"{name}: uevents received {before['uevents']['received']} -> {s['uevents']['received']}, "
          f"generation {s['generation']}")
    expect(s["uevents"]["delivered"] > before["uevents"]["delivered"], "the memory event was not delivered")
    expect_eq(s["generation"], before["generation"], "generation after a synthetic online of an online block")
    expect(f"uevent online /devices/system/memory/{name} " in d.log(),
           f"the daemon did not log the online event of {name}")


if __name__ == "__main__":
    h.run([test_kernel_online_uevent_is_received_and_changes_nothing])
