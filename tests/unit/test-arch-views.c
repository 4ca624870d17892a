/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What memranged hands kexec-tools per architecture (the "views"): arm64's
 * driver-managed RAM as plain System RAM, ppc64's linux,memory-limit when it
 * only reflects boot RAM, and arm64's missing kallsyms "_text" derived from
 * /proc/kcore. Each against the policy that says what kexec-tools then
 * dumps, and each with the case where memranged must not change anything. */
#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crash-check.h"

#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)

#define ARM64 MEMRANGE_DUMP_KEXEC_TOOLS_ARM64
#define VIEW_ARM64 MEMRANGE_DUMP_MEMRANGED_ARM64
#define PPC64 MEMRANGE_DUMP_KEXEC_TOOLS_PPC64
#define VIEW_PPC64 MEMRANGE_DUMP_MEMRANGED_PPC64

static char *render_arch(const struct machine *m, enum memrange_arch arch) {
        char *text = NULL;
        size_t len = 0;

        assert_int_equal(memrange_render_iomem_arch(m->table, m->sources->iomem, arch, &text, &len), 0);
        assert_int_equal(strlen(text), len);
        return text;
}

/* A copy of fixture @name in @s, to change a file or two of. */
static void scratch_copy(struct scratch *s, const char *name) {
        char cmd[768];

        scratch_init(s);
        snprintf(cmd, sizeof(cmd), "cp -r '%s/.' '%s/'", fixture_path(name), s->path);
        assert_int_equal(system(cmd), 0);
}

/* A context over the tree's own capture @name/root (tests/fixtures). */
static struct memrange_ctx *tree_ctx(const char *name) {
        char path[512];
        struct memrange_ctx *ctx = NULL;

        snprintf(path, sizeof(path), "%s/%s/root", TREE_FIXTURES_DIR, name);
        assert_int_equal(memrange_ctx_new(path, &ctx), 0);
        return ctx;
}

/* The PT_LOADs the capture kernel of the tree's capture @name saw (its
 * vmcore-phdrs.txt), the first left out when @skip_text: the kernel text
 * segment of arm64 (ppc64 has none of its own: its text lies in the
 * linear map). */
static size_t tree_vmcore_loads(const char *name, bool skip_text, struct memrange_dump_range *v, size_t max) {
        char path[512], line[256];
        size_t n = 0;
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s/vmcore-phdrs.txt", TREE_FIXTURES_DIR, name);
        f = fopen(path, "re");
        assert_non_null(f);
        while (fgets(line, sizeof(line), f)) {
                unsigned index, type;
                uint64_t paddr, vaddr, memsz, last;

                assert_int_equal(sscanf(line, "PH %u type=%u paddr=%" SCNx64 " vaddr=%" SCNx64 " memsz=%" SCNx64
                                        " end=%" SCNx64, &index, &type, &paddr, &vaddr, &memsz, &last), 6);
                if (type != 1)
                        continue;
                if (skip_text) {
                        skip_text = false;
                        continue;
                }
                assert_true(n < max);
                v[n++] = (struct memrange_dump_range) { .start = paddr, .end = last + 1 };
        }
        fclose(f);
        return n;
}

/* ---------------------------------------------------------------------------
 * arm64: driver-managed RAM
 */

/* Captured in the arm64 vm suite (Debian's 6.12, virtio-mem grown by 1 GiB
 * at 0xc0000000, memranged reloaded once): memranged-arm64 over the saved
 * sysroot is what the capture kernel read; kexec-tools-arm64 (the
 * kernel's own iomem) lacks the GiB. */
static void arm64_captured_virtio_mem_dump_is_the_memranged_arm64_policy(void **state) {
        struct memrange_dump_range want[16];
        size_t n_want = tree_vmcore_loads("arm64-6.12-virtiomem", true, want, 16);
        struct machine m = {};
        struct memrange_dump_ranges *view, *kernel_file;
        _cleanup_(freep) char *text = NULL;

        machine_load_ctx(&m, tree_ctx("arm64-6.12-virtiomem"));
        assert_int_equal(memrange_arch_detect(m.sources), MEMRANGE_ARCH_ARM64);
        view = machine_dump(&m, VIEW_ARM64);
        kernel_file = machine_dump(&m, ARM64);
        assert_ranges_equal(view->ranges, view->n, want, n_want);
        assert_int_equal(want[n_want - 1].start, 3 * GiB);
        assert_int_equal(want[n_want - 1].end, 4 * GiB);
        assert_int_equal(kernel_file->n, view->n - 1);
        assert_true(kernel_file->ranges[kernel_file->n - 1].end <= 3 * GiB);
        text = render_arch(&m, MEMRANGE_ARCH_ARM64);
        assert_non_null(strstr(text, "\nc0000000-ffffffff : System RAM\n"));
        memrange_dump_ranges_free(view);
        memrange_dump_ranges_free(kernel_file);
        machine_done(&m);
}

