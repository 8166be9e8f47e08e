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

#include "nn_private.h"
#include "tsc_log.h"

/* Where a memory object's data lives. */
enum {
    BUF_OWNED = -1,    /* allocated by oneDNN (weights, constants) */
    BUF_SCRATCH = -2,  /* the shared scratchpad */
    BUF_BORROWED = -3, /* a view of an owned memory, handle fixed at load */
    BUF_INPUT = -100,  /* BUF_INPUT - i: the caller's input i */
    BUF_OUTPUT = -100000 /* BUF_OUTPUT - i: the caller's output i */
};

typedef struct mem_ref {
    dnnl_memory_t m;
    int buf;
} mem_ref;

typedef struct arena_buf {
    size_t size, offset;
    int first, last;
} arena_buf;

typedef struct resize_plan {
    int src, dst; /* mem ids */
    int64_t outer, blk; /* N * channel blocks, channels per block (1 for plain) */
    int64_t in[3], out[3];
    int64_t *i0[3], *i1[3];
    float *w[3];
    int linear;
} resize_plan;

typedef struct fill_plan {
    int dst;
    size_t count;
    float value;
} fill_plan;

enum { STEP_PRIM, STEP_RESIZE, STEP_FILL };

typedef struct step {
    int kind;
    const char *node; /* for messages */
    dnnl_primitive_t prim;
    int nargs;
    dnnl_exec_arg_t args[12];
    int arg_mem[12];
    resize_plan *rz;
    fill_plan *fill;
} step;

typedef struct reorder_entry {
    int v;
    int mem;
} reorder_entry;

typedef struct dstate {
    dnnl_engine_t eng;
    dnnl_stream_t stream;
    dnnl_primitive_attr_t attr; /* scratchpad mode user */
    mem_ref *mems;
    int n_mems, cap_mems;
    arena_buf *bufs;
    int n_bufs, cap_bufs;
    step *steps;
    int n_steps, cap_steps;
    reorder_entry *reorders;
    int n_reorders, cap_reorders;
    int *vmem; /* value -> mem id (-1 none yet) */
    void *arena, *scratch;
    size_t arena_size, scratch_size, weight_bytes;
    int n_prims, n_reorder_steps, n_fused;
    const tsc__nn_graph *g;
    const tsc__nn_node *cur; /* node being lowered, for messages */
    tsc_error *err;
} dstate;

#define CHECK_DNNL(call, what)                                                         \
    do {                                                                               \
        dnnl_status_t s_ = (call);                                                     \
        if (s_ != dnnl_success) return dnnl_fail(S, s_, what);                         \
    } while (0)

static tsc_status dnnl_fail(dstate *S, dnnl_status_t s, const char *what)
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

static tsc_status nomem(dstate *S)
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

static void plain_md(dnnl_memory_desc_t *md, int rank, const int64_t *dims)
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

static void any_md(dnnl_memory_desc_t *md, int rank, const int64_t *dims)
{
    dnnl_dims_t d;
    for (int i = 0; i < rank; i++) d[i] = dims[i];
    dnnl_memory_desc_init_by_tag(md, rank, d, dnnl_f32, dnnl_format_tag_any);
}

/* ---- memories, buffers, steps ----------------------------------------- */

static int new_mem(dstate *S, const dnnl_memory_desc_t *md, int buf, void *handle)
{
    if (grow((void **)&S->mems, &S->cap_mems, S->n_mems, sizeof *S->mems) < 0) return -1;
    dnnl_memory_t m;
    void *h = buf == BUF_OWNED ? DNNL_MEMORY_ALLOCATE : buf == BUF_BORROWED ? handle : DNNL_MEMORY_NONE;
    if (dnnl_memory_create(&m, md, S->eng, h) != dnnl_success) return -1;
    S->mems[S->n_mems] = (mem_ref){m, buf};
    return S->n_mems++;
}

static const dnnl_memory_desc_t *mem_md(dstate *S, int id)
{
    const dnnl_memory_desc_t *md = NULL;
    dnnl_memory_get_memory_desc(S->mems[id].m, &md);
    return md;
}

static int new_buf(dstate *S, size_t size)
{
    if (grow((void **)&S->bufs, &S->cap_bufs, S->n_bufs, sizeof *S->bufs) < 0) return -1;
    S->bufs[S->n_bufs] = (arena_buf){(size + 63) & ~(size_t)63, 0, -1, -1};
    return S->n_bufs++;
}

/* A memory for `md` in a fresh arena buffer. */
static int new_act_mem(dstate *S, const dnnl_memory_desc_t *md)
{
    int b = new_buf(S, dnnl_memory_desc_get_size(md));
    return b < 0 ? -1 : new_mem(S, md, b, NULL);
}

/* Another view (md) of the same data as mem `id`. */
static int alias_mem(dstate *S, int id, const dnnl_memory_desc_t *md)
{
    int buf = S->mems[id].buf;
    void *h = NULL;
    if (buf == BUF_OWNED || buf == BUF_BORROWED) {
        dnnl_memory_get_data_handle(S->mems[id].m, &h);
        buf = BUF_BORROWED;
    }
    return new_mem(S, md, buf, h);
}

static void touch(dstate *S, int mem, int stepi)
{
    int b = S->mems[mem].buf;
    if (b < 0) return;
    if (S->bufs[b].first < 0) S->bufs[b].first = stepi;
    if (stepi > S->bufs[b].last) S->bufs[b].last = stepi;
}

static step *add_step(dstate *S, int kind)
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
    touch(S, mem, (int)(st - S->steps));
}

/* Creates the primitive for pd and a step with a scratchpad if it needs one. */
static tsc_status prim_step(dstate *S, dnnl_primitive_desc_t pd, step **out, const char *what)
{
    step *st = add_step(S, STEP_PRIM);
    if (!st) return nomem(S);
    CHECK_DNNL(dnnl_primitive_create(&st->prim, pd), what);
    const dnnl_memory_desc_t *smd = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    if (smd && dnnl_memory_desc_get_size(smd) > 0) {
        size_t sz = dnnl_memory_desc_get_size(smd);
        if (sz > S->scratch_size) S->scratch_size = sz;
        int m = new_mem(S, smd, BUF_SCRATCH, NULL);
        if (m < 0) return nomem(S);
        step_arg(S, st, DNNL_ARG_SCRATCHPAD, m);
    }
    const char *impl = NULL;
    dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
    tsc_log(TSC_LOG_DEBUG, TSC__NN_DOMAIN, "%s: %s -> %s", st->node, what, impl ? impl : "?");
    S->n_prims++;
    *out = st;
    return TSC_OK;
}

/* Owned memory with `md` holding the value's constant data (reordered from
 * its plain layout, or from `src_md` describing the constant's bytes). */
static tsc_status const_mem(dstate *S, const float *data, const dnnl_memory_desc_t *src_md,
                            const dnnl_memory_desc_t *md, int *out)
{
    int dst = new_mem(S, md, BUF_OWNED, NULL);
    if (dst < 0) return nomem(S);
    S->weight_bytes += dnnl_memory_desc_get_size(md);
    dnnl_memory_t src;
    CHECK_DNNL(dnnl_memory_create(&src, src_md, S->eng, (void *)data), "wrap a constant");
    dnnl_primitive_desc_t pd;
    dnnl_status_t s = dnnl_reorder_primitive_desc_create(&pd, src_md, S->eng, md, S->eng, NULL);
    if (s != dnnl_success) {
        dnnl_memory_destroy(src);
        return dnnl_fail(S, s, "reorder weights");
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
    if (s != dnnl_success) return dnnl_fail(S, s, "reorder weights");
    *out = dst;
    return TSC_OK;
}

/* The memory currently holding value v (constants materialise lazily). */
static tsc_status value_mem(dstate *S, int v, int *out)
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
    plain_md(&md, val->rank, val->dims);
    tsc_status st = const_mem(S, val->data, &md, &md, out);
    if (st == TSC_OK) S->vmem[v] = *out;
    return st;
}

static tsc_status reorder_into(dstate *S, int src, int dst, const char *what)
{
    dnnl_primitive_desc_t pd;
    CHECK_DNNL(dnnl_reorder_primitive_desc_create(&pd, mem_md(S, src), S->eng, mem_md(S, dst),
                                                  S->eng, S->attr),
               what);
    step *st;
    tsc_status r = prim_step(S, pd, &st, what);
    dnnl_primitive_desc_destroy(pd);
    if (r != TSC_OK) return r;
    step_arg(S, st, DNNL_ARG_FROM, src);
    step_arg(S, st, DNNL_ARG_TO, dst);
    S->n_reorder_steps++;
    return TSC_OK;
}

