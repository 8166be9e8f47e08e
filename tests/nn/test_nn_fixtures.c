/* SPDX-License-Identifier: BSD-3-Clause */
/* PyTorch-exported fixtures: both engines must reproduce PyTorch's outputs
 * within NN_TOL (see nn_test_util.h for the error definition). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn_test_util.h"
#include "tsc_nn.h"
#include "tsc_test.h"

static void check_engine(const char *name, tsc_nn_engine engine, int threads)
{
    size_t n_in, n_out;
    nn_tensor_file *t = nn_fixture_io(name, &n_in, &n_out);
    tsc_nn_model *m = nn_load_file(nn_fixture_path(name, ".onnx"), engine, threads);
    REQUIRE(tsc_nn_model_n_inputs(m) == n_in);
    REQUIRE(tsc_nn_model_n_outputs(m) == n_out);
    float **ins = calloc(n_in, sizeof *ins);
    for (size_t i = 0; i < n_in; i++) {
        REQUIRE(tsc_nn_model_input_size(m, i) == t[i].n);
        ins[i] = t[i].data;
    }
    float **outs = nn_run_alloc(m, ins);
    const char *ename = engine == TSC_NN_ENGINE_REFERENCE ? "reference" : "oneDNN";
    for (size_t o = 0; o < n_out; o++) {
        const nn_tensor_file *want = &t[n_in + o];
        REQUIRE(tsc_nn_model_output_size(m, o) == want->n);
        int rank;
        const int64_t *dims = tsc_nn_model_get_output_shape(m, o, &rank);
        CHECK(rank == want->rank);
        for (int k = 0; k < rank && k < want->rank; k++) CHECK(dims[k] == want->dims[k]);
        size_t worst;
        double e = nn_rel_err(outs[o], want->data, want->n, &worst);
        int bad = nn_count_nonfinite(outs[o], want->n);
        printf("%s %s output %zu (%s): %zu values, max rel err %.3g\n", name, ename, o,
               tsc_nn_model_get_output_name(m, o), want->n, e);
        if (!(e <= NN_TOL) || bad)
            fprintf(stderr, "%s %s output %zu: err %.3g at %zu (got %g, want %g), %d non-finite\n",
                    name, ename, o, e, worst, outs[o][worst], want->data[worst], bad);
        CHECK(e <= NN_TOL);
        CHECK(bad == 0);
    }
    if (engine == TSC_NN_ENGINE_ONEDNN) printf("%s\n", tsc_nn_model_get_summary(m));
    nn_free_outputs(m, outs);
    free(ins);
    tsc_nn_model_free(m);
    nn_free_io(t, n_in + n_out);
}

static void check_fixture(const char *name)
{
    check_engine(name, TSC_NN_ENGINE_ONEDNN, 2);
    check_engine(name, TSC_NN_ENGINE_ONEDNN, 1);
    check_engine(name, TSC_NN_ENGINE_REFERENCE, 1);
}

#define FIXTURE(name)                                                                       \
    TSC_TEST(nn_fixture_##name##_matches_pytorch) { check_fixture(#name); }

FIXTURE(conv_basic)
FIXTURE(conv_groups)
FIXTURE(conv_same)
FIXTURE(conv_transpose)
FIXTURE(batchnorm)
FIXTURE(activations)
FIXTURE(broadcast)
FIXTURE(concat)
FIXTURE(pooling)
FIXTURE(resize)
FIXTURE(head)
FIXTURE(misc)
FIXTURE(unet_small)
FIXTURE(resnet_block)
FIXTURE(mobilenet_block)
FIXTURE(tumornet_small)

TSC_TEST(nn_reports_inputs_outputs_and_flops)
{
    tsc_error err;
    tsc_nn_model *m = NULL;
    CHECK_STATUS(tsc_nn_model_load(nn_fixture_path("unet_small", ".onnx"), NULL, &m, &err), TSC_OK);
    REQUIRE(m);
    CHECK(tsc_nn_model_n_inputs(m) == 1);
    CHECK(!strcmp(tsc_nn_model_get_input_name(m, 0), "input"));
    int rank;
    const int64_t *d = tsc_nn_model_get_input_shape(m, 0, &rank);
    CHECK(rank == 4 && d[0] == 1 && d[1] == 1 && d[2] == 32 && d[3] == 32);
    CHECK(tsc_nn_model_input_size(m, 0) == 32 * 32);
    CHECK(tsc_nn_model_n_outputs(m) == 2);
    CHECK(!strcmp(tsc_nn_model_get_output_name(m, 1), "output1"));
    CHECK(tsc_nn_model_output_size(m, 0) == 3 * 32 * 32);
    CHECK(tsc_nn_model_output_size(m, 1) == 4);
    CHECK(tsc_nn_model_flops(m) > 1e6);
    CHECK(tsc_nn_model_n_threads(m) >= 1);
    CHECK(strstr(tsc_nn_model_get_summary(m), "oneDNN") != NULL);
    tsc_nn_model_free(m);
}

TSC_TEST(nn_missing_file_reports_eio)
{
    tsc_error err;
    tsc_nn_model *m = (tsc_nn_model *)1;
    CHECK_STATUS(tsc_nn_model_load("/nonexistent/model.onnx", NULL, &m, &err), TSC_EIO);
    CHECK(m == NULL);
    CHECK(strstr(err.message, "/nonexistent/model.onnx") != NULL);
}

/* Several models run at once from different threads, each used by one. */
typedef struct par_job {
    const void *bytes;
    size_t len;
    float *input, *expect;
    size_t n_out;
    double err;
} par_job;

