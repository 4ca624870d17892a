#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""System tests on a booted Debian 12 and 13 (issues 11 and 15; see
README.md). One invocation runs one scenario:

  systest.py --scenario S1..S6|T1..T3 --build-dir DIR --source-root SRC [--time-limit SECONDS]
  systest.py --rootfs RELEASE... --build-dir DIR

The second form only debootstraps and configures the releases' guest root
file systems into the cache (layer 1 of systest_image.py: the bulk of a cold
run, and independent of memranged's tree): tools/dev.sh starts it in the
background while it builds and runs the other suites.

The guest images are built and cached in DIR/cache (systest_image.py),
each scenario's disk, logs and dump go to DIR/out/SCENARIO. Exit status 0
on success, 1 on a failed assertion or timeout (with the logs' tails), 2
when the guest could not be built (never a skip: a package that cannot be
had fails the suite and is named)."""

import argparse
import os
import shutil
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# The QEMU machine, the control line, the apt/dpkg error type and the
# iomem helpers are tests/vm's.
sys.path.insert(0, os.path.join(HERE, "..", "vm"))

import systest_image as image  # noqa: E402
import systest_scenarios as scenarios  # noqa: E402
from vmtest_dump import DumpError  # noqa: E402
from vmtest_fetch import FetchError, cache_lock  # noqa: E402
from vmtest_machine import Deadline, run_reported  # noqa: E402


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--scenario", choices=sorted(scenarios.SCENARIOS))
    what.add_argument("--rootfs", nargs="+", choices=image.RELEASES, metavar="RELEASE")
    p.add_argument("--build-dir", required=True)
    p.add_argument("--source-root", help="memranged's source tree, built and installed into the guest")
    p.add_argument("--time-limit", type=float, default=None)
    args = p.parse_args()
    if args.scenario and not args.source_root:
        p.error("--scenario needs --source-root")
    return args


def prepare_rootfs(args):
    """Layer 1 of each release in @args.rootfs; exit status as main's."""
    cache = os.path.abspath(os.path.join(args.build_dir, "cache"))
    log = lambda text: print(text, flush=True)  # noqa: E731
    for release in args.rootfs:
        t0 = time.monotonic()
        try:
            with cache_lock(cache):
                image.remove_legacy(cache)
                root = image.rootfs(cache, release, log)
        except (FetchError, OSError) as e:
            print(f"ERROR: cannot build the {release} guest: {e}")
            return 2
        print(f"{release}: {root} ready after {time.monotonic() - t0:.0f} s", flush=True)
    return 0


def prepare(args, release):
    """The guest's kernel, initrd and disk images for @release (built when
    the cache lacks them), and the package files the guest holds."""
    cache = os.path.abspath(os.path.join(args.build_dir, "cache"))
    log = lambda text: print(text, flush=True)  # noqa: E731
    with cache_lock(cache):
        image.remove_legacy(cache)
        debs = image.debian_packages(cache, args.source_root, release, log)
        newer = image.debian_packages(cache, args.source_root, release, log,
                                      version=image.upgrade_version(args.source_root))
        root = image.rootfs(cache, release, log)
        images = {"stock": image.stock_image(cache, release, root, [*debs.values(), *newer.values()], log),
                  "memranged": image.memranged_image(cache, release, root, list(debs.values()), log)}
    kernel, initrd, version = image.kernel_files(root)
    print(f"guest kernel {version}; images {', '.join(os.path.basename(i) for i in images.values())}")
    packages = {"first": {k: os.path.basename(v) for k, v in debs.items()},
                "newer": {k: os.path.basename(v) for k, v in newer.items()}}
    return kernel, initrd, images, packages


def main():
    # meson's timeout sends SIGTERM: unwind so that QEMU is killed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("SIGTERM: stopped by the test runner"))
    args = parse_args()
    if args.rootfs:
        return prepare_rootfs(args)
    body, title, limit, release = scenarios.SCENARIOS[args.scenario]
    limit = args.time_limit or limit
    outdir = os.path.join(args.build_dir, "out", args.scenario)
    # Nothing of a previous run may pass for this one's (makedumpfile -R
    # also refuses to overwrite its output).
    shutil.rmtree(outdir, ignore_errors=True)
    os.makedirs(outdir)
    print(f"{args.scenario}: {title} on {release} (time limit {limit:.0f} s)", flush=True)
    try:
        kernel, initrd, images, packages = prepare(args, release)
    except (FetchError, OSError) as e:
        print(f"ERROR: cannot build the guest: {e}")
        return 2
    deadline = Deadline(limit)
    ctx = scenarios.Ctx(args.scenario, kernel, initrd, images, outdir, deadline)
    ctx.release, ctx.packages = release, packages
    ok, result = run_reported(lambda: body(ctx), deadline, outdir,
                              ("control.log", "console.log", "kdump-tools.log", "qemu.log"), errors=(DumpError,))
    # The scenario's disk (up to a few GiB with a Debian 13 dump) is kept
    # only to debug a failure, and not in CI, where nobody reads it and
    # the next scenarios need the space.
    if ok or os.environ.get("CI") == "true":
        remove_disk(outdir)
    if not ok:
        return 1
    print(f"PASS: {args.scenario} in {deadline.elapsed():.0f} s: {result}; " + "; ".join(ctx.notes))
    return 0


def remove_disk(outdir):
    disk = os.path.join(outdir, "disk.img")
    if os.path.exists(disk):
        os.unlink(disk)


if __name__ == "__main__":
    sys.exit(main())
