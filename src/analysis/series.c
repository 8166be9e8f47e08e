/* SPDX-License-Identifier: BSD-3-Clause */
/* Series analysis: slices on a worker pool (series_run.c), then 3D
 * aggregation. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_private.h"
#include "series_private.h"
#include "struct_size_private.h"

/* 8-connected labelling of a mask; returns the number of labels (1-based). */
static int label_mask(const uint8_t *mask, int rows, int cols, int *labels)
{
    int n = 0;
    size_t total = (size_t)rows * (size_t)cols;
    memset(labels, 0, total * sizeof *labels);
    int *stack = malloc(total * sizeof *stack);
    if (!stack) return -1;
    for (size_t i = 0; i < total; i++) {
        if (!mask[i] || labels[i]) continue;
        n++;
        size_t sp = 0;
        stack[sp++] = (int)i;
        labels[i] = n;
        while (sp) {
            int p = stack[--sp];
            int r = p / cols, c = p % cols;
            for (int dr = -1; dr <= 1; dr++)
                for (int dc = -1; dc <= 1; dc++) {
                    int rr = r + dr, cc = c + dc;
                    if (rr < 0 || rr >= rows || cc < 0 || cc >= cols) continue;
                    int q = rr * cols + cc;
                    if (mask[q] && !labels[q]) {
                        labels[q] = n;
                        stack[sp++] = q;
                    }
                }
        }
    }
    free(stack);
    return n;
}

/* Labels the lesion envelope of a slice: its mask, the neighbouring pixels
 * the network still gives half the mask threshold, and a 3 mm margin.
 * Fragments of one irregular lesion (a ring broken where it enhances less)
 * are then one lesion; the volume still counts only mask pixels. */
static int label_envelope(const tsc_result *r, int *labels)
{
    size_t px = (size_t)r->rows * (size_t)r->cols;
    uint8_t *env = calloc(px, 1);
    if (!env) return label_mask(r->mask, r->rows, r->cols, labels);
    int rx = (int)lround(3.0 / (r->spacing[1] > 0 ? r->spacing[1] : 1.0));
    int ry = (int)lround(3.0 / (r->spacing[0] > 0 ? r->spacing[0] : 1.0));
    for (int y = 0; y < r->rows; y++)
        for (int x = 0; x < r->cols; x++) {
            size_t at = (size_t)y * (size_t)r->cols + (size_t)x;
            if (!r->mask[at]) continue;
            env[at] = 1;
            /* Only boundary pixels grow the envelope: an interior pixel's
             * disc is covered by the discs of the boundary around it. */
            if (x > 0 && x + 1 < r->cols && y > 0 && y + 1 < r->rows && r->mask[at - 1] &&
                r->mask[at + 1] && r->mask[at - (size_t)r->cols] && r->mask[at + (size_t)r->cols])
                continue;
            for (int dy = -ry; dy <= ry; dy++)
                for (int dx = -rx; dx <= rx; dx++) {
                    int yy = y + dy, xx = x + dx;
                    if (yy < 0 || xx < 0 || yy >= r->rows || xx >= r->cols) continue;
                    double ex = rx ? (double)dx / rx : 0, ey = ry ? (double)dy / ry : 0;
                    if (ex * ex + ey * ey <= 1.0) env[(size_t)yy * (size_t)r->cols + (size_t)xx] = 1;
                }
        }
    if (r->prob_map) {
        /* Grow through the half-threshold region reachable from the mask. */
        float half = 0.5f * (float)r->mask_threshold;
        for (size_t i = 0; i < px; i++)
            if (r->prob_map[i] >= half) env[i] |= 2;
        int changed = 1;
        while (changed) {
            changed = 0;
            for (int pass = 0; pass < 2; pass++)
                for (size_t j = 0; j < px; j++) {
                    size_t i = pass ? px - 1 - j : j;
                    if (env[i] != 2) continue;
                    int y = (int)(i / (size_t)r->cols), x = (int)(i % (size_t)r->cols);
                    if ((x > 0 && (env[i - 1] & 1)) || (x + 1 < r->cols && (env[i + 1] & 1)) ||
                        (y > 0 && (env[i - (size_t)r->cols] & 1)) ||
                        (y + 1 < r->rows && (env[i + (size_t)r->cols] & 1))) {
                        env[i] = 3;
                        changed = 1;
                    }
                }
        }
        for (size_t i = 0; i < px; i++) env[i] &= 1;
    }
    int n = label_mask(env, r->rows, r->cols, labels);
    free(env);
    return n;
}

static size_t uf_find(size_t *parent, size_t x)
{
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
}

