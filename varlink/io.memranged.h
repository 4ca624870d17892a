/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The io.memranged names in one place: where the socket is, the interface,
 * its methods and its errors (varlink/io.memranged.varlink describes
 * them), for the daemon, memrangectl, the benchmarks and the tests. */
#pragma once

/* The runtime directory is memranged.socket's (RuntimeDirectory=). */
#define IO_MEMRANGED_SOCKET_PATH "/run/memranged/io.memranged"

#define IO_MEMRANGED_INTERFACE "io.memranged"

#define IO_MEMRANGED_METHOD_GET_STATUS "GetStatus"
#define IO_MEMRANGED_METHOD_GET_METRICS "GetMetrics"
#define IO_MEMRANGED_METHOD_LIST_RANGES "ListRanges"
#define IO_MEMRANGED_METHOD_LIST_BLOCKS "ListBlocks"
#define IO_MEMRANGED_METHOD_LIST_FINDINGS "ListFindings"
#define IO_MEMRANGED_METHOD_SUBSCRIBE "Subscribe"
#define IO_MEMRANGED_METHOD_RESCAN "Rescan"
#define IO_MEMRANGED_METHOD_GET_CRASH_RANGES "GetCrashRanges"
#define IO_MEMRANGED_METHOD_GET_ELF_CORE_HEADER "GetElfCoreHeader"
#define IO_MEMRANGED_METHOD_RELOAD "Reload"

#define IO_MEMRANGED_ERROR_ADDRESSES_HIDDEN IO_MEMRANGED_INTERFACE ".AddressesHidden"
#define IO_MEMRANGED_ERROR_INVALID_PARAMETER IO_MEMRANGED_INTERFACE ".InvalidParameter"
#define IO_MEMRANGED_ERROR_DUMP_UNAVAILABLE IO_MEMRANGED_INTERFACE ".DumpUnavailable"
#define IO_MEMRANGED_ERROR_RELOAD_UNAVAILABLE IO_MEMRANGED_INTERFACE ".ReloadUnavailable"
#define IO_MEMRANGED_ERROR_RELOAD_FAILED IO_MEMRANGED_INTERFACE ".ReloadFailed"
#define IO_MEMRANGED_ERROR_INTERNAL IO_MEMRANGED_INTERFACE ".InternalError"
