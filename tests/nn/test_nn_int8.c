/* SPDX-License-Identifier: BSD-3-Clause */
/* The int8 mode against fp32 on the operator fixtures, its calibration and
 * its fallbacks.
 *
 * Each fixture is calibrated on its own input (tsc_nn_model_calibrate on the
 * fp32 plan), then run in int8 on that input.  A convolution's input is
 * rounded to 1/255 (u8) or 1/127 (s8) of its range and its weights to 1/127
 * of each output channel's largest weight; a sum of K such products is off
 * by about sqrt(K) * step * typical |term|, so errors are measured against
 * the tensor's range, max_i |a_i - b_i| / max_j |b_j| (as for bf16, but
 * int8 steps are ~30x coarser than bf16's 2^-9).  Bounds per fixture are
 * about twice what this CPU showed (docs/ENGINE.md "Precision: int8"):
 * 3.6e-3 to 1.3e-2 (3e-2), except `activations`, whose last output clips a
 * convolution reaching about +-5 to [-0.5, 0.25], so that the convolution's
 * ~1% error is ~9% of the clipped range (0.15).  Graphs whose convolutions
 * all stay fp32 (no Conv: `pooling`; only ConvTranspose: `conv_transpose`)
 * have no ranges, run the fp32 plan and must match exactly. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn_builder.h"
#include "nn_test_util.h"
#include "tsc_nn.h"
#include "tsc_test.h"

/* The ranges of fixture `name`'s convolution inputs, calibrated on its own
 * inputs `ins` (copied into *out, names owned by *names_model). */
static size_t calibrate(const void *bytes, size_t len, float *const *ins,
                        tsc_nn_model **names_model, tsc_nn_int8_range **out)
{
    tsc_nn_model *f = nn_load_mem(bytes, len, TSC_NN_ENGINE_ONEDNN, 2);
    float **of = nn_run_alloc(f, ins); /* allocates outputs of the right sizes */
    tsc_error err;
    REQUIRE(tsc_nn_model_calibrate(f, (const float *const *)ins, of, &err) == TSC_OK);
    size_t n = tsc_nn_model_n_int8_ranges(f);
    tsc_nn_int8_range *r = calloc(n + 1, sizeof *r);
    for (size_t i = 0; i < n; i++) r[i] = tsc_nn_model_get_int8_range(f, i);
    nn_free_outputs(f, of);
    *names_model = f;
    *out = r;
    return n;
}

/* Runs model `bytes` in fp32 and in int8 (calibrated on inputs `ins`) and
 * returns the largest range error of int8 against fp32 over all outputs;
 * *prec gets the int8 model's precision and `summary` (when not NULL, 320
 * bytes) its plan. */
static double int8_vs_fp32_on(const char *name, const void *bytes, size_t len, float **ins,
                              const char **prec, char *summary)
{
    tsc_nn_model *f;
    tsc_nn_int8_range *r;
    size_t nr = calibrate(bytes, len, ins, &f, &r);
    tsc_nn_params p = tsc_nn_default_params();
    p.n_threads = 2;
    p.engine = TSC_NN_ENGINE_ONEDNN_INT8;
    tsc_nn_model *q = NULL;
    tsc_error err;
    REQUIRE(tsc_nn_model_load_int8_from_memory(bytes, len, name, &p, r, nr, &q, &err) == TSC_OK);
    float **of = nn_run_alloc(f, ins), **oq = nn_run_alloc(q, ins);
    double worst = nn_worst_range_err(name, "int8", f, oq, of);
    *prec = tsc_nn_model_get_precision(q);
    printf("%zu ranges; %s\n", nr, tsc_nn_model_get_summary(q));
    if (summary) snprintf(summary, 320, "%s", tsc_nn_model_get_summary(q));
    nn_free_outputs(f, of);
    nn_free_outputs(q, oq);
    free(r);
    tsc_nn_model_free(f);
    tsc_nn_model_free(q);
    return worst;
}

/* The same for fixture `name` on its own inputs. */
static double int8_vs_fp32(const char *name, const char **prec)
{
    size_t n_in, n_out, len;
    nn_tensor_file *t = nn_fixture_io(name, &n_in, &n_out);
    void *bytes = nn_read_file(nn_fixture_path(name, ".onnx"), &len);
    REQUIRE(bytes);
    float **ins = calloc(n_in, sizeof *ins);
    for (size_t i = 0; i < n_in; i++) ins[i] = t[i].data;
    double worst = int8_vs_fp32_on(name, bytes, len, ins, prec, NULL);
    free(ins);
    free(bytes);
    nn_free_io(t, n_in + n_out);
    return worst;
}

