/* SPDX-License-Identifier: BSD-3-Clause */
/* The oneDNN engine: lowers the optimised graph to a fixed list of steps.
 *
 * Everything is decided at load time: primitives are created once, weights
 * are reordered once into the layouts oneDNN picked (format_tag any), every
 * activation gets a slot in one arena planned from value lifetimes, and all
 * primitives share one user-mode scratchpad.  Activations keep the blocked
 * layouts their producers chose; reorders are inserted only where a consumer
 * needs another layout (graph inputs and outputs, reshapes, matmuls).  A run
 * only binds the caller's buffers and executes the steps. */
#include <dnnl.h>
#include <dnnl_debug.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnnl_private.h"
#include "tsc_log.h"

tsc_status tsc__dnnl_fail(dstate *S, dnnl_status_t s, const char *what)
{
    const tsc__nn_graph *g = S->g;
    if (s == dnnl_unimplemented && S->cur)
        return tsc_error_set(S->err, TSC_EUNSUPPORTED,
                             "model %s: " TSC__NN_NODE_FMT
                             ": oneDNN has no implementation for this configuration (%s)",
                             g->src_name, TSC__NN_NODE_ARGS(S->cur), what);
    if (S->cur)
        return tsc_error_set(S->err, s == dnnl_out_of_memory ? TSC_ENOMEM : TSC_EINTERNAL,
                             "model %s: " TSC__NN_NODE_FMT ": oneDNN failed to %s (%s)",
                             g->src_name, TSC__NN_NODE_ARGS(S->cur), what, dnnl_status2str(s));
    return tsc_error_set(S->err, s == dnnl_out_of_memory ? TSC_ENOMEM : TSC_EINTERNAL,
                         "model %s: oneDNN failed to %s (%s)", g->src_name, what,
                         dnnl_status2str(s));
}

tsc_status tsc__dnnl_nomem(dstate *S)
{
    return tsc_error_set(S->err, TSC_ENOMEM, "model %s: out of memory preparing the engine",
                         S->g->src_name);
}

static int grow(void **p, int *cap, int n, size_t elem)
{
    if (n < *cap) return 0;
    int nc = *cap ? 2 * *cap : 64;
    void *q = realloc(*p, (size_t)nc * elem);
    if (!q) return -1;
    *p = q;
    *cap = nc;
    return 0;
}

/* ---- memory descriptors ------------------------------------------------ */

void tsc__dnnl_plain_md(dnnl_memory_desc_t *md, int rank, const int64_t *dims)
{
    dnnl_dims_t d, st;
    if (rank == 0) {
        d[0] = 1;
        rank = 1;
    } else {
        for (int i = 0; i < rank; i++) d[i] = dims[i];
    }
    int64_t s = 1;
    for (int i = rank - 1; i >= 0; i--) st[i] = s, s *= d[i];
    dnnl_memory_desc_init_by_strides(md, rank, d, dnnl_f32, st);
}

void tsc__dnnl_any_md(dnnl_memory_desc_t *md, int rank, const int64_t *dims, dnnl_data_type_t dt)
{
    dnnl_dims_t d;
    for (int i = 0; i < rank; i++) d[i] = dims[i];
    dnnl_memory_desc_init_by_tag(md, rank, d, dt, dnnl_format_tag_any);
}

/* ---- memories, buffers, steps ----------------------------------------- */

int tsc__dnnl_new_mem(dstate *S, const dnnl_memory_desc_t *md, int buf, void *handle)
{
    if (grow((void **)&S->mems, &S->cap_mems, S->n_mems, sizeof *S->mems) < 0) return -1;
    dnnl_memory_t m;
    void *h = buf == BUF_OWNED ? DNNL_MEMORY_ALLOCATE : buf == BUF_BORROWED ? handle : DNNL_MEMORY_NONE;
    if (dnnl_memory_create(&m, md, S->eng, h) != dnnl_success) return -1;
    S->mems[S->n_mems] = (mem_ref){m, buf};
    return S->n_mems++;
}

