/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared by the fuzz targets.
 *
 * FUZZ_CHECK states a guarantee the API gives callers; a broken one aborts
 * with the condition, which libFuzzer reports as a crash.
 * TSC_FUZZ_VERBOSE=1 makes a target say what became of each input (on
 * stderr), to check that the seeds of a corpus reach what they are meant to. */
#ifndef TSC_FUZZ_COMMON_H
#define TSC_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tsc_status.h"

#define FUZZ_CHECK(cond)                                                             \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: guarantee broken: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                 \
        }                                                                            \
    } while (0)

static inline int fuzz_is_verbose(void)
{
    static int verbose = -1;
    if (verbose < 0) verbose = getenv("TSC_FUZZ_VERBOSE") != NULL;
    return verbose;
}

static inline void fuzz_verbose(const char *what, tsc_status st, const tsc_error *err)
{
    if (fuzz_is_verbose())
        fprintf(stderr, "  %s: %s%s%s\n", what, tsc_status_name(st), st == TSC_OK ? "" : ": ",
                st == TSC_OK ? "" : err->message);
}

/* A private folder `<base>/tsc-fuzz-<stem>-XXXXXX` for a target that needs
 * files, made in `dir` (room for 512): on /dev/shm when it is writable,
 * TSC_FUZZ_TMPDIR overriding. */
static inline void fuzz_make_tmpdir(char *dir, size_t size, const char *stem)
{
    const char *base = getenv("TSC_FUZZ_TMPDIR");
    if (!base || !*base) base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(dir, size, "%s/tsc-fuzz-%s-XXXXXX", base, stem);
    if (!mkdtemp(dir)) {
        perror("fuzz: mkdtemp");
        abort();
    }
}

#endif
