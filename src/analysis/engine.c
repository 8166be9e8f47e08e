/* SPDX-License-Identifier: BSD-3-Clause */
#include "engine.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsc_nn.h"

struct tsc__engine {
    tsc_nn_model *nn;
    size_t seg_index, cls_index, ood_index, n_outputs; /* ood_index: SIZE_MAX when none */
    float **outputs;
    size_t batch;  /* images per run: the network's leading input dimension */
    int batch_req; /* as asked for, to match pool requests */
    int threads;   /* OpenMP threads of each run, likewise */
    int calibrate; /* runs record int8 ranges (tsc_nn_model_calibrate) */
    size_t runs;
};

static int find_output(const tsc_nn_model *nn, const char *name, size_t *out)
{
    for (size_t i = 0; i < tsc_nn_model_n_outputs(nn); i++)
        if (!strcmp(tsc_nn_model_get_output_name(nn, i), name)) {
            *out = i;
            return 1;
        }
    return 0;
}

static tsc__engine_new_hook_fn new_hook;
static void *new_hook_user;

void tsc__set_engine_new_hook(tsc__engine_new_hook_fn fn, void *user)
{
    new_hook = fn;
    new_hook_user = user;
}

tsc_status tsc__engine_new(tsc_model *m, int batch, int threads, tsc__engine **out,
                           tsc_error *err)
{
    const tsc__manifest *mf = &m->manifest;
    if (new_hook) {
        tsc_status hs = new_hook(m, new_hook_user, err);
        if (hs != TSC_OK) return hs;
    }
    tsc_nn_params p = tsc_nn_default_params();
    p.n_threads = threads > 0 ? threads : 1;
    /* Binds a symbolic batch axis; a network exported with a fixed batch
     * ignores it and runs its own (checked below). */
    p.batch = batch > 1 ? batch : 1;
    p.engine = m->bf16   ? TSC_NN_ENGINE_ONEDNN_BF16
               : m->int8 ? TSC_NN_ENGINE_ONEDNN_INT8
                         : TSC_NN_ENGINE_ONEDNN;
    tsc_nn_model *nn = NULL;
    tsc_nn_int8_range r[TSC__INT8_MAX_RANGES];
    size_t nr = m->int8 ? mf->n_int8 : 0;
    for (size_t i = 0; i < nr; i++)
        r[i] = (tsc_nn_int8_range){mf->int8[i].tensor, mf->int8[i].min, mf->int8[i].max};
    /* From the bytes checked at load, not the file: it may have been
     * replaced since. */
    tsc_status st = tsc_nn_model_load_int8_from_memory(m->onnx_bytes, m->onnx_size, m->onnx_path,
                                                       &p, r, nr, &nn, err);
    if (st != TSC_OK) {
        tsc_error_prefix(err, "model %s", mf->name);
        return st;
    }
    tsc__engine *e = calloc(1, sizeof *e);
    if (!e) {
        tsc_nn_model_free(nn);
        return tsc_error_set(err, TSC_ENOMEM, "out of memory");
    }
    e->nn = nn;
    e->batch_req = (int)p.batch;
    e->threads = p.n_threads;
    e->calibrate = m->calibrate_out[0] != 0;
    const size_t S = (size_t)mf->input_size;
    int rank = 0;
    const int64_t *dims =
        tsc_nn_model_n_inputs(nn) == 1 ? tsc_nn_model_get_input_shape(nn, 0, &rank) : NULL;
    e->batch = dims && rank == 4 && dims[0] > 0 ? (size_t)dims[0] : 1;
    /* A fixed batch other than 1 cannot serve a click (one slice, or two
     * with the flip): refused at load, as before series batching. */
    if (e->batch != 1 && e->batch != (size_t)p.batch) {
        st = tsc_error_set(err, TSC_EFORMAT,
                           "model %s: the network takes a fixed batch of %zu images; export it "
                           "with batch 1 or a symbolic batch axis",
                           mf->name, e->batch);
        goto fail;
    }
    /* The network must take N×1×S×S images and give the outputs the
     * manifest names, of the sizes it promises, N times. */
    if (!dims || rank != 4 || tsc_nn_model_input_size(nn, 0) != e->batch * S * S) {
        st = tsc_error_set(err, TSC_EFORMAT,
                           "model %s: the network's input is not N 1x%zux%zu images as the "
                           "manifest says",
                           mf->name, S, S);
        goto fail;
    }
    if (!find_output(nn, mf->seg_output, &e->seg_index) ||
        !find_output(nn, mf->cls_output, &e->cls_index)) {
        st = tsc_error_set(err, TSC_EFORMAT, "model %s: the network has no output \"%s\" or \"%s\"",
                           mf->name, mf->seg_output, mf->cls_output);
        goto fail;
    }
    e->ood_index = (size_t)-1;
    if (mf->ood_output[0] && (!find_output(nn, mf->ood_output, &e->ood_index) ||
                              tsc_nn_model_output_size(nn, e->ood_index) != e->batch)) {
        st = tsc_error_set(err, TSC_EFORMAT,
                           "model %s: the manifest's OOD output \"%s\" is not one value of the "
                           "network",
                           mf->name, mf->ood_output);
        goto fail;
    }
    if (tsc_nn_model_output_size(nn, e->seg_index) != e->batch * S * S ||
        tsc_nn_model_output_size(nn, e->cls_index) != e->batch * mf->n_classes) {
        st = tsc_error_set(err, TSC_EFORMAT,
                           "model %s: output sizes do not match the manifest (%zu segmentation "
                           "values for %zu x %zux%zu, %zu class logits for %zu x %zu classes)",
                           mf->name, tsc_nn_model_output_size(nn, e->seg_index), e->batch, S, S,
                           tsc_nn_model_output_size(nn, e->cls_index), e->batch, mf->n_classes);
        goto fail;
    }
    e->n_outputs = tsc_nn_model_n_outputs(nn);
    e->outputs = calloc(e->n_outputs, sizeof *e->outputs);
    if (!e->outputs) {
        st = tsc_error_set(err, TSC_ENOMEM, "out of memory");
        goto fail;
    }
    /* Extra outputs (e.g. a saliency map) get scratch buffers. */
    for (size_t i = 0; i < e->n_outputs; i++) {
        if (i == e->seg_index || i == e->cls_index) continue;
        e->outputs[i] = malloc(tsc_nn_model_output_size(nn, i) * sizeof(float));
        if (!e->outputs[i]) {
            st = tsc_error_set(err, TSC_ENOMEM, "out of memory");
            goto fail;
        }
    }
    *out = e;
    return TSC_OK;
fail:
    tsc__engine_free(e);
    return st;
}