/* Thickness of slab k from neighbouring slice positions. */
static double slab_mm(const tsc_series_source *src, size_t k)
{
    size_t n = src->n_slices;
    if (src->locations_mm && n > 1) {
        const double *l = src->locations_mm;
        double d;
        if (k == 0) d = fabs(l[1] - l[0]);
        else if (k == n - 1) d = fabs(l[n - 1] - l[n - 2]);
        else d = 0.5 * fabs(l[k + 1] - l[k - 1]);
        if (d > 0) return d;
    }
    return src->slice_spacing_mm > 0 ? src->slice_spacing_mm : NAN;
}

/* The series part of the not-assessable rule (docs/RESULT_FORMAT.md): at
 * either end of a stack, the slices whose head section is under
 * `vertex_area_fraction` of the series' largest section (the vertex, or the
 * neck below the skull base) hold too little brain to call "no tumour".
 * A tumour verdict is never overridden. */
static void mark_vertex_slices(tsc_series_result *out, const tsc_model *model)
{
    if (!model || out->n < 8) return;
    double frac = model->manifest.vertex_area_fraction;
    if (!(frac > 0)) return;
    double max_area = 0;
    for (size_t k = 0; k < out->n; k++) {
        const tsc_result *r = out->slices[k];
        if (r && isfinite(r->head_area_mm2) && r->head_area_mm2 > max_area) max_area = r->head_area_mm2;
    }
    if (!(max_area > 0)) return;
    for (int dir = 0; dir < 2; dir++)
        for (size_t i = 0; i < out->n; i++) {
            size_t k = dir ? out->n - 1 - i : i;
            tsc_result *r = out->slices[k];
            if (!r) continue;
            if (!(r->head_area_mm2 < frac * max_area)) break;
            if (r->verdict == TSC_VERDICT_TUMOR || r->verdict == TSC_VERDICT_NOT_ASSESSABLE) continue;
            r->verdict = TSC_VERDICT_NOT_ASSESSABLE;
            r->confidence = NAN;
            r->label = model->manifest.no_tumor;
            snprintf(r->reason, sizeof r->reason,
                     "an end of the head (%.0f cm², %.0f%% of this series' largest section): too "
                     "little brain to read",
                     r->head_area_mm2 / 100.0, 100.0 * r->head_area_mm2 / max_area);
            tsc__result_clear_findings(r);
        }
}

/* member[k][i]: 1 + the final index of the 3D lesion pixel i of slice k
 * belongs to, 0 outside every lesion; member[k] NULL for slices without
 * labels.  Returns 0 when out of memory (member[] then all NULL). */
static int write_members(const tsc_series_result *out, int *const *labels, const size_t *offset,
                         size_t *parent, const size_t *root_to_lesion, const int *has_tumor_slice,
                         const size_t *order, size_t n3, int **member)
{
    size_t n = out->n, total = offset[n];
    size_t *final_of = malloc((total + 1) * sizeof *final_of);
    size_t *inv = malloc((n3 ? n3 : 1) * sizeof *inv);
    int ok = final_of && inv && order;
    if (ok) {
        for (size_t j = 0; j < n3; j++) inv[order[j]] = j;
        size_t kept = 0;
        for (size_t li = 0; li < total; li++)
            final_of[li] = has_tumor_slice[li] && kept < n3 ? inv[kept++] : (size_t)-1;
    }
    for (size_t k = 0; k < n && ok; k++) {
        member[k] = NULL;
        if (!labels[k]) continue;
        const tsc_result *r = out->slices[k];
        size_t px = (size_t)r->rows * (size_t)r->cols;
        member[k] = calloc(px, sizeof **member);
        if (!member[k]) {
            ok = 0;
            break;
        }
        for (size_t i = 0; i < px; i++) {
            int c = labels[k][i];
            if (!c || !r->mask[i]) continue;
            size_t li = root_to_lesion[uf_find(parent, offset[k] + (size_t)c - 1)];
            size_t f = li != (size_t)-1 ? final_of[li] : (size_t)-1;
            if (f != (size_t)-1) member[k][i] = (int)f + 1;
        }
    }
    if (!ok)
        for (size_t k = 0; k < n; k++) {
            free(member[k]);
            member[k] = NULL;
        }
    free(final_of);
    free(inv);
    return ok;
}

/* Keeps the geometry 3D lesions are measured with, so that a result can be
 * measured again after the reader's edits (src/analysis/edit.c). */
static void keep_geometry(tsc_series_result *out, const tsc_series_source *src)
{
    size_t n = out->n;
    free((void *)out->geometry.locations_mm);
    free((void *)out->geometry.positions_mm);
    memset(&out->geometry, 0, sizeof out->geometry);
    out->geometry.struct_size = sizeof out->geometry;
    out->geometry.n_slices = n;
    out->geometry.slice_spacing_mm = src->slice_spacing_mm;
    double *loc = src->locations_mm && n ? malloc(n * sizeof *loc) : NULL;
    if (loc) memcpy(loc, src->locations_mm, n * sizeof *loc);
    out->geometry.locations_mm = loc;
    if (src->struct_size >= offsetof(tsc_series_source, orientation) + sizeof src->orientation &&
        src->positions_mm && n) {
        double *pos = malloc(3 * n * sizeof *pos);
        if (pos) {
            memcpy(pos, src->positions_mm, 3 * n * sizeof *pos);
            memcpy(out->geometry.orientation, src->orientation, sizeof src->orientation);
        }
        out->geometry.positions_mm = pos;
    }
    /* Without the positions a re-measure would place lesions differently. */
    out->has_geometry =
        (loc || !src->locations_mm) && (!src->positions_mm || out->geometry.positions_mm);
}

