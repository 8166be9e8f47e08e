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

#include "display_props.h"
#include "tsc_format.h"
#include "viewer_desktop.h"
#include "viewer_window_pacs.h"
#include "viewer_window_compare.h"
#include "viewer_window_tags.h"

G_DEFINE_FINAL_TYPE(TscViewerWindow, tsc_viewer_window, GTK_TYPE_APPLICATION_WINDOW)

void _tsc_viewer_window_deferred_free(gpointer p)
{
    Deferred *d = p;
    g_free(d->action);
    if (d->param) g_variant_unref(d->param);
    g_free(d);
}

/* ---- info bar ---------------------------------------------------------- */

/* ---- toast: a transient message over the window (an export's success) --- */

void _tsc_viewer_window_hide_toast(TscViewerWindow *self)
{
    if (self->toast_id) g_source_remove(self->toast_id);
    self->toast_id = 0;
    gtk_revealer_set_reveal_child(self->toast_revealer, FALSE);
}

static gboolean on_toast_timeout(gpointer data)
{
    TscViewerWindow *self = data;
    self->toast_id = 0;
    gtk_revealer_set_reveal_child(self->toast_revealer, FALSE);
    return G_SOURCE_REMOVE;
}

#define TOAST_SECONDS 6

void _tsc_viewer_window_show_toast(TscViewerWindow *self, const char *text, gboolean open_folder)
{
    if (self->toast_id) g_source_remove(self->toast_id);
    gtk_label_set_text(self->toast_label, text);
    gtk_widget_set_visible(self->toast_open_folder, open_folder);
    gtk_revealer_set_reveal_child(self->toast_revealer, TRUE);
    self->toast_id = g_timeout_add_seconds(TOAST_SECONDS, on_toast_timeout, self);
}

static void on_toast_close(GtkButton *b, TscViewerWindow *self)
{
    (void)b;
    _tsc_viewer_window_hide_toast(self);
}

static void on_open_folder_clicked(GtkButton *b, TscViewerWindow *self)
{
    (void)b;
    tsc_viewer_show_folder(GTK_WIDGET(self), self->export_folder_shown);
}

/* ---- progress ---------------------------------------------------------- */

/* Indexing shows in a row above everything (nothing else is on screen
 * then); analyses and exports show next to the slice strip, where showing
 * and hiding them never moves or resizes the image. */
void _tsc_viewer_window_refresh_progress(TscViewerWindow *self)
{
    if (self->opening) {
        g_autofree char *text = self->series_total
                                    ? g_strdup_printf("Indexing %zu of %zu files\xe2\x80\xa6",
                                                      self->series_done, self->series_total)
                                    : g_strdup("Indexing the study\xe2\x80\xa6");
        gtk_label_set_text(self->progress_label, text);
        if (self->series_total)
            gtk_progress_bar_set_fraction(self->progress_bar, (double)self->series_done / self->series_total);
        else
            gtk_progress_bar_pulse(self->progress_bar);
    }
    gtk_revealer_set_reveal_child(self->progress_revealer, self->opening);

    gboolean measuring = _tsc_viewer_window_edits_measuring(self);
    gboolean work =
        !self->opening && (self->series_running >= 0 || self->exports_running || measuring);
    if (work) {
        g_autofree char *text = NULL;
        if (self->series_running >= 0) {
            text = g_strdup_printf("Analysing %zu / %zu", self->series_done, self->series_total);
            gtk_progress_bar_set_fraction(self->work_bar, self->series_total ? (double)self->series_done / self->series_total : 0);
        } else if (measuring) {
            /* The reader's corrections, measured again on the pool. */
            text = g_strdup("Measuring the corrections\xe2\x80\xa6");
            gtk_progress_bar_pulse(self->work_bar);
        } else {
            text = g_strdup("Exporting\xe2\x80\xa6");
            gtk_progress_bar_pulse(self->work_bar);
        }
        gtk_label_set_text(self->work_label, text);
        /* A replay of the corrections takes milliseconds and is not cancelled. */
        gtk_widget_set_visible(self->work_cancel, self->series_running >= 0 || self->exports_running);
    }
    gtk_widget_set_visible(self->work_box, work);
}

/* ---- what is on screen ------------------------------------------------- */

static char *format_date(const char *d)
{
    if (!d || strlen(d) != 8) return g_strdup(d && *d ? d : "");
    return g_strdup_printf("%.4s-%.2s-%.2s", d, d + 4, d + 6);
}

static void refresh_corner_text(TscViewerWindow *self)
{
    if (!self->have_series) return;
    const tsc_plugin_api *api = tsc_viewer_api();
    const tsc_dicom_index *ix = tsc_viewer_study_get_index(self->study);
    const tsc_dicom_series_info *si = series_info(self);
    const tsc_dicom_study_info *st = api->study_get_study(ix, si->study);
    const tsc_dicom_patient_info *p = api->study_get_patient(ix, st->patient);
    const tsc_dicom_slice_info *sl = api->study_get_slice(ix, self->series, self->slice);
    g_auto(GStrv) name = g_strsplit(p->name, "^", -1);
    g_autofree char *pname = name[0] && name[1] && *name[1]
                                 ? g_strdup_printf("%s, %s", name[0], name[1])
                                 : g_strdup(p->name);
    g_autofree char *date = format_date(st->date);
    g_autofree char *birth = format_date(p->birth_date);
    g_autofree char *tl = g_strdup_printf("%s\nID %s%s%s%s%s\n%s %s", *pname ? pname : "Unnamed patient",
                               *p->id ? p->id : "\xe2\x80\x94", *p->sex ? " \xc2\xb7 " : "", p->sex,
                               *birth ? " \xc2\xb7 born " : "", birth, date, st->description);
    g_autofree char *tr = g_strdup_printf("%s\nSeries %d \xc2\xb7 %s%s%s\n%s", si->description, si->series_number,
                               si->modality, *si->contrast_label ? " \xc2\xb7 " : "", si->contrast_label,
                               *st->institution ? st->institution : "");
    g_autofree char *loc =
        sl->has_geometry ? g_strdup_printf("\nLoc %.1f mm", sl->location) : g_strdup("");
    g_autofree char *thick = si->slice_thickness > 0
                                 ? g_strdup_printf(" \xc2\xb7 %.1f mm thick", si->slice_thickness)
                                 : g_strdup("");
    g_autofree char *br =
        g_strdup_printf("Slice %zu / %zu%s\n%.2f \xc3\x97 %.2f mm%s", self->slice + 1, si->n_slices,
                        loc, si->pixel_spacing[1], si->pixel_spacing[0], thick);
    tsc_slice_view_set_corner_text(self->view, tl, tr, br);

    g_autofree char *sl_text = g_strdup_printf("%zu / %zu", self->slice + 1, si->n_slices);
    gtk_label_set_text(self->slice_label, sl_text);
}

