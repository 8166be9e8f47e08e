/* SPDX-License-Identifier: BSD-3-Clause */
#define G_LOG_DOMAIN "tsc-viewer-window"
#include "viewer_window-private.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "tsc_format.h"

/* ---- analysis ---------------------------------------------------------- */

static gboolean method_usable(TscViewerWindow *self, int method)
{
    if (method != TSC_METHOD_CNN || current_model(self)) return TRUE;
    const char *why = self->app && tsc_viewer_app_get_model_loading(self->app)
                          ? "The model is still loading; try again in a moment."
                          : "The CNN needs the default model, which could not be loaded. Choose the "
                            "Threshold or Region-growing method in the side panel.";
    tsc_issue_bar_set(self->issue_bar, "analysis", GTK_MESSAGE_WARNING, why, NULL);
    return FALSE;
}

static void on_slice_analysed(GObject *source, GAsyncResult *res, gpointer data)
{
    (void)source;
    g_autoptr(Ctx) c = data;
    g_autoptr(GError) error = NULL;
    tsc_result *r = tsc_viewer_analyze_slice_finish(res, &error);
    g_autoptr(TscViewerWindow) self = ctx_window(c);
    if (self) {
        g_hash_table_remove(self->analysing, slice_key(c->method, c->series, c->slice));
        if (r) {
            tsc_viewer_study_take_result(self->study, c->method, c->series, c->slice, r);
            r = NULL;
            tsc_issue_bar_set(self->issue_bar, "analysis", 0, NULL, NULL);
        } else if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
            tsc_issue_bar_set(self->issue_bar, "analysis", GTK_MESSAGE_ERROR, "The slice could not be analysed.", error->message);
        }
        if (c->method == current_method(self)) {
            if (self->have_series && c->series == self->series) {
                _tsc_viewer_window_refresh_strip_cell(self, c->slice);
                _tsc_viewer_window_refresh_view_result(self);
                _tsc_viewer_window_refresh_findings(self);
            }
            _tsc_viewer_window_refresh_badge(self, c->series);
        }
        _tsc_viewer_window_refresh_progress(self);
    }
    /* Not kept when the window has gone or shows another study. */
    if (r) tsc_viewer_api()->result_free(r);
}

void tsc_viewer_window_analyze_slice(TscViewerWindow *self)
{
    g_return_if_fail(TSC_IS_VIEWER_WINDOW(self));
    if (!self->have_series) return;
    int method = current_method(self);
    if (tsc_viewer_study_get_result(self->study, method, self->series, self->slice)) return;
    gpointer key = slice_key(method, self->series, self->slice);
    if (g_hash_table_contains(self->analysing, key)) return;
    if (!method_usable(self, method)) return;
    if (!_tsc_viewer_window_scope_allows(self, method)) {
        _tsc_viewer_window_say_not_analysed(self);
        return;
    }
    g_hash_table_add(self->analysing, key);
    /* Analyse the pixels already decoded for the screen, unless the result
     * must carry the scope warning of a forced analysis, which only the
     * plugin's study analysis attaches. */
    g_autoptr(TscViewerImage) decoded = NULL;
    if (method != TSC_METHOD_CNN || self->scope.in_scope)
        decoded = tsc_viewer_study_lookup_image(self->study, self->series, self->slice);
    tsc_viewer_analyze_slice_async(self->study, current_model(self), method, self->series, self->slice,
                                   tsc_viewer_prefs_get_force_scope(self->prefs), decoded,
                                   self->work_cancellable, on_slice_analysed,
                                   ctx_new(self, method, self->series, self->slice));
    _tsc_viewer_window_refresh_view_result(self);
    _tsc_viewer_window_refresh_findings(self);
    _tsc_viewer_window_refresh_progress(self);
}

