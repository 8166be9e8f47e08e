/* SPDX-License-Identifier: BSD-3-Clause */
#define G_LOG_DOMAIN "tsc-viewer-seg"
#include "viewer_seg.h"

#include <math.h>
#include <string.h>

#include "viewer_api.h"
#include "viewer_pool.h"

void tsc_viewer_seg_masks_free(TscViewerSegMasks *m)
{
    if (!m) return;
    for (gsize i = 0; i < m->n_slices; i++) g_free(m->masks[i]);
    g_free(m->masks);
    g_free(m->label);
    g_free(m);
}

static void slice_normal(const double *iop, double n[3])
{
    n[0] = iop[1] * iop[5] - iop[2] * iop[4];
    n[1] = iop[2] * iop[3] - iop[0] * iop[5];
    n[2] = iop[0] * iop[4] - iop[1] * iop[3];
}

/* The slice of `series` that frame `f` of SEG `seg` belongs to; -1: none. */
static gssize frame_slice(const tsc_plugin_api *api, const tsc_dicom_index *ix, gsize series,
                          const tsc_dicom_series_info *si, gsize seg, gsize f)
{
    const tsc_dicom_seg_frame_info *fi = api->study_get_seg_frame(ix, seg, f);
    if (!fi) return -1;
    if (fi->referenced_sop_instance_uid && *fi->referenced_sop_instance_uid) {
        for (gsize k = 0; k < si->n_slices; k++) {
            const tsc_dicom_slice_info *sl = api->study_get_slice(ix, series, k);
            if (g_strcmp0(sl->sop_instance_uid, fi->referenced_sop_instance_uid) != 0) continue;
            if (fi->referenced_frame > 0 && sl->frame != fi->referenced_frame - 1) continue;
            return (gssize)k;
        }
    }
    if (!fi->has_position) return -1;
    double n[3];
    slice_normal(si->orientation, n);
    double loc = fi->position[0] * n[0] + fi->position[1] * n[1] + fi->position[2] * n[2];
    double half = (si->slice_spacing > 0 ? si->slice_spacing
                   : si->slice_thickness > 0 ? si->slice_thickness : 1.0) / 2;
    gssize best = -1;
    double best_d = half;
    for (gsize k = 0; k < si->n_slices; k++) {
        const tsc_dicom_slice_info *sl = api->study_get_slice(ix, series, k);
        if (!sl->has_geometry) continue;
        double d = fabs(sl->location - loc);
        if (d < best_d) {
            best_d = d;
            best = (gssize)k;
        }
    }
    return best;
}

/* The first SEG that belongs to `series` (same matrix), or -1. */
static gssize find_seg(const tsc_plugin_api *api, const tsc_dicom_index *ix, gsize series)
{
    const tsc_dicom_series_info *si = api->study_get_series(ix, series);
    gsize n = api->study_n_segmentations(ix);
    for (gsize s = 0; s < n; s++) {
        const tsc_dicom_seg_info *g = api->study_get_segmentation(ix, s);
        if (!g || g->rows != si->rows || g->cols != si->cols || g->n_frames == 0) continue;
        if (g->referenced_series_uid && *g->referenced_series_uid) {
            if (g_strcmp0(g->referenced_series_uid, si->series_uid) == 0) return (gssize)s;
            continue; /* names another series */
        }
        /* No series reference: the same frame of reference and frames on
         * our slices. */
        if (!g->frame_of_reference_uid || !*g->frame_of_reference_uid ||
            g_strcmp0(g->frame_of_reference_uid, si->frame_of_reference_uid) != 0)
            continue;
        if (frame_slice(api, ix, series, si, s, 0) >= 0) return (gssize)s;
    }
    return -1;
}

gboolean tsc_viewer_seg_exists(TscViewerStudy *study, gsize series)
{
    g_return_val_if_fail(TSC_IS_VIEWER_STUDY(study), FALSE);
    const tsc_plugin_api *api = tsc_viewer_api();
    const tsc_dicom_index *ix = tsc_viewer_study_get_index(study);
    if (!ix || series >= tsc_viewer_study_n_series(study)) return FALSE;
    return find_seg(api, ix, series) >= 0;
}

