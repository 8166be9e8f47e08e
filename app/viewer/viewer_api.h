/* SPDX-License-Identifier: BSD-3-Clause */
/* viewer_api: the viewer's only door to the rest of tumorscope.
 *
 * Everything goes through the plugin ABI table fetched once at startup with
 * tsc_plugin_get_api(); no tsc_* function is ever called directly (the
 * plugin hides them).  This file also converts a core status to a GError
 * (once, at the boundary) and routes the core's log callback to g_log. */
#ifndef TSC_VIEWER_API_H
#define TSC_VIEWER_API_H

#include <gio/gio.h>

#include "tsc_plugin.h"

G_BEGIN_DECLS

#define TSC_VIEWER_ERROR (tsc_viewer_error_quark())
GQuark tsc_viewer_error_quark(void);

/* Error codes are the core's tsc_status values, plus the viewer's own. */
typedef enum {
    TSC_VIEWER_ERROR_ABI = 1000,     /* the plugin does not serve our ABI version */
    TSC_VIEWER_ERROR_NO_RESULT,      /* nothing analysed yet to export */
    TSC_VIEWER_ERROR_NO_STUDY
} TscViewerErrorCode;

/* Fetches the table for TSC_PLUGIN_API_VERSION.  Returns FALSE with a
 * message naming both versions (and the plugin file) when the plugin does
 * not serve it.  Idempotent. */
gboolean tsc_viewer_api_init(GError **error);
/* The table; only valid after a successful tsc_viewer_api_init(). */
const tsc_plugin_api *tsc_viewer_api(void);
/* Path of the plugin file actually loaded (for messages); static string. */
const char *tsc_viewer_api_plugin_path(void);

/* Sets *error from a core status and its detail, prefixed with `what`
 * (NULL: the detail alone). */
void tsc_viewer_set_error(GError **error, tsc_status status, const tsc_error *err,
                          const char *what);
/* Ends `task` with that error: how a worker thread's job reports a core
 * status it cannot go on with. */
void tsc_viewer_task_return_status(GTask *task, tsc_status status, const tsc_error *err,
                                   const char *what);

/* Colour of a slice the analysis failed on (no result, so no description). */
#define TSC_VIEWER_COLOR_FAILED 0x8A2D2Du
/* Outline of a stored DICOM SEG (a result computed elsewhere): cyan, apart
 * from every verdict colour (the Okabe-Ito palette) so that it is never
 * read as our own analysis. */
#define TSC_VIEWER_COLOR_SEG 0x30E0F0u

/* The plugin's one description of a result (api->result_describe): the
 * words, colour and percentage that every part of the viewer shows for it
 * (panel, strip, tooltip, badge, state; the overlay and the reports get the
 * same from the plugin's renderer).  `model` is NULL for the classical
 * methods.  The viewer never makes up its own. */
void tsc_viewer_describe_result(const tsc_model *model, const tsc_result *r, tsc_description *out);
void tsc_viewer_describe_series(const tsc_model *model, const tsc_series_result *r,
                                tsc_description *out);

G_END_DECLS
#endif
