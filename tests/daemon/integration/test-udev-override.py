#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The shipped override of kdump-tools' udev rule
(units/memranged-kdump-tools.tmpfiles): systemd-tmpfiles, run inside a
scratch root as at boot, writes /run/udev/rules.d/50-kdump-tools.rules,
the name of kdump-tools' rule file, holding no rule (comments only), so
that udev replaces kdump-tools' /lib/udev/rules.d/50-kdump-tools.rules
with it; an existing file there is left alone (an administrator's choice).
Exit 77 (skip) without systemd-tmpfiles."""
import os
import shutil
import subprocess
import sys
import tempfile

SNIPPET = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "units",
                       "memranged-kdump-tools.tmpfiles")
TARGET = "run/udev/rules.d/50-kdump-tools.rules"


def create(root):
    done = subprocess.run(["systemd-tmpfiles", "--root", root, "--create", os.path.abspath(SNIPPET)],
                          capture_output=True, text=True)
    if done.returncode != 0 or done.stderr:
        sys.exit(f"FAIL: systemd-tmpfiles: exit {done.returncode}: {done.stderr}")


def main():
    if shutil.which("systemd-tmpfiles") is None:
        print("SKIP: systemd-tmpfiles is not installed (Debian package \"systemd\")")
        sys.exit(77)
    with tempfile.TemporaryDirectory() as root:
        create(root)
        path = os.path.join(root, TARGET)
        with open(path) as f:
            lines = f.read().splitlines()
        if not lines or any(line.strip() and not line.lstrip().startswith("#") for line in lines):
            sys.exit(f"FAIL: {TARGET} must hold comments only: {lines!r}")
        if not any("memranged" in line for line in lines):
            sys.exit(f"FAIL: {TARGET} does not say who put it there: {lines!r}")
        if oct(os.stat(path).st_mode & 0o777) != oct(0o644):
            sys.exit(f"FAIL: mode {oct(os.stat(path).st_mode & 0o777)}")
        # A file already there is not replaced.
        with open(path, "w") as f:
            f.write("# the administrator's\n")
        create(root)
        with open(path) as f:
            if f.read() != "# the administrator's\n":
                sys.exit("FAIL: an existing file was overwritten")
    print("ok: the udev override of kdump-tools' reload rule")


if __name__ == "__main__":
    main()