static void load_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
    TscViewerStudy *study = source;
    gsize series = GPOINTER_TO_SIZE(data);
    const tsc_plugin_api *api = tsc_viewer_api();
    const tsc_dicom_index *ix = tsc_viewer_study_get_index(study);
    gssize s = ix ? find_seg(api, ix, series) : -1;
    if (s < 0) {
        g_task_return_pointer(task, NULL, NULL);
        return;
    }
    const tsc_dicom_series_info *si = api->study_get_series(ix, series);
    const tsc_dicom_seg_info *g = api->study_get_segmentation(ix, (gsize)s);
    g_autoptr(TscViewerSegMasks) m = g_new0(TscViewerSegMasks, 1);
    m->series = series;
    m->rows = g->rows;
    m->cols = g->cols;
    m->n_slices = si->n_slices;
    m->masks = g_new0(guint8 *, si->n_slices);
    const tsc_dicom_segment_info *seg1 = g->n_segments ? api->study_get_segment(ix, (gsize)s, 0) : NULL;
    m->label = g_strdup(g->description && *g->description ? g->description
                        : seg1 && seg1->label && *seg1->label ? seg1->label
                                                              : "segmentation");
    gsize px = (gsize)g->rows * g->cols;
    g_autofree guint8 *frame = g_malloc(px);
    int on = g->max_fractional_value > 1 ? g->max_fractional_value / 2 : 0;
    for (gsize f = 0; f < g->n_frames; f++) {
        if (g_cancellable_is_cancelled(cancellable)) break;
        gssize k = frame_slice(api, ix, series, si, (gsize)s, f);
        if (k < 0) continue;
        tsc_error err = {0};
        tsc_status st = api->seg_frame_decode(ix, (gsize)s, f, frame, &err);
        if (st != TSC_OK) {
            tsc_viewer_task_return_status(task, st, &err,
                                          "The stored segmentation could not be read");
            return;
        }
        if (!m->masks[k]) m->masks[k] = g_malloc0(px);
        for (gsize i = 0; i < px; i++)
            if (frame[i] > on) m->masks[k][i] = 1;
        m->n_frames_mapped++;
    }
    if (g_task_return_error_if_cancelled(task)) return;
    g_task_return_pointer(task, g_steal_pointer(&m), (GDestroyNotify)tsc_viewer_seg_masks_free);
}

void tsc_viewer_seg_load_async(TscViewerStudy *study, gsize series, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer data)
{
    g_return_if_fail(TSC_IS_VIEWER_STUDY(study));
    g_autoptr(GTask) task = g_task_new(study, cancellable, callback, data);
    g_task_set_source_tag(task, tsc_viewer_seg_load_async);
    g_task_set_task_data(task, GSIZE_TO_POINTER(series), NULL);
    tsc_viewer_pool_run(TSC_VIEWER_POOL_DECODE, task, load_thread);
}

TscViewerSegMasks *tsc_viewer_seg_load_finish(TscViewerStudy *study, GAsyncResult *res,
                                              GError **error)
{
    g_return_val_if_fail(g_task_is_valid(res, study), NULL);
    return g_task_propagate_pointer(G_TASK(res), error);
}

