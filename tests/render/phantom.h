/* SPDX-License-Identifier: BSD-3-Clause */
/* Test fixtures for the render and output tests: a synthetic head series
 * written as real DICOM files at test time (DCMTK), opened with the reader,
 * and analysed with the real analysis core (the phantom test model of
 * tests/analysis/fixtures, or a classical method). */
#ifndef TSC_TEST_PHANTOM_H
#define TSC_TEST_PHANTOM_H

#include "tsc_analysis.h"
#include "tsc_dicom.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Synthetic identifiers, distinctive enough to grep for in output bytes. */
#define TSC_PHANTOM_PATIENT_NAME "Doe^Jane"
#define TSC_PHANTOM_PATIENT_ID "PHANTOM-4242"
#define TSC_PHANTOM_BIRTH_DATE "19710203"
#define TSC_PHANTOM_ACCESSION "ACC-98765"

typedef struct tsc_phantom_spec {
    int rows, cols, n_slices;
    double dy, dx, dz;              /* mm between rows, columns, slices */
    int lesion_first, lesion_last;  /* slices with the disc; first -1: none */
    double lesion_r_mm;             /* radius on the middle lesion slice */
    double lesion_x_mm, lesion_y_mm; /* centre, from the image centre */
    unsigned seed;
    int multiframe;                 /* one Enhanced MR object, frames stored top-down */
} tsc_phantom_spec;

/* 8 slices of 200 x 240 pixels, 1.0 x 0.8 mm, 5 mm apart, a 12 mm disc on
 * slices 2..5. */
tsc_phantom_spec tsc_phantom_default(void);
/* Writes IM0001.dcm... into `dir` (created); aborts the test on failure. */
void tsc_phantom_write(const char *dir, const tsc_phantom_spec *spec);
tsc_dicom_index *tsc_phantom_open(const char *dir);
/* The phantom test model; temperature != 1 loads a copy of the manifest with
 * that temperature (a high one makes verdicts inconclusive). */
tsc_model *tsc_phantom_model(double temperature);
/* Analyses series `series` of `ix` with `method` (model may be NULL for the
 * classical methods); aborts the test on failure. */
tsc_series_result *tsc_phantom_analyze(tsc_model *model, const tsc_dicom_index *ix, size_t series,
                                       tsc_method method);

#ifdef __cplusplus
}
#endif
#endif
