/* SPDX-License-Identifier: BSD-3-Clause */
/* Preprocessing rule tsc-v1, literally as docs/PREPROCESSING.md writes it.
 * Every step mirrors training/preprocess.py; change both or neither. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tsc_preprocess.h"
#include "tsc_select.h"

#define MAX_SIZE 16384
/* Total filter taps (in or out of the image) one axis may visit: a bound on
 * the work for absurd spacing ratios. */
#define MAX_TAPS ((int64_t)1 << 28)

static tsc_status check_args(int rows, int cols, double dx, double dy, int size, tsc_error *err)
{
    if (rows < 1 || cols < 1)
        return tsc_error_set(err, TSC_EINVAL, "preprocess: the slice is empty (%dx%d pixels)",
                             cols, rows);
    if (!(isfinite(dx) && dx > 0 && isfinite(dy) && dy > 0))
        return tsc_error_set(err, TSC_EINVAL,
                             "preprocess: pixel spacing %g x %g mm is not positive and finite",
                             dx, dy);
    if (size < 1)
        return tsc_error_set(err, TSC_EINVAL, "preprocess: output size %d is not positive", size);
    if (size > MAX_SIZE || rows > 1000000 || cols > 1000000)
        return tsc_error_set(err, TSC_ELIMIT,
                             "preprocess: %dx%d -> %dx%d exceeds the supported sizes", cols, rows,
                             size, size);
    return TSC_OK;
}

/* ---- Step 1: intensity --------------------------------------------------- */

/* Order statistics k and k + 1 of the m finite pixels, found inside a
 * bracket [L, U] taken from a sorted sample: one pass counts the values
 * under L and copies those inside to buf, then a small selection finishes.
 * Returns 0 when the bracket misses (then the caller selects on all). */
static int bracketed_pair(const float *px, size_t n, size_t m, size_t k, const float *sample,
                          size_t s, float *buf, double *v0, double *v1)
{
    double p = (double)k / (double)(m - 1), r = p * (double)(s - 1);
    double margin = 3.0 * sqrt((double)s * p * (1.0 - p)) + 8.0;
    double il = floor(r - margin), ih = ceil(r + margin);
    float L = il < 0 ? -INFINITY : sample[(size_t)il];
    float U = ih >= (double)s ? INFINITY : sample[(size_t)ih];
    size_t below = 0, cnt = 0;
    for (size_t i = 0; i < n; i++) {
        float v = px[i];
        if (!isfinite(v)) continue;
        if (v < L)
            below++;
        else if (v <= U)
            buf[cnt++] = v;
    }
    /* Both ranks must fall inside the bracket (k + 1 may be past the end). */
    if (k < below || k - below >= cnt || (k + 1 < m && k + 1 - below >= cnt)) return 0;
    /* Then k + 1 < m exactly when rank k + 1 is inside the bracket too. */
    tsc__select_pair(buf, cnt, k - below, v0, v1);
    return 1;
}

/* lo = p(0.5) and hi = p(99.5) of the finite pixels (numpy's linear
 * method), by order statistics instead of a sort: identical values, O(n).
 * buf holds n floats of scratch.  Returns 0 when no pixel is finite. */
