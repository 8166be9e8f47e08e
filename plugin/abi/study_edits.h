/* SPDX-License-Identifier: BSD-3-Clause */
/* The edits file (tsc_edit.h) of a series of an opened study: what the
 * file states about a result of it, and its strokes keyed by the series'
 * own SOP instances, so that hosts need not gather them. */
#ifndef TSC_STUDY_EDITS_H
#define TSC_STUDY_EDITS_H

#include "tsc_analysis.h"
#include "tsc_dicom.h"
#include "tsc_edit.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Study and series UIDs of `series`, the method, "<name> <version>" of
 * `model` (written into model_buf, "" for NULL) and its SHA-256; strings
 * borrowed from `index`, `model` and model_buf; editor and saved_at NULL. */
tsc_edit_file_info tsc_study_edit_info(const tsc_model *model, tsc_method method,
                                       const tsc_dicom_index *index, size_t series, char *model_buf,
                                       size_t size);
/* tsc_edit_file_save() with the slices of `series`. */
tsc_status tsc_study_edit_save(const char *path, const tsc_edit_file_info *info,
                               const tsc_model *model, const tsc_edit *const *edits, size_t n_edits,
                               const tsc_dicom_index *index, size_t series, tsc_error *err);
/* tsc_edit_file_resolve() on the slices of `series`. */
tsc_status tsc_study_edit_resolve(tsc_edit_file *f, const tsc_model *model,
                                  const tsc_dicom_index *index, size_t series,
                                  const tsc_edit *const **edits, size_t *n_edits, tsc_error *err);

#ifdef __cplusplus
}
#endif
#endif
