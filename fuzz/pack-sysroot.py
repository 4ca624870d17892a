#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Packs files of a sysroot into one input of the scratch-sysroot fuzz
targets (format: fuzz/fuzz-sysroot.h, fuzz/README.md), or unpacks one.

  pack-sysroot.py pack SYSROOT OUT PATTERN...   glob patterns relative to
                                                SYSROOT ('**' recurses)
  pack-sysroot.py unpack INPUT DIR              writes the files of INPUT
                                                under DIR (to look at a
                                                crashing input)

Symbolic links are packed as plain files holding their target, as the
fixtures store them."""
import os
import pathlib
import sys

SEPARATOR = b"\n====\n"
MAX_FILES = 256  # FUZZ_SYSROOT_MAX_FILES


def pack(sysroot, out, patterns):
    root = pathlib.Path(sysroot)
    paths = set()
    for pattern in patterns:
        for p in root.glob(pattern):
            if p.is_symlink() or p.is_file():
                paths.add(p)
    if not paths:
        sys.exit(f"pack-sysroot.py: nothing in {sysroot} matches {patterns}")
    records = []
    for p in sorted(paths)[:MAX_FILES]:
        content = os.readlink(p).encode() if p.is_symlink() else p.read_bytes()
        if SEPARATOR in content:
            sys.exit(f"pack-sysroot.py: {p} contains the separator")
        records.append(str(p.relative_to(root)).encode() + b"\n" + content)
    pathlib.Path(out).write_bytes(SEPARATOR.join(records))


def unpack(data_path, directory):
    for record in pathlib.Path(data_path).read_bytes().split(SEPARATOR):
        path, _, content = record.partition(b"\n")
        target = pathlib.Path(directory) / path.decode(errors="replace")
        if ".." in target.parts:
            continue
        if path.endswith(b"/"):
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)


def main(argv):
    if len(argv) >= 4 and argv[1] == "pack":
        pack(argv[2], argv[3], argv[4:])
    elif len(argv) == 4 and argv[1] == "unpack":
        unpack(argv[2], argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
