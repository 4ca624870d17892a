/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A main() for the fuzz targets without libFuzzer: runs
 * LLVMFuzzerTestOneInput() once on each file given, and on each file of
 * each directory given (not recursively; hidden files skipped), so every
 * target also builds with gcc and the committed corpus and regression
 * inputs are replayed by the test suite, under the sanitizers or
 * valgrind. A crashing input aborts the process; its name is printed
 * before it runs. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "macro.h"

/* Inputs larger than this are not what the targets are run with. */
#define REPLAY_MAX_INPUT (16u * 1024u * 1024u)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int read_input(const char *path, uint8_t **ret_data, size_t *ret_size) {
        _cleanup_(fclosep) FILE *f = fopen(path, "re");
        _cleanup_(freep) uint8_t *data = NULL;
        struct stat st;

        if (!f || fstat(fileno(f), &st) < 0)
                return -errno;
        if (st.st_size > (off_t) REPLAY_MAX_INPUT)
                return -EFBIG;
        /* Exactly the input's size, as libFuzzer gives it, so that
         * AddressSanitizer sees a read past its end. */
        data = malloc(st.st_size > 0 ? (size_t) st.st_size : 1);
        if (!data)
                return -ENOMEM;
        if (fread(data, 1, (size_t) st.st_size, f) != (size_t) st.st_size)
                return -EIO;
        *ret_data = TAKE_PTR(data);
        *ret_size = (size_t) st.st_size;
        return 0;
}

static int replay_file(const char *path) {
        _cleanup_(freep) uint8_t *data = NULL;
        size_t size = 0;
        int r;

        r = read_input(path, &data, &size);
        if (r < 0) {
                fprintf(stderr, "%s: %s\n", path, strerror(-r));
                return r;
        }
        fprintf(stderr, "replaying %s (%zu bytes)\n", path, size);
        LLVMFuzzerTestOneInput(data, size);
        return 0;
}

static int compare_strings(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The files of @dir in name order, so runs are reproducible. */
static int replay_directory(const char *dir, unsigned *n_replayed) {
        _cleanup_(closedirp) DIR *d = opendir(dir);
        char **names = NULL;
        size_t n = 0;
        struct dirent *de;
        int r = 0;

        if (!d) {
                fprintf(stderr, "%s: %s\n", dir, strerror(errno));
                return -errno;
        }
        while ((de = readdir(d))) {
                char **bigger;

                if (de->d_name[0] == '.')
                        continue;
                bigger = realloc(names, (n + 1) * sizeof(char *));
                if (!bigger || asprintf(&bigger[n], "%s/%s", dir, de->d_name) < 0) {
                        free(bigger ?: names);
                        return -ENOMEM;
                }
                names = bigger;
                n++;
        }
        if (n > 0)
                qsort(names, n, sizeof(char *), compare_strings);
        for (size_t i = 0; i < n; i++) {
                struct stat st;

                if (r >= 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
                        r = replay_file(names[i]);
                        (*n_replayed)++;
                }
                free(names[i]);
        }
        free(names);
        return r;
}

int main(int argc, char *argv[]) {
        unsigned n_replayed = 0;

        if (argc < 2) {
                fprintf(stderr, "usage: %s FILE|DIRECTORY...\n", argv[0]);
                return 2;
        }
        for (int i = 1; i < argc; i++) {
                struct stat st;
                int r;

                if (stat(argv[i], &st) < 0) {
                        fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
                        return 1;
                }
                if (S_ISDIR(st.st_mode))
                        r = replay_directory(argv[i], &n_replayed);
                else {
                        r = replay_file(argv[i]);
                        n_replayed++;
                }
                if (r < 0)
                        return 1;
        }
        fprintf(stderr, "%u input(s) replayed without a crash\n", n_replayed);
        return 0;
}
