/* SPDX-License-Identifier: BSD-3-Clause */
/* src/nn internals: the graph IR shared by the ONNX loader, shape inference,
 * the plain-C reference kernels and the oneDNN lowering. */
#ifndef TSC_NN_PRIVATE_H
#define TSC_NN_PRIVATE_H

#include <stdint.h>

#include "tsc_nn.h"

#define TSC__NN_DOMAIN "nn"

typedef enum tsc__nn_dtype { TSC__NN_F32 = 1, TSC__NN_I64 = 7 } tsc__nn_dtype;

typedef enum tsc__nn_vkind {
    TSC__NN_VAL_ACT = 0, /* computed at run time */
    TSC__NN_VAL_INPUT,   /* a graph input, given by the caller */
    TSC__NN_VAL_CONST    /* an initializer, a Constant or a folded result */
} tsc__nn_vkind;

typedef struct tsc__nn_value {
    char *name;
    tsc__nn_vkind kind;
    tsc__nn_dtype dtype;
    int rank;
    int shaped; /* dims are known */
    int64_t dims[TSC_NN_MAX_RANK];
    int64_t numel;
    void *data;   /* CONST only: float or int64_t, row-major, owned */
    int producer; /* node index or -1 */
    int n_uses;   /* node inputs that read it */
    int is_output;
} tsc__nn_value;

#define TSC__NN_OPS(X)                                                                     \
    X(CONV, "Conv") X(CONVT, "ConvTranspose") X(BN, "BatchNormalization") X(RELU, "Relu")  \
    X(LEAKYRELU, "LeakyRelu") X(CLIP, "Clip") X(SIGMOID, "Sigmoid")                        \
    X(HARDSIGMOID, "HardSigmoid") X(HARDSWISH, "HardSwish") X(TANH, "Tanh") X(ELU, "Elu")  \
    X(ADD, "Add") X(SUB, "Sub") X(MUL, "Mul") X(DIV, "Div") X(CONCAT, "Concat")            \
    X(MAXPOOL, "MaxPool") X(AVGPOOL, "AveragePool") X(GAP, "GlobalAveragePool")            \
    X(GMP, "GlobalMaxPool") X(RESIZE, "Resize") X(UPSAMPLE, "Upsample") X(GEMM, "Gemm")    \
    X(MATMUL, "MatMul") X(FLATTEN, "Flatten") X(RESHAPE, "Reshape") X(SQUEEZE, "Squeeze")  \
    X(UNSQUEEZE, "Unsqueeze") X(TRANSPOSE, "Transpose") X(SOFTMAX, "Softmax")              \
    X(IDENTITY, "Identity") X(DROPOUT, "Dropout") X(CONSTANT, "Constant") X(SHAPE, "Shape") \
    X(GATHER, "Gather") X(SLICE, "Slice") X(CAST, "Cast")                                  \
    X(CONSTANTOFSHAPE, "ConstantOfShape") X(FLOOR, "Floor") X(CEIL, "Ceil") X(PAD, "Pad")          \
    X(ABS, "Abs") X(REDUCEMEAN, "ReduceMean")

typedef enum tsc__nn_op {
#define TSC__NN_OP_ENUM(name, text) TSC__NN_OP_##name,
    TSC__NN_OPS(TSC__NN_OP_ENUM)
#undef TSC__NN_OP_ENUM
        TSC__NN_OP_COUNT
} tsc__nn_op;

const char *tsc__nn_op_name(int op);
int tsc__nn_op_from_name(const char *name); /* -1 when unknown */

/* Element-wise activations, shared by standalone nodes and fused post-ops. */
/* The case labels of the element-wise activation operators (node->act says
 * which): one list for every switch that treats them alike.  Use as
 * `TSC__NN_CASE_ACT_OPS: ...`. */
#define TSC__NN_CASE_ACT_OPS                                                                       \
    case TSC__NN_OP_RELU:                                                                          \
    case TSC__NN_OP_LEAKYRELU:                                                                     \
    case TSC__NN_OP_CLIP:                                                                          \
    case TSC__NN_OP_SIGMOID:                                                                       \
    case TSC__NN_OP_HARDSIGMOID:                                                                   \
    case TSC__NN_OP_HARDSWISH:                                                                     \
    case TSC__NN_OP_TANH:                                                                          \
    case TSC__NN_OP_ELU:                                                                           \
    case TSC__NN_OP_ABS

typedef enum tsc__nn_act {
    TSC__NN_ACT_RELU,        /* alpha: negative slope (LeakyRelu) */
    TSC__NN_ACT_CLIP,        /* alpha: low, beta: high */
    TSC__NN_ACT_SIGMOID,
    TSC__NN_ACT_HARDSIGMOID, /* max(0, min(1, alpha*x + beta)) */
    TSC__NN_ACT_HARDSWISH,   /* x * hardsigmoid(x) with alpha 1/6, beta 1/2 */
    TSC__NN_ACT_TANH,
    TSC__NN_ACT_ELU,         /* alpha */
    TSC__NN_ACT_ABS
} tsc__nn_act;