/* The stored SEG's mask of the image on screen, if any. */
static void refresh_view_seg(TscViewerWindow *self)
{
    TscViewerImage *im = tsc_slice_view_get_image(self->view);
    gssize k = -1;
    if (im && self->seg && self->have_series && im->series == self->series &&
        self->seg->series == self->series && im->slice < self->seg->n_slices &&
        self->seg->masks[im->slice])
        k = (gssize)im->slice;
    if (k == self->seg_shown) return;
    self->seg_shown = k;
    if (k < 0)
        tsc_slice_view_set_seg(self->view, NULL, 0, 0, NULL);
    else
        tsc_slice_view_set_seg(self->view, self->seg->masks[k], self->seg->rows, self->seg->cols,
                               self->seg->label);
}

void _tsc_viewer_window_clear_seg(TscViewerWindow *self)
{
    g_clear_pointer(&self->seg, tsc_viewer_seg_masks_free);
    self->seg_shown = -1;
    tsc_slice_view_set_seg(self->view, NULL, 0, 0, NULL);
    gtk_widget_set_visible(GTK_WIDGET(self->seg_switch), FALSE);
    gtk_widget_set_visible(self->seg_label, FALSE);
}

static void on_seg_loaded(GObject *source, GAsyncResult *res, gpointer data)
{
    g_autoptr(Ctx) c = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(TscViewerSegMasks) m =
        tsc_viewer_seg_load_finish(TSC_VIEWER_STUDY(source), res, &error);
    g_autoptr(TscViewerWindow) self = ctx_window(c);
    /* Ours, rebuilt meanwhile, is drawn by the overlay, not as an outline. */
    if (self && self->have_series && self->series == c->series &&
        !_tsc_viewer_window_stored_is_ours(self)) {
        if (m) {
            g_info("series %zu: stored SEG, %zu frames on its slices", c->series, m->n_frames_mapped);
            g_clear_pointer(&self->seg, tsc_viewer_seg_masks_free);
            self->seg = g_steal_pointer(&m);
            self->seg_shown = -1;
            refresh_view_seg(self);
        } else if (error && !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
            tsc_issue_bar_set(self->issue_bar, "seg", GTK_MESSAGE_WARNING,
                      "The segmentation stored with this series could not be shown.", error->message);
        }
    }
}

/* Looks for a stored SEG of the series on screen; decodes it off the main
 * thread. */
void _tsc_viewer_window_load_seg(TscViewerWindow *self)
{
    _tsc_viewer_window_clear_seg(self);
    tsc_issue_bar_set(self->issue_bar, "seg", 0, NULL, NULL);
    if (!self->have_series || !tsc_viewer_seg_exists(self->study, self->series)) return;
    /* Ours is rebuilt as a result and drawn as the overlay draws ours. */
    if (_tsc_viewer_window_stored_is_ours(self)) return;
    gtk_widget_set_visible(GTK_WIDGET(self->seg_switch), TRUE);
    gtk_widget_set_visible(self->seg_label, TRUE);
    tsc_viewer_seg_load_async(self->study, self->series, self->work_cancellable, on_seg_loaded,
                              ctx_new(self, 0, self->series, 0));
}

void _tsc_viewer_window_refresh_view_result(TscViewerWindow *self)
{
    TscViewerImage *im = tsc_slice_view_get_image(self->view);
    int method = current_method(self);
    const tsc_result *r = NULL;
    gboolean stored = FALSE;
    if (im && self->have_series && im->series == self->series)
        r = tsc_viewer_study_get_shown_result(self->study, method, im->series, im->slice, &stored);
    tsc_slice_view_set_result(self->view, model_shown(self, method, stored), r);
    refresh_view_seg(self);
    gboolean busy = g_hash_table_contains(self->analysing, slice_key(method, self->series, self->slice));
    if (self->decode_error)
        tsc_slice_view_set_status(self->view, self->decode_error);
    else if (busy)
        tsc_slice_view_set_status(self->view, "Analysing slice\xe2\x80\xa6");
    else if (stored) /* Never read as our own analysis: where it came from, on the image. */
        tsc_slice_view_set_status(
            self->view, tsc_viewer_study_get_stored(self->study, self->series)->provenance);
    else
        tsc_slice_view_set_status(self->view, NULL);
}

/* The side panel's slice section: what a scroll step updates. */
static void refresh_findings_slice(TscViewerWindow *self)
{
    if (!self->have_series) return;
    int method = current_method(self);
    gboolean stored = FALSE;
    const tsc_result *r =
        tsc_viewer_study_get_shown_result(self->study, method, self->series, self->slice, &stored);
    const char *err = tsc_viewer_study_get_slice_error(self->study, method, self->series, self->slice);
    gboolean busy = g_hash_table_contains(self->analysing, slice_key(method, self->series, self->slice)) ||
                    (self->series_running == (gssize)self->series && self->series_running_method == method);
    /* A stored result is a CNN's: described with the model. */
    tsc_findings_panel_set_slice(self->findings, current_model(self),
                                 stored ? TSC_METHOD_CNN : method, self->slice, r, err, busy && !r);
}

/* Whether the series on screen may be analysed with `method` as things
 * stand: in the model's scope, or the user asked for research use. */
gboolean _tsc_viewer_window_scope_allows(TscViewerWindow *self, int method)
{
    return method != TSC_METHOD_CNN || self->scope.in_scope ||
           tsc_viewer_prefs_get_force_scope(self->prefs);
}

/* Asks the plugin's scope gate about the series on screen and tells the
 * findings panel.  Again when the model or method changes (the model
 * declares the scope). */
static void refresh_scope(TscViewerWindow *self)
{
    memset(&self->scope, 0, sizeof self->scope);
    self->scope.struct_size = sizeof self->scope;
    self->scope.in_scope = 1;
    const tsc_plugin_api *api = tsc_viewer_api();
    if (self->have_series && current_method(self) == TSC_METHOD_CNN &&
        TSC_PLUGIN_HAS(api, series_check_scope))
        api->series_check_scope(current_model(self), tsc_viewer_study_get_index(self->study), self->series,
                                &self->scope);
    tsc_findings_panel_set_scope(self->findings, self->scope.in_scope ? NULL : self->scope.reason,
                                 tsc_viewer_prefs_get_force_scope(self->prefs));
}

