#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Replaying a DIMM hot-add and an offline against the real memranged
(DESIGN.md, daemon promises 1 and 2).

The daemon starts on a copy of x86_64-6.1-dimm/boot. The tree then becomes
x86_64-6.1-dimm/hotplug and the test sends what the kernel sent for the
1 GiB pc-dimm (auto_online_blocks reads "offline" there, so the blocks were
added first and onlined afterwards): add for memory32..39, then online for
each. Then the tree becomes x86_64-6.1-dimm/offline (memory33 offlined,
/proc/iomem unchanged) with memory33's offline event.

Expected values, from the fixture files:
  hotplug: proc/iomem line "100000000-13fffffff : System RAM", firmware
    memmap entry 7 (0x100000000-0x13fffffff), blocks memory32..39 of
    0x8000000 bytes each, linked to node0: one range
    0x100000000-0x13fffffff ram, flags hotplug, node 0, sources iomem,
    firmware-memmap, memory-blocks, numa. Boot has 10 ranges, hotplug 11.
  offline: memory33 = [33 * 0x8000000, 34 * 0x8000000) =
    0x108000000-0x10fffffff reads state "offline": that range alone gets
    the offline flag, splitting the 1 GiB range in three.
"""
import daemon_harness as h
from daemon_harness import expect, expect_eq

HOTPLUG_RANGE = (0x100000000, 0x13fffffff)
OFFLINE_RANGE = (0x108000000, 0x10fffffff)
ALL_SOURCES = {"iomem", "firmware-memmap", "memory-blocks", "numa"}
FIRST_SEQNUM = 2211


def hot_add_events():
    """memory32..39 "add", then "online" for each, numbered in order. The
    ACPI device of the DIMM (another subsystem) comes first, as in the
    kernel's acpi_memory_device_add(); the daemon must ignore it."""
    seq = FIRST_SEQNUM
    events = [h.uevent("add", "/devices/LNXSYSTM:00/LNXSYBUS:00/PNP0A06:00/PNP0C80:00", "acpi", seq)]
    for index in range(32, 40):
        seq += 1
        events.append(h.memory_uevent("add", index, seq))
    for index in range(32, 40):
        seq += 1
        events.append(h.memory_uevent("online", index, seq))
    return events


def check_hotplug_range(r, what):
    expect(r is not None, f"{what}: no range 0x100000000-0x13fffffff")
    expect_eq(r["type"], "ram", f"{what}: type")
    expect_eq(r["flags"], ["hotplug"], f"{what}: flags")
    expect_eq(r.get("node"), 0, f"{what}: node")
    expect_eq(r["size"], 0x40000000, f"{what}: size")
    expect_eq(set(r["sources"]), ALL_SOURCES, f"{what}: sources")


def next_change(sub, what):
    reply = sub.receive(timeout=5)
    expect(reply is not None, f"{what}: the Subscribe stream ended")
    expect("error" not in reply, f"{what}: Subscribe error {reply}")
    expect_eq(reply.get("continues"), True, f"{what}: 'continues'")
    return reply["parameters"]["change"]


