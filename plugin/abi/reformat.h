/* SPDX-License-Identifier: BSD-3-Clause */
/* Axial reformat (MPR) of a thin 3D series, for the scope gate's
 * "reformat_possible" case: a sagittal or coronal 1 mm volume is resampled
 * onto axial slices that the model reads, and analysed through an ordinary
 * tsc_series_source.
 *
 * The grid is axial in DICOM LPS: ImageOrientationPatient (1,0,0,0,1,0),
 * columns run right -> left (+x), rows anterior -> posterior (+y), slices
 * inferior -> superior (+z, ascending location).  It covers the bounding box
 * of the source's pixel centres; in-plane spacing is the coarser of the
 * source's pixel spacing and 1 mm, slice spacing the source's slice thickness
 * (at least 1 mm).  Values are trilinear; points outside the source volume
 * take the volume's minimum.
 *
 * Ownership: tsc_reformat_axial_new() gives an object freed with
 * tsc_reformat_free(); the geometry and the source it fills borrow from it.
 * Threads: sampling is read-only, so the source may be fetched from any
 * number of worker threads at once. */
#ifndef TSC_REFORMAT_H
#define TSC_REFORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "tsc_analysis.h"
#include "tsc_dicom.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The most decoded source voxels (as float) a reformat may hold: 1 GiB. */
#define TSC_REFORMAT_MAX_BYTES ((uint64_t)1 << 30)

typedef struct tsc_reformat tsc_reformat;

typedef struct tsc_reformat_geometry {
    int rows, cols;            /* of every reformat slice */
    size_t n_slices;
    double spacing[2];         /* mm: [0] between rows (dy), [1] between columns (dx) */
    double slice_spacing;      /* mm between slice centres */
    double orientation[6];     /* ImageOrientationPatient: (1,0,0, 0,1,0) */
    const double *positions;   /* 3 per slice: the top-left pixel's centre (LPS, mm) */
    const double *locations;   /* per slice: position along the normal (z, mm) */
    double source_thickness;   /* mm, what the slice spacing came from */
    float min_value;           /* the source volume's minimum (fills the outside) */
} tsc_reformat_geometry;

/* Decodes every slice of `series` once and sets up the axial grid.  Refuses
 * (TSC_ELIMIT) a volume whose float voxels exceed `max_bytes` (0 = the
 * default TSC_REFORMAT_MAX_BYTES), TSC_EINVAL a series without complete
 * geometry, with slices of different sizes or not ordered along their
 * normal; decoding errors name the slice.  `cancel` (may be NULL) is polled
 * between slices (TSC_ECANCELLED). */
tsc_status tsc_reformat_axial_new(const tsc_dicom_index *index, size_t series, uint64_t max_bytes,
                                  tsc_cancel_fn cancel, void *cancel_data, tsc_reformat **out,
                                  tsc_error *err);
void tsc_reformat_free(tsc_reformat *rf);

const tsc_reformat_geometry *tsc_reformat_get_geometry(const tsc_reformat *rf);
/* Resamples slice k into `pixels` (rows*cols floats, row-major). */
void tsc_reformat_sample(const tsc_reformat *rf, size_t k, float *pixels);
/* Fills `src` (struct_size, n_slices, locations, positions, orientation,
 * fetch/release over the reformat); borrows from `rf`. */
void tsc_reformat_series_source(const tsc_reformat *rf, tsc_series_source *src);

#ifdef __cplusplus
}
#endif
#endif
