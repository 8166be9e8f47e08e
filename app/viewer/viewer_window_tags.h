/* SPDX-License-Identifier: BSD-3-Clause */
/* The window's DICOM tag browser (viewer_window_tags.c, tag_browser.c):
 * win.show-tags (Ctrl+I) opens it on the slice on screen and
 * win.tags-search s sets its search text; the app's actions of the same
 * names forward to them for D-Bus scripts (viewer_app.c). */
#ifndef TSC_VIEWER_WINDOW_TAGS_H
#define TSC_VIEWER_WINDOW_TAGS_H

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* From the window's class_init. */
void _tsc_viewer_window_install_tags_actions(GtkWidgetClass *wc);
/* Called on every change of study, series, slice or the "deidentify"
 * preference: an open browser follows the slice on screen. */
void _tsc_viewer_window_update_tags(GtkWidget *window);
/* The [tags] group of write-state. */
void _tsc_viewer_window_write_tags_state(GtkWidget *window, GKeyFile *kf);

G_END_DECLS
#endif
