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
 * It is linked statically so the capture initramfs needs no libraries.
 *
 * Usage: vmcore-phdrs [FILE]   (default /proc/vmcore; a built elfcorehdr
 *                               file works as well, which the harness's
 *                               self-test uses) */
#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int main(int argc, char **argv) {
        _cleanup_(memrange_ctx_unrefp) struct memrange_ctx *ctx = NULL;
        _cleanup_(memrange_elfcore_freep) struct memrange_elfcore *elf = NULL;
        _cleanup_(freep) void *buf = NULL;
        const char *path = argc > 1 ? argv[1] : "/proc/vmcore";
        size_t size = 0;
        int r;

        if (argc > 2) {
                printf("VMCORE-PHDRS ERROR usage: vmcore-phdrs [FILE]\n");
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
        return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
