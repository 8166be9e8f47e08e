/* SPDX-License-Identifier: BSD-3-Clause */
/* The comparison's export as an _async/_finish pair: the report (PNG, PDF)
 * and the comparison SR, written by app/common/compare_report.c (the code
 * `tumorscope compare --out` uses) into a new folder under the export
 * folder, never into a study's folder, on the ANALYSIS pool. */
#ifndef TSC_COMPARE_EXPORT_H
#define TSC_COMPARE_EXPORT_H

#include "viewer_study.h"

G_BEGIN_DECLS

/* Borrowed by tsc_compare_export_async, which takes what it needs. */
typedef struct TscCompareExportSpec {
    const char *folder;       /* parent: a sub-folder is made for each export */
    TscViewerStudy *study[2]; /* baseline, follow-up */
    gsize series[2];
    TscViewerSeriesRef *result[2]; /* their series results (acquired by the job) */
    gboolean deidentify;
} TscCompareExportSpec;

/* `model` (NULL for the classical methods) must outlive the job: the
 * application keeps it until the pools are shut down.  The lesions are
 * compared again on the worker (pure computation, the same result as on
 * screen). */
void tsc_compare_export_async(const TscCompareExportSpec *spec, const tsc_model *model,
                              GCancellable *cancellable, GAsyncReadyCallback callback,
                              gpointer user_data);
/* The files written, comma-separated; *folder gets the folder written to
 * (also when some output failed; NULL when none was made). */
char *tsc_compare_export_finish(GAsyncResult *result, char **folder, GError **error);

G_END_DECLS
#endif
