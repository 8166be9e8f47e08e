/* SPDX-License-Identifier: BSD-3-Clause */
/* The reader's corrections of the series on screen: reject a lesion with a
 * reason (win.reject-lesion), brush and eraser strokes (win.tool "brush" /
 * "eraser", win.brush-radius, win.brush-class, win.edit-stroke), undo and
 * redo (win.undo-edit, win.redo-edit).
 *
 * The edits are an ordered list replayed by the plugin on the series'
 * analysis (series_result_apply_edits), which this file keeps: the edited
 * result replaces the analysis in the study, so the overlay, the findings,
 * the strip and the exports all show it, and undo is replaying one edit
 * fewer.  A replay measures the whole series again, so it runs on the
 * ANALYSIS pool; strokes made meanwhile are replayed together once it lands.
 * After each change the list is saved beside the exports (never in the
 * study) under the series' UID-keyed name, and it is restored from there
 * when the series is analysed again. */
#define G_LOG_DOMAIN "tsc-viewer-window"
#include "viewer_window-private.h"

#include <glib/gstdio.h>

#include "viewer_edits_file.h"
#include "viewer_pool.h"

/* The edits of one series of the study on screen, for one method. */
struct _TscViewerEdits {
    guint id; /* a landing replay finds its edits by it, not by address */
    int method;
    gsize series;
    TscViewerSeriesRef *original;   /* the analysis the edits replay on */
    const tsc_series_result *shown; /* what is in the study: the original or the last replay */
    /* A reference on `shown`, so that its address is not reused by a later
     * result while these edits compare against it. */
    TscViewerSeriesRef *shown_ref;
    GPtrArray *list;                /* TscViewerEdit; those past n_applied are the redo */
    guint n_applied;
    GPtrArray *good; /* TscViewerEdit: the edits `shown` was measured with */
    /* Bumped by every change of the list or of n_applied: a replay of an
     * older state is stale when it lands. */
    guint change;
    gboolean running; /* a replay is on the worker */
    /* The saved edits' first replay is pending: a failure refuses the file,
     * and changes made meanwhile are saved when it lands. */
    gboolean restoring, unsaved;
    char *restored_note;
    char *editor; /* who made them: the saved file's, then whoever edits next */
    char *note;   /* what the restore said ("" when nothing) */
    /* A saved file was refused: it is moved aside, not overwritten, when
     * these edits are first saved. */
    gboolean keep_refused;
};

static void edits_free(TscViewerEdits *ed)
{
    if (!ed) return;
    if (ed->original) tsc_viewer_series_ref_release(ed->original);
    if (ed->shown_ref) tsc_viewer_series_ref_release(ed->shown_ref);
    g_ptr_array_unref(ed->list);
    g_ptr_array_unref(ed->good);
    g_free(ed->restored_note);
    g_free(ed->editor);
    g_free(ed->note);
    g_free(ed);
}

void _tsc_viewer_window_edits_dispose(TscViewerWindow *self)
{
    g_clear_pointer(&self->edits, g_hash_table_unref);
    g_clear_pointer(&self->brush_classes, g_strfreev);
}

/* Who edits: the name set in the preferences, else the desktop's. */
static char *dup_editor(TscViewerWindow *self)
{
    g_autofree char *pref = NULL;
    g_object_get(self->prefs, "editor-name", &pref, NULL);
    if (pref && *pref) return g_steal_pointer(&pref);
    const char *real = g_get_real_name();
    return g_strdup(real && *real && g_strcmp0(real, "Unknown") != 0 ? real : g_get_user_name());
}

/* What the analysis of series `series` was made on, as the edits file
 * states it. */
static tsc_edit_file_info current_info(TscViewerWindow *self, int method, gsize series,
                                       char *model_buf, gsize size)
{
    return tsc_viewer_api()->study_edit_info(model_for(self, method), (tsc_method)method,
                                             tsc_viewer_study_get_index(self->study), series,
                                             model_buf, size);
}

/* The edits file of a series of the study on screen, in the export folder. */
static char *edits_path(TscViewerWindow *self, const tsc_edit_file_info *in)
{
    g_autofree char *dir = tsc_viewer_prefs_dup_export_folder(self->prefs);
    return tsc_viewer_edits_file_path(dir, in);
}

