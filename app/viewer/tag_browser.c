/* SPDX-License-Identifier: BSD-3-Clause */
#define G_LOG_DOMAIN "tsc-viewer"
#include "tag_browser.h"

#include <string.h>

#include "viewer_api.h"
#include "viewer_pacs.h"
#include "viewer_pool.h"

/* ---- one row ------------------------------------------------------------ */

#define TSC_TYPE_TAG_ROW (tsc_tag_row_get_type())
G_DECLARE_FINAL_TYPE(TscTagRow, tsc_tag_row, TSC, TAG_ROW, GObject)

struct _TscTagRow {
    GObject parent_instance;
    char *tag, *vr, *keyword, *value;
    char *haystack; /* what the search looks in, case-folded */
    guint depth;
    gboolean hidden;
};

G_DEFINE_FINAL_TYPE(TscTagRow, tsc_tag_row, G_TYPE_OBJECT)

static void tsc_tag_row_finalize(GObject *object)
{
    TscTagRow *self = TSC_TAG_ROW(object);
    g_free(self->tag);
    g_free(self->vr);
    g_free(self->keyword);
    g_free(self->value);
    g_free(self->haystack);
    G_OBJECT_CLASS(tsc_tag_row_parent_class)->finalize(object);
}

static void tsc_tag_row_class_init(TscTagRowClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = tsc_tag_row_finalize;
}

static void tsc_tag_row_init(TscTagRow *self)
{
    (void)self;
}

static TscTagRow *tag_row_new(const tsc_dicom_tag *t)
{
    TscTagRow *r = g_object_new(TSC_TYPE_TAG_ROW, NULL);
    r->tag = t->group || t->element ? g_strdup_printf("(%04X,%04X)", t->group, t->element)
                                    : g_strdup("");
    r->vr = g_strdup(t->vr);
    r->keyword = g_strdup(*t->keyword ? t->keyword : t->group & 1 ? "(private)" : "");
    r->value = g_strdup(t->value);
    r->depth = t->depth;
    r->hidden = t->hidden != 0;
    g_autofree char *all = g_strdup_printf("%s %04x%04x %s %s", r->tag, t->group, t->element,
                                           r->keyword, r->hidden ? "" : r->value);
    r->haystack = g_utf8_casefold(all, -1);
    return r;
}

/* ---- the window --------------------------------------------------------- */

struct _TscTagBrowser {
    GtkWindow parent_instance;
    GtkLabel *source_label, *deid_label, *status_label;
    GtkSearchEntry *search_entry;
    GtkColumnView *columns;

    GListStore *rows;
    GtkCustomFilter *filter;
    GtkFilterListModel *shown;
    char *needle;  /* case-folded search text; NULL: everything */
    guint request; /* the reading whose answer is wanted */
    GCancellable *cancellable; /* of that reading: a step further cancels it */
    gboolean loading, deidentify;
    char *error;
};

G_DEFINE_FINAL_TYPE(TscTagBrowser, tsc_tag_browser, GTK_TYPE_WINDOW)

typedef struct {
    TscViewerStudy *study;
    gsize series, slice;
    unsigned flags;
    guint request;
    GWeakRef *self;
} Job;

static void job_free(Job *j)
{
    g_clear_object(&j->study);
    if (j->self) {
        gpointer o = tsc_viewer_weak_end(j->self);
        if (o) g_object_unref(o);
    }
    g_free(j);
}

static void read_in_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
    (void)source;
    (void)cancellable;
    Job *j = data;
    /* Scrolled past while it waited for a thread: not read at all. */
    if (g_task_return_error_if_cancelled(task)) return;
    const tsc_plugin_api *api = tsc_viewer_api();
    tsc_dicom_tag_list *list = NULL;
    tsc_error err = {0};
    if (api->dicom_slice_tags(tsc_viewer_study_get_index(j->study), j->series, j->slice, j->flags,
                              &list, &err) != TSC_OK) {
        g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", err.message);
        return;
    }
    GPtrArray *rows = g_ptr_array_new_with_free_func(g_object_unref);
    for (size_t i = 0, n = api->dicom_tag_list_count(list); i < n; i++)
        g_ptr_array_add(rows, tag_row_new(api->dicom_tag_list_get(list, i)));
    api->dicom_tag_list_free(list);
    g_task_return_pointer(task, rows, (GDestroyNotify)g_ptr_array_unref);
}

