# SPDX-License-Identifier: LGPL-2.1-or-later
"""The six scenarios of issue 5 (issue 12's are in vmtest_cpu.py and
vmtest_memory.py, built on the helpers here). Each boots a guest whose init (tests/vm/init)
loaded kdump and started memranged as the kernel command line asked,
hot-adds memory over QMP, waits for the guest (and memranged) to settle,
crashes it and asserts on the program headers the capture kernel read from
/proc/vmcore. Every expectation is computed from the guest's own
/proc/iomem by vmtest_dump, independently of libmemrange; then, as a second
check, `memrangectl crash-ranges` over the guest's sysroot (saved before the
crash) must give the same ranges."""

import base64
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import time
from dataclasses import dataclass
from typing import Callable

import vmtest_dump as dump
import vmtest_guest as guest
from vmtest_machine import Deadline, Machine

# The capture kernel's command line, as kdump-tools would give it: one CPU,
# devices reset, no crashkernel= (the init script recognises the capture
# kernel by /proc/vmcore).
CAPTURE_CMDLINE = "console=ttyS0 loglevel=4 reset_devices nr_cpus=1 irqpoll panic=1"
FIRST_CMDLINE = "console=ttyS0 crashkernel=256M panic=1 memhp_default_state=online"
GIB = 1 << 30


@dataclass
class Spec:
    title: str
    kernel: str            # "6.1" or "6.12" (vmtest_fetch.KERNELS)
    load: str              # how init loads kdump: kexec_load (kexec -p), kexec_file (kexec -s -p)
    daemon: bool           # init starts memranged
    body: Callable
    time_limit: float = 180
    smp: str = "2"         # QEMU's -smp
    cmdline: str = FIRST_CMDLINE
    qemu_args: tuple = ()  # more QEMU arguments
    conf: str = ""         # more lines for memranged.conf's [Kdump]

    def memranged_conf(self):
        return ("# Written by tests/vm: reload kdump with the image init loaded.\n"
                "[Kdump]\n"
                "Mode=kexec\n"
                "Kernel=/boot/vmlinuz\n"
                "Initrd=/boot/capture.img\n"
                f"CommandLine={CAPTURE_CMDLINE}\n" + self.conf)


