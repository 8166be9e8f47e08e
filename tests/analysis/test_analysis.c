/* SPDX-License-Identifier: BSD-3-Clause */
/* The analysis core (tsc_analysis.h) end to end with the phantom model
 * (tests/analysis/fixtures, a tiny network trained on synthetic phantoms):
 * verdicts, native-resolution masks, millimetre measurements, model checks,
 * series aggregation and cancellation. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tsc_analysis.h"
#include "tsc_nn.h"
#include "tsc_test.h"
#include "tsc_test_analysis.h"

static tsc_model *load_phantom_model(void)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/analysis/fixtures/phantom-model.json",
             tsc_test_env("TSC_SOURCE_DIR", "."));
    return tsc_test_load_model(path, NULL);
}

/* A head-like ellipse (signal ~400) on a dark background with noise, and
 * optionally a bright disc (~950) of radius r_mm centred at (cx_mm, cy_mm)
 * from the image centre.  Spacing dy (rows) and dx (columns) in mm. */
static float *make_slice(int rows, int cols, double dy, double dx, double r_mm, double cx_mm,
                         double cy_mm, unsigned seed)
{
    float *p = malloc((size_t)rows * cols * sizeof *p);
    double h_mm = rows * dy, w_mm = cols * dx;
    double ry = 0.40 * fmin(h_mm, w_mm), rx = 0.34 * fmin(h_mm, w_mm);
    srand(seed);
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            double y = (r + 0.5) * dy - h_mm / 2, x = (c + 0.5) * dx - w_mm / 2;
            double noise = ((double)rand() / RAND_MAX - 0.5) * 60.0;
            double v = 5 + fabs(noise) * 0.1;
            if ((y / ry) * (y / ry) + (x / rx) * (x / rx) <= 1) v = 400 + noise;
            if (r_mm > 0 && (x - cx_mm) * (x - cx_mm) + (y - cy_mm) * (y - cy_mm) <= r_mm * r_mm)
                v = 950 + noise * 0.3;
            p[(size_t)r * cols + c] = (float)v;
        }
    return p;
}

static tsc_result *analyse(tsc_model *m, const float *px, int rows, int cols, double dy, double dx)
{
    tsc_slice s = {px, rows, cols, {dy, dx}};
    tsc_analysis_options o = tsc_analysis_default_options();
    tsc_result *r = NULL;
    tsc_error err;
    tsc_status st = tsc_analyze_slice(m, &s, &o, &r, &err);
    if (st != TSC_OK) fprintf(stderr, "analyse: %s\n", err.message);
    REQUIRE(st == TSC_OK);
    return r;
}

TSC_TEST(analysis_finds_phantom_lesion_with_mm_measurements)
{
    tsc_model *m = load_phantom_model();
    /* 256 x 256 at 0.5 mm; a disc of radius 10 mm, 12 mm right of centre. */
    float *px = make_slice(256, 256, 0.5, 0.5, 10.0, 12.0, 0.0, 1);
    tsc_result *r = analyse(m, px, 256, 256, 0.5, 0.5);
    CHECK(tsc_result_get_verdict(r) == TSC_VERDICT_TUMOR);
    CHECK(!strcmp(tsc_model_get_class_name(m, tsc_result_get_label(r)), "glioma"));
    CHECK(tsc_result_get_confidence(r) > 0.5);
    REQUIRE(tsc_result_n_lesions(r) == 1);
    const tsc_lesion_info *l = tsc_result_get_lesion(r, 0);
    /* The network sees the slice at 64 x 64 (2 mm pixels): allow 15 %. */
    CHECK_NEAR(l->area_mm2, M_PI * 100.0, 0.15 * M_PI * 100.0);
    CHECK_NEAR(l->diameter_mm, 20.0, 3.0);
    CHECK_NEAR(l->perpendicular_mm, 20.0, 3.0);
    /* Centroid in pixels: column 128 + 24, row 128. */
    CHECK_NEAR(l->centroid.x, 127.5 + 24.0, 3.0);
    CHECK_NEAR(l->centroid.y, 127.5, 3.0);
    double sum = 0;
    for (size_t i = 0; i < tsc_result_n_classes(r); i++) sum += tsc_result_get_probability(r, i);
    CHECK_NEAR(sum, 1.0, 1e-6);
    const tsc_timings *t = tsc_result_get_timings(r);
    CHECK(t->total_ms > 0 && t->total_ms >= t->inference_ms);
    tsc_result_free(r);
    free(px);
    tsc_model_free(m);
}

