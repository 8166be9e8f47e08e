/* SPDX-License-Identifier: BSD-3-Clause */
#include "study_analysis.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reformat.h"
#include "struct_size_private.h"

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

/* The scope gate's input from the headers of a series. */
static void scope_input(const tsc_dicom_series_info *info, tsc_scope_input *in)
{
    *in = tsc_scope_default_input();
    in->modality = info->modality;
    in->sop_class_uid = info->sop_class_uid;
    in->image_type = info->image_type;
    in->scanning_sequence = info->scanning_sequence;
    in->sequence_variant = info->sequence_variant;
    in->sequence_name = info->sequence_name;
    in->series_description = info->description;
    in->contrast_agent = info->contrast_agent;
    in->photometric = info->photometric;
    in->mr_acquisition_type = info->mr_acquisition_type;
    in->samples_per_pixel = info->samples_per_pixel;
    in->max_b_value = info->max_b_value;
    in->n_mosaic = info->n_mosaic;
    if ((info->flags & TSC_DICOM_SERIES_COLOR) && in->samples_per_pixel < 3) in->samples_per_pixel = 3;
    double o2 = 0;
    for (int i = 0; i < 6; i++) o2 += info->orientation[i] * info->orientation[i];
    in->has_orientation = o2 > 1.5; /* two unit vectors */
    memcpy(in->orientation, info->orientation, sizeof in->orientation);
    in->pixel_spacing[0] = info->pixel_spacing[0];
    in->pixel_spacing[1] = info->pixel_spacing[1];
    in->rows = info->rows;
    in->cols = info->cols;
    in->n_slices = info->n_slices;
    in->slice_thickness = info->slice_thickness;
    in->slice_spacing = info->slice_spacing;
    in->uneven_spacing = (info->flags & TSC_DICOM_SERIES_UNEVEN_SPACING) != 0;
    in->echo_time = info->echo_time;
    in->repetition_time = info->repetition_time;
    in->inversion_time = info->inversion_time;
}

void tsc_study_series_scope(const tsc_model *model, const tsc_dicom_index *index, size_t series,
                            tsc_scope_decision *out)
{
    TSC_ASSERT(index && out && series < tsc_dicom_n_series(index));
    tsc_scope_input in;
    scope_input(tsc_dicom_get_series(index, series), &in);
    tsc_scope_check(model, &in, out);
}

/* The host's options over the defaults.  A host built before
 * `axial_reformat` existed does not know that a series result can hold a
 * reformat's slices (it would map them onto the source slices), so it never
 * gets one. */
static tsc_analysis_options effective_options(const tsc_analysis_options *options)
{
    tsc_analysis_options o = tsc_analysis_default_options();
    if (options) {
        TSC__PARAMS_COPY(&o, options);
        if (options->struct_size < offsetof(tsc_analysis_options, axial_reformat) +
                                       sizeof o.axial_reformat)
            o.axial_reformat = 0;
    }
    return o;
}

/* The scope gate in front of every analysis of study pixels: refused
 * (TSC_ESCOPE, the reason in err) unless the host forces it, in which case
 * the warning it must show is written to `warning`, or unless an axial
 * reformat of the volume would be in scope and the options allow it: then
 * TSC_OK with *reformat = 1 and the decision in *decision. */
static tsc_status gate(const tsc_model *model, const tsc_dicom_index *index, size_t series,
                       const tsc_analysis_options *o, char *warning, size_t n,
                       char *reason, size_t rn, int *reformat, tsc_scope_decision *decision,
                       tsc_error *err)
{
    warning[0] = '\0';
    reason[0] = '\0';
    *reformat = 0;
    /* The classical baselines claim no scope; only the model's is checked. */
    if (o->method != TSC_METHOD_CNN) return TSC_OK;
    tsc_scope_decision d;
    tsc_study_series_scope(model, index, series, &d);
    if (decision) *decision = d;
    if (d.in_scope) return TSC_OK;
    snprintf(reason, rn, "%s", d.reason);
    if (o->force_scope) {
        snprintf(warning, n, "Analysed on request outside the model's scope (research use): %s",
                 d.reason);
        return TSC_OK;
    }
    if (d.code == TSC_SCOPE_PLANE && d.reformat_possible && o->axial_reformat) {
        *reformat = 1;
        return TSC_OK;
    }
    return tsc_error_set(err, TSC_ESCOPE,
                         "series %zu not analysed: %s%s", series, d.reason,
                         d.reformat_possible
                             ? " (a thin 3D volume: an axial reformat of it would be in scope)"
                             : "");
}

