# SPDX-License-Identifier: LGPL-2.1-or-later
"""The arm64 and ppc64le scenarios of issue 14 (see README.md).

arm64: `qemu-system-aarch64 -M virt -cpu cortex-a57`, direct kernel boot,
2 GiB plus a virtio-mem device (requested-size 0, grown over QMP with
qom-set) or a 1 GiB nvdimm, crashkernel=256M. QEMU describes an nvdimm
only in ACPI (NFIT), so that machine boots through the UEFI firmware of
package qemu-efi-aarch64 (-bios; the kernel still given with -kernel).
The virt machine has one UART, so the control line is the console itself
(ttyAMA0) with the kernel kept at loglevel=1.
ppc64le: `qemu-system-ppc64 -M pseries -cpu power9`, 2 GiB, pc-dimms
hot-added by DLPAR; console hvc0, control line hvc1.

Every scenario crashes the guest; its capture kernel prints the program
headers of /proc/vmcore and reads the first page of every segment
(vmcore-phdrs --read). What the dump must hold is computed from the guest's
/proc/iomem (and, on ppc64, the crash region in /chosen), independently of
libmemrange; `memrangectl crash-ranges` over the guest's saved sysroot is
the second check, as in the x86_64 suite."""

import base64
import gzip
import lzma
import os
import re
import struct
import subprocess
import time
from dataclasses import dataclass, field
from typing import Callable

import vmtest_dump as dump
import vmtest_fetch as fetch
import vmtest_guest as guest
import vmtest_initramfs as initramfs
from vmtest_machine import Deadline, GuestError, Machine
from vmtest_scenarios import Run, kdump, reloads, run_body

HERE = os.path.dirname(os.path.abspath(__file__))
GIB = 1 << 30
PT_LOAD = 1
DROPS = "dump-drops-driver-managed-ram"


@dataclass
class Arch:
    name: str
    qemu: list
    triplet: str
    deb: str                 # Debian architecture
    kernels: dict            # series -> (apt-cache prefix, package regex, image regex in boot/)
    console_args: list       # the serial ports: console and control line
    ctl: str                 # the control line in the guest
    cmdline: str             # the first kernel's
    capture_cmdline: str
    kexec_libs: tuple = ()   # packages with libraries kexec-tools needs, beyond the cross -dev ones
    modules: dict = field(default_factory=dict)  # (device, series) -> modules to insmod, in order


ARM64 = Arch(
    name="arm64",
    qemu=["qemu-system-aarch64", "-M", "virt", "-cpu", "cortex-a57"],
    triplet="aarch64-linux-gnu",
    deb="arm64",
    kernels={
        "6.1": ("linux-image-6.1.0-", r"linux-image-6\.1\.0-[0-9]+-arm64-unsigned", r"vmlinuz-.*"),
        "6.12": ("linux-image-6.12.", r"linux-image-6\.12\.[0-9]+\+deb12-arm64-unsigned", r"vmlinuz-.*"),
    },
    console_args=["-serial", "chardev:ctl"],
    ctl="/dev/ttyAMA0",
    cmdline="console=ttyAMA0 loglevel=1 crashkernel=256M panic=1 memhp_default_state=online "
            "vmtest.ctl=/dev/ttyAMA0",
    capture_cmdline="console=ttyAMA0 loglevel=1 reset_devices nr_cpus=1 panic=1 vmtest.ctl=/dev/ttyAMA0 "
                    "vmtest.read=1",
    kexec_libs=("libxenmisc4.17", "libxencall1", "libxendevicemodel1", "libxenevtchn1",
                "libxenforeignmemory1", "libxengnttab1", "libxenhypfs1", "libxenstore4", "libxentoollog1",
                "libyajl2", "libfdt1", "libext2fs2", "libxentoolcore1", "zlib1g", "libuuid1", "libcom-err2"),
    modules={("virtio-mem", "6.1"): ("virtio_pci_modern_dev", "virtio_pci_legacy_dev", "virtio_pci",
                                     "virtio_mem"),
             ("virtio-mem", "6.12"): ("virtio_mem",),
             # The NFIT's bus, the dax bus's two drivers and the nd one
             # that creates dax devices on a namespace (no nd_pmem: the
             # namespace must stay unclaimed to become devdax).
             ("nvdimm", "6.12"): ("libnvdimm", "nfit", "device_dax", "dax_pmem", "kmem")},
)