static void *par_worker(void *arg)
{
    par_job *j = arg;
    tsc_nn_model *m = nn_load_mem(j->bytes, j->len, TSC_NN_ENGINE_ONEDNN, 1);
    float *ins[1] = {j->input};
    j->err = 0;
    for (int it = 0; it < 5; it++) {
        float **outs = nn_run_alloc(m, ins);
        double e = nn_rel_err(outs[0], j->expect, j->n_out, NULL);
        if (!(e <= j->err)) j->err = e;
        nn_free_outputs(m, outs);
    }
    tsc_nn_model_free(m);
    return NULL;
}

/* Fixture `name`'s model bytes and tensors; skips the case without them. */
static void *fixture_bytes_and_io(const char *name, size_t *len, size_t *n_in, size_t *n_out,
                                  nn_tensor_file **t)
{
    void *bytes = nn_read_file(nn_fixture_path(name, ".onnx"), len);
    if (!bytes || nn_read_io(nn_fixture_path(name, ".io"), n_in, n_out, t))
        tsc_test_skip("%s fixture missing", name);
    return bytes;
}

TSC_TEST(nn_runs_models_from_parallel_threads)
{
    size_t len = 0, n_in = 0, n_out = 0;
    nn_tensor_file *t = NULL;
    void *bytes = fixture_bytes_and_io("resnet_block", &len, &n_in, &n_out, &t);
    par_job jobs[3];
    pthread_t th[3];
    for (int i = 0; i < 3; i++) {
        jobs[i] = (par_job){bytes, len, t[0].data, t[1].data, t[1].n, 1};
        REQUIRE(pthread_create(&th[i], NULL, par_worker, &jobs[i]) == 0);
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
        CHECK(jobs[i].err <= NN_TOL);
    }
    nn_free_io(t, n_in + n_out);
    free(bytes);
}

TSC_TEST(nn_repeated_runs_give_identical_results)
{
    size_t len = 0, n_in = 0, n_out = 0;
    nn_tensor_file *t = NULL;
    void *bytes = fixture_bytes_and_io("unet_small", &len, &n_in, &n_out, &t);
    tsc_nn_model *m = nn_load_mem(bytes, len, TSC_NN_ENGINE_ONEDNN, 2);
    float *ins[1] = {t[0].data};
    float **a = nn_run_alloc(m, ins);
    float **b = nn_run_alloc(m, ins);
    for (size_t o = 0; o < n_out; o++)
        CHECK(!memcmp(a[o], b[o], tsc_nn_model_output_size(m, o) * sizeof(float)));
    nn_free_outputs(m, a);
    nn_free_outputs(m, b);
    tsc_nn_model_free(m);
    nn_free_io(t, n_in + n_out);
    free(bytes);
}

TSC_TEST_MAIN(TSC_CASE(nn_fixture_conv_basic_matches_pytorch),
              TSC_CASE(nn_fixture_conv_groups_matches_pytorch),
              TSC_CASE(nn_fixture_conv_same_matches_pytorch),
              TSC_CASE(nn_fixture_conv_transpose_matches_pytorch),
              TSC_CASE(nn_fixture_batchnorm_matches_pytorch),
              TSC_CASE(nn_fixture_activations_matches_pytorch),
              TSC_CASE(nn_fixture_broadcast_matches_pytorch),
              TSC_CASE(nn_fixture_concat_matches_pytorch),
              TSC_CASE(nn_fixture_pooling_matches_pytorch),
              TSC_CASE(nn_fixture_resize_matches_pytorch),
              TSC_CASE(nn_fixture_head_matches_pytorch),
              TSC_CASE(nn_fixture_misc_matches_pytorch),
              TSC_CASE(nn_fixture_unet_small_matches_pytorch),
              TSC_CASE(nn_fixture_resnet_block_matches_pytorch),
              TSC_CASE(nn_fixture_mobilenet_block_matches_pytorch),
              TSC_CASE(nn_fixture_tumornet_small_matches_pytorch),
              TSC_CASE(nn_reports_inputs_outputs_and_flops),
              TSC_CASE(nn_missing_file_reports_eio),
              TSC_CASE(nn_runs_models_from_parallel_threads),
              TSC_CASE(nn_repeated_runs_give_identical_results))
