/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The ELF core header: built for the fixtures, read back by our parser and
 * by binutils' readelf, checked against the program headers the capture
 * kernels really saw; the parser's rejections of malformed headers. */
#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crash-check.h"

#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)
#define RWX (PF_R | PF_W | PF_X)

/* A built header for @m under @policy, parsed back. */
struct header {
        struct memrange_dump_ranges *ranges;
        void *buf;
        size_t size;
        struct memrange_elfcore *elf;
};

static void header_build(struct machine *m, enum memrange_dump_policy policy,
                         const struct memrange_elfcore_opts *opts, struct header *h) {
        int r;

        h->ranges = machine_dump(m, policy);
        r = memrange_elfcore_build(m->ctx, m->sources, h->ranges, opts, &h->buf, &h->size);
        if (r < 0)
                fail_msg("build: %s", memrange_ctx_get_error(m->ctx) ?: strerror(-r));
        assert_int_equal(memrange_elfcore_parse(m->ctx, "built", h->buf, h->size, &h->elf), 0);
        assert_int_equal(h->size, sizeof(Elf64_Ehdr) + h->elf->n * sizeof(Elf64_Phdr));
        assert_int_equal(h->elf->type, ET_CORE);
}

static void header_done(struct header *h) {
        memrange_elfcore_free(h->elf);
        memrange_dump_ranges_free(h->ranges);
        free(h->buf);
        *h = (struct header) {};
}

static void assert_note(const struct memrange_elf_phdr *ph, uint64_t addr, uint64_t size) {
        assert_int_equal(ph->type, PT_NOTE);
        assert_int_equal(ph->paddr, addr);
        assert_int_equal(ph->offset, addr);
        assert_int_equal(ph->filesz, size);
        assert_int_equal(ph->memsz, size);
}

static void assert_load(const struct memrange_elf_phdr *ph, uint64_t paddr, uint64_t vaddr, uint64_t size) {
        assert_int_equal(ph->type, PT_LOAD);
        assert_int_equal(ph->flags, RWX);
        assert_int_equal(ph->paddr, paddr);
        assert_int_equal(ph->vaddr, vaddr);
        assert_int_equal(ph->filesz, size);
        assert_int_equal(ph->memsz, size);
}

/* ---------------------------------------------------------------------------
 * The kdump cases: our RAM PT_LOADs are the capture kernel's, vaddr included
 */

/* Builds the header of case @name with the direct-map base the capture
 * kernel's first RAM PT_LOAD shows (KASLR moved it), and compares every
 * RAM PT_LOAD of the header with the vmcore's, @extra more in ours. */
static void check_case(const char *name, size_t extra) {
        struct vmcore_phdr *ph = NULL;
        size_t n_ph = vmcore_phdrs_read(name, &ph), first_ram = 0, loads = 0;
        struct memrange_elfcore_opts opts = {};
        struct machine m = {};
        struct header h = {};
        char root[256];

        /* [0] is the merged note, [1] the kernel text. */
        assert_int_equal(ph[0].type, PT_NOTE);
        assert_int_equal(ph[1].type, PT_LOAD);
        first_ram = 2;
        opts.direct_map_base = ph[first_ram].vaddr - ph[first_ram].paddr;

        snprintf(root, sizeof(root), "kdump-cases/%s/root", name);
        machine_load(&m, root);
        header_build(&m, MEMRANGE_DUMP_AUTO, &opts, &h);
        assert_int_equal(h.elf->machine, EM_X86_64);
        /* Two CPU notes, vmcoreinfo, no kernel text (no proc/kcore). */
        assert_int_equal(h.elf->phdrs[0].type, PT_NOTE);
        assert_int_equal(h.elf->phdrs[1].type, PT_NOTE);
        assert_int_equal(h.elf->phdrs[2].type, PT_NOTE);
        for (size_t i = 3; i < h.elf->n; i++) {
                const struct memrange_elf_phdr *load = &h.elf->phdrs[i];

                assert_int_equal(load->type, PT_LOAD);
                if (first_ram + loads < n_ph) {
                        const struct vmcore_phdr *want = &ph[first_ram + loads];

                        assert_load(load, want->paddr, want->vaddr, want->memsz);
                }
                loads++;
        }
        assert_int_equal(loads, n_ph - first_ram + extra);
        header_done(&h);
        machine_done(&m);
        free(ph);
}

static void kexec_load_reload_header_matches_the_vmcore(void **state) {
        check_case("x86_64-6.1-kexec_load-reload", 0);
}