int tsc__series_aggregate(tsc_series_result *out, const tsc_series_source *src,
                          const tsc_model *model, int **member)
{
    size_t n = out->n;
    int ok = 0;
    if (src != &out->geometry) keep_geometry(out, src);
    /* Per-slice component labels of the (already cleaned) tumour masks. */
    int **labels = calloc(n, sizeof *labels);
    int *n_labels = calloc(n, sizeof *n_labels);
    size_t *offset = calloc(n + 1, sizeof *offset);
    if (!labels || !n_labels || !offset) goto done;
    for (size_t k = 0; k < n; k++) {
        const tsc_result *r = out->slices[k];
        offset[k + 1] = offset[k];
        /* Inconclusive slices take part: a lesion does not split where one
         * of its slices is in doubt. */
        if (!r || (r->verdict != TSC_VERDICT_TUMOR && r->verdict != TSC_VERDICT_INCONCLUSIVE))
            continue;
        labels[k] = malloc((size_t)r->rows * (size_t)r->cols * sizeof(int));
        if (!labels[k]) continue;
        n_labels[k] = label_envelope(r, labels[k]);
        if (n_labels[k] < 0) n_labels[k] = 0;
        offset[k + 1] = offset[k] + (size_t)n_labels[k];
    }
    size_t total = offset[n];
    size_t *parent = malloc((total + 1) * sizeof *parent);
    if (!parent) goto done;
    for (size_t i = 0; i < total; i++) parent[i] = i;
    /* Link components that overlap on adjacent slices of the same size. */
    for (size_t k = 0; k + 1 < n; k++) {
        const tsc_result *a = out->slices[k], *b = out->slices[k + 1];
        if (!labels[k] || !labels[k + 1] || a->rows != b->rows || a->cols != b->cols) continue;
        size_t px = (size_t)a->rows * (size_t)a->cols;
        for (size_t i = 0; i < px; i++) {
            int la = labels[k][i], lb = labels[k + 1][i];
            if (la && lb) {
                size_t x = uf_find(parent, offset[k] + (size_t)la - 1);
                size_t y = uf_find(parent, offset[k + 1] + (size_t)lb - 1);
                if (x != y) parent[y] = x;
            }
        }
    }
    /* Accumulate per 3D lesion. */
    size_t *root_to_lesion = malloc((total + 1) * sizeof *root_to_lesion);
    tsc_lesion3d_info *l3 = calloc(total + 1, sizeof *l3);
    double (*class_area)[TSC__MAX_CLASSES] = calloc(total + 1, sizeof *class_area);
    double *weight = calloc(total + 1, sizeof *weight);
    double (*centre)[3] = calloc(total + 1, sizeof *centre);
    int *seen = calloc(total + 1, sizeof *seen);
    int *has_tumor_slice = calloc(total + 1, sizeof *has_tumor_slice);
    if (!root_to_lesion || !l3 || !class_area || !weight || !centre || !seen || !has_tumor_slice) {
        free(has_tumor_slice);
        free(root_to_lesion);
        free(l3);
        free(class_area);
        free(weight);
        free(centre);
        free(seen);
        free(parent);
        goto done;
    }
    const int geo = src->struct_size >= offsetof(tsc_series_source, orientation) +
                                            sizeof src->orientation &&
                    src->positions_mm &&
                    (src->orientation[0] != 0 || src->orientation[1] != 0 ||
                     src->orientation[2] != 0);
    const size_t no_tumor = model ? model->manifest.no_tumor : 0;
    for (size_t i = 0; i < total; i++) root_to_lesion[i] = (size_t)-1;
    size_t n3 = 0;
    double volume = 0;
    int volume_known = 1;
    double best_product = -1;
    for (size_t k = 0; k < n; k++) {
        if (!labels[k]) continue;
        const tsc_result *r = out->slices[k];
        double slab = slab_mm(src, k);
        if (!(slab > 0)) volume_known = 0;
        size_t px = (size_t)r->rows * (size_t)r->cols;
        /* Area per component on this slice. */
        double *area = calloc((size_t)n_labels[k] + 1, sizeof *area);
        if (!area) continue;
        for (size_t i = 0; i < px; i++)
            if (labels[k][i] && r->mask[i]) area[labels[k][i]] += r->pixel_area_mm2;
        for (int c = 1; c <= n_labels[k]; c++) {
            if (!(area[c] > 0)) continue; /* envelope without tumour pixels */
            size_t root = uf_find(parent, offset[k] + (size_t)c - 1);
            size_t li = root_to_lesion[root];
            if (li == (size_t)-1) {
                li = root_to_lesion[root] = n3++;
                l3[li].first_slice = k;
                l3[li].max_product_mm2 = -1;
            }
            l3[li].last_slice = k;
            if (r->verdict == TSC_VERDICT_TUMOR) has_tumor_slice[li] = 1;
            double ml = slab > 0 ? area[c] * slab / 1000.0 : 0;
            l3[li].volume_ml += ml;
            volume += ml;
            /* Type evidence: the slice's P(class | tumour), weighted by the
             * component's area on it. */
            if (r->p_tumor > 0 && r->n_classes)
                for (size_t q = 0; q < r->n_classes && q < TSC__MAX_CLASSES; q++)
                    if (q != no_tumor) class_area[li][q] += area[c] * r->probs[q] / r->p_tumor;
            weight[li] += area[c];
        }
        /* Centre of mass and extent in patient coordinates: one pass over the
         * slice, each mask pixel added to its component's lesion. */
        if (geo) {
            const double *pos = src->positions_mm + 3 * k;
            const double *o = src->orientation;
            for (size_t i = 0; i < px; i++) {
                int c = labels[k][i];
                if (!c || !r->mask[i] || !(area[c] > 0)) continue;
                size_t li = root_to_lesion[uf_find(parent, offset[k] + (size_t)c - 1)];
                if (li == (size_t)-1) continue;
                double x = (double)(i % (size_t)r->cols), y = (double)(i / (size_t)r->cols);
                for (int a = 0; a < 3; a++) {
                    double p = pos[a] + x * r->spacing[1] * o[a] + y * r->spacing[0] * o[3 + a];
                    centre[li][a] += p * r->pixel_area_mm2;
                    if (!seen[li] || p < l3[li].extent_min_mm[a]) l3[li].extent_min_mm[a] = p;
                    if (!seen[li] || p > l3[li].extent_max_mm[a]) l3[li].extent_max_mm[a] = p;
                }
                seen[li] = 1;
            }
        }
        free(area);
        /* Key slices: the measured lesion with the largest product. */
        for (size_t j = 0; j < r->n_lesions; j++) {
            const tsc_lesion_info *le = &r->lesions[j];
            /* The lesion's component: the most frequent label inside its
             * bounding box (the box holds the whole lesion, and a lesion
             * fills more of its own box than anything nested in it). */
            int lab = 0;
            size_t best_count = 0;
            int *count = calloc((size_t)n_labels[k] + 1, sizeof *count);
            if (count) {
                for (int y = le->bbox[1]; y <= le->bbox[3]; y++)
                    for (int x = le->bbox[0]; x <= le->bbox[2]; x++)
                        if (y >= 0 && x >= 0 && y < r->rows && x < r->cols)
                            if (r->mask[y * r->cols + x]) count[labels[k][y * r->cols + x]]++;
                for (int c = 1; c <= n_labels[k]; c++)
                    if ((size_t)count[c] > best_count) {
                        best_count = (size_t)count[c];
                        lab = c;
                    }
                free(count);
            }
            if (lab) {
                size_t li = root_to_lesion[uf_find(parent, offset[k] + (size_t)lab - 1)];
                if (li != (size_t)-1 && le->product_mm2 > l3[li].max_product_mm2) {
                    l3[li].max_product_mm2 = le->product_mm2;
                    l3[li].diameter_mm = le->diameter_mm;
                    l3[li].perpendicular_mm = le->perpendicular_mm;
                    l3[li].key_slice = k;
                }
            }
            if (r->verdict == TSC_VERDICT_TUMOR && le->product_mm2 > best_product) {
                best_product = le->product_mm2;
                out->key_slice = k;
            }
        }
    }
    for (size_t i = 0; i < n3; i++) {
        size_t best = (size_t)-1;
        for (size_t c = 0; c < TSC__MAX_CLASSES; c++)
            if (c != no_tumor && (best == (size_t)-1 || class_area[i][c] > class_area[i][best]))
                best = c;
        l3[i].label = best;
        l3[i].type_probability = weight[i] > 0 && class_area[i][best] > 0
                                     ? class_area[i][best] / weight[i]
                                     : NAN;
        if (l3[i].max_product_mm2 < 0) {
            l3[i].max_product_mm2 = 0;
            l3[i].key_slice = l3[i].first_slice;
        }
        /* RANO: measurable when both diameters reach 10 mm; a non-measurable
         * lesion has no bidimensional product. */
        l3[i].measurable = l3[i].diameter_mm >= 10.0 && l3[i].perpendicular_mm >= 10.0;
        if (!l3[i].measurable) l3[i].max_product_mm2 = 0;
        l3[i].has_patient_coordinates = geo && seen[i] && weight[i] > 0;
        if (l3[i].has_patient_coordinates)
            for (int a = 0; a < 3; a++) l3[i].centre_mm[a] = centre[i][a] / weight[i];
    }
    /* A lesion is what a tumour slice shows, followed through the adjacent
     * slices in doubt; regions only ever seen on inconclusive slices are
     * doubt, not lesions (their slices say so). */
    size_t kept = 0;
    volume = 0;
    for (size_t i = 0; i < n3; i++)
        if (has_tumor_slice[i]) {
            volume += l3[i].volume_ml;
            l3[kept++] = l3[i];
        }
    n3 = kept;
    /* Largest first; `order` follows the sort so that `member` can name
     * each pixel's lesion by its final index. */
    size_t *order = malloc((n3 ? n3 : 1) * sizeof *order);
    for (size_t i = 0; order && i < n3; i++) order[i] = i;
    for (size_t i = 1; i < n3; i++) {
        tsc_lesion3d_info t = l3[i];
        size_t o = order ? order[i] : 0;
        size_t j = i;
        while (j > 0 && l3[j - 1].volume_ml < t.volume_ml) {
            l3[j] = l3[j - 1];
            if (order) order[j] = order[j - 1];
            j--;
        }
        l3[j] = t;
        if (order) order[j] = o;
    }
    ok = !member || write_members(out, labels, offset, parent, root_to_lesion, has_tumor_slice,
                                  order, n3, member);
    free(order);
    out->lesions3d = l3;
    out->n_lesions3d = n3;
    out->volume_ml = volume_known ? volume : NAN;
    free(class_area);
    free(weight);
    free(centre);
    free(seen);
    free(has_tumor_slice);
    free(root_to_lesion);
    free(parent);
done:
    if (labels)
        for (size_t k = 0; k < n; k++) free(labels[k]);
    free(labels);
    free(n_labels);
    free(offset);
    return ok;
}

