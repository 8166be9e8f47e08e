/* SPDX-License-Identifier: BSD-3-Clause */
/* One slice: preprocessing, inference (with flip test-time augmentation),
 * calibration, the mask at native resolution, lesions, and the verdict. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cnn_private.h"
#include "engine.h"
#include "struct_size_private.h"
#include "model_private.h"
#include "tsc_classic.h"
#include "tsc_preprocess.h"

double tsc__now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

tsc_analysis_options tsc_analysis_default_options(void)
{
    tsc_analysis_options o;
    memset(&o, 0, sizeof o);
    o.struct_size = sizeof o;
    o.method = TSC_METHOD_CNN;
    o.flip_tta = 1;
    o.min_lesion_area_mm2 = 10.0;
    o.restrict_to_head = 1;
    o.force_scope = 0;
    o.not_assessable_rule = 1;
    o.axial_reformat = 1;
    return o;
}

const char *tsc_verdict_to_string(tsc_verdict v)
{
    switch (v) {
    case TSC_VERDICT_NO_TUMOR: return "no_tumor";
    case TSC_VERDICT_TUMOR: return "tumor";
    case TSC_VERDICT_INCONCLUSIVE: return "inconclusive";
    case TSC_VERDICT_NOT_ASSESSABLE: return "not_assessable";
    case TSC_VERDICT_NOT_ANALYSED: return "not_analysed";
    }
    return "unknown";
}

const char *tsc_method_to_string(tsc_method m)
{
    switch (m) {
    case TSC_METHOD_CNN: return "cnn";
    case TSC_METHOD_THRESHOLD: return "threshold";
    case TSC_METHOD_REGION_GROWING: return "region-growing";
    }
    return "unknown";
}

int tsc_method_from_string(const char *s)
{
    if (!s) return -1;
    if (!strcmp(s, "cnn")) return TSC_METHOD_CNN;
    if (!strcmp(s, "threshold")) return TSC_METHOD_THRESHOLD;
    if (!strcmp(s, "region-growing")) return TSC_METHOD_REGION_GROWING;
    return -1;
}

tsc_result *tsc__result_new(int rows, int cols)
{
    tsc_result *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->rows = rows;
    r->cols = cols;
    r->type = (size_t)-1;
    r->p_type = NAN;
    r->head_area_mm2 = NAN;
    r->ood_score = NAN;
    r->mask = calloc((size_t)rows * (size_t)cols, 1);
    if (!r->mask) {
        free(r);
        return NULL;
    }
    return r;
}

void tsc_result_free(tsc_result *r)
{
    if (!r) return;
    free(r->mask);
    free(r->prob_map);
    free(r->lesions);
    free(r->outline_points);
    free(r);
}

tsc_result *tsc_result_dup(const tsc_result *src)
{
    if (!src) return NULL;
    tsc_result *r = malloc(sizeof *r);
    if (!r) return NULL;
    *r = *src;
    size_t px = (size_t)src->rows * (size_t)src->cols;
    r->mask = malloc(px);
    r->prob_map = src->prob_map ? malloc(px * sizeof(float)) : NULL;
    r->lesions = src->n_lesions ? malloc(src->n_lesions * sizeof *r->lesions) : NULL;
    r->outline_points =
        src->n_outline_points ? malloc(src->n_outline_points * sizeof *r->outline_points) : NULL;
    if (!r->mask || (src->prob_map && !r->prob_map) || (src->n_lesions && !r->lesions) ||
        (src->n_outline_points && !r->outline_points)) {
        tsc_result_free(r);
        return NULL;
    }
    memcpy(r->mask, src->mask, px);
    if (src->prob_map) memcpy(r->prob_map, src->prob_map, px * sizeof(float));
    if (src->n_lesions) memcpy(r->lesions, src->lesions, src->n_lesions * sizeof *r->lesions);
    if (src->n_outline_points)
        memcpy(r->outline_points, src->outline_points,
               src->n_outline_points * sizeof *r->outline_points);
    /* Re-point each lesion's outline into the copy. */
    for (size_t i = 0; i < r->n_lesions; i++)
        if (src->lesions[i].outline)
            r->lesions[i].outline = r->outline_points + (src->lesions[i].outline - src->outline_points);
    return r;
}

