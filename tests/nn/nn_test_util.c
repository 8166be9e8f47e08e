/* SPDX-License-Identifier: BSD-3-Clause */
#include "nn_test_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsc_log.h"
#include "tsc_test.h"

double nn_rel_err(const float *a, const float *b, size_t n, size_t *worst)
{
    double mx = 0, err = 0;
    for (size_t i = 0; i < n; i++) mx = fmax(mx, fabs((double)b[i]));
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        double den = fmax(fmax(fabs((double)b[i]), 1e-2 * mx), 1e-6);
        double e = fabs((double)a[i] - (double)b[i]) / den;
        if (!(e <= err)) err = e, w = i; /* NaN counts as worst */
    }
    if (worst) *worst = w;
    return err;
}

int nn_count_nonfinite(const float *a, size_t n)
{
    int c = 0;
    for (size_t i = 0; i < n; i++) c += !isfinite(a[i]);
    return c;
}

int nn_read_io(const char *path, size_t *n_in, size_t *n_out, nn_tensor_file **tensors)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    char magic[8];
    uint32_t cnt[2];
    if (fread(magic, 1, 8, f) != 8 || memcmp(magic, "TSCIO1\0\0", 8) || fread(cnt, 4, 2, f) != 2 ||
        cnt[0] + cnt[1] > 64) {
        fclose(f);
        return -1;
    }
    size_t n = cnt[0] + cnt[1];
    nn_tensor_file *t = calloc(n, sizeof *t);
    int ok = t != NULL;
    for (size_t i = 0; ok && i < n; i++) {
        uint32_t rank;
        ok = fread(&rank, 4, 1, f) == 1 && rank <= 8 &&
             fread(t[i].dims, 8, rank, f) == rank;
        if (!ok) break;
        t[i].rank = (int)rank;
        t[i].n = 1;
        for (uint32_t k = 0; k < rank; k++) t[i].n *= (size_t)t[i].dims[k];
        t[i].data = malloc(t[i].n * 4 + 4);
        ok = t[i].data && fread(t[i].data, 4, t[i].n, f) == t[i].n;
    }
    fclose(f);
    if (!ok) {
        nn_free_io(t, n);
        return -1;
    }
    *n_in = cnt[0];
    *n_out = cnt[1];
    *tensors = t;
    return 0;
}

void nn_free_io(nn_tensor_file *t, size_t n)
{
    if (!t) return;
    for (size_t i = 0; i < n; i++) free(t[i].data);
    free(t);
}

nn_tensor_file *nn_fixture_io(const char *name, size_t *n_in, size_t *n_out)
{
    nn_tensor_file *t;
    if (nn_read_io(nn_fixture_path(name, ".io"), n_in, n_out, &t) != 0)
        tsc_test_skip("fixture %s.io missing; run tests/nn/make_fixtures.py", name);
    return t;
}

const char *nn_fixture_path(const char *name, const char *ext)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/tests/nn/fixtures/%s%s", tsc_test_env("TSC_SOURCE_DIR", "."),
             name, ext);
    return path;
}

/* From `path` when given, else from data[0..len). */
static tsc_nn_model *load(const char *path, const void *data, size_t len, tsc_nn_engine engine,
                          int threads)
{
    tsc_nn_params p = tsc_nn_default_params();
    p.engine = engine;
    p.n_threads = threads;
    tsc_error err;
    tsc_error_clear(&err);
    tsc_nn_model *m = NULL;
    tsc_status st = path ? tsc_nn_model_load(path, &p, &m, &err)
                         : tsc_nn_model_load_from_memory(data, len, "test", &p, &m, &err);
    if (st != TSC_OK) {
        fprintf(stderr, "load (%s engine) failed: %s: %s\n",
                engine == TSC_NN_ENGINE_REFERENCE ? "reference" : "oneDNN", tsc_status_name(st),
                err.message);
        exit(1);
    }
    return m;
}

tsc_nn_model *nn_load_mem(const void *data, size_t len, tsc_nn_engine engine, int threads)
{
    return load(NULL, data, len, engine, threads);
}

