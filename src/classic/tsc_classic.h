/* SPDX-License-Identifier: BSD-3-Clause */
/* tsc_classic: classical image analysis on one slice (plain C11).
 *
 * Intensity normalisation, thresholds (fixed, Otsu), Gaussian blur, Canny
 * edges, seeded region growing, binary morphology with a disc, connected
 * components, the head mask, and two baseline tumour segmentations built from
 * them (docs/CLASSIC.md explains each one's logic and limits).
 *
 * Images: row-major, `rows` × `cols`, no padding.  Grey images are float32;
 * masks are uint8 (0 = background, anything else = foreground on input,
 * exactly 1 on output).  Non-finite pixels (NaN, ±Inf) are tolerated
 * everywhere: statistics skip them and filters treat them as missing.
 *
 * Ownership: every output buffer is caller-allocated with the stated size,
 * except `counts` of tsc_label_components (free() it).  Unless a function
 * says otherwise, its output may not alias its input.
 * Errors: misuse (NULL buffers, rows or cols < 1) asserts; bad data returns a
 * status and fills the optional tsc_error: TSC_EINVAL when an image has no
 * finite pixel where values are needed, TSC_ENOTFOUND when the data holds
 * nothing to find (a uniform image has no Otsu threshold and no head),
 * TSC_ELIMIT for images over 2^31 pixels, TSC_ENOMEM.
 * Units: radii and sigmas in pixels unless named `_mm`; spacing `dx` is
 * between columns and `dy` between rows, in mm. */
#ifndef TSC_CLASSIC_H
#define TSC_CLASSIC_H

#include <stddef.h>
#include <stdint.h>

#include "tsc_status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tsc_connectivity {
    TSC_CONNECT_4 = 4, /* edge neighbours */
    TSC_CONNECT_8 = 8  /* edge and corner neighbours */
} tsc_connectivity;

/* ---- intensity ----------------------------------------------------------- */

/* Percentiles q[k] (0..100) of the finite values of in[i] where mask is NULL
 * or mask[i] != 0, with linear interpolation (numpy's default method).
 * TSC_EINVAL when there is no such value. */
tsc_status tsc_percentiles(const float *in, const uint8_t *mask, size_t n, const double *q,
                           size_t nq, double *out, tsc_error *err);

/* out = clamp((v - lo) / (hi - lo), 0, 1) with lo, hi the q_lo and q_hi
 * percentiles of the finite (masked) values; every pixel is mapped, masked or
 * not.  Non-finite pixels become 0; so does everything when hi <= lo.
 * TSC_EINVAL when there is no finite (masked) value.  out may equal in. */
tsc_status tsc_normalize_percentile(const float *in, const uint8_t *mask, size_t n, double q_lo,
                                    double q_hi, float *out, tsc_error *err);

/* out = (v - mean) / sd with mean and (population) sd of the finite values
 * where mask is NULL or nonzero; every pixel is mapped.  Non-finite pixels
 * become 0; when sd is 0, out = v - mean.  TSC_EINVAL when there is no
 * finite (masked) value.  out may equal in. */
tsc_status tsc_normalize_zscore(const float *in, const uint8_t *mask, size_t n, float *out,
                                tsc_error *err);

/* ---- thresholds ---------------------------------------------------------- */

/* Otsu's threshold of the finite values where mask is NULL or nonzero, from
 * a histogram of `bins` bins (2..65536) over [lo, hi] (values outside go to
 * the end bins); lo >= hi means the values' own min and max.  The bright
 * class is v >= *threshold.  When the best split is a run of equal scores
 * (an empty gap between the modes) the threshold is the middle of the run.
 * TSC_EINVAL without finite values, TSC_ENOTFOUND when all values fall in
 * one bin (no split exists). */
tsc_status tsc_otsu_threshold(const float *in, const uint8_t *mask, size_t n, int bins, double lo,
                              double hi, double *threshold, tsc_error *err);

