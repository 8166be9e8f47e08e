/* SPDX-License-Identifier: BSD-3-Clause */
/* Scope and trust (issue scope-and-trust): the scope gate reads the headers
 * scanners write and refuses with a radiologist's reason; every verdict has
 * one meaning and one description; slices without enough head are "not
 * assessable" and never make a series inconclusive. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsc_analysis.h"
#include "tsc_test.h"
#include "tsc_test_analysis.h"

/* The phantom model (tests/analysis/fixtures), optionally with the scope
 * block of an axial-only T1/T2/FLAIR MR model added to its manifest. */
static tsc_model *phantom(int with_scope)
{
    return tsc_test_load_model(tsc_test_phantom_model(with_scope ? TSC_TEST_AXIAL_MR_SCOPE : NULL),
                               NULL);
}

static const double AXIAL[6] = {1, 0, 0, 0, 1, 0};
static const double CORONAL[6] = {1, 0, 0, 0, 0, -1};
static const double SAGITTAL[6] = {0, 1, 0, 0, 0, -1};

/* An axial 2D T1 spin-echo MR series, 256x256 at 0.9 mm. */
static tsc_scope_input axial_t1(void)
{
    tsc_scope_input in = tsc_scope_default_input();
    in.modality = "MR";
    in.sop_class_uid = "1.2.840.10008.5.1.4.1.1.4";
    in.image_type = "ORIGINAL\\PRIMARY\\M\\ND";
    in.scanning_sequence = "SE";
    in.photometric = "MONOCHROME2";
    in.samples_per_pixel = 1;
    in.mr_acquisition_type = "2D";
    in.has_orientation = 1;
    memcpy(in.orientation, AXIAL, sizeof AXIAL);
    in.pixel_spacing[0] = in.pixel_spacing[1] = 0.9;
    in.rows = in.cols = 256;
    in.n_slices = 24;
    in.slice_thickness = 5;
    in.slice_spacing = 6;
    in.echo_time = 12;
    in.repetition_time = 500;
    return in;
}

static tsc_scope_decision check(const tsc_model *m, const tsc_scope_input *in)
{
    tsc_scope_decision d;
    tsc_scope_check(m, in, &d);
    return d;
}

/* The scope refuses `in` with `code`, and its reason says `says` (NULL:
 * whatever it says). */
static void check_refused(const tsc_model *m, const tsc_scope_input *in, tsc_scope_code code,
                          const char *says)
{
    tsc_scope_decision d = check(m, in);
    CHECK(!d.in_scope && d.code == code);
    if (says && !strstr(d.reason, says))
        fprintf(stderr, "scope reason \"%s\" does not say \"%s\"\n", d.reason, says);
    CHECK(!says || strstr(d.reason, says) != NULL);
}

TSC_TEST(scope_accepts_axial_t1_and_names_its_family)
{
    tsc_model *m = phantom(1);
    tsc_scope_input in = axial_t1();
    tsc_scope_decision d = check(m, &in);
    CHECK(d.in_scope);
    CHECK(d.code == TSC_SCOPE_OK);
    CHECK(d.plane == TSC_PLANE_AXIAL);
    CHECK(!strcmp(d.sequence_family, "T1"));
    in.contrast_agent = "Gadovist";
    d = check(m, &in);
    CHECK(d.in_scope && !strcmp(d.sequence_family, "T1 post-contrast"));
    tsc_model_free(m);
}

TSC_TEST(scope_refuses_ct_naming_the_modality)
{
    tsc_model *m = phantom(1);
    tsc_scope_input in = axial_t1();
    in.modality = "CT";
    in.sop_class_uid = "1.2.840.10008.5.1.4.1.1.2";
    check_refused(m, &in, TSC_SCOPE_MODALITY, "CT is outside the model's scope (MR only)");
    /* A model without a scope block still reads MR only. */
    tsc_model *plain = phantom(0);
    check_refused(plain, &in, TSC_SCOPE_MODALITY, NULL);
    tsc_model_free(plain);
    tsc_model_free(m);
}