static int cancelled(const tsc_analysis_options *o)
{
    return o->cancel && o->cancel(o->cancel_data);
}

static void softmax_t(const float *logits, size_t n, double t, double *out)
{
    double mx = -INFINITY;
    for (size_t i = 0; i < n; i++)
        if ((double)logits[i] / t > mx) mx = (double)logits[i] / t;
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        out[i] = exp((double)logits[i] / t - mx);
        sum += out[i];
    }
    for (size_t i = 0; i < n; i++) out[i] /= sum;
}

static void flip_rows(float *img, int rows, int cols)
{
    for (int r = 0; r < rows; r++) {
        float *row = img + (size_t)r * (size_t)cols;
        for (int a = 0, b = cols - 1; a < b; a++, b--) {
            float t = row[a];
            row[a] = row[b];
            row[b] = t;
        }
    }
}

static double sigmoid(double x)
{
    return x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
}

/* The verdict rule (docs/RESULT_FORMAT.md), one meaning per verdict:
 * - tumour: P(tumour) reaches the tumour threshold and the segmentation
 *   outlines a lesion; the type is the most likely one given a tumour;
 * - no tumour: P(no tumour) reaches the minimum confidence and the
 *   segmentation outlines nothing;
 * - anything else is inconclusive, with the reason as a sentence. */
static void decide(tsc_result *r, const tsc__manifest *m, double mask_area_s)
{
    r->p_tumor = 1.0 - r->probs[m->no_tumor];
    size_t bt = (size_t)-1;
    for (size_t i = 0; i < r->n_classes; i++)
        if (i != m->no_tumor && (bt == (size_t)-1 || r->probs[i] > r->probs[bt])) bt = i;
    r->type = bt;
    r->p_type = bt != (size_t)-1 && r->p_tumor > 0 ? r->probs[bt] / r->p_tumor : NAN;
    int cls_tumor = r->p_tumor >= m->tumor_probability;
    /* "No tumour" is never stated with P(no tumour) under 50 %, whatever the
     * manifest's minimum. */
    int cls_normal = 1.0 - r->p_tumor >= fmax(m->min_confidence, 0.5);
    int seg_tumor = mask_area_s >= m->min_tumor_area_px && mask_area_s > 0;
    r->reason[0] = '\0';
    if (cls_tumor && seg_tumor) {
        r->verdict = TSC_VERDICT_TUMOR;
        r->label = bt;
        r->confidence = r->p_type;
        r->type_uncertain = !(r->p_type >= m->min_confidence);
        return;
    }
    if (cls_normal && !seg_tumor) {
        r->verdict = TSC_VERDICT_NO_TUMOR;
        r->label = m->no_tumor;
        r->confidence = 1.0 - r->p_tumor;
        return;
    }
    r->verdict = TSC_VERDICT_INCONCLUSIVE;
    r->label = bt != (size_t)-1 ? bt : m->no_tumor;
    r->confidence = NAN;
    if (cls_tumor)
        snprintf(r->reason, sizeof r->reason,
                 "the classifier finds a tumour likely (P(tumour) %.1f%%) but the segmentation "
                 "outlines no lesion of measurable size",
                 100.0 * r->p_tumor);
    else if (seg_tumor)
        snprintf(r->reason, sizeof r->reason,
                 "the segmentation outlines a region but P(tumour) %.1f%% is under the %.0f%% "
                 "needed to call a tumour",
                 100.0 * r->p_tumor, 100.0 * m->tumor_probability);
    else
        snprintf(r->reason, sizeof r->reason,
                 "P(tumour) %.1f%% lies between the no-tumour limit (%.0f%% or less) and the "
                 "tumour threshold (%.0f%%)",
                 100.0 * r->p_tumor, 100.0 * (1.0 - fmax(m->min_confidence, 0.5)),
                 100.0 * m->tumor_probability);
}