class Run:
    """One scenario's guest plus what is saved next to its logs."""

    def __init__(self, m, spec, outdir, memrangectl):
        self.m, self.spec, self.outdir, self.memrangectl = m, spec, outdir, memrangectl
        self.notes = []
        self.failures = []
        self.crashed = False
        self.capture_lines = []

    def note(self, text):
        """Printed as it happens (a timeout then shows how far it got) and
        part of the result line."""
        print(f"[{self.m.deadline.elapsed():6.1f} s] {text}", flush=True)
        self.notes.append(text)

    def expect(self, ok, message):
        """A soft assertion: a failed one is noted and the scenario goes on
        (to the crash, so that the report has every figure); finish()
        raises for all of them."""
        if not ok:
            self.failures.append(message)
            self.note(f"EXPECTATION FAILED: {message}")
        return ok

    def finish(self, result):
        if self.failures:
            raise AssertionError("; ".join(self.failures) + f" [figures: {result}]")
        return result

    def save(self, name, text):
        with open(os.path.join(self.outdir, name), "w") as f:
            f.write(text if text.endswith("\n") else text + "\n")

    def save_guest_state(self, tag):
        """The guest's iomem (and memranged's status and log) as NAME-TAG."""
        self.save(f"iomem-{tag}", self.m.run("cat /proc/iomem")[1])
        self.save_sysroot()
        if self.spec.daemon:
            self.save(f"status-{tag}.json", self.m.run(f"{guest.CTL} status -J")[1])
            self.save("memranged.log", self.m.run("cat /run/memranged.log")[1])

    def save_sysroot(self):
        """The guest's sysroot as OUTDIR/root, in the layout of
        shared/fixtures (with vmcore-phdrs.txt beside it, like a
        kdump-cases entry), by shared/tools/capture-sysroot.sh."""
        _, out = self.m.run("rm -rf /tmp/root && capture-sysroot /tmp/root --base64")
        lines = out.splitlines()
        try:
            data = base64.b64decode("".join(lines[lines.index("SNAP-BEGIN root") + 1:lines.index("SNAP-END root")]))
        except ValueError as e:
            raise AssertionError(f"capture-sysroot printed no snapshot: {e}\n{out[-2000:]}")
        dest = os.path.join(self.outdir, "root")
        shutil.rmtree(dest, ignore_errors=True)
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            for member in tar.getmembers():
                parts = member.name.split("/")
                if member.name.startswith("/") or ".." in parts or parts[0] != "root":
                    raise AssertionError(f"unexpected path {member.name!r} in the guest's snapshot")
                if not (member.isfile() or member.isdir() or member.issym()):
                    raise AssertionError(f"unexpected file type of {member.name!r} in the guest's snapshot")
            # Checked above; "tar" keeps the symlinks (Python 3.12+ warns without a filter).
            kw = {"filter": "tar"} if hasattr(tarfile, "tar_filter") else {}
            tar.extractall(self.outdir, **kw)
        return dest

    def library_agrees(self, loads, policy, missing=()):
        """libmemrange (memrangectl crash-ranges) computes the dump's RAM
        ranges (plus the @missing ones a stale dump lacks) from the guest's
        sysroot saved before the crash, under @policy."""
        root = os.path.join(self.outdir, "root")
        out = subprocess.run([self.memrangectl, "--sysroot", root, "crash-ranges", "-J", "--policy", policy],
                             capture_output=True, text=True)
        assert out.returncode == 0, f"memrangectl crash-ranges on {root}: {out.stderr.strip()}"
        ranges = [(x["start"], x["end"]) for x in json.loads(out.stdout)["ranges"]]
        assert dump.merged(ranges) == dump.merged(list(loads) + list(missing)), (
            f"memrangectl --sysroot {root} crash-ranges --policy {policy} disagrees with the capture "
            f"kernel\nmemrangectl:\n{dump.fmt(ranges)}\ndump:\n{dump.fmt(loads)}")
        self.note(f"memrangectl crash-ranges --policy {policy} on the guest's sysroot equals the dump")

    def hot_add(self, dimms, first=0):
        """Hot-adds @dimms DIMMs of 1 GiB (QMP ids from index @first)."""
        before = guest.iomem(self.m)
        base = sum(e - s + 1 for s, e in dump.ram_lines(before))
        t0 = time.monotonic()
        for i in range(first, first + dimms):
            self.m.hot_add_dimm(i)
        after = guest.wait_hot_added(self.m, base, dimms)
        self.note(f"hot-add of {dimms} GiB settled in {time.monotonic() - t0:.1f} s")
        new = guest.new_ram(before, after)
        assert sum(e - s + 1 for s, e in new) == dimms * GIB, f"new System RAM lines: {dump.fmt(new)}"
        return before, after, new

    def capture(self, command, prefixes=None):
        """Crashes the guest with the shell @command and returns the lines
        its capture kernel printed (those starting with one of @prefixes,
        when given), also kept in self.capture_lines."""
        self.crashed = True
        self.m.send_only(command)
        self.note("crash triggered")
        self.m.wait_for(r"VMTEST CAPTURE KERNEL", "the capture kernel to boot after the crash")
        self.note("capture kernel running")
        lines = []
        while True:
            line = self.m.ctl.readline(self.m.deadline, "the capture kernel's VMCORE-PHDRS output")
            if line.startswith("VMTEST CAPTURE DONE"):
                break
            if prefixes is None or line.startswith(prefixes):
                lines.append(line)
        self.save("vmcore-phdrs.txt", "\n".join(lines))
        self.capture_lines = lines
        return lines

    def crash(self, command="echo c > /proc/sysrq-trigger"):
        """Crashes the guest with the shell @command; returns the RAM
        PT_LOADs the capture kernel saw (the kernel text segment left
        out)."""
        return dump.ram_loads(dump.parse_phdrs(self.capture(command)))


def kdump(status):
    """The daemon's kdump object of `memrangectl status -J` (crash.kdump:
    state, up_to_date, loaded_generation, reloads, skipped...), with the
    kernel's crash_hotplug from the crash section."""
    crash = status.get("crash") or {}
    kd = crash.get("kdump")
    if not isinstance(kd, dict) or "reloads" not in kd:
        raise AssertionError(f"`memrangectl status -J` has no crash.kdump object with counters: {crash}")
    return dict(kd, crash_hotplug=crash.get("crash_hotplug"))


def brief(kd):
    return (f"{kd['state']}, loaded generation {kd.get('loaded_generation')} by {kd.get('loaded_by')}, "
            f"reloads {kd['reloads']}, skipped {kd.get('skipped')}")


