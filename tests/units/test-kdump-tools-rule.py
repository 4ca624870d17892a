#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""units/memranged-kdump-tools-rule, which memranged.service runs to mask
kdump-tools' per-uevent reload rule while the daemon runs, in a scratch
root (its second argument):

- mask writes /run/udev/rules.d/50-kdump-tools.rules holding comments only
  (so udev replaces kdump-tools' rule of that name with nothing), mode 0644,
  saying who wrote it; mask twice is the same;
- unmask removes it;
- a file of that name that memranged did not write is never replaced or
  removed (an administrator's), and mask does nothing when kdump-tools'
  rule is not installed, under /usr/lib or /lib.

How udev itself reads the result is shown on a booted Debian by the
system suite (tests/system, scenario S4)."""
import os
import subprocess
import sys
import tempfile

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "units",
                      "memranged-kdump-tools-rule")
MASK = "run/udev/rules.d/50-kdump-tools.rules"
KDUMP_RULE = 'SUBSYSTEM=="memory", ACTION=="online", PROGRAM="/usr/sbin/kdump-config try-reload"\n'

failures = []


def check(ok, what):
    print(("ok: " if ok else "FAIL: ") + what)
    if not ok:
        failures.append(what)


def run(root, verb):
    done = subprocess.run(["sh", SCRIPT, verb, root], capture_output=True, text=True)
    return done.returncode, done.stderr


def install_kdump_tools(root, libdir):
    os.makedirs(os.path.join(root, libdir, "udev/rules.d"))
    with open(os.path.join(root, libdir, "udev/rules.d/50-kdump-tools.rules"), "w") as f:
        f.write(KDUMP_RULE)


def read(root):
    with open(os.path.join(root, MASK)) as f:
        return f.read()


def masked_by_memranged(root):
    path = os.path.join(root, MASK)
    if not os.path.isfile(path):
        return False
    lines = read(root).splitlines()
    return (bool(lines) and all(not l.strip() or l.lstrip().startswith("#") for l in lines)
            and "memranged" in lines[0] and os.stat(path).st_mode & 0o777 == 0o644)


def main():
    for libdir in ("usr/lib", "lib"):
        with tempfile.TemporaryDirectory() as root:
            install_kdump_tools(root, libdir)
            check(run(root, "mask") == (0, "") and masked_by_memranged(root),
                  f"mask with kdump-tools' rule in /{libdir}: comment-only, 0644, names memranged")
            first = read(root)
            check(run(root, "mask") == (0, "") and read(root) == first, "mask twice: the same file")
            check(not os.path.exists(os.path.join(root, MASK + ".tmp")), "no temporary file left")
            check(run(root, "unmask") == (0, "") and not os.path.exists(os.path.join(root, MASK)),
                  "unmask removes it")
            check(run(root, "unmask") == (0, ""), "unmask without a mask: nothing to do")

    with tempfile.TemporaryDirectory() as root:
        check(run(root, "mask") == (0, "") and not os.path.exists(os.path.join(root, MASK)),
              "mask without kdump-tools: no file")

    with tempfile.TemporaryDirectory() as root:
        install_kdump_tools(root, "usr/lib")
        os.makedirs(os.path.join(root, os.path.dirname(MASK)))
        for theirs in ("# the administrator's\n", KDUMP_RULE):
            with open(os.path.join(root, MASK), "w") as f:
                f.write(theirs)
            code, err = run(root, "mask")
            check(code == 0 and read(root) == theirs and "not memranged's" in err,
                  f"mask leaves a file it did not write ({theirs.strip()[:20]}...), saying so")
            check(run(root, "unmask") == (0, "") and read(root) == theirs,
                  "unmask leaves a file it did not write")

    with tempfile.TemporaryDirectory() as root:
        check(run(root, "bogus")[0] == 2 and run(root, "")[0] == 2, "an unknown verb: exit 2")

    if failures:
        sys.exit(f"{len(failures)} check(s) failed")


if __name__ == "__main__":
    main()