static void update_status(TscTagBrowser *self)
{
    guint n = g_list_model_get_n_items(G_LIST_MODEL(self->rows));
    guint s = g_list_model_get_n_items(G_LIST_MODEL(self->shown));
    g_autofree char *text = self->error     ? g_strdup(self->error)
                            : self->loading ? g_strdup("Reading the file\xe2\x80\xa6")
                            : s == n        ? g_strdup_printf("%u attributes", n)
                                            : g_strdup_printf("%u of %u attributes match", s, n);
    gtk_label_set_text(self->status_label, text);
}

static void read_done(GObject *source, GAsyncResult *result, gpointer data)
{
    (void)source;
    (void)data;
    Job *j = g_task_get_task_data(G_TASK(result));
    TscTagBrowser *self = tsc_viewer_weak_end(j->self);
    j->self = NULL;
    if (!self) return;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) rows = g_task_propagate_pointer(G_TASK(result), &error);
    if (j->request == self->request) {
        self->loading = FALSE;
        g_clear_pointer(&self->error, g_free);
        if (rows)
            g_list_store_splice(self->rows, 0, g_list_model_get_n_items(G_LIST_MODEL(self->rows)),
                                rows->pdata, rows->len);
        else self->error = g_strdup(error->message);
        update_status(self);
    }
    g_object_unref(self);
}

void tsc_tag_browser_show(TscTagBrowser *self, TscViewerStudy *study, gsize series, gsize slice,
                          gboolean deidentify)
{
    g_return_if_fail(TSC_IS_TAG_BROWSER(self));
    const tsc_plugin_api *api = tsc_viewer_api();
    self->request++;
    tsc_viewer_cancel_clear(&self->cancellable);
    self->loading = FALSE;
    self->deidentify = deidentify;
    g_clear_pointer(&self->error, g_free);
    /* Empty at once: the rows on screen belong to the slice that was. */
    g_list_store_remove_all(self->rows);
    gtk_widget_set_visible(GTK_WIDGET(self->deid_label), deidentify);
    if (!study) {
        gtk_label_set_text(self->source_label, "No slice on screen");
        update_status(self);
        return;
    }
    if (!TSC_PLUGIN_HAS(api, dicom_slice_tags)) {
        gtk_label_set_text(self->source_label, "No tags");
        self->error = g_strdup_printf("The plugin (ABI %u) has no tag browser; version 8 or later "
                                      "has one. Install the plugin that came with this viewer.",
                                      api->version);
        update_status(self);
        return;
    }
    const tsc_dicom_index *index = tsc_viewer_study_get_index(study);
    const tsc_dicom_series_info *se = api->study_get_series(index, series);
    const tsc_dicom_slice_info *si = api->study_get_slice(index, series, slice);
    g_autofree char *base = g_path_get_basename(si->path);
    /* A file name can hold a patient's name: not shown when de-identified. */
    g_autofree char *source =
        g_strdup_printf("Series %d \xc2\xb7 slice %zu of %zu%s%s%s", se->series_number, slice + 1,
                        se->n_slices, deidentify ? "" : " \xc2\xb7 ", deidentify ? "" : base,
                        si->n_frames > 1 ? " (a multi-frame object: all its attributes)" : "");
    gtk_label_set_text(self->source_label, source);

    Job *j = g_new0(Job, 1);
    j->study = g_object_ref(study);
    j->series = series;
    j->slice = slice;
    j->flags = deidentify ? TSC_DICOM_TAGS_DEIDENTIFY : 0;
    j->request = self->request;
    j->self = tsc_viewer_weak_new(self);
    self->loading = TRUE;
    update_status(self);
    self->cancellable = g_cancellable_new();
    g_autoptr(GTask) task = g_task_new(NULL, self->cancellable, read_done, NULL);
    g_task_set_task_data(task, j, (GDestroyNotify)job_free);
    tsc_viewer_pool_run(TSC_VIEWER_POOL_DECODE, task, read_in_thread);
}

