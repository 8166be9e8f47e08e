/* SPDX-License-Identifier: BSD-3-Clause */
/* Series throughput (docs/ENGINE.md, "Series throughput"): slices batched
 * through the network give the batch-1 result, a slice that fails inside a
 * batch fails alone, cancel stays prompt, and a series keeps its network
 * buffers from slice to slice.  The phantom model comes twice: as exported
 * (batch fixed at 1) and with a symbolic batch axis and "batch": 4
 * (tests/analysis/fixtures/phantom-model-batch.*, made by
 * bench/model/rebatch.py; same weights). */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "model_private.h"
#include "tsc_analysis.h"
#include "tsc_test.h"
#include "tsc_test_analysis.h"

/* ---- an allocation counter: every malloc of this process, tests' too ---- */

/* The sanitizers interpose malloc themselves; the counter would bypass
 * them, so under a sanitizer the counting case skips. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define COUNTING 0
#else
#define COUNTING 1
#endif
static atomic_size_t n_allocs, n_bytes;

#if COUNTING
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

void *malloc(size_t n)
{
    atomic_fetch_add(&n_allocs, 1);
    atomic_fetch_add(&n_bytes, n);
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
    atomic_fetch_add(&n_allocs, 1);
    atomic_fetch_add(&n_bytes, n * size);
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
    atomic_fetch_add(&n_allocs, 1);
    atomic_fetch_add(&n_bytes, n);
    return __libc_realloc(p, n);
}
#endif

/* ---- the phantom series ---- */

#define SIDE 96
#define MAX_SLICES 24

static tsc_model *load(const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/analysis/fixtures/%s.json",
             tsc_test_env("TSC_SOURCE_DIR", "."), name);
    return tsc_test_load_model(path, NULL);
}

/* A head-like ellipse with a bright disc of radius r_mm (none when 0),
 * 1 mm pixels, seeded noise: the same pixels for the same arguments. */
static float *make_slice(double r_mm, unsigned seed)
{
    float *p = malloc((size_t)SIDE * SIDE * sizeof *p);
    unsigned s = seed;
    for (int r = 0; r < SIDE; r++)
        for (int c = 0; c < SIDE; c++) {
            double y = r + 0.5 - SIDE / 2.0, x = c + 0.5 - SIDE / 2.0;
            s = s * 1103515245u + 12345u;
            double noise = ((double)((s >> 8) & 0xffff) / 65535.0 - 0.5) * 60.0;
            double v = 5 + fabs(noise) * 0.1;
            if ((y / 38.0) * (y / 38.0) + (x / 32.0) * (x / 32.0) <= 1) v = 400 + noise;
            if (r_mm > 0 && (x - 5) * (x - 5) + (y + 5) * (y + 5) <= r_mm * r_mm)
                v = 950 + noise * 0.3;
            p[(size_t)r * SIDE + c] = (float)v;
        }
    return p;
}

typedef struct series {
    size_t n;
    float *pixels[MAX_SLICES]; /* made before the analysis, freed after it */
    size_t fail_at;            /* this slice's fetch fails; SIZE_MAX: none */
    atomic_int fetched;
    int cancel_after;
    long fetch_ms; /* each fetch takes this long (a slow disk), 0: none */
} series;

static void series_init(series *s, size_t n, const double *radii)
{
    memset(s, 0, sizeof *s);
    s->n = n;
    s->fail_at = SIZE_MAX;
    s->cancel_after = 1 << 30;
    for (size_t k = 0; k < n; k++)
        s->pixels[k] = make_slice(radii ? radii[k] : 0, 10u + (unsigned)k);
}

static void series_clear(series *s)
{
    for (size_t k = 0; k < s->n; k++) free(s->pixels[k]);
}

static tsc_status fetch(void *user, size_t k, tsc_slice *sl, void **token, tsc_error *err)
{
    series *s = user;
    atomic_fetch_add(&s->fetched, 1);
    *token = NULL;
    if (s->fetch_ms) {
        struct timespec t = {0, s->fetch_ms * 1000 * 1000};
        nanosleep(&t, NULL);
    }
    if (k == s->fail_at)
        return tsc_error_set(err, TSC_EIO, "file IM%04zu: truncated pixel data (test)", k);
    *sl = (tsc_slice){s->pixels[k], SIDE, SIDE, {1.0, 1.0}};
    return TSC_OK;
}

