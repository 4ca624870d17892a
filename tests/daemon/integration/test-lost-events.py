#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Lost uevents force a full rescan and nothing is lost (DESIGN.md, daemon
promise 1).

The kernel's netlink socket reports an overflow as ENOBUFS; an AF_UNIX
datagram socket (the test source) never does, so the test takes the other
documented path to the same handler: a datagram longer than the receive
buffer of 8 KiB (UEVENT_PAYLOAD_MAX) arrives truncated (MSG_TRUNC) and
counts as lost. The tree is swapped beforehand with no event at all: only
the rescan can find the change. A malformed message that names memory is
the same kind of loss (the event is unreadable) and also rescans fully.
"""
import daemon_harness as h
from daemon_harness import expect, expect_eq

# Twice the daemon's receive buffer; it starts like a memory event so that
# the only thing wrong with it is its length.
OVERSIZED = h.memory_uevent("add", 32, 3001) + b"X" * 16384


def test_truncated_uevent_forces_full_rescan_of_swapped_tree(ctx):
    root = h.copy_fixture("x86_64-6.1-dimm/boot", ctx.path("root"))
    d = ctx.daemon(sysroot=root)
    before = d.status()["uevents"]
    sub = d.connect()
    sub.send("io.memranged.Subscribe", more=True)
    expect_eq(sub.receive()["parameters"]["change"]["generation"], 1, "first Subscribe reply")

    h.swap_tree(h.fixture("x86_64-6.1-dimm/hotplug"), root)
    d.send_uevents([OVERSIZED])
    s = d.wait_idle(lambda s: s["uevents"]["lost_rescans"] == 1, "a lost-events rescan")
    u = s["uevents"]
    expect_eq(u["received"], 1, "uevents received")
    expect_eq(u["lost"], 1, "uevents lost")
    expect_eq(u["delivered"], 0, "a truncated message is not parsed")
    expect_eq(u["rebuilds"] - before["rebuilds"], 1, "rebuilds")
    expect_eq(u["full_rescans"] - before["full_rescans"], 1, "full rescans")
    expect_eq(u["incremental_rebuilds"], before["incremental_rebuilds"], "incremental rebuilds")
    expect_eq(s["generation"], 2, "generation after the rescan")

    listed = d.ranges()
    expect_eq(listed["generation"], 2, "ListRanges generation")
    expect(h.range_by_span(listed["ranges"], 0x100000000, 0x13fffffff) is not None,
           "the hot-added DIMM is missing")
    expect_eq(listed["ranges"], ctx.fresh_scan(h.fixture("x86_64-6.1-dimm/hotplug")).ranges, "table after the rescan")
    blocks = d.call("io.memranged.ListBlocks")["blocks"]
    expect_eq([b["index"] for b in blocks], list(range(8)) + list(range(32, 40)), "blocks after the rescan")

    change = sub.receive(timeout=5)["parameters"]["change"]
    expect_eq((change["generation"], change["reason"]), (2, "lost-events"), "Subscribe change")
    expect_eq([(r["start"], r["end"]) for r in change["added"]], [(0x100000000, 0x13fffffff)], "added")
    expect(not sub.has_data(), "more than one change")
    expect("truncated" in d.log(), "the daemon did not log the truncated message")
    sub.close()


def test_malformed_memory_uevent_forces_full_rescan(ctx):
    """A kernel message that names memory but cannot be parsed (here: no
    SEQNUM) still means memory may have changed; a udev re-broadcast and
    a malformed message of another subsystem mean nothing."""
    root = h.copy_fixture("x86_64-6.1-dimm/boot", ctx.path("root"))
    d = ctx.daemon(sysroot=root)
    before = d.status()["uevents"]
    h.swap_tree(h.fixture("x86_64-6.1-dimm/hotplug"), root)
    d.send_uevents([
        b"libudev\0" + b"\0" * 32,
        b"add@/devices/pci0000:00/0000:00:03.0\0ACTION=add\0SUBSYSTEM=pci\0",
    ])
    s = d.wait_status(lambda s: s["uevents"]["received"] == 2, "two messages received")
    expect_eq((s["uevents"]["ignored"], s["uevents"]["malformed"], s["uevents"]["pending"]), (1, 1, False),
              "a udev message ignored, a malformed pci one dropped, no rebuild pending")
    d.send_uevents([b"add@/devices/system/memory/memory32\0ACTION=add\0DEVPATH=/devices/system/memory/memory32\0"
                    b"SUBSYSTEM=memory\0"])
    s = d.wait_idle(lambda s: s["uevents"]["received"] == 3 and s["generation"] == 2,
                    "generation 2 after the malformed memory event")
    u = s["uevents"]
    expect_eq((u["malformed"], u["delivered"]), (2, 1), "malformed and delivered")
    expect_eq((u["rebuilds"] - before["rebuilds"], u["full_rescans"] - before["full_rescans"]), (1, 1),
              "one full rescan")
    expect_eq(d.ranges()["ranges"], ctx.fresh_scan(h.fixture("x86_64-6.1-dimm/hotplug")).ranges, "table after the rescan")


if __name__ == "__main__":
    h.run([test_truncated_uevent_forces_full_rescan_of_swapped_tree,
           test_malformed_memory_uevent_forces_full_rescan])
