/* SPDX-License-Identifier: BSD-3-Clause */
/* Binary morphology with a (possibly anisotropic) disc, hole filling. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "classic_private.h"

typedef struct disc {
    int ry;      /* half height in rows */
    int *w;      /* w[i + ry]: half width in columns of the row at offset i */
} disc;

static tsc_status disc_make(double radius, double dx, double dy, int rows, int cols, disc *d,
                            const char *what, tsc_error *err)
{
    if (!(isfinite(radius) && radius >= 0 && isfinite(dx) && dx > 0 && isfinite(dy) && dy > 0))
        return tsc_error_set(err, TSC_EINVAL,
                             "%s: disc radius %g mm on spacing %g x %g mm is not valid; the radius "
                             "must be >= 0 and the spacing > 0",
                             what, radius, dx, dy);
    /* A tiny slack keeps offsets that sit exactly on the circle inside
     * despite rounding (radius 2 px must include (0, 2)). */
    const double eps = 1e-9;
    double ry = floor(radius / dy + eps);
    d->ry = ry > rows ? rows : (int)ry;
    d->w = malloc((2 * (size_t)d->ry + 1) * sizeof *d->w);
    if (!d->w) return tsc_error_set(err, TSC_ENOMEM, "%s: out of memory", what);
    for (int i = -d->ry; i <= d->ry; i++) {
        double h2 = radius * radius - (i * dy) * (i * dy);
        double w = h2 > 0 ? floor(sqrt(h2) / dx + eps) : 0;
        d->w[i + d->ry] = w > cols ? cols : (int)w;
    }
    return TSC_OK;
}

/* h[r][c]: distance in columns from (r, c) to the nearest pixel of its row
 * that is foreground (in != 0) xor `invert`; cols + 1 when there is none. */
static void row_distance(const uint8_t *in, int rows, int cols, int invert, int32_t *h)
{
    const int32_t far = cols + 1;
    for (int r = 0; r < rows; r++) {
        const uint8_t *src = in + (size_t)r * cols;
        int32_t *dst = h + (size_t)r * cols;
        int32_t d = far;
        for (int c = 0; c < cols; c++) {
            if ((src[c] != 0) != (invert != 0))
                d = 0;
            else if (d < far)
                d++;
            dst[c] = d;
        }
        d = far;
        for (int c = cols - 1; c >= 0; c--) {
            if (dst[c] == 0)
                d = 0;
            else if (d < far)
                d++;
            if (d < dst[c]) dst[c] = d;
        }
    }
}

/* Dilation of the foreground (or, with `erode`, erosion as the complement of
 * the dilated complement): a pixel is hit when some row offset i of the disc
 * has a foreground pixel within w_i columns.  All of h is computed before
 * out is written, so out may alias in. */
static void morph(const uint8_t *in, int rows, int cols, const disc *d, int erode, int32_t *h,
                  uint8_t *out)
{
    row_distance(in, rows, cols, erode, h);
    for (int r = 0; r < rows; r++) {
        uint8_t *dst = out + (size_t)r * cols;
        memset(dst, 0, (size_t)cols);
        int i0 = r - d->ry < 0 ? -r : -d->ry, i1 = r + d->ry >= rows ? rows - 1 - r : d->ry;
        for (int i = i0; i <= i1; i++) {
            const int32_t *hr = h + (size_t)(r + i) * cols;
            const int32_t w = d->w[i + d->ry];
            for (int c = 0; c < cols; c++) dst[c] |= hr[c] <= w;
        }
        if (erode)
            for (int c = 0; c < cols; c++) dst[c] ^= 1;
    }
}

/* ops: a sequence of 'd' (dilate) and 'e' (erode). */
static tsc_status run_ops(const uint8_t *in, int rows, int cols, double radius, double dx,
                          double dy, const char *ops, uint8_t *out, const char *what,
                          tsc_error *err)
{
    TSC_ASSERT(in && out);
    tsc_status st = tsc__check_size(rows, cols, what, err);
    if (st != TSC_OK) return st;
    disc d = {0, NULL};
    st = disc_make(radius, dx, dy, rows, cols, &d, what, err);
    if (st != TSC_OK) return st;
    int32_t *h = malloc((size_t)rows * (size_t)cols * sizeof *h);
    if (!h) {
        free(d.w);
        return tsc_error_set(err, TSC_ENOMEM, "%s: out of memory for a %dx%d image", what, cols,
                             rows);
    }
    const uint8_t *src = in;
    for (const char *op = ops; *op; op++) {
        morph(src, rows, cols, &d, *op == 'e', h, out);
        src = out;
    }
    free(h);
    free(d.w);
    return TSC_OK;
}

tsc_status tsc_dilate(const uint8_t *in, int rows, int cols, double radius_mm, double dx,
                      double dy, uint8_t *out, tsc_error *err)
{
    return run_ops(in, rows, cols, radius_mm, dx, dy, "d", out, "dilation", err);
}

tsc_status tsc_erode(const uint8_t *in, int rows, int cols, double radius_mm, double dx, double dy,
                     uint8_t *out, tsc_error *err)
{
    return run_ops(in, rows, cols, radius_mm, dx, dy, "e", out, "erosion", err);
}

tsc_status tsc_open(const uint8_t *in, int rows, int cols, double radius_mm, double dx, double dy,
                    uint8_t *out, tsc_error *err)
{
    return run_ops(in, rows, cols, radius_mm, dx, dy, "ed", out, "opening", err);
}

tsc_status tsc_close(const uint8_t *in, int rows, int cols, double radius_mm, double dx,
                     double dy, uint8_t *out, tsc_error *err)
{
    return run_ops(in, rows, cols, radius_mm, dx, dy, "de", out, "closing", err);
}

tsc_status tsc_fill_holes(const uint8_t *in, int rows, int cols, uint8_t *out, tsc_error *err)
{
    TSC_ASSERT(in && out);
    tsc_status st = tsc__check_size(rows, cols, "hole filling", err);
    if (st != TSC_OK) return st;
    const size_t n = (size_t)rows * (size_t)cols;
    /* reached[i]: background connected to the border. */
    uint8_t *reached = calloc(n, 1);
    int32_t *queue = malloc(n * sizeof *queue);
    if (!reached || !queue) {
        free(reached);
        free(queue);
        return tsc_error_set(err, TSC_ENOMEM, "hole filling: out of memory for a %dx%d image", cols,
                             rows);
    }
    size_t head = 0, tail = 0;
#define TSC__SEED(idx)                          \
    do {                                        \
        size_t i_ = (idx);                      \
        if (!in[i_] && !reached[i_]) {          \
            reached[i_] = 1;                    \
            queue[tail++] = (int32_t)i_;        \
        }                                       \
    } while (0)
    for (int c = 0; c < cols; c++) {
        TSC__SEED((size_t)c);
        TSC__SEED((size_t)(rows - 1) * cols + c);
    }
    for (int r = 0; r < rows; r++) {
        TSC__SEED((size_t)r * cols);
        TSC__SEED((size_t)r * cols + cols - 1);
    }
    while (head < tail) {
        size_t i = (size_t)queue[head++];
        int r = (int)(i / (size_t)cols), c = (int)(i % (size_t)cols);
        if (r > 0) TSC__SEED(i - cols);
        if (r < rows - 1) TSC__SEED(i + cols);
        if (c > 0) TSC__SEED(i - 1);
        if (c < cols - 1) TSC__SEED(i + 1);
    }
#undef TSC__SEED
    for (size_t i = 0; i < n; i++) out[i] = !reached[i];
    free(reached);
    free(queue);
    return TSC_OK;
}