static void kexec_file_header_matches_the_vmcore(void **state) {
        check_case("x86_64-6.12-kexec_file-noreload", 0);
}

static void kexec_load_noreload_header_adds_the_hot_added_dimm(void **state) {
        check_case("x86_64-6.1-kexec_load-noreload", 1);
}

/* ---------------------------------------------------------------------------
 * Notes, vmcoreinfo, direct map and backup on the fixtures
 */

static void x86_header_has_cpu_notes_vmcoreinfo_and_the_default_direct_map(void **state) {
        struct machine m = {};
        struct header h = {};

        /* cpu0/crash_notes 3de3a400, cpu1 3df3a400, size 368; vmcoreinfo
         * 0x11e6000 1024 (hex: 4 KiB). */
        machine_load(&m, "x86_64-6.1-dimm/hotplug");
        header_build(&m, MEMRANGE_DUMP_KEXEC_TOOLS_X86, NULL, &h);
        assert_int_equal(h.elf->machine, EM_X86_64);
        assert_int_equal(h.elf->n, 3 + 4);
        assert_note(&h.elf->phdrs[0], 0x3de3a400, 368);
        assert_note(&h.elf->phdrs[1], 0x3df3a400, 368);
        assert_note(&h.elf->phdrs[2], 0x11e6000, 0x1024);
        assert_load(&h.elf->phdrs[3], 0x1000, UINT64_C(0xffff888000001000), 0x9ec00);
        assert_int_equal(h.elf->phdrs[3].offset, 0x1000);
        assert_load(&h.elf->phdrs[4], MiB, UINT64_C(0xffff888000100000), 0x1e000000 - MiB);
        assert_load(&h.elf->phdrs[5], 0x2e000000, UINT64_C(0xffff88802e000000), 0x3ffe0000 - 0x2e000000);
        assert_load(&h.elf->phdrs[6], 4 * GiB, UINT64_C(0xffff888100000000), GiB);
        header_done(&h);
        machine_done(&m);
}

static void backup_offset_moves_only_the_backup_range(void **state) {
        struct memrange_elfcore_opts opts = { .backup_offset = 0x1e000000 };
        struct machine m = {};
        struct header h = {};

        machine_load(&m, "x86_64-6.1-dimm/boot");
        header_build(&m, MEMRANGE_DUMP_KEXEC_TOOLS_X86, &opts, &h);
        assert_int_equal(h.elf->phdrs[3].paddr, 0x1000);
        assert_int_equal(h.elf->phdrs[3].offset, 0x1e000000);
        for (size_t i = 4; i < h.elf->n; i++)
                assert_int_equal(h.elf->phdrs[i].offset, h.elf->phdrs[i].paddr);
        header_done(&h);

        /* The kernel's policy has no backup range. */
        header_build(&m, MEMRANGE_DUMP_KERNEL, &opts, &h);
        for (size_t i = 3; i < h.elf->n; i++)
                assert_int_equal(h.elf->phdrs[i].offset, h.elf->phdrs[i].paddr);
        header_done(&h);
        machine_done(&m);
}

static void arm64_and_ppc64_headers_use_their_machine_and_direct_map(void **state) {
        struct machine m = {};
        struct header h = {};

        /* arm64: PAGE_OFFSET 0xffff000000000000 maps PHYS_OFFSET 0x40000000;
         * notes bfbb0400/bfbd2400 size 424; vmcoreinfo 0x43858000 0x1024. */
        machine_load(&m, "arm64-6.12-virt/boot");
        header_build(&m, MEMRANGE_DUMP_AUTO, NULL, &h);
        assert_int_equal(h.elf->machine, EM_AARCH64);
        assert_int_equal(h.elf->n, 5);
        assert_note(&h.elf->phdrs[0], 0xbfbb0400, 424);
        assert_note(&h.elf->phdrs[1], 0xbfbd2400, 424);
        assert_note(&h.elf->phdrs[2], 0x43858000, 0x1024);
        assert_load(&h.elf->phdrs[3], 0x40000000, UINT64_C(0xffff000000000000), 0xa9a00000 - 0x40000000);
        assert_load(&h.elf->phdrs[4], 0xb9a00000, UINT64_C(0xffff000079a00000), 0xc0000000 - 0xb9a00000);
        header_done(&h);
        machine_done(&m);

        /* ppc64: 0xc000000000000000 + paddr; notes 7fdd6c00/7fe76c00 size
         * 536; vmcoreinfo 0x4100000 0x10024; backup [0, 64 KiB) first. */
        machine_load(&m, "ppc64le-6.1-pseries/hotplug");
        header_build(&m, MEMRANGE_DUMP_AUTO, NULL, &h);
        assert_int_equal(h.elf->machine, EM_PPC64);
        assert_int_equal(h.elf->n, 6);
        assert_note(&h.elf->phdrs[0], 0x7fdd6c00, 536);
        assert_note(&h.elf->phdrs[2], 0x4100000, 0x10024);
        assert_load(&h.elf->phdrs[3], 0, UINT64_C(0xc000000000000000), 0x10000);
        assert_load(&h.elf->phdrs[5], 0x30000000, UINT64_C(0xc000000030000000), 0xc0000000 - 0x30000000);
        header_done(&h);
        machine_done(&m);
}

