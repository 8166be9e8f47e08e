/* SPDX-License-Identifier: BSD-3-Clause */
/* The comparison's analyses, the comparison itself and its export. */
#define G_LOG_DOMAIN "tsc-viewer-compare"
#include "compare_window-private.h"

#include "compare_export.h"
#include "viewer_edits_file.h"
#include "viewer_jobs.h"
#include "viewer_pacs.h"

/* ---- comparison ---------------------------------------------------------- */

/* The 3D lesions of a series result as tsc_compare takes them (borrowed). */
static const tsc_lesion3d_info **lesions_of(const tsc_series_result *sr, size_t *n)
{
    const tsc_plugin_api *api = tsc_viewer_api();
    *n = api->series_result_n_lesions3d(sr);
    const tsc_lesion3d_info **l = g_new0(const tsc_lesion3d_info *, *n + 1);
    for (size_t i = 0; i < *n; i++) l[i] = api->series_result_get_lesion3d(sr, i);
    return l;
}

/* Until the user scrolls, the baseline leads on the key slice of its
 * largest matched lesion (the one the report shows), so that both
 * viewports open on the lesion being followed. */
static void goto_key_slice(TscCompareWindow *self, const tsc_series_result *baseline)
{
    double best = -1;
    size_t key = (size_t)-1;
    /* A matched lesion first; else any of the baseline's. */
    for (int pass = 0; pass < 2 && key == (size_t)-1; pass++)
        for (size_t i = 0; i < tsc_comparison_n_rows(self->cmp); i++) {
            const tsc_compare_row *r = tsc_comparison_get_row(self->cmp, i);
            if (r->baseline == (size_t)-1 || r->baseline_product_mm2 <= best) continue;
            if (pass == 0 && r->change != TSC_LESION_MATCHED) continue;
            best = r->baseline_product_mm2;
            key = tsc_viewer_api()->series_result_get_lesion3d(baseline, r->baseline)->key_slice;
        }
    if (key != (size_t)-1) tsc_compare_window_goto_slice(self, 0, (gssize)key);
}

void _tsc_compare_window_maybe_compare(TscCompareWindow *self)
{
    g_clear_pointer(&self->cmp, tsc_comparison_free);
    g_clear_pointer(&self->compare_error, g_free);
    const tsc_series_result *a = side_result(self, &self->side[0]);
    const tsc_series_result *b = side_result(self, &self->side[1]);
    if (_tsc_compare_window_pair_shown(self) && a && b && !self->side[0].error &&
        !self->side[1].error) {
        size_t na, nb;
        g_autofree const tsc_lesion3d_info **la = lesions_of(a, &na);
        g_autofree const tsc_lesion3d_info **lb = lesions_of(b, &nb);
        tsc_compare_params p = tsc_compare_default_params();
        tsc_error err = {0};
        if (tsc_compare_lesions(la, na, lb, nb, &p, &self->cmp, &err) != TSC_OK)
            self->compare_error = g_strdup(err.message);
        else
            g_info("compared: %zu rows, RANO %s", tsc_comparison_n_rows(self->cmp),
                   tsc_rano_category_to_string(tsc_comparison_get_rano(self->cmp)->category));
        if (self->cmp && !self->scrolled) goto_key_slice(self, a);
    }
    _tsc_compare_window_fill_table(self);
    _tsc_compare_window_refresh_status(self);
}

static void on_progress(GObject *target, gsize done, gsize total, gpointer data)
{
    TscCompareWindow *self = TSC_COMPARE_WINDOW(target);
    int i = GPOINTER_TO_INT(data) & 1;
    if ((guint)GPOINTER_TO_INT(data) >> 1 != (self->gen & 0xffff)) return;
    self->side[i].done = done;
    self->side[i].total = total;
    _tsc_compare_window_refresh_status(self);
}

/* The reader's corrections, saved beside the exports by the main window,
 * on side s's fresh analysis `r`: the comparison (and its export) is of the
 * results the reader corrected.  Returns the result to keep (r, or the
 * edited one in its place); a refusal is stated in the viewport. */
static tsc_series_result *apply_saved_edits(TscCompareWindow *self, Side *s, tsc_series_result *r)
{
    g_clear_pointer(&s->edits, g_free);
    s->edits_of = NULL;
    if (!self->app) return r;
    g_autofree char *dir = tsc_viewer_prefs_dup_export_folder(tsc_viewer_app_get_prefs(self->app));
    TscViewerEditsApplied got;
    tsc_series_result *edited = tsc_viewer_edits_file_apply(
        dir, model_for_method(self), self->method, tsc_viewer_study_get_index(s->study), s->series,
        r, NULL, NULL, &got);
    if (edited) {
        s->edits =
            g_strdup_printf("edited by %s (%zu edit%s)", *got.editor ? got.editor : "the reader",
                            got.n_edits, got.n_edits == 1 ? "" : "s");
        g_info("%s: %zu saved edit(s) applied", role_name(s == &self->side[1]), got.n_edits);
        tsc_viewer_api()->series_result_free(r);
        r = edited;
    } else if (got.note && !got.editor) {
        s->edits = g_strdup(got.note);
        g_info("%s: %s", role_name(s == &self->side[1]), got.note);
    }
    if (s->edits) s->edits_of = r;
    tsc_viewer_edits_applied_clear(&got);
    return r;
}