static bool has_finding(const struct memrange_findings *f, const char *code, uint64_t start, uint64_t end) {
        for (size_t i = 0; i < f->n; i++)
                if (strcmp(f->items[i].code, code) == 0 && f->items[i].start == start && f->items[i].end == end)
                        return true;
        return false;
}

/* Captured in the arm64 vm suite (Debian's 6.12 booted through UEFI and
 * ACPI, an nvdimm made devdax and onlined by kmem: "System RAM (kmem)"
 * 0xc8000000-0xffffffff under dax0.0 under "Persistent Memory"; memranged
 * reloaded once): memranged-arm64 over the saved sysroot is what the
 * capture kernel read. An ACPI machine has no device tree: without the
 * kernel's proc/sys/kernel/arch (the capture script does not save it) the
 * sources look like x86_64; with it they are arm64, whose kexec-tools
 * leaves the kmem RAM out, and verify says so. */
static void arm64_acpi_captured_dax_kmem_dump_is_the_memranged_arm64_policy(void **state) {
        struct memrange_dump_range want[16];
        size_t n_want = tree_vmcore_loads("arm64-6.12-dax-kmem", true, want, 16);
        struct machine guessed = {}, named = {};
        struct memrange_dump_ranges *view, *kernel_file;
        struct scratch s;
        char cmd[768];

        scratch_init(&s);
        snprintf(cmd, sizeof(cmd), "cp -r '%s/arm64-6.12-dax-kmem/root/.' '%s/'", TREE_FIXTURES_DIR, s.path);
        assert_int_equal(system(cmd), 0);
        machine_load_ctx(&guessed, scratch_ctx(&s));
        assert_int_equal(memrange_arch_detect(guessed.sources), MEMRANGE_ARCH_X86_64);
        assert_false(has_finding(guessed.findings, "dump-drops-driver-managed-ram", 0xc8000000, 4 * GiB));

        scratch_write(&s, "proc/sys/kernel/arch", "aarch64\n", (size_t) -1);
        machine_load_ctx(&named, scratch_ctx(&s));
        assert_int_equal(named.sources->arch, MEMRANGE_ARCH_ARM64);
        assert_int_equal(memrange_arch_detect(named.sources), MEMRANGE_ARCH_ARM64);
        view = machine_dump(&named, VIEW_ARM64);
        kernel_file = machine_dump(&named, ARM64);
        assert_ranges_equal(view->ranges, view->n, want, n_want);
        assert_int_equal(want[n_want - 1].start, 0xc8000000);
        assert_int_equal(want[n_want - 1].end, 4 * GiB);
        assert_int_equal(kernel_file->n, view->n - 1);
        assert_true(has_finding(named.findings, "dump-drops-driver-managed-ram", 0xc8000000, 4 * GiB));
        memrange_dump_ranges_free(view);
        memrange_dump_ranges_free(kernel_file);
        machine_done(&guessed);
        machine_done(&named);
        scratch_free(&s);
}

/* virtio-mem RAM (System RAM (virtio_mem) nested under virtio0): plain
 * "System RAM" of its own in the arm64 view, its name kept elsewhere. */
static void arm64_view_names_driver_managed_ram_plain_system_ram(void **state) {
        struct machine m = {};
        _cleanup_(freep) char *arm64 = NULL, *x86 = NULL, *plain = NULL;

        machine_load(&m, "x86_64-6.12-virtiomem/hotplug");
        arm64 = render_arch(&m, MEMRANGE_ARCH_ARM64);
        x86 = render_arch(&m, MEMRANGE_ARCH_X86_64);
        assert_int_equal(memrange_render_iomem(m.table, m.sources->iomem, &plain, NULL), 0);

        assert_non_null(strstr(arm64, "\n100000000-13fffffff : System RAM\n"));
        assert_null(strstr(arm64, "virtio_mem"));
        assert_non_null(strstr(x86, "\n100000000-13fffffff : System RAM (virtio_mem)\n"));
        assert_string_equal(x86, plain);
        assert_int_equal(memrange_render_iomem_arch(m.table, NULL, _MEMRANGE_ARCH_MAX, &plain, NULL), -EINVAL);
        machine_done(&m);
}

