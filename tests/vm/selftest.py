#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Self-test of the end-to-end harness, without a VM: the expected-dump
policies of vmtest_dump reproduce what real capture kernels saw
(shared/fixtures/kdump-cases), vmcore-phdrs prints headers built by
memrangectl in the fixtures' format, and the harness's parsers reject
malformed input.

  selftest.py FIXTURES_DIR MEMRANGECTL VMCORE_PHDRS"""

import os
import struct
import subprocess
import sys
import tempfile
import unittest

import vmtest_dump as dump

FIXTURES = MEMRANGECTL = VMCORE_PHDRS = None
HOTPLUG = (0x100000000, 0x13fffffff)

CASES = {
    # case: (how kdump was loaded, was it reloaded after the hot-add)
    "x86_64-6.1-kexec_load-reload": ("kexec_load", True),
    "x86_64-6.1-kexec_load-noreload": ("kexec_load", False),
    "x86_64-6.12-kexec_file-noreload": ("kexec_file", True),  # the kernel updated it
}


def case_path(case, *parts):
    return os.path.join(FIXTURES, "kdump-cases", case, *parts)


def read(path):
    with open(path) as f:
        return f.read()


def phdr_block(text):
    lines = text.splitlines()
    return [f"VMCORE-PHDRS BEGIN n={len(lines)}"] + lines + ["VMCORE-PHDRS END"]


class PolicyTest(unittest.TestCase):
    def test_policies_reproduce_the_capture_kernels_program_headers(self):
        for case, (load, current) in CASES.items():
            with self.subTest(case=case):
                iomem = dump.parse_iomem(read(case_path(case, "root", "proc", "iomem")))
                if not current:
                    # The stale image was built before the DIMM came.
                    iomem = [line for line in iomem if (line[1], line[2]) != HOTPLUG]
                loads = dump.ram_loads(dump.parse_phdrs(phdr_block(read(case_path(case, "vmcore-phdrs.txt")))))
                self.assertEqual(loads, dump.POLICIES[load](iomem))
                self.assertEqual(dump.covers(loads, *HOTPLUG), current)

    def test_kexec_tools_keeps_the_low_range_the_kernel_drops(self):
        iomem = dump.parse_iomem(read(case_path("x86_64-6.1-kexec_load-reload", "root", "proc", "iomem")))
        self.assertEqual(dump.kexec_tools_x86(iomem)[0], (0x1000, 0x9fbff))
        self.assertEqual(dump.kernel(iomem)[0], (0x100000, 0x2effffff))

    def test_merged_joins_touching_ranges_but_keeps_holes(self):
        dimms = [(0x100000000, 0x13fffffff), (0x140000000, 0x17fffffff)]
        self.assertEqual(dump.merged(dimms), [(0x100000000, 0x17fffffff)])
        # The crash kernel hole stays a hole.
        self.assertEqual(dump.merged([(0x3f000000, 0x3ffdffff), (0x100000, 0x2effffff)]),
                         [(0x100000, 0x2effffff), (0x3f000000, 0x3ffdffff)])

    def test_covers_needs_the_whole_range(self):
        self.assertTrue(dump.covers([(0, 9), (10, 19)], 5, 15))
        self.assertFalse(dump.covers([(0, 9), (11, 19)], 5, 15))
        self.assertFalse(dump.covers([], 0, 0))


class ParserTest(unittest.TestCase):
    GOOD = ["VMCORE-PHDRS BEGIN n=2",
            "PH 0 type=4 paddr=0 vaddr=0 memsz=0xfc4 end=0xfc3",
            "PH 1 type=1 paddr=0x39c00000 vaddr=0xffffffff89c00000 memsz=0x3430000 end=0x3d02ffff",
            "VMCORE-PHDRS END"]

    def test_parses_a_complete_block(self):
        self.assertEqual(dump.parse_phdrs(["noise"] + self.GOOD)[1],
                         (1, 1, 0x39c00000, 0xffffffff89c00000, 0x3430000, 0x3d02ffff))

    def test_rejects_a_wrong_count_a_missing_end_and_a_bad_line(self):
        with self.assertRaisesRegex(dump.DumpError, "announced 3"):
            dump.parse_phdrs(["VMCORE-PHDRS BEGIN n=3"] + self.GOOD[1:])
        with self.assertRaisesRegex(dump.DumpError, "no complete"):
            dump.parse_phdrs(self.GOOD[:-1])
        with self.assertRaisesRegex(dump.DumpError, "malformed"):
            dump.parse_phdrs(self.GOOD[:2] + ["PH 1 type=1 paddr=zz"] + self.GOOD[3:])
        with self.assertRaisesRegex(dump.DumpError, "ERROR"):
            dump.parse_phdrs(["VMCORE-PHDRS ERROR /proc/vmcore: bad magic"])

    def test_ram_loads_wants_the_kernel_text_first_and_consistent_ends(self):
        with self.assertRaisesRegex(dump.DumpError, "kernel text"):
            dump.ram_loads([(0, 1, 0x1000, 0xffff888000001000, 0x1000, 0x1fff)])
        with self.assertRaisesRegex(dump.DumpError, "does not match"):
            dump.ram_loads([(0, 1, 0x1000, 0xffffffff81000000, 0x1000, 0x2fff)])

    def test_iomem_parser_rejects_zeroed_and_malformed_lines(self):
        with self.assertRaisesRegex(dump.DumpError, "zeroed"):
            dump.parse_iomem("00000000-00000000 : System RAM\n")
        with self.assertRaisesRegex(dump.DumpError, "proc/iomem:2"):
            dump.parse_iomem("00001000-0009fbff : System RAM\nnonsense\n")


class VmcorePhdrsTest(unittest.TestCase):
    def run_phdrs(self, path):
        return subprocess.run([VMCORE_PHDRS, path], capture_output=True, text=True)

    def test_prints_a_built_header_in_the_fixture_format(self):
        case = "x86_64-6.1-kexec_load-reload"
        root = case_path(case, "root")
        with tempfile.TemporaryDirectory() as tmp:
            hdr = os.path.join(tmp, "elfcorehdr")
            subprocess.run([MEMRANGECTL, "--sysroot", root, "elfcorehdr", "-o", hdr,
                            "--policy", "kexec-tools-x86"], check=True, capture_output=True)
            out = self.run_phdrs(hdr)
        self.assertEqual(out.returncode, 0, out.stdout)
        phdrs = dump.parse_phdrs(out.stdout.splitlines())
        loads = [(p[2], p[5]) for p in phdrs if p[1] == dump.PT_LOAD]
        iomem = dump.parse_iomem(read(os.path.join(root, "proc", "iomem")))
        self.assertEqual(loads, dump.kexec_tools_x86(iomem))
        # The two CPUs' crash notes and vmcoreinfo, each a PT_NOTE, first.
        self.assertEqual([p[1] for p in phdrs[:3]], [dump.PT_NOTE] * 3)
        self.assertEqual(len(phdrs), 3 + len(loads))

    def test_reports_a_program_header_table_cut_short(self):
        root = case_path("x86_64-6.1-kexec_load-reload", "root")
        with tempfile.TemporaryDirectory() as tmp:
            hdr = os.path.join(tmp, "elfcorehdr")
            subprocess.run([MEMRANGECTL, "--sysroot", root, "elfcorehdr", "-o", hdr,
                            "--policy", "kexec-tools-x86"], check=True, capture_output=True)
            os.truncate(hdr, 100)
            out = self.run_phdrs(hdr)
        self.assertEqual(out.returncode, 1)
        self.assertRegex(out.stdout, r"^VMCORE-PHDRS ERROR .*elfcorehdr: .*past the 100 bytes")

    def test_names_the_file_it_cannot_parse(self):
        with tempfile.NamedTemporaryFile("w", suffix=".txt") as f:
            f.write("not an ELF file at all, just text long enough for a header" * 2)
            f.flush()
            out = self.run_phdrs(f.name)
        self.assertEqual(out.returncode, 1)
        self.assertRegex(out.stdout, rf"^VMCORE-PHDRS ERROR {f.name}: not an ELF file")
        out = self.run_phdrs("/dev/null")
        self.assertEqual(out.returncode, 1)
        self.assertIn("/dev/null: truncated: 0 bytes", out.stdout)
        out = self.run_phdrs("/nonexistent/vmcore")
        self.assertEqual(out.returncode, 1)
        self.assertIn("No such file", out.stdout)


def note(name, ntype, desc):
    """One ELF note: header, name and descriptor, each padded to 4 bytes."""
    raw = name.encode() + b"\0"
    pad = lambda b: b + b"\0" * (-len(b) % 4)
    return struct.pack("<III", len(raw), len(desc), ntype) + pad(raw) + pad(desc)


def prstatus(pid):
    """An x86_64 struct elf_prstatus (336 bytes) with pr_pid (offset 32) set."""
    desc = bytearray(336)
    struct.pack_into("<i", desc, 32, pid)
    return bytes(desc)


def core_file(notes, note_size=None):
    """An ELF core file like /proc/vmcore: a PT_NOTE holding @notes, then
    a kernel text PT_LOAD (no data)."""
    phoff, phnum = 64, 2
    data_off = phoff + 56 * phnum
    size = len(notes) if note_size is None else note_size
    ehdr = (b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
            + struct.pack("<HHIQQQIHHHHHH", 4, 62, 1, 0, phoff, 0, 0, 64, 56, phnum, 0, 0, 0))
    ph_note = struct.pack("<IIQQQQQQ", dump.PT_NOTE, 0, data_off, 0, 0, size, size, 0)
    ph_text = struct.pack("<IIQQQQQQ", dump.PT_LOAD, 7, data_off + len(notes), 0xffffffff81000000,
                          0x1000000, 0, 0x200000, 0)
    return ehdr + ph_note + ph_text + notes


class VmcoreNotesTest(unittest.TestCase):
    def run_notes(self, data):
        with tempfile.NamedTemporaryFile(suffix=".core") as f:
            f.write(data)
            f.flush()
            return subprocess.run([VMCORE_PHDRS, "--notes", f.name], capture_output=True, text=True)

    def test_counts_the_crash_notes_and_names_their_tasks(self):
        notes = (note("CORE", dump.NT_PRSTATUS, prstatus(0)) + note("CORE", dump.NT_PRSTATUS, prstatus(491))
                 + note("VMCOREINFO", 0, b"OSRELEASE=6.1.0\n") + bytes(12))
        out = self.run_notes(core_file(notes))
        self.assertEqual(out.returncode, 0, out.stdout)
        lines = out.stdout.splitlines()
        self.assertEqual(len(dump.parse_phdrs(lines)), 2)
        parsed = dump.parse_notes(lines)
        self.assertEqual(parsed, [("CORE", 1, 0), ("CORE", 1, 491), ("VMCOREINFO", 0, None)])
        self.assertEqual([n[2] for n in dump.prstatus_notes(parsed)], [0, 491])
        self.assertIn("VMCORE-NOTES END prstatus=2", lines)

    def test_reports_a_note_past_its_segment_and_a_segment_past_the_file(self):
        out = self.run_notes(core_file(note("CORE", dump.NT_PRSTATUS, prstatus(1))[:-8]))
        self.assertEqual(out.returncode, 1)
        self.assertRegex(out.stdout, r"VMCORE-NOTES ERROR .*PT_NOTE 0: a note runs past the segment")
        out = self.run_notes(core_file(b"", note_size=4096))
        self.assertEqual(out.returncode, 1)
        self.assertRegex(out.stdout, r"VMCORE-NOTES ERROR .*PT_NOTE 0 \(0x1000 bytes at 0xb0\): past the end")
        with self.assertRaisesRegex(dump.DumpError, "past the end"):
            dump.parse_notes(out.stdout.splitlines())

    def test_notes_parser_checks_the_count(self):
        block = ["VMCORE-NOTES BEGIN", "NOTE 0 name=CORE type=1 descsz=336 pid=7", "VMCORE-NOTES END prstatus=2"]
        with self.assertRaisesRegex(dump.DumpError, "END counted 2"):
            dump.parse_notes(block)
        with self.assertRaisesRegex(dump.DumpError, "no complete"):
            dump.parse_notes(block[:2])


if __name__ == "__main__":
    FIXTURES, MEMRANGECTL, VMCORE_PHDRS = sys.argv[1:4]
    del sys.argv[1:4]
    unittest.main(verbosity=2)
