/* SPDX-License-Identifier: BSD-3-Clause */
/* ONNX protobuf -> graph IR.  Everything read from the file is treated as
 * hostile: sizes are checked against the caps before allocation, names are
 * resolved and the node order is re-derived (cycles rejected). */
#include <protobuf-c/protobuf-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn_private.h"
#include "onnx.pb-c.h"

enum {
    ONNX_FLOAT = 1, ONNX_UINT8 = 2, ONNX_INT8 = 3, ONNX_UINT16 = 4, ONNX_INT16 = 5,
    ONNX_INT32 = 6, ONNX_INT64 = 7, ONNX_STRING = 8, ONNX_BOOL = 9, ONNX_FLOAT16 = 10,
    ONNX_DOUBLE = 11, ONNX_UINT32 = 12, ONNX_UINT64 = 13, ONNX_COMPLEX64 = 14,
    ONNX_COMPLEX128 = 15, ONNX_BFLOAT16 = 16
};

static const char *onnx_type_name(int t)
{
    static const char *names[] = {"UNDEFINED", "FLOAT",  "UINT8",     "INT8",      "UINT16",
                                  "INT16",     "INT32",  "INT64",     "STRING",    "BOOL",
                                  "FLOAT16",   "DOUBLE", "UINT32",    "UINT64",    "COMPLEX64",
                                  "COMPLEX128", "BFLOAT16"};
    return t >= 0 && t < (int)(sizeof names / sizeof names[0]) ? names[t] : "unknown";
}

/* protobuf-c allocates in proportion to the input, but tiny sub-messages
 * expand a lot; count bytes so that a hostile file cannot make it allocate
 * without bound. */
typedef struct counting_alloc {
    size_t used, cap;
    int refused;
} counting_alloc;

static void *ca_alloc(void *data, size_t size)
{
    counting_alloc *ca = data;
    if (size > ca->cap - ca->used) {
        ca->refused = 1;
        return NULL;
    }
    ca->used += size;
    return malloc(size);
}

static void ca_free(void *data, void *ptr)
{
    (void)data;
    free(ptr);
}

/* ---- tensors ---------------------------------------------------------- */

/* Reads an ONNX tensor into value v (dims and data).  `what` names it for
 * messages ("initializer 'w'", "node 'Constant_3' (Constant)"). */
static tsc_status read_tensor(tsc__nn_graph *g, const Onnx__TensorProto *t, int v,
                              const char *what, tsc_error *err)
{
    tsc__nn_value *val = &g->vals[v];
    int dt = t->has_data_type ? t->data_type : 0;
    tsc__nn_dtype to;
    size_t src_size;
    switch (dt) {
    case ONNX_FLOAT: to = TSC__NN_F32, src_size = 4; break;
    case ONNX_INT64: to = TSC__NN_I64, src_size = 8; break;
    case ONNX_INT32: to = TSC__NN_I64, src_size = 4; break;
    default:
        return tsc_error_set(err, TSC_EUNSUPPORTED,
                             "model %s: %s has data type %s (%d); the engine reads FLOAT, INT64 "
                             "and INT32 tensors only; re-export the model in float32",
                             g->src_name, what, onnx_type_name(dt), dt);
    }
    if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
        return tsc_error_set(err, TSC_EUNSUPPORTED,
                             "model %s: %s keeps its data in an external file; re-export the "
                             "model with the weights inside the .onnx file",
                             g->src_name, what);
    if (t->segment)
        return tsc_error_set(err, TSC_EUNSUPPORTED, "model %s: %s is a segmented tensor",
                             g->src_name, what);
    if (t->n_dims > TSC_NN_MAX_RANK)
        return tsc_error_set(err, TSC_EUNSUPPORTED, "model %s: %s has rank %zu (at most %d)",
                             g->src_name, what, t->n_dims, TSC_NN_MAX_RANK);
    int64_t numel;
    int64_t cap = (int64_t)(g->params.max_weight_bytes / tsc__nn_dtype_size(to));
    if (tsc__nn_numel(t->dims, (int)t->n_dims, cap, &numel) < 0)
        return tsc_error_set(err, TSC_ELIMIT,
                             "model %s: %s has negative or absurd dims (more elements than the "
                             "weight limit of %zu bytes allows); the file is corrupt",
                             g->src_name, what, g->params.max_weight_bytes);
    val->rank = (int)t->n_dims;
    for (size_t i = 0; i < t->n_dims; i++) val->dims[i] = t->dims[i];
    val->numel = numel;
    val->dtype = to;
    val->shaped = 1;

    /* Exactly one source, of exactly the right size. */
    const void *raw = NULL;
    size_t n_typed = 0;
    if (t->has_raw_data && t->raw_data.len > 0) {
        if (t->raw_data.len / src_size != (size_t)numel || t->raw_data.len % src_size)
            return tsc_error_set(err, TSC_EFORMAT,
                                 "model %s: %s has %zu bytes of raw data but its dims need "
                                 "%lld elements of %zu bytes; the file is corrupt",
                                 g->src_name, what, t->raw_data.len, (long long)numel, src_size);
        raw = t->raw_data.data;
    } else {
        n_typed = dt == ONNX_FLOAT ? t->n_float_data
                  : dt == ONNX_INT64 ? t->n_int64_data
                                     : t->n_int32_data;
        if (n_typed != (size_t)numel)
            return tsc_error_set(err, TSC_EFORMAT,
                                 "model %s: %s has %zu values but its dims need %lld; the file "
                                 "is corrupt",
                                 g->src_name, what, n_typed, (long long)numel);
    }
    tsc_status st = tsc__nn_alloc_const(g, v, NULL, err);
    if (st != TSC_OK) return st;
    val = &g->vals[v];
    if (numel == 0) return TSC_OK; /* the typed field may be NULL */
    if (dt == ONNX_FLOAT) {
        memcpy(val->data, raw ? raw : (const void *)t->float_data, (size_t)numel * 4);
    } else if (dt == ONNX_INT64) {
        memcpy(val->data, raw ? raw : (const void *)t->int64_data, (size_t)numel * 8);
    } else {
        int64_t *d = val->data;
        for (int64_t i = 0; i < numel; i++) {
            int32_t x;
            if (raw)
                memcpy(&x, (const char *)raw + 4 * i, 4);
            else
                x = t->int32_data[i];
            d[i] = x;
        }
    }
    return TSC_OK;
}

