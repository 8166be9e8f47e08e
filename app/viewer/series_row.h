/* SPDX-License-Identifier: BSD-3-Clause */
/* TscSeriesRow: one series in the series browser (series_row.ui): its
 * thumbnail, name, a line of facts and the badge with its analysis state. */
#ifndef TSC_SERIES_ROW_H
#define TSC_SERIES_ROW_H

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define TSC_TYPE_SERIES_ROW (tsc_series_row_get_type())
G_DECLARE_FINAL_TYPE(TscSeriesRow, tsc_series_row, TSC, SERIES_ROW, GtkListBoxRow)

/* `name` and `facts` are copied; `series` is the series' index in the study. */
GtkWidget *tsc_series_row_new(gsize series, const char *name, const char *facts);
gsize tsc_series_row_get_series(TscSeriesRow *self);
/* NULL clears the thumbnail. */
void tsc_series_row_set_thumbnail(TscSeriesRow *self, GdkPaintable *paintable);
/* Badge text with a colour dot (rgb 0xRRGGBB; G_MAXUINT32: dimmed, no dot). */
void tsc_series_row_set_badge(TscSeriesRow *self, const char *text, guint32 rgb);
/* The badge's text as shown (with the dot); borrowed. */
const char *tsc_series_row_get_badge(TscSeriesRow *self);
/* Whether the name had to be cut to fit (after 4 lines). */
gboolean tsc_series_row_get_name_cut(TscSeriesRow *self);
/* The name's tooltip: the whole name; borrowed. */
const char *tsc_series_row_get_name_tooltip(TscSeriesRow *self);

G_END_DECLS
#endif
