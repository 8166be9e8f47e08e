/* SPDX-License-Identifier: BSD-3-Clause */
#define G_LOG_DOMAIN "tsc-viewer-pacs"
#include "pacs_dialog.h"

#include <string.h>

#include "viewer_pacs.h"

/* Studies a page; $TSC_VIEWER_PACS_PAGE (1..1000) for tests of paging. */
#define PAGE 50
#define TYPING_DELAY_MS 350

struct _TscPacsDialog {
    GtkWindow parent_instance;
    GtkDropDown *node_dropdown;
    GtkStringList *node_names;
    GtkEditable *name_entry, *id_entry, *accession_entry, *from_entry, *to_entry, *modality_entry;
    GtkLabel *error_label, *empty_title, *empty_subtitle, *status_label;
    GtkWidget *empty_button, *header_row, *more_button, *cancel_button, *retrieve_button;
    GtkStack *list_stack;
    GtkListBox *study_list;
    GtkProgressBar *progress_bar;
    GtkImage *empty_icon;
    GtkWidget *error_bar;

    TscViewerPrefs *prefs;
    GPtrArray *nodes;   /* TscViewerPacsNode */
    GPtrArray *studies; /* tsc_pacs_study, every page loaded */
    gboolean has_more, searching, retrieving, filling;
    guint typing_id;
    gsize page;
    /* Each search gets a new cancellable; a result whose cancellable was
     * cancelled (a newer search started) is dropped. */
    GCancellable *search_cancellable, *retrieve_cancellable;
    char *retrieve_result; /* what the last retrieve did, in words */
};

G_DEFINE_FINAL_TYPE(TscPacsDialog, tsc_pacs_dialog, GTK_TYPE_WINDOW)

enum { SIGNAL_OPEN, N_SIGNALS };
static guint signals[N_SIGNALS];

static const TscViewerPacsNode *current_node(TscPacsDialog *self)
{
    guint i = gtk_drop_down_get_selected(self->node_dropdown);
    return i < self->nodes->len ? g_ptr_array_index(self->nodes, i) : NULL;
}

static void show_error(TscPacsDialog *self, const char *message)
{
    gtk_label_set_text(self->error_label, message ? message : "");
    gtk_widget_set_visible(self->error_bar, message != NULL);
}

static void show_empty(TscPacsDialog *self, const char *icon, const char *title,
                       const char *subtitle)
{
    gtk_image_set_from_icon_name(self->empty_icon, icon);
    gtk_label_set_text(self->empty_title, title);
    gtk_label_set_text(self->empty_subtitle, subtitle);
    gtk_widget_set_visible(self->empty_button, self->nodes->len == 0);
    gtk_stack_set_visible_child_name(self->list_stack, "empty");
}

static void refresh_buttons(TscPacsDialog *self)
{
    gboolean selected = gtk_list_box_get_selected_row(self->study_list) != NULL;
    gtk_widget_set_sensitive(self->retrieve_button, selected && !self->retrieving);
    gtk_widget_set_visible(self->cancel_button, self->retrieving);
    gtk_widget_set_visible(GTK_WIDGET(self->progress_bar), self->retrieving);
    gtk_widget_set_visible(GTK_WIDGET(self->status_label), !self->retrieving);
    gtk_widget_set_visible(self->more_button, self->has_more && !self->searching);
}

/* ---- the list --------------------------------------------------------------- */

/* Column widths in pixels, the same for the header and the rows (whose
 * fonts differ, so widths in characters would not line up). */
static const struct {
    const char *title;
    int width;
    gboolean expand;
} columns[] = {
    {"Patient", 250, FALSE},   {"Patient ID", 130, FALSE}, {"Date", 90, FALSE},
    {"Modalities", 80, FALSE}, {"Description", 160, TRUE}, {"Series / images", 110, FALSE},
};

static GtkWidget *cell(const char *text, guint i)
{
    GtkWidget *l = gtk_label_new(text && *text ? text : "\xe2\x80\x94");
    gtk_label_set_xalign(GTK_LABEL(l), 0);
    /* The natural width is the column's: the text is cut to fit. */
    gtk_widget_set_size_request(l, columns[i].width, -1);
    gtk_label_set_max_width_chars(GTK_LABEL(l), 1);
    gtk_label_set_ellipsize(GTK_LABEL(l), PANGO_ELLIPSIZE_END);
    gtk_widget_set_hexpand(l, columns[i].expand);
    return l;
}

