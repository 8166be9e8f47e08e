/* SPDX-License-Identifier: BSD-3-Clause */
#define G_LOG_DOMAIN "tsc-viewer-compare"
#include "compare_window-private.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "pacs_dialog.h"
#include "viewer_desktop.h"

G_DEFINE_FINAL_TYPE(TscCompareWindow, tsc_compare_window, GTK_TYPE_WINDOW)

enum { PROP_0, PROP_SYNC_SCROLL, PROP_LINK_WINDOW, PROP_LINK_ZOOM, N_PROPS };
static GParamSpec *props[N_PROPS];

static void fill_open_menus(TscCompareWindow *self);

/* ---- series and patient ------------------------------------------------- */

static void use_series(TscCompareWindow *self, int i, gsize series)
{
    Side *s = &self->side[i];
    s->series = series;
    s->have_series = TRUE;
    g_clear_pointer(&s->error, g_free);
    g_clear_pointer(&s->edits, g_free);
    s->edits_of = NULL;
    const tsc_dicom_series_info *si = side_series(s);
    tsc_slice_view_set_result(s->view, NULL, NULL);
    tsc_slice_view_set_image(s->view, NULL);
    tsc_slice_view_set_series(s->view, si->modality, si->orientation);
    s->slice = si->n_slices / 2;
    s->filling_drop = TRUE;
    gtk_drop_down_set_selected(s->series_drop, (guint)series);
    s->filling_drop = FALSE;
}

/* Both shown: the baseline's middle slice leads, both are analysed. */
static void start(TscCompareWindow *self)
{
    for (int i = 0; i < 2; i++)
        gtk_widget_set_sensitive(GTK_WIDGET(self->side[i].series_drop), TRUE);
    tsc_compare_window_goto_slice(self, 0, (gssize)self->side[0].slice);
    for (int i = 0; i < 2; i++) _tsc_compare_window_analyse(self, i);
    _tsc_compare_window_maybe_compare(self);
}

static void on_series_selected(GtkDropDown *drop, GParamSpec *pspec, gpointer data)
{
    (void)pspec;
    TscCompareWindow *self = data;
    int i = drop == self->side[1].series_drop;
    Side *s = &self->side[i];
    guint k = gtk_drop_down_get_selected(drop);
    if (s->filling_drop || !s->study || k == GTK_INVALID_LIST_POSITION || k == s->series) return;
    use_series(self, i, k);
    if (!_tsc_compare_window_pair_shown(self)) return;
    tsc_compare_window_goto_slice(self, i, (gssize)s->slice);
    _tsc_compare_window_analyse(self, i);
    _tsc_compare_window_maybe_compare(self);
}

static void on_confirm_response(GtkDialog *dialog, int response, gpointer data)
{
    (void)dialog;
    tsc_compare_window_confirm_patient(data, response == GTK_RESPONSE_ACCEPT);
}

/* Who a side is, for the confirmation dialog: the reader must see it to
 * decide, unless identifiers are hidden. */
static char *describe_patient(TscCompareWindow *self, int i)
{
    const tsc_dicom_patient_info *p = side_patient(&self->side[i]);
    g_autofree char *date = format_date(side_study(&self->side[i])->date);
    if (deidentify(self))
        return g_strdup_printf("%s: study of %s, %s", role_name(i), date,
                               *p->id ? "a PatientID (hidden: de-identify is on)" : "no PatientID");
    g_autofree char *name = g_strdelimit(g_strdup(p->name), "^", ' ');
    return g_strdup_printf("%s: %s, PatientID %s, study of %s", role_name(i),
                           *name ? name : "no name", *p->id ? p->id : "missing", date);
}

