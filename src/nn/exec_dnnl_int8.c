/* SPDX-License-Identifier: BSD-3-Clause */
/* The oneDNN engine's int8 mode and its calibration.
 *
 * Scheme (the simplest correct one): each convolution whose input has a
 * calibrated range quantises that input with one scale per tensor (u8 when
 * the range is non-negative, e.g. after a ReLU, else symmetric s8) through a
 * oneDNN reorder, runs with s8 weights quantised per output channel, and
 * writes fp32 with per-channel output scales, its fused post-ops (ReLU, sum)
 * applied in fp32.  Everything else stays fp32.  oneDNN 2.x adds the bias to
 * the s32 accumulator before the output scale, so the fp32 bias is
 * pre-multiplied by src_scale * weight_scale[oc].
 *
 * Calibration runs the same optimised graph in fp32 and records min and max
 * of every convolution input just before the convolution executes, so the
 * ranges belong to the tensors the int8 plan quantises. */
#include <dnnl.h>
#include <dnnl_debug.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dnnl_private.h"
#include "tsc_log.h"

struct tsc__nn_int8 {
    int n_vals;
    float *lo, *hi; /* per value of the optimised graph */
    unsigned char *have;
    /* Calibration points: before step obs[i].step, read memory obs[i].mem. */
    struct obs {
        int step, mem, v;
    } * obs;
    int n_obs, cap_obs;
};

tsc__nn_int8 *tsc__nn_int8_new(int n_vals)
{
    tsc__nn_int8 *q = calloc(1, sizeof *q);
    if (!q) return NULL;
    size_t n = (size_t)n_vals + 1;
    q->n_vals = n_vals;
    q->lo = malloc(n * sizeof *q->lo);
    q->hi = malloc(n * sizeof *q->hi);
    q->have = calloc(n, 1);
    if (!q->lo || !q->hi || !q->have) {
        tsc__nn_int8_free(q);
        return NULL;
    }
    return q;
}

void tsc__nn_int8_free(tsc__nn_int8 *q)
{
    if (!q) return;
    free(q->lo);
    free(q->hi);
    free(q->have);
    free(q->obs);
    free(q);
}

int tsc__nn_int8_set(tsc__nn_int8 *q, int v, float lo, float hi)
{
    if (v < 0 || v >= q->n_vals || !(lo <= hi) || !isfinite(lo) || !isfinite(hi)) return -1;
    q->lo[v] = lo;
    q->hi[v] = hi;
    q->have[v] = 1;
    return 0;
}

int tsc__nn_int8_get(const tsc__nn_int8 *q, size_t i, int *v, float *lo, float *hi)
{
    for (int k = 0; k < q->n_vals; k++)
        if (q->have[k] && i-- == 0) {
            *v = k, *lo = q->lo[k], *hi = q->hi[k];
            return 1;
        }
    return 0;
}

size_t tsc__nn_int8_count(const tsc__nn_int8 *q)
{
    size_t n = 0;
    for (int k = 0; k < q->n_vals; k++) n += q->have[k];
    return n;
}

/* ---- calibration -------------------------------------------------------- */

void tsc__dnnl_int8_observe(dstate *S, const tsc__nn_node *n, int mem)
{
    tsc__nn_int8 *q = S->q;
    /* Only what the int8 plan would quantise: Conv inputs of fp32 plans. */
    if (!q || S->conv_dt != dnnl_f32 || S->int8 || n->op != TSC__NN_OP_CONV) return;
    int v = n->in[0];
    if (q->n_obs == q->cap_obs) {
        int nc = q->cap_obs ? 2 * q->cap_obs : 32;
        struct obs *o = realloc(q->obs, (size_t)nc * sizeof *o);
        if (!o) return; /* calibration then misses this input; never fatal */
        q->obs = o, q->cap_obs = nc;
    }
    /* The convolution reading mem is the next step appended. */
    q->obs[q->n_obs++] = (struct obs){S->n_steps, mem, v};
}