typedef enum tsc__nn_coord {
    TSC__NN_COORD_HALF_PIXEL,
    TSC__NN_COORD_PYTORCH_HALF_PIXEL,
    TSC__NN_COORD_ALIGN_CORNERS,
    TSC__NN_COORD_ASYMMETRIC
} tsc__nn_coord;

typedef enum tsc__nn_nearest {
    TSC__NN_NEAREST_ROUND_PREFER_FLOOR,
    TSC__NN_NEAREST_ROUND_PREFER_CEIL,
    TSC__NN_NEAREST_FLOOR,
    TSC__NN_NEAREST_CEIL
} tsc__nn_nearest;

#define TSC__NN_MAX_SPATIAL 3

/* Parsed attributes; each operator uses the fields it needs.  Pads are
 * resolved (auto_pad applied) by shape inference. */
typedef struct tsc__nn_attrs {
    int nsp; /* spatial dims for Conv / pooling */
    int64_t kernel[TSC__NN_MAX_SPATIAL], stride[TSC__NN_MAX_SPATIAL];
    int64_t dilation[TSC__NN_MAX_SPATIAL], pad_b[TSC__NN_MAX_SPATIAL];
    int64_t pad_e[TSC__NN_MAX_SPATIAL], out_pad[TSC__NN_MAX_SPATIAL];
    int has_kernel, has_pads, n_strides, n_dilations, n_out_pad;
    int64_t group;
    int auto_pad; /* 0 NOTSET, 1 SAME_UPPER, 2 SAME_LOWER, 3 VALID */
    int ceil_mode, count_include_pad;
    float alpha, beta, epsilon;
    int trans_a, trans_b;
    int64_t axis;
    int has_axis;
    int resize_linear;
    tsc__nn_coord coord;
    tsc__nn_nearest nearest;
    float scales[TSC_NN_MAX_RANK]; /* resolved Resize/Upsample scales */
    int n_scales;
    int64_t perm[TSC_NN_MAX_RANK];
    int n_perm;
    int64_t axes[TSC_NN_MAX_RANK]; /* Squeeze/Unsqueeze/Slice before opset 13/10, ReduceMean */
    int n_axes;
    int keepdims;
    int64_t starts[TSC_NN_MAX_RANK], ends[TSC_NN_MAX_RANK]; /* Slice opset < 10 */
    int n_starts, n_ends;
    float clip_lo, clip_hi; /* Clip: resolved bounds */
    int64_t cast_to;
    int64_t shape_start, shape_end;
    int has_shape_end;
    double fill; /* ConstantOfShape value / Pad value */
    tsc__nn_dtype fill_dtype;
    int64_t pads[2 * TSC_NN_MAX_RANK]; /* Pad: resolved begin/end per axis */
} tsc__nn_attrs;

/* One fused post-op: an activation or a residual sum. */
typedef struct tsc__nn_post {
    int is_sum;
    tsc__nn_act act;
    float alpha, beta;
} tsc__nn_post;

#define TSC__NN_MAX_POST 6

typedef struct tsc__nn_node {
    char *name;    /* the ONNX node name, or "#index" when it has none */
    char *op_type; /* as written in the file */
    tsc__nn_op op;
    int n_in, n_out;
    int *in, *out; /* value indices; -1 for an absent optional input/output */
    tsc__nn_attrs a;
    tsc__nn_act act; /* activation nodes */
    int dead;        /* folded away or fused into another node */
    /* Fusion (oneDNN engine only): activations and a residual sum applied to
     * the result before it is stored in `fused_out`. */
    int n_post;
    tsc__nn_post post[TSC__NN_MAX_POST];
    int sum_with; /* value the sum post-op adds in place, or -1 */
} tsc__nn_node;

typedef struct tsc__nn_graph {
    tsc__nn_value *vals;
    int n_vals, cap_vals;
    tsc__nn_node *nodes;
    int n_nodes;
    int *order; /* topological order of node indices */
    int *inputs, n_inputs;
    int *outputs, n_outputs;
    int64_t opset;
    size_t const_bytes;
    tsc_nn_params params;
    char src_name[128];
    double flops;
    /* Name lookup. */
    int *hash;
    int hash_cap;
    /* Consumer index used by the rewrites (fuse.c). */
    int *user;
    int n_user;
} tsc__nn_graph;