TSC_TEST(analysis_reports_no_tumor_with_empty_mask_on_plain_head)
{
    tsc_model *m = load_phantom_model();
    float *px = make_slice(256, 256, 0.5, 0.5, 0, 0, 0, 2);
    tsc_result *r = analyse(m, px, 256, 256, 0.5, 0.5);
    CHECK(tsc_result_get_verdict(r) == TSC_VERDICT_NO_TUMOR);
    CHECK(tsc_result_get_label(r) == tsc_model_get_no_tumor_class(m));
    CHECK(tsc_result_n_lesions(r) == 0);
    int rows, cols;
    const uint8_t *mask = tsc_result_get_mask(r, &rows, &cols);
    size_t on = 0;
    for (int i = 0; i < rows * cols; i++) on += mask[i];
    CHECK(on == 0);
    tsc_result_free(r);
    free(px);
    tsc_model_free(m);
}

TSC_TEST(analysis_mask_is_at_native_resolution_for_anisotropic_slice)
{
    tsc_model *m = load_phantom_model();
    /* 200 rows x 300 columns, rows 0.8 mm apart, columns 0.5 mm apart. */
    float *px = make_slice(200, 300, 0.8, 0.5, 9.0, -10.0, 8.0, 3);
    tsc_result *r = analyse(m, px, 200, 300, 0.8, 0.5);
    int rows, cols;
    tsc_result_get_mask(r, &rows, &cols);
    CHECK(rows == 200 && cols == 300);
    CHECK(tsc_result_get_verdict(r) == TSC_VERDICT_TUMOR);
    REQUIRE(tsc_result_n_lesions(r) == 1);
    const tsc_lesion_info *l = tsc_result_get_lesion(r, 0);
    CHECK_NEAR(l->area_mm2, M_PI * 81.0, 0.2 * M_PI * 81.0);
    /* Centre: x = 150 - 10/0.5 = 130 px, y = 100 + 8/0.8 = 110 px (pixel centres -0.5). */
    CHECK_NEAR(l->centroid.x, 129.5, 3.0);
    CHECK_NEAR(l->centroid.y, 109.5, 3.0);
    tsc_result_free(r);
    free(px);
    tsc_model_free(m);
}

/* Copies the phantom model into the test folder, optionally changing the
 * manifest text and/or one byte of the ONNX file. */
static const char *copy_model(const char *from_json, const char *to_json, int corrupt_onnx)
{
    char edit[1024];
    snprintf(edit, sizeof edit, "s|%s|%s|", from_json, to_json);
    const char *json = tsc_test_phantom_model(edit);
    if (corrupt_onnx) {
        char p[4096];
        snprintf(p, sizeof p, "%s/phantom-model.onnx", tsc_test_tmpdir());
        FILE *f = fopen(p, "r+b");
        REQUIRE(f);
        fseek(f, 200, SEEK_SET);
        int c = fgetc(f);
        fseek(f, 200, SEEK_SET);
        fputc(c ^ 0x5a, f);
        fclose(f);
    }
    return json;
}

/* Loading `path` fails with `want` and a message containing `says`. */
static void check_refused(const char *path, tsc_status want, const char *says)
{
    tsc_model *m = NULL;
    tsc_error err;
    CHECK_STATUS(tsc_model_load(path, NULL, &m, &err), want);
    CHECK(m == NULL);
    CHECK(strstr(err.message, says) != NULL);
}

/* The phantom model's manifest with "precision": prec. */
static const char *copy_model_in(const char *prec)
{
    char to[64];
    snprintf(to, sizeof to, "\"precision\": \"%s\", \"temperature\": 1.0", prec);
    return copy_model("\"temperature\": 1.0", to, 0);
}

TSC_TEST(model_with_wrong_checksum_is_refused)
{
    check_refused(copy_model("xx", "xx", 1), TSC_ECHECKSUM, "does not match its manifest");
}

TSC_TEST(model_with_unknown_preprocessing_rule_is_refused)
{
    check_refused(copy_model("\"tsc-v1\"", "\"tsc-v9\"", 0), TSC_EVERSION, "tsc-v1");
}

TSC_TEST(model_with_unknown_precision_is_refused)
{
    check_refused(copy_model_in("fp16"), TSC_EFORMAT, "precision \"fp16\"");
}