# memranged's log line for each finished reload attempt (reload-loop.c).
RELOAD_LINE = re.compile(r"kdump reload of generation (\d+)(?: \(forced\))? (succeeded|failed) "
                         r"in ([0-9.]+) s \((.*)\)")


def reloads(r, status, table_iomem=True):
    """The reload attempts memranged made so far, from its log, checked
    against its status counter when the CLI shows one. Each must have
    succeeded and (when @table_iomem: a kexec_load image) have run with the
    table's rendering over /proc/iomem."""
    log = r.m.run("cat /run/memranged.log")[1]
    attempts = RELOAD_LINE.findall(log)
    for generation, result, seconds, detail in attempts:
        assert result == "succeeded", f"kdump reload of generation {generation} failed: {detail}"
        assert not table_iomem or "with the table's /proc/iomem" in detail, (
            f"kdump reload of generation {generation} ran without the table's /proc/iomem ({detail})")
    counted = kdump(status)["reloads"]
    assert counted == len(attempts), (
        f"memranged's status counts {counted} reloads, its log {len(attempts)}")
    if attempts:
        r.note("reloads: " + ", ".join(f"generation {g} in {t} s" for g, _, t, _ in attempts))
    return len(attempts)


def wait_daemon_current(r, ranges):
    """Waits until memranged's table holds @ranges as RAM, no rebuild is
    pending and kdump is current for that generation; returns the status."""
    def check():
        st = guest.status(r.m)
        ram = [(s, e) for s, e, t, _ in guest.table(r.m) if t == "ram"]
        kd = kdump(st)
        generation = st["daemon"]["generation"]
        # up_to_date: the image holds this generation's dump ranges (its
        # loaded_generation stays the one it was loaded for when later
        # generations have the same ranges).
        current = (kd["state"] == "kernel keeps it current"
                   or (kd["state"] == "up to date" and kd["up_to_date"]))
        done = (all(dump.covers(ram, s, e) for s, e in ranges)
                and not st["daemon"]["uevents"]["pending"] and current)
        return done, st if done else f"generation {generation}, kdump {brief(kd)}"
    st = guest.poll(r.m, "memranged to report kdump current for a table with the new memory", check)
    r.note(f"memranged current at generation {st['daemon']['generation']}: {brief(kdump(st))}")
    return st


def assert_dump(r, loads, expected, what):
    """The dump covers exactly the expected memory. memranged's /proc/iomem
    rendering joins touching System RAM lines (the kernel keeps one per
    DIMM), so kexec-tools may cut the same memory into fewer PT_LOADs than
    the guest's own iomem gives: that is noted, not failed."""
    assert dump.merged(loads) == dump.merged(expected), (
        f"{what}: the dump's RAM PT_LOADs differ from the expected list\n"
        f"dump:\n{dump.fmt(loads)}\nexpected:\n{dump.fmt(expected)}")
    if loads != expected:
        r.note(f"same memory as expected in {len(loads)} PT_LOADs instead of {len(expected)}")


def assert_current_dump(r, loads, iomem, new, policy, what):
    """The dump holds what @policy makes of the guest's @iomem, the @new
    ranges included, and libmemrange agrees."""
    expected = dump.kernel(iomem) if policy == "kernel" else dump.kexec_tools_x86(iomem)
    assert_dump(r, loads, expected, what)
    for s, e in new:
        assert dump.covers(loads, s, e), f"hot-added {s:#x}-{e:#x} missing from the dump"
    r.library_agrees(loads, policy)


# ---- the scenarios ---------------------------------------------------------

def negative_control(r):
    """2: without memranged a kexec_load image goes stale: the range is missing."""
    before, after, new = r.hot_add(1)
    r.save_guest_state("after")
    loads = r.crash()
    assert_dump(r, loads, dump.kexec_tools_x86(before), "kexec_load image loaded at boot")
    for s, e in new:
        assert not dump.covers(loads, s, e), f"hot-added {s:#x}-{e:#x} is in the dump without a reload"
    assert loads != dump.kexec_tools_x86(after)
    r.library_agrees(loads, "kexec-tools-x86", missing=new)
    return f"hot-added {dump.fmt(new).strip()} missing from the dump, as expected"


