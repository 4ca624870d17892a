/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The raw uevent parser on payloads as the kernel sends them, and on every
 * kind of malformed payload. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "test-util.h"
#include "uevent-parse.h"

/* A payload literal: every string ends in an explicit "\0"; the literal's
 * own terminator is not part of the message. */
#define PAYLOAD(s) s, sizeof(s) - 1

/* Memory block events carry exactly these four keys (DOMAIN.md 3). */
static const char memory32_online[] =
        "online@/devices/system/memory/memory32\0"
        "ACTION=online\0"
        "DEVPATH=/devices/system/memory/memory32\0"
        "SUBSYSTEM=memory\0"
        "SEQNUM=2351\0";

/* The next three were captured byte for byte from a 6.18 kernel with a
 * NETLINK_KOBJECT_UEVENT socket, after writing "online" to
 * memory0/uevent, "change" to cpu1/uevent and "add" to node0/uevent. */
static const char memory0_synthetic_online[] =
        "online@/devices/system/memory/memory0\0"
        "ACTION=online\0"
        "DEVPATH=/devices/system/memory/memory0\0"
        "SUBSYSTEM=memory\0"
        "SYNTH_UUID=0\0"
        "SEQNUM=813\0";

static const char cpu1_synthetic_change[] =
        "change@/devices/system/cpu/cpu1\0"
        "ACTION=change\0"
        "DEVPATH=/devices/system/cpu/cpu1\0"
        "SUBSYSTEM=cpu\0"
        "SYNTH_UUID=0\0"
        "MODALIAS=cpu:type:x86,ven0000fam0006mod00A7:feature:,0000,0001,0002,0003,0004,0005,"
        "0006,0007,0008,0009,000B,000C,000D,000E,000F,0010,0011,0013,0017,0018,0019,001A,001B,"
        "001C,002B,0034,003A,003B,003D,0068,006F,0070,0074,0075,0076,0078,0079,007F,0080,0081,"
        "0089,008C,008D,0091,0093,0094,0095,0096,0097,0098,0099,009A,009B,009C,009D,009E,009F,"
        "00C0,00C5,00C8,00E1,00EA,00F0,00F1,00F9,00FA,00FB,00FE,00FF,0114,0115,0120,0121,0123,"
        "0125,0126,0127,0128,0129,012A,012D,0130,0131,0132,0133,0134,0135,0137,0138,013C,013D,"
        "013E,013F,0140,0141,0142,0143,0144,0164,0165,016B,0174,017B,0184,0185,018A,018B,018C,"
        "0195,01A9,01AC,01AE,01AF,01B8,01BE,01C2,0201,0202,0203,0204,0206,0207,0208,0209,020A,"
        "020B,020C,020E,0216,0218,0219,021B,021C,0244,024A,024E,0250,0254,0256,0257,0258,0259,"
        "025A,025B,025C,025D,025F,0282,02A2\n\0"
        "SEQNUM=814\0";

static const char node0_synthetic_add[] =
        "add@/devices/system/node/node0\0"
        "ACTION=add\0"
        "DEVPATH=/devices/system/node/node0\0"
        "SUBSYSTEM=node\0"
        "SYNTH_UUID=0\0"
        "SEQNUM=815\0";

/* Parses @size bytes from an exact-size heap copy, so that ASan and
 * valgrind see any read past the end. */
static int parse_exact(const char *data, size_t size, struct uevent *ev, const char **reason) {
        char *copy = malloc(size ? size : 1);
        int r;

        assert_non_null(copy);
        memcpy(copy, data, size);
        r = uevent_parse(copy, size, ev, reason);
        free(copy);
        return r;
}

