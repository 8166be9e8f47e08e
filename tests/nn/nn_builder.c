/* SPDX-License-Identifier: BSD-3-Clause */
#include "nn_builder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct nb_model {
    Onnx__ModelProto model;
    Onnx__GraphProto graph;
    Onnx__OperatorSetIdProto opset;
    Onnx__OperatorSetIdProto *opsets[1];
    void **allocs;
    size_t n_allocs, cap_allocs;
};

/* Every allocation is remembered and freed with the builder. */
static void *keep(nb_model *b, void *p)
{
    if (!p) abort();
    if (b->n_allocs == b->cap_allocs) {
        b->cap_allocs = b->cap_allocs ? 2 * b->cap_allocs : 64;
        b->allocs = realloc(b->allocs, b->cap_allocs * sizeof *b->allocs);
        if (!b->allocs) abort();
    }
    b->allocs[b->n_allocs++] = p;
    return p;
}

static void *zalloc(nb_model *b, size_t n)
{
    return keep(b, calloc(1, n ? n : 1));
}

static char *dup(nb_model *b, const char *s)
{
    return keep(b, strdup(s));
}

/* Appends to a protobuf-c repeated pointer field. */
#define PUSH(b, count, array, item)                                                     \
    do {                                                                                \
        void **na_ = zalloc((b), ((count) + 1) * sizeof(void *));                       \
        if ((count)) memcpy(na_, (array), (count) * sizeof(void *));                    \
        na_[(count)] = (item);                                                          \
        (array) = (void *)na_;                                                          \
        (count)++;                                                                      \
    } while (0)

nb_model *nb_new(int64_t opset)
{
    nb_model *b = calloc(1, sizeof *b);
    if (!b) abort();
    onnx__model_proto__init(&b->model);
    onnx__graph_proto__init(&b->graph);
    onnx__operator_set_id_proto__init(&b->opset);
    b->model.has_ir_version = 1;
    b->model.ir_version = 7;
    b->opset.domain = dup(b, "");
    b->opset.has_version = 1;
    b->opset.version = opset;
    b->opsets[0] = &b->opset;
    b->model.opset_import = b->opsets;
    b->model.n_opset_import = 1;
    b->model.graph = &b->graph;
    b->graph.name = dup(b, "test");
    return b;
}

void nb_free(nb_model *b)
{
    if (!b) return;
    for (size_t i = 0; i < b->n_allocs; i++) free(b->allocs[i]);
    free(b->allocs);
    free(b);
}

Onnx__ValueInfoProto *nb_input(nb_model *b, const char *name, int rank, const int64_t *dims)
{
    Onnx__ValueInfoProto *vi = zalloc(b, sizeof *vi);
    onnx__value_info_proto__init(vi);
    vi->name = dup(b, name);
    Onnx__TypeProto *tp = zalloc(b, sizeof *tp);
    onnx__type_proto__init(tp);
    Onnx__TypeProto__Tensor *tt = zalloc(b, sizeof *tt);
    onnx__type_proto__tensor__init(tt);
    tt->has_elem_type = 1;
    tt->elem_type = 1;
    Onnx__TensorShapeProto *sh = zalloc(b, sizeof *sh);
    onnx__tensor_shape_proto__init(sh);
    for (int i = 0; i < rank; i++) {
        Onnx__TensorShapeProto__Dimension *d = zalloc(b, sizeof *d);
        onnx__tensor_shape_proto__dimension__init(d);
        d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
        d->dim_value = dims[i];
        PUSH(b, sh->n_dim, sh->dim, d);
    }
    tt->shape = sh;
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    vi->type = tp;
    PUSH(b, b->graph.n_input, b->graph.input, vi);
    return vi;
}

void nb_output(nb_model *b, const char *name)
{
    Onnx__ValueInfoProto *vi = zalloc(b, sizeof *vi);
    onnx__value_info_proto__init(vi);
    vi->name = dup(b, name);
    PUSH(b, b->graph.n_output, b->graph.output, vi);
}

