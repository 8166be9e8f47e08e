/* SPDX-License-Identifier: BSD-3-Clause */
/* The reader's saved corrections of a series, read back without a window:
 * the edits file's place in the export folder and "load, check, resolve and
 * apply" on a series' analysis.  Shared by the main window (which restores
 * them for further editing) and the prior comparison (which compares the
 * edited results). */
#ifndef TSC_VIEWER_EDITS_FILE_H
#define TSC_VIEWER_EDITS_FILE_H

#include <glib.h>

#include "tsc_plugin.h"

G_BEGIN_DECLS

/* The edits file of the series `info` names, in `export_folder`. */
char *tsc_viewer_edits_file_path(const char *export_folder, const tsc_edit_file_info *info);

/* Called with each saved edit before they are applied (borrowed: copy what
 * is kept). */
typedef void (*TscViewerEditVisit)(const tsc_edit *e, gpointer data);

/* What applying the saved edits gave. */
typedef struct {
    char *editor;  /* who made them ("" when the file does not say); NULL without edits */
    gsize n_edits; /* how many were applied */
    char *note;    /* one line: what happened, or why they were not applied; NULL without a file */
    gboolean
        refused; /* a file is there but was not applied (another method or model, unreadable) */
} TscViewerEditsApplied;

void tsc_viewer_edits_applied_clear(TscViewerEditsApplied *a);

/* The edits saved in `export_folder` for series `series` of `index`, when
 * the file says they were made on the analysis `result` is (same study and
 * series UIDs, method and model), applied on `result`: a new series result
 * measured again, or NULL (nothing saved, or refused: out->note says why).
 * `visit` (may be NULL) sees each edit that is applied. */
tsc_series_result *tsc_viewer_edits_file_apply(const char *export_folder, const tsc_model *model,
                                               int method, const tsc_dicom_index *index,
                                               gsize series, const tsc_series_result *result,
                                               TscViewerEditVisit visit, gpointer data,
                                               TscViewerEditsApplied *out);

G_END_DECLS
#endif
