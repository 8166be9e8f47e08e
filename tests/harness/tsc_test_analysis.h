/* SPDX-License-Identifier: BSD-3-Clause */
/* Test helpers for the tests that feed the core analysis a series of slices
 * they draw themselves (library tsc_test_analysis). */
#ifndef TSC_TEST_ANALYSIS_H
#define TSC_TEST_ANALYSIS_H

#include "tsc_analysis.h"

/* For a tsc_series_source's fetch: hands over `pixels`, a square n x n
 * slice of `spacing_mm` pixels that the test allocated with malloc; the
 * source's release must be tsc_test_release_slice, which frees it.
 * Returns TSC_OK. */
tsc_status tsc_test_give_slice(float *pixels, int n, double spacing_mm, tsc_slice *s, void **token);
void tsc_test_release_slice(void *user, void *token);

/* A series of n slices that `fetch` hands over with tsc_test_give_slice
 * (released by tsc_test_release_slice), at locations_mm (NULL: unknown),
 * with `user_data`; everything else zero. */
tsc_series_source tsc_test_series_source(size_t n, const double *locations_mm,
                                         tsc_slice_fetch_fn fetch, void *user_data);

/* The model of `manifest` loaded with `params` (NULL: the defaults, on one
 * thread); the case stops, with the loader's message, when it fails. */
tsc_model *tsc_test_load_model(const char *manifest, const tsc_model_params *params);

#endif