tsc_status tsc_analyze_study_slice(tsc_model *model, const tsc_dicom_index *index, size_t series,
                                   size_t slice, const tsc_analysis_options *options,
                                   tsc_result **out, tsc_error *err)
{
    TSC_ASSERT(index && out);
    TSC_ASSERT(series < tsc_dicom_n_series(index));
    TSC_ASSERT(slice < tsc_dicom_get_series(index, series)->n_slices);
    *out = NULL;
    char warning[320], reason[256];
    int reformat = 0;
    tsc_analysis_options o = effective_options(options);
    tsc_status st = gate(model, index, series, &o, warning, sizeof warning, reason,
                         sizeof reason, &reformat, NULL, err);
    if (st != TSC_OK) return st;
    if (reformat)
        return tsc_error_set(err, TSC_ESCOPE,
                             "series %zu slice %zu not analysed: %s; analyse the whole series, "
                             "which is read on an axial reformat of its volume",
                             series, slice, reason);
    tsc_dicom_image *im = NULL;
    st = tsc_dicom_decode_slice(index, series, slice, &im, err);
    if (st != TSC_OK) return st;
    tsc_slice s = slice_view(im);
    st = tsc_analyze_slice(model, &s, &o, out, err);
    if (st == TSC_OK && warning[0]) tsc_result_set_scope_warning(*out, warning);
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

/* The series refused for its plane, analysed on an axial reformat of its
 * volume: the reformat's own geometry must pass the rest of the gate, and the
 * result says that its slices are the reformat's.  A reformat that cannot be
 * made leaves the series not analysed (TSC_ESCOPE), with both reasons. */
static tsc_status analyze_reformat(tsc_model *model, const tsc_dicom_index *index, size_t series,
                                   const tsc_analysis_options *o, const tsc_scope_decision *d,
                                   int threads, tsc_progress_fn progress, void *progress_data,
                                   tsc_series_result **out, tsc_error *err)
{
    const tsc_dicom_series_info *info = tsc_dicom_get_series(index, series);
    char reason[1024];
    tsc_reformat *rf = NULL;
    tsc_error rerr;
    tsc_error_clear(&rerr);
    tsc_status st = tsc_reformat_axial_new(index, series, 0, o->cancel, o->cancel_data, &rf, &rerr);
    if (st == TSC_ECANCELLED) {
        if (err) *err = rerr;
        return st;
    }
    if (st != TSC_OK) {
        snprintf(reason, sizeof reason, "%s; its axial reformat could not be made: %s", d->reason,
                 rerr.message);
        *out = tsc_series_result_new_not_analysed(info->n_slices, reason);
        return tsc_error_set(err, TSC_ESCOPE, "series %zu not analysed: %s", series, reason);
    }
    const tsc_reformat_geometry *g = tsc_reformat_get_geometry(rf);
    /* The reformat against the rest of the gate (spacing, matrix). */
    tsc_scope_input in;
    scope_input(info, &in);
    memcpy(in.orientation, g->orientation, sizeof in.orientation);
    in.has_orientation = 1;
    in.pixel_spacing[0] = g->spacing[0];
    in.pixel_spacing[1] = g->spacing[1];
    in.rows = g->rows;
    in.cols = g->cols;
    in.n_slices = g->n_slices;
    in.slice_thickness = g->slice_spacing;
    in.slice_spacing = g->slice_spacing;
    in.uneven_spacing = 0;
    tsc_scope_decision rd;
    tsc_scope_check(model, &in, &rd);
    if (!rd.in_scope) {
        snprintf(reason, sizeof reason, "%s; its axial reformat is not in scope either: %s",
                 d->reason, rd.reason);
        tsc_reformat_free(rf);
        *out = tsc_series_result_new_not_analysed(info->n_slices, reason);
        return tsc_error_set(err, TSC_ESCOPE, "series %zu not analysed: %s", series, reason);
    }
    tsc_series_source src;
    tsc_reformat_series_source(rf, &src);
    st = tsc_analyze_series(model, &src, o, threads, progress, progress_data, out, err);
    if (*out) {
        char note[256];
        snprintf(note, sizeof note,
                 "axial reformat of a %s 3D volume (%.1f mm), results on the reformat's %zu slices",
                 tsc_plane_to_string(d->plane), g->source_thickness, g->n_slices);
        tsc_series_result_set_reformat(*out, note);
        if (tsc_series_result_set_reformat_geometry(*out, g->positions, g->orientation,
                                                    g->spacing) != TSC_OK) {
            /* Slices without their geometry must not reach a host. */
            tsc_series_result_free(*out);
            *out = NULL;
            st = tsc_error_set(err, TSC_ENOMEM, "out of memory for the reformat's geometry");
        }
    }
    tsc_reformat_free(rf);
    return st;
}

tsc_status tsc_analyze_study_series(tsc_model *model, const tsc_dicom_index *index,
                                    size_t series, const tsc_analysis_options *options,
                                    int threads, tsc_progress_fn progress, void *progress_data,
                                    tsc_series_result **out, tsc_error *err)
{
    TSC_ASSERT(index && out);
    TSC_ASSERT(series < tsc_dicom_n_series(index));
    const tsc_dicom_series_info *info = tsc_dicom_get_series(index, series);
    *out = NULL;
    char warning[320], reason[256];
    int reformat = 0;
    tsc_scope_decision d;
    tsc_analysis_options o = effective_options(options);
    tsc_status st = gate(model, index, series, &o, warning, sizeof warning, reason,
                         sizeof reason, &reformat, &d, err);
    if (st == TSC_ESCOPE) {
        /* A result the host can show and export: "not analysed" and why. */
        *out = tsc_series_result_new_not_analysed(info->n_slices, reason);
        return st;
    }
    if (st != TSC_OK) return st;
    if (reformat)
        return analyze_reformat(model, index, series, &o, &d, threads, progress, progress_data,
                                out, err);
    size_t n = info->n_slices ? info->n_slices : 1;
    double *loc = malloc(n * sizeof *loc);
    double *pos = malloc(3 * n * sizeof *pos);
    if (!loc || !pos) {
        free(loc);
        free(pos);
        return tsc_error_set(err, TSC_ENOMEM, "out of memory");
    }
    int have_geometry = 1;
    for (size_t k = 0; k < info->n_slices; k++) {
        const tsc_dicom_slice_info *si = tsc_dicom_get_slice(index, series, k);
        loc[k] = si->location;
        memcpy(pos + 3 * k, si->position, 3 * sizeof *pos);
        if (!si->has_geometry) have_geometry = 0;
    }
    source_ctx ctx = {index, series};
    tsc_series_source src;
    memset(&src, 0, sizeof src);
    src.struct_size = sizeof src;
    src.n_slices = info->n_slices;
    src.locations_mm = have_geometry ? loc : NULL;
    /* Without geometry, SliceThickness is the only hint left. */
    src.slice_spacing_mm = info->slice_spacing > 0 ? info->slice_spacing : info->slice_thickness;
    src.fetch = fetch;
    src.release = release;
    src.user_data = &ctx;
    if (have_geometry) {
        src.positions_mm = pos;
        memcpy(src.orientation, info->orientation, sizeof src.orientation);
    }
    st = tsc_analyze_series(model, &src, &o, threads, progress, progress_data, out, err);
    if (*out && warning[0]) tsc_series_result_set_scope_warning(*out, warning);
    free(loc);
    free(pos);
    return st;
}
