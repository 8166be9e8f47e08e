/* SPDX-License-Identifier: BSD-3-Clause */
#define G_LOG_DOMAIN "tsc-viewer-window"
#include "tsc_format.h"
#include "viewer_window.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "export_dialog.h"
#include "findings_panel.h"
#include "series_browser.h"
#include "slice_strip.h"
#include "slice_view.h"
#include "viewer_seg.h"
#include "viewer_app.h"

typedef struct {
    char *action;
    GVariant *param;
} Deferred;

static void deferred_free(gpointer p)
{
    Deferred *d = p;
    g_free(d->action);
    if (d->param) g_variant_unref(d->param);
    g_free(d);
}

/* Severity order of the info bar's issues. */
typedef struct {
    GtkMessageType type;
    char *title, *details;
    /* A quiet issue never shows the bar by itself: it is listed under
     * Details when something else does (files that are not DICOM). */
    gboolean quiet;
} Issue;

typedef struct {
    gboolean running;
    char *path;
    GArray *latency_ms; /* double */
    guint steps_during_analysis, steps_after_analysis, misses;
    gsize target;
    int dir; /* +1 forward, -1 back */
    gint64 t0, cpu0;
    GArray *cpu_ms; /* main-thread CPU time per step */
    gulong paint_handler;
    guint idle_id;
} Bench;

struct _TscViewerWindow {
    GtkApplicationWindow parent_instance;

    /* template */
    GtkHeaderBar *header;
    GtkMenuButton *recent_button;
    GtkLabel *title_label, *subtitle_label;
    GtkInfoBar *info_bar;
    GtkLabel *info_title, *info_details;
    GtkExpander *info_expander;
    GtkWidget *info_open_folder;
    GtkRevealer *toast_revealer;
    GtkLabel *toast_label;
    GtkWidget *toast_open_folder, *toast_close;
    GtkRevealer *progress_revealer;
    GtkLabel *progress_label;
    GtkProgressBar *progress_bar;
    GtkStack *view_stack;
    GtkLabel *empty_title, *empty_subtitle;
    GtkWidget *empty_button;
    TscSeriesBrowser *browser;
    TscSliceView *view;
    TscSliceStrip *strip;
    GtkLabel *slice_label, *model_label;
    GtkDropDown *method_dropdown;
    GtkWidget *method_note;
    GtkSwitch *click_switch, *overlay_switch, *outline_switch, *heatmap_switch, *corner_switch;
    GtkSwitch *seg_switch;
    GtkWidget *seg_label;
    GtkAdjustment *opacity_adjustment;
    GtkWidget *opacity_scale;
    TscFindingsPanel *findings;
    GtkWidget *analyze_slice_button, *analyze_series_button, *export_button, *preset_box;
    GtkWidget *work_box;
    GtkWidget *studies_pane, *side_pane;
    GtkToggleButton *studies_toggle, *findings_toggle;
    GtkLabel *work_label;
    GtkProgressBar *work_bar;

    TscViewerApp *app; /* weak: the application outlives its windows */
    TscViewerPrefs *prefs;

    /* Everything below belongs to the current study; `gen` changes with it so
     * that late results of an earlier study are dropped. */
    guint gen;
    TscViewerStudy *study;
    gboolean have_series;
    gsize series, slice;
    /* The model's scope gate on the series on screen (api->series_check_scope);
     * in scope for the classical methods, which claim none. */
    tsc_scope_decision scope;
    int last_step; /* direction of travel, for prefetching */
    GHashTable *decoding;  /* slice keys being decoded */
    GHashTable *analysing; /* (method, series, slice) keys being analysed */
    GCancellable *open_cancellable, *work_cancellable, *series_cancellable;
    GCancellable *export_cancellable; /* exports outlive a change of study; Escape stops them */
    gboolean opening;
    gssize series_running; /* series being analysed, -1: none */
    int series_running_method;
    gsize series_done, series_total;
    gint64 progress_shown;
    guint staged_tick, staged_frames;
    guint exports_running;
    char *decode_error;
    /* The stored DICOM SEG of the series on screen (viewer_seg), NULL while
     * loading or when none belongs to it; seg_shown: the slice whose mask
     * the view has (-1: none). */
    TscViewerSegMasks *seg;
    gssize seg_shown;

    GQueue deferred; /* Deferred script commands */
    gboolean replaying;
    GHashTable *issues; /* id -> Issue */
    char *export_folder_shown;
    guint toast_id; /* hides the toast */
    gsize n_ignored; /* files of the study that are not DICOM */

    Bench bench;
};

G_DEFINE_FINAL_TYPE(TscViewerWindow, tsc_viewer_window, GTK_TYPE_APPLICATION_WINDOW)

/* A job's view of the window: a weak reference and the generation it was
 * started in. */
typedef struct {
    GWeakRef win;
    guint gen;
    int method;
    gsize series, slice;
    TscViewerStudy *study;
} Ctx;

static Ctx *ctx_new(TscViewerWindow *self, int method, gsize series, gsize slice)
{
    Ctx *c = g_new0(Ctx, 1);
    g_weak_ref_init(&c->win, self);
    c->gen = self->gen;
    c->method = method;
    c->series = series;
    c->slice = slice;
    c->study = self->study ? g_object_ref(self->study) : NULL;
    return c;
}

static void ctx_free(Ctx *c)
{
    g_weak_ref_clear(&c->win);
    g_clear_object(&c->study);
    g_free(c);
}

/* The window if it still exists and still shows the study the job was for. */
static TscViewerWindow *ctx_window(Ctx *c)
{
    TscViewerWindow *self = g_weak_ref_get(&c->win);
    if (self && self->gen != c->gen) g_clear_object(&self);
    return self;
}

static gpointer slice_key(int method, gsize series, gsize slice)
{
    return GSIZE_TO_POINTER(((guint64)(method + 1) << 56) | ((guint64)series << 32) | slice);
}

static const char *method_name(int method)
{
    return method == TSC_METHOD_THRESHOLD        ? "threshold"
           : method == TSC_METHOD_REGION_GROWING ? "region-growing"
                                                 : "cnn";
}

static int current_method(TscViewerWindow *self)
{
    return tsc_viewer_prefs_get_method(self->prefs);
}

static tsc_model *current_model(TscViewerWindow *self)
{
    return self->app ? tsc_viewer_app_get_model(self->app) : NULL;
}

/* The model that names and colours results of `method` (NULL: classical). */
static const tsc_model *model_for(TscViewerWindow *self, int method)
{
    return method == TSC_METHOD_CNN ? current_model(self) : NULL;
}

static const tsc_dicom_series_info *series_info(TscViewerWindow *self)
{
    return tsc_viewer_api()->study_get_series(tsc_viewer_study_get_index(self->study), self->series);
}

static void replay_deferred(TscViewerWindow *self);

/* ---- info bar ---------------------------------------------------------- */

static void issue_free(gpointer p)
{
    Issue *i = p;
    g_free(i->title);
    g_free(i->details);
    g_free(i);
}

static void refresh_info_bar(TscViewerWindow *self)
{
    GtkMessageType type = GTK_MESSAGE_INFO;
    GString *title = g_string_new(NULL), *details = g_string_new(NULL);
    static const char *order[] = {"abi", "open", "model", "skipped", "decode", "analysis", "export", "ignored", NULL};
    for (int k = 0; order[k]; k++) {
        Issue *i = g_hash_table_lookup(self->issues, order[k]);
        if (!i || i->quiet) continue;
        if (i->type == GTK_MESSAGE_ERROR || (i->type == GTK_MESSAGE_WARNING && type != GTK_MESSAGE_ERROR))
            type = i->type;
        char *esc = g_markup_escape_text(i->title, -1);
        g_string_append_printf(title, "%s<b>%s</b>", title->len ? "\n" : "", esc);
        g_free(esc);
        if (i->details && *i->details)
            g_string_append_printf(details, "%s%s", details->len ? "\n\n" : "", i->details);
    }
    gboolean any = title->len > 0;
    for (int k = 0; order[k]; k++) {
        Issue *i = g_hash_table_lookup(self->issues, order[k]);
        if (!i || !i->quiet) continue;
        g_string_append_printf(details, "%s%s%s%s", details->len ? "\n\n" : "", i->title,
                               i->details && *i->details ? "\n" : "", i->details ? i->details : "");
    }
    gtk_info_bar_set_message_type(self->info_bar, type);
    gtk_label_set_markup(self->info_title, title->str);
    gtk_label_set_text(self->info_details, details->str);
    gtk_widget_set_visible(GTK_WIDGET(self->info_expander), details->len > 0);
    gtk_widget_set_visible(self->info_open_folder,
                           self->export_folder_shown && g_hash_table_contains(self->issues, "export"));
    gtk_info_bar_set_revealed(self->info_bar, any);
    g_string_free(title, TRUE);
    g_string_free(details, TRUE);
}

static void set_issue(TscViewerWindow *self, const char *id, GtkMessageType type, const char *title,
                      const char *details)
{
    if (!title) {
        /* Clearing an absent issue must not restyle the info bar. */
        if (!g_hash_table_remove(self->issues, id)) return;
    } else {
        Issue *i = g_new0(Issue, 1);
        i->type = type;
        i->title = g_strdup(title);
        i->details = g_strdup(details);
        g_hash_table_replace(self->issues, g_strdup(id), i);
    }
    refresh_info_bar(self);
}

static void set_quiet_issue(TscViewerWindow *self, const char *id, const char *title, const char *details)
{
    Issue *i = g_new0(Issue, 1);
    i->type = GTK_MESSAGE_INFO;
    i->quiet = TRUE;
    i->title = g_strdup(title);
    i->details = g_strdup(details);
    g_hash_table_replace(self->issues, g_strdup(id), i);
    refresh_info_bar(self);
}

/* ---- toast: a transient message over the window (an export's success) --- */

static void hide_toast(TscViewerWindow *self)
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

static void show_toast(TscViewerWindow *self, const char *text, gboolean open_folder)
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
    hide_toast(self);
}

static void on_info_response(GtkInfoBar *bar, int response, TscViewerWindow *self)
{
    (void)bar;
    if (response == GTK_RESPONSE_CLOSE) {
        /* The ABI problem cannot be dismissed: nothing works without the plugin. */
        GHashTableIter it;
        gpointer key;
        g_hash_table_iter_init(&it, self->issues);
        while (g_hash_table_iter_next(&it, &key, NULL))
            if (strcmp(key, "abi") != 0) g_hash_table_iter_remove(&it);
        refresh_info_bar(self);
    }
}

static void on_open_folder_clicked(GtkButton *b, TscViewerWindow *self)
{
    (void)b;
    if (!self->export_folder_shown) return;
    GFile *f = g_file_new_for_path(self->export_folder_shown);
    char *uri = g_file_get_uri(f);
    gtk_show_uri(GTK_WINDOW(self), uri, GDK_CURRENT_TIME);
    g_free(uri);
    g_object_unref(f);
}

/* ---- progress ---------------------------------------------------------- */

/* Indexing shows in a row above everything (nothing else is on screen
 * then); analyses and exports show next to the slice strip, where showing
 * and hiding them never moves or resizes the image. */