/* Value v in layout `md`: its own memory when the layouts agree, else a
 * (cached) reordered copy in the arena. */
static tsc_status value_as(dstate *S, int v, const dnnl_memory_desc_t *md, int *out)
{
    int m;
    tsc_status st = value_mem(S, v, &m);
    if (st != TSC_OK) return st;
    if (dnnl_memory_desc_equal(mem_md(S, m), md)) {
        *out = m;
        return TSC_OK;
    }
    for (int i = 0; i < S->n_reorders; i++)
        if (S->reorders[i].v == v && dnnl_memory_desc_equal(mem_md(S, S->reorders[i].mem), md)) {
            *out = S->reorders[i].mem;
            return TSC_OK;
        }
    int r;
    if (S->mems[m].buf == BUF_OWNED || S->mems[m].buf == BUF_BORROWED) {
        /* Constants are converted once, at load. */
        void *h;
        dnnl_memory_get_data_handle(S->mems[m].m, &h);
        if ((st = const_mem(S, h, mem_md(S, m), md, &r)) != TSC_OK) return st;
    } else {
        if ((r = new_act_mem(S, md)) < 0) return nomem(S);
        if ((st = reorder_into(S, m, r, "reorder an activation")) != TSC_OK) return st;
    }
    if (grow((void **)&S->reorders, &S->cap_reorders, S->n_reorders, sizeof *S->reorders) < 0)
        return nomem(S);
    S->reorders[S->n_reorders++] = (reorder_entry){v, r};
    *out = r;
    return TSC_OK;
}

static tsc_status value_plain(dstate *S, int v, int *out)
{
    dnnl_memory_desc_t md;
    plain_md(&md, S->g->vals[v].rank, S->g->vals[v].dims);
    return value_as(S, v, &md, out);
}

static tsc_status set_output(dstate *S, int v, int mem)
{
    S->vmem[v] = mem;
    return TSC_OK;
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
static tsc_status make_attr(dstate *S, const tsc__nn_node *n, dnnl_primitive_attr_t *out)
{
    dnnl_primitive_attr_t attr = NULL;
    CHECK_DNNL(dnnl_primitive_attr_clone(&attr, S->attr), "create attributes");
    if (n && n->n_post) {
        dnnl_post_ops_t po;
        CHECK_DNNL(dnnl_post_ops_create(&po), "create post-ops");
        tsc_status st = TSC_OK;
        for (int i = 0; i < n->n_post && st == TSC_OK; i++) {
            const tsc__nn_post *p = &n->post[i];
            if (p->is_sum) {
                if (dnnl_post_ops_append_sum(po, 1.f) != dnnl_success)
                    st = dnnl_fail(S, dnnl_invalid_arguments, "append a sum post-op");
            } else {
                st = append_act(S, po, p->act, p->alpha, p->beta);
            }
        }
        dnnl_status_t s = dnnl_primitive_attr_set_post_ops(attr, po);
        dnnl_post_ops_destroy(po);
        if (st == TSC_OK && s != dnnl_success) st = dnnl_fail(S, s, "set post-ops");
        if (st != TSC_OK) {
            dnnl_primitive_attr_destroy(attr);
            return st;
        }
        S->n_fused += n->n_post;
    }
    *out = attr;
    return TSC_OK;
}

/* ---- operators ---------------------------------------------------------- */

#define NODE_ERR(status, fmt, ...)                                                         \
    return tsc_error_set(S->err, status, "model %s: " TSC__NN_NODE_FMT ": " fmt,           \
                         S->g->src_name, TSC__NN_NODE_ARGS(n), __VA_ARGS__)

static const tsc__nn_value *V(dstate *S, int v)
{
    return &S->g->vals[v];
}

/* ConvTranspose with kernel == stride and no padding writes disjoint k x k
 * patches: it is a 1x1 convolution to k*k*M channels followed by a
 * depth-to-space shuffle.  oneDNN 2.6's deconvolution runs these shapes at a
 * fraction of the 1x1 (brgemm) convolution's speed. */
static int deconv_is_patchwise(const tsc__nn_node *n, const tsc__nn_value *x)
{
    const tsc__nn_attrs *a = &n->a;
    if (n->op != TSC__NN_OP_CONVT || a->group != 1 || x->rank != 4 || n->sum_with >= 0) return 0;
    for (int i = 0; i < 2; i++)
        if (a->kernel[i] != a->stride[i] || a->kernel[i] < 1 || a->kernel[i] > 8 ||
            a->pad_b[i] || a->pad_e[i] || a->out_pad[i] || a->dilation[i] != 1)
            return 0;
    return 1;
}

static tsc_status lower_deconv_patchwise(dstate *S, const tsc__nn_node *n)
{
    const tsc__nn_value *x = V(S, n->in[0]), *w = V(S, n->in[1]), *y = V(S, n->out[0]);
    int has_b = n->n_in > 2 && n->in[2] >= 0;
    int64_t N = x->dims[0], C = x->dims[1], H = x->dims[2], W = x->dims[3], M = y->dims[1];
    int64_t kh = n->a.kernel[0], kw = n->a.kernel[1], Z = kh * kw * M;
    /* Weights [C, M, kh, kw] -> 1x1 [(i*kw + j)*M + m, C]; bias repeated per patch pixel. */
    float *wz = malloc((size_t)(Z * C) * sizeof *wz), *bz = malloc((size_t)Z * sizeof *bz);
    if (!wz || !bz) {
        free(wz), free(bz);
        return nomem(S);
    }
    const float *W0 = w->data, *B0 = has_b ? V(S, n->in[2])->data : NULL;
    for (int64_t c = 0; c < C; c++)
        for (int64_t m = 0; m < M; m++)
            for (int64_t i = 0; i < kh; i++)
                for (int64_t j = 0; j < kw; j++)
                    wz[((i * kw + j) * M + m) * C + c] = W0[((c * M + m) * kh + i) * kw + j];
    for (int64_t p = 0; p < kh * kw; p++)
        for (int64_t m = 0; m < M; m++) bz[p * M + m] = B0 ? B0[m] : 0.f;
    dnnl_dims_t zd = {N, Z, H, W}, wd = {Z, C, 1, 1}, one = {1, 1}, zero = {0, 0};
    int64_t wdims4[4] = {Z, C, 1, 1};
    dnnl_memory_desc_t src_md, wei_any, wei_plain, bias_md, z_md;
    any_md(&src_md, 4, x->dims);
    dnnl_memory_desc_init_by_tag(&wei_any, 4, wd, dnnl_f32, dnnl_format_tag_any);
    plain_md(&wei_plain, 4, wdims4);
    plain_md(&bias_md, 1, &Z);
    dnnl_memory_desc_init_by_tag(&z_md, 4, zd, dnnl_f32, dnnl_acdb);
    dnnl_primitive_attr_t attr = NULL;
    tsc_status st = make_attr(S, n, &attr);
    dnnl_primitive_desc_t pd = NULL;
    if (st == TSC_OK) {
        dnnl_convolution_desc_t cd;
        dnnl_status_t s = dnnl_dilated_convolution_forward_desc_init(
            &cd, dnnl_forward_inference, dnnl_convolution_direct, &src_md, &wei_any, &bias_md,
            &z_md, one, zero, zero, zero);
        if (s == dnnl_success) s = dnnl_primitive_desc_create(&pd, &cd, attr, S->eng, NULL);
        dnnl_primitive_attr_destroy(attr);
        if (s != dnnl_success) st = dnnl_fail(S, s, "create a 1x1 convolution for a deconvolution");
    }
    int xm = -1, wm = -1, bm = -1, zm = -1;
    if (st == TSC_OK)
        st = value_as(S, n->in[0], dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0), &xm);
    if (st == TSC_OK)
        st = const_mem(S, wz, &wei_plain, dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0), &wm);
    if (st == TSC_OK) st = const_mem(S, bz, &bias_md, &bias_md, &bm);
    free(wz), free(bz);
    if (st == TSC_OK && (zm = new_act_mem(S, &z_md)) < 0) st = nomem(S);
    step *stp = NULL;
    if (st == TSC_OK) st = prim_step(S, pd, &stp, "deconvolution as 1x1 convolution");
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (st != TSC_OK) return st;
    step_arg(S, stp, DNNL_ARG_SRC, xm);
    step_arg(S, stp, DNNL_ARG_WEIGHTS, wm);
    step_arg(S, stp, DNNL_ARG_BIAS, bm);
    step_arg(S, stp, DNNL_ARG_DST, zm);
    /* Shuffle: z[n, h, w, (i, j, m)] -> y[n, h*kh + i, w*kw + j, m], both nhwc,
     * as one reorder between two 6-D views (n, h, i, w, j, m). */
    dnnl_dims_t d6 = {N, H, kh, W, kw, M};
    dnnl_dims_t zs = {H * W * Z, W * Z, kw * M, Z, M, 1};
    dnnl_dims_t ys = {H * kh * W * kw * M, kh * W * kw * M, W * kw * M, kw * M, M, 1};
    dnnl_memory_desc_t z6, y6, y_md;
    dnnl_dims_t yd = {N, M, H * kh, W * kw};
    CHECK_DNNL(dnnl_memory_desc_init_by_strides(&z6, 6, d6, dnnl_f32, zs), "describe a shuffle");
    CHECK_DNNL(dnnl_memory_desc_init_by_strides(&y6, 6, d6, dnnl_f32, ys), "describe a shuffle");
    CHECK_DNNL(dnnl_memory_desc_init_by_tag(&y_md, 4, yd, dnnl_f32, dnnl_acdb), "describe a shuffle");
    int ym = new_act_mem(S, &y_md);
    if (ym < 0) return nomem(S);
    int zv = alias_mem(S, zm, &z6), yv = alias_mem(S, ym, &y6);
    if (zv < 0 || yv < 0) return nomem(S);
    if ((st = reorder_into(S, zv, yv, "depth-to-space")) != TSC_OK) return st;
    S->n_reorder_steps--; /* part of the operator, not a layout change */
    return set_output(S, n->out[0], ym);
}

