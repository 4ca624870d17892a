#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Figure 4 of issue 6: io.memranged.ListRanges under load.

Starts memranged from the build tree on SYSROOTS/boot (the synthetic 1 TiB
machine), then per run:
  a) one client calling ListRanges sequentially: calls/s (target >= 20,000);
  b) 64 concurrent clients: p50/p99 latency (target p99 <= 5 ms), calls/s;
  c) the same 64 while one more client pipelines calls and stops reading:
     the others' p99 must stay within 20% of their p99 without it. The
     phase is cut into ALTERNATE pairs of slices, the non-reader present
     (on a new connection) in every second slice only, so both sides of
     the ratio come from the same clients in the same seconds: on a
     machine shared with other work, separate phases differ by more than
     20% on their own;
  d) for information, a non-reader for the whole phase that connects again
     each time the daemon cuts it off (its unsent replies passed 4 MiB):
     p99 against (b), the number of cut-offs and the time to the first.
Every reply is checked by bench-query-load against the range count that
memrangectl reads offline from the same sysroot.

Prints "RESULT<TAB>id<TAB>figure<TAB>target<TAB>measured<TAB>PASS|FAIL|INFO"
lines (medians over --runs); other lines start with "#". Needs root: the
daemon answers io.memranged.AddressesHidden to unprivileged callers.
--smoke: four clients, 0.2 s per phase, targets reported as INFO.
"""

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

TARGET_CALLS_PER_SEC = 20000
TARGET_P99_MS = 5.0
TARGET_STALL_RATIO = 1.2
ALTERNATE = 5


def fail(message):
    print(f"bench-query: {message}", file=sys.stderr)
    sys.exit(1)


def expected_ranges(build, sysroot):
    """The table as the library reads the files, without the daemon."""
    cmd = [os.path.join(build, "cli", "memrangectl"), "--sysroot", sysroot, "list", "-J", "-b"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        fail(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}")
    return len(json.loads(proc.stdout)["ranges"])


class Daemon:
    def __init__(self, build, sysroot):
        self.dir = tempfile.mkdtemp(prefix="bench-query.")
        self.socket = os.path.join(self.dir, "io.memranged")
        config = os.path.join(self.dir, "memranged.conf")
        open(config, "w").close()  # this machine's /etc/memranged.conf stays out
        self.log = open(os.path.join(self.dir, "log"), "w+")
        self.proc = subprocess.Popen(
            [os.path.join(build, "daemon", "memranged"), "--foreground", "--sysroot", sysroot,
             "--socket", self.socket, "--config", config, "--no-kernel-uevents", "--log-level", "notice"],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.wait_ready()

    def wait_ready(self):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                fail(f"memranged exited with {self.proc.returncode} during start-up:\n{self.log_text()}")
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                    s.connect(self.socket)
                return
            except OSError:
                time.sleep(0.02)
        fail("memranged did not listen within 30 s")

    def cpu_seconds(self):
        """utime + stime of the daemon so far: its cost per call does not
        depend on what else the machine runs."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def log_text(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def stop(self):
        """Stops the daemon; returns a complaint (unclean exit, sanitizer
        report in its log) or None."""
        complaint = None
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        log = self.log_text()
        if self.proc.returncode != 0:
            complaint = f"memranged exited with {self.proc.returncode}"
        elif "Sanitizer" in log or "runtime error:" in log:
            complaint = "sanitizer report in the daemon's log"
        if complaint:
            complaint += ":\n" + log[-4000:]
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        return complaint


def load(build, daemon, clients, duration, ranges, *options):
    cmd = [os.path.join(build, "bench", "query", "bench-query-load"), "--socket", daemon.socket,
           "--clients", str(clients), "--duration", str(duration), "--expect-ranges", str(ranges), *options]
    cpu = daemon.cpu_seconds()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    cpu = daemon.cpu_seconds() - cpu
    if proc.returncode != 0:
        fail(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}{proc.stdout}")
    if daemon.proc.poll() is not None:
        fail(f"memranged died during the load:\n{daemon.log_text()}")
    values = {k: float(v) for k, v in (line.split("=", 1) for line in proc.stdout.split())}
    values["daemon_usec_per_call"] = cpu * 1e6 / values["calls"] if values["calls"] else 0.0
    return values


def cut_off(samples):
    """When the non-reader was cut off (median over the runs where it was)."""
    times = [s["stall_first_cutoff_msec"] for s in samples if s["stall_cutoffs"] > 0]
    if not times:
        return "not cut off within the phase"
    return f"cut off after {statistics.median(times):.0f} ms" + \
        (f" in {len(times)} of {len(samples)} runs" if len(times) < len(samples) else "")


def verdict(ok, smoke):
    return "INFO" if smoke else ("PASS" if ok else "FAIL")