static void save_edits(TscViewerWindow *self, TscViewerEdits *ed)
{
    if (ed->restoring) {
        /* The saved edits are still being replayed: saving now would write
         * over a file that may yet be refused. */
        ed->unsaved = TRUE;
        return;
    }
    ed->unsaved = FALSE;
    const tsc_plugin_api *api = tsc_viewer_api();
    char model_buf[256];
    tsc_edit_file_info in = current_info(self, ed->method, ed->series, model_buf, sizeof model_buf);
    in.editor = ed->editor;
    g_autofree char *path = edits_path(self, &in);
    g_autofree char *dir = g_path_get_dirname(path);
    g_autofree const tsc_edit **list = g_new0(const tsc_edit *, ed->n_applied + 1);
    for (guint i = 0; i < ed->n_applied; i++)
        list[i] = tsc_viewer_edit_get(g_ptr_array_index(ed->list, i));
    tsc_error err = {0};
    if (ed->keep_refused && g_file_test(path, G_FILE_TEST_EXISTS)) {
        g_autoptr(GDateTime) now = g_date_time_new_now_local();
        g_autofree char *stamp = g_date_time_format(now, "%Y%m%d-%H%M%S");
        g_autofree char *stem =
            g_strndup(path, strlen(path) - (g_str_has_suffix(path, ".json") ? 5 : 0));
        g_autofree char *aside = g_strdup_printf("%s.not-applied-%s.json", stem, stamp);
        if (g_rename(path, aside) != 0) {
            _tsc_viewer_window_show_toast(self,
                                          "The edits were not saved: the earlier edits file, made "
                                          "on another analysis, could not be kept aside",
                                          FALSE);
            return;
        }
        g_autofree char *base = g_path_get_basename(aside);
        g_autofree char *text =
            g_strdup_printf("The earlier edits (made on another analysis) are kept as %s", base);
        _tsc_viewer_window_show_toast(self, text, FALSE);
    }
    ed->keep_refused = FALSE;
    if (g_mkdir_with_parents(dir, 0755) != 0 ||
        api->study_edit_save(path, &in, model_for(self, ed->method), list, ed->n_applied,
                             tsc_viewer_study_get_index(self->study), ed->series, &err) != TSC_OK) {
        g_autofree char *text = g_strdup_printf(
            "The edits could not be saved in %s: %s", dir,
            g_file_test(dir, G_FILE_TEST_IS_DIR) ? err.message : "the folder cannot be made");
        _tsc_viewer_window_show_toast(self, text, FALSE);
        return;
    }
    g_info("edits of series %zu saved (%u)", ed->series, ed->n_applied);
}

/* ---- measuring again off the main thread --------------------------------- */

/* One replay: copies of the edits, a reference on the unedited result. */
typedef struct {
    Ctx *ctx;
    guint edits_id, change;
    GPtrArray *edits; /* TscViewerEdit */
    TscViewerSeriesRef *original;
    char *editor;
    /* The application keeps the model until the pools are shut down. */
    const tsc_model *model;
    tsc_series_result *out;
    char *error;
    double ms;
} Replay;

static void replay_free(gpointer p)
{
    Replay *r = p;
    ctx_free(r->ctx);
    g_clear_pointer(&r->edits, g_ptr_array_unref);
    tsc_viewer_series_ref_release(r->original);
    g_free(r->editor);
    if (r->out) tsc_viewer_api()->series_result_free(r->out);
    g_free(r->error);
    g_free(r);
}

static void replay_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
    (void)source;
    (void)cancellable;
    Replay *r = data;
    tsc_error err;
    gint64 t0 = g_get_monotonic_time();
    if (tsc_viewer_edits_replay(r->model, r->original->result, r->edits, r->edits->len, r->editor,
                                &r->out, &err) != TSC_OK)
        r->error = g_strdup(err.message);
    r->ms = (g_get_monotonic_time() - t0) / 1000.0;
    g_task_return_boolean(task, TRUE);
}

static void on_replayed(GObject *source, GAsyncResult *res, gpointer data);

static GPtrArray *copy_edits(GPtrArray *from, guint n)
{
    GPtrArray *to = g_ptr_array_new_full(n, tsc_viewer_edit_free);
    for (guint i = 0; i < n; i++)
        g_ptr_array_add(to, tsc_viewer_edit_copy(tsc_viewer_edit_get(g_ptr_array_index(from, i))));
    return to;
}

static void start_replay(TscViewerWindow *self, TscViewerEdits *ed)
{
    Replay *r = g_new0(Replay, 1);
    r->ctx = ctx_new(self, ed->method, ed->series, 0);
    r->edits_id = ed->id;
    r->change = ed->change;
    r->edits = copy_edits(ed->list, ed->n_applied);
    r->original = tsc_viewer_series_ref_acquire(ed->original);
    r->editor = g_strdup(ed->editor);
    r->model = model_for(self, ed->method);
    ed->running = TRUE;
    /* The callback frees the replay, on the main thread: it may hold the
     * last reference on a study closed meanwhile. */
    g_autoptr(GTask) task = g_task_new(NULL, NULL, on_replayed, r);
    g_task_set_source_tag(task, start_replay);
    g_task_set_task_data(task, r, NULL);
    tsc_viewer_pool_run(TSC_VIEWER_POOL_ANALYSIS, task, replay_thread);
}

/* The list changed: measure it again (once the running replay, if any, has
 * landed), and save it. */
static void changed(TscViewerWindow *self, TscViewerEdits *ed)
{
    ed->change++;
    if (!ed->running) start_replay(self, ed);
    save_edits(self, ed);
    _tsc_viewer_window_refresh_findings(self);
    _tsc_viewer_window_refresh_progress(self);
}

