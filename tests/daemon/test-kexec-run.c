/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reload children on a real sd-event loop: exit status, output tail,
 * environment, spawn errors, the timeout that kills the process group,
 * the private mount namespace with the table's iomem (as root), and the
 * reload loop running one reload per change and retrying a failure after
 * its backoff. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "kexec-run.h"
#include "reload-loop.h"
#include "reload-test-util.h"

struct job_outcome {
        bool done;
        struct kexec_job_result r;
};

static void on_done(struct kexec_job *job, struct kexec_job_result *r, void *userdata) {
        struct job_outcome *o = userdata;

        o->done = true;
        o->r = *r;
        r->namespace_error = r->output = NULL; /* stolen */
}

/* Runs @spec to its end on a fresh loop. */
static void run_job(const struct kexec_job_spec *spec, struct job_outcome *o) {
        struct kexec_job *job = NULL;
        sd_event *event;

        *o = (struct job_outcome) {};
        assert_int_equal(kexec_run_block_sigchld(), 0);
        assert_int_equal(sd_event_new(&event), 0);
        assert_int_equal(kexec_job_start(event, spec, on_done, o, &job), 0);
        while (!o->done)
                if (sd_event_run(event, 10 * SEC) == 0)
                        fail_msg("the child did not end within 10 s");
        kexec_job_free(job);
        sd_event_unref(event);
}

static void sh(const char *script, struct kexec_job_spec *spec, char **argv) {
        argv[0] = "sh"; /* found in PATH */
        argv[1] = "-c";
        argv[2] = (char *) script;
        argv[3] = NULL;
        *spec = (struct kexec_job_spec) { .argv = argv, .timeout = 10 * SEC };
}

/* ---------------------------------------------------------------------------
 * Children
 */

static void exit_status_and_the_output_tail_are_captured(void **state) {
        struct kexec_job_spec spec;
        struct job_outcome o;
        char *argv[4];

        sh("echo out; echo err >&2; exit 3", &spec, argv);
        run_job(&spec, &o);
        assert_int_equal(o.r.spawn_error, 0);
        assert_int_equal(o.r.exit_status, 3);
        assert_int_equal(o.r.signal, 0);
        assert_false(o.r.timed_out);
        assert_string_equal(o.r.output, "out\nerr");
        assert_false(o.r.namespace_used);
        assert_null(o.r.namespace_error); /* no namespace asked for */
        assert_true(o.r.duration > 0);
        kexec_job_result_clear(&o.r);
}

static void extra_environment_reaches_the_command(void **state) {
        char *env[] = { "MEMRANGED_GENERATION=7", NULL };
        struct kexec_job_spec spec;
        struct job_outcome o;
        char *argv[4];

        sh("printf '%s' \"$MEMRANGED_GENERATION\"", &spec, argv);
        spec.env = env;
        run_job(&spec, &o);
        assert_int_equal(o.r.exit_status, 0);
        assert_string_equal(o.r.output, "7");
        kexec_job_result_clear(&o.r);
}

static void missing_program_is_a_spawn_error(void **state) {
        char *argv[] = { "/nonexistent/kexec", "-p", NULL };
        struct job_outcome o;

        run_job(&(const struct kexec_job_spec) { .argv = argv }, &o);
        assert_int_equal(o.r.spawn_error, -ENOENT);
        /* 127 from the child; under valgrind its leak check (run in the
         * forked child at _exit) may replace the code: not 0 is enough. */
        assert_int_not_equal(o.r.exit_status, 0);
        assert_null(o.r.output);
        kexec_job_result_clear(&o.r);
}

static bool process_gone(pid_t pid) {
        char path[64], stat[256] = "";
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        f = fopen(path, "re");
        if (!f)
                return true;
        if (!fgets(stat, sizeof(stat), f))
                stat[0] = '\0';
        fclose(f);
        /* A zombie waiting for init to reap it is gone too. */
        return strstr(stat, ") Z ") != NULL;
}

/* The pid in @path, or 0 when the file is missing or still empty. */
static pid_t read_pid(const char *path) {
        FILE *f = fopen(path, "re");
        int pid = 0;

        if (!f)
                return 0;
        if (fscanf(f, "%d", &pid) != 1)
                pid = 0;
        fclose(f);
        return (pid_t) pid;
}