static void memory_block_state_events_give_action_block_and_seqnum(void **state) {
        static const char offline[] =
                "offline@/devices/system/memory/memory33\0"
                "ACTION=offline\0"
                "DEVPATH=/devices/system/memory/memory33\0"
                "SUBSYSTEM=memory\0"
                "SEQNUM=2400\0";
        struct uevent ev;

        assert_int_equal(uevent_parse(PAYLOAD(memory32_online), &ev, NULL), 0);
        assert_int_equal(ev.action, UEVENT_ACTION_ONLINE);
        assert_string_equal(ev.action_text, "online");
        assert_string_equal(ev.devpath, "/devices/system/memory/memory32");
        assert_int_equal(ev.subsystem, UEVENT_SUBSYSTEM_MEMORY);
        assert_string_equal(ev.subsystem_text, "memory");
        assert_int_equal(ev.index, 32);
        assert_int_equal(ev.seqnum, 2351);
        assert_false(ev.synthetic);

        assert_int_equal(uevent_parse(PAYLOAD(offline), &ev, NULL), 0);
        assert_int_equal(ev.action, UEVENT_ACTION_OFFLINE);
        assert_int_equal(ev.index, 33);
        assert_int_equal(ev.seqnum, 2400);
}

static void memory_block_add_and_remove_are_recognised(void **state) {
        static const char add[] =
                "add@/devices/system/memory/memory39\0"
                "ACTION=add\0"
                "DEVPATH=/devices/system/memory/memory39\0"
                "SUBSYSTEM=memory\0"
                "SEQNUM=2300\0";
        static const char remove[] =
                "remove@/devices/system/memory/memory8\0"
                "ACTION=remove\0"
                "DEVPATH=/devices/system/memory/memory8\0"
                "SUBSYSTEM=memory\0"
                "SEQNUM=18446744073709551615\0";
        struct uevent ev;

        assert_int_equal(uevent_parse(PAYLOAD(add), &ev, NULL), 0);
        assert_int_equal(ev.action, UEVENT_ACTION_ADD);
        assert_int_equal(ev.index, 39);
        assert_int_equal(ev.seqnum, 2300);

        assert_int_equal(uevent_parse(PAYLOAD(remove), &ev, NULL), 0);
        assert_int_equal(ev.action, UEVENT_ACTION_REMOVE);
        assert_string_equal(ev.action_text, "remove");
        assert_int_equal(ev.index, 8);
        assert_true(ev.seqnum == UINT64_MAX);
}

static void synthetic_event_is_flagged_and_otherwise_identical(void **state) {
        struct uevent ev;

        assert_int_equal(uevent_parse(PAYLOAD(memory0_synthetic_online), &ev, NULL), 0);
        assert_true(ev.synthetic);
        assert_int_equal(ev.action, UEVENT_ACTION_ONLINE);
        assert_int_equal(ev.subsystem, UEVENT_SUBSYSTEM_MEMORY);
        assert_int_equal(ev.index, 0);
        assert_int_equal(ev.seqnum, 813);
}

static void cpu_event_with_modalias_newline_is_accepted(void **state) {
        struct uevent ev;

        assert_int_equal(uevent_parse(PAYLOAD(cpu1_synthetic_change), &ev, NULL), 0);
        assert_int_equal(ev.action, UEVENT_ACTION_CHANGE);
        assert_int_equal(ev.subsystem, UEVENT_SUBSYSTEM_CPU);
        assert_string_equal(ev.devpath, "/devices/system/cpu/cpu1");
        assert_int_equal(ev.index, 1);
        assert_int_equal(ev.seqnum, 814);
        assert_true(ev.synthetic);
}

static void cpu_add_with_driver_and_of_keys_is_accepted(void **state) {
        /* arm64 with a device tree: dev_uevent() adds DRIVER and OF_*, the
         * cpu bus MODALIAS, the kernel SEQNUM last. */
        static const char add[] =
                "add@/devices/system/cpu/cpu3\0"
                "ACTION=add\0"
                "DEVPATH=/devices/system/cpu/cpu3\0"
                "SUBSYSTEM=cpu\0"
                "DRIVER=cpu\0"
                "OF_NAME=cpu\0"
                "OF_FULLNAME=/cpus/cpu@3\0"
                "OF_COMPATIBLE_0=arm,cortex-a57\0"
                "OF_COMPATIBLE_N=1\0"
                "MODALIAS=cpu:type:aarch64:feature:,0000,0001,0002,0003,0004,0005,0006,0007\n\0"
                "SEQNUM=977\0";
        struct uevent ev;

        assert_int_equal(uevent_parse(PAYLOAD(add), &ev, NULL), 0);
        assert_int_equal(ev.action, UEVENT_ACTION_ADD);
        assert_int_equal(ev.subsystem, UEVENT_SUBSYSTEM_CPU);
        assert_int_equal(ev.index, 3);
        assert_int_equal(ev.seqnum, 977);
        assert_false(ev.synthetic);
}

