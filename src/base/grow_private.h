/* SPDX-License-Identifier: BSD-3-Clause */
/* The one growth rule of the core's dynamic arrays: the capacity starts at
 * `first` and doubles.  Internal (tsc__ prefix); header-only like
 * struct_size_private.h. */
#ifndef TSC_GROW_PRIVATE_H
#define TSC_GROW_PRIVATE_H

#include <stdlib.h>

/* Makes room for `need` elements of `elem` bytes in `arr` (capacity *cap
 * elements).  Returns the array, maybe moved, with *cap updated; NULL when
 * out of memory, and then `arr` and *cap are as they were. */
static inline void *tsc__grow(void *arr, size_t *cap, size_t need, size_t elem, size_t first)
{
    if (need <= *cap) return arr;
    size_t nc = *cap ? *cap : first;
    while (nc < need) nc *= 2;
    void *p = realloc(arr, nc * elem);
    if (p) *cap = nc;
    return p;
}

#endif
