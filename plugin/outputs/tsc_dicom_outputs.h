/* SPDX-License-Identifier: BSD-3-Clause */
/* tsc_dicom_outputs: analysis results as DICOM objects (C API over DCMTK).
 *
 * One call writes, into a new series of the analysed study (or, with
 * `deidentify`, of a new pseudonymous study):
 *   SEG.dcm     binary DICOM Segmentation, one segment per tumour type found,
 *               one frame per slice with a tumour verdict (SeriesNumber 9901);
 *   SC/SCnnnn.dcm  Secondary Capture images (RGB, 8 bit) with the overlay
 *               burned in, one per slice with a finding (SeriesNumber 9902);
 *   SR.dcm      TID 1500 Measurement Report: per lesion the long and short
 *               axis (mm), area (mm²), type and confidence, referencing the
 *               SEG segment and the source images (SeriesNumber 9903).
 * A separate call (tsc_write_dicom_pdf) writes the PDF report as an
 * Encapsulated PDF object (SeriesNumber 9904).
 * docs/REPORTS.md describes every attribute choice.
 *
 * Files are written atomically; existing ones are refused with TSC_EEXIST
 * unless options->force, and `out_dir` may not lie inside a folder holding
 * the study's input files (TSC_EINVAL).  `out_dir` is created when missing.
 * Never throws: DCMTK errors come back as a status whose message keeps
 * DCMTK's text. */
#ifndef TSC_DICOM_OUTPUTS_H
#define TSC_DICOM_OUTPUTS_H

#include <stddef.h>

#include "tsc_analysis.h"
#include "tsc_compare.h"
#include "tsc_dicom.h"
#include "tsc_render.h"
#include "tsc_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What write_dicom_outputs wrote (paths owned by the caller's buffer).  The
 * plugin fills it up to the caller's struct_size (0: the whole struct). */
typedef struct tsc_dicom_outputs {
    size_t struct_size;
    char seg_path[4096];     /* DICOM SEG, "" when no tumour was found */
    char sr_path[4096];      /* TID 1500 measurement report */
    char sc_dir[4096];       /* folder with the Secondary Capture series */
    size_t n_sc;             /* Secondary Capture images written */
} tsc_dicom_outputs;

/* Series numbers of the derived series. */
#define TSC_DICOM_SEG_SERIES_NUMBER 9901
#define TSC_DICOM_SC_SERIES_NUMBER 9902
#define TSC_DICOM_SR_SERIES_NUMBER 9903
#define TSC_DICOM_PDF_SERIES_NUMBER 9904

/* `model` may be NULL (classical methods); `written` receives the paths
 * (seg_path is "" when no slice has a tumour verdict). */
tsc_status tsc_write_dicom_outputs(const char *out_dir, const tsc_model *model,
                                   const tsc_dicom_index *index, size_t series,
                                   const tsc_series_result *r,
                                   const tsc_report_options *options,
                                   tsc_dicom_outputs *written, tsc_error *err);

/* An Encapsulated PDF object (SOP Class 1.2.840.10008.5.1.4.1.1.104.1,
 * Modality DOC, SeriesNumber 9904) holding the PDF report of
 * tsc_report_pdf, written atomically to `path` (its folder is created; an
 * existing file is refused with TSC_EEXIST unless options->force; `path`
 * may not lie inside a folder holding the study's input files).  Same
 * patient and study module as the other outputs (pseudonymous with
 * `deidentify`, the PDF itself then too), our own UIDs, the source images
 * in Source Instance Sequence.  Refused (TSC_EINVAL) for results on an
 * axial reformat, like tsc_write_dicom_outputs. */
tsc_status tsc_write_dicom_pdf(const char *path, const tsc_model *model,
                               const tsc_dicom_index *index, size_t series,
                               const tsc_series_result *r, const tsc_report_options *options,
                               tsc_error *err);

/* One lesion of a comparison, a row of tsc_compare's change table
 * (src/compare/tsc_compare.h), lent by the host for the call.  Percentages
 * are NaN where the baseline value is 0; a study's values are 0 where the
 * lesion is absent from it. */
typedef struct tsc_dicom_compare_lesion {
    size_t struct_size;       /* sizeof(tsc_dicom_compare_lesion) */
    tsc_lesion_change change; /* matched, new or gone */
    /* Indices of its 3D lesions in the baseline and follow-up results
     * (series_result_get_lesion3d); (size_t)-1 where absent. */
    size_t baseline, followup;
    double baseline_volume_ml, followup_volume_ml, volume_change_percent;
    double baseline_product_mm2, followup_product_mm2, product_change_percent;
    int target; /* counted in the sum of products */
} tsc_dicom_compare_lesion;

/* A comparison as tsc_compare computed it, for tsc_write_dicom_compare_sr:
 * the rows (pointers, read up to each one's struct_size), the totals and
 * the suggested RANO category with its reason. */
typedef struct tsc_dicom_comparison {
    size_t struct_size; /* sizeof(tsc_dicom_comparison) */
    const tsc_dicom_compare_lesion *const *lesions;
    size_t n_lesions;
    double baseline_volume_ml, followup_volume_ml, volume_change_percent;
    double baseline_spd_mm2, followup_spd_mm2, spd_change_percent; /* sum of products, mm² */
    size_t n_matched, n_new, n_gone, n_targets;
    tsc_rano_category rano;
    const char *rano_reason; /* which rule decided, with the numbers; may be NULL */
} tsc_dicom_comparison;

#define TSC_DICOM_COMPARE_SR_SERIES_NUMBER 9905

/* The comparison of a follow-up with its baseline as a TID 1500
 * Measurement Report written atomically to `path`: a new series
 * (SeriesNumber 9905) in the follow-up study with its patient and study
 * module (pseudonymous with options->deidentify), one measurement group per
 * lesion of the follow-up and per gone lesion (follow-up long and short
 * axis and volume; the change in words), the totals, the suggested RANO
 * category and the disclaimer as document-level evaluations, the follow-up
 * images as Current Requested Procedure Evidence and the baseline images as
 * Pertinent Other Evidence.  TSC_EEXIST for an existing file unless
 * options->force; `path` may not lie inside a folder holding either
 * study's input files (TSC_EINVAL); TSC_EINVAL when a row names a lesion
 * the results do not have.  `model` may be NULL (classical methods). */
tsc_status tsc_write_dicom_compare_sr(const char *path, const tsc_model *model,
                                      const tsc_dicom_index *baseline_index, size_t baseline_series,
                                      const tsc_series_result *baseline,
                                      const tsc_dicom_index *followup_index, size_t followup_series,
                                      const tsc_series_result *followup,
                                      const tsc_dicom_comparison *comparison,
                                      const tsc_report_options *options, tsc_error *err);

#ifdef __cplusplus
}
#endif
#endif