/* ---- attributes ------------------------------------------------------- */

typedef Onnx__AttributeProto__AttributeType atype;
#define AT(x) ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__##x

static int attr_is(const Onnx__AttributeProto *at, const char *name)
{
    return at->name && !strcmp(at->name, name);
}

static int str_eq(const ProtobufCBinaryData *s, const char *lit)
{
    size_t n = strlen(lit);
    return s->len == n && !memcmp(s->data, lit, n);
}

typedef struct actx {
    const tsc__nn_graph *g;
    const tsc__nn_node *n;
    const Onnx__AttributeProto *at;
    tsc_error *err;
} actx;

static tsc_status bad_attr(const actx *c, const char *why)
{
    return tsc_error_set(c->err, TSC_EUNSUPPORTED,
                         "model %s: " TSC__NN_NODE_FMT ": attribute '%s' %s", c->g->src_name,
                         TSC__NN_NODE_ARGS(c->n), c->at->name ? c->at->name : "", why);
}

static tsc_status want_type(const actx *c, atype t)
{
    if (!c->at->has_type || c->at->type != t) {
        /* Old exporters leave `type` unset; accept when the payload matches. */
        if (!c->at->has_type) {
            if (t == AT(INT) && c->at->has_i) return TSC_OK;
            if (t == AT(FLOAT) && c->at->has_f) return TSC_OK;
            if (t == AT(STRING) && c->at->has_s) return TSC_OK;
            if (t == AT(INTS) && c->at->n_ints) return TSC_OK;
            if (t == AT(FLOATS) && c->at->n_floats) return TSC_OK;
            if (t == AT(TENSOR) && c->at->t) return TSC_OK;
        }
        return bad_attr(c, "has the wrong type");
    }
    return TSC_OK;
}

static tsc_status get_int(const actx *c, int64_t *out)
{
    tsc_status st = want_type(c, AT(INT));
    if (st == TSC_OK) *out = c->at->i;
    return st;
}

/* An integer attribute read as a flag: 1 when nonzero. */
static tsc_status get_flag(const actx *c, int *out)
{
    int64_t v = 0;
    tsc_status st = get_int(c, &v);
    *out = v != 0;
    return st;
}

/* An integer attribute supported only at `value`; any other is
 * unsupported, `why` says how. */
static tsc_status need_int(const actx *c, int64_t value, const char *why)
{
    int64_t v;
    tsc_status st = get_int(c, &v);
    return st == TSC_OK && v != value ? bad_attr(c, why) : st;
}

static tsc_status get_float(const actx *c, float *out)
{
    tsc_status st = want_type(c, AT(FLOAT));
    if (st == TSC_OK) *out = c->at->f;
    return st;
}

/* The values a string attribute may name, each with what it stands for. */
typedef struct named_value {
    const char *name;
    int value;
} named_value;
#define NAMED(table) table, sizeof table / sizeof table[0]

static const named_value auto_pads[] = {
    {"NOTSET", 0}, {"SAME_UPPER", 1}, {"SAME_LOWER", 2}, {"VALID", 3}};
static const named_value resize_modes[] = {{"nearest", 0}, {"linear", 1}, {"bilinear", 1}};
static const named_value coord_modes[] = {{"half_pixel", TSC__NN_COORD_HALF_PIXEL},
                                          {"pytorch_half_pixel", TSC__NN_COORD_PYTORCH_HALF_PIXEL},
                                          {"align_corners", TSC__NN_COORD_ALIGN_CORNERS},
                                          {"asymmetric", TSC__NN_COORD_ASYMMETRIC}};
static const named_value nearest_modes[] = {
    {"round_prefer_floor", TSC__NN_NEAREST_ROUND_PREFER_FLOOR},
    {"round_prefer_ceil", TSC__NN_NEAREST_ROUND_PREFER_CEIL},
    {"floor", TSC__NN_NEAREST_FLOOR},
    {"ceil", TSC__NN_NEAREST_CEIL}};
static const named_value pad_modes[] = {{"constant", 0}};

/* A string attribute naming one of the n `names`: its value in *out; any
 * other string is unsupported, `why` says how. */
static tsc_status get_named(const actx *c, const named_value *names, size_t n, int *out,
                            const char *why)
{
    tsc_status st = want_type(c, AT(STRING));
    if (st != TSC_OK) return st;
    for (size_t i = 0; i < n; i++)
        if (str_eq(&c->at->s, names[i].name)) {
            *out = names[i].value;
            return TSC_OK;
        }
    return bad_attr(c, why);
}

static tsc_status get_ints(const actx *c, int64_t *out, int max, int *n)
{
    tsc_status st = want_type(c, AT(INTS));
    if (st != TSC_OK) return st;
    if (c->at->n_ints > (size_t)max) return bad_attr(c, "has too many values");
    for (size_t i = 0; i < c->at->n_ints; i++) out[i] = c->at->ints[i];
    *n = (int)c->at->n_ints;
    return TSC_OK;
}