/* The edits a landing replay was for, if the window still shows their study
 * and the series still has the analysis they were started on. */
static TscViewerEdits *replay_edits(TscViewerWindow *self, Replay *r)
{
    if (!self->edits || self->edits_gen != self->gen) return NULL;
    TscViewerEdits *ed =
        g_hash_table_lookup(self->edits, slice_key(r->ctx->method, r->ctx->series, 0));
    if (!ed || ed->id != r->edits_id) return NULL;
    /* Analysed again meanwhile: these edits are replaced when next looked up. */
    if (tsc_viewer_study_get_series_result(self->study, ed->method, ed->series) != ed->shown)
        return NULL;
    return ed;
}

/* A replay failed: the list goes back to what is shown, and it is said. */
static void replay_failed(TscViewerWindow *self, TscViewerEdits *ed, const char *why)
{
    g_ptr_array_unref(ed->list);
    ed->list = copy_edits(ed->good, ed->good->len);
    ed->n_applied = ed->good->len;
    ed->change++;
    if (ed->restoring) {
        /* The saved edits do not apply to this analysis: refused, and the
         * file is kept aside at the next save. */
        ed->restoring = ed->unsaved = FALSE;
        g_free(ed->note);
        ed->note = tsc_viewer_edits_refused_note(why);
        ed->keep_refused = TRUE;
        _tsc_viewer_window_show_toast(self, ed->note, FALSE);
        return;
    }
    g_autofree char *text = g_strdup_printf("Edit not applied: %s", why);
    _tsc_viewer_window_show_toast(self, text, FALSE);
    save_edits(self, ed);
}

static void replay_landed(TscViewerWindow *self, Replay *r)
{
    TscViewerEdits *ed = replay_edits(self, r);
    if (!ed) return; /* another study or analysed again: dropped */
    ed->running = FALSE;
    if (r->change != ed->change) {
        /* Edited again meanwhile: this one is out of date. */
        g_debug("series %zu: a replay of %u edit(s) landed out of date", ed->series, r->edits->len);
        start_replay(self, ed);
        return;
    }
    if (r->error) {
        replay_failed(self, ed, r->error);
        _tsc_viewer_window_refresh_findings(self);
        _tsc_viewer_window_refresh_progress(self);
        return;
    }
    g_info("series %zu measured again after %u edit(s) in %.1f ms", ed->series, r->edits->len,
           r->ms);
    g_ptr_array_unref(ed->good);
    ed->good = g_steal_pointer(&r->edits);
    ed->shown = r->out;
    tsc_viewer_study_take_series_result(self->study, ed->method, ed->series,
                                        g_steal_pointer(&r->out));
    if (ed->shown_ref) tsc_viewer_series_ref_release(ed->shown_ref);
    ed->shown_ref = tsc_viewer_study_ref_series_result(self->study, ed->method, ed->series);
    if (ed->restoring) {
        ed->restoring = FALSE;
        g_free(ed->note);
        ed->note = g_steal_pointer(&ed->restored_note);
        _tsc_viewer_window_show_toast(self, ed->note, FALSE);
        g_info("series %zu: saved edits restored", ed->series);
        if (ed->unsaved) save_edits(self, ed);
    }
    _tsc_viewer_window_refresh_all(self);
}

static void on_replayed(GObject *source, GAsyncResult *res, gpointer data)
{
    (void)source;
    (void)res;
    Replay *r = data;
    TscViewerWindow *self = ctx_window(r->ctx);
    if (self) {
        replay_landed(self, r);
        /* Script commands that waited for the measuring (must_wait), also
         * when the result was dropped. */
        _tsc_viewer_window_replay_deferred(self);
    }
    replay_free(r);
    g_clear_object(&self);
}

static void keep_edit(const tsc_edit *e, gpointer data)
{
    g_ptr_array_add(((TscViewerEdits *)data)->list, tsc_viewer_edit_copy(e));
}

/* The saved edits of the series, when there are any and they were made on
 * this analysis (they stay on the list for undo), replayed; what happened
 * is kept in ed->note once known. */
static void restore(TscViewerWindow *self, TscViewerEdits *ed)
{
    g_autofree char *dir = tsc_viewer_prefs_dup_export_folder(self->prefs);
    TscViewerEditsApplied got;
    if (!tsc_viewer_edits_file_read(dir, model_for(self, ed->method), ed->method,
                                    tsc_viewer_study_get_index(self->study), ed->series, keep_edit,
                                    ed, &got))
        return;
    ed->keep_refused = got.refused;
    if (got.editor) {
        g_free(ed->editor);
        ed->editor = g_steal_pointer(&got.editor);
    }
    ed->n_applied = (guint)got.n_edits;
    if (!got.n_edits) {
        /* Refused, or nothing left to replay: nothing to undo either. */
        g_ptr_array_set_size(ed->list, 0);
        ed->note = g_steal_pointer(&got.note);
        _tsc_viewer_window_show_toast(self, ed->note, FALSE);
    } else {
        ed->restoring = TRUE;
        ed->restored_note = g_steal_pointer(&got.note);
        ed->change++;
        start_replay(self, ed);
        _tsc_viewer_window_refresh_progress(self);
    }
    tsc_viewer_edits_applied_clear(&got);
}