/* The not-assessable rule (docs/RESULT_FORMAT.md): a slice is read only
 * when the head covers at least `min_head_area_mm2` (vertex and the lowest
 * skull-base slices hold too little brain to call "no tumour") and the head
 * is not cut off by the field of view on more than `max_head_cut_fraction`
 * of the image border.  Returns 1 with the reason filled in. */
static int not_assessable(tsc_result *r, const uint8_t *head, int rows, int cols,
                          double dx, double dy, double min_area, double max_cut)
{
    size_t px = (size_t)rows * (size_t)cols, area = 0, border = 0, border_head = 0;
    for (size_t i = 0; i < px; i++) area += head[i];
    for (int x = 0; x < cols; x++) {
        border_head += head[x] + head[(size_t)(rows - 1) * (size_t)cols + (size_t)x];
        border += 2;
    }
    for (int y = 0; y < rows; y++) {
        border_head += head[(size_t)y * (size_t)cols] + head[(size_t)y * (size_t)cols + (size_t)cols - 1];
        border += 2;
    }
    r->head_area_mm2 = (double)area * dx * dy;
    if (r->head_area_mm2 < min_area) {
        snprintf(r->reason, sizeof r->reason,
                 "too little of the head on this slice (%.0f cm², the model reads slices with at "
                 "least %.0f cm²): vertex, skull base or the edge of the field of view",
                 r->head_area_mm2 / 100.0, min_area / 100.0);
        return 1;
    }
    double cut = border ? (double)border_head / (double)border : 0;
    if (cut > max_cut) {
        snprintf(r->reason, sizeof r->reason,
                 "the head is cut off by the field of view (%.0f%% of the image border crosses "
                 "the head)",
                 100.0 * cut);
        return 1;
    }
    return 0;
}

size_t tsc__cnn_images_per_slice(const tsc_analysis_options *o)
{
    return o->flip_tta ? 2 : 1;
}

tsc_status tsc__cnn_work_reserve(tsc__cnn_work *w, const tsc_model *m, size_t images,
                                 tsc_error *err)
{
    if (images <= w->cap_images) return TSC_OK;
    const size_t ss = (size_t)m->manifest.input_size * (size_t)m->manifest.input_size;
    free(w->input);
    free(w->seg);
    free(w->cls);
    free(w->ood);
    w->cap_images = 0;
    /* Zeroed: the padding images of a last, partial batch are run too. */
    w->input = calloc(images * ss, sizeof(float));
    w->seg = malloc(images * ss * sizeof(float));
    w->cls = malloc(images * m->manifest.n_classes * sizeof(float));
    w->ood = malloc(images * sizeof(float));
    if (!w->input || !w->seg || !w->cls || !w->ood)
        return tsc_error_set(err, TSC_ENOMEM, "out of memory for %zu network images of %dx%d",
                             images, m->manifest.input_size, m->manifest.input_size);
    w->cap_images = images;
    return TSC_OK;
}

void tsc__cnn_work_clear(tsc__cnn_work *w)
{
    free(w->input);
    free(w->seg);
    free(w->cls);
    free(w->ood);
    free(w->head);
    memset(w, 0, sizeof *w);
}

tsc_status tsc__cnn_prepare(const tsc_model *m, const tsc_slice *s, const tsc_analysis_options *o,
                            tsc__cnn_work *w, size_t image, tsc_result *r, tsc_error *err)
{
    TSC_ASSERT(image + tsc__cnn_images_per_slice(o) <= w->cap_images);
    const int S = m->manifest.input_size;
    const size_t ss = (size_t)S * (size_t)S;
    double t0 = tsc__now_ms();
    float *in = w->input + image * ss;
    tsc_status st =
        tsc_preprocess(s->pixels, s->rows, s->cols, s->spacing[1], s->spacing[0], S, in, err);
    if (st != TSC_OK) return st;
    /* Test-time augmentation: the mirrored slice is the next image. */
    if (o->flip_tta) {
        memcpy(in + ss, in, ss * sizeof *in);
        flip_rows(in + ss, S, S);
    }
    r->timings.preprocess_ms = tsc__now_ms() - t0;
    return TSC_OK;
}

