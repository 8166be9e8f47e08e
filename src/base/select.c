/* SPDX-License-Identifier: BSD-3-Clause */
#include "tsc_select.h"

#include <stdlib.h>

#include "tsc_status.h"

int tsc__cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static void swapf(float *a, float *b)
{
    float t = *a;
    *a = *b;
    *b = t;
}

void tsc__select(float *a, size_t n, size_t k)
{
    TSC_ASSERT(k < n);
    size_t lo = 0, hi = n;
    /* Introselect-style budget: a sort finishes the job if the pivots keep
     * failing, so the worst case stays O(n log n). */
    int budget = 16;
    for (size_t m = n; m > 1; m >>= 1) budget += 2;
    while (hi - lo > 16) {
        if (budget-- == 0) {
            qsort(a + lo, hi - lo, sizeof *a, tsc__cmp_float);
            return;
        }
        float x = a[lo], y = a[lo + (hi - lo) / 2], z = a[hi - 1];
        float p = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
        /* Three-way partition: the long runs of equal values in images
         * (background zeros) cost one pass, not a quadratic crawl. */
        size_t lt = lo, i = lo, gt = hi;
        while (i < gt) {
            if (a[i] < p)
                swapf(&a[lt++], &a[i++]);
            else if (a[i] > p)
                swapf(&a[i], &a[--gt]);
            else
                i++;
        }
        if (k < lt)
            hi = lt;
        else if (k >= gt)
            lo = gt;
        else
            return;
    }
    for (size_t i = lo + 1; i < hi; i++) {
        float v = a[i];
        size_t j = i;
        while (j > lo && a[j - 1] > v) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = v;
    }
}

float tsc__min_of(const float *a, size_t from, size_t to)
{
    float m = a[from];
    for (size_t i = from + 1; i < to; i++)
        if (a[i] < m) m = a[i];
    return m;
}

/* After the selection a[k+1..n) holds the values >= a[k]; the next order
 * statistic is their minimum. */
void tsc__select_pair(float *a, size_t n, size_t k, double *v0, double *v1)
{
    tsc__select(a, n, k);
    *v0 = a[k];
    *v1 = k + 1 < n ? tsc__min_of(a, k + 1, n) : a[k];
}