const dnnl_memory_desc_t *tsc__dnnl_mem_md(dstate *S, int id)
{
    const dnnl_memory_desc_t *md = NULL;
    dnnl_memory_get_memory_desc(S->mems[id].m, &md);
    return md;
}

dnnl_data_type_t tsc__dnnl_mem_dt(dstate *S, int id)
{
    return tsc__dnnl_mem_md(S, id)->data_type;
}

static int new_buf(dstate *S, size_t size)
{
    if (grow((void **)&S->bufs, &S->cap_bufs, S->n_bufs, sizeof *S->bufs) < 0) return -1;
    S->bufs[S->n_bufs] = (arena_buf){(size + 63) & ~(size_t)63, 0, -1, -1};
    return S->n_bufs++;
}

/* A memory for `md` in a fresh arena buffer. */
int tsc__dnnl_new_act_mem(dstate *S, const dnnl_memory_desc_t *md)
{
    int b = new_buf(S, dnnl_memory_desc_get_size(md));
    return b < 0 ? -1 : tsc__dnnl_new_mem(S, md, b, NULL);
}

/* Another view (md) of the same data as mem `id`. */
int tsc__dnnl_alias_mem(dstate *S, int id, const dnnl_memory_desc_t *md)
{
    int buf = S->mems[id].buf;
    void *h = NULL;
    if (buf == BUF_OWNED || buf == BUF_BORROWED) {
        dnnl_memory_get_data_handle(S->mems[id].m, &h);
        buf = BUF_BORROWED;
    }
    return tsc__dnnl_new_mem(S, md, buf, h);
}

void tsc__dnnl_touch(dstate *S, int mem, int stepi)
{
    int b = S->mems[mem].buf;
    if (b < 0) return;
    if (S->bufs[b].first < 0) S->bufs[b].first = stepi;
    if (stepi > S->bufs[b].last) S->bufs[b].last = stepi;
}

step *tsc__dnnl_add_step(dstate *S, int kind)
{
    if (grow((void **)&S->steps, &S->cap_steps, S->n_steps, sizeof *S->steps) < 0) return NULL;
    step *st = &S->steps[S->n_steps++];
    memset(st, 0, sizeof *st);
    st->kind = kind;
    st->node = S->cur ? S->cur->name : "(graph outputs)";
    return st;
}

static void step_arg(dstate *S, step *st, int arg, int mem)
{
    st->args[st->nargs] = (dnnl_exec_arg_t){arg, S->mems[mem].m};
    st->arg_mem[st->nargs++] = mem;
    tsc__dnnl_touch(S, mem, (int)(st - S->steps));
}

/* Creates the primitive for pd and a step with a scratchpad if it needs one. */
static tsc_status prim_step(dstate *S, dnnl_primitive_desc_t pd, step **out, const char *what)
{
    step *st = tsc__dnnl_add_step(S, STEP_PRIM);
    if (!st) return tsc__dnnl_nomem(S);
    CHECK_DNNL(dnnl_primitive_create(&st->prim, pd), what);
    const dnnl_memory_desc_t *smd = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    if (smd && dnnl_memory_desc_get_size(smd) > 0) {
        size_t sz = dnnl_memory_desc_get_size(smd);
        if (sz > S->scratch_size) S->scratch_size = sz;
        int m = tsc__dnnl_new_mem(S, smd, BUF_SCRATCH, NULL);
        if (m < 0) return tsc__dnnl_nomem(S);
        step_arg(S, st, DNNL_ARG_SCRATCHPAD, m);
    }
    const char *impl = NULL;
    dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
    tsc_log(TSC_LOG_DEBUG, TSC__NN_DOMAIN, "%s: %s -> %s", st->node, what, impl ? impl : "?");
    S->n_prims++;
    *out = st;
    return TSC_OK;
}

/* The primitive descriptor for the operation descriptor `desc`, whose init
 * returned `s`; `attr` is destroyed here unless it is the shared S->attr. */