tsc_status tsc__cnn_infer(const tsc_model *m, tsc__engine *e, const tsc_analysis_options *o,
                          tsc__cnn_work *w, size_t first, size_t images, tsc_error *err)
{
    const size_t b = tsc__engine_get_batch(e), nc = m->manifest.n_classes;
    const size_t ss = (size_t)m->manifest.input_size * (size_t)m->manifest.input_size;
    TSC_ASSERT(first + (images + b - 1) / b * b <= w->cap_images);
    for (size_t i = first; i < first + images; i += b) {
        if (cancelled(o)) return tsc_error_set(err, TSC_ECANCELLED, "analysis cancelled");
        tsc_status st = tsc__engine_run(e, w->input + i * ss, w->seg + i * ss, w->cls + i * nc,
                                        w->ood + i, err);
        if (st != TSC_OK) return st;
    }
    return TSC_OK;
}

tsc_status tsc__cnn_finish(const tsc_model *model, const tsc_slice *s,
                           const tsc_analysis_options *o, tsc__cnn_work *w, size_t image,
                           tsc_result *r, tsc_error *err)
{
    const tsc__manifest *m = &model->manifest;
    const int S = m->input_size;
    const size_t ss = (size_t)S * (size_t)S;
    const size_t nc = m->n_classes;
    double t2 = tsc__now_ms();
    float *seg = w->seg + image * ss, *cls = w->cls + image * nc;
    float ood = w->ood[image];
    if (o->flip_tta) {
        /* The mirrored slice's outputs, mirrored back.  The logits are
         * averaged, as in training/calibrate_export.py where the
         * temperature and thresholds were fitted on exactly these values. */
        float *seg2 = seg + ss;
        const float *cls2 = cls + nc;
        ood = 0.5f * (ood + w->ood[image + 1]);
        flip_rows(seg2, S, S);
        for (size_t i = 0; i < nc; i++) cls[i] = 0.5f * (cls[i] + cls2[i]);
        for (size_t i = 0; i < ss; i++) seg[i] = 0.5f * (seg[i] + seg2[i]);
    }
    double probs[TSC__MAX_CLASSES];
    softmax_t(cls, nc, m->temperature, probs);
    for (size_t i = 0; i < ss; i++) seg[i] = (float)sigmoid(seg[i]);
    r->ood_score = ood;

    r->n_classes = nc;
    for (size_t i = 0; i < nc; i++) {
        if (!isfinite(probs[i]))
            return tsc_error_set(err, TSC_EINTERNAL,
                                 "the network produced a non-finite probability; the model or "
                                 "the input is broken");
        r->probs[i] = probs[i];
    }

    /* Probability map at native resolution, thresholded into the mask. */
    size_t px = (size_t)s->rows * (size_t)s->cols;
    r->prob_map = malloc(px * sizeof(float));
    if (!r->prob_map)
        return tsc_error_set(err, TSC_ENOMEM, "out of memory for the probability map");
    tsc_preprocess_to_native(seg, S, s->rows, s->cols, s->spacing[1], s->spacing[0], r->prob_map);
    const float thr = (float)m->mask_probability;
    r->mask_threshold = m->mask_probability;
    for (size_t i = 0; i < px; i++) r->mask[i] = r->prob_map[i] >= thr;
    uint8_t *head = NULL;
    if (o->restrict_to_head || o->not_assessable_rule) {
        if (w->head_cap < px) {
            free(w->head);
            w->head_cap = 0;
            if ((w->head = malloc(px))) w->head_cap = px;
        }
        head = w->head;
        if (head && tsc_head_mask(s->pixels, s->rows, s->cols, head, NULL) != TSC_OK) head = NULL;
    }
    /* Findings outside the head (noise, labels burned into the image) are
     * not tumours. */
    if (o->restrict_to_head && head)
        for (size_t i = 0; i < px; i++) r->mask[i] &= head[i];
    /* Tumour masks are solid (a necrotic core is part of the tumour). */
    tsc_status st = tsc_fill_holes(r->mask, s->rows, s->cols, r->mask, err);
    if (st != TSC_OK) return st;
    /* Components under the minimum lesion area are dropped before the
     * verdict, so that a tumour verdict always has a lesion to show. */
    st = tsc__result_measure(r, s, o->min_lesion_area_mm2, err);
    if (st != TSC_OK) return st;
    /* Decide on the area of the measured lesions, in S×S grid pixels. */
    double fov = fmax(s->cols * s->spacing[1], s->rows * s->spacing[0]);
    double o_mm = fov / S;
    size_t area = 0;
    for (size_t i = 0; i < px; i++) area += r->mask[i];
    double area_s = (double)area * s->spacing[0] * s->spacing[1] / (o_mm * o_mm);
    decide(r, m, area_s);
    /* The head rule never hides a tumour the slice shows (a convexity
     * meningioma near the vertex); the OOD rule does, since a verdict on an
     * image unlike the training data is a guess.  The head area is measured
     * on every slice, since the series rule compares slices. */
    char reason[sizeof r->reason];
    memcpy(reason, r->reason, sizeof reason);
    int head_rule = o->not_assessable_rule && head &&
                    not_assessable(r, head, s->rows, s->cols, s->spacing[1], s->spacing[0],
                                   m->min_head_area_mm2, m->max_head_cut_fraction);
    if (head_rule && r->verdict == TSC_VERDICT_TUMOR) {
        memcpy(r->reason, reason, sizeof reason);
        head_rule = 0;
    }
    if (head_rule) {
        r->verdict = TSC_VERDICT_NOT_ASSESSABLE;
        r->label = m->no_tumor;
        r->confidence = NAN;
        r->type_uncertain = 0;
    } else if (isfinite(m->ood_threshold) && isfinite(r->ood_score) &&
               r->ood_score > m->ood_threshold) {
        r->verdict = TSC_VERDICT_NOT_ASSESSABLE;
        r->label = m->no_tumor;
        r->confidence = NAN;
        r->type_uncertain = 0;
        snprintf(r->reason, sizeof r->reason,
                 "the image is unlike the slices the model learnt from (out-of-distribution "
                 "score %.2f, limit %.2f)",
                 r->ood_score, m->ood_threshold);
    }
    if (r->verdict == TSC_VERDICT_NO_TUMOR || r->verdict == TSC_VERDICT_NOT_ASSESSABLE)
        tsc__result_clear_findings(r);
    r->timings.postprocess_ms = tsc__now_ms() - t2;
    return TSC_OK;
}