/* The edits of the series on screen (kept per method and series of the
 * study on screen), started, and restored from their file, when the series
 * has a new analysis; NULL when it has no analysis of its own. */
static TscViewerEdits *current_edits(TscViewerWindow *self, gboolean say)
{
    if (!self->have_series || !TSC_PLUGIN_HAS(tsc_viewer_api(), study_edit_resolve)) return NULL;
    int method = current_method(self);
    const tsc_series_result *sr =
        tsc_viewer_study_get_series_result(self->study, method, self->series);
    if (!sr) {
        if (say)
            _tsc_viewer_window_show_toast(
                self, "Analyse the whole series first: edits correct a series' result", FALSE);
        return NULL;
    }
    if (!self->edits || self->edits_gen != self->gen) {
        g_clear_pointer(&self->edits, g_hash_table_unref);
        self->edits = g_hash_table_new_full(NULL, NULL, NULL, (GDestroyNotify)edits_free);
        self->edits_gen = self->gen;
    }
    gpointer key = slice_key(method, self->series, 0);
    TscViewerEdits *ed = g_hash_table_lookup(self->edits, key);
    if (ed && sr == ed->shown) return ed;
    /* New, or the series was analysed again: the edits replay on the new
     * analysis if their file says they were made on the same model. */
    static guint next_id;
    ed = g_new0(TscViewerEdits, 1);
    ed->id = ++next_id;
    ed->method = method;
    ed->series = self->series;
    ed->list = g_ptr_array_new_with_free_func(tsc_viewer_edit_free);
    ed->good = g_ptr_array_new_with_free_func(tsc_viewer_edit_free);
    ed->original = tsc_viewer_study_ref_series_result(self->study, method, self->series);
    ed->shown = sr;
    ed->shown_ref = tsc_viewer_series_ref_acquire(ed->original);
    g_hash_table_replace(self->edits, key, ed);
    restore(self, ed);
    return ed;
}

/* A new edit: the redo beyond it is dropped. */
static void push(TscViewerWindow *self, const tsc_edit *e)
{
    TscViewerEdits *ed = current_edits(self, TRUE);
    if (!ed) return;
    g_ptr_array_set_size(ed->list, ed->n_applied);
    g_ptr_array_add(ed->list, tsc_viewer_edit_copy(e));
    ed->n_applied++;
    g_free(ed->editor);
    ed->editor = dup_editor(self);
    changed(self, ed);
}

/* The analysis lesion behind lesion `number` (from 1) as the findings list it. */
static gboolean lesion_index(TscViewerWindow *self, int number, size_t *index)
{
    const tsc_plugin_api *api = tsc_viewer_api();
    const tsc_series_result *sr =
        tsc_viewer_study_get_series_result(self->study, current_method(self), self->series);
    if (!sr || number < 1 || (size_t)number > api->series_result_n_lesions3d(sr)) {
        _tsc_viewer_window_show_toast(self, "No such lesion in the findings", FALSE);
        return FALSE;
    }
    *index = api->series_result_get_lesion3d_origin(sr, (size_t)number - 1);
    if (*index == (size_t)-1) {
        _tsc_viewer_window_show_toast(
            self, "That lesion was painted by the reader: erase it, or undo the strokes", FALSE);
        return FALSE;
    }
    return TRUE;
}

static void win_reject_lesion(GtkWidget *widget, const char *name, GVariant *p)
{
    TscViewerWindow *self = TSC_VIEWER_WINDOW(widget);
    if (tsc_viewer_window_defer(self, name, p)) return;
    int number = 0;
    const char *reason = NULL;
    g_variant_get(p, "(i&s)", &number, &reason);
    if (!current_edits(self, TRUE)) return;
    tsc_edit e = tsc_viewer_api()->edit_default();
    e.kind = TSC_EDIT_REJECT;
    e.reason = reason;
    if (lesion_index(self, number, &e.lesion)) push(self, &e);
}

static void win_accept_lesion(GtkWidget *widget, const char *name, GVariant *p)
{
    TscViewerWindow *self = TSC_VIEWER_WINDOW(widget);
    if (tsc_viewer_window_defer(self, name, p)) return;
    if (!current_edits(self, TRUE)) return;
    tsc_edit e = tsc_viewer_api()->edit_default();
    e.kind = TSC_EDIT_ACCEPT;
    if (lesion_index(self, g_variant_get_int32(p), &e.lesion)) push(self, &e);
}

/* ---- asking why a lesion is rejected ------------------------------------- */