static int window(const float *px, size_t n, float *buf, double *lo, double *hi)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) m += isfinite(px[i]) != 0;
    if (m == 0) return 0;
    double pos_lo = 0.5 / 100.0 * (double)(m - 1), pos_hi = 99.5 / 100.0 * (double)(m - 1);
    size_t kl = (size_t)floor(pos_lo), kh = (size_t)floor(pos_hi);
    double fl = pos_lo - (double)kl, fh = pos_hi - (double)kh;
    double l0, l1, h0, h1;
    int done = 0;
    if (m >= 20000) {
        /* Both percentiles sit near the extremes: a sample narrows each to a
         * few thousand candidates, so the work is one pass, not two full
         * selections. */
        enum { SAMPLE = 2048 };
        float sample[SAMPLE];
        size_t s = 0;
        for (size_t j = 0; j < SAMPLE; j++) {
            float v = px[(2 * j + 1) * n / (2 * SAMPLE)];
            if (isfinite(v)) sample[s++] = v;
        }
        if (s >= 256) {
            qsort(sample, s, sizeof *sample, tsc__cmp_float);
            done = bracketed_pair(px, n, m, kl, sample, s, buf, &l0, &l1) &&
                   bracketed_pair(px, n, m, kh, sample, s, buf, &h0, &h1);
        }
    }
    if (!done) {
        size_t c = 0;
        for (size_t i = 0; i < n; i++)
            if (isfinite(px[i])) buf[c++] = px[i];
        tsc__select_pair(buf, m, kh, &h0, &h1);
        /* buf[0..kh) now holds the kh smallest values, and buf[kh] bounds them. */
        if (kl < kh) {
            tsc__select(buf, kh, kl);
            l0 = buf[kl];
            l1 = tsc__min_of(buf, kl + 1, kh + 1);
        } else {
            l0 = h0;
            l1 = h1;
        }
    }
    *lo = l0 + fl * (l1 - l0);
    *hi = h0 + fh * (h1 - h0);
    return 1;
}

/* ---- Step 2: geometry ----------------------------------------------------- */

/* Normalised weights of one axis: output i reads n_taps[i] inputs from
 * first[i] on, with weights w[off[i] ...]. */
typedef struct axis {
    int *first, *n_taps;
    size_t *off;
    double *w;
} axis;

static void axis_free(axis *a)
{
    free(a->first);
    free(a->n_taps);
    free(a->off);
    free(a->w);
}

static tsc_status axis_make(int n, double d, double fov, int size, axis *a, tsc_error *err)
{
    memset(a, 0, sizeof *a);
    const double o = fov / size, off = (fov - n * d) / 2.0, scale = o / d;
    const double support = scale > 1.0 ? scale : 1.0;
    /* Every output visits at most 2 * support + 3 integer taps. */
    double per = 2.0 * support + 3.0;
    if (per * size > (double)MAX_TAPS)
        return tsc_error_set(err, TSC_ELIMIT,
                             "preprocess: spacing ratio too extreme (%g input pixels per output "
                             "pixel)",
                             scale);
    size_t in_taps = (size_t)(per < n ? per : n) + 1;
    a->first = malloc((size_t)size * sizeof *a->first);
    a->n_taps = malloc((size_t)size * sizeof *a->n_taps);
    a->off = malloc((size_t)size * sizeof *a->off);
    a->w = malloc((size_t)size * in_taps * sizeof *a->w);
    if (!a->first || !a->n_taps || !a->off || !a->w) {
        axis_free(a);
        return tsc_error_set(err, TSC_ENOMEM, "preprocess: out of memory for the filter weights");
    }
    size_t pos = 0;
    for (int i = 0; i < size; i++) {
        const double c = ((i + 0.5) * o - off) / d;
        const double j0 = floor(c - support - 0.5), j1 = ceil(c + support - 0.5);
        double den = 0;
        for (double j = j0; j <= j1; j++) {
            double w = 1.0 - fabs((j + 0.5 - c) / support);
            den += w > 0 ? w : 0;
        }
        double lo = j0 < 0 ? 0 : j0, hi = j1 > n - 1 ? n - 1 : j1;
        a->first[i] = (int)lo;
        a->off[i] = pos;
        a->n_taps[i] = 0;
        if (den == 0 || lo > hi) continue; /* out_i = 0 */
        a->n_taps[i] = (int)(hi - lo) + 1;
        for (double j = lo; j <= hi; j++) {
            double w = 1.0 - fabs((j + 0.5 - c) / support);
            a->w[pos++] = (w > 0 ? w : 0) / den;
        }
    }
    return TSC_OK;
}

/* Resamples rows × cols values (row r produced by `row_fn`) into out. */
typedef void (*row_fn)(const void *src, int r, int cols, const double *ctx, double *dst);

static void row_intensity(const void *src, int r, int cols, const double *ctx, double *dst)
{
    const float *p = (const float *)src + (size_t)r * cols;
    const double lo = ctx[0], den = ctx[1];
    const int ok = ctx[2] != 0;
    for (int c = 0; c < cols; c++) {
        double v = p[c], x = 0;
        if (ok && isfinite(v)) {
            x = (v - lo) / den;
            x = x < 0 ? 0 : (x > 1 ? 1 : x);
        }
        dst[c] = x;
    }
}

