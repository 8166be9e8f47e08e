/* SPDX-License-Identifier: BSD-3-Clause */
/* The window's prior comparison (viewer_window_compare.c, compare_window.c):
 * win.compare-* actions open and drive a TscCompareWindow over the main
 * window; the app's actions of the same names forward to them for D-Bus
 * scripts (viewer_app.c). */
#ifndef TSC_VIEWER_WINDOW_COMPARE_H
#define TSC_VIEWER_WINDOW_COMPARE_H

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* From the window's class_init. */
void _tsc_viewer_window_install_compare_actions(GtkWidgetClass *wc);
/* The [compare*] groups of write-state ([compare] open=false when closed). */
void _tsc_viewer_window_write_compare_state(GtkWidget *window, GKeyFile *kf);
/* FALSE while the comparison window waits for something of its own. */
gboolean _tsc_viewer_window_compare_idle(GtkWidget *window);

G_END_DECLS
#endif
