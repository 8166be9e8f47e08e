/* SPDX-License-Identifier: BSD-3-Clause */
/* The model's engine pool (src/analysis/model.c, engine.c): every engine runs
 * the bytes whose SHA-256 was checked at load, and a failed engine creation
 * never leaves a slot that hands out a NULL engine. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "model_private.h"
#include "tsc_analysis.h"
#include "tsc_test.h"
#include "tsc_test_analysis.h"

#define N_SLICES 6

static void write_all(const char *path, const void *data, size_t len)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.new", path);
    FILE *f = fopen(tmp, "wb");
    REQUIRE(f && fwrite(data, 1, len, f) == len && fclose(f) == 0);
    REQUIRE(rename(tmp, path) == 0);
}

/* ---- a minimal protobuf walk, enough to find ONNX float initializers ---- */

static int varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; *p < end && shift < 64; shift += 7) {
        unsigned char b = *(*p)++;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) return 1;
    }
    return 0;
}

/* Skips one field's value; returns 0 on malformed input.  For wire type 2
 * the payload is returned in *data / *len. */
static int field_value(const unsigned char **p, const unsigned char *end, unsigned wire,
                       const unsigned char **data, size_t *len)
{
    uint64_t v;
    switch (wire) {
    case 0: return varint(p, end, &v);
    case 1: if (end - *p < 8) return 0; *p += 8; return 1;
    case 5: if (end - *p < 4) return 0; *p += 4; return 1;
    case 2:
        if (!varint(p, end, &v) || v > (uint64_t)(end - *p)) return 0;
        *data = *p;
        *len = (size_t)v;
        *p += v;
        return 1;
    default: return 0;
    }
}

/* Finds the first length-delimited field `number` in [p, end). */
static int find_field(const unsigned char *p, const unsigned char *end, unsigned number,
                      const unsigned char **data, size_t *len)
{
    while (p < end) {
        uint64_t key;
        const unsigned char *d = NULL;
        size_t n = 0;
        if (!varint(&p, end, &key) || !field_value(&p, end, (unsigned)(key & 7), &d, &n)) return 0;
        if ((key >> 3) == number && (key & 7) == 2) {
            *data = d;
            *len = n;
            return 1;
        }
    }
    return 0;
}

/* Negates every value of the largest FLOAT initializer (raw_data or packed
 * float_data) of an ONNX model in place: the file stays a valid model with the
 * same inputs and outputs, and computes something else. */
static void negate_largest_weight(unsigned char *onnx, size_t size)
{
    const unsigned char *graph = NULL;
    size_t glen = 0;
    REQUIRE(find_field(onnx, onnx + size, 7, &graph, &glen)); /* ModelProto.graph */
    const unsigned char *p = graph, *gend = graph + glen;
    unsigned char *best = NULL;
    size_t best_len = 0;
    while (p < gend) {
        uint64_t key;
        const unsigned char *t = NULL;
        size_t tlen = 0;
        REQUIRE(varint(&p, gend, &key) && field_value(&p, gend, (unsigned)(key & 7), &t, &tlen));
        if ((key >> 3) != 5 || (key & 7) != 2) continue; /* GraphProto.initializer */
        const unsigned char *q = t, *tend = t + tlen, *data = NULL;
        size_t dlen = 0;
        uint64_t dtype = 0;
        while (q < tend) {
            uint64_t k2;
            const unsigned char *d = NULL;
            size_t n = 0;
            REQUIRE(varint(&q, tend, &k2));
            if (k2 == (2 << 3 | 0)) { /* TensorProto.data_type */
                REQUIRE(varint(&q, tend, &dtype));
                continue;
            }
            REQUIRE(field_value(&q, tend, (unsigned)(k2 & 7), &d, &n));
            if ((k2 >> 3) == 9 || ((k2 >> 3) == 4 && (k2 & 7) == 2)) { /* raw_data, float_data */
                data = d;
                dlen = n;
            }
        }
        if (dtype == 1 && data && dlen % 4 == 0 && dlen > best_len) {
            best = onnx + (data - onnx);
            best_len = dlen;
        }
    }
    REQUIRE(best_len >= 16);
    /* Little-endian float32: the sign is the top bit of every fourth byte. */
    for (size_t i = 3; i < best_len; i += 4) best[i] ^= 0x80;
}

/* ---- phantom slices ---- */

/* Series workers fetch slices at once: the noise comes from a generator of
 * the slice's own (rand() shares one state between threads). */