typedef struct {
    GWeakRef win;
    int number;
    /* The findings the number was read on: the edits and their change
     * count when the dialog opened. */
    guint edits_id, change;
    GtkDropDown *reason;
    GtkEditable *detail;
    GtkWindow *dialog;
} RejectAsk;

static void reject_ask_free(gpointer p)
{
    RejectAsk *a = p;
    g_weak_ref_clear(&a->win);
    g_free(a);
}

static void on_reject_confirm(GtkButton *b, RejectAsk *a)
{
    (void)b;
    g_autoptr(TscViewerWindow) self = g_weak_ref_get(&a->win);
    GtkStringObject *item = gtk_drop_down_get_selected_item(a->reason);
    const char *why = item ? gtk_string_object_get_string(item) : "Other";
    const char *detail = gtk_editable_get_text(a->detail);
    g_autofree char *reason =
        detail && *detail ? g_strdup_printf("%s: %s", why, detail) : g_strdup(why);
    TscViewerEdits *ed = self ? current_edits(self, FALSE) : NULL;
    if (ed && (ed->id != a->edits_id || ed->change != a->change || ed->running)) {
        /* The findings changed under the dialog: lesion numbers may name
         * other lesions now. */
        _tsc_viewer_window_show_toast(self,
                                      "The findings changed while the dialog was open: nothing was "
                                      "rejected. Reject the lesion again.",
                                      FALSE);
    } else if (self) {
        gtk_widget_activate_action(GTK_WIDGET(self), "win.reject-lesion", "(is)", a->number,
                                   reason);
    }
    gtk_window_destroy(a->dialog);
}

/* Reject… in the findings: a short list of reasons and a line of text
 * (reject_dialog.ui). */
static void win_reject_lesion_ask(GtkWidget *widget, const char *name, GVariant *p)
{
    TscViewerWindow *self = TSC_VIEWER_WINDOW(widget);
    if (tsc_viewer_window_defer(self, name, p)) return;
    TscViewerEdits *ed = current_edits(self, TRUE);
    if (!ed) return;
    g_autoptr(GtkBuilder) b =
        gtk_builder_new_from_resource("/org/tumorscope/Viewer/reject_dialog.ui");
    RejectAsk *a = g_new0(RejectAsk, 1);
    g_weak_ref_init(&a->win, self);
    a->number = g_variant_get_int32(p);
    a->edits_id = ed->id;
    a->change = ed->change;
    a->dialog = GTK_WINDOW(gtk_builder_get_object(b, "dialog"));
    a->reason = GTK_DROP_DOWN(gtk_builder_get_object(b, "reason"));
    a->detail = GTK_EDITABLE(gtk_builder_get_object(b, "detail"));
    g_autofree char *title = g_strdup_printf("Reject lesion %d", a->number);
    gtk_window_set_title(a->dialog, title);
    gtk_window_set_transient_for(a->dialog, GTK_WINDOW(self));
    g_object_set_data_full(G_OBJECT(a->dialog), "tsc-reject-ask", a, reject_ask_free);
    g_signal_connect_swapped(gtk_builder_get_object(b, "cancel"), "clicked",
                             G_CALLBACK(gtk_window_destroy), a->dialog);
    g_signal_connect(gtk_builder_get_object(b, "reject"), "clicked", G_CALLBACK(on_reject_confirm),
                     a);
    gtk_window_present(a->dialog);
}

/* The model class the brush paints: (size_t)-1 for the slice's own type
 * ("auto", and for the classical methods, which have no types). */
static size_t brush_label(TscViewerWindow *self, int method)
{
    const tsc_model *m = model_for(self, method);
    GAction *a = g_action_map_lookup_action(G_ACTION_MAP(self), "brush-class");
    g_autoptr(GVariant) v = a ? g_action_get_state(a) : NULL;
    const char *name = v ? g_variant_get_string(v, NULL) : "auto";
    const tsc_plugin_api *api = tsc_viewer_api();
    for (size_t i = 0; m && i < api->model_n_classes(m); i++)
        if (g_str_equal(api->model_get_class_name(m, i), name)) return i;
    return (size_t)-1;
}

/* A stroke on the slice on screen; points are (x, y) pairs in the view's
 * image coordinates ((0, 0) the first pixel's corner), as measurements. */
