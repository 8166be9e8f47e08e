/* SPDX-License-Identifier: BSD-3-Clause */
/* TscViewerApp: the GtkApplication (org.tumorscope.Viewer).  Loads the
 * plugin table and the default model, owns the preferences, and exports
 * every command as an application action, so that tests and other programs
 * drive the viewer over D-Bus (`gapplication action org.tumorscope.Viewer
 * goto-slice 12`). */
#ifndef TSC_VIEWER_APP_H
#define TSC_VIEWER_APP_H

#include <gtk/gtk.h>

#include "viewer_api.h"
#include "viewer_prefs.h"

G_BEGIN_DECLS

#define TSC_TYPE_VIEWER_APP (tsc_viewer_app_get_type())
G_DECLARE_FINAL_TYPE(TscViewerApp, tsc_viewer_app, TSC, VIEWER_APP, GtkApplication)

TscViewerApp *tsc_viewer_app_new(void);
TscViewerPrefs *tsc_viewer_app_get_prefs(TscViewerApp *self);
/* The default model, or NULL while loading or when it failed to load. */
tsc_model *tsc_viewer_app_get_model(TscViewerApp *self);
/* Why the model is not there (NULL while loading or when loaded). */
const GError *tsc_viewer_app_get_model_error(TscViewerApp *self);
gboolean tsc_viewer_app_get_model_loading(TscViewerApp *self);
/* Why the plugin could not be used (NULL when it can). */
const GError *tsc_viewer_app_get_api_error(TscViewerApp *self);
/* Rebuilds the recent-studies menu after an open. */
GMenuModel *tsc_viewer_app_get_recent_menu(TscViewerApp *self);
void tsc_viewer_app_add_recent(TscViewerApp *self, const char *path);

G_END_DECLS
#endif
