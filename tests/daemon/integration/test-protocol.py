#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Protocol conformance of memranged's socket (DESIGN.md, daemon promises
5 and 6): every method of io.memranged with valid parameters, every error,
the org.varlink.service interface, "more" streams, "oneway", framing.

Every reply is also checked against the IDL the daemon serves (members,
types, nothing undeclared), so the IDL and the daemon cannot drift apart.

Expected values, from x86_64-6.1-dimm/hotplug (and the hand-checked golden
files tests/cli/golden/x86_64-6.1-dimm_hotplug.*):
  11 ranges: reserved 0x0-0xfff, ram 0x1000-0x9fbff, reserved
  0x9fc00-0x9ffff, reserved 0xf0000-0xfffff, ram 0x100000-0x1dffffff, ram
  0x1e000000-0x2dffffff (crashkernel), ram 0x2e000000-0x3ffdffff, reserved
  0x3ffe0000-0x3fffffff, reserved 0xfffc0000-0xffffffff, ram
  0x100000000-0x13fffffff (hotplug), reserved 0xfd00000000-0xffffffffff;
  RAM on node 0 only; total RAM 0x9ec00 + 0x1df00000 + 0x10000000 +
  0x11fe0000 + 0x40000000 = 0x7ff7ec00; memory blocks 0-7 and 32-39 of
  0x8000000 bytes, all online, auto_online_blocks "offline"; one finding
  (info memmap-ram-reserved-in-iomem at 0x0-0xfff); kexec_crash_loaded 1.