static void notes_follow_the_possible_cpus_and_fall_back_to_1024_bytes(void **state) {
        struct machine m = {};
        struct header h = {};

        machine_load(&m, "x86_64-6.1-dimm/boot");
        /* Only cpu0 possible; cpu0's size unknown (kernels before 4.11). */
        memrange_idset_clear(&m.sources->crash->possible);
        assert_int_equal(memrange_idset_parse("0", &m.sources->crash->possible), 0);
        m.sources->crash->notes[0].size = 0;
        header_build(&m, MEMRANGE_DUMP_KEXEC_TOOLS_X86, NULL, &h);
        assert_note(&h.elf->phdrs[0], 0x3de3a400, 1024);
        assert_note(&h.elf->phdrs[1], 0x11e6000, 0x1024);
        assert_int_equal(h.elf->phdrs[2].type, PT_LOAD);
        header_done(&h);

        /* No crash source at all: RAM only. */
        m.sources->crash = memrange_crash_free(m.sources->crash);
        header_build(&m, MEMRANGE_DUMP_KEXEC_TOOLS_X86, NULL, &h);
        assert_int_equal(h.elf->n, h.ranges->n);
        header_done(&h);
        machine_done(&m);
}

/* ---------------------------------------------------------------------------
 * proc/kcore: kernel text and direct map
 */

/* A little /proc/kcore: the ELF header and program headers only. */
static void write_kcore(struct scratch *s, const Elf64_Phdr *ph, size_t n) {
        unsigned char buf[sizeof(Elf64_Ehdr) + 8 * sizeof(Elf64_Phdr)] = {};
        Elf64_Ehdr eh = {
                .e_type = ET_CORE,
                .e_machine = EM_X86_64,
                .e_version = EV_CURRENT,
                .e_phoff = sizeof(Elf64_Ehdr),
                .e_ehsize = sizeof(Elf64_Ehdr),
                .e_phentsize = sizeof(Elf64_Phdr),
                .e_phnum = (uint16_t) n,
        };

        assert_true(n <= 8);
        memcpy(eh.e_ident, ELFMAG, SELFMAG);
        eh.e_ident[EI_CLASS] = ELFCLASS64;
        eh.e_ident[EI_DATA] = ELFDATA2LSB;
        eh.e_ident[EI_VERSION] = EV_CURRENT;
        memcpy(buf, &eh, sizeof(eh));
        memcpy(buf + sizeof(eh), ph, n * sizeof(*ph));
        scratch_write(s, "proc/kcore", buf, sizeof(eh) + n * sizeof(*ph));
}

#define KCORE_LOAD(v, p, size) \
        ((Elf64_Phdr) { .p_type = PT_LOAD, .p_flags = RWX, .p_vaddr = (v), .p_paddr = (p), .p_memsz = (size) })