/* Said in the window when an analysis is asked for outside the scope. */
void _tsc_viewer_window_say_not_analysed(TscViewerWindow *self)
{
    g_autofree char *t = g_strdup_printf("Not analysed: %s.", self->scope.reason);
    tsc_issue_bar_set(self->issue_bar, "analysis", GTK_MESSAGE_WARNING, t,
              self->scope.reformat_possible
                  ? "The model was not made for this series. It is a thin 3D volume: an axial "
                    "reformat of it would be in scope. For research use, Preferences \u2192 "
                    "\u201cAnalyse outside the model\u2019s scope\u201d analyses it anyway, and every "
                    "result then carries a warning."
                  : "The model was not made for this series. For research use, Preferences \u2192 "
                    "\u201cAnalyse outside the model\u2019s scope\u201d analyses it anyway, and every "
                    "result then carries a warning.");
}

void _tsc_viewer_window_refresh_findings(TscViewerWindow *self)
{
    if (!self->have_series) return;
    _tsc_viewer_window_edits_refresh(self);
    refresh_findings_slice(self);
    int method = current_method(self);
    gboolean stored = FALSE;
    const tsc_series_result *sr =
        tsc_viewer_study_get_shown_series_result(self->study, method, self->series, &stored);
    tsc_findings_panel_set_editable(self->findings, sr && !stored);
    tsc_findings_panel_set_series(self->findings, current_model(self),
                                  stored ? TSC_METHOD_CNN : method, sr,
                                  series_info(self)->slice_spacing);
    const TscViewerStored *st = tsc_viewer_study_get_stored(self->study, self->series);
    tsc_findings_panel_set_provenance(self->findings, stored ? st->provenance : NULL);
}

/* The strip's tooltip: the description's label, then why (and the scope
 * warning of a forced analysis). */
static char *result_tooltip(const tsc_description *d)
{
    GString *t = g_string_new(d->label);
    if (*d->reason) g_string_append_printf(t, "\n%s", d->reason);
    if (*d->scope_warning) g_string_append_printf(t, "\n\xe2\x9a\xa0 %s", d->scope_warning);
    return g_string_free(t, FALSE);
}

void _tsc_viewer_window_refresh_strip_cell(TscViewerWindow *self, gsize k)
{
    int method = current_method(self);
    gboolean stored = FALSE;
    const tsc_result *r =
        tsc_viewer_study_get_shown_result(self->study, method, self->series, k, &stored);
    if (r) {
        tsc_description d;
        tsc_viewer_describe_result(model_shown(self, method, stored), r, &d);
        g_autofree char *tip = result_tooltip(&d);
        if (stored) {
            g_autofree char *own = g_steal_pointer(&tip);
            tip = g_strdup_printf(
                "%s\n%s", own, tsc_viewer_study_get_stored(self->study, self->series)->provenance);
        }
        TscStripState st = d.verdict == TSC_VERDICT_TUMOR ? TSC_STRIP_TUMOR : TSC_STRIP_RESULT;
        tsc_slice_strip_set_cell(self->strip, k, st, d.color, tip);
        return;
    }
    const char *err = tsc_viewer_study_get_slice_error(self->study, method, self->series, k);
    const tsc_series_result *sr = tsc_viewer_study_get_series_result(self->study, method, self->series);
    if (err) {
        tsc_slice_strip_set_cell(self->strip, k, TSC_STRIP_FAILED, TSC_VIEWER_COLOR_FAILED, err);
    } else if (sr && tsc_viewer_api()->series_result_get_verdict(sr) == TSC_VERDICT_NOT_ANALYSED) {
        /* Refused by the scope gate: the series' own words on every cell. */
        tsc_description d;
        tsc_viewer_describe_series(model_for(self, method), sr, &d);
        g_autofree char *tip = result_tooltip(&d);
        tsc_slice_strip_set_cell(self->strip, k, TSC_STRIP_NONE, 0, tip);
    } else {
        tsc_slice_strip_set_cell(self->strip, k, TSC_STRIP_NONE, 0, NULL);
    }
}

void _tsc_viewer_window_refresh_strip(TscViewerWindow *self)
{
    if (!self->have_series) return;
    gsize n = tsc_viewer_study_n_slices(self->study, self->series);
    for (gsize k = 0; k < n; k++) _tsc_viewer_window_refresh_strip_cell(self, k);
    tsc_slice_strip_set_current(self->strip, self->slice);
}

/* How much a slice verdict should draw the eye in the browser's badge. */
static int severity(tsc_verdict v)
{
    switch (v) {
    case TSC_VERDICT_TUMOR: return 4;
    case TSC_VERDICT_INCONCLUSIVE: return 3;
    case TSC_VERDICT_NO_TUMOR: return 2;
    case TSC_VERDICT_NOT_ASSESSABLE: return 1;
    default: return 0;
    }
}

void _tsc_viewer_window_refresh_badge(TscViewerWindow *self, gsize series)
{
    if (!self->study) return;
    const tsc_plugin_api *api = tsc_viewer_api();
    int method = current_method(self);
    const tsc_model *model = model_for(self, method);
    if (self->series_running == (gssize)series && self->series_running_method == method) {
        g_autofree char *t =
            g_strdup_printf("Analysing\xe2\x80\xa6 %zu/%zu", self->series_done, self->series_total);
        tsc_series_browser_set_badge(self->browser, series, t, 0x9AA5B1);
        return;
    }
    gboolean stored = FALSE;
    const tsc_series_result *sr =
        tsc_viewer_study_get_shown_series_result(self->study, method, series, &stored);
    tsc_description d;
    if (sr) {
        tsc_viewer_describe_series(model_shown(self, method, stored), sr, &d);
        g_autoptr(GString) t = g_string_new(d.label);
        if (d.verdict == TSC_VERDICT_TUMOR)
            g_string_append_printf(t, " \xc2\xb7 %.1f mL", api->series_result_get_volume_ml(sr));
        if (*d.scope_warning) g_string_append(t, " \xc2\xb7 \xe2\x9a\xa0 outside scope");
        if (stored) g_string_append(t, " \xc2\xb7 stored result");
        tsc_series_browser_set_badge(self->browser, series, t->str, d.color);
        return;
    }
    /* Slice analyses only: the most severe verdict seen so far. */
    gsize n = tsc_viewer_study_n_slices(self->study, series), done = 0;
    const tsc_result *worst = NULL;
    for (gsize k = 0; k < n; k++) {
        const tsc_result *r = tsc_viewer_study_get_result(self->study, method, series, k);
        if (!r) continue;
        done++;
        if (!worst || severity(api->result_get_verdict(r)) > severity(api->result_get_verdict(worst))) worst = r;
    }
    if (!done) {
        tsc_series_browser_set_badge(self->browser, series, "Not analysed", G_MAXUINT32);
        return;
    }
    tsc_viewer_describe_result(model, worst, &d);
    g_autofree char *t = g_strdup_printf("%s \xc2\xb7 %zu of %zu slices%s", d.label, done, n,
                              *d.scope_warning ? " \xc2\xb7 \xe2\x9a\xa0 outside scope" : "");
    tsc_series_browser_set_badge(self->browser, series, t, d.color);
}