/* Series verdict (docs/RESULT_FORMAT.md), the slice rule carried over:
 * - tumour when any slice shows one: the type with the most evidence (area
 *   times P(type | tumour) over the tumour slices), stated with its
 *   area-weighted P(type | tumour) and "type uncertain" under the model's
 *   minimum confidence, exactly as a slice would be;
 * - inconclusive when no slice shows a tumour but an assessable one is in
 *   doubt;
 * - no tumour when every assessable slice is "no tumour", stated with the
 *   lowest P(no tumour) among them (a series is never more certain than its
 *   least certain slice);
 * - not assessable when no slice is.  Not-assessable slices never make a
 *   series inconclusive. */
void tsc__series_verdict(tsc_series_result *out, const tsc_model *model)
{
    double evidence[TSC__MAX_CLASSES] = {0}, area_sum = 0, p_sum = 0, p_max = -1;
    size_t n_ok = 0;
    memset(out->counts, 0, sizeof out->counts);
    size_t no_tumor = model ? model->manifest.no_tumor : 0;
    double min_conf = model ? model->manifest.min_confidence : 0.6;
    double min_p_no = INFINITY;
    for (size_t k = 0; k < out->n; k++) {
        const tsc_result *r = out->slices[k];
        if (!r) continue;
        n_ok++;
        if ((size_t)r->verdict < 5) out->counts[r->verdict]++;
        int assessable = r->verdict == TSC_VERDICT_TUMOR || r->verdict == TSC_VERDICT_NO_TUMOR ||
                         r->verdict == TSC_VERDICT_INCONCLUSIVE;
        if (assessable && isfinite(r->p_tumor) && r->p_tumor > p_max) p_max = r->p_tumor;
        if (r->verdict == TSC_VERDICT_TUMOR) {
            double a = 0;
            for (size_t j = 0; j < r->n_lesions; j++) a += r->lesions[j].area_mm2;
            if (!(a > 0)) a = 1e-6;
            if (r->n_classes && r->p_tumor > 0)
                for (size_t c = 0; c < r->n_classes && c < TSC__MAX_CLASSES; c++)
                    if (c != no_tumor) evidence[c] += a * r->probs[c] / r->p_tumor;
            area_sum += a;
            if (isfinite(r->p_tumor)) p_sum += r->p_tumor;
        } else if (r->verdict == TSC_VERDICT_NO_TUMOR && isfinite(r->confidence) &&
                   r->confidence < min_p_no) {
            min_p_no = r->confidence;
        }
    }
    out->key_slice = out->n_lesions3d ? out->key_slice : (size_t)-1;
    out->confidence = NAN;
    out->p_tumor = p_max >= 0 ? p_max : NAN;
    out->type_uncertain = 0;
    out->label = no_tumor;
    out->reason[0] = '\0';
    if (out->counts[TSC_VERDICT_TUMOR]) {
        out->verdict = TSC_VERDICT_TUMOR;
        size_t best = (size_t)-1;
        for (size_t c = 0; c < TSC__MAX_CLASSES; c++)
            if (c != no_tumor && evidence[c] > 0 && (best == (size_t)-1 || evidence[c] > evidence[best]))
                best = c;
        if (best != (size_t)-1) {
            out->label = best;
            out->confidence = evidence[best] / area_sum;
            out->type_uncertain = !(out->confidence >= min_conf);
        }
        out->p_tumor = p_sum / (double)out->counts[TSC_VERDICT_TUMOR];
        if (!model) out->p_tumor = NAN;
    } else if (out->counts[TSC_VERDICT_INCONCLUSIVE]) {
        out->verdict = TSC_VERDICT_INCONCLUSIVE;
    } else if (out->counts[TSC_VERDICT_NO_TUMOR]) {
        out->verdict = TSC_VERDICT_NO_TUMOR;
        out->confidence = isfinite(min_p_no) ? min_p_no : NAN;
    } else {
        out->verdict = TSC_VERDICT_NOT_ASSESSABLE;
        snprintf(out->reason, sizeof out->reason, "%s",
                 n_ok ? "no slice of this series shows enough of the head to be read"
                      : "no slice of this series could be analysed");
    }
}

