/* SPDX-License-Identifier: BSD-3-Clause */
/* The slices of a series on a pool of workers.  Each worker takes groups of
 * slices (as many as fill one network batch), preprocesses them, runs the
 * network on the whole group, then finishes each slice; it holds one engine
 * and one work area for the whole series, so that steady state allocates
 * nothing but the results.  Workers are independent: one worker's
 * fetching, preprocessing and post-processing overlap another's inference
 * (docs/ENGINE.md, "Series throughput"). */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cnn_private.h"
#include "engine.h"
#include "series_private.h"

/* Slices per group: at most this many slices' pixels are held at once. */
#define MAX_GROUP 16

typedef struct job {
    tsc_model *model;
    const tsc_series_source *src;
    const tsc_analysis_options *options;
    tsc_progress_fn progress;
    void *progress_data;
    tsc_series_result *out;
    int batch;
    atomic_size_t next;
    atomic_size_t done;
    atomic_int cancelled;
} job;

static int job_cancelled(job *j)
{
    if (atomic_load(&j->cancelled)) return 1;
    const tsc_analysis_options *o = j->options;
    if (o->cancel && o->cancel(o->cancel_data)) {
        atomic_store(&j->cancelled, 1);
        return 1;
    }
    return 0;
}

/* One slice of a group: fetched, checked and preprocessed, or failed. */
typedef struct slot {
    size_t k;
    tsc_slice slice;
    void *token;
    int fetched;
    tsc_result *r;
    tsc_status st;
    tsc_error err;
} slot;

static void slice_done(job *j, slot *s)
{
    if (s->fetched && j->src->release) j->src->release(j->src->user_data, s->token);
    s->fetched = 0;
    if (s->st == TSC_ECANCELLED) {
        atomic_store(&j->cancelled, 1);
        tsc_result_free(s->r);
        return;
    }
    if (s->st == TSC_OK) {
        j->out->slices[s->k] = s->r;
    } else {
        tsc_result_free(s->r);
        char buf[TSC_ERROR_MESSAGE_MAX + 64];
        snprintf(buf, sizeof buf, "slice %zu: %s", s->k,
                 s->err.message[0] ? s->err.message : tsc_status_to_string(s->st));
        j->out->errors[s->k] = strdup(buf);
    }
    s->r = NULL;
    size_t done = atomic_fetch_add(&j->done, 1) + 1;
    if (j->progress) j->progress(done, j->src->n_slices, j->progress_data);
}

/* Fetches and checks slice s->k and makes its empty result. */
static void fetch(job *j, slot *s)
{
    tsc_error_clear(&s->err);
    s->r = NULL;
    s->fetched = 0;
    s->token = NULL;
    s->st = j->src->fetch(j->src->user_data, s->k, &s->slice, &s->token, &s->err);
    if (s->st != TSC_OK) return;
    s->fetched = 1;
    s->st = tsc__slice_check(j->model, &s->slice, j->options, &s->err);
    if (s->st != TSC_OK) return;
    if (!(s->r = tsc__slice_result_new(&s->slice, j->options)))
        s->st = tsc_error_set(&s->err, TSC_ENOMEM, "out of memory for the result");
}

/* The CNN worker: groups of slices through one engine. */
static void run_cnn(job *j, tsc__engine *e, tsc__cnn_work *w, size_t group)
{
    const tsc_analysis_options *o = j->options;
    const size_t n = j->src->n_slices, ips = tsc__cnn_images_per_slice(o);
    slot slots[MAX_GROUP];
    for (;;) {
        if (job_cancelled(j)) return;
        size_t k0 = atomic_fetch_add(&j->next, group);
        if (k0 >= n) return;
        size_t g = n - k0 < group ? n - k0 : group, images = 0;
        /* Stage 1: fetch and preprocess; a slice that fails here leaves the
         * group and fails alone. */
        size_t at[MAX_GROUP];
        for (size_t i = 0; i < g; i++) {
            slot *s = &slots[i];
            memset(s, 0, sizeof *s);
            s->k = k0 + i;
            at[i] = images;
            if (job_cancelled(j)) {
                s->st = TSC_ECANCELLED;
                continue;
            }
            fetch(j, s);
            if (s->st == TSC_OK)
                s->st = tsc__cnn_prepare(j->model, &s->slice, o, w, images, s->r, &s->err);
            if (s->st == TSC_OK) images += ips;
        }
        /* Stage 2: the network on every image of the group. */
        tsc_error ierr;
        tsc_error_clear(&ierr);
        double t1 = tsc__now_ms();
        tsc_status ist = images ? tsc__cnn_infer(j->model, e, o, w, 0, images, &ierr) : TSC_OK;
        double per_slice_ms = images ? (tsc__now_ms() - t1) / (double)(images / ips) : 0;
        /* Stage 3: each slice on its own. */
        for (size_t i = 0; i < g; i++) {
            slot *s = &slots[i];
            if (s->st == TSC_OK && ist != TSC_OK) {
                s->st = ist;
                s->err = ierr;
            }
            if (s->st == TSC_OK) {
                s->r->timings.inference_ms = per_slice_ms;
                double t2 = tsc__now_ms();
                s->st = tsc__cnn_finish(j->model, &s->slice, o, w, at[i], s->r, &s->err);
                if (s->st == TSC_OK)
                    s->r->timings.total_ms =
                        s->r->timings.preprocess_ms + per_slice_ms + (tsc__now_ms() - t2);
            }
            slice_done(j, s);
        }
        if (ist == TSC_ECANCELLED) return;
    }
}

