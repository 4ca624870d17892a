#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The real varlinkctl of Debian 13's systemd (257) against the real
memranged: any client built on sd-varlink must accept the interface the
daemon serves and get from every method what the IDL promises.

varlinkctl comes from trixie's packages, unpacked under the build
directory once (trixie_varlinkctl.py says how and why). When Debian's
archive cannot be reached the test skips (exit 77), except under CI=true,
where it fails: CI must run it.

The daemon reads the fixture x86_64-6.1-dimm/hotplug (tests/daemon/
integration/test-protocol.py lists what it holds): 11 ranges, 5 of them
RAM, blocks 0-7 and 32-39, one finding.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "daemon", "integration"))

import daemon_harness as h  # noqa: E402
import varlink_idl  # noqa: E402
from daemon_harness import expect, expect_eq  # noqa: E402

import trixie_varlinkctl  # noqa: E402

FIXTURE = "x86_64-6.1-dimm/hotplug"
RAM = [(0x1000, 0x9fbff), (0x100000, 0x1dffffff), (0x1e000000, 0x2dffffff), (0x2e000000, 0x3ffdffff),
       (0x100000000, 0x13fffffff)]
# varlinkctl's --timeout for the stream, which never ends by itself: long
# enough for a Rescan under ASan.
SUBSCRIBE_SECONDS = 4 * h.SLOWDOWN
VARLINKCTL = []
VARLINKCTL_NOBODY = []


def idl():
    with open(h.env_path("MEMRANGED_IDL")) as f:
        return varlink_idl.Interface(f.read())


def varlinkctl(*args, stdin=None, user=None, timeout=30):
    """Runs varlinkctl with @args (as uid 65534 when @user is "nobody");
    returns the CompletedProcess (text)."""
    command = VARLINKCTL_NOBODY if user == "nobody" else VARLINKCTL
    return subprocess.run(command + ["--no-pager"] + list(args), input=stdin, capture_output=True,
                          text=True, timeout=timeout * h.SLOWDOWN)


def reachable_by_nobody(ctx):
    """Sets VARLINKCTL_NOBODY: varlinkctl as uid 65534. The cache may lie
    where that user cannot go (a build directory under /root): then a copy
    of the unpacked tree in the test's directory serves."""
    os.chmod(ctx.tmp, 0o755)
    command = VARLINKCTL
    if subprocess.run(h.NOBODY + command + ["--version"], capture_output=True).returncode != 0:
        root = os.path.join(ctx.tmp, "trixie")
        shutil.copytree(os.path.join(os.environ["VARLINKCTL_CACHE"], "root"), root, symlinks=True)
        command = trixie_varlinkctl.loader(root) + [os.path.join(root, "usr/bin/varlinkctl")]
        r = subprocess.run(h.NOBODY + command + ["--version"], capture_output=True, text=True)
        expect(r.returncode == 0, f"uid 65534 cannot run varlinkctl even from {root}: {r.stderr}")
    VARLINKCTL_NOBODY[:] = h.NOBODY + command


def succeeds(r, what):
    expect(r.returncode == 0, f"{what}: varlinkctl exited {r.returncode}\nstdout: {r.stdout}\nstderr: {r.stderr}")
    return r.stdout


def call(address, method, parameters=None, user=None):
    """varlinkctl call; the reply parsed (exit status 0 required)."""
    args = ["--json=short", "call", address, method, json.dumps(parameters or {})]
    return json.loads(succeeds(varlinkctl(*args, user=user), f"call {method}"))


def call_fails(address, method, parameters=None, user=None):
    """varlinkctl call that must fail with a varlink error: (error name,
    error parameters). varlinkctl 257 logs "Method call M() failed: ERROR"
    on stderr and prints the error's parameters on stdout."""
    r = varlinkctl("--json=short", "call", address, method, json.dumps(parameters or {}), user=user)
    expect(r.returncode != 0, f"call {method} {parameters} succeeded: {r.stdout}")
    m = re.search(r"failed: (\S+)$", r.stderr.strip())
    expect(m, f"call {method} {parameters}: no error name on stderr: {r.stderr}")
    expect(r.stdout.strip(), f"call {method} {parameters}: no error parameters on stdout\nstderr: {r.stderr}")
    return m.group(1), json.loads(r.stdout)


