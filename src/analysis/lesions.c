/* SPDX-License-Identifier: BSD-3-Clause */
/* From a result's mask to its lesions (tsc_measure), in the result's own
 * storage so that results stay self-contained and copyable. */
#include <stdlib.h>
#include <string.h>

#include "analysis_private.h"
#include "tsc_measure.h"

tsc_status tsc__result_measure(tsc_result *r, const tsc_slice *slice, double min_area_mm2,
                               tsc_error *err)
{
    tsc_lesion_set *set = NULL;
    tsc_status st = tsc_measure_lesions(r->mask, slice->pixels, r->rows, r->cols, slice->spacing[1],
                                        slice->spacing[0], min_area_mm2, &set, err);
    if (st != TSC_OK) return st;
    /* The mask keeps only what was measured: components under the minimum
     * area are dropped from both. */
    int rows, cols;
    const int32_t *labels = tsc_lesion_set_get_labels(set, &rows, &cols);
    size_t px = (size_t)rows * (size_t)cols;
    for (size_t i = 0; i < px; i++) r->mask[i] = labels[i] != 0;

    size_t n = tsc_lesion_set_count(set), n_points = 0;
    for (size_t i = 0; i < n; i++) n_points += tsc_lesion_set_get(set, i)->n_outline;
    free(r->lesions);
    free(r->outline_points);
    r->lesions = n ? calloc(n, sizeof *r->lesions) : NULL;
    r->outline_points = n_points ? malloc(n_points * sizeof *r->outline_points) : NULL;
    r->n_lesions = 0;
    r->n_outline_points = 0;
    if ((n && !r->lesions) || (n_points && !r->outline_points)) {
        tsc_lesion_set_free(set);
        return tsc_error_set(err, TSC_ENOMEM, "out of memory for %zu lesion outlines", n);
    }
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        const tsc_lesion_measure *m = tsc_lesion_set_get(set, i);
        tsc_lesion_info *l = &r->lesions[i];
        l->area_mm2 = m->area_mm2;
        l->diameter_mm = m->diameter_mm;
        l->perpendicular_mm = m->perpendicular_mm;
        l->product_mm2 = m->product_mm2;
        for (int k = 0; k < 2; k++) {
            l->diameter_ends[k] = (tsc_point){m->diameter_ends[k].x, m->diameter_ends[k].y};
            l->perpendicular_ends[k] =
                (tsc_point){m->perpendicular_ends[k].x, m->perpendicular_ends[k].y};
        }
        l->centroid = (tsc_point){m->centroid.x, m->centroid.y};
        memcpy(l->bbox, m->bbox, sizeof l->bbox);
        l->mean_intensity = m->mean_intensity;
        l->outline = r->outline_points + at;
        l->n_outline = m->n_outline;
        for (size_t k = 0; k < m->n_outline; k++)
            r->outline_points[at + k] = (tsc_point){m->outline[k].x, m->outline[k].y};
        at += m->n_outline;
    }
    r->n_lesions = n;
    r->n_outline_points = at;
    tsc_lesion_set_free(set);
    return TSC_OK;
}

void tsc__result_clear_findings(tsc_result *r)
{
    memset(r->mask, 0, (size_t)r->rows * (size_t)r->cols);
    r->n_lesions = 0;
    r->n_outline_points = 0;
}
