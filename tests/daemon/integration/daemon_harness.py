# SPDX-License-Identifier: LGPL-2.1-or-later
"""Running the real memranged in integration tests.

Each test gets a private temporary directory; a Daemon started there runs
the built binary in the foreground with its socket, test uevent socket,
configuration and stderr log inside it. A test that passes then stops its
daemons with SIGTERM and fails unless each exits 0 (so sanitizer and
valgrind reports at exit count). Daemons die on every exit path: the
test's cleanup kills what still runs, SIGTERM (meson's timeout) and the
per-script alarm unwind into that cleanup, and PR_SET_PDEATHSIG kills them
if the test process itself is killed. A failing test prints the stderr of
every daemon it started.

Environment (set by tests/daemon/meson.build):
  MEMRANGED          the daemon binary
  MEMRANGE_FIXTURES  the fixture sysroots (read-only; tests copy them)
  MEMRANGED_IDL      varlink/io.memranged.varlink
  MEMRANGED_WRAP     optional command prefix for the daemon, e.g.
                     "valgrind --error-exitcode=99 --leak-check=full"
"""
import collections
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

import varlink_client

PR_SET_PDEATHSIG = 1
WRAP = os.environ.get("MEMRANGED_WRAP", "").split()
# A daemon under valgrind runs many times slower: every timeout stretches.
SLOWDOWN = 10 if WRAP else 1
START_TIMEOUT = 10.0 * SLOWDOWN
STOP_TIMEOUT = 5.0 * SLOWDOWN
POLL_INTERVAL = 0.01


class TestFailure(Exception):
    pass


class TestTimeout(Exception):
    pass


def env_path(name):
    value = os.environ.get(name)
    if not value:
        raise TestFailure(f"${name} is not set: run the tests through meson")
    return value


def fixture(name):
    path = os.path.join(env_path("MEMRANGE_FIXTURES"), name)
    if not os.path.isdir(path):
        raise TestFailure(f"fixture {path} is missing")
    return path


# ---- checks ----

def expect(condition, message):
    if not condition:
        raise TestFailure(message)


def expect_eq(actual, expected, what):
    if actual != expected:
        raise TestFailure(f"{what}: got {actual!r}, expected {expected!r}")


# ---- sysroot trees ----

def _make_writable(root):
    for directory, dirs, files in os.walk(root):
        os.chmod(directory, 0o755)
        for name in files:
            path = os.path.join(directory, name)
            if not os.path.islink(path):
                os.chmod(path, 0o644)


def copy_fixture(name, dest):
    """A private, writable copy of fixture @name at @dest. Symbolic links
    stay links (the fixtures also store some as small regular files)."""
    shutil.copytree(fixture(name), dest, symlinks=True)
    _make_writable(dest)
    return dest


def _same_file(a, b):
    if os.path.islink(a) or os.path.islink(b):
        return os.path.islink(a) and os.path.islink(b) and os.readlink(a) == os.readlink(b)
    with open(a, "rb") as fa, open(b, "rb") as fb:
        return fa.read() == fb.read()


def _remove(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    else:
        os.unlink(path)


def swap_tree(src, dest):
    """Makes @dest hold exactly what @src holds, as `rsync -a --delete`
    would: entries missing from @src go, changed files are replaced by a
    rename (a reader sees the old or the new file, never half of one),
    unchanged files are left alone."""
    src_names = set(os.listdir(src))
    for name in os.listdir(dest):
        if name not in src_names:
            _remove(os.path.join(dest, name))
    for name in sorted(src_names):
        s, d = os.path.join(src, name), os.path.join(dest, name)
        s_is_dir = os.path.isdir(s) and not os.path.islink(s)
        if os.path.lexists(d) and s_is_dir != (os.path.isdir(d) and not os.path.islink(d)):
            _remove(d)
        if s_is_dir:
            if not os.path.exists(d):
                os.mkdir(d, 0o755)
            swap_tree(s, d)
        elif not os.path.lexists(d) or not _same_file(s, d):
            tmp = os.path.join(dest, f".{name}.swap")
            if os.path.islink(s):
                os.symlink(os.readlink(s), tmp)
            else:
                shutil.copyfile(s, tmp)
                os.chmod(tmp, 0o644)
            os.rename(tmp, d)


def tree_differs(a, b):
    """Relative paths that differ between two trees (for messages)."""
    out = []
    for directory, dirs, files in os.walk(a):
        rel = os.path.relpath(directory, a)
        for name in files + [d for d in dirs if os.path.islink(os.path.join(directory, d))]:
            pa, pb = os.path.join(directory, name), os.path.join(b, rel, name)
            if not os.path.lexists(pb) or not _same_file(pa, pb):
                out.append(os.path.join(rel, name))
    return out


# ---- uevents ----

def uevent(action, devpath, subsystem, seqnum, extra=()):
    """The raw payload the kernel multicasts: ACTION@DEVPATH, then
    KEY=VALUE pairs, each ending in a NUL."""
    keys = [f"ACTION={action}", f"DEVPATH={devpath}", f"SUBSYSTEM={subsystem}"]
    keys += list(extra)
    keys.append(f"SEQNUM={seqnum}")
    return f"{action}@{devpath}\0".encode() + b"".join(k.encode() + b"\0" for k in keys)


def memory_uevent(action, index, seqnum):
    return uevent(action, f"/devices/system/memory/memory{index}", "memory", seqnum)


# ---- another user ----

NOBODY = ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups"]


def require_root(why):
    if os.geteuid() != 0:
        raise TestFailure(f"not root (euid {os.geteuid()}): {why}; run this test as root (CI does)")


def run_as_nobody(ctx, args, timeout=30):
    """Runs python3 @args as uid 65534 with this directory on PYTHONPATH
    (so varlink_client imports); returns the CompletedProcess. The test's
    temporary directory is opened up so that its sockets can be reached."""
    require_root("switching to uid 65534 needs root")
    os.chmod(ctx.tmp, 0o755)
    here = os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ, PYTHONPATH=here, PYTHONDONTWRITEBYTECODE="1")
    # sys.executable may live where uid 65534 cannot go (/root/.pyenv).
    for python in (sys.executable, "/usr/bin/python3"):
        if subprocess.run(NOBODY + [python, "-c", "pass"], capture_output=True).returncode == 0:
            return subprocess.run(NOBODY + [python] + args, capture_output=True, text=True, timeout=timeout,
                                  env=env)
    raise TestFailure("no python3 that uid 65534 can run (tried sys.executable and /usr/bin/python3)")