static void timeout_kills_the_whole_process_group(void **state) {
        struct scratch dir;
        struct kexec_job_spec spec;
        struct job_outcome o;
        char script[512], path[300], *argv[4];
        pid_t grandchild = 0;
        bool gone = false;

        scratch_init(&dir);
        snprintf(path, sizeof(path), "%s/pid", dir.path);
        snprintf(script, sizeof(script), "sleep 30 & echo $! > %s; wait", path);
        sh(script, &spec, argv);
        /* The timeout may strike before the shell started its sleep (a
         * loaded machine, valgrind): then there is no grandchild to check,
         * and the job runs again with twice the time. */
        for (spec.timeout = 200 * MS; !grandchild; spec.timeout *= 2) {
                assert_true(spec.timeout <= 7 * SEC); /* run_job waits 10 s */
                run_job(&spec, &o);
                assert_true(o.r.timed_out);
                assert_int_equal(o.r.signal, SIGKILL);
                assert_int_equal(o.r.exit_status, -1);
                assert_true(o.r.duration >= spec.timeout);
                assert_null(o.r.output);
                kexec_job_result_clear(&o.r);
                grandchild = read_pid(path);
        }
        /* The sleep in the background went with the shell. */
        for (unsigned i = 0; i < 1000 && !gone; i++) {
                gone = process_gone(grandchild);
                if (!gone)
                        usleep(10 * 1000);
        }
        assert_true(gone);
        scratch_free(&dir);
}

static void long_output_keeps_its_last_whole_lines(void **state) {
        struct kexec_job_spec spec;
        struct job_outcome o;
        char *argv[4];
        size_t len;

        sh("i=1; while [ $i -le 1000 ]; do echo \"line $i\"; i=$((i + 1)); done", &spec, argv);
        run_job(&spec, &o);
        assert_int_equal(o.r.exit_status, 0);
        len = strlen(o.r.output);
        assert_true(len > KEXEC_OUTPUT_TAIL / 2 && len <= KEXEC_OUTPUT_TAIL);
        assert_int_equal(strncmp(o.r.output, "line ", 5), 0); /* a whole first line */
        assert_string_equal(o.r.output + len - 9, "line 1000");
        assert_null(strstr(o.r.output, "line 1\n"));
        kexec_job_result_clear(&o.r);
}

/* ---------------------------------------------------------------------------
 * The private mount namespace (root only: unshare(CLONE_NEWNS) and mount
 * need CAP_SYS_ADMIN)
 */

static char *read_text(const char *path) {
        struct memrange_ctx *ctx;
        char *text;

        assert_int_equal(memrange_ctx_new("/", &ctx), 0);
        assert_int_equal(mr_read_file(ctx, path, 1u << 20, &text, NULL), 0);
        memrange_ctx_unref(ctx);
        return text;
}

/* The rendering of the DIMM hot-add's table, as the daemon hands it out. */
static char *rendered_hotplug(size_t *ret_len) {
        struct memrange_ctx *ctx = fixture_ctx("x86_64-6.1-dimm/hotplug");
        struct memrange_sources *sources;
        struct memrange_table *table;
        struct memrange_findings *findings;
        char *text;

        assert_int_equal(memrange_sources_read(ctx, &sources), 0);
        assert_int_equal(memrange_reconcile(ctx, sources, &table, &findings), 0);
        assert_int_equal(memrange_render_iomem(table, sources->iomem, &text, ret_len), 0);
        memrange_table_free(table);
        memrange_findings_free(findings);
        memrange_sources_free(sources);
        memrange_ctx_unref(ctx);
        return text;
}

static void rendering_covers_proc_iomem_for_the_child_alone(void **state) {
        char *argv[] = { "cat", "/proc/iomem", NULL };
        struct kexec_job_spec spec = { .argv = argv, .timeout = 10 * SEC };
        struct job_outcome o;
        char *text, *host;
        size_t len;

        if (geteuid() != 0)
                skip();
        text = rendered_hotplug(&len);
        assert_non_null(strstr(text, "100000000-13fffffff : System RAM\n"));
        spec.iomem = text;
        spec.iomem_len = len;
        run_job(&spec, &o);
        assert_int_equal(o.r.exit_status, 0);
        assert_true(o.r.namespace_used);
        assert_null(o.r.namespace_error);
        /* cat saw exactly the rendering (the tail drops its last newline). */
        assert_true(len <= KEXEC_OUTPUT_TAIL);
        assert_int_equal(strlen(o.r.output), len - 1);
        assert_memory_equal(o.r.output, text, len - 1);
        /* Nothing leaked into our mount namespace. */
        host = read_text("/proc/iomem");
        assert_string_not_equal(host, text);
        free(host);
        kexec_job_result_clear(&o.r);
        free(text);
}

