/* SPDX-License-Identifier: BSD-3-Clause */
/* The reader's corrections of the series on screen: reject a lesion with a
 * reason (win.reject-lesion), brush and eraser strokes (win.tool "brush" /
 * "eraser", win.brush-radius, win.edit-stroke), undo and redo
 * (win.undo-edit, win.redo-edit).
 *
 * The edits are an ordered list replayed by the plugin on the series'
 * analysis (series_result_apply_edits), which this file keeps: the edited
 * result replaces the analysis in the study, so the overlay, the findings,
 * the strip and the exports all show it, and undo is replaying one edit
 * fewer.  After each change the list is saved beside the exports (never in
 * the study) under the series' UID-keyed name, and it is restored from there
 * when the series is analysed again. */
#define G_LOG_DOMAIN "tsc-viewer-window"
#include "viewer_window-private.h"

#include <glib/gstdio.h>

#include "viewer_edits_file.h"

/* One edit with the memory its pointers name. */
typedef struct {
    tsc_edit e;
    tsc_point *points;
    char *reason;
} OwnedEdit;

static void owned_edit_free(gpointer p)
{
    OwnedEdit *o = p;
    g_free(o->points);
    g_free(o->reason);
    g_free(o);
}

static OwnedEdit *owned_edit_new(const tsc_edit *e)
{
    OwnedEdit *o = g_new0(OwnedEdit, 1);
    o->e = *e;
    o->points = e->n_points ? g_memdup2(e->points, e->n_points * sizeof *e->points) : NULL;
    o->reason = g_strdup(e->reason ? e->reason : "");
    o->e.points = o->points;
    o->e.reason = o->reason;
    return o;
}

/* The edits of one series of the study on screen, for one method. */
struct _TscViewerEdits {
    int method;
    gsize series;
    TscViewerSeriesRef *original;   /* the analysis the edits replay on */
    const tsc_series_result *shown; /* what this file put into the study */
    GPtrArray *list;                /* OwnedEdit; those past n_applied are the redo */
    guint n_applied;
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
    g_ptr_array_unref(ed->list);
    g_free(ed->editor);
    g_free(ed->note);
    g_free(ed);
}

void _tsc_viewer_window_edits_dispose(TscViewerWindow *self)
{
    g_clear_pointer(&self->edits, g_hash_table_unref);
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

/* What the analysis on screen was made on, as the edits file states it. */
static tsc_edit_file_info current_info(TscViewerWindow *self, int method, char *model_buf,
                                       gsize size)
{
    return tsc_viewer_api()->study_edit_info(model_for(self, method), (tsc_method)method,
                                             tsc_viewer_study_get_index(self->study), self->series,
                                             model_buf, size);
}

/* The edits file of the series on screen, in the export folder. */
static char *edits_path(TscViewerWindow *self, const tsc_edit_file_info *in)
{
    g_autofree char *dir = tsc_viewer_prefs_dup_export_folder(self->prefs);
    return tsc_viewer_edits_file_path(dir, in);
}

static void save_edits(TscViewerWindow *self, TscViewerEdits *ed)
{
    const tsc_plugin_api *api = tsc_viewer_api();
    char model_buf[256];
    tsc_edit_file_info in = current_info(self, ed->method, model_buf, sizeof model_buf);
    in.editor = ed->editor;
    g_autofree char *path = edits_path(self, &in);
    g_autofree char *dir = g_path_get_dirname(path);
    g_autofree const tsc_edit **list = g_new0(const tsc_edit *, ed->n_applied + 1);
    for (guint i = 0; i < ed->n_applied; i++)
        list[i] = &((OwnedEdit *)g_ptr_array_index(ed->list, i))->e;
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
                             tsc_viewer_study_get_index(self->study), self->series,
                             &err) != TSC_OK) {
        g_autofree char *text = g_strdup_printf(
            "The edits could not be saved in %s: %s", dir,
            g_file_test(dir, G_FILE_TEST_IS_DIR) ? err.message : "the folder cannot be made");
        _tsc_viewer_window_show_toast(self, text, FALSE);
        return;
    }
    g_info("edits of series %zu saved (%u)", self->series, ed->n_applied);
}

