/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memrangectl snapshot: the kernel files memranged reads, as a tar archive
 * that works as --sysroot once extracted (for bug reports). Always reads
 * the files itself, never asks the daemon. */
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "memrangectl.h"

struct snapshot_opts {
        const char *output; /* -o: a file, or "-" for stdout */
        const char *name;   /* --name: the top directory, or NULL for the default */
};

static void help(void) {
        fputs("Usage:\n"
              " memrangectl [--sysroot DIR] snapshot -o FILE.tar [options]\n"
              "\n"
              "Copy the kernel files memranged reads (/proc/iomem, the firmware map,\n"
              "the memory blocks, the NUMA nodes, the CPUs' crash notes, memblock, the\n"
              "device tree...) into an uncompressed tar archive, under their kernel\n"
              "paths inside one directory: extracted, that directory works as --sysroot.\n"
              "Attach it to a bug report. It holds real physical addresses: it is\n"
              "created with mode 0600. Run as root, or /proc/iomem shows none.\n"
              "\n"
              "Options:\n"
              " -o, --output <file>  write the archive to <file> ('-': standard output,\n"
              "                      which must not be a terminal)\n"
              "     --name <name>    the archive's top directory (default\n"
              "                      memranged-snapshot-HOSTNAME-YYYYMMDD-HHMMSS)\n"
              " -h, --help           display this help\n",
              stdout);
}

