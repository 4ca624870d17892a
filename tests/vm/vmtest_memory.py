# SPDX-License-Identifier: LGPL-2.1-or-later
"""Memory scenarios of issue 12: a DIMM hot-removed (offlined in the
guest, then device_del over QMP), and the upgrade of a plain `kexec -p`
image to one the kernel keeps current (Mode=kexec on 6.12 loads with
kexec_file_load, after which crash_hotplug reads 1 and further hot-adds
cost no reload)."""

import time

import vmtest_dump as dump
import vmtest_guest as guest
from vmtest_scenarios import (FIRST_CMDLINE, Spec, assert_dump, brief, kdump, reloads,
                              wait_daemon_current)

MEMORY_DIR = "/sys/devices/system/memory"
# Hot-added blocks land in ZONE_MOVABLE, so that all of them can be offlined.
MOVABLE_CMDLINE = FIRST_CMDLINE.replace("memhp_default_state=online", "memhp_default_state=online_movable")
assert MOVABLE_CMDLINE != FIRST_CMDLINE


def block_range(r, ram):
    """The memory block indexes of the range @ram."""
    size = int(guest.read_attr(r.m, f"{MEMORY_DIR}/block_size_bytes"), 16)
    return range(ram[0] // size, (ram[1] + 1) // size)


def wait_daemon_without(r, start, end):
    """Waits until memranged's table has no RAM in [start, end], no rebuild
    is pending and kdump is current; returns the status."""
    def check():
        st = guest.status(r.m)
        ram = [(s, e) for s, e, t, _ in guest.table(r.m) if t == "ram" and s <= end and e >= start]
        kd = kdump(st)
        current = (kd["state"] == "kernel keeps it current"
                   or (kd["state"] == "up to date" and kd["up_to_date"]))
        done = not ram and not st["daemon"]["uevents"]["pending"] and current
        return done, st if done else (f"generation {st['daemon']['generation']}, RAM left {dump.fmt(ram).strip()}, "
                                      f"kdump {brief(kd)}")
    st = guest.poll(r.m, f"memranged's table without {start:#x}-{end:#x} and kdump current", check)
    r.note(f"memranged current at generation {st['daemon']['generation']}: {brief(kdump(st))}")
    return st


def hot_remove(r):
    """10: a DIMM hot-added then hot-removed costs one reload each; the
    dump after the removal lacks the range and equals the guest's iomem."""
    assert reloads(r, guest.status(r.m)) == 0, "memranged reloaded before any hotplug"
    before, after, new = r.hot_add(1)
    st = wait_daemon_current(r, new)
    added = reloads(r, st)
    r.expect(added == 1, f"memranged reloaded {added} times after the hot-add, expected 1")
    (start, end), = new
    blocks = block_range(r, new[0])
    zones = r.m.run(f"cat {MEMORY_DIR}/memory{blocks[0]}/valid_zones")[1].strip()
    r.note(f"DIMM at {start:#x}-{end:#x}: memory{blocks[0]}..memory{blocks[-1]}, zone {zones}")
    t0 = time.monotonic()
    r.m.run("for b in " + " ".join(map(str, blocks)) + f"; do echo offline > {MEMORY_DIR}/memory$b/state || exit 1; done")
    r.note(f"{len(blocks)} blocks offline in {time.monotonic() - t0:.1f} s")
    r.m.qmp_command("device_del", id="dimm0")

    def gone():
        states = guest.blocks(r.m)
        left = [b for b in blocks if b in states]
        io = guest.iomem(r.m)
        ram = [x for x in dump.ram_lines(io) if x[0] <= end and x[1] >= start]
        return not left and not ram, io if not left and not ram else f"blocks {left} left, RAM {ram}"
    removed = guest.poll(r.m, "the DIMM's memory blocks and iomem lines to disappear", gone)
    r.note(f"DIMM removed {time.monotonic() - t0:.1f} s after the first offline")
    assert dump.ram_lines(removed) == dump.ram_lines(before), "the removal left iomem other than before the hot-add"
    st = wait_daemon_without(r, start, end)
    r.save_guest_state("after")
    total = reloads(r, st)
    r.expect(total - added == 1, f"memranged reloaded {total - added} times for the removal, expected 1")
    loads = r.crash()
    overlapping = [x for x in loads if x[0] <= end and x[1] >= start]
    r.expect(not overlapping, f"removed {start:#x}-{end:#x} still in PT_LOADs {dump.fmt(overlapping).strip()}")
    try:
        assert_dump(r, loads, dump.kexec_tools_x86(removed), "dump after the hot-remove")
        r.library_agrees(loads, "kexec-tools-x86")
    except AssertionError as e:
        r.expect(False, str(e))
    return r.finish(f"reloads={added} for the hot-add, {total - added} for the removal; "
                    f"{len(loads)} RAM PT_LOADs, none in {start:#x}-{end:#x}")


def upgrade(r):
    """11: 6.12, kdump loaded with plain kexec -p (crash_hotplug 0): the
    first hot-add costs one reload, done so that the kernel keeps the image
    current (crash_hotplug 1 afterwards); a second costs none."""
    hotplug = f"{MEMORY_DIR}/crash_hotplug"
    r.expect(guest.read_attr(r.m, hotplug) == "0", f"{hotplug} reads {guest.read_attr(r.m, hotplug)} at boot")
    assert reloads(r, guest.status(r.m), table_iomem=False) == 0, "memranged reloaded before any hotplug"
    _, _, first = r.hot_add(1)
    st = wait_daemon_current(r, first)
    n1 = reloads(r, st, table_iomem=False)
    kd = kdump(st)
    after_first = guest.read_attr(r.m, hotplug)
    r.note(f"after the first hot-add: reloads {n1}, method {kd.get('method')}, {hotplug} {after_first}")
    r.expect(n1 == 1, f"memranged reloaded {n1} times after the first hot-add, expected 1")
    r.expect(after_first == "1", f"{hotplug} reads {after_first} after memranged's reload, expected 1")
    r.expect(kd.get("method") == "kexec_file_load", f"memranged loaded with {kd.get('method')}, "
             "expected kexec_file_load")
    _, after, second = r.hot_add(1, first=1)
    st = wait_daemon_current(r, second)
    r.save_guest_state("after")
    n2 = reloads(r, st, table_iomem=False) - n1
    r.expect(n2 == 0, f"memranged reloaded {n2} times after the second hot-add, expected 0")
    loads = r.crash()
    for s, e in first + second:
        r.expect(dump.covers(loads, s, e), f"hot-added {s:#x}-{e:#x} missing from the dump")
    try:
        assert_dump(r, loads, dump.kernel(after), "dump of an image the kernel kept current")
    except AssertionError as e:
        r.expect(False, str(e))
    return r.finish(f"reloads={n1} for the first hot-add, {n2} for the second; crash_hotplug "
                    f"{after_first} after the first; dump holds " + ", ".join(f"{s:#x}-{e:#x}" for s, e in first + second))


SCENARIOS = {
    "10": Spec("6.1 kexec -p, memranged, online_movable: 1 GiB hot-add, then offline and device_del",
               "6.1", "kexec_load", True, hot_remove, time_limit=240, cmdline=MOVABLE_CMDLINE),
    "11": Spec("6.12 kexec -p (crash_hotplug=0), memranged: the first hot-add upgrades the load, "
               "the second costs no reload",
               "6.12", "kexec_load", True, upgrade, time_limit=240),
}
