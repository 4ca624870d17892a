#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Hostile connections get the documented limit or disconnect (memranged(8),
SOCKET), and a well-behaved client (varlink_client.WellBehaved: GetStatus
and ListRanges in a loop as root, every reply checked and within BOUND
seconds) is served throughout each test.

The hostile users run as uid 65534 (root is exempt from the per-user
limit of 16 connections); a second user, uid 65533, must be served
meanwhile. The daemon's open descriptors (/proc/PID/fd) must stay within
the limits and come back to where they were once the hostile client is
gone; so must its resident memory (not checked under valgrind or
AddressSanitizer, whose own memory hides the daemon's).

The fixture is x86_64-6.1-dimm/hotplug: 11 ranges, generation 1.
"""
import json
import os
import resource
import socket
import struct
import subprocess
import sys
import time

import daemon_harness as h
import varlink_client as vc
from daemon_harness import expect, expect_eq

FIXTURE = "x86_64-6.1-dimm/hotplug"
BOUND = 2.0 * h.SLOWDOWN
PER_USER = 16
HOSTILE_UID = 65534
OTHER_UID = 65533
RSS_SLACK_KIB = 16 * 1024
HERE = os.path.dirname(os.path.abspath(__file__))


def start(ctx):
    return ctx.daemon(sysroot=h.fixture(FIXTURE), test_uevents=False, log_level="info")


def open_fds(d):
    return len(os.listdir(f"/proc/{d.pid}/fd"))


def wait_fds(d, expected, what):
    """Waits until the daemon holds @expected descriptors again."""
    deadline = time.monotonic() + 5 * h.SLOWDOWN
    while open_fds(d) != expected:
        if time.monotonic() > deadline:
            raise h.TestFailure(f"{what}: the daemon holds {open_fds(d)} descriptors, expected {expected}")
        time.sleep(h.POLL_INTERVAL)


def rss_checked(d):
    return not (h.WRAP or d.sanitized())


def expect_rss_bounded(d, idle, peak, what):
    if rss_checked(d):
        expect(peak - idle <= RSS_SLACK_KIB, f"VmRSS grew from {idle} KiB to {peak} KiB {what}")


def python_for(uid):
    """A python3 that @uid can run (sys.executable may sit in /root)."""
    for python in (sys.executable, "/usr/bin/python3"):
        if subprocess.run(as_uid(uid) + [python, "-c", "pass"], capture_output=True).returncode == 0:
            return python
    raise h.TestFailure(f"no python3 that uid {uid} can run")


def as_uid(uid):
    return ["setpriv", "--reuid", str(uid), "--regid", str(uid), "--clear-groups"]


def allow_many_fds():
    """Room for the flood's sockets (the child is still root here); without
    CAP_SYS_RESOURCE up to the hard limit only."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    for limits in [(8192, max(hard, 8192)), (hard, hard)]:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, limits)
            return
        except (ValueError, OSError):
            pass


def spawn_as(ctx, uid, script, *args):
    """Runs @script as @uid in the background, stdin and stdout piped."""
    h.require_root(f"switching to uid {uid} needs root")
    os.chmod(ctx.tmp, 0o755)
    env = dict(os.environ, PYTHONPATH=HERE, PYTHONDONTWRITEBYTECODE="1")
    return subprocess.Popen(as_uid(uid) + [python_for(uid), "-c", script] + [str(a) for a in args],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, preexec_fn=allow_many_fds)


def read_report(p, what):
    """The JSON line the hostile script prints once it is in place."""
    line = p.stdout.readline()
    if not line:
        p.wait(10)
        raise h.TestFailure(f"{what} ended without a report ({p.returncode}): {p.stderr.read()}")
    return json.loads(line)


def finish(p, what):
    """Lets the hostile script go on (it closes everything) and waits."""
    out, err = p.communicate("\n", timeout=30 * h.SLOWDOWN)
    expect_eq(p.returncode, 0, f"{what} failed: {err}")
    return json.loads(out) if out.strip() else None


GET_STATUS = """
import json, sys, varlink_client as vc
try:
    with vc.Connection(sys.argv[1]) as c:
        print(json.dumps(c.call("io.memranged.GetStatus")["generation"]))
except (vc.ProtocolError, BrokenPipeError, ConnectionResetError) as e:
    print(json.dumps("refused"))
"""


def generation_as(ctx, uid, d):
    """GetStatus's generation as @uid, or "refused"."""
    p = spawn_as(ctx, uid, GET_STATUS, d.socket)
    out, err = p.communicate(timeout=30 * h.SLOWDOWN)
    expect_eq(p.returncode, 0, f"GetStatus as uid {uid}: {err}")
    return json.loads(out)


# ---- thousands of connections ----

FLOOD = """
import json, resource, socket, sys, time
path, n = sys.argv[1], int(sys.argv[2])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft != resource.RLIM_INFINITY:
    n = min(n, soft - 64)
started = time.monotonic()
socks = []
for _ in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(path)
    socks.append(s)
opened = time.monotonic() - started
call = b'{"method":"io.memranged.GetStatus"}\\0'
served = refused = 0
for s in socks:
    try:
        s.sendall(call)
    except (BrokenPipeError, ConnectionResetError):
        pass
for s in socks:
    data = b""
    try:
        while b"\\0" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except ConnectionResetError:
        pass
    if b"\\0" in data and json.loads(data.split(b"\\0")[0])["parameters"]["generation"] == 1:
        served += 1
    else:
        refused += 1
print(json.dumps({"opened": n, "served": served, "refused": refused, "seconds": round(opened, 3)}), flush=True)
sys.stdin.readline()
for s in socks:
    s.close()
"""


def refusal_log_lines(d):
    return [line for line in d.log().splitlines() if "connections, refusing" in line]


def test_thousands_of_connections_from_one_uid(ctx):
    """3000 sockets opened as fast as possible by uid 65534 and held: 16
    are served, the rest closed at once; uid 65533 and root are served;
    descriptors and memory stay bounded; the log says so without a line
    per refusal; all recovers once the flood closes its sockets. (Fewer
    sockets when RLIMIT_NOFILE cannot be raised, but at least 900.)"""
    n = 3000
    d = start(ctx)
    with vc.WellBehaved(d.socket, BOUND):
        fds_idle, rss_idle = open_fds(d), h.vm_rss_kib(d.pid)
        flood = spawn_as(ctx, HOSTILE_UID, FLOOD, d.socket, n)
        report = read_report(flood, "the flood")
        print(f"flood: {report}")
        n = report["opened"]
        expect(n >= 900, f"the flood could open only {n} sockets (RLIMIT_NOFILE)")
        expect_eq((report["served"], report["refused"]), (PER_USER, n - PER_USER), "flood connections served")
        expect(open_fds(d) <= fds_idle + PER_USER, f"{open_fds(d)} descriptors during the flood, {fds_idle} before")
        rss_peak = h.vm_rss_kib(d.pid)
        expect_eq(generation_as(ctx, OTHER_UID, d), 1, f"GetStatus as uid {OTHER_UID} during the flood")
        expect_eq(generation_as(ctx, HOSTILE_UID, d), "refused", f"a 3001st connection of uid {HOSTILE_UID}")
        finish(flood, "the flood")
        wait_fds(d, fds_idle, "after the flood")
        expect_eq(generation_as(ctx, HOSTILE_UID, d), 1, f"GetStatus as uid {HOSTILE_UID} after the flood")
    expect_rss_bounded(d, rss_idle, rss_peak, f"with {n} connections of one uid")
    logged = refusal_log_lines(d)
    expect(logged and "uid 65534 already has 16 connections" in logged[0], f"the refusal log: {logged[:3]}")
    # One line per refusal would let a user flood the journal (whose rate
    # limit then drops memranged's own messages).
    expect(len(logged) <= 10 + report["seconds"] * 2, f"{len(logged)} log lines about refused connections")


# ---- slow and idle clients ----

SLOWLORIS = """
import json, socket, sys, time, varlink_client as vc
path, n, pause = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
conns = [vc.Connection(path, 30) for _ in range(n)]
call = vc.Connection.encode("io.memranged.GetStatus")
sys.stdin.readline()  # the parent took its measures
for i in range(len(call)):
    for c in conns:
        c.send_raw(call[i:i + 1])
    time.sleep(pause)
print(json.dumps([vc.Connection.check(c.receive())["generation"] for c in conns]), flush=True)
"""

IDLE = """
import json, sys, varlink_client as vc
conns = [vc.Connection(sys.argv[1], 30) for _ in range(int(sys.argv[2]))]
print(json.dumps(len(conns)), flush=True)
sys.stdin.readline()
print(json.dumps([c.call("io.memranged.GetStatus")["generation"] for c in conns]), flush=True)
"""


def test_slowloris_takes_only_its_users_slots(ctx):
    """uid 65534 sends a call one byte per 100 ms on each of its 16
    connections: the daemon waits (no timeout), a 17th connection of that
    user is refused, other users are served, and each slow call is
    answered once complete."""
    d = start(ctx)
    with vc.WellBehaved(d.socket, BOUND):
        fds_idle = open_fds(d)
        slow = spawn_as(ctx, HOSTILE_UID, SLOWLORIS, d.socket, PER_USER, 0.1)
        wait_fds(d, fds_idle + PER_USER, "16 slow connections")
        slow.stdin.write("\n")
        slow.stdin.flush()
        expect_eq(generation_as(ctx, HOSTILE_UID, d), "refused", "a 17th connection of the slow user")
        expect_eq(generation_as(ctx, OTHER_UID, d), 1, f"GetStatus as uid {OTHER_UID} meanwhile")
        answers = read_report(slow, "the slow client")
        expect_eq(answers, [1] * PER_USER, "the slow calls' answers")
        finish(slow, "the slow client")
        wait_fds(d, fds_idle, "after the slow client")


def test_idle_connections_take_only_their_users_slots(ctx):
    """uid 65534 opens 16 connections and sends nothing: they stay open (no
    idle timeout, documented), a 17th is refused, other users are served,
    and the idle connections are answered when they finally call."""
    d = start(ctx)
    with vc.WellBehaved(d.socket, BOUND):
        fds_idle, rss_idle = open_fds(d), h.vm_rss_kib(d.pid)
        idle = spawn_as(ctx, HOSTILE_UID, IDLE, d.socket, PER_USER)
        expect_eq(read_report(idle, "the idle client"), PER_USER, "idle connections opened")
        wait_fds(d, fds_idle + PER_USER, "16 idle connections")
        expect_eq(generation_as(ctx, HOSTILE_UID, d), "refused", "a 17th connection of the idle user")
        expect_eq(generation_as(ctx, OTHER_UID, d), 1, f"GetStatus as uid {OTHER_UID} meanwhile")
        rss = h.vm_rss_kib(d.pid)
        time.sleep(1)  # idle for a while: nothing closes them
        expect_eq(open_fds(d), fds_idle + PER_USER, "idle connections after 1 s")
        expect_eq(finish(idle, "the idle client"), [1] * PER_USER, "the idle connections' calls")
        wait_fds(d, fds_idle, "after the idle client")
    expect_rss_bounded(d, rss_idle, rss, "with 16 idle connections")


# ---- clients that do not read ----

def test_client_that_never_reads_large_replies_is_cut_off(ctx):
    """Pipelined calls with 10 KiB replies, never read: once 4 MiB are
    queued the daemon cuts the client off (logged), holding no more."""
    d = start(ctx)
    call = vc.Connection.encode("org.varlink.service.GetInterfaceDescription", {"interface": "io.memranged"})
    with vc.WellBehaved(d.socket, BOUND):
        fds_idle, rss_idle = open_fds(d), h.vm_rss_kib(d.pid)
        reply_size = len(json.dumps(d.call("org.varlink.service.GetInterfaceDescription",
                                           {"interface": "io.memranged"})))
        rss_peak, sent, cut_off = rss_idle, 0, False
        with d.connect() as c:
            c.sock.settimeout(0.2)
            deadline = time.monotonic() + 20 * h.SLOWDOWN
            while not cut_off and time.monotonic() < deadline:
                try:
                    sent += c.sock.send(call * 16) // len(call)
                except socket.timeout:
                    pass  # the daemon is not reading us now
                except (BrokenPipeError, ConnectionResetError):
                    cut_off = True
                rss_peak = max(rss_peak, h.vm_rss_kib(d.pid))
        expect(cut_off, f"still connected after {sent} calls of {reply_size} bytes each")
        wait_fds(d, fds_idle, "after the non-reader")
    print(f"non-reader cut off after {sent} calls of {reply_size} bytes")
    expect(sent * reply_size > 4 * 1024 * 1024, f"cut off after only {sent} calls")
    expect("does not read its replies" in d.log(), "the cut-off is not logged")
    expect_rss_bounded(d, rss_idle, rss_peak, "with a client that never reads")


def test_half_closed_connections(ctx):
    """shutdown(SHUT_WR) after complete calls: every reply, then EOF; after
    a partial message: EOF without a reply; with a stream open: the
    stream stays until the client goes; shutdown(SHUT_RD): the daemon's
    reply fails and it drops the connection."""
    d = start(ctx)
    reference = d.ranges()["ranges"]
    with vc.WellBehaved(d.socket, BOUND):
        fds_idle = open_fds(d)
        with d.connect() as c:
            c.send_raw(vc.Connection.encode("io.memranged.ListRanges") * 100)
            c.sock.shutdown(socket.SHUT_WR)
            replies = c.expect_eof(timeout=10 * h.SLOWDOWN)
            expect_eq(len(replies), 100, "replies to 100 calls before SHUT_WR")
            expect(all(r["parameters"]["ranges"] == reference for r in replies), "a reply after SHUT_WR differs")

        with d.connect() as c:
            c.send_raw(vc.Connection.encode("io.memranged.GetStatus") + b"{\"method\":\"io.memr")
            c.sock.shutdown(socket.SHUT_WR)
            replies = c.expect_eof(timeout=10 * h.SLOWDOWN)
            expect_eq([r["parameters"].get("generation") for r in replies], [1],
                      "replies to a call and a partial message before SHUT_WR")
        expect("closed with an unterminated message" in d.log(), "the partial message is not logged")

        with d.connect() as c:
            c.send("io.memranged.Subscribe", more=True)
            expect_eq(c.receive(timeout=BOUND)["parameters"]["change"]["reason"], "current", "Subscribe")
            c.sock.shutdown(socket.SHUT_WR)
            expect(not c.has_data(timeout=0.5), "a stream closed when its client shut down its sending side")
            expect_eq(open_fds(d), fds_idle + 1, "the half-closed stream's descriptor")
        wait_fds(d, fds_idle, "after the stream's client closed")

        with d.connect() as c:
            c.sock.shutdown(socket.SHUT_RD)
            c.send("io.memranged.GetStatus")
            wait_fds(d, fds_idle, "after a call from a client that shut down its reading side")


def test_reset_in_the_middle_of_a_reply(ctx):
    """Clients that close with unread replies and SO_LINGER 0 (a reset)
    after reading part of a reply, or nothing: the daemon drops them."""
    d = start(ctx)
    calls = vc.Connection.encode("io.memranged.ListRanges") * 200
    with vc.WellBehaved(d.socket, BOUND):
        fds_idle = open_fds(d)
        for k in range(40):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(BOUND)
            s.connect(d.socket)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.sendall(calls)
            if k % 2:
                s.recv(1000)  # part of the first reply
            s.close()
        wait_fds(d, fds_idle, "after 40 resets")
    expect(d.running(), "the daemon died")


if __name__ == "__main__":
    h.run([
        test_thousands_of_connections_from_one_uid,
        test_slowloris_takes_only_its_users_slots,
        test_idle_connections_take_only_their_users_slots,
        test_client_that_never_reads_large_replies_is_cut_off,
        test_half_closed_connections,
        test_reset_in_the_middle_of_a_reply,
    ])
