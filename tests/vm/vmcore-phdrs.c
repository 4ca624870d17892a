/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmcore-phdrs: the capture-side half of the end-to-end tests. Run inside
 * the kdump capture kernel, it prints the program headers of /proc/vmcore
 * (the elfcorehdr the crashed kernel's loader built) in the format of
 * shared/fixtures/kdump-cases/NAME/vmcore-phdrs.txt, between markers the
 * harness looks for on the serial line:
 *
 *   VMCORE-PHDRS BEGIN n=<count>
 *   PH <i> type=<n> paddr=0x.. vaddr=0x.. memsz=0x.. end=0x..
 *   VMCORE-PHDRS END
 *
 * or "VMCORE-PHDRS ERROR <message>" and exit status 1. "end" is inclusive.
 * With --notes it then walks the notes of every PT_NOTE segment (the
 * capture kernel merges the crashed kernel's per-CPU crash notes and
 * vmcoreinfo into one) and prints
 *
 *   VMCORE-NOTES BEGIN
 *   NOTE <i> name=<name> type=<n> descsz=<n>[ pid=<pr_pid>]
 *   VMCORE-NOTES END prstatus=<count of NT_PRSTATUS notes named CORE>
 *
 * (pid= on the NT_PRSTATUS ones: the task that ran on that CPU at the
 * crash, which for the crashing CPU is the one that wrote to
 * /proc/sysrq-trigger) or "VMCORE-NOTES ERROR <message>" and status 1.
 * It is linked statically so the capture initramfs needs no libraries.
 *
 * With --read (before or after --notes) it then reads the first page of
 * every PT_LOAD segment through the file (for /proc/vmcore: the crashed
 * kernel's memory) and prints
 *
 *   VMCORE-READ <i> paddr=0x.. bytes=<n>     (or error=<message>)
 *   VMCORE-READ END ok=<segments read whole> of=<segments>
 *
 * Usage: vmcore-phdrs [--notes] [--read] [FILE]   (default /proc/vmcore; a built
 *                               elfcorehdr file works as well, which the
 *                               harness's self-test uses) */
#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/procfs.h>

#include "memrange-private.h"

/* The largest header read: the ELF header plus 65534 program headers
 * (PN_XNUM is rejected by the parser). */
#define HEADER_MAX (sizeof(Elf64_Ehdr) + 65535u * sizeof(Elf64_Phdr))

/* Reads the ELF header and the program header table that follows it
 * (kernels and kexec-tools put the table right after the header; a table
 * elsewhere is read up to its end, within HEADER_MAX). stdio retries short
 * reads for us. */
static int read_header(const char *path, void **ret_buf, size_t *ret_size) {
        _cleanup_(fclosep) FILE *f = NULL;
        _cleanup_(freep) uint8_t *buf = NULL;
        Elf64_Ehdr eh = {};
        uint64_t want;
        size_t got;

        f = fopen(path, "re");
        if (!f)
                return negative_errno();
        got = fread(&eh, 1, sizeof(eh), f);
        if (ferror(f))
                return negative_errno();
        want = eh.e_phoff + (uint64_t) eh.e_phnum * eh.e_phentsize;
        /* A short file, a table out of bounds or no ELF file at all: the
         * header alone, and the parser says what is wrong with it. */
        if (got < sizeof(eh) || eh.e_phoff > HEADER_MAX || want > HEADER_MAX || want < sizeof(eh))
                want = sizeof(eh);
        buf = malloc(want);
        if (!buf)
                return -ENOMEM;
        memcpy(buf, &eh, got);
        if (got == sizeof(eh))
                got += fread(buf + got, 1, want - got, f);
        if (ferror(f))
                return negative_errno();
        /* A short read is left to the parser, which names what is missing. */
        *ret_size = got;
        *ret_buf = TAKE_PTR(buf);
        return 0;
}

static void print_phdr(size_t i, const struct memrange_elf_phdr *ph) {
        /* An empty segment has no last byte: print its start as the end. */
        uint64_t end = ph->memsz > 0 ? ph->paddr + ph->memsz - 1 : ph->paddr;

        printf("PH %zu type=%" PRIu32 " paddr=%#" PRIx64 " vaddr=%#" PRIx64 " memsz=%#" PRIx64
               " end=%#" PRIx64 "\n", i, ph->type, ph->paddr, ph->vaddr, ph->memsz, end);
}

/* Notes larger than this are refused: the crash notes and vmcoreinfo of
 * a few thousand CPUs stay far below. */
#define NOTES_MAX (16u << 20)

static size_t align4(size_t n) {
        return (n + 3u) & ~(size_t) 3u;
}

/* Reads @size bytes at @offset of @path into a new buffer. */
static int read_at(const char *path, uint64_t offset, uint64_t size, uint8_t **ret) {
        _cleanup_(fclosep) FILE *f = NULL;
        _cleanup_(freep) uint8_t *buf = NULL;

        if (size > NOTES_MAX)
                return -EFBIG;
        f = fopen(path, "re");
        if (!f)
                return negative_errno();
        buf = malloc(size ?: 1);
        if (!buf)
                return -ENOMEM;
        if (fseeko(f, (off_t) offset, SEEK_SET) < 0)
                return negative_errno();
        if (fread(buf, 1, size, f) != size)
                return ferror(f) ? negative_errno() : -ENODATA;
        *ret = TAKE_PTR(buf);
        return 0;
}

/* Prints the notes of one PT_NOTE segment's @size bytes; counts the
 * NT_PRSTATUS ones in *@prstatus. A name size of 0 ends the segment
 * (kexec-tools' zero padding). Returns -EBADMSG on a note that runs past
 * the segment. */
static int print_notes(const uint8_t *buf, size_t size, size_t *index, size_t *prstatus) {
        size_t pos = 0;

        while (size - pos >= sizeof(Elf64_Nhdr)) {
                Elf64_Nhdr nh;
                const char *name;
                size_t name_end, desc_end;

                memcpy(&nh, buf + pos, sizeof(nh));
                if (nh.n_namesz == 0)
                        break;
                name_end = pos + sizeof(nh) + align4(nh.n_namesz);
                desc_end = name_end + align4(nh.n_descsz);
                if (nh.n_namesz > size || nh.n_descsz > size || desc_end > size)
                        return -EBADMSG;
                name = (const char *) buf + pos + sizeof(nh);
                printf("NOTE %zu name=%.*s type=%" PRIu32 " descsz=%" PRIu32, *index,
                       (int) strnlen(name, nh.n_namesz), name, nh.n_type, nh.n_descsz);
                if (nh.n_type == NT_PRSTATUS && strncmp(name, "CORE", nh.n_namesz) == 0) {
                        struct elf_prstatus st = {};

                        (*prstatus)++;
                        memcpy(&st, buf + name_end, nh.n_descsz < sizeof(st) ? nh.n_descsz : sizeof(st));
                        if (nh.n_descsz >= offsetof(struct elf_prstatus, pr_pid) + sizeof(st.pr_pid))
                                printf(" pid=%d", (int) st.pr_pid);
                }
                printf("\n");
                (*index)++;
                pos = desc_end;
        }
        return 0;
}

static int print_all_notes(const char *path, const struct memrange_elfcore *elf) {
        size_t index = 0, prstatus = 0;
        int r;

        printf("VMCORE-NOTES BEGIN\n");
        for (size_t i = 0; i < elf->n; i++) {
                const struct memrange_elf_phdr *ph = &elf->phdrs[i];
                _cleanup_(freep) uint8_t *buf = NULL;

                if (ph->type != PT_NOTE)
                        continue;
                r = read_at(path, ph->offset, ph->filesz, &buf);
                if (r < 0) {
                        printf("VMCORE-NOTES ERROR %s: PT_NOTE %zu (%#" PRIx64 " bytes at %#" PRIx64 "): %s\n",
                               path, i, ph->filesz, ph->offset, r == -ENODATA ? "past the end" : strerror(-r));
                        return r;
                }
                r = print_notes(buf, ph->filesz, &index, &prstatus);
                if (r < 0) {
                        printf("VMCORE-NOTES ERROR %s: PT_NOTE %zu: a note runs past the segment\n", path, i);
                        return r;
                }
        }
        printf("VMCORE-NOTES END prstatus=%zu\n", prstatus);
        return 0;
}

#define READ_PAGE 4096u

/* The first page (or the whole segment when shorter) of each PT_LOAD. */
static void read_every_segment(const char *path, const struct memrange_elfcore *elf) {
        size_t ok = 0, total = 0;

        for (size_t i = 0; i < elf->n; i++) {
                const struct memrange_elf_phdr *ph = &elf->phdrs[i];
                uint64_t want = ph->filesz < READ_PAGE ? ph->filesz : READ_PAGE;
                _cleanup_(freep) uint8_t *buf = NULL;
                int r;

                if (ph->type != PT_LOAD)
                        continue;
                total++;
                r = read_at(path, ph->offset, want, &buf);
                if (r < 0) {
                        printf("VMCORE-READ %zu paddr=%#" PRIx64 " error=%s\n", i, ph->paddr,
                               r == -ENODATA ? "short read" : strerror(-r));
                        continue;
                }
                printf("VMCORE-READ %zu paddr=%#" PRIx64 " bytes=%" PRIu64 "\n", i, ph->paddr, want);
                ok += want > 0;
        }
        printf("VMCORE-READ END ok=%zu of=%zu\n", ok, total);
}

int main(int argc, char **argv) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        _cleanup_(memrange_elfcore_freep) struct memrange_elfcore *elf = NULL;
        _cleanup_(freep) void *buf = NULL;
        bool notes = false, read_segments = false;
        const char *path = "/proc/vmcore";
        size_t size = 0;
        int arg, r;

        for (arg = 1; arg < argc && argv[arg][0] == '-'; arg++) {
                if (strcmp(argv[arg], "--notes") == 0)
                        notes = true;
                else if (strcmp(argv[arg], "--read") == 0)
                        read_segments = true;
                else
                        break;
        }
        if (arg < argc)
                path = argv[arg++];
        if (arg < argc || (path[0] == '-' && path[1] != '\0')) {
                printf("VMCORE-PHDRS ERROR usage: vmcore-phdrs [--notes] [--read] [FILE]\n");
                return EXIT_FAILURE;
        }
        r = read_header(path, &buf, &size);
        if (r < 0) {
                printf("VMCORE-PHDRS ERROR %s: %s\n", path, strerror(-r));
                return EXIT_FAILURE;
        }
        /* The context is only where the parser records its message. */
        r = memrange_ctx_new("/", &ctx);
        if (r >= 0)
                r = memrange_elfcore_parse(ctx, path, buf, size, &elf);
        if (r < 0) {
                const char *msg = ctx ? memrange_ctx_get_error(ctx) : NULL;

                printf("VMCORE-PHDRS ERROR %s\n", msg ? msg : strerror(-r));
                return EXIT_FAILURE;
        }

        printf("VMCORE-PHDRS BEGIN n=%zu\n", elf->n);
        for (size_t i = 0; i < elf->n; i++)
                print_phdr(i, &elf->phdrs[i]);
        printf("VMCORE-PHDRS END\n");
        if (notes && print_all_notes(path, elf) < 0)
                return EXIT_FAILURE;
        if (read_segments)
                read_every_segment(path, elf);
        return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