TSC_TEST(tsc_precision_overrides_the_manifest_and_must_name_a_precision)
{
    const char *path = copy_model_in("bf16");
    setenv("TSC_PRECISION", "fp64", 1);
    check_refused(path, TSC_EINVAL, "TSC_PRECISION is \"fp64\"; use fp32, bf16 or int8");
    check_refused(path, TSC_EINVAL, "model's own (bf16)");
    unsetenv("TSC_PRECISION");
}

/* The phantom through a bf16 manifest and through fp32 ($TSC_PRECISION):
 * the same verdict, class and lesion, probabilities within bf16's error. */
TSC_TEST(model_in_bf16_finds_the_phantom_lesion_as_fp32_does)
{
    const char *path = copy_model_in("bf16");
    float *px = make_slice(256, 256, 0.5, 0.5, 10.0, 12.0, 0.0, 1);
    tsc_result *r[2];
    tsc_model *m[2];
    for (int k = 0; k < 2; k++) {
        tsc_error err;
        if (k) setenv("TSC_PRECISION", "fp32", 1);
        tsc_status st = tsc_model_load(path, NULL, &m[k], &err);
        unsetenv("TSC_PRECISION");
        REQUIRE(st == TSC_OK);
        r[k] = analyse(m[k], px, 256, 256, 0.5, 0.5);
    }
    CHECK(tsc_result_get_verdict(r[0]) == TSC_VERDICT_TUMOR);
    CHECK(tsc_result_get_verdict(r[0]) == tsc_result_get_verdict(r[1]));
    CHECK(tsc_result_get_label(r[0]) == tsc_result_get_label(r[1]));
    for (size_t i = 0; i < tsc_result_n_classes(r[0]); i++)
        CHECK_NEAR(tsc_result_get_probability(r[0], i), tsc_result_get_probability(r[1], i), 0.02);
    REQUIRE(tsc_result_n_lesions(r[0]) == 1 && tsc_result_n_lesions(r[1]) == 1);
    CHECK_NEAR(tsc_result_get_lesion(r[0], 0)->area_mm2, tsc_result_get_lesion(r[1], 0)->area_mm2,
               0.05 * tsc_result_get_lesion(r[1], 0)->area_mm2);
    for (int k = 0; k < 2; k++) {
        tsc_result_free(r[k]);
        tsc_model_free(m[k]);
    }
    free(px);
}

/* A whole file as a string (malloc). */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    REQUIRE(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *t = malloc((size_t)n + 1);
    REQUIRE(t && fread(t, 1, (size_t)n, f) == (size_t)n);
    t[n] = 0;
    fclose(f);
    return t;
}

/* The phantom model whose manifest says "precision": prec_json, with an
 * "int8" block calibrated ($TSC_INT8_CALIBRATE) on px; *fp32 (if not NULL)
 * gets the calibration run's result, which is fp32's. */
static const char *calibrated_model(const char *prec_json, const float *px, tsc_result **fp32)
{
    char to[256];
    snprintf(to, sizeof to, "\"precision\": %s, \"temperature\": 1.0", prec_json);
    const char *path = copy_model("\"temperature\": 1.0", to, 0);
    char ranges[4096];
    snprintf(ranges, sizeof ranges, "%s/int8-ranges.json", tsc_test_tmpdir());
    setenv("TSC_INT8_CALIBRATE", ranges, 1);
    tsc_model *cal = tsc_test_load_model(path, NULL);
    unsetenv("TSC_INT8_CALIBRATE");
    CHECK(!strcmp(tsc_model_get_precision(cal), "fp32"));
    tsc_result *r = analyse(cal, px, 256, 256, 0.5, 0.5);
    if (fp32) *fp32 = r;
    else tsc_result_free(r);
    tsc_model_free(cal); /* writes the ranges */
    char *block = slurp(ranges), *manifest = slurp(path);
    CHECK(strstr(block, "\"ranges\"") != NULL);
    char *at = strstr(manifest, "\"temperature\"");
    REQUIRE(at);
    FILE *f = fopen(path, "wb");
    REQUIRE(f);
    fprintf(f, "%.*s\"int8\": %s, %s", (int)(at - manifest), manifest, block, at);
    fclose(f);
    free(block);
    free(manifest);
    return path;
}

/* Calibrated on the phantom, in int8: the same verdict, class and lesion as
 * fp32, probabilities within 0.05, area within 10 %. */
