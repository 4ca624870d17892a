# SPDX-License-Identifier: LGPL-2.1-or-later
"""What kdump-tools saved: the dump file read back out of the guest's disk
image, turned from makedumpfile's flattened format (-F) into a normal
file with `makedumpfile -R`, and the physical memory it covers.

kdump-tools' stock MAKEDUMP_ARGS ("-c -d 31") give the kdump-compressed
format, not ELF. Its layout (makedumpfile's diskdump_mod.h): block 0 the
disk_dump_header, then sub_hdr_size blocks of kdump_sub_header, then
bitmap_blocks blocks of two bitmaps of equal size. The FIRST bitmap has a
bit set for every pfn that lies in one of the capture kernel's /proc/vmcore
PT_LOADs, whatever the dump level filtered out afterwards: it is exactly
the memory the crash header described. Bit N is bit N % 8 of byte N // 8.
"""

import os
import re
import struct
import subprocess

from vmtest_dump import DumpError

PAGE = 4096
FLAT_SIGNATURE = b"makedumpfile\0"
KDUMP_SIGNATURE = b"KDUMP   "
# disk_dump_header on x86_64: signature[8], header_version (int), utsname
# (sysname, nodename, release, version, machine, domainname: 65 bytes
# each), timestamp (struct timeval, 8-aligned), status, block_size,
# sub_hdr_size, bitmap_blocks, max_mapnr, total_ram_blocks, device_blocks,
# written_blocks.
_HEADER = struct.Struct("<8si130x65s195x6x16xIiiIIIII")
# kdump_sub_header: max_mapnr_64 (header_version >= 6) is at byte 96.
_MAX_MAPNR_64 = struct.Struct("<Q")


def debugfs(image, command):
    out = subprocess.run(["debugfs", "-R", command, image], capture_output=True, text=True)
    if out.returncode != 0:
        raise DumpError(f"debugfs -R '{command}' {image}: {out.stderr.strip()}")
    return out.stdout


def fsck(image):
    """Replays the ext4 journal (debugfs does not): what the capture kernel
    wrote must be visible even if it stopped before the journal was
    checkpointed. Status 0 and 1 are success ("fixed")."""
    out = subprocess.run(["e2fsck", "-p", image], capture_output=True, text=True)
    if out.returncode not in (0, 1):
        raise DumpError(f"e2fsck -p {image} exited {out.returncode}: {out.stdout}{out.stderr}")


def ls(image, path):
    """Names in directory @path of @image (no . and ..)."""
    text = debugfs(image, f"ls -p {path}")
    names = []
    for line in text.splitlines():
        # "/inode/mode/uid/gid/name/size/"
        parts = line.strip().split("/")
        if len(parts) >= 7 and parts[5] not in (".", ".."):
            names.append(parts[5])
    return names


def dump_file(image, path, out):
    debugfs(image, f"dump {path} {out}")
    if not os.path.isfile(out):
        raise DumpError(f"debugfs could not copy {path} out of {image}")
    return out


def saved_dumps(image):
    """[(directory, [files])] under /var/crash: kdump-tools' one directory per crash."""
    return [(d, ls(image, f"/var/crash/{d}")) for d in ls(image, "/var/crash")
            if re.fullmatch(r"\d{12}", d)]


def unflatten(path, out):
    """The normal dump file: @path itself if it is not flattened, else
    `makedumpfile -R` of it into @out. Returns (file, was_flattened)."""
    with open(path, "rb") as f:
        head = f.read(16)
    if head.startswith(KDUMP_SIGNATURE):
        return path, False
    if not head.startswith(FLAT_SIGNATURE):
        raise DumpError(f"{path} is neither flattened nor kdump-compressed (starts {head!r})")
    with open(path, "rb") as src:
        r = subprocess.run(["makedumpfile", "-R", out], stdin=src, capture_output=True, text=True)
    if r.returncode != 0:
        raise DumpError(f"makedumpfile -R {out} < {path} failed: {r.stdout}{r.stderr}")
    return out, True


class CompressedDump:
    """The header fields and first bitmap of a kdump-compressed file."""

    def __init__(self, path):
        with open(path, "rb") as f:
            head = f.read(PAGE)
            if len(head) < _HEADER.size:
                raise DumpError(f"{path}: {len(head)} bytes, too short for a header")
            (sig, self.version, self.release, self.status, self.block_size, self.sub_hdr_size,
             self.bitmap_blocks, self.max_mapnr, _, _, self.written_blocks) = _HEADER.unpack_from(head)
            if sig != KDUMP_SIGNATURE:
                raise DumpError(f"{path}: signature {sig!r}, not a kdump-compressed dump")
            self.release = self.release.rstrip(b"\0").decode(errors="replace")
            if self.block_size != PAGE or not 0 < self.sub_hdr_size < 1024:
                raise DumpError(f"{path}: implausible block size {self.block_size} or "
                                f"sub header of {self.sub_hdr_size} blocks")
            if self.version >= 6:
                f.seek(self.block_size + 96)
                self.max_mapnr = _MAX_MAPNR_64.unpack(f.read(8))[0]
            half = self.bitmap_blocks * self.block_size // 2
            if self.bitmap_blocks % 2 or half * 8 < self.max_mapnr:
                raise DumpError(f"{path}: {self.bitmap_blocks} bitmap blocks cannot hold "
                                f"two bitmaps of {self.max_mapnr} pfns")
            f.seek((1 + self.sub_hdr_size) * self.block_size)
            self.bitmap1 = f.read(half)
            if len(self.bitmap1) != half:
                raise DumpError(f"{path}: truncated in the first bitmap")

    def has(self, pfn):
        return pfn < self.max_mapnr and self.bitmap1[pfn >> 3] >> (pfn & 7) & 1

    def ranges(self):
        """The physical ranges (start, end inclusive) whose pfns the first
        bitmap holds, in address order."""
        out, start = [], None
        data = self.bitmap1
        pfn, limit = 0, self.max_mapnr
        while pfn < limit:
            byte = data[pfn >> 3]
            # Whole bytes of all-set or all-clear bits at once.
            if pfn & 7 == 0 and byte in (0, 0xFF) and pfn + 8 <= limit:
                bit, step = byte == 0xFF, 8
            else:
                bit, step = byte >> (pfn & 7) & 1, 1
            if bit and start is None:
                start = pfn
            elif not bit and start is not None:
                out.append((start * PAGE, pfn * PAGE - 1))
                start = None
            pfn += step
        if start is not None:
            out.append((start * PAGE, limit * PAGE - 1))
        return out
