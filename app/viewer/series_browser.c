/* SPDX-License-Identifier: BSD-3-Clause */
#define G_LOG_DOMAIN "tsc-viewer-browser"
#include "series_browser.h"

#include "series_row.h"

#include <string.h>

struct _TscSeriesBrowser {
    GtkWidget parent_instance;
    GtkWidget *scroller;
    GtkListBox *list;
    TscViewerStudy *study;
    GCancellable *cancellable; /* thumbnails of the current study */
    GPtrArray *rows;           /* series index -> GtkListBoxRow (borrowed) */
    gboolean selecting;        /* programmatic selection: do not emit */
};

G_DEFINE_FINAL_TYPE(TscSeriesBrowser, tsc_series_browser, GTK_TYPE_WIDGET)

enum { SIGNAL_SERIES_SELECTED, N_SIGNALS };
static guint signals[N_SIGNALS];

static char *format_date(const char *d)
{
    if (!d || strlen(d) != 8) return g_strdup(d && *d ? d : "no date");
    return g_strdup_printf("%.4s-%.2s-%.2s", d, d + 4, d + 6);
}

/* "Doe^Jane" → "Doe, Jane" for display. */
static char *format_name(const char *pn)
{
    if (!pn || !*pn) return g_strdup("Unnamed patient");
    char **parts = g_strsplit(pn, "^", -1);
    GString *s = g_string_new(parts[0]);
    if (parts[0] && parts[1] && *parts[1]) g_string_append_printf(s, ", %s", parts[1]);
    g_strfreev(parts);
    return g_string_free(s, FALSE);
}

static GtkWidget *header_row(const char *title, const char *subtitle, const char *css)
{
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
    gtk_widget_add_css_class(box, css);
    GtkWidget *t = gtk_label_new(title);
    gtk_label_set_xalign(GTK_LABEL(t), 0);
    gtk_label_set_ellipsize(GTK_LABEL(t), PANGO_ELLIPSIZE_END);
    gtk_widget_set_tooltip_text(t, title);
    gtk_widget_add_css_class(t, "browser-title");
    gtk_box_append(GTK_BOX(box), t);
    if (subtitle && *subtitle) {
        GtkWidget *st = gtk_label_new(subtitle);
        gtk_label_set_xalign(GTK_LABEL(st), 0);
        gtk_label_set_ellipsize(GTK_LABEL(st), PANGO_ELLIPSIZE_END);
        gtk_widget_add_css_class(st, "dim-label");
        gtk_widget_add_css_class(st, "caption");
        gtk_box_append(GTK_BOX(box), st);
    }
    GtkWidget *row = gtk_list_box_row_new();
    gtk_list_box_row_set_child(GTK_LIST_BOX_ROW(row), box);
    gtk_list_box_row_set_selectable(GTK_LIST_BOX_ROW(row), FALSE);
    gtk_list_box_row_set_activatable(GTK_LIST_BOX_ROW(row), FALSE);
    gtk_widget_set_focusable(row, FALSE);
    return row;
}

static GtkWidget *series_row(const tsc_dicom_series_info *si, const tsc_dicom_study_info *st, gsize i)
{
    const char *desc = si->description && *si->description ? si->description : "(no description)";
    g_autofree char *date = format_date(st->date);
    g_autofree char *meta = g_strdup_printf("#%d \xc2\xb7 %s \xc2\xb7 %zu slice%s \xc2\xb7 %s", si->series_number,
                                            si->modality && *si->modality ? si->modality : "?", si->n_slices,
                                            si->n_slices == 1 ? "" : "s", date);
    return tsc_series_row_new(i, desc, meta);
}

