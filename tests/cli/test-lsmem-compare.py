#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""memrangectl blocks against lsmem itself: same rows, same values.

  test-lsmem-compare.py MEMRANGECTL GEN_SYSROOT FIXTURE_DIR...

Runs `lsmem --sysroot DIR ARGS` (util-linux, Debian's) and
`memrangectl --sysroot DIR blocks ARGS` with every option set of
OPTION_SETS on every sysroot found under the FIXTURE_DIRs (a directory
holding sys/ or proc/), and on a machine written by bench/gen-sysroot.py,
as it is and with some blocks edited (offline, going offline, not
removable, other zones, a zone name lsmem does not know, no node). Their standard
output must be byte for byte the same, and both must succeed; for the
option sets of REFUSED both must fail. Where lsmem fails (a sysroot
without memory blocks), memrangectl must fail too. memrangectl's --output-all also
shows its own columns (ONLINE, NODES): it is given lsmem's seven by name
instead, and its header is checked apart.

Where lsmem itself cannot be compared (its known faults, fixed in later
util-linux), the option sets that show or split by the affected column
are left out on that sysroot and the test says so:
 - before 2.42 lsmem shows no zones unless memory0/valid_zones exists
   (util-linux c8c48ab84), so a machine whose blocks start above 0 has
   an empty ZONES column;
 - before 2.41 it shows no nodes unless the first block has one
   (57714290b);
 - lsmem takes the first nodeN entry that readdir() returns, memrangectl
   the lowest: a block linked to several nodes may differ.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

COLUMNS = ["RANGE", "SIZE", "STATE", "REMOVABLE", "BLOCK", "NODE", "ZONES"]
ALL = ",".join(COLUMNS)

OPTION_SETS = [
    [], ["-a"], ["--output-all"], ["--output-all", "-a"],
    *[["-o", c] for c in COLUMNS],
    *[["-o", "+" + c] for c in ("NODE", "ZONES")],
    ["-o", "+NODE,ZONES"], ["-o", "BLOCK,NODE"], ["-o", "BLOCK,ZONES"], ["-o", "RANGE,STATE"],
    ["-o", "zones,block"], ["-o", ALL + ",BLOCK"],
    ["-S", "none"], ["-S", "none", "--output-all"],
    *[["-S", c] for c in ("STATE", "REMOVABLE", "NODE", "ZONES", "RANGE")],
    ["-S", "STATE,NODE"], ["-o", "RANGE,SIZE,BLOCK", "-S", "ZONES"], ["-o", "BLOCK", "-S", "+NODE"],
    ["-b"], ["-b", "--output-all"], ["-n"], ["-n", "--output-all", "-a"],
    ["-r"], ["-r", "-n", "--output-all"], ["-r", "-a", "-b", "--output-all"],
    ["-P"], ["-P", "--output-all", "-b"], ["-P", "-a", "-o", "BLOCK,STATE,REMOVABLE,NODE,ZONES"],
    ["-J"], ["-J", "--output-all"], ["-J", "-b", "--output-all"], ["-J", "-a", "--output-all"],
    ["-J", "-n", "-o", "+NODE"],
    ["--summary"], ["--summary=only", "-b"], ["--summary=never"], ["--summary=always", "-b"],
    ["--summary", "--output-all"], ["--summary=only", "--summary=always"],
    ["-J", "--summary=always"], ["--summary=always", "-J"], ["-r", "--summary=always"],
    ["-P", "--summary=never"],
]

# lsmem and memrangectl both refuse these (exit 1 and 2).
REFUSED = [
    ["-J", "-r"], ["-P", "-J"], ["-a", "-S", "STATE"], ["-S", "NODE", "-a"],
    ["--summary=only", "-J"], ["-r", "--summary"], ["--summary=never", "--summary=only"],
    ["-o", "TYPE"], ["-S", "TYPE"], ["--summary=sometimes"], ["extra"],
]

failures = []
notes = []


def fail(msg):
    failures.append(msg)
    print(f"FAIL: {msg}", file=sys.stderr)


def run(cmd):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def lsmem_version(lsmem):
    out = run([lsmem, "--version"]).stdout.decode()
    m = re.search(r"(\d+)\.(\d+)", out)
    if not m:
        raise SystemExit(f"cannot tell lsmem's version from {out!r}")
    return int(m.group(1)), int(m.group(2))


def find_sysroots(top):
    """Directories holding sys/ or proc/ (not inside another one)."""
    found = []
    for root, dirs, _ in os.walk(top):
        if "sys" in dirs or "proc" in dirs:
            found.append(root)
            dirs[:] = []
        dirs.sort()
    return found


def block_dirs(sysroot):
    memory = os.path.join(sysroot, "sys/devices/system/memory")
    try:
        names = os.listdir(memory)
    except FileNotFoundError:
        return []
    return sorted((os.path.join(memory, n) for n in names if re.fullmatch(r"memory\d+", n)),
                  key=lambda p: int(os.path.basename(p)[6:]))


def node_entries(block):
    return [n for n in os.listdir(block) if re.fullmatch(r"node\d+", n)]


def uncomparable(sysroot, version):
    """Columns lsmem gets wrong on @sysroot: {column: why}."""
    blocks = block_dirs(sysroot)
    skip = {}
    has_zones = any(os.path.exists(os.path.join(b, "valid_zones")) for b in blocks)
    memory0 = os.path.join(sysroot, "sys/devices/system/memory/memory0/valid_zones")
    if version < (2, 42) and has_zones and not os.path.exists(memory0):
        skip["ZONES"] = "lsmem before 2.42 shows no zones without memory0 (util-linux c8c48ab84)"
    if blocks and version < (2, 41) and not node_entries(blocks[0]) and \
            any(node_entries(b) for b in blocks):
        skip["NODE"] = "lsmem before 2.41 shows no nodes when the first block has none (57714290b)"
    if any(len(node_entries(b)) > 1 for b in blocks):
        skip["NODE"] = "a block is linked to several nodes: lsmem shows the first listed, memrangectl the lowest"
    return skip


def involves(args, column):
    """Whether the option set shows or splits by @column."""
    return any(a == "--output-all" or column in a.upper().split(",") or
               (a.startswith("+") and column in a[1:].upper().split(",")) for a in args)


def ours_args(args):
    """memrangectl's --output-all adds its own columns (ONLINE, NODES):
    lsmem's all are named instead."""
    return [x for a in args for x in (["-o", ALL] if a == "--output-all" else [a])]


def check_output_all(ctl, sysroot):
    """memrangectl's --output-all: lsmem's columns, then its own."""
    header = run([ctl, "--sysroot", sysroot, "blocks", "--output-all", "-r"]).stdout.decode().split("\n")[0]
    if header.split() != COLUMNS + ["ONLINE", "NODES"]:
        fail(f"{sysroot}: --output-all shows {header}")


SUMMARY_LABELS = ("Memory block size:", "Total online memory:", "Total offline memory:")


def same_rows_and_values(ours, theirs):
    """Whether two outputs differ only in how the summary lines are
    aligned: lsmem 2.41 pads them wider than 2.38, whose layout memrangectl
    keeps. Every other line must be the same bytes."""
    a, b = ours.decode().split("\n"), theirs.decode().split("\n")
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if x != y and not (x.startswith(SUMMARY_LABELS) and x.split() == y.split()):
            return False
    return True


def compare(ctl, lsmem, sysroot, version):
    skip = uncomparable(sysroot, version)
    for column, why in skip.items():
        notes.append(f"{sysroot}: {column} not compared: {why}")
    compared = 0
    for args in OPTION_SETS:
        if any(involves(args, c) for c in skip):
            continue
        theirs = run([lsmem, "--sysroot", sysroot, *args])
        ours = run([ctl, "--sysroot", sysroot, "blocks", *ours_args(args)])
        what = f"{sysroot}: {' '.join(args) or '(no options)'}"
        if theirs.returncode != 0:
            # lsmem failing on a sysroot: memrangectl must fail too.
            if not args:
                notes.append(f"{sysroot}: lsmem fails ({theirs.stderr.decode().strip()}): "
                             "only checked that memrangectl fails too")
            if ours.returncode == 0:
                fail(f"{what}: lsmem fails, memrangectl succeeds")
            continue
        if ours.returncode != 0:
            fail(f"{what}: memrangectl exited {ours.returncode}: {ours.stderr.decode().strip()}")
        elif ours.stdout != theirs.stdout and version > (2, 38) and same_rows_and_values(ours.stdout, theirs.stdout):
            if not any(n.startswith("lsmem ") for n in notes):
                notes.append(f"lsmem {version[0]}.{version[1]} aligns its summary lines unlike 2.38, whose layout "
                             "memrangectl keeps: those lines are compared by label and value")
        elif ours.stdout != theirs.stdout:
            fail(f"{what}: output differs\n--- lsmem\n{theirs.stdout.decode()}--- memrangectl\n"
                 f"{ours.stdout.decode()}")
        compared += 1
    if run([lsmem, "--sysroot", sysroot]).returncode == 0:
        check_output_all(ctl, sysroot)
    for args in REFUSED:
        theirs = run([lsmem, "--sysroot", sysroot, *args])
        ours = run([ctl, "--sysroot", sysroot, "blocks", *args])
        if theirs.returncode == 0 or ours.returncode == 0:
            fail(f"{sysroot}: {' '.join(args)}: lsmem exited {theirs.returncode}, memrangectl {ours.returncode}")
    return compared


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def edit_generated(root):
    """Blocks in every state and zone lsmem tells apart (the generated
    machine's are all online Normal): offline (with the two zones the
    kernel offers an offline block), going offline, one online block that
    is not removable, two in ZONE_MOVABLE, two with a zone name lsmem
    does not know (never merged), and one linked to no node."""
    memory = os.path.join(root, "sys/devices/system/memory")
    block = lambda n: os.path.join(memory, f"memory{n}")
    for n in (40, 41, 42):
        write(os.path.join(block(n), "state"), "offline\n")
        write(os.path.join(block(n), "online"), "0\n")
        write(os.path.join(block(n), "valid_zones"), "Normal Movable\n")
    write(os.path.join(block(43), "state"), "going-offline\n")
    write(os.path.join(block(50), "removable"), "0\n")
    for n in (60, 61):
        write(os.path.join(block(n), "valid_zones"), "Movable\n")
    for n in (70, 71):
        write(os.path.join(block(n), "valid_zones"), "Quantum\n")
    # A block linked to no node (both sides of the link gone): NODE -1.
    os.remove(os.path.join(block(90), "node2"))
    os.remove(os.path.join(root, "sys/devices/system/node/node2/memory90"))


def main():
    if len(sys.argv) < 4:
        raise SystemExit(__doc__)
    ctl, gen, fixture_dirs = sys.argv[1], sys.argv[2], sys.argv[3:]
    lsmem = shutil.which("lsmem")
    if not lsmem:
        raise SystemExit("lsmem (util-linux) is not installed: tools/dev.sh installs it")
    version = lsmem_version(lsmem)
    sysroots = [s for d in fixture_dirs for s in find_sysroots(os.path.abspath(d))]
    if not sysroots:
        raise SystemExit(f"no sysroot found under {' '.join(fixture_dirs)}")
    tmp = tempfile.mkdtemp(prefix="test-lsmem-compare.")
    try:
        machine = os.path.join(tmp, "machine")
        os.mkdir(machine)
        run_gen = run([sys.executable, gen, machine, "--memory-gib", "16", "--nodes", "4", "--hotplug-gib", "4",
                       "--cpus", "8", "--iomem-devices", "16"])
        if run_gen.returncode != 0:
            raise SystemExit(f"gen-sysroot.py failed: {run_gen.stderr.decode()}")
        edited = os.path.join(tmp, "edited")
        shutil.copytree(os.path.join(machine, "boot"), edited)
        edit_generated(edited)
        # No memory blocks (a kernel without memory hotplug): lsmem fails,
        # and so must memrangectl.
        no_blocks = os.path.join(tmp, "no-blocks")
        os.makedirs(os.path.join(no_blocks, "sys/devices/system/node"))
        generated = [os.path.join(machine, "boot"), os.path.join(machine, "hotplug"), edited, no_blocks]

        total = 0
        for sysroot in sysroots + generated:
            total += compare(ctl, lsmem, sysroot, version)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for n in notes:
        print(f"note: {n}")
    print(f"lsmem {version[0]}.{version[1]}: {len(sysroots)} fixture sysroots and {len(generated)} generated, "
          f"{total} comparisons of {len(OPTION_SETS)} option sets, {len(REFUSED)} refused sets each")
    if failures:
        print(f"{len(failures)} comparison(s) failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
