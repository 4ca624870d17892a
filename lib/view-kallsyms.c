/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The /proc/kallsyms memranged hands kexec-tools on arm64 when the
 * kernel's own lacks "_text".
 *
 * kexec-tools on arm64 (kexec/arch/arm64/crashdump-arm64.c) reads exactly
 * one address from kallsyms for a crash header: "_text", the start of the
 * kernel image. It derives PAGE_OFFSET from it (above or below the middle
 * of the kernel's half of the address space) and gives it to the kernel
 * text PT_LOAD as p_vaddr. A kernel built without CONFIG_KALLSYMS_ALL
 * lists text symbols only, and "_text" is not one (Debian's arm64 6.1):
 * kexec-tools prints "Can't get the symbol of _text to calculate
 * page_offset", writes a kernel text segment of an absurd size and RAM
 * segments with p_vaddr = p_paddr, and the capture kernel can read none of
 * them.
 *
 * Where the kernel states _text: not in vmcoreinfo (arm64 exports
 * KERNELOFFSET and kimage_voffset, whose link-time base KIMAGE_VADDR
 * changed between 6.1 and 6.12), not in the Image header (text_offset has
 * been 0 since 5.8; it says nothing about the virtual base), but in
 * /proc/kcore: fs/proc/kcore.c registers the kernel text as one segment
 * [_text, _end) (its p_vaddr is _text) and gives only it and the linear
 * map of RAM a physical address (p_paddr), everything else -1. The
 * segment is found as the one that holds kallsyms' "_stext" (a text
 * symbol, listed on every kernel) and has a physical address; the linear
 * map never holds _stext on arm64. Its physical address is checked against
 * /proc/iomem's "Kernel code", which begins at _text's physical address
 * (6.12) or _stext's (older kernels): the two sources must agree on where
 * the kernel lies, or nothing is offered.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crash.h"

#define KALLSYMS_PATH "proc/kallsyms"
#define KERNEL_CODE_NAME "Kernel code"

struct kallsyms_find {
        bool has_text, has_stext;
        uint64_t text, stext;
        char stext_line[128]; /* kallsyms' own "_stext" line, newline included */
};

/* Parses "ADDR TYPE NAME[\t[module]]"; a module symbol never matches. */
static void scan_line(const char *line, struct kallsyms_find *f) {
        const char *type, *name;
        uint64_t addr;
        size_t name_len, line_len;

        type = strchr(line, ' ');
        if (!type || type[1] == '\0' || type[2] != ' ')
                return;
        name = type + 3;
        name_len = strcspn(name, "\t\n ");
        if (name[name_len] == '\t')
                return;
        if (mr_parse_hex_u64_n(line, (size_t) (type - line), &addr) < 0)
                return;
        if (name_len == 5 && strncmp(name, "_text", 5) == 0) {
                f->has_text = true;
                f->text = addr;
        } else if (name_len == 6 && strncmp(name, "_stext", 6) == 0) {
                line_len = (size_t) (name + name_len - line);
                if (line_len + 2 > sizeof(f->stext_line))
                        return;
                f->has_stext = true;
                f->stext = addr;
                memcpy(f->stext_line, line, line_len);
                f->stext_line[line_len] = '\n';
                f->stext_line[line_len + 1] = '\0';
        }
}

static int scan_kallsyms(struct memrange_ctx *ctx, struct kallsyms_find *f) {
        _cleanup_(fclosep) FILE *file = NULL;
        _cleanup_(freep) char *line = NULL;
        size_t cap = 0;
        int fd;

        fd = mr_open(ctx, KALLSYMS_PATH, O_RDONLY);
        if (fd < 0)
                return mr_error_at(ctx, fd, KALLSYMS_PATH, 0, "cannot open: %s", strerror(-fd));
        file = fdopen(fd, "r");
        if (!file) {
                int r = negative_errno();

                close(fd);
                return r;
        }
        errno = 0;
        while (getline(&line, &cap, file) >= 0) {
                scan_line(line, f);
                if (f->has_text)
                        return 0;
        }
        if (ferror(file))
                return mr_error_at(ctx, errno ? -errno : -EIO, KALLSYMS_PATH, 0, "cannot read");
        return 0;
}

static const struct memrange_iomem_entry *find_kernel_code(const struct memrange_iomem *iomem) {
        for (size_t i = 0; iomem && i < iomem->n; i++)
                if (strcmp(iomem->entries[i].name, KERNEL_CODE_NAME) == 0)
                        return &iomem->entries[i];
        return NULL;
}

/* The kcore segment of the kernel text: the one mapped segment (it has a
 * physical address) whose virtual range holds @stext. */
static int find_text_segment(struct memrange_ctx *ctx, const struct memrange_elfcore *kcore, uint64_t stext,
                             const struct memrange_elf_phdr **ret) {
        const struct memrange_elf_phdr *found = NULL;
        size_t n = 0;

        for (size_t i = 0; i < kcore->n; i++) {
                const struct memrange_elf_phdr *ph = &kcore->phdrs[i];

                if (ph->type != 1 /* PT_LOAD */ || ph->paddr == UINT64_MAX || ph->memsz == 0)
                        continue;
                if (stext < ph->vaddr || stext - ph->vaddr >= ph->memsz)
                        continue;
                found = ph;
                n++;
        }
        if (n != 1)
                return mr_error_at(ctx, n ? EBADMSG : ENOENT, "proc/kcore", 0,
                                   "%zu mapped segments hold _stext 0x%" PRIx64 " (one expected): cannot tell "
                                   "where _text is",
                                   n, stext);
        *ret = found;
        return 0;
}

_public_ int memrange_kallsyms_view(struct memrange_ctx *ctx, const struct memrange_iomem *iomem, char **ret_text,
                                    size_t *ret_len) {
        _cleanup_(memrange_elfcore_freep) struct memrange_elfcore *kcore = NULL;
        const struct memrange_elf_phdr *text = NULL;
        const struct memrange_iomem_entry *code;
        struct kallsyms_find f = {};
        char *out = NULL;
        int r, len;

        if (!ctx || !ret_text)
                return -EINVAL;
        r = scan_kallsyms(ctx, &f);
        if (r < 0)
                return r;
        if (f.has_text && f.text != 0) {
                *ret_text = NULL;
                if (ret_len)
                        *ret_len = 0;
                return 0;
        }
        if ((f.has_text && f.text == 0) || (f.has_stext && f.stext == 0))
                return mr_error_at(ctx, EADDRNOTAVAIL, KALLSYMS_PATH, 0,
                                   "addresses read as 0 (reading it needs CAP_SYSLOG): no _text to derive");
        if (!f.has_stext)
                return mr_error_at(ctx, ENOENT, KALLSYMS_PATH, 0, "neither _text nor _stext listed");

        r = mr_kcore_read_header(ctx, &kcore);
        if (r < 0)
                return r;
        if (!kcore)
                return mr_error_at(ctx, ENOENT, "proc/kcore", 0,
                                   "not readable: the kernel text segment, which starts at _text, is unknown");
        r = find_text_segment(ctx, kcore, f.stext, &text);
        if (r < 0)
                return r;

        code = find_kernel_code(iomem);
        if (!code)
                return mr_error_at(ctx, ENOENT, "proc/iomem", 0,
                                   "no \"" KERNEL_CODE_NAME "\" line to check kcore's text segment against");
        if (code->range.start != text->paddr && code->range.start != text->paddr + (f.stext - text->vaddr))
                return mr_error_at(ctx, EBADMSG, "proc/kcore", 0,
                                   "text segment 0x%" PRIx64 " at physical 0x%" PRIx64 " disagrees with "
                                   "\"" KERNEL_CODE_NAME "\" at 0x%" PRIx64 " (_stext 0x%" PRIx64 ")",
                                   text->vaddr, text->paddr, code->range.start, f.stext);

        len = asprintf(&out, "%016" PRIx64 " T _text\n%s", text->vaddr, f.stext_line);
        if (len < 0)
                return -ENOMEM;
        if (ret_len)
                *ret_len = (size_t) len;
        *ret_text = out;
        return 1;
}
