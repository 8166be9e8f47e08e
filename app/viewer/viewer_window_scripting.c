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
#include "viewer_window_compare.h"
#include "viewer_window_pacs.h"
#include "viewer_window_tags.h"

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
    if (!_tsc_viewer_window_compare_idle(GTK_WIDGET(self))) return FALSE;
    if (!self->have_series) return TRUE;
    if (self->decode_error) return TRUE;
    TscViewerImage *im = tsc_slice_view_get_image(self->view);
    return im && im->series == self->series && im->slice == self->slice;
}

static void on_after_paint(GdkFrameClock *clock, gpointer data)
{
    IdleWait *w = data;
    g_signal_handler_disconnect(clock, w->paint_handler);
    g_autoptr(TscViewerWindow) self = g_weak_ref_get(&w->win);
    if (self) w->fn(self, w->path);
    idle_wait_free(w);
}

static gboolean poll_idle(gpointer data)
{
    IdleWait *w = data;
    g_autoptr(TscViewerWindow) self = g_weak_ref_get(&w->win);
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
    if (!settled && now < w->deadline) return G_SOURCE_CONTINUE;
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
gboolean _tsc_viewer_window_commit_file(const char *tmp, const char *path)
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
        g_autoptr(GtkWindow) win = g_list_model_get_item(list, i);
        if (gtk_window_get_transient_for(win) == GTK_WINDOW(self) && gtk_widget_get_visible(GTK_WIDGET(win)) &&
            gtk_widget_get_mapped(GTK_WIDGET(win)))
            top = GTK_WIDGET(win); /* still held by GTK's list of toplevels */
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
    g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new(w);
    GtkSnapshot *snapshot = gtk_snapshot_new();
    gdk_paintable_snapshot(paintable, GDK_SNAPSHOT(snapshot), width, height);
    g_autoptr(GskRenderNode) node = gtk_snapshot_free_to_node(snapshot);
    if (!node) {
        g_warning("screenshot: nothing to render");
        return;
    }
    g_autoptr(GdkTexture) texture =
        gsk_renderer_render_texture(renderer, node, &GRAPHENE_RECT_INIT(0, 0, width, height));
    g_autofree char *tmp = g_strdup_printf("%s.tmp-%d.png", path, getpid());
    if (gdk_texture_save_to_png(texture, tmp))
        _tsc_viewer_window_commit_file(tmp, path);
    else
        g_warning("screenshot: could not write %s", path);
    g_info("screenshot %dx%d written", width, height);
}

