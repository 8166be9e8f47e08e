/* SPDX-License-Identifier: BSD-3-Clause */
/* Public API: load pipeline (parse -> infer/fold -> optimise -> lower),
 * model inspection and run dispatch. */
#include <errno.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn_private.h"
#include "tsc_log.h"

tsc_nn_params tsc_nn_default_params(void)
{
    tsc_nn_params p;
    memset(&p, 0, sizeof p);
    p.struct_size = sizeof p;
    p.n_threads = 0;
    p.engine = TSC_NN_ENGINE_ONEDNN;
    p.batch = 0;
    p.max_file_bytes = (size_t)2 << 30;
    p.max_weight_bytes = (size_t)2 << 30;
    p.max_activation_bytes = (size_t)4 << 30;
    return p;
}

void tsc_nn_model_free(tsc_nn_model *m)
{
    if (!m) return;
    if (m->engine == TSC_NN_ENGINE_REFERENCE)
        tsc__nn_ref_free(m);
    else
        tsc__nn_dnnl_free(m);
    tsc__nn_graph_free(&m->g);
    tsc__nn_int8_free(m->int8);
    free(m->in_sizes);
    free(m->out_sizes);
    free(m);
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static tsc_status set_int8_ranges(tsc_nn_model *m, const tsc_nn_int8_range *r, size_t n,
                                  tsc_error *err)
{
    if (!(m->int8 = tsc__nn_int8_new(m->g.n_vals)))
        return tsc_error_set(err, TSC_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        TSC_ASSERT(r[i].tensor);
        int v = tsc__nn_graph_find(&m->g, r[i].tensor);
        if (v < 0 || tsc__nn_int8_set(m->int8, v, r[i].min, r[i].max) < 0)
            return tsc_error_set(err, TSC_EINVAL,
                                 "model %s: the int8 range of tensor '%s' (%g to %g) %s; "
                                 "recalibrate the model",
                                 m->g.src_name, r[i].tensor, r[i].min, r[i].max,
                                 v < 0 ? "names no tensor of the optimised graph" : "is invalid");
    }
    return TSC_OK;
}

static tsc_status load(const void *data, size_t size, const char *name, const tsc_nn_params *params,
                       const tsc_nn_int8_range *ranges, size_t n_ranges, tsc_nn_model **out,
                       tsc_error *err)
{
    TSC_ASSERT(out);
    TSC_ASSERT(data || !size);
    *out = NULL;
    tsc_nn_params p = params ? *params : tsc_nn_default_params();
    TSC_ASSERT(p.engine == TSC_NN_ENGINE_ONEDNN || p.engine == TSC_NN_ENGINE_REFERENCE ||
               p.engine == TSC_NN_ENGINE_ONEDNN_BF16 || p.engine == TSC_NN_ENGINE_ONEDNN_INT8);
    TSC_ASSERT(p.n_threads >= 0 && p.batch >= 0);
    tsc_nn_model *m = calloc(1, sizeof *m);
    if (!m) return tsc_error_set(err, TSC_ENOMEM, "out of memory");
    m->g.params = p;
    m->engine = p.engine;
    snprintf(m->g.src_name, sizeof m->g.src_name, "%s", name ? base_name(name) : "(memory)");
    m->n_threads = p.n_threads > 0 ? p.n_threads : omp_get_num_procs();
    if (m->n_threads < 1) m->n_threads = 1;
    tsc_status st;
    if (size > p.max_file_bytes) {
        st = tsc_error_set(err, TSC_ELIMIT,
                           "model %s: the file has %zu bytes, more than the limit of %zu",
                           m->g.src_name, size, p.max_file_bytes);
        goto fail;
    }
    if ((st = tsc__nn_onnx_parse(&m->g, data, size, err)) != TSC_OK) goto fail;
    if ((st = tsc__nn_infer(&m->g, err)) != TSC_OK) goto fail;
    m->in_sizes = malloc(((size_t)m->g.n_inputs + 1) * sizeof *m->in_sizes);
    m->out_sizes = malloc(((size_t)m->g.n_outputs + 1) * sizeof *m->out_sizes);
    if (!m->in_sizes || !m->out_sizes) {
        st = tsc_error_set(err, TSC_ENOMEM, "out of memory");
        goto fail;
    }
    for (int i = 0; i < m->g.n_inputs; i++) m->in_sizes[i] = (size_t)m->g.vals[m->g.inputs[i]].numel;
    for (int i = 0; i < m->g.n_outputs; i++)
        m->out_sizes[i] = (size_t)m->g.vals[m->g.outputs[i]].numel;
    if (p.engine == TSC_NN_ENGINE_REFERENCE) {
        st = tsc__nn_ref_prepare(m, err);
        if (st == TSC_OK)
            snprintf(m->summary, sizeof m->summary, "reference engine: %d nodes, %.1f MiB weights",
                     m->g.n_nodes, m->g.const_bytes / 1048576.0);
    } else {
        if ((st = tsc__nn_optimize(&m->g, err)) != TSC_OK) goto fail;
        /* fp32 plans record calibration points; int8 ones quantise with the ranges. */
        if ((st = set_int8_ranges(m, ranges, n_ranges, err)) != TSC_OK) goto fail;
        st = tsc__nn_dnnl_prepare(m, err);
    }
    if (st != TSC_OK) goto fail;
    /* The oneDNN engine keeps its own copies; the graph's weights are dead
     * weight after lowering, except what outputs and inspection need. */
    if (p.engine != TSC_NN_ENGINE_REFERENCE)
        for (int v = 0; v < m->g.n_vals; v++) {
            tsc__nn_value *val = &m->g.vals[v];
            if (val->kind == TSC__NN_VAL_CONST && !val->is_output) {
                free(val->data);
                val->data = NULL;
            }
        }
    tsc_log(TSC_LOG_INFO, TSC__NN_DOMAIN, "model %s: %s, %.3f GFLOP per run", m->g.src_name,
            m->summary, m->g.flops * 1e-9);
    *out = m;
    return TSC_OK;
fail:
    tsc_nn_model_free(m);
    return st;
}

tsc_status tsc_nn_model_load_from_memory(const void *data, size_t size, const char *name,
                                         const tsc_nn_params *params, tsc_nn_model **out,
                                         tsc_error *err)
{
    return load(data, size, name, params, NULL, 0, out, err);
}

tsc_status tsc_nn_model_load_int8_from_memory(const void *data, size_t size, const char *name,
                                              const tsc_nn_params *params,
                                              const tsc_nn_int8_range *ranges, size_t n_ranges,
                                              tsc_nn_model **out, tsc_error *err)
{
    TSC_ASSERT(ranges || !n_ranges);
    return load(data, size, name, params, ranges, n_ranges, out, err);
}

tsc_status tsc_nn_model_calibrate(tsc_nn_model *m, const float *const *inputs,
                                  float *const *outputs, tsc_error *err)
{
    TSC_ASSERT(m && m->engine == TSC_NN_ENGINE_ONEDNN && m->int8);
    m->calibrating = 1;
    tsc_status st = tsc_nn_model_run(m, inputs, outputs, err);
    m->calibrating = 0;
    return st;
}

size_t tsc_nn_model_n_int8_ranges(const tsc_nn_model *m)
{
    TSC_ASSERT(m);
    return m->int8 ? tsc__nn_int8_count(m->int8) : 0;
}

tsc_nn_int8_range tsc_nn_model_get_int8_range(const tsc_nn_model *m, size_t i)
{
    tsc_nn_int8_range r = {NULL, 0, 0};
    int v;
    TSC_ASSERT(m && m->int8 && tsc__nn_int8_get(m->int8, i, &v, &r.min, &r.max));
    r.tensor = m->g.vals[v].name;
    return r;
}

static tsc_status load_file(const char *path, const tsc_nn_params *params,
                            const tsc_nn_int8_range *ranges, size_t n_ranges, tsc_nn_model **out,
                            tsc_error *err)
{
    TSC_ASSERT(path && out);
    *out = NULL;
    tsc_nn_params p = params ? *params : tsc_nn_default_params();
    FILE *f = fopen(path, "rb");
    if (!f)
        return tsc_error_set(err, TSC_EIO, "model %s: cannot open the file (%s); check the path",
                             path, strerror(errno));
    long len = -1;
    if (fseek(f, 0, SEEK_END) == 0) len = ftell(f);
    if (len < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return tsc_error_set(err, TSC_EIO, "model %s: cannot determine the file size", path);
    }
    if ((size_t)len > p.max_file_bytes) {
        fclose(f);
        return tsc_error_set(err, TSC_ELIMIT,
                             "model %s: the file has %ld bytes, more than the limit of %zu",
                             path, len, p.max_file_bytes);
    }
    void *buf = malloc((size_t)len + 1);
    if (!buf) {
        fclose(f);
        return tsc_error_set(err, TSC_ENOMEM, "model %s: out of memory reading the file", path);
    }
    size_t got = fread(buf, 1, (size_t)len, f);
    int bad = ferror(f);
    fclose(f);
    if (bad || got != (size_t)len) {
        free(buf);
        return tsc_error_set(err, TSC_EIO, "model %s: read error", path);
    }
    tsc_status st = load(buf, (size_t)len, path, &p, ranges, n_ranges, out, err);
    free(buf);
    return st;
}

tsc_status tsc_nn_model_load(const char *path, const tsc_nn_params *params, tsc_nn_model **out,
                             tsc_error *err)
{
    return load_file(path, params, NULL, 0, out, err);
}

tsc_status tsc_nn_model_load_int8(const char *path, const tsc_nn_params *params,
                                  const tsc_nn_int8_range *ranges, size_t n_ranges,
                                  tsc_nn_model **out, tsc_error *err)
{
    TSC_ASSERT(ranges || !n_ranges);
    return load_file(path, params, ranges, n_ranges, out, err);
}

size_t tsc_nn_model_n_inputs(const tsc_nn_model *m)
{
    TSC_ASSERT(m);
    return (size_t)m->g.n_inputs;
}

size_t tsc_nn_model_n_outputs(const tsc_nn_model *m)
{
    TSC_ASSERT(m);
    return (size_t)m->g.n_outputs;
}

const char *tsc_nn_model_get_input_name(const tsc_nn_model *m, size_t i)
{
    TSC_ASSERT(m && i < (size_t)m->g.n_inputs);
    return m->g.vals[m->g.inputs[i]].name;
}

const char *tsc_nn_model_get_output_name(const tsc_nn_model *m, size_t i)
{
    TSC_ASSERT(m && i < (size_t)m->g.n_outputs);
    return m->g.vals[m->g.outputs[i]].name;
}

const int64_t *tsc_nn_model_get_input_shape(const tsc_nn_model *m, size_t i, int *rank)
{
    TSC_ASSERT(m && i < (size_t)m->g.n_inputs);
    const tsc__nn_value *v = &m->g.vals[m->g.inputs[i]];
    if (rank) *rank = v->rank;
    return v->dims;
}

const int64_t *tsc_nn_model_get_output_shape(const tsc_nn_model *m, size_t i, int *rank)
{
    TSC_ASSERT(m && i < (size_t)m->g.n_outputs);
    const tsc__nn_value *v = &m->g.vals[m->g.outputs[i]];
    if (rank) *rank = v->rank;
    return v->dims;
}

size_t tsc_nn_model_input_size(const tsc_nn_model *m, size_t i)
{
    TSC_ASSERT(m && i < (size_t)m->g.n_inputs);
    return m->in_sizes[i];
}

size_t tsc_nn_model_output_size(const tsc_nn_model *m, size_t i)
{
    TSC_ASSERT(m && i < (size_t)m->g.n_outputs);
    return m->out_sizes[i];
}

double tsc_nn_model_flops(const tsc_nn_model *m)
{
    TSC_ASSERT(m);
    return m->g.flops;
}

const char *tsc_nn_model_get_precision(const tsc_nn_model *m)
{
    TSC_ASSERT(m);
    return m->engine == TSC_NN_ENGINE_ONEDNN_BF16   ? "bf16"
           : m->engine == TSC_NN_ENGINE_ONEDNN_INT8 ? "int8"
                                                    : "fp32";
}

int tsc_nn_model_n_threads(const tsc_nn_model *m)
{
    TSC_ASSERT(m);
    return m->n_threads;
}

const char *tsc_nn_model_get_summary(const tsc_nn_model *m)
{
    TSC_ASSERT(m);
    return m->summary;
}

tsc_status tsc_nn_model_run(tsc_nn_model *m, const float *const *inputs, float *const *outputs,
                            tsc_error *err)
{
    TSC_ASSERT(m && inputs && outputs);
    for (int i = 0; i < m->g.n_inputs; i++) TSC_ASSERT(inputs[i]);
    for (int i = 0; i < m->g.n_outputs; i++) TSC_ASSERT(outputs[i]);
    if (m->engine == TSC_NN_ENGINE_REFERENCE) return tsc__nn_ref_run(m, inputs, outputs, err);
    return tsc__nn_dnnl_run(m, inputs, outputs, err);
}
