/* SPDX-License-Identifier: BSD-3-Clause */
/* TscPrefsWindow: the preferences, bound to TscViewerPrefs properties. */
#ifndef TSC_PREFS_WINDOW_H
#define TSC_PREFS_WINDOW_H

#include <gtk/gtk.h>

#include "viewer_prefs.h"

G_BEGIN_DECLS

#define TSC_TYPE_PREFS_WINDOW (tsc_prefs_window_get_type())
G_DECLARE_FINAL_TYPE(TscPrefsWindow, tsc_prefs_window, TSC, PREFS_WINDOW, GtkWindow)

TscPrefsWindow *tsc_prefs_window_new(GtkWindow *parent, TscViewerPrefs *prefs);

G_END_DECLS
#endif
