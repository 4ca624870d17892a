#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""How long a real `kexec -p` takes: the reload time T of bench-daemon.py.

  measure-kexec-load.py --build DIR [--runs N] [--initrd-mib M]

This host's kernel has no crash kernel support (no
/sys/kernel/kexec_crash_size), so the load is timed inside a QEMU guest
booted the way tests/vm boots them (its Machine, init script and package
cache DIR/vm-cache): Debian 12's 6.1 kernel with crashkernel=256M, software
emulation (TCG, slower than hardware), kexec-tools from Debian 12. In the
guest, N times each:

  load          kexec -p /boot/vmlinuz --initrd=INITRD --append=...
                (kexec_load: kexec-tools reads the kernel and initrd,
                builds the ELF core header from /proc/iomem, hashes every
                segment for purgatory, the kernel copies them in)
  unload+load   kexec -p -u, then the same load: what Debian's
                `kdump-config reload` does for each matching uevent

once with tests/vm's small busybox capture initrd and once with an initrd
of M MiB of random bytes (kexec-tools does not look inside an initrd; its
cost is reading, hashing and copying the bytes), the size of a
kdump-tools initrd. Prints the median of each (the clock of the
guest, /proc/uptime: 10 ms) as RESULT lines like the other benchmarks.
"""
import argparse
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
VM = os.path.join(HERE, "..", "..", "tests", "vm")
sys.path.insert(0, VM)
import vmtest_fetch as fetch  # noqa: E402
import vmtest_initramfs as initramfs  # noqa: E402
import vmtest_scenarios as scenarios  # noqa: E402
from vmtest_machine import Deadline, Machine  # noqa: E402

MIB = 1 << 20


def images(cache, outdir, initrd_mib):
    """(kernel, first initramfs): kexec, the kernel to load, the small
    capture initrd and a large one of random bytes."""
    with fetch.cache_lock(cache):
        package, kernel = fetch.kernel_image("6.1", cache)
        busybox = fetch.busybox(cache)
        kexec = fetch.kexec(cache)
    print(f"# kernel {package}, kexec {kexec}", flush=True)
    init = os.path.join(VM, "init")
    small = os.path.join(outdir, "capture.img")
    initramfs._base(init, busybox).write_gzip(small)
    a = initramfs._base(init, busybox)
    initramfs.add_program(a, "sbin/kexec", kexec)
    a.add_file("boot/vmlinuz", kernel, 0o644)
    a.add_file("boot/capture.img", small, 0o644)
    a.add_data("boot/large.img", os.urandom(initrd_mib * MIB))
    a.add_data("etc/vmtest/capture-cmdline", scenarios.CAPTURE_CMDLINE.encode() + b"\n")
    first = os.path.join(outdir, "initrd.img")
    a.write_gzip(first)
    return kernel, first, os.path.getsize(small)


# Centiseconds since boot from /proc/uptime (busybox date has no %N).
UPTIME_CS = 'read up _ </proc/uptime; echo "${up%.*}${up#*.}"'


def timed(m, command):
    """Seconds @command took in the guest (10 ms resolution)."""
    _, out = m.run(f"t0=$({UPTIME_CS}); {command} >/dev/null 2>/run/kexec.err || "
                   f"{{ cat /run/kexec.err; exit 1; }}; t1=$({UPTIME_CS}); echo $((t1 - t0))")
    return int(out.strip().splitlines()[-1]) / 100


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--build", required=True, help="the meson build directory (for vm-cache)")
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--initrd-mib", type=int, default=24)
    args = p.parse_args()
    cache = os.path.join(args.build, "vm-cache")
    outdir = os.path.join(args.build, "bench-kexec")
    os.makedirs(outdir, exist_ok=True)
    kernel, first, small_size = images(cache, outdir, args.initrd_mib)
    append = f"{scenarios.FIRST_CMDLINE} vmtest.load=none vmtest.daemon=0"
    load = f"kexec -p /boot/vmlinuz --append='{scenarios.CAPTURE_CMDLINE}' --initrd="
    with Machine(outdir, kernel, first, append, Deadline(900)) as m:
        m.wait_for(r"^VMTEST READY$", "the guest's READY")
        _, size = m.run("cat /sys/kernel/kexec_crash_size")
        print(f"# guest: QEMU TCG, 1 GiB, crashkernel=256M (kexec_crash_size {size.strip()})", flush=True)
        for name, initrd, what in (("small", "/boot/capture.img", f"{small_size / MIB:.1f} MiB busybox initrd"),
                                   ("large", "/boot/large.img", f"{args.initrd_mib} MiB initrd")):
            loads, reloads = [], []
            for _ in range(args.runs):
                loads.append(timed(m, load + initrd))
                reloads.append(timed(m, f"kexec -p -u && {load}{initrd}"))
            for rid, label, values in ((f"kexec-load-{name}", "kexec -p", loads),
                                       (f"kexec-reload-{name}", "kexec -p -u; kexec -p", reloads)):
                print(f"RESULT\t{rid}\t3 T: {label}, {what} (TCG guest)\t-\t"
                      f"{statistics.median(values):.3f} s (median of {len(values)}; "
                      f"min {min(values):.3f}, max {max(values):.3f})\tINFO", flush=True)


if __name__ == "__main__":
    main()