static tsc_status parse_attrs(tsc__nn_graph *g, tsc__nn_node *n, const Onnx__NodeProto *np,
                              tsc_error *err)
{
    tsc__nn_attrs *a = &n->a;
    /* Defaults per operator. */
    for (int i = 0; i < TSC__NN_MAX_SPATIAL; i++) a->stride[i] = a->dilation[i] = 1;
    a->group = 1;
    a->epsilon = 1e-5f;
    a->alpha = 1.0f;
    a->beta = 1.0f;
    a->clip_lo = -3.402823466e38f;
    a->clip_hi = 3.402823466e38f;
    a->coord = TSC__NN_COORD_HALF_PIXEL;
    a->nearest = TSC__NN_NEAREST_ROUND_PREFER_FLOOR;
    a->fill_dtype = TSC__NN_F32;
    a->keepdims = 1;
    switch (n->op) {
    case TSC__NN_OP_LEAKYRELU: a->alpha = 0.01f; break;
    case TSC__NN_OP_HARDSIGMOID: a->alpha = 0.2f, a->beta = 0.5f; break;
    case TSC__NN_OP_FLATTEN: a->axis = 1; break;
    case TSC__NN_OP_SOFTMAX: a->axis = g->opset >= 13 ? -1 : 1; break;
    case TSC__NN_OP_UPSAMPLE: a->coord = TSC__NN_COORD_ASYMMETRIC; break;
    default: break;
    }

    for (size_t k = 0; k < np->n_attribute; k++) {
        const Onnx__AttributeProto *at = np->attribute[k];
        actx c = {g, n, at, err};
        tsc_status st = TSC_OK;
        int cnt = 0, named = 0;
        int64_t iv = 0;
        if (!at->name) return bad_attr(&c, "has no name");
        if (at->ref_attr_name && at->ref_attr_name[0])
            return bad_attr(&c, "refers to a function attribute");
        switch (n->op) {
        case TSC__NN_OP_CONV:
        case TSC__NN_OP_CONVT:
        case TSC__NN_OP_MAXPOOL:
        case TSC__NN_OP_AVGPOOL:
            if (attr_is(at, "auto_pad")) {
                st = get_named(&c, NAMED(auto_pads), &a->auto_pad, "has an unknown value");
            } else if (attr_is(at, "kernel_shape")) {
                st = get_ints(&c, a->kernel, TSC__NN_MAX_SPATIAL, &cnt);
                a->has_kernel = cnt;
            } else if (attr_is(at, "strides")) {
                st = get_ints(&c, a->stride, TSC__NN_MAX_SPATIAL, &a->n_strides);
            } else if (attr_is(at, "dilations") && n->op != TSC__NN_OP_AVGPOOL) {
                st = get_ints(&c, a->dilation, TSC__NN_MAX_SPATIAL, &a->n_dilations);
            } else if (attr_is(at, "pads")) {
                int64_t p[2 * TSC__NN_MAX_SPATIAL];
                st = get_ints(&c, p, 2 * TSC__NN_MAX_SPATIAL, &cnt);
                if (st == TSC_OK && cnt % 2) return bad_attr(&c, "has an odd number of values");
                for (int i = 0; i < cnt / 2; i++) a->pad_b[i] = p[i], a->pad_e[i] = p[i + cnt / 2];
                a->has_pads = cnt / 2;
            } else if (attr_is(at, "group") && (n->op == TSC__NN_OP_CONV || n->op == TSC__NN_OP_CONVT)) {
                st = get_int(&c, &a->group);
            } else if (attr_is(at, "output_padding") && n->op == TSC__NN_OP_CONVT) {
                st = get_ints(&c, a->out_pad, TSC__NN_MAX_SPATIAL, &a->n_out_pad);
            } else if (attr_is(at, "output_shape") && n->op == TSC__NN_OP_CONVT) {
                return bad_attr(&c, "is not supported (give pads and output_padding instead)");
            } else if (attr_is(at, "ceil_mode") &&
                       (n->op == TSC__NN_OP_MAXPOOL || n->op == TSC__NN_OP_AVGPOOL)) {
                st = get_flag(&c, &a->ceil_mode);
            } else if (attr_is(at, "count_include_pad") && n->op == TSC__NN_OP_AVGPOOL) {
                st = get_flag(&c, &a->count_include_pad);
            } else if (attr_is(at, "storage_order") && n->op == TSC__NN_OP_MAXPOOL) {
                st = need_int(&c, 0, "must be 0 (row major)");
            } else {
                return bad_attr(&c, "is not supported");
            }
            break;
        case TSC__NN_OP_BN:
            if (attr_is(at, "epsilon")) {
                st = get_float(&c, &a->epsilon);
            } else if (attr_is(at, "momentum")) {
                float m;
                st = get_float(&c, &m); /* training only */
            } else if (attr_is(at, "spatial")) {
                st = need_int(&c, 1, "must be 1 (per-channel statistics)");
            } else if (attr_is(at, "is_test")) {
                st = get_int(&c, &iv);
            } else if (attr_is(at, "training_mode")) {
                st = need_int(&c, 0, "is set; export the model in eval() mode");
            } else {
                return bad_attr(&c, "is not supported");
            }
            break;
        case TSC__NN_OP_LEAKYRELU:
        case TSC__NN_OP_ELU:
            if (attr_is(at, "alpha"))
                st = get_float(&c, &a->alpha);
            else
                return bad_attr(&c, "is not supported");
            break;
        case TSC__NN_OP_HARDSIGMOID:
            if (attr_is(at, "alpha"))
                st = get_float(&c, &a->alpha);
            else if (attr_is(at, "beta"))
                st = get_float(&c, &a->beta);
            else
                return bad_attr(&c, "is not supported");
            break;
        case TSC__NN_OP_CLIP:
            if (attr_is(at, "min") && g->opset < 11)
                st = get_float(&c, &a->clip_lo);
            else if (attr_is(at, "max") && g->opset < 11)
                st = get_float(&c, &a->clip_hi);
            else
                return bad_attr(&c, "is not supported");
            break;
        case TSC__NN_OP_CONCAT:
        case TSC__NN_OP_FLATTEN:
        case TSC__NN_OP_SOFTMAX:
        case TSC__NN_OP_GATHER:
            if (attr_is(at, "axis")) {
                st = get_int(&c, &a->axis);
                a->has_axis = 1;
            } else {
                return bad_attr(&c, "is not supported");
            }
            break;
        case TSC__NN_OP_RESIZE:
        case TSC__NN_OP_UPSAMPLE:
            if (attr_is(at, "mode")) {
                st = get_named(&c, NAMED(resize_modes), &a->resize_linear,
                               "asks for a mode other than nearest or linear");
            } else if (attr_is(at, "coordinate_transformation_mode") &&
                       n->op == TSC__NN_OP_RESIZE) {
                st = get_named(&c, NAMED(coord_modes), &named,
                               "asks for an unsupported coordinate transformation");
                a->coord = (tsc__nn_coord)named;
            } else if (attr_is(at, "nearest_mode") && n->op == TSC__NN_OP_RESIZE) {
                st = get_named(&c, NAMED(nearest_modes), &named, "has an unknown value");
                a->nearest = (tsc__nn_nearest)named;
            } else if (attr_is(at, "cubic_coeff_a") || attr_is(at, "extrapolation_value")) {
                float f;
                st = get_float(&c, &f); /* only used by modes we reject */
            } else if (attr_is(at, "exclude_outside")) {
                st = need_int(&c, 0, "must be 0");
            } else if (attr_is(at, "scales") && n->op == TSC__NN_OP_UPSAMPLE) {
                if ((st = want_type(&c, AT(FLOATS))) != TSC_OK) return st;
                if (at->n_floats > TSC_NN_MAX_RANK) return bad_attr(&c, "has too many values");
                for (size_t i = 0; i < at->n_floats; i++) a->scales[i] = at->floats[i];
                a->n_scales = (int)at->n_floats;
            } else {
                return bad_attr(&c, "is not supported");
            }
            break;
        case TSC__NN_OP_GEMM:
            if (attr_is(at, "alpha"))
                st = get_float(&c, &a->alpha);
            else if (attr_is(at, "beta"))
                st = get_float(&c, &a->beta);
            else if (attr_is(at, "transA")) {
                st = get_flag(&c, &a->trans_a);
            } else if (attr_is(at, "transB")) {
                st = get_flag(&c, &a->trans_b);
            } else
                return bad_attr(&c, "is not supported");
            break;
        case TSC__NN_OP_RESHAPE:
            if (attr_is(at, "allowzero")) {
                st = need_int(&c, 0, "is set; zero-sized tensors are not supported");
            } else if (attr_is(at, "shape") && g->opset < 5) {
                return bad_attr(&c, "(opset < 5) is not supported");
            } else {
                return bad_attr(&c, "is not supported");
            }
            break;
        case TSC__NN_OP_SQUEEZE:
        case TSC__NN_OP_UNSQUEEZE:
            if (attr_is(at, "axes") && g->opset < 13)
                st = get_ints(&c, a->axes, TSC_NN_MAX_RANK, &a->n_axes);
            else
                return bad_attr(&c, "is not supported");
            break;
        case TSC__NN_OP_REDUCEMEAN:
            if (attr_is(at, "axes")) {
                st = get_ints(&c, a->axes, TSC_NN_MAX_RANK, &a->n_axes);
            } else if (attr_is(at, "keepdims")) {
                st = get_flag(&c, &a->keepdims);
            } else {
                return bad_attr(&c, "is not supported");
            }
            break;
        case TSC__NN_OP_TRANSPOSE:
            if (attr_is(at, "perm"))
                st = get_ints(&c, a->perm, TSC_NN_MAX_RANK, &a->n_perm);
            else
                return bad_attr(&c, "is not supported");
            break;
        case TSC__NN_OP_DROPOUT:
            if (attr_is(at, "ratio")) {
                float f;
                st = get_float(&c, &f);
            } else if (attr_is(at, "is_test") || attr_is(at, "seed")) {
                st = at->has_i ? TSC_OK : bad_attr(&c, "has the wrong type");
            } else {
                return bad_attr(&c, "is not supported");
            }
            break;
        case TSC__NN_OP_SHAPE:
            if (attr_is(at, "start"))
                st = get_int(&c, &a->shape_start);
            else if (attr_is(at, "end")) {
                st = get_int(&c, &a->shape_end);
                a->has_shape_end = 1;
            } else
                return bad_attr(&c, "is not supported");
            break;
        case TSC__NN_OP_SLICE:
            if (g->opset >= 10) return bad_attr(&c, "is not supported");
            if (attr_is(at, "starts"))
                st = get_ints(&c, a->starts, TSC_NN_MAX_RANK, &a->n_starts);
            else if (attr_is(at, "ends"))
                st = get_ints(&c, a->ends, TSC_NN_MAX_RANK, &a->n_ends);
            else if (attr_is(at, "axes"))
                st = get_ints(&c, a->axes, TSC_NN_MAX_RANK, &a->n_axes);
            else
                return bad_attr(&c, "is not supported");
            break;
        case TSC__NN_OP_CAST:
            if (attr_is(at, "to")) {
                st = get_int(&c, &a->cast_to);
                if (st == TSC_OK && a->cast_to != ONNX_FLOAT && a->cast_to != ONNX_INT64 &&
                    a->cast_to != ONNX_INT32 && a->cast_to != ONNX_DOUBLE)
                    return bad_attr(&c, "asks for a data type other than float or integer");
            } else {
                return bad_attr(&c, "is not supported");
            }
            break;
        case TSC__NN_OP_PAD:
            if (attr_is(at, "mode")) {
                st = get_named(&c, NAMED(pad_modes), &named, "asks for a mode other than constant");
            } else if (attr_is(at, "pads") && g->opset < 11) {
                int64_t p[2 * TSC_NN_MAX_RANK];
                st = get_ints(&c, p, 2 * TSC_NN_MAX_RANK, &cnt);
                for (int i = 0; i < cnt; i++) a->pads[i] = p[i];
                a->n_axes = cnt; /* pads count, checked by inference */
            } else if (attr_is(at, "value") && g->opset < 11) {
                float f = 0;
                st = get_float(&c, &f);
                a->fill = f;
            } else {
                return bad_attr(&c, "is not supported");
            }
            break;
        case TSC__NN_OP_CONSTANT:
        case TSC__NN_OP_CONSTANTOFSHAPE:
            /* Handled by the caller, which owns the tensor payload. */
            break;
        default:
            return bad_attr(&c, "is not supported");
        }
        if (st != TSC_OK) return st;
    }
    return TSC_OK;
}