static gboolean match(gpointer item, gpointer data)
{
    TscTagBrowser *self = data;
    return !self->needle || strstr(TSC_TAG_ROW(item)->haystack, self->needle) != NULL;
}

static void on_search_changed(TscTagBrowser *self)
{
    const char *text = gtk_editable_get_text(GTK_EDITABLE(self->search_entry));
    g_clear_pointer(&self->needle, g_free);
    if (text && *text) self->needle = g_utf8_casefold(text, -1);
    gtk_filter_changed(GTK_FILTER(self->filter), GTK_FILTER_CHANGE_DIFFERENT);
    update_status(self);
}

void tsc_tag_browser_set_search(TscTagBrowser *self, const char *text)
{
    g_return_if_fail(TSC_IS_TAG_BROWSER(self));
    gtk_editable_set_text(GTK_EDITABLE(self->search_entry), text ? text : "");
    on_search_changed(self); /* at once, not after the entry's search delay */
}

/* A value that cannot identify anyone: de-identified, or a number or code. */
static gboolean value_is_safe(const TscTagBrowser *self, const TscTagRow *r)
{
    static const char *const safe[] = {"US", "UL", "SS", "SL", "FL", "FD", "DS", "IS", "CS", "SQ"};
    if (r->hidden || self->deidentify) return TRUE;
    for (size_t i = 0; i < G_N_ELEMENTS(safe); i++)
        if (strcmp(r->vr, safe[i]) == 0) return TRUE;
    return FALSE;
}

void tsc_tag_browser_write_state(TscTagBrowser *self, GKeyFile *kf)
{
    g_return_if_fail(TSC_IS_TAG_BROWSER(self));
    GListModel *shown = G_LIST_MODEL(self->shown);
    guint n = g_list_model_get_n_items(shown);
    g_key_file_set_boolean(kf, "tags", "open", TRUE);
    g_key_file_set_boolean(kf, "tags", "loading", self->loading);
    g_key_file_set_boolean(kf, "tags", "deidentified", self->deidentify);
    g_key_file_set_string(kf, "tags", "error", self->error ? self->error : "");
    g_key_file_set_integer(kf, "tags", "rows",
                           (int)g_list_model_get_n_items(G_LIST_MODEL(self->rows)));
    g_key_file_set_integer(kf, "tags", "shown", (int)n);
    g_autoptr(GString) lines = g_string_new(NULL);
    for (guint i = 0; i < n && i < 50; i++) {
        g_autoptr(TscTagRow) r = g_list_model_get_item(shown, i);
        g_string_append_printf(lines, "%s%s %s%s = %s", i ? "\n" : "", r->tag, r->keyword,
                               r->hidden ? " [hidden]" : "",
                               value_is_safe(self, r) ? r->value : "(not written: identifying)");
    }
    g_key_file_set_string(kf, "tags", "lines", lines->str);
}

/* ---- columns ------------------------------------------------------------ */

typedef enum { COL_TAG, COL_VR, COL_KEYWORD, COL_VALUE } Column;

static void setup_cell(GtkSignalListItemFactory *f, GtkListItem *item, gpointer data)
{
    (void)f;
    Column col = GPOINTER_TO_INT(data);
    GtkWidget *l = gtk_label_new(NULL);
    gtk_label_set_xalign(GTK_LABEL(l), 0);
    if (col == COL_TAG) gtk_widget_add_css_class(l, "monospace");
    if (col == COL_VALUE) {
        gtk_label_set_ellipsize(GTK_LABEL(l), PANGO_ELLIPSIZE_END);
        gtk_label_set_selectable(GTK_LABEL(l), TRUE);
    }
    gtk_list_item_set_child(item, l);
}

