/* SPDX-License-Identifier: BSD-3-Clause */
/* The comparison as a report (PNG or a one-page PDF): the two key slices
 * side by side with the plugin's overlay, and the change table with the
 * suggested RANO category. */
#ifndef TSC_CLI_COMPARE_REPORT_H
#define TSC_CLI_COMPARE_REPORT_H

#include "tsc_compare.h"
#include "tsc_plugin.h"

/* One study of the comparison, borrowed. */
typedef struct tsc_cli_compare_view {
    const char *role; /* "Baseline", "Follow-up" */
    const tsc_dicom_index *ix;
    size_t series;
    const tsc_series_result *sr;
} tsc_cli_compare_view;

/* Writes the report to `path` atomically (refusing an existing file unless
 * `force`).  Study dates are left out when `deidentify`; patient names and
 * IDs are never drawn.  Returns TSC_OK or a status with `err` saying what
 * failed. */
tsc_status tsc_cli_compare_png(const char *path, const tsc_plugin_api *api, const tsc_model *model,
                               const tsc_cli_compare_view views[2], const tsc_comparison *c,
                               int deidentify, int force, tsc_error *err);
/* The same as a one-page PDF (no patient identifiers in its metadata). */
tsc_status tsc_cli_compare_pdf(const char *path, const tsc_plugin_api *api, const tsc_model *model,
                               const tsc_cli_compare_view views[2], const tsc_comparison *c,
                               int deidentify, int force, tsc_error *err);

#endif