/* The classical methods: one slice at a time, no network. */
static void run_classic(job *j)
{
    const size_t n = j->src->n_slices;
    for (;;) {
        if (job_cancelled(j)) return;
        slot s;
        s.k = atomic_fetch_add(&j->next, 1);
        if (s.k >= n) return;
        tsc_error_clear(&s.err);
        s.r = NULL;
        s.token = NULL;
        s.st = j->src->fetch(j->src->user_data, s.k, &s.slice, &s.token, &s.err);
        s.fetched = s.st == TSC_OK;
        if (s.st == TSC_OK) s.st = tsc_analyze_slice(j->model, &s.slice, j->options, &s.r, &s.err);
        slice_done(j, &s);
        if (s.st == TSC_ECANCELLED) return;
    }
}

static void *worker(void *arg)
{
    job *j = arg;
    if (j->options->method != TSC_METHOD_CNN || !j->model) {
        run_classic(j);
        return NULL;
    }
    tsc__engine *e = NULL;
    tsc__cnn_work w;
    memset(&w, 0, sizeof w);
    for (;;) {
        tsc_error err;
        tsc_error_clear(&err);
        /* A single-thread engine: no OpenMP barrier to wake a sleeping
         * thread at (docs/ENGINE.md, Threads); a series uses as many cores
         * as it has workers. */
        tsc_status st = tsc__engine_acquire_for(j->model, j->batch, 1, &e, &err);
        if (st == TSC_OK) {
            /* Whole batches of whole slices: with flip TTA a slice is 2 images. */
            const size_t b = tsc__engine_get_batch(e), ips = tsc__cnn_images_per_slice(j->options);
            size_t group = b > ips ? (b + ips - 1) / ips : 1;
            if (group > MAX_GROUP) group = MAX_GROUP;
            st = tsc__cnn_work_reserve(&w, j->model, (group * ips + b - 1) / b * b, &err);
            if (st == TSC_OK) {
                run_cnn(j, e, &w, group);
                break;
            }
            tsc__engine_release(j->model, e);
            e = NULL;
        }
        /* No engine or no buffers: the next slice fails with the reason, as
         * a click would, and the worker tries again for the one after. */
        if (job_cancelled(j)) break;
        slot s;
        memset(&s, 0, sizeof s);
        s.k = atomic_fetch_add(&j->next, 1);
        if (s.k >= j->src->n_slices) break;
        s.st = st;
        s.err = err;
        slice_done(j, &s);
    }
    tsc__engine_release(j->model, e);
    tsc__cnn_work_clear(&w);
    return NULL;
}

int tsc__model_batch(const tsc_model *m)
{
    const char *env = getenv("TSC_BATCH");
    if (env && *env) {
        char *end;
        long v = strtol(env, &end, 10);
        if (!*end && v >= 1 && v <= 64) return (int)v;
    }
    return m && m->manifest.batch > 0 ? m->manifest.batch : 1;
}

int tsc__series_run_slices(tsc_model *model, const tsc_series_source *source,
                           const tsc_analysis_options *options, int threads,
                           tsc_progress_fn progress, void *progress_data, tsc_series_result *out,
                           size_t *done)
{
    job j;
    memset(&j, 0, sizeof j);
    j.model = model;
    j.src = source;
    j.options = options;
    j.progress = progress;
    j.progress_data = progress_data;
    j.out = out;
    j.batch = tsc__model_batch(model);
    atomic_init(&j.next, 0);
    atomic_init(&j.done, 0);
    atomic_init(&j.cancelled, 0);

    pthread_t tids[64];
    int started = 0;
    for (int i = 1; i < threads && i <= 64; i++) {
        if (pthread_create(&tids[started], NULL, worker, &j) != 0) break;
        started++;
    }
    worker(&j); /* the calling thread works too */
    for (int i = 0; i < started; i++) pthread_join(tids[i], NULL);
    *done = atomic_load(&j.done);
    return atomic_load(&j.cancelled);
}