void _tsc_viewer_window_refresh_all_badges(TscViewerWindow *self)
{
    if (!self->study) return;
    for (gsize s = 0; s < tsc_viewer_study_n_series(self->study); s++) _tsc_viewer_window_refresh_badge(self, s);
}

static void refresh_model_label(TscViewerWindow *self)
{
    if (!self->app) return;
    if (tsc_viewer_app_get_api_error(self->app)) {
        gtk_label_set_text(self->model_label, "The plugin cannot be used: no analysis is possible.");
        return;
    }
    const tsc_plugin_api *api = tsc_viewer_api();
    tsc_model *m = current_model(self);
    g_autofree char *t = NULL;
    if (m)
        t = g_strdup_printf("Model %s %s (SHA-256 %.12s\xe2\x80\xa6)", api->model_get_name(m),
                            api->model_get_version(m), api->model_get_sha256(m));
    else if (tsc_viewer_app_get_model_loading(self->app))
        t = g_strdup("Loading the model\xe2\x80\xa6");
    else
        t = g_strdup("No model: only the Threshold and Region-growing methods are available.");
    gtk_label_set_text(self->model_label, t);
}

/* Commands that need a series are greyed out without one.  The actions
 * themselves stay enabled: scripts may send them while a study opens. */
void _tsc_viewer_window_refresh_sensitivity(TscViewerWindow *self)
{
    GtkWidget *w[] = {self->analyze_slice_button, self->analyze_series_button, self->export_button,
                      self->preset_box};
    for (size_t i = 0; i < G_N_ELEMENTS(w); i++) gtk_widget_set_sensitive(w[i], self->have_series);
}

void _tsc_viewer_window_refresh_all(TscViewerWindow *self)
{
    _tsc_viewer_window_refresh_sensitivity(self);
    _tsc_viewer_window_refresh_strip(self);
    _tsc_viewer_window_refresh_all_badges(self);
    _tsc_viewer_window_refresh_view_result(self);
    _tsc_viewer_window_refresh_findings(self);
    _tsc_viewer_window_refresh_progress(self);
}

/* After a series result the image, the strip and the slice section repaint
 * at once; the side panel's series section follows on the third frame, the
 * browser's badge on the sixth (50 and 100 ms later at 60 Hz).  Each repaints
 * a tall strip of the window, 10 to 20 ms of CPU where GTK draws in software;
 * in one frame together they made the scroll benchmark's worst step
 * (docs/VIEWER.md, Responsiveness). */
static gboolean staged_refresh_tick(GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
    (void)clock;
    (void)data;
    TscViewerWindow *self = TSC_VIEWER_WINDOW(widget);
    self->staged_frames++;
    if (self->staged_frames == 3) _tsc_viewer_window_refresh_findings(self);
    if (self->staged_frames < 6) return G_SOURCE_CONTINUE;
    _tsc_viewer_window_refresh_all_badges(self);
    self->staged_tick = 0;
    return G_SOURCE_REMOVE;
}

void _tsc_viewer_window_refresh_panels_staged(TscViewerWindow *self)
{
    self->staged_frames = 0;
    if (!self->staged_tick)
        self->staged_tick = gtk_widget_add_tick_callback(GTK_WIDGET(self), staged_refresh_tick, NULL, NULL);
}

void tsc_viewer_window_model_changed(TscViewerWindow *self)
{
    g_return_if_fail(TSC_IS_VIEWER_WINDOW(self));
    const GError *e = self->app ? tsc_viewer_app_get_model_error(self->app) : NULL;
    if (e)
        tsc_issue_bar_set(self->issue_bar, "model", GTK_MESSAGE_WARNING,
                  "The default model is not available: analysis with the CNN is disabled. "
                  "The Threshold and Region-growing methods still work.",
                  e->message);
    else
        tsc_issue_bar_set(self->issue_bar, "model", 0, NULL, NULL);
    refresh_model_label(self);
    refresh_scope(self);
    tsc_findings_panel_invalidate(self->findings);
    /* Stored results take their types from the model's class names. */
    if (self->study) _tsc_viewer_window_load_stored(self);
    _tsc_viewer_window_refresh_all(self);
    _tsc_viewer_window_replay_deferred(self);
}

/* ---- slices ------------------------------------------------------------ */

static void show_image(TscViewerWindow *self, TscViewerImage *im)
{
    g_clear_pointer(&self->decode_error, g_free);
    tsc_slice_view_set_image(self->view, im);
    _tsc_viewer_window_refresh_view_result(self);
}

static void on_decoded(GObject *source, GAsyncResult *res, gpointer data)
{
    g_autoptr(Ctx) c = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(TscViewerImage) im =
        tsc_viewer_study_decode_finish(TSC_VIEWER_STUDY(source), res, &error);
    g_autoptr(TscViewerWindow) self = ctx_window(c);
    if (self) {
        g_hash_table_remove(self->decoding, slice_key(-1, c->series, c->slice));
        gboolean current = self->have_series && c->series == self->series && c->slice == self->slice;
        if (current && im) {
            show_image(self, im);
        } else if (current && error && !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
            g_free(self->decode_error);
            self->decode_error = g_strdup(error->message);
            tsc_slice_view_set_image(self->view, NULL);
            _tsc_viewer_window_refresh_view_result(self);
            tsc_issue_bar_set(self->issue_bar, "decode", GTK_MESSAGE_WARNING, "A slice could not be shown.", error->message);
        } else if (current && error) {
            /* Dropped as "scrolled past" but we are back on it: ask again. */
            tsc_viewer_window_goto_slice(self, (gssize)self->slice);
        }
    }
}

static void request_decode(TscViewerWindow *self, gsize slice)
{
    gpointer key = slice_key(-1, self->series, slice);
    if (g_hash_table_contains(self->decoding, key)) return;
    g_hash_table_add(self->decoding, key);
    tsc_viewer_study_decode_async(self->study, self->series, slice, self->work_cancellable, on_decoded,
                                  ctx_new(self, 0, self->series, slice));
}