static void check_int8(const char *name, double tol)
{
    if (tol == 0) {
        /* No Conv, no range: the fp32 plan, whatever the CPU. */
        const char *prec = NULL;
        double e = int8_vs_fp32(name, &prec);
        CHECK(!strcmp(prec, "fp32"));
        CHECK(e == 0);
        return;
    }
    nn_check_within_bound(name, tol, int8_vs_fp32, "int8", "AVX512_VNNI");
}

/* One case a fixture of NN_REDUCED_PRECISION_FIXTURES, with its int8 bound. */
#define INT8_TEST(name, bf16_tol, int8_tol)                                                        \
    TSC_TEST(nn_int8_##name##_matches_fp32_within_bound)                                           \
    {                                                                                              \
        check_int8(#name, int8_tol);                                                               \
    }
NN_REDUCED_PRECISION_FIXTURES(INT8_TEST)

/* x -> Conv 3x3 + ReLU (u8 result) -> Conv 3x3 (s8 result) -> Conv 1x1 ->
 * y; with `mid_is_output` the first convolution's result is a graph output
 * too, which must stay fp32.  Returns the packed model. */
static uint8_t *conv_chain(int mid_is_output, size_t *len)
{
    nb_model *b = nb_new(13);
    const int64_t xd[4] = {1, 8, 12, 12}, w1[4] = {16, 8, 3, 3}, w2[4] = {16, 16, 3, 3},
                  w3[4] = {4, 16, 1, 1}, bd = 16, pads[4] = {1, 1, 1, 1};
    nb_input(b, "x", 4, xd);
    nb_init_rand(b, "w1", 4, w1, 0.2f, 1);
    nb_init_rand(b, "b1", 1, &bd, 0.5f, 2);
    nb_init_rand(b, "w2", 4, w2, 0.1f, 3);
    nb_init_rand(b, "w3", 4, w3, 0.3f, 4);
    const char *c1[] = {"x", "w1", "b1", NULL}, *o1[] = {"c1", NULL};
    nb_attr_ints(b, nb_node(b, "Conv", c1, o1), "pads", 4, pads);
    const char *r1[] = {"c1", NULL}, *or1[] = {"r1", NULL};
    nb_node(b, "Relu", r1, or1);
    const char *c2[] = {"r1", "w2", NULL}, *o2[] = {"c2", NULL};
    nb_attr_ints(b, nb_node(b, "Conv", c2, o2), "pads", 4, pads);
    const char *c3[] = {"c2", "w3", NULL}, *o3[] = {"y", NULL};
    nb_node(b, "Conv", c3, o3);
    nb_output(b, "y");
    if (mid_is_output) nb_output(b, "r1");
    uint8_t *bytes = nb_pack(b, len);
    nb_free(b);
    return bytes;
}

/* A convolution whose every reader is an int8 convolution writes its result
 * quantised with the readers' scale (u8 after a ReLU, else s8), so only the
 * network's input needs a quantising reorder; a result that is also read in
 * fp32 (here: a graph output) is written in fp32 and quantised by a reorder,
 * as before.  Both stay within the fixtures' bound of fp32. */
TSC_TEST(nn_int8_convolutions_read_only_by_int8_convolutions_write_int8)
{
    float x[8 * 12 * 12];
    nb_fill_random(x, sizeof x / sizeof *x, 7);
    float *ins[] = {x};
    for (int mid_is_output = 0; mid_is_output < 2; mid_is_output++) {
        size_t len;
        uint8_t *bytes = conv_chain(mid_is_output, &len);
        const char *prec = NULL;
        char summary[320];
        double e = int8_vs_fp32_on("conv_chain", bytes, len, ins, &prec, summary);
        free(bytes);
        if (strcmp(prec, "int8")) tsc_test_skip("this CPU has no AVX512_VNNI (ran in %s)", prec);
        printf("mid_is_output %d: range err %.3g\n", mid_is_output, e);
        CHECK(e <= 3e-2);
        CHECK(strstr(summary, mid_is_output ? "(3 convolutions, 2 quantising reorders)"
                                            : "(3 convolutions, 1 quantising reorders)") != NULL);
    }
}

/* ctest runs this case with ONEDNN_MAX_CPU_ISA=AVX512_CORE
 * (tests/nn/CMakeLists.txt): oneDNN then offers no avx512_core_vnni, as on
 * a CPU without AVX512_VNNI. */
TSC_TEST(nn_int8_falls_back_to_fp32_with_a_warning_without_avx512_vnni)
{
    nn_check_fallback("AVX512_CORE", "AVX512_VNNI", int8_vs_fp32);
}

TSC_TEST(nn_int8_without_ranges_runs_fp32_with_a_warning)
{
    nn_keep_warnings(1);
    tsc_nn_model *m =
        nn_load_file(nn_fixture_path("conv_basic", ".onnx"), TSC_NN_ENGINE_ONEDNN_INT8, 1);
    nn_keep_warnings(0);
    printf("precision %s, warning: %s\n", tsc_nn_model_get_precision(m), nn_last_warning());
    CHECK(!strcmp(tsc_nn_model_get_precision(m), "fp32"));
    CHECK(strstr(nn_last_warning(), "running in fp32") != NULL);
    tsc_nn_model_free(m);
}

TSC_TEST(nn_int8_refuses_a_range_for_a_tensor_the_model_lacks)
{
    size_t len;
    void *bytes = nn_read_file(nn_fixture_path("conv_basic", ".onnx"), &len);
    REQUIRE(bytes);
    tsc_nn_params p = tsc_nn_default_params();
    p.n_threads = 1;
    p.engine = TSC_NN_ENGINE_ONEDNN_INT8;
    const tsc_nn_int8_range r[] = {{"no_such_tensor", 0.f, 1.f}};
    tsc_nn_model *m = NULL;
    tsc_error err;
    CHECK(tsc_nn_model_load_int8_from_memory(bytes, len, "conv_basic", &p, r, 1, &m, &err) ==
          TSC_EINVAL);
    printf("%s\n", err.message);
    CHECK(m == NULL);
    CHECK(strstr(err.message, "no_such_tensor") != NULL);
    CHECK(strstr(err.message, "recalibrate") != NULL);
    free(bytes);
}

/* Calibration widens the ranges run by run and covers every convolution
 * input of the optimised graph (tumornet_small: 1 graph input + the rest). */
TSC_TEST(nn_int8_calibration_widens_ranges_over_runs)
{
    size_t n_in, n_out, len;
    nn_tensor_file *t = nn_fixture_io("tumornet_small", &n_in, &n_out);
    void *bytes = nn_read_file(nn_fixture_path("tumornet_small", ".onnx"), &len);
    REQUIRE(bytes && n_in == 1);
    tsc_nn_model *f;
    tsc_nn_int8_range *r1;
    size_t n1 = calibrate(bytes, len, &t[0].data, &f, &r1);
    CHECK(n1 >= 2);
    int saw_input = 0;
    for (size_t i = 0; i < n1; i++) {
        CHECK(r1[i].min <= r1[i].max);
        if (!strcmp(r1[i].tensor, tsc_nn_model_get_input_name(f, 0))) saw_input = 1;
    }
    CHECK(saw_input);
    /* A second run on twice the input can only widen every range. */
    for (size_t k = 0; k < t[0].n; k++) t[0].data[k] *= 2;
    float **of = nn_run_alloc(f, &t[0].data);
    tsc_error err;
    REQUIRE(tsc_nn_model_calibrate(f, (const float *const *)&t[0].data, of, &err) == TSC_OK);
    CHECK(tsc_nn_model_n_int8_ranges(f) == n1);
    for (size_t i = 0; i < n1; i++) {
        tsc_nn_int8_range r2 = tsc_nn_model_get_int8_range(f, i);
        CHECK(!strcmp(r2.tensor, r1[i].tensor));
        CHECK(r2.min <= r1[i].min && r2.max >= r1[i].max);
    }
    nn_free_outputs(f, of);
    free(r1);
    tsc_nn_model_free(f);
    free(bytes);
    nn_free_io(t, n_in + n_out);
}

#define INT8_CASE(name, bf16_tol, int8_tol) TSC_CASE(nn_int8_##name##_matches_fp32_within_bound),
TSC_TEST_MAIN(NN_REDUCED_PRECISION_FIXTURES(INT8_CASE)
                  TSC_CASE(nn_int8_falls_back_to_fp32_with_a_warning_without_avx512_vnni),
              TSC_CASE(nn_int8_without_ranges_runs_fp32_with_a_warning),
              TSC_CASE(nn_int8_refuses_a_range_for_a_tensor_the_model_lacks),
              TSC_CASE(nn_int8_calibration_widens_ranges_over_runs),
              TSC_CASE(nn_int8_convolutions_read_only_by_int8_convolutions_write_int8))