TSC_TEST(scope_refuses_diffusion_by_image_type_or_b_value)
{
    tsc_model *m = phantom(1);
    tsc_scope_input in = axial_t1();
    in.image_type = "DERIVED\\PRIMARY\\DIFFUSION\\ADC\\ND";
    check_refused(m, &in, TSC_SCOPE_DIFFUSION,
                  "diffusion-weighted series: the model reads T1/T1 post-contrast/T2/FLAIR");
    in = axial_t1();
    in.max_b_value = 1000;
    CHECK(check(m, &in).code == TSC_SCOPE_DIFFUSION);
    in = axial_t1();
    in.image_type = "ORIGINAL\\PRIMARY\\TRACEW\\ND";
    CHECK(check(m, &in).code == TSC_SCOPE_DIFFUSION);
    tsc_model_free(m);
}

TSC_TEST(scope_refuses_echo_planar_and_mosaic_series)
{
    tsc_model *m = phantom(1);
    tsc_scope_input in = axial_t1();
    in.scanning_sequence = "EP";
    in.sequence_variant = "SK\\SS";
    check_refused(m, &in, TSC_SCOPE_EPI, "echo-planar");
    in = axial_t1();
    in.image_type = "ORIGINAL\\PRIMARY\\M\\ND\\MOSAIC";
    in.n_mosaic = 36;
    CHECK(check(m, &in).code == TSC_SCOPE_EPI);
    in = axial_t1();
    in.scanning_sequence = "GR";
    in.sequence_name = "epfid2d1_64";
    CHECK(check(m, &in).code == TSC_SCOPE_EPI);
    tsc_model_free(m);
}

TSC_TEST(scope_never_analyses_secondary_capture_seg_sr_or_colour)
{
    tsc_model *m = phantom(1);
    tsc_scope_input in = axial_t1();
    in.sop_class_uid = "1.2.840.10008.5.1.4.1.1.7"; /* our own SC overlays */
    check_refused(m, &in, TSC_SCOPE_OBJECT, "Secondary Capture");
    in = axial_t1();
    in.sop_class_uid = "1.2.840.10008.5.1.4.1.1.66.4";
    in.modality = "SEG";
    CHECK(check(m, &in).code == TSC_SCOPE_OBJECT);
    in = axial_t1();
    in.modality = "SR";
    in.sop_class_uid = "1.2.840.10008.5.1.4.1.1.88.33";
    CHECK(check(m, &in).code == TSC_SCOPE_OBJECT);
    in = axial_t1();
    in.photometric = "RGB";
    in.samples_per_pixel = 3;
    check_refused(m, &in, TSC_SCOPE_COLOR, "greyscale");
    tsc_model_free(m);
}

TSC_TEST(scope_refuses_derived_images_localizers_and_phase)
{
    tsc_model *m = phantom(1);
    static const char *const types[] = {"DERIVED\\SECONDARY\\PROJECTION IMAGE",
                                        "ORIGINAL\\PRIMARY\\LOCALIZER", "ORIGINAL\\PRIMARY\\P\\ND",
                                        "DERIVED\\PRIMARY\\FIELD_MAP"};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        tsc_scope_input in = axial_t1();
        in.image_type = types[i];
        check_refused(m, &in, TSC_SCOPE_DERIVED, NULL);
    }
    tsc_model_free(m);
}

TSC_TEST(scope_refuses_planes_the_model_does_not_read_and_offers_a_reformat_of_thin_3d)
{
    tsc_model *m = phantom(1);
    tsc_scope_input in = axial_t1();
    memcpy(in.orientation, SAGITTAL, sizeof SAGITTAL);
    tsc_scope_decision d = check(m, &in);
    CHECK(!d.in_scope && d.code == TSC_SCOPE_PLANE && d.plane == TSC_PLANE_SAGITTAL);
    CHECK(!strcmp(d.reason, "sagittal slices: this model reads axial"));
    CHECK(!d.reformat_possible); /* 5 mm 2D slices */
    /* A 1 mm isotropic 3D MPRAGE: an axial reformat would be in scope. */
    in.mr_acquisition_type = "3D";
    in.scanning_sequence = "GR\\IR";
    in.inversion_time = 900;
    in.echo_time = 2.3;
    in.repetition_time = 2300;
    in.slice_thickness = 1.0;
    in.slice_spacing = 1.0;
    in.n_slices = 176;
    in.pixel_spacing[0] = in.pixel_spacing[1] = 1.0;
    d = check(m, &in);
    CHECK(d.code == TSC_SCOPE_PLANE && d.reformat_possible);
    CHECK(!strcmp(d.sequence_family, "T1"));
    memcpy(in.orientation, CORONAL, sizeof CORONAL);
    CHECK(check(m, &in).plane == TSC_PLANE_CORONAL);
    /* 40 degrees off axial: oblique, with the angle in the reason. */
    double c = cos(40 * M_PI / 180), s = sin(40 * M_PI / 180);
    double obl[6] = {1, 0, 0, 0, c, s};
    memcpy(in.orientation, obl, sizeof obl);
    d = check(m, &in);
    CHECK(d.plane == TSC_PLANE_OBLIQUE && d.code == TSC_SCOPE_PLANE);
    CHECK_NEAR(d.oblique_deg, 40.0, 0.5);
    CHECK(strstr(d.reason, "40") != NULL);
    tsc_model_free(m);
}