def test_boot_hotplug_offline_replay(ctx):
    root = h.copy_fixture("x86_64-6.1-dimm/boot", ctx.path("root"))
    d = ctx.daemon(sysroot=root)
    before = d.status()
    expect_eq(before["generation"], 1, "generation after the first scan")
    expect_eq(before["ranges"], 10, "ranges of the boot tree")

    sub = d.connect()
    sub.send("io.memranged.Subscribe", more=True)
    first = next_change(sub, "first Subscribe reply")
    expect_eq((first["generation"], first["reason"]), (1, "current"), "first Subscribe reply")
    expect_eq(len(first["added"]), 10, "ranges in the first Subscribe reply")
    expect(h.range_by_span(first["added"], *HOTPLUG_RANGE) is None, "boot already has the DIMM")

    # Hot-add: the kernel has changed the tree before it sends the events.
    h.swap_tree(h.fixture("x86_64-6.1-dimm/hotplug"), root)
    expect_eq(h.tree_differs(h.fixture("x86_64-6.1-dimm/hotplug"), root), [], "swapped tree")
    d.send_uevents(hot_add_events())
    s = d.wait_idle(lambda s: s["generation"] >= 2 and s["uevents"]["delivered"] == 16,
                    "generation 2 after 16 memory events")
    expect_eq(s["generation"], 2, "generation after the hot-add")
    u = s["uevents"]
    expect_eq(u["received"], 17, "uevents received")
    expect_eq(u["ignored"], 1, "uevents ignored (the ACPI one)")
    expect_eq(u["rebuilds"] - before["uevents"]["rebuilds"], 1, "rebuilds for the hot-add")
    expect_eq((u["full_rescans"] - before["uevents"]["full_rescans"],
               u["layout_rebuilds"] - before["uevents"]["layout_rebuilds"]), (0, 1),
              "an add of named blocks is a layout rebuild, not a full rescan")
    expect_eq(s["ranges"], 11, "ranges of the hotplug tree")
    expect_eq(s["total_ram"] - before["total_ram"], 0x40000000, "RAM added")

    listed = d.ranges()
    expect_eq(listed["generation"], 2, "ListRanges generation")
    check_hotplug_range(h.range_by_span(listed["ranges"], *HOTPLUG_RANGE), "ListRanges")
    expect_eq(listed["ranges"], ctx.fresh_scan(h.fixture("x86_64-6.1-dimm/hotplug")).ranges, "table after the hot-add")

    change = next_change(sub, "hot-add change")
    expect_eq((change["generation"], change["reason"]), (2, "uevent"), "hot-add change")
    expect_eq(len(change["added"]), 1, "ranges added by the hot-add")
    check_hotplug_range(change["added"][0], "Subscribe added")
    expect_eq(change["removed"], [], "ranges removed by the hot-add")
    # The daemon writes a change before it answers a later GetStatus, so
    # a second change would already be here.
    expect(not sub.has_data(), "more than one change for the hot-add")

    # Offline: only memory33 changes; iomem stays.
    h.swap_tree(h.fixture("x86_64-6.1-dimm/offline"), root)
    d.send_uevents([h.memory_uevent("offline", 33, FIRST_SEQNUM + 17)])
    s = d.wait_idle(lambda s: s["uevents"]["delivered"] == 17 and s["uevents"]["rebuilds"] == u["rebuilds"] + 1,
                    "the rebuild for memory33 going offline")
    expect_eq(s["generation"], 3, "generation after the offline")
    expect_eq(s["uevents"]["incremental_rebuilds"] - u["incremental_rebuilds"], 1,
              "an offline is an incremental re-read")
    expect_eq(s["offline_ram"], 0x8000000, "offline RAM")

    listed = d.ranges()
    expect_eq(listed["generation"], 3, "ListRanges generation")
    off = h.range_by_span(listed["ranges"], *OFFLINE_RANGE)
    expect(off is not None, f"no range {OFFLINE_RANGE}: {h.describe_spans(listed['ranges'])}")
    expect_eq(sorted(off["flags"]), ["hotplug", "offline"], "flags of memory33")
    for r in listed["ranges"]:
        if r is not off:
            expect("offline" not in r["flags"], f"offline flag outside memory33: {r}")
    expect_eq(listed["ranges"], ctx.fresh_scan(h.fixture("x86_64-6.1-dimm/offline")).ranges, "table after the offline")

    change = next_change(sub, "offline change")
    expect_eq((change["generation"], change["reason"]), (3, "uevent"), "offline change")
    expect_eq([(r["start"], r["end"]) for r in change["removed"]], [HOTPLUG_RANGE], "removed by the offline")
    expect_eq([(r["start"], r["end"]) for r in change["added"]],
              [(0x100000000, 0x107ffffff), OFFLINE_RANGE, (0x110000000, 0x13fffffff)], "added by the offline")
    expect(not sub.has_data(), "more than one change for the offline")
    sub.close()


if __name__ == "__main__":
    h.run([test_boot_hotplug_offline_replay])
