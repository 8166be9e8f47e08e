/* SPDX-License-Identifier: BSD-3-Clause */
/* The oneDNN engine's internals, shared by exec_dnnl.c (memories, steps,
 * arena, entry points) and exec_dnnl_ops.c (one lowering per operator). */
#ifndef TSC_NN_DNNL_PRIVATE_H
#define TSC_NN_DNNL_PRIVATE_H

#include <dnnl.h>

#include "nn_private.h"

/* Where a memory object's data lives. */
enum {
    BUF_OWNED = -1,      /* allocated by oneDNN (weights, constants) */
    BUF_SCRATCH = -2,    /* the shared scratchpad */
    BUF_BORROWED = -3,   /* a view of an owned memory, handle fixed at load */
    BUF_INPUT = -100,    /* BUF_INPUT - i: the caller's input i */
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
    int src, dst;       /* mem ids */
    int64_t outer, blk; /* N * channel blocks, channels per block (1 for plain) */
    int64_t in[3], out[3];
    int64_t *i0[3], *i1[3];
    float *w[3];
    int linear;
    int bf16; /* source and destination hold bf16, not float */
} resize_plan;

/* A channel concat of channels-last inputs: each of `rows` pixels is the
 * inputs' rows of bytes[k] one after the other. */
typedef struct concat_plan {
    int n, dst;
    int *src;         /* n mem ids */
    size_t *bytes;    /* n: bytes per pixel of each input */
    const char **ptr; /* n: the inputs' data while it runs */
    size_t rows, dst_bytes;
} concat_plan;

typedef struct fill_plan {
    int dst;
    size_t count;
    float value;
} fill_plan;

enum { STEP_PRIM, STEP_RESIZE, STEP_FILL, STEP_CONCAT };

typedef struct step {
    int kind;
    const char *node; /* for messages */
    dnnl_primitive_t prim;
    int nargs;
    dnnl_exec_arg_t args[12];
    int arg_mem[12];
    resize_plan *rz;
    fill_plan *fill;
    concat_plan *cat;
} step;

typedef struct reorder_entry {
    int v;
    int mem;
} reorder_entry;

typedef struct dstate {
    dnnl_engine_t eng;
    dnnl_stream_t stream;
    dnnl_primitive_attr_t attr; /* scratchpad mode user */
    dnnl_data_type_t conv_dt;   /* of convolution sources, weights and results */
    int int8;                   /* calibrated convolutions run in int8 (exec_dnnl_int8.c) */
    tsc__nn_int8 *q;            /* the model's int8 ranges and calibration points, or NULL */
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
    int n_int8_convs, n_quantise_steps; /* int8 plans: for the summary */
    const tsc__nn_graph *g;
    const tsc__nn_node *cur; /* node being lowered, for messages */
    tsc_error *err;
} dstate;

#define CHECK_DNNL(call, what)                                                                     \
    do {                                                                                           \
        dnnl_status_t s_ = (call);                                                                 \
        if (s_ != dnnl_success) return tsc__dnnl_fail(S, s_, what);                                \
    } while (0)

/* Returns a node's error from a lowering function (S and n in scope). */
#define NODE_ERR(status, fmt, ...)                                                                 \
    return tsc_error_set(S->err, status, "model %s: " TSC__NN_NODE_FMT ": " fmt, S->g->src_name,   \
                         TSC__NN_NODE_ARGS(n), __VA_ARGS__)

/* An input of a step: the oneDNN argument and our memory id. */
typedef struct bind {
    int arg, mem;
} bind;

/* tsc__dnnl_emit's destination: a new arena memory in the layout the
 * primitive chose (not -1, which tsc__dnnl_new_act_mem returns out of memory). */
#define NEW_DST (-2)

/* ---- exec_dnnl.c ---- */
tsc_status tsc__dnnl_fail(dstate *S, dnnl_status_t s, const char *what);
tsc_status tsc__dnnl_nomem(dstate *S);
void tsc__dnnl_plain_md(dnnl_memory_desc_t *md, int rank, const int64_t *dims);
void tsc__dnnl_any_md(dnnl_memory_desc_t *md, int rank, const int64_t *dims, dnnl_data_type_t dt);
/* The data type of memory `id`. */
dnnl_data_type_t tsc__dnnl_mem_dt(dstate *S, int id);
int tsc__dnnl_new_mem(dstate *S, const dnnl_memory_desc_t *md, int buf, void *handle);
const dnnl_memory_desc_t *tsc__dnnl_mem_md(dstate *S, int id);
int tsc__dnnl_new_act_mem(dstate *S, const dnnl_memory_desc_t *md);
int tsc__dnnl_alias_mem(dstate *S, int id, const dnnl_memory_desc_t *md);
void tsc__dnnl_touch(dstate *S, int mem, int stepi);
step *tsc__dnnl_add_step(dstate *S, int kind);
/* The primitive descriptor for the operation descriptor `desc`, whose init
 * returned `s`; `attr` is destroyed unless it is the shared S->attr. */
tsc_status tsc__dnnl_make_pd(dstate *S, dnnl_status_t s, const void *desc,
                             dnnl_primitive_attr_t attr, dnnl_primitive_desc_t *pd,
                             const char *what);
/* The step running pd (destroyed here) on `in` and writing into memory `dst`
 * (or NEW_DST); *out gets the destination's memory. */