def kernel_keeps_current(r):
    """4: 6.12 kexec_file_load: the kernel updates the header, memranged
    does not reload."""
    assert guest.read_attr(r.m, "/sys/devices/system/memory/crash_hotplug") == "1"
    before, after, new = r.hot_add(1)
    st = wait_daemon_current(r, new)
    r.save_guest_state("after")
    kd = kdump(st)
    assert kd["crash_hotplug"] is True, f"memranged reports crash_hotplug {kd['crash_hotplug']}"
    count = reloads(r, st)
    assert count == 0, f"memranged reloaded {count} times an image the kernel keeps current"
    loads = r.crash()
    assert_current_dump(r, loads, after, new, "kernel", "kexec_file_load image updated by the kernel")
    return f"reloads={count}, dump includes {dump.fmt(new).strip()}"


def reloaded_once(r):
    """1 and 5: kdump loaded with plain kexec -p (kexec_load): after a hot-add
    memranged reloads exactly once and the dump holds the new range."""
    expect_hotplug = "0" if r.spec.kernel == "6.12" else None
    assert guest.read_attr(r.m, "/sys/devices/system/memory/crash_hotplug") == expect_hotplug
    count = reloads(r, guest.status(r.m))
    assert count == 0, f"memranged reloaded {count} times before any hotplug"
    before, after, new = r.hot_add(1)
    st = wait_daemon_current(r, new)
    r.save_guest_state("after")
    count = reloads(r, st)
    assert count == 1, f"memranged reloaded {count} times after one hot-add, expected 1"
    kd = kdump(st)
    assert (kd["loaded_by"], kd["method"]) == ("memranged", "kexec_load"), (
        f"the image was loaded by {kd['loaded_by']} with {kd['method']}, expected memranged's kexec_load")
    loads = r.crash()
    assert_current_dump(r, loads, after, new, "kexec-tools-x86", "image reloaded by memranged")
    return f"reloads={count}, dump includes {dump.fmt(new).strip()}"


# DESIGN.md promise 2: events in a quiet window of 250 ms, at most 2 s after
# the first, become one rebuild (memranged.conf MaxDelaySec's default).
MAX_DELAY = 2.0
STORM_DIMMS = 4


