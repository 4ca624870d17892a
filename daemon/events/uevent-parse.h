/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parser of one raw kernel uevent payload as it arrives on a
 * NETLINK_KOBJECT_UEVENT socket (no netlink header):
 *
 *     ACTION@DEVPATH \0 KEY=VALUE \0 KEY=VALUE \0 ...
 *
 * Pure: no I/O, no allocation, bounded by UEVENT_PAYLOAD_MAX, so it can be
 * fuzzed directly. An event is only a hint to re-read sysfs (DOMAIN.md 3). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The kernel's uevent buffer is 2 KiB plus the header; anything above 8 KiB
 * is not a kernel message. */
#define UEVENT_PAYLOAD_MAX 8192u
/* Longest action text accepted ("offline" is the longest the kernel sends). */
#define UEVENT_ACTION_MAX 31u
/* uevent.index when the devpath does not end in memoryN / cpuN / nodeN. */
#define UEVENT_INDEX_NONE UINT64_MAX

enum uevent_action {
        UEVENT_ACTION_OTHER = 0,
        UEVENT_ACTION_ADD,
        UEVENT_ACTION_REMOVE,
        UEVENT_ACTION_ONLINE,
        UEVENT_ACTION_OFFLINE,
        UEVENT_ACTION_CHANGE,
        UEVENT_ACTION_MOVE,
        UEVENT_ACTION_BIND,
        UEVENT_ACTION_UNBIND,
};

enum uevent_subsystem {
        UEVENT_SUBSYSTEM_OTHER = 0,
        UEVENT_SUBSYSTEM_MEMORY,
        UEVENT_SUBSYSTEM_CPU,
        UEVENT_SUBSYSTEM_NODE,
};

/* One parsed event. The string pointers are borrowed from the payload
 * buffer passed to uevent_parse() and are valid as long as it is. */
struct uevent {
        enum uevent_action action;
        char action_text[UEVENT_ACTION_MAX + 1]; /* as sent, e.g. "online" */
        const char *devpath;                     /* "/devices/system/memory/memory32" */
        enum uevent_subsystem subsystem;
        const char *subsystem_text;              /* value of SUBSYSTEM= */
        uint64_t index;    /* N of memoryN/cpuN/nodeN for those subsystems, or UEVENT_INDEX_NONE */
        uint64_t seqnum;   /* SEQNUM= */
        bool synthetic;    /* SYNTH_UUID= present: written to a uevent file, changes nothing */
};

/* Parses @size bytes at @data into *ret_event. Returns 0 on success;
 * -EBADMSG for a malformed payload and -EPROTO for udev's re-broadcast
 * (starts with "libudev"); on both errors *ret_reason (when non-NULL) gets a
 * static string saying why, for the log, and *ret_event is untouched. */
int uevent_parse(const void *data, size_t size, struct uevent *ret_event, const char **ret_reason);

/* True when a payload that failed to parse still names the memory
 * subsystem (a memory devpath or SUBSYSTEM=memory): the caller must then
 * assume memory changed. Bounded by @size; never reads past it. */
bool uevent_payload_mentions_memory(const void *data, size_t size);

/* Stable lowercase names for logs ("online", "memory"). */
const char *uevent_action_to_string(enum uevent_action action);
const char *uevent_subsystem_to_string(enum uevent_subsystem subsystem);