/* Replays the first n_applied edits on the analysis and shows the result;
 * FALSE (said in a toast) when the plugin refuses them. */
static gboolean replay(TscViewerWindow *self, TscViewerEdits *ed)
{
    const tsc_plugin_api *api = tsc_viewer_api();
    g_autofree const tsc_edit **list = g_new0(const tsc_edit *, ed->n_applied + 1);
    for (guint i = 0; i < ed->n_applied; i++)
        list[i] = &((OwnedEdit *)g_ptr_array_index(ed->list, i))->e;
    tsc_series_result *out = NULL;
    tsc_error err;
    gint64 t0 = g_get_monotonic_time();
    if (api->series_result_apply_edits(model_for(self, ed->method), ed->original->result, list,
                                       ed->n_applied, ed->editor, &out, &err) != TSC_OK) {
        g_autofree char *text = g_strdup_printf("Edit not applied: %s", err.message);
        _tsc_viewer_window_show_toast(self, text, FALSE);
        return FALSE;
    }
    g_info("series %zu measured again after %u edit(s) in %.1f ms", self->series, ed->n_applied,
           (g_get_monotonic_time() - t0) / 1000.0);
    ed->shown = out;
    tsc_viewer_study_take_series_result(self->study, ed->method, ed->series, out);
    _tsc_viewer_window_refresh_all(self);
    return TRUE;
}

static void keep_edit(const tsc_edit *e, gpointer data)
{
    g_ptr_array_add(((TscViewerEdits *)data)->list, owned_edit_new(e));
}

/* The saved edits of the series, when there are any and they were made on
 * this analysis (they stay on the list for undo); what happened is kept in
 * ed->note. */