/* The views (arm64 kallsyms, ppc64 memory limit) cover their files next
 * to the rendering, for the child alone. */
static void views_cover_their_files_for_the_child_alone(void **state) {
        static const char kallsyms[] = "ffff800008000000 T _text\nffff800008010000 T _stext\n";
        const struct kexec_view views[] = {
                { .target = "/proc/kallsyms", .text = kallsyms, .len = sizeof(kallsyms) - 1 },
                { .target = "/proc/version", .text = "not a version\n", .len = 14 },
        };
        char *argv[4];
        struct kexec_job_spec spec;
        struct job_outcome o;
        char *host;

        if (geteuid() != 0)
                skip();
        sh("head -n 2 /proc/kallsyms; cat /proc/version; head -n 1 /proc/iomem", &spec, argv);
        spec.iomem = "00000000-00000fff : Reserved\n";
        spec.iomem_len = strlen(spec.iomem);
        spec.views = views;
        spec.n_views = 2;
        run_job(&spec, &o);
        assert_int_equal(o.r.exit_status, 0);
        assert_true(o.r.namespace_used);
        assert_string_equal(o.r.output, "ffff800008000000 T _text\nffff800008010000 T _stext\nnot a version\n"
                                        "00000000-00000fff : Reserved");
        host = read_text("/proc/version");
        assert_null(strstr(host, "not a version"));
        free(host);
        kexec_job_result_clear(&o.r);
}

static void unusable_target_runs_plainly_and_says_why(void **state) {
        static const char text[] = "00000000-00000fff : Reserved\n";
        char *argv[] = { "sh", "-c", "echo ran", NULL };
        struct job_outcome o;

        if (geteuid() != 0)
                skip();
        run_job(&(const struct kexec_job_spec) {
                        .argv = argv,
                        .iomem = text,
                        .iomem_len = sizeof(text) - 1,
                        .proc_iomem = "/nonexistent-memranged/iomem",
                },
                &o);
        assert_int_equal(o.r.exit_status, 0);
        assert_string_equal(o.r.output, "ran");
        assert_false(o.r.namespace_used);
        assert_string_equal(o.r.namespace_error,
                            "bind-mounting the rendering over /proc/iomem: No such file or directory");
        kexec_job_result_clear(&o.r);
}

static void without_privileges_the_child_runs_plainly_and_says_why(void **state) {
        static const char text[] = "00000000-00000fff : Reserved\n";
        char *argv[] = { "true", NULL };
        struct job_outcome o;

        if (geteuid() == 0)
                skip();
        run_job(&(const struct kexec_job_spec) { .argv = argv, .iomem = text, .iomem_len = sizeof(text) - 1 }, &o);
        assert_int_equal(o.r.exit_status, 0);
        assert_false(o.r.namespace_used);
        assert_string_equal(o.r.namespace_error, "unshare(CLONE_NEWNS): Operation not permitted");
        kexec_job_result_clear(&o.r);
}

/* ---------------------------------------------------------------------------
 * The reload loop
 */

struct loop_test {
        sd_event *event;
        struct reload_loop *loop;
        unsigned idle;
        unsigned renders;
        /* What each ended attempt left, in order. */
        bool success[4];
        usec_t started[4], ended[4], retry_at[4];
        char *output[4];
};

static int render(void *userdata, char **ret_text, size_t *ret_len) {
        struct loop_test *t = userdata;

        t->renders++;
        *ret_text = strdup("00000000-00000fff : Reserved\n");
        assert_non_null(*ret_text);
        *ret_len = strlen(*ret_text);
        return 0;
}