static int cancel_cb(void *user)
{
    series *s = user;
    return atomic_load(&s->fetched) >= s->cancel_after;
}

static tsc_series_result *run_series(tsc_model *m, series *s, int workers, tsc_status want)
{
    double loc[MAX_SLICES];
    for (size_t k = 0; k < s->n; k++) loc[k] = 5.0 * (double)k;
    tsc_series_source src = tsc_test_series_source(s->n, loc, fetch, s);
    src.release = NULL;
    tsc_analysis_options o = tsc_analysis_default_options();
    o.cancel = cancel_cb;
    o.cancel_data = s;
    tsc_series_result *sr = NULL;
    tsc_error err;
    CHECK_STATUS(tsc_analyze_series(m, &src, &o, workers, NULL, NULL, &sr, &err), want);
    REQUIRE(sr != NULL);
    return sr;
}

/* Network runs of the pool's engines that run `batch` images at a time. */
static size_t runs_of_batch(const tsc_model *m, size_t batch)
{
    size_t runs = 0;
    for (size_t i = 0; i < m->n_engines; i++)
        if (m->engines[i] && tsc__engine_get_batch(m->engines[i]) == batch)
            runs += tsc__engine_get_runs(m->engines[i]);
    return runs;
}

static double worst_seen; /* largest probability difference checked */

/* Slice results agree: same verdict and mask, probabilities within `tol`. */
static void check_same_slice(const tsc_result *a, const tsc_result *b, size_t k, double tol)
{
    REQUIRE(a && b);
    CHECK(tsc_result_get_verdict(a) == tsc_result_get_verdict(b));
    for (size_t c = 0; c < tsc_result_n_classes(a); c++)
        CHECK_NEAR(tsc_result_get_probability(a, c), tsc_result_get_probability(b, c), tol);
    int rows, cols;
    const uint8_t *ma = tsc_result_get_mask(a, &rows, &cols),
                  *mb = tsc_result_get_mask(b, NULL, NULL);
    const float *pa = tsc_result_get_probability_map(a), *pb = tsc_result_get_probability_map(b);
    size_t differ = 0;
    double worst = 0;
    for (size_t i = 0; i < (size_t)rows * (size_t)cols; i++) {
        differ += ma[i] != mb[i];
        if (pa && pb && fabs((double)pa[i] - pb[i]) > worst) worst = fabs((double)pa[i] - pb[i]);
    }
    for (size_t c = 0; c < tsc_result_n_classes(a); c++)
        worst =
            fmax(worst, fabs(tsc_result_get_probability(a, c) - tsc_result_get_probability(b, c)));
    if (worst > worst_seen) worst_seen = worst;
    if (differ || worst > tol)
        fprintf(stderr, "slice %zu: %zu mask pixels differ, probability map differs by %g\n", k,
                differ, worst);
    CHECK(differ == 0);
    CHECK(worst <= tol);
}

/* Batched oneDNN runs may sum in another order than batch 1; the bound is
 * the engine's fp32 tolerance (docs/ENGINE.md, Verification). */
#define TOL 1e-5