/* Constant: the payload becomes the output value's data. */
static tsc_status read_constant_node(tsc__nn_graph *g, tsc__nn_node *n,
                                     const Onnx__NodeProto *np, tsc_error *err)
{
    char what[200];
    snprintf(what, sizeof what, TSC__NN_NODE_FMT, TSC__NN_NODE_ARGS(n));
    if (np->n_attribute != 1 || !np->attribute[0]->name)
        return tsc_error_set(err, TSC_EFORMAT,
                             "model %s: %s must have exactly one value attribute", g->src_name,
                             what);
    const Onnx__AttributeProto *at = np->attribute[0];
    actx c = {g, n, at, err};
    if (n->n_out != 1 || n->out[0] < 0)
        return tsc_error_set(err, TSC_EFORMAT, "model %s: %s must have one output",
                             g->src_name, what);
    int v = n->out[0];
    tsc__nn_value *val = &g->vals[v];
    tsc_status st;
    if (attr_is(at, "value")) {
        if ((st = want_type(&c, AT(TENSOR))) != TSC_OK) return st;
        if (!at->t) return bad_attr(&c, "has no tensor");
        return read_tensor(g, at->t, v, what, err);
    }
    int is_float = attr_is(at, "value_float") || attr_is(at, "value_floats");
    int is_list = attr_is(at, "value_floats") || attr_is(at, "value_ints");
    if (!is_float && !attr_is(at, "value_int") && !is_list)
        return bad_attr(&c, "is not supported");
    if ((st = want_type(&c, is_float ? (is_list ? AT(FLOATS) : AT(FLOAT))
                                     : (is_list ? AT(INTS) : AT(INT)))) != TSC_OK)
        return st;
    size_t count = is_list ? (is_float ? at->n_floats : at->n_ints) : 1;
    val->dtype = is_float ? TSC__NN_F32 : TSC__NN_I64;
    val->rank = is_list ? 1 : 0;
    val->dims[0] = (int64_t)count;
    val->numel = (int64_t)count;
    val->shaped = 1;
    if ((st = tsc__nn_alloc_const(g, v, n, err)) != TSC_OK) return st;
    val = &g->vals[v];
    for (size_t i = 0; i < count; i++) {
        if (is_float)
            ((float *)val->data)[i] = is_list ? at->floats[i] : at->f;
        else
            ((int64_t *)val->data)[i] = is_list ? at->ints[i] : at->i;
    }
    return TSC_OK;
}