void tsc__engine_free(tsc__engine *e)
{
    if (!e) return;
    if (e->outputs)
        for (size_t i = 0; i < e->n_outputs; i++)
            if (i != e->seg_index && i != e->cls_index) free(e->outputs[i]);
    free(e->outputs);
    tsc_nn_model_free(e->nn);
    free(e);
}

tsc_status tsc__engine_run(tsc__engine *e, const float *input, float *seg_logits,
                           float *class_logits, float *ood_score, tsc_error *err)
{
    e->outputs[e->seg_index] = seg_logits;
    e->outputs[e->cls_index] = class_logits;
    const float *inputs[1] = {input};
    tsc_status st = e->calibrate ? tsc_nn_model_calibrate(e->nn, inputs, e->outputs, err)
                                 : tsc_nn_model_run(e->nn, inputs, e->outputs, err);
    e->runs++;
    if (ood_score)
        for (size_t i = 0; i < e->batch; i++)
            ood_score[i] =
                e->ood_index != (size_t)-1 && st == TSC_OK ? e->outputs[e->ood_index][i] : NAN;
    return st;
}

size_t tsc__engine_get_batch(const tsc__engine *e)
{
    return e->batch;
}
int tsc__engine_get_threads(const tsc__engine *e)
{
    return e->threads;
}
size_t tsc__engine_get_runs(const tsc__engine *e)
{
    return e->runs;
}

int tsc__engine_matches(const tsc__engine *e, int batch, int threads)
{
    return e->batch_req == (batch > 1 ? batch : 1) && e->threads == (threads > 0 ? threads : 1);
}

size_t tsc__engine_merge_ranges(const tsc__engine *e, tsc__int8_range *acc, size_t *n)
{
    for (size_t i = 0; i < tsc_nn_model_n_int8_ranges(e->nn); i++) {
        tsc_nn_int8_range r = tsc_nn_model_get_int8_range(e->nn, i);
        size_t k = 0;
        while (k < *n && strcmp(acc[k].tensor, r.tensor)) k++;
        if (k == *n) {
            if (*n == TSC__INT8_MAX_RANGES || strlen(r.tensor) >= sizeof acc[k].tensor) continue;
            snprintf(acc[k].tensor, sizeof acc[k].tensor, "%s", r.tensor);
            acc[k].min = r.min, acc[k].max = r.max;
            (*n)++;
        }
        if (r.min < acc[k].min) acc[k].min = r.min;
        if (r.max > acc[k].max) acc[k].max = r.max;
    }
    return e->calibrate ? e->runs : 0;
}

const char *tsc__engine_get_precision(const tsc__engine *e)
{
    return tsc_nn_model_get_precision(e->nn);
}