static void row_raw(const void *src, int r, int cols, const double *ctx, double *dst)
{
    (void)ctx;
    const float *p = (const float *)src + (size_t)r * cols;
    for (int c = 0; c < cols; c++) dst[c] = p[c];
}

static void row_mask(const void *src, int r, int cols, const double *ctx, double *dst)
{
    (void)ctx;
    const uint8_t *p = (const uint8_t *)src + (size_t)r * cols;
    for (int c = 0; c < cols; c++) dst[c] = p[c] ? 1.0 : 0.0;
}

/* Step 2: columns first (every row cols -> size), then rows (every column
 * rows -> size), in double.  Writes size*size doubles to `res`. */
static tsc_status resample(const void *src, row_fn fn, const double *ctx, int rows, int cols,
                           double dx, double dy, int size, double *res, tsc_error *err)
{
    const double fov = fmax(cols * dx, rows * dy);
    axis ax, ay;
    tsc_status st = axis_make(cols, dx, fov, size, &ax, err);
    if (st != TSC_OK) return st;
    st = axis_make(rows, dy, fov, size, &ay, err);
    if (st != TSC_OK) {
        axis_free(&ax);
        return st;
    }
    double *line = malloc((size_t)cols * sizeof *line);
    double *tmp = malloc((size_t)rows * (size_t)size * sizeof *tmp);
    if (!line || !tmp) {
        st = tsc_error_set(err, TSC_ENOMEM, "preprocess: out of memory for a %dx%d slice", cols,
                           rows);
        goto out;
    }
    for (int r = 0; r < rows; r++) {
        fn(src, r, cols, ctx, line);
        double *t = tmp + (size_t)r * size;
        for (int i = 0; i < size; i++) {
            const double *w = ax.w + ax.off[i], *x = line + ax.first[i];
            double s = 0;
            for (int k = 0; k < ax.n_taps[i]; k++) s += w[k] * x[k];
            t[i] = s;
        }
    }
    for (int i = 0; i < size; i++) {
        double *o = res + (size_t)i * size;
        memset(o, 0, (size_t)size * sizeof *o);
        const double *w = ay.w + ay.off[i];
        for (int k = 0; k < ay.n_taps[i]; k++) {
            const double *t = tmp + (size_t)(ay.first[i] + k) * size, wk = w[k];
            for (int j = 0; j < size; j++) o[j] += wk * t[j];
        }
    }
out:
    free(line);
    free(tmp);
    axis_free(&ax);
    axis_free(&ay);
    return st;
}

static tsc_status run(const void *src, row_fn fn, const double *ctx, int rows, int cols, double dx,
                      double dy, int size, float *out_f, uint8_t *out_mask, tsc_error *err)
{
    const size_t ss = (size_t)size * (size_t)size;
    double *res = malloc(ss * sizeof *res);
    if (!res)
        return tsc_error_set(err, TSC_ENOMEM, "preprocess: out of memory for a %dx%d output", size,
                             size);
    tsc_status st = resample(src, fn, ctx, rows, cols, dx, dy, size, res, err);
    if (st == TSC_OK) {
        if (out_f)
            for (size_t i = 0; i < ss; i++) out_f[i] = (float)res[i];
        else
            for (size_t i = 0; i < ss; i++) out_mask[i] = res[i] >= 0.5;
    }
    free(res);
    return st;
}

tsc_status tsc_preprocess(const float *pixels, int rows, int cols, double dx, double dy, int size,
                          float *out, tsc_error *err)
{
    TSC_ASSERT(pixels && out);
    tsc_status st = check_args(rows, cols, dx, dy, size, err);
    if (st != TSC_OK) return st;
    const size_t n = (size_t)rows * (size_t)cols;
    float *a = malloc(n * sizeof *a);
    if (!a)
        return tsc_error_set(err, TSC_ENOMEM, "preprocess: out of memory for a %dx%d slice", cols,
                             rows);
    /* ctx: lo, hi - lo, whether the window exists (some finite pixel and
     * hi > lo). */
    double ctx[3] = {0, 0, 0}, lo, hi;
    if (window(pixels, n, a, &lo, &hi)) {
        ctx[0] = lo;
        ctx[1] = hi - lo;
        ctx[2] = hi > lo;
    }
    free(a);
    return run(pixels, row_intensity, ctx, rows, cols, dx, dy, size, out, NULL, err);
}

