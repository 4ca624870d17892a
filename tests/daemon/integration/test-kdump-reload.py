#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The kdump reload engine against the real memranged with a fake kexec
(DESIGN.md, daemon promises 3 and 4).

The fake kexec (KexecPath=) records each invocation: its arguments, the
/proc/iomem it sees, $MEMRANGED_GENERATION and the time; it fails while
a countdown file says so. It runs as a child of the daemon, in the
private mount namespace where the daemon bind-mounted its rendering of
the table over /proc/iomem, so what it sees is the table, not this
machine's iomem. Run as root (unshare and mount need CAP_SYS_ADMIN).

Expected values, from the fixture files of x86_64-6.1-dimm:
  boot: kexec_crash_loaded reads 1, no crash_hotplug file; proc/cmdline
    "console=ttyS0 panic=1 quiet scn=x86_61_dimm crashkernel=256M
    offline=33"; Crash kernel 1e000000-2dffffff nested in System RAM
    00100000-3ffdffff.
  hotplug: the DIMM's "100000000-13fffffff : System RAM", blocks
    memory32..39 added then onlined (16 events).
  offline: memory33 offline, /proc/iomem unchanged: same dump ranges.
kexec-tools' x86 dump ranges (kexec_load) of hotplug: 0x1000-0x9fbff
  (backup), 0x100000-0x1dffffff, 0x2e000000-0x3ffdffff,
  0x100000000-0x13fffffff.
"""
import base64
import os
import shutil
import subprocess
import struct

import daemon_harness as h
import varlink_idl
from daemon_harness import expect, expect_eq

HOTPLUG_LINE = "100000000-13fffffff : System RAM"
CRASH_LINE = "  1e000000-2dffffff : Crash kernel"
APPEND = ("reset_devices systemd.unit=kdump-tools-dump.service nr_cpus=1 irqpoll usbcore.nousb"
          " acpi_no_memhotplug memhp_default_state=offline")
DIMM_CMDLINE = "console=ttyS0 panic=1 quiet scn=x86_61_dimm offline=33"
HOTPLUG_DUMP = [(0x1000, 0x9fbff, True), (0x100000, 0x1dffffff, False), (0x2e000000, 0x3ffdffff, False),
                (0x100000000, 0x13fffffff, False)]
FIRST_SEQNUM = 3000

FAKE_KEXEC = """#!/bin/sh
# A fake kexec: records what it was given and what it saw.
dir={dir}
n=$(( $(cat "$dir/count" 2>/dev/null || echo 0) + 1 ))
for a in "$@"; do printf '%s\\n' "$a"; done > "$dir/args.$n"
cat /proc/iomem > "$dir/iomem.$n"
echo "$MEMRANGED_GENERATION" > "$dir/generation.$n"
date +%s.%N > "$dir/time.$n"
# The count last and by rename: a test polling it never reads it half
# written, nor before this run's files are complete.
echo "$n" > "$dir/count.new" && mv "$dir/count.new" "$dir/count"
# Options it refuses, as kexec-tools 2.0.25 refuses --hotplug, or a
# kernel without kexec_file_load refuses -s (one word per line).
for a in "$@"; do
        if grep -qxF -- "$a" "$dir/refuse" 2>/dev/null; then
                echo "kexec: refused option $a" >&2
                exit 1
        fi
done
left=$(cat "$dir/failures" 2>/dev/null || echo 0)
if [ "$left" -gt 0 ]; then
        echo $((left - 1)) > "$dir/failures"
        echo "Could not load the crash kernel: kexec_load failed: Operation not permitted" >&2
        exit 1
