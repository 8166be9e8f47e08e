/* SPDX-License-Identifier: BSD-3-Clause */
/* TscSeriesBrowser: patients → studies → series of the open study, each
 * series with a thumbnail of its middle slice, description, slice count,
 * date and a badge with its analysis state or verdict. */
#ifndef TSC_SERIES_BROWSER_H
#define TSC_SERIES_BROWSER_H

#include <gtk/gtk.h>

#include "viewer_study.h"

G_BEGIN_DECLS

#define TSC_TYPE_SERIES_BROWSER (tsc_series_browser_get_type())
G_DECLARE_FINAL_TYPE(TscSeriesBrowser, tsc_series_browser, TSC, SERIES_BROWSER, GtkWidget)

#define TSC_THUMBNAIL_SIZE 72

GtkWidget *tsc_series_browser_new(void);
/* Rebuilds the tree (NULL: empty) and requests the thumbnails. */
void tsc_series_browser_set_study(TscSeriesBrowser *self, TscViewerStudy *study);
/* Selects a series row without emitting "series-selected". */
void tsc_series_browser_select(TscSeriesBrowser *self, gsize series);
/* Badge text with a colour dot (rgb 0xRRGGBB; G_MAXUINT32: no dot). */
void tsc_series_browser_set_badge(TscSeriesBrowser *self, gsize series, const char *text,
                                  guint32 rgb);

/* The badge's text as shown (without the colour dot's markup); borrowed. */
const char *tsc_series_browser_get_badge(TscSeriesBrowser *self, gsize series);
/* Whether the series' name had to be cut to fit its row (after 4 lines). */
gboolean tsc_series_browser_get_title_cut(TscSeriesBrowser *self, gsize series);
/* The name's tooltip: the whole name; borrowed. */
const char *tsc_series_browser_get_title_tooltip(TscSeriesBrowser *self, gsize series);

G_END_DECLS
#endif