static void ask_patient(TscCompareWindow *self)
{
    self->patient = PATIENT_ASKING;
    g_autofree char *a = describe_patient(self, 0), *b = describe_patient(self, 1);
    GtkWidget *d = gtk_message_dialog_new(
        GTK_WINDOW(self), GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT, GTK_MESSAGE_WARNING,
        GTK_BUTTONS_NONE, "Are these studies of one patient?");
    gtk_message_dialog_format_secondary_text(
        GTK_MESSAGE_DIALOG(d),
        "The baseline and the follow-up do not share a PatientID.\n\n%s\n%s\n\nCompare them only "
        "if you are sure that both are of the same patient.",
        a, b);
    gtk_dialog_add_buttons(GTK_DIALOG(d), "_Cancel", GTK_RESPONSE_CANCEL, "Compare as _One Patient",
                           GTK_RESPONSE_ACCEPT, NULL);
    gtk_dialog_set_default_response(GTK_DIALOG(d), GTK_RESPONSE_CANCEL);
    g_signal_connect_object(d, "response", G_CALLBACK(on_confirm_response), self, 0);
    self->confirm_dialog = d;
    g_object_add_weak_pointer(G_OBJECT(d), (gpointer *)&self->confirm_dialog);
    gtk_window_present(GTK_WINDOW(d));
}

void tsc_compare_window_confirm_patient(TscCompareWindow *self, gboolean same_patient)
{
    g_return_if_fail(TSC_IS_COMPARE_WINDOW(self));
    if (self->confirm_dialog) gtk_window_destroy(GTK_WINDOW(self->confirm_dialog));
    if (self->patient != PATIENT_ASKING) return;
    self->patient = same_patient ? PATIENT_CONFIRMED : PATIENT_REFUSED;
    g_info("patient check: %s", patient_check_name(self->patient));
    if (same_patient) start(self);
    for (int i = 0; i < 2; i++) _tsc_compare_window_refresh_side_labels(self, i);
    _tsc_compare_window_refresh_status(self);
}

/* The series of side i to compare: the other side's description when it
 * has one of that name, else the first. */
static gsize default_series(TscCompareWindow *self, int i)
{
    Side *s = &self->side[i], *o = &self->side[!i];
    gsize n = tsc_viewer_study_n_series(s->study);
    if (i == 1 && o->study && o->have_series) {
        const char *want = side_series(o)->description;
        for (gsize k = 0; k < n; k++)
            if (*want && !g_strcmp0(tsc_viewer_api()
                                        ->study_get_series(tsc_viewer_study_get_index(s->study), k)
                                        ->description,
                                    want))
                return k;
    }
    return 0;
}

static void fill_series_drop(Side *s)
{
    const tsc_plugin_api *api = tsc_viewer_api();
    g_autoptr(GtkStringList) list = gtk_string_list_new(NULL);
    for (gsize k = 0; k < tsc_viewer_study_n_series(s->study); k++) {
        const tsc_dicom_series_info *si =
            api->study_get_series(tsc_viewer_study_get_index(s->study), k);
        g_autofree char *t =
            g_strdup_printf("%zu: %s (%zu slices)", k + 1,
                            *si->description ? si->description : "Series", si->n_slices);
        gtk_string_list_append(list, t);
    }
    s->filling_drop = TRUE;
    gtk_drop_down_set_model(s->series_drop, G_LIST_MODEL(list));
    s->filling_drop = FALSE;
}

static void both_open(TscCompareWindow *self)
{
    for (int i = 0; i < 2; i++)
        if (!self->side[i].study || self->side[i].error) return;
    for (int i = 0; i < 2; i++) {
        fill_series_drop(&self->side[i]);
        use_series(self, i, default_series(self, i));
    }
    const char *id0 = side_patient(&self->side[0])->id, *id1 = side_patient(&self->side[1])->id;
    if (*id0 && !g_strcmp0(id0, id1)) {
        self->patient = PATIENT_SAME;
        start(self);
    } else {
        /* Never two patients silently: nothing is shown until confirmed. */
        ask_patient(self);
    }
}

static void on_opened(GObject *source, GAsyncResult *res, gpointer data)
{
    (void)source;
    g_autoptr(Job) j = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(TscViewerStudy) study = tsc_viewer_study_open_finish(res, &error);
    g_autoptr(TscCompareWindow) self = job_window(j);
    if (!self) return;
    Side *s = &self->side[j->side];
    self->n_opening--;
    if (!study) {
        s->error = g_strdup_printf("%s could not be opened: %s", s->path, error->message);
    } else if (tsc_viewer_study_get_open_error(study)) {
        s->error =
            g_strdup_printf("%s: %s", s->path, tsc_viewer_study_get_open_error(study)->message);
    } else {
        s->study = g_object_ref(study);
        if (self->app) tsc_viewer_app_add_recent(self->app, s->path);
        fill_open_menus(self);
    }
    if (!self->n_opening) both_open(self);
    for (int i = 0; i < 2; i++) _tsc_compare_window_refresh_side_labels(self, i);
    _tsc_compare_window_refresh_status(self);
}