static void node_add_gives_node_index(void **state) {
        struct uevent ev;

        assert_int_equal(uevent_parse(PAYLOAD(node0_synthetic_add), &ev, NULL), 0);
        assert_int_equal(ev.action, UEVENT_ACTION_ADD);
        assert_int_equal(ev.subsystem, UEVENT_SUBSYSTEM_NODE);
        assert_string_equal(ev.subsystem_text, "node");
        assert_int_equal(ev.index, 0);
        assert_int_equal(ev.seqnum, 815);
}

static void other_subsystems_and_unnumbered_devices_have_no_index(void **state) {
        /* The devpath holds an '@' of its own: split at the first one. */
        static const char bind[] =
                "bind@/devices/platform/soc@0/4000000.memory-controller\0"
                "ACTION=bind\0"
                "DEVPATH=/devices/platform/soc@0/4000000.memory-controller\0"
                "SUBSYSTEM=platform\0"
                "DRIVER=edac\0"
                "SEQNUM=12\0";
        static const char tier[] =
                "add@/devices/virtual/memory_tiering/memory_tier4\0"
                "ACTION=add\0"
                "DEVPATH=/devices/virtual/memory_tiering/memory_tier4\0"
                "SUBSYSTEM=memory_tiering\0"
                "SEQNUM=13\0";
        static const char memory_root[] =
                "frobnicate@/devices/system/memory/memoryX\0"
                "ACTION=frobnicate\0"
                "DEVPATH=/devices/system/memory/memoryX\0"
                "SUBSYSTEM=memory\0"
                "SEQNUM=14\0";
        struct uevent ev;

        assert_int_equal(uevent_parse(PAYLOAD(bind), &ev, NULL), 0);
        assert_int_equal(ev.action, UEVENT_ACTION_BIND);
        assert_string_equal(ev.devpath, "/devices/platform/soc@0/4000000.memory-controller");
        assert_int_equal(ev.subsystem, UEVENT_SUBSYSTEM_OTHER);
        assert_string_equal(ev.subsystem_text, "platform");
        assert_true(ev.index == UEVENT_INDEX_NONE);

        assert_int_equal(uevent_parse(PAYLOAD(tier), &ev, NULL), 0);
        assert_int_equal(ev.subsystem, UEVENT_SUBSYSTEM_OTHER);
        assert_true(ev.index == UEVENT_INDEX_NONE);

        assert_int_equal(uevent_parse(PAYLOAD(memory_root), &ev, NULL), 0);
        assert_int_equal(ev.action, UEVENT_ACTION_OTHER);
        assert_string_equal(ev.action_text, "frobnicate");
        assert_int_equal(ev.subsystem, UEVENT_SUBSYSTEM_MEMORY);
        assert_true(ev.index == UEVENT_INDEX_NONE);
}

static void udev_rebroadcast_is_rejected_with_its_own_error(void **state) {
        /* udev's monitor header: "libudev\0", magic 0xfeedcafe, then sizes. */
        static const char udev[] =
                "libudev\0\xfe\xed\xca\xfe\x28\0\0\0\x28\0\0\0\x60\0\0\0"
                "ACTION=online\0DEVPATH=/devices/system/memory/memory32\0SUBSYSTEM=memory\0";
        struct uevent ev = { .seqnum = 4242 };
        const char *reason = NULL;

        assert_int_equal(parse_exact(PAYLOAD(udev), &ev, &reason), -EPROTO);
        assert_non_null(reason);
        assert_non_null(strstr(reason, "libudev"));
        assert_int_equal(ev.seqnum, 4242);
}