static Onnx__TensorProto *init_raw(nb_model *b, const char *name, int rank, const int64_t *dims,
                                   int dtype, const void *data, size_t elem)
{
    Onnx__TensorProto *t = zalloc(b, sizeof *t);
    onnx__tensor_proto__init(t);
    t->name = dup(b, name);
    t->has_data_type = 1;
    t->data_type = dtype;
    t->n_dims = (size_t)rank;
    t->dims = zalloc(b, (size_t)rank * sizeof *t->dims);
    size_t n = 1;
    for (int i = 0; i < rank; i++) t->dims[i] = dims[i], n *= (size_t)dims[i];
    t->has_raw_data = 1;
    t->raw_data.len = n * elem;
    t->raw_data.data = zalloc(b, n * elem);
    if (data) memcpy(t->raw_data.data, data, n * elem);
    PUSH(b, b->graph.n_initializer, b->graph.initializer, t);
    return t;
}

Onnx__TensorProto *nb_init_f32(nb_model *b, const char *name, int rank, const int64_t *dims,
                               const float *data)
{
    return init_raw(b, name, rank, dims, 1, data, 4);
}

Onnx__TensorProto *nb_init_i64(nb_model *b, const char *name, int rank, const int64_t *dims,
                               const int64_t *data)
{
    return init_raw(b, name, rank, dims, 7, data, 8);
}

void nb_fill_random(float *x, size_t n, unsigned seed)
{
    uint64_t s = 0x9E3779B97F4A7C15ull * (seed + 1);
    for (size_t i = 0; i < n; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        x[i] = (float)((double)(s >> 11) / (double)(1ull << 53) * 2.0 - 1.0);
    }
}

Onnx__TensorProto *nb_init_rand(nb_model *b, const char *name, int rank, const int64_t *dims,
                                float scale, unsigned seed)
{
    Onnx__TensorProto *t = init_raw(b, name, rank, dims, 1, NULL, 4);
    float *x = (float *)t->raw_data.data;
    size_t n = t->raw_data.len / 4;
    nb_fill_random(x, n, seed);
    for (size_t i = 0; i < n; i++) x[i] *= scale;
    return t;
}

Onnx__NodeProto *nb_node(nb_model *b, const char *op, const char *const *in,
                         const char *const *out)
{
    Onnx__NodeProto *n = zalloc(b, sizeof *n);
    onnx__node_proto__init(n);
    n->op_type = dup(b, op);
    char name[64];
    snprintf(name, sizeof name, "%s_%zu", op, b->graph.n_node);
    n->name = dup(b, name);
    for (; in && *in; in++) PUSH(b, n->n_input, n->input, dup(b, *in));
    for (; out && *out; out++) PUSH(b, n->n_output, n->output, dup(b, *out));
    PUSH(b, b->graph.n_node, b->graph.node, n);
    return n;
}

static Onnx__AttributeProto *attr(nb_model *b, Onnx__NodeProto *n, const char *name, int type)
{
    Onnx__AttributeProto *a = zalloc(b, sizeof *a);
    onnx__attribute_proto__init(a);
    a->name = dup(b, name);
    a->has_type = 1;
    a->type = type;
    PUSH(b, n->n_attribute, n->attribute, a);
    return a;
}

void nb_attr_i(nb_model *b, Onnx__NodeProto *n, const char *name, int64_t v)
{
    Onnx__AttributeProto *a = attr(b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    a->has_i = 1;
    a->i = v;
}

void nb_attr_f(nb_model *b, Onnx__NodeProto *n, const char *name, float v)
{
    Onnx__AttributeProto *a = attr(b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    a->has_f = 1;
    a->f = v;
}

void nb_attr_s(nb_model *b, Onnx__NodeProto *n, const char *name, const char *v)
{
    Onnx__AttributeProto *a = attr(b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    a->has_s = 1;
    a->s.len = strlen(v);
    a->s.data = (uint8_t *)dup(b, v);
}

void nb_attr_ints(nb_model *b, Onnx__NodeProto *n, const char *name, int count,
                  const int64_t *v)
{
    Onnx__AttributeProto *a = attr(b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    a->n_ints = (size_t)count;
    a->ints = zalloc(b, (size_t)count * sizeof *a->ints);
    memcpy(a->ints, v, (size_t)count * sizeof *a->ints);
}

uint8_t *nb_pack(nb_model *b, size_t *len)
{
    size_t n = onnx__model_proto__get_packed_size(&b->model);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf) abort();
    *len = onnx__model_proto__pack(&b->model, buf);
    return buf;
}
