#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Writes the seed inputs of every fuzz target into fuzz/corpus/<target>/
# (files named seed-*) from the kernel fixtures: real kernel data, packed
# for the scratch-sysroot targets with pack-sysroot.py. Run once when a
# fixture or a target's files change; the inputs the fuzzer found are
# merged next to them (fuzz/README.md).
#   fuzz/seed-corpus.sh [FIXTURES_DIR]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
fixtures=${1:-${MEMRANGE_FIXTURES:-$here/../../shared/fixtures}}
corpus=$here/corpus
pack() { python3 "$here/pack-sysroot.py" pack "$@"; }

# Each sysroot of the fixtures, named after its path (x86_64-6.1-dimm-hotplug).
sysroots=()
while IFS= read -r dir; do
        sysroots+=("$dir")
done < <(cd "$fixtures" && find . -mindepth 2 -maxdepth 3 -type d \( -name boot -o -name hotplug -o -name offline -o -name root \) | sed 's|^\./||' | sort)

name_of() { echo "$1" | tr '/' '-' | sed 's/kdump-cases-//'; }

for s in "${sysroots[@]}"; do
        root=$fixtures/$s
        n=$(name_of "$s")
        if [ -f "$root/proc/iomem" ]; then
                cp "$root/proc/iomem" "$corpus/iomem/seed-$n"
        fi
        if [ -d "$root/sys/firmware/memmap" ] && [ -n "$(ls "$root/sys/firmware/memmap")" ]; then
                pack "$root" "$corpus/memmap/seed-$n" 'sys/firmware/memmap/*/*'
        fi
        if [ -d "$root/sys/devices/system/memory" ]; then
                # The top-level files, a few blocks (the first, the last
                # boot one, the hot-added ones) and the NUMA side.
                pack "$root" "$corpus/blocks/seed-$n" \
                        'sys/devices/system/memory/*_*' 'sys/devices/system/memory/memory[0-1]/*' \
                        'sys/devices/system/memory/memory3[2-3]/*' 'sys/devices/system/node/*_*' \
                        'sys/devices/system/node/possible' 'sys/devices/system/node/online' \
                        'sys/devices/system/node/node*/cpulist' 'sys/devices/system/node/node*/memory[0-1]' \
                        'sys/devices/system/node/node*/memory3[2-3]'
        fi
        if [ -d "$root/sys/kernel/debug/memblock" ]; then
                pack "$root" "$corpus/memblock/seed-$n" 'sys/kernel/debug/memblock/*'
        fi
        if [ -d "$root/proc/device-tree" ]; then
                pack "$root" "$corpus/devicetree/seed-$n" \
                        'proc/device-tree/#*-cells' 'proc/device-tree/memory*/*' 'proc/device-tree/reserved-memory/**/*' \
                        'proc/device-tree/chosen/linux,*' 'proc/device-tree/cpus/device_type' \
                        'proc/device-tree/*/status'
        fi
        if [ -d "$root/proc/device-tree/ibm,dynamic-reconfiguration-memory" ]; then
                pack "$root" "$corpus/drmem/seed-$n" \
                        'proc/device-tree/#*-cells' 'proc/device-tree/ibm,dynamic-reconfiguration-memory/ibm,*'
        fi
        pack "$root" "$corpus/crash/seed-$n" \
                'proc/iomem' 'sys/kernel/kexec_*' 'sys/kernel/crash_elfcorehdr_size' 'sys/kernel/vmcoreinfo' \
                'sys/devices/system/memory/crash_hotplug' 'sys/devices/system/cpu/crash_hotplug' \
                'sys/devices/system/cpu/possible' 'sys/devices/system/cpu/present' 'sys/devices/system/cpu/online' \
                'sys/devices/system/cpu/cpu*/crash_notes*'
done

# kallsyms: the sysroots with proc/kallsyms (the tree's own arm64 captures,
# tests/fixtures, hold kallsyms lines and kcore's headers).
for root in "$fixtures"/*/* "$here"/../tests/fixtures/*/root; do
        if [ -f "$root/proc/kallsyms" ]; then
                n=$(name_of "$(basename "$(dirname "$root")")-$(basename "$root")")
                pack "$root" "$corpus/kallsyms/seed-$n" 'proc/kallsyms' 'proc/kcore' 'proc/iomem'
        fi
done

# sources: each fixture's inputs of the other targets in one tree (the
# loader keeps the first 256 files).
python3 - "$corpus" <<'PY'
import os, sys
corpus, sep = sys.argv[1], b"\n====\n"
for name in sorted(f[5:] for f in os.listdir(f"{corpus}/crash") if f.startswith("seed-")):
    records, seen = [], set()
    for target in ["crash", "memmap", "devicetree", "drmem", "memblock", "blocks"]:
        path = f"{corpus}/{target}/seed-{name}"
        if not os.path.exists(path):
            continue
        for record in open(path, "rb").read().split(sep):
            key = record.split(b"\n", 1)[0]
            if key not in seen:
                seen.add(key)
                records.append(record)
    with open(f"{corpus}/sources/seed-{name}", "wb") as f:
        f.write(sep.join(records[:256]))
PY
