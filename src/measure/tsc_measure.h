/* SPDX-License-Identifier: BSD-3-Clause */
/* tsc_measure: lesions of a binary mask, measured in millimetres.
 *
 * A lesion is an 8-connected component of the mask whose area reaches the
 * minimum.  Each gets its area, its longest diameter, the longest diameter
 * perpendicular to it (RANO), their product, the axes' end points, centroid,
 * bounding box, mean intensity and outline (docs/CLASSIC.md has the exact
 * definitions, summarised here).
 *
 * Coordinates: pixel coordinates are (x = column, y = row) with the origin
 * at the centre of the top-left pixel, so pixel (r, c) covers
 * [c - 0.5, c + 0.5] x [r - 0.5, r + 0.5].  Physical distances scale x by dx
 * (mm between columns) and y by dy (mm between rows).
 *
 * The lesion's contour is its outer boundary as the iso-0.5 line of the mask:
 * the polygon through the midpoints of the pixel sides that separate the
 * lesion from the outside, in order (marching squares, with diagonal
 * touches kept inside as 8-connectivity requires).  Its vertices sit on the
 * lesion's edge, half a pixel from the boundary pixels' centres.
 * - Longest diameter: the largest distance in mm between two contour
 *   vertices (exact, over the convex hull).
 * - Perpendicular diameter: over every line perpendicular to the longest
 *   diameter, the distance between the first and the last point where the
 *   line meets the contour; the largest such chord.  For a convex lesion it
 *   is the longest perpendicular segment inside the lesion; across a cavity
 *   (a ring) it spans the cavity, as RANO measures include cysts.
 *
 * Ownership: tsc_measure_lesions() gives a tsc_lesion_set freed with
 * tsc_lesion_set_free(); the `_get_` results borrow from the set. */
#ifndef TSC_MEASURE_H
#define TSC_MEASURE_H

#include <stddef.h>
#include <stdint.h>

#include "tsc_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A point in pixel coordinates (see above). */
typedef struct tsc_vec2 {
    double x, y;
} tsc_vec2;

typedef struct tsc_lesion_measure {
    int32_t label;               /* value of its pixels in the set's label image */
    size_t n_pixels;
    double area_mm2;             /* n_pixels * dx * dy */
    double diameter_mm;          /* longest diameter */
    double perpendicular_mm;     /* longest chord perpendicular to it */
    double product_mm2;          /* diameter_mm * perpendicular_mm */
    tsc_vec2 diameter_ends[2];   /* on the contour, pixel coordinates */
    tsc_vec2 perpendicular_ends[2];
    tsc_vec2 centroid;           /* mean of the pixel centres */
    int bbox[4];                 /* x0, y0, x1, y1: inclusive pixel indices */
    double mean_intensity;       /* of the finite image pixels inside; NaN without any */
    const tsc_vec2 *outline;     /* the contour, closed implicitly (last -> first),
                                    clockwise on screen; collinear vertices dropped */
    size_t n_outline;
} tsc_lesion_measure;

typedef struct tsc_lesion_set tsc_lesion_set;

/* Finds and measures the lesions of `mask` (rows*cols, nonzero = lesion).
 * `image` (rows*cols, may be NULL) gives the mean intensities.  Components
 * with an area under `min_area_mm2` are dropped.  Lesions are ordered by
 * area, largest first (ties: first pixel in raster order).  TSC_EINVAL for
 * a spacing that is not positive, TSC_ENOMEM, TSC_ELIMIT. */
tsc_status tsc_measure_lesions(const uint8_t *mask, const float *image, int rows, int cols,
                               double dx, double dy, double min_area_mm2, tsc_lesion_set **out,
                               tsc_error *err);
void tsc_lesion_set_free(tsc_lesion_set *set);

size_t tsc_lesion_set_count(const tsc_lesion_set *set);
/* Lesion i (< count), borrowed. */
const tsc_lesion_measure *tsc_lesion_set_get(const tsc_lesion_set *set, size_t i);
/* rows*cols labels: lesion i has label i + 1; 0 is background and the
 * dropped components (so `labels != 0` is the cleaned mask).  Borrowed. */
const int32_t *tsc_lesion_set_get_labels(const tsc_lesion_set *set, int *rows, int *cols);

#ifdef __cplusplus
}
#endif
#endif