/* ---- opening ------------------------------------------------------------ */

static void clear_side(TscCompareWindow *self, int i)
{
    Side *s = &self->side[i];
    tsc_slice_view_set_result(s->view, NULL, NULL);
    tsc_slice_view_set_image(s->view, NULL);
    tsc_slice_view_set_status(s->view, NULL);
    g_clear_object(&s->study);
    g_clear_pointer(&s->error, g_free);
    g_clear_pointer(&s->edits, g_free);
    s->edits_of = NULL;
    s->have_series = s->analysing = FALSE;
    s->filling_drop = TRUE;
    gtk_drop_down_set_model(s->series_drop, NULL);
    s->filling_drop = FALSE;
    gtk_widget_set_sensitive(GTK_WIDGET(s->series_drop), FALSE);
}

void tsc_compare_window_open(TscCompareWindow *self, const char *baseline, const char *followup)
{
    g_return_if_fail(TSC_IS_COMPARE_WINDOW(self));
    g_return_if_fail(baseline && followup);
    /* Nothing of the earlier pair stays: its jobs are cancelled and their
     * late results dropped (gen). */
    self->gen++;
    tsc_viewer_cancel_clear(&self->cancellable);
    self->cancellable = g_cancellable_new();
    if (self->confirm_dialog) gtk_window_destroy(GTK_WINDOW(self->confirm_dialog));
    g_clear_pointer(&self->cmp, tsc_comparison_free);
    g_clear_pointer(&self->compare_error, g_free);
    self->patient = PATIENT_UNKNOWN;
    self->leader = 0;
    self->scrolled = FALSE;
    self->method = self->app ? tsc_viewer_prefs_get_method(tsc_viewer_app_get_prefs(self->app))
                             : TSC_METHOD_CNN;
    const char *paths[2] = {baseline, followup};
    for (int i = 0; i < 2; i++) {
        clear_side(self, i);
        g_free(self->side[i].path);
        self->side[i].path = g_strdup(paths[i]);
    }
    _tsc_compare_window_fill_table(self);
    g_info("comparing two studies");
    for (int i = 0; i < 2; i++) {
        const char *p[] = {self->side[i].path, NULL};
        self->n_opening++;
        tsc_viewer_study_open_async(p, NULL, self->cancellable, on_opened, job_new(self, i, 0, 0));
        _tsc_compare_window_refresh_side_labels(self, i);
    }
    _tsc_compare_window_refresh_status(self);
}

/* One side chosen from a folder or the recent list: the pair is reopened
 * once both are known. */
static void open_side(TscCompareWindow *self, int i, const char *path)
{
    g_free(self->side[i].path);
    self->side[i].path = g_strdup(path);
    const char *other = self->side[!i].path;
    if (!other) {
        _tsc_compare_window_refresh_side_labels(self, i);
        g_autofree char *t = g_strdup_printf("%s: %s \xe2\x80\x94 now choose the %s.", role_name(i),
                                             path, i ? "baseline" : "follow-up");
        gtk_label_set_text(self->status_label, t);
        return;
    }
    g_autofree char *keep = g_strdup(other);
    if (i == 0) tsc_compare_window_open(self, path, keep);
    else tsc_compare_window_open(self, keep, path);
}

/* ---- actions ------------------------------------------------------------ */

static int side_of(const char *role)
{
    return g_ascii_strncasecmp(role, "f", 1) == 0 ? 1 : 0;
}

static void act_open(GtkWidget *w, const char *name, GVariant *p)
{
    (void)name;
    const char *a, *b;
    g_variant_get(p, "(&s&s)", &a, &b);
    tsc_compare_window_open(TSC_COMPARE_WINDOW(w), a, b);
}

static void act_open_side(GtkWidget *w, const char *name, GVariant *p)
{
    (void)name;
    const char *role, *path;
    g_variant_get(p, "(&s&s)", &role, &path);
    open_side(TSC_COMPARE_WINDOW(w), side_of(role), path);
}

typedef struct {
    GWeakRef win;
    int side;
} ChooserData;

