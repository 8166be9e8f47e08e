/* SPDX-License-Identifier: BSD-3-Clause */
/* Canny edge detector. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "classic_private.h"

tsc_canny_params tsc_canny_default_params(void)
{
    tsc_canny_params p;
    memset(&p, 0, sizeof p);
    p.sigma = 1.4;
    p.low = 0.1;
    p.high = 0.25;
    p.relative = 1;
    return p;
}

tsc_status tsc_canny(const float *in, int rows, int cols, const tsc_canny_params *params,
                     uint8_t *edges, tsc_error *err)
{
    TSC_ASSERT(in && edges);
    tsc_canny_params p = params ? *params : tsc_canny_default_params();
    tsc_status st = tsc__check_size(rows, cols, "Canny", err);
    if (st != TSC_OK) return st;
    const size_t n = (size_t)rows * (size_t)cols;
    memset(edges, 0, n);
    if (!(p.low >= 0 && p.high >= p.low && isfinite(p.high)))
        return tsc_error_set(err, TSC_EINVAL,
                             "Canny: thresholds low %g, high %g are not valid; need 0 <= low <= "
                             "high",
                             p.low, p.high);
    float *smooth = malloc(n * sizeof *smooth);
    float *mag = malloc(n * sizeof *mag);
    uint8_t *dir = malloc(n);
    int32_t *stack = malloc(n * sizeof *stack);
    if (!smooth || !mag || !dir || !stack) {
        st = tsc_error_set(err, TSC_ENOMEM, "Canny: out of memory for a %dx%d image", cols, rows);
        goto out;
    }
    st = tsc_gaussian_blur(in, rows, cols, p.sigma, p.sigma, smooth, err);
    if (st != TSC_OK) goto out;
    /* Pixels still NaN after the blur (no finite neighbour) carry no edge. */
    for (size_t i = 0; i < n; i++)
        if (!isfinite(smooth[i])) smooth[i] = 0;

    /* Sobel with clamped borders; the direction quantised to 4 sectors:
     * 0 horizontal gradient, 1 down-right diagonal, 2 vertical, 3 down-left. */
    float max_mag = 0;
    const double t22 = 0.41421356237309503, t67 = 2.414213562373095;
    for (int r = 0; r < rows; r++) {
        const float *up = smooth + (size_t)(r > 0 ? r - 1 : r) * cols;
        const float *mid = smooth + (size_t)r * cols;
        const float *dn = smooth + (size_t)(r < rows - 1 ? r + 1 : r) * cols;
        for (int c = 0; c < cols; c++) {
            int l = c > 0 ? c - 1 : c, rt = c < cols - 1 ? c + 1 : c;
            double gx = (up[rt] + 2.0 * mid[rt] + dn[rt]) - (up[l] + 2.0 * mid[l] + dn[l]);
            double gy = (dn[l] + 2.0 * dn[c] + dn[rt]) - (up[l] + 2.0 * up[c] + up[rt]);
            size_t i = (size_t)r * cols + c;
            float m = (float)sqrt(gx * gx + gy * gy);
            mag[i] = m;
            if (m > max_mag) max_mag = m;
            double ax = fabs(gx), ay = fabs(gy);
            dir[i] = ay <= t22 * ax ? 0 : (ay >= t67 * ax ? 2 : (gx * gy > 0 ? 1 : 3));
        }
    }
    double lo = p.low, hi = p.high;
    if (p.relative) {
        lo *= max_mag;
        hi *= max_mag;
    }
    if (!(max_mag > 0)) goto out; /* a flat image has no edges */

    /* Non-maximum suppression across the edge: at least the neighbour before
     * and above the one after (in raster order), so a tie between two pixels
     * keeps exactly one, the later.  edges: 0 none, 1 weak, 2 strong. */
    /* Magnitudes within `tie` are equal: the blur's rounding must not decide
     * which side of a symmetric step gets the edge. */
    const float tie = 1e-5f * max_mag;
    static const int off[4][2] = {{0, 1}, {1, 1}, {1, 0}, {1, -1}}; /* (dr, dc) of the neighbour after */
    size_t top = 0;
    for (int r = 1; r < rows - 1; r++) {
        for (int c = 1; c < cols - 1; c++) {
            size_t i = (size_t)r * cols + c;
            float m = mag[i];
            if (!(m > 0) || m < lo) continue;
            int d = dir[i];
            ptrdiff_t o = (ptrdiff_t)off[d][0] * cols + off[d][1];
            if (m + tie >= mag[i - o] && m > mag[i + o] + tie) {
                edges[i] = m >= hi ? 2 : 1;
                if (edges[i] == 2) stack[top++] = (int32_t)i;
            }
        }
    }
    /* Hysteresis: weak pixels 8-connected to a strong one become edges. */
    while (top > 0) {
        size_t i = (size_t)stack[--top];
        int r = (int)(i / (size_t)cols), c = (int)(i % (size_t)cols);
        for (int dr = -1; dr <= 1; dr++)
            for (int dc = -1; dc <= 1; dc++) {
                int rr = r + dr, cc = c + dc;
                if (rr < 0 || rr >= rows || cc < 0 || cc >= cols) continue;
                size_t j = (size_t)rr * cols + cc;
                if (edges[j] == 1) {
                    edges[j] = 2;
                    stack[top++] = (int32_t)j;
                }
            }
    }
    for (size_t i = 0; i < n; i++) edges[i] = edges[i] == 2;
out:
    free(smooth);
    free(mag);
    free(dir);
    free(stack);
    return st;
}
