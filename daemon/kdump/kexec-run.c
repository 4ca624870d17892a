/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One reload child: fork, the private mount namespace with the rendered
 * /proc/iomem, exec, and the event sources that watch it. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "event-util.h"
#include "kexec-run.h"
#include "log.h"

/* What the child tells the parent through a close-on-exec pipe. */
enum child_step {
        STEP_NAMESPACE_OK = 0,
        STEP_UNSHARE,
        STEP_PRIVATE,
        STEP_TMPFS,
        STEP_WRITE,
        STEP_BIND,
        STEP_VIEW, /* writing or binding one of spec->views */
        STEP_EXEC, /* the exec itself failed */
        _STEP_MAX,
};

static const char *const step_names[_STEP_MAX] = {
        [STEP_UNSHARE] = "unshare(CLONE_NEWNS)",
        [STEP_PRIVATE] = "making / private",
        [STEP_TMPFS] = "mounting a private tmpfs",
        [STEP_WRITE] = "writing the rendering",
        [STEP_BIND] = "bind-mounting the rendering over /proc/iomem",
        [STEP_VIEW] = "bind-mounting a view (kallsyms, device tree) over its file",
        [STEP_EXEC] = "exec",
};

struct child_report {
        int32_t step;
        int32_t error;
};

/* Directories the child may cover with its tmpfs for a moment. */
static const char *const scratch_dirs[] = { "/tmp", "/run", "/mnt", "/var/tmp", NULL };
#define SCRATCH_NAME "iomem"

struct kexec_job {
        sd_event *event;
        sd_event_source *child, *output, *timer, *deferred;
        pid_t pid;
        int output_fd, report_fd;
        char tail[KEXEC_OUTPUT_TAIL];
        size_t tail_len;
        bool truncated;
        struct kexec_job_result result;
        kexec_job_done_fn done;
        void *userdata;
};

void kexec_job_result_clear(struct kexec_job_result *r) {
        free(r->namespace_error);
        free(r->output);
        *r = (struct kexec_job_result) { .exit_status = -1 };
}

int kexec_run_block_sigchld(void) {
        sigset_t mask;

        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        return sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ? negative_errno() : 0;
}

/* ---------------------------------------------------------------------------
 * The child (runs between fork and exec: no allocation, no stdio)
 */

static void child_report(int fd, enum child_step step, int error) {
        struct child_report rep = { .step = step, .error = error };

        (void) !write(fd, &rep, sizeof(rep));
}

static bool write_all(int fd, const char *buf, size_t len) {
        while (len > 0) {
                ssize_t n = write(fd, buf, len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return false;
                buf += n;
                len -= (size_t) n;
        }
        return true;
}

/* Mounts a tmpfs on the first scratch directory that takes one; its path
 * goes to @dir. */
static bool mount_scratch(const char *options, const char **dir) {
        for (const char *const *d = scratch_dirs; *d; d++)
                if (mount("memranged", *d, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, options) == 0) {
                        *dir = *d;
                        return true;
                }
        return false;
}

/* Writes @len bytes of @text to @path (new, read-only) and bind-mounts it
 * read-only over @target. STEP_NAMESPACE_OK, or STEP_WRITE or STEP_BIND
 * with errno set. */
static enum child_step bind_text(const char *path, const char *text, size_t len, const char *target) {
        int fd, saved;
        bool ok;

        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0444);
        ok = fd >= 0 && write_all(fd, text, len);
        saved = errno;
        if (fd >= 0)
                close(fd);
        errno = saved;
        if (!ok)
                return STEP_WRITE;
        if (mount(path, target, NULL, MS_BIND, NULL) < 0)
                return STEP_BIND;
        (void) mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL);
        return STEP_NAMESPACE_OK;
}

/* The private namespace with the rendering over @target and each view over
 * its file. Returns STEP_NAMESPACE_OK or the step that failed (errno set). */
static enum child_step setup_namespace(const struct kexec_job_spec *spec, const char *tmpfs_options) {
        const char *target = spec->proc_iomem ?: "/proc/iomem", *dir = NULL;
        enum child_step step;
        char path[64];
        int saved;

        if (unshare(CLONE_NEWNS) < 0)
                return STEP_UNSHARE;
        /* Nothing mounted here may propagate to the host. */
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return STEP_PRIVATE;
        if (!mount_scratch(tmpfs_options, &dir))
                return STEP_TMPFS;
        snprintf(path, sizeof(path), "%s/" SCRATCH_NAME, dir);
        step = bind_text(path, spec->iomem, spec->iomem_len, target);
        for (size_t i = 0; step == STEP_NAMESPACE_OK && i < spec->n_views; i++) {
                snprintf(path, sizeof(path), "%s/view%zu", dir, i);
                if (bind_text(path, spec->views[i].text, spec->views[i].len, spec->views[i].target) !=
                    STEP_NAMESPACE_OK)
                        step = STEP_VIEW;
        }
        saved = errno;
        /* The bind mounts keep the tmpfs alive; the directory comes back. */
        (void) umount2(dir, MNT_DETACH);
        errno = saved;
        return step;
}