void tsc__dnnl_int8_record(dstate *S, int stepi)
{
    tsc__nn_int8 *q = S->q;
    for (int i = 0; i < q->n_obs; i++) {
        if (q->obs[i].step != stepi) continue;
        const float *p = NULL;
        dnnl_memory_get_data_handle(S->mems[q->obs[i].mem].m, (void **)&p);
        /* Blocked layouts pad with zeros, which cannot widen a range that
         * a real zero would not (min <= 0 only if zero is in it anyway for
         * the sign decision, and max |x| is unchanged). */
        size_t n = dnnl_memory_desc_get_size(tsc__dnnl_mem_md(S, q->obs[i].mem)) / sizeof(float);
        float lo = INFINITY, hi = -INFINITY;
        for (size_t k = 0; k < n; k++) {
            lo = p[k] < lo ? p[k] : lo;
            hi = p[k] > hi ? p[k] : hi;
        }
        int v = q->obs[i].v;
        if (!q->have[v]) q->lo[v] = lo, q->hi[v] = hi, q->have[v] = 1;
        if (lo < q->lo[v]) q->lo[v] = lo;
        if (hi > q->hi[v]) q->hi[v] = hi;
    }
}

int tsc__dnnl_int8_available(const tsc_nn_model *m)
{
    if (!tsc_nn_engine_available(TSC_NN_ENGINE_ONEDNN_INT8)) {
        tsc_log(TSC_LOG_WARNING, TSC__NN_DOMAIN,
                "model %s: int8 was asked for, but this CPU (or ONEDNN_MAX_CPU_ISA) does not offer "
                "AVX512_VNNI (oneDNN ISA %s); running in fp32",
                m->g.src_name, dnnl_cpu_isa2str(dnnl_get_effective_cpu_isa()));
        return 0;
    }
    if (!m->int8 || tsc__nn_int8_count(m->int8) == 0) {
        tsc_log(TSC_LOG_WARNING, TSC__NN_DOMAIN,
                "model %s: int8 was asked for, but no activation ranges were given (calibrate "
                "the model first); running in fp32",
                m->g.src_name);
        return 0;
    }
    return 1;
}

/* ---- int8 convolutions --------------------------------------------------- */

/* How a value with range [lo, hi] is quantised: u8 when it is never
 * negative, else s8, and int8 = round(x * scale); 0 when the range is empty. */
static float quant_scale(const tsc__nn_int8 *q, int v, dnnl_data_type_t *dt)
{
    float lo = q->lo[v], hi = q->hi[v];
    float amax = fmaxf(fabsf(lo), fabsf(hi));
    if (!q->have[v] || !(amax > 0)) return 0;
    *dt = lo >= 0 ? dnnl_u8 : dnnl_s8;
    return (lo >= 0 ? 255.f : 127.f) / amax;
}

/* Whether Conv node n reads its input quantised: int8 mode, a range for
 * the input, weights known at load. */
static int runs_int8(const dstate *S, const tsc__nn_node *n)
{
    dnnl_data_type_t dt;
    /* Conv only: ConvTranspose weights keep the output channel inner. */
    return S->int8 && S->q && n->op == TSC__NN_OP_CONV && S->g->vals[n->in[1]].data &&
           quant_scale(S->q, n->in[0], &dt) > 0;
}

int tsc__dnnl_int8_conv_begin(dstate *S, const tsc__nn_node *n, tsc__int8_conv *c)
{
    memset(c, 0, sizeof *c);
    const tsc__nn_value *w = &S->g->vals[n->in[1]];
    if (!runs_int8(S, n)) return 0;
    int64_t M = w->dims[0], per = w->numel / M;
    c->wscale = malloc((size_t)M * sizeof *c->wscale);
    c->oscale = malloc((size_t)M * sizeof *c->oscale);
    c->wq = malloc((size_t)w->numel);
    if (!c->wscale || !c->oscale || !c->wq) {
        tsc__dnnl_int8_conv_end(c);
        return 0;
    }
    c->src_scale = quant_scale(S->q, n->in[0], &c->src_dt);
    c->M = M;
    const float *W = w->data;
    for (int64_t m = 0; m < M; m++) {
        float wmax = 0;
        for (int64_t k = 0; k < per; k++) wmax = fmaxf(wmax, fabsf(W[m * per + k]));
        float s = wmax > 0 ? 127.f / wmax : 1.f;
        c->wscale[m] = s;
        c->oscale[m] = 1.f / (c->src_scale * s);
        for (int64_t k = 0; k < per; k++) {
            float r = nearbyintf(W[m * per + k] * s);
            c->wq[m * per + k] = (int8_t)(r > 127.f ? 127.f : r < -127.f ? -127.f : r);
        }
    }
    return 1;
}