void tsc_viewer_window_goto_slice(TscViewerWindow *self, gssize slice)
{
    g_return_if_fail(TSC_IS_VIEWER_WINDOW(self));
    if (!self->have_series) return;
    gsize n = tsc_viewer_study_n_slices(self->study, self->series);
    slice = CLAMP(slice, 0, (gssize)n - 1);
    if ((gsize)slice != self->slice) self->last_step = (gsize)slice > self->slice ? 1 : -1;
    self->slice = (gsize)slice;
    tsc_viewer_study_set_focus(self->study, self->series, self->slice);
    tsc_slice_strip_set_current(self->strip, self->slice);
    _tsc_viewer_window_update_tags(GTK_WIDGET(self));
    refresh_corner_text(self);
    /* The series section changes only with a series result, which stages its
     * own refresh (_tsc_viewer_window_refresh_panels_staged); rebuilding it here would put that
     * cost on the first scroll step after the result arrives. */
    refresh_findings_slice(self);

    TscViewerImage *im = tsc_viewer_study_lookup_image(self->study, self->series, self->slice);
    if (im) {
        show_image(self, im);
        tsc_viewer_image_unref(im);
    } else {
        request_decode(self, self->slice);
    }
    /* Prefetch ahead in the direction of travel and one behind, so that a
     * steady scroll finds its slices decoded. */
    int dir = self->last_step ? self->last_step : 1;
    for (int d = 1; d <= 3; d++) {
        gssize k = (gssize)self->slice + dir * d;
        if (k >= 0 && k < (gssize)n && !tsc_viewer_study_has_image(self->study, self->series, (gsize)k))
            request_decode(self, (gsize)k);
    }
    gssize back = (gssize)self->slice - dir;
    if (back >= 0 && back < (gssize)n && !tsc_viewer_study_has_image(self->study, self->series, (gsize)back))
        request_decode(self, (gsize)back);
}

void _tsc_viewer_window_on_view_step(TscViewerWindow *self, int delta)
{
    if (!self->have_series) return;
    gssize target = (gssize)self->slice + delta;
    tsc_viewer_window_goto_slice(self, target);
}

/* Slice keys work whatever widget was used last (the opacity slider, a
 * switch, the series list): a window controller in the capture phase takes
 * them before the focused widget, unless a text field (or a popover such
 * as the method menu) has the focus. */
static gboolean focus_keeps_keys(GtkWidget *focus)
{
    for (GtkWidget *w = focus; w; w = gtk_widget_get_parent(w))
        if (GTK_IS_EDITABLE(w) || GTK_IS_TEXT_VIEW(w) || GTK_IS_POPOVER(w)) return TRUE;
    return FALSE;
}

static int nav_key_delta(guint keyval)
{
    switch (keyval) {
    case GDK_KEY_Up: case GDK_KEY_Left: case GDK_KEY_KP_Up: case GDK_KEY_KP_Left: return -1;
    case GDK_KEY_Down: case GDK_KEY_Right: case GDK_KEY_KP_Down: case GDK_KEY_KP_Right: return 1;
    case GDK_KEY_Page_Up: case GDK_KEY_KP_Page_Up: return -10;
    case GDK_KEY_Page_Down: case GDK_KEY_KP_Page_Down: return 10;
    case GDK_KEY_Home: case GDK_KEY_KP_Home: return -1000000;
    case GDK_KEY_End: case GDK_KEY_KP_End: return 1000000;
    default: return 0;
    }
}

static gboolean on_nav_key(GtkEventControllerKey *k, guint keyval, guint keycode, GdkModifierType state,
                           TscViewerWindow *self)
{
    (void)k;
    (void)keycode;
    if (state & (GDK_CONTROL_MASK | GDK_ALT_MASK | GDK_SHIFT_MASK | GDK_SUPER_MASK | GDK_META_MASK)) return FALSE;
    int delta = nav_key_delta(keyval);
    if (!delta || !self->have_series) return FALSE;
    GtkWidget *focus = gtk_root_get_focus(GTK_ROOT(self));
    if (focus && focus_keeps_keys(focus)) return FALSE;
    _tsc_viewer_window_on_view_step(self, delta);
    return TRUE;
}

/* The method menu: each classical method with "For comparison, not a
 * clinical method" under its name (the button shows the name alone). */
#define BASELINE_NOTE "For comparison, not a clinical method"

static void method_item_setup(GtkSignalListItemFactory *f, GtkListItem *li, gpointer data)
{
    (void)f;
    (void)data;
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 2);
    GtkWidget *name = gtk_label_new(NULL), *note = gtk_label_new(BASELINE_NOTE);
    gtk_label_set_xalign(GTK_LABEL(name), 0);
    gtk_label_set_xalign(GTK_LABEL(note), 0);
    gtk_widget_add_css_class(note, "dim-label");
    gtk_widget_add_css_class(note, "caption");
    gtk_box_append(GTK_BOX(box), name);
    gtk_box_append(GTK_BOX(box), note);
    gtk_list_item_set_child(li, box);
}

static void method_item_bind(GtkSignalListItemFactory *f, GtkListItem *li, gpointer data)
{
    (void)f;
    (void)data;
    GtkWidget *box = gtk_list_item_get_child(li);
    GtkWidget *name = gtk_widget_get_first_child(box), *note = gtk_widget_get_next_sibling(name);
    GtkStringObject *o = gtk_list_item_get_item(li);
    gtk_label_set_text(GTK_LABEL(name), o ? gtk_string_object_get_string(o) : "");
    gtk_widget_set_visible(note, gtk_list_item_get_position(li) != TSC_METHOD_CNN);
}

static void on_method_note(GObject *dropdown, GParamSpec *pspec, TscViewerWindow *self)
{
    (void)pspec;
    guint m = gtk_drop_down_get_selected(GTK_DROP_DOWN(dropdown));
    gtk_widget_set_visible(self->method_note, m != GTK_INVALID_LIST_POSITION && m != TSC_METHOD_CNN);
}

static void on_view_clicked(TscViewerWindow *self, double x, double y)
{
    (void)x;
    (void)y;
    if (tsc_viewer_prefs_get_analyze_on_click(self->prefs)) tsc_viewer_window_analyze_slice(self);
}

static void on_strip_selected(TscViewerWindow *self, guint slice)
{
    tsc_viewer_window_goto_slice(self, slice);
}

void _tsc_viewer_window_set_title(TscViewerWindow *self)
{
    if (!self->have_series) {
        gtk_label_set_text(self->title_label, "tumorscope");
        gtk_label_set_text(self->subtitle_label, "Brain tumour MRI workstation");
        gtk_window_set_title(GTK_WINDOW(self), "tumorscope");
        return;
    }
    /* No patient identifiers in titles: they reach window lists and logs. */
    const tsc_dicom_series_info *si = series_info(self);
    g_autofree char *t = g_strdup_printf("%s", *si->description ? si->description : "Series");
    g_autofree char *sub = g_strdup_printf("Series %zu of %zu \xc2\xb7 %zu slices \xc2\xb7 %d\xc3\x97%d", self->series + 1,
                                tsc_viewer_study_n_series(self->study), si->n_slices, si->cols, si->rows);
    gtk_label_set_text(self->title_label, t);
    gtk_label_set_text(self->subtitle_label, sub);
    g_autofree char *wt = g_strdup_printf("%s \xe2\x80\x94 tumorscope", t);
    gtk_window_set_title(GTK_WINDOW(self), wt);
}

