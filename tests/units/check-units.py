#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Checks of the shipped systemd units and snippets.

    check-units.py security SERVICE
    check-units.py verify SERVICE SOCKET [DAEMON]
    check-units.py snippets TMPFILES SYSUSERS
    check-units.py example-config EXAMPLE DAEMON SYSROOT

security: `systemd-analyze security --offline=yes` must rate the service at
most 3.0, and must still grant what the daemon and the kdump reload need
(DESIGN.md promises 4 and 7): the four capabilities, netlink and unix
sockets, mount namespaces, mount/kexec system calls, and a readable
/proc/kcore (ProtectKernelTunables= and PrivateDevices= would take it away).

verify: `systemd-analyze verify` of the service and socket prints nothing.
ExecStart= is pointed at DAEMON (the built memranged) or, before the daemon
is built, at /bin/true, since verify insists that the binary exists.

snippets: systemd-sysusers creates group memrange, systemd-tmpfiles creates
/run/memranged with mode 0755, both inside a scratch root.

example-config: every commented-out "#Key=Value" of the example config,
uncommented, is accepted by the real daemon: memranged starts on SYSROOT
with it (no kernel uevents, a scratch socket), logs no warning or error
about the file, and stops with exit 0 on SIGTERM.

Exit 0 pass, 1 fail, 77 skip (meson's convention).
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SKIP = 77
MAX_EXPOSURE = 3.0

# Analyzer items that must stay "not set": each is something memranged needs.
NEEDED = {
    'CapabilityBoundingSet=~CAP_SYS_ADMIN': 'real /proc/iomem addresses, mount namespace for kexec',
    'CapabilityBoundingSet=~CAP_SYS_BOOT': 'kexec_load / kexec_file_load',
    'CapabilityBoundingSet=~CAP_SYS_RAWIO': 'kexec-tools opens /proc/kcore',
    'CapabilityBoundingSet=~CAP_NET_ADMIN': 'SO_RCVBUFFORCE for the uevent socket',
    'CapabilityBoundingSet=~CAP_SYSLOG': 'kexec-tools finds _stext in /proc/kallsyms',
    'ProtectKernelLogs=': 'it drops CAP_SYSLOG, so /proc/kallsyms shows no addresses',
    'RestrictAddressFamilies=~AF_NETLINK': 'NETLINK_KOBJECT_UEVENT socket',
    'RestrictAddressFamilies=~AF_UNIX': 'varlink socket and sd_notify',
    'RestrictNamespaces=~mnt': 'private mount namespace for kexec',
    'ProtectKernelTunables=': '/proc/kcore must stay readable for kexec-tools',
    'ProcSubset=': '/proc/iomem, /proc/kcore and /proc/cmdline are read',
    'PrivateNetwork=': 'uevents arrive in the host network namespace only',
}

# System calls that the allow list must keep (groups are expanded).
NEEDED_SYSCALLS = ['mount', 'umount2', 'unshare', 'kexec_load', 'kexec_file_load',
                   'execve', 'setsockopt', 'recvmsg']

RULE_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'units',
                           'memranged-kdump-tools-rule')

failures = []


def fail(msg):
    failures.append(msg)
    print('FAIL: ' + msg)


def analyze():
    path = shutil.which('systemd-analyze')
    if path is None:
        print('SKIP: systemd-analyze is not installed (Debian package "systemd")')
        sys.exit(SKIP)
    return path


def run(argv):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, check=False)


def overall_exposure(tool, service):
    res = run([tool, 'security', '--offline=yes', '--no-pager', service])
    text = res.stdout + res.stderr
    if "unrecognized option '--offline" in text:
        print('SKIP: this systemd-analyze has no --offline (systemd < 250)')
        sys.exit(SKIP)
    m = re.search(r'Overall exposure level for \S+: (\d+\.\d)', text)
    if m is None:
        print(text)
        fail('no "Overall exposure level" line in systemd-analyze security output')
        return None
    return float(m.group(1))


def security_items(tool, service):
    res = run([tool, 'security', '--offline=yes', '--json=short', '--no-pager', service])
    try:
        return {item['name']: item for item in json.loads(res.stdout)}
    except ValueError:
        fail('systemd-analyze security --json=short printed no JSON: ' + res.stderr.strip())
        return {}