/* Conv and ConvTranspose (weights reordered once, post-ops, in-place sum). */
static tsc_status lower_conv(dstate *S, const tsc__nn_node *n)
{
    const tsc__nn_value *x = V(S, n->in[0]), *w = V(S, n->in[1]), *y = V(S, n->out[0]);
    int has_b = n->n_in > 2 && n->in[2] >= 0;
    if (w->kind != TSC__NN_VAL_CONST || (has_b && V(S, n->in[2])->kind != TSC__NN_VAL_CONST))
        NODE_ERR(TSC_EUNSUPPORTED, "weights or bias computed at run time are not supported%s", "");
    if (deconv_is_patchwise(n, x)) return lower_deconv_patchwise(S, n);
    const tsc__nn_attrs *a = &n->a;
    int r = x->rank, nsp = r - 2, deconv = n->op == TSC__NN_OP_CONVT;
    int64_t G = a->group, M = y->dims[1], C = x->dims[1];
    dnnl_dims_t strides, dil, pl, pr;
    for (int i = 0; i < nsp; i++) {
        strides[i] = a->stride[i];
        dil[i] = a->dilation[i] - 1;
        pl[i] = a->pad_b[i];
        pr[i] = deconv ? a->pad_e[i] - a->out_pad[i] : a->pad_e[i];
        if (pr[i] < 0)
            NODE_ERR(TSC_EUNSUPPORTED,
                     "output_padding larger than the end padding on axis %d is not supported", i);
    }
    /* Weights: logical dims oneDNN expects, and a view of the ONNX bytes. */
    dnnl_dims_t wd, ws;
    int wr = 0;
    int64_t ksz = 1;
    for (int i = 0; i < nsp; i++) ksz *= a->kernel[i];
    if (G > 1) wd[wr++] = G;
    wd[wr++] = M / G;
    wd[wr++] = C / G;
    for (int i = 0; i < nsp; i++) wd[wr++] = a->kernel[i];
    {
        int64_t s = 1;
        for (int i = wr - 1; i >= wr - nsp; i--) ws[i] = s, s *= wd[i];
        int o = G > 1 ? 1 : 0;
        if (!deconv) {
            ws[o + 1] = ksz;          /* ONNX [M, C/G, k]: ic inner */
            ws[o] = ksz * (C / G);
            if (G > 1) ws[0] = ksz * (C / G) * (M / G);
        } else {
            ws[o] = ksz;              /* ONNX [C, M/G, k]: oc inner */
            ws[o + 1] = ksz * (M / G);
            if (G > 1) ws[0] = ksz * (M / G) * (C / G);
        }
    }
    dnnl_memory_desc_t src_md, wei_any, wei_src, bias_md, dst_md;
    any_md(&src_md, r, x->dims);
    dnnl_memory_desc_init_by_tag(&wei_any, wr, wd, dnnl_f32, dnnl_format_tag_any);
    dnnl_memory_desc_init_by_strides(&wei_src, wr, wd, dnnl_f32, ws);
    plain_md(&bias_md, 1, &M);
    int sum_mem = -1;
    if (n->sum_with >= 0) {
        tsc_status st = value_mem(S, n->sum_with, &sum_mem);
        if (st != TSC_OK) return st;
        if (S->mems[sum_mem].buf < 0) {
            /* Never write into the caller's input: work on a copy. */
            int cp = new_act_mem(S, mem_md(S, sum_mem));
            if (cp < 0) return nomem(S);
            if ((st = reorder_into(S, sum_mem, cp, "copy a residual")) != TSC_OK) return st;
            sum_mem = cp;
        }
        dst_md = *mem_md(S, sum_mem);
    } else {
        any_md(&dst_md, r, y->dims);
    }
    dnnl_primitive_attr_t attr = NULL;
    tsc_status st = make_attr(S, n, &attr);
    if (st != TSC_OK) return st;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_status_t s;
    if (!deconv) {
        dnnl_convolution_desc_t cd;
        s = dnnl_dilated_convolution_forward_desc_init(&cd, dnnl_forward_inference,
                                                       dnnl_convolution_direct, &src_md, &wei_any,
                                                       has_b ? &bias_md : NULL, &dst_md, strides,
                                                       dil, pl, pr);
        if (s == dnnl_success) s = dnnl_primitive_desc_create(&pd, &cd, attr, S->eng, NULL);
    } else {
        dnnl_deconvolution_desc_t dd;
        s = dnnl_dilated_deconvolution_forward_desc_init(&dd, dnnl_forward_inference,
                                                         dnnl_deconvolution_direct, &src_md,
                                                         &wei_any, has_b ? &bias_md : NULL,
                                                         &dst_md, strides, dil, pl, pr);
        if (s == dnnl_success) s = dnnl_primitive_desc_create(&pd, &dd, attr, S->eng, NULL);
    }
    dnnl_primitive_attr_destroy(attr);
    if (s != dnnl_success) return dnnl_fail(S, s, deconv ? "create a deconvolution" : "create a convolution");
    int xm, wm, bm = -1, ym;
    if ((st = value_as(S, n->in[0], dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0), &xm)) != TSC_OK ||
        (st = const_mem(S, w->data, &wei_src, dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0), &wm)) != TSC_OK ||
        (has_b && (st = value_as(S, n->in[2], &bias_md, &bm)) != TSC_OK)) {
        dnnl_primitive_desc_destroy(pd);
        return st;
    }
    if (sum_mem >= 0) {
        ym = sum_mem;
    } else if ((ym = new_act_mem(S, dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0))) < 0) {
        dnnl_primitive_desc_destroy(pd);
        return nomem(S);
    }
    step *stp;
    st = prim_step(S, pd, &stp, deconv ? "deconvolution" : "convolution");
    dnnl_primitive_desc_destroy(pd);
    if (st != TSC_OK) return st;
    step_arg(S, stp, DNNL_ARG_SRC, xm);
    step_arg(S, stp, DNNL_ARG_WEIGHTS, wm);
    if (bm >= 0) step_arg(S, stp, DNNL_ARG_BIAS, bm);
    step_arg(S, stp, DNNL_ARG_DST, ym);
    return set_output(S, n->out[0], ym);
}

