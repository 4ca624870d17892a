/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The ELF core header ("elfcorehdr") a kdump capture kernel turns into
 * /proc/vmcore, built the way the kernel (crash_prepare_elf64_headers) and
 * kexec-tools (crash_create_elf64_headers) build it: an ET_CORE ELF64
 * header, then the per-CPU crash note PT_NOTEs, the vmcoreinfo PT_NOTE,
 * the kernel-text PT_LOAD and one PT_LOAD per RAM range, nothing after the
 * program headers. Also the parser of such headers, which reads the
 * program headers of /proc/kcore as well (that is where the kernel text
 * and the direct-map offset are found, as kexec-tools finds them).
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crash.h"

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HOST_ELFDATA ELFDATA2LSB
#else
#define HOST_ELFDATA ELFDATA2MSB
#endif

/* e_phnum values at and above PN_XNUM need the section-header escape,
 * which neither the kernel nor kexec-tools use for a core header. */
#define MAX_PHDRS (PN_XNUM - 1)
/* kexec-tools' size for a note whose crash_notes_size is unknown
 * (kernels before 4.11 have no such file). */
#define NOTE_SIZE_FALLBACK 1024u
/* Bounds /proc/kcore's headers: its phdrs number a few per memory section. */
#define KCORE_PATH "proc/kcore"
#define KCORE_HEADER_MAX (4u << 20)

#define GIB(n) ((uint64_t) (n) << 30)
#define X86_64_DIRECT_MAP UINT64_C(0xffff888000000000)  /* 4-level paging, no KASLR */
#define PPC64_DIRECT_MAP UINT64_C(0xc000000000000000)   /* PAGE_OFFSET */
#define ARM64_PAGE_OFFSET UINT64_C(0xffff000000000000)  /* 48-bit VA since 5.4 */

/* ---------------------------------------------------------------------------
 * Parsing
 */

static int elf_error(struct memrange_ctx *ctx, const char *name, const char *format, ...) _printf_(3, 4);
static int elf_error(struct memrange_ctx *ctx, const char *name, const char *format, ...) {
        char msg[256];
        va_list ap;

        if (!ctx)
                return -EBADMSG;
        va_start(ap, format);
        vsnprintf(msg, sizeof(msg), format, ap);
        va_end(ap);
        return mr_error_at(ctx, EBADMSG, name, 0, "%s", msg);
}

static int check_ehdr(struct memrange_ctx *ctx, const char *name, const Elf64_Ehdr *eh, size_t size) {
        uint64_t table_end;

        if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
                return elf_error(ctx, name, "not an ELF file (bad magic)");
        if (eh->e_ident[EI_CLASS] != ELFCLASS64)
                return elf_error(ctx, name, "not ELF64 (class %u)", eh->e_ident[EI_CLASS]);
        if (eh->e_ident[EI_DATA] != HOST_ELFDATA)
                return elf_error(ctx, name, "byte order %u is not this machine's", eh->e_ident[EI_DATA]);
        if (eh->e_ident[EI_VERSION] != EV_CURRENT || eh->e_version != EV_CURRENT)
                return elf_error(ctx, name, "unknown ELF version");
        if (eh->e_ehsize != sizeof(Elf64_Ehdr))
                return elf_error(ctx, name, "ELF header size %u, expected %zu", eh->e_ehsize, sizeof(Elf64_Ehdr));
        if (eh->e_phnum == PN_XNUM)
                return elf_error(ctx, name, "extended program header count (PN_XNUM) is not supported");
        if (eh->e_phnum == 0)
                return 0;
        if (eh->e_phentsize != sizeof(Elf64_Phdr))
                return elf_error(ctx, name, "program header size %u, expected %zu", eh->e_phentsize,
                                 sizeof(Elf64_Phdr));
        /* Cannot overflow: a 64-bit offset plus at most 65534 * 56 bytes is
         * checked against the offset first. */
        if (eh->e_phoff > size)
                return elf_error(ctx, name, "program headers start at byte %" PRIu64 ", past the %zu bytes",
                                 (uint64_t) eh->e_phoff, size);
        table_end = eh->e_phoff + (uint64_t) eh->e_phnum * sizeof(Elf64_Phdr);
        if (table_end > size)
                return elf_error(ctx, name, "%u program headers end at byte %" PRIu64 ", past the %zu bytes",
                                 eh->e_phnum, table_end, size);
        return 0;
}