static void stroke(TscViewerWindow *self, const char *kind, double radius_mm, const double *xy,
                   gsize n_points)
{
    TscViewerEdits *ed = n_points ? current_edits(self, TRUE) : NULL;
    if (!ed) return;
    if (ed->restoring) {
        /* A stroke now could be lost with the saved edits it joins, if they
         * are refused or the window closes before they land. */
        _tsc_viewer_window_show_toast(
            self, "The saved corrections are being restored: draw again in a moment", FALSE);
        return;
    }
    if (!tsc_viewer_api()->series_result_get_slice(ed->shown, self->slice)) {
        /* Refused by the replay, which would take the strokes made with it. */
        _tsc_viewer_window_show_toast(
            self,
            "This slice was not analysed (failed or cancelled): analyse the series again "
            "before correcting it",
            FALSE);
        return;
    }
    tsc_edit e = tsc_viewer_api()->edit_default();
    e.kind = g_str_equal(kind, "eraser") ? TSC_EDIT_ERASE : TSC_EDIT_PAINT;
    e.slice = self->slice;
    e.radius_mm = radius_mm;
    if (e.kind == TSC_EDIT_PAINT) e.label = brush_label(self, current_method(self));
    g_autofree tsc_point *pts = g_new(tsc_point, n_points);
    for (gsize i = 0; i < n_points; i++) pts[i] = (tsc_point){xy[2 * i] - 0.5, xy[2 * i + 1] - 0.5};
    e.points = pts;
    e.n_points = n_points;
    push(self, &e);
}

static double brush_radius(TscViewerWindow *self)
{
    GAction *a = g_action_map_lookup_action(G_ACTION_MAP(self), "brush-radius");
    g_autoptr(GVariant) v = a ? g_action_get_state(a) : NULL;
    return v ? g_variant_get_double(v) : 3.0;
}

gboolean _tsc_viewer_window_edits_stroke(TscViewerWindow *self, const char *kind, GVariant *points)
{
    if (!g_str_equal(kind, "brush") && !g_str_equal(kind, "eraser")) return FALSE;
    gsize n = 0;
    const double *xy = g_variant_get_fixed_array(points, &n, sizeof(double));
    stroke(self, kind, brush_radius(self), xy, n / 2);
    return TRUE;
}

static void win_edit_stroke(GtkWidget *widget, const char *name, GVariant *p)
{
    TscViewerWindow *self = TSC_VIEWER_WINDOW(widget);
    if (tsc_viewer_window_defer(self, name, p)) return;
    const char *kind = NULL;
    double radius = 0;
    g_autoptr(GVariant) points = NULL;
    g_variant_get(p, "(&sd@ad)", &kind, &radius, &points);
    gsize n = 0;
    const double *xy = g_variant_get_fixed_array(points, &n, sizeof(double));
    stroke(self, kind, radius, xy, n / 2);
}

static void undo_redo(TscViewerWindow *self, int step)
{
    TscViewerEdits *ed = current_edits(self, FALSE);
    if (!ed || (step < 0 && !ed->n_applied) || (step > 0 && ed->n_applied >= ed->list->len)) return;
    ed->n_applied += step;
    g_free(ed->editor);
    ed->editor = dup_editor(self);
    changed(self, ed);
}

static void win_undo_edit(GtkWidget *widget, const char *name, GVariant *p)
{
    TscViewerWindow *self = TSC_VIEWER_WINDOW(widget);
    if (tsc_viewer_window_defer(self, name, p)) return;
    undo_redo(self, -1);
}

static void win_redo_edit(GtkWidget *widget, const char *name, GVariant *p)
{
    TscViewerWindow *self = TSC_VIEWER_WINDOW(widget);
    if (tsc_viewer_window_defer(self, name, p)) return;
    undo_redo(self, +1);
}

/* The edits of the series on screen, as they are (none started). */
static TscViewerEdits *edits_on_screen(TscViewerWindow *self)
{
    TscViewerEdits *ed =
        self->edits && self->edits_gen == self->gen && self->have_series
            ? g_hash_table_lookup(self->edits, slice_key(current_method(self), self->series, 0))
            : NULL;
    /* Not those of an analysis replaced since (a replay of theirs that lands
     * is dropped and leaves them "running"); shown_ref keeps the address
     * from being reused by the new result. */
    return ed && ed->shown ==
                       tsc_viewer_study_get_series_result(self->study, ed->method, ed->series)
               ? ed
               : NULL;
}

gboolean _tsc_viewer_window_edits_measuring(TscViewerWindow *self)
{
    TscViewerEdits *ed = edits_on_screen(self);
    return ed && ed->running;
}

gboolean _tsc_viewer_window_edits_restoring(TscViewerWindow *self)
{
    TscViewerEdits *ed = edits_on_screen(self);
    return ed && ed->restoring;
}