"""
import json
import os
import socket

import daemon_harness as h
import varlink_client as vc
import varlink_idl
from daemon_harness import expect, expect_eq

FIXTURE = "x86_64-6.1-dimm/hotplug"
TOTAL_RAM = 0x7ff7ec00
RESERVED = [(0x0, 0xfff), (0x9fc00, 0x9ffff), (0xf0000, 0xfffff), (0x3ffe0000, 0x3fffffff),
            (0xfffc0000, 0xffffffff), (0xfd00000000, 0xffffffffff)]
RAM = [(0x1000, 0x9fbff), (0x100000, 0x1dffffff), (0x1e000000, 0x2dffffff), (0x2e000000, 0x3ffdffff),
       (0x100000000, 0x13fffffff)]
BLOCK_SIZE = 0x8000000
TESTED_METHODS = {"GetStatus", "GetMetrics", "ListRanges", "ListBlocks", "ListFindings", "Subscribe", "Rescan"}


def idl():
    with open(h.env_path("MEMRANGED_IDL")) as f:
        return varlink_idl.Interface(f.read())


def start(ctx):
    return ctx.daemon(sysroot=h.fixture(FIXTURE), test_uevents=False)


def call_checked(d, method, parameters=None):
    reply = d.call(f"io.memranged.{method}", parameters)
    idl().check_reply(method, reply)
    return reply


def expect_error(reply, name, what):
    expect_eq(reply.get("error"), name, f"{what}: error")
    return reply.get("parameters", {})


def expect_invalid_parameter(c, method, parameters, parameter, what):
    reply = c.call_error(f"io.memranged.{method}", parameters)
    p = expect_error(reply, "io.memranged.InvalidParameter", what)
    idl().check_error(reply["error"], p)
    expect_eq(p["parameter"], parameter, f"{what}: parameter")
    expect(p["reason"], f"{what}: empty reason")
    return p["reason"]


def spans(ranges):
    return [(r["start"], r["end"]) for r in ranges]


# ---- methods with valid parameters ----

def test_get_status_reports_the_fixture(ctx):
    d = start(ctx)
    s = call_checked(d, "GetStatus")
    expect_eq(s["generation"], 1, "generation")
    expect(s["changed_usec"] > 0, "changed_usec")
    expect_eq(s["ranges"], 11, "ranges")
    expect_eq((s["total_ram"], s["online_ram"], s["offline_ram"]), (TOTAL_RAM, TOTAL_RAM, 0), "RAM totals")
    expect_eq(s["findings"], {"errors": 0, "warnings": 0, "infos": 1}, "findings")
    # 16 blocks of 128 MiB, all online: lsmem's summary without ListBlocks.
    expect_eq(s["blocks"], {"block_size": 0x8000000, "online": 16 * 0x8000000, "offline": 0}, "block totals")
    sources = {x["name"]: x["status"] for x in s["sources"]}
    expect_eq(sources, {"iomem": "ok", "firmware-memmap": "ok", "memory-blocks": "ok", "memblock": "absent",
                        "devicetree": "absent", "drmem": "absent", "numa": "ok", "crash": "ok"}, "sources")
    expect_eq(s["uevents"]["rebuilds"], 1, "rebuilds (the first scan)")
    expect_eq(s["uevents"]["full_rescans"], 1, "full rescans (the first scan)")
    expect_eq(s["kdump"]["loaded"], True, "kdump loaded (kexec_crash_loaded reads 1)")
    expect("crash_hotplug" not in s["kdump"], "crash_hotplug without memory/crash_hotplug")


def test_list_ranges_unfiltered_and_each_filter(ctx):
    d = start(ctx)
    everything = call_checked(d, "ListRanges")
    expect_eq(everything["generation"], 1, "generation")
    expect_eq(spans(everything["ranges"]), sorted(RESERVED + RAM), "all ranges")
    first = everything["ranges"][0]
    expect_eq(first, {"start": 0, "end": 0xfff, "size": 0x1000, "type": "reserved", "flags": [],
                      "sources": ["iomem"]}, "first range (no node: absent)")
    crash = h.range_by_span(everything["ranges"], 0x1e000000, 0x2dffffff)
    expect_eq((crash["type"], crash["flags"], crash["node"]), ("ram", ["crashkernel"], 0), "Crash kernel range")
    expect("crash" in crash["sources"], "the crash source reported the Crash kernel range")

    cases = [
        ({"types": ["reserved"]}, RESERVED),
        ({"types": ["ram"]}, RAM),
        ({"types": ["ram", "reserved"]}, sorted(RAM + RESERVED)),
        ({"types": ["pmem"]}, []),
        ({"node": 0}, RAM),
        ({"node": 1}, []),
        ({"start": 0x100000000, "end": 0x100000fff}, [(0x100000000, 0x13fffffff)]),
        # The window is inclusive: 0x9fc00 is the first byte of the reserved range.
        ({"start": 0x9f000, "end": 0x9fc00}, [(0x1000, 0x9fbff), (0x9fc00, 0x9ffff)]),
        ({"start": 0x100000000}, [(0x100000000, 0x13fffffff), (0xfd00000000, 0xffffffffff)]),
        ({"end": 0xfff}, [(0x0, 0xfff)]),
        ({"start": 0x140000000, "end": 0xfcffffffff}, []),
        ({"types": ["ram"], "node": 0, "start": 0x1e000000, "end": 0x1e000000}, [(0x1e000000, 0x2dffffff)]),
    ]
    for filters, expected in cases:
        got = call_checked(d, "ListRanges", filters)
        expect_eq(spans(got["ranges"]), expected, f"ListRanges {json.dumps(filters)}")
        for r in got["ranges"]:
            expect(r in everything["ranges"], f"ListRanges {filters}: {r} differs from the unfiltered one")


def test_list_ranges_follows_each_generation(ctx):
    """The daemon serialises a ListRanges reply once per generation and
    filter: a new generation, or another filter, must never get the old
    bytes."""
    root = h.copy_fixture(FIXTURE, ctx.path("root"))
    d = ctx.daemon(sysroot=root, test_uevents=False)
    first = call_checked(d, "ListRanges")
    expect_eq((first["generation"], spans(first["ranges"])), (1, sorted(RESERVED + RAM)), "generation 1")
    expect_eq(call_checked(d, "ListRanges"), first, "the same call again")

    # memory33 goes offline: the hot-added RAM splits in three.
    h.swap_tree(h.fixture("x86_64-6.1-dimm/offline"), root)
    expect_eq(call_checked(d, "Rescan"), {"generation": 2, "changed": True}, "Rescan after the offline")
    second = call_checked(d, "ListRanges")
    expected = sorted(RESERVED + [r for r in RAM if r[0] != 0x100000000] +
                      [(0x100000000, 0x107ffffff), (0x108000000, 0x10fffffff), (0x110000000, 0x13fffffff)])
    expect_eq((second["generation"], spans(second["ranges"])), (2, expected), "generation 2")
    offline = h.range_by_span(second["ranges"], 0x108000000, 0x10fffffff)
    expect_eq(offline["flags"], ["hotplug", "offline"], "memory33's range")
    expect_eq(spans(call_checked(d, "ListRanges", {"node": 0, "start": 0x108000000})["ranges"]),
              [(0x108000000, 0x10fffffff), (0x110000000, 0x13fffffff)], "a filter after the change")
    expect_eq(call_checked(d, "ListRanges"), second, "unfiltered again after a filtered call")

    # Back online: the same table as generation 1, under generation 3.
    h.swap_tree(h.fixture(FIXTURE), root)
    expect_eq(call_checked(d, "Rescan"), {"generation": 3, "changed": True}, "Rescan after the online")
    third = call_checked(d, "ListRanges")
    expect_eq((third["generation"], third["ranges"]), (3, first["ranges"]), "generation 3")


def test_list_blocks_and_findings(ctx):
    d = start(ctx)
    b = call_checked(d, "ListBlocks")
    expect_eq((b["generation"], b["block_size"], b["auto_online_blocks"]), (1, BLOCK_SIZE, "offline"),
              "ListBlocks header")
    expect_eq([x["index"] for x in b["blocks"]], list(range(8)) + list(range(32, 40)), "block indices")
    m33 = b["blocks"][9]
    expect_eq(m33, {"index": 33, "start": 33 * BLOCK_SIZE, "end": 34 * BLOCK_SIZE - 1, "size": BLOCK_SIZE,
                    "state": "online", "online": True, "removable": True, "zones": "Normal", "nodes": [0]},
              "memory33")
    expect_eq([x["zones"] for x in b["blocks"][:2]], ["none", "DMA32"], "zones of memory0 and memory1")

    f = call_checked(d, "ListFindings")
    expect_eq(f["generation"], 1, "generation")
    expect_eq(len(f["findings"]), 1, "findings")
    finding = f["findings"][0]
    expect_eq((finding["severity"], finding["code"], finding["start"], finding["end"], finding["sources"]),
              ("info", "memmap-ram-reserved-in-iomem", 0, 0xfff, ["iomem", "firmware-memmap"]), "the finding")


def test_subscribe_streams_the_table_then_changes(ctx):
    root = h.copy_fixture(FIXTURE, ctx.path("root"))
    d = ctx.daemon(sysroot=root, test_uevents=False)
    everything = d.ranges()["ranges"]
    with d.connect() as sub:
        sub.send("io.memranged.Subscribe", more=True)
        reply = sub.receive()
        expect_eq(reply.get("continues"), True, "first Subscribe reply continues")
        idl().check_reply("Subscribe", reply["parameters"])
        change = reply["parameters"]["change"]
        expect_eq((change["generation"], change["reason"], change["removed"]), (1, "current", []),
                  "first Subscribe reply")
        expect_eq(change["added"], everything, "the first reply carries the whole table")

        # A rescan that finds nothing new sends nothing.
        expect_eq(call_checked(d, "Rescan"), {"generation": 1, "changed": False}, "Rescan of the same tree")
        expect(not sub.has_data(), "a change was streamed for an unchanged rescan")

        # memory33 goes offline (the files that differ in .../offline).
        h.swap_tree(h.fixture("x86_64-6.1-dimm/offline"), root)
        expect_eq(call_checked(d, "Rescan"), {"generation": 2, "changed": True}, "Rescan after the offline")
        reply = sub.receive(timeout=5)
        expect_eq(reply.get("continues"), True, "change continues")
        idl().check_reply("Subscribe", reply["parameters"])
        change = reply["parameters"]["change"]
        expect_eq((change["generation"], change["reason"]), (2, "rescan"), "streamed change")
        expect_eq(spans(change["removed"]), [(0x100000000, 0x13fffffff)], "removed")
        expect_eq(spans(change["added"]), [(0x100000000, 0x107ffffff), (0x108000000, 0x10fffffff),
                                           (0x110000000, 0x13fffffff)], "added")
        expect(not sub.has_data(), "more than one change streamed")


def test_rescan_counts_a_full_rescan(ctx):
    d = start(ctx)
    expect_eq(call_checked(d, "Rescan"), {"generation": 1, "changed": False}, "Rescan")
    u = d.status()["uevents"]
    expect_eq((u["rebuilds"], u["full_rescans"]), (2, 2), "rebuilds and full rescans after one Rescan")


def test_metrics_text_follows_the_table_and_the_rebuilds(ctx):
    d = start(ctx)
    text = call_checked(d, "GetMetrics")["text"]
    for line in ("memranged_generation 1", "memranged_ranges 11", f'memranged_memory_bytes{{state="online"}} {TOTAL_RAM}',
                 'memranged_rescans_total{reason="startup"} 1', 'memranged_rescans_total{reason="rescan"} 0'):
        expect(line in text.splitlines(), f"{line!r} missing from:\n{text}")
    call_checked(d, "Rescan")
    text = call_checked(d, "GetMetrics")["text"]
    expect('memranged_rescans_total{reason="rescan"} 1' in text.splitlines(), f"after a Rescan:\n{text}")
    expect("0x" not in text, f"an address in the metrics:\n{text}")


def test_every_idl_method_has_a_case(ctx):
    untested = sorted(set(idl().methods) - TESTED_METHODS)
    if untested:
        # New methods belong to their own issue's tests; say so loudly.
        print(f"note: IDL methods without a conformance case here: {untested}")
    expect_eq(sorted(TESTED_METHODS - set(idl().methods)), [], "tested methods missing from the IDL")


# ---- privileges ----

def call_as_nobody(ctx, socket_path, method, parameters=None, more=False):
    args = [os.path.join(os.path.dirname(os.path.abspath(__file__)), "varlink_client.py"), socket_path, method]
    if parameters is not None:
        args.append(json.dumps(parameters))
    if more:
        args.append("--more")
    p = h.run_as_nobody(ctx, args)
    if p.returncode != 0:
        raise h.TestFailure(f"client as uid 65534 failed ({p.returncode}): {p.stderr}")
    return json.loads(p.stdout)


def test_unprivileged_caller_gets_status_but_no_addresses(ctx):
    d = start(ctx)
    for method, more in [("ListRanges", False), ("ListBlocks", False), ("ListFindings", False),
                         ("Subscribe", True)]:
        reply = call_as_nobody(ctx, d.socket, f"io.memranged.{method}", more=more)
        p = expect_error(reply, "io.memranged.AddressesHidden", f"{method} as uid 65534")
        idl().check_error(reply["error"], p)
    reply = call_as_nobody(ctx, d.socket, "io.memranged.ListRanges", {"types": ["ram"]})
    expect_error(reply, "io.memranged.AddressesHidden", "filtered ListRanges as uid 65534")

    reply = call_as_nobody(ctx, d.socket, "io.memranged.GetStatus")
    expect("error" not in reply, f"GetStatus as uid 65534: {reply}")
    idl().check_reply("GetStatus", reply["parameters"])
    expect_eq((reply["parameters"]["generation"], reply["parameters"]["ranges"]), (1, 11), "status as uid 65534")

    # The metrics carry no address either: the same text for everyone.
    reply = call_as_nobody(ctx, d.socket, "io.memranged.GetMetrics")
    expect("error" not in reply, f"GetMetrics as uid 65534: {reply}")
    idl().check_reply("GetMetrics", reply["parameters"])
    expect("\nmemranged_ranges 11\n" in reply["parameters"]["text"], f"metrics as uid 65534: {reply}")

    reply = call_as_nobody(ctx, d.socket, "io.memranged.Rescan")
    expect_error(reply, "org.varlink.service.PermissionDenied", "Rescan as uid 65534")
    # Privilege is checked before the parameters, for every method.
    reply = call_as_nobody(ctx, d.socket, "io.memranged.Rescan", {"force": True})
    expect_error(reply, "org.varlink.service.PermissionDenied", "Rescan with an unknown parameter as uid 65534")
    reply = call_as_nobody(ctx, d.socket, "io.memranged.Reload", {"force": "yes"})
    expect_error(reply, "org.varlink.service.PermissionDenied", "Reload with a mistyped parameter as uid 65534")
    reply = call_as_nobody(ctx, d.socket, "io.memranged.GetCrashRanges", {"bogus": 1})
    expect_error(reply, "io.memranged.AddressesHidden", "GetCrashRanges with an unknown parameter as uid 65534")
    expect_eq(d.status()["uevents"]["rebuilds"], 1, "a refused Rescan rebuilt anyway")


def test_source_errors_are_shown_to_root_only(ctx):
    root = h.copy_fixture(FIXTURE, ctx.path("root"))
    with open(os.path.join(root, "sys/firmware/memmap/3/start"), "w") as f:
        f.write("0xzz\n")
    d = ctx.daemon(sysroot=root, test_uevents=False)
    mine = {x["name"]: x for x in call_checked(d, "GetStatus")["sources"]}
    expect_eq(mine["firmware-memmap"]["status"], "error", "firmware-memmap status")
    expect("sys/firmware/memmap/3/start" in mine["firmware-memmap"].get("error", ""),
           f"root sees the source error: {mine['firmware-memmap']}")
    reply = call_as_nobody(ctx, d.socket, "io.memranged.GetStatus")
    theirs = {x["name"]: x for x in reply["parameters"]["sources"]}
    expect_eq(theirs["firmware-memmap"], {"name": "firmware-memmap", "status": "error"},
              "uid 65534 sees the status without the message")


# ---- errors ----

def test_invalid_parameters_are_named(ctx):
    d = start(ctx)
    with d.connect() as c:
        cases = [
            ("ListRanges", {"types": ["bogus"]}, "types"),
            ("ListRanges", {"types": []}, "types"),
            ("ListRanges", {"types": "ram"}, "types"),
            ("ListRanges", {"types": [1]}, "types"),
            ("ListRanges", {"node": "0"}, "node"),
            ("ListRanges", {"node": -1}, "node"),
            ("ListRanges", {"node": 1 << 40}, "node"),
            ("ListRanges", {"start": "0x1000"}, "start"),
            ("ListRanges", {"end": 1.5}, "end"),
            ("ListRanges", {"start": 0x2000, "end": 0x1fff}, "start"),
        ]
        for method, parameters, parameter in cases:
            expect_invalid_parameter(c, method, parameters, parameter, f"{method} {json.dumps(parameters)}")
        # A parameter the method does not declare: the varlink service
        # interface's error, which names it (and has no reason).
        undeclared = [
            ("ListRanges", {"nodes": 0}, "nodes"),
            ("GetStatus", {"verbose": True}, "verbose"),
            ("ListBlocks", {"index": 3}, "index"),
            ("ListFindings", {"severity": "error"}, "severity"),
            ("Rescan", {"force": True}, "force"),
            ("Subscribe", {"since": 1}, "since"),
        ]
        for method, parameters, parameter in undeclared:
            what = f"{method} {json.dumps(parameters)}"
            reply = c.call_error(f"io.memranged.{method}", parameters, more=method == "Subscribe")
            expect_eq(reply, {"error": "org.varlink.service.InvalidParameter", "parameters": {"parameter": parameter}},
                      what)
        # The connection survives named errors.
        expect_eq(c.call("io.memranged.GetStatus")["generation"], 1, "GetStatus after the errors")


def test_unknown_method_and_interface(ctx):
    d = start(ctx)
    with d.connect() as c:
        reply = c.call_error("io.memranged.Reboot")
        expect_eq(expect_error(reply, "org.varlink.service.MethodNotFound", "unknown method"),
                  {"method": "io.memranged.Reboot"}, "MethodNotFound parameters")
        reply = c.call_error("com.example.nothing.Call")
        expect_eq(expect_error(reply, "org.varlink.service.InterfaceNotFound", "unknown interface"),
                  {"interface": "com.example.nothing"}, "InterfaceNotFound parameters")
        reply = c.call_error("org.varlink.service.GetInterfaceDescription", {"interface": "com.example.nothing"})
        expect_eq(expect_error(reply, "org.varlink.service.InterfaceNotFound", "description of an unknown one"),
                  {"interface": "com.example.nothing"}, "InterfaceNotFound parameters")
        reply = c.call_error("io.memranged.Subscribe")
        expect_error(reply, "org.varlink.service.ExpectedMore", "Subscribe without more")
        expect_eq(c.call("io.memranged.GetStatus")["generation"], 1, "GetStatus after the errors")


def expect_refused_and_cut_off(d, data, parameter, what):
    with d.connect() as c:
        c.send_raw(data)
        try:
            replies = c.expect_eof(timeout=5)
        except socket.timeout:
            raise h.TestFailure(f"{what}: the daemon neither answered nor hung up") from None
    expect_eq(len(replies), 1, f"{what}: replies before the daemon hangs up")
    expect_eq(replies[0].get("error"), "org.varlink.service.InvalidParameter", f"{what}: error")
    expect_eq(replies[0]["parameters"].get("parameter"), parameter, f"{what}: parameter")


def test_non_object_and_malformed_messages_are_refused(ctx):
    d = start(ctx)
    for data, parameter, what in [
        (b"[]\0", "", "an array"),
        (b"\"io.memranged.GetStatus\"\0", "", "a string"),
        (b"42\0", "", "a number"),
        (b"null\0", "", "null"),
        (b"{\"method\": \0", "", "truncated JSON"),
        (b"{\"method\": \"io.memranged.GetStatus\"} {}\0", "", "two values in one message"),
        (b"{\"parameters\": {}}\0", "method", "no method"),
        (b"{\"method\": \"GetStatus\"}\0", "method", "an unqualified method"),
        (b"{\"method\": 7}\0", "method", "a method that is not a string"),
        (b"{\"method\": \"io.memranged.GetStatus\", \"parameters\": []}\0", "parameters",
         "parameters that are not an object"),
        (b"{\"method\": \"io.memranged.GetStatus\", \"more\": \"yes\"}\0", "more", "a \"more\" that is no boolean"),
        (b"{\"method\": \"io.memranged.ListRanges\", \"parameters\": {\"types\": " + b"[" * 100 + b"]" * 100 +
         b"}}\0", "", "nesting deeper than the limit"),
    ]:
        expect_refused_and_cut_off(d, data, parameter, what)
    expect_eq(d.status()["generation"], 1, "the daemon still serves")


def test_get_info_and_interface_descriptions(ctx):
    d = start(ctx)
    info = d.call("org.varlink.service.GetInfo")
    expect_eq(info["interfaces"], ["org.varlink.service", "io.memranged"], "interfaces")
    expect_eq((info["vendor"], info["product"]), ("memranged", "memranged"), "vendor and product")
    expect_eq(info["version"], d.status()["version"], "version")
    # A string the spec requires; empty: the project has no public address.
    expect_eq(info["url"], "", "url")
    with open(h.env_path("MEMRANGED_IDL")) as f:
        expected = f.read()
    got = d.call("org.varlink.service.GetInterfaceDescription", {"interface": "io.memranged"})
    expect_eq(list(got), ["description"], "GetInterfaceDescription members")
    expect(got["description"] == expected, "the served description differs from varlink/io.memranged.varlink")
    # What sd-varlink refuses (tests/varlinkctl runs systemd's varlinkctl;
    # this holds without it).
    expect_eq(varlink_idl.Interface(got["description"]).anonymous_structs_with_named_types(), [],
              "anonymous structs holding named types")
    service = d.call("org.varlink.service.GetInterfaceDescription", {"interface": "org.varlink.service"})
    svc = varlink_idl.Interface(service["description"])
    expect_eq(svc.name, "org.varlink.service", "service interface name")
    expect_eq(set(svc.methods), {"GetInfo", "GetInterfaceDescription"}, "service methods")
    svc.check_reply("GetInfo", info)
    expect({"InterfaceNotFound", "MethodNotFound", "InvalidParameter", "PermissionDenied",
            "ExpectedMore"} <= set(svc.errors), f"service errors {sorted(svc.errors)}")
    with d.connect() as c:
        reply = c.call_error("org.varlink.service.GetInterfaceDescription")
        svc.check_error(reply["error"], reply["parameters"])
        expect_eq(reply["parameters"], {"parameter": "interface"}, "GetInterfaceDescription without interface")


# ---- framing ----

def test_oneway_calls_get_no_reply(ctx):
    d = start(ctx)
    with d.connect() as c:
        # A oneway Rescan runs (the rebuild counter moves) but answers nothing.
        c.send("io.memranged.Rescan", oneway=True)
        c.send("io.memranged.ListRanges", {"types": ["bogus"]}, oneway=True)
        c.send("io.memranged.GetStatus")
        s = vc.Connection.check(c.receive())
        expect("version" in s, f"the first reply is not GetStatus's: {s}")
        expect_eq(s["uevents"]["rebuilds"], 2, "rebuilds after a oneway Rescan")
        expect(not c.has_data(), "a oneway call was answered")


def test_more_on_a_plain_method_gets_one_reply(ctx):
    d = start(ctx)
    with d.connect() as c:
        c.send("io.memranged.ListFindings", more=True)
        reply = c.receive()
        expect(not reply.get("continues"), "ListFindings with more: 'continues' set")
        expect_eq(len(reply["parameters"]["findings"]), 1, "findings")
        expect_eq(c.call("io.memranged.GetStatus")["generation"], 1, "next call on the connection")


def test_missing_nul_at_eof_gets_no_reply(ctx):
    d = start(ctx)
    with d.connect() as c:
        c.send_raw(b"{\"method\": \"io.memranged.GetStatus\"}")
        c.sock.shutdown(socket.SHUT_WR)
        expect_eq(c.expect_eof(timeout=5), [], "replies to a message without its NUL")
    with d.connect() as c:
        # Complete calls before EOF are answered, then the daemon hangs up.
        c.send_raw(vc.Connection.encode("io.memranged.ListFindings"))
        c.sock.shutdown(socket.SHUT_WR)
        replies = c.expect_eof(timeout=5)
        expect_eq([sorted(r["parameters"]) for r in replies], [["findings", "generation"]],
                  "replies to a complete call, then EOF")


def test_two_calls_in_one_write_are_answered_in_order(ctx):
    d = start(ctx)
    with d.connect() as c:
        c.send_raw(vc.Connection.encode("io.memranged.ListBlocks") +
                   vc.Connection.encode("io.memranged.GetStatus") +
                   vc.Connection.encode("io.memranged.ListRanges", {"types": ["reserved"]}) +
                   vc.Connection.encode("io.memranged.Nope"))
        blocks = vc.Connection.check(c.receive())
        status = vc.Connection.check(c.receive())
        ranges = vc.Connection.check(c.receive())
        error = c.receive()
        expect_eq(blocks["block_size"], BLOCK_SIZE, "first reply: ListBlocks")
        expect_eq(status["ranges"], 11, "second reply: GetStatus")
        expect_eq(spans(ranges["ranges"]), RESERVED, "third reply: ListRanges")
        expect_eq(error.get("error"), "org.varlink.service.MethodNotFound", "fourth reply")
        expect(not c.has_data(), "more replies than calls")


if __name__ == "__main__":
    h.run([
        test_get_status_reports_the_fixture,
        test_list_ranges_unfiltered_and_each_filter,
        test_list_ranges_follows_each_generation,
        test_list_blocks_and_findings,
        test_subscribe_streams_the_table_then_changes,
        test_rescan_counts_a_full_rescan,
        test_every_idl_method_has_a_case,
        test_unprivileged_caller_gets_status_but_no_addresses,
        test_source_errors_are_shown_to_root_only,
        test_invalid_parameters_are_named,
        test_unknown_method_and_interface,
        test_non_object_and_malformed_messages_are_refused,
        test_get_info_and_interface_descriptions,
        test_oneway_calls_get_no_reply,
        test_more_on_a_plain_method_gets_one_reply,
        test_missing_nul_at_eof_gets_no_reply,
        test_two_calls_in_one_write_are_answered_in_order,
    ])
