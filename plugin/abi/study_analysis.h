/* SPDX-License-Identifier: BSD-3-Clause */
/* Analysis of slices and series of an opened study (decode + analyse). */
#ifndef TSC_STUDY_ANALYSIS_H
#define TSC_STUDY_ANALYSIS_H

#include "tsc_analysis.h"
#include "tsc_dicom.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The scope gate's decision for a series of the study (tsc_scope_check()
 * on its headers). */
void tsc_study_series_scope(const tsc_model *model, const tsc_dicom_index *index, size_t series,
                            tsc_scope_decision *out);
/* Both refuse a series outside the model's scope with TSC_ESCOPE unless
 * options->force_scope; the series call then still returns a NOT_ANALYSED
 * result in *out. */
tsc_status tsc_analyze_study_slice(tsc_model *model, const tsc_dicom_index *index, size_t series,
                                   size_t slice, const tsc_analysis_options *options,
                                   tsc_result **out, tsc_error *err);
tsc_status tsc_analyze_study_series(tsc_model *model, const tsc_dicom_index *index,
                                    size_t series, const tsc_analysis_options *options,
                                    int threads, tsc_progress_fn progress, void *progress_data,
                                    tsc_series_result **out, tsc_error *err);

#ifdef __cplusplus
}
#endif
#endif