PPC64LE = Arch(
    name="ppc64le",
    qemu=["qemu-system-ppc64", "-M", "pseries", "-cpu", "power9"],
    triplet="powerpc64le-linux-gnu",
    deb="ppc64el",
    kernels={
        "6.1": ("linux-image-6.1.0-", r"linux-image-6\.1\.0-[0-9]+-powerpc64le", r"vmlinux-.*"),
        "6.12": ("linux-image-6.12.", r"linux-image-6\.12\.[0-9]+\+deb12-powerpc64le", r"vmlinux-.*"),
    },
    console_args=None,  # set in machine(): console.log, then the control line
    ctl="/dev/hvc1",
    cmdline="console=hvc0 crashkernel=256M panic=1 memhp_default_state=online vmtest.ctl=/dev/hvc1",
    capture_cmdline="console=hvc0 loglevel=4 reset_devices nr_cpus=1 panic=1 vmtest.ctl=/dev/hvc1 vmtest.read=1",
)


@dataclass
class Spec:
    title: str
    arch: Arch
    kernel: str
    daemon: bool
    body: Callable
    time_limit: float = 300
    load: str = "kexec_load"
    device: str = ""         # the hotplug device: "virtio-mem", "nvdimm"
    conf: str = ""           # more lines for memranged.conf's [Kdump]

    def memranged_conf(self):
        return ("# Written by tests/vm: reload kdump with the image init loaded.\n"
                "[Kdump]\nMode=kexec\nKernel=/boot/vmlinuz\nInitrd=/boot/capture.img\n"
                f"CommandLine={self.arch.capture_cmdline}\n" + self.conf)


# ---- images ------------------------------------------------------------------

def _readelf(arch, binary, option):
    try:
        return subprocess.run([f"{arch.triplet}-readelf", option, binary], capture_output=True, text=True,
                              check=True).stdout
    except (FileNotFoundError, subprocess.CalledProcessError) as e:
        raise fetch.FetchError(f"{arch.triplet}-readelf {option} {binary}: {e} (crossbuild-essential-{arch.deb})")


def guest_libraries(arch, binary, search):
    """{guest path: host file} of the dynamic loader and every library
    @binary needs, recursively, looked up in @search (directories, in
    order): host ldd cannot read a foreign binary."""
    out, todo, seen = {}, [binary], set()
    while todo:
        b = todo.pop()
        m = re.search(r"Requesting program interpreter: (\S+)\]", _readelf(arch, b, "-l"))
        if m and m.group(1) not in out:
            out[m.group(1)] = os.path.realpath(m.group(1))
        for name in re.findall(r"\(NEEDED\)\s+Shared library: \[(\S+)\]", _readelf(arch, b, "-d")):
            if name in seen:
                continue
            seen.add(name)
            found = next((os.path.join(d, name) for d in search if os.path.exists(os.path.join(d, name))), None)
            if not found:
                raise fetch.FetchError(f"{binary}: library {name} not found in {search}")
            out.setdefault(f"/usr/lib/{arch.triplet}/{name}", os.path.realpath(found))
            todo.append(found)
    return out


def _module_index(root):
    idx = {}
    for d, _, files in os.walk(os.path.join(root, "lib", "modules")):
        for f in files:
            if f.endswith((".ko", ".ko.xz")):
                idx[f.split(".ko")[0].replace("-", "_")] = os.path.join(d, f)
    return idx


def _module_bytes(path):
    with open(path, "rb") as f:
        data = f.read()
    # busybox insmod passes the buffer to init_module: give it plain ELF.
    return lzma.decompress(data) if path.endswith(".xz") else data


def _kernel_bytes(path):
    with open(path, "rb") as f:
        data = f.read()
    # Debian's arm64 vmlinuz is a gzipped Image; QEMU and kexec-tools both
    # take the plain one.
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def base_image(init, busybox, host_busybox):
    """initramfs._base() for a foreign busybox, which cannot run here to
    list its applets: the host's busybox-static of the same Debian release
    (the same configuration) lists them."""
    a = initramfs.Archive()
    for d in ("proc", "sys", "dev", "run", "tmp", "etc", "root"):
        a.add_dir(d)
    a.add_chardev("dev/console", 5, 1)
    a.add_file("bin/busybox", busybox, 0o755)
    applets = subprocess.run([host_busybox, "--list-full"], capture_output=True, text=True, check=True).stdout
    for applet in applets.split():
        if applet != "bin/busybox":
            a.add_symlink(applet, "../" * applet.count("/") + "bin/busybox")
    a.add_file("init", init, 0o755)
    return a