tsc_status tsc__dnnl_make_pd(dstate *S, dnnl_status_t s, const void *desc,
                             dnnl_primitive_attr_t attr, dnnl_primitive_desc_t *pd,
                             const char *what)
{
    *pd = NULL;
    if (s == dnnl_success) s = dnnl_primitive_desc_create(pd, desc, attr, S->eng, NULL);
    if (attr != S->attr) dnnl_primitive_attr_destroy(attr);
    return s == dnnl_success ? TSC_OK : tsc__dnnl_fail(S, s, what);
}

/* The step running pd (destroyed here) on the inputs `in`, writing into
 * memory `dst` (NEW_DST: a new arena memory in the layout pd chose); *out
 * gets the destination's memory. */
tsc_status tsc__dnnl_emit(dstate *S, dnnl_primitive_desc_t pd, const char *what, const bind *in,
                          int n_in, int dst, int *out)
{
    if (dst == NEW_DST)
        dst = tsc__dnnl_new_act_mem(S, dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0));
    step *stp = NULL;
    tsc_status st = dst < 0 ? tsc__dnnl_nomem(S) : prim_step(S, pd, &stp, what);
    dnnl_primitive_desc_destroy(pd);
    if (st != TSC_OK) return st;
    for (int i = 0; i < n_in; i++) step_arg(S, stp, in[i].arg, in[i].mem);
    step_arg(S, stp, DNNL_ARG_DST, dst);
    *out = dst;
    return TSC_OK;
}

/* Owned memory with `md` holding the value's constant data (reordered from
 * its plain layout, or from `src_md` describing the constant's bytes). */
tsc_status tsc__dnnl_const_mem(dstate *S, const float *data, const dnnl_memory_desc_t *src_md,
                               const dnnl_memory_desc_t *md, int *out)
{
    int dst = tsc__dnnl_new_mem(S, md, BUF_OWNED, NULL);
    if (dst < 0) return tsc__dnnl_nomem(S);
    S->weight_bytes += dnnl_memory_desc_get_size(md);
    dnnl_memory_t src;
    CHECK_DNNL(dnnl_memory_create(&src, src_md, S->eng, (void *)data), "wrap a constant");
    dnnl_primitive_desc_t pd;
    dnnl_status_t s = dnnl_reorder_primitive_desc_create(&pd, src_md, S->eng, md, S->eng, NULL);
    if (s != dnnl_success) {
        dnnl_memory_destroy(src);
        return tsc__dnnl_fail(S, s, "reorder weights");
    }
    dnnl_primitive_t p;
    s = dnnl_primitive_create(&p, pd);
    dnnl_primitive_desc_destroy(pd);
    if (s == dnnl_success) {
        dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, S->mems[dst].m}};
        s = dnnl_primitive_execute(p, S->stream, 2, args);
        if (s == dnnl_success) s = dnnl_stream_wait(S->stream);
        dnnl_primitive_destroy(p);
    }
    dnnl_memory_destroy(src);
    if (s != dnnl_success) return tsc__dnnl_fail(S, s, "reorder weights");
    *out = dst;
    return TSC_OK;
}

/* The memory currently holding value v (constants materialise lazily). */
tsc_status tsc__dnnl_value_mem(dstate *S, int v, int *out)
{
    if (S->vmem[v] >= 0) {
        *out = S->vmem[v];
        return TSC_OK;
    }
    const tsc__nn_value *val = &S->g->vals[v];
    if (val->kind != TSC__NN_VAL_CONST || val->dtype != TSC__NN_F32)
        return tsc_error_set(S->err, TSC_EINTERNAL, "model %s: value '%s' has no producer",
                             S->g->src_name, val->name);
    dnnl_memory_desc_t md;
    tsc__dnnl_plain_md(&md, val->rank, val->dims);
    tsc_status st = tsc__dnnl_const_mem(S, val->data, &md, &md, out);
    if (st == TSC_OK) S->vmem[v] = *out;
    return st;
}

