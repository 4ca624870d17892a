# SPDX-License-Identifier: LGPL-2.1-or-later
"""A small blocking varlink client for the memranged integration tests.

Varlink messages are JSON objects, each terminated by one NUL byte. The
client keeps whatever it read past a NUL for the next receive, so replies
that arrive together (two calls in one write, a stream) come out one by one
and in order. Every socket operation has a timeout: a test never hangs on a
daemon that stopped answering.

Run as a script it makes one call and prints each reply as one JSON line,
which is how the tests call the daemon as another user (setpriv ... python3
varlink_client.py SOCKET METHOD [PARAMETERS] [--more]).
"""
import json
import socket
import sys
import threading
import time

DEFAULT_TIMEOUT = 10.0
# Refuse to buffer more than this from the daemon (its own limit is 1 MiB
# per message; a test never needs more).
MAX_REPLY = 16 * 1024 * 1024


class VarlinkError(Exception):
    """A reply that carries "error"."""

    def __init__(self, name, parameters):
        super().__init__(f"{name} {json.dumps(parameters, sort_keys=True)}")
        self.name = name
        self.parameters = parameters


class ProtocolError(Exception):
    """The daemon sent something that is not a varlink reply."""


class Connection:
    def __init__(self, path, timeout=DEFAULT_TIMEOUT):
        self.path = path
        self.timeout = timeout
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect(path)
        except OSError:
            self.sock.close()
            raise
        self.buf = b""

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- sending ----

    def send_raw(self, data):
        self.sock.sendall(data)

    @staticmethod
    def encode(method, parameters=None, more=False, oneway=False):
        message = {"method": method}
        if parameters is not None:
            message["parameters"] = parameters
        if more:
            message["more"] = True
        if oneway:
            message["oneway"] = True
        return json.dumps(message).encode() + b"\0"

    def send(self, method, parameters=None, more=False, oneway=False):
        self.send_raw(self.encode(method, parameters, more, oneway))

    # ---- receiving ----

    def _fill(self, timeout):
        """Reads once; returns False at EOF."""
        self.sock.settimeout(timeout)
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            return False
        self.buf += chunk
        if len(self.buf) > MAX_REPLY:
            raise ProtocolError(f"more than {MAX_REPLY} bytes without a NUL")
        return True

    def receive(self, timeout=None):
        """The next reply as a dict, or None when the daemon closed the
        connection (leftover bytes without a NUL are a protocol error).
        socket.timeout when nothing complete arrives in time."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("no complete reply in time")
            if not self._fill(left):
                if self.buf:
                    raise ProtocolError(f"connection closed inside a message: {self.buf[:200]!r}")
                return None
        text, self.buf = self.buf.split(b"\0", 1)
        try:
            # Strictly: json.loads() of bytes would let encoded surrogates through.
            reply = json.loads(text.decode("utf-8"))
        except ValueError as e:  # UnicodeDecodeError included
            raise ProtocolError(f"reply is not JSON ({e}): {text[:200]!r}") from None
        if not isinstance(reply, dict):
            raise ProtocolError(f"reply is not an object: {text[:200]!r}")
        return reply

    def has_data(self, timeout=0.0):
        """True when a byte (or EOF) is readable within @timeout."""
        if self.buf:
            return True
        self.sock.settimeout(timeout)
        try:
            self.sock.recv(1, socket.MSG_PEEK)
        except (socket.timeout, BlockingIOError):
            return False
        except ConnectionResetError:
            return True
        return True  # data, or b"" at EOF

    def expect_eof(self, timeout=None):
        """Reads until the daemon closes; returns the replies received on
        the way (bounded by MAX_REPLY)."""
        replies = []
        while True:
            reply = self.receive(timeout)
            if reply is None:
                return replies
            replies.append(reply)

    # ---- calls ----

    @staticmethod
    def check(reply):
        if reply is None:
            raise ProtocolError("the daemon closed the connection instead of replying")
        if "error" in reply:
            raise VarlinkError(reply["error"], reply.get("parameters", {}))
        if not isinstance(reply.get("parameters"), dict):
            raise ProtocolError(f"reply without parameters: {reply}")
        return reply["parameters"]

    def call(self, method, parameters=None, timeout=None):
        """One call, its reply's parameters; VarlinkError on an error."""
        self.send(method, parameters)
        reply = self.receive(timeout)
        parameters = self.check(reply)
        if reply.get("continues"):
            raise ProtocolError(f"{method}: 'continues' without 'more'")
        return parameters

    def call_error(self, method, parameters=None, more=False, timeout=None):
        """A call expected to fail: the whole error reply."""
        self.send(method, parameters, more=more)
        reply = self.receive(timeout)
        if reply is None:
            raise ProtocolError(f"{method}: connection closed instead of an error reply")
        if "error" not in reply:
            raise ProtocolError(f"{method}: expected an error, got {json.dumps(reply)[:300]}")
        return reply