def prepare(spec, args, outdir):
    """Fetches what the guest needs and builds the capture and first
    initramfs; returns (kernel image on the host, first initramfs, UEFI
    firmware or None when the machine boots without one)."""
    arch = spec.arch
    cache = os.path.join(args.build_dir, "vm-cache")
    with fetch.cache_lock(cache):
        prefix, pattern, image = arch.kernels[spec.kernel]
        package = fetch.newest_package(prefix, pattern, cache)
        root = fetch.unpacked(package, cache)
        kernel = fetch.find_one(root, "boot", image)
        busybox = fetch.find_one(fetch.unpacked(f"busybox-static:{arch.deb}", cache), "bin", r"busybox")
        host_busybox = fetch.busybox(cache)
        kexec = fetch.find_one(fetch.unpacked(f"kexec-tools:{arch.deb}", cache), "sbin", r"kexec")
        lib_roots = [fetch.unpacked(f"{p}:{arch.deb}", cache) for p in arch.kexec_libs]
        firmware = None
        if spec.device == "nvdimm":
            firmware = fetch.find_one(fetch.unpacked("qemu-efi-aarch64", cache), "usr/share/qemu-efi-aarch64",
                                      r"QEMU_EFI\.fd")
    print(f"kernel: {package}")
    cross = os.path.abspath(args.cross_build)
    exes = {name: os.path.join(cross, sub) for name, sub in (
        ("memranged", "daemon/memranged"), ("memrangectl", "cli/memrangectl"),
        ("vmcore-phdrs", "tests/vm/vmcore-phdrs"))}
    for name, path in exes.items():
        if not os.path.isfile(path):
            raise fetch.FetchError(f"{path} not found: cross-build {arch.name} first (tools/dev.sh test does)")
    search = [os.path.join(cross, "lib")]
    for r in lib_roots:
        search += [os.path.join(r, "lib", arch.triplet), os.path.join(r, "usr", "lib", arch.triplet)]
    search += [f"/lib/{arch.triplet}", f"/usr/lib/{arch.triplet}"]
    kernel_data = _kernel_bytes(kernel)
    modules = []
    if spec.device:
        idx = _module_index(root)
        for name in arch.modules[spec.device, spec.kernel]:
            if name not in idx:
                raise fetch.FetchError(f"module {name} not in {package}")
            modules.append((f"{name}.ko", _module_bytes(idx[name])))

    init = os.path.join(HERE, "init")
    capture = base_image(init, busybox, host_busybox)
    capture.add_file("bin/vmcore-phdrs", exes["vmcore-phdrs"], 0o755)
    capture_path = os.path.join(outdir, "capture.img")
    capture.write_gzip(capture_path)

    a = base_image(init, busybox, host_busybox)
    a.add_file("bin/vmcore-phdrs", exes["vmcore-phdrs"], 0o755)
    for path, binary in (("sbin/kexec", kexec), ("usr/sbin/memranged", exes["memranged"]),
                         ("usr/bin/memrangectl", exes["memrangectl"])):
        a.add_file(path, binary, 0o755)
        for guest_path, host in guest_libraries(arch, binary, search).items():
            a.add_file(guest_path, host, 0o755)
    a.add_file("bin/capture-sysroot", args.capture_sysroot, 0o755)
    a.add_data("boot/vmlinuz", kernel_data)
    a.add_file("boot/capture.img", capture_path, 0o644)
    a.add_data("etc/vmtest/capture-cmdline", arch.capture_cmdline.encode() + b"\n")
    a.add_data("etc/memranged.conf", spec.memranged_conf().encode())
    if modules:
        for name, data in modules:
            a.add_data(f"lib/vmtest-modules/{name}", data)
        a.add_data("etc/vmtest/modules", " ".join(n for n, _ in modules).encode() + b"\n")
    first = os.path.join(outdir, "initrd.img")
    a.write_gzip(first)
    kernel_path = os.path.join(outdir, "kernel")
    with open(kernel_path, "wb") as f:
        f.write(kernel_data)
    return kernel_path, first, firmware


# ---- the machine -------------------------------------------------------------