static void on_analysed(GObject *source, GAsyncResult *res, gpointer data)
{
    (void)source;
    g_autoptr(Job) j = data;
    g_autoptr(GError) error = NULL;
    gboolean cancelled = FALSE;
    tsc_series_result *r = tsc_viewer_analyze_series_finish(res, &cancelled, &error);
    g_autoptr(TscCompareWindow) self = job_window(j);
    const tsc_plugin_api *api = tsc_viewer_api();
    if (!self || self->side[j->side].series != j->series) {
        if (r) api->series_result_free(r);
        /* The reader chose another series of that side while this one ran:
         * its analysis starts now (it waited for this one to end). */
        if (self) {
            self->side[j->side].analysing = FALSE;
            _tsc_compare_window_analyse(self, j->side);
        }
        return;
    }
    Side *s = &self->side[j->side];
    s->analysing = FALSE;
    g_clear_pointer(&s->error, g_free);
    if (!r) {
        s->error = g_strdup_printf("the series could not be analysed: %s", error->message);
    } else if (cancelled) {
        s->error = g_strdup("the analysis was cancelled; nothing compared");
        api->series_result_free(r);
    } else {
        if (api->series_result_get_verdict(r) == TSC_VERDICT_NOT_ANALYSED) {
            tsc_description d;
            tsc_viewer_describe_series(model_for_method(self), r, &d);
            s->error = g_strdup_printf("not analysed: %s", d.reason);
        } else {
            r = apply_saved_edits(self, s, r);
        }
        /* The view lends the result it draws: let go before it is replaced. */
        tsc_slice_view_set_result(s->view, NULL, NULL);
        tsc_viewer_study_take_series_result(s->study, self->method, s->series, r);
    }
    _tsc_compare_window_refresh_overlay(self, j->side);
    _tsc_compare_window_refresh_side_labels(self, j->side);
    _tsc_compare_window_maybe_compare(self);
}

void _tsc_compare_window_analyse(TscCompareWindow *self, int i)
{
    Side *s = &self->side[i];
    if (!_tsc_compare_window_pair_shown(self) || s->analysing || side_result(self, s)) return;
    tsc_model *m = model(self);
    if (self->method == TSC_METHOD_CNN && !m) {
        g_clear_pointer(&s->error, g_free);
        const GError *e = self->app ? tsc_viewer_app_get_model_error(self->app) : NULL;
        /* Still loading: tsc_compare_window_model_changed starts it. */
        if (e)
            s->error = g_strdup_printf("not analysed: the model is not available (%s). Choose the "
                                       "Threshold method in the main window to compare without it.",
                                       e->message);
        _tsc_compare_window_refresh_status(self);
        return;
    }
    TscViewerPrefs *prefs = tsc_viewer_app_get_prefs(self->app);
    s->analysing = TRUE;
    s->done = 0;
    s->total = side_series(s)->n_slices;
    gpointer tag = GINT_TO_POINTER((int)((self->gen & 0xffff) << 1 | (guint)i));
    tsc_viewer_analyze_series_async(s->study, m, self->method, s->series,
                                    tsc_viewer_prefs_get_threads(prefs),
                                    tsc_viewer_prefs_get_force_scope(prefs),
                                    tsc_viewer_progress_new(G_OBJECT(self), on_progress, tag),
                                    self->cancellable, on_analysed, job_new(self, i, s->series, 0));
    _tsc_compare_window_refresh_overlay(self, i);
}

void tsc_compare_window_model_changed(TscCompareWindow *self)
{
    g_return_if_fail(TSC_IS_COMPARE_WINDOW(self));
    for (int i = 0; i < 2; i++) _tsc_compare_window_analyse(self, i);
    _tsc_compare_window_refresh_status(self);
}

/* ---- export ------------------------------------------------------------- */

static void on_exported(GObject *source, GAsyncResult *res, gpointer data)
{
    (void)source;
    g_autoptr(GError) error = NULL;
    g_autofree char *folder = NULL;
    g_autofree char *summary = tsc_compare_export_finish(res, &folder, &error);
    g_autoptr(TscCompareWindow) self = tsc_viewer_weak_end(data);
    if (!self) return;
    self->exports_running--;
    g_free(self->export_message);
    g_free(self->export_folder);
    self->export_folder = g_steal_pointer(&folder);
    if (summary)
        self->export_message =
            g_strdup_printf("Comparison exported to %s: %s", self->export_folder, summary);
    else
        self->export_message =
            g_strdup_printf("The comparison was not exported: %s", error->message);
    _tsc_compare_window_refresh_status(self);
}

void tsc_compare_window_export(TscCompareWindow *self, const char *folder)
{
    g_return_if_fail(TSC_IS_COMPARE_WINDOW(self));
    g_clear_pointer(&self->export_message, g_free);
    if (!self->cmp) {
        self->export_message = g_strdup("Nothing to export yet: the comparison is not complete.");
        _tsc_compare_window_refresh_status(self);
        return;
    }
    TscViewerPrefs *prefs = tsc_viewer_app_get_prefs(self->app);
    g_autofree char *dir =
        folder && *folder ? g_strdup(folder) : tsc_viewer_prefs_dup_export_folder(prefs);
    TscCompareExportSpec spec = {.folder = dir, .deidentify = deidentify(self)};
    for (int i = 0; i < 2; i++) {
        Side *s = &self->side[i];
        spec.study[i] = s->study;
        spec.series[i] = s->series;
        spec.result[i] = tsc_viewer_study_ref_series_result(s->study, self->method, s->series);
    }
    self->exports_running++;
    tsc_compare_export_async(&spec, model_for_method(self), self->export_cancellable, on_exported,
                             tsc_viewer_weak_new(self));
    for (int i = 0; i < 2; i++) tsc_viewer_series_ref_release(spec.result[i]);
    self->export_message = g_strdup("Exporting the comparison\xe2\x80\xa6");
    _tsc_compare_window_refresh_status(self);
}