static void series_progress(GObject *target, gsize done, gsize total, gpointer data)
{
    TscViewerWindow *self = TSC_VIEWER_WINDOW(target);
    if (self->gen != GPOINTER_TO_UINT(data) || self->series_running < 0) return;
    self->series_done = done;
    self->series_total = total;
    /* At most ~8 updates a second: each one relays out the progress row and
     * the browser's badge, which would otherwise compete with scrolling. */
    gint64 now = g_get_monotonic_time();
    if (done < total && now - self->progress_shown < 120000) return;
    self->progress_shown = now;
    _tsc_viewer_window_refresh_progress(self);
    _tsc_viewer_window_refresh_badge(self, (gsize)self->series_running);
}

static void on_series_analysed(GObject *source, GAsyncResult *res, gpointer data)
{
    (void)source;
    g_autoptr(Ctx) c = data;
    g_autoptr(GError) error = NULL;
    gboolean cancelled = FALSE;
    tsc_series_result *r = tsc_viewer_analyze_series_finish(res, &cancelled, &error);
    g_autoptr(TscViewerWindow) self = ctx_window(c);
    if (self) {
        /* Only the run we started last owns the progress row. */
        if (self->series_cancellable && self->series_cancellable == g_task_get_cancellable(G_TASK(res))) {
            self->series_running = -1;
            g_clear_object(&self->series_cancellable);
        }
        if (r) {
            gboolean refused = tsc_viewer_api()->series_result_get_verdict(r) == TSC_VERDICT_NOT_ANALYSED;
            tsc_viewer_study_take_series_result(self->study, c->method, c->series, r);
            r = NULL;
            /* The new result may sit where the old one was freed. */
            tsc_findings_panel_invalidate(self->findings);
            if (refused) {
                if (self->have_series && c->series == self->series) _tsc_viewer_window_say_not_analysed(self);
            } else if (cancelled) {
                tsc_issue_bar_set(self->issue_bar, "analysis", GTK_MESSAGE_INFO,
                          "Series analysis cancelled: the slices analysed so far are kept.", NULL);
            } else {
                tsc_issue_bar_set(self->issue_bar, "analysis", 0, NULL, NULL);
            }
        } else if (error && !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
            tsc_issue_bar_set(self->issue_bar, "analysis", GTK_MESSAGE_ERROR, "The series could not be analysed.", error->message);
        }
        /* What the image and strip show first, the panels a few frames later. */
        _tsc_viewer_window_refresh_sensitivity(self);
        _tsc_viewer_window_refresh_strip(self);
        _tsc_viewer_window_refresh_view_result(self);
        _tsc_viewer_window_refresh_progress(self);
        _tsc_viewer_window_refresh_panels_staged(self);
        _tsc_viewer_window_replay_deferred(self);
    }
    if (r) tsc_viewer_api()->series_result_free(r);
}

void tsc_viewer_window_analyze_series(TscViewerWindow *self)
{
    g_return_if_fail(TSC_IS_VIEWER_WINDOW(self));
    if (!self->have_series) return;
    int method = current_method(self);
    if (self->series_running == (gssize)self->series && self->series_running_method == method) return;
    /* A complete series result is final; a partial (cancelled) one is redone. */
    const tsc_series_result *done = tsc_viewer_study_get_series_result(self->study, method, self->series);
    if (done && !self->bench.running) {
        const tsc_plugin_api *api = tsc_viewer_api();
        /* Refused by the scope gate: final, unless the user now forces it. */
        if (api->series_result_get_verdict(done) == TSC_VERDICT_NOT_ANALYSED) {
            if (!_tsc_viewer_window_scope_allows(self, method) || self->scope.in_scope) {
                _tsc_viewer_window_say_not_analysed(self);
                return;
            }
        } else {
        size_t missing = 0;
        for (size_t k = 0; k < api->series_result_n_slices(done); k++)
            missing += !api->series_result_get_slice(done, k) && !api->series_result_get_error(done, k);
        if (!missing) return;
        }
    }
    if (!method_usable(self, method)) return;
    /* One series at a time: a new request replaces the running one. */
    tsc_viewer_cancel_clear(&self->series_cancellable);
    self->series_cancellable = g_cancellable_new();
    self->series_running = (gssize)self->series;
    self->series_running_method = method;
    self->series_done = 0;
    self->series_total = tsc_viewer_study_n_slices(self->study, self->series);
    /* Cancelled with the study too. */
    g_cancellable_connect(self->work_cancellable, G_CALLBACK(g_cancellable_cancel),
                          g_object_ref(self->series_cancellable), g_object_unref);
    tsc_viewer_analyze_series_async(self->study, current_model(self), method, self->series,
                                    tsc_viewer_prefs_get_threads(self->prefs),
                                    tsc_viewer_prefs_get_force_scope(self->prefs),
                                    tsc_viewer_progress_new(G_OBJECT(self), series_progress,
                                                            GUINT_TO_POINTER(self->gen)),
                                    self->series_cancellable, on_series_analysed,
                                    ctx_new(self, method, self->series, 0));
    _tsc_viewer_window_refresh_all(self);
}