static void kcore_gives_the_kernel_text_and_the_direct_map(void **state) {
        const Elf64_Phdr kcore[] = {
                { .p_type = PT_NOTE, .p_filesz = 0x1000 },
                /* text: _text.._end */
                KCORE_LOAD(UINT64_C(0xffffffff81000000), 0x1000000, 0x2c30000),
                /* vmemmap: no physical address, larger than RAM */
                KCORE_LOAD(UINT64_C(0xffffea0000000000), UINT64_MAX, 8 * GiB),
                KCORE_LOAD(UINT64_C(0xffff9a0000100000), MiB, GiB - MiB),
                KCORE_LOAD(UINT64_C(0xffff9a0100000000), 4 * GiB, GiB),
        };
        struct memrange_elfcore_opts opts = { .direct_map_base = UINT64_C(0xffff888000000000) };
        struct scratch s;
        struct machine m = {};
        struct header h = {};

        scratch_init(&s);
        scratch_write(&s, "proc/iomem",
                      "00100000-3fffffff : System RAM\n"
                      "  01000000-03c2ffff : Kernel code\n"
                      "100000000-13fffffff : System RAM\n",
                      (size_t) -1);
        write_kcore(&s, kcore, ELEMENTSOF(kcore));
        machine_load_ctx(&m, scratch_ctx(&s));
        header_build(&m, MEMRANGE_DUMP_KEXEC_TOOLS_X86, NULL, &h);
        assert_int_equal(h.elf->n, 3);
        assert_load(&h.elf->phdrs[0], 0x1000000, UINT64_C(0xffffffff81000000), 0x2c30000);
        assert_int_equal(h.elf->phdrs[0].offset, 0x1000000);
        assert_load(&h.elf->phdrs[1], MiB, UINT64_C(0xffff9a0000100000), GiB - MiB);
        assert_load(&h.elf->phdrs[2], 4 * GiB, UINT64_C(0xffff9a0100000000), GiB);
        header_done(&h);

        /* An explicit base wins over kcore's. */
        header_build(&m, MEMRANGE_DUMP_KEXEC_TOOLS_X86, &opts, &h);
        assert_load(&h.elf->phdrs[1], MiB, UINT64_C(0xffff888000100000), GiB - MiB);
        header_done(&h);
        machine_done(&m);
        scratch_free(&s);
}

static void malformed_kcore_fails_the_build(void **state) {
        struct scratch s;
        struct machine m = {};
        struct memrange_dump_ranges *d;
        char not_elf[80];
        void *buf = NULL;
        size_t size = 0;

        /* As long as an ELF header, with one letter of the magic wrong. */
        memset(not_elf, 'x', sizeof(not_elf));
        memcpy(not_elf, "\177ELG", 4);
        scratch_init(&s);
        scratch_write(&s, "proc/iomem", "00100000-3fffffff : System RAM\n", (size_t) -1);
        scratch_write(&s, "proc/kcore", not_elf, sizeof(not_elf));
        machine_load_ctx(&m, scratch_ctx(&s));
        d = machine_dump(&m, MEMRANGE_DUMP_KERNEL);
        assert_int_equal(memrange_elfcore_build(m.ctx, m.sources, d, NULL, &buf, &size), -EBADMSG);
        assert_string_equal(memrange_ctx_get_error(m.ctx), "proc/kcore: not an ELF file (bad magic)");
        assert_null(buf);

        scratch_write(&s, "proc/kcore", "\177ELF", 4);
        assert_int_equal(memrange_elfcore_build(m.ctx, m.sources, d, NULL, &buf, &size), -EBADMSG);
        assert_string_equal(memrange_ctx_get_error(m.ctx), "proc/kcore: truncated: shorter than an ELF64 header");
        memrange_dump_ranges_free(d);
        machine_done(&m);
        scratch_free(&s);
}

static void more_than_65534_program_headers_are_rejected(void **state) {
        struct memrange_dump_ranges d = { .policy = MEMRANGE_DUMP_KERNEL, .arch = MEMRANGE_ARCH_X86_64 };
        struct machine m = {};
        void *buf = NULL;
        size_t size;

        machine_load(&m, "x86_64-6.18-microvm/boot");
        /* microvm: no crash notes, one vmcoreinfo note. */
        d.n = 65534;
        d.ranges = calloc(d.n, sizeof(*d.ranges));
        assert_non_null(d.ranges);
        for (size_t i = 0; i < d.n; i++)
                d.ranges[i] = (struct memrange_dump_range) { .start = i * 8192, .end = i * 8192 + 4096 };
        assert_int_equal(memrange_elfcore_build(m.ctx, m.sources, &d, NULL, &buf, &size), -E2BIG);
        assert_string_equal(memrange_ctx_get_error(m.ctx),
                            "elfcorehdr: 65535 program headers, more than ELF allows (65534)");
        d.n = 65533;
        assert_int_equal(memrange_elfcore_build(m.ctx, m.sources, &d, NULL, &buf, &size), 0);
        assert_int_equal(size, sizeof(Elf64_Ehdr) + 65534 * sizeof(Elf64_Phdr));
        free(buf);
        free(d.ranges);
        machine_done(&m);
}