static tsc_status lower_bn(dstate *S, const tsc__nn_node *n)
{
    for (int k = 1; k < 5; k++)
        if (V(S, n->in[k])->kind != TSC__NN_VAL_CONST)
            NODE_ERR(TSC_EUNSUPPORTED, "statistics computed at run time are not supported%s", "");
    int xm;
    tsc_status st = value_mem(S, n->in[0], &xm);
    if (st != TSC_OK) return st;
    dnnl_batch_normalization_desc_t bd;
    dnnl_primitive_attr_t attr = NULL;
    if ((st = make_attr(S, NULL, &attr)) != TSC_OK) return st;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_status_t s = dnnl_batch_normalization_forward_desc_init(
        &bd, dnnl_forward_inference, mem_md(S, xm), n->a.epsilon,
        dnnl_use_global_stats | dnnl_use_scale | dnnl_use_shift);
    if (s == dnnl_success) s = dnnl_primitive_desc_create(&pd, &bd, attr, S->eng, NULL);
    dnnl_primitive_attr_destroy(attr);
    if (s != dnnl_success) return dnnl_fail(S, s, "create a batch normalization");
    int pm[4], ym = new_act_mem(S, dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0));
    int64_t C = V(S, n->in[0])->dims[1];
    dnnl_memory_desc_t cmd;
    plain_md(&cmd, 1, &C);
    for (int k = 0; k < 4 && st == TSC_OK; k++) st = value_as(S, n->in[1 + k], &cmd, &pm[k]);
    step *stp = NULL;
    if (st == TSC_OK && ym < 0) st = nomem(S);
    if (st == TSC_OK) st = prim_step(S, pd, &stp, "batch normalization");
    dnnl_primitive_desc_destroy(pd);
    if (st != TSC_OK) return st;
    step_arg(S, stp, DNNL_ARG_SRC, xm);
    step_arg(S, stp, DNNL_ARG_SCALE, pm[0]);
    step_arg(S, stp, DNNL_ARG_SHIFT, pm[1]);
    step_arg(S, stp, DNNL_ARG_MEAN, pm[2]);
    step_arg(S, stp, DNNL_ARG_VARIANCE, pm[3]);
    step_arg(S, stp, DNNL_ARG_DST, ym);
    return set_output(S, n->out[0], ym);
}

static tsc_status lower_act(dstate *S, const tsc__nn_node *n)
{
    int xm;
    tsc_status st = value_mem(S, n->in[0], &xm);
    if (st != TSC_OK) return st;
    /* One eltwise primitive; HardSigmoid is linear followed by a fused clip. */
    dnnl_alg_kind_t alg;
    float alpha = n->a.alpha, beta = n->a.beta;
    tsc__nn_node tmp = *n;
    tmp.n_post = 0;
    switch (n->act) {
    case TSC__NN_ACT_RELU: alg = dnnl_eltwise_relu; beta = 0; break;
    case TSC__NN_ACT_CLIP: alg = dnnl_eltwise_clip; break;
    case TSC__NN_ACT_SIGMOID: alg = dnnl_eltwise_logistic; break;
    case TSC__NN_ACT_HARDSIGMOID:
        alg = dnnl_eltwise_linear;
        tmp.n_post = 1;
        tmp.post[0] = (tsc__nn_post){0, TSC__NN_ACT_CLIP, 0.f, 1.f};
        break;
    case TSC__NN_ACT_HARDSWISH: alg = dnnl_eltwise_hardswish; break;
    case TSC__NN_ACT_TANH: alg = dnnl_eltwise_tanh; break;
    case TSC__NN_ACT_ABS: alg = dnnl_eltwise_abs; break;
    default: alg = dnnl_eltwise_elu; break;
    }
    dnnl_primitive_attr_t attr = NULL;
    if ((st = make_attr(S, &tmp, &attr)) != TSC_OK) return st;
    S->n_fused -= tmp.n_post; /* not a graph-level fusion */
    dnnl_eltwise_desc_t ed;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_status_t s = dnnl_eltwise_forward_desc_init(&ed, dnnl_forward_inference, alg,
                                                     mem_md(S, xm), alpha, beta);
    if (s == dnnl_success) s = dnnl_primitive_desc_create(&pd, &ed, attr, S->eng, NULL);
    dnnl_primitive_attr_destroy(attr);
    if (s != dnnl_success) return dnnl_fail(S, s, "create an element-wise primitive");
    int ym = new_act_mem(S, dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0));
    step *stp = NULL;
    st = ym < 0 ? nomem(S) : prim_step(S, pd, &stp, "eltwise");
    dnnl_primitive_desc_destroy(pd);
    if (st != TSC_OK) return st;
    step_arg(S, stp, DNNL_ARG_SRC, xm);
    step_arg(S, stp, DNNL_ARG_DST, ym);
    return set_output(S, n->out[0], ym);
}

static int same_dims(const tsc__nn_value *a, const tsc__nn_value *b)
{
    return a->rank == b->rank && !memcmp(a->dims, b->dims, sizeof(int64_t) * (size_t)a->rank);
}

static tsc_status lower_binary(dstate *S, const tsc__nn_node *n)
{
    const tsc__nn_value *y = V(S, n->out[0]);
    int a = n->in[0], b = n->in[1];
    if (!same_dims(V(S, a), y)) {
        if (n->op == TSC__NN_OP_ADD || n->op == TSC__NN_OP_MUL) {
            int t = a;
            a = b;
            b = t;
        }
        if (!same_dims(V(S, a), y))
            NODE_ERR(TSC_EUNSUPPORTED,
                     "broadcasting the first operand ('%s') is not supported; only the second "
                     "operand may broadcast",
                     V(S, n->in[0])->name);
    }
    dnnl_alg_kind_t alg = n->op == TSC__NN_OP_ADD   ? dnnl_binary_add
                          : n->op == TSC__NN_OP_SUB ? dnnl_binary_sub
                          : n->op == TSC__NN_OP_MUL ? dnnl_binary_mul
                                                    : dnnl_binary_div;
    /* The broadcast operand, with leading 1s up to the output rank. */
    const tsc__nn_value *bv = V(S, b);
    int64_t bd[TSC_NN_MAX_RANK];
    int r = y->rank;
    for (int i = 0; i < r; i++) {
        int j = i - (r - bv->rank);
        bd[i] = j >= 0 ? bv->dims[j] : 1;
    }
    tsc_status st;
    int am, bm;
    dnnl_primitive_attr_t attr = NULL;
    if ((st = make_attr(S, n, &attr)) != TSC_OK) return st;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_status_t s = dnnl_unimplemented;
    /* Try the layouts as they are, then b in a's layout, then all plain. */
    for (int attempt = 0; attempt < 3 && s != dnnl_success; attempt++) {
        dnnl_memory_desc_t b_md, dst_md;
        if (attempt == 0) {
            if ((st = value_mem(S, a, &am)) != TSC_OK) break;
            if ((st = value_mem(S, b, &bm)) != TSC_OK) break;
            if (bv->rank != r) {
                if ((st = value_plain(S, b, &bm)) != TSC_OK) break;
            }
        } else if (attempt == 1) {
            if (bv->rank != r || !same_dims(bv, y)) continue;
            if ((st = value_as(S, b, mem_md(S, am), &bm)) != TSC_OK) break;
        } else {
            if ((st = value_plain(S, a, &am)) != TSC_OK) break;
            if ((st = value_plain(S, b, &bm)) != TSC_OK) break;
        }
        b_md = *mem_md(S, bm);
        if (bv->rank != r) {
            /* A lower-rank plain operand is the same bytes with leading 1s. */
            plain_md(&b_md, r, bd);
        }
        any_md(&dst_md, r, y->dims);
        dnnl_binary_desc_t bdsc;
        s = dnnl_binary_desc_init(&bdsc, alg, mem_md(S, am), &b_md, &dst_md);
        if (s == dnnl_success) s = dnnl_primitive_desc_create(&pd, &bdsc, attr, S->eng, NULL);
        if (s == dnnl_success && bv->rank != r) {
            int view = alias_mem(S, bm, &b_md);
            if (view < 0) st = nomem(S);
            bm = view;
        }
    }
    dnnl_primitive_attr_destroy(attr);
    if (st != TSC_OK) {
        if (pd) dnnl_primitive_desc_destroy(pd);
        return st;
    }
    if (s != dnnl_success) return dnnl_fail(S, s, "create a binary primitive");
    int ym = new_act_mem(S, dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0));
    step *stp = NULL;
    st = ym < 0 ? nomem(S) : prim_step(S, pd, &stp, "binary");
    dnnl_primitive_desc_destroy(pd);
    if (st != TSC_OK) return st;
    step_arg(S, stp, DNNL_ARG_SRC_0, am);
    step_arg(S, stp, DNNL_ARG_SRC_1, bm);
    step_arg(S, stp, DNNL_ARG_DST, ym);
    return set_output(S, n->out[0], ym);
}