gboolean tsc_viewer_window_cancel(TscViewerWindow *self)
{
    g_return_val_if_fail(TSC_IS_VIEWER_WINDOW(self), FALSE);
    gboolean any = FALSE;
    if (self->bench.running) return FALSE;
    if (self->opening && self->open_cancellable) {
        g_cancellable_cancel(self->open_cancellable);
        any = TRUE;
    }
    if (self->series_cancellable) {
        g_cancellable_cancel(self->series_cancellable);
        any = TRUE;
    }
    if (self->exports_running) {
        tsc_viewer_cancel_clear(&self->export_cancellable);
        self->export_cancellable = g_cancellable_new();
        any = TRUE;
    }
    if (g_hash_table_size(self->analysing)) {
        /* Slice analyses share the work cancellable with decoding, which
         * restarts on demand. */
        tsc_viewer_cancel_clear(&self->work_cancellable);
        self->work_cancellable = g_cancellable_new();
        g_hash_table_remove_all(self->decoding);
        any = TRUE;
    }
    if (any) g_info("cancel requested");
    return any;
}

void tsc_viewer_window_set_window_preset(TscViewerWindow *self, const char *preset)
{
    g_return_if_fail(TSC_IS_VIEWER_WINDOW(self));
    gtk_widget_activate_action(GTK_WIDGET(self->view), "view.window-preset", "s", preset);
}

/* ---- export ------------------------------------------------------------ */

static void on_exported(GObject *source, GAsyncResult *res, gpointer data)
{
    (void)source;
    g_autoptr(Ctx) c = data;
    g_autoptr(GError) error = NULL;
    g_autofree char *folder = NULL, *notes = NULL;
    g_autofree char *summary = tsc_viewer_export_finish(res, &folder, &notes, &error);
    /* Exports report even after a new study. */
    g_autoptr(TscViewerWindow) self = g_weak_ref_get(&c->win);
    if (self) {
        self->exports_running--;
        if (summary) {
            g_free(self->export_folder_shown);
            self->export_folder_shown = g_strdup(folder);
            tsc_issue_bar_set_folder(self->issue_bar, folder);
            g_autofree char *title = g_strdup_printf("Report exported to %s", folder);
            _tsc_viewer_window_show_toast(self, title, TRUE);
            /* Outputs that could not be written are a problem that stays. */
            if (notes) {
                g_autofree char *details = g_strdup_printf("%s\n%s", summary, notes);
                tsc_issue_bar_set(self->issue_bar, "export", GTK_MESSAGE_WARNING, "Some outputs of the export were not written.",
                          details);
            } else {
                tsc_issue_bar_set(self->issue_bar, "export", 0, NULL, NULL);
            }
        } else if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
            g_clear_pointer(&self->export_folder_shown, g_free);
            tsc_issue_bar_set_folder(self->issue_bar, NULL);
            tsc_issue_bar_set(self->issue_bar, "export", GTK_MESSAGE_ERROR, "The report could not be exported.", error->message);
        }
        _tsc_viewer_window_refresh_progress(self);
    }
}

