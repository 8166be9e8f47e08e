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
/* The smallest of a[from..to); from < to. */
float tsc__min_of(const float *a, size_t from, size_t to);
/* tsc__select of k, then the k-th and (k+1)-th smallest of a[0..n) in *v0
 * and *v1 (the second is the first when k + 1 == n): the two values a
 * percentile interpolates between.  k < n. */
void tsc__select_pair(float *a, size_t n, size_t k, double *v0, double *v1);
/* qsort comparator for floats (ascending). */
int tsc__cmp_float(const void *a, const void *b);

#endif
