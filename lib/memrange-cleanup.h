/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* _cleanup_() helpers for the public types, for the library and its
 * in-tree clients (daemon, memrangectl, the io.memranged records). Not
 * installed: a public header must not impose the project's macros. */
#pragma once

#include "macro.h"
#include "memrange.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct memrange_ctx *, memrange_ctx_unref)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct memrange_table *, memrange_table_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct memrange_list *, memrange_list_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct memrange_iomem *, memrange_iomem_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct memrange_blocks *, memrange_blocks_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct memrange_numa *, memrange_numa_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct memrange_memblock *, memrange_memblock_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct memrange_devicetree *, memrange_devicetree_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct memrange_drmem *, memrange_drmem_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct memrange_crash *, memrange_crash_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct memrange_sources *, memrange_sources_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct memrange_findings *, memrange_findings_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct memrange_dump_ranges *, memrange_dump_ranges_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct memrange_elfcore *, memrange_elfcore_free)
