#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""bench/gen-sysroot.py read back by memrangectl (and lsmem).

  test-gen-sysroot.py GEN-SYSROOT MEMRANGECTL

Generates a small machine, 16 GiB in 128 MiB blocks over 4 nodes with a
4 GiB hot-add, and checks what memrangectl's list, blocks and verify say
about both states against figures worked out here from those arguments
and the layout the generator documents (RAM below 2 GiB, the rest from
4 GiB, the hot-add right after it on the last node). Also: the same
arguments give the same bytes, and sysfs links written as real symlinks
read the same as links stored as files.
"""
import filecmp
import json
import os
import shutil
import subprocess
import sys
import tempfile

GiB, MiB = 1 << 30, 1 << 20
BLOCK = 128 * MiB
ARGS = ["--memory-gib", "16", "--block-size-mib", "128", "--nodes", "4", "--hotplug-gib", "4",
        "--cpus", "8", "--iomem-devices", "64"]

# 16 GiB = 128 blocks, 32 per node in address order: blocks 0-15 (below
# 2 GiB) then 32-143 (4 GiB to 18 GiB). Node 0: 0-15 and 32-47, node 1:
# 48-79, node 2: 80-111, node 3: 112-143. The hot-add: 4 GiB = 32 blocks,
# 144-175, at 18 GiB to 22 GiB, on node 3.
BOOT_NODES = {0: set(range(0, 16)) | set(range(32, 48)), 1: set(range(48, 80)),
              2: set(range(80, 112)), 3: set(range(112, 144))}
HOT_BLOCKS = set(range(144, 176))
HOT_RANGE = (18 * GiB, 22 * GiB - 1)
# System RAM in /proc/iomem: 16 GiB of blocks minus page 0, the EBDA
# (0x9fc00-0x9ffff), the legacy hole 0xa0000-0xfffff and the 1.5 MiB of
# ACPI tables and NVS at the top of the memory below 2 GiB.
BOOT_RAM = 16 * GiB - 0x1000 - 0x400 - 0x60000 - 0x180000
CRASH_SIZE = 256 * MiB

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print(f"FAIL: {what}", file=sys.stderr)


def run(cmd, rc=0):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != rc:
        raise SystemExit(f"{' '.join(cmd)} exited {p.returncode} (expected {rc}):\n{p.stderr}")
    return p.stdout


# One row per block (lsmem's -a), with its node.
EACH_BLOCK = ("blocks", "--all", "-o", "+NODE")


def ctl_json(ctl, sysroot, *args):
    return json.loads(run([ctl, "--sysroot", sysroot, *args, "-J", "-b"]))


def summary_lines(out):
    """lsmem's summary, sizes in bytes (-b): {label: bytes}."""
    return dict((k.strip(), int(v)) for k, v in (line.rsplit(":", 1) for line in out.splitlines()))


def summary(ctl, sysroot, command):
    return summary_lines(run([ctl, "--sysroot", sysroot, command, "--summary=only", "-b"]))


def check_blocks(ctl, sysroot, expected_nodes, label):
    blocks = ctl_json(ctl, sysroot, *EACH_BLOCK)["memory"]
    by_node = {}
    for b in blocks:
        index = int(b["block"])
        by_node.setdefault(b["node"], set()).add(index)
        first, last = (int(x, 16) for x in b["range"].split("-"))
        check(first == index * BLOCK and last == first + BLOCK - 1 and b["size"] == BLOCK,
              f"{label}: block {b['block']} spans {b['range']}")
        check(b["state"] == "online", f"{label}: block {b['block']} is {b['state']}")
    check(by_node == expected_nodes,
          f"{label}: blocks per node {({n: len(s) for n, s in by_node.items()})}, expected "
          f"{({n: len(s) for n, s in expected_nodes.items()})}")
    s = summary(ctl, sysroot, "blocks")
    online = sum(len(s) for s in expected_nodes.values()) * BLOCK
    check(s == {"Memory block size": BLOCK, "Total online memory": online, "Total offline memory": 0},
          f"{label}: blocks summary {s}")
    return blocks