static double uniform(uint32_t *state)
{
    *state = *state * 1664525u + 1013904223u;
    return (*state >> 8) / 16777216.0;
}

static float *make_slice(int n, double r_mm, unsigned seed)
{
    float *p = malloc((size_t)n * n * sizeof *p);
    REQUIRE(p);
    uint32_t state = seed;
    for (int r = 0; r < n; r++)
        for (int c = 0; c < n; c++) {
            double y = r + 0.5 - n / 2.0, x = c + 0.5 - n / 2.0;
            double noise = (uniform(&state) - 0.5) * 60.0;
            double v = 5 + fabs(noise) * 0.1;
            if ((y / (0.40 * n)) * (y / (0.40 * n)) + (x / (0.34 * n)) * (x / (0.34 * n)) <= 1)
                v = 400 + noise;
            if (r_mm > 0 && (x - 5) * (x - 5) + (y + 5) * (y + 5) <= r_mm * r_mm) v = 950 + noise * 0.3;
            p[(size_t)r * n + c] = (float)v;
        }
    return p;
}

static const double radii[N_SLICES] = {0, 6, 9, 11, 7, 0};

static tsc_status fetch(void *user, size_t k, tsc_slice *s, void **token, tsc_error *err)
{
    (void)user;
    (void)err;
    float *px = make_slice(128, radii[k], (unsigned)(20 + k));
    return tsc_test_give_slice(px, 128, 1.0, s, token);
}

/* P(tumour) of each phantom slice, analysed one by one. */
static void slice_probabilities(tsc_model *m, double out[N_SLICES])
{
    for (size_t k = 0; k < N_SLICES; k++) {
        float *px = make_slice(128, radii[k], (unsigned)(20 + k));
        tsc_slice s = {px, 128, 128, {1.0, 1.0}};
        tsc_result *r = NULL;
        tsc_error err;
        tsc_status st = tsc_analyze_slice(m, &s, NULL, &r, &err);
        if (st != TSC_OK) fprintf(stderr, "analyse: %s\n", err.message);
        REQUIRE(st == TSC_OK);
        out[k] = tsc_result_get_tumor_probability(r);
        tsc_result_free(r);
        free(px);
    }
}

static int same(const double a[N_SLICES], const double b[N_SLICES])
{
    for (size_t k = 0; k < N_SLICES; k++)
        if (!(fabs(a[k] - b[k]) <= 1e-6)) return 0;
    return 1;
}

static void print_row(const char *what, const double p[N_SLICES])
{
    fprintf(stderr, "%-28s", what);
    for (size_t k = 0; k < N_SLICES; k++) fprintf(stderr, " %.6f", p[k]);
    fprintf(stderr, "\n");
}

/* A copy of the phantom model in the case's temporary folder. */
static void copy_phantom(char json[4096], char onnx[4096])
{
    snprintf(json, 4096, "%s", tsc_test_phantom_model(NULL));
    snprintf(onnx, 4096, "%s/phantom-model.onnx", tsc_test_tmpdir());
}

static tsc_model *load(const char *json, int verify)
{
    tsc_model_params p = tsc_model_default_params();
    p.threads = 1;
    p.verify_checksum = verify;
    return tsc_test_load_model(json, &p);
}

TSC_TEST(model_engines_run_the_verified_bytes_after_the_file_is_replaced)
{
    char json[4096], onnx[4096];
    copy_phantom(json, onnx);
    tsc_model *m = load(json, 1);
    double verified[N_SLICES];
    slice_probabilities(m, verified);

    /* The file on disk is replaced after the checksum was checked. */
    size_t n;
    unsigned char *bytes = (unsigned char *)tsc_test_read_file(onnx, &n);
    REQUIRE(bytes && n > 0);
    negate_largest_weight(bytes, n);
    write_all(onnx, bytes, n);
    free(bytes);
    /* The replacement is a valid network that computes something else
     * (otherwise this test would prove nothing). */
    tsc_model *other = load(json, 0);
    double replaced[N_SLICES];
    slice_probabilities(other, replaced);
    tsc_model_free(other);
    print_row("verified model P(tumour):", verified);
    print_row("replaced file P(tumour):", replaced);
    REQUIRE(!same(verified, replaced));

    /* A second engine, made while the first is busy, runs the verified bytes. */
    tsc__engine *held = NULL;
    tsc_error err;
    REQUIRE(tsc__engine_acquire(m, &held, &err) == TSC_OK);
    double second[N_SLICES];
    slice_probabilities(m, second);
    tsc__engine_release(m, held);
    print_row("second engine P(tumour):", second);
    CHECK(same(second, verified));

    /* And so does a series on several threads. */
    tsc_series_source src = tsc_test_series_source(N_SLICES, NULL, fetch, NULL);
    src.slice_spacing_mm = 5.0;
    tsc_series_result *sr = NULL;
    REQUIRE(tsc_analyze_series(m, &src, NULL, 4, NULL, NULL, &sr, &err) == TSC_OK);
    REQUIRE(tsc_series_result_n_failed(sr) == 0);
    double series[N_SLICES];
    for (size_t k = 0; k < N_SLICES; k++) {
        const tsc_result *r = tsc_series_result_get_slice(sr, k);
        REQUIRE(r);
        series[k] = tsc_result_get_tumor_probability(r);
    }
    print_row("series (4 threads) P(tumour):", series);
    CHECK(same(series, verified));
    tsc_series_result_free(sr);
    tsc_model_free(m);
}