/* kexec-tools-arm64 over the view (read back as a machine of its own)
 * dumps what memranged-arm64 says for the real machine: all of its RAM,
 * the virtio-mem GiB included; over the kernel's own file it drops it. */
static void arm64_view_read_back_gives_the_memranged_arm64_ranges(void **state) {
        struct machine m = {}, back = {};
        struct scratch s;
        _cleanup_(freep) char *view = NULL;
        struct memrange_dump_ranges *want, *got, *kernel_file;
        struct memrange_list *dropped = NULL;

        machine_load(&m, "x86_64-6.12-virtiomem/hotplug");
        view = render_arch(&m, MEMRANGE_ARCH_ARM64);
        scratch_init(&s);
        scratch_write(&s, "proc/iomem", view, (size_t) -1);
        machine_load_ctx(&back, scratch_ctx(&s));

        want = machine_dump(&m, VIEW_ARM64);
        got = machine_dump(&back, ARM64);
        kernel_file = machine_dump(&m, ARM64);
        assert_ranges_equal(got->ranges, got->n, want->ranges, want->n);
        assert_int_equal(want->ranges[want->n - 1].start, 4 * GiB);
        assert_int_equal(want->ranges[want->n - 1].end, 5 * GiB);
        assert_int_equal(kernel_file->n, want->n - 1);

        /* Nothing silently lost in the view; the GiB under the kernel's file. */
        assert_int_equal(memrange_dump_ranges_dropped(m.table, want, &dropped), 0);
        assert_int_equal(dropped->n, 0);
        memrange_list_free(dropped);
        assert_int_equal(memrange_dump_ranges_dropped(m.table, kernel_file, &dropped), 0);
        assert_int_equal(dropped->n, 1);
        assert_int_equal(dropped->ranges[0].start, 4 * GiB);
        memrange_list_free(dropped);

        /* An image built from the kernel's file is not one of the view. */
        assert_false(memrange_dump_ranges_equal(kernel_file, want));
        memrange_dump_ranges_free(want);
        memrange_dump_ranges_free(got);
        memrange_dump_ranges_free(kernel_file);
        machine_done(&back);
        machine_done(&m);
        scratch_free(&s);
}

/* Without driver-managed RAM the view changes nothing. */
static void arm64_view_without_driver_managed_ram_equals_the_kernel_file(void **state) {
        struct machine m = {};
        _cleanup_(freep) char *view = NULL, *plain = NULL;
        struct memrange_dump_ranges *a, *v;

        machine_load(&m, "arm64-6.12-virt/boot");
        view = render_arch(&m, MEMRANGE_ARCH_ARM64);
        assert_int_equal(memrange_render_iomem(m.table, m.sources->iomem, &plain, NULL), 0);
        assert_string_equal(view, plain);
        a = machine_dump(&m, ARM64);
        v = machine_dump(&m, VIEW_ARM64);
        assert_true(memrange_dump_ranges_equal(a, v));
        assert_int_equal(v->policy, VIEW_ARM64);
        memrange_dump_ranges_free(a);
        memrange_dump_ranges_free(v);
        machine_done(&m);
}

/* ---------------------------------------------------------------------------
 * ppc64: linux,memory-limit
 */

static const uint8_t limit_2g[8] = { 0, 0, 0, 0, 0x80, 0, 0, 0 };
static const uint8_t limit_1g[8] = { 0, 0, 0, 0, 0x40, 0, 0, 0 };
#define LIMIT_PATH "proc/device-tree/chosen/linux,memory-limit"

/* Captured in the ppc64le vm suite (Debian's 6.12, a 1 GiB pc-dimm added by
 * DLPAR at 0x80000000, kdump loaded at boot with kexec -p, no memranged):
 * linux,memory-limit reads 0x80000000 without mem=, and the capture kernel
 * read exactly kexec-tools-ppc64 (the LMBs cut off) plus the RTAS page
 * kexec-tools copies from inside the crash region; memranged-ppc64 holds
 * the LMBs too. */