static void payload_of_exactly_8_kib_is_accepted_and_one_more_byte_is_not(void **state) {
        static const char head[] =
                "online@/devices/system/memory/memory32\0"
                "ACTION=online\0"
                "DEVPATH=/devices/system/memory/memory32\0"
                "SUBSYSTEM=memory\0"
                "SEQNUM=7\0"
                "PAD=";
        char *buf = malloc(UEVENT_PAYLOAD_MAX + 1);
        const char *reason = NULL;
        struct uevent ev;

        assert_non_null(buf);
        memcpy(buf, head, sizeof(head) - 1);
        memset(buf + sizeof(head) - 1, 'x', UEVENT_PAYLOAD_MAX + 1 - (sizeof(head) - 1));

        buf[UEVENT_PAYLOAD_MAX - 1] = '\0';
        assert_int_equal(uevent_parse(buf, UEVENT_PAYLOAD_MAX, &ev, &reason), 0);
        assert_int_equal(ev.index, 32);
        assert_int_equal(ev.seqnum, 7);

        buf[UEVENT_PAYLOAD_MAX - 1] = 'x';
        buf[UEVENT_PAYLOAD_MAX] = '\0';
        assert_int_equal(uevent_parse(buf, UEVENT_PAYLOAD_MAX + 1, &ev, &reason), -EBADMSG);
        assert_string_equal(reason, "payload larger than 8 KiB");
        free(buf);
}

struct bad_case {
        const char *what;
        const char *data;
        size_t size;
        const char *reason;
};

#define BAD(what_, literal, reason_) { what_, literal, sizeof(literal) - 1, reason_ }
#define KEYS_AFTER_HEADER(action, path) \
        "ACTION=" action "\0DEVPATH=" path "\0SUBSYSTEM=memory\0SEQNUM=5\0"