TSC_TEST(series_batched_through_the_network_equals_the_batch_1_result)
{
    tsc_model *one = load("phantom-model"), *four = load("phantom-model-batch");
    const double radii[9] = {0, 0, 6, 9, 11, 9, 6, 0, 0};
    series s;
    series_init(&s, 9, radii);
    tsc_series_result *a = run_series(one, &s, 2, TSC_OK), *b = run_series(four, &s, 2, TSC_OK);
    /* 9 slices of 2 images (flip TTA) in groups of 2 slices: 5 runs of 4
     * images on the batch model, 18 runs of 1 on the other. */
    CHECK(runs_of_batch(four, 4) == 5);
    CHECK(runs_of_batch(one, 1) >= 18);
    CHECK(tsc_series_result_n_failed(b) == 0);
    CHECK(tsc_series_result_get_verdict(a) == tsc_series_result_get_verdict(b));
    CHECK(tsc_series_result_get_verdict(b) == TSC_VERDICT_TUMOR);
    CHECK(tsc_series_result_n_lesions3d(a) == tsc_series_result_n_lesions3d(b));
    CHECK_NEAR(tsc_series_result_get_volume_ml(a), tsc_series_result_get_volume_ml(b),
               1e-6 * tsc_series_result_get_volume_ml(a));
    for (size_t k = 0; k < 9; k++)
        check_same_slice(tsc_series_result_get_slice(a, k), tsc_series_result_get_slice(b, k), k,
                         TOL);
    /* A click on the batch model runs its own batch-1 engine. */
    tsc_slice sl = {s.pixels[4], SIDE, SIDE, {1.0, 1.0}};
    tsc_result *r = NULL;
    tsc_error err;
    REQUIRE(tsc_analyze_slice(four, &sl, NULL, &r, &err) == TSC_OK);
    check_same_slice(r, tsc_series_result_get_slice(a, 4), 4, TOL);
    printf("batched vs batch 1: largest probability difference %g\n", worst_seen);
    tsc_result_free(r);
    tsc_series_result_free(a);
    tsc_series_result_free(b);
    series_clear(&s);
    tsc_model_free(one);
    tsc_model_free(four);
}

TSC_TEST(series_slice_that_fails_to_fetch_inside_a_batch_fails_alone)
{
    tsc_model *one = load("phantom-model"), *four = load("phantom-model-batch");
    const double radii[9] = {0, 0, 6, 9, 11, 9, 6, 0, 0};
    series s;
    series_init(&s, 9, radii);
    tsc_series_result *a = run_series(one, &s, 1, TSC_OK);
    s.fail_at = 5; /* shares a group (and a network run) with slice 4 */
    tsc_series_result *b = run_series(four, &s, 1, TSC_OK);
    CHECK(tsc_series_result_n_failed(b) == 1);
    CHECK(tsc_series_result_get_slice(b, 5) == NULL);
    const char *e = tsc_series_result_get_error(b, 5);
    CHECK(e && strstr(e, "slice 5") && strstr(e, "IM0005: truncated pixel data"));
    for (size_t k = 0; k < 9; k++) {
        if (k == 5) continue;
        CHECK(tsc_series_result_get_error(b, k) == NULL);
        check_same_slice(tsc_series_result_get_slice(a, k), tsc_series_result_get_slice(b, k), k,
                         TOL);
    }
    tsc_series_result_free(a);
    tsc_series_result_free(b);
    series_clear(&s);
    tsc_model_free(one);
    tsc_model_free(four);
}

TSC_TEST(series_cancel_mid_series_with_batches_returns_promptly_with_partial_result)
{
    tsc_model *four = load("phantom-model-batch");
    series s;
    series_init(&s, 20, NULL);
    s.cancel_after = 7;
    tsc_series_result *sr = run_series(four, &s, 2, TSC_ECANCELLED);
    /* Each worker fetches at most one slice past the limit. */
    int fetched = atomic_load(&s.fetched);
    CHECK(fetched >= 7 && fetched <= 7 + 2);
    size_t done = 0;
    for (size_t k = 0; k < 20; k++) {
        done += tsc_series_result_get_slice(sr, k) != NULL;
        CHECK(tsc_series_result_get_error(sr, k) == NULL); /* cancelled is not failed */
    }
    CHECK(done >= 1 && done <= 7);
    CHECK(tsc_series_result_n_failed(sr) == 0);
    tsc_series_result_free(sr);
    series_clear(&s);
    tsc_model_free(four);
}

/* Allocations and bytes of one series of n slices without a lesion (the 3D
 * aggregation allocates per tumour slice) on 1 worker. */
static void count_series(tsc_model *m, size_t n, size_t *allocs, size_t *bytes)
{
    series s;
    series_init(&s, n, NULL);
    size_t a0 = atomic_load(&n_allocs), b0 = atomic_load(&n_bytes);
    tsc_series_result *sr = run_series(m, &s, 1, TSC_OK);
    *allocs = atomic_load(&n_allocs) - a0;
    *bytes = atomic_load(&n_bytes) - b0;
    tsc_series_result_free(sr);
    series_clear(&s);
}