def result(ident, target, measured, status):
    print(f"RESULT\t{ident}\t4\t{target}\t{measured}\t{status}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", required=True, help="meson build directory")
    ap.add_argument("--sysroots", required=True, help="output of bench/gen-sysroot.py (its boot/ is used)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--smoke", action="store_true", help="tiny durations, four clients")
    ap.add_argument("--duration", type=float, help="seconds per phase (default 3, smoke 0.2)")
    args = ap.parse_args()

    sysroot = os.path.join(args.sysroots, "boot")
    if not os.path.isdir(sysroot):
        fail(f"no sysroot at {sysroot}")
    if os.geteuid() != 0:
        why = "needs root: ListRanges answers AddressesHidden to unprivileged callers"
        if not args.smoke:
            fail(why)
        result("query", "(not run)", f"skipped: {why}", "INFO")  # the smoke run still reports
        return
    duration = args.duration or (0.2 if args.smoke else 3.0)
    many = 4 if args.smoke else 64
    runs = max(1, args.runs)

    ranges = expected_ranges(args.build, sysroot)
    print(f"# sysroot {sysroot}: {ranges} ranges; {runs} run(s) of {duration} s per phase; "
          f"load average {os.getloadavg()[0]:.2f}", flush=True)

    daemon = Daemon(args.build, sysroot)
    one, b, c, d = [], [], [], []
    try:
        for run in range(runs):
            one.append(load(args.build, daemon, 1, duration, ranges))
            b.append(load(args.build, daemon, many, duration, ranges))
            c.append(load(args.build, daemon, many, duration, ranges, "--stall", "--alternate", str(ALTERNATE)))
            d.append(load(args.build, daemon, many, duration, ranges, "--stall-reconnect"))
            print(f"# run {run + 1}: 1 client {one[-1]['calls_per_sec']:.0f} calls/s; "
                  f"{many} clients p50 {b[-1]['p50_usec'] / 1e3:.2f} ms p99 {b[-1]['p99_usec'] / 1e3:.2f} ms "
                  f"max {b[-1]['max_usec'] / 1e3:.1f} ms {b[-1]['calls_per_sec']:.0f} calls/s; "
                  f"sliced: p99 {c[-1]['p99_usec'] / 1e3:.2f} ms without and {c[-1]['stalled_p99_usec'] / 1e3:.2f} ms "
                  f"with a client that stopped reading; "
                  f"a reconnecting non-reader: p99 {d[-1]['p99_usec'] / 1e3:.2f} ms {d[-1]['calls_per_sec']:.0f} "
                  f"calls/s ({d[-1]['stall_cutoffs']:.0f} cut-offs); reply {one[-1]['reply_bytes']:.0f} bytes; "
                  f"daemon CPU per call {one[-1]['daemon_usec_per_call']:.1f} us (1 client), "
                  f"{b[-1]['daemon_usec_per_call']:.1f} us ({many} clients); load average {os.getloadavg()[0]:.2f}",
                  flush=True)
    finally:
        complaint = daemon.stop()
    if complaint:
        fail(complaint)

    def med(samples, key):
        return statistics.median(s[key] for s in samples)

    calls = med(one, "calls_per_sec")
    result("query-one-client", f">= {TARGET_CALLS_PER_SEC} calls/s",
           f"{calls:.0f} calls/s (daemon CPU {med(one, 'daemon_usec_per_call'):.1f} us per call)",
           verdict(calls >= TARGET_CALLS_PER_SEC, args.smoke))
    p99 = med(b, "p99_usec") / 1e3
    result(f"query-{many}-clients-p99", f"p99 <= {TARGET_P99_MS:g} ms",
           f"p99 {p99:.2f} ms, p50 {med(b, 'p50_usec') / 1e3:.2f} ms, {med(b, 'calls_per_sec'):.0f} calls/s",
           verdict(p99 <= TARGET_P99_MS, args.smoke))
    # Median over the runs of each run's own ratio.
    r = statistics.median(x["stalled_p99_usec"] / x["p99_usec"] for x in c if x["p99_usec"] > 0)
    result("query-stalled-client", f"p99 <= {TARGET_STALL_RATIO:g} x without it",
           f"p99 {med(c, 'stalled_p99_usec') / 1e3:.2f} ms with a client that stopped reading vs "
           f"{med(c, 'p99_usec') / 1e3:.2f} ms without (alternating slices), ratio {r:.2f}; "
           f"{med(c, 'stalled_calls_per_sec'):.0f} vs {med(c, 'calls_per_sec'):.0f} calls/s",
           verdict(r <= TARGET_STALL_RATIO, args.smoke))
    r = statistics.median(x["p99_usec"] / y["p99_usec"] for x, y in zip(d, b) if y["p99_usec"] > 0)
    result("query-reconnecting-non-reader", "reported",
           f"p99 {med(d, 'p99_usec') / 1e3:.2f} ms vs {p99:.2f} ms in (b), ratio {r:.2f}, {med(d, 'calls_per_sec'):.0f} "
           f"calls/s; {cut_off(d)}, {med(d, 'stall_cutoffs'):.0f} cut-offs per run", "INFO")
    print(f"# load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
