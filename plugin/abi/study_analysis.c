#include "study_analysis.h"

#include <stdlib.h>

static tsc_slice slice_view(const tsc_dicom_image *im)
{
    tsc_slice s;
    s.pixels = im->pixels;
    s.rows = im->rows;
    s.cols = im->cols;
    s.spacing[0] = im->pixel_spacing[0];
    s.spacing[1] = im->pixel_spacing[1];
    return s;
}

tsc_status tsc_analyze_study_slice(tsc_model *model, const tsc_dicom_index *index, size_t series,
                                   size_t slice, const tsc_analysis_options *options,
                                   tsc_result **out, tsc_error *err)
{
    TSC_ASSERT(index && out);
    TSC_ASSERT(series < tsc_dicom_n_series(index));
    TSC_ASSERT(slice < tsc_dicom_get_series(index, series)->n_slices);
    tsc_dicom_image *im = NULL;
    tsc_status st = tsc_dicom_decode_slice(index, series, slice, &im, err);
    if (st != TSC_OK) return st;
    tsc_slice s = slice_view(im);
    st = tsc_analyze_slice(model, &s, options, out, err);
    if (st != TSC_OK && st != TSC_ECANCELLED)
        tsc_error_prefix(err, "series %zu slice %zu", series, slice);
    tsc_dicom_image_free(im);
    return st;
}

typedef struct source_ctx {
    const tsc_dicom_index *index;
    size_t series;
} source_ctx;

static tsc_status fetch(void *user, size_t k, tsc_slice *slice, void **token, tsc_error *err)
{
    source_ctx *c = user;
    tsc_dicom_image *im = NULL;
    tsc_status st = tsc_dicom_decode_slice(c->index, c->series, k, &im, err);
    if (st != TSC_OK) return st;
    *slice = slice_view(im);
    *token = im;
    return TSC_OK;
}

static void release(void *user, void *token)
{
    (void)user;
    tsc_dicom_image_free(token);
}

tsc_status tsc_analyze_study_series(tsc_model *model, const tsc_dicom_index *index,
                                    size_t series, const tsc_analysis_options *options,
                                    int threads, tsc_progress_fn progress, void *progress_data,
                                    tsc_series_result **out, tsc_error *err)
{
    TSC_ASSERT(index && out);
    TSC_ASSERT(series < tsc_dicom_n_series(index));
    const tsc_dicom_series_info *info = tsc_dicom_get_series(index, series);
    double *loc = malloc((info->n_slices ? info->n_slices : 1) * sizeof *loc);
    if (!loc) return tsc_error_set(err, TSC_ENOMEM, "out of memory");
    int have_geometry = 1;
    for (size_t k = 0; k < info->n_slices; k++) {
        const tsc_dicom_slice_info *si = tsc_dicom_get_slice(index, series, k);
        loc[k] = si->location;
        if (!si->has_geometry) have_geometry = 0;
    }
    source_ctx ctx = {index, series};
    tsc_series_source src = {sizeof src, info->n_slices, have_geometry ? loc : NULL,
                             /* Without geometry, SliceThickness is the only hint left. */
                             info->slice_spacing > 0 ? info->slice_spacing : info->slice_thickness,
                             fetch, release, &ctx};
    tsc_status st =
        tsc_analyze_series(model, &src, options, threads, progress, progress_data, out, err);
    free(loc);
    return st;
}