_Noreturn static void child_main(const struct kexec_job_spec *spec, char **envp, const char *tmpfs_options,
                                 int output_fd, int report_fd) {
        sigset_t none;
        int null_fd;

        sigemptyset(&none);
        (void) sigprocmask(SIG_SETMASK, &none, NULL);
        (void) signal(SIGPIPE, SIG_DFL);
        (void) setpgid(0, 0);
        null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null_fd >= 0)
                (void) dup2(null_fd, STDIN_FILENO);
        (void) dup2(output_fd, STDOUT_FILENO);
        (void) dup2(output_fd, STDERR_FILENO);
        if (spec->iomem) {
                enum child_step step = setup_namespace(spec, tmpfs_options);

                child_report(report_fd, step, step == STEP_NAMESPACE_OK ? 0 : errno);
        }
        execvpe(spec->argv[0], spec->argv, envp);
        child_report(report_fd, STEP_EXEC, errno);
        _exit(127);
}

/* ---------------------------------------------------------------------------
 * The parent
 */

static void append_tail(struct kexec_job *j, const char *buf, size_t n) {
        if (n >= sizeof(j->tail)) {
                buf += n - sizeof(j->tail);
                n = sizeof(j->tail);
                j->truncated = true;
        }
        if (j->tail_len + n > sizeof(j->tail)) {
                size_t drop = j->tail_len + n - sizeof(j->tail);

                memmove(j->tail, j->tail + drop, j->tail_len - drop);
                j->tail_len -= drop;
                j->truncated = true;
        }
        memcpy(j->tail + j->tail_len, buf, n);
        j->tail_len += n;
}

/* Reads what is there now; returns false at end of file or on error. */
static bool read_output(struct kexec_job *j) {
        char buf[4096];

        for (unsigned i = 0; i < 16; i++) {
                ssize_t n = read(j->output_fd, buf, sizeof(buf));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return n < 0 && errno == EAGAIN;
                append_tail(j, buf, (size_t) n);
        }
        return true;
}

static int on_output(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct kexec_job *j = userdata;

        if (!read_output(j))
                j->output = sd_event_source_disable_unref(j->output);
        return 0;
}

/* The tail as text: whole lines (a cut first line is dropped), no NUL,
 * no trailing newline. */
static char *tail_text(const struct kexec_job *j) {
        const char *start = j->tail, *end = j->tail + j->tail_len;
        const char *nl;
        char *text;

        if (j->truncated && (nl = memchr(start, '\n', (size_t) (end - start))))
                start = nl + 1;
        while (end > start && (end[-1] == '\n' || end[-1] == '\r'))
                end--;
        if (end == start)
                return NULL;
        text = strndup(start, (size_t) (end - start));
        for (char *p = text; text && p < text + (end - start); p++)
                if (*p == '\0')
                        *p = '?';
        return text;
}

static void read_reports(struct kexec_job *j) {
        struct child_report rep;
        char *msg;

        while (read(j->report_fd, &rep, sizeof(rep)) == (ssize_t) sizeof(rep)) {
                if (rep.step == STEP_NAMESPACE_OK) {
                        j->result.namespace_used = true;
                        continue;
                }
                if (rep.step == STEP_EXEC) {
                        j->result.spawn_error = -abs(rep.error);
                        continue;
                }
                if (rep.step <= 0 || rep.step >= _STEP_MAX)
                        continue;
                if (asprintf(&msg, "%s: %s", step_names[rep.step], strerror(abs(rep.error))) >= 0) {
                        free(j->result.namespace_error);
                        j->result.namespace_error = msg;
                }
        }
}

static void finish(struct kexec_job *j) {
        j->result.duration = event_now(j->event) - j->result.started;
        j->timer = sd_event_source_disable_unref(j->timer);
        j->child = sd_event_source_disable_unref(j->child);
        j->pid = 0;
        if (j->output_fd >= 0) {
                (void) read_output(j);
                j->output = sd_event_source_disable_unref(j->output);
        }
        if (j->report_fd >= 0)
                read_reports(j);
        j->result.output = tail_text(j);
        j->done(j, &j->result, j->userdata);
}

static int on_child(sd_event_source *s, const siginfo_t *si, void *userdata) {
        struct kexec_job *j = userdata;

        if (si->si_code == CLD_EXITED)
                j->result.exit_status = si->si_status;
        else
                j->result.signal = si->si_status;
        finish(j);
        return 0;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        struct kexec_job *j = userdata;

        j->result.timed_out = true;
        if (j->pid > 0) {
                (void) kill(-j->pid, SIGKILL);
                (void) kill(j->pid, SIGKILL);
        }
        return 0;
}

