#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Hostile requests get the documented error or disconnect (memranged(8),
SOCKET and PRIVILEGES), and a well-behaved client (varlink_client.
WellBehaved: GetStatus and ListRanges in a loop, every reply checked and
within BOUND seconds) is served throughout each test.

What is documented:
  - a message that is not valid JSON text (invalid UTF-8, an integer beyond
    64 bits, a number beyond a double, nested deeper than 64 levels) or not
    a varlink call: org.varlink.service.InvalidParameter {"parameter": ""}
    (or naming the envelope member), then the daemon hangs up;
  - a message longer than 1 MiB (NUL excluded): disconnected, no reply;
  - a value of the wrong type or out of the parameter's range:
    io.memranged.InvalidParameter (org.varlink.service.InvalidParameter for
    the service interface, and for a parameter the method does not
    declare) naming the parameter; the connection stays;
  - unprivileged callers: AddressesHidden from the methods carrying
    addresses, PermissionDenied from Rescan and Reload, GetStatus without
    the members that may quote files or commands.

The methods and parameters come from the IDL the daemon serves, so a new
method or parameter is covered (or fails the test) without editing it.
The fixture is x86_64-6.1-dimm/hotplug: 11 ranges, generation 1.
"""
import json
import os
import socket

import daemon_harness as h
import varlink_client as vc
import varlink_idl
from daemon_harness import expect, expect_eq

FIXTURE = "x86_64-6.1-dimm/hotplug"
# Every reply to the well-behaved client, however busy the daemon is.
BOUND = 2.0 * h.SLOWDOWN
MAX_MESSAGE = 1024 * 1024
MAX_DEPTH = 64
INVALID_PARAMETER = {"io.memranged.InvalidParameter", "org.varlink.service.InvalidParameter"}


def start(ctx, sysroot=None):
    return ctx.daemon(sysroot=sysroot or h.fixture(FIXTURE), test_uevents=False, log_level="info")


def send_ignoring_hangup(c, data):
    try:
        c.send_raw(data)
    except (BrokenPipeError, ConnectionResetError):
        pass  # cut off while sending


def hangup_replies(d, data, what):
    """Sends @data on a fresh connection; the replies before the daemon
    hangs up (failing if it does not)."""
    with d.connect() as c:
        send_ignoring_hangup(c, data)
        try:
            return c.expect_eof(timeout=5 * h.SLOWDOWN)
        except socket.timeout:
            raise h.TestFailure(f"{what}: the daemon neither answered nor hung up") from None


def expect_malformed(d, data, what):
    """The documented answer to a message that is not valid JSON:
    InvalidParameter naming no member, then the daemon hangs up."""
    replies = hangup_replies(d, data, what)
    expect_eq([(r.get("error"), r.get("parameters")) for r in replies],
              [("org.varlink.service.InvalidParameter", {"parameter": ""})], f"{what}: replies before EOF")


def expect_named(c, method, parameters, parameter, what, more=False):
    """An InvalidParameter naming @parameter; the connection stays usable."""
    c.send(method, parameters, more=more)
    reply = c.receive(timeout=BOUND)
    if reply is None:
        raise h.TestFailure(f"{what}: the daemon hung up instead of naming {parameter!r}")
    expect(reply.get("error") in INVALID_PARAMETER, f"{what}: {json.dumps(reply)[:300]}")
    expect_eq(reply["parameters"].get("parameter"), parameter, f"{what}: the parameter named")


def idl():
    with open(h.env_path("MEMRANGED_IDL")) as f:
        return varlink_idl.Interface(f.read())


def served_interfaces(d):
    """Every interface the daemon serves, parsed from its own descriptions."""
    names = d.call("org.varlink.service.GetInfo")["interfaces"]
    return [varlink_idl.Interface(d.call("org.varlink.service.GetInterfaceDescription",
                                         {"interface": n})["description"]) for n in names]


def parameters_of(iface, method):
    kind, fields = iface.methods[method][0]
    expect_eq(kind, "struct", f"{iface.name}.{method} parameters")
    return fields


def resolve(iface, typ):
    """@typ without a named type reference or an optional marker."""
    while typ[0] in ("ref", "optional"):
        typ = iface.types[typ[1]] if typ[0] == "ref" else typ[1]
    return typ


# ---- size ----

def test_message_size_limit_at_just_over_and_never_ending(ctx):
    d = start(ctx)
    head = b"{\"method\":\"io.memranged.GetStatus\""
    with vc.WellBehaved(d.socket, BOUND):
        # Exactly 1 MiB (blanks are valid JSON): an ordinary call.
        with d.connect() as c:
            c.send_raw(head + b" " * (MAX_MESSAGE - len(head) - 1) + b"}\0")
            expect_eq(vc.Connection.check(c.receive(timeout=BOUND))["generation"], 1, "a call of exactly 1 MiB")
        # One byte more: cut off without a word.
        replies = hangup_replies(d, head + b" " * (MAX_MESSAGE - len(head)) + b"}\0", "1 MiB + 1 byte")
        expect_eq(replies, [], "replies to a message of 1 MiB + 1 byte")
        expect("exceeds 1048576 bytes" in d.log(), "the oversized message is not logged")

        # A message that never ends: the daemon must hang up once it holds
        # more than 1 MiB, not buffer on.
        sent = 0
        with d.connect() as c:
            c.sock.settimeout(5 * h.SLOWDOWN)
            chunk = b"{\"method\":\"io.memranged.GetStatus\",\"x\":\"" + b"a" * 65536
            try:
                while sent < 16 * MAX_MESSAGE:
                    sent += c.sock.send(chunk)
                    chunk = b"a" * 65536
            except (BrokenPipeError, ConnectionResetError):
                pass
            except socket.timeout:
                raise h.TestFailure(f"a never-ending message: the daemon stopped reading after {sent} bytes "
                                    "without hanging up") from None
            expect_eq(c.expect_eof(timeout=5 * h.SLOWDOWN), [], "replies to a never-ending message")
        print(f"never-ending message: cut off after {sent} bytes")
        # What the daemon holds (1 MiB + 1) plus the socket buffers.
        expect(MAX_MESSAGE < sent <= 3 * MAX_MESSAGE, f"cut off after {sent} bytes")


# ---- nesting ----

def nested_arrays(levels):
    return b"[" * levels + b"]" * levels


def nested_objects(levels):
    return b"{\"a\":" * (levels - 1) + b"{}" + b"}" * (levels - 1)


def test_nesting_limit_in_parameters_and_at_top_level(ctx):
    d = start(ctx)
    with vc.WellBehaved(d.socket, BOUND):
        with d.connect() as c:
            # 64 levels: the envelope, "parameters" and 62 arrays. Parsed,
            # then judged by the method: types must hold strings.
            c.send_raw(b"{\"method\":\"io.memranged.ListRanges\",\"parameters\":{\"types\":" +
                       nested_arrays(MAX_DEPTH - 2) + b"}}\0")
            reply = c.receive(timeout=BOUND)
            expect_eq((reply.get("error"), reply["parameters"].get("parameter")),
                      ("io.memranged.InvalidParameter", "types"), "64 levels in the parameters")
            # 64 levels in a member the envelope ignores: answered.
            for what, value in [("arrays", nested_arrays(MAX_DEPTH - 1)), ("objects", nested_objects(MAX_DEPTH - 1))]:
                c.send_raw(b"{\"method\":\"io.memranged.GetStatus\",\"x\":" + value + b"}\0")
                expect_eq(vc.Connection.check(c.receive(timeout=BOUND))["generation"], 1,
                          f"64 levels of {what} at the top level")
        for what, data in [
            ("65 levels in the parameters", b"{\"method\":\"io.memranged.ListRanges\",\"parameters\":{\"types\":" +
             nested_arrays(MAX_DEPTH - 1) + b"}}\0"),
            ("65 levels of objects in the parameters", b"{\"method\":\"io.memranged.ListRanges\",\"parameters\":" +
             nested_objects(MAX_DEPTH) + b"}\0"),
            ("65 levels of arrays at the top level", b"{\"method\":\"io.memranged.GetStatus\",\"x\":" +
             nested_arrays(MAX_DEPTH) + b"}\0"),
            ("65 levels of objects at the top level", b"{\"method\":\"io.memranged.GetStatus\",\"x\":" +
             nested_objects(MAX_DEPTH) + b"}\0"),
            ("100000 levels", b"{\"method\":\"io.memranged.GetStatus\",\"x\":" + nested_arrays(100000) + b"}\0"),
            ("100000 unclosed levels", b"{\"method\":\"io.memranged.GetStatus\",\"x\":" + b"[" * 100000 + b"\0"),
        ]:
            expect_malformed(d, data, what)


# ---- many values ----

MAX_VALUES = 4096


def peak_rss_kib(d):
    """VmHWM: the daemon's largest resident size yet (a sample of VmRSS
    would miss a peak freed at once)."""
    with open(f"/proc/{d.pid}/status") as f:
        return int(next(line for line in f if line.startswith("VmHWM:")).split()[1])


def many_values(n, value):
    """A GetStatus call of @n values in all: the envelope, its two member
    names, the method name, the array "x" and its @n - 5 @value."""
    return (b"{\"method\":\"io.memranged.GetStatus\",\"x\":[" + b",".join([value] * (n - 5)) + b"]}\0")


SMALL_VALUES = [b"{}", b"[]", b"0", b"\"\"", b"null"]


def test_values_per_call_are_limited(ctx):
    """Every JSON value costs the daemon far more memory and time than its
    bytes (an empty object about 700 bytes): 1 MiB of "{}," would take
    hundreds of MiB and most of a second. A call holds at most 4096 values
    (member names included); past that it is malformed. Four clients
    sending 1 MiB of tiny values in a loop must neither delay the
    well-behaved client nor grow the daemon."""
    d = start(ctx)
    with vc.WellBehaved(d.socket, BOUND):
        rss_idle = h.vm_rss_kib(d.pid)
        expect(peak_rss_kib(d) - rss_idle <= 16 * 1024, "the daemon's peak before the test")
        with d.connect() as c:
            for value in SMALL_VALUES:
                c.send_raw(many_values(MAX_VALUES, value))
                expect_eq(vc.Connection.check(c.receive(timeout=BOUND))["generation"], 1,
                          f"a call of {MAX_VALUES} values {value.decode()}")
        for value in SMALL_VALUES:
            expect_malformed(d, many_values(MAX_VALUES + 1, value), f"{MAX_VALUES + 1} values {value.decode()}")
        for _ in range(3):
            conns = [d.connect() for _ in range(4)]
            for c, value in zip(conns, SMALL_VALUES):
                send_ignoring_hangup(c, many_values((MAX_MESSAGE - 64) // (len(value) + 1), value))
            for c in conns:
                try:
                    c.expect_eof(timeout=10 * h.SLOWDOWN)
                finally:
                    c.close()
    if not (h.WRAP or d.sanitized()):
        expect(peak_rss_kib(d) - rss_idle <= 16 * 1024, f"VmRSS from {rss_idle} KiB to a peak of {peak_rss_kib(d)} KiB")


# ---- UTF-8 ----

# Byte sequences that are not UTF-8 (RFC 3629) or, as escapes, encode no
# character (a surrogate alone).
NOT_UTF8 = [
    ("overlong '/'", b"\xc0\xaf"),
    ("overlong NUL", b"\xc0\x80"),
    ("3-byte overlong", b"\xe0\x80\xaf"),
    ("4-byte overlong", b"\xf0\x80\x80\xaf"),
    ("encoded high surrogate", b"\xed\xa0\x80"),
    ("encoded low surrogate", b"\xed\xbf\xbf"),
    ("encoded surrogate pair", b"\xed\xa0\xbd\xed\xb8\x80"),
    ("escaped lone high surrogate", b"\\ud800"),
    ("escaped lone low surrogate", b"\\udc00"),
    ("high surrogate escape before a letter", b"\\ud800\\u0041"),
    ("byte 0xff", b"\xff"),
    ("byte 0xfe", b"\xfe"),
    ("lone 0xc0", b"\xc0"),
    ("lone continuation byte", b"\x80"),
    ("truncated 2-byte sequence", b"\xc3"),
    ("truncated 3-byte sequence", b"\xe2\x82"),
    ("truncated 4-byte sequence", b"\xf0\x9f\x98"),
    ("above U+10FFFF", b"\xf4\x90\x80\x80"),
    ("5-byte form", b"\xf8\x88\x80\x80\x80"),
]

# Where the bytes go: method name, parameter name and value, envelope member.
PLACES = [
    ("method name", b"{\"method\":\"io.memranged.GetStatus%s\"}\0"),
    ("parameter name", b"{\"method\":\"io.memranged.ListRanges\",\"parameters\":{\"ty%spes\":[\"ram\"]}}\0"),
    ("array element", b"{\"method\":\"io.memranged.ListRanges\",\"parameters\":{\"types\":[\"ram%s\"]}}\0"),
    ("string value", b"{\"method\":\"io.memranged.GetCrashRanges\",\"parameters\":{\"policy\":\"kernel%s\"}}\0"),
    ("envelope member", b"{\"method\":\"io.memranged.GetStatus\",\"x%s\":1}\0"),
]


def test_invalid_utf8_in_method_names_keys_and_values(ctx):
    d = start(ctx)
    with vc.WellBehaved(d.socket, BOUND):
        for what, bad in NOT_UTF8:
            for place, template in PLACES:
                expect_malformed(d, template.replace(b"%s", bad), f"{what} in the {place}")
        # "\u0000" cannot be part of a name (it would name another one)...
        expect_malformed(d, b"{\"method\":\"io.memranged.ListRanges\",\"parameters\":{\"node\\u0000x\":0}}\0",
                         "\\u0000 in a parameter name")
        with d.connect() as c:
            # ...and a value holding it is refused by name.
            expect_named(c, "io.memranged.GetCrashRanges", {"policy": "kernel\0"}, "policy", "\\u0000 in a value")
            # Valid UTF-8, raw or escaped, goes through and comes back intact.
            for key in ["t\u00e9", "t\U0001f600", "\u65e5\u672c"]:
                expect_named(c, "io.memranged.ListRanges", {key: 1}, key, f"parameter {key!r}")
                c.send_raw(b"{\"method\":\"io.memranged.ListRanges\",\"parameters\":{" +
                           json.dumps(key, ensure_ascii=True).encode() + b":1}}\0")
                reply = c.receive(timeout=BOUND)
                expect_eq(reply["parameters"].get("parameter"), key, f"parameter {key!r} sent escaped")
            expect_eq(c.call("io.memranged.GetStatus")["generation"], 1, "the connection after the named errors")


def test_bytes_of_a_kernel_file_that_are_not_utf8_reach_clients_as_utf8(ctx):
    """A source error quotes the file it could not parse; whatever bytes
    that holds, the reply is UTF-8 (each stray byte becomes U+FFFD)."""
    root = h.copy_fixture(FIXTURE, ctx.path("root"))
    with open(os.path.join(root, "sys/firmware/memmap/3/start"), "wb") as f:
        f.write(b"0x\xff\xc0\xaf\n")
    d = start(ctx, sysroot=root)
    with vc.WellBehaved(d.socket, BOUND):
        sources = {s["name"]: s for s in d.status()["sources"]}  # the client decodes strictly
        expect_eq(sources["firmware-memmap"]["status"], "error", "firmware-memmap status")
        expect("'0x\ufffd\ufffd\ufffd'" in sources["firmware-memmap"]["error"],
               f"the quoted bytes: {sources['firmware-memmap']['error']!r}")


# ---- numbers ----

# Not representable in JSON as the daemon reads it: a malformed message.
UNREPRESENTABLE = [b"18446744073709551616", b"99999999999999999999999999999", b"-9223372036854775809",
                   b"1e999", b"-1e999", b"1E400"]
# Numbers, but not an unsigned integer: refused by name.
NOT_UNSIGNED = [b"-1", b"-9223372036854775808", b"1.5", b"1e3", b"1E+2", b"0.0", b"-0.0", b"1e-999"]


def integer_parameters(iface):
    return [(m, name) for m in iface.methods for name, t in parameters_of(iface, m).items()
            if resolve(iface, t) == ("basic", "int")]


def test_numbers_out_of_range_in_every_integer_parameter(ctx):
    d = start(ctx)
    iface = idl()
    cases = integer_parameters(iface)
    expect({("ListRanges", "node"), ("ListRanges", "start"), ("ListRanges", "end"),
            ("GetElfCoreHeader", "direct_map_base"), ("GetElfCoreHeader", "backup_offset")} <= set(cases),
           f"integer parameters found in the IDL: {cases}")
    with vc.WellBehaved(d.socket, BOUND):
        for method, name in cases:
            call = b"{\"method\":\"io.memranged.%s\",\"parameters\":{\"%s\":%s}}\0"
            for number in UNREPRESENTABLE:
                expect_malformed(d, call % (method.encode(), name.encode(), number),
                                 f"{method} {name}={number.decode()}")
            with d.connect() as c:
                for number in NOT_UNSIGNED:
                    c.send_raw(call % (method.encode(), name.encode(), number))
                    reply = c.receive(timeout=BOUND)
                    expect_eq((reply.get("error"), reply["parameters"].get("parameter")),
                              ("io.memranged.InvalidParameter", name), f"{method} {name}={number.decode()}")
                # The smallest value is a value: no error.
                c.send(f"io.memranged.{method}", {name: 0})
                vc.Connection.check(c.receive(timeout=BOUND))
        print(f"{len(cases)} integer parameters, {len(UNREPRESENTABLE) + len(NOT_UNSIGNED) + 1} numbers each")


# ---- types ----

SAMPLES = {"string": "x", "int": 1, "float": 1.5, "bool": True, "array": [], "object": {}}


def wrong_values(iface, typ):
    """JSON values that are not of @typ (null excluded: it means absent)."""
    typ = resolve(iface, typ)
    kind, arg = typ
    if kind == "basic" and arg == "object":
        return []  # anything goes
    if kind == "basic":
        ok = {"string": {"string"}, "int": {"int"}, "float": {"int", "float"}, "bool": {"bool"}}[arg]
        return [v for k, v in SAMPLES.items() if k not in ok]
    if kind == "array":
        return ([v for k, v in SAMPLES.items() if k != "array"] +
                [[v] for v in wrong_values(iface, arg)])
    if kind == "map":
        return ([v for k, v in SAMPLES.items() if k != "object"] +
                [{"k": v} for v in wrong_values(iface, arg)])
    if kind == "enum":
        return [1, True, [], {}, "not-" + "-".join(arg)]
    if kind == "struct":
        return [v for k, v in SAMPLES.items() if k != "object"]
    raise h.TestFailure(f"no wrong values for {typ}")


def test_wrong_types_in_every_parameter_of_every_method(ctx):
    """Every method of every interface served, each parameter given each
    value of another type (arrays and maps also a wrong element): an
    InvalidParameter naming that parameter, the connection kept. Methods
    without parameters get an unknown one. All calls ask for "more", so
    streams are covered and plain methods answer once."""
    d = start(ctx)
    covered = []
    with vc.WellBehaved(d.socket, BOUND), d.connect() as c:
        for iface in served_interfaces(d):
            for method in iface.methods:
                full = f"{iface.name}.{method}"
                fields = parameters_of(iface, method)
                if not fields:
                    expect_named(c, full, {"bogus": 1}, "bogus", f"{full} with an unknown parameter", more=True)
                    covered.append((full, "bogus"))
                for name, typ in fields.items():
                    values = wrong_values(iface, typ)
                    expect(values or resolve(iface, typ) == ("basic", "object"), f"{full} {name}: no wrong values")
                    for value in values:
                        expect_named(c, full, {name: value}, name, f"{full} {name}={json.dumps(value)}", more=True)
                    covered.append((full, name))
        expect_eq(c.call("io.memranged.GetStatus")["generation"], 1, "the connection after every refusal")
    methods = {m for m, _ in covered}
    expect({f"io.memranged.{m}" for m in idl().methods} <= methods, f"methods covered: {sorted(methods)}")
    expect("org.varlink.service.GetInterfaceDescription" in methods, "the service interface is not covered")
    print(f"{len(covered)} parameters of {len(methods)} methods refused with every wrong type")


# ---- privileges ----

# What an unprivileged caller gets from each method (None: served).
# A method missing here fails the test: decide what it must answer.
UNPRIVILEGED = {
    "GetStatus": None,
    "GetMetrics": None,
    "ListRanges": "io.memranged.AddressesHidden",
    "ListBlocks": "io.memranged.AddressesHidden",
    "ListFindings": "io.memranged.AddressesHidden",
    "Subscribe": "io.memranged.AddressesHidden",
    "GetCrashRanges": "io.memranged.AddressesHidden",
    "GetElfCoreHeader": "io.memranged.AddressesHidden",
    "Rescan": "org.varlink.service.PermissionDenied",
    "Reload": "org.varlink.service.PermissionDenied",
}

AS_NOBODY = """
import json, sys, varlink_client as vc
with vc.Connection(sys.argv[1]) as c:
    for method in json.loads(sys.argv[2]):
        c.send("io.memranged." + method, more=True)
        print(json.dumps(c.receive()), flush=True)