/* ---------------------------------------------------------------------------
 * readelf agrees
 */

struct readelf_row {
        char type[16];
        uint64_t offset, vaddr, paddr, filesz, memsz;
};

/* Runs `readelf -lW` on @buf; returns the number of program header rows,
 * or -1 when readelf is not installed. */
static int readelf_rows(const void *buf, size_t size, struct readelf_row *rows, size_t max) {
        char path[] = "/tmp/memrange-elfcore-XXXXXX", cmd[256], line[512];
        int fd, n = 0;
        FILE *p;

        if (system("command -v readelf >/dev/null 2>&1") != 0)
                return -1;
        fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, buf, size), (ssize_t) size);
        close(fd);
        snprintf(cmd, sizeof(cmd), "LC_ALL=C readelf -lW %s", path);
        p = popen(cmd, "r");
        assert_non_null(p);
        while (fgets(line, sizeof(line), p)) {
                struct readelf_row r;

                if (sscanf(line, " %15s 0x%" SCNx64 " 0x%" SCNx64 " 0x%" SCNx64 " 0x%" SCNx64 " 0x%" SCNx64, r.type,
                           &r.offset, &r.vaddr, &r.paddr, &r.filesz, &r.memsz) != 6)
                        continue;
                assert_true((size_t) n < max);
                rows[n++] = r;
        }
        assert_int_equal(pclose(p), 0);
        unlink(path);
        return n;
}

static void readelf_reads_our_headers(void **state) {
        static const char *const fixtures[] = {
                "x86_64-6.1-dimm/hotplug",
                "arm64-6.12-virt/boot",
                "ppc64le-6.1-pseries/hotplug",
                "kdump-cases/x86_64-6.12-kexec_file-noreload/root",
        };
        struct readelf_row rows[32];

        for (size_t f = 0; f < ELEMENTSOF(fixtures); f++) {
                struct machine m = {};
                struct header h = {};
                int n;

                machine_load(&m, fixtures[f]);
                header_build(&m, MEMRANGE_DUMP_AUTO, NULL, &h);
                n = readelf_rows(h.buf, h.size, rows, ELEMENTSOF(rows));
                if (n < 0) {
                        header_done(&h);
                        machine_done(&m);
                        skip();
                }
                assert_int_equal(n, h.elf->n);
                for (size_t i = 0; i < h.elf->n; i++) {
                        const struct memrange_elf_phdr *ph = &h.elf->phdrs[i];

                        assert_string_equal(rows[i].type, ph->type == PT_LOAD ? "LOAD" : "NOTE");
                        assert_int_equal(rows[i].offset, ph->offset);
                        assert_int_equal(rows[i].vaddr, ph->vaddr);
                        assert_int_equal(rows[i].paddr, ph->paddr);
                        assert_int_equal(rows[i].filesz, ph->filesz);
                        assert_int_equal(rows[i].memsz, ph->memsz);
                }
                /* And the count readelf saw is what the policy asked for. */
                assert_int_equal(n, 3 + h.ranges->n);
                header_done(&h);
                machine_done(&m);
        }
}

/* ---------------------------------------------------------------------------
 * The parser's rejections
 */

/* A valid header of 2 program headers to break in various ways. */
static size_t good_header(unsigned char *buf) {
        Elf64_Ehdr eh = {
                .e_type = ET_CORE,
                .e_machine = EM_X86_64,
                .e_version = EV_CURRENT,
                .e_phoff = sizeof(Elf64_Ehdr),
                .e_ehsize = sizeof(Elf64_Ehdr),
                .e_phentsize = sizeof(Elf64_Phdr),
                .e_phnum = 2,
        };
        Elf64_Phdr ph[2] = {
                { .p_type = PT_NOTE, .p_offset = 0x1000, .p_paddr = 0x1000, .p_filesz = 368, .p_memsz = 368 },
                KCORE_LOAD(UINT64_C(0xffff888000100000), MiB, GiB),
        };

        memcpy(eh.e_ident, ELFMAG, SELFMAG);
        eh.e_ident[EI_CLASS] = ELFCLASS64;
        eh.e_ident[EI_DATA] = ELFDATA2LSB;
        eh.e_ident[EI_VERSION] = EV_CURRENT;
        memcpy(buf, &eh, sizeof(eh));
        memcpy(buf + sizeof(eh), ph, sizeof(ph));
        return sizeof(eh) + sizeof(ph);
}