TSC_TEST(scope_refuses_coarse_matrices_and_pixels)
{
    tsc_model *m = phantom(1);
    tsc_scope_input in = axial_t1();
    in.pixel_spacing[0] = in.pixel_spacing[1] = 3.0;
    CHECK(check(m, &in).code == TSC_SCOPE_SPACING);
    in = axial_t1();
    in.rows = in.cols = 64;
    CHECK(check(m, &in).code == TSC_SCOPE_MATRIX);
    tsc_model_free(m);
}

TSC_TEST(scope_refuses_proton_density_but_not_an_unknown_family)
{
    tsc_model *m = phantom(1);
    tsc_scope_input in = axial_t1();
    in.echo_time = 15;
    in.repetition_time = 3000; /* long TR, short TE spin echo: proton density */
    tsc_scope_decision d = check(m, &in);
    CHECK(d.code == TSC_SCOPE_SEQUENCE && strstr(d.reason, "proton-density") != NULL);
    in.echo_time = 0;
    in.repetition_time = 0;
    CHECK(check(m, &in).in_scope); /* no timing, no description: not refused on a guess */
    tsc_model_free(m);
}

/* ---- verdicts ------------------------------------------------------------ */

/* A head-like ellipse (signal ~400) of semi-axes ry_mm, rx_mm with an
 * optional bright disc of radius r_mm at the centre. */
static float *head(int n, double spacing, double ry_mm, double rx_mm, double r_mm, unsigned seed)
{
    float *p = malloc((size_t)n * n * sizeof *p);
    srand(seed);
    double c = n * spacing / 2;
    for (int r = 0; r < n; r++)
        for (int k = 0; k < n; k++) {
            double y = (r + 0.5) * spacing - c, x = (k + 0.5) * spacing - c;
            double noise = ((double)rand() / RAND_MAX - 0.5) * 60.0;
            double v = 5 + fabs(noise) * 0.1;
            if ((y / ry_mm) * (y / ry_mm) + (x / rx_mm) * (x / rx_mm) <= 1) v = 400 + noise;
            if (r_mm > 0 && x * x + y * y <= r_mm * r_mm) v = 950 + noise * 0.3;
            p[(size_t)r * n + k] = (float)v;
        }
    return p;
}

/* A head slice (head()'s picture of n x n 1 mm pixels) analysed by m and
 * described; analysed_free() frees it and m. */
typedef struct analysed {
    tsc_model *m;
    float *px;
    tsc_result *r;
    tsc_description d;
} analysed;

static analysed analyse_head(tsc_model *m, int n, double ry_mm, double rx_mm, double r_mm,
                             unsigned seed)
{
    analysed a = {.m = m, .px = head(n, 1.0, ry_mm, rx_mm, r_mm, seed)};
    tsc_slice s = {a.px, n, n, {1.0, 1.0}};
    tsc_error err;
    tsc_status st = tsc_analyze_slice(m, &s, NULL, &a.r, &err);
    if (st != TSC_OK) fprintf(stderr, "analyse: %s\n", err.message);
    REQUIRE(st == TSC_OK);
    tsc_result_describe(m, a.r, &a.d);
    return a;
}

static void analysed_free(analysed *a)
{
    tsc_result_free(a->r);
    free(a->px);
    tsc_model_free(a->m);
}