/* out[i] = 1 where lo <= in[i] <= hi (non-finite: 0); returns the number of
 * pixels set.  Use -INFINITY / INFINITY for a one-sided threshold. */
size_t tsc_threshold(const float *in, size_t n, double lo, double hi, uint8_t *out);

/* ---- filters ------------------------------------------------------------- */

/* Separable Gaussian blur with standard deviations sigma_x (along a row) and
 * sigma_y (along a column) in pixels; a sigma <= 0 leaves that axis alone.
 * The kernel is truncated at 3 sigma.  Taps that fall outside the image or
 * on non-finite pixels are left out and the rest renormalised, so borders
 * keep their level and NaN holes are filled from their neighbours (NaN only
 * where no finite pixel is within reach).  out may equal in. */
tsc_status tsc_gaussian_blur(const float *in, int rows, int cols, double sigma_x, double sigma_y,
                             float *out, tsc_error *err);

typedef struct tsc_canny_params {
    double sigma;       /* Gaussian smoothing in pixels (default 1.4; 0 = none) */
    double low, high;   /* hysteresis thresholds on the Sobel gradient magnitude */
    int relative;       /* 1 (default): low/high are fractions of the image's
                           largest magnitude (defaults 0.1, 0.25) */
} tsc_canny_params;

tsc_canny_params tsc_canny_default_params(void);

/* Canny edges: blur, Sobel gradients, non-maximum suppression along the
 * gradient direction (quantised to 0/45/90/135°), double threshold with
 * 8-connected hysteresis.  Edges are one pixel thick; where two neighbours
 * across the edge tie (a step between two pixel columns), the edge goes on
 * the later one in raster order (the right or lower pixel).  The outermost
 * pixel ring never holds an edge.  Writes rows*cols bytes to `edges`.
 * params NULL means defaults. */
tsc_status tsc_canny(const float *in, int rows, int cols, const tsc_canny_params *params,
                     uint8_t *edges, tsc_error *err);

/* ---- region growing ------------------------------------------------------ */

typedef struct tsc_region_grow_params {
    tsc_connectivity connectivity; /* default TSC_CONNECT_8 */
    /* A neighbour joins when |v - mean| <= abs_tolerance + rel_tolerance *
     * |mean|, mean being the region's running mean at the time the neighbour
     * is first reached (each pixel is tested once).  Defaults: 0 and 0.2. */
    double abs_tolerance;
    double rel_tolerance;
    const uint8_t *constraint;     /* rows*cols; grow only where nonzero (NULL: anywhere) */
    size_t max_pixels;             /* stop at this size (0: no limit) */
} tsc_region_grow_params;

tsc_region_grow_params tsc_region_grow_default_params(void);

/* Grows a region from pixel (seed_row, seed_col) in breadth-first order.
 * Writes the region (1) into `out` (rows*cols) and its size to *n_pixels
 * (may be NULL).  TSC_EINVAL when the seed is outside the image, not finite
 * or outside the constraint.  params NULL means defaults. */
tsc_status tsc_region_grow(const float *in, int rows, int cols, int seed_row, int seed_col,
                           const tsc_region_grow_params *params, uint8_t *out, size_t *n_pixels,
                           tsc_error *err);

/* ---- binary morphology --------------------------------------------------- */

/* The structuring element is a disc of `radius_mm` on a grid of spacing dx, dy
 * mm: the offsets (i rows, j columns) with (i*dy)^2 + (j*dx)^2 <= radius^2.
 * For a radius in pixels pass dx = dy = 1.  A radius under one pixel is the
 * identity.  Dilation treats pixels outside the image as background, erosion
 * (its dual) as foreground, so closing never removes a pixel and nothing is
 * eroded from the image border.  Cost: O(rows*cols*radius/dy).  out may
 * equal in. */
tsc_status tsc_dilate(const uint8_t *in, int rows, int cols, double radius_mm, double dx,
                      double dy, uint8_t *out, tsc_error *err);
