/* SPDX-License-Identifier: BSD-3-Clause */
/* The window's PACS commands (viewer_window_pacs.c): Open from PACS, Send
 * Results to PACS, the PACS nodes window; as win.* actions, which the app's
 * actions of the same names forward to for D-Bus scripts (viewer_app.c). */
#ifndef TSC_VIEWER_WINDOW_PACS_H
#define TSC_VIEWER_WINDOW_PACS_H

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* win.pacs-dialog (Ctrl+Shift+P), win.pacs-search a{ss}, win.pacs-more,
 * win.pacs-retrieve i (these three, and write-state's [pacs], go to the
 * comparison window's PACS dialog while it has one open, else to the
 * window's), win.pacs-send s (a node name, "" for the chosen one),
 * win.pacs-nodes, win.pacs-test-connection s (a node name); from the
 * window's class_init. */
void _tsc_viewer_window_install_pacs_actions(GtkWidgetClass *wc);
/* The [pacs] group of write-state. */
void _tsc_viewer_window_write_pacs_state(GtkWidget *window, GKeyFile *kf);

G_END_DECLS
#endif
