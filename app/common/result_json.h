/* SPDX-License-Identifier: BSD-3-Clause */
/* The analysis result as JSON (docs/RESULT_FORMAT.md), built once for every
 * host: `tumorscope analyze --json` and the Orthanc plugin.  BSD-licensed so
 * that the GPL Orthanc plugin may link it (never the other way round).
 * Every builder returns a new cJSON object the caller owns (or adds to `o`). */
#ifndef TSC_RESULT_JSON_H
#define TSC_RESULT_JSON_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "tsc_plugin.h"

#define TSC_RESULT_FORMAT_VERSION "2.0"

/* v rounded to `decimals` places (keeps files readable and diffs stable);
 * NaN and infinities are returned as they are. */
double tsc_result_json_round(double v, int decimals);

/* The root object: format and software versions, the model (nulls without
 * one) and the method.  The caller adds "skipped" and "series". */
cJSON *tsc_result_json_root(const tsc_plugin_api *api, const tsc_model *model, tsc_method method);

/* The verdict fields of one description (verdict, finding, display, color,
 * type, confidence, ...), added to `o`. */
void tsc_result_json_add_description(cJSON *o, const tsc_plugin_api *api, const tsc_model *m,
                                     const tsc_description *d);

/* The scope gate's decision for series `s`. */
cJSON *tsc_result_json_scope(const tsc_plugin_api *api, const tsc_model *m,
                             const tsc_dicom_index *ix, size_t s);

/* One analysed slice k of series `series`; `sr` (may be NULL) supplies the
 * geometry of a reformat's slices.  De-identified: no source UIDs. */
cJSON *tsc_result_json_slice(const tsc_plugin_api *api, const tsc_model *m,
                             const tsc_dicom_index *ix, size_t series, size_t k,
                             const tsc_result *r, int deidentify, const tsc_series_result *sr);

/* {"index": k, "error": why}, appended to the array `failed`. */
void tsc_result_json_add_failed_slice(cJSON *failed, size_t k, const char *why);

/* A new series object: index, series_uid, description (a neutral one and no
 * UID when de-identified) and n_slices. */
cJSON *tsc_result_json_series_new(const tsc_plugin_api *api, const tsc_dicom_index *ix, size_t s,
                                  int deidentify);

/* Adds a whole-series result to the series object `js` (whose arrays
 * "slices" and "failed_slices" exist): reformat, every slice or its error,
 * the series' description, slice counts, volume, key slice and 3D lesions.
 * Returns the number of slices that could not be analysed. */
size_t tsc_result_json_add_series_result(cJSON *js, const tsc_plugin_api *api,
                                         const tsc_model *model, const tsc_dicom_index *ix,
                                         size_t s, const tsc_series_result *sr, int deidentify);

/* The reader's edits of an edited result (docs/RESULT_FORMAT.md, "edits"):
 * who (not when de-identified), the one-line description, the rejected
 * lesions with their reasons as the analysis measured them, the edited
 * slices, and on each of `js`'s "lesions_3d" (added before) the number of
 * the analysis' lesion it came from.  Nothing for an unedited result. */
void tsc_result_json_add_edits(cJSON *js, const tsc_plugin_api *api, const tsc_model *model,
                               const tsc_series_result *sr, int deidentify);

#endif