tsc_status tsc_analyze_series(tsc_model *model, const tsc_series_source *source,
                              const tsc_analysis_options *options, int threads,
                              tsc_progress_fn progress, void *progress_data,
                              tsc_series_result **out, tsc_error *err)
{
    TSC_ASSERT(source && out && source->fetch);
    *out = NULL;
    tsc_error_clear(err);
    tsc_analysis_options opt = tsc_analysis_default_options();
    TSC__PARAMS_COPY(&opt, options);
    /* Hosts built before ABI 3 pass a shorter source: read only its bytes. */
    tsc_series_source src_copy;
    memset(&src_copy, 0, sizeof src_copy);
    TSC__PARAMS_COPY(&src_copy, source);
    double t0 = tsc__now_ms();
    size_t n = source->n_slices;
    tsc_series_result *r = calloc(1, sizeof *r);
    if (!r) return tsc_error_set(err, TSC_ENOMEM, "out of memory for the series result");
    r->n = n;
    r->key_slice = (size_t)-1;
    r->volume_ml = NAN;
    r->slices = calloc(n ? n : 1, sizeof *r->slices);
    r->errors = calloc(n ? n : 1, sizeof *r->errors);
    if (!r->slices || !r->errors) {
        tsc_series_result_free(r);
        return tsc_error_set(err, TSC_ENOMEM, "out of memory for the series result");
    }
    if (threads <= 0) threads = tsc__usable_cpus();
    if ((size_t)threads > n) threads = n ? (int)n : 1;
    if (threads > 64) threads = 64;
    /* A CNN worker holds one of the pool's engines for the whole series;
     * more workers than engines would only wait for the others to end. */
    if (opt.method == TSC_METHOD_CNN && threads > TSC__MAX_ENGINES) threads = TSC__MAX_ENGINES;

    size_t done = 0;
    int cancelled =
        tsc__series_run_slices(model, source, &opt, threads, progress, progress_data, r, &done);

    for (size_t k = 0; k < n; k++)
        if (r->errors[k]) r->n_failed++;
    mark_vertex_slices(r, model);
    /* A cancelled series returns at once with its slices; 3D lesions of a
     * partial stack would be wrong anyway. */
    if (!cancelled) tsc__series_aggregate(r, &src_copy, model, NULL);
    tsc__series_verdict(r, model);
    r->total_ms = tsc__now_ms() - t0;
    *out = r;
    if (cancelled)
        return tsc_error_set(err, TSC_ECANCELLED,
                             "series analysis cancelled after %zu of %zu slices", done, n);
    return TSC_OK;
}