static char *shown_date(const char *d)
{
    if (strlen(d) == 8) return g_strdup_printf("%.4s-%.2s-%.2s", d, d + 4, d + 6);
    return g_strdup(d);
}

static char *shown_modalities(const char *m)
{
    g_auto(GStrv) parts = g_strsplit(m, "\\", -1);
    return g_strjoinv(", ", parts);
}

static char *shown_counts(const tsc_pacs_study *s)
{
    /* The node may not say (dcmqrscp does not): then nothing is shown. */
    if (s->n_series < 0 && s->n_instances < 0) return g_strdup("");
    g_autofree char *series = s->n_series >= 0 ? g_strdup_printf("%d", s->n_series) : g_strdup("?");
    g_autofree char *images =
        s->n_instances >= 0 ? g_strdup_printf("%d", s->n_instances) : g_strdup("?");
    return g_strdup_printf("%s / %s", series, images);
}

static void add_row(TscPacsDialog *self, const tsc_pacs_study *s)
{
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
    /* DICOM PN: FAMILY^GIVEN^MIDDLE; shown as "FAMILY, GIVEN MIDDLE". */
    g_auto(GStrv) pn = g_strsplit(s->patient_name, "^", 3);
    g_autofree char *given = pn[0] && pn[1] ? g_strjoinv(" ", pn + 1) : NULL;
    g_autofree char *name = given && *g_strstrip(given) ? g_strdup_printf("%s, %s", pn[0], given)
                                                        : g_strdup(pn[0] ? pn[0] : "");
    g_autofree char *date = shown_date(s->study_date);
    g_autofree char *mods = shown_modalities(s->modalities);
    g_autofree char *counts = shown_counts(s);
    const char *texts[] = {name, s->patient_id, date, mods, s->description, counts};
    for (guint i = 0; i < G_N_ELEMENTS(texts); i++) {
        GtkWidget *l = cell(texts[i], i);
        if (i == 0) gtk_widget_add_css_class(l, "heading");
        gtk_box_append(GTK_BOX(box), l);
    }
    gtk_widget_set_margin_top(box, 6);
    gtk_widget_set_margin_bottom(box, 6);
    gtk_widget_set_margin_start(box, 8);
    gtk_widget_set_margin_end(box, 8);
    gtk_list_box_append(self->study_list, box);
}

/* ---- searching -------------------------------------------------------------- */

typedef struct {
    GWeakRef dialog;
    GCancellable *cancellable;
    gboolean append;
} SearchCtx;

static void search_ctx_free(SearchCtx *c)
{
    g_weak_ref_clear(&c->dialog);
    g_object_unref(c->cancellable);
    g_free(c);
}

static void on_found(GObject *source, GAsyncResult *res, gpointer data)
{
    (void)source;
    SearchCtx *c = data;
    GError *error = NULL;
    gboolean more = FALSE;
    g_autoptr(GPtrArray) found = tsc_viewer_pacs_find_finish(res, &more, &error);
    g_autoptr(TscPacsDialog) self = g_weak_ref_get(&c->dialog);
    /* A newer search (or closing) cancelled this one: its result is stale. */
    if (!self || g_cancellable_is_cancelled(c->cancellable)) {
        g_clear_error(&error);
        search_ctx_free(c);
        return;
    }
    self->searching = FALSE;
    const TscViewerPacsNode *node = current_node(self);
    if (!found) {
        g_autofree char *msg = g_strdup_printf("The search on %s failed: %s",
                                               node ? node->name : "the node", error->message);
        show_error(self, msg);
        gtk_label_set_text(self->status_label, "");
        if (!c->append)
            show_empty(self, "network-error-symbolic", "The Search Failed",
                       "Check the node in Preferences \xe2\x86\x92 PACS nodes (Test Connection), "
                       "then change the search to try again.");
        g_error_free(error);
    } else {
        show_error(self, NULL);
        if (!c->append) g_ptr_array_set_size(self->studies, 0);
        for (guint i = 0; i < found->len; i++) {
            tsc_pacs_study *s = g_memdup2(g_ptr_array_index(found, i), sizeof(tsc_pacs_study));
            g_ptr_array_add(self->studies, s);
            add_row(self, s);
        }
        self->has_more = more;
        g_autofree char *status = g_strdup_printf("%u stud%s%s", self->studies->len,
                                                  self->studies->len == 1 ? "y" : "ies",
                                                  more ? " shown; more on the node" : "");
        gtk_label_set_text(self->status_label, status);
        if (self->studies->len == 0)
            show_empty(self, "edit-find-symbolic", "No Studies Found",
                       "No study on the node matches these fields. Fields match by their "
                       "beginning; clear some to widen the search.");
        else gtk_stack_set_visible_child_name(self->list_stack, "list");
    }
    refresh_buttons(self);
    search_ctx_free(c);
}

