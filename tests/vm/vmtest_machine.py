# SPDX-License-Identifier: LGPL-2.1-or-later
"""One QEMU guest of the end-to-end tests: the process, its QMP socket and
the control line (the guest's second serial port, see tests/vm/init).

Every wait takes its time from one scenario deadline; a timeout raises
Timeout naming what was awaited, and the caller prints the logs' tails.
Machine is a context manager that kills QEMU on every exit path.
"""

import ctypes
import json
import os
import re
import signal
import socket
import subprocess
import time
import traceback

PR_SET_PDEATHSIG = 1


def _die_with_parent():
    """In QEMU's child process: be killed when the harness dies, however it
    dies (a SIGKILL from the test runner runs no cleanup)."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class Timeout(Exception):
    pass


class GuestError(Exception):
    pass


class Deadline:
    def __init__(self, seconds):
        self.seconds = seconds
        self.start = time.monotonic()
        self.end = self.start + seconds

    def left(self):
        return self.end - time.monotonic()

    def elapsed(self):
        return time.monotonic() - self.start


def tail(path, lines=40):
    try:
        with open(path, "rb") as f:
            text = f.read().decode(errors="replace")
    except OSError as e:
        return f"({path}: {e})"
    return "\n".join(text.replace("\r", "").splitlines()[-lines:])


def run_reported(body, deadline, outdir, logs, errors=()):
    """Runs body() for a scenario: returns (True, its result), or (False,
    None) after printing "FAIL:" with the error and the tails of the files
    @logs in @outdir. A Timeout names what was awaited; AssertionError,
    GuestError and the exception types @errors print their message,
    anything else its traceback."""
    try:
        return True, body()
    except Timeout as e:
        error = f"timed out after {deadline.elapsed():.1f} s waiting for {e}"
    except (AssertionError, GuestError, *errors) as e:
        error = e
    except Exception:
        error = traceback.format_exc()
    print(f"FAIL: {error}")
    for name in logs:
        path = os.path.join(outdir, name)
        if os.path.exists(path) and os.path.getsize(path) > 0:
            print(f"---- tail of {path} ----")
            print(tail(path))
    return False, None


class Channel:
    """A line-oriented unix socket connection. Everything received is also
    appended to @log."""

    def __init__(self, path, log, deadline):
        self.sock = None
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(path)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                s.close()
                if deadline.left() <= 0:
                    raise Timeout(f"connecting to {path}")
                time.sleep(0.02)
        self.sock = s
        self.buf = b""
        self.log = open(log, "ab", buffering=0)
        self.eof = False

    def close(self):
        if self.sock:
            self.sock.close()
        self.log.close()

    def send(self, text):
        self.sock.sendall(text.encode())

    def readline(self, deadline, what):
        """The next line without its line ending; raises Timeout with @what."""
        while b"\n" not in self.buf:
            left = deadline.left()
            if left <= 0:
                raise Timeout(what)
            if self.eof:
                raise GuestError(f"connection closed (QEMU exited?) while waiting for {what}")
            self.sock.settimeout(min(left, 1.0))
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not data:
                self.eof = True
                continue
            self.log.write(data)
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode(errors="replace").rstrip("\r")


class Machine:
    """QEMU with -accel tcg, 2 CPUs and by default 1 GiB + 4 hotplug slots
    (8 GiB max); @memory is QEMU's -m argument, @extra more QEMU arguments
    (tests/system adds its disk).

    @outdir receives console.log (ttyS0: the kernels' console), control.log
    (ttyS1: the protocol) and qmp.log."""

    def __init__(self, outdir, kernel, initrd, append, deadline,
                 memory="1G,slots=4,maxmem=8G", extra=()):
        self.outdir = outdir
        self.deadline = deadline
        self.console_log = os.path.join(outdir, "console.log")
        self.control_log = os.path.join(outdir, "control.log")
        self.qmp_log = os.path.join(outdir, "qmp.log")
        for f in (self.console_log, self.control_log, self.qmp_log):
            if os.path.exists(f):
                os.unlink(f)
        # Unix socket paths are limited to 108 bytes: keep them short.
        self.sockdir = os.path.join("/tmp", f"vmtest-{os.getpid()}-{id(self):x}")
        os.makedirs(self.sockdir, exist_ok=True)
        self.qmp_path = os.path.join(self.sockdir, "qmp")
        self.ctl_path = os.path.join(self.sockdir, "ctl")
        self.cmd = [
            "qemu-system-x86_64", "-accel", "tcg", "-nodefaults", "-display", "none",
            "-m", memory, "-smp", "2", "-no-reboot",
            "-kernel", kernel, "-initrd", initrd, "-append", append,
            "-serial", f"file:{self.console_log}",
            "-chardev", f"socket,id=ctl,path={self.ctl_path},server=on,wait=off",
            "-serial", "chardev:ctl",
            "-qmp", f"unix:{self.qmp_path},server=on,wait=off",
            *extra,
        ]
        self.proc = None
        self.qmp = None
        self.ctl = None
        self.next_id = 1

    def __enter__(self):
        try:
            self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL,
                                         stdout=open(os.path.join(self.outdir, "qemu.log"), "wb"),
                                         stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        except FileNotFoundError:
            raise GuestError("qemu-system-x86_64 not found (install qemu-system-x86)")
        try:
            self.ctl = Channel(self.ctl_path, self.control_log, self.deadline)
            self.qmp = Channel(self.qmp_path, self.qmp_log, self.deadline)
            self.qmp.readline(self.deadline, "the QMP greeting")
            self.qmp_command("qmp_capabilities")
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
        if self.proc:
            self.proc.wait()
        for ch in (self.ctl, self.qmp):
            if ch:
                ch.close()
        for p in (self.qmp_path, self.ctl_path):
            if os.path.exists(p):
                os.unlink(p)
        os.rmdir(self.sockdir)

    # ---- QMP ----
    def qmp_command(self, command, **arguments):
        msg = {"execute": command}
        if arguments:
            msg["arguments"] = arguments
        self.qmp.log.write(b">>> " + json.dumps(msg).encode() + b"\n")
        self.qmp.send(json.dumps(msg) + "\n")
        while True:
            reply = json.loads(self.qmp.readline(self.deadline, f"the QMP reply to {command}"))
            if "return" in reply:
                return reply["return"]
            if "error" in reply:
                raise GuestError(f"QMP {command} {arguments}: {reply['error'].get('desc')}")
            # An asynchronous event (ACPI_DEVICE_OST...): skip it.

    def hot_add_dimm(self, index, size="1G"):
        """object-add a RAM backend and device_add a pc-dimm on it."""
        self.qmp_command("object-add", **{"qom-type": "memory-backend-ram", "id": f"mem{index}",
                                          "size": _size_bytes(size)})
        self.qmp_command("device_add", driver="pc-dimm", id=f"dimm{index}", memdev=f"mem{index}")

    def hot_add_dimms(self, count, size="1G"):
        """Hot-adds @count DIMMs (mem0.., dimm0..) in one burst: every
        object-add and device_add is sent before the first reply is read,
        so that the guest sees one storm rather than one DIMM per QMP
        round trip."""
        commands = []
        for i in range(count):
            commands.append({"execute": "object-add", "arguments": {
                "qom-type": "memory-backend-ram", "id": f"mem{i}", "size": _size_bytes(size)}})
            commands.append({"execute": "device_add", "arguments": {
                "driver": "pc-dimm", "id": f"dimm{i}", "memdev": f"mem{i}"}})
        for msg in commands:
            self.qmp.log.write(b">>> " + json.dumps(msg).encode() + b"\n")
        self.qmp.send("".join(json.dumps(msg) + "\n" for msg in commands))
        replies = 0
        while replies < len(commands):
            reply = json.loads(self.qmp.readline(self.deadline, f"the QMP replies to {count} hot-adds"))
            if "error" in reply:
                raise GuestError(f"QMP hot-add of {count} DIMMs: {reply['error'].get('desc')}")
            replies += "return" in reply

    # ---- control line ----
    def wait_for(self, pattern, what=None):
        """Reads control lines until one matches the regular expression
        @pattern; returns the match. A "VMTEST FAILED" line is an error."""
        what = what or f"a line matching {pattern!r}"
        while True:
            line = self.ctl.readline(self.deadline, what)
            m = re.search(pattern, line)
            if m:
                return m
            if "VMTEST FAILED" in line:
                raise GuestError(line)

    def run(self, command, check=True):
        """Runs @command in the guest's shell; returns (status, output)."""
        cid = self.next_id
        self.next_id += 1
        self.ctl.send(f"CMD {cid} {command}\n")
        self.wait_for(rf"^VMTEST BEGIN {cid}$", f"the guest to start command {cid} ({command})")
        lines = []
        while True:
            line = self.ctl.readline(self.deadline, f"the end of command {cid} ({command})")
            m = re.fullmatch(rf"VMTEST DONE {cid} rc=(\d+)", line)
            if m:
                break
            lines.append(line)
        status, output = int(m.group(1)), "\n".join(lines)
        if check and status != 0:
            raise GuestError(f"guest command `{command}` failed with status {status}:\n{output}")
        return status, output

    def send_only(self, command):
        """Starts @command without waiting for it (it crashes the guest)."""
        self.ctl.send(f"CMD {self.next_id} {command}\n")
        self.next_id += 1

    def exited(self):
        return self.proc.poll() is not None

    def wait_exit(self, what):
        """Waits until QEMU exits (with -no-reboot, when the guest reboots
        or powers off); raises Timeout naming @what."""
        try:
            return self.proc.wait(timeout=max(self.deadline.left(), 0))
        except subprocess.TimeoutExpired:
            raise Timeout(what) from None


def _size_bytes(size):
    units = {"M": 1 << 20, "G": 1 << 30}
    return int(size[:-1]) * units[size[-1]] if size[-1] in units else int(size)
