#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Figures 5 and 8: memrangectl against `lsmem --sysroot`, online and offline.

  bench-lsmem.py --build DIR --sysroots OUT [--runs N] [--smoke]

Starts DIR/daemon/memranged on OUT/boot (what bench/gen-sysroot.py wrote)
with its socket in a private directory, no kernel uevents and kdump reloads
off, then times, alternately so that both see the same machine load,
`memrangectl --socket S list` (the CLI asks the daemon: the table is kept
current there) and `lsmem --sysroot OUT/boot` (util-linux reads every
memory block's files on each run). Both must report the same total online
memory. Prints the medians and their ratio as RESULT lines
(RESULT<TAB>id<TAB>figure<TAB>target<TAB>measured<TAB>PASS|FAIL|INFO);
the target is memrangectl at least 10 times faster.

Figure 8 times, in the same rounds, memrangectl without the daemon:
`memrangectl --sysroot OUT/boot blocks` (lsmem's own view: it must print
what lsmem prints) and `memrangectl --sysroot OUT/boot list` (the whole
table, every source read and reconciled), each against lsmem in that
round; the target is a median wall time no longer than lsmem's. Each
RESULT also gives the CPU time (user + system) of the runs, which a
loaded machine distorts less.
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

TARGET_RATIO = 10.0


def progress(msg):
    print(f"# {msg}", file=sys.stderr, flush=True)


def result(rid, figure, target, measured, verdict):
    print(f"RESULT\t{rid}\t{figure}\t{target}\t{measured}\t{verdict}", flush=True)


class Daemon:
    """memranged on a sysroot, its socket and log in a private directory."""

    def __init__(self, build, sysroot):
        self.dir = tempfile.mkdtemp(prefix="bench-lsmem.")
        self.socket = os.path.join(self.dir, "io.memranged")
        config = os.path.join(self.dir, "memranged.conf")
        with open(config, "w") as f:
            f.write("[Kdump]\nMode=off\n")     # never run the host's kdump-tools
        self.log = open(os.path.join(self.dir, "log"), "w+")
        self.proc = subprocess.Popen(
            [os.path.join(build, "daemon", "memranged"), "--foreground", "--socket", self.socket,
             "--sysroot", sysroot, "--no-kernel-uevents", "--config", config],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)

    def wait_ready(self, ctl, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"memranged exited with {self.proc.returncode}: {self.log_text()}")
            if os.path.exists(self.socket) and subprocess.run(
                    [ctl, "--socket", self.socket, "status"], stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL).returncode == 0:
                return
            time.sleep(0.05)
        raise RuntimeError(f"memranged not ready after {timeout} s: {self.log_text()}")

    def log_text(self):
        self.log.seek(0)
        return self.log.read()[-2000:]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class Timing:
    """Wall and CPU (user + system) seconds of one command's runs."""

    def __init__(self, cmd):
        self.cmd, self.wall, self.cpu = cmd, [], []

    def median_wall(self):
        return statistics.median(self.wall)

    def median_cpu(self):
        return statistics.median(self.cpu)


def run(cmd, timing=None):
    """Wall time of one run in seconds, also kept in @timing with its CPU
    time; its output is checked once, apart."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.stderr.close()
    rc = os.waitstatus_to_exitcode(status)
    if rc != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {rc}: {stderr.decode()[-500:]}")
    if timing:
        timing.wall.append(elapsed)
        timing.cpu.append(usage.ru_utime + usage.ru_stime)
    return elapsed


def total_online(cmd):
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True, text=True).stdout
    m = re.search(r"^Total online memory:\s*(\S+)$", out, re.M)
    if not m:
        raise RuntimeError(f"{' '.join(cmd)} printed no 'Total online memory' line")
    return m.group(1)


def ms(seconds):
    return f"{seconds * 1000:.1f} ms"


def measure(args):
    ctl = os.path.join(args.build, "cli", "memrangectl")
    lsmem = shutil.which("lsmem")
    if not lsmem:
        raise RuntimeError("lsmem (util-linux) is not installed")
    sysroot = os.path.join(args.sysroots, "boot")
    daemon = Daemon(args.build, sysroot)
    try:
        daemon.wait_ready(ctl)
        root = os.path.abspath(sysroot)
        timings = {
            "online-list": Timing([ctl, "--socket", daemon.socket, "list"]),
            "lsmem": Timing([lsmem, "--sysroot", root]),
            "offline-blocks": Timing([ctl, "--sysroot", root, "blocks"]),
            "offline-list": Timing([ctl, "--sysroot", root, "list"]),
        }
        check_same_answers(timings)
        for t in timings.values():
            run(t.cmd)                       # warm the page cache and the daemon
        for _ in range(args.runs):
            for t in timings.values():
                run(t.cmd, t)
        if daemon.proc.poll() is not None:
            raise RuntimeError(f"memranged died during the runs: {daemon.log_text()}")
    finally:
        daemon.stop()
    return timings, total_online(timings["lsmem"].cmd)


def check_same_answers(timings):
    """Every command reports lsmem's online total; blocks prints exactly
    what lsmem prints."""
    theirs = total_online(timings["lsmem"].cmd)
    for name in ("online-list", "offline-list", "offline-blocks"):
        ours = total_online(timings[name].cmd)
        progress(f"total online memory: memrangectl {name} {ours}, lsmem {theirs}")
        if ours != theirs:
            raise RuntimeError(f"memrangectl {name} reports {ours} online, lsmem {theirs}")
    out = lambda cmd: subprocess.run(cmd, stdout=subprocess.PIPE, check=True).stdout
    if out(timings["offline-blocks"].cmd) != out(timings["lsmem"].cmd):
        raise RuntimeError("memrangectl blocks does not print what lsmem prints")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--build", required=True, help="meson build directory")
    p.add_argument("--sysroots", required=True, help="bench/gen-sysroot.py's output directory")
    p.add_argument("--runs", type=int, default=20, help="timed runs of each command (median)")
    p.add_argument("--smoke", action="store_true", help="tiny machine: report, but the target does not apply")
    args = p.parse_args()
    if args.runs < 1:
        p.error("--runs must be at least 1")
    progress(f"figure 5 on {args.sysroots}/boot, {args.runs} run(s) each, load average "
             f"{os.getloadavg()[0]:.2f}")
    try:
        timings, total = measure(args)
    except (RuntimeError, OSError, subprocess.CalledProcessError) as e:
        print(f"bench-lsmem: {e}", file=sys.stderr)
        return 1
    ctl, lsmem = timings["online-list"].median_wall(), timings["lsmem"].median_wall()
    ratio = lsmem / ctl
    n = f"median of {args.runs}"
    result("lsmem-list-online", "5 memrangectl list via memranged: wall time", "-", f"{ms(ctl)} ({n}, {total} online)",
           "INFO")
    result("lsmem-lsmem", "5 lsmem --sysroot: wall time", "-", f"{ms(lsmem)} ({n})", "INFO")
    # A tiny machine, maybe a sanitized build: the target does not apply.
    verdict = "INFO" if args.smoke else "PASS" if ratio >= TARGET_RATIO else "FAIL"
    result("lsmem-ratio", "5 memrangectl list vs lsmem: wall time ratio", f">= {TARGET_RATIO:g}x",
           f"{ratio:.1f}x ({ms(ctl)} vs {ms(lsmem)})", verdict)
    report_offline(timings, args)
    return 0


def report_offline(timings, args):
    """Figure 8: memrangectl --sysroot against lsmem --sysroot."""
    theirs = timings["lsmem"]
    n = f"median of {args.runs}"
    for name, what in (("offline-blocks", "blocks"), ("offline-list", "list")):
        ours = timings[name]
        wall, lsmem_wall = ours.median_wall(), theirs.median_wall()
        verdict = "INFO" if args.smoke else "PASS" if wall <= lsmem_wall else "FAIL"
        result(f"lsmem-{name}", f"8 memrangectl --sysroot {what} vs lsmem --sysroot: wall time", "<= lsmem",
               f"{ms(wall)} vs {ms(lsmem_wall)} ({n}; CPU {ms(ours.median_cpu())} vs "
               f"{ms(theirs.median_cpu())})", verdict)


if __name__ == "__main__":
    sys.exit(main())