_public_ int memrange_elfcore_parse(struct memrange_ctx *ctx, const char *name, const void *buf, size_t size,
                                    struct memrange_elfcore **ret_elfcore) {
        _cleanup_(memrange_elfcore_freep) struct memrange_elfcore *elf = NULL;
        Elf64_Ehdr eh;
        int r;

        if ((!buf && size > 0) || !ret_elfcore)
                return -EINVAL;
        if (!name)
                name = "elfcorehdr";
        if (size < sizeof(eh))
                return elf_error(ctx, name, "truncated: %zu bytes, an ELF64 header takes %zu", size, sizeof(eh));
        /* memcpy: @buf need not be aligned. */
        memcpy(&eh, buf, sizeof(eh));
        r = check_ehdr(ctx, name, &eh, size);
        if (r < 0)
                return r;

        elf = calloc(1, sizeof(*elf));
        if (!elf)
                return -ENOMEM;
        elf->type = eh.e_type;
        elf->machine = eh.e_machine;
        if (eh.e_phnum > 0) {
                elf->phdrs = calloc(eh.e_phnum, sizeof(*elf->phdrs));
                if (!elf->phdrs)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < eh.e_phnum; i++) {
                Elf64_Phdr ph;

                memcpy(&ph, (const uint8_t *) buf + eh.e_phoff + i * sizeof(ph), sizeof(ph));
                elf->phdrs[i] = (struct memrange_elf_phdr) {
                        .type = ph.p_type,
                        .flags = ph.p_flags,
                        .offset = ph.p_offset,
                        .vaddr = ph.p_vaddr,
                        .paddr = ph.p_paddr,
                        .filesz = ph.p_filesz,
                        .memsz = ph.p_memsz,
                        .align = ph.p_align,
                };
        }
        elf->n = eh.e_phnum;
        *ret_elfcore = TAKE_PTR(elf);
        return 0;
}

_public_ struct memrange_elfcore *memrange_elfcore_free(struct memrange_elfcore *elfcore) {
        if (!elfcore)
                return NULL;
        free(elfcore->phdrs);
        free(elfcore);
        return NULL;
}

/* ---------------------------------------------------------------------------
 * What /proc/kcore tells: the direct-map offset and the kernel text
 */

struct kcore_info {
        bool has_direct_map;
        uint64_t direct_map;   /* p_vaddr - p_paddr of the RAM mappings */
        bool has_text;
        struct memrange_elf_phdr text;
};

static int pread_all(int fd, void *buf, size_t size, off_t offset) {
        size_t done = 0;

        while (done < size) {
                ssize_t n = pread(fd, (uint8_t *) buf + done, size - done, offset + (off_t) done);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return negative_errno();
                if (n == 0)
                        break;
                done += (size_t) n;
        }
        return (int) (done == size);
}

/* Reads the ELF and program headers at the start of proc/kcore (never the
 * memory behind them). 0 and no header when kcore is absent or unreadable
 * (kexec-tools needs root for it too). */
int mr_kcore_read_header(struct memrange_ctx *ctx, struct memrange_elfcore **ret) {
        _cleanup_(closep) int fd = -1;
        _cleanup_(freep) uint8_t *buf = NULL;
        Elf64_Ehdr eh;
        uint64_t size;
        int r;

        *ret = NULL;
        fd = mr_open(ctx, KCORE_PATH, O_RDONLY);
        if (fd < 0) {
                mr_dbg(ctx, "%s not readable (%s): no kernel text header", KCORE_PATH, strerror(-fd));
                return 0;
        }
        r = pread_all(fd, &eh, sizeof(eh), 0);
        if (r < 0)
                return mr_error_at(ctx, r, KCORE_PATH, 0, "cannot read: %s", strerror(-r));
        if (r == 0)
                return elf_error(ctx, KCORE_PATH, "truncated: shorter than an ELF64 header");
        r = check_ehdr(ctx, KCORE_PATH, &eh, KCORE_HEADER_MAX);
        if (r < 0)
                return r;
        /* check_ehdr() bounds e_phoff only when there are program headers:
         * without any, e_phoff means nothing and the ELF header is all. */
        size = eh.e_phnum == 0 ? sizeof(eh) : eh.e_phoff + (uint64_t) eh.e_phnum * sizeof(Elf64_Phdr);
        buf = malloc(size);
        if (!buf)
                return -ENOMEM;
        r = pread_all(fd, buf, size, 0);
        if (r < 0)
                return mr_error_at(ctx, r, KCORE_PATH, 0, "cannot read: %s", strerror(-r));
        if (r == 0)
                return elf_error(ctx, KCORE_PATH, "truncated: program headers end at byte %" PRIu64, size);
        return memrange_elfcore_parse(ctx, KCORE_PATH, buf, size, ret);
}