static tsc_status lower_concat(dstate *S, const tsc__nn_node *n)
{
    dnnl_memory_desc_t mds[64]; /* the loader caps inputs at 64 */
    int ms[64];
    if (n->n_in > 64) NODE_ERR(TSC_EUNSUPPORTED, "more than 64 inputs (%d)", n->n_in);
    tsc_status st;
    for (int k = 0; k < n->n_in; k++) {
        if ((st = value_mem(S, n->in[k], &ms[k])) != TSC_OK) return st;
        mds[k] = *mem_md(S, ms[k]);
    }
    dnnl_primitive_desc_t pd = NULL;
    dnnl_status_t s = dnnl_concat_primitive_desc_create(&pd, NULL, n->n_in, (int)n->a.axis, mds,
                                                        S->attr, S->eng);
    if (s != dnnl_success) {
        /* Mixed layouts: concatenate plain copies. */
        for (int k = 0; k < n->n_in; k++) {
            if ((st = value_plain(S, n->in[k], &ms[k])) != TSC_OK) return st;
            mds[k] = *mem_md(S, ms[k]);
        }
        s = dnnl_concat_primitive_desc_create(&pd, NULL, n->n_in, (int)n->a.axis, mds, S->attr,
                                              S->eng);
    }
    if (s != dnnl_success) return dnnl_fail(S, s, "create a concat");
    int ym = new_act_mem(S, dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0));
    step *stp = NULL;
    st = ym < 0 ? nomem(S) : prim_step(S, pd, &stp, "concat");
    dnnl_primitive_desc_destroy(pd);
    if (st != TSC_OK) return st;
    for (int k = 0; k < n->n_in; k++) step_arg(S, stp, DNNL_ARG_MULTIPLE_SRC + k, ms[k]);
    step_arg(S, stp, DNNL_ARG_DST, ym);
    return set_output(S, n->out[0], ym);
}

static tsc_status lower_pool(dstate *S, const tsc__nn_node *n)
{
    const tsc__nn_value *x = V(S, n->in[0]), *y = V(S, n->out[0]);
    const tsc__nn_attrs *a = &n->a;
    int nsp = x->rank - 2;
    int is_max = n->op == TSC__NN_OP_MAXPOOL || n->op == TSC__NN_OP_GMP;
    dnnl_dims_t strides, kernel, dil, pl, pr;
    for (int i = 0; i < nsp; i++) {
        strides[i] = a->stride[i];
        kernel[i] = a->kernel[i];
        dil[i] = a->dilation[i] - 1;
        pl[i] = a->pad_b[i];
        /* Ceil mode: oneDNN wants the end padding that makes the size formula exact. */
        int64_t ext = (a->kernel[i] - 1) * a->dilation[i] + 1;
        int64_t need = (y->dims[2 + i] - 1) * a->stride[i] + ext - x->dims[2 + i] - a->pad_b[i];
        pr[i] = need > a->pad_e[i] ? need : a->pad_e[i];
        if (need > a->pad_e[i] && !is_max && a->count_include_pad)
            NODE_ERR(TSC_EUNSUPPORTED,
                     "ceil_mode with count_include_pad where the last window overhangs is not "
                     "supported%s", "");
    }
    int xm;
    tsc_status st = value_mem(S, n->in[0], &xm);
    if (st != TSC_OK) return st;
    dnnl_memory_desc_t dst_md;
    any_md(&dst_md, y->rank, y->dims);
    dnnl_pooling_v2_desc_t pdsc;
    dnnl_alg_kind_t alg = is_max                 ? dnnl_pooling_max
                          : a->count_include_pad ? dnnl_pooling_avg_include_padding
                                                 : dnnl_pooling_avg_exclude_padding;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_status_t s = dnnl_pooling_v2_forward_desc_init(&pdsc, dnnl_forward_inference, alg,
                                                        mem_md(S, xm), &dst_md, strides, kernel,
                                                        dil, pl, pr);
    if (s == dnnl_success) s = dnnl_primitive_desc_create(&pd, &pdsc, S->attr, S->eng, NULL);
    if (s != dnnl_success) return dnnl_fail(S, s, "create a pooling");
    int ym = new_act_mem(S, dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0));
    step *stp = NULL;
    st = ym < 0 ? nomem(S) : prim_step(S, pd, &stp, "pooling");
    dnnl_primitive_desc_destroy(pd);
    if (st != TSC_OK) return st;
    step_arg(S, stp, DNNL_ARG_SRC, xm);
    step_arg(S, stp, DNNL_ARG_DST, ym);
    return set_output(S, n->out[0], ym);
}

/* Layouts the resize kernel walks as dense [outer][spatial...][blk]. */
enum { LAYOUT_OTHER, LAYOUT_PLAIN, LAYOUT_BLOCKED, LAYOUT_CHANNELS_LAST };

static int spatial_layout(const dnnl_memory_desc_t *md, int64_t *outer, int64_t *blk)
{
    if (md->format_kind != dnnl_blocked || md->offset0) return LAYOUT_OTHER;
    const dnnl_blocking_desc_t *b = &md->format_desc.blocking;
    int r = md->ndims;
    for (int i = 0; i < r; i++)
        if (md->padded_offsets[i] || (i != 1 && md->padded_dims[i] != md->dims[i])) return LAYOUT_OTHER;
    if (!b->inner_nblks && md->padded_dims[1] == md->dims[1]) {
        /* nchw: dense row-major. */
        int64_t s = 1;
        int ok = 1;
        for (int i = r - 1; i >= 0; i--) {
            if (md->dims[i] != 1 && b->strides[i] != s) ok = 0;
            s *= md->dims[i];
        }
        if (ok) {
            *outer = md->dims[0] * md->dims[1], *blk = 1;
            return LAYOUT_PLAIN;
        }
        /* nhwc: channels innermost, then the spatial axes, then the batch. */
        int64_t C = md->dims[1];
        ok = b->strides[1] == 1 || C == 1;
        s = C;
        for (int i = r - 1; i >= 2; i--) {
            if (md->dims[i] != 1 && b->strides[i] != s) ok = 0;
            s *= md->dims[i];
        }
        if (md->dims[0] != 1 && b->strides[0] != s) ok = 0;
        if (ok) {
            *outer = md->dims[0], *blk = C;
            return LAYOUT_CHANNELS_LAST;
        }
        return LAYOUT_OTHER;
    }
    if (b->inner_nblks != 1 || b->inner_idxs[0] != 1) return LAYOUT_OTHER;
    /* nChw8c / nChw16c: channel blocks outermost after the batch. */
    int64_t bs = b->inner_blks[0], s = bs;
    for (int i = r - 1; i >= 0; i--) {
        int64_t d = i == 1 ? md->padded_dims[1] / bs : md->dims[i];
        if (d != 1 && b->strides[i] != s) return LAYOUT_OTHER;
        s *= d;
    }
    *outer = md->dims[0] * (md->padded_dims[1] / bs), *blk = bs;
    return LAYOUT_BLOCKED;
}

/* The memory desc with `dims` in the same layout family as `like`. */
static int same_layout_md(dnnl_memory_desc_t *out, int kind, int64_t blk, int rank,
                          const int64_t *dims)
{
    static const dnnl_format_tag_t t16[] = {dnnl_aBc16b, dnnl_aBcd16b, dnnl_aBcde16b};
    static const dnnl_format_tag_t t8[] = {dnnl_aBc8b, dnnl_aBcd8b, dnnl_aBcde8b};
    static const dnnl_format_tag_t tcl[] = {dnnl_acb, dnnl_acdb, dnnl_acdeb};
    if (kind == LAYOUT_PLAIN) {
        plain_md(out, rank, dims);
        return 0;
    }
    dnnl_dims_t d;
    for (int i = 0; i < rank; i++) d[i] = dims[i];
    dnnl_format_tag_t tag = kind == LAYOUT_CHANNELS_LAST ? tcl[rank - 3]
                            : blk == 16                  ? t16[rank - 3]
                            : blk == 8                   ? t8[rank - 3]
                                                         : dnnl_format_tag_undef;
    if (tag == dnnl_format_tag_undef) return -1;
    return dnnl_memory_desc_init_by_tag(out, rank, d, dnnl_f32, tag) == dnnl_success ? 0 : -1;
}