static void refresh_progress(TscViewerWindow *self)
{
    char *text = NULL;
    if (self->opening) {
        text = self->series_total ? g_strdup_printf("Indexing %zu of %zu files\xe2\x80\xa6", self->series_done, self->series_total)
                                  : g_strdup("Indexing the study\xe2\x80\xa6");
        gtk_label_set_text(self->progress_label, text);
        if (self->series_total)
            gtk_progress_bar_set_fraction(self->progress_bar, (double)self->series_done / self->series_total);
        else
            gtk_progress_bar_pulse(self->progress_bar);
    }
    gtk_revealer_set_reveal_child(self->progress_revealer, self->opening);
    g_free(text);

    gboolean work = !self->opening && (self->series_running >= 0 || self->exports_running);
    if (work) {
        if (self->series_running >= 0) {
            text = g_strdup_printf("Analysing %zu / %zu", self->series_done, self->series_total);
            gtk_progress_bar_set_fraction(self->work_bar, self->series_total ? (double)self->series_done / self->series_total : 0);
        } else {
            text = g_strdup("Exporting\xe2\x80\xa6");
            gtk_progress_bar_pulse(self->work_bar);
        }
        gtk_label_set_text(self->work_label, text);
        g_free(text);
    }
    gtk_widget_set_visible(self->work_box, work);

    GAction *cancel = self->app ? g_action_map_lookup_action(G_ACTION_MAP(self->app), "cancel") : NULL;
    if (cancel)
        g_simple_action_set_enabled(G_SIMPLE_ACTION(cancel),
                                    self->opening || self->series_running >= 0 || self->exports_running ||
                                        g_hash_table_size(self->analysing) > 0);
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
    char **name = g_strsplit(p->name, "^", -1);
    char *pname = name[0] && name[1] && *name[1] ? g_strdup_printf("%s, %s", name[0], name[1]) : g_strdup(p->name);
    g_strfreev(name);
    char *date = format_date(st->date), *birth = format_date(p->birth_date);
    char *tl = g_strdup_printf("%s\nID %s%s%s%s%s\n%s %s", *pname ? pname : "Unnamed patient",
                               *p->id ? p->id : "\xe2\x80\x94", *p->sex ? " \xc2\xb7 " : "", p->sex,
                               *birth ? " \xc2\xb7 born " : "", birth, date, st->description);
    char *tr = g_strdup_printf("%s\nSeries %d \xc2\xb7 %s%s%s\n%s", si->description, si->series_number,
                               si->modality, *si->contrast_label ? " \xc2\xb7 " : "", si->contrast_label,
                               *st->institution ? st->institution : "");
    char *loc = sl->has_geometry ? g_strdup_printf("\nLoc %.1f mm", sl->location) : g_strdup("");
    char *br = g_strdup_printf("Slice %zu / %zu%s\n%.2f \xc3\x97 %.2f mm%s%s", self->slice + 1,
                               si->n_slices, loc, si->pixel_spacing[1], si->pixel_spacing[0],
                               si->slice_thickness > 0 ? " \xc2\xb7 " : "",
                               si->slice_thickness > 0 ? "" : "");
    if (si->slice_thickness > 0) {
        char *t = g_strdup_printf("%s%.1f mm thick", br, si->slice_thickness);
        g_free(br);
        br = t;
    }
    tsc_slice_view_set_corner_text(self->view, tl, tr, br);
    g_free(tl);
    g_free(tr);
    g_free(br);
    g_free(loc);
    g_free(pname);
    g_free(date);
    g_free(birth);

    char *sl_text = g_strdup_printf("%zu / %zu", self->slice + 1, si->n_slices);
    gtk_label_set_text(self->slice_label, sl_text);
    g_free(sl_text);
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

static void clear_seg(TscViewerWindow *self)
{
    g_clear_pointer(&self->seg, tsc_viewer_seg_masks_free);
    self->seg_shown = -1;
    tsc_slice_view_set_seg(self->view, NULL, 0, 0, NULL);
    gtk_widget_set_visible(GTK_WIDGET(self->seg_switch), FALSE);
    gtk_widget_set_visible(self->seg_label, FALSE);
}

static void on_seg_loaded(GObject *source, GAsyncResult *res, gpointer data)
{
    Ctx *c = data;
    GError *error = NULL;
    TscViewerSegMasks *m = tsc_viewer_seg_load_finish(TSC_VIEWER_STUDY(source), res, &error);
    TscViewerWindow *self = ctx_window(c);
    if (self && self->have_series && self->series == c->series) {
        if (m) {
            g_info("series %zu: stored SEG, %zu frames on its slices", c->series, m->n_frames_mapped);
            g_clear_pointer(&self->seg, tsc_viewer_seg_masks_free);
            self->seg = g_steal_pointer(&m);
            self->seg_shown = -1;
            refresh_view_seg(self);
        } else if (error && !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
            set_issue(self, "seg", GTK_MESSAGE_WARNING,
                      "The segmentation stored with this series could not be shown.", error->message);
        }
    }
    if (self) g_object_unref(self);
    g_clear_error(&error);
    tsc_viewer_seg_masks_free(m);
    ctx_free(c);
}

/* Looks for a stored SEG of the series on screen; decodes it off the main
 * thread. */
static void load_seg(TscViewerWindow *self)
{
    clear_seg(self);
    set_issue(self, "seg", 0, NULL, NULL);
    if (!self->have_series || !tsc_viewer_seg_exists(self->study, self->series)) return;
    gtk_widget_set_visible(GTK_WIDGET(self->seg_switch), TRUE);
    gtk_widget_set_visible(self->seg_label, TRUE);
    tsc_viewer_seg_load_async(self->study, self->series, self->work_cancellable, on_seg_loaded,
                              ctx_new(self, 0, self->series, 0));
}

static void refresh_view_result(TscViewerWindow *self)
{
    TscViewerImage *im = tsc_slice_view_get_image(self->view);
    int method = current_method(self);
    const tsc_result *r = NULL;
    if (im && self->have_series && im->series == self->series)
        r = tsc_viewer_study_get_result(self->study, method, im->series, im->slice);
    tsc_slice_view_set_result(self->view, model_for(self, method), r);
    refresh_view_seg(self);
    gboolean busy = g_hash_table_contains(self->analysing, slice_key(method, self->series, self->slice));
    if (self->decode_error)
        tsc_slice_view_set_status(self->view, self->decode_error);
    else if (busy)
        tsc_slice_view_set_status(self->view, "Analysing slice\xe2\x80\xa6");
    else
        tsc_slice_view_set_status(self->view, NULL);
}

/* The side panel's slice section: what a scroll step updates. */
static void refresh_findings_slice(TscViewerWindow *self)
{
    if (!self->have_series) return;
    int method = current_method(self);
    const tsc_result *r = tsc_viewer_study_get_result(self->study, method, self->series, self->slice);
    const char *err = tsc_viewer_study_get_slice_error(self->study, method, self->series, self->slice);
    gboolean busy = g_hash_table_contains(self->analysing, slice_key(method, self->series, self->slice)) ||
                    (self->series_running == (gssize)self->series && self->series_running_method == method);
    tsc_findings_panel_set_slice(self->findings, current_model(self), method, self->slice, r, err, busy && !r);
}

/* Whether the series on screen may be analysed with `method` as things
 * stand: in the model's scope, or the user asked for research use. */
static gboolean scope_allows(TscViewerWindow *self, int method)
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
static void say_not_analysed(TscViewerWindow *self)
{
    char *t = g_strdup_printf("Not analysed: %s.", self->scope.reason);
    set_issue(self, "analysis", GTK_MESSAGE_WARNING, t,
              self->scope.reformat_possible
                  ? "The model was not made for this series. It is a thin 3D volume: an axial "
                    "reformat of it would be in scope. For research use, Preferences \u2192 "
                    "\u201cAnalyse outside the model\u2019s scope\u201d analyses it anyway, and every "
                    "result then carries a warning."
                  : "The model was not made for this series. For research use, Preferences \u2192 "
                    "\u201cAnalyse outside the model\u2019s scope\u201d analyses it anyway, and every "
                    "result then carries a warning.");
    g_free(t);
}

static void refresh_findings(TscViewerWindow *self)
{
    if (!self->have_series) return;
    refresh_findings_slice(self);
    int method = current_method(self);
    const tsc_series_result *sr = tsc_viewer_study_get_series_result(self->study, method, self->series);
    tsc_findings_panel_set_series(self->findings, current_model(self), method, sr,
                                  series_info(self)->slice_spacing);
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

static void refresh_strip_cell(TscViewerWindow *self, gsize k)
{
    int method = current_method(self);
    const tsc_result *r = tsc_viewer_study_get_result(self->study, method, self->series, k);
    if (r) {
        tsc_description d;
        tsc_viewer_describe_result(model_for(self, method), r, &d);
        char *tip = result_tooltip(&d);
        TscStripState st = d.verdict == TSC_VERDICT_TUMOR ? TSC_STRIP_TUMOR : TSC_STRIP_RESULT;
        tsc_slice_strip_set_cell(self->strip, k, st, d.color, tip);
        g_free(tip);
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
        char *tip = result_tooltip(&d);
        tsc_slice_strip_set_cell(self->strip, k, TSC_STRIP_NONE, 0, tip);
        g_free(tip);
    } else {
        tsc_slice_strip_set_cell(self->strip, k, TSC_STRIP_NONE, 0, NULL);
    }
}

static void refresh_strip(TscViewerWindow *self)
{
    if (!self->have_series) return;
    gsize n = tsc_viewer_study_n_slices(self->study, self->series);
    for (gsize k = 0; k < n; k++) refresh_strip_cell(self, k);
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

static void refresh_badge(TscViewerWindow *self, gsize series)
{
    if (!self->study) return;
    const tsc_plugin_api *api = tsc_viewer_api();
    int method = current_method(self);
    const tsc_model *model = model_for(self, method);
    if (self->series_running == (gssize)series && self->series_running_method == method) {
        char *t = g_strdup_printf("Analysing\xe2\x80\xa6 %zu/%zu", self->series_done, self->series_total);
        tsc_series_browser_set_badge(self->browser, series, t, 0x9AA5B1);
        g_free(t);
        return;
    }
    const tsc_series_result *sr = tsc_viewer_study_get_series_result(self->study, method, series);
    tsc_description d;
    if (sr) {
        tsc_viewer_describe_series(model, sr, &d);
        GString *t = g_string_new(d.label);
        if (d.verdict == TSC_VERDICT_TUMOR)
            g_string_append_printf(t, " \xc2\xb7 %.1f mL", api->series_result_get_volume_ml(sr));
        if (*d.scope_warning) g_string_append(t, " \xc2\xb7 \xe2\x9a\xa0 outside scope");
        tsc_series_browser_set_badge(self->browser, series, t->str, d.color);
        g_string_free(t, TRUE);
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
    char *t = g_strdup_printf("%s \xc2\xb7 %zu of %zu slices%s", d.label, done, n,
                              *d.scope_warning ? " \xc2\xb7 \xe2\x9a\xa0 outside scope" : "");
    tsc_series_browser_set_badge(self->browser, series, t, d.color);
    g_free(t);
}

static void refresh_all_badges(TscViewerWindow *self)
{
    if (!self->study) return;
    for (gsize s = 0; s < tsc_viewer_study_n_series(self->study); s++) refresh_badge(self, s);
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
    char *t;
    if (m)
        t = g_strdup_printf("Model %s %s (SHA-256 %.12s\xe2\x80\xa6)", api->model_get_name(m),
                            api->model_get_version(m), api->model_get_sha256(m));
    else if (tsc_viewer_app_get_model_loading(self->app))
        t = g_strdup("Loading the model\xe2\x80\xa6");
    else
        t = g_strdup("No model: only the Threshold and Region-growing methods are available.");
    gtk_label_set_text(self->model_label, t);
    g_free(t);
}

/* Commands that need a series are greyed out without one.  The actions
 * themselves stay enabled: scripts may send them while a study opens. */
static void refresh_sensitivity(TscViewerWindow *self)
{
    GtkWidget *w[] = {self->analyze_slice_button, self->analyze_series_button, self->export_button,
                      self->preset_box};
    for (size_t i = 0; i < G_N_ELEMENTS(w); i++) gtk_widget_set_sensitive(w[i], self->have_series);
}

static void refresh_all(TscViewerWindow *self)
{
    refresh_sensitivity(self);
    refresh_strip(self);
    refresh_all_badges(self);
    refresh_view_result(self);
    refresh_findings(self);
    refresh_progress(self);
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
    if (self->staged_frames == 3) refresh_findings(self);
    if (self->staged_frames < 6) return G_SOURCE_CONTINUE;
    refresh_all_badges(self);
    self->staged_tick = 0;
    return G_SOURCE_REMOVE;
}

static void refresh_panels_staged(TscViewerWindow *self)
{
    self->staged_frames = 0;
    if (!self->staged_tick)
        self->staged_tick = gtk_widget_add_tick_callback(GTK_WIDGET(self), staged_refresh_tick, NULL, NULL);
}

void tsc_viewer_window_model_changed(TscViewerWindow *self)
{
    const GError *e = self->app ? tsc_viewer_app_get_model_error(self->app) : NULL;
    if (e)
        set_issue(self, "model", GTK_MESSAGE_WARNING,
                  "The default model is not available: analysis with the CNN is disabled. "
                  "The Threshold and Region-growing methods still work.",
                  e->message);
    else
        set_issue(self, "model", 0, NULL, NULL);
    refresh_model_label(self);
    refresh_scope(self);
    tsc_findings_panel_invalidate(self->findings);
    refresh_all(self);
    replay_deferred(self);
}

/* ---- slices ------------------------------------------------------------ */

static void show_image(TscViewerWindow *self, TscViewerImage *im)
{
    g_clear_pointer(&self->decode_error, g_free);
    tsc_slice_view_set_image(self->view, im);
    refresh_view_result(self);
}

static void on_decoded(GObject *source, GAsyncResult *res, gpointer data)
{
    Ctx *c = data;
    GError *error = NULL;
    TscViewerImage *im = tsc_viewer_study_decode_finish(TSC_VIEWER_STUDY(source), res, &error);
    TscViewerWindow *self = ctx_window(c);
    if (self) {
        g_hash_table_remove(self->decoding, slice_key(-1, c->series, c->slice));
        gboolean current = self->have_series && c->series == self->series && c->slice == self->slice;
        if (current && im) {
            show_image(self, im);
        } else if (current && error && !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
            g_free(self->decode_error);
            self->decode_error = g_strdup(error->message);
            tsc_slice_view_set_image(self->view, NULL);
            refresh_view_result(self);
            set_issue(self, "decode", GTK_MESSAGE_WARNING, "A slice could not be shown.", error->message);
        } else if (current && error) {
            /* Dropped as "scrolled past" but we are back on it: ask again. */
            tsc_viewer_window_goto_slice(self, (gssize)self->slice);
        }
        g_object_unref(self);
    }
    g_clear_error(&error);
    if (im) tsc_viewer_image_unref(im);
    ctx_free(c);
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
    if (!self->have_series) return;
    gsize n = tsc_viewer_study_n_slices(self->study, self->series);
    slice = CLAMP(slice, 0, (gssize)n - 1);
    if ((gsize)slice != self->slice) self->last_step = (gsize)slice > self->slice ? 1 : -1;
    self->slice = (gsize)slice;
    tsc_viewer_study_set_focus(self->study, self->series, self->slice);
    tsc_slice_strip_set_current(self->strip, self->slice);
    refresh_corner_text(self);
    /* The series section changes only with a series result, which stages its
     * own refresh (refresh_panels_staged); rebuilding it here would put that
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

static void on_view_step(TscViewerWindow *self, int delta)
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
    on_view_step(self, delta);
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

static void set_title(TscViewerWindow *self)
{
    if (!self->have_series) {
        gtk_label_set_text(self->title_label, "tumorscope");
        gtk_label_set_text(self->subtitle_label, "Brain tumour MRI workstation");
        gtk_window_set_title(GTK_WINDOW(self), "tumorscope");
        return;
    }
    /* No patient identifiers in titles: they reach window lists and logs. */
    const tsc_dicom_series_info *si = series_info(self);
    char *t = g_strdup_printf("%s", *si->description ? si->description : "Series");
    char *sub = g_strdup_printf("Series %zu of %zu \xc2\xb7 %zu slices \xc2\xb7 %d\xc3\x97%d", self->series + 1,
                                tsc_viewer_study_n_series(self->study), si->n_slices, si->cols, si->rows);
    gtk_label_set_text(self->title_label, t);
    gtk_label_set_text(self->subtitle_label, sub);
    char *wt = g_strdup_printf("%s \xe2\x80\x94 tumorscope", t);
    gtk_window_set_title(GTK_WINDOW(self), wt);
    g_free(wt);
    g_free(t);
    g_free(sub);
}

void tsc_viewer_window_select_series(TscViewerWindow *self, gsize series)
{
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
    load_seg(self);
    tsc_slice_strip_set_n_slices(self->strip, si->n_slices);
    /* Nothing of the previous series stays in the panel, not even for the
     * frames until its sections are refreshed. */
    tsc_findings_panel_clear(self->findings);
    set_issue(self, "analysis", 0, NULL, NULL);
    refresh_scope(self);
    tsc_series_browser_select(self->browser, series);
    gtk_stack_set_visible_child_name(self->view_stack, "viewer");
    gtk_widget_set_visible(GTK_WIDGET(self->findings), TRUE);
    refresh_sensitivity(self);
    set_title(self);
    refresh_strip(self);
    tsc_viewer_window_goto_slice(self, (gssize)self->slice);
    refresh_findings(self);
    gtk_widget_grab_focus(GTK_WIDGET(self->view));
    g_info("series %zu selected (%zu slices)", series, si->n_slices);
}

static void on_series_selected(TscViewerWindow *self, guint series)
{
    tsc_viewer_window_select_series(self, series);
}

/* ---- opening ----------------------------------------------------------- */

static void open_progress(GObject *target, gsize done, gsize total, gpointer data)
{
    (void)data;
    TscViewerWindow *self = TSC_VIEWER_WINDOW(target);
    if (!self->opening) return;
    self->series_done = done;
    self->series_total = total;
    refresh_progress(self);
}

static void reset_study(TscViewerWindow *self)
{
    /* Late results of the previous study are dropped by the new generation;
     * cancelling stops the work itself. */
    self->gen++;
    g_cancellable_cancel(self->work_cancellable);
    g_clear_object(&self->work_cancellable);
    self->work_cancellable = g_cancellable_new();
    if (self->series_cancellable) g_cancellable_cancel(self->series_cancellable);
    g_clear_object(&self->series_cancellable);
    self->series_running = -1;
    g_hash_table_remove_all(self->decoding);
    g_hash_table_remove_all(self->analysing);
    self->have_series = FALSE;
    tsc_findings_panel_clear(self->findings);
    gtk_widget_set_visible(GTK_WIDGET(self->findings), FALSE);
    tsc_slice_strip_set_n_slices(self->strip, 0);
    refresh_sensitivity(self);
    tsc_slice_view_set_result(self->view, NULL, NULL);
    tsc_slice_view_set_image(self->view, NULL);
    clear_seg(self);
    set_issue(self, "seg", 0, NULL, NULL);
    tsc_series_browser_set_study(self->browser, NULL);
    g_clear_object(&self->study);
    set_issue(self, "skipped", 0, NULL, NULL);
    set_issue(self, "ignored", 0, NULL, NULL);
    hide_toast(self);
    set_issue(self, "decode", 0, NULL, NULL);
    set_issue(self, "analysis", 0, NULL, NULL);
    set_issue(self, "open", 0, NULL, NULL);
    set_issue(self, "export", 0, NULL, NULL);
}

/* Files that are simply not DICOM (a README, a script, the PNGs of a
 * ground truth, a DICOMDIR next to its files) are normal in a study folder:
 * they are counted quietly.  Everything else the plugin skipped (truncated or
 * unreadable DICOM, unsupported transfer syntax, duplicates, compressed
 * files) is a real problem. */
static gboolean skip_is_not_dicom(const tsc_dicom_skipped *sk)
{
    const char *r = sk->reason ? sk->reason : "";
    return g_str_has_prefix(r, "not a DICOM file") || g_str_has_prefix(r, "file too short to be DICOM") ||
           g_str_has_prefix(r, "a DICOMDIR");
}

/* The skipped files' details: the problems, and apart the files that are
 * not DICOM; each NULL when there are none. */
static void skipped_details(TscViewerStudy *study, gsize *n_problems, char **problems, gsize *n_ignored,
                            char **ignored)
{
    const tsc_plugin_api *api = tsc_viewer_api();
    const tsc_dicom_index *ix = tsc_viewer_study_get_index(study);
    gsize n = api->study_n_skipped(ix);
    GString *s[2] = {g_string_new(NULL), g_string_new(NULL)};
    gsize count[2] = {0, 0};
    for (gsize i = 0; i < n; i++) {
        const tsc_dicom_skipped *sk = api->study_get_skipped(ix, i);
        int k = skip_is_not_dicom(sk) ? 1 : 0;
        if (count[k]++ < 500) g_string_append_printf(s[k], "%s%s: %s", s[k]->len ? "\n" : "", sk->path, sk->reason);
    }
    for (int k = 0; k < 2; k++)
        if (count[k] > 500) g_string_append_printf(s[k], "\n\xe2\x80\xa6 and %zu more", count[k] - 500);
    *n_problems = count[0];
    *n_ignored = count[1];
    *problems = count[0] ? g_string_free(s[0], FALSE) : (g_string_free(s[0], TRUE), NULL);
    *ignored = count[1] ? g_string_free(s[1], FALSE) : (g_string_free(s[1], TRUE), NULL);
}

static void on_opened(GObject *source, GAsyncResult *res, gpointer data)
{
    (void)source;
    Ctx *c = data;
    GError *error = NULL;
    TscViewerStudy *study = tsc_viewer_study_open_finish(res, &error);
    TscViewerWindow *self = ctx_window(c);
    if (!self) goto out;
    self->opening = FALSE;
    g_clear_object(&self->open_cancellable);
    refresh_progress(self);
    if (!study) {
        g_queue_clear_full(&self->deferred, deferred_free);
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            set_issue(self, "open", GTK_MESSAGE_ERROR, "The study could not be opened.", error->message);
        gtk_label_set_text(self->empty_title, "Open a Study");
        goto out;
    }
    self->study = g_object_ref(study);
    tsc_series_browser_set_study(self->browser, study);
    gsize n_skipped = 0, n_ignored = 0;
    char *details = NULL, *ignored = NULL;
    skipped_details(study, &n_skipped, &details, &n_ignored, &ignored);
    self->n_ignored = n_ignored;
    const GError *open_error = tsc_viewer_study_get_open_error(study);
    if (n_ignored) {
        char *t = g_strdup_printf("%zu file%s that %s not DICOM (notes, scripts, pictures) %s ignored:", n_ignored,
                                  n_ignored == 1 ? "" : "s", n_ignored == 1 ? "is" : "are",
                                  n_ignored == 1 ? "was" : "were");
        set_quiet_issue(self, "ignored", t, ignored);
        g_free(t);
    }
    if (open_error) {
        set_issue(self, "open", GTK_MESSAGE_ERROR, open_error->message, details ? details : ignored);
    } else if (n_skipped) {
        char *t = g_strdup_printf("%zu DICOM file%s could not be read and %s skipped; the rest of the study is usable.",
                                  n_skipped, n_skipped == 1 ? "" : "s", n_skipped == 1 ? "was" : "were");
        set_issue(self, "skipped", GTK_MESSAGE_WARNING, t, details);
        g_free(t);
    }
    g_free(details);
    g_free(ignored);
    const char *const *paths = tsc_viewer_study_get_paths(study);
    if (self->app && paths[0] && !paths[1]) tsc_viewer_app_add_recent(self->app, paths[0]);
    if (tsc_viewer_study_n_series(study) > 0) {
        tsc_viewer_window_select_series(self, 0);
    } else {
        gtk_label_set_text(self->empty_title, "No Images Found");
        gtk_label_set_text(self->empty_subtitle, "See the details above for every file that was skipped and why.");
    }
    refresh_all_badges(self);
    replay_deferred(self);
out:
    g_clear_error(&error);
    g_clear_object(&study);
    g_clear_object(&self);
    ctx_free(c);
}

static gboolean must_wait(TscViewerWindow *self, const char *action)
{
    if (self->opening) return TRUE;
    /* An export asked for after a series analysis includes its result. */
    if (g_strcmp0(action, "export-report") == 0 && self->series_running >= 0) return TRUE;
    /* Analyses with the CNN wait for the model rather than fail. */
    static const char *analyses[] = {"analyze-slice", "analyze-series", "export-report", "benchmark-scroll",
                                     NULL};
    return self->app && tsc_viewer_app_get_model_loading(self->app) &&
           current_method(self) == TSC_METHOD_CNN && g_strv_contains(analyses, action);
}

/* Replays queued script commands, in order, as far as they can run now. */
static void replay_deferred(TscViewerWindow *self)
{
    Deferred *d;
    while (self->app && (d = g_queue_peek_head(&self->deferred)) && !must_wait(self, d->action)) {
        g_queue_pop_head(&self->deferred);
        self->replaying = TRUE;
        g_action_group_activate_action(G_ACTION_GROUP(self->app), d->action, d->param);
        self->replaying = FALSE;
        deferred_free(d);
    }
}

gboolean tsc_viewer_window_defer(TscViewerWindow *self, const char *action, GVariant *param)
{
    /* Keep the order: once something waits, everything after it waits too. */
    if (!must_wait(self, action) && (self->replaying || g_queue_is_empty(&self->deferred))) return FALSE;
    Deferred *d = g_new0(Deferred, 1);
    d->action = g_strdup(action);
    d->param = param ? g_variant_ref(param) : NULL;
    g_queue_push_tail(&self->deferred, d);
    return TRUE;
}

/* What a folder holds at a glance (at most 256 entries, two levels): DICOM
 * candidates (DICM preamble, DICOMDIR, or no extension, as scanners write
 * them) and pictures a user might mistake for a study. */
static void peek_folder(const char *dir, int depth, int *budget, int *dicom, int *pictures)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    if (!d) return;
    const char *name;
    while ((name = g_dir_read_name(d)) && *budget > 0 && !*dicom) {
        (*budget)--;
        char *p = g_build_filename(dir, name, NULL);
        if (g_file_test(p, G_FILE_TEST_IS_DIR)) {
            if (depth < 2) peek_folder(p, depth + 1, budget, dicom, pictures);
        } else {
            char *lower = g_ascii_strdown(name, -1);
            static const char *pics[] = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".nii", ".nii.gz", NULL};
            gboolean pic = FALSE;
            for (int i = 0; pics[i] && !pic; i++) pic = g_str_has_suffix(lower, pics[i]);
            if (pic) {
                (*pictures)++;
            } else if (strcmp(lower, "dicomdir") == 0 || !strchr(name, '.')) {
                (*dicom)++;
            } else {
                FILE *f = fopen(p, "rb");
                char head[132];
                if (f && fread(head, 1, sizeof head, f) == sizeof head && memcmp(head + 128, "DICM", 4) == 0)
                    (*dicom)++;
                if (f) fclose(f);
            }
            g_free(lower);
        }
        g_free(p);
    }
    g_dir_close(d);
}

/* Refuses, before the open study is closed, what cannot be a study: a path
 * that does not exist, a folder of pictures.  Says so in the window. */
static gboolean open_would_fail(TscViewerWindow *self, const char *const *paths)
{
    for (int i = 0; paths[i]; i++) {
        if (!g_file_test(paths[i], G_FILE_TEST_EXISTS)) {
            char *t = g_strdup_printf("Folder not found: %s", paths[i]);
            set_issue(self, "open", GTK_MESSAGE_ERROR, t,
                      self->study ? "Check the path. The study on screen stays open." : "Check the path.");
            g_free(t);
            return TRUE;
        }
    }
    if (paths[1] || !g_file_test(paths[0], G_FILE_TEST_IS_DIR)) return FALSE;
    int budget = 256, dicom = 0, pictures = 0;
    peek_folder(paths[0], 0, &budget, &dicom, &pictures);
    if (dicom || !pictures) return FALSE;
    char *t = g_strdup_printf("No DICOM files in %s: it holds %d picture%s (PNG, JPEG or NIfTI).", paths[0],
                              pictures, pictures == 1 ? "" : "s");
    set_issue(self, "open", GTK_MESSAGE_WARNING, t,
              "The viewer reads DICOM. To make a DICOM series of a PNG stack or a NIfTI volume, run\n"
              "    tumorscope dicomize --out OUT_FOLDER FOLDER_OR_FILE\n"
              "and open OUT_FOLDER (see docs/CLI.md for the spacing and patient options)."
              " The study on screen stays open.");
    g_free(t);
    return TRUE;
}

void tsc_viewer_window_open(TscViewerWindow *self, const char *const *paths)
{
    if (!self->app || tsc_viewer_app_get_api_error(self->app) || !paths || !paths[0]) return;
    if (open_would_fail(self, paths)) return;
    if (self->open_cancellable) g_cancellable_cancel(self->open_cancellable);
    g_clear_object(&self->open_cancellable);
    reset_study(self);
    set_title(self);
    gtk_stack_set_visible_child_name(self->view_stack, "empty");
    gtk_label_set_text(self->empty_title, "Indexing\xe2\x80\xa6");
    gtk_label_set_text(self->empty_subtitle, "Reading the DICOM headers; the first series opens as soon as the index is ready.");
    self->opening = TRUE;
    self->series_done = self->series_total = 0;
    self->open_cancellable = g_cancellable_new();
    refresh_progress(self);
    g_info("opening %u path(s)", g_strv_length((char **)paths));
    tsc_viewer_study_open_async(paths, tsc_viewer_progress_new(G_OBJECT(self), open_progress, NULL),
                                self->open_cancellable, on_opened, ctx_new(self, 0, 0, 0));
}

static void on_chooser_response(GtkNativeDialog *dialog, int response, gpointer data)
{
    TscViewerWindow *self = data;
    if (response == GTK_RESPONSE_ACCEPT) {
        GFile *f = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(dialog));
        char *path = f ? g_file_get_path(f) : NULL;
        if (path) {
            const char *paths[] = {path, NULL};
            tsc_viewer_window_open(self, paths);
        }
        g_free(path);
        g_clear_object(&f);
    }
    g_object_unref(dialog);
}

void tsc_viewer_window_choose_open(TscViewerWindow *self, gboolean folder)
{
    GtkFileChooserNative *d = gtk_file_chooser_native_new(
        folder ? "Open Study Folder" : "Open DICOM File or DICOMDIR", GTK_WINDOW(self),
        folder ? GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER : GTK_FILE_CHOOSER_ACTION_OPEN, "_Open", "_Cancel");
    if (!folder) {
        GtkFileFilter *dicom = gtk_file_filter_new();
        gtk_file_filter_set_name(dicom, "DICOM files and DICOMDIR");
        gtk_file_filter_add_pattern(dicom, "DICOMDIR");
        gtk_file_filter_add_pattern(dicom, "*.dcm");
        gtk_file_filter_add_pattern(dicom, "*.DCM");
        gtk_file_filter_add_mime_type(dicom, "application/dicom");
        gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(d), dicom);
        GtkFileFilter *all = gtk_file_filter_new();
        gtk_file_filter_set_name(all, "All files");
        gtk_file_filter_add_pattern(all, "*");
        gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(d), all);
        g_object_unref(dicom);
        g_object_unref(all);
    }
    gtk_native_dialog_set_modal(GTK_NATIVE_DIALOG(d), TRUE);
    g_signal_connect(d, "response", G_CALLBACK(on_chooser_response), self);
    gtk_native_dialog_show(GTK_NATIVE_DIALOG(d));
}