/* An export needs a series on screen, and the result it shows measured
 * (not corrections still being measured); else the info bar says so. */
static gboolean can_export(TscViewerWindow *self)
{
    if (self->have_series && _tsc_viewer_window_edits_measuring(self)) {
        /* The result on screen is about to be replaced by the edited one. */
        tsc_issue_bar_set(self->issue_bar, "export", GTK_MESSAGE_INFO,
                          "The corrections are being measured: export again when the findings "
                          "show them.",
                          NULL);
        return FALSE;
    }
    if (self->have_series) return TRUE;
    tsc_issue_bar_set(self->issue_bar, "export", GTK_MESSAGE_WARNING,
                      "Open a study before exporting a report.", NULL);
    return FALSE;
}

void tsc_viewer_window_export_spec(TscViewerWindow *self, const TscViewerExportSpec *spec)
{
    g_return_if_fail(TSC_IS_VIEWER_WINDOW(self));
    if (!can_export(self)) return;
    int method = current_method(self);
    if (spec->slice_png && !tsc_viewer_study_get_result(self->study, method, self->series, self->slice) &&
        !method_usable(self, method))
        return;
    TscViewerSeriesRef *ref = tsc_viewer_study_ref_series_result(self->study, method, self->series);
    TscViewerExportSpec s = *spec;
    s.force_scope = tsc_viewer_prefs_get_force_scope(self->prefs);
    self->exports_running++;
    /* The reader's measurements of the series on screen, none of another. */
    const tsc_dicom_series_info *si = series_info(self);
    tsc_viewer_export_async(
        self->study, current_model(self), method, self->series, self->slice,
        tsc_viewer_study_get_result(self->study, method, self->series, self->slice), ref, &s,
        self->measurements, si->series_uid, tsc_measure_unit_for_modality(si->modality),
        self->export_cancellable, on_exported, ctx_new(self, method, self->series, self->slice));
    tsc_viewer_series_ref_release(ref);
    _tsc_viewer_window_refresh_progress(self);
}

void tsc_viewer_window_export(TscViewerWindow *self, const char *folder)
{
    g_return_if_fail(TSC_IS_VIEWER_WINDOW(self));
    g_autofree char *dir =
        folder && *folder ? g_strdup(folder) : tsc_viewer_prefs_dup_export_folder(self->prefs);
    TscViewerExportSpec spec = {.folder = dir,
                                .slice_png = TRUE,
                                .series_png = TRUE,
                                .pdf = TRUE,
                                .dicom = TRUE,
                                .deidentify = tsc_viewer_prefs_get_deidentify(self->prefs)};
    tsc_viewer_window_export_spec(self, &spec);
}

static void on_export_requested(TscExportDialog *dialog, gpointer data)
{
    TscViewerWindow *self = data;
    TscViewerExportSpec spec;
    tsc_export_dialog_get_spec(dialog, &spec);
    tsc_viewer_window_export_spec(self, &spec);
    g_free(spec.folder);
    gtk_window_destroy(GTK_WINDOW(dialog));
}

void tsc_viewer_window_show_export_dialog(TscViewerWindow *self)
{
    g_return_if_fail(TSC_IS_VIEWER_WINDOW(self));
    if (!can_export(self)) return;
    int method = current_method(self);
    gboolean has_series = tsc_viewer_study_get_series_result(self->study, method, self->series) != NULL;
    TscExportDialog *d = tsc_export_dialog_new(GTK_WINDOW(self), self->prefs, self->slice, has_series);
    g_signal_connect(d, "export", G_CALLBACK(on_export_requested), self);
    gtk_window_present(GTK_WINDOW(d));
}

/* ---- win.* actions ------------------------------------------------------ */

