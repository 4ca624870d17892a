#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""End-to-end tests on real kernels in QEMU (issue 5, scenarios 1 to 6 in
vmtest_scenarios.py; issue 12, CPU hotplug in vmtest_cpu.py and memory
hot-remove and the load-method upgrade in vmtest_memory.py). One
invocation runs one scenario:

  vmtest.py --scenario N --build-dir DIR --memranged EXE --memrangectl EXE \
            --vmcore-phdrs EXE --capture-sysroot SCRIPT [--time-limit SECONDS]

Packages are fetched into DIR/vm-cache, each run's images and logs go to
DIR/vm-out/scenarioN. Exit status 0 on success, 1 on a failed assertion or
timeout (with what was awaited and the logs' tails), 2 when something the
tests need could not be had (never a skip: the suite must not pass
without running)."""

import argparse
import os
import signal
import sys

import vmtest_fetch as fetch
import vmtest_initramfs as initramfs
import vmtest_cpu
import vmtest_memory
import vmtest_scenarios as scenarios
from vmtest_dump import DumpError
from vmtest_machine import Deadline, run_reported

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIOS = {**scenarios.SCENARIOS, **vmtest_cpu.SCENARIOS, **vmtest_memory.SCENARIOS}


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scenario", required=True, choices=sorted(SCENARIOS, key=int))
    p.add_argument("--build-dir", required=True)
    p.add_argument("--memranged", required=True)
    p.add_argument("--memrangectl", required=True)
    p.add_argument("--vmcore-phdrs", required=True)
    p.add_argument("--capture-sysroot", required=True,
                   help="shared/tools/capture-sysroot.sh, run in the guest to save its sysroot")
    p.add_argument("--time-limit", type=float, default=None,
                   help="hard limit for the whole scenario (default: the scenario's own)")
    return p.parse_args()


def prepare(args, spec, outdir):
    """Fetches the packages and builds both initramfs images; returns the
    kernel image and the first kernel's initramfs."""
    cache = os.path.join(args.build_dir, "vm-cache")
    with fetch.cache_lock(cache):
        package, kernel = fetch.kernel_image(spec.kernel, cache)
        busybox = fetch.busybox(cache)
        kexec = fetch.kexec(cache)
    print(f"kernel: {package}")
    init = os.path.join(HERE, "init")
    capture = os.path.join(outdir, "capture.img")
    initramfs.capture_image(capture, init, busybox, args.vmcore_phdrs)
    first = os.path.join(outdir, "initrd.img")
    if not os.path.isfile(args.capture_sysroot):
        raise fetch.FetchError(f"{args.capture_sysroot} not found (shared/tools beside the fixtures)")
    initramfs.first_image(first, init, busybox, args.vmcore_phdrs, kexec, args.memranged,
                          args.memrangectl, args.capture_sysroot, kernel, capture,
                          scenarios.CAPTURE_CMDLINE, spec.memranged_conf())
    return kernel, first


def main():
    # meson's timeout sends SIGTERM: unwind so that QEMU is killed and the
    # logs are reported.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("SIGTERM: stopped by the test runner"))
    args = parse_args()
    spec = SCENARIOS[args.scenario]
    outdir = os.path.join(args.build_dir, "vm-out", f"scenario{args.scenario}")
    os.makedirs(outdir, exist_ok=True)
    limit = args.time_limit or spec.time_limit
    print(f"scenario {args.scenario}: {spec.title} (time limit {limit:.0f} s)")
    try:
        kernel, initrd = prepare(args, spec, outdir)
    except (fetch.FetchError, OSError) as e:
        print(f"ERROR: cannot prepare the guest: {e}")
        return 2
    deadline = Deadline(limit)
    ok, result = run_reported(
        lambda: scenarios.run(spec, kernel, initrd, outdir, deadline, args.memrangectl), deadline, outdir,
        ("control.log", "console.log", "memranged.log", "qemu.log"), errors=(DumpError,))
    if not ok:
        return 1
    print(f"PASS: scenario {args.scenario} in {deadline.elapsed():.1f} s; {result}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