static void ppc64_captured_612_dump_is_cut_at_the_memory_limit(void **state) {
        struct memrange_dump_range got[16], outside[16];
        size_t n_got = tree_vmcore_loads("ppc64le-6.12-dimm-nomemranged", false, got, 16), n_outside = 0;
        struct machine m = {};
        struct memrange_dump_ranges *k, *v;
        const struct memrange_devicetree *dt;

        machine_load_ctx(&m, tree_ctx("ppc64le-6.12-dimm-nomemranged"));
        dt = m.sources->devicetree;
        assert_int_equal(dt->memory_limit, 2 * GiB);
        assert_true(dt->memory_limit_boot_only);
        for (size_t i = 0; i < n_got; i++)
                if (!(got[i].start >= dt->crashkernel.start && got[i].end <= dt->crashkernel.end))
                        outside[n_outside++] = got[i];
        k = machine_dump(&m, PPC64);
        v = machine_dump(&m, VIEW_PPC64);
        assert_ranges_equal(k->ranges, k->n, outside, n_outside);
        assert_int_equal(k->ranges[k->n - 1].end, 2 * GiB);
        /* The view: the same, the last range running on over the LMBs. */
        assert_int_equal(v->n, k->n);
        assert_ranges_equal(v->ranges, v->n - 1, k->ranges, k->n - 1);
        assert_int_equal(v->ranges[v->n - 1].start, k->ranges[k->n - 1].start);
        assert_int_equal(v->ranges[v->n - 1].end, 3 * GiB);
        memrange_dump_ranges_free(k);
        memrange_dump_ranges_free(v);
        machine_done(&m);
}

/* The 6.1 fixture: the property reads 0, nothing is limited. */
static void ppc64_memory_limit_zero_limits_nothing(void **state) {
        struct machine m = {};
        struct memrange_dump_ranges *k, *v;

        machine_load(&m, "ppc64le-6.1-pseries/hotplug");
        assert_int_equal(m.sources->devicetree->memory_limit, 0);
        k = machine_dump(&m, PPC64);
        v = machine_dump(&m, VIEW_PPC64);
        assert_true(memrange_dump_ranges_equal(k, v));
        assert_int_equal(k->ranges[k->n - 1].end, 3 * GiB);
        memrange_dump_ranges_free(k);
        memrange_dump_ranges_free(v);
        machine_done(&m);
}

/* As 6.12 publishes it after a hot-add: the end of boot RAM, no mem=.
 * kexec-tools drops the four LMBs; memranged's view reads 0 for it. */
static void ppc64_boot_ram_memory_limit_is_neutralised_in_the_view(void **state) {
        struct machine m = {};
        struct scratch s;
        struct memrange_dump_ranges *k, *v;
        struct memrange_list *dropped = NULL;

        scratch_copy(&s, "ppc64le-6.1-pseries/hotplug");
        scratch_write(&s, LIMIT_PATH, limit_2g, sizeof(limit_2g));
        machine_load_ctx(&m, scratch_ctx(&s));
        assert_int_equal(m.sources->devicetree->memory_limit, 2 * GiB);
        assert_true(m.sources->devicetree->memory_limit_boot_only);

        k = machine_dump(&m, PPC64);
        v = machine_dump(&m, VIEW_PPC64);
        assert_int_equal(k->ranges[k->n - 1].end, 2 * GiB);
        assert_int_equal(v->ranges[v->n - 1].end, 3 * GiB);
        assert_int_equal(memrange_dump_ranges_dropped(m.table, k, &dropped), 0);
        assert_int_equal(dropped->n, 1);
        assert_int_equal(dropped->ranges[0].start, 2 * GiB);
        assert_int_equal(dropped->ranges[0].end, 3 * GiB);
        memrange_list_free(dropped);
        assert_int_equal(memrange_dump_ranges_dropped(m.table, v, &dropped), 0);
        assert_int_equal(dropped->n, 0);
        memrange_list_free(dropped);
        /* verify shows it: a warning, RAM lies above it. */
        {
                const struct memrange_finding *f = NULL;

                for (size_t i = 0; i < m.findings->n; i++)
                        if (strcmp(m.findings->items[i].code, "dump-memory-limit") == 0)
                                f = &m.findings->items[i];
                assert_non_null(f);
                assert_int_equal(f->severity, MEMRANGE_SEVERITY_WARNING);
                assert_int_equal(f->start, 2 * GiB);
                assert_non_null(strstr(f->message, "1024 MiB of RAM there now"));
                assert_non_null(strstr(f->message, "only reflects the RAM present at boot"));
        }
        memrange_dump_ranges_free(k);
        memrange_dump_ranges_free(v);
        machine_done(&m);
        scratch_free(&s);
}

