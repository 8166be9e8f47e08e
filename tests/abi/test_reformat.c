/* SPDX-License-Identifier: BSD-3-Clause */
/* Axial reformat of a thin 3D volume (issue scope-and-trust, §1): a sagittal
 * 1 mm 3D series is out of the axial-only model's scope, yet analysed on an
 * axial reformat of its volume, with the result saying so and its geometry
 * and 3D lesions in patient coordinates.  Seen from a host: the plugin is
 * loaded with dlopen and used through its ABI only.  The series is written
 * at test time with the plugin's DICOM writer and marked 3D with DCMTK's
 * dcmodify. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phantom_volume.h"
#include "test_plugin_host.h"
#include "tsc_plugin.h"
#include "tsc_test.h"

/* The volume: sagittal slices (rows along -z, columns along +y) stacked
 * along x, 1 mm everywhere.  A head-like ellipsoid (~400 with noise) and a
 * bright sphere (~950), the "lesion". */
enum { NX = 140, NY = 160, NZ = 144 };
static const double X0 = -69.5, Y0 = -79.5, ZTOP = 71.5;
static const double HEAD[3] = {46, 55, 58};      /* semi-axes, mm */
static const double LESION[3] = {12, -10, 8};    /* centre, LPS mm */
static const double LESION_R = 9;

static const tsc_plugin_api *api;

static const tsc_plugin_api *load_api(void)
{
    const tsc_plugin_api *a = test_plugin_host_load();
    REQUIRE(TSC_PLUGIN_HAS(a, series_result_get_slice_geometry));
    return a;
}

static uint32_t rng_state = 12345;
static double noise(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return (double)(rng_state >> 8) / 16777216.0 - 0.5; /* -0.5 .. 0.5 */
}

static tsc_status plugin_write_series(const char *out_dir, const tsc_dicom_write_params *p,
                                      const tsc_dicom_write_volume *volume, tsc_error *err)
{
    return api->dicom_write_series(out_dir, p, volume, NULL, err);
}

/* Writes the sagittal series into <tmp>/sag and marks it 3D. */
static void write_sagittal(void)
{
    if (system("command -v dcmodify >/dev/null 2>&1") != 0)
        tsc_test_skip("dcmodify (Debian package dcmtk) is not installed");
    phantom_volume pv = phantom_volume_new(NY, NZ, NX);
    for (int k = 0; k < NX; k++) {
        double x = X0 + k;
        phantom_volume_place(&pv, k, x, Y0, ZTOP);
        for (int j = 0; j < NZ; j++)
            for (int i = 0; i < NY; i++) {
                double y = Y0 + i, z = ZTOP - j, n = noise() * 60.0;
                double e = (x / HEAD[0]) * (x / HEAD[0]) + (y / HEAD[1]) * (y / HEAD[1]) +
                           (z / HEAD[2]) * (z / HEAD[2]);
                double d2 = (x - LESION[0]) * (x - LESION[0]) + (y - LESION[1]) * (y - LESION[1]) +
                            (z - LESION[2]) * (z - LESION[2]);
                double val = e <= 1 ? 400 + n : 5 + fabs(n) * 0.1;
                if (d2 <= LESION_R * LESION_R) val = 950 + n * 0.3;
                *phantom_volume_at(&pv, k, j, i) = (float)val;
            }
    }
    tsc_dicom_write_params p = api->dicom_write_default_params();
    p.patient_name = "Phantom^Reformat";
    p.patient_id = "REFORMAT-1";
    p.series_description = "T1 3D sagittal phantom";
    p.uid_seed = "test-reformat";
    const double sag[6] = {0, 1, 0, 0, 0, -1};
    const char *out = phantom_volume_write(&pv, "sag", p, sag, plugin_write_series);
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "dcmodify -nb -m '(0018,0023)=3D' '%s'/*.dcm >/dev/null 2>&1", out);
    REQUIRE(system(cmd) == 0);
}

/* The phantom model with the scope block of an axial-only MR model. */
static tsc_model *scoped_model(void)
{
    const char *path = tsc_test_phantom_model(TSC_TEST_AXIAL_MR_SCOPE);
    tsc_model_params mp = api->model_default_params();
    mp.threads = 1;
    tsc_model *m = NULL;
    tsc_error err;
    tsc_status st = api->model_load(path, &mp, &m, &err);
    if (st != TSC_OK) fprintf(stderr, "model: %s\n", err.message);
    REQUIRE(st == TSC_OK);
    return m;
}

static tsc_dicom_index *open_study(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/sag", dir);
    const char *paths[] = {path};
    tsc_dicom_open_params op = api->study_default_params();
    tsc_dicom_index *ix = NULL;
    tsc_error err;
    REQUIRE(api->study_open(paths, 1, &op, &ix, &err) == TSC_OK);
    REQUIRE(api->study_n_series(ix) == 1);
    return ix;
}