def start(ctx, root=None, config=""):
    d = ctx.daemon(sysroot=root or h.fixture(FIXTURE), test_uevents=False, config=config)
    # The address form varlinkctl takes for a socket path.
    return d, f"unix:{d.socket}"


# ---- the IDL ----

def test_validate_idl_accepts_the_file(ctx):
    path = h.env_path("MEMRANGED_IDL")
    printed = succeeds(varlinkctl("validate-idl", path), "validate-idl")
    # It prints the interface back in its own layout: the same declarations.
    ours, theirs = idl(), varlink_idl.Interface(printed)
    expect_eq(theirs.name, "io.memranged", "interface name")
    for kind in ("types", "methods", "errors"):
        expect_eq(getattr(theirs, kind), getattr(ours, kind), f"{kind} as varlinkctl printed them")


def test_validate_idl_refuses_an_anonymous_struct_with_a_named_type(ctx):
    """Why the IDL names KdumpStatus: sd-varlink 257 resolves a named type
    only in a named struct. If a later systemd lifts that, this test says
    so (and the rule in the IDL's comment may go)."""
    text = "interface io.example\ntype T (a: int)\nmethod M() -> (s: (t: ?T))\n"
    r = varlinkctl("validate-idl", stdin=text)
    expect(r.returncode != 0, "sd-varlink now accepts a named type inside an anonymous struct")
    expect("No target symbol" in r.stderr, f"refused for another reason: {r.stderr}")
    # varlink_idl.py's check (run by the daemon suite) finds the same.
    expect_eq(varlink_idl.Interface(text).anonymous_structs_with_named_types(), ["M reply.s"],
              "varlink_idl's finding")
    named = "interface io.example\ntype T (a: int)\ntype S (t: ?T)\nmethod M() -> (s: S)\n"
    succeeds(varlinkctl("validate-idl", stdin=named), "validate-idl with the struct named")
    expect_eq(varlink_idl.Interface(named).anonymous_structs_with_named_types(), [], "varlink_idl, struct named")


def test_served_interface_validates_and_lists(ctx):
    d, address = start(ctx)
    served = succeeds(varlinkctl("introspect", address, "io.memranged"), "introspect")
    expect_eq(varlink_idl.Interface(served).methods, idl().methods, "introspected methods")
    succeeds(varlinkctl("validate-idl", stdin=served), "validate-idl of the served interface")
    described = d.call("org.varlink.service.GetInterfaceDescription", {"interface": "io.memranged"})
    succeeds(varlinkctl("validate-idl", stdin=described["description"]),
             "validate-idl of GetInterfaceDescription's text as served")

    info = json.loads(succeeds(varlinkctl("--json=short", "info", address), "info"))
    expect_eq((info["vendor"], info["product"]), ("memranged", "memranged"), "vendor and product")
    expect_eq(info["version"], d.status()["version"], "version")
    expect_eq(info["url"], "", "url (the project has no public address)")
    expect_eq(info["interfaces"], ["org.varlink.service", "io.memranged"], "interfaces")

    listed = succeeds(varlinkctl("list-interfaces", address), "list-interfaces").split()
    expect_eq(listed, ["io.memranged", "org.varlink.service"], "list-interfaces")
    methods = succeeds(varlinkctl("list-methods", address, "io.memranged"), "list-methods").split()
    expect_eq(sorted(methods), sorted(f"io.memranged.{m}" for m in idl().methods), "list-methods")


# ---- every method ----