tsc_status tsc__dnnl_reorder_into(dstate *S, int src, int dst, const char *what)
{
    dnnl_primitive_desc_t pd;
    CHECK_DNNL(dnnl_reorder_primitive_desc_create(&pd, tsc__dnnl_mem_md(S, src), S->eng,
                                                  tsc__dnnl_mem_md(S, dst), S->eng, S->attr),
               what);
    const bind in[] = {{DNNL_ARG_FROM, src}};
    tsc_status st = tsc__dnnl_emit(S, pd, what, in, 1, dst, &dst);
    if (st == TSC_OK) S->n_reorder_steps++;
    return st;
}

/* Value v in layout `md`: its own memory when the layouts agree, else a
 * (cached) reordered copy in the arena. */
tsc_status tsc__dnnl_value_as(dstate *S, int v, const dnnl_memory_desc_t *md, int *out)
{
    int m;
    tsc_status st = tsc__dnnl_value_mem(S, v, &m);
    if (st != TSC_OK) return st;
    if (dnnl_memory_desc_equal(tsc__dnnl_mem_md(S, m), md)) {
        *out = m;
        return TSC_OK;
    }
    for (int i = 0; i < S->n_reorders; i++)
        if (S->reorders[i].v == v &&
            dnnl_memory_desc_equal(tsc__dnnl_mem_md(S, S->reorders[i].mem), md)) {
            *out = S->reorders[i].mem;
            return TSC_OK;
        }
    int r;
    if (S->mems[m].buf == BUF_OWNED || S->mems[m].buf == BUF_BORROWED) {
        /* Constants are converted once, at load. */
        void *h;
        dnnl_memory_get_data_handle(S->mems[m].m, &h);
        if ((st = tsc__dnnl_const_mem(S, h, tsc__dnnl_mem_md(S, m), md, &r)) != TSC_OK) return st;
    } else {
        if ((r = tsc__dnnl_new_act_mem(S, md)) < 0) return tsc__dnnl_nomem(S);
        if ((st = tsc__dnnl_reorder_into(S, m, r, "reorder an activation")) != TSC_OK) return st;
    }
    if (grow((void **)&S->reorders, &S->cap_reorders, S->n_reorders, sizeof *S->reorders) < 0)
        return tsc__dnnl_nomem(S);
    S->reorders[S->n_reorders++] = (reorder_entry){v, r};
    *out = r;
    return TSC_OK;
}

tsc_status tsc__dnnl_value_plain(dstate *S, int v, int *out)
{
    dnnl_memory_desc_t md;
    tsc__dnnl_plain_md(&md, S->g->vals[v].rank, S->g->vals[v].dims);
    return tsc__dnnl_value_as(S, v, &md, out);
}

tsc_status tsc__dnnl_value_typed(dstate *S, int v, dnnl_data_type_t dt, int *out)
{
    int m = -1;
    tsc_status st = tsc__dnnl_value_mem(S, v, &m);
    if (st != TSC_OK || tsc__dnnl_mem_dt(S, m) == dt) {
        *out = m;
        return st;
    }
    /* Blocked strides count elements, so the same desc with another type
     * describes the same layout. */
    dnnl_memory_desc_t md = *tsc__dnnl_mem_md(S, m);
    md.data_type = dt;
    return tsc__dnnl_value_as(S, v, &md, out);
}

tsc_status tsc__dnnl_set_output(dstate *S, int v, int mem)
{
    S->vmem[v] = mem;
    return TSC_OK;
}

/* tsc__dnnl_emit() for a node whose destination is its output value. */
tsc_status tsc__dnnl_emit_output(dstate *S, const tsc__nn_node *n, dnnl_primitive_desc_t pd,
                                 const char *what, const bind *in, int n_in, int dst)
{
    tsc_status st = tsc__dnnl_emit(S, pd, what, in, n_in, dst, &dst);
    return st == TSC_OK ? tsc__dnnl_set_output(S, n->out[0], dst) : st;
}

/* ---- post-ops ----------------------------------------------------------- */