def unit_values(path, key):
    """Every value of KEY= in PATH, in order (an empty value resets)."""
    values = []
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.strip()
            if line.startswith(key + '='):
                value = line[len(key) + 1:].strip()
                values = [] if value == '' else values + [value]
    return values


def expand_syscalls(tool, names, cache):
    out = set()
    for name in names:
        if not name.startswith('@'):
            out.add(name)
            continue
        if name not in cache:
            res = run([tool, 'syscall-filter', '--no-pager', name])
            members = [l.strip() for l in res.stdout.splitlines()[1:]]
            cache[name] = set()
            cache[name] = expand_syscalls(tool, [m for m in members if m and not m.startswith('#')], cache)
        out |= cache[name]
    return out


def allowed_syscalls(tool, service):
    allow, deny, cache = set(), set(), {}
    for value in unit_values(service, 'SystemCallFilter'):
        if value.startswith('~'):
            deny |= expand_syscalls(tool, value[1:].split(), cache)
        else:
            allow |= expand_syscalls(tool, value.split(), cache)
    return allow - deny


def check_security(service):
    tool = analyze()
    exposure = overall_exposure(tool, service)
    if exposure is not None:
        print('overall exposure: %.1f (at most %.1f)' % (exposure, MAX_EXPOSURE))
        if exposure > MAX_EXPOSURE:
            fail('exposure %.1f is above %.1f' % (exposure, MAX_EXPOSURE))

    items = security_items(tool, service)
    for name, why in NEEDED.items():
        item = items.get(name)
        if item is None:
            fail('systemd-analyze has no item %s' % name)
        elif item['set']:
            fail('%s is restricted, but memranged needs it: %s' % (name, why))

    allowed = allowed_syscalls(tool, service)
    if not allowed:
        fail('no SystemCallFilter= allow list')
    for call in NEEDED_SYSCALLS:
        if allowed and call not in allowed:
            fail('system call %s is not allowed by SystemCallFilter=' % call)

    for value in unit_values(service, 'InaccessiblePaths'):
        for path in ('/proc/kcore', '/proc/kallsyms'):
            if path in value.split() or '-' + path in value.split():
                fail('%s is inaccessible, kexec-tools needs it' % path)
    check_rule_mask(service)


def check_rule_mask(service):
    """kdump-tools' rule is masked exactly while the service runs: masked by
    a privileged ExecStartPre=, unmasked by a privileged ExecStopPost= (which
    also runs after a failure), neither able to stop the daemon starting."""
    for key, verb in (('ExecStartPre', 'mask'), ('ExecStopPost', 'unmask')):
        values = [v for v in unit_values(service, key) if 'memranged-kdump-tools-rule' in v]
        if len(values) != 1:
            fail('%s= must run memranged-kdump-tools-rule %s once, found %r' % (key, verb, values))
            continue
        prefix, _, rest = values[0].partition('/')
        if set(prefix) != {'-', '+'} or rest.split()[1:] != [verb]:
            fail('%s=%s: want "-+PATH %s" (privileged, failure ignored)' % (key, values[0], verb))


def check_verify(service, socket, daemon):
    tool = analyze()
    with tempfile.TemporaryDirectory() as tmp:
        # Does verify work here at all? A trivial unit must pass cleanly.
        probe = os.path.join(tmp, 'memranged-probe.service')
        with open(probe, 'w', encoding='utf-8') as f:
            f.write('[Service]\nExecStart=/bin/true\n')
        res = run([tool, 'verify', '--man=no', probe])
        if res.returncode != 0 or res.stdout or res.stderr:
            print('SKIP: systemd-analyze verify does not work here:\n' + res.stdout + res.stderr)
            sys.exit(SKIP)
        os.unlink(probe)

        exe = os.path.abspath(daemon) if daemon else '/bin/true'
        copy = os.path.join(tmp, 'memranged.service')
        with open(service, encoding='utf-8') as src, open(copy, 'w', encoding='utf-8') as dst:
            text = re.sub(r'(?m)^ExecStart=\S+', 'ExecStart=' + exe, src.read())
            # The rule script as it is in the tree (verify wants it to exist).
            dst.write(re.sub(r'/\S*/memranged-kdump-tools-rule', RULE_SCRIPT, text))
        shutil.copy(socket, os.path.join(tmp, 'memranged.socket'))

        res = run([tool, 'verify', '--man=no', copy, os.path.join(tmp, 'memranged.socket')])
        output = (res.stdout + res.stderr).strip()
        if res.returncode != 0 or output:
            fail('systemd-analyze verify (exit %d):\n%s' % (res.returncode, output))
        else:
            print('systemd-analyze verify: clean (ExecStart=%s)' % exe)