tsc_status tsc_resample(const float *pixels, int rows, int cols, double dx, double dy, int size,
                        float *out, tsc_error *err)
{
    TSC_ASSERT(pixels && out);
    tsc_status st = check_args(rows, cols, dx, dy, size, err);
    if (st != TSC_OK) return st;
    return run(pixels, row_raw, NULL, rows, cols, dx, dy, size, out, NULL, err);
}

tsc_status tsc_resample_mask(const uint8_t *mask, int rows, int cols, double dx, double dy,
                             int size, uint8_t *out, tsc_error *err)
{
    TSC_ASSERT(mask && out);
    tsc_status st = check_args(rows, cols, dx, dy, size, err);
    if (st != TSC_OK) return st;
    return run(mask, row_mask, NULL, rows, cols, dx, dy, size, NULL, out, err);
}

/* ---- back to the native grid --------------------------------------------- */

/* Bilinear taps with clamp-to-edge for native pixel k of an axis. */
static void back_tap(int k, double d, double off, double o, int size, int *i0, int *i1, double *f)
{
    double mm = (k + 0.5) * d + off;
    double u = mm / o - 0.5;
    double u0 = floor(u);
    *f = u - u0;
    *i0 = u0 < 0 ? 0 : (u0 > size - 1 ? size - 1 : (int)u0);
    *i1 = u0 + 1 < 0 ? 0 : (u0 + 1 > size - 1 ? size - 1 : (int)u0 + 1);
}

void tsc_preprocess_to_native(const float *prob, int size, int rows, int cols, double dx,
                              double dy, float *out)
{
    TSC_ASSERT(prob && out && size > 0 && rows > 0 && cols > 0);
    TSC_ASSERT(isfinite(dx) && dx > 0 && isfinite(dy) && dy > 0);
    const double fov = fmax(cols * dx, rows * dy), o = fov / size;
    const double offx = (fov - cols * dx) / 2.0, offy = (fov - rows * dy) / 2.0;
    /* Column taps are shared by every row; without memory for them they are
     * recomputed per pixel (same values, slower). */
    int *ci = malloc(2 * (size_t)cols * sizeof *ci);
    double *cf = malloc((size_t)cols * sizeof *cf);
    double *row = malloc((size_t)size * sizeof *row);
    if (ci && cf)
        for (int c = 0; c < cols; c++) back_tap(c, dx, offx, o, size, &ci[2 * c], &ci[2 * c + 1], &cf[c]);
    for (int r = 0; r < rows; r++) {
        int y0, y1;
        double fy;
        back_tap(r, dy, offy, o, size, &y0, &y1, &fy);
        const float *p0 = prob + (size_t)y0 * size, *p1 = prob + (size_t)y1 * size;
        /* Rows first, then columns, as (by @ P) @ bx.T in the Python twin. */
        if (row)
            for (int k = 0; k < size; k++) row[k] = (1.0 - fy) * p0[k] + fy * p1[k];
        float *dst = out + (size_t)r * cols;
        for (int c = 0; c < cols; c++) {
            int x0, x1;
            double fx;
            if (ci && cf) {
                x0 = ci[2 * c];
                x1 = ci[2 * c + 1];
                fx = cf[c];
            } else {
                back_tap(c, dx, offx, o, size, &x0, &x1, &fx);
            }
            double a, b;
            if (row) {
                a = row[x0];
                b = row[x1];
            } else {
                a = (1.0 - fy) * p0[x0] + fy * p1[x0];
                b = (1.0 - fy) * p0[x1] + fy * p1[x1];
            }
            dst[c] = (float)((1.0 - fx) * a + fx * b);
        }
    }
    free(ci);
    free(cf);
    free(row);
}