static bool kcore_maps_physical(const struct memrange_elf_phdr *ph) {
        /* kcore gives p_paddr only for RAM and kernel text; -1 elsewhere. */
        return ph->type == PT_LOAD && ph->paddr != UINT64_MAX && ph->memsz > 0;
}

/* The direct map is the vaddr - paddr offset that maps the most bytes;
 * the kernel text is a mapped segment at another offset (on ppc64 the
 * text lies in the direct map: no separate segment). */
static void analyse_kcore(const struct memrange_elfcore *kcore, struct kcore_info *info) {
        uint64_t best_bytes = 0;

        for (size_t i = 0; i < kcore->n; i++) {
                const struct memrange_elf_phdr *ph = &kcore->phdrs[i];
                uint64_t offset = ph->vaddr - ph->paddr, bytes = 0;

                if (!kcore_maps_physical(ph))
                        continue;
                for (size_t j = 0; j < kcore->n; j++)
                        if (kcore_maps_physical(&kcore->phdrs[j]) &&
                            kcore->phdrs[j].vaddr - kcore->phdrs[j].paddr == offset)
                                bytes += kcore->phdrs[j].memsz;
                if (bytes > best_bytes) {
                        best_bytes = bytes;
                        info->direct_map = offset;
                        info->has_direct_map = true;
                }
        }
        for (size_t i = 0; info->has_direct_map && i < kcore->n; i++) {
                const struct memrange_elf_phdr *ph = &kcore->phdrs[i];

                if (kcore_maps_physical(ph) && ph->vaddr - ph->paddr != info->direct_map) {
                        info->text = *ph;
                        info->has_text = true;
                        return;
                }
        }
}

static uint64_t default_direct_map(const struct memrange_dump_ranges *ranges) {
        switch (ranges->arch) {
        case MEMRANGE_ARCH_ARM64:
                /* __va(pa) = pa - PHYS_OFFSET + PAGE_OFFSET; PHYS_OFFSET is
                 * the start of DRAM rounded down to 1 GiB (4 KiB pages). */
                return ARM64_PAGE_OFFSET - (ranges->n ? ranges->ranges[0].start & ~(GIB(1) - 1) : 0);
        case MEMRANGE_ARCH_PPC64:
                return PPC64_DIRECT_MAP;
        default:
                return X86_64_DIRECT_MAP;
        }
}

/* ---------------------------------------------------------------------------
 * Building
 */

static uint16_t machine_of(uint32_t arch) {
        switch (arch) {
        case MEMRANGE_ARCH_ARM64:
                return EM_AARCH64;
        case MEMRANGE_ARCH_PPC64:
                return EM_PPC64;
        default:
                return EM_X86_64;
        }
}

static size_t count_phdrs(const struct memrange_crash *crash, const struct memrange_dump_ranges *ranges,
                          const struct kcore_info *kcore) {
        size_t n = ranges->n + kcore->has_text;

        if (crash) {
                for (size_t i = 0; i < crash->n_notes; i++)
                        n += mr_crash_note_in_header(crash, crash->notes[i].cpu);
                n += crash->has_vmcoreinfo;
        }
        return n;
}

static Elf64_Phdr note_phdr(uint64_t addr, uint64_t size) {
        return (Elf64_Phdr) {
                .p_type = PT_NOTE,
                .p_offset = addr,
                .p_paddr = addr,
                .p_filesz = size,
                .p_memsz = size,
        };
}