TSC_TEST(model_in_int8_calibrated_on_the_phantom_finds_the_lesion_as_fp32_does)
{
    float *px = make_slice(256, 256, 0.5, 0.5, 10.0, 12.0, 0.0, 1);
    tsc_result *r0;
    tsc_model *m = tsc_test_load_model(calibrated_model("\"int8\"", px, &r0), NULL);
    if (strcmp(tsc_model_get_precision(m), "int8"))
        tsc_test_skip("this CPU has no AVX512_VNNI (the model runs in %s)",
                      tsc_model_get_precision(m));
    tsc_result *r1 = analyse(m, px, 256, 256, 0.5, 0.5);
    CHECK(tsc_result_get_verdict(r1) == TSC_VERDICT_TUMOR);
    CHECK(tsc_result_get_verdict(r0) == tsc_result_get_verdict(r1));
    CHECK(tsc_result_get_label(r0) == tsc_result_get_label(r1));
    for (size_t i = 0; i < tsc_result_n_classes(r0); i++)
        CHECK_NEAR(tsc_result_get_probability(r1, i), tsc_result_get_probability(r0, i), 0.05);
    REQUIRE(tsc_result_n_lesions(r0) == 1 && tsc_result_n_lesions(r1) == 1);
    CHECK_NEAR(tsc_result_get_lesion(r1, 0)->area_mm2, tsc_result_get_lesion(r0, 0)->area_mm2,
               0.1 * tsc_result_get_lesion(r0, 0)->area_mm2);
    tsc_result_free(r0);
    tsc_result_free(r1);
    tsc_model_free(m);
    free(px);
}

/* A manifest listing ["bf16", "int8"] runs the first this CPU (as oneDNN
 * sees it) offers: bf16 with AVX512_BF16, else int8 with AVX512_VNNI, else
 * fp32.  ctest runs it twice: as the CPU is, and with ONEDNN_MAX_CPU_ISA =
 * AVX512_CORE_VNNI (bf16 hidden), where it must run int8. */
static void check_precision_list(int bf16_hidden)
{
    float *px = make_slice(256, 256, 0.5, 0.5, 10.0, 12.0, 0.0, 1);
    tsc_model *m = tsc_test_load_model(calibrated_model("[\"bf16\", \"int8\"]", px, NULL), NULL);
    int bf16 = tsc_nn_engine_available(TSC_NN_ENGINE_ONEDNN_BF16);
    int int8 = tsc_nn_engine_available(TSC_NN_ENGINE_ONEDNN_INT8);
    if (bf16_hidden) {
        REQUIRE(getenv("ONEDNN_MAX_CPU_ISA")); /* set by ctest: AVX512_CORE_VNNI */
        CHECK(!bf16);
        if (!int8)
            tsc_test_skip("this CPU has no AVX512_VNNI (the model runs in %s)",
                          tsc_model_get_precision(m));
    }
    const char *want = bf16 ? "bf16" : int8 ? "int8" : "fp32";
    if (strcmp(tsc_model_get_precision(m), want))
        fprintf(stderr, "runs in %s, expected %s\n", tsc_model_get_precision(m), want);
    CHECK(!strcmp(tsc_model_get_precision(m), want));
    tsc_result *r = analyse(m, px, 256, 256, 0.5, 0.5);
    CHECK(tsc_result_get_verdict(r) == TSC_VERDICT_TUMOR);
    tsc_result_free(r);
    tsc_model_free(m);
    free(px);
}

TSC_TEST(model_precision_list_runs_the_first_mode_this_cpu_offers)
{
    check_precision_list(0);
}

TSC_TEST(model_precision_list_runs_int8_on_a_cpu_without_avx512_bf16)
{
    check_precision_list(1);
}

TSC_TEST(model_precision_list_must_name_distinct_modes)
{
    char to[128];
    snprintf(to, sizeof to, "\"precision\": null, \"temperature\": 1.0");
    tsc_model *m = tsc_test_load_model(copy_model("\"temperature\": 1.0", to, 0), NULL);
    CHECK(!strcmp(tsc_model_get_precision(m), "fp32")); /* null: the default */
    tsc_model_free(m);
    static const struct {
        const char *list, *says;
    } bad[] = {{"[\"bf16\", \"bf16\"]", "precision \"bf16\" is listed twice"},
               {"[]", "\"precision\" is an empty list"},
               {"[\"bf16\", \"int8\", \"fp32\", \"bf16\"]", "precision \"bf16\" is listed twice"},
               {"[\"bf16\", 16]", "precision \"(not a string)\""}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(to, sizeof to, "\"precision\": %s, \"temperature\": 1.0", bad[i].list);
        check_refused(copy_model("\"temperature\": 1.0", to, 0), TSC_EFORMAT, bad[i].says);
    }
}

