/* SPDX-License-Identifier: BSD-3-Clause */
/* The window's PACS commands (viewer_window_pacs.c): Open from PACS, Send
 * Results to PACS, the PACS nodes window; as win.* actions with app.*
 * actions forwarding to them for menus, keys and D-Bus scripts. */
#ifndef TSC_VIEWER_WINDOW_PACS_H
#define TSC_VIEWER_WINDOW_PACS_H

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* app.pacs-dialog (Ctrl+Shift+P), app.pacs-search a{ss}, app.pacs-more,
 * app.pacs-retrieve i, app.pacs-send s (a node name, "" for the chosen
 * one), app.pacs-nodes, app.pacs-test-connection s (a node name). */
void tsc_viewer_pacs_add_app_actions(GtkApplication *app);
/* The win.* actions those forward to (from the window's class_init). */
void _tsc_viewer_window_install_pacs_actions(GtkWidgetClass *wc);
/* The [pacs] group of write-state. */
void _tsc_viewer_window_write_pacs_state(GtkWidget *window, GKeyFile *kf);

G_END_DECLS
#endif
