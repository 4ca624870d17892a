#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""End-to-end tests on Debian's arm64 and ppc64le kernels under QEMU TCG
(issue 14). One invocation runs one scenario of vmtest_arch_scenarios.py:

  vmtest_arch.py --scenario NAME --build-dir DIR --cross-build DIR \
                 --memrangectl EXE --capture-sysroot SCRIPT [--time-limit S]

--cross-build is the cross build tree of the guest's architecture
(build-aarch64, build-ppc64le: tools/dev.sh makes them); memranged,
memrangectl and the static vmcore-phdrs are taken from it, --memrangectl is
the host's, for `crash-ranges` over the guest's saved sysroot. Packages
(the architecture's kernels, kexec-tools, busybox, the libraries kexec-tools
needs) are fetched into DIR/vm-cache; each run's images and logs go to
DIR/vm-out/NAME. Exit status as vmtest.py: 0 pass, 1 fail, 2 when something
needed could not be had (never a skip)."""

import argparse
import os
import signal
import sys

import vmtest_arch_scenarios as scenarios
import vmtest_fetch as fetch
from vmtest_dump import DumpError
from vmtest_machine import Deadline, run_reported


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scenario", required=True, choices=sorted(scenarios.SCENARIOS))
    p.add_argument("--build-dir", required=True)
    p.add_argument("--cross-build", required=True)
    p.add_argument("--memrangectl", required=True)
    p.add_argument("--capture-sysroot", required=True)
    p.add_argument("--time-limit", type=float, default=None)
    return p.parse_args()


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("SIGTERM: stopped by the test runner"))
    args = parse_args()
    spec = scenarios.SCENARIOS[args.scenario]
    outdir = os.path.join(args.build_dir, "vm-out", args.scenario)
    os.makedirs(outdir, exist_ok=True)
    limit = args.time_limit or spec.time_limit
    print(f"{args.scenario}: {spec.title} (time limit {limit:.0f} s)")
    try:
        kernel, initrd, firmware = scenarios.prepare(spec, args, outdir)
    except (fetch.FetchError, OSError) as e:
        print(f"ERROR: cannot prepare the guest: {e}")
        return 2
    deadline = Deadline(limit)
    ok, result = run_reported(
        lambda: scenarios.run(spec, kernel, initrd, firmware, outdir, deadline, args.memrangectl), deadline,
        outdir, ("control.log", "console.log", "memranged.log", "qemu.log"), errors=(DumpError,))
    if not ok:
        return 1
    print(f"PASS: {args.scenario} in {deadline.elapsed():.1f} s; {result}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