static void search(TscPacsDialog *self, gboolean append)
{
    g_clear_handle_id(&self->typing_id, g_source_remove);
    tsc_viewer_cancel_clear(&self->search_cancellable);
    self->searching = FALSE;
    const TscViewerPacsNode *node = current_node(self);
    if (!node) {
        show_empty(self, "network-server-symbolic", "No PACS Node",
                   "Add the archive's AE title, host and port to search its studies.");
        refresh_buttons(self);
        return;
    }
    if (!append) {
        GtkWidget *child;
        while ((child = gtk_widget_get_first_child(GTK_WIDGET(self->study_list))))
            gtk_list_box_remove(self->study_list, child);
        g_ptr_array_set_size(self->studies, 0);
        self->has_more = FALSE;
    }
    TscViewerPacsQuery q = {
        .patient_name = gtk_editable_get_text(self->name_entry),
        .patient_id = gtk_editable_get_text(self->id_entry),
        .date_from = gtk_editable_get_text(self->from_entry),
        .date_to = gtk_editable_get_text(self->to_entry),
        .modality = gtk_editable_get_text(self->modality_entry),
        .accession = gtk_editable_get_text(self->accession_entry),
        .offset = append ? self->studies->len : 0,
        .limit = self->page,
    };
    self->search_cancellable = g_cancellable_new();
    SearchCtx *c = g_new0(SearchCtx, 1);
    g_weak_ref_init(&c->dialog, self);
    c->cancellable = g_object_ref(self->search_cancellable);
    c->append = append;
    self->searching = TRUE;
    g_autofree char *status = g_strdup_printf("Searching %s\xe2\x80\xa6", node->name);
    gtk_label_set_text(self->status_label, status);
    if (!append && g_strcmp0(gtk_stack_get_visible_child_name(self->list_stack), "empty") == 0)
        show_empty(self, "network-server-symbolic", "Searching\xe2\x80\xa6", node->name);
    refresh_buttons(self);
    tsc_viewer_pacs_find_async(node, &q, self->search_cancellable, on_found, c);
}

static gboolean on_typing_done(gpointer data)
{
    TscPacsDialog *self = data;
    self->typing_id = 0;
    search(self, FALSE);
    return G_SOURCE_REMOVE;
}

static void on_field_changed(TscPacsDialog *self)
{
    if (self->filling) return;
    /* Search as you type, once the typing pauses. */
    g_clear_handle_id(&self->typing_id, g_source_remove);
    self->typing_id = g_timeout_add(TYPING_DELAY_MS, on_typing_done, self);
}

static void on_node_changed(TscPacsDialog *self)
{
    if (self->filling) return;
    const TscViewerPacsNode *node = current_node(self);
    if (node) tsc_viewer_pacs_set_chosen(self->prefs, node->name);
    search(self, FALSE);
}

gboolean tsc_pacs_dialog_is_retrieving(TscPacsDialog *self)
{
    g_return_val_if_fail(TSC_IS_PACS_DIALOG(self), FALSE);
    return self->retrieving;
}

/* ---- retrieving ------------------------------------------------------------- */

static void on_retrieve_progress(GObject *target, gsize done, gsize total, gpointer data)
{
    (void)data;
    TscPacsDialog *self = TSC_PACS_DIALOG(target);
    if (!self->retrieving) return;
    g_autofree char *text = total ? g_strdup_printf("%zu of %zu objects", done, total)
                                  : g_strdup_printf("%zu objects", done);
    gtk_progress_bar_set_text(self->progress_bar, text);
    if (total) gtk_progress_bar_set_fraction(self->progress_bar, (double)done / (double)total);
    else gtk_progress_bar_pulse(self->progress_bar);
}

