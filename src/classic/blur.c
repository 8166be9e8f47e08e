/* SPDX-License-Identifier: BSD-3-Clause */
/* Separable Gaussian blur as a normalised convolution: missing taps (outside
 * the image, non-finite) are dropped and the remaining weights renormalised. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "classic_private.h"

/* Half-kernel weights k[0..radius]; radius 0 means no blur on the axis. */
static int kernel(double sigma, double *k, int max_radius)
{
    if (!(sigma > 0)) return 0;
    int r = (int)ceil(3.0 * sigma);
    if (r > max_radius) r = max_radius;
    for (int t = 0; t <= r; t++) k[t] = exp(-0.5 * (t / sigma) * (t / sigma));
    return r;
}

tsc_status tsc_gaussian_blur(const float *in, int rows, int cols, double sigma_x, double sigma_y,
                             float *out, tsc_error *err)
{
    TSC_ASSERT(in && out);
    tsc_status st = tsc__check_size(rows, cols, "Gaussian blur", err);
    if (st != TSC_OK) return st;
    const size_t n = (size_t)rows * (size_t)cols;
    /* A kernel wider than the image adds nothing but cost. */
    int max_rx = cols, max_ry = rows;
    double *kx = malloc(((size_t)max_rx + 1) * sizeof *kx);
    double *ky = malloc(((size_t)max_ry + 1) * sizeof *ky);
    float *tmp = malloc(n * sizeof *tmp);
    double *acc = malloc(2 * (size_t)cols * sizeof *acc);
    if (!kx || !ky || !tmp || !acc) {
        free(kx);
        free(ky);
        free(tmp);
        free(acc);
        return tsc_error_set(err, TSC_ENOMEM, "Gaussian blur: out of memory for a %dx%d image",
                             cols, rows);
    }
    int rx = kernel(sigma_x, kx, max_rx), ry = kernel(sigma_y, ky, max_ry);
    /* Kernel mass inside the image per column / row: the normaliser of the
     * fast path (all taps finite). */
    double *wx = malloc((size_t)cols * sizeof *wx), *wy = malloc((size_t)rows * sizeof *wy);
    if (!wx || !wy) {
        free(kx);
        free(ky);
        free(tmp);
        free(acc);
        free(wx);
        free(wy);
        return tsc_error_set(err, TSC_ENOMEM, "Gaussian blur: out of memory for a %dx%d image",
                             cols, rows);
    }
    for (int c = 0; c < cols; c++) {
        wx[c] = 0;
        for (int t = c - rx < 0 ? -c : -rx; t <= rx && c + t < cols; t++) wx[c] += kx[t < 0 ? -t : t];
    }
    for (int r = 0; r < rows; r++) {
        wy[r] = 0;
        for (int t = r - ry < 0 ? -r : -ry; t <= ry && r + t < rows; t++) wy[r] += ky[t < 0 ? -t : t];
    }
    double *s = acc, *w = acc + cols;

    /* Along rows: in -> tmp.  Rows without missing values take the fast,
     * vectorisable path (one tap across the whole row at a time). */
    int all_finite = 1;
    for (int r = 0; r < rows; r++) {
        const float *src = in + (size_t)r * cols;
        float *dst = tmp + (size_t)r * cols;
        int finite = 1;
        for (int c = 0; c < cols; c++) finite &= isfinite(src[c]) != 0;
        all_finite &= finite;
        if (rx == 0) {
            memcpy(dst, src, (size_t)cols * sizeof *dst);
        } else if (finite) {
            memset(s, 0, (size_t)cols * sizeof *s);
            for (int t = -rx; t <= rx; t++) {
                const double k = kx[t < 0 ? -t : t];
                int c0 = t < 0 ? -t : 0, c1 = t > 0 ? cols - t : cols;
                for (int c = c0; c < c1; c++) s[c] += k * src[c + t];
            }
            for (int c = 0; c < cols; c++) dst[c] = (float)(s[c] / wx[c]);
        } else {
            for (int c = 0; c < cols; c++) {
                int t0 = c - rx < 0 ? -c : -rx, t1 = c + rx >= cols ? cols - 1 - c : rx;
                double sum = 0, ws = 0;
                for (int t = t0; t <= t1; t++) {
                    float v = src[c + t];
                    if (isfinite(v)) {
                        double k = kx[t < 0 ? -t : t];
                        sum += k * v;
                        ws += k;
                    }
                }
                dst[c] = ws > 0 ? (float)(sum / ws) : NAN;
            }
        }
    }
    /* With missing values the row pass may leave NaN only where a whole
     * window was missing; check again to pick the column path. */
    if (!all_finite) {
        all_finite = 1;
        for (size_t i = 0; i < n && all_finite; i++) all_finite = isfinite(tmp[i]) != 0;
    }

    /* Along columns: tmp -> out, a whole row of accumulators at a time so the
     * inner loop runs over contiguous memory. */
    for (int r = 0; r < rows; r++) {
        float *dst = out + (size_t)r * cols;
        if (ry == 0) {
            memcpy(dst, tmp + (size_t)r * cols, (size_t)cols * sizeof *dst);
            continue;
        }
        memset(acc, 0, 2 * (size_t)cols * sizeof *acc);
        int t0 = r - ry < 0 ? -r : -ry, t1 = r + ry >= rows ? rows - 1 - r : ry;
        if (all_finite) {
            for (int t = t0; t <= t1; t++) {
                const float *src = tmp + (size_t)(r + t) * cols;
                const double k = ky[t < 0 ? -t : t];
                for (int c = 0; c < cols; c++) s[c] += k * src[c];
            }
            const double inv = 1.0 / wy[r];
            for (int c = 0; c < cols; c++) dst[c] = (float)(s[c] * inv);
            continue;
        }
        for (int t = t0; t <= t1; t++) {
            const float *src = tmp + (size_t)(r + t) * cols;
            double k = ky[t < 0 ? -t : t];
            for (int c = 0; c < cols; c++) {
                float v = src[c];
                if (isfinite(v)) {
                    s[c] += k * v;
                    w[c] += k;
                }
            }
        }
        for (int c = 0; c < cols; c++) dst[c] = w[c] > 0 ? (float)(s[c] / w[c]) : NAN;
    }
    free(wx);
    free(wy);
    free(kx);
    free(ky);
    free(tmp);
    free(acc);
    return TSC_OK;
}
