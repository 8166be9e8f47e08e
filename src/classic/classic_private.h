/* SPDX-License-Identifier: BSD-3-Clause */
/* Internals shared by the files of src/classic. */
#ifndef TSC_CLASSIC_PRIVATE_H
#define TSC_CLASSIC_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include "tsc_classic.h"

/* Images are indexed with int32 (labels, queues): refuse larger ones. */
#define TSC__MAX_PIXELS ((int64_t)INT32_MAX)

/* TSC_OK, or TSC_ELIMIT with a message when rows*cols does not fit the
 * int32 indices used by the labelling and the flood fills. */
tsc_status tsc__check_size(int rows, int cols, const char *what, tsc_error *err);

#include "tsc_select.h"

/* Copies the finite values of in[i] (where mask is NULL or mask[i] != 0)
 * into dst and returns how many. */
size_t tsc__gather_finite(const float *in, const uint8_t *mask, size_t n, float *dst);

/* numpy-style linear percentiles of the n finite values in a (which is
 * reordered); q ascending not required.  n must be > 0. */
void tsc__percentiles_inplace(float *a, size_t n, const double *q, size_t nq, double *out);

#endif