void tsc__dnnl_int8_conv_end(tsc__int8_conv *c)
{
    free(c->wscale);
    free(c->oscale);
    free(c->wq);
    memset(c, 0, sizeof *c);
}

tsc_status tsc__dnnl_int8_conv_attr(dstate *S, const tsc__int8_conv *c, dnnl_primitive_attr_t attr)
{
    /* Output channels are axis 1 of the destination, groups or not. */
    CHECK_DNNL(dnnl_primitive_attr_set_output_scales(attr, c->M, 1 << 1, c->oscale),
               "set int8 output scales");
    return TSC_OK;
}

int tsc__dnnl_int8_dst(dstate *S, const tsc__nn_node *n, dnnl_data_type_t *dt, float *scale)
{
    int y = n->out[0];
    if (!S->int8 || !S->q || n->n_out != 1 || y < 0 || n->sum_with >= 0 ||
        S->g->vals[y].is_output || !(*scale = quant_scale(S->q, y, dt)))
        return 0;
    int readers = 0;
    for (int i = 0; i < S->g->n_nodes; i++) {
        const tsc__nn_node *u = &S->g->nodes[i];
        if (u->dead) continue;
        if (u->sum_with == y) return 0;
        for (int k = 0; k < u->n_in; k++)
            if (u->in[k] == y) {
                if (k != 0 || !runs_int8(S, u)) return 0;
                readers++;
            }
    }
    return readers > 0;
}

int tsc__dnnl_int8_quantised(dstate *S, int v)
{
    int m = S->vmem[v];
    if (m < 0) return 0;
    dnnl_data_type_t dt = tsc__dnnl_mem_dt(S, m);
    return dt == dnnl_u8 || dt == dnnl_s8;
}

tsc_status tsc__dnnl_int8_conv_src(dstate *S, const tsc__int8_conv *c, int v,
                                   const dnnl_memory_desc_t *md, int *out)
{
    /* Written quantised by its producer (tsc__dnnl_int8_dst), with this
     * very scale: at most a change of layout. */
    if (tsc__dnnl_int8_quantised(S, v)) return tsc__dnnl_value_as(S, v, md, out);
    int m;
    tsc_status st = tsc__dnnl_value_mem(S, v, &m);
    if (st != TSC_OK) return st;
    int dst = tsc__dnnl_new_act_mem(S, md);
    if (dst < 0) return tsc__dnnl_nomem(S);
    dnnl_primitive_attr_t attr = NULL;
    CHECK_DNNL(dnnl_primitive_attr_clone(&attr, S->attr), "create attributes");
    dnnl_status_t s = dnnl_primitive_attr_set_output_scales(attr, 1, 0, &c->src_scale);
    dnnl_primitive_desc_t pd = NULL;
    if (s == dnnl_success)
        s = dnnl_reorder_primitive_desc_create(&pd, tsc__dnnl_mem_md(S, m), S->eng, md, S->eng,
                                               attr);
    dnnl_primitive_attr_destroy(attr);
    CHECK_DNNL(s, "create a quantising reorder");
    S->n_quantise_steps++;
    const bind in[] = {{DNNL_ARG_FROM, m}};
    return tsc__dnnl_emit(S, pd, "quantise to int8", in, 1, dst, out);
}

tsc_status tsc__dnnl_int8_conv_weights(dstate *S, const tsc__int8_conv *c,
                                       const dnnl_memory_desc_t *f32_md,
                                       const dnnl_memory_desc_t *md, int *out)
{
    /* The same strides over the quantised bytes; the reorder adds the s8
     * source compensation oneDNN's weights layout may ask for. */
    dnnl_memory_desc_t s8_md = *f32_md;
    s8_md.data_type = dnnl_s8;
    return tsc__dnnl_const_mem(S, (const float *)(const void *)c->wq, &s8_md, md, out);
}

tsc_status tsc__dnnl_int8_conv_bias(dstate *S, const tsc__int8_conv *c, const float *b, int *out)
{
    float *bq = malloc((size_t)c->M * sizeof *bq);
    if (!bq) return tsc__dnnl_nomem(S);
    for (int64_t m = 0; m < c->M; m++) bq[m] = b[m] * c->src_scale * c->wscale[m];
    dnnl_memory_desc_t md;
    tsc__dnnl_plain_md(&md, 1, &c->M);
    tsc_status st = tsc__dnnl_const_mem(S, bq, &md, &md, out);
    free(bq);
    return st;
}