tsc_nn_model *nn_load_file(const char *path, tsc_nn_engine engine, int threads)
{
    return load(path, NULL, 0, engine, threads);
}

void *nn_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

float **nn_run_alloc(tsc_nn_model *m, float *const *inputs)
{
    size_t no = tsc_nn_model_n_outputs(m);
    float **outs = calloc(no, sizeof *outs);
    REQUIRE(outs);
    for (size_t i = 0; i < no; i++) {
        size_t n = tsc_nn_model_output_size(m, i);
        outs[i] = malloc(n * sizeof(float));
        REQUIRE(outs[i]);
        for (size_t k = 0; k < n; k++) outs[i][k] = NAN; /* catch unwritten elements */
    }
    tsc_error err;
    tsc_error_clear(&err);
    tsc_status st = tsc_nn_model_run(m, (const float *const *)inputs, outs, &err);
    if (st != TSC_OK) {
        fprintf(stderr, "run failed: %s: %s\n", tsc_status_name(st), err.message);
        exit(1);
    }
    return outs;
}

void nn_free_outputs(tsc_nn_model *m, float **outs)
{
    if (!outs) return;
    for (size_t i = 0; i < tsc_nn_model_n_outputs(m); i++) free(outs[i]);
    free(outs);
}

double nn_range_err(const float *a, const float *b, size_t n, size_t *at)
{
    double amax = 0, dmax = 0;
    *at = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a[i] - b[i];
        if (fabs(b[i]) > amax) amax = fabs(b[i]);
        if (!(fabs(d) <= dmax)) dmax = fabs(d), *at = i;
    }
    return amax > 0 ? dmax / amax : dmax;
}

static char warned[512];

double nn_worst_range_err(const char *name, const char *mode, tsc_nn_model *m, float **got,
                          float **fp32)
{
    double worst = 0;
    for (size_t o = 0; o < tsc_nn_model_n_outputs(m); o++) {
        size_t n = tsc_nn_model_output_size(m, o), at;
        double e = nn_range_err(got[o], fp32[o], n, &at);
        CHECK(nn_count_nonfinite(got[o], n) == 0);
        printf("%s output %zu (%s): %s vs fp32 range err %.3g (%g vs %g)\n", name, o,
               tsc_nn_model_get_output_name(m, o), mode, e, got[o][at], fp32[o][at]);
        if (!(e <= worst)) worst = e;
    }
    return worst;
}

static void keep_warning(tsc_log_level level, const char *domain, const char *message, void *user)
{
    (void)domain, (void)user;
    if (level == TSC_LOG_WARNING) snprintf(warned, sizeof warned, "%s", message);
}

void nn_keep_warnings(int on)
{
    if (on) warned[0] = '\0';
    tsc_log_set(on ? keep_warning : NULL, NULL);
}

const char *nn_last_warning(void)
{
    return warned;
}

void nn_check_within_bound(const char *name, double tol, nn_vs_fp32_fn vs_fp32, const char *prec,
                           const char *feature)
{
    const char *ran = NULL;
    double e = vs_fp32(name, &ran);
    if (strcmp(ran, prec)) tsc_test_skip("this CPU has no %s (the model ran in %s)", feature, ran);
    printf("%s: range err %.3g, bound %.3g\n", name, e, tol);
    CHECK(e <= tol);
}

void nn_check_fallback(const char *isa, const char *feature, nn_vs_fp32_fn vs_fp32)
{
    const char *env = getenv("ONEDNN_MAX_CPU_ISA");
    REQUIRE(env && !strcmp(env, isa));
    nn_keep_warnings(1);
    const char *prec = NULL;
    double e = vs_fp32("unet_small", &prec);
    nn_keep_warnings(0);
    printf("precision %s, warning: %s\n", prec, warned);
    CHECK(!strcmp(prec, "fp32"));
    CHECK(strstr(warned, feature) != NULL);
    CHECK(strstr(warned, "running in fp32") != NULL);
    CHECK(e == 0); /* the same plan as fp32, bit for bit */
}
