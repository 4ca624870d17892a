# SPDX-License-Identifier: LGPL-2.1-or-later
"""What kdump-tools saved: the dump file streamed out of the guest's disk
image (debugfs cat), its head taken out of makedumpfile's flattened
format (-F) on the fly, and the physical memory it covers. Only the head
(header, sub header, bitmaps) is kept: a Debian 13 dump is ~1.8 GiB, and
neither the file nor its unflattened copy needs to land on the host's disk.

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
# makedumpfile's flattened format (makedumpfile.h): a 4096-byte header
# starting with the signature, then records of (offset, size), big-endian
# int64, each followed by size bytes for that offset of the normal file;
# offset -1 ends the stream.
FLAT_HEADER_SIZE = 4096
_FLAT_RECORD = struct.Struct(">qq")
# The head kept of a dump: room for the header, sub header and both bitmaps
# of machines up to 256 GiB (2 x 8 MiB of bitmap).
HEAD_LIMIT = 20 << 20
_CHUNK = 1 << 20


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


def _read_exactly(stream, size, what):
    data = stream.read(size)
    if len(data) != size:
        raise DumpError(f"{what}: stream ends after {len(data)} of {size} bytes")
    return data


def read_head(stream, name, limit=HEAD_LIMIT):
    """(head, flattened, size): the first @limit bytes of the normal dump
    file that @stream holds, flattened (-F) or not, whether it was
    flattened, and the normal file's size. @stream is read to its end."""
    start = stream.read(FLAT_HEADER_SIZE)
    if not start.startswith(FLAT_SIGNATURE):
        head = bytearray(start[:limit])
        size = len(start)
        while chunk := stream.read(_CHUNK):
            size += len(chunk)
            if len(head) < limit:
                head += chunk[:limit - len(head)]
        return bytes(head), False, size
    if len(start) != FLAT_HEADER_SIZE:
        raise DumpError(f"{name}: flattened header truncated at {len(start)} bytes")
    head, size, records = bytearray(), 0, 0
    while True:
        offset, length = _FLAT_RECORD.unpack(_read_exactly(stream, _FLAT_RECORD.size,
                                                           f"{name}: record {records}"))
        if offset == -1:
            break
        if offset < 0 or length < 0:
            raise DumpError(f"{name}: record {records} has offset {offset}, size {length}")
        at = offset
        while length:
            chunk = _read_exactly(stream, min(length, _CHUNK), f"{name}: record {records} at {offset:#x}")
            if at < limit:
                part = chunk[:limit - at]
                if len(head) < at + len(part):
                    head.extend(bytes(at + len(part) - len(head)))
                head[at:at + len(part)] = part
            at += len(chunk)
            length -= len(chunk)
        size = max(size, at)
        records += 1
    return bytes(head), True, size


def stream_dump(image, path):
    """read_head() of file @path in ext4 @image, through `debugfs cat`."""
    with subprocess.Popen(["debugfs", "-R", f"cat {path}", image], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE) as p:
        try:
            result = read_head(p.stdout, f"{path} in {image}")
        finally:
            p.stdout.close()
            err = p.stderr.read().decode(errors="replace")
        if p.wait() != 0:
            raise DumpError(f"debugfs -R 'cat {path}' {image} exited {p.returncode}: {err.strip()}")
    return result


class CompressedDump:
    """The header fields and first bitmap of a kdump-compressed file."""

    def __init__(self, head, name):
        """@head: the file's first bytes (read_head()), @name for errors."""
        if len(head) < PAGE:
            raise DumpError(f"{name}: {len(head)} bytes, too short for a header")
        (sig, self.version, self.release, self.status, self.block_size, self.sub_hdr_size,
         self.bitmap_blocks, self.max_mapnr, _, _, self.written_blocks) = _HEADER.unpack_from(head)
        if sig != KDUMP_SIGNATURE:
            raise DumpError(f"{name}: signature {sig!r}, not a kdump-compressed dump")
        self.release = self.release.rstrip(b"\0").decode(errors="replace")
        if self.block_size != PAGE or not 0 < self.sub_hdr_size < 1024:
            raise DumpError(f"{name}: implausible block size {self.block_size} or "
                            f"sub header of {self.sub_hdr_size} blocks")
        if self.version >= 6:
            at = self.block_size + 96
            if len(head) < at + 8:
                raise DumpError(f"{name}: truncated in the sub header")
            self.max_mapnr = _MAX_MAPNR_64.unpack_from(head, at)[0]
        half = self.bitmap_blocks * self.block_size // 2
        if self.bitmap_blocks % 2 or half * 8 < self.max_mapnr:
            raise DumpError(f"{name}: {self.bitmap_blocks} bitmap blocks cannot hold "
                            f"two bitmaps of {self.max_mapnr} pfns")
        at = (1 + self.sub_hdr_size) * self.block_size
        self.bitmap1 = head[at:at + half]
        if len(self.bitmap1) != half:
            raise DumpError(f"{name}: the first bitmap ends at {at + half:#x}, beyond the "
                            f"{len(head):#x} bytes read")

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