static int on_deferred(sd_event_source *s, void *userdata) {
        struct kexec_job *j = userdata;

        j->deferred = sd_event_source_disable_unref(j->deferred);
        finish(j);
        return 0;
}

/* environ plus @extra, for the child (pointers borrowed). */
static char **make_env(char *const *extra) {
        size_t n = 0, k = 0;
        char **env;

        while (environ && environ[n])
                n++;
        while (extra && extra[k])
                k++;
        env = calloc(n + k + 1, sizeof(*env));
        if (!env)
                return NULL;
        if (k)
                memcpy(env, extra, k * sizeof(*env));
        if (n)
                memcpy(env + k, environ, n * sizeof(*env));
        return env;
}

static int watch_child(struct kexec_job *j, const struct kexec_job_spec *spec) {
        int r;

        r = sd_event_add_child(j->event, &j->child, j->pid, WEXITED, on_child, j);
        if (r >= 0 && (r = sd_event_add_io(j->event, &j->output, j->output_fd, EPOLLIN, on_output, j)) >= 0)
                (void) sd_event_source_set_description(j->output, "reload-output");
        if (r >= 0 && spec->timeout > 0)
                r = sd_event_add_time_relative(j->event, &j->timer, CLOCK_MONOTONIC, spec->timeout, 0, on_timeout, j);
        return r;
}

/* Forks; on success j->pid is the child. */
static int spawn(struct kexec_job *j, const struct kexec_job_spec *spec) {
        _cleanup_(freep) char **envp = make_env(spec->env);
        size_t size = spec->iomem_len + 4096;
        char tmpfs_options[64];
        int out[2], rep[2];
        pid_t pid;

        if (!envp)
                return -ENOMEM;

        for (size_t i = 0; i < spec->n_views; i++)
                size += spec->views[i].len + 4096;
        snprintf(tmpfs_options, sizeof(tmpfs_options), "mode=0700,size=%zu", size);
        if (pipe2(out, O_CLOEXEC) < 0)
                return negative_errno();
        if (pipe2(rep, O_CLOEXEC) < 0) {
                int r = negative_errno();
                close(out[0]);
                close(out[1]);
                return r;
        }
        pid = fork();
        if (pid == 0)
                child_main(spec, envp, tmpfs_options, out[1], rep[1]);
        close(out[1]);
        close(rep[1]);
        j->output_fd = out[0];
        j->report_fd = rep[0];
        if (pid < 0)
                return negative_errno();
        (void) setpgid(pid, pid); /* before any kill of the group can race the child's own */
        j->pid = pid;
        (void) fcntl(j->output_fd, F_SETFL, O_NONBLOCK);
        (void) fcntl(j->report_fd, F_SETFL, O_NONBLOCK);
        return 0;
}

int kexec_job_start(sd_event *event, const struct kexec_job_spec *spec, kexec_job_done_fn done, void *userdata,
                    struct kexec_job **ret_job) {
        _cleanup_(kexec_job_freep) struct kexec_job *j = NULL;
        int r;

        j = calloc(1, sizeof(*j));
        if (!j)
                return -ENOMEM;
        *j = (struct kexec_job) {
                .event = sd_event_ref(event),
                .output_fd = -1,
                .report_fd = -1,
                .result = { .exit_status = -1, .started = event_now(event) },
                .done = done,
                .userdata = userdata,
        };
        r = spawn(j, spec);
        if (r == -ENOMEM)
                return r;
        if (r >= 0)
                r = watch_child(j, spec);
        if (r < 0) {
                /* Reported from the loop, like every other outcome. */
                if (j->pid > 0) {
                        (void) kill(j->pid, SIGKILL);
                        (void) waitpid(j->pid, NULL, 0);
                        j->pid = 0;
                }
                j->child = sd_event_source_disable_unref(j->child);
                j->result.spawn_error = r;
                r = sd_event_add_defer(event, &j->deferred, on_deferred, j);
                if (r < 0)
                        return r;
        }
        *ret_job = TAKE_PTR(j);
        return 0;
}

struct kexec_job *kexec_job_free(struct kexec_job *j) {
        if (!j)
                return NULL;
        if (j->pid > 0) {
                (void) kill(-j->pid, SIGKILL);
                (void) kill(j->pid, SIGKILL);
                (void) waitpid(j->pid, NULL, 0);
        }
        sd_event_source_disable_unref(j->child);
        sd_event_source_disable_unref(j->output);
        sd_event_source_disable_unref(j->timer);
        sd_event_source_disable_unref(j->deferred);
        if (j->output_fd >= 0)
                close(j->output_fd);
        if (j->report_fd >= 0)
                close(j->report_fd);
        kexec_job_result_clear(&j->result);
        sd_event_unref(j->event);
        free(j);
        return NULL;
}
