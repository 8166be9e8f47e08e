/* SPDX-License-Identifier: BSD-3-Clause */
#include "tsc_test_analysis.h"

#include <stdio.h>
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

tsc_series_source tsc_test_series_source(size_t n, const double *locations_mm,
                                         tsc_slice_fetch_fn fetch, void *user_data)
{
    tsc_series_source src = {.struct_size = sizeof src,
                             .n_slices = n,
                             .locations_mm = locations_mm,
                             .fetch = fetch,
                             .release = tsc_test_release_slice,
                             .user_data = user_data};
    return src;
}

tsc_model *tsc_test_load_model(const char *manifest, const tsc_model_params *params)
{
    tsc_model_params p = tsc_model_default_params();
    p.threads = 1;
    tsc_model *m = NULL;
    tsc_error err;
    tsc_status st = tsc_model_load(manifest, params ? params : &p, &m, &err);
    if (st != TSC_OK) {
        fprintf(stderr, "model %s: %s\n", manifest, err.message);
        exit(1);
    }
    return m;
}