void _tsc_viewer_window_write_edits_state(TscViewerWindow *self, GKeyFile *kf)
{
    g_key_file_set_double(kf, "edits", "brush-radius-mm", brush_radius(self));
    GAction *bc = g_action_map_lookup_action(G_ACTION_MAP(self), "brush-class");
    g_autoptr(GVariant) cls = bc ? g_action_get_state(bc) : NULL;
    g_key_file_set_string(kf, "edits", "brush-class", cls ? g_variant_get_string(cls, NULL) : "");
    GtkStringObject *item = self->brush_class_dropdown
                                ? gtk_drop_down_get_selected_item(self->brush_class_dropdown)
                                : NULL;
    g_key_file_set_string(kf, "edits", "brush-class-shown",
                          item ? gtk_string_object_get_string(item) : "");
    g_autofree char *offered = self->brush_classes ? g_strjoinv(";", self->brush_classes) : NULL;
    g_key_file_set_string(kf, "edits", "brush-classes", offered ? offered : "");
    g_key_file_set_boolean(kf, "edits", "brush-class-sensitive",
                           gtk_widget_get_sensitive(GTK_WIDGET(self->brush_class_dropdown)));
    /* Shown: its own flag and the brush row's. */
    g_key_file_set_boolean(kf, "edits", "brush-class-visible",
                           gtk_widget_is_visible(GTK_WIDGET(self->brush_class_dropdown)));
    g_autofree char *editor = dup_editor(self);
    g_key_file_set_string(kf, "edits", "editor", editor);
    /* Without a series there is nothing edited (and maybe no plugin). */
    if (!self->have_series) return;
    const tsc_plugin_api *api = tsc_viewer_api();
    TscViewerEdits *ed = edits_on_screen(self);
    gboolean mine = ed != NULL;
    g_key_file_set_integer(kf, "edits", "count", mine ? (int)ed->list->len : 0);
    g_key_file_set_integer(kf, "edits", "applied", mine ? (int)ed->n_applied : 0);
    /* How many of them the result on screen was measured with. */
    g_key_file_set_integer(kf, "edits", "measured", mine ? (int)ed->good->len : 0);
    g_key_file_set_boolean(kf, "edits", "measuring", mine && ed->running);
    g_key_file_set_string(kf, "edits", "note", mine && ed->note ? ed->note : "");
    const tsc_series_result *sr =
        tsc_viewer_study_get_series_result(self->study, current_method(self), self->series);
    char buf[1024] = "";
    if (sr) api->series_result_describe_edits(sr, TRUE, buf, sizeof buf);
    g_key_file_set_boolean(kf, "edits", "edited", sr && api->series_result_is_edited(sr));
    g_key_file_set_string(kf, "edits", "description", buf);
    g_key_file_set_integer(kf, "edits", "rejected",
                           sr ? (int)api->series_result_n_rejected(sr) : 0);
    char model_buf[256];
    tsc_edit_file_info in =
        current_info(self, current_method(self), self->series, model_buf, sizeof model_buf);
    g_autofree char *path = edits_path(self, &in);
    g_key_file_set_string(kf, "edits", "file", path);
}

void _tsc_viewer_window_install_edit_actions(GtkWidgetClass *wc)
{
    static const WinAction actions[] = {
        {"win.reject-lesion", "(is)", win_reject_lesion},
        {"win.reject-lesion-ask", "i", win_reject_lesion_ask},
        {"win.accept-lesion", "i", win_accept_lesion},
        {"win.edit-stroke", "(sdad)", win_edit_stroke},
        {"win.undo-edit", NULL, win_undo_edit},
        {"win.redo-edit", NULL, win_redo_edit},
    };
    install_win_actions(wc, actions, G_N_ELEMENTS(actions));
    /* Ctrl+Z and Ctrl+Shift+Z are the application's accelerators (viewer_app.c). */
    gtk_widget_class_add_binding_action(wc, GDK_KEY_b, 0, "win.tool", "s", "brush");
    /* The brush's widgets are in viewer_window.ui, in the row under the tool bar. */
    gtk_widget_class_bind_template_child(wc, TscViewerWindow, brush_spin);
    gtk_widget_class_bind_template_child(wc, TscViewerWindow, brush_class_dropdown);
    gtk_widget_class_bind_template_child(wc, TscViewerWindow, brush_bar);
    gtk_widget_class_bind_template_child(wc, TscViewerWindow, brush_class_label);
}

static void on_radius_change(GSimpleAction *a, GVariant *state, gpointer data)
{
    TscViewerWindow *self = data;
    double r = CLAMP(g_variant_get_double(state), 0.5, 50.0);
    g_simple_action_set_state(a, g_variant_new_double(r));
    if (gtk_spin_button_get_value(self->brush_spin) != r)
        gtk_spin_button_set_value(self->brush_spin, r);
}

static void on_radius_spin(GtkSpinButton *spin, TscViewerWindow *self)
{
    GAction *a = g_action_map_lookup_action(G_ACTION_MAP(self), "brush-radius");
    g_action_change_state(a, g_variant_new_double(gtk_spin_button_get_value(spin)));
}

/* The brush's class list follows the model (it may arrive after the
 * window) and is offered only for the CNN, whose classes these are. */