static tsc_status read_constant_of_shape(tsc__nn_graph *g, tsc__nn_node *n,
                                         const Onnx__NodeProto *np, tsc_error *err)
{
    for (size_t k = 0; k < np->n_attribute; k++) {
        const Onnx__AttributeProto *at = np->attribute[k];
        actx c = {g, n, at, err};
        if (!attr_is(at, "value")) return bad_attr(&c, "is not supported");
        tsc_status st = want_type(&c, AT(TENSOR));
        if (st != TSC_OK) return st;
        const Onnx__TensorProto *t = at->t;
        if (!t) return bad_attr(&c, "has no tensor");
        int dt = t->has_data_type ? t->data_type : 0;
        size_t sz = dt == ONNX_FLOAT ? 4 : dt == ONNX_INT64 ? 8 : dt == ONNX_INT32 ? 4 : 0;
        if (!sz) return bad_attr(&c, "has a data type other than float or integer");
        size_t count = t->has_raw_data ? t->raw_data.len / sz
                       : dt == ONNX_FLOAT ? t->n_float_data
                       : dt == ONNX_INT64 ? t->n_int64_data
                                          : t->n_int32_data;
        if (count != 1 || (t->has_raw_data && t->raw_data.len != sz))
            return bad_attr(&c, "must hold exactly one value");
        if (dt == ONNX_FLOAT) {
            float f;
            if (t->has_raw_data)
                memcpy(&f, t->raw_data.data, 4);
            else
                f = t->float_data[0];
            n->a.fill = f;
            n->a.fill_dtype = TSC__NN_F32;
        } else if (dt == ONNX_INT64) {
            int64_t x;
            if (t->has_raw_data)
                memcpy(&x, t->raw_data.data, 8);
            else
                x = t->int64_data[0];
            n->a.fill = (double)x;
            n->a.fill_dtype = TSC__NN_I64;
        } else {
            int32_t x;
            if (t->has_raw_data)
                memcpy(&x, t->raw_data.data, 4);
            else
                x = t->int32_data[0];
            n->a.fill = x;
            n->a.fill_dtype = TSC__NN_I64;
        }
    }
    return TSC_OK;
}