static void on_thumbnail(GObject *source, GAsyncResult *res, gpointer data)
{
    GWeakRef *weak = data; /* the row: it may be gone with its study */
    GError *error = NULL;
    GdkTexture *t = tsc_viewer_study_thumbnail_finish(TSC_VIEWER_STUDY(source), res, &error);
    GtkWidget *row = g_weak_ref_get(weak);
    if (t && row) tsc_series_row_set_thumbnail(TSC_SERIES_ROW(row), GDK_PAINTABLE(t));
    else if (error && !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        /* The message names the file, whose path may name the patient: not logged. */
        g_message("a series thumbnail could not be decoded");
    g_clear_error(&error);
    g_clear_object(&t);
    g_clear_object(&row);
    g_weak_ref_clear(weak);
    g_free(weak);
}

static void on_row_selected(GtkListBox *list, GtkListBoxRow *row, gpointer data)
{
    (void)list;
    TscSeriesBrowser *self = data;
    if (!row || self->selecting || !TSC_IS_SERIES_ROW(row)) return;
    g_signal_emit(self, signals[SIGNAL_SERIES_SELECTED], 0, (guint)tsc_series_row_get_series(TSC_SERIES_ROW(row)));
}

void tsc_series_browser_set_study(TscSeriesBrowser *self, TscViewerStudy *study)
{
    g_return_if_fail(TSC_IS_SERIES_BROWSER(self));
    tsc_viewer_cancel_clear(&self->cancellable);
    g_set_object(&self->study, study);
    g_ptr_array_set_size(self->rows, 0);
    GtkWidget *child;
    while ((child = gtk_widget_get_first_child(GTK_WIDGET(self->list))))
        gtk_list_box_remove(self->list, child);
    if (!study) return;
    self->cancellable = g_cancellable_new();
    const tsc_plugin_api *api = tsc_viewer_api();
    const tsc_dicom_index *ix = tsc_viewer_study_get_index(study);
    gssize last_patient = -1, last_study = -1;
    for (gsize i = 0; i < tsc_viewer_study_n_series(study); i++) {
        const tsc_dicom_series_info *si = api->study_get_series(ix, i);
        const tsc_dicom_study_info *st = api->study_get_study(ix, si->study);
        if ((gssize)st->patient != last_patient) {
            const tsc_dicom_patient_info *p = api->study_get_patient(ix, st->patient);
            g_autofree char *name = format_name(p->name);
            g_autofree char *sub = g_strdup_printf("ID %s%s%s", p->id && *p->id ? p->id : "\xe2\x80\x94",
                                        p->sex && *p->sex ? " \xc2\xb7 " : "", p->sex ? p->sex : "");
            gtk_list_box_append(self->list, header_row(name, sub, "patient-row"));
            last_patient = (gssize)st->patient;
            last_study = -1;
        }
        if ((gssize)si->study != last_study) {
            g_autofree char *date = format_date(st->date);
            const char *desc = st->description && *st->description ? st->description : "Study";
            gtk_list_box_append(self->list, header_row(desc, date, "study-row"));
            last_study = (gssize)si->study;
        }
        GtkWidget *row = series_row(si, st, i);
        gtk_list_box_append(self->list, row);
        g_ptr_array_add(self->rows, row);
        GWeakRef *weak = g_new(GWeakRef, 1);
        g_weak_ref_init(weak, row);
        tsc_viewer_study_thumbnail_async(study, i, TSC_THUMBNAIL_SIZE, self->cancellable,
                                         on_thumbnail, weak);
    }
}

void tsc_series_browser_select(TscSeriesBrowser *self, gsize series)
{
    g_return_if_fail(TSC_IS_SERIES_BROWSER(self));
    if (series >= self->rows->len) return;
    self->selecting = TRUE;
    gtk_list_box_select_row(self->list, g_ptr_array_index(self->rows, series));
    self->selecting = FALSE;
}

void tsc_series_browser_set_badge(TscSeriesBrowser *self, gsize series, const char *text, guint32 rgb)
{
    g_return_if_fail(TSC_IS_SERIES_BROWSER(self));
    if (series >= self->rows->len) return;
    tsc_series_row_set_badge(g_ptr_array_index(self->rows, series), text, rgb);
}

const char *tsc_series_browser_get_badge(TscSeriesBrowser *self, gsize series)
{
    g_return_val_if_fail(TSC_IS_SERIES_BROWSER(self), "");
    if (series >= self->rows->len) return "";
    return tsc_series_row_get_badge(g_ptr_array_index(self->rows, series));
}

gboolean tsc_series_browser_get_title_cut(TscSeriesBrowser *self, gsize series)
{
    g_return_val_if_fail(TSC_IS_SERIES_BROWSER(self), FALSE);
    if (series >= self->rows->len) return FALSE;
    return tsc_series_row_get_name_cut(g_ptr_array_index(self->rows, series));
}

const char *tsc_series_browser_get_title_tooltip(TscSeriesBrowser *self, gsize series)
{
    g_return_val_if_fail(TSC_IS_SERIES_BROWSER(self), "");
    if (series >= self->rows->len) return "";
    return tsc_series_row_get_name_tooltip(g_ptr_array_index(self->rows, series));
}

static void tsc_series_browser_dispose(GObject *object)
{
    TscSeriesBrowser *self = TSC_SERIES_BROWSER(object);
    tsc_viewer_cancel_clear(&self->cancellable);
    g_clear_object(&self->study);
    g_clear_pointer(&self->scroller, gtk_widget_unparent);
    G_OBJECT_CLASS(tsc_series_browser_parent_class)->dispose(object);
}

static void tsc_series_browser_finalize(GObject *object)
{
    g_ptr_array_unref(TSC_SERIES_BROWSER(object)->rows);
    G_OBJECT_CLASS(tsc_series_browser_parent_class)->finalize(object);
}

static void tsc_series_browser_class_init(TscSeriesBrowserClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    oc->dispose = tsc_series_browser_dispose;
    oc->finalize = tsc_series_browser_finalize;
    signals[SIGNAL_SERIES_SELECTED] =
        g_signal_new("series-selected", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                     NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
    gtk_widget_class_set_layout_manager_type(wc, GTK_TYPE_BIN_LAYOUT);
    gtk_widget_class_set_css_name(wc, "seriesbrowser");
}

static void tsc_series_browser_init(TscSeriesBrowser *self)
{
    self->rows = g_ptr_array_new();
    self->scroller = gtk_scrolled_window_new();
    gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(self->scroller), GTK_POLICY_NEVER,
                                   GTK_POLICY_AUTOMATIC);
    gtk_widget_set_parent(self->scroller, GTK_WIDGET(self));
    self->list = GTK_LIST_BOX(gtk_list_box_new());
    gtk_list_box_set_selection_mode(self->list, GTK_SELECTION_SINGLE);
    gtk_widget_add_css_class(GTK_WIDGET(self->list), "navigation-sidebar");
    g_signal_connect(self->list, "row-selected", G_CALLBACK(on_row_selected), self);
    gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(self->scroller), GTK_WIDGET(self->list));
}

GtkWidget *tsc_series_browser_new(void)
{
    return g_object_new(TSC_TYPE_SERIES_BROWSER, NULL);
}
