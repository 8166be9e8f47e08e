/* SPDX-License-Identifier: BSD-3-Clause */
/* TscViewerPrefs: the viewer's preferences as GObject properties.
 *
 * The widgets and actions bind to these properties; when the GSettings
 * schema can be found (installed, or compiled next to the binary in the
 * build tree) the persistent ones are bound to it as well, otherwise they
 * live for the session only and tsc_viewer_prefs_get_persistent() says so.
 * `method` is deliberately not persisted: every session starts with the
 * CNN. */
#ifndef TSC_VIEWER_PREFS_H
#define TSC_VIEWER_PREFS_H

#include <gio/gio.h>

G_BEGIN_DECLS

#define TSC_VIEWER_APP_ID "org.tumorscope.Viewer"

#define TSC_TYPE_VIEWER_PREFS (tsc_viewer_prefs_get_type())
G_DECLARE_FINAL_TYPE(TscViewerPrefs, tsc_viewer_prefs, TSC, VIEWER_PREFS, GObject)

TscViewerPrefs *tsc_viewer_prefs_new(void);
gboolean tsc_viewer_prefs_get_persistent(TscViewerPrefs *self);
/* The settings behind the preferences (borrowed), NULL without a schema;
 * for keys kept by other files (the PACS nodes, viewer_pacs.c). */
GSettings *tsc_viewer_prefs_get_settings(TscViewerPrefs *self);

gboolean tsc_viewer_prefs_get_show_overlay(TscViewerPrefs *self);
gboolean tsc_viewer_prefs_get_overlay_outline(TscViewerPrefs *self);
double tsc_viewer_prefs_get_opacity(TscViewerPrefs *self);
gboolean tsc_viewer_prefs_get_show_heatmap(TscViewerPrefs *self);
gboolean tsc_viewer_prefs_get_show_corner_text(TscViewerPrefs *self);
gboolean tsc_viewer_prefs_get_analyze_on_click(TscViewerPrefs *self);
int tsc_viewer_prefs_get_threads(TscViewerPrefs *self);
gboolean tsc_viewer_prefs_get_deidentify(TscViewerPrefs *self);
/* Analyse outside the model's scope (research use; never persisted). */
gboolean tsc_viewer_prefs_get_force_scope(TscViewerPrefs *self);
/* Draw a stored DICOM SEG of the series on screen (property "show-seg"). */
gboolean tsc_viewer_prefs_get_show_seg(TscViewerPrefs *self);
/* Whether a left drag sets window/level (property "left-drag" is
 * "window-level"; "none" leaves left drags alone). */
gboolean tsc_viewer_prefs_get_left_drag_window_level(TscViewerPrefs *self);
/* TSC_METHOD_* of the `method` property ("cnn", "threshold", "region-growing"). */
int tsc_viewer_prefs_get_method(TscViewerPrefs *self);
/* The export folder, or the default: $XDG_DOCUMENTS_DIR/tumorscope, else
 * ~/tumorscope.  Newly allocated. */
char *tsc_viewer_prefs_dup_export_folder(TscViewerPrefs *self);

/* Recent studies, most recent first (at most 10). */
char **tsc_viewer_prefs_dup_recent(TscViewerPrefs *self);
void tsc_viewer_prefs_add_recent(TscViewerPrefs *self, const char *path);

G_END_DECLS
#endif