static void on_idle(void *userdata) {
        struct loop_test *t = userdata;
        const struct reload_attempt *a = &reload_loop_engine(t->loop)->last;

        assert_true(t->idle < ELEMENTSOF(t->success));
        t->success[t->idle] = a->success;
        t->started[t->idle] = a->started;
        t->ended[t->idle] = a->started + a->duration;
        t->retry_at[t->idle] = reload_loop_engine(t->loop)->retry_at;
        t->output[t->idle] = a->output ? strdup(a->output) : NULL;
        t->idle++;
}

static const struct reload_loop_ops ops = { .render = render, .idle = on_idle };

/* A loop whose plan is Mode=command with @command (memranged.conf's path). */
static void loop_new(struct loop_test *t, struct scratch *root, const char *command) {
        struct memrange_ctx *ctx;
        struct kexec_plan plan;
        struct config c;
        char conf[1024];

        *t = (struct loop_test) {};
        config_init(&c);
        snprintf(conf, sizeof(conf), "[Kdump]\nMode=command\nCommand=%s\nMaxBackoffSec=4s\n", command);
        assert_int_equal(config_parse(&c, "memranged.conf", conf), 0);
        ctx = scratch_ctx(root);
        assert_int_equal(kexec_plan_build(&(const struct kexec_plan_input) { .kdump = &c.kdump, .config_name = "t",
                                                                              .ctx = ctx, .release = "6.1" },
                                          &plan),
                         0);
        config_done(&c);
        memrange_ctx_unref(ctx);
        assert_int_equal(kexec_run_block_sigchld(), 0);
        assert_int_equal(sd_event_new(&t->event), 0);
        assert_int_equal(reload_loop_new(t->event, &plan, &ops, t, &t->loop), 0);
}

static void loop_run_until(struct loop_test *t, unsigned idle) {
        while (t->idle < idle)
                if (sd_event_run(t->event, 10 * SEC) == 0)
                        fail_msg("no reload ended within 10 s");
}

static void loop_free(struct loop_test *t) {
        reload_loop_free(t->loop);
        sd_event_unref(t->event);
        for (size_t i = 0; i < ELEMENTSOF(t->output); i++)
                free(t->output[i]);
}

static void loop_runs_one_reload_per_change_with_the_generation_in_its_environment(void **state) {
        struct scratch root;
        struct loop_test t;
        char command[512], path[300], *log;

        scratch_init(&root);
        snprintf(command, sizeof(command), "echo \"$MEMRANGED_GENERATION\" >> %s/log", root.path);
        scratch_write(&root, "log", "", 0);
        loop_new(&t, &root, command);
        assert_int_equal(reload_loop_observe(t.loop, 1, ranges_to(512 * MiB), 1, 0), RELOAD_DECISION_UNCHANGED);
        assert_false(reload_loop_busy(t.loop));
        assert_int_equal(reload_loop_observe(t.loop, 2, ranges_to(1024 * MiB), 1, 0), RELOAD_DECISION_NEEDED);
        assert_true(reload_loop_busy(t.loop));
        assert_string_equal(reload_engine_state(reload_loop_engine(t.loop)), "reloading");
        loop_run_until(&t, 1);
        assert_true(t.success[0]);
        assert_int_equal(t.renders, 1);
        snprintf(path, sizeof(path), "%s/log", root.path);
        log = read_text(path);
        assert_string_equal(log, "2\n");
        free(log);
        assert_int_equal(reload_loop_engine(t.loop)->stats.reloads, 1);
        assert_int_equal(reload_loop_engine(t.loop)->image.generation, 2);
        assert_string_equal(reload_engine_state(reload_loop_engine(t.loop)), "up to date");
        loop_free(&t);
        scratch_free(&root);
}

