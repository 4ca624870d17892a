#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Write a synthetic x86_64 machine as two sysroots for the benchmarks.

  gen-sysroot.py OUT [--memory-gib 1024] [--block-size-mib 128] [--nodes 4]
                 [--hotplug-gib 256] [--cpus 64] [--iomem-devices N]
                 [--symlinks] [--force]

OUT/boot is the machine at boot, OUT/hotplug the same machine after
--hotplug-gib of new memory blocks were hot-added on the last node and
onlined, OUT/manifest.json the figures (block numbers added by the hot-add,
sizes, counts). The layout is that of ../shared/fixtures/x86_64-6.1-dimm
(a QEMU pc guest on Debian's 6.1 kernel) scaled up: the same files, sysfs
links stored as small files holding the link target (--symlinks writes real
links), memory below 4 GiB ending in ACPI tables, a PCI hole, the rest of the
RAM from 4 GiB, a reserved 12 GiB hole below the next TiB boundary above all
RAM (QEMU's HyperTransport hole, above which nothing is hot-added, so the
firmware map shows the hot-added entry out of address order as on the
fixture), and a /proc/iomem whose bulk is PCI: root buses per node, root
ports, NVMe drives, GPUs and SR-IOV network adapters with their virtual
functions, nested as the kernel nests them.

Same arguments, same bytes: nothing random, nothing from the clock.
"""
import argparse
import json
import os
import shutil
import sys

KiB, MiB, GiB, TiB = 1 << 10, 1 << 20, 1 << 30, 1 << 40
FOUR_GIB = 4 * GiB
LOW_LIMIT = 2 * GiB          # RAM below 4 GiB ends here: the PCI hole above
CRASH_SIZE = 256 * MiB       # crashkernel=256M, as on the fixture
ROOTS_PER_NODE = 4           # PCI root buses (host bridges) per node
MAX_VFS_PER_PF = 240         # virtual functions fit in one bus's 256 devfns
PCI32_START, PCI32_END = 0x90000000, 0xfb000000   # root buses' 32-bit windows
CRASH_NOTES_SIZE = 368


def align_up(v, a):
    return (v + a - 1) // a * a


def align_down(v, a):
    return v // a * a


def pow2_at_least(v):
    p = 1
    while p < v:
        p <<= 1
    return p


class Res:
    """One /proc/iomem resource: [start, end] inclusive, children nested."""

    __slots__ = ("start", "end", "name", "children")

    def __init__(self, start, size, name, children=()):
        self.start, self.end, self.name = start, start + size - 1, name
        self.children = list(children)

    def render(self, out, depth=0):
        out.append(f"{'  ' * depth}{self.start:08x}-{self.end:08x} : {self.name}")
        for c in sorted(self.children, key=lambda r: r.start):
            c.render(out, depth + 1)

    def check(self, depth=0):
        """The kernel's invariants: children inside, siblings disjoint, at
        most five levels printed."""
        assert depth < 5, f"{self.name} nested too deep"
        prev_end = -1
        for c in sorted(self.children, key=lambda r: r.start):
            assert self.start <= c.start <= c.end <= self.end, f"{c.name} outside {self.name}"
            assert c.start > prev_end, f"{c.name} overlaps its sibling"
            prev_end = c.end
            c.check(depth + 1)


class Machine:
    """The memory layout implied by the arguments."""

    def __init__(self, a):
        self.block = a.block_size_mib * MiB
        self.memory = int(a.memory_gib * GiB)
        self.hotplug = int(a.hotplug_gib * GiB)
        self.nodes, self.cpus = a.nodes, a.cpus
        if self.block < 16 * MiB or self.block & (self.block - 1) or self.block > LOW_LIMIT:
            raise SystemExit("gen-sysroot: --block-size-mib must be a power of two from 16 to 2048")
        if self.memory < GiB or self.memory % self.block or self.hotplug % self.block:
            raise SystemExit("gen-sysroot: memory (at least 1 GiB) and hot-add must be whole blocks")
        if not 1 <= self.nodes <= self.memory // self.block or not 1 <= self.cpus <= 4096:
            raise SystemExit("gen-sysroot: need 1 to one-per-block nodes and 1 to 4096 CPUs")
        self.low_end = min(self.memory, LOW_LIMIT)
        self.high_end = FOUR_GIB + self.memory - self.low_end   # == 4 GiB when all RAM is low
        self.hot_start, self.hot_end = self.high_end, self.high_end + self.hotplug
        self.hole_end = align_up(self.hot_end + 12 * GiB + 1, TiB)
        self.hole_start = self.hole_end - 12 * GiB
        # Boot blocks in address order, spread over the nodes in order.
        indices = list(range(self.low_end // self.block)) + \
            list(range(FOUR_GIB // self.block, self.high_end // self.block))
        per, extra = divmod(len(indices), self.nodes)
        self.boot_blocks, i = [], 0
        for nid in range(self.nodes):
            for _ in range(per + (nid < extra)):
                self.boot_blocks.append((indices[i], nid))
                i += 1
        self.hot_blocks = [(b, self.nodes - 1) for b in range(self.hot_start // self.block,
                                                              self.hot_end // self.block)]
        # The low RAM: page 0 and the EBDA reserved, 1.5 MiB of ACPI at its end.
        self.acpi_tables = (self.low_end - 0x180000, 0x80000)
        self.acpi_nvs = (self.low_end - 0x100000, 0x100000)
        self.low_ram = (0x100000, self.acpi_tables[0] - 0x100000)
        self.crash = (align_down(self.acpi_tables[0] - CRASH_SIZE - 32 * MiB, 16 * MiB), CRASH_SIZE)
        if self.crash[0] < 0x4000000:
            raise SystemExit("gen-sysroot: too little memory below 4 GiB for the crash kernel")

    def zone(self, index):
        start = index * self.block
        if start < 16 * MiB:
            return "none"             # spans ZONE_DMA and ZONE_DMA32
        return "DMA32" if start < FOUR_GIB else "Normal"

    def node_last_block(self, nid):
        return max(b for b, n in self.boot_blocks if n == nid)

    def cpu_node(self, cpu):
        return cpu * self.nodes // self.cpus

    def node_cpus(self, nid):
        return [c for c in range(self.cpus) if self.cpu_node(c) == nid]

    def ram_bytes(self, hot):
        """The System RAM of /proc/iomem: 0x1000-0x9fbff, the low RAM, the rest."""
        low = 0x9fc00 - 0x1000 + self.low_ram[1]
        return low + (self.high_end - FOUR_GIB) + (self.hotplug if hot else 0)


# ---- /proc/iomem ----

def platform_resources(m, n_roots):
    """Everything but the PCI root buses: RAM, firmware tables, chipset."""
    kernel = [Res(0x01000000, 0x00e01d32, "Kernel code"), Res(0x02000000, 0x008eb000, "Kernel rodata"),
              Res(0x02a00000, 0x00248980, "Kernel data"), Res(0x03310000, 0x010f0000, "Kernel bss"),
              Res(m.crash[0], m.crash[1], "Crash kernel")]
    top = [
        Res(0x0, 0x1000, "Reserved"),
        Res(0x1000, 0x9f000 - 0x400, "System RAM"),
        Res(0x9fc00, 0x400, "Reserved"),
        Res(0xa0000, 0x20000, "PCI Bus 0000:00"),
        Res(0xc0000, 0x8000, "Video ROM"),
        Res(0xe0000, 0x10000, "Adapter ROM"),
        Res(0xf0000, 0x10000, "Reserved", [Res(0xf0000, 0x10000, "System ROM")]),
        Res(m.low_ram[0], m.low_ram[1], "System RAM", kernel),
        Res(m.acpi_tables[0], m.acpi_tables[1], "ACPI Tables"),
        Res(m.acpi_nvs[0], m.acpi_nvs[1], "ACPI Non-volatile Storage"),
        Res(0x80000000, 0x10000000, "PCI MMCONFIG 0000 [bus 00-ff]", [Res(0x80000000, 0x10000000, "Reserved")]),
        Res(0xfed00000, 0x400, "HPET 0", [Res(0xfed00000, 0x400, "PNP0103:00")]),
        Res(0xfed1c000, 0x4000, "Reserved", [Res(0xfed1f410, 5, "iTCO_wdt.0.auto")]),
        Res(0xfee00000, 0x1000, "Local APIC", [Res(0xfee00000, 0x1000, "Reserved")]),
        Res(0xff000000, 0x1000000, "Reserved"),
        Res(m.hole_start, m.hole_end - m.hole_start, "Reserved"),
    ]
    for i in range(n_roots):
        top.append(Res(0xfec00000 + i * 0x1000, 0x400, f"IOAPIC {i}"))
        top.append(Res(0xfb000000 + i * 0x1000, 0x1000, f"dmar{i}"))
    if m.high_end > FOUR_GIB:
        top.append(Res(FOUR_GIB, m.high_end - FOUR_GIB, "System RAM"))
    return top


def pack(items, base, granule):
    """Place (size, build) items from @base, biggest first so that natural
    alignment leaves no gaps; returns the resources and the end used."""
    out, at = [], base
    for size, build in sorted(items, key=lambda it: -it[0]):
        at = align_up(at, size)
        out.append(build(at))
        at += size
    return out, align_up(at, granule)


def function_name(bus, devfn):
    return f"0000:{bus:02x}:{devfn >> 3:02x}.{devfn & 7:x}"


def endpoint(kind, bus, n_vfs):
    """The BARs of the device behind a root port: (non-prefetchable,
    prefetchable) lists of (size, build(address) -> Res)."""
    pf = function_name(bus, 0)
    bar = lambda size, name=pf, kids=(): (size, lambda at: Res(at, size, name, [Res(at, size, k) for k in kids]))
    if kind == "nvme":
        return [bar(16 * KiB, kids=("nvme",))], []
    if kind == "gpu":
        return [bar(16 * MiB), bar(16 * KiB, function_name(bus, 1), ("snd_hda_intel",))], \
               [bar(16 * GiB), bar(32 * MiB)]
    vf_size = MiB

    def iov(at):
        vfs = [Res(at + i * vf_size, vf_size, function_name(bus, 2 + i), [Res(at + i * vf_size, vf_size, "mlx5_core")])
               for i in range(n_vfs)]
        return Res(at, pow2_at_least(n_vfs * vf_size), pf, vfs)
    pref = [bar(32 * MiB, kids=("mlx5_core",))]
    if n_vfs:
        pref.append((pow2_at_least(n_vfs * vf_size), iov))
    return [], pref


PORT_KINDS = ("nic", "nvme", "nic", "nvme", "gpu", "nic", "nvme", "nvme")


def plan_ports(n_ports, n_functions):
    """Kind and VF count of each root port's device: one function per port
    first, the remaining ones as virtual functions of the network adapters."""
    kinds = [PORT_KINDS[p % len(PORT_KINDS)] for p in range(n_ports)]
    used = min(n_ports, n_functions)
    nics = [p for p in range(used) if kinds[p] == "nic"]
    vfs = [0] * n_ports
    left = n_functions - used
    if left and not nics:
        raise SystemExit("gen-sysroot: no network adapter to carry the virtual functions")
    for i, p in enumerate(nics):
        vfs[p] = left // len(nics) + (i < left % len(nics))
    if max(vfs) > MAX_VFS_PER_PF:
        raise SystemExit("gen-sysroot: too many --iomem-devices for the root ports; add --nodes")
    return [(kinds[p], vfs[p]) for p in range(used)]


def pci_resources(m, n_functions):
    """Root buses with their 32-bit and 64-bit windows, a root port per
    device, the devices' BARs, driver claims and virtual functions."""
    n_roots = m.nodes * ROOTS_PER_NODE
    ports_per_root = max(4, -(-n_functions // (n_roots * MAX_VFS_PER_PF)))
    buses_per_root = 256 // n_roots
    if ports_per_root + 1 > buses_per_root:
        raise SystemExit("gen-sysroot: too many --iomem-devices for one PCI segment")
    plan = plan_ports(n_roots * ports_per_root, n_functions)
    win32 = align_down((PCI32_END - PCI32_START) // n_roots, MiB)
    top, at64 = [], m.hole_end
    for r in range(n_roots):
        root_bus = r * buses_per_root
        mine = plan[r * ports_per_root:(r + 1) * ports_per_root]
        np_windows, p_windows = [], []
        for p, (kind, n_vfs) in enumerate(mine):
            bus = root_bus + 1 + p
            nonpref, pref = endpoint(kind, bus, n_vfs)
            for items, windows in ((nonpref, np_windows), (pref, p_windows)):
                if not items:
                    continue
                need = sum(align_up(s, MiB) for s, _ in items)
                size = pow2_at_least(max(need, MiB))
                windows.append((size, lambda at, items=items, size=size, bus=bus:
                                Res(at, size, f"PCI Bus 0000:{bus:02x}", pack(items, at, MiB)[0])))
        base32 = PCI32_START + r * win32
        kids32, end32 = pack(np_windows, base32, MiB)
        if end32 > base32 + win32:
            raise SystemExit("gen-sysroot: the devices' 32-bit BARs do not fit below 4 GiB")
        name = f"PCI Bus 0000:{root_bus:02x}"
        top.append(Res(base32, win32, name, kids32))
        need64 = sum(s for s, _ in p_windows)
        size64 = pow2_at_least(max(need64, 16 * GiB))
        at64 = align_up(at64, size64)
        top.append(Res(at64, size64, name, pack(p_windows, at64, MiB)[0]))
        at64 += size64
    return top, n_roots


def iomem_text(m, n_functions, hot):
    pci, n_roots = pci_resources(m, n_functions)
    top = platform_resources(m, n_roots) + pci
    if hot and m.hotplug:
        top.append(Res(m.hot_start, m.hotplug, "System RAM"))
    lines, prev_end = [], -1
    for res in sorted(top, key=lambda r: r.start):
        assert res.start > prev_end, f"{res.name} at {res.start:#x} overlaps"
        prev_end = res.end
        res.check()
        res.render(lines)
    return "\n".join(lines) + "\n"


# ---- the firmware map and the rest ----

def firmware_map(m, hot):
    """e820 as the kernel keeps it: boot entries in address order, the
    hot-added range appended at the end."""
    e = [(0, 0x9fc00, "System RAM"), (0x9fc00, 0x400, "Reserved"), (0xf0000, 0x10000, "Reserved"),
         (m.low_ram[0], m.low_ram[1], "System RAM"), (*m.acpi_tables, "ACPI Tables"),
         (*m.acpi_nvs, "ACPI Non-volatile Storage"), (0x80000000, 0x10000000, "Reserved"),
         (0xfed1c000, 0x4000, "Reserved"), (0xfee00000, 0x1000, "Reserved"), (0xff000000, 0x1000000, "Reserved")]
    if m.high_end > FOUR_GIB:
        e.append((FOUR_GIB, m.high_end - FOUR_GIB, "System RAM"))
    e.append((m.hole_start, m.hole_end - m.hole_start, "Reserved"))
    if hot and m.hotplug:
        e.append((m.hot_start, m.hotplug, "System RAM"))
    return e


def idlist(ids):
    """The kernel's cpulist/nodelist format: 0-3,8,10-11."""
    out, ids = [], sorted(ids)
    i = 0
    while i < len(ids):
        j = i
        while j + 1 < len(ids) and ids[j + 1] == ids[j] + 1:
            j += 1
        out.append(str(ids[i]) if i == j else f"{ids[i]}-{ids[j]}")
        i = j + 1
    return ",".join(out)


MEMINFO_KEYS = ("MemTotal", "MemFree", "MemAvailable", "Buffers", "Cached", "SwapCached", "Active",
                "Inactive", "Unevictable", "Mlocked", "SwapTotal", "SwapFree", "Dirty", "Writeback",
                "AnonPages", "Mapped", "Shmem", "Slab", "KernelStack", "PageTables", "CommitLimit",
                "Committed_AS", "HugePages_Total", "Hugepagesize")


def meminfo(total_kib, prefix=""):
    values = {"MemTotal": total_kib, "MemFree": total_kib * 97 // 100, "MemAvailable": total_kib * 95 // 100,
              "CommitLimit": total_kib // 2, "Hugepagesize": 2048}
    lines = []
    for k in MEMINFO_KEYS:
        key = f"{prefix}{k}:"
        lines.append(f"{key:<{len(prefix) + 16}}{values.get(k, 0):>8}" + ("" if k == "HugePages_Total" else " kB"))
    return "\n".join(lines) + "\n"


class TreeWriter:
    """Writes files under one root with as few system calls as it can."""

    def __init__(self, root, symlinks):
        self.root, self.symlinks, self.dirs = root, symlinks, set()
        self.files = 0

    def _dir(self, rel):
        if rel not in self.dirs:
            os.makedirs(os.path.join(self.root, rel), exist_ok=True)
            self.dirs.add(rel)

    def write(self, rel, text):
        self._dir(os.path.dirname(rel))
        fd = os.open(os.path.join(self.root, rel), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
        try:
            os.write(fd, text.encode())
        finally:
            os.close(fd)
        self.files += 1

    def link(self, rel, target):
        """A sysfs link: a real symlink, or (as in the fixtures) a file
        holding the target without a newline."""
        if self.symlinks:
            self._dir(os.path.dirname(rel))
            os.symlink(target, os.path.join(self.root, rel))
            self.files += 1
        else:
            self.write(rel, target)


def write_sysroot(root, m, args, hot):
    w = TreeWriter(root, args.symlinks)
    blocks = m.boot_blocks + (m.hot_blocks if hot else [])
    iomem = iomem_text(m, args.iomem_devices, hot)
    w.write("proc/iomem", iomem)
    w.write("proc/cmdline", "console=ttyS0 panic=1 quiet crashkernel=256M\n")
    w.write("proc/meminfo", meminfo((m.ram_bytes(hot) - CRASH_SIZE) // KiB))
    for n, (start, size, kind) in enumerate(firmware_map(m, hot)):
        w.write(f"sys/firmware/memmap/{n}/start", f"{start:#x}\n")
        w.write(f"sys/firmware/memmap/{n}/end", f"{start + size - 1:#x}\n")
        w.write(f"sys/firmware/memmap/{n}/type", f"{kind}\n")
    kernel = "sys/kernel"
    w.write(f"{kernel}/kexec_crash_loaded", "1\n")
    w.write(f"{kernel}/kexec_crash_size", f"{CRASH_SIZE}\n")
    w.write(f"{kernel}/kexec_loaded", "0\n")
    w.write(f"{kernel}/vmcoreinfo", "0x0000000002de6000 1024\n")
    mem = "sys/devices/system/memory"
    w.write(f"{mem}/block_size_bytes", f"{m.block:x}\n")
    w.write(f"{mem}/auto_online_blocks", "offline\n")
    for index, nid in blocks:
        d = f"{mem}/memory{index}"
        w.write(f"{d}/state", "online\n")
        w.write(f"{d}/online", "1\n")
        w.write(f"{d}/phys_index", f"{index:08x}\n")
        w.write(f"{d}/phys_device", "0\n")
        w.write(f"{d}/removable", "1\n")
        w.write(f"{d}/valid_zones", f"{m.zone(index)}\n")
        w.link(f"{d}/node{nid}", f"../../node/node{nid}")
    node = "sys/devices/system/node"
    all_nodes = idlist(range(m.nodes))
    for f in ("possible", "online", "has_memory"):
        w.write(f"{node}/{f}", f"{all_nodes}\n")
    for nid in range(m.nodes):
        w.write(f"{node}/node{nid}/cpulist", f"{idlist(m.node_cpus(nid))}\n")
        node_bytes = sum(m.block for _, n in blocks if n == nid)
        w.write(f"{node}/node{nid}/meminfo", meminfo(node_bytes // KiB, f"Node {nid} "))
        for index, n in blocks:
            if n == nid:
                w.link(f"{node}/node{nid}/memory{index}", f"../../memory/memory{index}")
    cpu = "sys/devices/system/cpu"
    all_cpus = idlist(range(m.cpus))
    for f in ("possible", "present", "online"):
        w.write(f"{cpu}/{f}", f"{all_cpus}\n")
    for c in range(m.cpus):
        nid = m.cpu_node(c)
        # The per-CPU note lives in the node's own memory, a 256 KiB unit per CPU.
        note = m.node_last_block(nid) * m.block + 0x200000 + m.node_cpus(nid).index(c) * 0x40000 + 0xa400
        if c:
            w.write(f"{cpu}/cpu{c}/online", "1\n")
        w.write(f"{cpu}/cpu{c}/crash_notes", f"{note:x}\n")
        w.write(f"{cpu}/cpu{c}/crash_notes_size", f"{CRASH_NOTES_SIZE}\n")
    return {"files": w.files, "iomem_lines": iomem.count("\n"), "iomem_bytes": len(iomem),
            "blocks": len(blocks), "ram_bytes": m.ram_bytes(hot),
            "online_bytes": len(blocks) * m.block,
            "blocks_per_node": [sum(1 for _, n in blocks if n == nid) for nid in range(m.nodes)],
            "firmware_memmap_entries": len(firmware_map(m, hot))}


def parse_args(argv):
    p = argparse.ArgumentParser(description="Write a synthetic machine's boot and hotplug sysroots.")
    p.add_argument("out", help="output directory (boot/, hotplug/ and manifest.json go there)")
    p.add_argument("--memory-gib", type=float, default=1024, help="boot RAM in memory blocks (default 1024)")
    p.add_argument("--block-size-mib", type=int, default=128, help="memory block size (default 128)")
    p.add_argument("--nodes", type=int, default=4, help="NUMA nodes (default 4)")
    p.add_argument("--hotplug-gib", type=float, default=256, help="RAM hot-added on the last node (default 256)")
    p.add_argument("--cpus", type=int, default=64, help="CPUs, spread over the nodes (default 64)")
    p.add_argument("--iomem-devices", type=int, default=5120,
                   help="PCI functions with memory BARs, virtual functions included (default 5120)")
    p.add_argument("--symlinks", action="store_true", help="write sysfs links as symlinks, not as files")
    p.add_argument("--force", action="store_true", help="replace OUT/boot and OUT/hotplug if they exist")
    a = p.parse_args(argv)
    if a.iomem_devices < 0:
        p.error("--iomem-devices must not be negative")
    return a


def main(argv):
    args = parse_args(argv)
    m = Machine(args)
    manifest = {
        "arguments": {"memory_gib": args.memory_gib, "block_size_mib": args.block_size_mib, "nodes": args.nodes,
                      "hotplug_gib": args.hotplug_gib, "cpus": args.cpus, "iomem_devices": args.iomem_devices},
        "block_size": m.block,
        "hot_added_blocks": [b for b, _ in m.hot_blocks],
        "hot_added_node": m.nodes - 1,
        "hot_added_range": [m.hot_start, m.hot_end - 1],
        "crash_kernel": [m.crash[0], m.crash[0] + m.crash[1] - 1],
    }
    for state in ("boot", "hotplug"):
        root = os.path.join(args.out, state)
        if os.path.lexists(root):
            if not args.force:
                raise SystemExit(f"gen-sysroot: {root} exists (use --force to replace it)")
            shutil.rmtree(root)
        manifest[state] = write_sysroot(root, m, args, state == "hotplug")
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    b, h = manifest["boot"], manifest["hotplug"]
    print(f"gen-sysroot: {args.out}: {b['blocks']} blocks of {args.block_size_mib} MiB on {m.nodes} nodes "
          f"({b['online_bytes'] / GiB:g} GiB), hot-add of {len(m.hot_blocks)} blocks "
          f"({h['online_bytes'] / GiB:g} GiB after), /proc/iomem {b['iomem_lines']} lines, "
          f"{b['files'] + h['files']} files", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