static void bind_cell(GtkSignalListItemFactory *f, GtkListItem *item, gpointer data)
{
    (void)f;
    Column col = GPOINTER_TO_INT(data);
    TscTagRow *r = gtk_list_item_get_item(item);
    GtkWidget *l = gtk_list_item_get_child(item);
    const char *text = col == COL_TAG       ? r->tag
                       : col == COL_VR      ? r->vr
                       : col == COL_KEYWORD ? r->keyword
                                            : r->value;
    gtk_label_set_text(GTK_LABEL(l), text);
    if (col == COL_KEYWORD) gtk_widget_set_margin_start(l, 16 * (int)r->depth);
    if (col == COL_VALUE) {
        gtk_widget_set_tooltip_text(l, strlen(r->value) > 60 ? r->value : NULL);
        if (r->hidden) gtk_widget_add_css_class(l, "dim-label");
        else gtk_widget_remove_css_class(l, "dim-label");
    }
}

static void add_column(TscTagBrowser *self, const char *title, Column col, gboolean expand)
{
    GtkListItemFactory *f = gtk_signal_list_item_factory_new();
    g_signal_connect(f, "setup", G_CALLBACK(setup_cell), GINT_TO_POINTER(col));
    g_signal_connect(f, "bind", G_CALLBACK(bind_cell), GINT_TO_POINTER(col));
    GtkColumnViewColumn *c = gtk_column_view_column_new(title, f);
    gtk_column_view_column_set_expand(c, expand);
    gtk_column_view_column_set_resizable(c, TRUE);
    gtk_column_view_append_column(self->columns, c);
    g_object_unref(c);
}

/* ---- GObject ------------------------------------------------------------ */

static void tsc_tag_browser_dispose(GObject *object)
{
    TscTagBrowser *self = TSC_TAG_BROWSER(object);
    self->request++; /* a reading still under way is dropped */
    tsc_viewer_cancel_clear(&self->cancellable);
    gtk_widget_dispose_template(GTK_WIDGET(self), TSC_TYPE_TAG_BROWSER);
    g_clear_object(&self->shown);
    g_clear_pointer(&self->needle, g_free);
    g_clear_pointer(&self->error, g_free);
    G_OBJECT_CLASS(tsc_tag_browser_parent_class)->dispose(object);
}

static void tsc_tag_browser_class_init(TscTagBrowserClass *klass)
{
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    G_OBJECT_CLASS(klass)->dispose = tsc_tag_browser_dispose;
    gtk_widget_class_set_template_from_resource(wc, "/org/tumorscope/Viewer/tag_browser.ui");
    gtk_widget_class_bind_template_child(wc, TscTagBrowser, source_label);
    gtk_widget_class_bind_template_child(wc, TscTagBrowser, deid_label);
    gtk_widget_class_bind_template_child(wc, TscTagBrowser, status_label);
    gtk_widget_class_bind_template_child(wc, TscTagBrowser, search_entry);
    gtk_widget_class_bind_template_child(wc, TscTagBrowser, columns);
    gtk_widget_class_bind_template_callback(wc, on_search_changed);
    gtk_widget_class_add_binding_action(wc, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void tsc_tag_browser_init(TscTagBrowser *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    self->rows = g_list_store_new(TSC_TYPE_TAG_ROW);
    self->filter = gtk_custom_filter_new(match, self, NULL);
    /* The filter model owns the store and the filter. */
    self->shown = gtk_filter_list_model_new(G_LIST_MODEL(self->rows), GTK_FILTER(self->filter));
    GtkNoSelection *sel = gtk_no_selection_new(g_object_ref(G_LIST_MODEL(self->shown)));
    gtk_column_view_set_model(self->columns, GTK_SELECTION_MODEL(sel));
    g_object_unref(sel);
    add_column(self, "Tag", COL_TAG, FALSE);
    add_column(self, "VR", COL_VR, FALSE);
    add_column(self, "Keyword", COL_KEYWORD, FALSE);
    add_column(self, "Value", COL_VALUE, TRUE);
    update_status(self);
}

TscTagBrowser *tsc_tag_browser_new(GtkWindow *parent)
{
    return g_object_new(TSC_TYPE_TAG_BROWSER, "transient-for", parent, NULL);
}