static int parse(struct memrange_ctx *ctx, const unsigned char *buf, size_t size) {
        struct memrange_elfcore *elf = NULL;
        int r = memrange_elfcore_parse(ctx, "hdr", buf, size, &elf);

        if (r == 0)
                assert_int_equal(elf->n, 2);
        memrange_elfcore_free(elf);
        return r;
}

static void parser_rejects_malformed_headers(void **state) {
        struct memrange_ctx *ctx = fixture_ctx("x86_64-6.1-dimm/boot");
        unsigned char buf[256];
        size_t size = good_header(buf);
        Elf64_Ehdr *eh = (Elf64_Ehdr *) (void *) buf;

        assert_int_equal(parse(ctx, buf, size), 0);
        /* The parser does not care about alignment. */
        {
                unsigned char shifted[257];

                memcpy(shifted + 1, buf, size);
                assert_int_equal(parse(ctx, shifted + 1, size), 0);
        }

        assert_int_equal(parse(ctx, buf, 63), -EBADMSG);
        assert_string_equal(memrange_ctx_get_error(ctx), "hdr: truncated: 63 bytes, an ELF64 header takes 64");
        assert_int_equal(parse(ctx, buf, size - 1), -EBADMSG);
        assert_string_equal(memrange_ctx_get_error(ctx), "hdr: 2 program headers end at byte 176, past the 175 bytes");

        buf[1] = 'e';
        assert_int_equal(parse(ctx, buf, size), -EBADMSG);
        assert_string_equal(memrange_ctx_get_error(ctx), "hdr: not an ELF file (bad magic)");
        size = good_header(buf);

        buf[EI_CLASS] = ELFCLASS32;
        assert_int_equal(parse(ctx, buf, size), -EBADMSG);
        assert_string_equal(memrange_ctx_get_error(ctx), "hdr: not ELF64 (class 1)");
        size = good_header(buf);

        buf[EI_DATA] = ELFDATA2MSB;
        assert_int_equal(parse(ctx, buf, size), -EBADMSG);
        assert_string_equal(memrange_ctx_get_error(ctx), "hdr: byte order 2 is not this machine's");
        size = good_header(buf);

        /* phnum overflowing the buffer */
        eh->e_phnum = 100;
        assert_int_equal(parse(ctx, buf, size), -EBADMSG);
        assert_string_equal(memrange_ctx_get_error(ctx),
                            "hdr: 100 program headers end at byte 5664, past the 176 bytes");
        eh->e_phnum = PN_XNUM;
        assert_int_equal(parse(ctx, buf, size), -EBADMSG);
        size = good_header(buf);

        eh->e_phoff = UINT64_MAX - 8;
        assert_int_equal(parse(ctx, buf, size), -EBADMSG);
        assert_non_null(strstr(memrange_ctx_get_error(ctx), "program headers start at byte"));
        size = good_header(buf);

        eh->e_phentsize = 32;
        assert_int_equal(parse(ctx, buf, size), -EBADMSG);
        assert_string_equal(memrange_ctx_get_error(ctx), "hdr: program header size 32, expected 56");
        size = good_header(buf);

        eh->e_version = 2;
        assert_int_equal(parse(ctx, buf, size), -EBADMSG);

        /* Without a context the verdict is the same. */
        assert_int_equal(memrange_elfcore_parse(NULL, NULL, buf, 10, &(struct memrange_elfcore *) { NULL }), -EBADMSG);
        memrange_ctx_unref(ctx);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(kexec_load_reload_header_matches_the_vmcore),
                cmocka_unit_test(kexec_file_header_matches_the_vmcore),
                cmocka_unit_test(kexec_load_noreload_header_adds_the_hot_added_dimm),
                cmocka_unit_test(x86_header_has_cpu_notes_vmcoreinfo_and_the_default_direct_map),
                cmocka_unit_test(backup_offset_moves_only_the_backup_range),
                cmocka_unit_test(arm64_and_ppc64_headers_use_their_machine_and_direct_map),
                cmocka_unit_test(notes_follow_the_possible_cpus_and_fall_back_to_1024_bytes),
                cmocka_unit_test(kcore_gives_the_kernel_text_and_the_direct_map),
                cmocka_unit_test(malformed_kcore_fails_the_build),
                cmocka_unit_test(more_than_65534_program_headers_are_rejected),
                cmocka_unit_test(readelf_reads_our_headers),
                cmocka_unit_test(parser_rejects_malformed_headers),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