static gboolean on_drop(GtkDropTarget *target, const GValue *value, double x, double y, gpointer data)
{
    (void)target;
    (void)x;
    (void)y;
    TscViewerWindow *self = data;
    if (!G_VALUE_HOLDS(value, GDK_TYPE_FILE_LIST)) return FALSE;
    GSList *files = g_value_get_boxed(value);
    GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
    for (GSList *l = files; l; l = l->next) {
        char *p = g_file_get_path(l->data);
        if (p) g_ptr_array_add(paths, p);
    }
    g_ptr_array_add(paths, NULL);
    gboolean ok = paths->len > 1;
    if (ok) tsc_viewer_window_open(self, (const char *const *)paths->pdata);
    g_ptr_array_unref(paths);
    return ok;
}

/* ---- analysis ---------------------------------------------------------- */

static gboolean method_usable(TscViewerWindow *self, int method)
{
    if (method != TSC_METHOD_CNN || current_model(self)) return TRUE;
    const char *why = self->app && tsc_viewer_app_get_model_loading(self->app)
                          ? "The model is still loading; try again in a moment."
                          : "The CNN needs the default model, which could not be loaded. Choose the "
                            "Threshold or Region-growing method in the side panel.";
    set_issue(self, "analysis", GTK_MESSAGE_WARNING, why, NULL);
    return FALSE;
}