static void on_chooser_response(GtkNativeDialog *dialog, int response, gpointer data)
{
    ChooserData *cd = data;
    g_autofree char *path = tsc_viewer_chooser_dup_path(dialog, response);
    g_autoptr(TscCompareWindow) self = g_weak_ref_get(&cd->win);
    if (self && path) open_side(self, cd->side, path);
    g_weak_ref_clear(&cd->win);
    g_free(cd);
    g_object_unref(dialog);
}

static void act_choose(GtkWidget *w, const char *name, GVariant *p)
{
    (void)name;
    int i = side_of(g_variant_get_string(p, NULL));
    g_autofree char *title = g_strdup_printf("Open the %s Study", i ? "Follow-up" : "Baseline");
    GtkFileChooserNative *d = gtk_file_chooser_native_new(
        title, GTK_WINDOW(w), GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, "_Open", "_Cancel");
    ChooserData *cd = g_new0(ChooserData, 1);
    g_weak_ref_init(&cd->win, w);
    cd->side = i;
    g_signal_connect(d, "response", G_CALLBACK(on_chooser_response), cd);
    gtk_native_dialog_show(GTK_NATIVE_DIALOG(d));
}

/* A side from the PACS: the study retrieved into our cache becomes that
 * side, as a folder chosen for it would. */
static void on_pacs_open(TscPacsDialog *dialog, const char *folder, gpointer data)
{
    (void)dialog;
    TscCompareWindow *self = data;
    /* Recent at once, as a retrieve in the main window: the study is in our
     * cache whether or not the pair opens (the other side may be missing). */
    if (self->app) tsc_viewer_app_add_recent(self->app, folder);
    fill_open_menus(self);
    g_info("%s retrieved from the PACS", role_name(self->pacs_side));
    open_side(self, self->pacs_side, folder);
}

/* "From PACS…": the PACS dialog, modal over this window.  Closing the
 * window destroys it, which cancels its retrieve (the dialog's own
 * cancellable and weak reference); its "open" is connected to this window
 * alone, so nothing arrives here after. */
static void act_choose_pacs(GtkWidget *w, const char *name, GVariant *p)
{
    (void)name;
    TscCompareWindow *self = TSC_COMPARE_WINDOW(w);
    if (!self->app || !tsc_pacs_dialog_available()) return;
    int side = side_of(g_variant_get_string(p, NULL));
    if (self->pacs_dialog && side != self->pacs_side &&
        tsc_pacs_dialog_is_retrieving(TSC_PACS_DIALOG(self->pacs_dialog))) {
        /* A retrieve for the other side is under way: it lands there. */
        g_autofree char *t = g_strdup_printf(
            "The %s is being retrieved from the PACS: choose the %s once it has arrived.",
            role_name(self->pacs_side), role_name(side));
        gtk_label_set_text(self->status_label, t);
        gtk_window_present(GTK_WINDOW(self->pacs_dialog));
        return;
    }
    self->pacs_side = side;
    if (!self->pacs_dialog) {
        TscPacsDialog *d =
            tsc_pacs_dialog_new(GTK_WINDOW(self), tsc_viewer_app_get_prefs(self->app));
        gtk_window_set_modal(GTK_WINDOW(d), TRUE);
        g_signal_connect_object(d, "open", G_CALLBACK(on_pacs_open), self, 0);
        self->pacs_dialog = GTK_WIDGET(d);
        g_object_add_weak_pointer(G_OBJECT(d), (gpointer *)&self->pacs_dialog);
    }
    g_autofree char *title = g_strdup_printf("Open the %s from PACS", role_name(self->pacs_side));
    gtk_window_set_title(GTK_WINDOW(self->pacs_dialog), title);
    gtk_window_present(GTK_WINDOW(self->pacs_dialog));
}

static void act_confirm(GtkWidget *w, const char *name, GVariant *p)
{
    (void)name;
    tsc_compare_window_confirm_patient(TSC_COMPARE_WINDOW(w), g_variant_get_boolean(p));
}

static void act_goto(GtkWidget *w, const char *name, GVariant *p)
{
    TscCompareWindow *self = TSC_COMPARE_WINDOW(w);
    const char *role;
    int k;
    g_variant_get(p, "(&si)", &role, &k);
    int i = side_of(role);
    self->scrolled = TRUE;
    if (g_str_equal(name, "compare.step")) k += (int)self->side[i].slice;
    tsc_compare_window_goto_slice(self, i, MAX(k, 0));
}