TSC_TEST(reformat_sagittal_3d_volume_is_analysed_on_an_axial_reformat)
{
    api = load_api();
    const char *dir = tsc_test_tmpdir();
    write_sagittal();
    tsc_model *m = scoped_model();
    tsc_dicom_index *ix = open_study(dir);
    REQUIRE(api->study_get_series(ix, 0)->n_slices == NX);

    tsc_scope_decision d;
    api->series_check_scope(m, ix, 0, &d);
    CHECK(!d.in_scope && d.code == TSC_SCOPE_PLANE && d.plane == TSC_PLANE_SAGITTAL);
    CHECK(d.reformat_possible);

    tsc_analysis_options o = api->analysis_default_options();
    CHECK(o.axial_reformat == 1);
    tsc_series_result *sr = NULL;
    tsc_error err;
    tsc_status st = api->analyze_study_series(m, ix, 0, &o, 2, NULL, NULL, &sr, &err);
    if (st != TSC_OK) fprintf(stderr, "analyse: %s\n", err.message);
    REQUIRE(st == TSC_OK && sr);

    /* The result states the reformat and has the reformat's slices. */
    const char *note = api->series_result_get_reformat(sr);
    fprintf(stderr, "reformat: %s\n", note);
    CHECK(!strcmp(note, "axial reformat of a sagittal 3D volume (1.0 mm), results on the "
                        "reformat's 144 slices"));
    REQUIRE(api->series_result_n_slices(sr) == NZ);
    CHECK(api->series_result_get_verdict(sr) != TSC_VERDICT_NOT_ANALYSED);
    CHECK(!api->series_result_get_scope_warning(sr)[0]); /* in scope: no warning */
    for (size_t k = 0; k < NZ; k += 37) {
        double p[3], iop[6], sp[2];
        REQUIRE(api->series_result_get_slice_geometry(sr, k, p, iop, sp) == 1);
        CHECK_NEAR(p[0], X0, 1e-6);
        CHECK_NEAR(p[1], Y0, 1e-6);
        CHECK_NEAR(p[2], -71.5 + (double)k, 1e-6);
        const double axial[6] = {1, 0, 0, 0, 1, 0};
        for (int i = 0; i < 6; i++) CHECK_NEAR(iop[i], axial[i], 1e-12);
        CHECK_NEAR(sp[0], 1.0, 1e-12);
        CHECK_NEAR(sp[1], 1.0, 1e-12);
        const tsc_result *r = api->series_result_get_slice(sr, k);
        if (r) {
            int rows = 0, cols = 0;
            api->result_get_mask(r, &rows, &cols);
            CHECK(rows == NY && cols == NX);
        }
    }

    /* The sphere is one 3D lesion at its true patient coordinates. */
    CHECK(api->series_result_get_verdict(sr) == TSC_VERDICT_TUMOR);
    REQUIRE(api->series_result_n_lesions3d(sr) >= 1);
    const tsc_lesion3d_info *l = api->series_result_get_lesion3d(sr, 0);
    REQUIRE(l->has_patient_coordinates);
    fprintf(stderr, "lesion: centre %.1f %.1f %.1f, x %.1f..%.1f, z %.1f..%.1f, %.2f mL\n",
            l->centre_mm[0], l->centre_mm[1], l->centre_mm[2], l->extent_min_mm[0],
            l->extent_max_mm[0], l->extent_min_mm[2], l->extent_max_mm[2], l->volume_ml);
    for (int a = 0; a < 3; a++) CHECK_NEAR(l->centre_mm[a], LESION[a], 2.5);
    CHECK_NEAR(l->extent_min_mm[2], LESION[2] - LESION_R, 4.0);
    CHECK_NEAR(l->extent_max_mm[2], LESION[2] + LESION_R, 4.0);
    double true_ml = 4.0 / 3.0 * M_PI * LESION_R * LESION_R * LESION_R / 1000.0;
    CHECK_NEAR(l->volume_ml, true_ml, 0.5 * true_ml);

    /* Reports and DICOM outputs would put the reformat's masks on the
     * source slices: refused with the reason. */
    char out[4096];
    snprintf(out, sizeof out, "%s/out", dir);
    tsc_report_options ro = api->report_default_options_v9();
    tsc_dicom_outputs w;
    memset(&w, 0, sizeof w);
    w.struct_size = sizeof w;
    CHECK(api->write_dicom_outputs(out, m, ix, 0, sr, &ro, &w, &err) == TSC_EINVAL);
    CHECK(strstr(err.message, "SEG not written: results are on an axial reformat") != NULL);
    snprintf(out, sizeof out, "%s/summary.png", dir);
    CHECK(api->report_series_png(out, m, ix, 0, sr, &ro, &err) == TSC_EINVAL);
    CHECK(strstr(err.message, "axial reformat") != NULL);

    /* A single slice of the series is still refused, pointing to the series. */
    tsc_result *one = NULL;
    CHECK(api->analyze_study_slice(m, ix, 0, 70, &o, &one, &err) == TSC_ESCOPE);
    CHECK(strstr(err.message, "axial reformat") != NULL);
    api->series_result_free(sr);

    /* Without axial_reformat the series is refused as before. */
    o.axial_reformat = 0;
    sr = NULL;
    CHECK(api->analyze_study_series(m, ix, 0, &o, 2, NULL, NULL, &sr, &err) == TSC_ESCOPE);
    REQUIRE(sr);
    CHECK(api->series_result_get_verdict(sr) == TSC_VERDICT_NOT_ANALYSED);
    CHECK(!api->series_result_get_reformat(sr)[0]);
    CHECK(api->series_result_get_slice_geometry(sr, 0, NULL, NULL, NULL) == 0);
    api->series_result_free(sr);

    /* A host built before the field (shorter options) never gets a reformat. */
    o = api->analysis_default_options();
    o.struct_size = offsetof(tsc_analysis_options, axial_reformat);
    sr = NULL;
    CHECK(api->analyze_study_series(m, ix, 0, &o, 2, NULL, NULL, &sr, &err) == TSC_ESCOPE);
    if (sr) api->series_result_free(sr);

    api->study_free(ix);
    api->model_free(m);
}

TSC_TEST_MAIN(TSC_CASE(reformat_sagittal_3d_volume_is_analysed_on_an_axial_reformat))
