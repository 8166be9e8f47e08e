/* SPDX-License-Identifier: BSD-3-Clause */
/* The head mask and the two classical baseline segmentations
 * (docs/CLASSIC.md explains the choices). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "classic_private.h"

/* Shared constants of the baselines, in mm where physical. */
#define BRAIN_MARGIN_MM 10.0   /* scalp and skull rim left out of the brain */
#define SMOOTH_PX 1.0          /* denoising before thresholds and growing */
#define SEED_SMOOTH_MM 6.0     /* a seed must be bright over an area, not a vessel */
#define OTSU_PASSES 2          /* threshold baseline: brightest of three classes */
#define OPEN_MM 2.0            /* threshold baseline: cut thin bridges and specks */
#define GROW_ABS 0.20          /* region growing: fraction of the brain's p1..p99 range */
#define GROW_REL 0.0           /* region growing: fraction of the running mean */
#define GROW_MAX_FRACTION 0.25 /* region growing: a leak stops at a quarter of the brain */
#define GROW_ATTEMPTS 3        /* region growing: halve the tolerance after a leak */

tsc_status tsc_head_mask(const float *in, int rows, int cols, uint8_t *out, tsc_error *err)
{
    TSC_ASSERT(in && out);
    tsc_status st = tsc__check_size(rows, cols, "head mask", err);
    if (st != TSC_OK) return st;
    const size_t n = (size_t)rows * (size_t)cols;
    memset(out, 0, n);
    float *smooth = malloc(n * sizeof *smooth);
    if (!smooth)
        return tsc_error_set(err, TSC_ENOMEM, "head mask: out of memory for a %dx%d image", cols,
                             rows);
    int side = rows < cols ? rows : cols;
    double sigma = side / 128.0 < 1 ? 1 : side / 128.0;
    st = tsc_gaussian_blur(in, rows, cols, sigma, sigma, smooth, err);
    /* The histogram spans [min, p99.5]: a few hot pixels must not squeeze
     * the head and the background into the same bins. */
    double q[2] = {0, 99.5}, p[2];
    if (st == TSC_OK) st = tsc_percentiles(smooth, NULL, n, q, 2, p, err);
    double t = 0;
    if (st == TSC_OK) {
        if (!(p[1] > p[0])) p[1] = p[0]; /* let Otsu find the range (or report it uniform) */
        st = tsc_otsu_threshold(smooth, NULL, n, 256, p[0], p[1], &t, err);
    }
    if (st == TSC_OK) tsc_threshold(smooth, n, t, INFINITY, out);
    free(smooth);
    /* Close and fill before keeping the largest component: a dark skull
     * often cuts the bright scalp ring off the brain, and only once the ring
     * is filled are they one component. */
    if (st == TSC_OK) {
        double r = side / 64.0 < 1 ? 1 : floor(side / 64.0);
        st = tsc_close(out, rows, cols, r, 1, 1, out, err);
    }
    if (st == TSC_OK) st = tsc_fill_holes(out, rows, cols, out, err);
    if (st == TSC_OK) st = tsc_largest_component(out, rows, cols, TSC_CONNECT_8, out, NULL, err);
    if (st != TSC_OK) {
        memset(out, 0, n);
        tsc_error_prefix(err, "head mask");
    }
    return st;
}

/* Common start of both baselines: checks, the brain region (head mask
 * minus a rim) and the lightly smoothed image.  Returns TSC_ENOTFOUND with
 * `mask` cleared when the image is uniform: nothing to segment. */
static tsc_status baseline_prepare(const float *in, int rows, int cols, double dx, double dy,
                                   const char *what, uint8_t *mask, uint8_t *brain, float *smooth,
                                   size_t *n_brain, tsc_error *err)
{
    const size_t n = (size_t)rows * (size_t)cols;
    memset(mask, 0, n);
    if (!(isfinite(dx) && dx > 0 && isfinite(dy) && dy > 0))
        return tsc_error_set(err, TSC_EINVAL,
                             "%s baseline: pixel spacing %g x %g mm is not positive", what, dx, dy);
    tsc_status st = tsc_head_mask(in, rows, cols, brain, err);
    if (st != TSC_OK) return st;
    /* Inside the skin line the scalp fat and marrow are bright in T1 and
     * would win every "brightest" contest: step inwards first. */
    uint8_t *eroded = malloc(n);
    if (!eroded) return tsc_error_set(err, TSC_ENOMEM, "%s baseline: out of memory", what);
    st = tsc_erode(brain, rows, cols, BRAIN_MARGIN_MM, dx, dy, eroded, err);
    size_t nb = 0;
    for (size_t i = 0; i < n && st == TSC_OK; i++) nb += eroded[i];
    if (st == TSC_OK && nb > 0) memcpy(brain, eroded, n); /* a tiny head keeps its own mask */
    free(eroded);
    if (st != TSC_OK) return st;
    nb = 0;
    for (size_t i = 0; i < n; i++) nb += brain[i];
    *n_brain = nb;
    return tsc_gaussian_blur(in, rows, cols, SMOOTH_PX, SMOOTH_PX, smooth, err);
}

static tsc_status baseline_finish(tsc_status st, const char *what, uint8_t *mask, size_t n,
                                  tsc_error *err)
{
    if (st == TSC_ENOTFOUND) {
        /* A uniform image (or a brain without contrast) holds no lesion. */
        memset(mask, 0, n);
        tsc_error_clear(err);
        return TSC_OK;
    }
    if (st != TSC_OK) {
        memset(mask, 0, n);
        tsc_error_prefix(err, "%s baseline", what);
    }
    return st;
}