static void sync_brush_classes(TscViewerWindow *self)
{
    const tsc_model *m = current_model(self);
    gtk_widget_set_sensitive(GTK_WIDGET(self->brush_class_dropdown),
                             m && model_for(self, current_method(self)) == m);
    if (self->brush_classes && m == self->brush_classes_of) return;
    /* No model, maybe no plugin: "auto" only, and no call into the ABI. */
    const tsc_plugin_api *api = m ? tsc_viewer_api() : NULL;
    g_autoptr(GStrvBuilder) names = g_strv_builder_new();
    g_strv_builder_add(names, "auto");
    GtkStringList *shown = GTK_STRING_LIST(gtk_drop_down_get_model(self->brush_class_dropdown));
    g_autoptr(GStrvBuilder) labels = g_strv_builder_new();
    /* Every class but "no_tumor", the class every manifest must have. */
    for (size_t i = 0; api && i < api->model_n_classes(m); i++)
        if (!g_str_equal(api->model_get_class_name(m, i), "no_tumor")) {
            g_strv_builder_add(names, api->model_get_class_name(m, i));
            g_strv_builder_add(labels, api->model_get_class_display(m, i));
        }
    g_auto(GStrv) added = g_strv_builder_end(labels);
    g_clear_pointer(&self->brush_classes, g_strfreev);
    self->brush_classes = g_strv_builder_end(names);
    self->brush_classes_of = m;
    /* The first item, "Same as the slice", stays. */
    guint n_old = g_list_model_get_n_items(G_LIST_MODEL(shown));
    gtk_string_list_splice(shown, 1, n_old - 1, (const char *const *)added);
    GAction *a = g_action_map_lookup_action(G_ACTION_MAP(self), "brush-class");
    g_autoptr(GVariant) v = g_action_get_state(a);
    if (!g_strv_contains((const char *const *)self->brush_classes, g_variant_get_string(v, NULL)))
        g_simple_action_set_state(G_SIMPLE_ACTION(a), g_variant_new_string("auto"));
    else g_action_change_state(a, v);
}

/* win.brush-class: "auto" (the slice's own type) or a tumour class of the
 * model by its name; anything else is refused in a toast. */
static void on_brush_class_change(GSimpleAction *a, GVariant *state, gpointer data)
{
    TscViewerWindow *self = data;
    sync_brush_classes(self);
    const char *name = g_variant_get_string(state, NULL);
    guint i = 0;
    while (self->brush_classes[i] && !g_str_equal(self->brush_classes[i], name)) i++;
    if (!self->brush_classes[i]) {
        g_autofree char *known = g_strjoinv(", ", self->brush_classes);
        g_autofree char *text =
            g_strdup_printf("The brush cannot paint \u201c%s\u201d: choose one of %s", name, known);
        _tsc_viewer_window_show_toast(self, text, FALSE);
        return;
    }
    g_simple_action_set_state(a, state);
    if (gtk_drop_down_get_selected(self->brush_class_dropdown) != i)
        gtk_drop_down_set_selected(self->brush_class_dropdown, i);
}

static void on_brush_class_selected(GtkDropDown *dd, GParamSpec *pspec, TscViewerWindow *self)
{
    (void)pspec;
    guint i = gtk_drop_down_get_selected(dd);
    if (!self->brush_classes || i >= g_strv_length(self->brush_classes)) return;
    GAction *a = g_action_map_lookup_action(G_ACTION_MAP(self), "brush-class");
    g_action_change_state(a, g_variant_new_string(self->brush_classes[i]));
}

/* The series on screen changed: its saved edits come back with it. */
void _tsc_viewer_window_edits_refresh(TscViewerWindow *self)
{
    sync_brush_classes(self);
    if (self->have_series &&
        tsc_viewer_study_get_series_result(self->study, current_method(self), self->series))
        current_edits(self, FALSE);
    tsc_findings_panel_set_measuring(self->findings, _tsc_viewer_window_edits_measuring(self));
}

/* The radius matters to the brush and the eraser, the class to the brush
 * only: their row shows under the tool row while one of them is the tool. */
static void on_view_tool(GObject *view, GParamSpec *pspec, TscViewerWindow *self)
{
    (void)pspec;
    g_autofree char *tool = NULL;
    g_object_get(view, "tool", &tool, NULL);
    gboolean brush = g_strcmp0(tool, "brush") == 0;
    gtk_widget_set_visible(self->brush_bar, brush || g_strcmp0(tool, "eraser") == 0);
    gtk_widget_set_visible(GTK_WIDGET(self->brush_class_dropdown), brush);
    gtk_widget_set_visible(self->brush_class_label, brush);
}

void _tsc_viewer_window_setup_edits(TscViewerWindow *self)
{
    static const GActionEntry entries[] = {
        {"brush-radius", NULL, "d", "3.0", on_radius_change, {0}},
        {"brush-class", NULL, "s", "'auto'", on_brush_class_change, {0}},
    };
    g_action_map_add_action_entries(G_ACTION_MAP(self), entries, G_N_ELEMENTS(entries), self);
    g_signal_connect(self->brush_spin, "value-changed", G_CALLBACK(on_radius_spin), self);
    sync_brush_classes(self);
    g_signal_connect(self->brush_class_dropdown, "notify::selected",
                     G_CALLBACK(on_brush_class_selected), self);
    g_signal_connect_object(self->view, "notify::tool", G_CALLBACK(on_view_tool), self, 0);
    on_view_tool(G_OBJECT(self->view), NULL, self);
}
