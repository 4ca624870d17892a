# SPDX-License-Identifier: LGPL-2.1-or-later
"""Questions asked of a running guest over the control line: its iomem,
its memory blocks, and memranged's status and table."""

import json
import re
import time

import vmtest_dump as dump
from vmtest_machine import Timeout

SOCKET = "/run/memranged.sock"
CTL = f"memrangectl --socket {SOCKET}"


def iomem(m):
    return dump.parse_iomem(m.run("cat /proc/iomem")[1])


def blocks(m):
    """{index: state} of /sys/devices/system/memory/memoryN."""
    _, out = m.run("cd /sys/devices/system/memory && for b in memory*; do echo $b $(cat $b/state); done")
    states = {}
    for line in out.splitlines():
        mm = re.fullmatch(r"memory(\d+) (\S+)", line.strip())
        if mm:
            states[int(mm.group(1))] = mm.group(2)
    return states


def read_attr(m, path):
    status, out = m.run(f"cat {path}", check=False)
    return out.strip() if status == 0 else None


def status(m):
    return json.loads(m.run(f"{CTL} status -J")[1])


def finding_codes(m, offline=False):
    """The codes of `memrangectl verify`: memranged's findings, or those
    read from the kernel files (--offline)."""
    command = "memrangectl --offline verify -J" if offline else f"{CTL} verify -J"
    _, out = m.run(command, check=False)  # exit status 1 when one is an error
    return {f["code"] for f in json.loads(out)["findings"]}


def table(m):
    """The daemon's table as [(start, end, type, flags)]."""
    ranges = []
    for r in json.loads(m.run(f"{CTL} list -J -b")[1])["ranges"]:
        start, end = (int(x, 16) for x in r["range"].split("-"))
        ranges.append((start, end, r["type"], r["flags"] or ""))
    return ranges


def poll(m, what, check, interval=0.25):
    """Calls check() until it returns (True, value); returns that value. On
    timeout the last value is part of the message."""
    while True:
        done, value = check()
        if done:
            return value
        if m.deadline.left() <= interval or m.exited():
            state = f" (last seen: {value})" if value is not None else ""
            raise Timeout(f"{what}{': QEMU exited' if m.exited() else ''}{state}")
        time.sleep(interval)


def wait_hot_added(m, base_ram, dimms, gib=1 << 30):
    """Waits until /proc/iomem has @dimms GiB more System RAM than @base_ram
    bytes and every memory block is online; returns the new iomem."""
    def check():
        io = iomem(m)
        added = sum(e - s + 1 for s, e in dump.ram_lines(io)) - base_ram
        states = blocks(m)
        offline = sorted(i for i, st in states.items() if st != "online")
        done = added == dimms * gib and not offline
        return done, io if done else f"{added} bytes added, offline blocks {offline}"
    return poll(m, f"{dimms} GiB of hot-added System RAM, all blocks online", check)


def new_ram(before, after):
    """System RAM ranges of @after that are not in @before."""
    old = set(dump.ram_lines(before))
    return [r for r in dump.ram_lines(after) if r not in old]