/* Per slice in steady state (the difference between a 12- and a 4-slice
 * series), a series allocates what a click allocates less the network's
 * buffers (input, outputs, head mask): those are allocated once per worker.
 * What remains per slice is the result itself and the scratch of the image
 * operators (docs/ENGINE.md, "Series throughput"). */
TSC_TEST(series_steady_state_does_not_allocate_network_buffers_per_slice)
{
    if (!COUNTING) tsc_test_skip("the allocation counter does not run under a sanitizer");
    for (int batched = 0; batched < 2; batched++) {
        tsc_model *m = load(batched ? "phantom-model-batch" : "phantom-model");
        size_t a4, b4, a12, b12;
        count_series(m, 4, &a4, &b4); /* makes the series' engine */
        count_series(m, 4, &a4, &b4);
        count_series(m, 12, &a12, &b12);
        double per_slice = (double)(a12 - a4) / 8.0, per_slice_bytes = (double)(b12 - b4) / 8.0;
        /* A click: the same slice analysed on its own, 8 times. */
        float *px = make_slice(0, 10u);
        tsc_slice sl = {px, SIDE, SIDE, {1.0, 1.0}};
        tsc_result *r = NULL;
        tsc_error err;
        REQUIRE(tsc_analyze_slice(m, &sl, NULL, &r, &err) == TSC_OK); /* warm */
        tsc_result_free(r);
        size_t a0 = atomic_load(&n_allocs), b0 = atomic_load(&n_bytes);
        for (int i = 0; i < 8; i++) {
            REQUIRE(tsc_analyze_slice(m, &sl, NULL, &r, &err) == TSC_OK);
            tsc_result_free(r);
        }
        double click = (double)(atomic_load(&n_allocs) - a0) / 8.0;
        double click_bytes = (double)(atomic_load(&n_bytes) - b0) / 8.0;
        free(px);
        const size_t S = (size_t)tsc_model_get_input_size(m);
        /* 2 images (flip TTA) of input and segmentation, and the head mask. */
        const double network_bytes = 2.0 * 2.0 * (double)(S * S) * sizeof(float) + SIDE * SIDE;
        printf("%s: per slice %.1f allocations (%.0f bytes) in a series, %.1f (%.0f bytes) per "
               "click\n",
               batched ? "batch 4" : "batch 1", per_slice, per_slice_bytes, click, click_bytes);
        CHECK(per_slice + 5 <= click);
        /* The series result keeps a few bytes of its own per slice (its
         * slice table, the edits' bookkeeping) that a click has not: the
         * bound is on the network's buffers, not on the last byte. */
        CHECK(click_bytes - per_slice_bytes >= 0.9 * network_bytes);
        tsc_model_free(m);
    }
}

/* "batch" is a whole number of images from 1 to 64; a fixed-batch network
 * with "batch": 4 still loads and runs one image at a time. */
TSC_TEST(model_with_a_batch_that_is_not_1_to_64_is_refused)
{
    const char *bad[] = {"s|\"temperature\": 1.0|\"batch\": 0, \"temperature\": 1.0|",
                         "s|\"temperature\": 1.0|\"batch\": 2.5, \"temperature\": 1.0|",
                         "s|\"temperature\": 1.0|\"batch\": 65, \"temperature\": 1.0|"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        tsc_model *m = NULL;
        tsc_error err;
        CHECK_STATUS(tsc_model_load(tsc_test_phantom_model(bad[i]), NULL, &m, &err), TSC_EFORMAT);
        CHECK(m == NULL && strstr(err.message, "batch") && strstr(err.message, "1 to 64"));
    }
    tsc_model *m = tsc_test_load_model(
        tsc_test_phantom_model("s|\"temperature\": 1.0|\"batch\": 4, \"temperature\": 1.0|"), NULL);
    series s;
    series_init(&s, 3, NULL);
    tsc_series_result *sr = run_series(m, &s, 1, TSC_OK);
    CHECK(tsc_series_result_n_failed(sr) == 0);
    CHECK(runs_of_batch(m, 1) >= 6 && runs_of_batch(m, 4) == 0);
    tsc_series_result_free(sr);
    series_clear(&s);
    tsc_model_free(m);
}

static atomic_int engine_failures_left;

