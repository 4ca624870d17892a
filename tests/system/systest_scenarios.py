# SPDX-License-Identifier: LGPL-2.1-or-later
"""The scenarios of issue 11 on a booted Debian 12 and of issue 15 on
Debian 12 and 13 (see README.md).
Each gets a Ctx: the images, its output directory, its deadline and
note(), whose lines make up the scenario's one result line."""

import json
import os
import re
import time

import systest_guest as guest
import systest_image as image
import systest_kdump as dumpfile
from vmtest_scenarios import RELOAD_LINE

MIB = 1 << 20
# kexec-tools (kexec_load) searches the kernel text only in the first
# 512 MiB above __START_KERNEL_map unless it can read _stext from kallsyms.
TEXT_LIMIT = 512 * MIB
MAX_BOOTS = 8


class Ctx:
    def __init__(self, name, kernel, initrd, images, outdir, deadline):
        self.name, self.kernel, self.initrd, self.images = name, kernel, initrd, images
        self.outdir, self.deadline = outdir, deadline
        self.notes = []

    def note(self, text, keep=True):
        """Printed at once (a timeout then shows how far it got); with
        @keep also part of the result line."""
        print(f"[{self.deadline.elapsed():6.1f} s] {text}", flush=True)
        if keep:
            self.notes.append(text)

    def boot(self, disk):
        return guest.Boot(self.kernel, self.initrd, disk, self.outdir, self.deadline,
                          lambda t: self.note(t, keep=False))

    def save(self, name, text):
        with open(os.path.join(self.outdir, name), "w") as f:
            f.write(text)


def windows_text(w):
    n, total, longest = w
    return f"{n} windows without a crash kernel, {total:.2f} s in all, longest {longest:.2f} s"


# ---- after the crash --------------------------------------------------------

def capture_log(ctx):
    """kdump-tools' lines of the capture kernel's boot (console after the
    crash), saved as kdump-tools.log."""
    with open(ctx.m.console_log, "rb") as f:
        text = f.read().decode(errors="replace")
    after = text.split("Kernel panic - not syncing", 1)[-1] if "Kernel panic" in text else text
    lines = [line.strip() for line in after.replace("\r", "\n").splitlines() if "kdump-tools" in line]
    ctx.save("kdump-tools.log", "\n".join(lines) + "\n")
    return lines


def crash_and_read_dump(ctx, m):
    """Crashes the guest, waits for the capture kernel's kdump-tools to save
    and reboot (QEMU exits: -no-reboot), then reads the dump out of the disk
    image. Returns the coverage of physical memory (first bitmap)."""
    ctx.m = m
    m.send_only("echo c > /proc/sysrq-trigger")
    t0 = time.monotonic()
    m.wait_exit("the capture kernel's kdump-tools to save the dump and reboot")
    ctx.note(f"capture kernel saved and rebooted in {time.monotonic() - t0:.0f} s")
    log = capture_log(ctx)
    saved = [line for line in log if "saved vmcore in" in line]
    failed = [line for line in log if "makedumpfile failed" in line or "failed to save" in line]
    assert saved and not failed, (f"kdump-tools did not report a saved vmcore (see kdump-tools.log):\n"
                                  + "\n".join(log[-15:]))
    disk = os.path.join(ctx.outdir, "disk.img")
    dumpfile.fsck(disk)
    dumps = dumpfile.saved_dumps(disk)
    assert len(dumps) == 1, f"/var/crash holds {dumps}, expected one crash directory"
    directory, files = dumps[0]
    names = [f for f in files if f.startswith("dump.")]
    assert len(names) == 1, f"/var/crash/{directory} holds {files}, expected one dump.*"
    for f in files:
        if f.startswith("dmesg."):
            dumpfile.dump_file(disk, f"/var/crash/{directory}/{f}", os.path.join(ctx.outdir, f))
    saved = f"/var/crash/{directory}/{names[0]}"
    head, flattened, size = dumpfile.stream_dump(disk, saved)
    d = dumpfile.CompressedDump(head, saved)
    covered = d.ranges()
    ctx.save("dump-ranges.txt", "".join(f"{s:#x}-{e:#x}\n" for s, e in covered))
    ctx.note(f"makedumpfile completed: /var/crash/{directory}/{names[0]} "
             f"({'flattened, ' if flattened else ''}{size // MIB} MiB, kdump-compressed "
             f"v{d.version}, {d.release}, max_mapnr {d.max_mapnr})")
    ctx.note("dump covers " + ", ".join(f"{s:#x}-{e:#x}" for s, e in covered))
    return d