static tsc_status lower_resize(dstate *S, const tsc__nn_node *n)
{
    const tsc__nn_value *x = V(S, n->in[0]), *y = V(S, n->out[0]);
    const tsc__nn_attrs *a = &n->a;
    int xm;
    tsc_status st = value_mem(S, n->in[0], &xm);
    if (st != TSC_OK) return st;
    int64_t outer, blk, o2, b2;
    int kind = spatial_layout(mem_md(S, xm), &outer, &blk);
    dnnl_memory_desc_t ymd;
    /* The output takes the input's layout; anything else goes through nchw. */
    if (kind == LAYOUT_OTHER || same_layout_md(&ymd, kind, blk, y->rank, y->dims) < 0 ||
        spatial_layout(&ymd, &o2, &b2) != kind || b2 != blk) {
        if ((st = value_plain(S, n->in[0], &xm)) != TSC_OK) return st;
        kind = spatial_layout(mem_md(S, xm), &outer, &blk);
        plain_md(&ymd, y->rank, y->dims);
    }
    int ym = new_act_mem(S, &ymd);
    if (ym < 0) return nomem(S);
    resize_plan *rz = calloc(1, sizeof *rz);
    if (!rz) return nomem(S);
    step *stp = add_step(S, STEP_RESIZE);
    if (!stp) {
        free(rz);
        return nomem(S);
    }
    stp->rz = rz;
    int nsp = x->rank - 2;
    rz->src = xm, rz->dst = ym, rz->blk = blk, rz->linear = a->resize_linear;
    rz->outer = outer;
    for (int ax = 0; ax < 3; ax++) {
        int j = ax - (3 - nsp);
        rz->in[ax] = j >= 0 ? x->dims[2 + j] : 1;
        rz->out[ax] = j >= 0 ? y->dims[2 + j] : 1;
        double scale = j >= 0 ? a->scales[2 + j] : 1.0;
        size_t no = (size_t)rz->out[ax];
        rz->i0[ax] = malloc(no * sizeof(int64_t));
        rz->i1[ax] = malloc(no * sizeof(int64_t));
        rz->w[ax] = malloc(no * sizeof(float));
        if (!rz->i0[ax] || !rz->i1[ax] || !rz->w[ax]) return nomem(S);
        for (int64_t o = 0; o < rz->out[ax]; o++) {
            if (j < 0) {
                rz->i0[ax][o] = rz->i1[ax][o] = 0;
                rz->w[ax][o] = 0;
                continue;
            }
            double c = tsc__nn_resize_coord(a->coord, o, rz->in[ax], rz->out[ax], scale);
            if (!rz->linear) {
                rz->i0[ax][o] = rz->i1[ax][o] = tsc__nn_resize_nearest(a->nearest, c, rz->in[ax]);
                rz->w[ax][o] = 0;
            } else {
                if (c < 0) c = 0;
                if (c > (double)(rz->in[ax] - 1)) c = (double)(rz->in[ax] - 1);
                int64_t f = (int64_t)floor(c);
                rz->i0[ax][o] = f;
                rz->i1[ax][o] = f + 1 < rz->in[ax] ? f + 1 : rz->in[ax] - 1;
                rz->w[ax][o] = (float)(c - (double)f);
            }
        }
    }
    touch(S, xm, (int)(stp - S->steps));
    touch(S, ym, (int)(stp - S->steps));
    tsc_log(TSC_LOG_DEBUG, TSC__NN_DOMAIN, "%s: resize -> tsc %s blk %lld", stp->node,
            rz->linear ? "linear" : "nearest", (long long)blk);
    return set_output(S, n->out[0], ym);
}

static void run_resize(const resize_plan *rz, const float *src, float *dst)
{
    const int64_t B = rz->blk, ID = rz->in[0], IH = rz->in[1], IW = rz->in[2];
    const int64_t OD = rz->out[0], OH = rz->out[1], OW = rz->out[2];
    const int64_t rows = rz->outer * OD * OH;
#pragma omp parallel for schedule(static)
    for (int64_t row = 0; row < rows; row++) {
        int64_t oh = row % OH, od = (row / OH) % OD, o = row / (OH * OD);
        float *y = dst + row * OW * B;
        const float *xb = src + o * ID * IH * IW * B;
        if (!rz->linear) {
            const float *xr = xb + (rz->i0[0][od] * IH + rz->i0[1][oh]) * IW * B;
            for (int64_t ow = 0; ow < OW; ow++) {
                const float *xp = xr + rz->i0[2][ow] * B;
                for (int64_t j = 0; j < B; j++) y[ow * B + j] = xp[j];
            }
            continue;
        }
        /* Trilinear weights for the two source planes and rows of this output row. */
        float wd = rz->w[0][od], wh = rz->w[1][oh];
        const float *r00 = xb + (rz->i0[0][od] * IH + rz->i0[1][oh]) * IW * B;
        const float *r01 = xb + (rz->i0[0][od] * IH + rz->i1[1][oh]) * IW * B;
        const float *r10 = xb + (rz->i1[0][od] * IH + rz->i0[1][oh]) * IW * B;
        const float *r11 = xb + (rz->i1[0][od] * IH + rz->i1[1][oh]) * IW * B;
        float c00 = (1 - wd) * (1 - wh), c01 = (1 - wd) * wh, c10 = wd * (1 - wh), c11 = wd * wh;
        for (int64_t ow = 0; ow < OW; ow++) {
            int64_t x0 = rz->i0[2][ow] * B, x1 = rz->i1[2][ow] * B;
            float ww = rz->w[2][ow];
            for (int64_t j = 0; j < B; j++) {
                float a0 = r00[x0 + j] + ww * (r00[x1 + j] - r00[x0 + j]);
                float a1 = r01[x0 + j] + ww * (r01[x1 + j] - r01[x0 + j]);
                float a2 = r10[x0 + j] + ww * (r10[x1 + j] - r10[x0 + j]);
                float a3 = r11[x0 + j] + ww * (r11[x1 + j] - r11[x0 + j]);
                y[ow * B + j] = c00 * a0 + c01 * a1 + c10 * a2 + c11 * a3;
            }
        }
    }
}

static tsc_status lower_gemm(dstate *S, const tsc__nn_node *n)
{
    const tsc__nn_attrs *a = &n->a;
    const tsc__nn_value *A = V(S, n->in[0]), *B = V(S, n->in[1]), *y = V(S, n->out[0]);
    const tsc__nn_value *C = n->n_in > 2 && n->in[2] >= 0 ? V(S, n->in[2]) : NULL;
    int64_t M = y->dims[0], N = y->dims[1], K = a->trans_a ? A->dims[0] : A->dims[1];
    if (a->trans_a) NODE_ERR(TSC_EUNSUPPORTED, "transA is not supported%s", "");
    if (B->kind != TSC__NN_VAL_CONST)
        NODE_ERR(TSC_EUNSUPPORTED, "B computed at run time is not supported (use MatMul)%s", "");
    if (C && (C->kind != TSC__NN_VAL_CONST || (C->rank == 2 && C->dims[0] != 1 && M != 1)))
        NODE_ERR(TSC_EUNSUPPORTED, "C must be a constant row vector (a bias)%s", "");
    /* Fold alpha and beta into the constants once. */
    float *wbuf = malloc((size_t)(N * K) * sizeof *wbuf), *bbuf = malloc((size_t)N * sizeof *bbuf);
    if (!wbuf || !bbuf) {
        free(wbuf), free(bbuf);
        return nomem(S);
    }
    const float *Bd = B->data;
    for (int64_t nn = 0; nn < N; nn++)
        for (int64_t k = 0; k < K; k++)
            wbuf[nn * K + k] = a->alpha * (a->trans_b ? Bd[nn * K + k] : Bd[k * N + nn]);
    for (int64_t nn = 0; nn < N; nn++) {
        float c = 0;
        if (C) {
            int64_t cn = C->rank >= 1 ? C->dims[C->rank - 1] : 1;
            c = ((const float *)C->data)[cn == 1 ? 0 : nn];
        }
        bbuf[nn] = a->beta * c;
    }
    int64_t wdims[2] = {N, K};
    dnnl_memory_desc_t src_md, wei_any, wei_plain, bias_md, dst_md;
    plain_md(&src_md, 2, A->dims);
    dnnl_dims_t wd = {N, K};
    dnnl_memory_desc_init_by_tag(&wei_any, 2, wd, dnnl_f32, dnnl_format_tag_any);
    plain_md(&wei_plain, 2, wdims);
    plain_md(&bias_md, 1, &N);
    any_md(&dst_md, 2, y->dims);
    dnnl_primitive_attr_t attr = NULL;
    tsc_status st = make_attr(S, n, &attr);
    if (st != TSC_OK) {
        free(wbuf), free(bbuf);
        return st;
    }
    dnnl_inner_product_desc_t ipd;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_status_t s = dnnl_inner_product_forward_desc_init(&ipd, dnnl_forward_inference, &src_md,
                                                           &wei_any, &bias_md, &dst_md);
    if (s == dnnl_success) s = dnnl_primitive_desc_create(&pd, &ipd, attr, S->eng, NULL);
    dnnl_primitive_attr_destroy(attr);
    if (s != dnnl_success) {
        free(wbuf), free(bbuf);
        return dnnl_fail(S, s, "create an inner product");
    }
    int am, wm = -1, bm = -1, ym;
    st = value_as(S, n->in[0], &src_md, &am);
    if (st == TSC_OK)
        st = const_mem(S, wbuf, &wei_plain, dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0), &wm);
    if (st == TSC_OK) st = const_mem(S, bbuf, &bias_md, &bias_md, &bm);
    free(wbuf), free(bbuf);
    if (st != TSC_OK) {
        dnnl_primitive_desc_destroy(pd);
        return st;
    }
    ym = new_act_mem(S, dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0));
    step *stp = NULL;
    st = ym < 0 ? nomem(S) : prim_step(S, pd, &stp, "inner product");
    dnnl_primitive_desc_destroy(pd);
    if (st != TSC_OK) return st;
    step_arg(S, stp, DNNL_ARG_SRC, am);
    step_arg(S, stp, DNNL_ARG_WEIGHTS, wm);
    step_arg(S, stp, DNNL_ARG_BIAS, bm);
    step_arg(S, stp, DNNL_ARG_DST, ym);
    return set_output(S, n->out[0], ym);
}