class NotServed(Exception):
    """The well-behaved client was not served as it should have been."""


class WellBehaved:
    """A client that must keep being served while a hostile one runs.

    Used as a context manager around the hostile part: on entry it takes
    GetStatus and ListRanges as reference answers, then a thread calls both
    in a loop on its own connection, checking every reply against them
    (generation, number of ranges and total RAM; the whole table) and
    timing it: each must arrive within @bound seconds. On exit it waits for
    a round that started after the hostile part, and raises NotServed for
    any wrong, late or missing reply."""

    PAUSE = 0.01  # between rounds: the machine has other work

    def __init__(self, path, bound):
        self.path = path
        self.bound = bound
        self.errors = []
        self.rounds = 0
        self.slowest = 0.0
        self._stop = threading.Event()
        self._cond = threading.Condition()
        self._thread = None
        self._conn = None
        self._reference = None

    def _timed(self, method):
        start = time.monotonic()
        try:
            reply = self._conn.call(method, timeout=self.bound)
        except socket.timeout:
            raise NotServed(f"{method}: no reply within {self.bound} s") from None
        self.slowest = max(self.slowest, time.monotonic() - start)
        return reply

    def _round(self):
        status = self._timed("io.memranged.GetStatus")
        ranges = self._timed("io.memranged.ListRanges")["ranges"]
        return (status["generation"], status["ranges"], status["total_ram"]), ranges

    def _loop(self):
        try:
            while not self._stop.is_set():
                answers = self._round()
                if answers != self._reference:
                    self.errors.append(f"round {self.rounds + 1}: {answers[0]}, {len(answers[1])} ranges; "
                                       f"expected {self._reference[0]}, {len(self._reference[1])} ranges")
                with self._cond:
                    self.rounds += 1
                    self._cond.notify_all()
                self._stop.wait(self.PAUSE)
        except Exception as e:  # every failure is reported on exit
            self.errors.append(f"{type(e).__name__}: {e}")
        with self._cond:
            self._stop.set()
            self._cond.notify_all()

    def __enter__(self):
        self._conn = Connection(self.path, self.bound)
        self._reference = self._round()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        with self._cond:
            target = self.rounds + 2  # one that started after the hostile part
            self._cond.wait_for(lambda: self.rounds >= target or self._stop.is_set(), timeout=4 * self.bound)
        self._stop.set()
        self._thread.join(4 * self.bound)
        self._conn.close()
        print(f"well-behaved client: {self.rounds} rounds, slowest reply {self.slowest * 1000:.0f} ms")
        if exc_type is not None:
            return False
        if self.errors:
            raise NotServed(f"the well-behaved client: {'; '.join(self.errors[:5])}")
        if self.rounds < target:
            raise NotServed(f"the well-behaved client finished {self.rounds} rounds, expected {target}")
        return False


def call(path, method, parameters=None, timeout=DEFAULT_TIMEOUT):
    """One call on a fresh connection."""
    with Connection(path, timeout) as c:
        return c.call(method, parameters)


def main(argv):
    if len(argv) < 3:
        print(f"usage: {argv[0]} SOCKET METHOD [PARAMETERS-JSON] [--more]", file=sys.stderr)
        return 2
    more = "--more" in argv
    args = [a for a in argv[1:] if a != "--more"]
    parameters = json.loads(args[2]) if len(args) > 2 else None
    with Connection(args[0]) as c:
        c.send(args[1], parameters, more=more)
        # For a stream, the first reply is enough: the caller wants to see
        # whether the call was accepted.
        reply = c.receive()
        if reply is None:
            print("connection closed", file=sys.stderr)
            return 1
        print(json.dumps(reply, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