static void on_slice_analysed(GObject *source, GAsyncResult *res, gpointer data)
{
    (void)source;
    Ctx *c = data;
    GError *error = NULL;
    tsc_result *r = tsc_viewer_analyze_slice_finish(res, &error);
    TscViewerWindow *self = ctx_window(c);
    if (self) {
        g_hash_table_remove(self->analysing, slice_key(c->method, c->series, c->slice));
        if (r) {
            tsc_viewer_study_take_result(self->study, c->method, c->series, c->slice, r);
            r = NULL;
            set_issue(self, "analysis", 0, NULL, NULL);
        } else if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
            set_issue(self, "analysis", GTK_MESSAGE_ERROR, "The slice could not be analysed.", error->message);
        }
        if (c->method == current_method(self)) {
            if (self->have_series && c->series == self->series) {
                refresh_strip_cell(self, c->slice);
                refresh_view_result(self);
                refresh_findings(self);
            }
            refresh_badge(self, c->series);
        }
        refresh_progress(self);
        g_object_unref(self);
    }
    if (r) tsc_viewer_api()->result_free(r);
    g_clear_error(&error);
    ctx_free(c);
}

void tsc_viewer_window_analyze_slice(TscViewerWindow *self)
{
    if (!self->have_series) return;
    int method = current_method(self);
    if (tsc_viewer_study_get_result(self->study, method, self->series, self->slice)) return;
    gpointer key = slice_key(method, self->series, self->slice);
    if (g_hash_table_contains(self->analysing, key)) return;
    if (!method_usable(self, method)) return;
    if (!scope_allows(self, method)) {
        say_not_analysed(self);
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
    refresh_view_result(self);
    refresh_findings(self);
    refresh_progress(self);
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
    refresh_progress(self);
    refresh_badge(self, (gsize)self->series_running);
}

static void on_series_analysed(GObject *source, GAsyncResult *res, gpointer data)
{
    (void)source;
    Ctx *c = data;
    GError *error = NULL;
    gboolean cancelled = FALSE;
    tsc_series_result *r = tsc_viewer_analyze_series_finish(res, &cancelled, &error);
    TscViewerWindow *self = ctx_window(c);
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
                if (self->have_series && c->series == self->series) say_not_analysed(self);
            } else if (cancelled) {
                set_issue(self, "analysis", GTK_MESSAGE_INFO,
                          "Series analysis cancelled: the slices analysed so far are kept.", NULL);
            } else {
                set_issue(self, "analysis", 0, NULL, NULL);
            }
        } else if (error && !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
            set_issue(self, "analysis", GTK_MESSAGE_ERROR, "The series could not be analysed.", error->message);
        }
        /* What the image and strip show first, the panels a few frames later. */
        refresh_sensitivity(self);
        refresh_strip(self);
        refresh_view_result(self);
        refresh_progress(self);
        refresh_panels_staged(self);
        replay_deferred(self);
        g_object_unref(self);
    }
    if (r) tsc_viewer_api()->series_result_free(r);
    g_clear_error(&error);
    ctx_free(c);
}

