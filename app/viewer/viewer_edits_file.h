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
    /* A file is there but was not applied (another method or model, unreadable). */
    gboolean refused;
} TscViewerEditsApplied;

void tsc_viewer_edits_applied_clear(TscViewerEditsApplied *a);
/* The saved edits turned out not to apply (the replay failed with `why`):
 * `a` says so, as a refused file. */
void tsc_viewer_edits_applied_refuse(TscViewerEditsApplied *a, const char *why);
/* "Saved edits not applied: <why>", the one wording of a refused file. */
char *tsc_viewer_edits_refused_note(const char *why);

/* The edits saved in `export_folder` for series `series` of `index`, read,
 * checked (made on this method and model, for these study and series UIDs)
 * and resolved on the series' slices, without replaying them: `visit` (may
 * be NULL) sees each edit when they apply.  FALSE when there is no file;
 * else out->note says what happened and out->refused whether the file was
 * refused.  No GTK: callable from any thread. */
gboolean tsc_viewer_edits_file_read(const char *export_folder, const tsc_model *model, int method,
                                    const tsc_dicom_index *index, gsize series,
                                    TscViewerEditVisit visit, gpointer data,
                                    TscViewerEditsApplied *out);

/* The saved edits read as above and applied on `result`: a new series
 * result measured again, or NULL (nothing saved, all undone, or refused:
 * out->note says why).  `visit` (may be NULL) sees each edit that is
 * applied. */
tsc_series_result *tsc_viewer_edits_file_apply(const char *export_folder, const tsc_model *model,
                                               int method, const tsc_dicom_index *index,
                                               gsize series, const tsc_series_result *result,
                                               TscViewerEditVisit visit, gpointer data,
                                               TscViewerEditsApplied *out);

/* One edit with copies of what its pointers name (a tsc_edit only borrows
 * them): what a host keeps on its undo list and hands to a worker. */
typedef struct TscViewerEdit TscViewerEdit;
TscViewerEdit *tsc_viewer_edit_copy(const tsc_edit *e);
void tsc_viewer_edit_free(gpointer edit);
const tsc_edit *tsc_viewer_edit_get(const TscViewerEdit *edit);

/* Replays the first `n` of `edits` (TscViewerEdit) on `original`
 * (api->series_result_apply_edits): a whole series measured again, so call
 * it off the UI thread. */
tsc_status tsc_viewer_edits_replay(const tsc_model *model, const tsc_series_result *original,
                                   GPtrArray *edits, guint n, const char *editor,
                                   tsc_series_result **out, tsc_error *err);

G_END_DECLS
#endif
