/* SPDX-License-Identifier: BSD-3-Clause */
/* The 1 mm phantom volumes the reformat tests write at test time
 * (test_reformat.c through the plugin's ABI, test_reformat_grid.c with the
 * DICOM writer linked directly): slices of cols x rows pixels with their
 * positions, written as a series in a given orientation.  Header-only, so
 * that each test compiles it against its own headers. */
#ifndef PHANTOM_VOLUME_H
#define PHANTOM_VOLUME_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsc_dicom_write.h"
#include "tsc_test.h"

typedef struct phantom_volume {
    int cols, rows, n_slices;
    float *values; /* n_slices * rows * cols, slice by slice, row-major */
    double *pos;   /* 3 * n_slices: ImagePositionPatient of each slice */
} phantom_volume;

static inline phantom_volume phantom_volume_new(int cols, int rows, int n_slices)
{
    phantom_volume pv = {cols, rows, n_slices, NULL, NULL};
    pv.values = malloc((size_t)n_slices * rows * cols * sizeof *pv.values);
    pv.pos = malloc(3 * (size_t)n_slices * sizeof *pv.pos);
    REQUIRE(pv.values && pv.pos);
    return pv;
}

/* Slice k's ImagePositionPatient (its first pixel's centre, LPS mm). */
static inline void phantom_volume_place(phantom_volume *pv, int k, double x, double y, double z)
{
    pv->pos[3 * k + 0] = x;
    pv->pos[3 * k + 1] = y;
    pv->pos[3 * k + 2] = z;
}

/* Pixel (column i, row j) of slice k. */
static inline float *phantom_volume_at(const phantom_volume *pv, int k, int j, int i)
{
    return &pv->values[((size_t)k * pv->rows + (size_t)j) * pv->cols + (size_t)i];
}

/* A DICOM series writer: the plugin's member or the library's function,
 * with no result asked for. */
typedef tsc_status (*phantom_write_fn)(const char *out_dir, const tsc_dicom_write_params *p,
                                       const tsc_dicom_write_volume *volume, tsc_error *err);

/* Writes pv as the series `name` in the case's temporary folder, with p
 * (whose identity the caller has set), as 1 mm slices in `orientation`
 * (row and column cosines); frees pv and returns the series' folder. */
static inline const char *phantom_volume_write(phantom_volume *pv, const char *name,
                                               tsc_dicom_write_params p,
                                               const double orientation[6], phantom_write_fn write)
{
    const char *out_dir = tsc_test_path("%s", name);
    p.pixel_spacing[0] = p.pixel_spacing[1] = 1.0;
    p.slice_thickness = 1.0;
    memcpy(p.orientation, orientation, sizeof p.orientation);
    tsc_dicom_write_volume vol = {pv->cols, pv->rows, (size_t)pv->n_slices, pv->values, pv->pos};
    tsc_error err;
    tsc_status st = write(out_dir, &p, &vol, &err);
    if (st != TSC_OK) fprintf(stderr, "writing the series: %s\n", err.message);
    REQUIRE(st == TSC_OK);
    free(pv->values);
    free(pv->pos);
    return out_dir;
}

#endif