static void loop_retries_a_failed_reload_after_its_backoff(void **state) {
        struct scratch root;
        struct loop_test t;
        char command[1024];
        const struct reload_engine *e;

        scratch_init(&root);
        /* Fails the first time (no flag yet), succeeds the second. */
        snprintf(command, sizeof(command),
                 "if [ -e %s/flag ]; then echo loaded; exit 0; fi; : > %s/flag; echo 'kexec_load failed' >&2; exit 1",
                 root.path, root.path);
        loop_new(&t, &root, command);
        (void) reload_loop_observe(t.loop, 1, ranges_to(512 * MiB), 1, 0);
        assert_int_equal(reload_loop_observe(t.loop, 2, ranges_to(1024 * MiB), 1, 0), RELOAD_DECISION_NEEDED);
        loop_run_until(&t, 1);
        e = reload_loop_engine(t.loop);
        assert_false(t.success[0]);
        assert_string_equal(t.output[0], "kexec_load failed");
        assert_string_equal(e->last.error, "exit status 1");
        assert_int_equal(e->last.exit_status, 1);
        assert_false(reload_loop_busy(t.loop));
        assert_string_equal(reload_engine_state(e), "stale");
        loop_run_until(&t, 2);
        assert_true(t.success[1]);
        assert_string_equal(t.output[1], "loaded");
        /* The retry was due after the first backoff step, 1 s (the next
         * step is 2 s), and did not start before. How late it started
         * depends on the machine's load, so that is not checked. */
        assert_true(t.retry_at[0] >= t.ended[0] + SEC);
        assert_true(t.retry_at[0] < t.ended[0] + 2 * SEC);
        assert_true(t.started[1] >= t.retry_at[0]);
        assert_int_equal(t.retry_at[1], 0); /* a success retries nothing */
        assert_int_equal(e->stats.failures, 1);
        assert_int_equal(e->stats.reloads, 1);
        assert_int_equal(e->image.generation, 2);
        loop_free(&t);
        scratch_free(&root);
}

/* What one waiter of reload_loop_request() was told. */
struct waiter {
        unsigned calls;
        bool got_outcome, attempted, success;
};

static void on_waiter_done(const struct reload_outcome *outcome, void *userdata) {
        struct waiter *w = userdata;

        w->calls++;
        w->got_outcome = outcome != NULL;
        if (outcome) {
                w->attempted = outcome->attempted;
                w->success = outcome->attempt && outcome->attempt->success;
        }
}

static void loop_tells_waiters_the_outcome_unless_they_cancel(void **state) {
        struct waiter told = {}, cancelled = {}, unanswered = {};
        struct reload_wait *h_told, *h_cancelled, *h_unanswered;
        struct scratch root;
        struct loop_test t;

        scratch_init(&root);
        loop_new(&t, &root, "true");
        (void) reload_loop_observe(t.loop, 1, ranges_to(512 * MiB), 1, 0);
        assert_int_equal(reload_loop_request(t.loop, true, on_waiter_done, &told, &h_told), 0);
        assert_int_equal(reload_loop_request(t.loop, true, on_waiter_done, &cancelled, &h_cancelled), 0);
        assert_non_null(h_told);
        assert_null(reload_wait_cancel(h_cancelled));
        loop_run_until(&t, 1);
        assert_int_equal(told.calls, 1);
        assert_true(told.got_outcome && told.attempted && told.success);
        assert_int_equal(cancelled.calls, 0);
        /* Waiting when the loop goes: told, without an outcome. */
        assert_int_equal(reload_loop_request(t.loop, true, on_waiter_done, &unanswered, &h_unanswered), 0);
        assert_int_equal(unanswered.calls, 0);
        loop_free(&t);
        assert_int_equal(unanswered.calls, 1);
        assert_false(unanswered.got_outcome);
        assert_int_equal(told.calls, 1);
        scratch_free(&root);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(exit_status_and_the_output_tail_are_captured),
                cmocka_unit_test(extra_environment_reaches_the_command),
                cmocka_unit_test(missing_program_is_a_spawn_error),
                cmocka_unit_test(timeout_kills_the_whole_process_group),
                cmocka_unit_test(long_output_keeps_its_last_whole_lines),
                cmocka_unit_test(rendering_covers_proc_iomem_for_the_child_alone),
                cmocka_unit_test(views_cover_their_files_for_the_child_alone),
                cmocka_unit_test(unusable_target_runs_plainly_and_says_why),
                cmocka_unit_test(without_privileges_the_child_runs_plainly_and_says_why),
                cmocka_unit_test(loop_runs_one_reload_per_change_with_the_generation_in_its_environment),
                cmocka_unit_test(loop_retries_a_failed_reload_after_its_backoff),
                cmocka_unit_test(loop_tells_waiters_the_outcome_unless_they_cancel),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