/* The second image of a click's flip-TTA pair, on a thread of its own. */
typedef struct half_run {
    const tsc_model *model;
    tsc__engine *engine;
    const tsc_analysis_options *o;
    tsc__cnn_work *w;
    tsc_status st;
    tsc_error err;
} half_run;

static void *run_second_image(void *arg)
{
    half_run *h = arg;
    tsc_error_clear(&h->err);
    h->st = tsc__cnn_infer(h->model, h->engine, h->o, h->w, 1, 1, &h->err);
    return NULL;
}

/* The network part of a click: with flip TTA and two cores, the two images
 * run at once on two single-thread engines (half the cores each), which is
 * about 1.5x faster than one 2-thread engine running them in turn on an idle
 * machine and does not spin on a loaded one (docs/ENGINE.md, "Threads").
 * Without a second engine or thread it falls back to running them in turn. */
static tsc_status infer_click(tsc_model *model, const tsc_analysis_options *o, tsc__cnn_work *w,
                              size_t images, tsc_error *err)
{
    int threads;
    const int n = tsc__model_click_engines(model, images, &threads);
    tsc__engine *eng = NULL, *second = NULL;
    tsc_status st = tsc__engine_acquire_for(model, 1, threads, &eng, err);
    if (st != TSC_OK) return st;
    tsc_error ignored;
    pthread_t tid;
    /* The cancel callback is polled by this thread only: a host may have
     * written it for a click on one thread. */
    tsc_analysis_options uncancelled = *o;
    uncancelled.cancel = NULL;
    half_run h = {model, NULL, &uncancelled, w, TSC_OK, {0}};
    /* Never wait for the second while holding the first: threads that each
     * held one and waited for another could wait for ever. */
    if (n == 2 && tsc__engine_try_acquire_for(model, 1, threads, &second, &ignored) == TSC_OK) {
        h.engine = second;
        if (pthread_create(&tid, NULL, run_second_image, &h) != 0) h.engine = NULL;
    }
    if (h.engine) {
        st = tsc__cnn_infer(model, eng, o, w, 0, 1, err);
        pthread_join(tid, NULL);
        if (st == TSC_OK && h.st != TSC_OK) {
            st = h.st;
            *err = h.err;
        }
    } else {
        st = tsc__cnn_infer(model, eng, o, w, 0, images, err);
    }
    tsc__engine_release(model, second);
    tsc__engine_release(model, eng);
    return st;
}

