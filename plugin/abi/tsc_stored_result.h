/* SPDX-License-Identifier: BSD-3-Clause */
/* A result stored with a study (tumorscope's own DICOM SEG and TID 1500 SR,
 * as the Orthanc plugin stores them or `tumorscope analyze --dicom` writes
 * them), rebuilt as a series result so that a host shows it as it shows an
 * analysis of its own, with where it came from. */
#ifndef TSC_STORED_RESULT_H
#define TSC_STORED_RESULT_H

#include <stddef.h>
#include <stdint.h>

#include "tsc_analysis.h"
#include "tsc_dicom.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Filled by tsc_study_stored_result(); the host sets struct_size. */
typedef struct tsc_stored_result_info {
    size_t struct_size;      /* sizeof(tsc_stored_result_info) */
    int64_t seg;             /* the SEG read (study_get_segmentation index); -1: none */
    int64_t report;          /* the SR read (study_get_report index); -1: none */
    int ours;                /* 1: tumorscope's own objects, rebuilt into *out */
    size_t report_lesions;   /* the SR's measurement groups (one per lesion per slice) */
    double report_volume_ml; /* the volume the SR's finding states (mL); NaN when none */
    char algorithm[128];     /* what made it: "tsc_unet128_v2 2.0.0" (model name and
                                 version), else the SR's software; "" when unknown */
    char date_time[32];      /* the SR's content date and time, "2026-12-04 01:19"; "" */
    char note[256];          /* why it is not rebuilt (not ours, unreadable), or where
                                 SEG and SR disagree; "" when nothing to say */
} tsc_stored_result_info;

/* The result stored for `series` of the study: the newest SR about it and
 * the SEG that references it.  When they are tumorscope's own (the SEG's
 * series description and the SR's manufacturer say so, and every SEG frame
 * references a slice of the series) the SEG's frames become tumour slices
 * of their segment's type (matched to `model`'s class display names; the
 * type is unknown without a model or a match) and every other slice "no
 * tumour"; an SR without a SEG whose finding is "No tumour detected" gives a
 * series without a tumour.  Returns TSC_OK with *out (free with
 * tsc_series_result_free()) and info->ours = 1; TSC_OK with *out NULL when
 * nothing is stored for the series or it is not ours (info->note says
 * why); another status when a SEG frame cannot be decoded.  `info` is
 * written up to its struct_size. */
tsc_status tsc_study_stored_result(const tsc_model *model, const tsc_dicom_index *index,
                                   size_t series, tsc_series_result **out,
                                   tsc_stored_result_info *info, tsc_error *err);

#ifdef __cplusplus
}
#endif
#endif