static tsc_status append_act(dstate *S, dnnl_post_ops_t po, tsc__nn_act act, float alpha, float beta)
{
    dnnl_status_t s;
    switch (act) {
    case TSC__NN_ACT_RELU: s = dnnl_post_ops_append_eltwise(po, 1.f, dnnl_eltwise_relu, alpha, 0); break;
    case TSC__NN_ACT_CLIP: s = dnnl_post_ops_append_eltwise(po, 1.f, dnnl_eltwise_clip, alpha, beta); break;
    case TSC__NN_ACT_SIGMOID: s = dnnl_post_ops_append_eltwise(po, 1.f, dnnl_eltwise_logistic, 0, 0); break;
    case TSC__NN_ACT_HARDSIGMOID:
        s = dnnl_post_ops_append_eltwise(po, 1.f, dnnl_eltwise_linear, alpha, beta);
        if (s == dnnl_success) s = dnnl_post_ops_append_eltwise(po, 1.f, dnnl_eltwise_clip, 0.f, 1.f);
        break;
    case TSC__NN_ACT_HARDSWISH: s = dnnl_post_ops_append_eltwise(po, 1.f, dnnl_eltwise_hardswish, 0, 0); break;
    case TSC__NN_ACT_TANH: s = dnnl_post_ops_append_eltwise(po, 1.f, dnnl_eltwise_tanh, 0, 0); break;
    case TSC__NN_ACT_ELU: s = dnnl_post_ops_append_eltwise(po, 1.f, dnnl_eltwise_elu, alpha, 0); break;
    case TSC__NN_ACT_ABS: s = dnnl_post_ops_append_eltwise(po, 1.f, dnnl_eltwise_abs, 0, 0); break;
    default: s = dnnl_invalid_arguments; break;
    }
    CHECK_DNNL(s, "append a post-op");
    return TSC_OK;
}

/* Attributes: user scratchpad plus the node's fused post-ops. */
tsc_status tsc__dnnl_make_attr(dstate *S, const tsc__nn_node *n, dnnl_primitive_attr_t *out)
{
    return tsc__dnnl_make_attr_scaled(S, n, 0, out);
}

tsc_status tsc__dnnl_make_attr_scaled(dstate *S, const tsc__nn_node *n, float out_scale,
                                      dnnl_primitive_attr_t *out)
{
    dnnl_primitive_attr_t attr = NULL;
    CHECK_DNNL(dnnl_primitive_attr_clone(&attr, S->attr), "create attributes");
    int n_post = n ? n->n_post : 0;
    if (n_post || out_scale) {
        dnnl_post_ops_t po;
        CHECK_DNNL(dnnl_post_ops_create(&po), "create post-ops");
        tsc_status st = TSC_OK;
        for (int i = 0; i < n_post && st == TSC_OK; i++) {
            const tsc__nn_post *p = &n->post[i];
            if (p->is_sum) {
                if (dnnl_post_ops_append_sum(po, 1.f) != dnnl_success)
                    st = tsc__dnnl_fail(S, dnnl_invalid_arguments, "append a sum post-op");
            } else {
                st = append_act(S, po, p->act, p->alpha, p->beta);
            }
        }
        if (st == TSC_OK && out_scale &&
            dnnl_post_ops_append_eltwise(po, 1.f, dnnl_eltwise_linear, out_scale, 0) != dnnl_success)
            st = tsc__dnnl_fail(S, dnnl_invalid_arguments, "append the output's scale");
        dnnl_status_t s = dnnl_primitive_attr_set_post_ops(attr, po);
        dnnl_post_ops_destroy(po);
        if (st == TSC_OK && s != dnnl_success) st = tsc__dnnl_fail(S, s, "set post-ops");
        if (st != TSC_OK) {
            dnnl_primitive_attr_destroy(attr);
            return st;
        }
        S->n_fused += n_post;
    }
    *out = attr;
    return TSC_OK;
}

/* ---- arena planning ---------------------------------------------------- */

typedef struct size_idx {
    size_t size;
    int idx;
} size_idx;

static int cmp_size_desc(const void *pa, const void *pb)
{
    const size_idx *a = pa, *b = pb;
    return a->size < b->size ? 1 : a->size > b->size ? -1 : a->idx - b->idx;
}

/* Greedy best-fit by decreasing size: a buffer may share bytes with any
 * buffer whose lifetime [first, last] (in steps) does not overlap. */