char *tsc_viewer_stored_report_text(TscViewerStudy *study, gsize series)
{
    g_return_val_if_fail(TSC_IS_VIEWER_STUDY(study), NULL);
    const tsc_plugin_api *api = tsc_viewer_api();
    const tsc_dicom_index *ix = tsc_viewer_study_get_index(study);
    if (!ix || series >= tsc_viewer_study_n_series(study) || !TSC_PLUGIN_HAS(api, study_get_report))
        return NULL;
    const tsc_dicom_series_info *si = api->study_get_series(ix, series);
    const tsc_dicom_report_info *best = NULL;
    g_autofree char *best_when = NULL;
    for (gsize i = 0; i < api->study_n_reports(ix); i++) {
        const tsc_dicom_report_info *r = api->study_get_report(ix, i);
        if (g_strcmp0(r->referenced_series_uid, si->series_uid) != 0) continue;
        g_autofree char *when = g_strconcat(r->content_date, r->content_time, NULL);
        if (!best || g_strcmp0(when, best_when) > 0) {
            best = r;
            g_free(best_when);
            best_when = g_steal_pointer(&when);
        }
    }
    if (!best) return NULL;
    const char *what = *best->finding ? best->finding : *best->title ? best->title : "(no finding)";
    g_autoptr(GString) made = g_string_new(*best->software       ? best->software
                                           : *best->manufacturer ? best->manufacturer
                                                                 : "unknown software");
    const char *d = best->content_date, *t = best->content_time;
    if (strlen(d) == 8) g_string_append_printf(made, " · %.4s-%.2s-%.2s", d, d + 4, d + 6);
    if (strlen(d) == 8 && strlen(t) >= 4) g_string_append_printf(made, " %.2s:%.2s", t, t + 2);
    if (best->n_measurement_groups)
        g_string_append_printf(made, " · %zu measurement%s", best->n_measurement_groups,
                               best->n_measurement_groups == 1 ? "" : "s");
    return g_strdup_printf("%s\n%s", what, made->str);
}

/* "Stored result · tsc_unet128_v2 2.0.0 · 2026-12-04 01:19 · from the archive" */
static char *provenance(const tsc_stored_result_info *in)
{
    GString *t = g_string_new("Stored result");
    if (*in->algorithm) g_string_append_printf(t, " \xc2\xb7 %s", in->algorithm);
    if (*in->date_time) g_string_append_printf(t, " \xc2\xb7 %s", in->date_time);
    g_string_append(t, " \xc2\xb7 from the archive");
    return g_string_free(t, FALSE);
}

static void stored_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
    TscViewerStudy *study = source;
    const tsc_model *model = data;
    const tsc_plugin_api *api = tsc_viewer_api();
    const tsc_dicom_index *ix = tsc_viewer_study_get_index(study);
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)tsc_viewer_stored_free);
    gboolean any = ix && (api->study_n_segmentations(ix) > 0 || api->study_n_reports(ix) > 0);
    for (gsize s = 0; any && s < tsc_viewer_study_n_series(study); s++) {
        if (g_cancellable_is_cancelled(cancellable)) break;
        g_autoptr(TscViewerStored) st = g_new0(TscViewerStored, 1);
        st->info.struct_size = sizeof st->info;
        tsc_error err = {0};
        tsc_status status = api->study_stored_result(model, ix, s, &st->result, &st->info, &err);
        if (status != TSC_OK) {
            g_warning("series %zu: stored result not rebuilt: %s", s, err.message);
            g_snprintf(st->info.note, sizeof st->info.note, "%s", err.message);
            st->info.ours = 0;
        }
        if (st->info.seg < 0 && st->info.report < 0) continue;
        st->series_uid = g_strdup(api->study_get_series(ix, s)->series_uid);
        st->provenance = provenance(&st->info);
        g_info("series %zu: stored result %s", s, st->result ? "rebuilt" : "not rebuilt");
        g_ptr_array_add(out, g_steal_pointer(&st));
    }
    if (g_task_return_error_if_cancelled(task)) {
        g_ptr_array_unref(out);
        return;
    }
    g_task_return_pointer(task, out, (GDestroyNotify)g_ptr_array_unref);
}

void tsc_viewer_stored_load_async(TscViewerStudy *study, const tsc_model *model,
                                  GCancellable *cancellable, GAsyncReadyCallback callback,
                                  gpointer data)
{
    g_return_if_fail(TSC_IS_VIEWER_STUDY(study));
    g_autoptr(GTask) task = g_task_new(study, cancellable, callback, data);
    g_task_set_source_tag(task, tsc_viewer_stored_load_async);
    g_task_set_task_data(task, (gpointer)model, NULL);
    tsc_viewer_pool_run(TSC_VIEWER_POOL_DECODE, task, stored_thread);
}

GPtrArray *tsc_viewer_stored_load_finish(TscViewerStudy *study, GAsyncResult *res, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(res, study), NULL);
    return g_task_propagate_pointer(G_TASK(res), error);
}