/* int8 activation ranges per value of the optimised graph (exec_dnnl_int8.c). */
typedef struct tsc__nn_int8 tsc__nn_int8;
tsc__nn_int8 *tsc__nn_int8_new(int n_vals);
void tsc__nn_int8_free(tsc__nn_int8 *q);
/* 0, or -1 when v or the range is invalid. */
int tsc__nn_int8_set(tsc__nn_int8 *q, int v, float lo, float hi);
/* The i-th value with a range, in value order: 1, or 0 past the end. */
int tsc__nn_int8_get(const tsc__nn_int8 *q, size_t i, int *v, float *lo, float *hi);
size_t tsc__nn_int8_count(const tsc__nn_int8 *q);

struct tsc_nn_model {
    tsc__nn_graph g;
    int n_threads;
    char summary[320];
    void *exec; /* the engine's state */
    tsc_nn_engine engine;
    size_t *in_sizes, *out_sizes;
    tsc__nn_int8 *int8; /* ranges (int8 mode, calibration), or NULL */
    int calibrating;    /* tsc_nn_model_calibrate is running */
};

/* Graph helpers (graph.c). */
int tsc__nn_graph_find(const tsc__nn_graph *g, const char *name);
/* Adds a value; returns its index or -1 (ENOMEM set in err). */
int tsc__nn_graph_add_value(tsc__nn_graph *g, const char *name, tsc_error *err);
void tsc__nn_graph_free(tsc__nn_graph *g);
/* Checked product of dims; returns 0 and sets *out, or -1 on overflow or above `cap`. */
int tsc__nn_numel(const int64_t *dims, int rank, int64_t cap, int64_t *out);
size_t tsc__nn_dtype_size(tsc__nn_dtype t);
/* Sets a value's shape after checking the element cap; names `node` on error. */
tsc_status tsc__nn_set_shape(tsc__nn_graph *g, int v, tsc__nn_dtype t, int rank,
                             const int64_t *dims, const tsc__nn_node *node, tsc_error *err);
/* Gives a value constant data (takes ownership of `data`), counting it
 * against max_weight_bytes. */
tsc_status tsc__nn_set_const(tsc__nn_graph *g, int v, void *data, const tsc__nn_node *node,
                             tsc_error *err);
/* Allocates zeroed storage for a value's constant data, after the cap check. */
tsc_status tsc__nn_alloc_const(tsc__nn_graph *g, int v, const tsc__nn_node *node,
                               tsc_error *err);

/* Loader (onnx_load.c): parse, build the IR, sort it topologically. */
tsc_status tsc__nn_onnx_parse(tsc__nn_graph *g, const void *data, size_t size, tsc_error *err);

/* Shape inference and constant folding over the sorted graph (infer.c). */
tsc_status tsc__nn_infer(tsc__nn_graph *g, tsc_error *err);
/* oneDNN-oriented rewrites: BN folding, activation/sum fusion (fuse.c). */
tsc_status tsc__nn_optimize(tsc__nn_graph *g, tsc_error *err);

/* Reference kernels (ref.c), on dense row-major tensors. */
typedef struct tsc__nn_tensor {
    int rank;
    const int64_t *dims;
    tsc__nn_dtype dtype;
    void *data;
} tsc__nn_tensor;
/* Evaluates one node; `in`/`out` are the node's operands in order (absent
 * optional ones have data NULL).  Returns TSC_OK or TSC_EUNSUPPORTED for a
 * configuration the reference does not cover. */
tsc_status tsc__nn_ref_eval(const tsc__nn_graph *g, const tsc__nn_node *n,
                            const tsc__nn_tensor *in, const tsc__nn_tensor *out, tsc_error *err);
float tsc__nn_ref_act(tsc__nn_act act, float alpha, float beta, float x);
/* Resize source coordinate for output index `o` along one axis. */
double tsc__nn_resize_coord(tsc__nn_coord mode, int64_t o, int64_t in_len, int64_t out_len,
                            double scale);
int64_t tsc__nn_resize_nearest(tsc__nn_nearest mode, double x, int64_t in_len);

/* Reference engine (ref.c): runs the unoptimised graph. */
tsc_status tsc__nn_ref_prepare(tsc_nn_model *m, tsc_error *err);
tsc_status tsc__nn_ref_run(tsc_nn_model *m, const float *const *inputs, float *const *outputs,
                           tsc_error *err);
void tsc__nn_ref_free(tsc_nn_model *m);

/* oneDNN engine (exec_dnnl.c). */
tsc_status tsc__nn_dnnl_prepare(tsc_nn_model *m, tsc_error *err);
tsc_status tsc__nn_dnnl_run(tsc_nn_model *m, const float *const *inputs,
                            float *const *outputs, tsc_error *err);
void tsc__nn_dnnl_free(tsc_nn_model *m);

/* Node label for error messages: "node 'name' (OpType)". */
#define TSC__NN_NODE_FMT "node '%s' (%s)"
#define TSC__NN_NODE_ARGS(n) (n)->name, (n)->op_type

#endif
