#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The system suite's dump reader without a VM: a kdump-compressed file
built here (header, sub header, two bitmaps), flattened the way
`makedumpfile -F` writes it (records out of order, one rewritten, the way
makedumpfile rewrites its header at the end), read back as a stream and
parsed. makedumpfile -R on the same stream is the oracle for the head.
Checks that the ranges read from the first bitmap are the pfns set in it,
and that truncated or corrupt streams are refused by name."""

import io
import os
import subprocess
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
    then an end record of -1, -1. The blocks go out last first, and block 0
    twice: zeros first, its real bytes last."""
    head = bytearray(4096)
    head[0:16] = b"makedumpfile".ljust(16, b"\0")
    struct.pack_into(">qq", head, 16, 1, 1)
    out = bytes(head) + struct.pack(">qq", 0, PAGE) + bytes(PAGE)
    for off in reversed(range(0, len(data), PAGE)):
        out += struct.pack(">qq", off, PAGE) + data[off:off + PAGE]
    return out + struct.pack(">qq", -1, -1)


def refused(stream, what):
    try:
        dumpfile.read_head(io.BytesIO(stream), "test")
    except dumpfile.DumpError as e:
        assert str(e).startswith("test: "), f"{what}: error does not name the file: {e}"
        return
    raise AssertionError(f"{what} was not refused")


def main():
    data = compressed()
    flat = flattened(data)
    head, was_flat, size = dumpfile.read_head(io.BytesIO(flat), "flat")
    assert was_flat and size == len(data), (was_flat, size)
    assert head == data, "head of the flattened stream differs from the file"
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "dump")
        r = subprocess.run(["makedumpfile", "-R", out], input=flat, capture_output=True)
        assert r.returncode == 0, r.stdout + r.stderr
        with open(out, "rb") as f:
            assert f.read() == head, "makedumpfile -R disagrees with the stream reader"
    d = dumpfile.CompressedDump(head, "flat")
    assert (d.version, d.release, d.max_mapnr) == (6, "6.1.0", MAX_MAPNR), vars(d)
    assert d.ranges() == EXPECTED, f"ranges {d.ranges()} != {EXPECTED}"
    assert all(bool(d.has(p)) == (p in PRESENT) for p in range(MAX_MAPNR + 8))
    # A normal (not flattened) file is read as it is.
    assert dumpfile.read_head(io.BytesIO(data), "plain") == (data, False, len(data))
    # Only the head is kept.
    assert dumpfile.read_head(io.BytesIO(flat), "flat", limit=PAGE)[0] == data[:PAGE]
    refused(flat[:-16], "a stream without its end record")
    refused(flat[:4096 + 16 + 100], "a stream truncated inside a record")
    refused(flat[:4096] + struct.pack(">qq", -5, 8), "a negative offset")
    try:
        dumpfile.CompressedDump(head[:2 * PAGE + 100], "short")
        raise AssertionError("a head without the first bitmap was accepted")
    except dumpfile.DumpError as e:
        assert "first bitmap" in str(e), e
    print("dump reader: flattened stream, first-bitmap ranges and refusals as expected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