static const struct bad_case bad_cases[] = {
        { "empty", "", 0, "empty payload" },
        BAD("no @", "online/devices/system/memory/memory32\0" KEYS_AFTER_HEADER("online", "/devices/system/memory/memory32"),
            "no '@' in the header"),
        BAD("empty action", "@/devices/system/memory/memory32\0" KEYS_AFTER_HEADER("", "/devices/system/memory/memory32"),
            "empty action"),
        BAD("empty devpath", "online@\0" KEYS_AFTER_HEADER("online", ""), "empty devpath"),
        BAD("relative devpath", "online@devices/system/memory/memory32\0"
            KEYS_AFTER_HEADER("online", "devices/system/memory/memory32"), "devpath not absolute"),
        BAD("action too long", "onlineonlineonlineonlineonlineon@/devices/system/memory/memory32\0"
            KEYS_AFTER_HEADER("onlineonlineonlineonlineonlineon", "/devices/system/memory/memory32"),
            "action too long"),
        BAD("space in action", "on line@/devices/system/memory/memory32\0"
            KEYS_AFTER_HEADER("on line", "/devices/system/memory/memory32"), "action not printable"),
        BAD("control byte in devpath", "online@/devices/system/memory/mem\x01ory32\0"
            KEYS_AFTER_HEADER("online", "/devices/system/memory/mem\x01ory32"), "devpath not printable"),
        /* The header alone, its NUL cut off. */
        BAD("header without NUL", "online@/devices/system/memory/memory32", "payload not NUL-terminated"),
        BAD("last key without NUL", "online@/devices/system/memory/memory32\0ACTION=online\0"
            "DEVPATH=/devices/system/memory/memory32\0SUBSYSTEM=memory\0SEQNUM=5",
            "payload not NUL-terminated"),
        BAD("truncated key", "online@/devices/system/memory/memory32\0ACTION=online\0"
            "DEVPATH=/devices/system/memory/memory32\0SUBSYSTEM=memory\0SEQNUM=5\0SYNTH_UU\0",
            "key without '='"),
        BAD("empty string between keys", "online@/devices/system/memory/memory32\0ACTION=online\0\0"
            "DEVPATH=/devices/system/memory/memory32\0SUBSYSTEM=memory\0SEQNUM=5\0", "empty key"),
        BAD("empty key name", "online@/devices/system/memory/memory32\0" KEYS_AFTER_HEADER("online", "/devices/system/memory/memory32")
            "=value\0", "key name empty or not printable"),
        BAD("control byte in key", "online@/devices/system/memory/memory32\0" KEYS_AFTER_HEADER("online", "/devices/system/memory/memory32")
            "SYN\x02TH=1\0", "key name empty or not printable"),
        BAD("tab in value", "online@/devices/system/memory/memory32\0ACTION=online\0"
            "DEVPATH=/devices/system/memory/memory32\0SUBSYSTEM=mem\tory\0SEQNUM=5\0", "value not printable"),
        BAD("newline inside value", "online@/devices/system/memory/memory32\0" KEYS_AFTER_HEADER("online", "/devices/system/memory/memory32")
            "MODALIAS=cpu:\ntype\0", "value not printable"),
        BAD("SEQNUM not a number", "online@/devices/system/memory/memory32\0ACTION=online\0"
            "DEVPATH=/devices/system/memory/memory32\0SUBSYSTEM=memory\0SEQNUM=12a\0", "bad SEQNUM"),
        BAD("SEQNUM empty", "online@/devices/system/memory/memory32\0ACTION=online\0"
            "DEVPATH=/devices/system/memory/memory32\0SUBSYSTEM=memory\0SEQNUM=\0", "bad SEQNUM"),
        BAD("SEQNUM negative", "online@/devices/system/memory/memory32\0ACTION=online\0"
            "DEVPATH=/devices/system/memory/memory32\0SUBSYSTEM=memory\0SEQNUM=-1\0", "bad SEQNUM"),
        BAD("SEQNUM with newline", "online@/devices/system/memory/memory32\0ACTION=online\0"
            "DEVPATH=/devices/system/memory/memory32\0SUBSYSTEM=memory\0SEQNUM=12\n\0", "bad SEQNUM"),
        BAD("SEQNUM overflow", "online@/devices/system/memory/memory32\0ACTION=online\0"
            "DEVPATH=/devices/system/memory/memory32\0SUBSYSTEM=memory\0SEQNUM=18446744073709551616\0",
            "bad SEQNUM"),
        BAD("ACTION disagrees", "online@/devices/system/memory/memory32\0"
            KEYS_AFTER_HEADER("offline", "/devices/system/memory/memory32"), "ACTION key disagrees with the header"),
        BAD("DEVPATH disagrees", "online@/devices/system/memory/memory32\0"
            KEYS_AFTER_HEADER("online", "/devices/system/memory/memory33"), "DEVPATH key disagrees with the header"),
        BAD("ACTION missing", "online@/devices/system/memory/memory32\0"
            "DEVPATH=/devices/system/memory/memory32\0SUBSYSTEM=memory\0SEQNUM=5\0", "missing ACTION key"),
        BAD("DEVPATH missing", "online@/devices/system/memory/memory32\0"
            "ACTION=online\0SUBSYSTEM=memory\0SEQNUM=5\0", "missing DEVPATH key"),
        BAD("SUBSYSTEM missing", "online@/devices/system/memory/memory32\0"
            "ACTION=online\0DEVPATH=/devices/system/memory/memory32\0SEQNUM=5\0", "missing SUBSYSTEM key"),
        BAD("SEQNUM missing", "online@/devices/system/memory/memory32\0"
            "ACTION=online\0DEVPATH=/devices/system/memory/memory32\0SUBSYSTEM=memory\0", "missing SEQNUM key"),
        BAD("header only", "online@/devices/system/memory/memory32\0", "missing ACTION key"),
        BAD("SUBSYSTEM empty", "online@/devices/system/memory/memory32\0ACTION=online\0"
            "DEVPATH=/devices/system/memory/memory32\0SUBSYSTEM=\0SEQNUM=5\0", "empty SUBSYSTEM"),
        BAD("SEQNUM twice", "online@/devices/system/memory/memory32\0"
            KEYS_AFTER_HEADER("online", "/devices/system/memory/memory32") "SEQNUM=6\0", "duplicate SEQNUM key"),
        BAD("ACTION twice", "online@/devices/system/memory/memory32\0"
            KEYS_AFTER_HEADER("online", "/devices/system/memory/memory32") "ACTION=online\0", "duplicate ACTION key"),
        BAD("index past 64 bits", "online@/devices/system/memory/memory18446744073709551616\0"
            KEYS_AFTER_HEADER("online", "/devices/system/memory/memory18446744073709551616"),
            "device index overflows"),
        BAD("index equal to the none marker", "online@/devices/system/memory/memory18446744073709551615\0"
            KEYS_AFTER_HEADER("online", "/devices/system/memory/memory18446744073709551615"),
            "device index overflows"),
};

