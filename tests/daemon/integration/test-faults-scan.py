#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Fault injection into the scan (issue 7): sysfs entries that vanish
between the readdir that listed them and the read of their files, and a
real kernel uevent socket that overflows (ENOBUFS) during a storm.

Vanishing entries: the LD_PRELOAD shim vanish.c removes memory block N
(and whatever else the scenario needs to stay consistent) from the
sysroot copy when the daemon first opens memoryN/state, so the race is
hit every time at the same point. The final tree is what a fresh daemon
scans; the daemon that was hit must end with the same table.

x86_64-6.1-dimm: hotplug = boot + memory32..39 (a 1 GiB DIMM at
0x100000000-0x13fffffff), their node0 links, firmware memmap entry 7 and
the DIMM's System RAM line in proc/iomem.
"""
import os
import signal
import time

import daemon_harness as h
from daemon_harness import expect, expect_eq

DIMM = (0x100000000, 0x13fffffff)
BLOCK35 = (0x118000000, 0x11fffffff)


class Vanish:
    """Environment that preloads the shim into the next daemon started."""

    def __init__(self, ctx, root, block, remove=(), rename=()):
        self.mark = ctx.path("vanished")
        self.env = {
            "LD_PRELOAD": h.env_path("MEMRANGED_VANISH_SHIM"),
            "MEMRANGED_VANISH_ROOT": root,
            "MEMRANGED_VANISH_BLOCK": str(block),
            "MEMRANGED_VANISH_MARK": self.mark,
            # The shim comes before AddressSanitizer's runtime.
            "ASAN_OPTIONS": ":".join(filter(None, [os.environ.get("ASAN_OPTIONS"), "verify_asan_link_order=0"])),
        }
        if remove:
            self.env["MEMRANGED_VANISH_REMOVE"] = ":".join(remove)
        if rename:
            self.env["MEMRANGED_VANISH_RENAME"] = ":".join(f"{a}>{b}" for a, b in rename)
        self.saved = {}

    def __enter__(self):
        self.saved = {k: os.environ.get(k) for k in self.env}
        os.environ.update(self.env)
        return self

    def __exit__(self, *exc):
        for k, v in self.saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v

    def fired(self):
        return os.path.exists(self.mark)


def test_block_vanishing_mid_rescan_is_left_out(ctx):
    """The hot-add's rebuild (a layout rebuild: every source but the
    blocks, then the named memory32..39) reads memory35 after it
    disappeared: the rebuild completes without it (no failed generation,
    no block 35, no full rescan), and says so in the log."""
    root = h.copy_fixture("x86_64-6.1-dimm/boot", ctx.path("root"))
    with Vanish(ctx, root, 35) as vanish:
        d = ctx.daemon(sysroot=root)
    h.swap_tree(h.fixture("x86_64-6.1-dimm/hotplug"), root)
    d.send_uevents([h.memory_uevent("add", i, 100 + i) for i in range(32, 40)])
    s = d.wait_idle(lambda s: s["generation"] == 2, "generation 2 after the hot-add")
    expect(vanish.fired(), "the shim never fired: memory35/state was not opened")
    expect(not os.path.exists(os.path.join(root, "sys/devices/system/memory/memory35")), "memory35 is still there")
    expect("last_error" not in s, f"the rebuild failed: {s.get('last_error')}")

    blocks = [b["index"] for b in d.call("io.memranged.ListBlocks")["blocks"]]
    expect_eq(blocks, list(range(8)) + [32, 33, 34, 36, 37, 38, 39], "blocks after the vanished block")
    ref_ranges, ref_blocks = ctx.fresh_scan(root)
    expect_eq(blocks, ref_blocks, "blocks of a fresh scan of the final tree")
    expect_eq(d.ranges()["ranges"], ref_ranges, "table against a fresh scan of the final tree")
    expect_eq((s["uevents"]["layout_rebuilds"], s["uevents"]["full_rescans"]), (1, 1),
              "layout rebuilds and full rescans (the first scan)")
    log = d.log()
    expect("1 memory block(s) named by events are not in sys/devices/system/memory" in log,
           "the vanished block is not logged")


def test_dimm_removed_mid_scan_leaves_no_stale_range(ctx):
    """The whole DIMM goes while the first scan reads its blocks, after
    proc/iomem and the firmware memmap (read first) still showed it: the
    daemon must read again rather than keep the DIMM from those."""
    root = h.copy_fixture("x86_64-6.1-dimm/hotplug", ctx.path("root"))
    # The iomem without the DIMM, renamed over proc/iomem when it goes.
    with open(os.path.join(h.fixture("x86_64-6.1-dimm/boot"), "proc/iomem")) as src, \
            open(os.path.join(root, "proc/iomem.boot"), "w") as dst:
        dst.write(src.read())
    remove = [f"sys/devices/system/memory/memory{i}" for i in range(32, 40)]
    remove += [f"sys/devices/system/node/node0/memory{i}" for i in range(32, 40)]
    remove.append("sys/firmware/memmap/7")
    with Vanish(ctx, root, 35, remove=remove, rename=[("proc/iomem.boot", "proc/iomem")]) as vanish:
        d = ctx.daemon(sysroot=root)
    expect(vanish.fired(), "the shim never fired")
    s = d.status()
    expect_eq((s["generation"], "last_error" in s), (1, False), "first generation")
    # meminfo (which memranged does not read) keeps the DIMM's size.
    expect_eq([p for p in h.tree_differs(h.fixture("x86_64-6.1-dimm/boot"), root) if not p.endswith("meminfo")], [],
              "the final tree is not the boot tree")

    ranges = d.ranges()["ranges"]
    stale = [r for r in ranges if r["start"] <= DIMM[1] and r["end"] >= DIMM[0]]
    expect_eq(h.describe_spans(stale), [], "ranges of the removed DIMM")
    ref_ranges, ref_blocks = ctx.fresh_scan(root)
    expect_eq(ranges, ref_ranges, "table against a fresh scan of the final tree")
    expect_eq([b["index"] for b in d.call("io.memranged.ListBlocks")["blocks"]], ref_blocks, "blocks")
    log = d.log()
    expect("memory35 vanished" in log and "reading every source again" in log,
           "the vanished block and the second read are not logged")


# ---------------------------------------------------------------------------
# ENOBUFS on the kernel's uevent socket

MEMORY = "/sys/devices/system/memory"
# Synthetic uevents written while the daemon is stopped. Each is queued on
# its netlink socket (about 1 KiB of buffer each, measured: the 8 MiB
# buffer, 16 MiB as the kernel counts it, holds about 20000).
EVENTS = 40000


def writable_uevent_files():
    if not os.path.isdir(MEMORY):
        raise h.TestFailure(f"{MEMORY} is missing: this test needs a kernel with memory blocks in sysfs")
    names = sorted(n for n in os.listdir(MEMORY) if n.startswith("memory") and n[6:].isdigit())
    files = [os.path.join(MEMORY, n, "uevent") for n in names if os.access(os.path.join(MEMORY, n, "uevent"), os.W_OK)]
    if not files:
        raise h.TestFailure(f"no writable uevent file under {MEMORY}")
    return files


def test_enobufs_during_a_storm_forces_a_full_rescan(ctx):
    """The daemon, stopped with SIGSTOP, misses the end of a storm of
    real kernel uevents ("change" of every block, over and over): its
    socket overflows, recvmsg says ENOBUFS, and the daemon rescans fully
    once it runs again; the table equals a fresh scan."""
    if os.geteuid() != 0:
        print(f"SKIP: {test_enobufs_during_a_storm_forces_a_full_rescan.__name__} needs root (writing "
              f"{MEMORY}/memoryN/uevent, opening the kernel's uevent socket); run it as root (CI does)")
        return
    files = writable_uevent_files()
    d = ctx.daemon(kernel_uevents=True, test_uevents=False)
    before = d.wait_idle(lambda s: True, "an idle daemon")
    d.send_signal(signal.SIGSTOP)
    try:
        fds = [os.open(f, os.O_WRONLY) for f in files]
        start = time.monotonic()
        try:
            for i in range(EVENTS):
                os.write(fds[i % len(fds)], b"change")
        finally:
            for fd in fds:
                os.close(fd)
        print(f"{EVENTS} uevents written in {time.monotonic() - start:.2f} s")
    finally:
        d.send_signal(signal.SIGCONT)
    s = d.wait_idle(lambda s: s["uevents"]["lost_rescans"] > before["uevents"]["lost_rescans"],
                    "a full rescan after the overflow", timeout=30)
    u = s["uevents"]
    print(f"received {u['received'] - before['uevents']['received']}, lost {u['lost']}, "
          f"rebuilds {u['rebuilds'] - before['uevents']['rebuilds']}")
    expect(u["lost"] >= 1, f"no overflow counted: {u}")
    expect(u["full_rescans"] > before["uevents"]["full_rescans"], "no full rescan")
    expect(u["received"] - before["uevents"]["received"] < EVENTS, "every event arrived: nothing overflowed")
    expect("ENOBUFS" in d.log(), "the overflow is not logged")
    expect_eq(d.ranges()["ranges"], ctx.fresh_scan(None).ranges, "table against a fresh scan")


if __name__ == "__main__":
    h.run([
        test_block_vanishing_mid_rescan_is_left_out,
        test_dimm_removed_mid_scan_leaves_no_stale_range,
        test_enobufs_during_a_storm_forces_a_full_rescan,
    ])
