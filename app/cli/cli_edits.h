/* SPDX-License-Identifier: BSD-3-Clause */
/* `tumorscope analyze --edits FILE`: a reader's saved corrections applied to
 * the series they are about before its outputs are written, and saved again
 * beside those outputs. */
#ifndef TSC_CLI_EDITS_H
#define TSC_CLI_EDITS_H

#include <cjson/cJSON.h>

#include "tsc_plugin.h"

typedef struct tsc_cli_edits tsc_cli_edits;

/* Reads the edits file; NULL after saying why on stderr. */
tsc_cli_edits *tsc_cli_edits_load(const tsc_plugin_api *api, const char *path);
void tsc_cli_edits_free(tsc_cli_edits *e);

/* When the file is about series s of `ix` (its Study and Series UIDs),
 * replays it on `sr` (the series' unedited result, which is freed) and
 * returns the edited result, the edits stated in `js` ("edits").  Returns
 * `sr` itself when the file is about another series.  A file made on another
 * method or model, or whose slices or lesions the series lacks, is not
 * applied: said on stderr and in `js` ("edits_not_applied"), *failed set,
 * `sr` returned unedited. */
tsc_series_result *tsc_cli_edits_apply(tsc_cli_edits *e, const tsc_plugin_api *api,
                                       const tsc_model *model, int method,
                                       const tsc_dicom_index *ix, size_t s, tsc_series_result *sr,
                                       cJSON *js, int *failed);

/* Saves the applied edits of series s into `out_dir` under the name
 * edit_file_name gives; 0 when written (or nothing to save). */
int tsc_cli_edits_save(const tsc_cli_edits *e, const tsc_plugin_api *api, const tsc_model *model,
                       int method, const tsc_dicom_index *ix, size_t s, const char *out_dir);

/* 1 when the file was about one of the series analysed. */
int tsc_cli_edits_matched(const tsc_cli_edits *e);

#endif
