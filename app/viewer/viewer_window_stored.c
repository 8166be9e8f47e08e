/* SPDX-License-Identifier: BSD-3-Clause */
/* Results stored with the study (tumorscope's own SEG and SR, as the
 * Orthanc plugin stores them): rebuilt by the plugin as series results and
 * shown like an analysis of this viewer (strip, badge, panel, overlay),
 * each place saying where it came from.  A local analysis of the series
 * replaces it on screen (viewer_study's get_shown_*). */
#define G_LOG_DOMAIN "tsc-viewer-stored"
#include "viewer_window-private.h"

static void on_stored_loaded(GObject *source, GAsyncResult *res, gpointer data)
{
    g_autoptr(Ctx) c = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) list =
        tsc_viewer_stored_load_finish(TSC_VIEWER_STUDY(source), res, &error);
    g_autoptr(TscViewerWindow) self = ctx_window(c);
    if (!self || !list) return;
    gsize n = 0;
    TscViewerStored **items = (TscViewerStored **)g_ptr_array_steal(list, &n);
    for (gsize i = 0; i < n; i++) tsc_viewer_study_take_stored(self->study, items[i]);
    g_free(items);
    if (self->have_series) {
        /* Ours is drawn as the overlay; another tool's stays an outline. */
        if (_tsc_viewer_window_stored_is_ours(self)) _tsc_viewer_window_clear_seg(self);
        else if (!self->seg) _tsc_viewer_window_load_seg(self);
        g_autofree char *text = _tsc_viewer_window_stored_text(self);
        tsc_findings_panel_set_stored(self->findings, text);
    }
    tsc_findings_panel_invalidate(self->findings);
    _tsc_viewer_window_refresh_all(self);
}

void _tsc_viewer_window_load_stored(TscViewerWindow *self)
{
    if (!self->study) return;
    const tsc_plugin_api *api = tsc_viewer_api();
    const tsc_dicom_index *ix = tsc_viewer_study_get_index(self->study);
    if (!ix || !TSC_PLUGIN_HAS(api, study_stored_result)) return;
    if (api->study_n_segmentations(ix) == 0 && api->study_n_reports(ix) == 0) return;
    tsc_viewer_stored_load_async(self->study, current_model(self), self->work_cancellable,
                                 on_stored_loaded, ctx_new(self, 0, 0, 0));
}

gboolean _tsc_viewer_window_stored_is_ours(TscViewerWindow *self)
{
    if (!self->study || !self->have_series) return FALSE;
    const TscViewerStored *st = tsc_viewer_study_get_stored(self->study, self->series);
    return st && st->result;
}

char *_tsc_viewer_window_stored_text(TscViewerWindow *self)
{
    if (!self->study || !self->have_series) return NULL;
    g_autofree char *report = tsc_viewer_stored_report_text(self->study, self->series);
    const TscViewerStored *st = tsc_viewer_study_get_stored(self->study, self->series);
    if (!st) return g_steal_pointer(&report);
    GString *t = g_string_new(report);
    if (st->result)
        g_string_append_printf(t, "%sShown as this series' result until it is analysed here.",
                               t->len ? "\n" : "");
    if (*st->info.note)
        g_string_append_printf(t, "%s%s%s.", t->len ? "\n" : "",
                               st->result ? "Note: " : "Not read as an analysis: ", st->info.note);
    return g_string_free(t, FALSE);
}