void tsc_viewer_window_analyze_series(TscViewerWindow *self)
{
    if (!self->have_series) return;
    int method = current_method(self);
    if (self->series_running == (gssize)self->series && self->series_running_method == method) return;
    /* A complete series result is final; a partial (cancelled) one is redone. */
    const tsc_series_result *done = tsc_viewer_study_get_series_result(self->study, method, self->series);
    if (done && !self->bench.running) {
        const tsc_plugin_api *api = tsc_viewer_api();
        /* Refused by the scope gate: final, unless the user now forces it. */
        if (api->series_result_get_verdict(done) == TSC_VERDICT_NOT_ANALYSED) {
            if (!scope_allows(self, method) || self->scope.in_scope) {
                say_not_analysed(self);
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
    if (self->series_cancellable) g_cancellable_cancel(self->series_cancellable);
    g_clear_object(&self->series_cancellable);
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
    refresh_all(self);
}

gboolean tsc_viewer_window_cancel(TscViewerWindow *self)
{
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
        g_cancellable_cancel(self->export_cancellable);
        g_clear_object(&self->export_cancellable);
        self->export_cancellable = g_cancellable_new();
        any = TRUE;
    }
    if (g_hash_table_size(self->analysing)) {
        /* Slice analyses share the work cancellable with decoding, which
         * restarts on demand. */
        g_cancellable_cancel(self->work_cancellable);
        g_clear_object(&self->work_cancellable);
        self->work_cancellable = g_cancellable_new();
        g_hash_table_remove_all(self->decoding);
        any = TRUE;
    }
    if (any) g_info("cancel requested");
    return any;
}

void tsc_viewer_window_set_window_preset(TscViewerWindow *self, const char *preset)
{
    gtk_widget_activate_action(GTK_WIDGET(self->view), "view.window-preset", "s", preset);
}

/* ---- export ------------------------------------------------------------ */

static void on_exported(GObject *source, GAsyncResult *res, gpointer data)
{
    (void)source;
    Ctx *c = data;
    GError *error = NULL;
    char *folder = NULL, *notes = NULL;
    char *summary = tsc_viewer_export_finish(res, &folder, &notes, &error);
    TscViewerWindow *self = g_weak_ref_get(&c->win); /* exports report even after a new study */
    if (self) {
        self->exports_running--;
        if (summary) {
            g_free(self->export_folder_shown);
            self->export_folder_shown = g_strdup(folder);
            char *title = g_strdup_printf("Report exported to %s", folder);
            show_toast(self, title, TRUE);
            /* Outputs that could not be written are a problem that stays. */
            if (notes) {
                char *details = g_strdup_printf("%s\n%s", summary, notes);
                set_issue(self, "export", GTK_MESSAGE_WARNING, "Some outputs of the export were not written.",
                          details);
                g_free(details);
            } else {
                set_issue(self, "export", 0, NULL, NULL);
            }
            g_free(title);
        } else if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
            g_clear_pointer(&self->export_folder_shown, g_free);
            set_issue(self, "export", GTK_MESSAGE_ERROR, "The report could not be exported.", error->message);
        }
        refresh_progress(self);
        g_object_unref(self);
    }
    g_free(summary);
    g_free(folder);
    g_free(notes);
    g_clear_error(&error);
    ctx_free(c);
}

void tsc_viewer_window_export_spec(TscViewerWindow *self, const TscViewerExportSpec *spec)
{
    if (!self->have_series) {
        set_issue(self, "export", GTK_MESSAGE_WARNING, "Open a study before exporting a report.", NULL);
        return;
    }
    int method = current_method(self);
    if (spec->slice_png && !tsc_viewer_study_get_result(self->study, method, self->series, self->slice) &&
        !method_usable(self, method))
        return;
    TscViewerSeriesRef *ref = tsc_viewer_study_ref_series_result(self->study, method, self->series);
    TscViewerExportSpec s = *spec;
    s.force_scope = tsc_viewer_prefs_get_force_scope(self->prefs);
    self->exports_running++;
    tsc_viewer_export_async(self->study, current_model(self), method, self->series, self->slice,
                            tsc_viewer_study_get_result(self->study, method, self->series, self->slice),
                            ref, &s, self->export_cancellable, on_exported,
                            ctx_new(self, method, self->series, self->slice));
    tsc_viewer_series_ref_release(ref);
    refresh_progress(self);
}

void tsc_viewer_window_export(TscViewerWindow *self, const char *folder)
{
    TscViewerExportSpec spec = {0};
    spec.folder = folder && *folder ? g_strdup(folder) : tsc_viewer_prefs_dup_export_folder(self->prefs);
    spec.slice_png = spec.series_png = spec.pdf = spec.dicom = TRUE;
    spec.deidentify = tsc_viewer_prefs_get_deidentify(self->prefs);
    tsc_viewer_window_export_spec(self, &spec);
    g_free(spec.folder);
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
    if (!self->have_series) {
        set_issue(self, "export", GTK_MESSAGE_WARNING, "Open a study before exporting a report.", NULL);
        return;
    }
    int method = current_method(self);
    gboolean has_series = tsc_viewer_study_get_series_result(self->study, method, self->series) != NULL;
    TscExportDialog *d = tsc_export_dialog_new(GTK_WINDOW(self), self->prefs, self->slice, has_series);
    g_signal_connect(d, "export", G_CALLBACK(on_export_requested), self);
    gtk_window_present(GTK_WINDOW(d));
}

/* ---- scripting: idle, screenshot, state -------------------------------- */

typedef void (*IdleFn)(TscViewerWindow *self, const char *path);

typedef struct {
    GWeakRef win;
    IdleFn fn;
    char *path;
    gint64 deadline;
    gint64 idle_since; /* 0: busy */
    gulong paint_handler;
} IdleWait;

static void idle_wait_free(IdleWait *w)
{
    g_weak_ref_clear(&w->win);
    g_free(w->path);
    g_free(w);
}

static gboolean is_idle(TscViewerWindow *self)
{
    if (tsc_viewer_pool_n_pending(-1) > 0 || self->opening) return FALSE;
    /* The side panel and badges of a new series result are still to come. */
    if (self->staged_tick) return FALSE;
    if (self->app && tsc_viewer_app_get_model_loading(self->app)) return FALSE;
    if (!self->have_series) return TRUE;
    if (self->decode_error) return TRUE;
    TscViewerImage *im = tsc_slice_view_get_image(self->view);
    return im && im->series == self->series && im->slice == self->slice;
}

static void on_after_paint(GdkFrameClock *clock, gpointer data)
{
    IdleWait *w = data;
    g_signal_handler_disconnect(clock, w->paint_handler);
    TscViewerWindow *self = g_weak_ref_get(&w->win);
    if (self) {
        w->fn(self, w->path);
        g_object_unref(self);
    }
    idle_wait_free(w);
}

static gboolean poll_idle(gpointer data)
{
    IdleWait *w = data;
    TscViewerWindow *self = g_weak_ref_get(&w->win);
    if (!self) {
        idle_wait_free(w);
        return G_SOURCE_REMOVE;
    }
    gboolean idle = is_idle(self);
    gint64 now = g_get_monotonic_time();
    w->idle_since = idle ? (w->idle_since ? w->idle_since : now) : 0;
    /* Revealers and the info bar animate for 250 ms after the last change:
     * stay idle that long so that the layout has settled. */
    gboolean animations = TRUE;
    g_object_get(gtk_widget_get_settings(GTK_WIDGET(self)), "gtk-enable-animations", &animations, NULL);
    gboolean settled = idle && (!animations || now - w->idle_since >= 300000);
    if (!settled && now < w->deadline) {
        g_object_unref(self);
        return G_SOURCE_CONTINUE;
    }
    if (!idle) g_warning("still busy after the scripting timeout; acting anyway");
    /* Idle: let one frame lay out and paint what the last results changed. */
    GdkFrameClock *clock = gtk_widget_get_frame_clock(GTK_WIDGET(self));
    if (clock) {
        w->paint_handler = g_signal_connect(clock, "after-paint", G_CALLBACK(on_after_paint), w);
        gtk_widget_queue_draw(GTK_WIDGET(self));
    } else {
        w->fn(self, w->path);
        idle_wait_free(w);
    }
    g_object_unref(self);
    return G_SOURCE_REMOVE;
}

static void when_idle(TscViewerWindow *self, IdleFn fn, const char *path)
{
    IdleWait *w = g_new0(IdleWait, 1);
    g_weak_ref_init(&w->win, self);
    w->fn = fn;
    w->path = g_strdup(path);
    w->deadline = g_get_monotonic_time() + 120 * G_USEC_PER_SEC;
    g_timeout_add(20, poll_idle, w);
}

/* Writes through a temporary name so that a poller never sees half a file. */
static gboolean commit_file(const char *tmp, const char *path)
{
    if (g_rename(tmp, path) != 0) {
        g_warning("could not rename %s to %s: %s", tmp, path, g_strerror(errno));
        g_unlink(tmp);
        return FALSE;
    }
    return TRUE;
}

/* The window on top: a dialog of ours (export, preferences, shortcuts) when
 * one is open, else the main window. */
static GtkWidget *top_window(TscViewerWindow *self)
{
    GtkWidget *top = GTK_WIDGET(self);
    GListModel *list = gtk_window_get_toplevels();
    for (guint i = 0; i < g_list_model_get_n_items(list); i++) {
        GtkWindow *win = g_list_model_get_item(list, i);
        if (gtk_window_get_transient_for(win) == GTK_WINDOW(self) && gtk_widget_get_visible(GTK_WIDGET(win)) &&
            gtk_widget_get_mapped(GTK_WIDGET(win)))
            top = GTK_WIDGET(win);
        g_object_unref(win);
    }
    return top;
}

static void do_screenshot(TscViewerWindow *self, const char *path)
{
    GtkWidget *w = top_window(self);
    int width = gtk_widget_get_width(w), height = gtk_widget_get_height(w);
    GskRenderer *renderer = gtk_native_get_renderer(GTK_NATIVE(w));
    if (!renderer || width <= 0 || height <= 0) {
        g_warning("screenshot: the window is not realised");
        return;
    }
    /* GTK's own rendering of the window: snapshot the widget tree and render
     * it with the window's renderer. */
    GdkPaintable *paintable = gtk_widget_paintable_new(w);
    GtkSnapshot *snapshot = gtk_snapshot_new();
    gdk_paintable_snapshot(paintable, GDK_SNAPSHOT(snapshot), width, height);
    GskRenderNode *node = gtk_snapshot_free_to_node(snapshot);
    if (!node) {
        g_object_unref(paintable);
        g_warning("screenshot: nothing to render");
        return;
    }
    GdkTexture *texture = gsk_renderer_render_texture(renderer, node, &GRAPHENE_RECT_INIT(0, 0, width, height));
    char *tmp = g_strdup_printf("%s.tmp-%d.png", path, getpid());
    if (gdk_texture_save_to_png(texture, tmp))
        commit_file(tmp, path);
    else
        g_warning("screenshot: could not write %s", path);
    g_info("screenshot %dx%d written", width, height);
    g_free(tmp);
    g_object_unref(texture);
    gsk_render_node_unref(node);
    g_object_unref(paintable);
}

void tsc_viewer_window_screenshot(TscViewerWindow *self, const char *path)
{
    when_idle(self, do_screenshot, path);
}

static void put_rect(GKeyFile *kf, const char *group, const char *key, const graphene_rect_t *r)
{
    double v[4] = {r->origin.x, r->origin.y, r->size.width, r->size.height};
    g_key_file_set_double_list(kf, group, key, v, 4);
}

/* One letter per slice verdict in the state's strip string. */
static char verdict_letter(tsc_verdict v)
{
    switch (v) {
    case TSC_VERDICT_TUMOR: return 'T';
    case TSC_VERDICT_NO_TUMOR: return 'N';
    case TSC_VERDICT_INCONCLUSIVE: return 'I';
    case TSC_VERDICT_NOT_ASSESSABLE: return 'A';
    case TSC_VERDICT_NOT_ANALYSED: return 'X';
    }
    return '?';
}

/* The state tests and scripts poll: geometry in window coordinates (those
 * of the screenshot), verdicts per slice, errors.  No patient identifiers. */
static void do_write_state(TscViewerWindow *self, const char *path)
{
    const tsc_plugin_api *api = self->app && !tsc_viewer_app_get_api_error(self->app) ? tsc_viewer_api() : NULL;
    GKeyFile *kf = g_key_file_new();
    g_key_file_set_integer(kf, "viewer", "abi-version", TSC_PLUGIN_API_VERSION);
    const GError *abi = self->app ? tsc_viewer_app_get_api_error(self->app) : NULL;
    g_key_file_set_string(kf, "viewer", "api-error", abi ? abi->message : "");
    g_key_file_set_integer(kf, "viewer", "width", gtk_widget_get_width(GTK_WIDGET(self)));
    g_key_file_set_integer(kf, "viewer", "height", gtk_widget_get_height(GTK_WIDGET(self)));
    g_key_file_set_boolean(kf, "viewer", "busy", !is_idle(self));
    const GError *me = self->app ? tsc_viewer_app_get_model_error(self->app) : NULL;
    g_key_file_set_boolean(kf, "viewer", "model-loaded", current_model(self) != NULL);
    g_key_file_set_string(kf, "viewer", "model-error", me ? me->message : "");
    g_key_file_set_string(kf, "viewer", "method", method_name(current_method(self)));
    g_key_file_set_string(kf, "viewer", "method-note",
                          gtk_widget_get_visible(self->method_note) ? gtk_label_get_text(GTK_LABEL(self->method_note)) : "");
    GString *issues = g_string_new(NULL);
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, self->issues);
    while (g_hash_table_iter_next(&it, &k, &v))
        g_string_append_printf(issues, "%s%s: %s", issues->len ? " | " : "", (char *)k, ((Issue *)v)->title);
    g_key_file_set_string(kf, "viewer", "issues", issues->str);
    g_string_free(issues, TRUE);
    g_key_file_set_boolean(kf, "viewer", "info-bar-revealed", gtk_info_bar_get_revealed(self->info_bar));
    {
        GtkMessageType t = gtk_info_bar_get_message_type(self->info_bar);
        g_key_file_set_string(kf, "viewer", "info-bar-type",
                              t == GTK_MESSAGE_ERROR     ? "error"
                              : t == GTK_MESSAGE_WARNING ? "warning"
                                                         : "info");
    }
    g_key_file_set_boolean(kf, "viewer", "toast-revealed", gtk_revealer_get_reveal_child(self->toast_revealer));
    g_key_file_set_string(kf, "viewer", "toast", gtk_label_get_text(self->toast_label));
    g_key_file_set_boolean(kf, "viewer", "study-loaded", self->study != NULL);
    /* What libgomp read when the plugin was loaded (viewer_api.c). */
    g_key_file_set_string(kf, "viewer", "omp-wait-policy",
                          g_getenv("OMP_WAIT_POLICY") ? g_getenv("OMP_WAIT_POLICY") : "");
    g_key_file_set_integer(kf, "viewer", "slices-analysed-from-decoded",
                           (int)tsc_viewer_jobs_n_analysed_from_decoded());
    g_key_file_set_boolean(kf, "viewer", "show-studies", gtk_widget_get_visible(self->studies_pane));
    g_key_file_set_boolean(kf, "viewer", "show-findings", gtk_widget_get_visible(self->side_pane));
    /* The header's toggles show the same. */
    g_key_file_set_boolean(kf, "viewer", "studies-toggle", (gtk_widget_get_state_flags(GTK_WIDGET(self->studies_toggle)) & GTK_STATE_FLAG_CHECKED) != 0);
    g_key_file_set_boolean(kf, "viewer", "findings-toggle", (gtk_widget_get_state_flags(GTK_WIDGET(self->findings_toggle)) & GTK_STATE_FLAG_CHECKED) != 0);
    {
        /* The recent studies as the menu shows them (labels without their
         * mnemonic underscores). */
        GString *shown = g_string_new(NULL);
        GtkPopover *pop = gtk_menu_button_get_popover(self->recent_button);
        GSList *stack = pop ? g_slist_prepend(NULL, pop) : NULL;
        while (stack) {
            GtkWidget *w = stack->data;
            stack = g_slist_delete_link(stack, stack);
            if (GTK_IS_LABEL(w) && *gtk_label_get_text(GTK_LABEL(w)))
                g_string_append_printf(shown, "%s%s", shown->len ? " | " : "", gtk_label_get_text(GTK_LABEL(w)));
            GSList *kids = NULL;
            for (GtkWidget *c = gtk_widget_get_first_child(w); c; c = gtk_widget_get_next_sibling(c))
                kids = g_slist_prepend(kids, c);
            stack = g_slist_concat(kids ? g_slist_reverse(kids) : NULL, stack);
        }
        g_key_file_set_string(kf, "viewer", "recent-menu", shown->str);
        g_string_free(shown, TRUE);
    }
    g_key_file_set_double(kf, "viewer", "opacity", gtk_adjustment_get_value(self->opacity_adjustment));
    {
        GtkWidget *f = gtk_root_get_focus(GTK_ROOT(self));
        g_key_file_set_string(kf, "viewer", "focus", f ? G_OBJECT_TYPE_NAME(f) : "");
        g_key_file_set_boolean(kf, "viewer", "window-active", gtk_window_is_active(GTK_WINDOW(self)));
    }
    if (api && self->study) {
        g_key_file_set_integer(kf, "study", "series-count", (int)tsc_viewer_study_n_series(self->study));
        g_key_file_set_integer(kf, "study", "skipped-count",
                               (int)api->study_n_skipped(tsc_viewer_study_get_index(self->study)));
        g_key_file_set_integer(kf, "study", "ignored-count", (int)self->n_ignored);
        for (gsize s = 0; s < tsc_viewer_study_n_series(self->study); s++) {
            const tsc_dicom_series_info *si = api->study_get_series(tsc_viewer_study_get_index(self->study), s);
            char *key = g_strdup_printf("series-%zu", s);
            char *val = g_strdup_printf("%zu slices; %s", si->n_slices, si->description);
            g_key_file_set_string(kf, "study", key, val);
            g_free(val);
            g_free(key);
            /* The name as the browser shows it: cut or whole, and its tooltip. */
            key = g_strdup_printf("series-%zu-name-cut", s);
            g_key_file_set_boolean(kf, "study", key, tsc_series_browser_get_title_cut(self->browser, s));
            g_free(key);
            key = g_strdup_printf("series-%zu-tooltip", s);
            g_key_file_set_string(kf, "study", key, tsc_series_browser_get_title_tooltip(self->browser, s));
            g_free(key);
        }
    }
    if (api && self->have_series) {
        int method = current_method(self);
        const tsc_model *model = model_for(self, method);
        gsize n = tsc_viewer_study_n_slices(self->study, self->series);
        g_key_file_set_integer(kf, "series", "index", (int)self->series);
        g_key_file_set_integer(kf, "series", "slice", (int)self->slice);
        g_key_file_set_integer(kf, "series", "slices", (int)n);
        GString *verdicts = g_string_new(NULL);
        GString *colors = g_string_new(NULL);
        for (gsize i = 0; i < n; i++) {
            const tsc_result *r = tsc_viewer_study_get_result(self->study, method, self->series, i);
            char ch = '-';
            if (r) {
                tsc_description d;
                tsc_viewer_describe_result(model, r, &d);
                ch = verdict_letter(d.verdict);
                g_string_append_printf(colors, "%s%zu:%06X", colors->len ? "," : "", i, d.color);
            } else if (tsc_viewer_study_get_slice_error(self->study, method, self->series, i)) {
                ch = 'F';
            }
            g_string_append_c(verdicts, ch);
        }
        g_key_file_set_string(kf, "series", "verdicts", verdicts->str);
        /* The stored SEG: one letter per slice, S where it has a frame. */
        g_key_file_set_boolean(kf, "series", "seg", self->seg != NULL);
        if (self->seg && self->seg->series == self->series) {
            GString *seg = g_string_new(NULL);
            for (gsize i = 0; i < n; i++)
                g_string_append_c(seg, i < self->seg->n_slices && self->seg->masks[i] ? 'S' : '-');
            g_key_file_set_string(kf, "series", "seg-slices", seg->str);
            g_key_file_set_string(kf, "series", "seg-label", self->seg->label);
            g_string_free(seg, TRUE);
        }
        g_key_file_set_string(kf, "series", "colors", colors->str);
        g_string_free(verdicts, TRUE);
        g_string_free(colors, TRUE);
        g_key_file_set_boolean(kf, "series", "in-scope", self->scope.in_scope);
        g_key_file_set_string(kf, "series", "scope-reason", self->scope.reason);
        g_key_file_set_boolean(kf, "series", "force-scope", tsc_viewer_prefs_get_force_scope(self->prefs));
        const tsc_series_result *sr = tsc_viewer_study_get_series_result(self->study, method, self->series);
        g_key_file_set_boolean(kf, "series", "analysed", sr != NULL);
        if (sr) {
            tsc_description d;
            tsc_viewer_describe_series(model, sr, &d);
            g_key_file_set_string(kf, "series", "verdict", api->verdict_to_string(d.verdict));
            g_key_file_set_string(kf, "series", "label", d.label);
            g_key_file_set_string(kf, "series", "reason", d.reason);
            g_key_file_set_string(kf, "series", "scope-warning", d.scope_warning);
            g_key_file_set_double(kf, "series", "volume-ml", api->series_result_get_volume_ml(sr));
            size_t key = api->series_result_get_key_slice(sr);
            g_key_file_set_integer(kf, "series", "key-slice", key == (size_t)-1 ? -1 : (int)key);
        }
        /* What is on screen, read back from the widgets. */
        g_key_file_set_string(kf, "panel", "scope", tsc_findings_panel_get_scope(self->findings));
        g_key_file_set_string(kf, "panel", "slice-status", tsc_findings_panel_get_slice_status(self->findings));
        g_key_file_set_string(kf, "panel", "slice-verdict", tsc_findings_panel_get_slice_verdict(self->findings));
        g_key_file_set_string(kf, "panel", "slice-scope", tsc_findings_panel_get_slice_scope(self->findings));
        g_key_file_set_string(kf, "panel", "series-verdict", tsc_findings_panel_get_series_verdict(self->findings));
        g_key_file_set_string(kf, "panel", "key-slice", tsc_findings_panel_get_key_slice(self->findings));
        g_key_file_set_integer(kf, "panel", "lesions", tsc_findings_panel_n_lesions_shown(self->findings));
        g_key_file_set_string(kf, "panel", "badge", tsc_series_browser_get_badge(self->browser, self->series));
        g_key_file_set_boolean(kf, "panel", "analyse-sensitive",
                               gtk_widget_get_sensitive(self->analyze_slice_button));
        if (n) {
            char *tip = tsc_slice_strip_dup_tooltip(self->strip, self->slice);
            g_key_file_set_string(kf, "slice", "tooltip", tip);
            g_free(tip);
        }
        const tsc_result *r = tsc_viewer_study_get_result(self->study, method, self->series, self->slice);
        g_key_file_set_boolean(kf, "slice", "analysed", r != NULL);
        if (r) {
            tsc_description d;
            tsc_viewer_describe_result(model, r, &d);
            g_key_file_set_string(kf, "slice", "verdict", api->verdict_to_string(d.verdict));
            g_key_file_set_string(kf, "slice", "label", d.label);
            g_key_file_set_string(kf, "slice", "reason", d.reason);
            g_key_file_set_string(kf, "slice", "scope-warning", d.scope_warning);
            char *col = g_strdup_printf("%06X", d.color);
            g_key_file_set_string(kf, "slice", "color", col);
            g_free(col);
            guint32 strip_rgb = tsc_slice_strip_get_cell_color(self->strip, self->slice);
            col = g_strdup_printf("%06X", strip_rgb);
            g_key_file_set_string(kf, "slice", "strip-color", col);
            g_free(col);
            g_key_file_set_integer(kf, "slice", "lesions", (int)api->result_n_lesions(r));
        }
        TscViewerImage *shown = tsc_slice_view_get_image(self->view);
        const tsc_result *overlay = tsc_slice_view_get_result(self->view);
        g_key_file_set_boolean(kf, "slice", "overlay", overlay != NULL);
        g_key_file_set_boolean(kf, "slice", "seg-drawn", tsc_slice_view_get_seg_drawn(self->view));
        g_key_file_set_string(kf, "slice", "seg-label", tsc_slice_view_get_seg_label(self->view));
        g_key_file_set_boolean(kf, "slice", "overlay-matches",
                               overlay == NULL || (overlay == r && shown && shown->series == self->series &&
                                                   shown->slice == self->slice));
        graphene_rect_t img, b;
        if (tsc_slice_view_get_image_rect(self->view, &img) &&
            gtk_widget_compute_bounds(GTK_WIDGET(self->view), GTK_WIDGET(self), &b)) {
            TscViewerImage *im = tsc_slice_view_get_image(self->view);
            graphene_rect_t in_win = img;
            in_win.origin.x += b.origin.x;
            in_win.origin.y += b.origin.y;
            put_rect(kf, "geometry", "view", &b);
            put_rect(kf, "geometry", "image", &in_win);
            g_key_file_set_integer(kf, "geometry", "image-cols", im->image->cols);
            g_key_file_set_integer(kf, "geometry", "image-rows", im->image->rows);
            g_key_file_set_integer(kf, "geometry", "image-slice", (int)im->slice);
            double c, w;
            tsc_slice_view_get_window(self->view, &c, &w);
            g_key_file_set_double(kf, "geometry", "window-center", c);
            g_key_file_set_double(kf, "geometry", "window-width", w);
            /* Corner texts and orientation letters, in window pixels, and
             * whether a corner text's lines were cut to fit. */
            static const char *names[TSC_SLICE_VIEW_N_TEXTS] = {
                "text-top-left", "text-top-right", "text-bottom-left", "text-bottom-right",
                "letter-left", "letter-right", "letter-top", "letter-bottom"};
            for (int t = 0; t < TSC_SLICE_VIEW_N_TEXTS; t++) {
                graphene_rect_t tr;
                gboolean cut = FALSE;
                if (!tsc_slice_view_get_text_rect(self->view, (TscSliceViewText)t, &tr, &cut)) continue;
                tr.origin.x += b.origin.x;
                tr.origin.y += b.origin.y;
                put_rect(kf, "geometry", names[t], &tr);
                if (t <= TSC_SLICE_VIEW_TEXT_BOTTOM_RIGHT) {
                    char *key = g_strdup_printf("%s-cut", names[t]);
                    g_key_file_set_boolean(kf, "geometry", key, cut);
                    g_free(key);
                }
            }
        }
        if (gtk_widget_get_visible(self->method_note) &&
            gtk_widget_compute_bounds(self->method_note, GTK_WIDGET(self), &b))
            put_rect(kf, "geometry", "method-note", &b);
        if (gtk_widget_compute_bounds(self->opacity_scale, GTK_WIDGET(self), &b))
            put_rect(kf, "geometry", "opacity-slider", &b);
        if (gtk_widget_compute_bounds(GTK_WIDGET(self->strip), GTK_WIDGET(self), &b)) {
            put_rect(kf, "geometry", "strip", &b);
            if (n) {
                double x0 = b.origin.x + tsc_slice_strip_cell_center(self->strip, 0);
                double x1 = b.origin.x + tsc_slice_strip_cell_center(self->strip, n - 1);
                g_key_file_set_double(kf, "geometry", "strip-first-center", x0);
                g_key_file_set_double(kf, "geometry", "strip-last-center", x1);
            }
        }
    }
    char *tmp = g_strdup_printf("%s.tmp-%d", path, getpid());
    GError *error = NULL;
    if (g_key_file_save_to_file(kf, tmp, &error))
        commit_file(tmp, path);
    else
        g_warning("state: %s", error->message);
    g_clear_error(&error);
    g_free(tmp);
    g_key_file_unref(kf);
}