"""


def redacted(status):
    """@status (root's GetStatus) without what only privileged callers see."""
    status = json.loads(json.dumps(status))
    status.pop("last_error", None)
    for s in status["sources"]:
        s.pop("error", None)
    status["kdump"].pop("command", None)
    status["kdump"].get("last_reload", {}).pop("output", None)
    return status


def test_unprivileged_callers_get_no_addresses_rescan_or_reload(ctx):
    root = h.copy_fixture(FIXTURE, ctx.path("root"))
    with open(os.path.join(root, "sys/firmware/memmap/3/start"), "w") as f:
        f.write("0xzz\n")  # a source error, which quotes the file
    d = start(ctx, sysroot=root)
    methods = sorted(idl().methods)
    expect_eq(sorted(UNPRIVILEGED), methods, "methods of the IDL with a decided unprivileged answer")
    with vc.WellBehaved(d.socket, BOUND):
        before = d.status()
        p = h.run_as_nobody(ctx, ["-c", AS_NOBODY, d.socket, json.dumps(methods)])
        expect_eq(p.returncode, 0, f"the calls as uid 65534: {p.stderr}")
        replies = dict(zip(methods, (json.loads(line) for line in p.stdout.splitlines())))
        expect_eq(sorted(replies), methods, "replies as uid 65534")
        for method in methods:
            expect_eq(replies[method].get("error"), UNPRIVILEGED[method], f"{method} as uid 65534")
        # The metrics carry no address: uid 65534 reads root's text.
        expect_eq(replies["GetMetrics"]["parameters"], d.call("io.memranged.GetMetrics"), "GetMetrics as uid 65534")
        status = replies["GetStatus"]["parameters"]
        expect("error" in {k for s in before["sources"] for k in s}, "root sees no source error to redact")
        expect_eq(status, redacted(before), "GetStatus as uid 65534 (root's, without the privileged members)")
        after = d.status()
        expect_eq(after["uevents"]["rebuilds"], before["uevents"]["rebuilds"], "rebuilds after a refused Rescan")
        expect_eq(after["kdump"]["attempts"], before["kdump"]["attempts"], "reload attempts after a refused Reload")


if __name__ == "__main__":
    h.run([
        test_message_size_limit_at_just_over_and_never_ending,
        test_nesting_limit_in_parameters_and_at_top_level,
        test_values_per_call_are_limited,
        test_invalid_utf8_in_method_names_keys_and_values,
        test_bytes_of_a_kernel_file_that_are_not_utf8_reach_clients_as_utf8,
        test_numbers_out_of_range_in_every_integer_parameter,
        test_wrong_types_in_every_parameter_of_every_method,
        test_unprivileged_callers_get_no_addresses_rescan_or_reload,
    ])