static tsc_status fail_engines(tsc_model *m, void *user, tsc_error *err)
{
    (void)m, (void)user;
    if (atomic_fetch_sub(&engine_failures_left, 1) > 0)
        return tsc_error_set(err, TSC_ENOMEM, "injected: no memory for the engine");
    return TSC_OK;
}

/* A worker that cannot make its batch engine fails the slice it took with
 * the reason and tries again for the next one, as a click would. */
TSC_TEST(series_whose_engine_cannot_be_made_fails_one_slice_and_recovers)
{
    tsc_model *four = load("phantom-model-batch");
    series s;
    series_init(&s, 6, NULL);
    atomic_store(&engine_failures_left, 1);
    tsc__set_engine_new_hook(fail_engines, NULL);
    tsc_series_result *sr = run_series(four, &s, 1, TSC_OK);
    tsc__set_engine_new_hook(NULL, NULL);
    CHECK(tsc_series_result_n_failed(sr) == 1);
    const char *e = tsc_series_result_get_error(sr, 0);
    CHECK(e && strstr(e, "slice 0") && strstr(e, "injected"));
    for (size_t k = 1; k < 6; k++) CHECK(tsc_series_result_get_slice(sr, k) != NULL);
    tsc_series_result_free(sr);
    series_clear(&s);
    tsc_model_free(four);
}

/* ---- threads: the model's cores shared out among engines running at once ---- */

static tsc_model *load_on(const char *name, int threads)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/analysis/fixtures/%s.json",
             tsc_test_env("TSC_SOURCE_DIR", "."), name);
    tsc_model_params p = tsc_model_default_params();
    p.threads = threads;
    return tsc_test_load_model(path, &p);
}

/* Engines of the pool, and how many of them run `threads` threads and have
 * run at least once. */
static size_t engines_on(const tsc_model *m, int threads, size_t *used)
{
    size_t n = 0;
    *used = 0;
    for (size_t i = 0; i < m->n_engines; i++)
        if (m->engines[i] && tsc__engine_get_threads(m->engines[i]) == threads) {
            n++;
            *used += tsc__engine_get_runs(m->engines[i]) > 0;
        }
    return n;
}

TSC_TEST(click_runs_its_flip_pair_on_two_single_thread_engines_at_once)
{
    tsc_model *two = load_on("phantom-model", 2), *one = load_on("phantom-model", 1);
    size_t used;
    /* Made at load, so that the first click does not wait for them. */
    CHECK(two->n_engines == 2 && engines_on(two, 1, &used) == 2 && used == 0);
    CHECK(one->n_engines == 1 && engines_on(one, 1, &used) == 1);
    float *px = make_slice(9, 7u);
    tsc_slice sl = {px, SIDE, SIDE, {1.0, 1.0}};
    tsc_analysis_options o = tsc_analysis_default_options();
    REQUIRE(o.flip_tta);
    tsc_result *a = NULL, *b = NULL;
    tsc_error err;
    CHECK_STATUS(tsc_analyze_slice(two, &sl, &o, &a, &err), TSC_OK);
    CHECK_STATUS(tsc_analyze_slice(one, &sl, &o, &b, &err), TSC_OK);
    /* Each image of the pair ran on its own engine, once... */
    CHECK(two->n_engines == 2 && engines_on(two, 1, &used) == 2 && used == 2);
    for (size_t i = 0; i < two->n_engines; i++)
        CHECK(tsc__engine_get_runs(two->engines[i]) == 1);
    /* ...and one engine running them in turn gives the same result: the
     * same single-thread plan on the same images. */
    CHECK(tsc__engine_get_runs(one->engines[0]) == 2);
    worst_seen = 0;
    check_same_slice(a, b, 0, 0.0);
    /* Without flip TTA a click is one image: one engine on both cores. */
    o.flip_tta = 0;
    tsc_result *c = NULL;
    CHECK_STATUS(tsc_analyze_slice(two, &sl, &o, &c, &err), TSC_OK);
    CHECK(engines_on(two, 2, &used) == 1 && used == 1);
    tsc_result_free(a);
    tsc_result_free(b);
    tsc_result_free(c);
    free(px);
    tsc_model_free(two);
    tsc_model_free(one);
}

