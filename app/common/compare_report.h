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

/* The change table's columns, as every host shows them. */
typedef enum tsc_compare_column {
    TSC_COMPARE_COLUMN_LESION, /* "1/1", "2/–", "–/3": numbers as in each series' lesions_3d */
    TSC_COMPARE_COLUMN_CHANGE, /* "matched", "new", "gone"; the counts on the total line */
    TSC_COMPARE_COLUMN_BASELINE_ML,
    TSC_COMPARE_COLUMN_FOLLOWUP_ML,
    TSC_COMPARE_COLUMN_CHANGE_ML,
    TSC_COMPARE_COLUMN_VOLUME_PERCENT,
    TSC_COMPARE_COLUMN_BASELINE_MM2, /* RANO bidimensional product; the sum of the targets' in total */
    TSC_COMPARE_COLUMN_FOLLOWUP_MM2,
    TSC_COMPARE_COLUMN_CHANGE_MM2,
    TSC_COMPARE_COLUMN_PRODUCT_PERCENT,
    TSC_COMPARE_COLUMN_TARGET, /* "target", or the number of targets on the total line */
    TSC_COMPARE_N_COLUMNS
} tsc_compare_column;

#define TSC_COMPARE_CELL_SIZE 48

/* A column's heading ("Baseline mL", ...). */
const char *tsc_compare_column_heading(tsc_compare_column column);
/* The text of line `i` of the change table: rows 0 .. n_rows-1 as
 * tsc_comparison_get_row() gives them, n_rows the total line.  A value that
 * is not defined (absent from a study, a percentage of nothing) is "–". */
void tsc_compare_table_cells(const tsc_comparison *c, size_t i,
                             char cells[TSC_COMPARE_N_COLUMNS][TSC_COMPARE_CELL_SIZE]);

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