void tsc_series_result_free(tsc_series_result *r)
{
    if (!r) return;
    for (size_t k = 0; k < r->n; k++) {
        if (r->slices) tsc_result_free(r->slices[k]);
        if (r->errors) free(r->errors[k]);
    }
    free(r->slices);
    free(r->errors);
    free(r->lesions3d);
    free(r->reformat_positions);
    free((void *)r->geometry.locations_mm);
    free((void *)r->geometry.positions_mm);
    tsc__edit_record_free(r->edits);
    free(r);
}

size_t tsc_series_result_n_slices(const tsc_series_result *r) { return r->n; }

const tsc_result *tsc_series_result_get_slice(const tsc_series_result *r, size_t k)
{
    TSC_ASSERT(k < r->n);
    return r->slices[k];
}

const char *tsc_series_result_get_error(const tsc_series_result *r, size_t k)
{
    TSC_ASSERT(k < r->n);
    return r->errors[k];
}

size_t tsc_series_result_n_failed(const tsc_series_result *r) { return r->n_failed; }
tsc_verdict tsc_series_result_get_verdict(const tsc_series_result *r) { return r->verdict; }
size_t tsc_series_result_get_label(const tsc_series_result *r) { return r->label; }
double tsc_series_result_get_confidence(const tsc_series_result *r) { return r->confidence; }
double tsc_series_result_get_volume_ml(const tsc_series_result *r) { return r->volume_ml; }
size_t tsc_series_result_get_key_slice(const tsc_series_result *r) { return r->key_slice; }
size_t tsc_series_result_n_lesions3d(const tsc_series_result *r) { return r->n_lesions3d; }
double tsc_series_result_get_tumor_probability(const tsc_series_result *r) { return r->p_tumor; }
const char *tsc_series_result_get_scope_warning(const tsc_series_result *r) { return r->scope_warning; }
const char *tsc_series_result_get_reason(const tsc_series_result *r) { return r->reason; }