void tsc_viewer_window_select_series(TscViewerWindow *self, gsize series)
{
    g_return_if_fail(TSC_IS_VIEWER_WINDOW(self));
    if (!self->study || series >= tsc_viewer_study_n_series(self->study)) return;
    if (self->have_series && series == self->series) return;
    self->have_series = TRUE;
    self->series = series;
    self->slice = tsc_viewer_study_n_slices(self->study, series) / 2;
    self->last_step = 0;
    g_clear_pointer(&self->decode_error, g_free);
    const tsc_dicom_series_info *si = series_info(self);
    tsc_slice_view_set_image(self->view, NULL);
    tsc_slice_view_set_result(self->view, NULL, NULL);
    tsc_slice_view_set_series(self->view, si->modality, si->orientation);
    _tsc_viewer_window_load_seg(self);
    _tsc_viewer_window_tools_series_changed(self);
    tsc_slice_strip_set_n_slices(self->strip, si->n_slices);
    /* Nothing of the previous series stays in the panel, not even for the
     * frames until its sections are refreshed. */
    tsc_findings_panel_clear(self->findings);
    g_autofree char *stored = _tsc_viewer_window_stored_text(self);
    tsc_findings_panel_set_stored(self->findings, stored);
    tsc_issue_bar_set(self->issue_bar, "analysis", 0, NULL, NULL);
    refresh_scope(self);
    tsc_series_browser_select(self->browser, series);
    gtk_stack_set_visible_child_name(self->view_stack, "viewer");
    gtk_widget_set_visible(GTK_WIDGET(self->findings), TRUE);
    _tsc_viewer_window_refresh_sensitivity(self);
    _tsc_viewer_window_set_title(self);
    _tsc_viewer_window_refresh_strip(self);
    tsc_viewer_window_goto_slice(self, (gssize)self->slice);
    _tsc_viewer_window_refresh_findings(self);
    gtk_widget_grab_focus(GTK_WIDGET(self->view));
    g_info("series %zu selected (%zu slices)", series, si->n_slices);
}

static void on_series_selected(TscViewerWindow *self, guint series)
{
    tsc_viewer_window_select_series(self, series);
}

/* ---- setup ------------------------------------------------------------- */

void tsc_viewer_window_show_fatal(TscViewerWindow *self, const char *title, const char *details)
{
    g_return_if_fail(TSC_IS_VIEWER_WINDOW(self));
    tsc_issue_bar_set_sticky(self->issue_bar, "abi", GTK_MESSAGE_ERROR, title, details);
    gtk_label_set_text(self->empty_title, "The tumorscope plugin cannot be used");
    gtk_label_set_text(self->empty_subtitle, title);
    gtk_widget_set_visible(self->empty_button, FALSE);
    gtk_stack_set_visible_child_name(self->view_stack, "empty");
    gtk_widget_set_visible(GTK_WIDGET(self->findings), FALSE);
    /* Without the plugin nothing can be opened, analysed or exported. */
    static const char *needs_plugin[] = {
        "win.open",          "win.open-folder",     "win.open-file",      "win.select-series",
        "win.goto-slice",    "win.analyze-slice",   "win.analyze-series", "win.export-report",
        "win.export-dialog", "win.benchmark-scroll"};
    for (size_t i = 0; i < G_N_ELEMENTS(needs_plugin); i++)
        gtk_widget_action_set_enabled(GTK_WIDGET(self), needs_plugin[i], FALSE);
    _tsc_viewer_window_refresh_sensitivity(self);
}

static gboolean method_to_index(GBinding *b, const GValue *from, GValue *to, gpointer data)
{
    (void)b;
    (void)data;
    const char *m = g_value_get_string(from);
    g_value_set_uint(to, g_strcmp0(m, "threshold") == 0 ? 1 : g_strcmp0(m, "region-growing") == 0 ? 2 : 0);
    return TRUE;
}

static gboolean index_to_method(GBinding *b, const GValue *from, GValue *to, gpointer data)
{
    (void)b;
    (void)data;
    static const char *names[] = {"cnn", "threshold", "region-growing"};
    guint i = g_value_get_uint(from);
    g_value_set_string(to, names[i < 3 ? i : 0]);
    return TRUE;
}

static void on_method_changed(TscViewerPrefs *prefs, GParamSpec *pspec, TscViewerWindow *self)
{
    (void)prefs;
    (void)pspec;
    tsc_issue_bar_set(self->issue_bar, "analysis", 0, NULL, NULL);
    refresh_scope(self);
    tsc_findings_panel_invalidate(self->findings);
    _tsc_viewer_window_refresh_all(self);
}

static gboolean left_drag_to_bool(GBinding *b, const GValue *from, GValue *to, gpointer data)
{
    (void)b;
    (void)data;
    g_value_set_boolean(to, g_strcmp0(g_value_get_string(from), "none") != 0);
    return TRUE;
}

static void bind_prefs(TscViewerWindow *self)
{
    GBindingFlags f = G_BINDING_SYNC_CREATE;
    GBindingFlags bi = G_BINDING_SYNC_CREATE | G_BINDING_BIDIRECTIONAL;
    for (guint id = 1; id < TSC_DISPLAY_PROP_END; id++) {
        const char *name = tsc_display_props_get_name(id);
        g_object_bind_property(self->prefs, name, self->view, name, f);
    }
    g_object_bind_property(self->prefs, "show-seg", self->view, "show-seg", f);
    g_object_bind_property(self->prefs, "show-overlay", self->overlay_switch, "active", bi);
    g_object_bind_property(self->prefs, "overlay-outline", self->outline_switch, "active", bi);
    g_object_bind_property(self->prefs, "show-heatmap", self->heatmap_switch, "active", bi);
    g_object_bind_property(self->prefs, "show-corner-text", self->corner_switch, "active", bi);
    g_object_bind_property(self->prefs, "analyze-on-click", self->click_switch, "active", bi);
    g_object_bind_property(self->prefs, "show-seg", self->seg_switch, "active", bi);
    g_object_bind_property_full(self->prefs, "left-drag", self->view, "left-drag-window-level", f,
                                left_drag_to_bool, NULL, NULL, NULL);
    g_object_bind_property(self->prefs, "opacity", self->opacity_adjustment, "value", bi);
    g_object_bind_property_full(self->prefs, "method", self->method_dropdown, "selected", bi,
                                method_to_index, index_to_method, NULL, NULL);
    g_signal_connect_object(self->prefs, "notify::method", G_CALLBACK(on_method_changed), self, 0);
    g_signal_connect_object(self->prefs, "notify::force-scope", G_CALLBACK(on_method_changed), self, 0);
}

