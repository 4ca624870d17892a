/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the arm64 kallsyms view (memrange_kallsyms_view()):
 * proc/kallsyms scanned for _text and _stext, the ELF program headers of
 * proc/kcore, proc/iomem's "Kernel code", on the scratch sysroot the input
 * describes (fuzz-sysroot.h). A view is two lines, "_text" at the start of
 * the one mapped kcore segment that holds _stext, then kallsyms' own
 * _stext line; no view when kallsyms lists a non-zero _text; a refusal
 * names the file it is about. */
#include <stdlib.h>
#include <string.h>

#include "fuzz-sysroot.h"
#include "memrange-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* "%016x T _text\n" then one line naming _stext. */
static void check_view(const char *text, size_t len) {
        static const char text_line_tail[] = " T _text\n";
        const char *second = text ? text + 16 + strlen(text_line_tail) : NULL;

        if (!text || strlen(text) != len || len <= 16 + strlen(text_line_tail) || text[len - 1] != '\n')
                abort();
        if (strspn(text, "0123456789abcdef") != 16 || strncmp(text + 16, text_line_tail, strlen(text_line_tail)) != 0)
                abort();
        if (!strstr(second, "_stext") || strchr(second, '\n') != text + len - 1)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct memrange_ctx *ctx = fuzz_sysroot_load(data, size);
        _cleanup_(memrange_iomem_freep) struct memrange_iomem *iomem = NULL;
        _cleanup_(freep) char *text = NULL;
        size_t len = SIZE_MAX;
        int r;

        /* A broken iomem is the iomem target's business: the view then
         * runs without the cross-check. */
        if (memrange_iomem_read(ctx, &iomem) < 0)
                iomem = NULL;
        r = memrange_kallsyms_view(ctx, iomem, &text, &len);
        if (r < 0) {
                if (text || len != SIZE_MAX)
                        abort();
                fuzz_check_failure(ctx, r);
                return 0;
        }
        if (r == 0) {
                if (text || len != 0)
                        abort();
                return 0;
        }
        if (r != 1)
                abort();
        check_view(text, len);
        return 0;
}
