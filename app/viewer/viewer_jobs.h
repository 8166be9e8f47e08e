/* SPDX-License-Identifier: BSD-3-Clause */
/* viewer_jobs: analyses, model loading and exports as _async/_finish pairs.
 *
 * Each job copies its inputs into a struct the GTask owns (a reference on
 * the study, duplicated results), runs on the ANALYSIS pool and delivers on
 * the main thread.  Cancellation reaches the plugin through
 * options.cancel wired to the task's GCancellable. */
#ifndef TSC_VIEWER_JOBS_H
#define TSC_VIEWER_JOBS_H

#include "measurements.h"
#include "viewer_study.h"

G_BEGIN_DECLS

/* The default model (api->model_load(NULL, ...)); the result is owned by the
 * caller (api->model_free). */
void tsc_viewer_model_load_async(GCancellable *cancellable, GAsyncReadyCallback callback,
                                 gpointer user_data);
tsc_model *tsc_viewer_model_load_finish(GAsyncResult *result, GError **error);

/* `model` may be NULL for the classical methods; it must outlive the job
 * (the application keeps it until the pools are shut down). */
/* `force_scope`: analyse a series the model's scope gate refuses (research
 * use; every result carries the scope warning).  Without it such a slice
 * fails with the plugin's TSC_ESCOPE and its reason. */
/* `decoded` (may be NULL): the slice as the viewer already decoded it
 * (referenced): its pixels are analysed with api->analyze_slice instead of
 * decoding the file again.  Only for a series the scope gate lets through or
 * a classical method (api->analyze_slice knows nothing of the series, so it
 * cannot attach a forced analysis's scope warning). */
void tsc_viewer_analyze_slice_async(TscViewerStudy *study, tsc_model *model, int method,
                                    gsize series, gsize slice, gboolean force_scope,
                                    TscViewerImage *decoded, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data);
/* How many slices were analysed from decoded pixels (for write-state). */
guint tsc_viewer_jobs_n_analysed_from_decoded(void);
tsc_result *tsc_viewer_analyze_slice_finish(GAsyncResult *result, GError **error);

/* Progress (slices done/total) goes to `progress`.  A cancelled analysis
 * still returns its partial result with *cancelled set; a series outside the
 * model's scope (without `force_scope`) returns the plugin's "not analysed"
 * result with the reason. */
void tsc_viewer_analyze_series_async(TscViewerStudy *study, tsc_model *model, int method,
                                     gsize series, int threads, gboolean force_scope,
                                     TscViewerProgress *progress,
                                     GCancellable *cancellable, GAsyncReadyCallback callback,
                                     gpointer user_data);
tsc_series_result *tsc_viewer_analyze_series_finish(GAsyncResult *result, gboolean *cancelled,
                                                    GError **error);

typedef struct TscViewerExportSpec {
    char *folder;          /* parent folder; a new sub-folder is made for each export */
    gboolean slice_png;    /* the current slice with its overlay and findings */
    gboolean series_png;   /* the series summary (needs a series analysis) */
    gboolean pdf;          /* (needs a series analysis) */
    gboolean dicom;        /* SEG + Secondary Capture + SR (needs a series analysis) */
    gboolean deidentify;
    gboolean force_scope;  /* an unanalysed slice is analysed outside the scope too */
} TscViewerExportSpec;

/* Writes the chosen outputs for slice `slice` of `series`.  `slice_result`
 * (may be NULL: the slice is analysed first) is duplicated; `series_ref` (may
 * be NULL: series outputs are skipped) is acquired.  Returns a summary of
 * what was written, one line per file, and the folder; fails when nothing
 * could be written. */
/* `measurements` (may be NULL) are copied: those of series `series_uid`,
 * on every slice, go into the reports and the SR with `unit` (the image's
 * units, "" for none) and the user's name as the observer. */
void tsc_viewer_export_async(TscViewerStudy *study, tsc_model *model, int method, gsize series,
                             gsize slice, const tsc_result *slice_result,
                             TscViewerSeriesRef *series_ref, const TscViewerExportSpec *spec,
                             TscMeasurements *measurements, const char *series_uid,
                             const char *unit, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data);
/* *folder receives the folder written to; *notes what was skipped and why
 * (NULL when nothing). */
char *tsc_viewer_export_finish(GAsyncResult *result, char **folder, char **notes, GError **error);

G_END_DECLS
#endif
