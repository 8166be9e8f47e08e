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

#endif