static tsc_status plan_arena(dstate *S)
{
    int nb = S->n_bufs;
    size_idx *ord = malloc(((size_t)nb + 1) * sizeof *ord);
    int *placed = malloc(((size_t)nb + 1) * sizeof *placed);
    if (!ord || !placed) {
        free(ord), free(placed);
        return tsc__dnnl_nomem(S);
    }
    for (int i = 0; i < nb; i++) ord[i] = (size_idx){S->bufs[i].size, i};
    qsort(ord, (size_t)nb, sizeof *ord, cmp_size_desc);
    int np = 0;
    size_t total = 0;
    for (int oi = 0; oi < nb; oi++) {
        arena_buf *b = &S->bufs[ord[oi].idx];
        if (b->first < 0) continue; /* never used */
        size_t off = 0;
        for (int again = 1; again;) {
            again = 0;
            for (int j = 0; j < np; j++) {
                const arena_buf *o = &S->bufs[placed[j]];
                if (o->last < b->first || b->last < o->first) continue;
                if (off < o->offset + o->size && o->offset < off + b->size) {
                    off = o->offset + o->size;
                    again = 1;
                }
            }
        }
        b->offset = off;
        if (off + b->size > total) total = off + b->size;
        placed[np++] = ord[oi].idx;
    }
    free(ord);
    free(placed);
    S->arena_size = total;
    return TSC_OK;
}

/* ---- engine entry points ------------------------------------------------ */

void tsc__nn_dnnl_free(tsc_nn_model *m)
{
    dstate *S = m->exec;
    if (!S) return;
    for (int i = 0; i < S->n_steps; i++) {
        if (S->steps[i].prim) dnnl_primitive_destroy(S->steps[i].prim);
        resize_plan *rz = S->steps[i].rz;
        if (rz)
            for (int ax = 0; ax < 3; ax++) free(rz->i0[ax]), free(rz->i1[ax]), free(rz->w[ax]);
        free(rz);
        free(S->steps[i].fill);
        tsc__dnnl_concat_plan_free(S->steps[i].cat);
    }
    for (int i = 0; i < S->n_mems; i++) dnnl_memory_destroy(S->mems[i].m);
    if (S->attr) dnnl_primitive_attr_destroy(S->attr);
    if (S->stream) dnnl_stream_destroy(S->stream);
    if (S->eng) dnnl_engine_destroy(S->eng);
    free(S->steps);
    free(S->mems);
    free(S->bufs);
    free(S->reorders);
    free(S->vmem);
    free(S->arena);
    free(S->scratch);
    free(S);
    m->exec = NULL;
}

/* bf16 convolutions need avx512_core_bf16 (oneDNN 2.6 has no AVX2 bf16
 * kernels and would emulate or refuse).  oneDNN 2.6 runs u8/s8 convolutions
 * without VNNI too (vpmaddubsw, whose 16-bit intermediate sums can saturate,
 * hence its weight-scale halving); we only use VNNI's exact s32 dot
 * products. */
int tsc_nn_engine_available(tsc_nn_engine engine)
{
    unsigned need = engine == TSC_NN_ENGINE_ONEDNN_BF16   ? (unsigned)dnnl_cpu_isa_avx512_core_bf16
                    : engine == TSC_NN_ENGINE_ONEDNN_INT8 ? (unsigned)dnnl_cpu_isa_avx512_core_vnni
                                                          : 0u;
    return ((unsigned)dnnl_get_effective_cpu_isa() & need) == need;
}

/* Without the ISA the model runs in fp32. */
static void choose_precision(dstate *S, tsc_nn_model *m)
{
    S->conv_dt = dnnl_f32;
    S->q = m->int8;
    if (m->engine == TSC_NN_ENGINE_ONEDNN_INT8) {
        S->int8 = tsc__dnnl_int8_available(m);
        if (!S->int8) m->engine = TSC_NN_ENGINE_ONEDNN;
    }
    if (m->engine != TSC_NN_ENGINE_ONEDNN_BF16) return;
    if (tsc_nn_engine_available(TSC_NN_ENGINE_ONEDNN_BF16)) {
        S->conv_dt = dnnl_bf16;
        return;
    }
    tsc_log(TSC_LOG_WARNING, TSC__NN_DOMAIN,
            "model %s: bf16 was asked for, but this CPU (or ONEDNN_MAX_CPU_ISA) does not offer "
            "AVX512_BF16 (oneDNN ISA %s); running in fp32",
            m->g.src_name, dnnl_cpu_isa2str(dnnl_get_effective_cpu_isa()));
    m->engine = TSC_NN_ENGINE_ONEDNN;
}