/* Every window command is a win.* action: the header's keys bind to them
 * and the application's actions (exported on D-Bus for scripts) forward to
 * them.  Commands that need the study wait while one is being opened
 * (tsc_viewer_window_defer) and are replayed in order. */
#define WIN_ACTION(fn) static void fn(GtkWidget *widget, const char *name, GVariant *p)
#define SELF TscViewerWindow *self = TSC_VIEWER_WINDOW(widget)
#define WAIT_FOR_STUDY                                                                            \
    do {                                                                                           \
        if (tsc_viewer_window_defer(self, name, p)) return;                                       \
    } while (0)

WIN_ACTION(win_open)
{
    (void)name;
    SELF;
    const char *paths[] = {g_variant_get_string(p, NULL), NULL};
    tsc_viewer_window_open(self, paths);
}
WIN_ACTION(win_open_folder) { (void)name; (void)p; SELF; tsc_viewer_window_choose_open(self, TRUE); }
WIN_ACTION(win_open_file) { (void)name; (void)p; SELF; tsc_viewer_window_choose_open(self, FALSE); }
WIN_ACTION(win_select_series)
{
    SELF;
    WAIT_FOR_STUDY;
    gint32 i = g_variant_get_int32(p);
    if (i >= 0) tsc_viewer_window_select_series(self, (gsize)i);
}
WIN_ACTION(win_goto_slice) { SELF; WAIT_FOR_STUDY; tsc_viewer_window_goto_slice(self, g_variant_get_int32(p)); }
WIN_ACTION(win_analyze_slice) { SELF; WAIT_FOR_STUDY; tsc_viewer_window_analyze_slice(self); }
WIN_ACTION(win_analyze_series) { SELF; WAIT_FOR_STUDY; tsc_viewer_window_analyze_series(self); }
WIN_ACTION(win_cancel) { (void)name; (void)p; SELF; tsc_viewer_window_cancel(self); }
WIN_ACTION(win_window_preset)
{
    SELF;
    WAIT_FOR_STUDY;
    tsc_viewer_window_set_window_preset(self, g_variant_get_string(p, NULL));
}
WIN_ACTION(win_export_report) { SELF; WAIT_FOR_STUDY; tsc_viewer_window_export(self, g_variant_get_string(p, NULL)); }
WIN_ACTION(win_export_dialog) { SELF; WAIT_FOR_STUDY; tsc_viewer_window_show_export_dialog(self); }
WIN_ACTION(win_screenshot) { (void)name; SELF; tsc_viewer_window_screenshot(self, g_variant_get_string(p, NULL)); }
WIN_ACTION(win_write_state) { (void)name; SELF; tsc_viewer_window_write_state(self, g_variant_get_string(p, NULL)); }
WIN_ACTION(win_benchmark_scroll)
{
    SELF;
    WAIT_FOR_STUDY;
    tsc_viewer_window_benchmark_scroll(self, g_variant_get_string(p, NULL));
}

void _tsc_viewer_window_install_actions(GtkWidgetClass *wc)
{
    static const WinAction actions[] = {
        {"win.open", "s", win_open},
        {"win.open-folder", NULL, win_open_folder},
        {"win.open-file", NULL, win_open_file},
        {"win.select-series", "i", win_select_series},
        {"win.goto-slice", "i", win_goto_slice},
        {"win.analyze-slice", NULL, win_analyze_slice},
        {"win.analyze-series", NULL, win_analyze_series},
        {"win.cancel", NULL, win_cancel},
        {"win.window-preset", "s", win_window_preset},
        {"win.export-report", "s", win_export_report},
        {"win.export-dialog", NULL, win_export_dialog},
        {"win.screenshot", "s", win_screenshot},
        {"win.write-state", "s", win_write_state},
        {"win.benchmark-scroll", "s", win_benchmark_scroll},
    };
    install_win_actions(wc, actions, G_N_ELEMENTS(actions));
}