static Elf64_Phdr load_phdr(uint64_t offset, uint64_t vaddr, uint64_t paddr, uint64_t size) {
        return (Elf64_Phdr) {
                .p_type = PT_LOAD,
                .p_flags = PF_R | PF_W | PF_X,
                .p_offset = offset,
                .p_vaddr = vaddr,
                .p_paddr = paddr,
                .p_filesz = size,
                .p_memsz = size,
        };
}

/* Fills @ph (room for every header count_phdrs() counted), in order. */
static void fill_phdrs(Elf64_Phdr *ph, const struct memrange_crash *crash, const struct memrange_dump_ranges *ranges,
                       const struct kcore_info *kcore, uint64_t direct_map, uint64_t backup_offset) {
        for (size_t i = 0; crash && i < crash->n_notes; i++)
                if (mr_crash_note_in_header(crash, crash->notes[i].cpu))
                        *ph++ = note_phdr(crash->notes[i].addr, crash->notes[i].size ?: NOTE_SIZE_FALLBACK);
        if (crash && crash->has_vmcoreinfo)
                *ph++ = note_phdr(crash->vmcoreinfo_addr, crash->vmcoreinfo_size);
        if (kcore->has_text)
                *ph++ = load_phdr(kcore->text.paddr, kcore->text.vaddr, kcore->text.paddr, kcore->text.memsz);
        for (size_t i = 0; i < ranges->n; i++) {
                const struct memrange_dump_range *d = &ranges->ranges[i];
                bool backed_up = (d->flags & MEMRANGE_DUMP_F_BACKUP) && backup_offset;

                *ph++ = load_phdr(backed_up ? backup_offset : d->start, direct_map + d->start, d->start,
                                  d->end - d->start);
        }
}

_public_ int memrange_elfcore_build(struct memrange_ctx *ctx, const struct memrange_sources *sources,
                                    const struct memrange_dump_ranges *ranges,
                                    const struct memrange_elfcore_opts *opts, void **ret_buf, size_t *ret_size) {
        _cleanup_(memrange_elfcore_freep) struct memrange_elfcore *kcore_header = NULL;
        const struct memrange_crash *crash = sources ? sources->crash : NULL;
        struct kcore_info kcore = {};
        uint64_t direct_map;
        Elf64_Ehdr eh;
        uint8_t *buf;
        size_t n, size;
        int r;

        if (!ctx || !ranges || !ret_buf || !ret_size)
                return -EINVAL;
        r = mr_kcore_read_header(ctx, &kcore_header);
        if (r < 0)
                return r;
        if (kcore_header)
                analyse_kcore(kcore_header, &kcore);
        if (opts && opts->direct_map_base)
                direct_map = opts->direct_map_base;
        else
                direct_map = kcore.has_direct_map ? kcore.direct_map : default_direct_map(ranges);

        n = count_phdrs(crash, ranges, &kcore);
        if (n > MAX_PHDRS)
                return mr_error_at(ctx, E2BIG, "elfcorehdr", 0, "%zu program headers, more than ELF allows (%u)", n,
                                   MAX_PHDRS);
        size = sizeof(eh) + n * sizeof(Elf64_Phdr);
        buf = calloc(1, size);
        if (!buf)
                return -ENOMEM;

        eh = (Elf64_Ehdr) {
                .e_type = ET_CORE,
                .e_machine = machine_of(ranges->arch),
                .e_version = EV_CURRENT,
                .e_phoff = sizeof(eh),
                .e_ehsize = sizeof(eh),
                .e_phentsize = sizeof(Elf64_Phdr),
                .e_phnum = (uint16_t) n,
        };
        memcpy(eh.e_ident, ELFMAG, SELFMAG);
        eh.e_ident[EI_CLASS] = ELFCLASS64;
        eh.e_ident[EI_DATA] = HOST_ELFDATA;
        eh.e_ident[EI_VERSION] = EV_CURRENT;
        eh.e_ident[EI_OSABI] = ELFOSABI_NONE;
        memcpy(buf, &eh, sizeof(eh));
        /* calloc'd memory is aligned for any type: the phdrs follow the
         * 64-byte header at an 8-byte boundary. */
        fill_phdrs((Elf64_Phdr *) (void *) (buf + sizeof(eh)), crash, ranges, &kcore, direct_map,
                   opts ? opts->backup_offset : 0);

        *ret_buf = buf;
        *ret_size = size;
        return 0;
}
