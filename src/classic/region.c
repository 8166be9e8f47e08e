/* SPDX-License-Identifier: BSD-3-Clause */
/* Seeded region growing with a running-mean criterion. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "classic_private.h"

tsc_region_grow_params tsc_region_grow_default_params(void)
{
    tsc_region_grow_params p;
    memset(&p, 0, sizeof p);
    p.connectivity = TSC_CONNECT_8;
    p.abs_tolerance = 0;
    p.rel_tolerance = 0.2;
    return p;
}

tsc_status tsc_region_grow(const float *in, int rows, int cols, int seed_row, int seed_col,
                           const tsc_region_grow_params *params, uint8_t *out, size_t *n_pixels,
                           tsc_error *err)
{
    TSC_ASSERT(in && out);
    tsc_region_grow_params p = params ? *params : tsc_region_grow_default_params();
    TSC_ASSERT(p.connectivity == TSC_CONNECT_4 || p.connectivity == TSC_CONNECT_8);
    if (n_pixels) *n_pixels = 0;
    tsc_status st = tsc__check_size(rows, cols, "region growing", err);
    if (st != TSC_OK) return st;
    const size_t n = (size_t)rows * (size_t)cols;
    memset(out, 0, n);
    if (seed_row < 0 || seed_row >= rows || seed_col < 0 || seed_col >= cols)
        return tsc_error_set(err, TSC_EINVAL,
                             "region growing: seed (row %d, column %d) is outside the %dx%d image",
                             seed_row, seed_col, cols, rows);
    const size_t s = (size_t)seed_row * cols + seed_col;
    if (!isfinite(in[s]))
        return tsc_error_set(err, TSC_EINVAL,
                             "region growing: the seed pixel (row %d, column %d) is not finite",
                             seed_row, seed_col);
    if (p.constraint && !p.constraint[s])
        return tsc_error_set(err, TSC_EINVAL,
                             "region growing: the seed (row %d, column %d) lies outside the "
                             "constraint mask",
                             seed_row, seed_col);
    int32_t *queue = malloc(n * sizeof *queue);
    if (!queue)
        return tsc_error_set(err, TSC_ENOMEM, "region growing: out of memory for a %dx%d image",
                             cols, rows);
    /* out: 0 unseen, 1 in the region, 2 tested and rejected (cleared at the
     * end); each pixel is tested once, when first reached. */
    size_t head = 0, tail = 0, size = 1;
    double sum = in[s];
    out[s] = 1;
    queue[tail++] = (int32_t)s;
    const size_t limit = p.max_pixels ? p.max_pixels : n;
    while (head < tail && size < limit) {
        size_t i = (size_t)queue[head++];
        int r = (int)(i / (size_t)cols), c = (int)(i % (size_t)cols);
        for (int dr = -1; dr <= 1 && size < limit; dr++) {
            int rr = r + dr;
            if (rr < 0 || rr >= rows) continue;
            for (int dc = -1; dc <= 1 && size < limit; dc++) {
                int cc = c + dc;
                if (cc < 0 || cc >= cols || (dr == 0 && dc == 0)) continue;
                if (p.connectivity == TSC_CONNECT_4 && dr != 0 && dc != 0) continue;
                size_t j = (size_t)rr * cols + cc;
                if (out[j] || (p.constraint && !p.constraint[j])) continue;
                double v = in[j], mean = sum / (double)size;
                if (isfinite(v) && fabs(v - mean) <= p.abs_tolerance + p.rel_tolerance * fabs(mean)) {
                    out[j] = 1;
                    sum += v;
                    size++;
                    queue[tail++] = (int32_t)j;
                } else {
                    out[j] = 2;
                }
            }
        }
    }
    for (size_t i = 0; i < n; i++) out[i] = out[i] == 1;
    free(queue);
    if (n_pixels) *n_pixels = size;
    return TSC_OK;
}
