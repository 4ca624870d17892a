#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The system suite's dump reader without a VM: a kdump-compressed file
built here (header, sub header, two bitmaps), flattened the way
`makedumpfile -F` writes it, turned back by `makedumpfile -R` and parsed.
Checks that the ranges read from the first bitmap are the pfns set in it."""

import os
import struct
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "vm"))

import systest_kdump as dumpfile  # noqa: E402

PAGE = dumpfile.PAGE
MAX_MAPNR = 100
# pfns present: not byte-aligned, then whole bytes, then up to the end.
PRESENT = set(range(1, 10)) | set(range(16, 32)) | set(range(40, MAX_MAPNR))
EXPECTED = [(1 * PAGE, 10 * PAGE - 1), (16 * PAGE, 32 * PAGE - 1), (40 * PAGE, MAX_MAPNR * PAGE - 1)]


def compressed():
    """Block 0 header, block 1 sub header, blocks 2-3 the two bitmaps."""
    header = bytearray(PAGE)
    header[0:8] = b"KDUMP   "
    struct.pack_into("<i", header, 8, 6)
    header[12 + 130:12 + 130 + 6] = b"6.1.0\0"
    struct.pack_into("<IiiII", header, 424, 0, PAGE, 1, 2, MAX_MAPNR)
    sub = bytearray(PAGE)
    struct.pack_into("<Q", sub, 96, MAX_MAPNR)
    bitmap = bytearray(PAGE)
    for pfn in PRESENT:
        bitmap[pfn >> 3] |= 1 << (pfn & 7)
    return bytes(header + sub + bitmap + bytearray(PAGE))


def flattened(data):
    """makedumpfile's flattened format: a 4096-byte header (signature,
    type 1, version 1, big-endian), then (offset, size, bytes) records,
    then an end record of -1, -1."""
    head = bytearray(4096)
    head[0:16] = b"makedumpfile".ljust(16, b"\0")
    struct.pack_into(">qq", head, 16, 1, 1)
    out = bytes(head)
    for off in range(0, len(data), PAGE):
        out += struct.pack(">qq", off, PAGE) + data[off:off + PAGE]
    return out + struct.pack(">qq", -1, -1)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        flat = os.path.join(tmp, "dump.flat")
        with open(flat, "wb") as f:
            f.write(flattened(compressed()))
        path, was_flat = dumpfile.unflatten(flat, os.path.join(tmp, "dump"))
        assert was_flat, "flattened file not recognised"
        d = dumpfile.CompressedDump(path)
        assert (d.version, d.release, d.max_mapnr) == (6, "6.1.0", MAX_MAPNR), vars(d)
        assert d.ranges() == EXPECTED, f"ranges {d.ranges()} != {EXPECTED}"
        assert all(bool(d.has(p)) == (p in PRESENT) for p in range(MAX_MAPNR + 8))
        # A normal (not flattened) file is used as it is.
        assert dumpfile.unflatten(path, os.path.join(tmp, "unused")) == (path, False)
    print("dump reader: makedumpfile -R and first-bitmap ranges as expected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
