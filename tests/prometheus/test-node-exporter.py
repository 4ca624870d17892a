#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""memranged's metrics through Debian's real node_exporter and promtool.

prometheus-node-exporter runs on 127.0.0.1 with only its textfile
collector, pointed at the directory memranged writes memranged.prom into
([Metrics] Directory=); the test scrapes /metrics as Prometheus would.
memranged runs on a copy of the DIMM machine with the fake kexec of
tests/daemon/integration/test-kdump-reload.py (kdump-tools' settings say
an image is loaded at boot, so a hot-add makes it stale and needs a
reload). Run as root (the fake kexec runs in a private mount namespace).

Values from the fixtures x86_64-6.1-dimm/boot and /hotplug: 10 ranges
and 0x3ff7ec00 bytes of RAM at boot; the DIMM adds a range and 1 GiB;
the hot-add is 16 memory uevents (8 add, 8 online).
"""
import importlib.util
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "daemon", "integration"))

import daemon_harness as h  # noqa: E402
from daemon_harness import expect, expect_eq  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "kdump_reload", os.path.join(HERE, "..", "daemon", "integration", "test-kdump-reload.py"))
kr = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(kr)

BOOT_RAM = 0x3ff7ec00
GiB = 1 << 30
RULES = os.path.join(HERE, "..", "..", "units", "prometheus", "memranged.rules.yml")
RULE_TESTS = os.path.join(HERE, "memranged.rules.test.yml")


def tool(*names):
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    raise h.TestFailure(f"{names[0]} is not installed (tools/dev.sh installs it from Debian's archive)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NodeExporter:
    """prometheus-node-exporter with the textfile collector alone."""

    def __init__(self, ctx, directory):
        self.port = free_port()
        self.log_path = ctx.path("node-exporter.log")
        args = [tool("prometheus-node-exporter", "node_exporter"), f"--web.listen-address=127.0.0.1:{self.port}",
                "--collector.disable-defaults", "--collector.textfile",
                f"--collector.textfile.directory={directory}"]
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         preexec_fn=h._die_with_parent)
        deadline = time.monotonic() + 10
        while True:
            try:
                self.scrape_text()
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise h.TestFailure(f"node_exporter did not serve: {self.log()}") from None
                time.sleep(0.05)

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def scrape_text(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=10) as r:
            return r.read().decode()

    def scrape(self):
        """{series: value} of the memranged and textfile series, the
        series as written ('name{label="value"}')."""
        series = {}
        for line in self.scrape_text().splitlines():
            if line.startswith("#") or not line.startswith(("memranged_", "node_textfile_scrape_error")):
                continue
            name, value = line.rsplit(" ", 1)
            series[name] = float(value)
        return series

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def promtool(*args, stdin=None):
    return subprocess.run([tool("promtool"), *args], input=stdin, capture_output=True, text=True, timeout=60)


def wait_scrape(exporter, predicate, what, timeout=30.0):
    deadline = time.monotonic() + timeout * h.SLOWDOWN
    while True:
        got = exporter.scrape()
        if predicate(got):
            return got
        if time.monotonic() > deadline:
            raise h.TestFailure(f"{what} not scraped within {timeout} s; last scrape: {got}")
        time.sleep(0.05)


def expect_series(got, expected, what):
    for name, value in expected.items():
        expect_eq(got.get(name), value, f"{what}: {name}")


def wait_for_log(d, text, what, timeout=10.0):
    deadline = time.monotonic() + timeout * h.SLOWDOWN
    while text not in d.log():
        if time.monotonic() > deadline:
            raise h.TestFailure(f"{what} ({text!r}) not logged within {timeout} s:\n{d.log()}")
        time.sleep(0.02)


def memrangectl_metrics(d):
    shown = subprocess.run([h.env_path("MEMRANGECTL"), "--socket", d.socket, "metrics"], capture_output=True,
                           text=True, timeout=30)
    expect_eq(shown.returncode, 0, f"memrangectl metrics: {shown.stderr}")
    return shown.stdout


def expect_same_as_file(d, path, what):
    """`memrangectl metrics` prints what memranged.prom holds. A retry of
    the reload may rewrite the file meanwhile: the comparison counts when
    the file was the same before and after the call."""
    for _ in range(20):
        with open(path) as f:
            before = f.read()
        shown = memrangectl_metrics(d)
        with open(path) as f:
            if f.read() == before:
                expect_eq(shown, before, f"memrangectl metrics against memranged.prom {what}")
                return
    raise h.TestFailure(f"memranged.prom kept changing {what}")


def metrics_config(directory, kexec, extra=""):
    return f"[Metrics]\nDirectory={directory}\n[Kdump]\nKexecPath={kexec.path}\n{extra}"


# ---------------------------------------------------------------------------

def test_scrape_follows_a_hot_add_a_failed_reload_and_the_retry(ctx):
    h.require_root("the fake kexec must run in a private mount namespace")
    textfiles = ctx.path("textfiles")
    os.mkdir(textfiles)
    kexec = kr.FakeKexec(ctx, failures=100)
    root = kr.dimm_root(ctx)
    d = ctx.daemon(sysroot=root, config=metrics_config(textfiles, kexec, "MaxBackoffSec=60\n"))
    exporter = NodeExporter(ctx, textfiles)
    try:
        got = wait_scrape(exporter, lambda s: "memranged_generation" in s, "memranged's series")
        version = d.status()["version"]
        expect_series(got, {
            "node_textfile_scrape_error": 0, f'memranged_info{{version="{version}"}}': 1,
            "memranged_generation": 1, "memranged_ranges": 10,
            'memranged_memory_bytes{state="online"}': BOOT_RAM, 'memranged_memory_bytes{state="offline"}': 0,
            'memranged_findings{severity="error"}': 0,
            'memranged_rescans_total{reason="startup"}': 1, 'memranged_rescans_total{reason="uevent"}': 0,
            'memranged_uevents_total{outcome="delivered"}': 0,
            "memranged_kdump_loaded": 1, "memranged_kdump_up_to_date": 1,
            "memranged_kdump_stale_since_timestamp_seconds": 0,
            'memranged_reloads_total{result="success"}': 0, 'memranged_reloads_total{result="failure"}': 0,
        }, "at start")
        expect("memranged_reload_duration_seconds" not in got, "a reload duration before any reload")
        path = os.path.join(textfiles, "memranged.prom")
        expect_eq(stat.S_IMODE(os.stat(path).st_mode), 0o644, "mode of memranged.prom (the prometheus user reads it)")
        with open(path) as f:
            text = f.read()
        checked = promtool("check", "metrics", stdin=text)
        expect_eq((checked.returncode, checked.stdout + checked.stderr), (0, ""), "promtool check metrics at start")

        # The hot-add: a new generation, and the reload fails.
        hot_add = time.time()
        kr.swap(root, "x86_64-6.1-dimm/hotplug")
        d.send_uevents(kr.hot_add_events())
        got = wait_scrape(exporter, lambda s: s.get('memranged_reloads_total{result="failure"}', 0) >= 1,
                          "the failed reload")
        expect_series(got, {
            "memranged_generation": 2, "memranged_ranges": 11,
            'memranged_memory_bytes{state="online"}': BOOT_RAM + GiB,
            'memranged_uevents_total{outcome="delivered"}': 16, 'memranged_uevents_total{outcome="lost"}': 0,
            'memranged_rescans_total{reason="uevent"}': 1,
            "memranged_kdump_up_to_date": 0, 'memranged_reloads_total{result="success"}': 0,
        }, "after the hot-add and the failed reload")
        stale_since = got["memranged_kdump_stale_since_timestamp_seconds"]
        expect(hot_add - 1 <= stale_since <= time.time(), f"stale since {stale_since}, hot-add at {hot_add}")
        expect(0 < got["memranged_reload_duration_seconds"] < 30,
               f"reload duration {got['memranged_reload_duration_seconds']}")
        with open(path) as f:
            text = f.read()
        checked = promtool("check", "metrics", stdin=text)
        expect_eq((checked.returncode, checked.stdout + checked.stderr), (0, ""), "promtool check metrics, stale")
        # `memrangectl metrics` prints the file's text (the stale time too:
        # converted to Unix time once).
        expect_same_as_file(d, path, "while stale")

        # kexec works again; the Reload method retries at once.
        os.unlink(os.path.join(kexec.dir, "failures"))
        done = subprocess.run([h.env_path("MEMRANGECTL"), "--socket", d.socket, "reload"], capture_output=True,
                              text=True, timeout=60)
        expect_eq(done.returncode, 0, f"memrangectl reload: {done.stderr}")
        got = wait_scrape(exporter, lambda s: s.get('memranged_reloads_total{result="success"}') == 1,
                          "the successful reload")
        expect_series(got, {"memranged_kdump_up_to_date": 1, "memranged_kdump_stale_since_timestamp_seconds": 0,
                            "memranged_generation": 2, "node_textfile_scrape_error": 0}, "after the retry")
        expect(got['memranged_reloads_total{result="failure"}'] >= 1, "failures forgotten")

        expect_same_as_file(d, path, "after the retry")
        leftovers = sorted(set(os.listdir(textfiles)) - {"memranged.prom"})
        expect_eq(leftovers, [], "temporary files left in the textfile directory")
        d.stop()
        expect(not os.path.exists(path), "memranged.prom outlives the daemon")
        got = exporter.scrape()
        expect(not any(name.startswith("memranged_") for name in got), f"series after the stop: {got}")
    finally:
        exporter.stop()


def test_failing_write_is_logged_once_and_serving_goes_on(ctx):
    missing = ctx.path("not-yet")
    kexec = kr.FakeKexec(ctx)
    d = ctx.daemon(sysroot=h.fixture("x86_64-6.1-dimm/boot"), config=metrics_config(missing, kexec))
    wait_for_log(d, "Cannot write the metrics file", "the first failed write")
    for _ in range(3):
        d.call("io.memranged.Rescan")
    expect_eq(d.status()["uevents"]["rebuilds"], 4, "rebuilds served while the file cannot be written")
    # The write after the last Rescan runs once the loop is idle.
    time.sleep(0.3 * h.SLOWDOWN)
    expect_eq(d.log().count("Cannot write the metrics file"), 1, f"failure messages in:\n{d.log()}")
    os.mkdir(missing)
    d.call("io.memranged.Rescan")
    deadline = time.monotonic() + 10 * h.SLOWDOWN
    while not os.path.exists(os.path.join(missing, "memranged.prom")):
        expect(time.monotonic() < deadline, "memranged.prom not written once the directory exists")
        time.sleep(0.02)
    wait_for_log(d, "written again", "the recovery message")
    with open(os.path.join(missing, "memranged.prom")) as f:
        expect('memranged_rescans_total{reason="rescan"} 4' in f.read().splitlines(), "rescans counted")

    # SIGHUP with another directory: the file moves there at once.
    moved = ctx.path("moved")
    os.mkdir(moved)
    with open(d.config, "w") as f:
        f.write(metrics_config(moved, kexec))
    d.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10 * h.SLOWDOWN
    while os.path.exists(os.path.join(missing, "memranged.prom")) or not os.path.exists(
            os.path.join(moved, "memranged.prom")):
        expect(time.monotonic() < deadline, "memranged.prom did not move to the new directory on SIGHUP")
        time.sleep(0.02)
    expect_eq(os.listdir(missing), [], "files left in the old directory")


def test_offline_metrics_are_the_table_families(ctx):
    shown = subprocess.run([h.env_path("MEMRANGECTL"), "--sysroot", h.fixture("x86_64-6.1-dimm/hotplug"), "metrics"],
                           capture_output=True, text=True, timeout=30)
    expect_eq(shown.returncode, 0, f"memrangectl --sysroot metrics: {shown.stderr}")
    families = [line.split()[2] for line in shown.stdout.splitlines() if line.startswith("# TYPE ")]
    expect_eq(families, ["memranged_ranges", "memranged_memory_bytes", "memranged_findings"], "offline families")
    expect(f'memranged_memory_bytes{{state="online"}} {BOOT_RAM + GiB}' in shown.stdout.splitlines(),
           f"offline memory bytes in:\n{shown.stdout}")
    checked = promtool("check", "metrics", stdin=shown.stdout)
    expect_eq((checked.returncode, checked.stdout + checked.stderr), (0, ""), "promtool check metrics offline")


def test_alert_rules_check_and_unit_tests_pass(ctx):
    checked = promtool("check", "rules", RULES)
    expect_eq(checked.returncode, 0, f"promtool check rules: {checked.stdout}{checked.stderr}")
    expect("SUCCESS: 4 rules found" in checked.stdout, f"promtool check rules: {checked.stdout}")
    tested = promtool("test", "rules", RULE_TESTS)
    expect_eq(tested.returncode, 0, f"promtool test rules: {tested.stdout}{tested.stderr}")


if __name__ == "__main__":
    h.run([test_scrape_follows_a_hot_add_a_failed_reload_and_the_retry,
           test_failing_write_is_logged_once_and_serving_goes_on,
           test_offline_metrics_are_the_table_families,
           test_alert_rules_check_and_unit_tests_pass], time_limit=120)