TscViewerWindow *tsc_viewer_window_new(TscViewerApp *app)
{
    g_return_val_if_fail(TSC_IS_VIEWER_APP(app), NULL);
    TscViewerWindow *self = g_object_new(TSC_TYPE_VIEWER_WINDOW, "application", app, NULL);
    self->app = app;
    self->prefs = g_object_ref(tsc_viewer_app_get_prefs(app));
    bind_prefs(self);
    _tsc_viewer_window_setup_presets(self);
    /* Scripts and tests choose the size users have ("1280x720"); GTK 4 has
     * no way to resize a shown window, so it is read before the first show. */
    const char *size = g_getenv("TSC_VIEWER_WINDOW_SIZE");
    int width = 0, height = 0;
    if (size && sscanf(size, "%dx%d", &width, &height) == 2 && width > 0 && height > 0)
        gtk_window_set_default_size(GTK_WINDOW(self), width, height);
    gtk_menu_button_set_menu_model(self->recent_button, tsc_viewer_app_get_recent_menu(app));
    refresh_model_label(self);
    _tsc_viewer_window_refresh_progress(self);
    const GError *e = tsc_viewer_app_get_model_error(app);
    if (e) tsc_viewer_window_model_changed(self);
    return self;
}

static void tsc_viewer_window_dispose(GObject *object)
{
    TscViewerWindow *self = TSC_VIEWER_WINDOW(object);
    self->gen++;
    _tsc_viewer_window_cine_stop(self);
    if (self->toast_id) g_source_remove(self->toast_id);
    self->toast_id = 0;
    if (self->bench.idle_id) g_source_remove(self->bench.idle_id);
    self->bench.idle_id = 0;
    if (self->bench.running) {
        GdkFrameClock *clock = gtk_widget_get_frame_clock(GTK_WIDGET(self));
        if (clock && self->bench.paint_handler) g_signal_handler_disconnect(clock, self->bench.paint_handler);
        self->bench.paint_handler = 0;
        self->bench.running = FALSE;
    }
    tsc_viewer_cancel_clear(&self->open_cancellable);
    tsc_viewer_cancel_clear(&self->work_cancellable);
    tsc_viewer_cancel_clear(&self->series_cancellable);
    tsc_viewer_cancel_clear(&self->export_cancellable);
    g_clear_object(&self->study);
    g_clear_object(&self->prefs);
    g_clear_object(&self->measurements);
    _tsc_viewer_window_edits_dispose(self);
    g_clear_pointer(&self->session_presets, g_variant_unref);
    /* The header bar is a template child and the window's titlebar:
     * gtk_widget_dispose_template() unparents (and frees) it behind
     * GtkWindow's back, whose own dispose then unparented a freed widget
     * ("gtk_widget_unparent: assertion 'GTK_IS_WIDGET (widget)' failed" on
     * closing with the window's ×).  The window lets go of it first. */
    gtk_window_set_titlebar(GTK_WINDOW(self), NULL);
    gtk_widget_dispose_template(GTK_WIDGET(self), TSC_TYPE_VIEWER_WINDOW);
    G_OBJECT_CLASS(tsc_viewer_window_parent_class)->dispose(object);
}

static void tsc_viewer_window_finalize(GObject *object)
{
    TscViewerWindow *self = TSC_VIEWER_WINDOW(object);
    g_hash_table_unref(self->decoding);
    g_hash_table_unref(self->analysing);
    g_queue_clear_full(&self->deferred, _tsc_viewer_window_deferred_free);
    g_free(self->decode_error);
    g_free(self->export_folder_shown);
    if (self->bench.latency_ms) g_array_unref(self->bench.latency_ms);
    if (self->bench.cpu_ms) g_array_unref(self->bench.cpu_ms);
    g_free(self->bench.path);
    G_OBJECT_CLASS(tsc_viewer_window_parent_class)->finalize(object);
}

enum { PROP_0, PROP_SHOW_STUDIES, PROP_SHOW_FINDINGS, N_PROPS };
static GParamSpec *props[N_PROPS];

static void tsc_viewer_window_get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
    TscViewerWindow *self = TSC_VIEWER_WINDOW(object);
    switch (id) {
    case PROP_SHOW_STUDIES: g_value_set_boolean(value, gtk_widget_get_visible(self->studies_pane)); break;
    case PROP_SHOW_FINDINGS: g_value_set_boolean(value, gtk_widget_get_visible(self->side_pane)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    }
}

static void tsc_viewer_window_set_property(GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
    TscViewerWindow *self = TSC_VIEWER_WINDOW(object);
    GtkWidget *pane = id == PROP_SHOW_STUDIES ? self->studies_pane : id == PROP_SHOW_FINDINGS ? self->side_pane : NULL;
    if (!pane) {
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
        return;
    }
    gboolean show = g_value_get_boolean(value);
    if (gtk_widget_get_visible(pane) == show) return;
    gtk_widget_set_visible(pane, show);
    g_object_notify_by_pspec(object, props[id]);
}

