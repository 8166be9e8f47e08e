/* SPDX-License-Identifier: BSD-3-Clause */
/* TscViewerWindow: the workstation window — series browser, slice view with
 * its slice strip, findings panel — and the commands the application's
 * actions forward to it. */
#ifndef TSC_VIEWER_WINDOW_H
#define TSC_VIEWER_WINDOW_H

#include <gtk/gtk.h>

#include "viewer_jobs.h"

G_BEGIN_DECLS

#define TSC_TYPE_VIEWER_WINDOW (tsc_viewer_window_get_type())
G_DECLARE_FINAL_TYPE(TscViewerWindow, tsc_viewer_window, TSC, VIEWER_WINDOW, GtkApplicationWindow)

typedef struct _TscViewerApp TscViewerApp;

TscViewerWindow *tsc_viewer_window_new(TscViewerApp *app);

/* Shows a fatal problem (plugin ABI mismatch) instead of the workstation. */
void tsc_viewer_window_show_fatal(TscViewerWindow *self, const char *title, const char *details);

void tsc_viewer_window_open(TscViewerWindow *self, const char *const *paths);
void tsc_viewer_window_choose_open(TscViewerWindow *self, gboolean folder);
void tsc_viewer_window_select_series(TscViewerWindow *self, gsize series);
void tsc_viewer_window_goto_slice(TscViewerWindow *self, gssize slice);
void tsc_viewer_window_analyze_slice(TscViewerWindow *self);
void tsc_viewer_window_analyze_series(TscViewerWindow *self);
/* Cancels running work; FALSE when there was none. */
gboolean tsc_viewer_window_cancel(TscViewerWindow *self);
void tsc_viewer_window_set_window_preset(TscViewerWindow *self, const char *preset);
/* Export with every output into `folder` (NULL/"": the default folder). */
void tsc_viewer_window_export(TscViewerWindow *self, const char *folder);
void tsc_viewer_window_export_spec(TscViewerWindow *self, const TscViewerExportSpec *spec);
void tsc_viewer_window_show_export_dialog(TscViewerWindow *self);

/* Scripting: wait until idle (no job pending, the slice on screen), then
 * act.  Files are written atomically (temporary name, then rename). */
void tsc_viewer_window_screenshot(TscViewerWindow *self, const char *path);
void tsc_viewer_window_write_state(TscViewerWindow *self, const char *path);
/* Scrolls through the whole series, one slice per step, while a series
 * analysis runs; writes the step latencies (JSON) to `path`. */
void tsc_viewer_window_benchmark_scroll(TscViewerWindow *self, const char *path);

/* While a study is being opened, scripted commands that need it (select a
 * series, go to a slice, analyse, export) are queued and replayed, in order,
 * once it is open.  Returns TRUE when `action` was queued. */
gboolean tsc_viewer_window_defer(TscViewerWindow *self, const char *action, GVariant *param);

/* The model finished loading (or failed): refresh what depends on it. */
void tsc_viewer_window_model_changed(TscViewerWindow *self);

G_END_DECLS
#endif