def check_list(ctl, sysroot, ram, label):
    ranges = ctl_json(ctl, sysroot, "list")["ranges"]
    ram_ranges = [r for r in ranges if r["type"] == "ram"]
    total = sum(r["size"] for r in ram_ranges)
    check(total == ram, f"{label}: RAM {total:#x}, expected {ram:#x}")
    crash = [r for r in ram_ranges if "crashkernel" in (r["flags"] or "")]
    check(len(crash) == 1 and crash[0]["size"] == CRASH_SIZE, f"{label}: crash kernel ranges {crash}")
    check(all(r["node"] is not None for r in ram_ranges), f"{label}: RAM without a node")
    s = summary(ctl, sysroot, "list")
    check(s.get("Total RAM") == ram and s.get("Crash kernel reservation") == CRASH_SIZE,
          f"{label}: list summary {s}")
    return ranges


def check_verify(ctl, sysroot, label):
    # The same single finding as on the real x86 fixtures: the firmware
    # lists page 0 as RAM, the kernel reserved it.
    findings = json.loads(run([ctl, "--sysroot", sysroot, "verify", "-J"]))["findings"]
    codes = [(f["severity"], f["code"]) for f in findings]
    check(codes == [("info", "memmap-ram-reserved-in-iomem")], f"{label}: verify found {codes}")


def check_lsmem(sysroot, online, label):
    lsmem = shutil.which("lsmem")
    if not lsmem:
        print("lsmem not installed: its cross-check is skipped", file=sys.stderr)
        return
    s = summary_lines(run([lsmem, "--sysroot", os.path.abspath(sysroot), "-b", "--summary=only"]))
    check(s == {"Memory block size": BLOCK, "Total online memory": online, "Total offline memory": 0},
          f"{label}: lsmem's summary {s}")


def main():
    gen, ctl = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp(prefix="test-gen-sysroot.")
    try:
        a, b, links = (os.path.join(tmp, n) for n in ("a", "b", "links"))
        for out, extra in ((a, []), (b, []), (links, ["--symlinks"])):
            os.mkdir(out)
            run([sys.executable, gen, out, *ARGS, *extra])

        cmp = filecmp.dircmp(a, b)
        def same(c):
            return not (c.left_only or c.right_only or c.diff_files or c.funny_files) and \
                all(same(s) for s in c.subdirs.values())
        check(same(cmp), "the same arguments gave different trees")
        # dircmp compares shallowly (size and time): compare the bytes too.
        for root, _, files in os.walk(a):
            for f in files:
                p = os.path.join(root, f)
                with open(p, "rb") as x, open(os.path.join(b, os.path.relpath(p, a)), "rb") as y:
                    if x.read() != y.read():
                        check(False, f"{os.path.relpath(p, a)} differs between two runs")

        manifest = json.load(open(os.path.join(a, "manifest.json")))
        check(set(manifest["hot_added_blocks"]) == HOT_BLOCKS, "manifest: hot-added blocks")
        check(manifest["hot_added_range"] == list(HOT_RANGE), "manifest: hot-added range")
        check(manifest["boot"]["blocks"] == 128 and manifest["hotplug"]["blocks"] == 160, "manifest: block counts")

        boot, hot = os.path.join(a, "boot"), os.path.join(a, "hotplug")
        boot_blocks = check_blocks(ctl, boot, BOOT_NODES, "boot")
        hot_nodes = dict(BOOT_NODES)
        hot_nodes[3] = BOOT_NODES[3] | HOT_BLOCKS
        check_blocks(ctl, hot, hot_nodes, "hotplug")
        check(ctl_json(ctl, os.path.join(links, "boot"), *EACH_BLOCK)["memory"] == boot_blocks,
              "symlinks: blocks differ from links stored as files")

        check_list(ctl, boot, BOOT_RAM, "boot")
        ranges = check_list(ctl, hot, BOOT_RAM + 4 * GiB, "hotplug")
        added = [r for r in ranges if "hotplug" in (r["flags"] or "")]
        check([(int(r["range"].split("-")[0], 16), int(r["range"].split("-")[1], 16), r["node"])
               for r in added] == [(*HOT_RANGE, 3)], f"hotplug: hot-added ranges {added}")

        for label, root in (("boot", boot), ("hotplug", hot)):
            check_verify(ctl, root, label)
        check_lsmem(boot, 16 * GiB, "boot")
        check_lsmem(hot, 20 * GiB, "hotplug")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