tsc_status tsc_baseline_threshold(const float *in, int rows, int cols, double dx, double dy,
                                  uint8_t *mask, tsc_error *err)
{
    TSC_ASSERT(in && mask);
    tsc_status st = tsc__check_size(rows, cols, "threshold baseline", err);
    if (st != TSC_OK) return st;
    const size_t n = (size_t)rows * (size_t)cols;
    uint8_t *brain = malloc(n), *bright = malloc(n);
    float *smooth = malloc(n * sizeof *smooth);
    size_t nb = 0;
    if (!brain || !bright || !smooth)
        st = tsc_error_set(err, TSC_ENOMEM, "out of memory for a %dx%d image", cols, rows);
    if (st == TSC_OK)
        st = baseline_prepare(in, rows, cols, dx, dy, "threshold", mask, brain, smooth, &nb, err);
    /* Otsu on the brain, then again on its bright class: the result is the
     * brightest of three classes rather than all of the brain tissue. */
    for (size_t i = 0; i < n && st == TSC_OK; i++) bright[i] = brain[i];
    for (int pass = 0; pass < OTSU_PASSES && st == TSC_OK; pass++) {
        double t = 0;
        st = tsc_otsu_threshold(smooth, bright, n, 256, 0, 0, &t, err);
        if (st == TSC_ENOTFOUND && pass > 0) {
            /* The bright class is uniform: it is the brightest class. */
            tsc_error_clear(err);
            st = TSC_OK;
            break;
        }
        for (size_t i = 0; i < n && st == TSC_OK; i++) bright[i] = bright[i] && smooth[i] >= t;
    }
    if (st == TSC_OK) st = tsc_largest_component(bright, rows, cols, TSC_CONNECT_8, mask, NULL, err);
    if (st == TSC_OK) st = tsc_open(mask, rows, cols, OPEN_MM, dx, dy, mask, err);
    if (st == TSC_OK) st = tsc_largest_component(mask, rows, cols, TSC_CONNECT_8, mask, NULL, err);
    if (st == TSC_OK) st = tsc_fill_holes(mask, rows, cols, mask, err);
    free(brain);
    free(bright);
    free(smooth);
    return baseline_finish(st, "threshold", mask, n, err);
}

tsc_status tsc_baseline_region_growing(const float *in, int rows, int cols, double dx, double dy,
                                       uint8_t *mask, tsc_error *err)
{
    TSC_ASSERT(in && mask);
    tsc_status st = tsc__check_size(rows, cols, "region-growing baseline", err);
    if (st != TSC_OK) return st;
    const size_t n = (size_t)rows * (size_t)cols;
    uint8_t *brain = malloc(n);
    float *smooth = malloc(n * sizeof *smooth), *seedmap = malloc(n * sizeof *seedmap);
    size_t nb = 0;
    if (!brain || !smooth || !seedmap)
        st = tsc_error_set(err, TSC_ENOMEM, "out of memory for a %dx%d image", cols, rows);
    if (st == TSC_OK)
        st = baseline_prepare(in, rows, cols, dx, dy, "region-growing", mask, brain, smooth, &nb,
                              err);
    if (st == TSC_OK)
        st = tsc_gaussian_blur(in, rows, cols, SEED_SMOOTH_MM / dx, SEED_SMOOTH_MM / dy, seedmap,
                               err);
    size_t seed = n;
    if (st == TSC_OK) {
        for (size_t i = 0; i < n; i++)
            if (brain[i] && isfinite(seedmap[i]) && isfinite(smooth[i]) &&
                (seed == n || seedmap[i] > seedmap[seed]))
                seed = i;
        if (seed == n)
            st = tsc_error_set(err, TSC_ENOTFOUND, "no finite pixel inside the brain");
    }
    /* The tolerance scales with the brain's own contrast so it means the
     * same on any scanner's units. */
    double q[2] = {1, 99}, p[2] = {0, 0};
    if (st == TSC_OK) st = tsc_percentiles(smooth, brain, n, q, 2, p, err);
    if (st == TSC_OK) {
        tsc_region_grow_params g = tsc_region_grow_default_params();
        g.connectivity = TSC_CONNECT_8;
        g.rel_tolerance = GROW_REL;
        g.constraint = brain;
        g.max_pixels = (size_t)(GROW_MAX_FRACTION * (double)nb) + 1;
        /* A region that reaches the cap has leaked into normal tissue (and
         * is cut off as a breadth-first square): grow again, stricter. */
        double tol = GROW_ABS;
        for (int attempt = 0; attempt < GROW_ATTEMPTS && st == TSC_OK; attempt++, tol *= 0.5) {
            size_t size = 0;
            g.abs_tolerance = tol * (p[1] - p[0]);
            st = tsc_region_grow(smooth, rows, cols, (int)(seed / (size_t)cols),
                                 (int)(seed % (size_t)cols), &g, mask, &size, err);
            if (size < g.max_pixels) break;
        }
    }
    if (st == TSC_OK) st = tsc_fill_holes(mask, rows, cols, mask, err);
    free(brain);
    free(smooth);
    free(seedmap);
    return baseline_finish(st, "region-growing", mask, n, err);
}