static void every_malformed_payload_is_ebadmsg_with_a_reason(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(bad_cases); i++) {
                const struct bad_case *c = &bad_cases[i];
                struct uevent ev = { .seqnum = 4242, .index = 99 };
                const char *reason = NULL;
                int r;

                r = parse_exact(c->data, c->size, &ev, &reason);
                if (r != -EBADMSG || !reason || strcmp(reason, c->reason) != 0)
                        fail_msg("case '%s': got %d (%s), want -EBADMSG (%s)", c->what, r,
                                 reason ? reason : "no reason", c->reason);
                /* Untouched on failure. */
                assert_int_equal(ev.seqnum, 4242);
                assert_int_equal(ev.index, 99);
        }
}

static void every_truncation_of_a_real_event_is_rejected(void **state) {
        /* Cutting the captured cpu event anywhere loses its final NUL or a
         * required key: never a crash, never a half-parsed success. */
        for (size_t size = 0; size < sizeof(cpu1_synthetic_change) - 1; size++) {
                struct uevent ev;
                const char *reason = NULL;

                assert_int_equal(parse_exact(cpu1_synthetic_change, size, &ev, &reason), -EBADMSG);
                assert_non_null(reason);
        }
}

static void malformed_memory_payloads_are_recognised_as_memory(void **state) {
        static const char broken_memory[] = "online@/devices/system/memory/memory32\0SEQNUM=x\0";
        static const char broken_subsystem[] = "x@/y\0SUBSYSTEM=memory\0";
        static const char tiering[] = "x@/y\0SUBSYSTEM=memory_tiering\0";

        assert_true(uevent_payload_mentions_memory(PAYLOAD(broken_memory)));
        assert_true(uevent_payload_mentions_memory(PAYLOAD(broken_subsystem)));
        assert_false(uevent_payload_mentions_memory(PAYLOAD(tiering)));
        assert_false(uevent_payload_mentions_memory(PAYLOAD(cpu1_synthetic_change)));
        /* The match must lie inside @size. */
        assert_false(uevent_payload_mentions_memory(broken_memory, 20));
}

static void names_are_stable(void **state) {
        assert_string_equal(uevent_action_to_string(UEVENT_ACTION_OFFLINE), "offline");
        assert_string_equal(uevent_action_to_string((enum uevent_action) 99), "other");
        assert_string_equal(uevent_subsystem_to_string(UEVENT_SUBSYSTEM_NODE), "node");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(memory_block_state_events_give_action_block_and_seqnum),
                cmocka_unit_test(memory_block_add_and_remove_are_recognised),
                cmocka_unit_test(synthetic_event_is_flagged_and_otherwise_identical),
                cmocka_unit_test(cpu_event_with_modalias_newline_is_accepted),
                cmocka_unit_test(cpu_add_with_driver_and_of_keys_is_accepted),
                cmocka_unit_test(node_add_gives_node_index),
                cmocka_unit_test(other_subsystems_and_unnumbered_devices_have_no_index),
                cmocka_unit_test(udev_rebroadcast_is_rejected_with_its_own_error),
                cmocka_unit_test(payload_of_exactly_8_kib_is_accepted_and_one_more_byte_is_not),
                cmocka_unit_test(every_malformed_payload_is_ebadmsg_with_a_reason),
                cmocka_unit_test(every_truncation_of_a_real_event_is_rejected),
                cmocka_unit_test(malformed_memory_payloads_are_recognised_as_memory),
                cmocka_unit_test(names_are_stable),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