TSC_TEST(series_workers_run_single_thread_engines_whatever_the_models_cores)
{
    tsc_model *m = load_on("phantom-model", 4);
    size_t used;
    /* A click's pair: two engines of two threads, made at load. */
    CHECK(m->n_engines == 2 && engines_on(m, 2, &used) == 2);
    const double radii[6] = {0, 6, 9, 9, 6, 0};
    series s;
    series_init(&s, 6, radii);
    /* One worker: one core, not the model's four. */
    tsc_series_result *r = run_series(m, &s, 1, TSC_OK);
    CHECK(engines_on(m, 1, &used) == 1 && used == 1);
    CHECK(engines_on(m, 4, &used) == 0 && engines_on(m, 2, &used) == 2 && used == 0);
    tsc_series_result_free(r);
    /* Three workers: single-thread engines, one per worker at most (a
     * worker that starts after the others finished takes an idle one). */
    r = run_series(m, &s, 3, TSC_OK);
    size_t n1 = engines_on(m, 1, &used);
    CHECK(n1 >= 1 && n1 <= 3 && used >= 1);
    CHECK(engines_on(m, 2, &used) == 2 && used == 0 && engines_on(m, 4, &used) == 0);
    tsc_series_result_free(r);
    series_clear(&s);
    tsc_model_free(m);
}

/* ---- more threads than the pool holds engines ---- */

/* A series on a host with more cores than the pool's TSC__MAX_ENGINES (a
 * PACS server): every slice is analysed, none fails for want of an engine.
 * Slow fetches keep the workers' engines busy at the same time. */
TSC_TEST(series_on_more_cores_than_the_pool_holds_engines_fails_no_slice)
{
    tsc_model *m = load_on("phantom-model", 1);
    series s;
    series_init(&s, MAX_SLICES, NULL);
    s.fetch_ms = 50;
    tsc_series_result *r = run_series(m, &s, 40, TSC_OK);
    printf("%zu slices, %zu failed, %zu engines\n", s.n, tsc_series_result_n_failed(r),
           m->n_engines);
    for (size_t k = 0; k < s.n; k++)
        if (!tsc_series_result_get_slice(r, k)) {
            printf("slice %zu: %s\n", k, tsc_series_result_get_error(r, k));
            break;
        }
    CHECK(tsc_series_result_n_failed(r) == 0);
    for (size_t k = 0; k < s.n; k++) CHECK(tsc_series_result_get_slice(r, k) != NULL);
    CHECK(m->n_engines <= TSC__MAX_ENGINES);
    tsc_series_result_free(r);
    series_clear(&s);
    tsc_model_free(m);
}

typedef struct waiter {
    tsc_model *m;
    tsc__engine *got;
    atomic_int done;
} waiter;

static void *acquire_one(void *arg)
{
    waiter *w = arg;
    tsc_error err;
    CHECK_STATUS(tsc__engine_acquire_for(w->m, 1, 1, &w->got, &err), TSC_OK);
    atomic_store(&w->done, 1);
    return NULL;
}

/* With every engine busy an acquire waits for a release (a try fails at
 * once); with every engine idle but of another kind, one is replaced. */
TSC_TEST(full_engine_pool_makes_acquire_wait_for_a_release_and_replaces_idle_engines)
{
    tsc_model *m = load_on("phantom-model", 1);
    tsc__engine *all[TSC__MAX_ENGINES];
    tsc_error err;
    for (int i = 0; i < TSC__MAX_ENGINES; i++)
        REQUIRE(tsc__engine_acquire_for(m, 1, 1, &all[i], &err) == TSC_OK && all[i]);
    tsc__engine *extra = NULL;
    CHECK_STATUS(tsc__engine_try_acquire_for(m, 1, 1, &extra, &err), TSC_ELIMIT);
    CHECK(extra == NULL && strstr(err.message, "busy"));

    waiter w = {m, NULL, 0};
    pthread_t tid;
    REQUIRE(pthread_create(&tid, NULL, acquire_one, &w) == 0);
    struct timespec pause = {0, 100 * 1000 * 1000};
    nanosleep(&pause, NULL);
    CHECK(atomic_load(&w.done) == 0); /* still waiting */
    tsc__engine_release(m, all[5]);
    pthread_join(tid, NULL);
    CHECK(w.got == all[5]);
    all[5] = w.got;
    for (int i = 0; i < TSC__MAX_ENGINES; i++) tsc__engine_release(m, all[i]);

    /* All idle, all single-thread: a two-thread engine takes one's place. */
    size_t used;
    tsc__engine *two = NULL;
    CHECK_STATUS(tsc__engine_acquire_for(m, 1, 2, &two, &err), TSC_OK);
    CHECK(two != NULL && tsc__engine_get_threads(two) == 2);
    CHECK(m->n_engines == TSC__MAX_ENGINES);
    CHECK(engines_on(m, 2, &used) == 1 && engines_on(m, 1, &used) == TSC__MAX_ENGINES - 1);
    tsc__engine_release(m, two);
    CHECK(!strcmp(tsc_model_get_precision(m), "fp32"));
    tsc_model_free(m);
}

