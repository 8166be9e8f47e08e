/* SPDX-License-Identifier: BSD-3-Clause */
/* The graph IR: value table with name lookup, checked shape arithmetic. */
#include <stdlib.h>
#include <string.h>

#include "nn_private.h"

static const char *const op_names[] = {
#define TSC__NN_OP_NAME(name, text) text,
    TSC__NN_OPS(TSC__NN_OP_NAME)
#undef TSC__NN_OP_NAME
};

const char *tsc__nn_op_name(int op)
{
    return op >= 0 && op < TSC__NN_OP_COUNT ? op_names[op] : "?";
}

int tsc__nn_op_from_name(const char *name)
{
    for (int i = 0; i < TSC__NN_OP_COUNT; i++)
        if (!strcmp(op_names[i], name)) return i;
    return -1;
}

size_t tsc__nn_dtype_size(tsc__nn_dtype t)
{
    return t == TSC__NN_I64 ? 8 : 4;
}

int tsc__nn_numel(const int64_t *dims, int rank, int64_t cap, int64_t *out)
{
    int64_t n = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0) return -1;
        if (__builtin_mul_overflow(n, dims[i], &n)) return -1;
    }
    if (n > cap) return -1;
    *out = n;
    return 0;
}

static uint32_t hash_name(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

int tsc__nn_graph_find(const tsc__nn_graph *g, const char *name)
{
    if (!g->hash_cap || !name) return -1;
    uint32_t mask = (uint32_t)g->hash_cap - 1;
    for (uint32_t i = hash_name(name) & mask;; i = (i + 1) & mask) {
        int v = g->hash[i];
        if (v < 0) return -1;
        if (!strcmp(g->vals[v].name, name)) return v;
    }
}

static int rehash(tsc__nn_graph *g, int cap)
{
    int *h = malloc((size_t)cap * sizeof *h);
    if (!h) return -1;
    for (int i = 0; i < cap; i++) h[i] = -1;
    uint32_t mask = (uint32_t)cap - 1;
    for (int v = 0; v < g->n_vals; v++) {
        if (!g->vals[v].name[0]) continue;
        uint32_t i = hash_name(g->vals[v].name) & mask;
        while (h[i] >= 0) i = (i + 1) & mask;
        h[i] = v;
    }
    free(g->hash);
    g->hash = h;
    g->hash_cap = cap;
    return 0;
}

int tsc__nn_graph_add_value(tsc__nn_graph *g, const char *name, tsc_error *err)
{
    if (g->n_vals == g->cap_vals) {
        int cap = g->cap_vals ? 2 * g->cap_vals : 64;
        tsc__nn_value *nv = realloc(g->vals, (size_t)cap * sizeof *nv);
        if (!nv) {
            tsc_error_set(err, TSC_ENOMEM, "out of memory building the value table");
            return -1;
        }
        g->vals = nv;
        g->cap_vals = cap;
    }
    /* Keep the hash table at most half full. */
    if (2 * (g->n_vals + 1) > g->hash_cap &&
        rehash(g, g->hash_cap ? 2 * g->hash_cap : 128) < 0) {
        tsc_error_set(err, TSC_ENOMEM, "out of memory building the value table");
        return -1;
    }
    int v = g->n_vals;
    tsc__nn_value *val = &g->vals[v];
    memset(val, 0, sizeof *val);
    val->name = strdup(name ? name : "");
    if (!val->name) {
        tsc_error_set(err, TSC_ENOMEM, "out of memory building the value table");
        return -1;
    }
    val->producer = -1;
    val->dtype = TSC__NN_F32;
    g->n_vals++;
    if (val->name[0]) {
        uint32_t mask = (uint32_t)g->hash_cap - 1;
        uint32_t i = hash_name(val->name) & mask;
        while (g->hash[i] >= 0) i = (i + 1) & mask;
        g->hash[i] = v;
    }
    return v;
}

void tsc__nn_graph_free(tsc__nn_graph *g)
{
    for (int v = 0; v < g->n_vals; v++) {
        free(g->vals[v].name);
        free(g->vals[v].data);
    }
    free(g->vals);
    for (int i = 0; i < g->n_nodes; i++) {
        free(g->nodes[i].name);
        free(g->nodes[i].op_type);
        free(g->nodes[i].in);
        free(g->nodes[i].out);
    }
    free(g->nodes);
    free(g->order);
    free(g->inputs);
    free(g->outputs);
    free(g->hash);
    free(g->user);
    memset(g, 0, sizeof *g);
}

tsc_status tsc__nn_set_shape(tsc__nn_graph *g, int v, tsc__nn_dtype t, int rank,
                             const int64_t *dims, const tsc__nn_node *node, tsc_error *err)
{
    tsc__nn_value *val = &g->vals[v];
    if (rank < 0 || rank > TSC_NN_MAX_RANK)
        return tsc_error_set(err, TSC_EUNSUPPORTED,
                             "model %s: " TSC__NN_NODE_FMT
                             ": output '%s' has rank %d; the engine supports up to %d",
                             g->src_name, TSC__NN_NODE_ARGS(node), val->name, rank,
                             TSC_NN_MAX_RANK);
    /* Every intermediate must fit the activation budget on its own. */
    int64_t cap = (int64_t)(g->params.max_activation_bytes / tsc__nn_dtype_size(t));
    int64_t n;
    if (tsc__nn_numel(dims, rank, cap, &n) < 0)
        return tsc_error_set(err, TSC_ELIMIT,
                             "model %s: " TSC__NN_NODE_FMT
                             ": output '%s' would have more elements than the activation "
                             "limit allows (%zu bytes); the model's shapes are wrong or too "
                             "large",
                             g->src_name, TSC__NN_NODE_ARGS(node), val->name,
                             g->params.max_activation_bytes);
    val->dtype = t;
    val->rank = rank;
    for (int i = 0; i < rank; i++) val->dims[i] = dims[i];
    val->numel = n;
    val->shaped = 1;
    return TSC_OK;
}

tsc_status tsc__nn_alloc_const(tsc__nn_graph *g, int v, const tsc__nn_node *node,
                               tsc_error *err)
{
    tsc__nn_value *val = &g->vals[v];
    size_t bytes = (size_t)val->numel * tsc__nn_dtype_size(val->dtype);
    if (bytes > g->params.max_weight_bytes - g->const_bytes ||
        g->const_bytes > g->params.max_weight_bytes)
        return tsc_error_set(err, TSC_ELIMIT,
                             "model %s: constant '%s'%s%s%s (%zu bytes) takes the weights over "
                             "the limit of %zu bytes; the file is corrupt, or raise "
                             "max_weight_bytes if the model is genuine",
                             g->src_name, val->name, node ? " of node '" : "",
                             node ? node->name : "", node ? "'" : "", bytes,
                             g->params.max_weight_bytes);
    void *p = calloc(bytes ? bytes : 1, 1);
    if (!p)
        return tsc_error_set(err, TSC_ENOMEM, "model %s: out of memory for constant '%s'",
                             g->src_name, val->name);
    free(val->data);
    val->data = p;
    val->kind = TSC__NN_VAL_CONST;
    g->const_bytes += bytes;
    return TSC_OK;
}

tsc_status tsc__nn_set_const(tsc__nn_graph *g, int v, void *data, const tsc__nn_node *node,
                             tsc_error *err)
{
    tsc__nn_value *val = &g->vals[v];
    size_t bytes = (size_t)val->numel * tsc__nn_dtype_size(val->dtype);
    if (bytes > g->params.max_weight_bytes - g->const_bytes ||
        g->const_bytes > g->params.max_weight_bytes) {
        free(data);
        return tsc_error_set(err, TSC_ELIMIT,
                             "model %s: constant '%s'%s%s%s (%zu bytes) takes the weights over "
                             "the limit of %zu bytes",
                             g->src_name, val->name, node ? " of node '" : "",
                             node ? node->name : "", node ? "'" : "", bytes,
                             g->params.max_weight_bytes);
    }
    free(val->data);
    val->data = data;
    val->kind = TSC__NN_VAL_CONST;
    g->const_bytes += bytes;
    return TSC_OK;
}