static tsc_status lower_matmul(dstate *S, const tsc__nn_node *n)
{
    const tsc__nn_value *A = V(S, n->in[0]), *B = V(S, n->in[1]), *y = V(S, n->out[0]);
    int r = y->rank;
    int64_t ad[TSC_NN_MAX_RANK], bd[TSC_NN_MAX_RANK];
    for (int i = 0; i < r; i++) {
        int ia = i - (r - A->rank), ib = i - (r - B->rank);
        ad[i] = ia >= 0 ? A->dims[ia] : 1;
        bd[i] = ib >= 0 ? B->dims[ib] : 1;
    }
    int am, bm;
    tsc_status st;
    if ((st = value_plain(S, n->in[0], &am)) != TSC_OK) return st;
    if ((st = value_plain(S, n->in[1], &bm)) != TSC_OK) return st;
    dnnl_memory_desc_t a_md, b_md, y_md;
    plain_md(&a_md, r, ad);
    plain_md(&b_md, r, bd);
    plain_md(&y_md, r, y->dims);
    if (A->rank != r && (am = alias_mem(S, am, &a_md)) < 0) return nomem(S);
    if (B->rank != r && (bm = alias_mem(S, bm, &b_md)) < 0) return nomem(S);
    dnnl_primitive_attr_t attr = NULL;
    if ((st = make_attr(S, n, &attr)) != TSC_OK) return st;
    dnnl_matmul_desc_t mmd;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_status_t s = dnnl_matmul_desc_init(&mmd, &a_md, &b_md, NULL, &y_md);
    if (s == dnnl_success) s = dnnl_primitive_desc_create(&pd, &mmd, attr, S->eng, NULL);
    dnnl_primitive_attr_destroy(attr);
    if (s != dnnl_success) return dnnl_fail(S, s, "create a matmul");
    int ym = new_act_mem(S, &y_md);
    step *stp = NULL;
    st = ym < 0 ? nomem(S) : prim_step(S, pd, &stp, "matmul");
    dnnl_primitive_desc_destroy(pd);
    if (st != TSC_OK) return st;
    step_arg(S, stp, DNNL_ARG_SRC, am);
    step_arg(S, stp, DNNL_ARG_WEIGHTS, bm);
    step_arg(S, stp, DNNL_ARG_DST, ym);
    return set_output(S, n->out[0], ym);
}

static tsc_status lower_softmax(dstate *S, const tsc__nn_node *n)
{
    const tsc__nn_value *y = V(S, n->out[0]);
    int xm;
    tsc_status st = value_plain(S, n->in[0], &xm);
    if (st != TSC_OK) return st;
    dnnl_softmax_desc_t sd;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_status_t s = dnnl_softmax_forward_desc_init(&sd, dnnl_forward_inference, mem_md(S, xm),
                                                     (int)n->a.axis);
    if (s == dnnl_success) s = dnnl_primitive_desc_create(&pd, &sd, S->attr, S->eng, NULL);
    if (s != dnnl_success) return dnnl_fail(S, s, "create a softmax");
    dnnl_memory_desc_t y_md;
    plain_md(&y_md, y->rank, y->dims);
    int ym = new_act_mem(S, &y_md);
    step *stp = NULL;
    st = ym < 0 ? nomem(S) : prim_step(S, pd, &stp, "softmax");
    dnnl_primitive_desc_destroy(pd);
    if (st != TSC_OK) return st;
    step_arg(S, stp, DNNL_ARG_SRC, xm);
    step_arg(S, stp, DNNL_ARG_DST, ym);
    return set_output(S, n->out[0], ym);
}

/* Reshape, Flatten, (Un)Squeeze, a surviving Identity: a new view of the
 * plain bytes, no copy unless the input was blocked. */
static tsc_status lower_view(dstate *S, const tsc__nn_node *n)
{
    const tsc__nn_value *y = V(S, n->out[0]);
    int xm;
    tsc_status st = value_plain(S, n->in[0], &xm);
    if (st != TSC_OK) return st;
    dnnl_memory_desc_t y_md;
    plain_md(&y_md, y->rank, y->dims);
    int ym = alias_mem(S, xm, &y_md);
    if (ym < 0) return nomem(S);
    return set_output(S, n->out[0], ym);
}

static tsc_status lower_transpose(dstate *S, const tsc__nn_node *n)
{
    const tsc__nn_value *x = V(S, n->in[0]), *y = V(S, n->out[0]);
    int xm;
    tsc_status st = value_plain(S, n->in[0], &xm);
    if (st != TSC_OK) return st;
    /* oneDNN: out dims[p[i]] = in dims[i]; ONNX: out dims[i] = in dims[perm[i]]. */
    int p[TSC_NN_MAX_RANK];
    for (int i = 0; i < x->rank; i++) p[n->a.perm[i]] = i;
    dnnl_memory_desc_t view_md, y_md;
    CHECK_DNNL(dnnl_memory_desc_permute_axes(&view_md, mem_md(S, xm), p), "permute axes");
    plain_md(&y_md, y->rank, y->dims);
    int view = alias_mem(S, xm, &view_md), ym = new_act_mem(S, &y_md);
    if (view < 0 || ym < 0) return nomem(S);
    if ((st = reorder_into(S, view, ym, "transpose")) != TSC_OK) return st;
    return set_output(S, n->out[0], ym);
}

static tsc_status lower_pad(dstate *S, const tsc__nn_node *n)
{
    const tsc__nn_value *x = V(S, n->in[0]), *y = V(S, n->out[0]);
    int xm;
    tsc_status st = value_mem(S, n->in[0], &xm);
    if (st != TSC_OK) return st;
    dnnl_memory_desc_t y_md, sub;
    plain_md(&y_md, y->rank, y->dims);
    int ym = new_act_mem(S, &y_md);
    if (ym < 0) return nomem(S);
    fill_plan *fp = calloc(1, sizeof *fp);
    step *stp = fp ? add_step(S, STEP_FILL) : NULL;
    if (!stp) {
        free(fp);
        return nomem(S);
    }
    stp->fill = fp;
    *fp = (fill_plan){ym, (size_t)y->numel, (float)n->a.fill};
    touch(S, ym, (int)(stp - S->steps));
    dnnl_dims_t d, off;
    for (int i = 0; i < x->rank; i++) d[i] = x->dims[i], off[i] = n->a.pads[i];
    CHECK_DNNL(dnnl_memory_desc_init_submemory(&sub, &y_md, d, off), "describe padding");
    int view = alias_mem(S, ym, &sub);
    if (view < 0) return nomem(S);
    if ((st = reorder_into(S, xm, view, "pad")) != TSC_OK) return st;
    return set_output(S, n->out[0], ym);
}