/* A limit someone asked for (mem= on the command line), or one that cuts
 * the boot memory node, is kept in the view too. */
static void ppc64_asked_for_memory_limit_is_kept(void **state) {
        static const struct {
                const uint8_t *limit;
                const char *cmdline;
                uint64_t end;
        } cases[] = {
                { limit_2g, "console=hvc0 mem=2G crashkernel=256M\n", 2 * GiB },
                { limit_1g, "console=hvc0 crashkernel=256M\n", 1 * GiB },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct machine m = {};
                struct scratch s;
                struct memrange_dump_ranges *k, *v;

                scratch_copy(&s, "ppc64le-6.1-pseries/hotplug");
                scratch_write(&s, LIMIT_PATH, cases[i].limit, 8);
                scratch_write(&s, "proc/cmdline", cases[i].cmdline, (size_t) -1);
                machine_load_ctx(&m, scratch_ctx(&s));
                assert_false(m.sources->devicetree->memory_limit_boot_only);
                k = machine_dump(&m, PPC64);
                v = machine_dump(&m, VIEW_PPC64);
                assert_true(memrange_dump_ranges_equal(k, v));
                assert_int_equal(v->ranges[v->n - 1].end, cases[i].end);
                memrange_dump_ranges_free(k);
                memrange_dump_ranges_free(v);
                machine_done(&m);
                scratch_free(&s);
        }
}

/* ---------------------------------------------------------------------------
 * arm64: kallsyms without _text
 */

#define STEXT UINT64_C(0xffff800008010000)
#define TEXT UINT64_C(0xffff800008000000)
#define TEXT_PHYS UINT64_C(0x40200000)

struct kcore_seg {
        uint64_t vaddr, paddr, size;
};

/* The ELF header of an arm64 /proc/kcore with @phnum program headers at
 * @phoff. */
static Elf64_Ehdr kcore_ehdr(uint16_t phnum, uint64_t phoff) {
        Elf64_Ehdr eh = {
                .e_type = ET_CORE,
                .e_machine = EM_AARCH64,
                .e_version = EV_CURRENT,
                .e_phoff = phoff,
                .e_ehsize = sizeof(Elf64_Ehdr),
                .e_phentsize = sizeof(Elf64_Phdr),
                .e_phnum = phnum,
        };

        memcpy(eh.e_ident, ELFMAG, SELFMAG);
        eh.e_ident[EI_CLASS] = ELFCLASS64;
        eh.e_ident[EI_DATA] = ELFDATA2LSB;
        eh.e_ident[EI_VERSION] = EV_CURRENT;
        return eh;
}

/* An arm64 /proc/kcore's headers (no memory behind them). */
static void write_kcore(struct scratch *s, const struct kcore_seg *segs, size_t n) {
        uint8_t buf[sizeof(Elf64_Ehdr) + 8 * sizeof(Elf64_Phdr)] = {};
        Elf64_Ehdr eh = kcore_ehdr((uint16_t) (n + 1), sizeof(Elf64_Ehdr));

        assert_true(n < 8);
        memcpy(buf, &eh, sizeof(eh));
        /* The note kcore starts with, then the segments. */
        Elf64_Phdr note = { .p_type = PT_NOTE, .p_offset = 0x1000, .p_filesz = 0x100 };
        memcpy(buf + sizeof(eh), &note, sizeof(note));
        for (size_t i = 0; i < n; i++) {
                Elf64_Phdr ph = {
                        .p_type = PT_LOAD,
                        .p_flags = PF_R | PF_W | PF_X,
                        .p_offset = segs[i].vaddr + 0x1000,
                        .p_vaddr = segs[i].vaddr,
                        .p_paddr = segs[i].paddr,
                        .p_filesz = segs[i].size,
                        .p_memsz = segs[i].size,
                        .p_align = 0x1000,
                };
                memcpy(buf + sizeof(eh) + (i + 1) * sizeof(ph), &ph, sizeof(ph));
        }
        scratch_write(s, "proc/kcore", buf, sizeof(eh) + (n + 1) * sizeof(Elf64_Phdr));
}