static void tsc_viewer_window_class_init(TscViewerWindowClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    oc->dispose = tsc_viewer_window_dispose;
    oc->finalize = tsc_viewer_window_finalize;
    oc->get_property = tsc_viewer_window_get_property;
    oc->set_property = tsc_viewer_window_set_property;

    g_type_ensure(TSC_TYPE_SLICE_VIEW);
    g_type_ensure(TSC_TYPE_SLICE_STRIP);
    g_type_ensure(TSC_TYPE_SERIES_BROWSER);
    g_type_ensure(TSC_TYPE_FINDINGS_PANEL);
    g_type_ensure(TSC_TYPE_MEASUREMENT_LIST);
    g_type_ensure(TSC_TYPE_ISSUE_BAR);
    gtk_widget_class_set_template_from_resource(wc, "/org/tumorscope/Viewer/viewer_window.ui");
#define CHILD(name) gtk_widget_class_bind_template_child(wc, TscViewerWindow, name)
    CHILD(header);
    CHILD(recent_button);
    CHILD(title_label);
    CHILD(subtitle_label);
    CHILD(issue_bar);
    CHILD(toast_revealer);
    CHILD(toast_label);
    CHILD(toast_open_folder);
    CHILD(toast_close);
    CHILD(progress_revealer);
    CHILD(progress_label);
    CHILD(progress_bar);
    CHILD(view_stack);
    CHILD(empty_title);
    CHILD(empty_subtitle);
    CHILD(empty_button);
    CHILD(browser);
    CHILD(view);
    CHILD(strip);
    CHILD(slice_label);
    CHILD(model_label);
    CHILD(method_dropdown);
    CHILD(method_note);
    CHILD(click_switch);
    CHILD(overlay_switch);
    CHILD(outline_switch);
    CHILD(heatmap_switch);
    CHILD(corner_switch);
    CHILD(seg_switch);
    CHILD(seg_label);
    CHILD(opacity_adjustment);
    CHILD(opacity_scale);
    CHILD(findings);
    CHILD(measurement_list);
    CHILD(tool_bar);
    CHILD(cine_fps);
    CHILD(user_preset_box);
    CHILD(user_preset_name);
    CHILD(analyze_slice_button);
    CHILD(analyze_series_button);
    CHILD(export_button);
    CHILD(open_button);
    CHILD(preset_box);
    CHILD(work_box);
    CHILD(work_label);
    CHILD(work_bar);
    CHILD(work_cancel);
    CHILD(studies_pane);
    CHILD(side_pane);
    CHILD(studies_toggle);
    CHILD(findings_toggle);
#undef CHILD
    gtk_widget_class_bind_template_callback(wc, on_series_selected);
    gtk_widget_class_bind_template_callback_full(wc, "on_view_step", G_CALLBACK(_tsc_viewer_window_on_view_step));
    gtk_widget_class_bind_template_callback(wc, on_view_clicked);
    gtk_widget_class_bind_template_callback(wc, on_strip_selected);

    /* Single-key shortcuts live on the window (bubble phase), not as
     * application accelerators (capture phase), so that they never steal
     * keys from a focused entry or list. */
    _tsc_viewer_window_install_actions(wc);
    _tsc_viewer_window_install_pacs_actions(wc);
    _tsc_viewer_window_install_tags_actions(wc);
    _tsc_viewer_window_install_compare_actions(wc);
    _tsc_viewer_window_install_tool_actions(wc);
    _tsc_viewer_window_install_edit_actions(wc);
    _tsc_viewer_window_install_preset_actions(wc);
    gtk_widget_class_add_binding_action(wc, GDK_KEY_space, 0, "win.analyze-slice", NULL);
    gtk_widget_class_add_binding_action(wc, GDK_KEY_Escape, 0, "win.cancel", NULL);
    gtk_widget_class_add_binding_action(wc, GDK_KEY_o, 0, "app.show-overlay", NULL);
    gtk_widget_class_add_binding_action(wc, GDK_KEY_l, 0, "app.overlay-outline", NULL);
    gtk_widget_class_add_binding_action(wc, GDK_KEY_h, 0, "app.show-heatmap", NULL);
    gtk_widget_class_add_binding_action(wc, GDK_KEY_i, 0, "app.show-corner-text", NULL);
    gtk_widget_class_add_binding_action(wc, GDK_KEY_c, 0, "app.analyze-on-click", NULL);

    /* The side panels fold away for a small screen (1280x720) or a larger
     * image: F9 as in GNOME's sidebars, Shift+F9 for the right one. */
    props[PROP_SHOW_STUDIES] = g_param_spec_boolean("show-studies", NULL, NULL, TRUE,
                                                    G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                        G_PARAM_EXPLICIT_NOTIFY);
    props[PROP_SHOW_FINDINGS] = g_param_spec_boolean("show-findings", NULL, NULL, TRUE,
                                                     G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                         G_PARAM_EXPLICIT_NOTIFY);
    g_object_class_install_properties(oc, N_PROPS, props);
    gtk_widget_class_add_binding_action(wc, GDK_KEY_F9, 0, "win.show-studies", NULL);
    gtk_widget_class_add_binding_action(wc, GDK_KEY_F9, GDK_SHIFT_MASK, "win.show-findings", NULL);
}

static void tsc_viewer_window_init(TscViewerWindow *self)
{
    self->seg_shown = -1;
    gtk_widget_init_template(GTK_WIDGET(self));
    /* In the window's own action map (the "win" group of a
     * GtkApplicationWindow), where the header's toggles see their state. */
    static const char *panel_props[] = {"show-studies", "show-findings"};
    for (size_t i = 0; i < G_N_ELEMENTS(panel_props); i++) {
        g_autoptr(GPropertyAction) pa = g_property_action_new(panel_props[i], self, panel_props[i]);
        g_action_map_add_action(G_ACTION_MAP(self), G_ACTION(pa));
    }
    _tsc_viewer_window_setup_tools(self);
    _tsc_viewer_window_setup_edits(self);
    self->decoding = g_hash_table_new(g_direct_hash, g_direct_equal);
    g_autoptr(GtkListItemFactory) mf = gtk_signal_list_item_factory_new();
    g_signal_connect(mf, "setup", G_CALLBACK(method_item_setup), NULL);
    g_signal_connect(mf, "bind", G_CALLBACK(method_item_bind), NULL);
    gtk_drop_down_set_list_factory(self->method_dropdown, mf);
    g_signal_connect(self->method_dropdown, "notify::selected", G_CALLBACK(on_method_note), self);
    GtkEventController *keys = gtk_event_controller_key_new();
    gtk_event_controller_set_propagation_phase(keys, GTK_PHASE_CAPTURE);
    g_signal_connect(keys, "key-pressed", G_CALLBACK(on_nav_key), self);
    gtk_widget_add_controller(GTK_WIDGET(self), keys);
    self->analysing = g_hash_table_new(g_direct_hash, g_direct_equal);
    static const char *const issue_order[] = {"abi", "open", "model", "skipped", "decode", "analysis",
                                              "export", "ignored", NULL};
    tsc_issue_bar_set_order(self->issue_bar, issue_order);
    self->work_cancellable = g_cancellable_new();
    self->export_cancellable = g_cancellable_new();
    self->series_running = -1;
    g_signal_connect(self->toast_open_folder, "clicked", G_CALLBACK(on_open_folder_clicked), self);
    g_signal_connect(self->toast_close, "clicked", G_CALLBACK(on_toast_close), self);

    GtkDropTarget *drop = gtk_drop_target_new(GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
    g_signal_connect(drop, "drop", G_CALLBACK(_tsc_viewer_window_on_drop), self);
    gtk_widget_add_controller(GTK_WIDGET(self), GTK_EVENT_CONTROLLER(drop));
    gtk_stack_set_visible_child_name(self->view_stack, "empty");
    gtk_widget_set_visible(GTK_WIDGET(self->findings), FALSE);
    _tsc_viewer_window_refresh_sensitivity(self);
}