/* ---- a failed engine creation while another thread grows the pool ---- */

static tsc__engine *grown;
static int hook_calls;

static tsc_status grow_then_fail(tsc_model *m, void *user, tsc_error *err)
{
    (void)user;
    if (++hook_calls == 1) {
        /* Another acquire grows the pool while this engine is being made
         * (creation runs outside the pool's lock, so this is what a second
         * thread would do), then this creation fails. */
        tsc_error e2;
        REQUIRE(tsc__engine_acquire(m, &grown, &e2) == TSC_OK);
        REQUIRE(grown != NULL);
        return tsc_error_set(err, TSC_EIO, "injected engine failure");
    }
    return TSC_OK;
}

static tsc_status always_fail(tsc_model *m, void *user, tsc_error *err)
{
    (void)m;
    (void)user;
    return tsc_error_set(err, TSC_EIO, "injected engine failure");
}

TSC_TEST(engine_pool_never_hands_out_the_slot_of_a_failed_engine)
{
    char json[4096], onnx[4096];
    copy_phantom(json, onnx);
    tsc_model *m = load(json, 1);
    tsc_error err;
    tsc__engine *first = NULL, *again = NULL;
    REQUIRE(tsc__engine_acquire(m, &first, &err) == TSC_OK && first);

    tsc__set_engine_new_hook(grow_then_fail, NULL);
    tsc__engine *failed = NULL;
    CHECK_STATUS(tsc__engine_acquire(m, &failed, &err), TSC_EIO);
    CHECK(strstr(err.message, "injected") != NULL);
    tsc__set_engine_new_hook(NULL, NULL);
    REQUIRE(grown != NULL);

    /* The failed slot must not come back as an engine. */
    REQUIRE(tsc__engine_acquire(m, &again, &err) == TSC_OK);
    REQUIRE(again != NULL);
    CHECK(again != first && again != grown);
    float *input = calloc(64 * 64, sizeof *input), *seg = malloc(64 * 64 * sizeof *seg);
    float cls[8];
    REQUIRE(input && seg);
    CHECK(tsc__engine_run(again, input, seg, cls, NULL, &err) == TSC_OK);

    /* Repeated failures with every engine busy leave no slots behind. */
    tsc__set_engine_new_hook(always_fail, NULL);
    for (int i = 0; i < 3 * TSC__MAX_ENGINES; i++) {
        tsc__engine *e = NULL;
        CHECK_STATUS(tsc__engine_acquire(m, &e, &err), TSC_EIO);
    }
    tsc__set_engine_new_hook(NULL, NULL);
    CHECK(m->n_engines <= 4);
    tsc__engine_release(m, first);
    tsc__engine_release(m, grown);
    tsc__engine_release(m, again);

    /* Every engine handed out afterwards, all at once, is a real one. */
    tsc__engine *all[TSC__MAX_ENGINES];
    size_t n = 0;
    for (; n < TSC__MAX_ENGINES; n++) {
        all[n] = NULL;
        if (tsc__engine_acquire(m, &all[n], &err) != TSC_OK) break;
        CHECK(all[n] != NULL);
    }
    CHECK(n == TSC__MAX_ENGINES);
    for (size_t i = 0; i < n; i++) tsc__engine_release(m, all[i]);

    /* And analysis works on the pool. */
    double p[N_SLICES];
    slice_probabilities(m, p);
    free(input);
    free(seg);
    tsc_model_free(m);
}

TSC_TEST_MAIN(TSC_CASE(model_engines_run_the_verified_bytes_after_the_file_is_replaced),
              TSC_CASE(engine_pool_never_hands_out_the_slot_of_a_failed_engine))