static void on_retrieved(GObject *source, GAsyncResult *res, gpointer data)
{
    (void)source;
    g_autoptr(TscPacsDialog) self = tsc_viewer_weak_end(data);
    GError *error = NULL;
    gsize n = 0;
    g_autofree char *folder = tsc_viewer_pacs_retrieve_finish(res, &n, &error);
    if (!self) {
        g_clear_error(&error);
        return;
    }
    self->retrieving = FALSE;
    g_clear_object(&self->retrieve_cancellable);
    g_free(self->retrieve_result);
    if (folder) {
        self->retrieve_result = g_strdup_printf("retrieved %zu objects", n);
        refresh_buttons(self);
        g_signal_emit(self, signals[SIGNAL_OPEN], 0, folder);
        gtk_window_destroy(GTK_WINDOW(self));
        return;
    }
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        self->retrieve_result = g_strdup(error->message);
        gtk_label_set_text(self->status_label, error->message);
        show_error(self, NULL);
    } else {
        self->retrieve_result =
            g_strdup_printf("The study could not be retrieved: %s", error->message);
        show_error(self, self->retrieve_result);
    }
    g_error_free(error);
    refresh_buttons(self);
}

static void retrieve_row(TscPacsDialog *self, GtkListBoxRow *row)
{
    const TscViewerPacsNode *node = current_node(self);
    if (!row || !node || self->retrieving) return;
    int i = gtk_list_box_row_get_index(row);
    if (i < 0 || (guint)i >= self->studies->len) return;
    const tsc_pacs_study *s = g_ptr_array_index(self->studies, i);
    self->retrieving = TRUE;
    self->retrieve_cancellable = g_cancellable_new();
    show_error(self, NULL);
    gtk_progress_bar_set_fraction(self->progress_bar, 0);
    gtk_progress_bar_set_text(self->progress_bar, "Connecting\xe2\x80\xa6");
    refresh_buttons(self);
    tsc_viewer_pacs_retrieve_async(
        node, s->study_uid, tsc_viewer_progress_new(G_OBJECT(self), on_retrieve_progress, NULL),
        self->retrieve_cancellable, on_retrieved, tsc_viewer_weak_new(self));
}

static void on_retrieve_clicked(TscPacsDialog *self)
{
    retrieve_row(self, gtk_list_box_get_selected_row(self->study_list));
}

static void on_row_activated(TscPacsDialog *self, GtkListBoxRow *row)
{
    retrieve_row(self, row);
}

static void on_cancel_clicked(TscPacsDialog *self)
{
    if (self->retrieve_cancellable) g_cancellable_cancel(self->retrieve_cancellable);
}

/* Escape stops a retrieve first, then closes. */
static gboolean on_escape(GtkWidget *widget, GVariant *args, gpointer data)
{
    (void)args;
    (void)data;
    TscPacsDialog *self = TSC_PACS_DIALOG(widget);
    if (self->retrieving) on_cancel_clicked(self);
    else gtk_window_close(GTK_WINDOW(self));
    return TRUE;
}

/* ---- GObject ---------------------------------------------------------------- */

static void tsc_pacs_dialog_dispose(GObject *object)
{
    TscPacsDialog *self = TSC_PACS_DIALOG(object);
    g_clear_handle_id(&self->typing_id, g_source_remove);
    tsc_viewer_cancel_clear(&self->search_cancellable);
    tsc_viewer_cancel_clear(&self->retrieve_cancellable);
    /* The list and the drop-down emit while they are taken apart. */
    if (self->study_list) g_signal_handlers_disconnect_by_data(self->study_list, self);
    if (self->node_dropdown) g_signal_handlers_disconnect_by_data(self->node_dropdown, self);
    gtk_widget_dispose_template(GTK_WIDGET(self), TSC_TYPE_PACS_DIALOG);
    G_OBJECT_CLASS(tsc_pacs_dialog_parent_class)->dispose(object);
}

static void tsc_pacs_dialog_finalize(GObject *object)
{
    TscPacsDialog *self = TSC_PACS_DIALOG(object);
    g_clear_object(&self->prefs);
    g_clear_pointer(&self->nodes, g_ptr_array_unref);
    g_clear_pointer(&self->studies, g_ptr_array_unref);
    g_free(self->retrieve_result);
    G_OBJECT_CLASS(tsc_pacs_dialog_parent_class)->finalize(object);
}

