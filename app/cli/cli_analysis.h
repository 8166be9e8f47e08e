/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers of the commands that run the analysis on DICOM series
 * (analyze, compare): one wording for their errors and progress. */
#ifndef TSC_CLI_ANALYSIS_H
#define TSC_CLI_ANALYSIS_H

#include <stddef.h>

#include "tsc_plugin.h"

/* Parses --method's value into *method; a usage error (said on stderr as
 * "tumorscope CMD: unknown method ...") returns TSC_EXIT_USAGE, else 0. */
int tsc_cli_parse_method(const char *cmd, const char *value, int *method);

/* Refuses an output path (`opt` names its option) inside one of the input
 * folders: TSC_EXIT_USAGE with the reason on stderr, else 0.  NULL and "-"
 * (stdout) are always accepted. */
int tsc_cli_refuse_output_in_inputs(const char *cmd, const char *opt, const char *path,
                                    const char *const *inputs, size_t n);

/* A tsc_progress_fn printing "tumorscope: LABEL: done/total slices" on one
 * line of stderr; `label` is a const char *. */
void tsc_cli_progress(size_t done, size_t total, void *label);

/* Resolves a --series value (index from `tumorscope info`, or a
 * SeriesInstanceUID) to series indices in out[] (at most `max`); returns
 * how many (0: none). */
size_t tsc_cli_match_series(const tsc_plugin_api *api, const tsc_dicom_index *ix, const char *want,
                            size_t *out, size_t max);

/* Loads the model (the shipped one when `path` is NULL) with one engine
 * thread per worker; prints why and returns TSC_EXIT_FAILURE when it
 * cannot, else 0. */
int tsc_cli_load_model(const tsc_plugin_api *api, const char *cmd, const char *path,
                       tsc_model **model);

#endif
