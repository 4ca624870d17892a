/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Where the kernel publishes what the readers read, relative to the
 * sysroot: one list for the readers (source-*.c) and for the snapshot
 * (snapshot.c), so that a snapshot holds exactly what the readers need. */
#pragma once

/* procfs */
#define IOMEM_PATH "proc/iomem"
#define CMDLINE_PATH "proc/cmdline"
#define MEMINFO_PATH "proc/meminfo"
#define KERNEL_ARCH_PATH "proc/sys/kernel/arch" /* uname's machine, Linux 6.1+ */
#define DT_ROOT "proc/device-tree"
#define DRCONF_DIR DT_ROOT "/ibm,dynamic-reconfiguration-memory"

/* sys/kernel: kexec and crash state, vmcoreinfo; memblock in debugfs */
#define SYS_KERNEL "sys/kernel"
#define MEMBLOCK_DIR SYS_KERNEL "/debug/memblock"
#define MEMBLOCK_MEMORY MEMBLOCK_DIR "/memory"
#define MEMBLOCK_RESERVED MEMBLOCK_DIR "/reserved"
#define MEMBLOCK_PHYSMEM MEMBLOCK_DIR "/physmem"

/* sys/firmware/memmap/N/{start,end,type} */
#define MEMMAP_DIR "sys/firmware/memmap"
#define MEMMAP_ATTRS "start", "end", "type"

/* sys/devices/system: memory blocks, NUMA nodes, CPUs */
#define MEMORY_DIR "sys/devices/system/memory"
#define NODE_DIR "sys/devices/system/node"
#define CPU_DIR "sys/devices/system/cpu"

/* Top-level files of those directories (memory's also holds memoryN/,
 * node's nodeX/, cpu's cpuN/). */
#define SYS_KERNEL_FILES \
        "kexec_crash_size", "kexec_crash_loaded", "kexec_loaded", "vmcoreinfo", "crash_elfcorehdr_size"
#define MEMORY_FILES "block_size_bytes", "auto_online_blocks", "crash_hotplug"
#define NODE_FILES "possible", "online", "has_memory"
#define CPU_FILES "possible", "present", "online", "crash_hotplug"

/* Per entry: memoryN/ (plus its nodeX links), nodeX/ (plus its memoryN
 * links), cpuN/. "state" comes first: it is the one a lean read opens. */
#define BLOCK_ATTRS "state", "online", "phys_index", "phys_device", "removable", "valid_zones"
#define NODE_ATTRS "cpulist", "meminfo"
#define CPU_ATTRS "online", "crash_notes", "crash_notes_size"
