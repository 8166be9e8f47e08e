/* SPDX-License-Identifier: BSD-3-Clause */
#include "tsc_stored_result.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "struct_size_private.h"

static int starts_with(const char *s, const char *prefix)
{
    return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The newest SR about the series; -1 when none. */
static int64_t find_report(const tsc_dicom_index *ix, const char *series_uid)
{
    int64_t best = -1;
    char best_when[64] = "";
    for (size_t i = 0; i < tsc_dicom_n_reports(ix); i++) {
        const tsc_dicom_report_info *r = tsc_dicom_get_report(ix, i);
        if (strcmp(r->referenced_series_uid, series_uid) != 0) continue;
        char when[64];
        snprintf(when, sizeof when, "%s%s", r->content_date, r->content_time);
        if (best < 0 || strcmp(when, best_when) > 0) {
            best = (int64_t)i;
            snprintf(best_when, sizeof best_when, "%s", when);
        }
    }
    return best;
}

/* The last SEG of the series' matrix that references it; -1 when none. */
static int64_t find_seg(const tsc_dicom_index *ix, const tsc_dicom_series_info *si)
{
    int64_t found = -1;
    for (size_t s = 0; s < tsc_dicom_n_segmentations(ix); s++) {
        const tsc_dicom_seg_info *g = tsc_dicom_get_segmentation(ix, s);
        if (g->rows == si->rows && g->cols == si->cols && g->n_frames > 0 &&
            g->referenced_series_uid && strcmp(g->referenced_series_uid, si->series_uid) == 0)
            found = (int64_t)s;
    }
    return found;
}

/* The slice a frame of our SEG was derived from (its SourceImageSequence);
 * -1 when it names none of the series' slices. */
static long frame_slice(const tsc_dicom_index *ix, size_t series, size_t n_slices, size_t seg,
                        size_t f)
{
    const tsc_dicom_seg_frame_info *fi = tsc_dicom_get_seg_frame(ix, seg, f);
    if (!fi || !fi->referenced_sop_instance_uid || !*fi->referenced_sop_instance_uid) return -1;
    for (size_t k = 0; k < n_slices; k++) {
        const tsc_dicom_slice_info *sl = tsc_dicom_get_slice(ix, series, k);
        if (strcmp(sl->sop_instance_uid, fi->referenced_sop_instance_uid) != 0) continue;
        if (fi->referenced_frame > 0 && sl->frame != fi->referenced_frame - 1) continue;
        return (long)k;
    }
    return -1;
}

/* The model class whose display name is the segment's label. */
static size_t segment_type(const tsc_model *model, const tsc_dicom_index *ix, size_t seg,
                           int number)
{
    const tsc_dicom_seg_info *g = tsc_dicom_get_segmentation(ix, seg);
    if (!model) return (size_t)-1;
    for (size_t k = 0; k < g->n_segments; k++) {
        const tsc_dicom_segment_info *s = tsc_dicom_get_segment(ix, seg, k);
        if (s->number != number) continue;
        for (size_t c = 0; c < tsc_model_n_classes(model); c++)
            if (strcmp(tsc_model_get_class_display(model, c), s->label) == 0) return c;
    }
    return (size_t)-1;
}

/* "tumorscope 0.1.0; tsc_unet128_v2 2.0.0": the model is what made it. */
static void describe_report(const tsc_dicom_report_info *r, tsc_stored_result_info *in)
{
    const char *model = strstr(r->software, "; ");
    snprintf(in->algorithm, sizeof in->algorithm, "%s",
             model          ? model + 2
             : *r->software ? r->software
                            : r->manufacturer);
    const char *d = r->content_date, *t = r->content_time;
    if (strlen(d) == 8 && strlen(t) >= 4)
        snprintf(in->date_time, sizeof in->date_time, "%.4s-%.2s-%.2s %.2s:%.2s", d, d + 4, d + 6,
                 t, t + 2);
    else if (strlen(d) == 8)
        snprintf(in->date_time, sizeof in->date_time, "%.4s-%.2s-%.2s", d, d + 4, d + 6);
    in->report_lesions = r->n_measurement_groups;
    const char *v = strstr(r->finding, "; volume ");
    if (v) in->report_volume_ml = strtod(v + strlen("; volume "), NULL);
}

/* A percentage as tsc_format_percent writes it after `key` ("87.0%",
 * ">99.9%", "<0.1%") as a probability; NaN when absent. */
static double stated(const char *text, const char *key)
{
    const char *p = key ? strstr(text, key) : text;
    if (!p) return NAN;
    p += key ? strlen(key) : 0;
    if (*p == '>') return 0.9995;
    if (*p == '<') return 0.0004;
    char *end = NULL;
    double v = strtod(p, &end);
    return end != p && *end == '%' ? v / 100.0 : NAN;
}

/* The confidence our series finding states: "Glioma (87.0% = P(type |
 * tumour)); ..." or "No tumour detected (98.1% = P(no tumour))". */
static double stated_confidence(const char *finding)
{
    const char *eq = strstr(finding, "% = P(");
    if (!eq) return NAN;
    const char *open = eq;
    while (open > finding && open[-1] != '(') open--;
    return stated(open, NULL);
}

/* The slices our series finding lists after `what` ("4 slices in doubt:
 * 1, 14, 15, 21"; the list is cut after a dozen) get `v`. */
static void stated_slices(const char *finding, const char *what, tsc_verdict v, size_t n,
                          tsc_verdict *verdicts)
{
    const char *p = strstr(finding, what);
    if (!p) return;
    p += strlen(what);
    for (;;) {
        char *end = NULL;
        long k = strtol(p, &end, 10);
        if (end == p) break;
        if (k >= 1 && (size_t)k <= n) verdicts[k - 1] = v;
        if (strncmp(end, ", ", 2) != 0) break;
        p = end + 2;
    }
}

/* What our report says of each slice, from its measurement groups'
 * comments ("Glioma; P(type | tumour) 87.0%; P(tumour) 95.1%; method cnn;
 * slice 12"): the stated confidences and whether the type was uncertain. */
static void read_group_comments(const tsc_dicom_index *ix, int64_t report, size_t n,
                                tsc_stored_slices *in, double *p_type, double *p_tumor,
                                int *uncertain, tsc_verdict *verdicts)
{
    for (size_t k = 0; k < n; k++) {
        p_type[k] = NAN;
        p_tumor[k] = NAN;
        uncertain[k] = 0;
        verdicts[k] = TSC_VERDICT_NO_TUMOR;
    }
    in->p_type = p_type;
    in->p_tumor = p_tumor;
    in->type_uncertain = uncertain;
    in->verdicts = verdicts;
    in->series_confidence = NAN;
    in->series_p_tumor = NAN;
    in->series_type_uncertain = 0;
    in->series_volume_ml = NAN;
    if (report < 0) return;
    const tsc_dicom_report_info *r = tsc_dicom_get_report(ix, (size_t)report);
    in->series_confidence = stated_confidence(r->finding);
    in->series_p_tumor = stated(r->finding, "P(tumour) ");
    in->series_type_uncertain = starts_with(r->finding, "Tumour, type uncertain");
    const char *v = strstr(r->finding, "; volume ");
    if (v) in->series_volume_ml = strtod(v + strlen("; volume "), NULL);
    stated_slices(r->finding, " in doubt: ", TSC_VERDICT_INCONCLUSIVE, n, verdicts);
    stated_slices(r->finding, " not assessable: ", TSC_VERDICT_NOT_ASSESSABLE, n, verdicts);
    for (size_t g = 0; g < r->n_measurement_groups; g++) {
        const char *c = tsc_dicom_get_report_group_comment(ix, (size_t)report, g);
        const char *at = strstr(c, "; slice ");
        long k = at ? strtol(at + strlen("; slice "), NULL, 10) - 1 : -1;
        if (k < 0 || (size_t)k >= n) continue;
        p_type[k] = stated(c, "P(type | tumour) ");
        p_tumor[k] = stated(c, "P(tumour) ");
        uncertain[k] = starts_with(c, "Tumour, type uncertain");
    }
}

/* The method that made it: the SR names a model in its SoftwareVersions
 * ("tumorscope 0.1.0; tsc_unet128_v2 2.0.0") only for the CNN, and a
 * classical method in its finding ("Tumour (threshold method, ...").  A
 * classical "no tumour" does not say which: threshold. */
static tsc_method stored_method(const tsc_dicom_report_info *r)
{
    if (!r || strstr(r->software, "; ")) return TSC_METHOD_CNN;
    if (strstr(r->finding, "region-growing method")) return TSC_METHOD_REGION_GROWING;
    return TSC_METHOD_THRESHOLD;
}

static tsc_status rebuild(const tsc_model *model, tsc_method method, const tsc_dicom_index *ix,
                          size_t series, const tsc_dicom_series_info *si, int64_t seg,
                          int64_t report, tsc_series_result **out, tsc_error *err)
{
    size_t n = si->n_slices, px = (size_t)si->rows * (size_t)si->cols, m = n ? n : 1;
    uint8_t **masks = calloc(m, sizeof *masks);
    size_t *types = malloc(m * sizeof *types);
    double *loc = malloc(m * sizeof *loc);
    double *pos = malloc(3 * m * sizeof *pos);
    double *p_type = malloc(m * sizeof *p_type);
    double *p_tumor = malloc(m * sizeof *p_tumor);
    int *uncertain = malloc(m * sizeof *uncertain);
    tsc_verdict *verdicts = malloc(m * sizeof *verdicts);
    uint8_t *frame = seg >= 0 ? malloc(px ? px : 1) : NULL;
    tsc_status st = TSC_OK;
    if (!masks || !types || !loc || !pos || !p_type || !p_tumor || !uncertain || !verdicts ||
        (seg >= 0 && !frame)) {
        st = tsc_error_set(err, TSC_ENOMEM, "out of memory for the stored result");
        goto done;
    }
    for (size_t k = 0; k < n; k++) types[k] = (size_t)-1;
    if (seg >= 0) {
        const tsc_dicom_seg_info *g = tsc_dicom_get_segmentation(ix, (size_t)seg);
        int on = g->max_fractional_value > 1 ? g->max_fractional_value / 2 : 0;
        for (size_t f = 0; f < g->n_frames; f++) {
            long k = frame_slice(ix, series, n, (size_t)seg, f);
            if (k < 0) continue;
            st = tsc_dicom_decode_seg_frame(ix, (size_t)seg, f, frame, err);
            if (st != TSC_OK) goto done;
            size_t inside = 0;
            for (size_t i = 0; i < px; i++) inside += frame[i] > on;
            if (!inside) continue;
            if (!masks[k] && !(masks[k] = calloc(px, 1))) {
                st = tsc_error_set(err, TSC_ENOMEM, "out of memory for the stored result");
                goto done;
            }
            for (size_t i = 0; i < px; i++)
                if (frame[i] > on) masks[k][i] = 1;
            if (types[k] == (size_t)-1)
                types[k] =
                    segment_type(model, ix, (size_t)seg,
                                 tsc_dicom_get_seg_frame(ix, (size_t)seg, f)->segment_number);
        }
    }
    int have_geometry = 1;
    for (size_t k = 0; k < n; k++) {
        const tsc_dicom_slice_info *sl = tsc_dicom_get_slice(ix, series, k);
        loc[k] = sl->location;
        memcpy(pos + 3 * k, sl->position, 3 * sizeof *pos);
        if (!sl->has_geometry) have_geometry = 0;
    }
    /* The geometry an analysis of the series would have measured with. */
    tsc_series_source src;
    memset(&src, 0, sizeof src);
    src.struct_size = sizeof src;
    src.n_slices = n;
    src.locations_mm = have_geometry ? loc : NULL;
    src.slice_spacing_mm = si->slice_spacing > 0 ? si->slice_spacing : si->slice_thickness;
    if (have_geometry) {
        src.positions_mm = pos;
        memcpy(src.orientation, si->orientation, sizeof src.orientation);
    }
    /* As the decoder and our SEG writer: 1 mm without a PixelSpacing. */
    const double spacing[2] = {si->pixel_spacing[0] > 0 ? si->pixel_spacing[0] : 1.0,
                               si->pixel_spacing[1] > 0 ? si->pixel_spacing[1] : 1.0};
    tsc_stored_slices in = {.masks = (const uint8_t *const *)masks, .types = types};
    read_group_comments(ix, report, n, &in, p_type, p_tumor, uncertain, verdicts);
    st = tsc_series_result_from_masks(model, method, &src, si->rows, si->cols, spacing, &in, out,
                                      err);
done:
    if (masks)
        for (size_t k = 0; k < n; k++) free(masks[k]);
    free(masks);
    free(types);
    free(loc);
    free(pos);
    free(p_type);
    free(p_tumor);
    free(uncertain);
    free(verdicts);
    free(frame);
    return st;
}

tsc_status tsc_study_stored_result(const tsc_model *model, const tsc_dicom_index *index,
                                   size_t series, tsc_series_result **out,
                                   tsc_stored_result_info *info, tsc_error *err)
{
    TSC_ASSERT(index && out && series < tsc_dicom_n_series(index));
    *out = NULL;
    tsc_error_clear(err);
    tsc_stored_result_info in;
    memset(&in, 0, sizeof in);
    in.struct_size = sizeof in;
    in.report_volume_ml = NAN;
    const tsc_dicom_series_info *si = tsc_dicom_get_series(index, series);
    in.report = find_report(index, si->series_uid);
    in.seg = find_seg(index, si);
    const tsc_dicom_report_info *r =
        in.report >= 0 ? tsc_dicom_get_report(index, (size_t)in.report) : NULL;
    const tsc_dicom_seg_info *g =
        in.seg >= 0 ? tsc_dicom_get_segmentation(index, (size_t)in.seg) : NULL;
    if (r) describe_report(r, &in);
    int seg_ours = g && starts_with(g->description, "tumorscope");
    int report_ours = r && strcmp(r->manufacturer, "tumorscope") == 0 && r->content_readable;
    tsc_status st = TSC_OK;
    if (!g && !r) {
        /* Nothing stored for this series. */
    } else if ((g && !seg_ours) || (r && !report_ours)) {
        snprintf(in.note, sizeof in.note,
                 "not a tumorscope result (%s): shown as stored, not read as an analysis",
                 g && !seg_ours        ? "the segmentation is another tool's"
                 : r->content_readable ? "the report is another tool's"
                                       : "the report's content could not be read");
    } else if (!g && !starts_with(r->finding, "No tumour detected")) {
        snprintf(in.note, sizeof in.note,
                 "the report states \"%.120s\" but no segmentation of it is stored with the study",
                 *r->finding ? r->finding : r->title);
    } else {
        size_t mapped = 0;
        for (size_t f = 0; g && f < g->n_frames; f++)
            if (frame_slice(index, series, si->n_slices, (size_t)in.seg, f) >= 0) mapped++;
        if (g && mapped != g->n_frames) {
            snprintf(in.note, sizeof in.note,
                     "%zu of the segmentation's %zu frames name no slice of this series: shown as "
                     "stored, not read as an analysis",
                     g->n_frames - mapped, g->n_frames);
        } else {
            st = rebuild(model, stored_method(r), index, series, si, g ? in.seg : -1, in.report,
                         out, err);
            if (st != TSC_OK) tsc_error_prefix(err, "series %zu: the stored segmentation", series);
            in.ours = st == TSC_OK;
            if (in.ours && r) {
                size_t lesions = 0;
                for (size_t k = 0; k < tsc_series_result_n_slices(*out); k++) {
                    const tsc_result *s = tsc_series_result_get_slice(*out, k);
                    if (s && tsc_result_get_verdict(s) == TSC_VERDICT_TUMOR)
                        lesions += tsc_result_n_lesions(s);
                }
                if (lesions != r->n_measurement_groups)
                    snprintf(in.note, sizeof in.note,
                             "the segmentation shows %zu lesion outlines, the report measures %zu",
                             lesions, r->n_measurement_groups);
            } else if (in.ours) {
                snprintf(in.note, sizeof in.note, "a segmentation without its report");
            }
        }
    }
    if (info) TSC__RESULT_COPY(info, &in);
    return st;
}