def storm(r):
    """3: four 1 GiB DIMMs in quick succession (64 block add and online
    events): one reload, or one more per MaxDelaySec the storm outlasted."""
    st0 = guest.status(r.m)
    t0 = time.monotonic()
    before, after, new = r.hot_add(STORM_DIMMS)
    storm_time = time.monotonic() - t0
    st = wait_daemon_current(r, new)
    r.save_guest_state("after")
    events = (st["daemon"]["uevents"]["received"] - st["daemon"]["uevents"]["ignored"]
              - st0["daemon"]["uevents"]["received"] + st0["daemon"]["uevents"]["ignored"])
    assert events >= 32, f"only {events} memory uevents reached memranged during the storm"
    count = reloads(r, st)
    # The storm lasted at most storm_time (the harness saw it end within one
    # poll): each further MaxDelaySec can close one more window.
    bound = 1 + int(storm_time // MAX_DELAY)
    assert 1 <= count <= bound, (f"memranged reloaded {count} times during a storm of "
                                   f"{storm_time:.1f} s; the coalescing contract allows 1 to {bound}")
    loads = r.crash()
    assert_current_dump(r, loads, after, new, "kexec-tools-x86", "image reloaded by memranged after the storm")
    return (f"{events} memory uevents in {storm_time:.1f} s, rebuilds="
            f"{st['daemon']['uevents']['rebuilds'] - st0['daemon']['uevents']['rebuilds']}, "
            f"reloads={count} (bound {bound})")


def wait_block_state(r, start, end, offline):
    """Waits until memranged's table shows [start, end] offline (or online)
    and no rebuild is pending."""
    def check():
        flagged = [(s, e, f) for s, e, t, f in guest.table(r.m)
                   if t == "ram" and s <= end and e >= start]
        is_offline = bool(flagged) and all("offline" in f for _, _, f in flagged)
        pending = guest.status(r.m)["daemon"]["uevents"]["pending"]
        return is_offline == offline and not pending, flagged
    state = "offline" if offline else "online"
    guest.poll(r.m, f"memranged's table to show {start:#x}-{end:#x} {state}", check)


def offline_some_block(r, new_range):
    """Offlines one block of @new_range, trying from the last: the kernel
    refuses blocks holding unmovable pages (EBUSY), typically the first,
    which holds the new memory's own page structures. Returns (index,
    start, end) of the block."""
    size = int(guest.read_attr(r.m, "/sys/devices/system/memory/block_size_bytes"), 16)
    first, last = new_range[0] // size, (new_range[1] + 1) // size - 1
    for block in range(last, first - 1, -1):
        status, _ = r.m.run(f"echo offline > /sys/devices/system/memory/memory{block}/state", check=False)
        if status == 0:
            return block, block * size, (block + 1) * size - 1
    raise AssertionError(f"no block of memory{first}..memory{last} could be offlined")


def offline_online_cycle(r):
    """6: offlining and onlining a hot-added block changes no dump range:
    no reload, and the dump equals the list expected before the cycle."""
    before, after, new = r.hot_add(1)
    st = wait_daemon_current(r, new)
    count = reloads(r, st)
    assert count == 1, f"memranged reloaded {count} times after the hot-add, expected 1"
    skipped = kdump(st)["skipped"]
    expected = dump.kexec_tools_x86(after)
    block, start, end = offline_some_block(r, new[0])
    wait_block_state(r, start, end, True)
    r.note(f"memory{block} offline")
    r.m.run(f"echo online > /sys/devices/system/memory/memory{block}/state")
    wait_block_state(r, start, end, False)
    r.note(f"memory{block} online again")
    st = wait_daemon_current(r, new)
    r.save_guest_state("after")
    assert guest.iomem(r.m) == after, "the offline/online cycle changed /proc/iomem"
    cycle_reloads = reloads(r, st) - count
    assert cycle_reloads == 0, f"memranged reloaded {cycle_reloads} times for an offline/online cycle"
    # Both generations of the cycle were judged: unchanged dump ranges.
    cycle_skipped = kdump(st)["skipped"] - skipped
    assert cycle_skipped >= 2, f"memranged skipped {cycle_skipped} reloads in the cycle, expected one per generation"
    loads = r.crash()
    assert_dump(r, loads, expected, "dump after an offline/online cycle")
    r.library_agrees(loads, "kexec-tools-x86")
    return f"memory{block} offline and online again: reloads {count} before and after the cycle"


SCENARIOS = {
    "1": Spec("6.1 kexec -p, memranged in kexec mode, 1 GiB hot-add",
              "6.1", "kexec_load", True, reloaded_once),
    "2": Spec("negative control: 6.1 kexec -p, no memranged, 1 GiB hot-add",
              "6.1", "kexec_load", False, negative_control),
    "3": Spec(f"storm: 6.1 kexec -p, memranged, {STORM_DIMMS} DIMMs of 1 GiB at once",
              "6.1", "kexec_load", True, storm, time_limit=240),
    "4": Spec("6.12 kexec -s -p (crash_hotplug=1), memranged, 1 GiB hot-add",
              "6.12", "kexec_file", True, kernel_keeps_current),
    # LoadMethod=auto (the default) would reload with kexec_file_load on
    # 6.12, after which the kernel keeps the image current: scenario 11.
    "5": Spec("6.12 kexec -p (crash_hotplug=0), memranged with LoadMethod=kexec_load, 1 GiB hot-add",
              "6.12", "kexec_load", True, reloaded_once, conf="LoadMethod=kexec_load\n"),
    "6": Spec("6.1 kexec -p, memranged, 1 GiB hot-add, then offline and online a block",
              "6.1", "kexec_load", True, offline_online_cycle, time_limit=240),
}


def run(spec, kernel, initrd, outdir, deadline, memrangectl):
    append = f"{spec.cmdline} vmtest.load={spec.load} vmtest.daemon={int(spec.daemon)}"
    machine = Machine(outdir, kernel, initrd, append, deadline)
    # The CPU scenarios boot with fewer CPUs than they may hot-add.
    machine.cmd[machine.cmd.index("-smp") + 1] = spec.smp
    machine.cmd += spec.qemu_args
    with machine as m:
        return run_body(m, spec, outdir, memrangectl)


def run_body(m, spec, outdir, memrangectl, run_class=Run):
    """Waits for the booted guest's READY and runs the scenario's body
    (as @run_class); returns its notes and result in one line."""
    m.wait_for(r"^VMTEST READY$", "the guest's READY (kdump loaded, memranged answering)")
    r = run_class(m, spec, outdir, memrangectl)
    r.note("guest ready")
    try:
        result = spec.body(r)
    except BaseException:
        save_daemon_log(r)
        raise
    return "; ".join(r.notes + [result])


def save_daemon_log(r):
    """After a failure, fetch memranged's log while the guest still runs."""
    if not r.spec.daemon or r.crashed or r.m.exited():
        return
    r.m.deadline = Deadline(5)
    try:
        r.save("memranged.log", r.m.run("cat /run/memranged.log")[1])
    except Exception as e:
        print(f"(could not fetch memranged's log: {e})")