static void tsc_pacs_dialog_class_init(TscPacsDialogClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    oc->dispose = tsc_pacs_dialog_dispose;
    oc->finalize = tsc_pacs_dialog_finalize;
    /* "open" (folder): a retrieved study to open. */
    signals[SIGNAL_OPEN] = g_signal_new("open", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
    gtk_widget_class_set_template_from_resource(wc, "/org/tumorscope/Viewer/pacs_dialog.ui");
#define CHILD(n) gtk_widget_class_bind_template_child(wc, TscPacsDialog, n)
    CHILD(node_dropdown);
    CHILD(node_names);
    CHILD(name_entry);
    CHILD(id_entry);
    CHILD(accession_entry);
    CHILD(from_entry);
    CHILD(to_entry);
    CHILD(modality_entry);
    CHILD(error_label);
    CHILD(empty_title);
    CHILD(empty_subtitle);
    CHILD(empty_button);
    CHILD(status_label);
    CHILD(header_row);
    CHILD(more_button);
    CHILD(cancel_button);
    CHILD(retrieve_button);
    CHILD(list_stack);
    CHILD(study_list);
    CHILD(progress_bar);
    CHILD(empty_icon);
    CHILD(error_bar);
#undef CHILD
    gtk_widget_class_add_binding(wc, GDK_KEY_Escape, 0, on_escape, NULL);
}

static void tsc_pacs_dialog_init(TscPacsDialog *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    self->studies = g_ptr_array_new_with_free_func(g_free);
    const char *page = g_getenv("TSC_VIEWER_PACS_PAGE");
    gint64 n = page ? g_ascii_strtoll(page, NULL, 10) : 0;
    self->page = n >= 1 && n <= 1000 ? (gsize)n : PAGE;
    for (guint i = 0; i < G_N_ELEMENTS(columns); i++)
        gtk_box_append(GTK_BOX(self->header_row), cell(columns[i].title, i));
    GtkEditable *fields[] = {self->name_entry, self->id_entry, self->accession_entry,
                             self->from_entry, self->to_entry, self->modality_entry};
    for (guint i = 0; i < G_N_ELEMENTS(fields); i++)
        g_signal_connect_swapped(fields[i], "changed", G_CALLBACK(on_field_changed), self);
    g_signal_connect_swapped(self->more_button, "clicked", G_CALLBACK(tsc_pacs_dialog_more), self);
    g_signal_connect_swapped(self->retrieve_button, "clicked", G_CALLBACK(on_retrieve_clicked),
                             self);
    g_signal_connect_swapped(self->cancel_button, "clicked", G_CALLBACK(on_cancel_clicked), self);
    g_signal_connect_swapped(self->study_list, "row-activated", G_CALLBACK(on_row_activated), self);
    g_signal_connect_swapped(self->study_list, "selected-rows-changed", G_CALLBACK(refresh_buttons),
                             self);
    g_signal_connect_swapped(self->node_dropdown, "notify::selected", G_CALLBACK(on_node_changed),
                             self);
}

gboolean tsc_pacs_dialog_available(void)
{
    return tsc_viewer_api_init(NULL) && TSC_PLUGIN_HAS(tsc_viewer_api(), pacs_store_files);
}

TscPacsDialog *tsc_pacs_dialog_new(GtkWindow *parent, TscViewerPrefs *prefs)
{
    g_return_val_if_fail(TSC_IS_VIEWER_PREFS(prefs), NULL);
    TscPacsDialog *self = g_object_new(TSC_TYPE_PACS_DIALOG, "transient-for", parent,
                                       "destroy-with-parent", TRUE, NULL);
    self->prefs = g_object_ref(prefs);
    self->nodes = tsc_viewer_pacs_dup_nodes(prefs);
    g_autoptr(TscViewerPacsNode) chosen = tsc_viewer_pacs_dup_node(prefs, NULL);
    self->filling = TRUE;
    guint selected = 0;
    for (guint i = 0; i < self->nodes->len; i++) {
        const TscViewerPacsNode *n = g_ptr_array_index(self->nodes, i);
        gtk_string_list_append(self->node_names, n->name);
        if (chosen && g_strcmp0(n->name, chosen->name) == 0) selected = i;
    }
    gtk_drop_down_set_selected(self->node_dropdown, selected);
    gtk_widget_set_visible(GTK_WIDGET(self->node_dropdown), self->nodes->len > 0);
    self->filling = FALSE;
    /* The first list: the modality default (MR) alone. */
    search(self, FALSE);
    return self;
}

void tsc_pacs_dialog_search(TscPacsDialog *self, GVariant *fields)
{
    g_return_if_fail(TSC_IS_PACS_DIALOG(self));
    g_return_if_fail(g_variant_is_of_type(fields, G_VARIANT_TYPE("a{ss}")));
    static const char *keys[] = {"patient-name", "patient-id", "accession",
                                 "date-from",    "date-to",    "modality"};
    GtkEditable *entries[] = {self->name_entry, self->id_entry, self->accession_entry,
                              self->from_entry, self->to_entry, self->modality_entry};
    /* "typed": "true" fills the fields as typing does (the search follows
     * once the typing pauses), for scripts that check search as you type. */
    const char *typed = NULL;
    gboolean as_typed =
        g_variant_lookup(fields, "typed", "&s", &typed) && g_strcmp0(typed, "true") == 0;
    self->filling = !as_typed;
    for (guint i = 0; i < G_N_ELEMENTS(keys); i++) {
        const char *v;
        if (g_variant_lookup(fields, keys[i], "&s", &v)) gtk_editable_set_text(entries[i], v);
    }
    const char *node;
    if (g_variant_lookup(fields, "node", "&s", &node))
        for (guint i = 0; i < self->nodes->len; i++)
            if (g_strcmp0(((TscViewerPacsNode *)g_ptr_array_index(self->nodes, i))->name, node) ==
                0)
                gtk_drop_down_set_selected(self->node_dropdown, i);
    self->filling = FALSE;
    if (!as_typed) search(self, FALSE);
}

void tsc_pacs_dialog_more(TscPacsDialog *self)
{
    g_return_if_fail(TSC_IS_PACS_DIALOG(self));
    if (self->has_more && !self->searching) search(self, TRUE);
}

void tsc_pacs_dialog_retrieve(TscPacsDialog *self, int row)
{
    g_return_if_fail(TSC_IS_PACS_DIALOG(self));
    GtkListBoxRow *r = gtk_list_box_get_row_at_index(self->study_list, row);
    if (!r) return;
    gtk_list_box_select_row(self->study_list, r);
    retrieve_row(self, r);
}

void tsc_pacs_dialog_write_state(TscPacsDialog *self, GKeyFile *kf)
{
    g_return_if_fail(TSC_IS_PACS_DIALOG(self));
    const TscViewerPacsNode *node = current_node(self);
    g_key_file_set_boolean(kf, "pacs", "dialog", TRUE);
    g_key_file_set_string(kf, "pacs", "node", node ? node->name : "");
    g_key_file_set_boolean(kf, "pacs", "searching", self->searching || self->typing_id != 0);
    g_key_file_set_boolean(kf, "pacs", "retrieving", self->retrieving);
    g_key_file_set_string(
        kf, "pacs", "error",
        gtk_widget_get_visible(self->error_bar) ? gtk_label_get_text(self->error_label) : "");
    const char *page = gtk_stack_get_visible_child_name(self->list_stack);
    g_key_file_set_string(kf, "pacs", "page", page);
    g_key_file_set_string(kf, "pacs", "empty-title",
                          g_strcmp0(page, "empty") == 0 ? gtk_label_get_text(self->empty_title)
                                                        : "");
    g_key_file_set_string(kf, "pacs", "status", gtk_label_get_text(self->status_label));
    const char *progress = gtk_progress_bar_get_text(self->progress_bar);
    g_key_file_set_string(kf, "pacs", "progress", progress ? progress : "");
    g_key_file_set_string(kf, "pacs", "retrieve-result",
                          self->retrieve_result ? self->retrieve_result : "");
    g_key_file_set_boolean(kf, "pacs", "more", gtk_widget_get_visible(self->more_button));
    g_key_file_set_integer(kf, "pacs", "rows", (int)self->studies->len);
    /* Rows without patient name or ID (the state is not for identifiers). */
    for (guint i = 0; i < self->studies->len; i++) {
        const tsc_pacs_study *s = g_ptr_array_index(self->studies, i);
        g_autofree char *key = g_strdup_printf("row-%u", i);
        g_autofree char *val =
            g_strdup_printf("%s|%s|%s|%d|%d|%s", s->study_date, s->modalities, s->description,
                            s->n_series, s->n_instances, s->study_uid);
        g_key_file_set_string(kf, "pacs", key, val);
    }
}