TSC_TEST(model_in_int8_without_an_int8_block_runs_fp32)
{
    tsc_model *m = tsc_test_load_model(copy_model_in("int8"), NULL);
    CHECK(!strcmp(tsc_model_get_precision(m), "fp32"));
    tsc_model_free(m);
}

TSC_TEST(analysis_finds_tumour_but_flags_type_uncertain_when_probabilities_are_flat)
{
    /* A very high temperature flattens the calibrated probabilities. */
    const char *path = copy_model("\"temperature\": 1.0",
                                  "\"temperature\": 19.0|; s|\"min_confidence\": 0.5|\"min_confidence\": 0.7", 0);
    tsc_model *m = tsc_test_load_model(path, NULL);
    float *px = make_slice(128, 128, 1.0, 1.0, 10.0, 0, 0, 4);
    tsc_result *r = analyse(m, px, 128, 128, 1.0, 1.0);
    /* P(tumour) still passes the phantom's 50 % and the lesion is outlined:
     * a tumour, whose type is stated as uncertain (P(type | tumour) about
     * 57 %, under the 70 % minimum), never a confident type. */
    CHECK(tsc_result_get_verdict(r) == TSC_VERDICT_TUMOR);
    CHECK(tsc_result_get_confidence(r) < 0.7);
    tsc_description d;
    tsc_result_describe(m, r, &d);
    CHECK(d.type_uncertain);
    CHECK(!strcmp(d.finding, "Tumour, type uncertain"));
    CHECK(d.color == TSC_COLOR_CLASSIC);
    tsc_result_free(r);
    free(px);
    tsc_model_free(m);
}

TSC_TEST(analysis_refuses_zero_pixel_spacing)
{
    tsc_model *m = load_phantom_model();
    float px[16] = {0};
    tsc_slice s = {px, 4, 4, {0.0, 1.0}};
    tsc_result *r = NULL;
    tsc_error err;
    CHECK_STATUS(tsc_analyze_slice(m, &s, NULL, &r, &err), TSC_EINVAL);
    CHECK(strstr(err.message, "spacing") != NULL);
    tsc_model_free(m);
}

TSC_TEST(analysis_threshold_baseline_needs_no_model)
{
    float *px = make_slice(256, 256, 0.5, 0.5, 10.0, 0.0, 0.0, 5);
    tsc_slice s = {px, 256, 256, {0.5, 0.5}};
    tsc_analysis_options o = tsc_analysis_default_options();
    o.method = TSC_METHOD_THRESHOLD;
    tsc_result *r = NULL;
    tsc_error err;
    REQUIRE(tsc_analyze_slice(NULL, &s, &o, &r, &err) == TSC_OK);
    CHECK(tsc_result_get_verdict(r) == TSC_VERDICT_TUMOR);
    CHECK(tsc_result_n_classes(r) == 0);
    CHECK(isnan(tsc_result_get_confidence(r)));
    REQUIRE(tsc_result_n_lesions(r) >= 1);
    CHECK_NEAR(tsc_result_get_lesion(r, 0)->area_mm2, M_PI * 100.0, 0.1 * M_PI * 100.0);
    tsc_result_free(r);
    free(px);
}

/* ---- series ---- */

typedef struct phantom_series {
    int n;
    double spacing;
    double radius[16];
    int fetched;
    int cancel_after;
    int cancel_seen;
} phantom_series;

static tsc_status fetch(void *user, size_t k, tsc_slice *s, void **token, tsc_error *err)
{
    (void)err;
    phantom_series *ps = user;
    float *px = make_slice(128, 128, 1.0, 1.0, ps->radius[k], 5.0, -5.0, (unsigned)(10 + k));
    __atomic_add_fetch(&ps->fetched, 1, __ATOMIC_SEQ_CST);
    return tsc_test_give_slice(px, 128, 1.0, s, token);
}

static int cancel_cb(void *user)
{
    phantom_series *ps = user;
    int stop = __atomic_load_n(&ps->fetched, __ATOMIC_SEQ_CST) >= ps->cancel_after;
    /* Called from every worker at once (as the API says): atomics only. */
    if (stop) __atomic_store_n(&ps->cancel_seen, 1, __ATOMIC_SEQ_CST);
    return stop;
}

