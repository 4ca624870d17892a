# SPDX-License-Identifier: LGPL-2.1-or-later
"""One boot of the Debian guest (tests/vm's Machine with a disk, 2 GiB and
8 DIMM slots) and the questions the scenarios ask it over the control
line: kdump-tools' and memranged's state, the crash-kernel sampler."""

import json
import os
import re
import subprocess

import vmtest_guest as vmguest
from vmtest_dump import KERNEL_TEXT_MAP
from vmtest_machine import GuestError, Machine

# The guest's kernel command line as a user would have it: crashkernel=
# for kdump-tools, hot-added DIMMs onlined by the kernel (as in the issue's
# reports); console on ttyS0, the control line is ttyS1.
CMDLINE = "root=/dev/vda ro console=ttyS0 crashkernel=256M memhp_default_state=online"
MEMORY = "2G,slots=8,maxmem=16G"
GIB = 1 << 30
SAMPLES = "/run/systest-samples"


class Boot:
    """A context manager: QEMU on @disk until the guest's driver said READY."""

    def __init__(self, kernel, initrd, disk, outdir, deadline, log):
        self.m = Machine(outdir, kernel, initrd, CMDLINE, deadline, memory=MEMORY,
                         extra=["-drive", f"file={disk},format=raw,if=virtio,cache=unsafe"])
        self.log = log

    def __enter__(self):
        m = self.m.__enter__()
        try:
            release = m.wait_for(r"^VMTEST READY (\S+)$", "the guest's systest-driver (multi-user.target)")
        except BaseException:
            self.m.__exit__(None, None, None)
            raise
        self.log(f"guest up: kernel {release.group(1)} after {m.deadline.elapsed():.0f} s")
        return m

    def __exit__(self, *exc):
        return self.m.__exit__(*exc)


def fresh_disk(image, outdir):
    """A scenario's own copy of a cached image (sparse, seconds)."""
    disk = os.path.join(outdir, "disk.img")
    if os.path.exists(disk):
        os.unlink(disk)
    subprocess.run(["cp", "--sparse=always", image, disk], check=True)
    return disk


def out(m, command):
    return m.run(command)[1]


def wait_kdump_loaded(m):
    vmguest.poll(m, "kdump-tools to load the crash kernel (kexec_crash_loaded = 1)",
                 lambda: (vmguest.read_attr(m, "/sys/kernel/kexec_crash_loaded") == "1", None))


def kernel_text(m):
    """Where KASLR put the kernel text: _stext minus __START_KERNEL_map."""
    mm = re.search(r"^([0-9a-f]+) T _stext$", out(m, "grep -w _stext /proc/kallsyms"), re.M)
    if not mm:
        raise GuestError("no _stext in /proc/kallsyms")
    return int(mm.group(1), 16) - KERNEL_TEXT_MAP


def status(m):
    return json.loads(out(m, "memrangectl status -J"))


def kdump(st):
    return st["crash"]["kdump"]


def wait_memranged_current(m, total_ram):
    """Waits until memranged's table holds @total_ram bytes of RAM, no
    rebuild is pending and kdump is up to date; returns the status."""
    def check():
        st = status(m)
        kd = kdump(st)
        done = (st["table"]["total_ram"] == total_ram and not st["daemon"]["uevents"]["pending"]
                and kd["state"] in ("up to date", "kernel keeps it current") and kd["up_to_date"]
                and not kd["reloading"])
        return done, st if done else (f"generation {st['daemon']['generation']}, RAM "
                                      f"{st['table']['total_ram']}, kdump {kd['state']}")
    return vmguest.poll(m, "memranged: table with the new RAM, kdump up to date", check, interval=1.0)


def crash_hotplug(m):
    """What the kernel says of the loaded image's in-place updates: the
    contents of memory/crash_hotplug and cpu/crash_hotplug ("absent" where
    the kernel has no CRASH_HOTPLUG)."""
    return {what: out(m, f"cat /sys/devices/system/{what}/crash_hotplug 2>/dev/null || echo absent").strip()
            for what in ("memory", "cpu")}


def journal(m, args):
    return out(m, f"journalctl -b --no-pager -o short-monotonic {args}")


def kdump_config_lines(m):
    """kdump-config's own log lines (logger -t kdump-config): one per
    unload of a try-reload, "unloaded" or "failed to unload"."""
    return [line for line in journal(m, "-t kdump-config").splitlines() if "unload" in line]


def hot_add(m, dimms, log):
    """Hot-adds @dimms 1 GiB DIMMs in one burst and waits until all is online System
    RAM; returns the new ranges (start, end inclusive)."""
    before = vmguest.iomem(m)
    base = sum(e - s + 1 for s, e in vmguest.dump.ram_lines(before))
    m.hot_add_dimms(dimms)
    after = vmguest.wait_hot_added(m, base, dimms)
    new = vmguest.new_ram(before, after)
    log(f"hot-added {dimms} x 1 GiB: " + ", ".join(f"{s:#x}-{e:#x}" for s, e in new))
    return base, new


# MAKEDUMP_ARGS as an administrator of a small Debian 13 VM sets it in
# /etc/default/kdump-tools: makedumpfile 1.7.6 does not know 6.12's page
# types ("The kernel version is not supported"), finds no free pages and
# saves about 2 GiB of the 4 GiB guest; under TCG its default zlib (-c) took
# 555 s for that, LZO (-l) 114 s (README.md, "Measured for issue 15").
MAKEDUMP_ARGS_TRIXIE = "-l -d 31"


def set_makedump_args(m, args):
    """Sets MAKEDUMP_ARGS in /etc/default/kdump-tools. kdump-config reads it
    in the capture kernel, so nothing is reloaded; synced, because the
    crash follows and the capture kernel mounts the disk as written."""
    m.run(f"sed -i 's/^#*MAKEDUMP_ARGS=.*/MAKEDUMP_ARGS=\"{args}\"/' /etc/default/kdump-tools && "
          f"grep -qx 'MAKEDUMP_ARGS=\"{args}\"' /etc/default/kdump-tools && sync")


def start_sampler(m):
    m.run(f"rm -f {SAMPLES}; systemd-run --quiet --unit=systest-sampler /usr/local/sbin/systest-sampler {SAMPLES}")
    vmguest.poll(m, "the sampler's first sample", lambda: (m.run(f"test -s {SAMPLES}", check=False)[0] == 0, None))


def stop_sampler(m):
    """Stops the sampler; returns (windows, total s, longest s) without a
    crash kernel. A window still open at the end counts up to the stop."""
    end = float(out(m, "systemctl stop systest-sampler; echo $EPOCHREALTIME"))
    samples = [(float(t), v) for t, v in (line.split() for line in out(m, f"cat {SAMPLES}").splitlines())]
    windows, since = [], None
    for t, v in samples:
        if v == "0" and since is None:
            since = t
        elif v == "1" and since is not None:
            windows.append(t - since)
            since = None
    if since is not None:
        windows.append(end - since)
    return len(windows), sum(windows), max(windows, default=0.0)