# ---- the daemon ----

def _die_with_parent():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def vm_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise TestFailure(f"no VmRSS for pid {pid}")


class NotifySocket:
    """The datagram socket systemd would listen on for sd_notify(): what
    the daemon sends, as {KEY: value} per message."""

    def __init__(self, tmp):
        self.path = os.path.join(tmp, "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.setblocking(False)
        self.messages = []

    def receive(self):
        """Every message received so far, oldest first."""
        while True:
            try:
                data = self.sock.recv(65536)
            except BlockingIOError:
                return self.messages
            self.messages.append(dict(line.split("=", 1) for line in data.decode().splitlines() if "=" in line))

    def last(self, key):
        """The value of @key in the newest message that has it, or None."""
        values = [m[key] for m in self.receive() if key in m]
        return values[-1] if values else None


class Daemon:
    """memranged in the foreground. @sysroot None reads this machine;
    @kernel_uevents opens the real netlink socket; @test_uevents adds the
    datagram socket that tests write raw uevents into; @notify_socket is
    given to the daemon as $NOTIFY_SOCKET (see NotifySocket)."""

    def __init__(self, tmp, name="memranged", sysroot=None, config="", kernel_uevents=False,
                 test_uevents=True, log_level="debug", notify_socket=None):
        self.name = name
        self.socket = os.path.join(tmp, f"{name}.sock")
        self.uevent_socket = os.path.join(tmp, f"{name}.uevents") if test_uevents else None
        self.config = os.path.join(tmp, f"{name}.conf")
        self.log_path = os.path.join(tmp, f"{name}.log")
        self.sysroot = sysroot
        with open(self.config, "w") as f:
            f.write(config)
        args = WRAP + [env_path("MEMRANGED"), "--socket", self.socket, "--config", self.config, "--foreground",
                "--log-level", log_level]
        if sysroot is not None:
            args += ["--sysroot", sysroot]
        if not kernel_uevents:
            args.append("--no-kernel-uevents")
        if self.uevent_socket:
            args += ["--uevent-socket", self.uevent_socket]
        self.args = args
        self.env = dict(os.environ, NOTIFY_SOCKET=notify_socket) if notify_socket else None
        self.proc = None
        self.returncode = None

    def start(self):
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         preexec_fn=_die_with_parent, env=self.env)
        deadline = time.monotonic() + START_TIMEOUT
        # The daemon binds its socket after the first scan; a GetStatus
        # answered means it serves.
        while True:
            if self.proc.poll() is not None:
                raise TestFailure(f"{self.name} exited with {self.proc.returncode} during start")
            if os.path.exists(self.socket):
                try:
                    self.status()
                    return self
                except (ConnectionRefusedError, FileNotFoundError):
                    pass
            if time.monotonic() > deadline:
                raise TestFailure(f"{self.name} did not answer within {START_TIMEOUT} s")
            time.sleep(POLL_INTERVAL)

    @property
    def pid(self):
        return self.proc.pid

    def sanitized(self):
        """True when the daemon runs with AddressSanitizer, whose quarantine
        and shadow memory make its VmRSS meaningless."""
        with open(f"/proc/{self.pid}/maps") as f:
            return "libasan" in f.read()

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def connect(self, timeout=varlink_client.DEFAULT_TIMEOUT):
        return varlink_client.Connection(self.socket, timeout * SLOWDOWN)

    def call(self, method, parameters=None):
        with self.connect() as c:
            return c.call(method, parameters)

    def status(self):
        return self.call("io.memranged.GetStatus")

    def ranges(self, **filters):
        return self.call("io.memranged.ListRanges", filters or None)

    def wait_status(self, predicate, what, timeout=30.0):
        """Polls GetStatus until @predicate(status) holds; returns that
        status. The failure names @what and shows the last status."""
        timeout *= SLOWDOWN
        deadline = time.monotonic() + timeout
        while True:
            status = self.status()
            if predicate(status):
                return status
            if time.monotonic() > deadline:
                raise TestFailure(f"{self.name}: {what} not reached within {timeout} s; last status: "
                                  f"{json.dumps(status, sort_keys=True)}")
            time.sleep(POLL_INTERVAL)

    def wait_idle(self, predicate, what, timeout=30.0):
        """As wait_status, and no rebuild is pending any more."""
        return self.wait_status(lambda s: not s["uevents"]["pending"] and predicate(s), what, timeout)

    def send_uevents(self, payloads):
        """Sends each payload as one datagram on the test socket; blocks
        while the daemon's receive queue is full, so none is dropped."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            s.settimeout(10.0 * SLOWDOWN)
            s.connect(self.uevent_socket)
            for p in payloads:
                s.send(p)

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """Sends @sig and returns the exit code; fails if it hangs."""
        if not self.running():
            return self.proc.returncode
        self.proc.send_signal(sig)
        try:
            self.returncode = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise TestFailure(f"{self.name} did not exit within {timeout} s of signal {sig}") from None
        return self.returncode

    def kill(self):
        if self.running():
            self.proc.kill()
            self.proc.wait()


Scan = collections.namedtuple("Scan", "ranges blocks")


class Context:
    """What a test function gets: its temporary directory and a factory of
    daemons that are cleaned up after it."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.daemons = []

    def path(self, *names):
        return os.path.join(self.tmp, *names)

    def daemon(self, **kwargs):
        d = Daemon(self.tmp, name=kwargs.pop("name", f"memranged{len(self.daemons) or ''}"), **kwargs)
        self.daemons.append(d)
        return d.start()

    def fresh_scan(self, sysroot):
        """The table and block indices a new daemon (no test uevents)
        builds from @sysroot (None: this machine's files): what an updated
        daemon must now hold."""
        ref = self.daemon(name=f"reference{len(self.daemons)}", sysroot=sysroot, test_uevents=False)
        scan = Scan(ref.ranges()["ranges"], [b["index"] for b in ref.call("io.memranged.ListBlocks")["blocks"]])
        ref.stop()
        return scan

    def stop_all(self):
        """SIGTERM to every daemon still running; each must have exited 0
        (also those the test stopped itself) without a sanitizer report in
        its log (UBSan goes on after reporting)."""
        for d in self.daemons:
            code = d.stop()
            if code != 0:
                raise TestFailure(f"{d.name} exited with {code} at the end of the test")
            for report in ("runtime error:", "AddressSanitizer", "LeakSanitizer"):
                if report in d.log():
                    raise TestFailure(f"{d.name} logged a sanitizer report ({report!r})")

    def cleanup(self):
        for d in self.daemons:
            d.kill()

    def dump_logs(self):
        for d in self.daemons:
            print(f"--- stderr of {d.name} ({' '.join(d.args)}):", file=sys.stderr)
            print(d.log(), file=sys.stderr, end="")
            print(f"--- end of {d.name}", file=sys.stderr)