static tsc_status lower_reduce(dstate *S, const tsc__nn_node *n)
{
    const tsc__nn_value *x = V(S, n->in[0]), *y = V(S, n->out[0]);
    int64_t kd[TSC_NN_MAX_RANK];
    for (int i = 0; i < x->rank; i++) kd[i] = n->a.axes[i] ? 1 : x->dims[i];
    int xm;
    tsc_status st = value_mem(S, n->in[0], &xm);
    if (st != TSC_OK) return st;
    /* The reduction keeps the rank; dropping axes is a view afterwards. */
    dnnl_memory_desc_t dst_md;
    if (n->a.keepdims)
        any_md(&dst_md, x->rank, kd);
    else
        plain_md(&dst_md, x->rank, kd);
    dnnl_reduction_desc_t rd;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_status_t s = dnnl_reduction_desc_init(&rd, dnnl_reduction_mean, mem_md(S, xm), &dst_md,
                                               0.f, 0.f);
    if (s == dnnl_success) s = dnnl_primitive_desc_create(&pd, &rd, S->attr, S->eng, NULL);
    if (s != dnnl_success) return dnnl_fail(S, s, "create a reduction");
    int ym = new_act_mem(S, dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0));
    step *stp = NULL;
    st = ym < 0 ? nomem(S) : prim_step(S, pd, &stp, "reduction");
    dnnl_primitive_desc_destroy(pd);
    if (st != TSC_OK) return st;
    step_arg(S, stp, DNNL_ARG_SRC, xm);
    step_arg(S, stp, DNNL_ARG_DST, ym);
    if (!n->a.keepdims) {
        dnnl_memory_desc_t y_md;
        plain_md(&y_md, y->rank, y->dims);
        if ((ym = alias_mem(S, ym, &y_md)) < 0) return nomem(S);
    }
    return set_output(S, n->out[0], ym);
}

/* Slice with unit steps: reorder from a sub-memory view of the plain input. */
static tsc_status lower_slice(dstate *S, const tsc__nn_node *n)
{
    const tsc__nn_value *x = V(S, n->in[0]), *y = V(S, n->out[0]);
    dnnl_dims_t d, off;
    for (int i = 0; i < x->rank; i++) {
        if (n->a.ends[i] != 1)
            NODE_ERR(TSC_EUNSUPPORTED, "steps other than 1 on run-time data are not supported (axis %d)", i);
        d[i] = y->dims[i];
        off[i] = n->a.starts[i];
    }
    int xm;
    tsc_status st = value_plain(S, n->in[0], &xm);
    if (st != TSC_OK) return st;
    dnnl_memory_desc_t sub, y_md;
    CHECK_DNNL(dnnl_memory_desc_init_submemory(&sub, mem_md(S, xm), d, off), "describe a slice");
    plain_md(&y_md, y->rank, y->dims);
    int view = alias_mem(S, xm, &sub), ym = new_act_mem(S, &y_md);
    if (view < 0 || ym < 0) return nomem(S);
    if ((st = reorder_into(S, view, ym, "slice")) != TSC_OK) return st;
    return set_output(S, n->out[0], ym);
}

static tsc_status lower_node(dstate *S, const tsc__nn_node *n)
{
    switch (n->op) {
    case TSC__NN_OP_CONV:
    case TSC__NN_OP_CONVT: return lower_conv(S, n);
    case TSC__NN_OP_BN: return lower_bn(S, n);
    case TSC__NN_OP_RELU:
    case TSC__NN_OP_LEAKYRELU:
    case TSC__NN_OP_CLIP:
    case TSC__NN_OP_SIGMOID:
    case TSC__NN_OP_HARDSIGMOID:
    case TSC__NN_OP_HARDSWISH:
    case TSC__NN_OP_TANH:
    case TSC__NN_OP_ELU:
    case TSC__NN_OP_ABS: return lower_act(S, n);
    case TSC__NN_OP_REDUCEMEAN: return lower_reduce(S, n);
    case TSC__NN_OP_ADD:
    case TSC__NN_OP_SUB:
    case TSC__NN_OP_MUL:
    case TSC__NN_OP_DIV: return lower_binary(S, n);
    case TSC__NN_OP_CONCAT: return lower_concat(S, n);
    case TSC__NN_OP_MAXPOOL:
    case TSC__NN_OP_AVGPOOL:
    case TSC__NN_OP_GAP:
    case TSC__NN_OP_GMP: return lower_pool(S, n);
    case TSC__NN_OP_RESIZE:
    case TSC__NN_OP_UPSAMPLE: return lower_resize(S, n);
    case TSC__NN_OP_GEMM: return lower_gemm(S, n);
    case TSC__NN_OP_MATMUL: return lower_matmul(S, n);
    case TSC__NN_OP_SOFTMAX: return lower_softmax(S, n);
    case TSC__NN_OP_FLATTEN:
    case TSC__NN_OP_RESHAPE:
    case TSC__NN_OP_SQUEEZE:
    case TSC__NN_OP_UNSQUEEZE:
    case TSC__NN_OP_IDENTITY:
    case TSC__NN_OP_DROPOUT: return lower_view(S, n);
    case TSC__NN_OP_TRANSPOSE: return lower_transpose(S, n);
    case TSC__NN_OP_PAD: return lower_pad(S, n);
    case TSC__NN_OP_SLICE: return lower_slice(S, n);
    default: break;
    }
    NODE_ERR(TSC_EUNSUPPORTED, "operator is not supported by the oneDNN engine%s", "");
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
        return nomem(S);
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

static tsc_status prepare(dstate *S, tsc_nn_model *m)
{
    const tsc__nn_graph *g = &m->g;
    CHECK_DNNL(dnnl_engine_create(&S->eng, dnnl_cpu, 0), "create the CPU engine");
    CHECK_DNNL(dnnl_stream_create(&S->stream, S->eng, dnnl_stream_default_flags), "create a stream");
    CHECK_DNNL(dnnl_primitive_attr_create(&S->attr), "create attributes");
    CHECK_DNNL(dnnl_primitive_attr_set_scratchpad_mode(S->attr, dnnl_scratchpad_mode_user),
               "set the scratchpad mode");
    if (!(S->vmem = malloc(((size_t)g->n_vals + 1) * sizeof *S->vmem))) return nomem(S);
    for (int v = 0; v < g->n_vals; v++) S->vmem[v] = -1;
    tsc_status st;
    /* Graph inputs: the caller's plain buffers, bound at run time. */
    for (int i = 0; i < g->n_inputs; i++) {
        const tsc__nn_value *x = &g->vals[g->inputs[i]];
        dnnl_memory_desc_t md;
        plain_md(&md, x->rank, x->dims);
        int mm = new_mem(S, &md, BUF_INPUT - i, NULL);
        if (mm < 0) return nomem(S);
        S->vmem[g->inputs[i]] = mm;
    }
    for (int oi = 0; oi < g->n_nodes; oi++) {
        const tsc__nn_node *n = &g->nodes[g->order[oi]];
        if (n->dead) continue;
        S->cur = n;
        if ((st = lower_node(S, n)) != TSC_OK) return st;
    }
    S->cur = NULL;
    for (int i = 0; i < g->n_outputs; i++) {
        const tsc__nn_value *y = &g->vals[g->outputs[i]];
        dnnl_memory_desc_t md;
        plain_md(&md, y->rank, y->dims);
        int src, dst = new_mem(S, &md, BUF_OUTPUT - i, NULL);
        if (dst < 0) return nomem(S);
        if ((st = value_mem(S, g->outputs[i], &src)) != TSC_OK) return st;
        if ((st = reorder_into(S, src, dst, "copy an output")) != TSC_OK) return st;
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
        return nomem(S);
    }
    if (S->scratch_size && posix_memalign(&S->scratch, 64, S->scratch_size)) {
        S->scratch = NULL;
        return nomem(S);
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
    snprintf(m->summary, sizeof m->summary,
             "oneDNN %d.%d.%d: %d steps (%d primitives, %d reorders), %d fused post-ops, "
             "arena %.1f MiB (unshared %.1f MiB), scratch %.1f MiB, weights %.1f MiB, %d threads",
             dnnl_version()->major, dnnl_version()->minor, dnnl_version()->patch, S->n_steps,
             S->n_prims, S->n_reorder_steps, S->n_fused, S->arena_size / 1048576.0,
             used / 1048576.0, S->scratch_size / 1048576.0, S->weight_bytes / 1048576.0,
             m->n_threads);
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
            run_resize(sp->rz, src, dst);
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