TSC_TEST(series_links_lesions_across_slices_and_computes_volume)
{
    tsc_model *m = load_phantom_model();
    phantom_series ps = {.n = 9, .spacing = 5.0, .cancel_after = 1000};
    double radii[9] = {0, 0, 6, 9, 11, 9, 6, 0, 0};
    memcpy(ps.radius, radii, sizeof radii);
    double loc[9];
    for (int i = 0; i < 9; i++) loc[i] = 5.0 * i;
    tsc_series_source src = {sizeof src, 9, loc, 0, fetch, tsc_test_release_slice, &ps, NULL, {0}};
    tsc_series_result *sr = NULL;
    tsc_error err;
    REQUIRE(tsc_analyze_series(m, &src, NULL, 2, NULL, NULL, &sr, &err) == TSC_OK);
    CHECK(tsc_series_result_get_verdict(sr) == TSC_VERDICT_TUMOR);
    CHECK(tsc_series_result_n_failed(sr) == 0);
    CHECK(tsc_series_result_n_lesions3d(sr) == 1);
    CHECK(tsc_series_result_get_key_slice(sr) == 4);
    /* Truth: sum of disc areas x 5 mm. */
    double truth = 0;
    for (int i = 0; i < 9; i++) truth += M_PI * radii[i] * radii[i] * 5.0 / 1000.0;
    CHECK_NEAR(tsc_series_result_get_volume_ml(sr), truth, 0.2 * truth);
    if (tsc_series_result_n_lesions3d(sr) == 1) {
        const tsc_lesion3d_info *l3 = tsc_series_result_get_lesion3d(sr, 0);
        CHECK(l3->first_slice == 2 && l3->last_slice == 6);
    }
    CHECK(tsc_series_result_get_slice(sr, 0) != NULL);
    CHECK(tsc_result_get_verdict(tsc_series_result_get_slice(sr, 0)) == TSC_VERDICT_NO_TUMOR);
    tsc_series_result_free(sr);
    tsc_model_free(m);
}

TSC_TEST(series_cancel_stops_promptly_and_keeps_partial_results)
{
    tsc_model *m = load_phantom_model();
    phantom_series ps = {.n = 16, .spacing = 5.0, .cancel_after = 3};
    tsc_series_source src = {sizeof src, 16,   NULL, 5.0, fetch, tsc_test_release_slice,
                             &ps,        NULL, {0}};
    tsc_analysis_options o = tsc_analysis_default_options();
    o.cancel = cancel_cb;
    o.cancel_data = &ps;
    tsc_series_result *sr = NULL;
    tsc_error err;
    CHECK_STATUS(tsc_analyze_series(m, &src, &o, 2, NULL, NULL, &sr, &err), TSC_ECANCELLED);
    REQUIRE(sr != NULL);
    CHECK(ps.cancel_seen);
    /* At most the slices already fetched (one per worker past the limit). */
    CHECK(ps.fetched <= 3 + 2);
    size_t done = 0;
    for (size_t k = 0; k < 16; k++) done += tsc_series_result_get_slice(sr, k) != NULL;
    CHECK(done <= 5);
    tsc_series_result_free(sr);
    tsc_model_free(m);
}

TSC_TEST_MAIN(TSC_CASE(analysis_finds_phantom_lesion_with_mm_measurements),
              TSC_CASE(analysis_reports_no_tumor_with_empty_mask_on_plain_head),
              TSC_CASE(analysis_mask_is_at_native_resolution_for_anisotropic_slice),
              TSC_CASE(model_with_wrong_checksum_is_refused),
              TSC_CASE(model_with_unknown_preprocessing_rule_is_refused),
              TSC_CASE(model_with_unknown_precision_is_refused),
              TSC_CASE(tsc_precision_overrides_the_manifest_and_must_name_a_precision),
              TSC_CASE(model_in_bf16_finds_the_phantom_lesion_as_fp32_does),
              TSC_CASE(model_in_int8_calibrated_on_the_phantom_finds_the_lesion_as_fp32_does),
              TSC_CASE(model_in_int8_without_an_int8_block_runs_fp32),
              TSC_CASE(model_precision_list_runs_the_first_mode_this_cpu_offers),
              TSC_CASE(model_precision_list_runs_int8_on_a_cpu_without_avx512_bf16),
              TSC_CASE(model_precision_list_must_name_distinct_modes),
              TSC_CASE(analysis_finds_tumour_but_flags_type_uncertain_when_probabilities_are_flat),
              TSC_CASE(analysis_refuses_zero_pixel_spacing),
              TSC_CASE(analysis_threshold_baseline_needs_no_model),
              TSC_CASE(series_links_lesions_across_slices_and_computes_volume),
              TSC_CASE(series_cancel_stops_promptly_and_keeps_partial_results))