/* What Debian's arm64 6.1 shows: vmalloc (no physical address, holds the
 * image too), the kernel text [_text, _end), the linear map of RAM. */
static const struct kcore_seg kcore_61[] = {
        { UINT64_C(0xffff800008000000), UINT64_MAX, UINT64_C(0x7bdf70000000) },
        { TEXT, TEXT_PHYS, UINT64_C(0x2130000) },
        { UINT64_C(0xffff000000000000), UINT64_C(0x40000000), 2 * GiB },
};

static const char kallsyms_61[] = "ffff800008000000 t __efistub_efi_pe_entry\n"
                                  "ffff800008010000 T _stext\n"
                                  "ffff800008010000 t __do_softirq\n"
                                  "ffff800008020000 T __cpu_setup\tfakemod\n";

static const char iomem_61[] = "40000000-bfffffff : System RAM\n"
                               "  40210000-41efffff : Kernel code\n"
                               "  41f00000-4286ffff : reserved\n"
                               "  42870000-42d2ffff : Kernel data\n";

static int kallsyms_view(struct scratch *s, char **ret_text) {
        struct machine m = {};
        int r;

        machine_load_ctx(&m, scratch_ctx(s));
        r = memrange_kallsyms_view(m.ctx, m.sources->iomem, ret_text, NULL);
        machine_done(&m);
        return r;
}

static void kallsyms_with_text_needs_no_view(void **state) {
        struct scratch s;
        char *text = (char *) "untouched";

        scratch_init(&s);
        scratch_write(&s, "proc/iomem", iomem_61, (size_t) -1);
        scratch_write(&s, "proc/kallsyms", "ffff800008000000 T _text\nffff800008010000 T _stext\n", (size_t) -1);
        assert_int_equal(kallsyms_view(&s, &text), 0);
        assert_null(text);
        scratch_free(&s);
}

/* _text from kcore's text segment, checked against Kernel code at
 * _stext's physical address (6.1) or _text's (6.12). */
static void kallsyms_without_text_gets_it_from_the_kcore_text_segment(void **state) {
        static const char *const iomems[] = {
                iomem_61,
                "40000000-bfffffff : System RAM\n  40200000-41efffff : Kernel code\n",
        };

        for (size_t i = 0; i < 2; i++) {
                struct scratch s;
                _cleanup_(freep) char *text = NULL;

                scratch_init(&s);
                scratch_write(&s, "proc/iomem", iomems[i], (size_t) -1);
                scratch_write(&s, "proc/kallsyms", kallsyms_61, (size_t) -1);
                write_kcore(&s, kcore_61, 3);
                assert_int_equal(kallsyms_view(&s, &text), 1);
                assert_string_equal(text, "ffff800008000000 T _text\nffff800008010000 T _stext\n");
                scratch_free(&s);
        }
}

static void kallsyms_view_refuses_what_it_cannot_derive(void **state) {
        static const struct kcore_seg text_elsewhere[] = {
                { TEXT, TEXT_PHYS + 2 * MiB, UINT64_C(0x2130000) },
        };
        static const struct kcore_seg two_hold_stext[] = {
                { TEXT, TEXT_PHYS, UINT64_C(0x2130000) },
                { TEXT + 0x8000, TEXT_PHYS + 0x8000, UINT64_C(0x100000) },
        };
        static const struct kcore_seg vmalloc_only[] = {
                { UINT64_C(0xffff800008000000), UINT64_MAX, UINT64_C(0x7bdf70000000) },
                { UINT64_C(0xffff000000000000), UINT64_C(0x40000000), 2 * GiB },
        };
        static const struct {
                const char *kallsyms;
                const struct kcore_seg *kcore;
                size_t n_kcore;
                int error;
        } cases[] = {
                /* kptr_restrict or no CAP_SYSLOG: every address 0 */
                { "0000000000000000 T _stext\n", kcore_61, 3, -EADDRNOTAVAIL },
                { "0000000000000000 T _text\n", kcore_61, 3, -EADDRNOTAVAIL },
                { "ffff800008010000 t __do_softirq\n", kcore_61, 3, -ENOENT },
                { kallsyms_61, NULL, 0, -ENOENT },               /* no kcore */
                { kallsyms_61, vmalloc_only, 2, -ENOENT },       /* no text segment */
                { kallsyms_61, text_elsewhere, 1, -EBADMSG },    /* iomem disagrees */
                { kallsyms_61, two_hold_stext, 2, -EBADMSG },    /* ambiguous */
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct scratch s;
                char *text = (char *) "untouched";

                scratch_init(&s);
                scratch_write(&s, "proc/iomem", iomem_61, (size_t) -1);
                scratch_write(&s, "proc/kallsyms", cases[i].kallsyms, (size_t) -1);
                if (cases[i].kcore)
                        write_kcore(&s, cases[i].kcore, cases[i].n_kcore);
                assert_int_equal(kallsyms_view(&s, &text), cases[i].error);
                assert_string_equal(text, "untouched");
                scratch_free(&s);
        }
}