def machine(spec, kernel, initrd, firmware, outdir, deadline):
    arch = spec.arch
    append = f"{arch.cmdline} vmtest.load={spec.load} vmtest.daemon={int(spec.daemon)}"
    m = Machine(outdir, kernel, initrd, append, deadline, memory="2G,slots=4,maxmem=8G")
    cmd = m.cmd
    # Machine builds an x86_64 command line: swap the emulator and the ports.
    cmd[0:1] = arch.qemu
    first_serial = cmd.index("-serial")
    del cmd[first_serial:first_serial + 2]          # the console file
    ctl_serial = cmd.index("-serial")
    if arch.console_args is not None:
        cmd[ctl_serial:ctl_serial + 2] = arch.console_args
    else:
        cmd[ctl_serial:ctl_serial] = ["-serial", f"file:{m.console_log}"]
    if spec.device == "virtio-mem":
        cmd += ["-object", "memory-backend-ram,id=vmem0,size=4G",
                "-device", "virtio-mem-pci,id=vm0,memdev=vmem0,requested-size=0"]
    if spec.device == "nvdimm":
        cmd[cmd.index("virt")] = "virt,nvdimm=on"
        cmd += ["-bios", firmware,
                "-object", "memory-backend-ram,id=nvmem0,size=1G",
                "-device", "nvdimm,id=nv0,memdev=nvmem0"]
    return m


# ---- scenario helpers ----------------------------------------------------------

class ArchRun(Run):
    def crash(self, command="echo c > /proc/sysrq-trigger"):
        """Crashes the guest; returns the program headers the capture
        kernel read and its page reads ({phdr index: bytes or error})."""
        lines = self.capture(command, ("VMCORE", "PH ", "NOTE "))
        phdrs = dump.parse_phdrs(lines)
        reads = {}
        for line in lines:
            m = re.fullmatch(r"VMCORE-READ (\d+) paddr=\S+ (bytes=(\d+)|error=(.*))", line)
            if m:
                reads[int(m.group(1))] = int(m.group(3)) if m.group(3) else m.group(4)
        return phdrs, reads


def loads_of(phdrs):
    return [p for p in phdrs if p[1] == PT_LOAD]


def phdr_lines(phdrs, start, end):
    """The PT_LOAD lines that touch [start, end], as printed."""
    return [f"paddr={p[2]:#x}-{p[5]:#x} vaddr={p[3]:#x}" for p in loads_of(phdrs)
            if p[2] <= end and p[5] >= start]