size_t tsc_series_result_count(const tsc_series_result *r, tsc_verdict v)
{
    return (size_t)v < 5 ? r->counts[v] : 0;
}

void tsc_series_result_set_scope_warning(tsc_series_result *r, const char *warning)
{
    TSC_ASSERT(r);
    snprintf(r->scope_warning, sizeof r->scope_warning, "%s", warning ? warning : "");
    for (size_t k = 0; k < r->n; k++)
        if (r->slices[k]) tsc_result_set_scope_warning(r->slices[k], warning);
}

tsc_series_result *tsc_series_result_new_not_analysed(size_t n_slices, const char *reason)
{
    tsc_series_result *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->n = n_slices;
    r->slices = calloc(n_slices ? n_slices : 1, sizeof *r->slices);
    r->errors = calloc(n_slices ? n_slices : 1, sizeof *r->errors);
    if (!r->slices || !r->errors) {
        tsc_series_result_free(r);
        return NULL;
    }
    r->verdict = TSC_VERDICT_NOT_ANALYSED;
    r->key_slice = (size_t)-1;
    r->volume_ml = NAN;
    r->confidence = NAN;
    r->p_tumor = NAN;
    snprintf(r->reason, sizeof r->reason, "%s", reason ? reason : "");
    return r;
}

/* A stored result has no class probabilities: each slice states its type,
 * the series takes the type with the most tumour area and the confidences
 * the report stated. */
static void stored_type(tsc_series_result *out, const tsc_model *model, const tsc_stored_slices *in)
{
    double area[TSC__MAX_CLASSES] = {0};
    for (size_t k = 0; k < out->n; k++) {
        const tsc_result *r = out->slices[k];
        if (!r || r->verdict != TSC_VERDICT_TUMOR || r->type >= TSC__MAX_CLASSES) continue;
        for (size_t j = 0; j < r->n_lesions; j++) area[r->type] += r->lesions[j].area_mm2;
    }
    size_t best = (size_t)-1;
    for (size_t c = 0; c < TSC__MAX_CLASSES; c++)
        if (area[c] > 0 && (best == (size_t)-1 || area[c] > area[best])) best = c;
    out->confidence = model ? in->series_confidence : NAN;
    out->p_tumor = model ? in->series_p_tumor : NAN;
    out->type_uncertain = out->verdict == TSC_VERDICT_TUMOR && in->series_type_uncertain;
    /* The stated volume counts the masks of slices in doubt that a lesion
     * ran through, which a SEG of the tumour slices does not hold. */
    if (isfinite(in->series_volume_ml)) out->volume_ml = in->series_volume_ml;
    if (out->verdict == TSC_VERDICT_TUMOR)
        out->label = best != (size_t)-1 ? best : model ? model->manifest.no_tumor : 0;
    /* Each 3D lesion: the type of its key slice. */
    for (size_t i = 0; i < out->n_lesions3d; i++) {
        tsc_lesion3d_info *l = &out->lesions3d[i];
        const tsc_result *r = l->key_slice < out->n ? out->slices[l->key_slice] : NULL;
        l->label = r && r->type != (size_t)-1 ? r->type : out->label;
        l->type_probability = NAN;
    }
}