tsc_status tsc__dnnl_emit(dstate *S, dnnl_primitive_desc_t pd, const char *what, const bind *in,
                          int n_in, int dst, int *out);
tsc_status tsc__dnnl_const_mem(dstate *S, const float *data, const dnnl_memory_desc_t *src_md,
                               const dnnl_memory_desc_t *md, int *out);
tsc_status tsc__dnnl_value_mem(dstate *S, int v, int *out);
tsc_status tsc__dnnl_reorder_into(dstate *S, int src, int dst, const char *what);
tsc_status tsc__dnnl_value_as(dstate *S, int v, const dnnl_memory_desc_t *md, int *out);
tsc_status tsc__dnnl_value_plain(dstate *S, int v, int *out);
/* Value v in its current layout as data type dt (a cached converted copy
 * when it has another type). */
tsc_status tsc__dnnl_value_typed(dstate *S, int v, dnnl_data_type_t dt, int *out);
tsc_status tsc__dnnl_set_output(dstate *S, int v, int mem);
/* tsc__dnnl_emit() for a node whose destination is its output value. */
tsc_status tsc__dnnl_emit_output(dstate *S, const tsc__nn_node *n, dnnl_primitive_desc_t pd,
                                 const char *what, const bind *in, int n_in, int dst);
tsc_status tsc__dnnl_make_attr(dstate *S, const tsc__nn_node *n, dnnl_primitive_attr_t *out);
/* The same, with the result multiplied by out_scale after the post-ops (an
 * int8 destination's quantising scale; 0: none). */
tsc_status tsc__dnnl_make_attr_scaled(dstate *S, const tsc__nn_node *n, float out_scale,
                                      dnnl_primitive_attr_t *out);

/* ---- exec_dnnl_ops.c ---- */
/* Appends the steps that compute node n. */
tsc_status tsc__dnnl_lower_node(dstate *S, const tsc__nn_node *n);
/* Runs a STEP_RESIZE (our own kernel, on the layouts and the data type,
 * fp32 or bf16, that oneDNN chose). */
void tsc__dnnl_run_resize(const resize_plan *rz, const void *src, void *dst);
/* Runs a STEP_CONCAT (its inputs' data in cp->ptr, which it sets). */
void tsc__dnnl_run_concat(dstate *S, concat_plan *cp);
/* Frees a concat plan (NULL: nothing). */
void tsc__dnnl_concat_plan_free(concat_plan *cp);

/* ---- exec_dnnl_int8.c ---- */
/* One convolution's int8 plan: input scale and type, per-output-channel
 * weight and output scales, the quantised weights in ONNX order. */
typedef struct tsc__int8_conv {
    dnnl_data_type_t src_dt; /* u8 (non-negative range) or s8 */
    float src_scale;         /* int8 = round(x * src_scale) */
    int64_t M;
    float *wscale, *oscale;
    int8_t *wq;
} tsc__int8_conv;
/* 1 and fills *c when node n runs in int8 (int8 mode, a Conv whose input has
 * a range); else 0 and the convolution stays fp32. */
int tsc__dnnl_int8_conv_begin(dstate *S, const tsc__nn_node *n, tsc__int8_conv *c);
void tsc__dnnl_int8_conv_end(tsc__int8_conv *c);
tsc_status tsc__dnnl_int8_conv_attr(dstate *S, const tsc__int8_conv *c, dnnl_primitive_attr_t attr);
/* 1 when int8 Conv node n can write its output already quantised, as
 * *dt (u8 or s8) = round(x * *scale): every reader is a Conv that would
 * quantise it with that same scale, none adds into it and it is no graph
 * output, so no reader needs it in fp32.  Saves each reader's quantising
 * reorder and three quarters of the output's memory traffic. */
int tsc__dnnl_int8_dst(dstate *S, const tsc__nn_node *n, dnnl_data_type_t *dt, float *scale);
/* Whether value v's memory holds it quantised (written so by its producer). */
int tsc__dnnl_int8_quantised(dstate *S, int v);
/* Value v quantised in layout md: a quantising reorder step into a new
 * arena memory, or, when its producer wrote it quantised, v itself (or a
 * reorder to layout md). */
tsc_status tsc__dnnl_int8_conv_src(dstate *S, const tsc__int8_conv *c, int v,
                                   const dnnl_memory_desc_t *md, int *out);
/* The quantised weights (f32_md: the ONNX weights' view) in layout md. */
tsc_status tsc__dnnl_int8_conv_weights(dstate *S, const tsc__int8_conv *c,
                                       const dnnl_memory_desc_t *f32_md,
                                       const dnnl_memory_desc_t *md, int *out);
tsc_status tsc__dnnl_int8_conv_bias(dstate *S, const tsc__int8_conv *c, const float *b, int *out);
/* Calibration (fp32 plans): memory `mem` holds the input of Conv node n
 * when the next appended step runs; tsc__dnnl_int8_record(S, i) folds what
 * the points of step i see into the ranges. */
void tsc__dnnl_int8_observe(dstate *S, const tsc__nn_node *n, int mem);
void tsc__dnnl_int8_record(dstate *S, int stepi);
/* Whether model m (asking for TSC_NN_ENGINE_ONEDNN_INT8) can run int8: the
 * CPU has AVX512_VNNI and m has ranges; logs why not otherwise. */
int tsc__dnnl_int8_available(const tsc_nn_model *m);

#endif
