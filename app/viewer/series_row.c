/* SPDX-License-Identifier: BSD-3-Clause */
#define G_LOG_DOMAIN "tsc-viewer-browser"
#include "series_row.h"

struct _TscSeriesRow {
    GtkListBoxRow parent_instance;
    GtkPicture *picture;
    GtkLabel *title, *meta, *badge;
    gsize series;
};

G_DEFINE_FINAL_TYPE(TscSeriesRow, tsc_series_row, GTK_TYPE_LIST_BOX_ROW)

GtkWidget *tsc_series_row_new(gsize series, const char *name, const char *facts)
{
    g_return_val_if_fail(name != NULL && facts != NULL, NULL);
    TscSeriesRow *self = g_object_new(TSC_TYPE_SERIES_ROW, NULL);
    self->series = series;
    gtk_label_set_text(self->title, name);
    gtk_widget_set_tooltip_text(GTK_WIDGET(self->title), name);
    gtk_label_set_text(self->meta, facts);
    tsc_series_row_set_badge(self, "Not analysed", G_MAXUINT32);
    return GTK_WIDGET(self);
}

gsize tsc_series_row_get_series(TscSeriesRow *self)
{
    g_return_val_if_fail(TSC_IS_SERIES_ROW(self), 0);
    return self->series;
}

void tsc_series_row_set_thumbnail(TscSeriesRow *self, GdkPaintable *paintable)
{
    g_return_if_fail(TSC_IS_SERIES_ROW(self));
    gtk_picture_set_paintable(self->picture, paintable);
}

void tsc_series_row_set_badge(TscSeriesRow *self, const char *text, guint32 rgb)
{
    g_return_if_fail(TSC_IS_SERIES_ROW(self));
    g_return_if_fail(text != NULL);
    g_autofree char *esc = g_markup_escape_text(text, -1);
    g_autofree char *markup = rgb == G_MAXUINT32
                                  ? g_strdup_printf("<span alpha='60%%'>%s</span>", esc)
                                  : g_strdup_printf("<span foreground='#%06X'>\xe2\x97\x8f</span> %s",
                                                    rgb & 0xffffffu, esc);
    gtk_label_set_markup(self->badge, markup);
    gtk_widget_set_tooltip_text(GTK_WIDGET(self->badge), text);
}

const char *tsc_series_row_get_badge(TscSeriesRow *self)
{
    g_return_val_if_fail(TSC_IS_SERIES_ROW(self), "");
    return gtk_label_get_text(self->badge);
}

gboolean tsc_series_row_get_name_cut(TscSeriesRow *self)
{
    g_return_val_if_fail(TSC_IS_SERIES_ROW(self), FALSE);
    return pango_layout_is_ellipsized(gtk_label_get_layout(self->title));
}

const char *tsc_series_row_get_name_tooltip(TscSeriesRow *self)
{
    g_return_val_if_fail(TSC_IS_SERIES_ROW(self), "");
    const char *t = gtk_widget_get_tooltip_text(GTK_WIDGET(self->title));
    return t ? t : "";
}

static void tsc_series_row_dispose(GObject *object)
{
    gtk_widget_dispose_template(GTK_WIDGET(object), TSC_TYPE_SERIES_ROW);
    G_OBJECT_CLASS(tsc_series_row_parent_class)->dispose(object);
}

static void tsc_series_row_class_init(TscSeriesRowClass *klass)
{
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    G_OBJECT_CLASS(klass)->dispose = tsc_series_row_dispose;
    gtk_widget_class_set_template_from_resource(wc, "/org/tumorscope/Viewer/series_row.ui");
    gtk_widget_class_bind_template_child(wc, TscSeriesRow, picture);
    gtk_widget_class_bind_template_child(wc, TscSeriesRow, title);
    gtk_widget_class_bind_template_child(wc, TscSeriesRow, meta);
    gtk_widget_class_bind_template_child(wc, TscSeriesRow, badge);
}

static void tsc_series_row_init(TscSeriesRow *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
}