void tsc_viewer_window_write_state(TscViewerWindow *self, const char *path)
{
    when_idle(self, do_write_state, path);
}

/* ---- scroll benchmark -------------------------------------------------- */

/* CPU time of the calling thread, µs: tells our own work from waiting for
 * a CPU that other processes hold. */
static gint64 thread_cpu_us(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return 0;
    return (gint64)ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void bench_finish(TscViewerWindow *self)
{
    Bench *b = &self->bench;
    GdkFrameClock *clock = gtk_widget_get_frame_clock(GTK_WIDGET(self));
    if (clock && b->paint_handler) g_signal_handler_disconnect(clock, b->paint_handler);
    b->paint_handler = 0;
    b->running = FALSE;
    GArray *l = b->latency_ms;
    double worst = 0, sum = 0;
    for (guint i = 0; i < l->len; i++) {
        double v = g_array_index(l, double, i);
        worst = MAX(worst, v);
        sum += v;
    }
    double cpu_worst = 0, cpu_sum = 0;
    for (guint i = 0; i < b->cpu_ms->len; i++) {
        cpu_worst = MAX(cpu_worst, g_array_index(b->cpu_ms, double, i));
        cpu_sum += g_array_index(b->cpu_ms, double, i);
    }
    double load[3] = {0};
    if (getloadavg(load, 3) < 1) load[0] = -1;
    GString *all = g_string_new(NULL);
    for (guint i = 0; i < l->len; i++)
        g_string_append_printf(all, "%s%.1f", i ? ", " : "", g_array_index(l, double, i));
    GString *all_cpu = g_string_new(NULL);
    for (guint i = 0; i < b->cpu_ms->len; i++)
        g_string_append_printf(all_cpu, "%s%.1f", i ? ", " : "", g_array_index(b->cpu_ms, double, i));
    GArray *sorted = g_array_copy(l);
    g_array_sort(sorted, cmp_double);
    double p50 = sorted->len ? g_array_index(sorted, double, sorted->len / 2) : 0;
    double p95 = sorted->len ? g_array_index(sorted, double, MIN(sorted->len - 1, sorted->len * 95 / 100)) : 0;
    char *json = g_strdup_printf(
        "{\n  \"steps\": %u,\n  \"steps_during_analysis\": %u,\n  \"steps_after_analysis\": %u,\n"
        "  \"analysis_threads\": %d,\n"
        "  \"method\": \"%s\",\n  \"worst_ms\": %.2f,\n  \"p95_ms\": %.2f,\n  \"median_ms\": %.2f,\n"
        "  \"mean_ms\": %.2f,\n  \"main_thread_cpu_worst_ms\": %.2f,\n  \"main_thread_cpu_mean_ms\": %.2f,\n"
        "  \"load_average\": %.2f,\n  \"cache_misses\": %u,\n  \"decode_cache_slices\": %d,\n"
        "  \"step_ms\": [%s],\n  \"step_cpu_ms\": [%s]\n}\n",
        l->len, b->steps_during_analysis, b->steps_after_analysis, tsc_viewer_prefs_get_threads(self->prefs),
        method_name(current_method(self)), worst, p95, p50, l->len ? sum / l->len : 0, cpu_worst,
        b->cpu_ms->len ? cpu_sum / b->cpu_ms->len : 0, load[0], b->misses,
        TSC_VIEWER_CACHE_MAX_SLICES, all->str, all_cpu->str);
    g_string_free(all, TRUE);
    g_string_free(all_cpu, TRUE);
    char *tmp = g_strdup_printf("%s.tmp-%d", b->path, getpid());
    if (g_file_set_contents(tmp, json, -1, NULL)) commit_file(tmp, b->path);
    g_message("scroll benchmark: %u steps (%u during analysis), worst %.1f ms, p95 %.1f ms, median %.1f ms; "
              "main-thread CPU per step: worst %.1f ms; load average %.1f",
              l->len, b->steps_during_analysis, worst, p95, p50, cpu_worst, load[0]);
    g_free(tmp);
    g_free(json);
    g_array_unref(sorted);
    g_array_unref(b->latency_ms);
    b->latency_ms = NULL;
    g_array_unref(b->cpu_ms);
    b->cpu_ms = NULL;
    g_clear_pointer(&b->path, g_free);
}


/* Steps that must follow the end of the analysis: the frames that show the
 * finished series are the most expensive ones, so every run includes them. */
#define BENCH_STEPS_AFTER_ANALYSIS 30

static gboolean bench_step(gpointer data)
{
    TscViewerWindow *self = data;
    Bench *b = &self->bench;
    b->idle_id = 0;
    gsize n = tsc_viewer_study_n_slices(self->study, self->series);
    gboolean analysing = self->series_running >= 0;
    gboolean at_end = b->dir > 0 ? b->target + 1 >= n : b->target == 0;
    if (at_end) {
        /* One pass from the first slice to the last; then back and forth
         * until the analysis has ended and been scrolled past (bounded). */
        gboolean enough = !analysing && b->steps_after_analysis >= BENCH_STEPS_AFTER_ANALYSIS;
        if (enough || n < 2 || b->latency_ms->len >= 20 * n) {
            bench_finish(self);
            return G_SOURCE_REMOVE;
        }
        b->dir = -b->dir;
    }
    b->target = b->dir > 0 ? b->target + 1 : b->target - 1;
    if (analysing) b->steps_during_analysis++;
    else b->steps_after_analysis++;
    b->t0 = g_get_monotonic_time();
    b->cpu0 = thread_cpu_us();
    if (!tsc_viewer_study_has_image(self->study, self->series, b->target)) b->misses++;
    /* The same path as a wheel notch. */
    on_view_step(self, b->dir);
    return G_SOURCE_REMOVE;
}

static void bench_after_paint(GdkFrameClock *clock, gpointer data)
{
    (void)clock;
    TscViewerWindow *self = data;
    Bench *b = &self->bench;
    if (!b->running || b->idle_id) return;
    gint64 when;
    gssize painted = tsc_slice_view_get_painted_slice(self->view, &when);
    if (painted != (gssize)b->target || when < b->t0) return;
    double ms = (g_get_monotonic_time() - b->t0) / 1000.0;
    double cpu = (thread_cpu_us() - b->cpu0) / 1000.0;
    if (b->latency_ms->len || b->target > 0) {
        g_array_append_val(b->latency_ms, ms);
        g_array_append_val(b->cpu_ms, cpu);
    }
    /* The next "event" arrives right away: the fastest a user can scroll. */
    b->idle_id = g_idle_add(bench_step, self);
}

void tsc_viewer_window_benchmark_scroll(TscViewerWindow *self, const char *path)
{
    if (!self->have_series || self->bench.running) return;
    Bench *b = &self->bench;
    GdkFrameClock *clock = gtk_widget_get_frame_clock(GTK_WIDGET(self));
    if (!clock) return;
    b->running = TRUE;
    b->path = g_strdup(path);
    b->latency_ms = g_array_new(FALSE, FALSE, sizeof(double));
    b->cpu_ms = g_array_new(FALSE, FALSE, sizeof(double));
    b->steps_during_analysis = b->steps_after_analysis = 0;
    b->misses = 0;
    b->dir = 1;
    tsc_viewer_window_goto_slice(self, 0);
    tsc_viewer_window_analyze_series(self);
    b->target = 0;
    b->t0 = g_get_monotonic_time();
    b->paint_handler = g_signal_connect(clock, "after-paint", G_CALLBACK(bench_after_paint), self);
    gtk_widget_queue_draw(GTK_WIDGET(self->view));
}

/* ---- setup ------------------------------------------------------------- */

void tsc_viewer_window_show_fatal(TscViewerWindow *self, const char *title, const char *details)
{
    set_issue(self, "abi", GTK_MESSAGE_ERROR, title, details);
    gtk_label_set_text(self->empty_title, "The tumorscope plugin cannot be used");
    gtk_label_set_text(self->empty_subtitle, title);
    gtk_widget_set_visible(self->empty_button, FALSE);
    gtk_stack_set_visible_child_name(self->view_stack, "empty");
    gtk_widget_set_visible(GTK_WIDGET(self->findings), FALSE);
    refresh_sensitivity(self);
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
    set_issue(self, "analysis", 0, NULL, NULL);
    refresh_scope(self);
    tsc_findings_panel_invalidate(self->findings);
    refresh_all(self);
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
    static const char *view_props[] = {"show-overlay", "overlay-outline", "opacity", "show-heatmap",
                                       "show-corner-text", "analyze-on-click"};
    for (size_t i = 0; i < G_N_ELEMENTS(view_props); i++)
        g_object_bind_property(self->prefs, view_props[i], self->view, view_props[i], f);
    g_object_bind_property(self->prefs, "show-overlay", self->overlay_switch, "active", bi);
    g_object_bind_property(self->prefs, "overlay-outline", self->outline_switch, "active", bi);
    g_object_bind_property(self->prefs, "show-heatmap", self->heatmap_switch, "active", bi);
    g_object_bind_property(self->prefs, "show-corner-text", self->corner_switch, "active", bi);
    g_object_bind_property(self->prefs, "analyze-on-click", self->click_switch, "active", bi);
    g_object_bind_property(self->prefs, "show-seg", self->view, "show-seg", f);
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
    TscViewerWindow *self = g_object_new(TSC_TYPE_VIEWER_WINDOW, "application", app, NULL);
    self->app = app;
    self->prefs = g_object_ref(tsc_viewer_app_get_prefs(app));
    bind_prefs(self);
    /* Scripts and tests choose the size users have ("1280x720"); GTK 4 has
     * no way to resize a shown window, so it is read before the first show. */
    const char *size = g_getenv("TSC_VIEWER_WINDOW_SIZE");
    int width = 0, height = 0;
    if (size && sscanf(size, "%dx%d", &width, &height) == 2 && width > 0 && height > 0)
        gtk_window_set_default_size(GTK_WINDOW(self), width, height);
    gtk_menu_button_set_menu_model(self->recent_button, tsc_viewer_app_get_recent_menu(app));
    refresh_model_label(self);
    refresh_progress(self);
    const GError *e = tsc_viewer_app_get_model_error(app);
    if (e) tsc_viewer_window_model_changed(self);
    return self;
}

static void tsc_viewer_window_dispose(GObject *object)
{
    TscViewerWindow *self = TSC_VIEWER_WINDOW(object);
    self->gen++;
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
    if (self->open_cancellable) g_cancellable_cancel(self->open_cancellable);
    if (self->work_cancellable) g_cancellable_cancel(self->work_cancellable);
    if (self->series_cancellable) g_cancellable_cancel(self->series_cancellable);
    if (self->export_cancellable) g_cancellable_cancel(self->export_cancellable);
    g_clear_object(&self->export_cancellable);
    g_clear_object(&self->open_cancellable);
    g_clear_object(&self->work_cancellable);
    g_clear_object(&self->series_cancellable);
    g_clear_object(&self->study);
    g_clear_object(&self->prefs);
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
    g_hash_table_unref(self->issues);
    g_queue_clear_full(&self->deferred, deferred_free);
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
    gtk_widget_class_set_template_from_resource(wc, "/org/tumorscope/Viewer/viewer_window.ui");
#define CHILD(name) gtk_widget_class_bind_template_child(wc, TscViewerWindow, name)
    CHILD(header);
    CHILD(recent_button);
    CHILD(title_label);
    CHILD(subtitle_label);
    CHILD(info_bar);
    CHILD(info_title);
    CHILD(info_details);
    CHILD(info_expander);
    CHILD(info_open_folder);
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
    CHILD(analyze_slice_button);
    CHILD(analyze_series_button);
    CHILD(export_button);
    CHILD(preset_box);
    CHILD(work_box);
    CHILD(work_label);
    CHILD(work_bar);
    CHILD(studies_pane);
    CHILD(side_pane);
    CHILD(studies_toggle);
    CHILD(findings_toggle);
#undef CHILD
    gtk_widget_class_bind_template_callback(wc, on_info_response);
    gtk_widget_class_bind_template_callback(wc, on_series_selected);
    gtk_widget_class_bind_template_callback(wc, on_view_step);
    gtk_widget_class_bind_template_callback(wc, on_view_clicked);
    gtk_widget_class_bind_template_callback(wc, on_strip_selected);

    /* Single-key shortcuts live on the window (bubble phase), not as
     * application accelerators (capture phase), so that they never steal
     * keys from a focused entry or list. */
    gtk_widget_class_add_binding_action(wc, GDK_KEY_space, 0, "app.analyze-slice", NULL);
    gtk_widget_class_add_binding_action(wc, GDK_KEY_Escape, 0, "app.cancel", NULL);
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
        GPropertyAction *pa = g_property_action_new(panel_props[i], self, panel_props[i]);
        g_action_map_add_action(G_ACTION_MAP(self), G_ACTION(pa));
        g_object_unref(pa);
    }
    self->decoding = g_hash_table_new(g_direct_hash, g_direct_equal);
    GtkListItemFactory *mf = gtk_signal_list_item_factory_new();
    g_signal_connect(mf, "setup", G_CALLBACK(method_item_setup), NULL);
    g_signal_connect(mf, "bind", G_CALLBACK(method_item_bind), NULL);
    gtk_drop_down_set_list_factory(self->method_dropdown, mf);
    g_object_unref(mf);
    g_signal_connect(self->method_dropdown, "notify::selected", G_CALLBACK(on_method_note), self);
    GtkEventController *keys = gtk_event_controller_key_new();
    gtk_event_controller_set_propagation_phase(keys, GTK_PHASE_CAPTURE);
    g_signal_connect(keys, "key-pressed", G_CALLBACK(on_nav_key), self);
    gtk_widget_add_controller(GTK_WIDGET(self), keys);
    self->analysing = g_hash_table_new(g_direct_hash, g_direct_equal);
    self->issues = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, issue_free);
    self->work_cancellable = g_cancellable_new();
    self->export_cancellable = g_cancellable_new();
    self->series_running = -1;
    g_signal_connect(self->info_open_folder, "clicked", G_CALLBACK(on_open_folder_clicked), self);
    g_signal_connect(self->toast_open_folder, "clicked", G_CALLBACK(on_open_folder_clicked), self);
    g_signal_connect(self->toast_close, "clicked", G_CALLBACK(on_toast_close), self);

    GtkDropTarget *drop = gtk_drop_target_new(GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
    g_signal_connect(drop, "drop", G_CALLBACK(on_drop), self);
    gtk_widget_add_controller(GTK_WIDGET(self), GTK_EVENT_CONTROLLER(drop));
    gtk_stack_set_visible_child_name(self->view_stack, "empty");
    gtk_widget_set_visible(GTK_WIDGET(self->findings), FALSE);
    refresh_sensitivity(self);
}