static void act_series(GtkWidget *w, const char *name, GVariant *p)
{
    (void)name;
    TscCompareWindow *self = TSC_COMPARE_WINDOW(w);
    const char *role;
    int k;
    g_variant_get(p, "(&si)", &role, &k);
    Side *s = &self->side[side_of(role)];
    if (s->study && k >= 0 && (gsize)k < tsc_viewer_study_n_series(s->study))
        gtk_drop_down_set_selected(s->series_drop, (guint)k);
}

/* A viewport's window (centre, width), as a right-drag sets it. */
static void act_window(GtkWidget *w, const char *name, GVariant *p)
{
    (void)name;
    const char *role;
    double c, width;
    g_variant_get(p, "(&sdd)", &role, &c, &width);
    tsc_slice_view_set_window(TSC_COMPARE_WINDOW(w)->side[side_of(role)].view, c, width);
}

/* A viewport's zoom by a factor, as Ctrl+wheel or the zoom keys. */
static void act_zoom(GtkWidget *w, const char *name, GVariant *p)
{
    (void)name;
    const char *role;
    double factor;
    g_variant_get(p, "(&sd)", &role, &factor);
    gtk_widget_activate_action(GTK_WIDGET(TSC_COMPARE_WINDOW(w)->side[side_of(role)].view),
                               "view.zoom", "d", factor);
}

/* Escape: stops the analyses and the opening of the pair (what was
 * analysed is kept; nothing is compared). */
static void act_cancel(GtkWidget *w, const char *name, GVariant *p)
{
    (void)name;
    (void)p;
    TscCompareWindow *self = TSC_COMPARE_WINDOW(w);
    if (!self->n_opening && !self->side[0].analysing && !self->side[1].analysing) return;
    g_info("comparison cancelled");
    tsc_viewer_cancel_clear(&self->cancellable);
    self->cancellable = g_cancellable_new();
}

static void act_export(GtkWidget *w, const char *name, GVariant *p)
{
    (void)name;
    tsc_compare_window_export(TSC_COMPARE_WINDOW(w), g_variant_get_string(p, NULL));
}

/* The "Open …" menus: a folder, the PACS, or a recent study. */
static void fill_open_menus(TscCompareWindow *self)
{
    g_auto(GStrv) recent = self->app
                               ? tsc_viewer_prefs_dup_recent(tsc_viewer_app_get_prefs(self->app))
                               : g_new0(char *, 1);
    for (int i = 0; i < 2; i++) {
        g_autoptr(GMenu) menu = g_menu_new();
        g_autoptr(GMenuItem) folder = g_menu_item_new("Folder\xe2\x80\xa6", NULL);
        g_menu_item_set_action_and_target_value(folder, "compare.choose",
                                                g_variant_new_string(i ? "follow-up" : "baseline"));
        g_menu_append_item(menu, folder);
        g_autoptr(GMenuItem) pacs = g_menu_item_new("From PACS\xe2\x80\xa6", NULL);
        g_menu_item_set_action_and_target_value(pacs, "compare.choose-pacs",
                                                g_variant_new_string(i ? "follow-up" : "baseline"));
        g_menu_append_item(menu, pacs);
        g_autoptr(GMenu) section = g_menu_new();
        for (char **p = recent; *p; p++) {
            g_autofree char *base = g_path_get_basename(*p);
            g_auto(GStrv) parts = g_strsplit(base, "_", -1);
            g_autofree char *label = g_strjoinv("__", parts); /* no mnemonic */
            g_autoptr(GMenuItem) item = g_menu_item_new(label, NULL);
            g_menu_item_set_action_and_target_value(
                item, "compare.open-side", g_variant_new("(ss)", i ? "follow-up" : "baseline", *p));
            g_menu_append_item(section, item);
        }
        g_menu_append_section(menu, "Recent Studies", G_MENU_MODEL(section));
        gtk_menu_button_set_menu_model(self->side[i].open, G_MENU_MODEL(menu));
    }
}

/* ---- GObject ------------------------------------------------------------ */