static int parse_args(int argc, char **argv, struct snapshot_opts *o) {
        enum { OPT_NAME = 0x100 };
        static const struct option options[] = {
                { "output", required_argument, NULL, 'o' },
                { "name", required_argument, NULL, OPT_NAME },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;

        while ((c = getopt_long(argc, argv, "o:h", options, NULL)) >= 0)
                if (c == 'o')
                        o->output = optarg;
                else if (c == OPT_NAME)
                        o->name = optarg;
                else
                        return cli_option_fallback("snapshot", c, help);
        return cli_no_arguments("snapshot", argc, argv);
}

/* "memranged-snapshot-HOSTNAME-YYYYMMDD-HHMMSS" at @now, local time. */
static void default_name(time_t now, char *buf, size_t size) {
        char host[HOST_NAME_MAX + 1] = "localhost", stamp[32] = "00000000-000000";
        struct tm tm;

        if (gethostname(host, sizeof(host)) < 0 || !host[0])
                snprintf(host, sizeof(host), "localhost");
        host[sizeof(host) - 1] = '\0';
        /* A host name never holds '/', but it must not break the path. */
        for (char *p = host; *p; p++)
                if (*p == '/')
                        *p = '_';
        if (localtime_r(&now, &tm))
                strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
        snprintf(buf, size, "memranged-snapshot-%s-%s", host, stamp);
}

/* The library's notes (entries vanished or left out) go to stderr; its
 * errors are printed once, by us, from memrange_ctx_get_error(). */
static void log_note(void *userdata, int priority, const char *file, int line, const char *fn,
                     const char *format, va_list args) _printf_(6, 0);
static void log_note(void *userdata, int priority, const char *file, int line, const char *fn,
                     const char *format, va_list args) {
        if (priority <= LOG_ERR || priority >= LOG_DEBUG)
                return;
        fputs("memrangectl: snapshot: note: ", stderr);
        vfprintf(stderr, format, args);
        fputc('\n', stderr);
}

/* A temporary file beside @path, mode 0600, so that only a complete
 * archive ever appears under the name. */
static int open_temporary(const char *path, char *ret_tmp, size_t size) {
        _cleanup_(freep) char *copy = strdup(path);
        const char *dir, *base;
        int fd, n;

        if (!copy)
                return -ENOMEM;
        base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
        dir = dirname(copy);
        n = snprintf(ret_tmp, size, "%s/.%s.XXXXXX", dir, base);
        if (n < 0 || (size_t) n >= size)
                return -ENAMETOOLONG;
        fd = mkostemp(ret_tmp, O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        /* mkostemp() creates 0600 already; the umask may have taken bits
         * away, never added any: say it explicitly anyway. */
        if (fchmod(fd, 0600) < 0) {
                int r = negative_errno();

                close(fd);
                unlink(ret_tmp);
                return r;
        }
        return fd;
}

static int write_archive(struct memrange_ctx *ctx, const char *name, int fd, struct memrange_snapshot_stats *stats) {
        int r = memrange_snapshot_write_fd(ctx, name, (int64_t) time(NULL), fd, stats);

        if (r < 0)
                cli_error("snapshot: %s", memrange_ctx_get_error(ctx) ?: strerror(-r));
        return r;
}

/* Writes the archive to @path through a temporary file renamed at the
 * end; nothing is left behind on failure. */
static int write_to_file(struct memrange_ctx *ctx, const char *name, const char *path,
                         struct memrange_snapshot_stats *stats) {
        char tmp[PATH_MAX];
        int fd, r;

        if (strlen(path) == 0 || path[strlen(path) - 1] == '/') {
                cli_error("snapshot: %s: not a file name", path);
                return -EINVAL;
        }
        fd = open_temporary(path, tmp, sizeof(tmp));
        if (fd < 0) {
                cli_error("snapshot: cannot create a file beside %s: %s", path, strerror(-fd));
                return fd;
        }
        r = write_archive(ctx, name, fd, stats);
        if (r >= 0 && fsync(fd) < 0) {
                r = negative_errno();
                cli_error("snapshot: cannot write %s: %s", path, strerror(-r));
        }
        if (close(fd) < 0 && r >= 0) {
                r = negative_errno();
                cli_error("snapshot: cannot write %s: %s", path, strerror(-r));
        }
        if (r >= 0 && rename(tmp, path) < 0) {
                r = negative_errno();
                cli_error("snapshot: cannot rename %s to %s: %s", tmp, path, strerror(-r));
        }
        if (r < 0)
                unlink(tmp);
        return r;
}

static bool valid_name(const char *name) {
        return *name && !strchr(name, '/') && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

int cmd_snapshot(const struct cli_global *g, int argc, char **argv) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        struct snapshot_opts o = {};
        struct memrange_snapshot_stats stats = {};
        const char *sysroot = g->sysroot ?: "/";
        char name[NAME_MAX + 1];
        int r;

        r = parse_args(argc, argv, &o);
        if (r >= 0)
                return r;
        if (!o.output) {
                cli_error("snapshot: no output file given (-o FILE.tar, or -o - for standard output)");
                return EXIT_USAGE;
        }
        if (strcmp(o.output, "-") == 0 && isatty(STDOUT_FILENO)) {
                cli_error("snapshot: refusing to write a tar archive to a terminal (redirect it, or -o FILE.tar)");
                return EXIT_USAGE;
        }
        if (o.name && !valid_name(o.name)) {
                cli_error("snapshot: invalid --name '%s' (one path component)", o.name);
                return EXIT_USAGE;
        }
        if (o.name)
                snprintf(name, sizeof(name), "%s", o.name);
        else
                default_name(time(NULL), name, sizeof(name));

        r = memrange_ctx_new(sysroot, &ctx);
        if (r < 0) {
                cli_error("cannot open sysroot %s: %s", sysroot, strerror(-r));
                return r == -ENOMEM ? EXIT_FINDINGS : EXIT_NO_SOURCES;
        }
        memrange_ctx_set_log_fn(ctx, log_note, NULL);
        memrange_ctx_set_log_priority(ctx, LOG_INFO);

        /* The kernel zeroes /proc/iomem's addresses for readers without
         * CAP_SYS_ADMIN; the archive is still worth having. */
        if (!g->sysroot && geteuid() != 0)
                cli_error("snapshot: warning: run as root: /proc/iomem addresses are hidden from unprivileged users");

        if (strcmp(o.output, "-") == 0)
                r = write_archive(ctx, name, STDOUT_FILENO, &stats);
        else
                r = write_to_file(ctx, name, o.output, &stats);
        if (r < 0)
                return EXIT_FINDINGS;

        fprintf(stderr,
                "memrangectl: snapshot: %s: %llu files, %llu links, %llu bytes, %llu skipped (unreadable), "
                "%llu vanished\n",
                strcmp(o.output, "-") == 0 ? "standard output" : o.output, (unsigned long long) stats.files,
                (unsigned long long) stats.links, (unsigned long long) stats.bytes,
                (unsigned long long) stats.skipped, (unsigned long long) stats.vanished);
        return EXIT_OK;
}