def dimm_coverage(d, dimms):
    """How many pfns of the DIMMs' ranges the dump's first bitmap holds, of how many."""
    held = total = 0
    for s, e in dimms:
        for pfn in range(s // dumpfile.PAGE, (e + 1) // dumpfile.PAGE):
            total += 1
            held += bool(d.has(pfn))
    return held, total


# ---- S1, S3: memranged as installed ----------------------------------------

def reload_lines(m):
    return RELOAD_LINE.findall(guest.journal(m, "-u memranged"))


def memranged_hotplug(ctx, m, dimms, reloads=1):
    """Hot-adds @dimms DIMMs with the sampler running; asserts @reloads
    successful reloads by memranged (1, or 0 where the kernel keeps the
    loaded image current) and kdump current; returns the new ranges and
    the crash-kernel windows."""
    guest.wait_kdump_loaded(m)
    st = guest.status(m)
    assert guest.kdump(st)["reloads"] == 0, f"memranged reloaded before any hotplug: {guest.kdump(st)}"
    guest.start_sampler(m)
    t0 = time.monotonic()
    base, new = guest.hot_add(m, dimms, ctx.note)
    st = guest.wait_memranged_current(m, base + dimms * guest.GIB)
    settled = time.monotonic() - t0
    windows = guest.stop_sampler(m)
    kd = guest.kdump(st)
    lines = reload_lines(m)
    ctx.save("memranged-journal.txt", guest.journal(m, "-u memranged"))
    ctx.save("status.json", json.dumps(st, indent=2))
    assert kd["reloads"] == reloads and kd["failures"] == 0, (
        f"memranged reloaded {kd['reloads']} times ({kd['failures']} failed), expected {reloads}: "
        f"{kd.get('history')}")
    assert len(lines) == reloads and all(line[1] == "succeeded" for line in lines), (
        f"memranged's journal shows reloads {lines}")
    if reloads:
        assert kd["loaded_by"].startswith("memranged"), f"the crash kernel was loaded by {kd['loaded_by']}"
        ctx.note(f"memranged: {kd['reloads']} reload (generation {lines[0][0]} in {lines[0][2]} s), "
                 f"kdump state '{kd['state']}' at generation {st['daemon']['generation']}, "
                 f"settled {settled:.1f} s after the first device_add")
    else:
        ctx.note(f"memranged: 0 reloads, kdump state '{kd['state']}' (image loaded by {kd.get('loaded_by')}, "
                 f"method {kd.get('method')}) at generation {st['daemon']['generation']}, "
                 f"settled {settled:.1f} s after the first device_add")
    ctx.note(windows_text(windows))
    return new, windows


def assert_dimms_in_dump(ctx, d, new):
    held, total = dimm_coverage(d, new)
    assert held == total, f"the dump holds {held} of the DIMMs' {total} pages"
    ctx.note(f"dump covers all {len(new)} hot-added GiB ({held} of {total} pages)")


def s1(ctx):
    """2 x 1 GiB with memranged; a boot whose kernel text is above 512 MiB."""
    disk = guest.fresh_disk(ctx.images["memranged"], ctx.outdir)
    texts = []
    for attempt in range(1, MAX_BOOTS + 1):
        with ctx.boot(disk) as m:
            text = guest.kernel_text(m)
            texts.append(f"{text // MIB} MiB")
            if text < TEXT_LIMIT and attempt < MAX_BOOTS:
                ctx.note(f"boot {attempt}: kernel text at {text:#x}, below 512 MiB: booting again", keep=False)
                continue
            assert text >= TEXT_LIMIT, f"kernel text below 512 MiB in all {MAX_BOOTS} boots: {texts}"
            ctx.note(f"kernel text at {text:#x} (_stext - {guest.KERNEL_TEXT_MAP:#x}) in boot {attempt}; "
                     f"boots: {', '.join(texts)}")
            new, _ = memranged_hotplug(ctx, m, 2)
            d = crash_and_read_dump(ctx, m)
            assert_dimms_in_dump(ctx, d, new)
            return "memranged reloaded once, the dump holds both DIMMs"


S3_DIMMS = 8


def s3(ctx):
    """A storm: 8 x 1 GiB (64 memory blocks) with memranged."""
    disk = guest.fresh_disk(ctx.images["memranged"], ctx.outdir)
    with ctx.boot(disk) as m:
        new, windows = memranged_hotplug(ctx, m, S3_DIMMS)
        ctx.save("windows.json", json.dumps(windows))
        d = crash_and_read_dump(ctx, m)
        assert_dimms_in_dump(ctx, d, new)
    s2_file = os.path.join(ctx.outdir, "..", "S2", "windows.json")
    if os.path.exists(s2_file):
        ctx.note("S2 (stock kdump-tools, 2 DIMMs) measured " + windows_text(json.load(open(s2_file))))
    else:
        ctx.note("S2's figure not available (run S2 first)")
    return f"{S3_DIMMS} GiB hot-added, one reload, all of it in the dump"


# ---- S2: the negative control ----------------------------------------------

def stock_hotplug(ctx, m, settle):
    """Hot-adds 2 x 1 GiB to a guest without memranged and records what
    kdump-tools' udev rule did: its kdump-config runs (saved, with udevd's
    journal and the sampler's windows without a crash kernel). Returns
    (new ranges, the rule's kdump-config lines, those that failed to unload)."""
    before = len(guest.kdump_config_lines(m))
    # udevd logs what its PROGRAM= children print (kexec's error) only at
    # debug level.
    m.run("udevadm control --log-level=debug")
    guest.start_sampler(m)
    _, new = guest.hot_add(m, 2, ctx.note)
    m.run(f"udevadm settle --timeout={settle}")
    windows = guest.stop_sampler(m)
    lines = guest.kdump_config_lines(m)[before:]
    failed = [line for line in lines if "failed to unload" in line]
    udevd = guest.journal(m, "-u systemd-udevd")
    ctx.save("kdump-config-journal.txt", "\n".join(lines) + "\n")
    ctx.save("udevd-journal.txt", udevd)
    ctx.save("windows.json", json.dumps(windows))
    eperm = re.findall(r".*Operation not permitted.*", udevd)
    ctx.note(f"udev rule ran {len(lines)} kdump-config try-reloads, {len(failed)} failed to unload, "
             f"{len(eperm)} udevd log lines of kexec's EPERM"
             + (f" (e.g. {eperm[0].strip()[:160]})" if eperm else ""))
    ctx.note(windows_text(windows))
    return new, lines, failed


def s2(ctx):
    """Stock kdump-tools, no memranged: its udev rule's try-reloads fail
    under udevd's SystemCallFilter and the dump lacks the DIMMs."""
    disk = guest.fresh_disk(ctx.images["stock"], ctx.outdir)
    with ctx.boot(disk) as m:
        assert m.run("test -e /usr/sbin/memranged", check=False)[0] != 0, "memranged is installed"
        guest.wait_kdump_loaded(m)
        new, _, _ = stock_hotplug(ctx, m, settle=120)
        loaded = guest.out(m, "cat /sys/kernel/kexec_crash_loaded").strip()
        assert loaded == "1", "no crash kernel loaded after the hot-add"
        d = crash_and_read_dump(ctx, m)
    held, total = dimm_coverage(d, new)
    assert held == 0, f"the dump holds {held} of the DIMMs' {total} pages without memranged"
    ctx.note(f"dump lacks the hot-added memory (0 of {total} pages), as stock kdump-tools leaves it")
    return "negative control: stock kdump-tools loses the DIMMs"


# ---- S4: fail-safe ------------------------------------------------------------

RULE = "50-kdump-tools.rules"


def rule_state(ctx, m, block):
    """(rules file udev reads for kdump-tools, kdump-config runs caused by
    one synthetic "online" uevent). `udevadm test` with ACTION=change: it
    lists the rules files without running kdump-tools' PROGRAM= rules
    (they match online/offline/add/remove only)."""
    test = guest.out(m, f"udevadm test --action=change {block} 2>&1 | grep -F {RULE} || true")
    read = re.findall(rf"Reading rules file: (\S*{re.escape(RULE)})", test)
    assert len(read) == 1, f"udevadm test names no single {RULE}:\n{test}"
    before = len(guest.kdump_config_lines(m))
    m.run(f"echo online > {block}/uevent && udevadm settle --timeout=60")
    runs = len(guest.kdump_config_lines(m)) - before
    return read[0], runs


def s4(ctx):
    disk = guest.fresh_disk(ctx.images["memranged"], ctx.outdir)
    with ctx.boot(disk) as m:
        guest.wait_kdump_loaded(m)
        block = guest.out(m, "ls -d /sys/devices/system/memory/memory* | tail -n 1").strip()
        results = []
        for step, command, masked in (
                ("memranged running", None, True),
                ("memranged stopped", "systemctl stop memranged.socket memranged.service", False),
                ("memranged started again", "systemctl start memranged.socket memranged.service", True)):
            if command:
                m.run(command)
            active = guest.out(m, "systemctl is-active memranged.service || true").strip()
            path, runs = rule_state(ctx, m, block)
            results.append(f"{step} ({active}): udev reads {path}, a synthetic online uevent ran "
                           f"kdump-config {runs} time(s)")
            ctx.note(results[-1])
            if masked:
                assert path == f"/run/udev/rules.d/{RULE}" and runs == 0, f"{step}: rule not masked"
            else:
                assert path.endswith(f"/lib/udev/rules.d/{RULE}") and runs >= 1, (
                    f"{step}: kdump-tools' own rule not in force")
    return "kdump-tools' rule masked exactly while memranged runs"


# ---- S5: the service under systemd -------------------------------------------

def show(m):
    text = guest.out(m, "systemctl show -p StatusText,ActiveState,SubState,NRestarts memranged")
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def s5(ctx):
    disk = guest.fresh_disk(ctx.images["memranged"], ctx.outdir)
    with ctx.boot(disk) as m:
        # Outlive WatchdogSec=30s once, so that a missing ping would show.
        up = float(guest.out(m, "cut -d' ' -f1 /proc/uptime"))
        started = int(guest.out(m, "systemctl show -P ActiveEnterTimestampMonotonic memranged")) / 1e6
        if up - started < 35:
            m.run(f"sleep {35 - (up - started):.0f}")
        s = show(m)
        ctx.note(f"systemctl show: {s}")
        assert (s["ActiveState"], s["SubState"], s["NRestarts"]) == ("active", "running", "0"), s
        assert "generation" in s["StatusText"] and "kdump" in s["StatusText"], s
        log = guest.journal(m, "-u memranged")
        assert re.search(r"memranged\[\d+\]: Ready: ", log), "no Ready line in memranged's journal"
        assert not re.search(r"(?i)watchdog", log), "watchdog messages in memranged's journal"

        # A failed reload is noted and the remaining checks still run.
        problems = []
        rc, text = m.run("systemctl reload memranged", check=False)

        def reread():
            lines = re.findall(r"Received SIGHUP, reloading .*", guest.journal(m, "-u memranged"))
            return bool(lines), lines
        if rc == 0:
            lines = guest.vmguest.poll(m, "memranged's journal to show the configuration re-read", reread)
            ctx.note(f"systemctl reload: journal says '{lines[-1]}'")
        else:
            tail = guest.journal(m, "-u memranged -n 4 -o cat").strip().replace("\n", " / ")
            problems.append(f"`systemctl reload memranged` failed (status {rc}): {tail}")
            ctx.note(problems[-1])

        m.run("systemctl stop memranged.service")
        stopped = guest.out(m, "systemctl is-active memranged.service || true").strip()
        m.run("memrangectl status >/dev/null")
        active = guest.out(m, "systemctl is-active memranged.service || true").strip()
        assert (stopped, active) == ("inactive", "active"), f"socket activation: {stopped} -> {active}"
        ctx.note(f"socket activation: service {stopped}, `memrangectl status` made it {active}")

        rc, text = m.run("runuser -u nobody -- memrangectl status -J", check=False)
        assert rc == 0 and json.loads(text)["daemon"]["addresses_hidden"] is True, f"nobody's status: {text}"
        rc, text = m.run("runuser -u nobody -- memrangectl list", check=False)
        assert rc != 0, f"nobody's `memrangectl list` was not refused:\n{text}"
        ctx.note(f"user nobody: status with addresses hidden, list refused (status {rc}: {text.strip()})")
        metrics_under_sandbox(ctx, m)
        s = show(m)
        assert s["NRestarts"] == "0", s
    assert not problems, "; ".join(problems)
    return "memranged runs as a notify service with socket activation"


NODE_EXPORTER_DIR = "/var/lib/prometheus/node-exporter"
METRICS_FAILURE = re.compile(r".*Cannot write the metrics file.*")


def metrics_under_sandbox(ctx, m):
    """[Metrics] Directory= set to Debian's node-exporter directory. The
    unit's ProtectSystem=strict leaves /var read-only but for its
    ReadWritePaths=, bound when the service starts and skipped ('-') when
    absent: with the directory made after the start (node-exporter
    installed later) the write fails, loudly, until a restart; then the
    file is there."""
    prom = f"{NODE_EXPORTER_DIR}/memranged.prom"
    m.run(f"rm -rf {NODE_EXPORTER_DIR} && "
          f"printf '[Metrics]\\nDirectory={NODE_EXPORTER_DIR}\\n' > /etc/memranged.conf && "
          "systemctl restart memranged.service")
    m.run(f"mkdir -p {NODE_EXPORTER_DIR} && systemctl reload memranged.service")

    def refused():
        lines = METRICS_FAILURE.findall(guest.journal(m, "-u memranged"))
        return any(NODE_EXPORTER_DIR in line and "No such file" not in line for line in lines), lines
    lines = guest.vmguest.poll(m, "memranged to log that the directory made after its start is not writable",
                               refused)
    assert m.run(f"test -e {prom}", check=False)[0] != 0, f"{prom} written without a restart"
    ctx.note(f"metrics: directory made after the start: {lines[-1].split(': ', 1)[-1][:160]}")

    m.run("systemctl restart memranged.service")

    def written():
        rc, text = m.run(f"cat {prom}", check=False)
        return rc == 0 and "memranged_generation" in text, text
    text = guest.vmguest.poll(m, f"memranged to write {prom}", written)
    mode = guest.out(m, f"stat -c %a {prom}").strip()
    up = re.search(r"^memranged_kdump_up_to_date (\S+)$", text, re.M)
    assert mode == "644" and up and up.group(1) == "1", (
        f"{prom}: mode {mode}, memranged_kdump_up_to_date {up and up.group(1)}")
    ctx.note(f"metrics: after a restart {prom} written from inside the unit's sandbox (mode {mode}, "
             f"{len(text.splitlines())} lines, memranged_kdump_up_to_date 1)")


# ---- S6, T3: the package's life in a booted system ---------------------------

MARKER = "# Written by memranged.service while it runs"


def service_state(m):
    """What a package step is judged by: dpkg's status and version,
    systemd's view of both units, the group, /run/memranged and the mask
    of kdump-tools' rule."""
    show = guest.out(m, "systemctl show -p ActiveState,UnitFileState,MainPID,NRestarts "
                        "memranged.service memranged.socket")
    units = [dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
             for block in show.strip().split("\n\n")]
    return {
        # dpkg-query -f prints no newline: the control line needs one.
        "dpkg": guest.out(m, "dpkg-query -W -f='${db:Status-Abbrev}${Version}\\n' memranged 2>/dev/null || true").strip(),
        "service": units[0], "socket": units[1],
        "group": guest.out(m, "getent group memrange || true").strip(),
        "rundir": guest.out(m, "ls -A /run/memranged 2>&1 || true").strip(),
        "mask": guest.out(m, f"head -n 1 /run/udev/rules.d/{RULE} 2>/dev/null || true").strip(),
        "left": guest.out(m, "find /etc /run /var/lib /usr -name '*memrange*' 2>/dev/null | sort").split(),
    }


def step_text(name, st):
    return (f"{name}: dpkg '{st['dpkg']}', service {st['service'].get('ActiveState')}/"
            f"{st['service'].get('UnitFileState')}, socket {st['socket'].get('ActiveState')}/"
            f"{st['socket'].get('UnitFileState')}, group {'yes' if st['group'] else 'no'}, "
            f"kdump-tools rule {'masked' if st['mask'] == MARKER else 'in force'}, "
            f"{len(st['left'])} paths named *memrange*")


def package_lifecycle(ctx):
    """apt install ./memranged_*.deb, upgrade to a rebuilt newer version,
    remove and purge, on the stock image of the scenario's release with the
    service's state checked after each step."""
    disk = guest.fresh_disk(ctx.images["stock"], ctx.outdir)
    first, newer = ctx.packages["first"], ctx.packages["newer"]
    apt = f"cd /{image.DEB_DIR} && DEBIAN_FRONTEND=noninteractive apt-get -y -q"
    with ctx.boot(disk) as m:
        guest.wait_kdump_loaded(m)
        st = service_state(m)
        assert st["dpkg"] == "" and not st["left"], f"memranged present before its installation: {st}"
        block = guest.out(m, "ls -d /sys/devices/system/memory/memory* | tail -n 1").strip()
        steps = []

        # README, "Install on Debian": apt install ./memranged_*.deb
        rc, text = m.run(f"cd /{image.DEB_DIR} && DEBIAN_FRONTEND=noninteractive apt install -y -q "
                         f"./{first['memranged']} ./{first['lib']}", check=False)
        ctx.save("apt-install.log", text)
        assert rc == 0, f"apt install failed ({rc}):\n{text[-2000:]}"
        st = service_state(m)
        steps.append(step_text("install", st))
        ctx.note(steps[-1])
        version = st["dpkg"].split()[-1] if st["dpkg"] else ""
        assert st["dpkg"].startswith("ii "), st
        for unit in ("service", "socket"):
            assert (st[unit]["ActiveState"], st[unit]["UnitFileState"]) == ("active", "enabled"), (unit, st)
        assert st["group"].startswith("memrange:"), st
        assert "io.memranged" in st["rundir"], st
        assert st["mask"] == MARKER, f"kdump-tools' rule not masked after the installation: {st}"
        status = guest.status(m)
        assert status["daemon"]["generation"] >= 1, status
        pid = st["service"]["MainPID"]

        rc, text = m.run(f"{apt} install ./{newer['memranged']} ./{newer['lib']}", check=False)
        ctx.save("apt-upgrade.log", text)
        assert rc == 0, f"the upgrade failed ({rc}):\n{text[-2000:]}"
        st = service_state(m)
        steps.append(step_text("upgrade", st) + f", MainPID {pid} -> {st['service']['MainPID']}")
        ctx.note(steps[-1])
        assert st["dpkg"].startswith("ii ") and st["dpkg"].split()[-1] != version, st
        for unit in ("service", "socket"):
            assert (st[unit]["ActiveState"], st[unit]["UnitFileState"]) == ("active", "enabled"), (unit, st)
        assert st["service"]["MainPID"] not in ("0", pid), f"memranged was not restarted by the upgrade: {st}"
        assert st["service"]["NRestarts"] == "0", st
        assert st["mask"] == MARKER, st
        guest.status(m)

        rc, text = m.run(f"{apt} remove memranged", check=False)
        ctx.save("apt-remove.log", text)
        assert rc == 0, f"apt-get remove failed ({rc}):\n{text[-2000:]}"
        st = service_state(m)
        path, runs = rule_state(ctx, m, block)
        steps.append(step_text("remove", st) + f"; udev reads {path}, an online uevent ran kdump-config {runs} time(s)")
        ctx.note(steps[-1])
        assert st["dpkg"].startswith("rc "), st
        for unit in ("service", "socket"):
            assert st[unit].get("ActiveState") == "inactive", (unit, st)
        running = guest.out(m, "for c in /proc/[0-9]*/comm; do [ \"$(cat $c 2>/dev/null)\" = memranged ] && echo $c; done; true")
        assert not running.strip(), f"a memranged process outlived the remove: {running}"
        assert "No such file" in st["rundir"], f"/run/memranged left after remove: {st['rundir']}"
        assert st["mask"] == "", st
        assert path.endswith(f"/lib/udev/rules.d/{RULE}") and runs >= 1, "kdump-tools' rule not back in force"
        assert not m.run("test -e /usr/sbin/memranged", check=False)[0] == 0, "memranged's binary left"

        rc, text = m.run(f"{apt} purge memranged {first['lib'].split('_')[0]}", check=False)
        ctx.save("apt-purge.log", text)
        assert rc == 0, f"apt-get purge failed ({rc}):\n{text[-2000:]}"
        st = service_state(m)
        steps.append(step_text("purge", st))
        ctx.note(steps[-1])
        assert st["dpkg"] == "", st
        assert st["group"] == "", f"the group memrange outlived the purge: {st['group']}"
        assert not st["left"], f"left after the purge: {st['left']}"
        assert "No such file" in st["rundir"], st
    return f"{ctx.release}: install, upgrade, remove and purge as planned"


# ---- T1, T2: Debian 13 ------------------------------------------------------

def kdump_tools_load(ctx, m):
    """How kdump-tools loaded the crash kernel at boot: the kexec command
    kdump-config ran (it keeps it in /var/crash/kexec_cmd); its journal is
    saved as kdump-tools-journal.txt."""
    ctx.save("kdump-tools-journal.txt", guest.journal(m, "-u kdump-tools -o cat"))
    cmd = guest.out(m, "cat /var/crash/kexec_cmd 2>/dev/null || echo '(no /var/crash/kexec_cmd)'").strip()
    words = cmd.split()
    # kexec_load marks an image for in-place updates only with --hotplug;
    # without -s or -c kexec-tools 2.0.29 tries kexec_file_load first.
    if "-s" in words:
        how = "kexec_file_load (-s)"
    elif "--hotplug" in words:
        how = "kexec_load with --hotplug"
    elif "-c" in words:
        how = "kexec_load (-c)"
    else:
        how = "kexec-tools' default (kexec_file_load first)"
    return f"{cmd[:300]} [{how}]"


def set_makedump_args(ctx, m):
    """The administrator's MAKEDUMP_ARGS on Debian 13 (see
    guest.MAKEDUMP_ARGS_TRIXIE); the dump's coverage does not depend on it:
    the first bitmap holds every pfn of the capture kernel's PT_LOADs."""
    guest.set_makedump_args(m, guest.MAKEDUMP_ARGS_TRIXIE)
    ctx.note(f"/etc/default/kdump-tools: MAKEDUMP_ARGS=\"{guest.MAKEDUMP_ARGS_TRIXIE}\"")


def t1(ctx):
    """Debian 13 with memranged: 0 reloads where the image kdump-tools
    loaded reads crash_hotplug = 1, one otherwise; nothing run by
    kdump-tools' rule; the dump covers both DIMMs."""
    disk = guest.fresh_disk(ctx.images["memranged"], ctx.outdir)
    with ctx.boot(disk) as m:
        guest.wait_kdump_loaded(m)
        ch = guest.crash_hotplug(m)
        ctx.note(f"after kdump-tools' load: crash_hotplug memory={ch['memory']} cpu={ch['cpu']}; "
                 f"kdump-tools: {kdump_tools_load(ctx, m)}")
        before = len(guest.kdump_config_lines(m))
        new, _ = memranged_hotplug(ctx, m, 2, reloads=0 if ch["memory"] == "1" else 1)
        m.run("udevadm settle --timeout=120")
        runs = len(guest.kdump_config_lines(m)) - before
        ctx.note(f"kdump-tools' rule ran kdump-config {runs} time(s) during the hot-add")
        assert runs == 0, f"kdump-tools' rule ran kdump-config {runs} times while memranged ran"
        after = guest.crash_hotplug(m)
        ctx.note(f"after the hot-add: crash_hotplug memory={after['memory']} cpu={after['cpu']}")
        set_makedump_args(ctx, m)
        d = crash_and_read_dump(ctx, m)
        assert_dimms_in_dump(ctx, d, new)
    return "Debian 13 with memranged: the dump holds both DIMMs"


def t2(ctx):
    """Stock Debian 13 without memranged: what kdump-tools' rule does on a
    hot-add of 2 DIMMs, and what the dump then holds. Asserted: the rule
    ran for every onlined block, a crash kernel is loaded afterwards, and
    the dump holds the DIMMs exactly when the loaded image reads
    crash_hotplug = 1 (the kernel updated it) or a try-reload succeeded."""
    disk = guest.fresh_disk(ctx.images["stock"], ctx.outdir)
    with ctx.boot(disk) as m:
        assert m.run("test -e /usr/sbin/memranged", check=False)[0] != 0, "memranged is installed"
        guest.wait_kdump_loaded(m)
        ch = guest.crash_hotplug(m)
        ctx.note(f"after kdump-tools' load: crash_hotplug memory={ch['memory']} cpu={ch['cpu']}; "
                 f"kdump-tools: {kdump_tools_load(ctx, m)}")
        new, lines, failed = stock_hotplug(ctx, m, settle=180)
        after = guest.crash_hotplug(m)
        ctx.note(f"after the hot-add: crash_hotplug memory={after['memory']} cpu={after['cpu']}")
        assert lines, "kdump-tools' rule ran no kdump-config for the hot-added blocks"
        loaded = guest.out(m, "cat /sys/kernel/kexec_crash_loaded").strip()
        assert loaded == "1", "no crash kernel loaded after the hot-add"
        reloaded = len(lines) > len(failed)
        set_makedump_args(ctx, m)
        d = crash_and_read_dump(ctx, m)
    held, total = dimm_coverage(d, new)
    ctx.note(f"dump holds {held} of the DIMMs' {total} pages")
    expect = total if (after["memory"] == "1" or reloaded) else 0
    assert held == expect, (f"the dump holds {held} of {total} pages; expected {expect} "
                            f"(crash_hotplug {after['memory']}, try-reloads succeeded: {reloaded})")
    return "stock Debian 13: " + ("the DIMMs are in the dump" if held else "the DIMMs are lost")


SCENARIOS = {
    # name: (function, title, time limit in s, release)
    "S1": (s1, "2 x 1 GiB with memranged as installed, kernel text above 512 MiB", 1200, "bookworm"),
    "S2": (s2, "negative control: stock kdump-tools without memranged, 2 x 1 GiB", 420, "bookworm"),
    "S3": (s3, f"storm: {S3_DIMMS} x 1 GiB with memranged", 600, "bookworm"),
    "S4": (s4, "fail-safe: kdump-tools' rule in force while memranged is stopped", 300, "bookworm"),
    "S5": (s5, "memranged.service under systemd", 300, "bookworm"),
    "S6": (package_lifecycle, "the package: apt install, upgrade, remove, purge", 900, "bookworm"),
    "T1": (t1, "Debian 13: 2 x 1 GiB with memranged", 900, "trixie"),
    "T2": (t2, "Debian 13: stock kdump-tools without memranged, 2 x 1 GiB", 900, "trixie"),
    "T3": (package_lifecycle, "Debian 13, the package: apt install, upgrade, remove, purge", 900, "trixie"),
}