tsc_status tsc_series_result_from_masks(const tsc_model *model, tsc_method method,
                                        const tsc_series_source *source, int rows, int cols,
                                        const double spacing[2], const tsc_stored_slices *in,
                                        tsc_series_result **out, tsc_error *err)
{
    TSC_ASSERT(source && out && rows > 0 && cols > 0 && spacing && in && in->masks && in->types);
    *out = NULL;
    tsc_error_clear(err);
    tsc_series_source src;
    memset(&src, 0, sizeof src);
    TSC__PARAMS_COPY(&src, source);
    size_t n = source->n_slices;
    tsc_series_result *r = tsc_series_result_new_not_analysed(n, NULL);
    if (!r) return tsc_error_set(err, TSC_ENOMEM, "out of memory for the series result");
    if (method != TSC_METHOD_CNN) model = NULL; /* the classical methods have no classes */
    size_t n_classes = model ? tsc_model_n_classes(model) : 0;
    size_t no_tumor = model ? model->manifest.no_tumor : 0;
    size_t px = (size_t)rows * (size_t)cols;
    for (size_t k = 0; k < n; k++) {
        tsc_result *s = tsc__result_new(rows, cols);
        if (!s) {
            tsc_series_result_free(r);
            return tsc_error_set(err, TSC_ENOMEM, "out of memory for the series result");
        }
        r->slices[k] = s;
        s->method = method;
        s->n_classes = n_classes;
        s->confidence = NAN;
        s->p_tumor = NAN;
        s->spacing[0] = spacing[0];
        s->spacing[1] = spacing[1];
        s->pixel_area_mm2 = spacing[0] * spacing[1];
        s->label = no_tumor;
        s->verdict = TSC_VERDICT_NO_TUMOR;
        if (!in->masks[k]) {
            tsc_verdict v = in->verdicts ? in->verdicts[k] : TSC_VERDICT_NO_TUMOR;
            if (v == TSC_VERDICT_INCONCLUSIVE || v == TSC_VERDICT_NOT_ASSESSABLE) {
                s->verdict = v;
                snprintf(s->reason, sizeof s->reason, "%s in the stored result",
                         v == TSC_VERDICT_INCONCLUSIVE ? "in doubt" : "not assessable");
            }
            continue;
        }
        for (size_t i = 0; i < px; i++) s->mask[i] = in->masks[k][i] != 0;
        tsc_slice view = {.pixels = NULL, .rows = rows, .cols = cols};
        view.spacing[0] = spacing[0];
        view.spacing[1] = spacing[1];
        tsc_status st = tsc__result_measure(s, &view, 0.0, err);
        if (st != TSC_OK) {
            tsc_series_result_free(r);
            return st;
        }
        if (!s->n_lesions) continue; /* an empty frame: nothing found there */
        s->verdict = TSC_VERDICT_TUMOR;
        s->type = in->types[k] < n_classes ? in->types[k] : (size_t)-1;
        s->label = s->type != (size_t)-1 ? s->type : no_tumor;
        if (model) {
            s->p_type = in->p_type ? in->p_type[k] : NAN;
            s->confidence = s->p_type;
            s->p_tumor = in->p_tumor ? in->p_tumor[k] : NAN;
            s->type_uncertain = in->type_uncertain && in->type_uncertain[k];
        }
    }
    tsc__series_aggregate(r, &src, model, NULL);
    tsc__series_verdict(r, model);
    stored_type(r, model, in);
    *out = r;
    return TSC_OK;
}

const tsc_lesion3d_info *tsc_series_result_get_lesion3d(const tsc_series_result *r, size_t i)
{
    TSC_ASSERT(i < r->n_lesions3d);
    return &r->lesions3d[i];
}

double tsc_series_result_get_total_ms(const tsc_series_result *r) { return r->total_ms; }

const char *tsc_series_result_get_reformat(const tsc_series_result *r)
{
    TSC_ASSERT(r);
    return r->reformat;
}

void tsc_series_result_set_reformat(tsc_series_result *r, const char *note)
{
    TSC_ASSERT(r);
    snprintf(r->reformat, sizeof r->reformat, "%s", note ? note : "");
}

tsc_status tsc_series_result_set_reformat_geometry(tsc_series_result *r, const double *positions,
                                                   const double orientation[6],
                                                   const double spacing[2])
{
    TSC_ASSERT(r && positions && orientation && spacing);
    double *p = malloc(3 * (r->n ? r->n : 1) * sizeof *p);
    if (!p) return TSC_ENOMEM;
    memcpy(p, positions, 3 * r->n * sizeof *p);
    free(r->reformat_positions);
    r->reformat_positions = p;
    memcpy(r->reformat_orientation, orientation, sizeof r->reformat_orientation);
    memcpy(r->reformat_spacing, spacing, sizeof r->reformat_spacing);
    return TSC_OK;
}

int tsc_series_result_get_slice_geometry(const tsc_series_result *r, size_t k,
                                         double position[3], double orientation[6],
                                         double spacing[2])
{
    TSC_ASSERT(r && k < r->n);
    if (!r->reformat_positions) return 0;
    if (position) memcpy(position, r->reformat_positions + 3 * k, 3 * sizeof *position);
    if (orientation) memcpy(orientation, r->reformat_orientation, sizeof r->reformat_orientation);
    if (spacing) memcpy(spacing, r->reformat_spacing, sizeof r->reformat_spacing);
    return 1;
}
