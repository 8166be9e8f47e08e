/* SPDX-License-Identifier: BSD-3-Clause */
/* Selection of the k-th smallest float, shared by the core's percentile code
 * (classic/intensity.c, analysis/preprocess.c).  Internal (tsc__ prefix). */
#ifndef TSC_SELECT_H
#define TSC_SELECT_H

#include <stddef.h>

/* Puts the k-th smallest of a[0..n) at a[k], smaller-or-equal values before
 * and larger-or-equal after: the same a[k] a full sort would give.  O(n)
 * expected, O(n log n) worst case.  k < n. */
void tsc__select(float *a, size_t n, size_t k);
/* qsort comparator for floats (ascending). */
int tsc__cmp_float(const void *a, const void *b);

#endif