def _on_alarm(signum, frame):
    raise TestTimeout("the test ran out of time")


def _on_term(signum, frame):
    raise SystemExit(f"killed by signal {signum}")


def run(tests, time_limit=30):
    """Runs each test function with a fresh Context, at most @time_limit
    seconds each; prints one line per test with its time; exits 1 when any
    failed."""
    signal.signal(signal.SIGTERM, _on_term)
    signal.signal(signal.SIGALRM, _on_alarm)
    failed = []
    total = time.monotonic()
    for fn in tests:
        tmp = tempfile.mkdtemp(prefix="memranged-it-")
        ctx = Context(tmp)
        start = time.monotonic()
        ok = False
        try:
            signal.alarm(time_limit * SLOWDOWN)
            fn(ctx)
            ctx.stop_all()
            ok = True
        except BaseException as e:
            signal.alarm(0)
            traceback.print_exc(file=sys.stderr)
            ctx.dump_logs()
            if not isinstance(e, Exception):
                raise  # SIGTERM: stop here, after the cleanup below
        finally:
            signal.alarm(0)
            ctx.cleanup()
            shutil.rmtree(tmp, ignore_errors=True)
        elapsed = time.monotonic() - start
        print(f"{'ok' if ok else 'FAIL'}: {fn.__name__} ({elapsed:.2f} s)", flush=True)
        if not ok:
            failed.append(fn.__name__)
    print(f"{len(tests) - len(failed)}/{len(tests)} passed in {time.monotonic() - total:.2f} s", flush=True)
    sys.exit(1 if failed else 0)


def range_by_span(ranges, start, end):
    """The range [start, end] (inclusive end) of a ListRanges reply, or None."""
    for r in ranges:
        if r["start"] == start and r["end"] == end:
            return r
    return None


def describe_spans(ranges):
    """(start, end, type) of each range in hex, for failure messages."""
    return [(hex(r["start"]), hex(r["end"]), r["type"]) for r in ranges]