tsc_status tsc_erode(const uint8_t *in, int rows, int cols, double radius_mm, double dx, double dy,
                     uint8_t *out, tsc_error *err);
/* Erosion then dilation: removes parts narrower than the disc. */
tsc_status tsc_open(const uint8_t *in, int rows, int cols, double radius_mm, double dx, double dy,
                    uint8_t *out, tsc_error *err);
/* Dilation then erosion: bridges gaps narrower than the disc. */
tsc_status tsc_close(const uint8_t *in, int rows, int cols, double radius_mm, double dx,
                     double dy, uint8_t *out, tsc_error *err);
/* Sets every background pixel that is not 4-connected to the image border
 * (a hole of the 8-connected foreground).  out may equal in. */
tsc_status tsc_fill_holes(const uint8_t *in, int rows, int cols, uint8_t *out, tsc_error *err);

/* ---- connected components ------------------------------------------------ */

/* Labels the foreground of `mask`: labels (rows*cols int32, caller-owned)
 * gets 0 for background and 1..n for the components, numbered in raster
 * order of their first pixel; *n_labels = n.  When `counts` is not NULL,
 * *counts receives a malloc'd array of n + 1 pixel counts (counts[0] is the
 * background) that the caller frees with free(). */
tsc_status tsc_label_components(const uint8_t *mask, int rows, int cols, tsc_connectivity conn,
                                int32_t *labels, int32_t *n_labels, size_t **counts,
                                tsc_error *err);

/* Keeps only the largest component (the first in raster order on a tie);
 * *n_pixels (may be NULL) gets its size, 0 for an empty mask.  out may equal
 * in. */
tsc_status tsc_largest_component(const uint8_t *in, int rows, int cols, tsc_connectivity conn,
                                 uint8_t *out, size_t *n_pixels, tsc_error *err);

/* ---- head mask and baselines --------------------------------------------- */

/* The head (everything inside the skin line), used to suppress findings in
 * the background: Gaussian blur (sigma = max(1, min(rows, cols) / 128) px),
 * Otsu over [min, 99.5th percentile] of the blurred values, closing with a
 * disc of max(1, min(rows, cols) / 64) px, hole filling, and the largest
 * 8-connected component.  Writes rows*cols bytes.  TSC_EINVAL when no pixel
 * is finite, TSC_ENOTFOUND when the image is uniform (out is then all 0). */
tsc_status tsc_head_mask(const float *in, int rows, int cols, uint8_t *out, tsc_error *err);

/* Baseline "threshold" (CLI --method threshold).  Inside the brain (the
 * head mask eroded by 10 mm, which leaves out the scalp and skull), on the
 * image blurred by 1 px: Otsu on the brain, then Otsu again on its bright
 * class (the brightest of three classes), the largest 8-connected component
 * of that class, opened with a 2 mm disc (largest component again), holes
 * filled.  Writes the tumour mask (rows*cols).  Returns TSC_OK with an
 * empty mask when nothing stands out (uniform image); TSC_EINVAL when no
 * pixel is finite or the spacing is not positive. */
tsc_status tsc_baseline_threshold(const float *in, int rows, int cols, double dx, double dy,
                                  uint8_t *mask, tsc_error *err);

/* Baseline "region growing" (CLI --method region-growing).  The seed is the
 * brightest point, inside the brain (as above), of the image blurred by a
 * 6 mm Gaussian; the region grows 8-connected inside the brain on the 1-px
 * blurred image, accepting pixels within 20% of the brain's 1st-99th
 * percentile range of the running mean, capped at a quarter of the brain.
 * A region that reaches the cap has leaked and is grown again with half the
 * tolerance (three attempts).  Holes are filled.  Same statuses as
 * tsc_baseline_threshold. */
tsc_status tsc_baseline_region_growing(const float *in, int rows, int cols, double dx, double dy,
                                       uint8_t *mask, tsc_error *err);

#ifdef __cplusplus
}
#endif
#endif
