# SPDX-License-Identifier: LGPL-2.1-or-later
"""The vCPU hot-add scenarios of issue 12. The guest boots with one of four
possible CPUs; vCPUs are hot-added over QMP (device_add with the props of
query-hotpluggable-cpus), onlined in the guest (no udev there), and once
memranged reports kdump current the guest crashes on the last new CPU.
The capture kernel counts the crash notes (NT_PRSTATUS, name CORE) in
/proc/vmcore: one per CPU online at the crash when the header knows every
CPU. kexec-tools' kexec_load header has one PT_NOTE per CPU present at
load time (DOMAIN.md 7a), so on 6.1 only a reload brings the new CPUs'
notes; the kernel's own header (kexec_file_load) has every possible CPU.
Either way the capture kernel drops the empty notes of CPUs that were not
online at the crash."""

import re
import time

import vmtest_dump as dump
import vmtest_guest as guest
from vmtest_scenarios import Spec, brief, kdump, reloads

CPU_DIR = "/sys/devices/system/cpu"
SMP = "1,maxcpus=4,sockets=4,cores=1,threads=1"
# 6.12.118 counts the disabled LAPIC entries of a MADT without the
# online-capable bit (QEMU 7.2's, revision 1) as hotpluggable CPUs only
# under a hypervisor it recognises (acpi_is_processor_usable(), "QEMU
# expects legacy Enabled=0 LAPIC entries to be counted as usable"). Under
# TCG the CPUID signature is "TCGTCGTCGTCG", which Linux does not know: it
# boots "Allowing 1 present CPUs plus 0 hotplug CPUs" and a device_add ends
# in "ACPI: Unable to map lapic to logical cpu number". (Unplugging a
# cold-plugged vCPU to free a registered slot crashes QEMU 7.2's TCG.) So
# the 6.12 guest is made to detect VMware: no CPUID hypervisor bit, "VMware"
# in the DMI serial number, and QEMU's vmport backdoor (on by default on
# the pc machine) answering its probe. 6.1 needs none of this.
AS_VMWARE = ("-cpu", "qemu64,-hypervisor", "-smbios", "type=1,serial=VMware-vmtest")
# DESIGN.md promise 2: events coalesce in a quiet window of 250 ms, at
# most MaxDelaySec (2 s) after the first. Quiet for longer than that with
# no new uevent, no rebuild pending and no reload running, memranged has
# decided on everything it was told.
SETTLE = 3.0


def guest_cpus(m):
    """{N: online} of the guest's /sys/devices/system/cpu/cpuN (cpu0 has no
    online file on x86: always online)."""
    _, out = m.run(f"cd {CPU_DIR} && for c in cpu[0-9]*; do echo $c $(cat $c/online 2>/dev/null || echo 1); done")
    cpus = {}
    for line in out.splitlines():
        mm = re.fullmatch(r"cpu(\d+) ([01])", line.strip())
        if mm:
            cpus[int(mm.group(1))] = mm.group(2) == "1"
    return cpus


def hot_add_cpus(r, count):
    """device_add @count vCPUs over QMP, waits for the guest's new cpuN
    directories and onlines them; returns their numbers."""
    m = r.m
    before = guest_cpus(m)
    slots = [c for c in m.qmp_command("query-hotpluggable-cpus") if "qom-path" not in c]
    slots.sort(key=lambda c: sorted(c["props"].items()))
    assert len(slots) >= count, f"QEMU offers {len(slots)} hotpluggable CPU slots, {count} wanted"
    t0 = time.monotonic()
    for slot in slots[:count]:
        props = slot["props"]
        ident = "vcpu-" + "-".join(f"{v}" for _, v in sorted(props.items()))
        m.qmp_command("device_add", driver=slot["type"], id=ident, **props)

    def appeared():
        cpus = guest_cpus(m)
        new = sorted(set(cpus) - set(before))
        return len(new) == count, new
    new = guest.poll(m, f"{count} new cpuN directories in the guest", appeared)
    # One command for all: the onlines fall in one coalescing window.
    m.run("; ".join(f"echo 1 > {CPU_DIR}/cpu{n}/online" for n in new))
    cpus = guest_cpus(m)
    assert all(cpus[n] for n in new), f"CPUs {new} not all online: {cpus}"
    r.note(f"hot-added and onlined cpu{', cpu'.join(map(str, new))} in {time.monotonic() - t0:.1f} s")
    return new


def wait_daemon_settled(r, before):
    """Waits until memranged has received uevents since the status
    @before, none is pending, kdump is current and not reloading, and
    nothing changed for SETTLE seconds; returns the status."""
    seen = {"since": None, "key": None}

    def check():
        st = guest.status(r.m)
        ev = st["daemon"]["uevents"]
        kd = kdump(st)
        current = (kd["state"] == "kernel keeps it current"
                   or (kd["state"] == "up to date" and kd["up_to_date"]))
        quiet = (ev["received"] > before["daemon"]["uevents"]["received"] and not ev["pending"]
                 and not kd["reloading"] and current)
        key = (ev["received"], st["daemon"]["generation"], kd["attempts"], kd["skipped"])
        now = time.monotonic()
        if not quiet:
            seen["since"] = None
        elif key != seen["key"] or seen["since"] is None:
            seen["since"] = now
        seen["key"] = key
        done = quiet and now - seen["since"] >= SETTLE
        return done, st if done else (f"{ev['received']} uevents, pending {ev['pending']}, "
                                      f"generation {st['daemon']['generation']}, kdump {brief(kd)}")
    st = guest.poll(r.m, "memranged to settle with kdump current after the CPU hot-add", check, interval=0.5)
    ev, ev0 = st["daemon"]["uevents"], before["daemon"]["uevents"]
    kd = kdump(st)
    cpus = f", image CPUs {kd['image_cpus']}" if "image_cpus" in kd else ""
    r.note(f"memranged settled: {ev['received'] - ev0['received']} uevents "
           f"({ev['ignored'] - ev0['ignored']} ignored), {ev['rebuilds'] - ev0['rebuilds']} rebuilds, "
           f"kdump {brief(kd)}{cpus}")
    return st