/* ---- graph ------------------------------------------------------------ */

static tsc_status read_graph_input(tsc__nn_graph *g, const Onnx__ValueInfoProto *vi, int v,
                                   tsc_error *err)
{
    tsc__nn_value *val = &g->vals[v];
    const Onnx__TypeProto *tp = vi->type;
    if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type)
        return tsc_error_set(err, TSC_EUNSUPPORTED,
                             "model %s: graph input '%s' is not a tensor", g->src_name,
                             val->name);
    const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
    int et = tt->has_elem_type ? tt->elem_type : 0;
    if (et != ONNX_FLOAT)
        return tsc_error_set(err, TSC_EUNSUPPORTED,
                             "model %s: graph input '%s' has element type %s; the engine takes "
                             "float32 inputs only",
                             g->src_name, val->name, onnx_type_name(et));
    if (!tt->shape)
        return tsc_error_set(err, TSC_EUNSUPPORTED,
                             "model %s: graph input '%s' has no shape; export with a fixed "
                             "input shape",
                             g->src_name, val->name);
    if (tt->shape->n_dim < 1 || tt->shape->n_dim > TSC_NN_MAX_RANK)
        return tsc_error_set(err, TSC_EUNSUPPORTED,
                             "model %s: graph input '%s' has rank %zu (1 to %d supported)",
                             g->src_name, val->name, tt->shape->n_dim, TSC_NN_MAX_RANK);
    int64_t dims[TSC_NN_MAX_RANK];
    for (size_t i = 0; i < tt->shape->n_dim; i++) {
        const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
        if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
            d->dim_value > 0) {
            dims[i] = d->dim_value;
        } else if (i == 0 && g->params.batch > 0 &&
                   d->value_case != ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
            dims[i] = g->params.batch;
        } else if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
            return tsc_error_set(err, TSC_EUNSUPPORTED,
                                 "model %s: graph input '%s' has dimension %zu of size %lld; "
                                 "sizes must be positive",
                                 g->src_name, val->name, i, (long long)d->dim_value);
        } else {
            return tsc_error_set(err, TSC_EUNSUPPORTED,
                                 "model %s: graph input '%s' has a dynamic dimension %zu (%s); "
                                 "export with a fixed input shape%s",
                                 g->src_name, val->name, i,
                                 d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM
                                     ? d->dim_param
                                     : "unset",
                                 i == 0 ? " or set tsc_nn_params.batch" : "");
        }
    }
    int64_t n;
    int64_t cap = (int64_t)(g->params.max_activation_bytes / 4);
    if (tsc__nn_numel(dims, (int)tt->shape->n_dim, cap, &n) < 0)
        return tsc_error_set(err, TSC_ELIMIT,
                             "model %s: graph input '%s' is larger than the activation limit "
                             "(%zu bytes)",
                             g->src_name, val->name, g->params.max_activation_bytes);
    val->kind = TSC__NN_VAL_INPUT;
    val->dtype = TSC__NN_F32;
    val->rank = (int)tt->shape->n_dim;
    for (int i = 0; i < val->rank; i++) val->dims[i] = dims[i];
    val->numel = n;
    val->shaped = 1;
    return TSC_OK;
}

/* The node that computes input k of node i; -1 for a graph input, an
 * initializer or an omitted optional input. */
static int producer_of(const tsc__nn_graph *g, int i, int k)
{
    int v = g->nodes[i].in[k];
    return v >= 0 ? g->vals[v].producer : -1;
}

