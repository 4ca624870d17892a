# SPDX-License-Identifier: LGPL-2.1-or-later
"""What a crash dump should contain, computed independently of libmemrange
from a guest's /proc/iomem (DOMAIN.md section 5), and what it did contain,
parsed from vmcore-phdrs output. Ranges are (start, end) with end
inclusive, as the kernel prints them."""

import re

PT_LOAD = 1
PT_NOTE = 4
MIB = 1 << 20
# x86_64 kernel text is mapped at __START_KERNEL_map and above.
KERNEL_TEXT_MAP = 0xffffffff80000000

_IOMEM_LINE = re.compile(r"( *)([0-9a-f]+)-([0-9a-f]+) : (.*)")
_PHDR_LINE = re.compile(r"PH (\d+) type=(\d+) paddr=(0|0x[0-9a-f]+) vaddr=(0|0x[0-9a-f]+) "
                        r"memsz=(0|0x[0-9a-f]+) end=(0|0x[0-9a-f]+)")


class DumpError(Exception):
    pass


def parse_iomem(text):
    """[(depth, start, end, name)] in file order; a malformed line raises."""
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        m = _IOMEM_LINE.fullmatch(line)
        if not m:
            raise DumpError(f"proc/iomem:{n}: malformed line {line!r}")
        start, end = int(m.group(2), 16), int(m.group(3), 16)
        if end < start:
            raise DumpError(f"proc/iomem:{n}: end before start")
        if start == 0 and end == 0:
            raise DumpError("proc/iomem shows zeroed addresses (not read as root)")
        out.append((len(m.group(1)) // 2, start, end, m.group(4)))
    return out


def _subtract(ranges, holes):
    """@ranges minus each of @holes, keeping the order of @ranges."""
    for hs, he in holes:
        kept = []
        for s, e in ranges:
            if he < s or hs > e:
                kept.append((s, e))
                continue
            if s < hs:
                kept.append((s, hs - 1))
            if e > he:
                kept.append((he + 1, e))
        ranges = kept
    return ranges


def ram_lines(iomem):
    """Every "System RAM" line (driver-managed included), in iomem order."""
    return [(s, e) for _, s, e, name in iomem if "System RAM" in name]


def crash_lines(iomem):
    return [(s, e) for _, s, e, name in iomem if name == "Crash kernel"]


def kexec_tools_x86(iomem):
    """kexec-tools' x86 kexec_load header: every "System RAM" line at any
    depth, in iomem order, minus the Crash kernel ranges (the range below
    640 KiB is kept: it is backed up, not dropped)."""
    return _subtract(ram_lines(iomem), crash_lines(iomem))


def kernel(iomem):
    """The kernel's own header (kexec_file_load and in-kernel hotplug
    updates): System RAM minus [0, 1 MiB) minus the Crash kernel ranges,
    in address order."""
    return sorted(_subtract(ram_lines(iomem), [(0, MIB - 1)] + crash_lines(iomem)))


POLICIES = {"kexec_load": kexec_tools_x86, "kexec_file": kernel}


def parse_phdrs(lines):
    """The PH lines between "VMCORE-PHDRS BEGIN n=N" and "VMCORE-PHDRS END"
    of @lines as [(index, type, paddr, vaddr, memsz, end)]; raises when the
    block is missing, malformed or its count is wrong."""
    phdrs, count, inside = [], None, False
    for line in lines:
        if not inside:
            m = re.search(r"VMCORE-PHDRS BEGIN n=(\d+)", line)
            if m:
                count, inside = int(m.group(1)), True
            elif "VMCORE-PHDRS ERROR" in line:
                raise DumpError(line.strip())
            continue
        if "VMCORE-PHDRS END" in line:
            if len(phdrs) != count:
                raise DumpError(f"{len(phdrs)} program headers listed, BEGIN announced {count}")
            return phdrs
        m = _PHDR_LINE.fullmatch(line.strip())
        if not m or int(m.group(1)) != len(phdrs):
            raise DumpError(f"malformed program header line {line!r}")
        phdrs.append(tuple(int(g, 0) for g in m.groups()))
    raise DumpError("no complete VMCORE-PHDRS block")


def ram_loads(phdrs):
    """The RAM PT_LOADs (start, end) in header order: every PT_LOAD but the
    first, which must be the kernel text mapping."""
    loads = [p for p in phdrs if p[1] == PT_LOAD]
    if not loads or loads[0][3] < KERNEL_TEXT_MAP:
        raise DumpError("the first PT_LOAD is not the kernel text mapping")
    for _, _, paddr, _, memsz, end in loads:
        if memsz == 0 or end != paddr + memsz - 1:
            raise DumpError(f"PT_LOAD at {paddr:#x}: end {end:#x} does not match memsz {memsz:#x}")
    return [(p[2], p[5]) for p in loads[1:]]


def merged(ranges):
    """@ranges sorted, touching and overlapping ones joined: the memory
    they cover, whatever the segmentation."""
    out = []
    for s, e in sorted(ranges):
        if out and s <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def covers(ranges, start, end):
    """True when the union of @ranges covers [start, end] completely."""
    pos = start
    for s, e in sorted(ranges):
        if s > pos:
            break
        pos = max(pos, e + 1)
        if pos > end:
            return True
    return pos > end


def fmt(ranges):
    return "\n".join(f"  {s:#x}-{e:#x}" for s, e in ranges) or "  (none)"


NT_PRSTATUS = 1
_NOTE_LINE = re.compile(r"NOTE (\d+) name=(\S*) type=(\d+) descsz=(\d+)(?: pid=(-?\d+))?")


def parse_notes(lines):
    """The NOTE lines between "VMCORE-NOTES BEGIN" and "VMCORE-NOTES END
    prstatus=N" (vmcore-phdrs --notes) as [(name, type, pid or None)];
    raises when the block is missing or malformed, or its count of
    NT_PRSTATUS notes disagrees with the lines."""
    notes, inside = [], False
    for line in lines:
        line = line.strip()
        if "VMCORE-NOTES ERROR" in line:
            raise DumpError(line)
        if not inside:
            inside = line == "VMCORE-NOTES BEGIN"
            continue
        m = re.fullmatch(r"VMCORE-NOTES END prstatus=(\d+)", line)
        if m:
            if int(m.group(1)) != len(prstatus_notes(notes)):
                raise DumpError(f"{len(prstatus_notes(notes))} NT_PRSTATUS notes listed, END counted {m.group(1)}")
            return notes
        m = _NOTE_LINE.fullmatch(line)
        if not m or int(m.group(1)) != len(notes):
            raise DumpError(f"malformed note line {line!r}")
        pid = int(m.group(5)) if m.group(5) is not None else None
        notes.append((m.group(2), int(m.group(3)), pid))
    raise DumpError("no complete VMCORE-NOTES block")


def prstatus_notes(notes):
    """The CPUs' crash notes (name CORE, type NT_PRSTATUS), in note order,
    which is CPU order."""
    return [n for n in notes if n[0] == "CORE" and n[1] == NT_PRSTATUS]