fi
if [ -e "$dir/sleep" ]; then sleep "$(cat "$dir/sleep")"; fi
: > "$dir/done.$n"
echo "loaded"
"""


def idl():
    with open(h.env_path("MEMRANGED_IDL")) as f:
        return varlink_idl.Interface(f.read())


class FakeKexec:
    def __init__(self, ctx, failures=0):
        self.dir = ctx.path("kexec")
        os.mkdir(self.dir)
        self.path = os.path.join(self.dir, "kexec")
        with open(self.path, "w") as f:
            f.write(FAKE_KEXEC.format(dir=self.dir))
        os.chmod(self.path, 0o755)
        if failures:
            with open(os.path.join(self.dir, "failures"), "w") as f:
                f.write(f"{failures}\n")

    def _read(self, name):
        with open(os.path.join(self.dir, name)) as f:
            return f.read()

    def count(self):
        try:
            return int(self._read("count"))
        except FileNotFoundError:
            return 0

    def args(self, n):
        return self._read(f"args.{n}").splitlines()

    def iomem(self, n):
        return self._read(f"iomem.{n}")

    def generation(self, n):
        return int(self._read(f"generation.{n}"))

    def time(self, n):
        return float(self._read(f"time.{n}"))

    def done(self, n):
        return os.path.exists(os.path.join(self.dir, f"done.{n}"))

    def refuse(self, *options):
        with open(os.path.join(self.dir, "refuse"), "w") as f:
            f.write("".join(o + "\n" for o in options))

    def sleep(self, seconds):
        with open(os.path.join(self.dir, "sleep"), "w") as f:
            f.write(f"{seconds}\n")


def hot_add_events(seq=FIRST_SEQNUM):
    events = [h.memory_uevent("add", i, seq + i - 32) for i in range(32, 40)]
    events += [h.memory_uevent("online", i, seq + 8 + i - 32) for i in range(32, 40)]
    return events


def kdump(d):
    s = d.status()
    idl().check_reply("GetStatus", s)
    return s["kdump"]


def wait_kdump(d, predicate, what, timeout=30.0):
    return d.wait_status(lambda s: predicate(s["kdump"]), what, timeout)["kdump"]


KDUMP_TOOLS = ("etc/default/kdump-tools",
               "USE_KDUMP=1\nKDUMP_KERNEL=/var/lib/kdump/vmlinuz\nKDUMP_INITRD=/var/lib/kdump/initrd.img\n"
               "KDUMP_COREDIR=\"/var/crash\"\n")


def write(root, path, content):
    os.makedirs(os.path.dirname(os.path.join(root, path)), exist_ok=True)
    with open(os.path.join(root, path), "w") as f:
        f.write(content)


def dimm_root(ctx, name="x86_64-6.1-dimm/boot", kdump_tools=True):
    """A copy of the DIMM machine with Debian's kdump-tools settings
    (USE_KDUMP=1, KDUMP_KERNEL=/var/lib/kdump/vmlinuz)."""
    root = h.copy_fixture(name, ctx.path("root"))
    if kdump_tools:
        write(root, *KDUMP_TOOLS)
    return root


def swap(root, name, keep=()):
    """The tree becomes fixture @name; the kdump-tools settings and the
    files in @keep (relative path, content), which the fixtures lack,
    stay."""
    had_settings = os.path.exists(os.path.join(root, KDUMP_TOOLS[0]))
    h.swap_tree(h.fixture(name), root)
    for path, content in list(keep) + ([KDUMP_TOOLS] if had_settings else []):
        write(root, path, content)


# ---------------------------------------------------------------------------

def test_hot_add_reloads_once_with_the_table_as_proc_iomem(ctx):
    """Out of the box on Debian: no [Kdump] mode, kdump-tools configured.
    The image loaded at boot is taken as generation 1; the hot-add gives
    one kexec -p whose /proc/iomem is the table's; an offline/online
    cycle gives none."""
    h.require_root("the fake kexec must run in a private mount namespace")
    kexec = FakeKexec(ctx)
    root = dimm_root(ctx)
    d = ctx.daemon(sysroot=root, config=f"[Kdump]\nKexecPath={kexec.path}\n")
    k = kdump(d)
    expect_eq((k["mode"], k["state"], k["loaded"], k["up_to_date"]), ("kexec", "up to date", True, True),
              "kdump at start")
    expect_eq((k["loaded_by"], k["loaded_generation"]), ("before memranged started", 1), "image at start")
    expect("kdump-tools" in k["mode_reason"], f"mode reason: {k['mode_reason']}")
    expect_eq(k["command"], f"{kexec.path} -p -c '--command-line={DIMM_CMDLINE} {APPEND}' /var/lib/kdump/vmlinuz",
              "reload command (KDUMP_INITRD does not exist here)")
    expect_eq((k["attempts"], k["skipped"]), (0, 0), "counters at start")

    swap(root, "x86_64-6.1-dimm/hotplug")
    d.send_uevents(hot_add_events())
    k = wait_kdump(d, lambda k: k["reloads"] == 1 and not k["reloading"], "one reload after the hot-add")
    expect_eq(d.status()["generation"], 2, "generation after the hot-add")
    expect_eq((k["state"], k["loaded_by"], k["loaded_generation"], k["method"]),
              ("up to date", "memranged", 2, "kexec_load"), "image after the hot-add")
    last = k["last_reload"]
    expect_eq((last["generation"], last["result"], last["exit_status"], last["namespace"], last["forced"]),
              (2, "success", 0, True, False), "last reload")
    expect_eq(last["output"], "loaded", "output of the last reload")

    expect_eq(kexec.count(), 1, "kexec invocations after the hot-add")
    args = kexec.args(1)
    expect_eq(args, ["-p", "-c", f"--command-line={DIMM_CMDLINE} {APPEND}", "/var/lib/kdump/vmlinuz"], "kexec args")
    expect("-u" not in args and "--unload" not in args, "kexec was asked to unload")
    expect_eq(kexec.generation(1), 2, "MEMRANGED_GENERATION")
    seen = kexec.iomem(1).splitlines()
    expect(HOTPLUG_LINE in seen, f"the DIMM is not in the iomem kexec saw: {seen}")
    expect(CRASH_LINE in seen, f"no crash kernel in the iomem kexec saw: {seen}")
    with open("/proc/iomem") as f:
        expect(f.read() != kexec.iomem(1), "kexec saw this machine's /proc/iomem")

    # An offline/online cycle keeps the dump ranges.
    swap(root, "x86_64-6.1-dimm/offline")
    d.send_uevents([h.memory_uevent("offline", 33, FIRST_SEQNUM + 16)])
    k = wait_kdump(d, lambda k: k["skipped"] == 1, "the offline skipped")
    swap(root, "x86_64-6.1-dimm/hotplug")
    d.send_uevents([h.memory_uevent("online", 33, FIRST_SEQNUM + 17)])
    k = wait_kdump(d, lambda k: k["skipped"] == 2, "the online skipped")
    expect_eq(d.status()["generation"], 4, "generation after the cycle")
    expect_eq((k["state"], k["attempts"], k["loaded_generation"]), ("up to date", 1, 2), "kdump after the cycle")
    expect_eq(kexec.count(), 1, "kexec invocations after the offline/online cycle")


def cpu_uevent(action, cpu, seqnum):
    return h.uevent(action, f"/devices/system/cpu/cpu{cpu}", "cpu", seqnum)


def plug_cpus(root, cpus):
    """The machine gets CPUs @cpus (as the kernel shows a vCPU hot-add:
    a cpuN directory with its crash notes) and 4 possible CPUs."""
    write(root, "sys/devices/system/cpu/possible", "0-3\n")
    for cpu in cpus:
        write(root, f"sys/devices/system/cpu/cpu{cpu}/crash_notes", f"{0x3de3a400 + cpu * 0x40000:x}\n")
        write(root, f"sys/devices/system/cpu/cpu{cpu}/crash_notes_size", "432\n")
        write(root, f"sys/devices/system/cpu/cpu{cpu}/online", "1\n")


def test_cpu_hot_add_reloads_once_and_a_removal_never(ctx):
    """kexec -p writes a note for the CPUs there are when it loads: three
    vCPUs hot-added make the image stale (status names them) and give one
    reload; removing one gives none (its note stays, harmless)."""
    h.require_root("the fake kexec must run in a private mount namespace")
    kexec = FakeKexec(ctx, failures=1)
    root = dimm_root(ctx)
    d = ctx.daemon(sysroot=root, config=f"[Kdump]\nKexecPath={kexec.path}\nMaxBackoffSec=1\n")
    k = kdump(d)
    expect_eq((k["image_cpus"], k["image_cpus_missing"]), ("0-1", ""), "image CPUs at start")

    plug_cpus(root, [2, 3, 4])
    events = [cpu_uevent(a, c, FIRST_SEQNUM + i) for i, (a, c) in
              enumerate([("add", 2), ("add", 3), ("add", 4), ("online", 2), ("online", 3), ("online", 4)])]
    d.send_uevents(events)
    # The first attempt fails: meanwhile the status says what is missing.
    k = wait_kdump(d, lambda k: k["failures"] == 1 and not k["reloading"], "the first attempt")
    expect_eq((k["state"], k["image_cpus"], k["image_cpus_missing"]), ("stale", "0-1", "2-4"),
              "kdump while CPUs are missing")
    shown = subprocess.run([h.env_path("MEMRANGECTL"), "--socket", d.socket, "status"], capture_output=True,
                           text=True, timeout=30).stdout
    expect(any("image CPUs" in l and l.split()[-2:] == ["(lacks", "2-4)"] for l in shown.splitlines()),
           f"memrangectl status names the missing CPUs:\n{shown}")
    k = wait_kdump(d, lambda k: k["reloads"] == 1 and not k["reloading"], "the reload for the CPUs")
    expect_eq((k["state"], k["image_cpus"], k["image_cpus_missing"]), ("up to date", "0-4", ""),
              "kdump after the reload")
    expect_eq((d.status()["generation"], kexec.count()), (1, 2), "generation and kexec runs (memory unchanged)")

    # cpu4 removed: no reload.
    shutil.rmtree(os.path.join(root, "sys/devices/system/cpu/cpu4"))
    d.send_uevents([cpu_uevent("remove", 4, FIRST_SEQNUM + 10)])
    d.wait_idle(lambda s: s["uevents"]["delivered"] == 7, "the removal seen")
    k = kdump(d)
    expect_eq((k["state"], k["image_cpus"], k["image_cpus_missing"], k["attempts"]), ("up to date", "0-4", "", 2),
              "kdump after a CPU removal")
    expect_eq(kexec.count(), 2, "kexec runs after the removal")


def test_auto_load_method_falls_back_until_a_load_works(ctx):
    """On a kernel that can update a loaded image (crash_elfcorehdr_size),
    LoadMethod=auto loads with kexec_file_load first; when that fails, at
    once kexec_load --hotplug, then plain kexec_load, and the status says
    which failed. Even with kdump-tools' settings alone (memranged does not
    own loading), its own failed loads are retried: the kernel frees the
    old image before it loads the new one."""
    h.require_root("the fake kexec must run in a private mount namespace")
    kexec = FakeKexec(ctx)
    kexec.refuse("-s", "--hotplug")
    root = dimm_root(ctx)
    size = ("sys/kernel/crash_elfcorehdr_size", "917616\n")
    write(root, *size)
    d = ctx.daemon(sysroot=root, config=f"[Kdump]\nKexecPath={kexec.path}\n")
    k = kdump(d)
    expect_eq(k["load_method"], "kexec_file_load", "the first way tried")
    expect("crash_elfcorehdr_size" in k["load_method_reason"], f"why: {k['load_method_reason']}")

    swap(root, "x86_64-6.1-dimm/hotplug", keep=[size])
    d.send_uevents(hot_add_events())
    k = wait_kdump(d, lambda k: k["reloads"] == 1 and not k["reloading"], "a load that works")
    expect_eq([kexec.args(n)[:3] for n in (1, 2, 3)], [["-p", "-s", f"--command-line={DIMM_CMDLINE} {APPEND}"],
                                                      ["-p", "-c", "--hotplug"],
                                                      ["-p", "-c", f"--command-line={DIMM_CMDLINE} {APPEND}"]],
              "the three ways, in order")
    expect(kexec.time(3) - kexec.time(1) < 1.0, "the fallbacks waited for the backoff")
    expect_eq((k["attempts"], k["failures"], k["state"], k["load_method"], k["method"]),
              (3, 2, "up to date", "kexec_load", "kexec_load"), "kdump after the fallbacks")
    expect(k["load_method_fallback"].startswith("kexec_load --hotplug failed (exit status 1)"),
           f"fallback: {k['load_method_fallback']}")

    # LoadMethod= chooses exactly one way.
    d.stop()
    for method, want in (("kexec_load", ["-p", "-c", "--command-line"]),
                         ("kexec_load_hotplug", ["-p", "-c", "--hotplug"]),
                         ("kexec_file_load", ["-p", "-s", "--command-line"])):
        d = ctx.daemon(sysroot=root, config=f"[Kdump]\nKexecPath={kexec.path}\nLoadMethod={method}\n",
                       name=f"memranged-{method}")
        command = kdump(d)["command"].split()
        expect_eq([w.split("=")[0].strip("'") for w in command[1:4]], want, f"LoadMethod={method}")
        d.stop()


def test_storm_of_500_block_events_reloads_once(ctx):
    h.require_root("the fake kexec must run in a private mount namespace")
    kexec = FakeKexec(ctx)
    root = dimm_root(ctx)
    d = ctx.daemon(sysroot=root, config=f"[Kdump]\nKexecPath={kexec.path}\n")
    swap(root, "x86_64-6.1-dimm/hotplug")
    storm = hot_add_events() + [h.memory_uevent("online", 32 + i % 8, FIRST_SEQNUM + 16 + i) for i in range(484)]
    expect_eq(len(storm), 500, "events in the storm")
    d.send_uevents(storm)
    k = wait_kdump(d, lambda k: k["reloads"] == 1 and not k["reloading"], "the reload after the storm")
    s = d.wait_idle(lambda s: s["uevents"]["delivered"] == 500, "all 500 events delivered")
    expect_eq(s["generation"], 2, "generation after the storm")
    expect_eq((k["attempts"], kexec.count()), (1, 1), "reloads for 500 events")
    expect(HOTPLUG_LINE in kexec.iomem(1).splitlines(), "the DIMM is not in the iomem kexec saw")


def test_crash_hotplug_1_never_runs_kexec(ctx):
    kexec = FakeKexec(ctx)
    root = dimm_root(ctx)
    flag = ("sys/devices/system/memory/crash_hotplug", "1\n")
    write(root, *flag)
    d = ctx.daemon(sysroot=root, config=f"[Kdump]\nKexecPath={kexec.path}\n")
    expect_eq(kdump(d)["state"], "kernel keeps it current", "kdump at start")
    swap(root, "x86_64-6.1-dimm/hotplug", keep=[flag])
    d.send_uevents(hot_add_events())
    k = wait_kdump(d, lambda k: k["skipped"] == 1, "the hot-add skipped")
    expect_eq((k["state"], k["crash_hotplug"], k["loaded_generation"], k["attempts"]),
              ("kernel keeps it current", True, 2, 0), "kdump after the hot-add")
    expect_eq(k["method"], "kexec_file_load or kexec_load --hotplug", "how the image was loaded")
    expect_eq(kexec.count(), 0, "kexec invocations")


def test_failing_kexec_is_retried_with_backoff_then_succeeds(ctx):
    h.require_root("the fake kexec must run in a private mount namespace")
    kexec = FakeKexec(ctx, failures=2)
    root = dimm_root(ctx)
    d = ctx.daemon(sysroot=root, config=f"[Kdump]\nKexecPath={kexec.path}\n")
    swap(root, "x86_64-6.1-dimm/hotplug")
    d.send_uevents(hot_add_events())
    k = wait_kdump(d, lambda k: k["failures"] == 1 and not k["reloading"], "the first failure")
    expect_eq(k["state"], "stale", "state while waiting to retry")
    expect("stale_since_usec" in k and "retry_usec" in k, f"stale time and retry time: {k}")
    last = k["last_reload"]
    expect_eq((last["result"], last["exit_status"], last["error"]), ("failed", 1, "exit status 1"), "failed attempt")
    expect("kexec_load failed: Operation not permitted" in last["output"], f"stderr tail: {last['output']!r}")
    k = wait_kdump(d, lambda k: k["reloads"] == 1, "the reload after two failures", timeout=30)
    expect_eq((k["attempts"], k["failures"], k["state"]), (3, 2, "up to date"), "kdump after the retries")
    expect_eq(kexec.count(), 3, "kexec invocations")
    # 1 s, then 2 s, between the end of one attempt and the next.
    expect(kexec.time(2) - kexec.time(1) >= 0.95, f"first retry after {kexec.time(2) - kexec.time(1):.3f} s")
    expect(kexec.time(3) - kexec.time(2) >= 1.95, f"second retry after {kexec.time(3) - kexec.time(2):.3f} s")
    log = d.log()
    expect("kdump reload of generation 2 failed" in log and "retrying in" in log, "the failure is not logged")
    expect("kexec_load failed: Operation not permitted" in log, "kexec's stderr is not logged")


def test_reload_method_and_the_dump_methods(ctx):
    h.require_root("Reload is root only, and the fake kexec needs a mount namespace")
    kexec = FakeKexec(ctx)
    root = dimm_root(ctx, "x86_64-6.1-dimm/hotplug")
    d = ctx.daemon(sysroot=root, config=f"[Kdump]\nKexecPath={kexec.path}\n")

    reply = d.call("io.memranged.Reload")
    idl().check_reply("Reload", reply)
    expect_eq((reply["reloaded"], reply["reason"], reply["generation"]), (False, "unchanged", 1), "Reload")
    reply = d.call("io.memranged.Reload", {"force": True})
    idl().check_reply("Reload", reply)
    expect_eq((reply["reloaded"], reply["reason"]), (True, "reloaded"), "Reload(force)")
    expect_eq((reply["attempt"]["result"], reply["attempt"]["forced"]), ("success", True), "forced attempt")
    expect_eq(kexec.count(), 1, "kexec invocations after Reload(force)")

    with d.connect() as c:
        err = c.call_error("io.memranged.Reload", {"force": "yes"})
    expect_eq(err["error"], "io.memranged.InvalidParameter", "Reload with a bad force")

    ranges = d.call("io.memranged.GetCrashRanges")
    idl().check_reply("GetCrashRanges", ranges)
    expect_eq((ranges["policy"], ranges["requested"], ranges["arch"]), ("kexec-tools-x86", "auto", "x86_64"),
              "policy")
    expect_eq([(r["start"], r["end"], r["backup"]) for r in ranges["ranges"]], HOTPLUG_DUMP, "dump ranges")
    expect_eq(ranges["dropped"], [], "dropped RAM")
    kernel = d.call("io.memranged.GetCrashRanges", {"policy": "kernel"})
    expect_eq(kernel["ranges"][0]["start"], 0x100000, "the kernel policy starts at 1 MiB")

    hdr = d.call("io.memranged.GetElfCoreHeader")
    idl().check_reply("GetElfCoreHeader", hdr)
    raw = base64.b64decode(hdr["header"], validate=True)
    expect_eq(len(raw), hdr["size"], "header size")
    expect_eq(raw[:4], b"\x7fELF", "ELF magic")
    phnum = struct.unpack_from("<H", raw, 56)[0]
    loads = [struct.unpack_from("<IIQQQQQQ", raw, 64 + 56 * i) for i in range(phnum)]
    ram = [(p[4], p[4] + p[6] - 1) for p in loads if p[0] == 1]  # PT_LOAD: p_paddr, p_memsz
    expect((0x100000000, 0x13fffffff) in ram, f"no PT_LOAD for the DIMM: {ram}")

    with d.connect() as c:
        err = c.call_error("io.memranged.GetCrashRanges", {"policy": "sometimes"})
    expect_eq((err["error"], err["parameters"]["parameter"]), ("io.memranged.InvalidParameter", "policy"),
              "unknown policy")

    # Another user: no Reload, no addresses, no command or kexec output.
    script = ("import sys, varlink_client\n"
              "c = varlink_client.Connection(sys.argv[1], 10)\n"
              "print(c.call_error('io.memranged.Reload')['error'])\n"
              "print(c.call_error('io.memranged.GetCrashRanges')['error'])\n"
              "k = c.call('io.memranged.GetStatus')['kdump']\n"
              "print('command' in k, sorted(k['last_reload']))\n")
    done = h.run_as_nobody(ctx, ["-c", script, d.socket])
    expect_eq(done.returncode, 0, f"unprivileged client: {done.stderr}")
    expect_eq(done.stdout.splitlines(),
              ["org.varlink.service.PermissionDenied", "io.memranged.AddressesHidden",
               "False ['duration_usec', 'exit_status', 'forced', 'generation', 'namespace', 'result', "
               "'started_usec']"],
              "what another user gets")


def test_memranged_loads_when_its_configuration_owns_kdump(ctx):
    """Mode= set and nothing loaded: memranged loads generation 1 itself."""
    h.require_root("the fake kexec must run in a private mount namespace")
    kexec = FakeKexec(ctx)
    root = dimm_root(ctx, kdump_tools=False)
    write(root, "sys/kernel/kexec_crash_loaded", "0\n")
    d = ctx.daemon(sysroot=root, config=f"[Kdump]\nMode=kexec\nKernel=/boot/vmlinuz-test\n"
                                         f"CommandLine=console=ttyS0 nr_cpus=1\nKexecPath={kexec.path}\n")
    k = wait_kdump(d, lambda k: k["reloads"] == 1, "the first load")
    expect_eq((k["loaded"], k["loaded_by"], k["loaded_generation"], k["state"]), (True, "memranged", 1, "up to date"),
              "kdump after the first load")
    expect_eq(kexec.args(1), ["-p", "-c", "--command-line=console=ttyS0 nr_cpus=1", "/boot/vmlinuz-test"], "kexec args")


def test_stopping_waits_for_the_reload_in_flight(ctx):
    h.require_root("the fake kexec must run in a private mount namespace")
    kexec = FakeKexec(ctx)
    kexec.sleep(1)
    root = dimm_root(ctx)
    d = ctx.daemon(sysroot=root, config=f"[Kdump]\nKexecPath={kexec.path}\n")
    swap(root, "x86_64-6.1-dimm/hotplug")
    d.send_uevents(hot_add_events())
    wait_kdump(d, lambda k: k["reloading"], "the reload running")
    expect_eq(d.stop(timeout=10), 0, "exit code after SIGTERM during a reload")
    expect(kexec.done(1), "memranged stopped before kexec ended")
    expect("Waiting for the kdump reload in flight" in d.log(), "the wait is not logged")


def test_reload_is_unavailable_when_tracking_only(ctx):
    root = dimm_root(ctx, kdump_tools=False)
    d = ctx.daemon(sysroot=root, config="")
    k = kdump(d)
    expect_eq((k["mode"], k["state"]), ("off", "up to date"), "kdump without kdump-tools")
    expect("tracking only" in k["mode_reason"], f"mode reason: {k['mode_reason']}")
    with d.connect() as c:
        err = c.call_error("io.memranged.Reload")
    expect_eq(err["error"], "io.memranged.ReloadUnavailable", "Reload while off")
    idl().check_error(err["error"], err["parameters"])
    swap(root, "x86_64-6.1-dimm/hotplug")
    d.send_uevents(hot_add_events())
    k = wait_kdump(d, lambda k: k["state"] == "stale", "the image stale after the hot-add")
    expect_eq((k["attempts"], k["up_to_date"]), (0, False), "tracking only")


def test_ppc64_memory_limit_is_in_the_status(ctx):
    """Debian's ppc64le 6.12 publishes the end of boot RAM as
    /chosen/linux,memory-limit (tests/fixtures, captured after a DLPAR
    hot-add): GetStatus shows it, and that memranged's loads read it as 0."""
    tree = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures")
    root = ctx.path("root")
    shutil.copytree(os.path.join(tree, "ppc64le-6.12-dimm-nomemranged", "root"), root, symlinks=True)
    d = ctx.daemon(sysroot=root, config="")
    k = kdump(d)
    expect_eq((k.get("memory_limit"), k.get("memory_limit_boot_only")), (0x80000000, True), "the memory limit")
    root61 = h.copy_fixture("ppc64le-6.1-pseries/boot", ctx.path("root61"))
    k = kdump(ctx.daemon(name="memranged-61", sysroot=root61, config=""))
    expect("memory_limit" not in k and "memory_limit_boot_only" not in k, f"6.1 writes 0: {k}")


if __name__ == "__main__":
    h.run([
        test_hot_add_reloads_once_with_the_table_as_proc_iomem,
        test_storm_of_500_block_events_reloads_once,
        test_crash_hotplug_1_never_runs_kexec,
        test_failing_kexec_is_retried_with_backoff_then_succeeds,
        test_reload_method_and_the_dump_methods,
        test_memranged_loads_when_its_configuration_owns_kdump,
        test_stopping_waits_for_the_reload_in_flight,
        test_reload_is_unavailable_when_tracking_only,
        test_ppc64_memory_limit_is_in_the_status,
    ])