void tsc_viewer_window_screenshot(TscViewerWindow *self, const char *path)
{
    g_return_if_fail(TSC_IS_VIEWER_WINDOW(self));
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

/* A result's description, as every view of it shows it. */
static void set_description(GKeyFile *kf, const char *group, const tsc_description *d)
{
    g_key_file_set_string(kf, group, "verdict", tsc_viewer_api()->verdict_to_string(d->verdict));
    g_key_file_set_string(kf, group, "label", d->label);
    g_key_file_set_string(kf, group, "reason", d->reason);
    g_key_file_set_string(kf, group, "scope-warning", d->scope_warning);
}

/* The state tests and scripts poll: geometry in window coordinates (those
 * of the screenshot), verdicts per slice, errors.  No patient identifiers. */
static void do_write_state(TscViewerWindow *self, const char *path)
{
    const tsc_plugin_api *api = self->app && !tsc_viewer_app_get_api_error(self->app) ? tsc_viewer_api() : NULL;
    g_autoptr(GKeyFile) kf = g_key_file_new();
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
    g_autofree char *issues = tsc_issue_bar_dup_summary(self->issue_bar);
    g_key_file_set_string(kf, "viewer", "issues", issues);
    g_key_file_set_string(kf, "viewer", "issue-details",
                          tsc_issue_bar_get_details(self->issue_bar));
    g_key_file_set_boolean(kf, "viewer", "info-bar-revealed", tsc_issue_bar_get_revealed(self->issue_bar));
    {
        GtkMessageType t = tsc_issue_bar_get_message_type(self->issue_bar);
        g_key_file_set_string(kf, "viewer", "info-bar-type",
                              t == GTK_MESSAGE_ERROR     ? "error"
                              : t == GTK_MESSAGE_WARNING ? "warning"
                                                         : "info");
    }
    g_key_file_set_boolean(kf, "viewer", "toast-revealed", gtk_revealer_get_reveal_child(self->toast_revealer));
    g_key_file_set_string(kf, "viewer", "toast", gtk_label_get_text(self->toast_label));
    g_key_file_set_boolean(kf, "viewer", "study-loaded", self->study != NULL);
    /* The header's Open follows win.open-folder's enabled state. */
    g_key_file_set_boolean(kf, "viewer", "open-enabled",
                           gtk_widget_get_sensitive(self->open_button));
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
        g_autoptr(GString) shown = g_string_new(NULL);
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
            g_autofree char *key = g_strdup_printf("series-%zu", s);
            g_autofree char *val = g_strdup_printf("%zu slices; %s", si->n_slices, si->description);
            g_key_file_set_string(kf, "study", key, val);
            /* The name as the browser shows it: cut or whole, and its tooltip. */
            g_autofree char *cut_key = g_strdup_printf("series-%zu-name-cut", s);
            g_key_file_set_boolean(kf, "study", cut_key,
                                   tsc_series_browser_get_title_cut(self->browser, s));
            g_autofree char *tip_key = g_strdup_printf("series-%zu-tooltip", s);
            g_key_file_set_string(kf, "study", tip_key,
                                  tsc_series_browser_get_title_tooltip(self->browser, s));
        }
    }
    if (api && self->have_series) {
        int method = current_method(self);
        gsize n = tsc_viewer_study_n_slices(self->study, self->series);
        g_key_file_set_integer(kf, "series", "index", (int)self->series);
        g_key_file_set_integer(kf, "series", "slice", (int)self->slice);
        g_key_file_set_integer(kf, "series", "slices", (int)n);
        g_autoptr(GString) verdicts = g_string_new(NULL);
        g_autoptr(GString) colors = g_string_new(NULL);
        for (gsize i = 0; i < n; i++) {
            gboolean from_store = FALSE;
            const tsc_result *r = tsc_viewer_study_get_shown_result(self->study, method,
                                                                    self->series, i, &from_store);
            char ch = '-';
            if (r) {
                tsc_description d;
                tsc_viewer_describe_result(model_shown(self, method, from_store), r, &d);
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
            g_autoptr(GString) seg = g_string_new(NULL);
            for (gsize i = 0; i < n; i++)
                g_string_append_c(seg, i < self->seg->n_slices && self->seg->masks[i] ? 'S' : '-');
            g_key_file_set_string(kf, "series", "seg-slices", seg->str);
            g_key_file_set_string(kf, "series", "seg-label", self->seg->label);
        }
        g_key_file_set_string(
            kf, "series", "stored-report",
            tsc_findings_panel_get_text(self->findings, TSC_FINDINGS_TEXT_STORED));
        g_key_file_set_string(kf, "series", "colors", colors->str);
        g_key_file_set_boolean(kf, "series", "in-scope", self->scope.in_scope);
        g_key_file_set_string(kf, "series", "scope-reason", self->scope.reason);
        g_key_file_set_boolean(kf, "series", "force-scope", tsc_viewer_prefs_get_force_scope(self->prefs));
        gboolean stored = FALSE;
        const tsc_series_result *sr =
            tsc_viewer_study_get_shown_series_result(self->study, method, self->series, &stored);
        g_key_file_set_boolean(kf, "series", "analysed", sr != NULL);
        /* A result stored with the study, shown as this series' result. */
        g_key_file_set_boolean(kf, "series", "stored", stored);
        const TscViewerStored *st = tsc_viewer_study_get_stored(self->study, self->series);
        g_key_file_set_boolean(kf, "series", "stored-ours", st && st->result);
        g_key_file_set_string(kf, "series", "stored-note", st ? st->info.note : "");
        g_key_file_set_string(kf, "series", "stored-provenance", st ? st->provenance : "");
        if (st) {
            g_key_file_set_integer(kf, "series", "stored-report-lesions",
                                   (int)st->info.report_lesions);
            g_key_file_set_double(kf, "series", "stored-report-volume-ml",
                                  st->info.report_volume_ml);
        }
        if (sr) {
            tsc_description d;
            tsc_viewer_describe_series(model_shown(self, method, stored), sr, &d);
            set_description(kf, "series", &d);
            g_key_file_set_double(kf, "series", "volume-ml", api->series_result_get_volume_ml(sr));
            /* Lesions per slice, summed (what an SR lists, one group each), and in 3D. */
            gsize lesions = 0;
            for (gsize i = 0; i < api->series_result_n_slices(sr); i++) {
                const tsc_result *r = api->series_result_get_slice(sr, i);
                if (r && api->result_get_verdict(r) == TSC_VERDICT_TUMOR)
                    lesions += api->result_n_lesions(r);
            }
            g_key_file_set_integer(kf, "series", "slice-lesions", (int)lesions);
            g_key_file_set_integer(kf, "series", "lesions3d",
                                   (int)api->series_result_n_lesions3d(sr));
            size_t key = api->series_result_get_key_slice(sr);
            g_key_file_set_integer(kf, "series", "key-slice", key == (size_t)-1 ? -1 : (int)key);
        }
        /* What is on screen, read back from the widgets. */
        static const struct {
            const char *key;
            TscFindingsText text;
        } panel_texts[] = {
            {"scope", TSC_FINDINGS_TEXT_SCOPE},
            {"slice-status", TSC_FINDINGS_TEXT_SLICE_STATUS},
            {"slice-verdict", TSC_FINDINGS_TEXT_SLICE_VERDICT},
            {"slice-scope", TSC_FINDINGS_TEXT_SLICE_SCOPE},
            {"series-verdict", TSC_FINDINGS_TEXT_SERIES_VERDICT},
            {"key-slice", TSC_FINDINGS_TEXT_KEY_SLICE},
            {"provenance", TSC_FINDINGS_TEXT_PROVENANCE},
            {"edits", TSC_FINDINGS_TEXT_EDITS},
        };
        for (size_t i = 0; i < G_N_ELEMENTS(panel_texts); i++)
            g_key_file_set_string(kf, "panel", panel_texts[i].key,
                                  tsc_findings_panel_get_text(self->findings, panel_texts[i].text));
        g_key_file_set_integer(kf, "panel", "lesions", tsc_findings_panel_n_lesions_shown(self->findings));
        g_key_file_set_string(kf, "panel", "badge", tsc_series_browser_get_badge(self->browser, self->series));
        g_key_file_set_boolean(kf, "panel", "analyse-sensitive",
                               gtk_widget_get_sensitive(self->analyze_slice_button));
        if (n) {
            g_autofree char *tip = tsc_slice_strip_dup_tooltip(self->strip, self->slice);
            g_key_file_set_string(kf, "slice", "tooltip", tip);
        }
        gboolean slice_stored = FALSE;
        const tsc_result *r = tsc_viewer_study_get_shown_result(self->study, method, self->series,
                                                                self->slice, &slice_stored);
        g_key_file_set_boolean(kf, "slice", "analysed", r != NULL);
        g_key_file_set_boolean(kf, "slice", "stored", slice_stored);
        if (r) {
            tsc_description d;
            tsc_viewer_describe_result(model_shown(self, method, slice_stored), r, &d);
            set_description(kf, "slice", &d);
            g_autofree char *col = g_strdup_printf("%06X", d.color);
            g_key_file_set_string(kf, "slice", "color", col);
            g_autofree char *strip_col =
                g_strdup_printf("%06X", tsc_slice_strip_get_cell_color(self->strip, self->slice));
            g_key_file_set_string(kf, "slice", "strip-color", strip_col);
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
                    g_autofree char *key = g_strdup_printf("%s-cut", names[t]);
                    g_key_file_set_boolean(kf, "geometry", key, cut);
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
    _tsc_viewer_window_write_pacs_state(GTK_WIDGET(self), kf);
    _tsc_viewer_window_write_tags_state(GTK_WIDGET(self), kf);
    _tsc_viewer_window_write_compare_state(GTK_WIDGET(self), kf);
    _tsc_viewer_window_write_tools_state(self, kf);
    _tsc_viewer_window_write_edits_state(self, kf);
    g_autofree char *tmp = g_strdup_printf("%s.tmp-%d", path, getpid());
    g_autoptr(GError) error = NULL;
    if (g_key_file_save_to_file(kf, tmp, &error))
        _tsc_viewer_window_commit_file(tmp, path);
    else g_warning("state: %s", error->message);
}

void tsc_viewer_window_write_state(TscViewerWindow *self, const char *path)
{
    g_return_if_fail(TSC_IS_VIEWER_WINDOW(self));
    when_idle(self, do_write_state, path);
}