TSC_TEST(no_tumor_states_p_no_tumor_and_no_type)
{
    analysed a = analyse_head(phantom(0), 128, 51, 43, 0, 2);
    REQUIRE(tsc_result_get_verdict(a.r) == TSC_VERDICT_NO_TUMOR);
    size_t nt = tsc_model_get_no_tumor_class(a.m);
    CHECK(tsc_result_get_label(a.r) == nt);
    CHECK_NEAR(tsc_result_get_confidence(a.r), tsc_result_get_probability(a.r, nt), 1e-9);
    CHECK(a.d.verdict == TSC_VERDICT_NO_TUMOR);
    CHECK(a.d.type == (size_t)-1);
    CHECK(!strcmp(a.d.headline, "NO TUMOR"));
    CHECK(a.d.color == 0x009E73u);
    char expect[64];
    snprintf(expect, sizeof expect, "NO TUMOR %.1f%%", 100.0 * tsc_result_get_probability(a.r, nt));
    if (tsc_result_get_probability(a.r, nt) < 0.9995) CHECK(!strcmp(a.d.label, expect));
    analysed_free(&a);
}

TSC_TEST(tumor_states_type_given_tumour_and_p_tumour)
{
    analysed a = analyse_head(phantom(0), 128, 51, 43, 10, 3);
    REQUIRE(tsc_result_get_verdict(a.r) == TSC_VERDICT_TUMOR);
    size_t type = tsc_result_get_label(a.r);
    double pt = tsc_result_get_tumor_probability(a.r);
    CHECK(type != tsc_model_get_no_tumor_class(a.m));
    CHECK_NEAR(tsc_result_get_confidence(a.r), tsc_result_get_probability(a.r, type) / pt, 1e-9);
    CHECK(a.d.type == type);
    CHECK_NEAR(a.d.tumor_probability, pt, 1e-12);
    CHECK(a.d.color == tsc_model_get_class_color(a.m, type) || a.d.type_uncertain);
    CHECK(strstr(a.d.label, tsc_model_get_class_display(a.m, type)) != NULL);
    /* The head is measured on tumour slices too (the series rule compares slices). */
    CHECK(isfinite(tsc_result_get_head_area_mm2(a.r)));
    analysed_free(&a);
}

TSC_TEST(slice_with_too_little_head_is_not_assessable_and_grey)
{
    /* A vertex-like slice: a head section of about 15 cm². */
    analysed a = analyse_head(phantom(0), 256, 24, 20, 0, 4);
    CHECK(tsc_result_get_verdict(a.r) == TSC_VERDICT_NOT_ASSESSABLE);
    CHECK(isnan(tsc_result_get_confidence(a.r)));
    CHECK(tsc_result_n_lesions(a.r) == 0);
    CHECK_NEAR(tsc_result_get_head_area_mm2(a.r), M_PI * 24 * 20, 0.15 * M_PI * 24 * 20);
    CHECK(!strcmp(a.d.headline, "NOT ASSESSABLE"));
    CHECK(a.d.color == TSC_COLOR_NOT_ASSESSABLE);
    CHECK(strstr(a.d.reason, "too little of the head") != NULL);
    CHECK(strstr(a.d.reason, " px") == NULL); /* sentences, not pixel counts */
    /* The rule can be switched off. */
    tsc_slice s = {a.px, 256, 256, {1.0, 1.0}};
    tsc_analysis_options o = tsc_analysis_default_options();
    o.not_assessable_rule = 0;
    tsc_result *r2 = NULL;
    REQUIRE(tsc_analyze_slice(a.m, &s, &o, &r2, NULL) == TSC_OK);
    CHECK(tsc_result_get_verdict(r2) != TSC_VERDICT_NOT_ASSESSABLE);
    tsc_result_free(r2);
    analysed_free(&a);
}

