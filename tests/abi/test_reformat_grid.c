/* SPDX-License-Identifier: BSD-3-Clause */
/* The axial reformat's grid and interpolation (plugin/abi/reformat.c), on a
 * coronal volume written at test time whose values are a linear function of
 * the patient position: trilinear interpolation reproduces a linear function
 * exactly, so every reformat voxel inside the volume must equal the function
 * at its own position. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phantom_volume.h"
#include "reformat.h"
#include "tsc_dicom.h"
#include "tsc_dicom_write.h"
#include "tsc_test.h"

enum { NX = 40, NZ = 30, NY = 24 }; /* coronal: columns along x, rows along -z, slices along y */

/* Integer-valued at the half-millimetre positions used below. */
static double f(double x, double y, double z)
{
    return 1000.0 + 2.0 * x + 4.0 * y + 6.0 * z;
}

static tsc_status write_series(const char *out_dir, const tsc_dicom_write_params *p,
                               const tsc_dicom_write_volume *volume, tsc_error *err)
{
    return tsc_dicom_write_series(out_dir, p, volume, NULL, err);
}

/* The coronal volume written into <tmp>/cor and opened. */
static tsc_dicom_index *write_and_open(void)
{
    phantom_volume pv = phantom_volume_new(NX, NZ, NY);
    const double x0 = -19.5, ztop = 14.5, y0 = -11.5;
    for (int k = 0; k < NY; k++) {
        double y = y0 + k;
        phantom_volume_place(&pv, k, x0, y, ztop);
        for (int j = 0; j < NZ; j++)
            for (int i = 0; i < NX; i++)
                *phantom_volume_at(&pv, k, j, i) = (float)f(x0 + i, y, ztop - j);
    }
    tsc_dicom_write_params p = tsc_dicom_write_default_params();
    p.patient_name = "Phantom^Grid";
    p.patient_id = "GRID-1";
    p.uid_seed = "test-reformat-grid";
    const double cor[6] = {1, 0, 0, 0, 0, -1};
    const char *out = phantom_volume_write(&pv, "cor", p, cor, write_series);
    tsc_error err;
    const char *paths[] = {out};
    tsc_dicom_open_params op = tsc_dicom_default_open_params();
    tsc_dicom_index *ix = NULL;
    REQUIRE(tsc_dicom_open(paths, 1, &op, &ix, &err) == TSC_OK);
    REQUIRE(tsc_dicom_n_series(ix) == 1);
    return ix;
}

TSC_TEST(reformat_of_a_linear_volume_reproduces_it_on_an_axial_lps_grid)
{
    tsc_dicom_index *ix = write_and_open();
    tsc_reformat *rf = NULL;
    tsc_error err;
    tsc_status st = tsc_reformat_axial_new(ix, 0, 0, NULL, NULL, &rf, &err);
    if (st != TSC_OK) fprintf(stderr, "reformat: %s\n", err.message);
    REQUIRE(st == TSC_OK);
    const tsc_reformat_geometry *g = tsc_reformat_get_geometry(rf);
    /* Axial LPS: columns right -> left (+x), rows anterior -> posterior (+y),
     * slices inferior -> superior; 1 mm; the bounding box of the source. */
    CHECK(g->cols == NX && g->rows == NY && g->n_slices == NZ);
    CHECK(g->orientation[0] == 1 && g->orientation[4] == 1);
    CHECK_NEAR(g->spacing[0], 1.0, 1e-12);
    CHECK_NEAR(g->slice_spacing, 1.0, 1e-12);
    CHECK_NEAR(g->positions[0], -19.5, 1e-9);
    CHECK_NEAR(g->positions[1], -11.5, 1e-9);
    CHECK_NEAR(g->positions[2], -14.5, 1e-9);
    CHECK_NEAR(g->locations[NZ - 1], 14.5, 1e-9);
    CHECK_NEAR(g->min_value, f(-19.5, -11.5, -14.5), 1e-3);
    float *px = malloc((size_t)g->rows * (size_t)g->cols * sizeof *px);
    REQUIRE(px);
    double worst = 0;
    for (size_t k = 0; k < g->n_slices; k++) {
        tsc_reformat_sample(rf, k, px);
        const double *p = g->positions + 3 * k;
        for (int y = 0; y < g->rows; y++)
            for (int x = 0; x < g->cols; x++) {
                double e = f(p[0] + x, p[1] + y, p[2]);
                worst = fmax(worst, fabs(px[(size_t)y * (size_t)g->cols + (size_t)x] - e));
            }
    }
    CHECK(worst < 1e-2);
    free(px);

    /* The series source hands the same slices to the analysis. */
    tsc_series_source src;
    tsc_reformat_series_source(rf, &src);
    CHECK(src.n_slices == NZ && src.positions_mm == g->positions && src.orientation[4] == 1);
    tsc_slice s;
    void *tok = NULL;
    REQUIRE(src.fetch(src.user_data, 3, &s, &tok, &err) == TSC_OK);
    CHECK(s.rows == NY && s.cols == NX && s.spacing[0] == 1.0);
    CHECK_NEAR(s.pixels[5 * NX + 7], f(-19.5 + 7, -11.5 + 5, -14.5 + 3), 1e-2);
    src.release(src.user_data, tok);
    tsc_reformat_free(rf);

    /* A volume over the memory bound is refused with the sizes and a remedy. */
    CHECK(tsc_reformat_axial_new(ix, 0, 1024, NULL, NULL, &rf, &err) == TSC_ELIMIT);
    CHECK(strstr(err.message, "MiB") && strstr(err.message, "axial series"));
    tsc_dicom_index_free(ix);
}

TSC_TEST_MAIN(TSC_CASE(reformat_of_a_linear_volume_reproduces_it_on_an_axial_lps_grid))