static tsc_status prepare(dstate *S, tsc_nn_model *m)
{
    const tsc__nn_graph *g = &m->g;
    choose_precision(S, m);
    CHECK_DNNL(dnnl_engine_create(&S->eng, dnnl_cpu, 0), "create the CPU engine");
    CHECK_DNNL(dnnl_stream_create(&S->stream, S->eng, dnnl_stream_default_flags), "create a stream");
    CHECK_DNNL(dnnl_primitive_attr_create(&S->attr), "create attributes");
    CHECK_DNNL(dnnl_primitive_attr_set_scratchpad_mode(S->attr, dnnl_scratchpad_mode_user),
               "set the scratchpad mode");
    if (!(S->vmem = malloc(((size_t)g->n_vals + 1) * sizeof *S->vmem))) return tsc__dnnl_nomem(S);
    for (int v = 0; v < g->n_vals; v++) S->vmem[v] = -1;
    tsc_status st;
    /* Graph inputs: the caller's plain buffers, bound at run time. */
    for (int i = 0; i < g->n_inputs; i++) {
        const tsc__nn_value *x = &g->vals[g->inputs[i]];
        dnnl_memory_desc_t md;
        tsc__dnnl_plain_md(&md, x->rank, x->dims);
        int mm = tsc__dnnl_new_mem(S, &md, BUF_INPUT - i, NULL);
        if (mm < 0) return tsc__dnnl_nomem(S);
        S->vmem[g->inputs[i]] = mm;
    }
    for (int oi = 0; oi < g->n_nodes; oi++) {
        const tsc__nn_node *n = &g->nodes[g->order[oi]];
        if (n->dead) continue;
        S->cur = n;
        if ((st = tsc__dnnl_lower_node(S, n)) != TSC_OK) return st;
    }
    S->cur = NULL;
    for (int i = 0; i < g->n_outputs; i++) {
        const tsc__nn_value *y = &g->vals[g->outputs[i]];
        dnnl_memory_desc_t md;
        tsc__dnnl_plain_md(&md, y->rank, y->dims);
        int src, dst = tsc__dnnl_new_mem(S, &md, BUF_OUTPUT - i, NULL);
        if (dst < 0) return tsc__dnnl_nomem(S);
        if ((st = tsc__dnnl_value_mem(S, g->outputs[i], &src)) != TSC_OK) return st;
        if ((st = tsc__dnnl_reorder_into(S, src, dst, "copy an output")) != TSC_OK) return st;
    }
    if ((st = plan_arena(S)) != TSC_OK) return st;
    if (S->arena_size > g->params.max_activation_bytes ||
        S->scratch_size > g->params.max_activation_bytes - S->arena_size)
        return tsc_error_set(S->err, TSC_ELIMIT,
                             "model %s: activations need %zu bytes plus %zu bytes of scratch, "
                             "more than the limit of %zu bytes",
                             g->src_name, S->arena_size, S->scratch_size,
                             g->params.max_activation_bytes);
    if (S->arena_size && posix_memalign(&S->arena, 64, S->arena_size)) {
        S->arena = NULL;
        return tsc__dnnl_nomem(S);
    }
    if (S->scratch_size && posix_memalign(&S->scratch, 64, S->scratch_size)) {
        S->scratch = NULL;
        return tsc__dnnl_nomem(S);
    }
    for (int i = 0; i < S->n_mems; i++) {
        int b = S->mems[i].buf;
        if (b >= 0)
            dnnl_memory_set_data_handle(S->mems[i].m, (char *)S->arena + S->bufs[b].offset);
        else if (b == BUF_SCRATCH)
            dnnl_memory_set_data_handle(S->mems[i].m, S->scratch);
    }
    return TSC_OK;
}