TSC_TEST(inconclusive_reasons_are_sentences_without_pixel_counts)
{
    /* A very high temperature flattens P(tumour) to about 75 %, under a
     * 99 % tumour threshold, while the lesion is still outlined. */
    const char *path =
        tsc_test_phantom_model("s|\"temperature\": 1.0|\"temperature\": 19.0|; "
                               "s|\"tumor_probability\": 0.5|\"tumor_probability\": 0.99|");
    tsc_model *m = NULL;
    REQUIRE(tsc_model_load(path, NULL, &m, NULL) == TSC_OK);
    analysed a = analyse_head(m, 128, 51, 43, 10, 5);
    REQUIRE(tsc_result_get_verdict(a.r) == TSC_VERDICT_INCONCLUSIVE);
    CHECK(isnan(tsc_result_get_confidence(a.r)));
    CHECK(!strcmp(a.d.label, "INCONCLUSIVE"));
    CHECK(a.d.color == TSC_COLOR_INCONCLUSIVE);
    CHECK(a.d.type == (size_t)-1);
    CHECK(strstr(a.d.reason, "the segmentation outlines a region but P(tumour)") != NULL);
    CHECK(strstr(a.d.reason, " px") == NULL);
    analysed_free(&a);
}

/* ---- series ---------------------------------------------------------- */

typedef struct stack {
    double ry[12];      /* head semi-axis per slice (mm) */
    double lesion[12];  /* lesion radius per slice (mm) */
} stack;

static tsc_status fetch(void *user, size_t k, tsc_slice *s, void **token, tsc_error *err)
{
    (void)err;
    stack *st = user;
    float *px = head(128, 1.0, st->ry[k], st->ry[k] * 0.85, st->lesion[k], (unsigned)(40 + k));
    return tsc_test_give_slice(px, 128, 1.0, s, token);
}

static tsc_series_result *run_stack(tsc_model *m, stack *st, size_t n)
{
    double loc[12], pos[36];
    for (size_t k = 0; k < n; k++) {
        loc[k] = 5.0 * (double)k;
        pos[3 * k] = -64;
        pos[3 * k + 1] = -64;
        pos[3 * k + 2] = 5.0 * (double)k;
    }
    tsc_series_source src = tsc_test_series_source(n, loc, fetch, st);
    src.positions_mm = pos;
    memcpy(src.orientation, AXIAL, sizeof AXIAL);
    tsc_series_result *sr = NULL;
    REQUIRE(tsc_analyze_series(m, &src, NULL, 2, NULL, NULL, &sr, NULL) == TSC_OK);
    return sr;
}

TSC_TEST(normal_series_reads_no_tumour_detected_and_names_not_assessable_slices)
{
    tsc_model *m = phantom(0);
    /* Skull base and vertex: small head sections at both ends. */
    stack st = {{22, 45, 51, 51, 51, 51, 45, 20}, {0}};
    tsc_series_result *sr = run_stack(m, &st, 8);
    CHECK(tsc_series_result_get_verdict(sr) == TSC_VERDICT_NO_TUMOR);
    CHECK(tsc_series_result_count(sr, TSC_VERDICT_NOT_ASSESSABLE) == 2);
    CHECK(tsc_series_result_count(sr, TSC_VERDICT_NO_TUMOR) == 6);
    tsc_description d;
    tsc_series_result_describe(m, sr, &d);
    CHECK(!strcmp(d.finding, "No tumour detected"));
    CHECK(!strcmp(d.detail, "2 slices not assessable: 1, 8"));
    /* Never more certain than its least certain slice. */
    double lowest = 1;
    for (size_t k = 0; k < 8; k++) {
        const tsc_result *r = tsc_series_result_get_slice(sr, k);
        if (tsc_result_get_verdict(r) == TSC_VERDICT_NO_TUMOR && tsc_result_get_confidence(r) < lowest)
            lowest = tsc_result_get_confidence(r);
    }
    CHECK_NEAR(tsc_series_result_get_confidence(sr), lowest, 1e-12);
    tsc_series_result_free(sr);
    tsc_model_free(m);
}

