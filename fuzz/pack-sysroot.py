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
import re
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


ALLOWED = re.compile(rb"[A-Za-z0-9_.,@#+-]{1,64}")


def valid_path(path):
    """The loader's rule (fuzz-sysroot.c): at most 200 bytes and 12
    components, each of allowed characters, none "." or ".."."""
    parts = path[:-1].split(b"/") if path.endswith(b"/") else path.split(b"/")
    return (0 < len(path) <= 200 and len(parts) <= 12 and
            all(ALLOWED.fullmatch(c) and c not in (b".", b"..") for c in parts))


def unpack(data_path, directory):
    for record in pathlib.Path(data_path).read_bytes().split(SEPARATOR)[:MAX_FILES]:
        path, newline, content = record.partition(b"\n")
        if not newline or not valid_path(path):
            continue  # the loader skips it too
        target = pathlib.Path(directory) / path.decode()
        try:
            if path.endswith(b"/"):
                target.mkdir(parents=True, exist_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
        except OSError:
            pass  # something of another kind in the way: skipped, as the loader does


def main(argv):
    if len(argv) >= 4 and argv[1] == "pack":
        pack(argv[2], argv[3], argv[4:])
    elif len(argv) == 4 and argv[1] == "unpack":
        unpack(argv[2], argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