def grow_virtio_mem(r, total, steps=1):
    """Grows the virtio-mem device to @total bytes in @steps QMP calls sent
    back to back (a storm: the driver plugs each step while the next one
    arrives); waits until the guest's iomem shows all of it."""
    t0 = time.monotonic()
    for i in range(1, steps + 1):
        r.m.qmp_command("qom-set", path="/machine/peripheral/vm0", property="requested-size",
                        value=total * i // steps)

    def check():
        io = guest.iomem(r.m)
        got = [(s, e) for _, s, e, name in io if name == "System RAM (virtio_mem)"]
        size = sum(e - s + 1 for s, e in got)
        return size == total, dump.merged(got) if size == total else f"{size} bytes of virtio_mem RAM"
    new = guest.poll(r.m, f"{total} bytes of System RAM (virtio_mem)", check)
    r.note(f"virtio-mem grown to {total >> 20} MiB in {steps} step(s), settled in {time.monotonic() - t0:.1f} s")
    return new


def online_dax_kmem(r):
    """Turns the nvdimm's label-less namespace into a devdax device and
    hands that to kmem, through sysfs as `ndctl create-namespace -m devdax`
    and `daxctl reconfigure-device -m system-ram` would: the nd dax seed
    takes the namespace, a uuid and mode=pmem (its memmap kept on the
    nvdimm; issue 14 saw dax_pmem's probe fail with ENODEV without them) and
    is bound to dax_pmem; the dax device that makes, bound to device_dax,
    moves to kmem, which adds it as driver-managed memory (onlined:
    memhp_default_state=online). Waits until the guest's iomem shows it as
    System RAM (kmem) with every memory block online; returns those
    ranges."""
    t0 = time.monotonic()
    nd = "/sys/bus/nd/devices"
    r.m.run(f"dax=$(cat {nd}/region0/dax_seed) && echo namespace0.0 > {nd}/$dax/namespace && "
            f"cat /proc/sys/kernel/random/uuid > {nd}/$dax/uuid && echo pmem > {nd}/$dax/mode && "
            f"echo $dax > /sys/bus/nd/drivers/dax_pmem/bind")
    _, dev = r.m.run("ls /sys/bus/dax/drivers/device_dax | grep '^dax'")
    dev = dev.strip()
    r.m.run(f"echo {dev} > /sys/bus/dax/drivers/device_dax/unbind && echo {dev} > /sys/bus/dax/drivers/kmem/new_id")

    def check():
        io = guest.iomem(r.m)
        got = [(s, e) for _, s, e, name in io if name == "System RAM (kmem)"]
        offline = sorted(i for i, st in guest.blocks(r.m).items() if st != "online")
        done = bool(got) and not offline
        return done, dump.merged(got) if done else f"kmem RAM {got}, offline blocks {offline}"
    new = guest.poll(r.m, "System RAM (kmem) in /proc/iomem, every block online", check)
    r.note(f"{dev} onlined by kmem: {[f'{s:#x}-{e:#x}' for s, e in new]} "
           f"({sum(e - s + 1 for s, e in new) >> 20} MiB) in {time.monotonic() - t0:.1f} s")
    return new


def wait_current(r, new, state="up to date"):
    def check():
        st = guest.status(r.m)
        kd = kdump(st)
        ram = [(s, e) for s, e, t, _ in guest.table(r.m) if t == "ram"]
        done = (all(dump.covers(ram, s, e) for s, e in new) and not st["daemon"]["uevents"]["pending"]
                and kd["state"] == state)
        return done, st if done else f"kdump {kd['state']}, generation {st['daemon']['generation']}"
    st = guest.poll(r.m, f"memranged to report kdump {state} for a table with the new memory", check)
    r.note(f"memranged: kdump {kdump(st)['state']}, reloads {kdump(st)['reloads']}")
    return st


def check_reads(r, phdrs, reads):
    """Every PT_LOAD's first page was read in the capture kernel."""
    for p in loads_of(phdrs):
        got = reads.get(p[0])
        assert isinstance(got, int) and got > 0, (
            f"PT_LOAD {p[0]} paddr={p[2]:#x}: the capture kernel could not read it ({got})")
    r.note(f"first page of all {len(loads_of(phdrs))} PT_LOADs read in the capture kernel")


# ---- arm64 ---------------------------------------------------------------------

def arm64_expected(iomem, driver_managed):
    """kexec-tools on arm64: lines named exactly "System RAM" (with
    memranged's view: every System RAM line, driver-managed included),
    minus the Crash kernel."""
    ram = [(s, e) for _, s, e, n in iomem if n == "System RAM" or (driver_managed and n.startswith("System RAM"))]
    return dump.merged(dump._subtract(ram, dump.crash_lines(iomem)))


def arm64_ram_loads(phdrs):
    """The RAM PT_LOADs: the kernel text one (vaddr in the kernel image's
    half, paddr inside RAM it also maps) is the first."""
    loads = loads_of(phdrs)
    return [(p[2], p[5]) for p in loads[1:]], loads[0]


def arm64_virtio_mem(r, steps=1):
    """arm64_hotplug() of a virtio-mem device grown by 1 GiB."""
    return arm64_hotplug(r, lambda r: grow_virtio_mem(r, GIB, steps))


def arm64_hotplug(r, add, plain_reload=False):
    """add(r) hot-adds driver-managed memory and returns its ranges.
    memranged reloads once for it; the new memory is dumped and readable,
    the rest of the dump as before; without memranged (negative control)
    it is missing, also after a plain `kexec -p` reload when
    @plain_reload. On 6.1 (no _text in kallsyms) the image init loaded at
    boot is unreadable: memranged reloads it at startup, and the kernel
    text segment is checked as well."""
    text_want = None
    baseline = 0
    if r.spec.kernel == "6.1":
        text_want = kallsyms_text(r)
    if r.spec.daemon:
        st = wait_current(r, [])
        baseline = reloads(r, st)
        assert baseline == (1 if r.spec.kernel == "6.1" else 0), f"{baseline} reloads at startup"
    before = guest.iomem(r.m)
    new = add(r)
    if r.spec.daemon:
        st = wait_current(r, new)
        count = reloads(r, st) - baseline
        assert count == 1, f"memranged reloaded {count} times for the new memory, expected 1"
        # verify's dump-drops finding judges an image built from the
        # kernel's files: memranged's own image dumps the memory.
        assert DROPS not in guest.finding_codes(r.m), f"memranged still reports {DROPS} for its own image"
        assert DROPS in guest.finding_codes(r.m, offline=True), f"no {DROPS} from the kernel files"
    elif plain_reload:
        # What kdump-tools' rule would do, had udevd run it: kexec-tools
        # sees the new line and still leaves it out.
        r.m.run('kexec -p /boot/vmlinuz --initrd=/boot/capture.img --append="$(cat /etc/vmtest/capture-cmdline)"')
        r.note("kdump reloaded with a plain kexec -p")
        count = 0
    else:
        time.sleep(2)
        count = 0
    if not r.spec.daemon:
        assert DROPS in guest.finding_codes(r.m, offline=True), f"no {DROPS} from the kernel files"
    r.save_guest_state("after")
    if text_want is not None:
        save_kernel_symbols(r)  # into the sysroot just saved
    after = guest.iomem(r.m)
    phdrs, reads = r.crash()
    loads, text = arm64_ram_loads(phdrs)
    lines = [f"{s:#x}-{e:#x}" for s, e in new]
    found = phdr_lines(phdrs, new[0][0], new[-1][1])
    r.note(f"PT_LOADs over the new memory {lines}: {found or 'none'}")
    r.note(f"kernel text PT_LOAD vaddr={text[3]:#x} paddr={text[2]:#x} memsz={text[4]:#x}")
    if r.spec.daemon:
        check_reads(r, phdrs, reads)
        if text_want is not None:
            assert text[3] == text_want and text[4] < 256 << 20, (
                f"kernel text PT_LOAD vaddr {text[3]:#x} memsz {text[4]:#x}, _text is {text_want:#x}")
        assert dump.merged(loads) == arm64_expected(after, True), (
            f"dump:\n{dump.fmt(loads)}\nexpected:\n{dump.fmt(arm64_expected(after, True))}")
        for s, e in new:
            assert dump.covers(loads, s, e), f"{s:#x}-{e:#x} missing from the dump"
        # The rest of the dump is what it was before the growth.
        rest = dump.merged(dump._subtract(loads, new))
        assert rest == arm64_expected(before, True), f"the rest of the dump changed:\n{dump.fmt(rest)}"
        r.library_agrees(loads, "memranged-arm64")
        return f"reloads for the new memory={count} (at startup {baseline}), new memory dumped: {found}"
    for s, e in new:
        assert not any(ls <= e and le >= s for ls, le in loads), f"{s:#x}-{e:#x} in the dump without memranged"
    assert dump.merged(loads) == arm64_expected(after, False)
    r.library_agrees(loads, "kexec-tools-arm64")
    r.library_agrees(loads, "memranged-arm64", missing=new)
    return f"without memranged the new memory {lines} is missing from the dump, as expected"


def kcore_segments(data):
    """(vaddr, paddr, offset, memsz) of the PT_LOADs in /proc/kcore's first
    bytes (ELF64, little-endian)."""
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    segs = []
    for i in range(phnum):
        p_type, _, offset, vaddr, paddr, _, memsz, _ = struct.unpack_from("<IIQQQQQQ", data, phoff + i * phentsize)
        if p_type == PT_LOAD:
            segs.append((vaddr, paddr, offset, memsz))
    return segs


def save_kernel_symbols(r):
    """kallsyms' _stext/_text/_end lines and the first 32 KiB of /proc/kcore
    (its headers and notes) into the saved sysroot: what memrange_kallsyms_view()
    reads, for the unit tests' captured fixtures."""
    _, sym = r.m.run("grep -E ' (_text|_stext|_etext|_end)$' /proc/kallsyms")
    _, kcore = r.m.run("head -c 32768 /proc/kcore | base64")
    proc = os.path.join(r.outdir, "root", "proc")
    os.makedirs(proc, exist_ok=True)
    with open(os.path.join(proc, "kallsyms"), "w") as f:
        f.write(sym.strip() + "\n")
    data = base64.b64decode("".join(kcore.split()))
    with open(os.path.join(proc, "kcore"), "wb") as f:
        f.write(data)
    return sym, data


def kallsyms_text(r):
    """_text as it must be, from what the kernel states apart from kcore's
    program headers: kallsyms' _stext, and kimage_voffset (virtual minus
    physical address of the kernel image) from the VMCOREINFO note at the
    start of /proc/kcore; the arm64 boot protocol loads the image at a 2 MiB
    aligned physical address and _stext lies less than 2 MiB above it, so
    _text = kimage_voffset + (_stext - kimage_voffset rounded down to 2 MiB).
    Fails if this kernel lists _text (nothing to prove)."""
    sym, data = save_kernel_symbols(r)
    r.note(f"kallsyms: {sym.strip()!r}")
    assert " _text" not in sym, "this 6.1 kernel lists _text: the scenario proves nothing"
    stext = int(next(line.split()[0] for line in sym.splitlines() if line.endswith(" _stext")), 16)
    m = re.search(rb"NUMBER\(kimage_voffset\)=(0x[0-9a-f]+|[0-9]+)", data)
    assert m, "no NUMBER(kimage_voffset) in /proc/kcore's notes"
    voffset = int(m.group(1), 0)
    text = voffset + ((stext - voffset) & ~((2 << 20) - 1))
    r.note(f"kimage_voffset {voffset:#x}: _text must be {text:#x} ({stext - text:#x} below _stext)")
    return text


def arm64_61_text(r):
    """6.1 has no _text in kallsyms. memranged reloads the image init
    loaded at boot (kexec-tools then found no _text) with its view: the
    kernel text PT_LOAD's vaddr is _text (from kimage_voffset, see
    kallsyms_text()), RAM segments have linear-map
    addresses and every segment is readable. Without memranged (negative
    control) kexec-tools' header is the broken one."""
    text_want = kallsyms_text(r)
    r.save_sysroot()
    save_kernel_symbols(r)
    if r.spec.daemon:
        # One reload: the boot image (kexec -p from init) is the broken one.
        st = wait_current(r, [])
        count = reloads(r, st)
        assert count == 1, f"memranged reloaded {count} times, expected 1 (its view of kallsyms)"
    phdrs, reads = r.crash()
    text = loads_of(phdrs)[0]
    r.note(f"kernel text PT_LOAD vaddr={text[3]:#x} paddr={text[2]:#x} memsz={text[4]:#x}")
    if r.spec.daemon:
        assert text[4] < 256 << 20, f"kernel text PT_LOAD of {text[4]:#x} bytes"
        assert text[3] == text_want, f"kernel text vaddr {text[3]:#x}, _text is {text_want:#x}"
        for p in loads_of(phdrs)[1:]:
            assert p[3] != p[2], f"RAM PT_LOAD at {p[2]:#x} has vaddr = paddr"
        check_reads(r, phdrs, reads)
        return f"reloads={count}; kernel text vaddr {text[3]:#x} memsz {text[4]:#x}; every segment readable"
    assert text[4] > 1 << 40 or any(p[3] == p[2] for p in loads_of(phdrs)[1:]), (
        f"kexec -p without _text wrote a sane header: {text}")
    return f"without memranged: kernel text PT_LOAD memsz {text[4]:#x}, RAM vaddr = paddr, as the issue saw"


# ---- ppc64le ---------------------------------------------------------------------

def ppc64_crash_region(m):
    _, out = m.run("for p in base size; do od -A n -t x1 -v /proc/device-tree/chosen/linux,crashkernel-$p | "
                   "tr -d ' \\n'; echo; done")
    base, size = (int(x, 16) for x in out.split())
    return base, base + size - 1


def ppc64_dimms(r, dimms):
    """DLPAR pc-dimm hot-add: memranged reloads once (on 6.12 its view reads
    linux,memory-limit as 0), the LMBs are dumped and readable; without
    memranged the 6.12 dump lacks them."""
    limit = r.m.run("od -A n -t x1 -v /proc/device-tree/chosen/linux,memory-limit | tr -d ' \\n'; echo",
                    check=False)[1].strip()
    r.note(f"linux,memory-limit = 0x{limit or '(absent)'}")
    before, after, new = r.hot_add(dimms)
    crash = ppc64_crash_region(r.m)
    if r.spec.daemon:
        st = wait_current(r, new)
        count = reloads(r, st)
        assert count == 1, f"memranged reloaded {count} times, expected 1"
    else:
        count = 0
    r.save_guest_state("after")
    phdrs, reads = r.crash()
    loads = [(p[2], p[5]) for p in loads_of(phdrs)]
    check_reads(r, phdrs, reads)
    span = (min(s for s, _ in new), max(e for _, e in new))
    found = phdr_lines(phdrs, *span)
    r.note(f"PT_LOADs over the new memory {span[0]:#x}-{span[1]:#x}: {found or 'none'}")
    if r.spec.daemon:
        for s, e in new:
            assert dump.covers(loads, s, e), f"LMB {s:#x}-{e:#x} missing from the dump"
        # kexec-tools adds the RTAS page from inside the crash region (not
        # part of libmemrange's ranges): compared without it.
        outside = [(s, e) for s, e in loads if not (s >= crash[0] and e <= crash[1])]
        r.note(f"crash region {crash[0]:#x}-{crash[1]:#x}; PT_LOADs inside it: "
               f"{[f'{s:#x}-{e:#x}' for s, e in loads if (s, e) not in outside]}")
        r.library_agrees(outside, "memranged-ppc64")
        return f"reloads={count}, LMBs dumped: {found}"
    for s, e in new:
        assert not dump.covers(loads, s, e), f"LMB {s:#x}-{e:#x} dumped without memranged"
    return f"without memranged the LMBs {span[0]:#x}-{span[1]:#x} are missing from the dump, as expected"


# ppc64le 6.12 has CRASH_HOTPLUG, so LoadMethod=auto tries kexec_file_load
# first: with Debian 12's kexec-tools 2.0.25 that fails (exit status 253),
# then --hotplug (unknown to 2.0.25, status 1), then kexec_load works: two
# failed attempts per reload. The scenarios load as kdump-tools does.
KEXEC_LOAD = "LoadMethod=kexec_load\n"

SCENARIOS = {
    "arm64-612-virtio-mem": Spec("arm64 6.12: virtio-mem grown by 1 GiB, memranged", ARM64, "6.12", True,
                                 arm64_virtio_mem, device="virtio-mem"),
    "arm64-612-virtio-mem-none": Spec("arm64 6.12: virtio-mem grown, no memranged (negative control)", ARM64,
                                      "6.12", False, arm64_virtio_mem, device="virtio-mem"),
    "arm64-612-virtio-mem-storm": Spec("arm64 6.12: virtio-mem grown in 4 steps, memranged: one reload", ARM64,
                                       "6.12", True, lambda r: arm64_virtio_mem(r, steps=4), device="virtio-mem"),
    "arm64-612-dax-kmem": Spec("arm64 6.12 (UEFI, ACPI): nvdimm as devdax onlined by kmem, memranged", ARM64,
                               "6.12", True, lambda r: arm64_hotplug(r, online_dax_kmem), device="nvdimm"),
    "arm64-612-dax-kmem-none": Spec("arm64 6.12 (UEFI, ACPI): nvdimm onlined by kmem, kexec -p reload, "
                                    "no memranged (negative control)", ARM64, "6.12", False,
                                    lambda r: arm64_hotplug(r, online_dax_kmem, plain_reload=True),
                                    device="nvdimm"),
    "arm64-61-virtio-mem": Spec("arm64 6.1: virtio-mem grown by 1 GiB, memranged", ARM64, "6.1", True,
                                arm64_virtio_mem, device="virtio-mem"),
    "arm64-61-text": Spec("arm64 6.1, no hotplug: memranged's kallsyms view makes the dump readable", ARM64,
                          "6.1", True, arm64_61_text),
    "arm64-61-text-none": Spec("arm64 6.1, no hotplug, no memranged (negative control)", ARM64, "6.1", False,
                               arm64_61_text),
    "ppc64le-612-dimm": Spec("ppc64le 6.12: one pc-dimm, memranged", PPC64LE, "6.12", True,
                             lambda r: ppc64_dimms(r, 1), conf=KEXEC_LOAD),
    "ppc64le-612-dimm-none": Spec("ppc64le 6.12: one pc-dimm, no memranged (negative control)", PPC64LE, "6.12",
                                  False, lambda r: ppc64_dimms(r, 1)),
    "ppc64le-61-dimm": Spec("ppc64le 6.1: one pc-dimm, memranged", PPC64LE, "6.1", True,
                            lambda r: ppc64_dimms(r, 1)),
    "ppc64le-612-dimm-storm": Spec("ppc64le 6.12: three pc-dimms at once, memranged: one reload", PPC64LE, "6.12",
                                   True, lambda r: ppc64_dimms(r, 3), conf=KEXEC_LOAD),
}


def run(spec, kernel, initrd, firmware, outdir, deadline, memrangectl):
    with machine(spec, kernel, initrd, firmware, outdir, deadline) as m:
        return run_body(m, spec, outdir, memrangectl, ArchRun)