static tsc_status toposort(tsc__nn_graph *g, tsc_error *err)
{
    int nn = g->n_nodes;
    tsc_status st = TSC_OK;
    int *indeg = calloc((size_t)nn + 1, sizeof *indeg);
    int *start = calloc((size_t)nn + 2, sizeof *start);
    int *fill = calloc((size_t)nn + 1, sizeof *fill);
    int *queue = malloc(((size_t)nn + 1) * sizeof *queue);
    g->order = malloc(((size_t)nn + 1) * sizeof *g->order);
    size_t n_edges = 0;
    for (int i = 0; i < nn; i++) n_edges += (size_t)g->nodes[i].n_in;
    int *edges = malloc((n_edges + 1) * sizeof *edges);
    if (!indeg || !start || !fill || !queue || !g->order || !edges) {
        st = tsc_error_set(err, TSC_ENOMEM, "model %s: out of memory sorting the graph",
                           g->src_name);
        goto done;
    }
    /* CSR adjacency from producer to consumers. */
    for (int i = 0; i < nn; i++)
        for (int k = 0; k < g->nodes[i].n_in; k++) {
            int p = producer_of(g, i, k);
            if (p < 0) continue;
            start[p + 1]++;
            indeg[i]++;
        }
    for (int i = 0; i < nn; i++) start[i + 1] += start[i];
    for (int i = 0; i < nn; i++)
        for (int k = 0; k < g->nodes[i].n_in; k++) {
            int p = producer_of(g, i, k);
            if (p >= 0) edges[start[p] + fill[p]++] = i;
        }
    /* Kahn's algorithm, seeded in file order so that a sorted file keeps its order. */
    int head = 0, tail = 0, done_n = 0;
    for (int i = 0; i < nn; i++)
        if (!indeg[i]) queue[tail++] = i;
    while (head < tail) {
        int i = queue[head++];
        g->order[done_n++] = i;
        for (int e = start[i]; e < start[i + 1]; e++)
            if (--indeg[edges[e]] == 0) queue[tail++] = edges[e];
    }
    if (done_n != nn) {
        int culprit = 0;
        for (int i = 0; i < nn; i++)
            if (indeg[i]) {
                culprit = i;
                break;
            }
        st = tsc_error_set(err, TSC_EFORMAT,
                           "model %s: the graph has a cycle through " TSC__NN_NODE_FMT
                           "; the file is corrupt",
                           g->src_name, TSC__NN_NODE_ARGS(&g->nodes[culprit]));
    }
done:
    free(indeg);
    free(start);
    free(fill);
    free(queue);
    free(edges);
    return st;
}

static char *dup_or(const char *s, const char *fallback)
{
    return strdup(s && *s ? s : fallback);
}