def test_call_every_method_as_root(ctx):
    h.require_root("Rescan and Reload need root")
    # Reloading by a command that succeeds: Reload(force) runs an attempt.
    d, address = start(ctx, config="[Kdump]\nCommand=/bin/true\n")
    interface = idl()
    replies = {}

    def checked(method, parameters=None):
        reply = call(address, f"io.memranged.{method}", parameters)
        interface.check_reply(method, reply)
        replies[method] = reply
        return reply

    status = checked("GetStatus")
    expect_eq((status["generation"], status["ranges"]), (1, 11), "GetStatus generation and ranges")
    expect_eq(status["kdump"]["loaded"], True, "GetStatus kdump.loaded (kexec_crash_loaded is 1)")

    metrics = checked("GetMetrics")["text"]
    expect("\nmemranged_generation 1\n" in metrics and "memranged_ranges 11\n" in metrics,
           f"GetMetrics text:\n{metrics}")

    ram = checked("ListRanges", {"types": ["ram"]})
    expect_eq([(r["start"], r["end"]) for r in ram["ranges"]], RAM, "ListRanges types=[ram]")
    window = checked("ListRanges", {"start": 0x100000000, "end": 0x13fffffff, "node": 0})
    expect_eq([(r["start"], r["type"]) for r in window["ranges"]], [(0x100000000, "ram")], "ListRanges window")

    blocks = checked("ListBlocks")
    expect_eq([b["index"] for b in blocks["blocks"]], list(range(0, 8)) + list(range(32, 40)), "ListBlocks")
    findings = checked("ListFindings")
    expect_eq([f["code"] for f in findings["findings"]], ["memmap-ram-reserved-in-iomem"], "ListFindings")

    rescan = checked("Rescan")
    expect_eq((rescan["generation"], rescan["changed"]), (1, False), "Rescan of an unchanged tree")

    crash = checked("GetCrashRanges", {"policy": "kernel", "arch": "x86_64"})
    expect_eq((crash["policy"], crash["requested"], crash["arch"]), ("kernel", "kernel", "x86_64"),
              "GetCrashRanges policy")
    expect_eq(crash["ranges"][0]["start"], 0x100000, "the kernel policy starts at 1 MiB")
    header = checked("GetElfCoreHeader", {"policy": "kexec-tools-x86", "arch": "x86_64"})
    expect(header["size"] > 64 and len(header["header"]) == 4 * ((header["size"] + 2) // 3),
           f"GetElfCoreHeader size {header['size']} and base64 length {len(header['header'])}")

    reload = checked("Reload")
    expect_eq((reload["reloaded"], reload["generation"]), (False, 1), f"Reload of an unchanged table: {reload}")
    reload = checked("Reload", {"force": True})
    expect_eq((reload["reloaded"], reload["attempt"]["result"], reload["attempt"]["forced"]), (True, "success", True),
              f"Reload(force): {reload}")

    replies["Subscribe"] = None  # test_subscribe_streams_changes
    expect_eq(set(replies), set(interface.methods), "methods called")


def test_subscribe_streams_changes(ctx):
    root = h.copy_fixture(FIXTURE, ctx.path("root"))
    d, address = start(ctx, root)
    interface = idl()
    proc = subprocess.Popen(VARLINKCTL + ["--no-pager", "--json=short", "--more", f"--timeout={SUBSCRIBE_SECONDS}",
                                          "call", address, "io.memranged.Subscribe", "{}"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + SUBSCRIBE_SECONDS
        while not lines and time.monotonic() < deadline:
            time.sleep(0.05)
        expect(lines, "no first reply of Subscribe")
        # The DIMM goes offline: a new generation, streamed as one change.
        h.swap_tree(h.fixture("x86_64-6.1-dimm/offline"), root)
        rescan = d.call("io.memranged.Rescan")
        expect_eq((rescan["generation"], rescan["changed"]), (2, True), "Rescan after the swap")
        while len(lines) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        _, stderr = proc.communicate(timeout=SUBSCRIBE_SECONDS + 5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(5)
    # It ended by its --timeout: the stream never ends on its own.
    expect(proc.returncode != 0, "varlinkctl call --more Subscribe ended successfully")
    expect("io.systemd.TimedOut" in stderr, f"the stream did not end by --timeout: {stderr}")
    # With --more varlinkctl prints a JSON text sequence (RFC 7464): each
    # reply is a line that starts with the record separator.
    expect(all(line.startswith("\x1e") for line in lines), f"not a JSON text sequence: {lines}")
    replies = [json.loads(line[1:]) for line in lines]
    expect(replies and all("change" in r for r in replies), f"Subscribe printed {lines}")
    for reply in replies:
        interface.check_reply("Subscribe", reply)
    expect_eq([r["change"]["reason"] for r in replies], ["current", "rescan"], "reasons of the stream")
    first, second = replies[0]["change"], replies[1]["change"]
    expect_eq((first["generation"], len(first["added"]), first["removed"]), (1, 11, []), "the first reply")
    expect_eq(second["generation"], 2, "the change's generation")
    expect(second["added"] or second["removed"], f"an empty change: {second}")


# ---- errors ----

def test_errors(ctx):
    d, address = start(ctx)
    name, params = call_fails(address, "io.memranged.NoSuchMethod")
    expect_eq(name, "org.varlink.service.MethodNotFound", "unknown method")
    expect_eq(params, {"method": "io.memranged.NoSuchMethod"}, "MethodNotFound parameters")

    # A parameter the method does not declare: the varlink service
    # interface's error, naming it.
    for method, parameters, name in [("ListRanges", {"bogus": 1}, "bogus"),
                                     ("GetStatus", {"verbose": True}, "verbose"),
                                     ("Reload", {"forced": True}, "forced")]:
        error, params = call_fails(address, f"io.memranged.{method}", parameters)
        expect_eq(error, "org.varlink.service.InvalidParameter", f"{method} {parameters}")
        expect_eq(params, {"parameter": name}, f"{method} {parameters}")

    # A declared parameter of the wrong type or with a value memranged
    # cannot use: the interface's own error, naming it and saying why.
    for method, parameters, name in [("ListRanges", {"node": "zero"}, "node"),
                                     ("ListRanges", {"types": ["dram"]}, "types"),
                                     ("GetCrashRanges", {"policy": "sometimes"}, "policy"),
                                     ("Reload", {"force": "yes"}, "force")]:
        error, params = call_fails(address, f"io.memranged.{method}", parameters)
        expect_eq(error, "io.memranged.InvalidParameter", f"{method} {parameters}")
        idl().check_error("io.memranged.InvalidParameter", params)
        expect_eq(params["parameter"], name, f"{method} {parameters}: parameter")
        expect(params["reason"], f"{method} {parameters}: no reason")

    # Another error of the interface, with its parameters: reloading is off
    # (no kdump-tools settings in the fixture, no Command=).
    error, params = call_fails(address, "io.memranged.Reload")
    expect_eq(error, "io.memranged.ReloadUnavailable", "Reload while tracking only")
    idl().check_error("io.memranged.ReloadUnavailable", params)
    expect("tracking only" in params["reason"], f"ReloadUnavailable reason: {params['reason']}")
    # The stream method without "more".
    error, params = call_fails(address, "io.memranged.Subscribe")
    expect_eq((error, params), ("org.varlink.service.ExpectedMore", {}), "Subscribe without --more")


def test_errors_of_an_unprivileged_caller(ctx):
    h.require_root("switching to uid 65534 needs root")
    d, address = start(ctx)
    reachable_by_nobody(ctx)
    status = call(address, "io.memranged.GetStatus", user="nobody")
    idl().check_reply("GetStatus", status)
    expect_eq(status["generation"], 1, "GetStatus as nobody")
    for method, expected in [("ListRanges", "io.memranged.AddressesHidden"),
                             ("GetCrashRanges", "io.memranged.AddressesHidden"),
                             ("Rescan", "org.varlink.service.PermissionDenied"),
                             ("Reload", "org.varlink.service.PermissionDenied")]:
        error, params = call_fails(address, f"io.memranged.{method}", user="nobody")
        expect_eq((error, params), (expected, {}), f"{method} as nobody")


def main():
    cache = h.env_path("VARLINKCTL_CACHE")
    try:
        VARLINKCTL.extend(trixie_varlinkctl.varlinkctl(cache, lambda m: print(f"varlinkctl: {m}", flush=True)))
    except trixie_varlinkctl.Unreachable as e:
        if os.environ.get("CI") == "true":
            print(f"FAIL: Debian's archive is not reachable under CI: {e}", file=sys.stderr)
            sys.exit(1)
        print(f"SKIP: Debian's archive is not reachable, no varlinkctl of trixie: {e}", flush=True)
        sys.exit(77)
    version = subprocess.run(VARLINKCTL + ["--version"], capture_output=True, text=True, check=True).stdout
    print(f"varlinkctl: {version.splitlines()[0]}", flush=True)
    h.run([
        test_validate_idl_accepts_the_file,
        test_validate_idl_refuses_an_anonymous_struct_with_a_named_type,
        test_served_interface_validates_and_lists,
        test_call_every_method_as_root,
        test_subscribe_streams_changes,
        test_errors,
        test_errors_of_an_unprivileged_caller,
    ], time_limit=60)


if __name__ == "__main__":
    main()
