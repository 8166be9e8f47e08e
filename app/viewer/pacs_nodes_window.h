/* SPDX-License-Identifier: BSD-3-Clause */
/* TscPacsNodesWindow: the PACS nodes of the preferences (name, AE title,
 * host, port, our AE title, timeout; Use TLS with the CA certificate to
 * trust and, optionally, our certificate and key), with Test Connection
 * (C-ECHO off the main thread, the outcome said in words). */
#ifndef TSC_PACS_NODES_WINDOW_H
#define TSC_PACS_NODES_WINDOW_H

#include <gtk/gtk.h>

#include "viewer_prefs.h"

G_BEGIN_DECLS

#define TSC_TYPE_PACS_NODES_WINDOW (tsc_pacs_nodes_window_get_type())
G_DECLARE_FINAL_TYPE(TscPacsNodesWindow, tsc_pacs_nodes_window, TSC, PACS_NODES_WINDOW, GtkWindow)

TscPacsNodesWindow *tsc_pacs_nodes_window_new(GtkWindow *parent, TscViewerPrefs *prefs);
/* For scripts: shows node `name` in the fields and tests its connection,
 * as the Test Connection button does. */
void tsc_pacs_nodes_window_test_node(TscPacsNodesWindow *self, const char *name);
/* For scripts: sets the fields named in `fields` (a{ss}: name, ae, host,
 * port, our-ae, timeout, tls "true"/"false", ca-file, cert-file, key-file,
 * retrieve "get"/"move", move-port, move-address; the others keep what they
 * show) and saves the node, as the Save button does. */
void tsc_pacs_nodes_window_save_fields(TscPacsNodesWindow *self, GVariant *fields);
/* What the window last said (saved, removed, the test's outcome). */
const char *tsc_pacs_nodes_window_get_result(TscPacsNodesWindow *self);
/* Whether a connection test is under way. */
gboolean tsc_pacs_nodes_window_get_testing(TscPacsNodesWindow *self);

G_END_DECLS
#endif