/* One slice on its own (a click): the stages with a work area of its own
 * and batch-1 engines (the flip-TTA pair as one batch of 2 was slower on
 * 2 threads: docs/ENGINE.md, "Series throughput"). */
static tsc_status analyze_cnn(tsc_model *model, const tsc_slice *s, const tsc_analysis_options *o,
                              tsc_result *r, tsc_error *err)
{
    tsc__cnn_work w;
    memset(&w, 0, sizeof w);
    const size_t images = tsc__cnn_images_per_slice(o);
    tsc_status st = tsc__cnn_work_reserve(&w, model, images, err);
    if (st == TSC_OK) st = tsc__cnn_prepare(model, s, o, &w, 0, r, err);
    if (st == TSC_OK && cancelled(o)) st = tsc_error_set(err, TSC_ECANCELLED, "analysis cancelled");
    if (st == TSC_OK) {
        double t1 = tsc__now_ms();
        st = infer_click(model, o, &w, images, err);
        r->timings.inference_ms = tsc__now_ms() - t1;
    }
    if (st == TSC_OK) st = tsc__cnn_finish(model, s, o, &w, 0, r, err);
    tsc__cnn_work_clear(&w);
    return st;
}

static tsc_status analyze_classic(const tsc_slice *s, const tsc_analysis_options *o,
                                  tsc_result *r, tsc_error *err)
{
    double t0 = tsc__now_ms();
    tsc_status st;
    if (o->method == TSC_METHOD_THRESHOLD)
        st = tsc_baseline_threshold(s->pixels, s->rows, s->cols, s->spacing[1], s->spacing[0],
                                    r->mask, err);
    else
        st = tsc_baseline_region_growing(s->pixels, s->rows, s->cols, s->spacing[1],
                                         s->spacing[0], r->mask, err);
    if (st != TSC_OK) return st;
    double t1 = tsc__now_ms();
    r->timings.inference_ms = t1 - t0;
    st = tsc__result_measure(r, s, o->min_lesion_area_mm2, err);
    if (st != TSC_OK) return st;
    /* The baselines only segment: no type, no calibrated probability. */
    r->n_classes = 0;
    r->label = 0;
    r->confidence = NAN;
    r->p_tumor = NAN; /* no calibrated probability */
    r->verdict = r->n_lesions ? TSC_VERDICT_TUMOR : TSC_VERDICT_NO_TUMOR;
    r->timings.postprocess_ms = tsc__now_ms() - t1;
    return TSC_OK;
}