/* A kcore ELF header with no program headers and a wild e_phoff (found
 * by fuzz-kallsyms: the reader sized its buffer from e_phoff, 32 GiB): no
 * text segment, and nothing read or allocated past the header. */
static void kallsyms_view_kcore_without_program_headers(void **state) {
        Elf64_Ehdr eh = kcore_ehdr(0, UINT64_C(0x800000000));
        char *text = (char *) "untouched";
        struct scratch s;

        scratch_init(&s);
        scratch_write(&s, "proc/iomem", iomem_61, (size_t) -1);
        scratch_write(&s, "proc/kallsyms", kallsyms_61, (size_t) -1);
        scratch_write(&s, "proc/kcore", &eh, sizeof(eh));
        assert_int_equal(kallsyms_view(&s, &text), -ENOENT);
        assert_string_equal(text, "untouched");
        scratch_free(&s);
}

/* Captured in the arm64 vm suite (Debian's 6.1, no _text in kallsyms;
 * kallsyms' _stext/_etext lines and the first 32 KiB of /proc/kcore kept
 * beside the sysroot): the view's _text is what the crashed kernel's
 * capture used as the kernel text vaddr (checked there against
 * kimage_voffset), and the capture kernel read the new GiB. */
static void arm64_captured_61_kallsyms_view_gives_the_text_the_dump_used(void **state) {
        struct memrange_dump_range want[16];
        size_t n_want = tree_vmcore_loads("arm64-6.1-virtiomem", true, want, 16);
        struct machine m = {};
        struct memrange_dump_ranges *view;
        _cleanup_(freep) char *text = NULL;

        machine_load_ctx(&m, tree_ctx("arm64-6.1-virtiomem"));
        assert_int_equal(memrange_kallsyms_view(m.ctx, m.sources->iomem, &text, NULL), 1);
        assert_string_equal(text, "ffffb97c6f200000 T _text\nffffb97c6f210000 T _stext\n");
        view = machine_dump(&m, VIEW_ARM64);
        assert_ranges_equal(view->ranges, view->n, want, n_want);
        assert_int_equal(want[n_want - 1].start, 3 * GiB);
        memrange_dump_ranges_free(view);
        machine_done(&m);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(arm64_view_names_driver_managed_ram_plain_system_ram),
                cmocka_unit_test(arm64_captured_virtio_mem_dump_is_the_memranged_arm64_policy),
                cmocka_unit_test(arm64_acpi_captured_dax_kmem_dump_is_the_memranged_arm64_policy),
                cmocka_unit_test(arm64_view_read_back_gives_the_memranged_arm64_ranges),
                cmocka_unit_test(arm64_view_without_driver_managed_ram_equals_the_kernel_file),
                cmocka_unit_test(ppc64_captured_612_dump_is_cut_at_the_memory_limit),
                cmocka_unit_test(ppc64_memory_limit_zero_limits_nothing),
                cmocka_unit_test(ppc64_boot_ram_memory_limit_is_neutralised_in_the_view),
                cmocka_unit_test(ppc64_asked_for_memory_limit_is_kept),
                cmocka_unit_test(kallsyms_with_text_needs_no_view),
                cmocka_unit_test(arm64_captured_61_kallsyms_view_gives_the_text_the_dump_used),
                cmocka_unit_test(kallsyms_without_text_gets_it_from_the_kcore_text_segment),
                cmocka_unit_test(kallsyms_view_refuses_what_it_cannot_derive),
                cmocka_unit_test(kallsyms_view_kcore_without_program_headers),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
