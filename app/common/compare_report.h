/* SPDX-License-Identifier: BSD-3-Clause */
/* The comparison of a follow-up with its baseline as outputs, one
 * implementation for every host (`tumorscope compare` and the viewer):
 * a report (PNG or a one-page PDF: the two key slices side by side with
 * the plugin's overlay, the change table and the suggested RANO category)
 * and the plugin's TID 1500 comparison SR, fed with the rows tsc_compare
 * computed.  Every file is written atomically (temporary, then rename). */
#ifndef TSC_COMPARE_REPORT_H
#define TSC_COMPARE_REPORT_H

#include "tsc_compare.h"
#include "tsc_plugin.h"

/* One study of the comparison, borrowed. */
typedef struct tsc_compare_view {
    const char *role; /* "Baseline", "Follow-up" */
    const tsc_dicom_index *ix;
    size_t series;
    const tsc_series_result *sr;
} tsc_compare_view;

/* Writes the report to `path` (refusing an existing file unless `force`).
 * Study dates are left out when `deidentify`; patient names and IDs are
 * never drawn.  Returns TSC_OK or a status with `err` saying what failed. */
tsc_status tsc_compare_report_png(const char *path, const tsc_plugin_api *api,
                                  const tsc_model *model, const tsc_compare_view views[2],
                                  const tsc_comparison *c, int deidentify, int force,
                                  tsc_error *err);
/* The same as a one-page PDF (no patient identifiers in its metadata). */
tsc_status tsc_compare_report_pdf(const char *path, const tsc_plugin_api *api,
                                  const tsc_model *model, const tsc_compare_view views[2],
                                  const tsc_comparison *c, int deidentify, int force,
                                  tsc_error *err);
/* The comparison as the plugin's DICOM TID 1500 report (write_dicom_compare_sr,
 * ABI 5) in a new series of the follow-up's study, referencing the images of
 * both; pseudonymous when `deidentify`.  TSC_EINVAL, saying so, when the
 * plugin does not write comparison reports. */
tsc_status tsc_compare_report_sr(const char *path, const tsc_plugin_api *api,
                                 const tsc_model *model, const tsc_compare_view views[2],
                                 const tsc_comparison *c, int deidentify, int force,
                                 tsc_error *err);

#endif