static void restore(TscViewerWindow *self, TscViewerEdits *ed)
{
    g_autofree char *dir = tsc_viewer_prefs_dup_export_folder(self->prefs);
    TscViewerEditsApplied got;
    tsc_series_result *out = tsc_viewer_edits_file_apply(
        dir, model_for(self, ed->method), ed->method, tsc_viewer_study_get_index(self->study),
        self->series, ed->original->result, keep_edit, ed, &got);
    if (!got.note) return;
    ed->note = g_steal_pointer(&got.note);
    _tsc_viewer_window_show_toast(self, ed->note, FALSE);
    if (got.editor) ed->editor = g_steal_pointer(&got.editor);
    ed->keep_refused = got.refused;
    if (!out) {
        /* Refused, or nothing left to replay: nothing to undo either. */
        g_ptr_array_set_size(ed->list, 0);
        ed->n_applied = 0;
        tsc_viewer_edits_applied_clear(&got);
        return;
    }
    ed->n_applied = (guint)got.n_edits;
    tsc_viewer_edits_applied_clear(&got);
    g_info("series %zu: %u saved edit(s) restored", self->series, ed->n_applied);
    ed->shown = out;
    tsc_viewer_study_take_series_result(self->study, ed->method, ed->series, out);
    _tsc_viewer_window_refresh_all(self);
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
    ed = g_new0(TscViewerEdits, 1);
    ed->method = method;
    ed->series = self->series;
    ed->list = g_ptr_array_new_with_free_func(owned_edit_free);
    ed->original = tsc_viewer_study_ref_series_result(self->study, method, self->series);
    ed->shown = sr;
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
    g_ptr_array_add(ed->list, owned_edit_new(e));
    ed->n_applied++;
    g_free(ed->editor);
    ed->editor = dup_editor(self);
    if (!replay(self, ed)) {
        g_ptr_array_set_size(ed->list, --ed->n_applied);
        return;
    }
    save_edits(self, ed);
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

/* The reasons a reader gives most; the text field adds detail. */
static const char *const reject_reasons[] = {"False positive",
                                             "Vessel or flow artefact",
                                             "Normal structure",
                                             "Outside the brain",
                                             "Other",
                                             NULL};

typedef struct {
    GWeakRef win;
    int number;
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
    guint i = gtk_drop_down_get_selected(a->reason);
    const char *detail = gtk_editable_get_text(a->detail);
    g_autofree char *reason = detail && *detail
                                  ? g_strdup_printf("%s: %s", reject_reasons[i], detail)
                                  : g_strdup(reject_reasons[i]);
    if (self)
        gtk_widget_activate_action(GTK_WIDGET(self), "win.reject-lesion", "(is)", a->number,
                                   reason);
    gtk_window_destroy(a->dialog);
}

/* Reject… in the findings: a short list of reasons and a line of text. */
static void win_reject_lesion_ask(GtkWidget *widget, const char *name, GVariant *p)
{
    (void)name;
    TscViewerWindow *self = TSC_VIEWER_WINDOW(widget);
    RejectAsk *a = g_new0(RejectAsk, 1);
    g_weak_ref_init(&a->win, self);
    a->number = g_variant_get_int32(p);
    a->dialog = GTK_WINDOW(gtk_window_new());
    g_autofree char *title = g_strdup_printf("Reject lesion %d", a->number);
    gtk_window_set_title(a->dialog, title);
    gtk_window_set_transient_for(a->dialog, GTK_WINDOW(self));
    gtk_window_set_modal(a->dialog, TRUE);
    g_object_set_data_full(G_OBJECT(a->dialog), "tsc-reject-ask", a, reject_ask_free);
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 10);
    gtk_widget_set_margin_start(box, 16);
    gtk_widget_set_margin_end(box, 16);
    gtk_widget_set_margin_top(box, 16);
    gtk_widget_set_margin_bottom(box, 16);
    GtkWidget *why =
        gtk_label_new("Why is this lesion rejected? The SR keeps it, with the reason.");
    gtk_label_set_wrap(GTK_LABEL(why), TRUE);
    gtk_box_append(GTK_BOX(box), why);
    a->reason = GTK_DROP_DOWN(gtk_drop_down_new_from_strings(reject_reasons));
    gtk_box_append(GTK_BOX(box), GTK_WIDGET(a->reason));
    GtkWidget *entry = gtk_entry_new();
    gtk_entry_set_placeholder_text(GTK_ENTRY(entry), "Details (optional)");
    a->detail = GTK_EDITABLE(entry);
    gtk_box_append(GTK_BOX(box), entry);
    GtkWidget *buttons = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 8);
    gtk_widget_set_halign(buttons, GTK_ALIGN_END);
    GtkWidget *cancel = gtk_button_new_with_label("Cancel");
    GtkWidget *reject = gtk_button_new_with_label("Reject");
    gtk_widget_add_css_class(reject, "destructive-action");
    g_signal_connect_swapped(cancel, "clicked", G_CALLBACK(gtk_window_destroy), a->dialog);
    g_signal_connect(reject, "clicked", G_CALLBACK(on_reject_confirm), a);
    gtk_box_append(GTK_BOX(buttons), cancel);
    gtk_box_append(GTK_BOX(buttons), reject);
    gtk_box_append(GTK_BOX(box), buttons);
    gtk_window_set_child(a->dialog, box);
    gtk_window_set_default_widget(a->dialog, reject);
    gtk_window_present(a->dialog);
}

/* A stroke on the slice on screen; points are (x, y) pairs in the view's
 * image coordinates ((0, 0) the first pixel's corner), as measurements. */
