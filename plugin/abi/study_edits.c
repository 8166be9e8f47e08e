/* SPDX-License-Identifier: BSD-3-Clause */
#include "study_edits.h"

#include <stdio.h>
#include <stdlib.h>

#include "render_private.h"

tsc_edit_file_info tsc_study_edit_info(const tsc_model *model, tsc_method method,
                                       const tsc_dicom_index *index, size_t series, char *model_buf,
                                       size_t size)
{
    TSC_ASSERT(index && model_buf && size);
    const tsc_dicom_series_info *si = tsc_dicom_get_series(index, series);
    tsc_edit_file_info in = {.struct_size = sizeof in};
    in.study_uid = tsc_dicom_get_study(index, si->study)->study_uid;
    in.series_uid = si->series_uid;
    in.method = tsc_method_to_string(method);
    model_buf[0] = '\0';
    if (model)
        snprintf(model_buf, size, "%s %s", tsc_model_get_name(model), tsc_model_get_version(model));
    in.model = model_buf;
    in.model_sha256 = model ? tsc_model_get_sha256(model) : "";
    return in;
}

/* The SOP instance and frame of each slice of `series` (UIDs borrowed). */
static tsc_status slice_keys(const tsc_dicom_index *index, size_t series, const char ***uids,
                             int **frames, size_t *n, tsc_error *err)
{
    *n = tsc_dicom_get_series(index, series)->n_slices;
    *uids = calloc(*n ? *n : 1, sizeof **uids);
    *frames = calloc(*n ? *n : 1, sizeof **frames);
    if (!*uids || !*frames)
        return tsc_error_set(err, TSC_ENOMEM, "out of memory for the slices of series %zu", series);
    for (size_t k = 0; k < *n; k++) {
        const tsc_dicom_slice_info *sl = tsc_dicom_get_slice(index, series, k);
        (*uids)[k] = sl->sop_instance_uid;
        (*frames)[k] = sl->frame;
    }
    return TSC_OK;
}

tsc_status tsc_study_edit_save(const char *path, const tsc_edit_file_info *info,
                               const tsc_model *model, const tsc_edit *const *edits, size_t n_edits,
                               const tsc_dicom_index *index, size_t series, tsc_error *err)
{
    const char **uids = NULL;
    int *frames = NULL;
    size_t n = 0;
    /* Never into the study's own folders, like every other output. */
    tsc_status st = tsc__check_outside_inputs(index, path, 0, err);
    if (st == TSC_OK) st = slice_keys(index, series, &uids, &frames, &n, err);
    if (st == TSC_OK)
        st = tsc_edit_file_save(path, info, model, edits, n_edits, uids, frames, n, err);
    free(uids);
    free(frames);
    return st;
}

tsc_status tsc_study_edit_resolve(tsc_edit_file *f, const tsc_model *model,
                                  const tsc_dicom_index *index, size_t series,
                                  const tsc_edit *const **edits, size_t *n_edits, tsc_error *err)
{
    const char **uids = NULL;
    int *frames = NULL;
    size_t n = 0;
    tsc_status st = slice_keys(index, series, &uids, &frames, &n, err);
    if (st == TSC_OK) st = tsc_edit_file_resolve(f, model, uids, frames, n, edits, n_edits, err);
    free(uids);
    free(frames);
    return st;
}
