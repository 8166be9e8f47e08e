/* SPDX-License-Identifier: BSD-3-Clause */
/* tsc_preprocess: preprocessing rule "tsc-v1" (docs/PREPROCESSING.md), the C
 * twin of training/preprocess.py.  A ctest holds both to the same output
 * (max abs difference <= 1e-5).
 *
 * Inputs are a slice of rows × cols float32 pixels, row-major, with column
 * spacing dx and row spacing dy in mm; outputs are caller-allocated.
 * Misuse (NULL buffers) asserts; bad data returns a status: TSC_EINVAL for
 * an empty image, a spacing that is not positive and finite, or a size < 1;
 * TSC_ELIMIT for sizes beyond 16384; TSC_ENOMEM. */
#ifndef TSC_PREPROCESS_H
#define TSC_PREPROCESS_H

#include <stdint.h>

#include "tsc_status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TSC_PREPROCESS_RULE "tsc-v1"

/* The full rule: per-slice 0.5-99.5 percentile window of the finite pixels
 * (an all-NaN slice becomes 0), then the slice centred in a square field of
 * view and resampled with the antialiased triangle filter to size × size
 * values in [0, 1], written to `out` (the NCHW tensor's single plane). */
tsc_status tsc_preprocess(const float *pixels, int rows, int cols, double dx, double dy, int size,
                          float *out, tsc_error *err);

/* Step 2 alone on raw values (no intensity window): rows × cols -> size ×
 * size.  Non-finite inputs propagate to the outputs that weigh them. */
tsc_status tsc_resample(const float *pixels, int rows, int cols, double dx, double dy, int size,
                        float *out, tsc_error *err);

/* A training target: mask (nonzero = 1) resampled with Step 2 and
 * thresholded at 0.5 (before rounding to float32) into size × size bytes of
 * 0/1, like resample_mask() in training/preprocess.py. */
tsc_status tsc_resample_mask(const uint8_t *mask, int rows, int cols, double dx, double dy,
                             int size, uint8_t *out, tsc_error *err);

/* Back to the native grid: the size × size map `prob` sampled bilinearly
 * (clamp-to-edge) at the centre of each native pixel, written to `out`
 * (rows × cols).  Never fails; asserts on arguments that tsc_preprocess
 * would have refused. */
void tsc_preprocess_to_native(const float *prob, int size, int rows, int cols, double dx,
                              double dy, float *out);

#ifdef __cplusplus
}
#endif
#endif