static void stroke(TscViewerWindow *self, const char *kind, double radius_mm, const double *xy,
                   gsize n_points)
{
    if (!n_points || !current_edits(self, TRUE)) return;
    tsc_edit e = tsc_viewer_api()->edit_default();
    e.kind = g_str_equal(kind, "eraser") ? TSC_EDIT_ERASE : TSC_EDIT_PAINT;
    e.slice = self->slice;
    e.radius_mm = radius_mm;
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
    if (!replay(self, ed)) {
        ed->n_applied -= step;
        return;
    }
    save_edits(self, ed);
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

/* The series on screen changed: its saved edits come back with it. */
void _tsc_viewer_window_edits_refresh(TscViewerWindow *self)
{
    if (self->have_series &&
        tsc_viewer_study_get_series_result(self->study, current_method(self), self->series))
        current_edits(self, FALSE);
}

void _tsc_viewer_window_write_edits_state(TscViewerWindow *self, GKeyFile *kf)
{
    g_key_file_set_double(kf, "edits", "brush-radius-mm", brush_radius(self));
    g_autofree char *editor = dup_editor(self);
    g_key_file_set_string(kf, "edits", "editor", editor);
    /* Without a series there is nothing edited (and maybe no plugin). */
    if (!self->have_series) return;
    const tsc_plugin_api *api = tsc_viewer_api();
    TscViewerEdits *ed =
        self->edits && self->edits_gen == self->gen && self->have_series
            ? g_hash_table_lookup(self->edits, slice_key(current_method(self), self->series, 0))
            : NULL;
    gboolean mine = ed != NULL;
    g_key_file_set_integer(kf, "edits", "count", mine ? (int)ed->list->len : 0);
    g_key_file_set_integer(kf, "edits", "applied", mine ? (int)ed->n_applied : 0);
    g_key_file_set_string(kf, "edits", "note", mine && ed->note ? ed->note : "");
    const tsc_series_result *sr =
        tsc_viewer_study_get_series_result(self->study, current_method(self), self->series);
    char buf[1024] = "";
    if (sr) api->series_result_describe_edits(sr, TRUE, buf, sizeof buf);
    g_key_file_set_boolean(kf, "edits", "edited", sr && api->series_result_is_edited(sr));
    g_key_file_set_string(kf, "edits", "description", buf);
    g_key_file_set_integer(kf, "edits", "rejected",
                           sr ? (int)api->series_result_n_rejected(sr) : 0);
    if (self->have_series) {
        char model_buf[256];
        tsc_edit_file_info in =
            current_info(self, current_method(self), model_buf, sizeof model_buf);
        g_autofree char *path = edits_path(self, &in);
        g_key_file_set_string(kf, "edits", "file", path);
    }
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
}

static void on_radius_change(GSimpleAction *a, GVariant *state, gpointer data)
{
    TscViewerWindow *self = data;
    double r = CLAMP(g_variant_get_double(state), 0.5, 50.0);
    g_simple_action_set_state(a, g_variant_new_double(r));
    if (self->brush_spin && gtk_spin_button_get_value(self->brush_spin) != r)
        gtk_spin_button_set_value(self->brush_spin, r);
}

static void on_radius_spin(GtkSpinButton *spin, TscViewerWindow *self)
{
    GAction *a = g_action_map_lookup_action(G_ACTION_MAP(self), "brush-radius");
    g_action_change_state(a, g_variant_new_double(gtk_spin_button_get_value(spin)));
}

/* Brush and eraser toggles and the radius (mm) after the reading tools. */
void _tsc_viewer_window_setup_edits(TscViewerWindow *self)
{
    static const GActionEntry entries[] = {
        {"brush-radius", NULL, "d", "3.0", on_radius_change, {0}},
    };
    g_action_map_add_action_entries(G_ACTION_MAP(self), entries, G_N_ELEMENTS(entries), self);
    static const struct {
        const char *label, *tool, *tip;
    } tools[] = {{"Brush", "brush", "Add tumour to the mask (B)"},
                 {"Eraser", "eraser", "Remove tumour from the mask"}};
    for (size_t i = 0; i < G_N_ELEMENTS(tools); i++) {
        GtkWidget *b = gtk_toggle_button_new_with_label(tools[i].label);
        gtk_actionable_set_action_name(GTK_ACTIONABLE(b), "win.tool");
        gtk_actionable_set_action_target(GTK_ACTIONABLE(b), "s", tools[i].tool);
        gtk_widget_set_tooltip_text(b, tools[i].tip);
        gtk_box_append(GTK_BOX(self->tool_bar), b);
    }
    self->brush_spin = GTK_SPIN_BUTTON(gtk_spin_button_new_with_range(0.5, 50.0, 0.5));
    gtk_spin_button_set_value(self->brush_spin, 3.0);
    gtk_widget_set_tooltip_text(GTK_WIDGET(self->brush_spin), "Brush and eraser radius (mm)");
    gtk_box_append(GTK_BOX(self->tool_bar), GTK_WIDGET(self->brush_spin));
    g_signal_connect(self->brush_spin, "value-changed", G_CALLBACK(on_radius_spin), self);
}