static void set_link_zoom(TscCompareWindow *self, gboolean on)
{
    self->link_zoom = on;
    g_clear_pointer(&self->zoom_binding, g_binding_unbind);
    if (on)
        self->zoom_binding =
            g_object_bind_property(self->side[0].view, "zoom", self->side[1].view, "zoom",
                                   G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
}

static void tsc_compare_window_get_property(GObject *o, guint id, GValue *v, GParamSpec *pspec)
{
    TscCompareWindow *self = TSC_COMPARE_WINDOW(o);
    switch (id) {
    case PROP_SYNC_SCROLL: g_value_set_boolean(v, self->sync_scroll); break;
    case PROP_LINK_WINDOW: g_value_set_boolean(v, self->link_window); break;
    case PROP_LINK_ZOOM: g_value_set_boolean(v, self->link_zoom); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(o, id, pspec);
    }
}

static void tsc_compare_window_set_property(GObject *o, guint id, const GValue *v,
                                            GParamSpec *pspec)
{
    TscCompareWindow *self = TSC_COMPARE_WINDOW(o);
    switch (id) {
    case PROP_SYNC_SCROLL:
        self->sync_scroll = g_value_get_boolean(v);
        /* Back in step at once, on the viewport scrolled last. */
        if (self->sync_scroll && _tsc_compare_window_pair_shown(self))
            tsc_compare_window_goto_slice(self, self->leader,
                                          (gssize)self->side[self->leader].slice);
        for (int i = 0; i < 2; i++) _tsc_compare_window_refresh_side_labels(self, i);
        break;
    case PROP_LINK_WINDOW:
        self->link_window = g_value_get_boolean(v);
        if (self->link_window)
            _tsc_compare_window_on_window_changed(self->side[self->leader].view, self);
        break;
    case PROP_LINK_ZOOM: set_link_zoom(self, g_value_get_boolean(v)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(o, id, pspec);
    }
}

/* Side by side when wide, one above the other when narrow. */
static void tsc_compare_window_size_allocate(GtkWidget *w, int width, int height, int baseline)
{
    TscCompareWindow *self = TSC_COMPARE_WINDOW(w);
    GtkOrientation want = width >= TSC_COMPARE_SIDE_BY_SIDE_MIN_WIDTH ? GTK_ORIENTATION_HORIZONTAL
                                                                      : GTK_ORIENTATION_VERTICAL;
    if (gtk_orientable_get_orientation(GTK_ORIENTABLE(self->views_box)) != want)
        gtk_orientable_set_orientation(GTK_ORIENTABLE(self->views_box), want);
    GTK_WIDGET_CLASS(tsc_compare_window_parent_class)->size_allocate(w, width, height, baseline);
}

/* A dialog of this window held by a weak pointer, destroyed. */
static void destroy_dialog(GtkWidget **dialog)
{
    if (!*dialog) return;
    GtkWidget *d = *dialog;
    g_object_remove_weak_pointer(G_OBJECT(d), (gpointer *)dialog);
    *dialog = NULL;
    gtk_window_destroy(GTK_WINDOW(d));
}

static void tsc_compare_window_dispose(GObject *object)
{
    TscCompareWindow *self = TSC_COMPARE_WINDOW(object);
    tsc_viewer_cancel_clear(&self->cancellable);
    /* A running export finishes its files (it is short). */
    g_clear_object(&self->export_cancellable);
    /* The PACS dialog's retrieve is cancelled as it goes. */
    destroy_dialog(&self->confirm_dialog);
    destroy_dialog(&self->pacs_dialog);
    g_clear_pointer(&self->zoom_binding, g_binding_unbind);
    for (int i = 0; i < 2; i++) {
        if (self->side[i].view) tsc_slice_view_set_result(self->side[i].view, NULL, NULL);
        g_clear_object(&self->side[i].study);
    }
    g_clear_pointer(&self->cmp, tsc_comparison_free);
    if (self->app) g_object_remove_weak_pointer(G_OBJECT(self->app), (gpointer *)&self->app);
    self->app = NULL;
    gtk_widget_dispose_template(GTK_WIDGET(self), TSC_TYPE_COMPARE_WINDOW);
    G_OBJECT_CLASS(tsc_compare_window_parent_class)->dispose(object);
}

static void tsc_compare_window_finalize(GObject *object)
{
    TscCompareWindow *self = TSC_COMPARE_WINDOW(object);
    for (int i = 0; i < 2; i++) {
        g_free(self->side[i].path);
        g_free(self->side[i].error);
        g_free(self->side[i].edits);
    }
    g_free(self->compare_error);
    g_free(self->export_folder);
    g_free(self->export_message);
    G_OBJECT_CLASS(tsc_compare_window_parent_class)->finalize(object);
}

static void tsc_compare_window_class_init(TscCompareWindowClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    oc->get_property = tsc_compare_window_get_property;
    oc->set_property = tsc_compare_window_set_property;
    oc->dispose = tsc_compare_window_dispose;
    oc->finalize = tsc_compare_window_finalize;
    wc->size_allocate = tsc_compare_window_size_allocate;

    GParamFlags f = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;
    props[PROP_SYNC_SCROLL] = g_param_spec_boolean("sync-scroll", NULL, NULL, TRUE, f);
    /* Off by default: MR grey values are not calibrated between sessions. */
    props[PROP_LINK_WINDOW] = g_param_spec_boolean("link-window", NULL, NULL, FALSE, f);
    props[PROP_LINK_ZOOM] = g_param_spec_boolean("link-zoom", NULL, NULL, TRUE, f);
    g_object_class_install_properties(oc, N_PROPS, props);

    g_type_ensure(TSC_TYPE_SLICE_VIEW);
    gtk_widget_class_set_template_from_resource(wc, "/org/tumorscope/Viewer/compare_window.ui");
    gtk_widget_class_bind_template_child(wc, TscCompareWindow, views_box);
    gtk_widget_class_bind_template_child(wc, TscCompareWindow, patient_label);
    gtk_widget_class_bind_template_child(wc, TscCompareWindow, status_label);
    gtk_widget_class_bind_template_child(wc, TscCompareWindow, rano_label);
    gtk_widget_class_bind_template_child(wc, TscCompareWindow, reason_label);
    gtk_widget_class_bind_template_child(wc, TscCompareWindow, rules_label);
    gtk_widget_class_bind_template_child(wc, TscCompareWindow, table);
    gtk_widget_class_bind_template_child(wc, TscCompareWindow, export_button);
    gtk_widget_class_bind_template_child(wc, TscCompareWindow, sync_toggle);
    gtk_widget_class_bind_template_child(wc, TscCompareWindow, window_toggle);
    gtk_widget_class_bind_template_child(wc, TscCompareWindow, zoom_toggle);
    /* Each viewport's widgets: NAME0 (baseline) and NAME1 (follow-up). */
    static const struct {
        const char *name[2];
        gssize offset; /* within Side */
    } side_children[] = {
        {{"title0", "title1"}, G_STRUCT_OFFSET(Side, title)},
        {{"view0", "view1"}, G_STRUCT_OFFSET(Side, view)},
        {{"position0", "position1"}, G_STRUCT_OFFSET(Side, position)},
        {{"open0", "open1"}, G_STRUCT_OFFSET(Side, open)},
        {{"series0", "series1"}, G_STRUCT_OFFSET(Side, series_drop)},
    };
    for (size_t k = 0; k < G_N_ELEMENTS(side_children); k++)
        for (int i = 0; i < 2; i++)
            gtk_widget_class_bind_template_child_full(wc, side_children[k].name[i], FALSE,
                                                      G_STRUCT_OFFSET(TscCompareWindow, side) +
                                                          i * (gssize)sizeof(Side) +
                                                          side_children[k].offset);

    gtk_widget_class_install_property_action(wc, "compare.sync-scroll", "sync-scroll");
    gtk_widget_class_install_property_action(wc, "compare.link-window", "link-window");
    gtk_widget_class_install_property_action(wc, "compare.link-zoom", "link-zoom");
    gtk_widget_class_install_action(wc, "compare.open", "(ss)", act_open);
    gtk_widget_class_install_action(wc, "compare.open-side", "(ss)", act_open_side);
    gtk_widget_class_install_action(wc, "compare.choose", "s", act_choose);
    gtk_widget_class_install_action(wc, "compare.choose-pacs", "s", act_choose_pacs);
    gtk_widget_class_install_action(wc, "compare.confirm-patient", "b", act_confirm);
    gtk_widget_class_install_action(wc, "compare.goto", "(si)", act_goto);
    gtk_widget_class_install_action(wc, "compare.step", "(si)", act_goto);
    gtk_widget_class_install_action(wc, "compare.series", "(si)", act_series);
    gtk_widget_class_install_action(wc, "compare.window", "(sdd)", act_window);
    gtk_widget_class_install_action(wc, "compare.zoom", "(sd)", act_zoom);
    gtk_widget_class_install_action(wc, "compare.export", "s", act_export);
    gtk_widget_class_install_action(wc, "compare.cancel", NULL, act_cancel);
    gtk_widget_class_add_binding_action(wc, GDK_KEY_Escape, 0, "compare.cancel", NULL);
    gtk_widget_class_add_binding_action(wc, GDK_KEY_e, GDK_CONTROL_MASK, "compare.export", "s", "");
    gtk_widget_class_add_binding_action(wc, GDK_KEY_w, GDK_CONTROL_MASK, "window.close", NULL);
}

static void tsc_compare_window_init(TscCompareWindow *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    self->sync_scroll = TRUE;
    self->export_cancellable = g_cancellable_new();
    for (int i = 0; i < 2; i++) {
        Side *s = &self->side[i];
        g_signal_connect(s->view, "step", G_CALLBACK(_tsc_compare_window_on_step), self);
        g_signal_connect(s->view, "window-changed",
                         G_CALLBACK(_tsc_compare_window_on_window_changed), self);
        g_signal_connect(s->series_drop, "notify::selected", G_CALLBACK(on_series_selected), self);
        _tsc_compare_window_refresh_side_labels(self, i);
    }
    set_link_zoom(self, TRUE);
    /* The header's toggles are the properties (the compare.* property
     * actions are the same for keys and scripts). */
    static const char *const names[3] = {"sync-scroll", "link-window", "link-zoom"};
    GtkToggleButton *toggles[3] = {self->sync_toggle, self->window_toggle, self->zoom_toggle};
    for (int i = 0; i < 3; i++)
        g_object_bind_property(self, names[i], toggles[i], "active",
                               G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
    _tsc_compare_window_refresh_status(self);
}

static void on_deidentify_changed(TscCompareWindow *self)
{
    for (int i = 0; i < 2; i++) _tsc_compare_window_refresh_side_labels(self, i);
}

TscCompareWindow *tsc_compare_window_new(GtkWindow *parent, TscViewerApp *app)
{
    TscCompareWindow *self = g_object_new(TSC_TYPE_COMPARE_WINDOW, "transient-for", parent,
                                          "application", app ? GTK_APPLICATION(app) : NULL, NULL);
    self->app = app;
    if (app) {
        g_object_add_weak_pointer(G_OBJECT(app), (gpointer *)&self->app);
        /* The labels name the patient unless de-identifying. */
        g_signal_connect_object(tsc_viewer_app_get_prefs(app), "notify::deidentify",
                                G_CALLBACK(on_deidentify_changed), self, G_CONNECT_SWAPPED);
    }
    /* The first size, for scripts and tests (as TSC_VIEWER_WINDOW_SIZE is
     * the main window's). */
    const char *size = g_getenv("TSC_VIEWER_COMPARE_SIZE");
    int width = 0, height = 0;
    if (size && sscanf(size, "%dx%d", &width, &height) == 2 && width > 0 && height > 0)
        gtk_window_set_default_size(GTK_WINDOW(self), width, height);
    /* Without the plugin's PACS client, "From PACS…" is insensitive. */
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "compare.choose-pacs",
                                  tsc_pacs_dialog_available());
    fill_open_menus(self);
    return self;
}

gboolean tsc_compare_window_is_idle(TscCompareWindow *self)
{
    g_return_val_if_fail(TSC_IS_COMPARE_WINDOW(self), TRUE);
    if (self->n_opening || self->exports_running) return FALSE;
    for (int i = 0; i < 2; i++) {
        Side *s = &self->side[i];
        if (s->analysing) return FALSE;
        if (!_tsc_compare_window_pair_shown(self)) continue;
        TscViewerImage *im = tsc_slice_view_get_image(s->view);
        if (!im || im->series != s->series || im->slice != s->slice) return FALSE;
    }
    return TRUE;
}