def crash_on(r, cpu):
    """Crashes the guest from a shell pinned to @cpu; returns (RAM PT_LOADs,
    notes of the dump, pid of the crashing shell)."""
    marker = "VMTEST CRASHER"
    m = r.m
    # Field 39 of /proc/PID/stat: the CPU the task last ran on (cat is
    # pinned like its shell). The pause lets the UART send the line.
    command = (f"taskset -c {cpu} sh -c 'echo {marker} $$ $(cut -d\" \" -f39 /proc/self/stat); "
               "sleep 0.5; echo c > /proc/sysrq-trigger'")
    loads = r.crash(command)
    line = next((x for x in _control_lines(m) if x.startswith(marker)), None)
    assert line, f"the crashing shell did not print its pid ({marker} line missing)"
    _, _, pid, ran_on = line.split()
    r.note(f"crashing shell pid {pid} ran on cpu{ran_on}")
    r.expect(int(ran_on) == cpu, f"the crashing shell ran on cpu{ran_on}, not cpu{cpu}")
    return loads, dump.parse_notes(r.capture_lines), int(pid)


def _control_lines(m):
    with open(m.control_log, "rb") as f:
        return f.read().decode(errors="replace").replace("\r", "").splitlines()


def check_notes(r, notes, pid, cpus_online):
    """@cpus_online NT_PRSTATUS notes, one of them the crashing shell's."""
    cores = dump.prstatus_notes(notes)
    holder = [i for i, n in enumerate(cores) if n[2] == pid]
    r.note(f"dump: {len(cores)} NT_PRSTATUS notes (pids {[n[2] for n in cores]}), "
           f"{len(notes) - len(cores)} other notes; crashing task's note: "
           f"{'#' + str(holder[0]) if holder else 'none'}")
    r.expect(len(cores) == cpus_online,
             f"the dump has {len(cores)} NT_PRSTATUS notes, expected {cpus_online} (one per online CPU)")
    r.expect(len(holder) == 1, f"{len(holder)} notes belong to the crashing shell (pid {pid}), expected 1")
    return len(cores)


def cpu_hot_add(r, count, expect_reloads):
    """Hot-adds @count vCPUs, waits for memranged, checks its reloads, then
    crashes on the last new CPU and counts the crash notes."""
    expect_hotplug = {"6.1": None, "6.12": "1" if r.spec.load == "kexec_file" else "0"}[r.spec.kernel]
    hotplug = guest.read_attr(r.m, f"{CPU_DIR}/crash_hotplug")
    assert hotplug == expect_hotplug, f"{CPU_DIR}/crash_hotplug reads {hotplug}, expected {expect_hotplug}"
    assert sorted(guest_cpus(r.m)) == [0], f"the guest booted with CPUs {guest_cpus(r.m)}, expected cpu0 alone"
    possible = guest.read_attr(r.m, f"{CPU_DIR}/possible")
    assert possible == "0-3", f"the guest's possible CPUs are {possible}, expected 0-3 (see AS_VMWARE)"
    st0 = guest.status(r.m)
    assert reloads(r, st0) == 0, "memranged reloaded before any hotplug"
    new = hot_add_cpus(r, count)
    st = wait_daemon_settled(r, st0)
    r.save_guest_state("after")
    count_reloads = reloads(r, st)
    r.expect(count_reloads == expect_reloads,
             f"memranged reloaded {count_reloads} times after a hot-add of {count} vCPU(s), "
             f"expected {expect_reloads}")
    online = sum(guest_cpus(r.m).values())
    t0 = time.monotonic()
    loads, notes, pid = crash_on(r, new[-1])
    r.note(f"crash to capture output in {time.monotonic() - t0:.1f} s")
    n = check_notes(r, notes, pid, online)
    # The memory did not change: the dump is the boot-time one.
    with open(f"{r.outdir}/iomem-after") as f:
        iomem = dump.parse_iomem(f.read())
    r.expect(dump.merged(loads) == dump.merged(dump.POLICIES[r.spec.load](iomem)),
             f"the dump's RAM PT_LOADs differ from the guest's iomem:\n{dump.fmt(loads)}")
    return r.finish(f"reloads={count_reloads}, NT_PRSTATUS notes={n}, crashed on cpu{new[-1]}")


SCENARIOS = {
    "7": Spec("6.1 kexec -p, memranged, 1 vCPU hot-added and onlined, crash on it",
              "6.1", "kexec_load", True, lambda r: cpu_hot_add(r, 1, 1), smp=SMP),
    "8": Spec("6.12 kexec -s -p (crash_hotplug=1), memranged, 1 vCPU hot-added, crash on it",
              "6.12", "kexec_file", True, lambda r: cpu_hot_add(r, 1, 0), smp=SMP, qemu_args=AS_VMWARE),
    "9": Spec("6.1 kexec -p, memranged, 3 vCPUs hot-added at once, crash on the last",
              "6.1", "kexec_load", True, lambda r: cpu_hot_add(r, 3, 1), smp=SMP, time_limit=240),
}