static tsc_status build(tsc__nn_graph *g, const Onnx__ModelProto *mp, tsc_error *err)
{
    tsc_status st;
    /* Opset of the default domain. */
    g->opset = -1;
    for (size_t i = 0; i < mp->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *o = mp->opset_import[i];
        if (!o->domain || !o->domain[0] || !strcmp(o->domain, "ai.onnx"))
            g->opset = o->has_version ? o->version : 0;
    }
    if (g->opset < 0)
        return tsc_error_set(err, TSC_EFORMAT,
                             "model %s: no opset is imported for the default ONNX domain; the "
                             "file is not an ONNX model or is truncated",
                             g->src_name);
    if (g->opset < 9 || g->opset > 17)
        return tsc_error_set(err, TSC_EUNSUPPORTED,
                             "model %s: opset %lld is not supported (9 to 17); re-export with "
                             "opset_version=13",
                             g->src_name, (long long)g->opset);
    const Onnx__GraphProto *gp = mp->graph;
    if (!gp)
        return tsc_error_set(err, TSC_EFORMAT, "model %s: the file has no graph", g->src_name);
    if (gp->n_sparse_initializer)
        return tsc_error_set(err, TSC_EUNSUPPORTED,
                             "model %s: sparse initializers are not supported", g->src_name);
    if (gp->n_node > (1u << 20) || gp->n_initializer > (1u << 20))
        return tsc_error_set(err, TSC_ELIMIT, "model %s: more than 2^20 nodes or initializers",
                             g->src_name);

    /* Initializers. */
    for (size_t i = 0; i < gp->n_initializer; i++) {
        const Onnx__TensorProto *t = gp->initializer[i];
        if (!t->name || !t->name[0])
            return tsc_error_set(err, TSC_EFORMAT, "model %s: initializer %zu has no name",
                                 g->src_name, i);
        if (tsc__nn_graph_find(g, t->name) >= 0)
            return tsc_error_set(err, TSC_EFORMAT,
                                 "model %s: initializer '%s' is defined twice", g->src_name,
                                 t->name);
        int v = tsc__nn_graph_add_value(g, t->name, err);
        if (v < 0) return TSC_ENOMEM;
        char what[200];
        snprintf(what, sizeof what, "initializer '%.150s'", t->name);
        if ((st = read_tensor(g, t, v, what, err)) != TSC_OK) return st;
    }
    /* Graph inputs that are not initializers. */
    g->inputs = malloc((gp->n_input + 1) * sizeof *g->inputs);
    if (!g->inputs) return tsc_error_set(err, TSC_ENOMEM, "out of memory");
    for (size_t i = 0; i < gp->n_input; i++) {
        const Onnx__ValueInfoProto *vi = gp->input[i];
        if (!vi->name || !vi->name[0])
            return tsc_error_set(err, TSC_EFORMAT, "model %s: graph input %zu has no name",
                                 g->src_name, i);
        int v = tsc__nn_graph_find(g, vi->name);
        if (v >= 0) {
            if (g->vals[v].kind == TSC__NN_VAL_CONST) continue; /* IR < 4 lists weights */
            return tsc_error_set(err, TSC_EFORMAT, "model %s: graph input '%s' is listed twice",
                                 g->src_name, vi->name);
        }
        if ((v = tsc__nn_graph_add_value(g, vi->name, err)) < 0) return TSC_ENOMEM;
        if ((st = read_graph_input(g, vi, v, err)) != TSC_OK) return st;
        g->inputs[g->n_inputs++] = v;
    }
    if (!g->n_inputs)
        return tsc_error_set(err, TSC_EUNSUPPORTED, "model %s: the graph has no runtime input",
                             g->src_name);

    /* Nodes and the values they produce. */
    g->nodes = calloc(gp->n_node + 1, sizeof *g->nodes);
    if (!g->nodes) return tsc_error_set(err, TSC_ENOMEM, "out of memory");
    for (size_t i = 0; i < gp->n_node; i++) {
        const Onnx__NodeProto *np = gp->node[i];
        tsc__nn_node *n = &g->nodes[g->n_nodes++];
        char idx[32];
        snprintf(idx, sizeof idx, "#%zu", i);
        n->name = dup_or(np->name, idx);
        n->op_type = dup_or(np->op_type, "(none)");
        n->sum_with = -1;
        n->in = malloc((np->n_input + 1) * sizeof *n->in);
        n->out = malloc((np->n_output + 1) * sizeof *n->out);
        if (!n->name || !n->op_type || !n->in || !n->out)
            return tsc_error_set(err, TSC_ENOMEM, "out of memory");
        if (np->domain && np->domain[0] && strcmp(np->domain, "ai.onnx"))
            return tsc_error_set(err, TSC_EUNSUPPORTED,
                                 "model %s: " TSC__NN_NODE_FMT
                                 ": operator domain '%s' is not supported (only standard ONNX "
                                 "operators)",
                                 g->src_name, TSC__NN_NODE_ARGS(n), np->domain);
        int op = tsc__nn_op_from_name(n->op_type);
        if (op < 0)
            return tsc_error_set(err, TSC_EUNSUPPORTED,
                                 "model %s: " TSC__NN_NODE_FMT
                                 ": operator '%s' is not supported by the engine (see "
                                 "docs/ENGINE.md for the list)",
                                 g->src_name, TSC__NN_NODE_ARGS(n), n->op_type);
        n->op = (tsc__nn_op)op;
        if (np->n_input > 64 || np->n_output > 16)
            return tsc_error_set(err, TSC_EUNSUPPORTED,
                                 "model %s: " TSC__NN_NODE_FMT ": too many inputs or outputs",
                                 g->src_name, TSC__NN_NODE_ARGS(n));
        n->n_out = (int)np->n_output;
        for (size_t k = 0; k < np->n_output; k++) {
            const char *name = np->output[k];
            if (!name || !name[0]) {
                n->out[k] = -1;
                continue;
            }
            if (tsc__nn_graph_find(g, name) >= 0)
                return tsc_error_set(err, TSC_EFORMAT,
                                     "model %s: " TSC__NN_NODE_FMT
                                     ": output '%s' is already defined elsewhere; the graph is "
                                     "not in SSA form",
                                     g->src_name, TSC__NN_NODE_ARGS(n), name);
            int v = tsc__nn_graph_add_value(g, name, err);
            if (v < 0) return TSC_ENOMEM;
            g->vals[v].producer = (int)i;
            n->out[k] = v;
        }
    }
    /* Inputs are resolved once every output exists (files need not be sorted). */
    for (int i = 0; i < g->n_nodes; i++) {
        tsc__nn_node *n = &g->nodes[i];
        const Onnx__NodeProto *np = gp->node[i];
        n->n_in = (int)np->n_input;
        for (size_t k = 0; k < np->n_input; k++) {
            const char *name = np->input[k];
            if (!name || !name[0]) {
                n->in[k] = -1;
                continue;
            }
            int v = tsc__nn_graph_find(g, name);
            if (v < 0)
                return tsc_error_set(err, TSC_EFORMAT,
                                     "model %s: " TSC__NN_NODE_FMT
                                     ": input '%s' is neither a graph input, an initializer nor "
                                     "a node output (missing initializer?); the file is "
                                     "incomplete",
                                     g->src_name, TSC__NN_NODE_ARGS(n), name);
            n->in[k] = v;
            g->vals[v].n_uses++;
        }
        if ((st = parse_attrs(g, n, np, err)) != TSC_OK) return st;
        if (n->op == TSC__NN_OP_CONSTANT) {
            if ((st = read_constant_node(g, n, np, err)) != TSC_OK) return st;
            n->dead = 1;
        } else if (n->op == TSC__NN_OP_CONSTANTOFSHAPE) {
            if ((st = read_constant_of_shape(g, n, np, err)) != TSC_OK) return st;
        }
    }
    /* Graph outputs. */
    if (!gp->n_output)
        return tsc_error_set(err, TSC_EFORMAT, "model %s: the graph has no output", g->src_name);
    g->outputs = malloc(gp->n_output * sizeof *g->outputs);
    if (!g->outputs) return tsc_error_set(err, TSC_ENOMEM, "out of memory");
    for (size_t i = 0; i < gp->n_output; i++) {
        const char *name = gp->output[i]->name;
        int v = tsc__nn_graph_find(g, name);
        if (v < 0)
            return tsc_error_set(err, TSC_EFORMAT,
                                 "model %s: graph output '%s' is not produced by any node",
                                 g->src_name, name ? name : "");
        g->vals[v].is_output = 1;
        g->outputs[g->n_outputs++] = v;
    }
    return toposort(g, err);
}

tsc_status tsc__nn_onnx_parse(tsc__nn_graph *g, const void *data, size_t size, tsc_error *err)
{
    counting_alloc ca = {0, 2 * size + ((size_t)256 << 20), 0};
    ProtobufCAllocator alloc = {ca_alloc, ca_free, &ca};
    Onnx__ModelProto *mp = onnx__model_proto__unpack(&alloc, size, data);
    if (!mp) {
        if (ca.refused)
            return tsc_error_set(err, TSC_ELIMIT,
                                 "model %s: decoding the protobuf needs too much memory; the "
                                 "file is corrupt or hostile",
                                 g->src_name);
        return tsc_error_set(err, TSC_EFORMAT,
                             "model %s: not a valid ONNX protobuf (truncated or corrupt file, "
                             "%zu bytes)",
                             g->src_name, size);
    }
    tsc_status st = build(g, mp, err);
    onnx__model_proto__free_unpacked(mp, &alloc);
    return st;
}