def check_snippets(tmpfiles, sysusers):
    with tempfile.TemporaryDirectory() as root:
        os.makedirs(os.path.join(root, 'etc'))
        tool = shutil.which('systemd-sysusers')
        if tool is None:
            print('SKIP: systemd-sysusers is not installed')
            sys.exit(SKIP)
        res = run([tool, '--root=' + root, os.path.abspath(sysusers)])
        groups = []
        group_file = os.path.join(root, 'etc', 'group')
        if os.path.exists(group_file):
            with open(group_file, encoding='utf-8') as f:
                groups = [line.split(':')[0] for line in f]
        if res.returncode != 0 or 'memrange' not in groups:
            fail('systemd-sysusers did not create group memrange: ' + res.stderr.strip())

        if os.geteuid() != 0:
            print('tmpfiles: not root, cannot create root-owned directories; left unchecked')
            return
        tool = shutil.which('systemd-tmpfiles')
        res = run([tool, '--root=' + root, '--create', os.path.abspath(tmpfiles)])
        path = os.path.join(root, 'run', 'memranged')
        if res.returncode != 0 or not os.path.isdir(path):
            fail('systemd-tmpfiles did not create /run/memranged: ' + res.stderr.strip())
        elif os.stat(path).st_mode & 0o7777 != 0o755:
            fail('/run/memranged has mode %o, want 755' % (os.stat(path).st_mode & 0o7777))


def wait_for_line(proc, needle, timeout):
    """Lines of proc's stderr up to and including the first with NEEDLE."""
    lines, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        lines.append(line.rstrip('\n'))
        if needle in line:
            return lines, True
    return lines, False


def check_example_config(example, daemon, sysroot):
    with open(example, encoding='utf-8') as f:
        text = f.read()
    # "#Key=Value" is a setting to try; "# words" stays a comment.
    enabled = re.sub(r'(?m)^#(?=[A-Za-z]+=)', '', text)
    if enabled == text:
        fail('the example has no commented-out settings')
        return
    with tempfile.TemporaryDirectory() as tmp:
        conf = os.path.join(tmp, 'memranged.conf')
        with open(conf, 'w', encoding='utf-8') as f:
            f.write(enabled)
        argv = [os.path.abspath(daemon), '--config', conf, '--sysroot', sysroot,
                '--no-kernel-uevents', '--socket', os.path.join(tmp, 'io.memranged')]
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, universal_newlines=True)
        try:
            lines, ready = wait_for_line(proc, 'Ready:', 30)
            if ready:
                proc.send_signal(signal.SIGTERM)
            _, rest = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            fail('memranged did not stop within 30 s of SIGTERM')
            return
        lines += rest.splitlines()
    print('\n'.join(lines))
    if not ready:
        fail('memranged never logged "Ready:" with the example configuration')
    if proc.returncode != 0:
        fail('memranged exited %d after SIGTERM, want 0' % proc.returncode)
    for line in lines:
        if conf in line and re.match(r'<[0-4]>', line):
            fail('the example configuration is not clean: ' + line)


def main(argv):
    if len(argv) >= 3 and argv[1] == 'security':
        check_security(argv[2])
    elif len(argv) in (4, 5) and argv[1] == 'verify':
        check_verify(argv[2], argv[3], argv[4] if len(argv) == 5 else None)
    elif len(argv) == 4 and argv[1] == 'snippets':
        check_snippets(argv[2], argv[3])
    elif len(argv) == 5 and argv[1] == 'example-config':
        check_example_config(argv[2], argv[3], argv[4])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    if failures:
        print('%d check(s) failed' % len(failures))
        return 1
    print('all checks passed')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