TSC_TEST(series_lesions_are_sorted_measured_by_rano_and_placed_in_patient_coordinates)
{
    tsc_model *m = phantom(0);
    /* One lesion, 3 slices; a 5 mm radius disc is under RANO's 10 mm on the
     * smaller slices but the key slice's 22 mm disc is measurable. */
    stack st = {{51, 51, 51, 51, 51, 51}, {0, 6, 11, 6, 0, 0}};
    tsc_series_result *sr = run_stack(m, &st, 6);
    REQUIRE(tsc_series_result_get_verdict(sr) == TSC_VERDICT_TUMOR);
    REQUIRE(tsc_series_result_n_lesions3d(sr) == 1);
    const tsc_lesion3d_info *l = tsc_series_result_get_lesion3d(sr, 0);
    CHECK(l->measurable);
    CHECK(l->max_product_mm2 > 100);
    CHECK(l->key_slice == 2);
    REQUIRE(l->has_patient_coordinates);
    /* Disc at the image centre: x, y near 0 (LPS), z at slice 2 (10 mm). */
    CHECK_NEAR(l->centre_mm[0], 0.0, 2.0);
    CHECK_NEAR(l->centre_mm[1], 0.0, 2.0);
    CHECK_NEAR(l->centre_mm[2], 10.0, 2.5);
    CHECK(l->extent_min_mm[2] <= 5.0 + 1e-9 && l->extent_max_mm[2] >= 15.0 - 1e-9);
    CHECK(l->type_probability > 0 && l->type_probability <= 1);
    tsc_series_result_free(sr);
    /* A small lesion (radius 4 mm on one slice) is not measurable. */
    stack small = {{51, 51, 51}, {0, 4.5, 0}};
    sr = run_stack(m, &small, 3);
    if (tsc_series_result_n_lesions3d(sr) == 1) {
        l = tsc_series_result_get_lesion3d(sr, 0);
        CHECK(!l->measurable);
        CHECK(l->max_product_mm2 == 0);
    }
    tsc_series_result_free(sr);
    tsc_model_free(m);
}

TSC_TEST(not_analysed_series_and_forced_scope_warning_are_described)
{
    tsc_model *m = phantom(0);
    tsc_series_result *sr =
        tsc_series_result_new_not_analysed(12, "CT is outside the model's scope (MR only)");
    REQUIRE(sr);
    tsc_description d;
    tsc_series_result_describe(m, sr, &d);
    CHECK(d.verdict == TSC_VERDICT_NOT_ANALYSED);
    CHECK(!strcmp(d.headline, "NOT ANALYSED"));
    CHECK(!strcmp(d.reason, "CT is outside the model's scope (MR only)"));
    CHECK(!strcmp(tsc_verdict_to_string(TSC_VERDICT_NOT_ANALYSED), "not_analysed"));
    tsc_series_result_free(sr);

    stack st = {{51, 51}, {0, 0}};
    sr = run_stack(m, &st, 2);
    tsc_series_result_set_scope_warning(sr, "Outside the model's scope: sagittal slices");
    tsc_series_result_describe(m, sr, &d);
    CHECK(!strcmp(d.scope_warning, "Outside the model's scope: sagittal slices"));
    tsc_result_describe(m, tsc_series_result_get_slice(sr, 0), &d);
    CHECK(!strcmp(d.scope_warning, "Outside the model's scope: sagittal slices"));
    tsc_series_result_free(sr);
    tsc_model_free(m);
}

TSC_TEST_MAIN(TSC_CASE(scope_accepts_axial_t1_and_names_its_family),
              TSC_CASE(scope_refuses_ct_naming_the_modality),
              TSC_CASE(scope_refuses_diffusion_by_image_type_or_b_value),
              TSC_CASE(scope_refuses_echo_planar_and_mosaic_series),
              TSC_CASE(scope_never_analyses_secondary_capture_seg_sr_or_colour),
              TSC_CASE(scope_refuses_derived_images_localizers_and_phase),
              TSC_CASE(scope_refuses_planes_the_model_does_not_read_and_offers_a_reformat_of_thin_3d),
              TSC_CASE(scope_refuses_coarse_matrices_and_pixels),
              TSC_CASE(scope_refuses_proton_density_but_not_an_unknown_family),
              TSC_CASE(no_tumor_states_p_no_tumor_and_no_type),
              TSC_CASE(tumor_states_type_given_tumour_and_p_tumour),
              TSC_CASE(slice_with_too_little_head_is_not_assessable_and_grey),
              TSC_CASE(inconclusive_reasons_are_sentences_without_pixel_counts),
              TSC_CASE(normal_series_reads_no_tumour_detected_and_names_not_assessable_slices),
              TSC_CASE(series_lesions_are_sorted_measured_by_rano_and_placed_in_patient_coordinates),
              TSC_CASE(not_analysed_series_and_forced_scope_warning_are_described))
