/* Analysis of slices and series of an opened study (decode + analyse). */
#ifndef TSC_STUDY_ANALYSIS_H
#define TSC_STUDY_ANALYSIS_H

#include "tsc_analysis.h"
#include "tsc_dicom.h"

#ifdef __cplusplus
extern "C" {
#endif

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