tsc_status tsc__slice_check(const tsc_model *model, const tsc_slice *slice,
                            const tsc_analysis_options *o, tsc_error *err)
{
    if (!slice->pixels || slice->rows <= 0 || slice->cols <= 0)
        return tsc_error_set(err, TSC_EINVAL, "the slice has no pixels");
    if ((int64_t)slice->rows * slice->cols > (int64_t)8192 * 8192)
        return tsc_error_set(err, TSC_ELIMIT, "slice of %dx%d pixels is larger than 8192x8192",
                             slice->cols, slice->rows);
    if (!(slice->spacing[0] > 0 && slice->spacing[1] > 0 && isfinite(slice->spacing[0]) &&
          isfinite(slice->spacing[1])))
        return tsc_error_set(err, TSC_EINVAL,
                             "pixel spacing %g x %g mm is not positive; measurements would be "
                             "meaningless",
                             slice->spacing[1], slice->spacing[0]);
    if (o->method == TSC_METHOD_CNN && !model)
        return tsc_error_set(err, TSC_EINVAL,
                             "no model loaded: the CNN method needs a model (or use the threshold "
                             "or region-growing method)");
    return TSC_OK;
}

tsc_result *tsc__slice_result_new(const tsc_slice *slice, const tsc_analysis_options *o)
{
    tsc_result *r = tsc__result_new(slice->rows, slice->cols);
    if (!r) return NULL;
    r->method = o->method;
    r->pixel_area_mm2 = slice->spacing[0] * slice->spacing[1];
    r->spacing[0] = slice->spacing[0];
    r->spacing[1] = slice->spacing[1];
    return r;
}

tsc_status tsc_analyze_slice(tsc_model *model, const tsc_slice *slice,
                             const tsc_analysis_options *options, tsc_result **out, tsc_error *err)
{
    TSC_ASSERT(slice && out);
    *out = NULL;
    tsc_error_clear(err);
    tsc_analysis_options o = tsc_analysis_default_options();
    TSC__PARAMS_COPY(&o, options);
    tsc_status st = tsc__slice_check(model, slice, &o, err);
    if (st != TSC_OK) return st;
    double t0 = tsc__now_ms();
    tsc_result *r = tsc__slice_result_new(slice, &o);
    if (!r) return tsc_error_set(err, TSC_ENOMEM, "out of memory for the result");
    st = o.method == TSC_METHOD_CNN ? analyze_cnn(model, slice, &o, r, err)
                                    : analyze_classic(slice, &o, r, err);
    if (st != TSC_OK) {
        tsc_result_free(r);
        return st;
    }
    r->timings.total_ms = tsc__now_ms() - t0;
    *out = r;
    return TSC_OK;
}

tsc_verdict tsc_result_get_verdict(const tsc_result *r) { return r->verdict; }
const char *tsc_result_get_reason(const tsc_result *r) { return r->reason; }
size_t tsc_result_get_label(const tsc_result *r) { return r->label; }
double tsc_result_get_confidence(const tsc_result *r) { return r->confidence; }
size_t tsc_result_n_classes(const tsc_result *r) { return r->n_classes; }
double tsc_result_get_tumor_probability(const tsc_result *r) { return r->p_tumor; }
const float *tsc_result_get_probability_map(const tsc_result *r) { return r->prob_map; }
size_t tsc_result_n_lesions(const tsc_result *r) { return r->n_lesions; }
const tsc_timings *tsc_result_get_timings(const tsc_result *r) { return &r->timings; }
tsc_method tsc_result_get_method(const tsc_result *r) { return r->method; }
double tsc_result_get_head_area_mm2(const tsc_result *r) { return r->head_area_mm2; }
double tsc_result_get_ood_score(const tsc_result *r) { return r->ood_score; }
const char *tsc_result_get_scope_warning(const tsc_result *r) { return r->scope_warning; }

void tsc_result_set_scope_warning(tsc_result *r, const char *warning)
{
    TSC_ASSERT(r);
    snprintf(r->scope_warning, sizeof r->scope_warning, "%s", warning ? warning : "");
}

double tsc_result_get_probability(const tsc_result *r, size_t i)
{
    TSC_ASSERT(i < r->n_classes);
    return r->probs[i];
}

const uint8_t *tsc_result_get_mask(const tsc_result *r, int *rows, int *cols)
{
    if (rows) *rows = r->rows;
    if (cols) *cols = r->cols;
    return r->mask;
}

const tsc_lesion_info *tsc_result_get_lesion(const tsc_result *r, size_t i)
{
    TSC_ASSERT(i < r->n_lesions);
    return &r->lesions[i];
}
