/* SPDX-License-Identifier: BSD-3-Clause */
#include "tsc_test_analysis.h"

#include <stdlib.h>

tsc_status tsc_test_give_slice(float *pixels, int n, double spacing_mm, tsc_slice *s, void **token)
{
    s->pixels = pixels;
    s->rows = s->cols = n;
    s->spacing[0] = s->spacing[1] = spacing_mm;
    *token = pixels;
    return TSC_OK;
}

void tsc_test_release_slice(void *user, void *token)
{
    (void)user;
    free(token);
}