tsc_status tsc__nn_dnnl_prepare(tsc_nn_model *m, tsc_error *err)
{
    dstate *S = calloc(1, sizeof *S);
    if (!S) return tsc_error_set(err, TSC_ENOMEM, "out of memory");
    S->g = &m->g;
    S->err = err;
    m->exec = S;
    /* oneDNN sizes its kernels' work split by the thread count at creation. */
    int prev = omp_get_max_threads();
    omp_set_num_threads(m->n_threads);
    tsc_status st = prepare(S, m);
    omp_set_num_threads(prev);
    S->err = NULL;
    if (st != TSC_OK) return st;
    size_t used = 0;
    for (int i = 0; i < S->n_bufs; i++) used += S->bufs[i].size;
    snprintf(
        m->summary, sizeof m->summary,
        "oneDNN %d.%d.%d: %d steps (%d primitives, %d reorders), %d fused post-ops, "
        "arena %.1f MiB (unshared %.1f MiB), scratch %.1f MiB, weights %.1f MiB, %d threads, %s",
        dnnl_version()->major, dnnl_version()->minor, dnnl_version()->patch, S->n_steps, S->n_prims,
        S->n_reorder_steps, S->n_fused, S->arena_size / 1048576.0, used / 1048576.0,
        S->scratch_size / 1048576.0, S->weight_bytes / 1048576.0, m->n_threads,
        tsc_nn_model_get_precision(m));
    if (S->int8) {
        size_t len = strlen(m->summary);
        snprintf(m->summary + len, sizeof m->summary - len,
                 " (%d convolutions, %d quantising reorders)", S->n_int8_convs,
                 S->n_quantise_steps);
    }
    return TSC_OK;
}

tsc_status tsc__nn_dnnl_run(tsc_nn_model *m, const float *const *inputs, float *const *outputs,
                            tsc_error *err)
{
    dstate *S = m->exec;
    for (int i = 0; i < S->n_mems; i++) {
        int b = S->mems[i].buf;
        if (b <= BUF_OUTPUT)
            dnnl_memory_set_data_handle(S->mems[i].m, outputs[BUF_OUTPUT - b]);
        else if (b <= BUF_INPUT)
            dnnl_memory_set_data_handle(S->mems[i].m, (void *)inputs[BUF_INPUT - b]);
    }
    int prev = omp_get_max_threads();
    omp_set_num_threads(m->n_threads);
    tsc_status st = TSC_OK;
    for (int i = 0; i < S->n_steps && st == TSC_OK; i++) {
        step *sp = &S->steps[i];
        if (m->calibrating) tsc__dnnl_int8_record(S, i);
        if (sp->kind == STEP_PRIM) {
            dnnl_status_t s = dnnl_primitive_execute(sp->prim, S->stream, sp->nargs, sp->args);
            if (s != dnnl_success)
                st = tsc_error_set(err, TSC_EINTERNAL,
                                   "model %s: node '%s': oneDNN failed to execute (%s)",
                                   m->g.src_name, sp->node, dnnl_status2str(s));
        } else if (sp->kind == STEP_RESIZE) {
            void *src, *dst;
            dnnl_memory_get_data_handle(S->mems[sp->rz->src].m, &src);
            dnnl_memory_get_data_handle(S->mems[sp->rz->dst].m, &dst);
            tsc__dnnl_run_resize(sp->rz, src, dst);
        } else if (sp->kind == STEP_CONCAT) {
            tsc__dnnl_run_concat(S, sp->cat);
        } else {
            float *dst;
            dnnl_memory_get_data_handle(S->mems[sp->fill->dst].m, (void **)&dst);
            for (size_t k = 0; k < sp->fill->count; k++) dst[k] = sp->fill->value;
        }
    }
    dnnl_stream_wait(S->stream);
    omp_set_num_threads(prev);
    return st;
}