/* Calibration mode ($TSC_INT8_CALIBRATE): an engine replaced in a full pool
 * gives its recorded ranges to the model first, so the file written when
 * the model is freed still counts its runs. */
TSC_TEST(engine_replaced_in_a_full_pool_keeps_its_int8_calibration)
{
    char out[4096];
    snprintf(out, sizeof out, "%s/calibration.json", tsc_test_tmpdir());
    setenv("TSC_INT8_CALIBRATE", out, 1);
    tsc_model *m = load_on("phantom-model", 1);
    unsetenv("TSC_INT8_CALIBRATE");
    REQUIRE(m->n_engines == 1);
    /* The click's engine (slot 0) runs the flip pair: 2 calibration runs. */
    float *px = make_slice(9, 7u);
    tsc_slice sl = {px, SIDE, SIDE, {1.0, 1.0}};
    tsc_analysis_options o = tsc_analysis_default_options();
    tsc_result *r = NULL;
    tsc_error err;
    CHECK_STATUS(tsc_analyze_slice(m, &sl, &o, &r, &err), TSC_OK);
    /* Fill the pool with idle engines, then ask for another kind: the
     * first idle slot, the click's engine, is replaced. */
    tsc__engine *all[TSC__MAX_ENGINES];
    for (int i = 0; i < TSC__MAX_ENGINES; i++)
        REQUIRE(tsc__engine_acquire_for(m, 1, 1, &all[i], &err) == TSC_OK);
    for (int i = 0; i < TSC__MAX_ENGINES; i++) tsc__engine_release(m, all[i]);
    tsc__engine *two = NULL;
    REQUIRE(tsc__engine_acquire_for(m, 1, 2, &two, &err) == TSC_OK);
    CHECK(m->engines[0] == two);
    tsc__engine_release(m, two);
    tsc_model_free(m);
    size_t len;
    char *text = tsc_test_read_file(out, &len);
    REQUIRE(text);
    printf("%s", text);
    CHECK(strstr(text, "\"runs\":\t2") != NULL);
    CHECK(strstr(text, "\"image\"") != NULL);
    free(text);
    tsc_result_free(r);
    free(px);
}

TSC_TEST_MAIN(TSC_CASE(series_batched_through_the_network_equals_the_batch_1_result),
              TSC_CASE(series_slice_that_fails_to_fetch_inside_a_batch_fails_alone),
              TSC_CASE(series_cancel_mid_series_with_batches_returns_promptly_with_partial_result),
              TSC_CASE(series_steady_state_does_not_allocate_network_buffers_per_slice),
              TSC_CASE(model_with_a_batch_that_is_not_1_to_64_is_refused),
              TSC_CASE(series_whose_engine_cannot_be_made_fails_one_slice_and_recovers),
              TSC_CASE(click_runs_its_flip_pair_on_two_single_thread_engines_at_once),
              TSC_CASE(series_workers_run_single_thread_engines_whatever_the_models_cores),
              TSC_CASE(series_on_more_cores_than_the_pool_holds_engines_fails_no_slice),
              TSC_CASE(full_engine_pool_makes_acquire_wait_for_a_release_and_replaces_idle_engines),
              TSC_CASE(engine_replaced_in_a_full_pool_keeps_its_int8_calibration))
