/* SPDX-License-Identifier: BSD-3-Clause */
/* Graph rewrites for the oneDNN engine: drop Identity/Dropout, fold
 * BatchNormalization into the preceding convolution, recognise the
 * x * HardSigmoid(x) pattern PyTorch emits for Hardswish at opset 13, and
 * fuse activations and residual additions into their producers as oneDNN
 * post-ops.  The reference engine runs the graph without these rewrites, so
 * the tests compare the two. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn_private.h"

/* The node reading v when v has exactly one use; `user` is an index built
 * once and checked on each query, with a scan as the fallback when a
 * rewrite made it stale. */
static int sole_consumer(const tsc__nn_graph *g, int v)
{
    if (v < 0 || g->vals[v].n_uses != 1 || g->vals[v].is_output) return -1;
    int u = v < g->n_user ? g->user[v] : -1;
    if (u >= 0 && !g->nodes[u].dead)
        for (int k = 0; k < g->nodes[u].n_in; k++)
            if (g->nodes[u].in[k] == v) return u;
    for (int i = 0; i < g->n_nodes; i++) {
        const tsc__nn_node *n = &g->nodes[i];
        if (n->dead) continue;
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] == v) return i;
    }
    return -1;
}

static int is_const_val(const tsc__nn_graph *g, int v)
{
    return v >= 0 && g->vals[v].kind == TSC__NN_VAL_CONST;
}

/* A fresh constant value holding a copy of `src` (weights may be shared). */
static int new_const_like(tsc__nn_graph *g, int src, const char *suffix, const tsc__nn_node *n,
                          tsc_error *err)
{
    char name[300];
    snprintf(name, sizeof name, "%.200s%s#%d", g->vals[src].name, suffix, g->n_vals);
    int v = tsc__nn_graph_add_value(g, name, err);
    if (v < 0) return -1;
    tsc__nn_value *d = &g->vals[v], *s = &g->vals[src];
    d->dtype = s->dtype;
    d->rank = s->rank;
    memcpy(d->dims, s->dims, sizeof d->dims);
    d->numel = s->numel;
    d->shaped = 1;
    if (tsc__nn_alloc_const(g, v, n, err) != TSC_OK) return -1;
    memcpy(g->vals[v].data, g->vals[src].data, (size_t)s->numel * tsc__nn_dtype_size(s->dtype));
    return v;
}

static tsc_status fold_bn(tsc__nn_graph *g, tsc__nn_node *bn, tsc_error *err)
{
    int x = bn->in[0];
    tsc__nn_value *xv = &g->vals[x];
    if (xv->producer < 0) return TSC_OK;
    tsc__nn_node *cv = &g->nodes[xv->producer];
    if (cv->dead || (cv->op != TSC__NN_OP_CONV && cv->op != TSC__NN_OP_CONVT) ||
        sole_consumer(g, x) < 0 || cv->n_post)
        return TSC_OK;
    for (int k = 1; k < 5; k++)
        if (!is_const_val(g, bn->in[k])) return TSC_OK;
    if (!is_const_val(g, cv->in[1]) || (cv->n_in > 2 && cv->in[2] >= 0 && !is_const_val(g, cv->in[2])))
        return TSC_OK;
    int64_t M = g->vals[cv->out[0]].dims[1];
    const float *sc = g->vals[bn->in[1]].data, *bi = g->vals[bn->in[2]].data,
                *mu = g->vals[bn->in[3]].data, *var = g->vals[bn->in[4]].data;
    int w = new_const_like(g, cv->in[1], "_bnfold", cv, err);
    if (w < 0) return err ? err->status : TSC_ENOMEM;
    int b;
    if (cv->n_in > 2 && cv->in[2] >= 0) {
        b = new_const_like(g, cv->in[2], "_bnfold", cv, err);
    } else {
        b = tsc__nn_graph_add_value(g, "", err);
        if (b >= 0) {
            tsc__nn_value *bv = &g->vals[b];
            bv->rank = 1, bv->dims[0] = M, bv->numel = M, bv->shaped = 1;
            if (tsc__nn_alloc_const(g, b, cv, err) != TSC_OK) b = -1;
        }
    }
    if (b < 0) return err ? err->status : TSC_ENOMEM;
    float *W = g->vals[w].data, *B = g->vals[b].data;
    const tsc__nn_value *wv = &g->vals[w];
    int64_t ksz = 1;
    for (int i = 2; i < wv->rank; i++) ksz *= wv->dims[i];
    double *scale = malloc((size_t)M * sizeof *scale);
    if (!scale) return tsc_error_set(err, TSC_ENOMEM, "out of memory folding batch norms");
    for (int64_t m = 0; m < M; m++) {
        scale[m] = sc[m] / sqrt((double)var[m] + bn->a.epsilon);
        B[m] = (float)(((double)B[m] - mu[m]) * scale[m] + bi[m]);
    }
    if (cv->op == TSC__NN_OP_CONV) {
        int64_t per_m = wv->numel / M;
        for (int64_t m = 0; m < M; m++)
            for (int64_t i = 0; i < per_m; i++) W[m * per_m + i] = (float)(W[m * per_m + i] * scale[m]);
    } else {
        /* ConvTranspose weights are [C, M/G, k...]. */
        int64_t C = wv->dims[0], Mg = wv->dims[1], G = cv->a.group, Cg = C / G;
        for (int64_t c = 0; c < C; c++)
            for (int64_t mm = 0; mm < Mg; mm++) {
                double s = scale[(c / Cg) * Mg + mm];
                float *p = W + (c * Mg + mm) * ksz;
                for (int64_t i = 0; i < ksz; i++) p[i] = (float)(p[i] * s);
            }
    }
    free(scale);
    /* Rewire: conv(x, w', b') -> BN's output. */
    if (cv->n_in < 3) {
        int *ni = realloc(cv->in, 3 * sizeof *ni);
        if (!ni) return tsc_error_set(err, TSC_ENOMEM, "out of memory folding batch norms");
        cv->in = ni;
        cv->in[2] = -1;
        cv->n_in = 3;
    }
    g->vals[cv->in[1]].n_uses--;
    if (cv->in[2] >= 0) g->vals[cv->in[2]].n_uses--;
    cv->in[1] = w, cv->in[2] = b;
    g->vals[w].n_uses++, g->vals[b].n_uses++;
    for (int k = 0; k < 5; k++) g->vals[bn->in[k]].n_uses--;
    g->vals[bn->out[0]].producer = (int)(cv - g->nodes);
    cv->out[0] = bn->out[0];
    bn->dead = 1;
    return TSC_OK;
}

static int is_act_op(tsc__nn_op op)
{
    switch (op) {
    TSC__NN_CASE_ACT_OPS:
        return 1;
    default:
        return 0;
    }
}

static int can_take_posts(tsc__nn_op op)
{
    switch (op) {
    case TSC__NN_OP_CONV: case TSC__NN_OP_CONVT: case TSC__NN_OP_GEMM: case TSC__NN_OP_MATMUL:
    case TSC__NN_OP_ADD: case TSC__NN_OP_SUB: case TSC__NN_OP_MUL: case TSC__NN_OP_DIV:
        return 1;
    default:
        return 0;
    }
}

/* Absorbs a chain of activations after node n.  Returns how many. */
static int fuse_acts(tsc__nn_graph *g, tsc__nn_node *n)
{
    int fused = 0;
    while (n->n_post < TSC__NN_MAX_POST - 1) {
        int v = n->out[0];
        int c = sole_consumer(g, v);
        if (c < 0) break;
        tsc__nn_node *an = &g->nodes[c];
        if (!is_act_op(an->op) || an->in[0] != v) break;
        /* Clip bounds must be known; inference resolved them into attrs. */
        tsc__nn_post *p = &n->post[n->n_post++];
        p->is_sum = 0;
        p->act = an->act;
        p->alpha = an->a.alpha;
        p->beta = an->a.beta;
        for (int k = 0; k < an->n_in; k++)
            if (an->in[k] >= 0) g->vals[an->in[k]].n_uses--;
        g->vals[an->out[0]].producer = (int)(n - g->nodes);
        n->out[0] = an->out[0];
        an->dead = 1;
        fused++;
    }
    return fused;
}

static int is_view_op(tsc__nn_op op)
{
    switch (op) {
    case TSC__NN_OP_RESHAPE: case TSC__NN_OP_FLATTEN: case TSC__NN_OP_SQUEEZE:
    case TSC__NN_OP_UNSQUEEZE: case TSC__NN_OP_IDENTITY: case TSC__NN_OP_DROPOUT:
        return 1;
    default:
        return 0;
    }
}

/* Consumers of every value (CSR), built once before the fusion loop; fusion
 * only kills nodes, so entries are filtered by `dead` when read. */
typedef struct consumers {
    int *start, *list;
    int n; /* values indexed */
} consumers;

static int build_consumers(const tsc__nn_graph *g, consumers *c)
{
    size_t ne = 0;
    for (int i = 0; i < g->n_nodes; i++) ne += (size_t)g->nodes[i].n_in;
    c->n = g->n_vals;
    c->start = calloc((size_t)g->n_vals + 2, sizeof *c->start);
    c->list = malloc((ne + 1) * sizeof *c->list);
    int *fill = calloc((size_t)g->n_vals + 1, sizeof *fill);
    if (!c->start || !c->list || !fill) {
        free(fill);
        return -1;
    }
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_in; k++)
            if (g->nodes[i].in[k] >= 0) c->start[g->nodes[i].in[k] + 1]++;
    for (int v = 0; v < g->n_vals; v++) c->start[v + 1] += c->start[v];
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_in; k++) {
            int v = g->nodes[i].in[k];
            if (v >= 0) c->list[c->start[v] + fill[v]++] = i;
        }
    free(fill);
    return 0;
}

static int try_fuse_sum(tsc__nn_graph *g, tsc__nn_node *n, const int *pos, const consumers *cs)
{
    if ((n->op != TSC__NN_OP_CONV && n->op != TSC__NN_OP_CONVT) || n->sum_with >= 0 ||
        n->n_post >= TSC__NN_MAX_POST - 1)
        return 0;
    int v = n->out[0];
    int c = sole_consumer(g, v);
    if (c < 0) return 0;
    tsc__nn_node *add = &g->nodes[c];
    if (add->op != TSC__NN_OP_ADD || add->in[0] == add->in[1]) return 0;
    int other = add->in[0] == v ? add->in[1] : add->in[0];
    const tsc__nn_value *ov = &g->vals[other], *vv = &g->vals[v];
    /* The other operand is overwritten in place: it must be an activation
     * computed before this convolution and read by nobody after it. */
    if (ov->kind != TSC__NN_VAL_ACT || ov->producer < 0 || ov->is_output || other >= cs->n)
        return 0;
    int self = (int)(n - g->nodes);
    if (pos[ov->producer] >= pos[self] || is_view_op(g->nodes[ov->producer].op)) return 0;
    for (int e = cs->start[other]; e < cs->start[other + 1]; e++) {
        const tsc__nn_node *u = &g->nodes[cs->list[e]];
        if (u->dead || u == add) continue;
        /* A view would keep reading the bytes after they are overwritten. */
        if (is_view_op(u->op) || pos[cs->list[e]] >= pos[self]) return 0;
    }
    if (ov->rank != vv->rank || memcmp(ov->dims, vv->dims, sizeof(int64_t) * (size_t)vv->rank))
        return 0;
    tsc__nn_post *p = &n->post[n->n_post++];
    memset(p, 0, sizeof *p);
    p->is_sum = 1;
    n->sum_with = other;
    g->vals[v].n_uses--;
    g->vals[other].n_uses--;
    g->vals[add->out[0]].producer = self;
    n->out[0] = add->out[0];
    add->dead = 1;
    return 1;
}

static void fuse_hardswish(tsc__nn_graph *g)
{
    for (int i = 0; i < g->n_nodes; i++) {
        tsc__nn_node *h = &g->nodes[i];
        if (h->dead || h->op != TSC__NN_OP_HARDSIGMOID) continue;
        if (fabsf(h->a.alpha - 1.0f / 6.0f) > 1e-6f || fabsf(h->a.beta - 0.5f) > 1e-6f) continue;
        int hv = h->out[0], x = h->in[0];
        int c = sole_consumer(g, hv);
        if (c < 0) continue;
        tsc__nn_node *m = &g->nodes[c];
        if (m->op != TSC__NN_OP_MUL) continue;
        if (!((m->in[0] == x && m->in[1] == hv) || (m->in[1] == x && m->in[0] == hv))) continue;
        /* Mul(x, HardSigmoid(x)) becomes HardSwish(x). */
        m->op = TSC__NN_OP_HARDSWISH;
        m->act = TSC__NN_ACT_HARDSWISH;
        m->in[0] = x;
        m->n_in = 1;
        g->vals[hv].n_uses--;
        g->vals[x].n_uses--; /* h no longer reads x */
        h->dead = 1;
    }
}

tsc_status tsc__nn_optimize(tsc__nn_graph *g, tsc_error *err)
{
    tsc_status st;
    /* Identity and Dropout: point readers at the source, in one pass. */
    int *alias = malloc(((size_t)g->n_vals + 1) * sizeof *alias);
    if (!alias) return tsc_error_set(err, TSC_ENOMEM, "out of memory");
    for (int v = 0; v < g->n_vals; v++) alias[v] = v;
    for (int oi = 0; oi < g->n_nodes; oi++) {
        tsc__nn_node *n = &g->nodes[g->order[oi]];
        if (n->dead || (n->op != TSC__NN_OP_IDENTITY && n->op != TSC__NN_OP_DROPOUT)) continue;
        if (g->vals[n->out[0]].is_output) continue;
        alias[n->out[0]] = alias[n->in[0]];
        g->vals[n->in[0]].n_uses--;
        n->dead = 1;
    }
    for (int i = 0; i < g->n_nodes; i++) {
        tsc__nn_node *n = &g->nodes[i];
        if (n->dead) continue;
        for (int k = 0; k < n->n_in; k++) {
            int v = n->in[k];
            if (v < 0 || alias[v] == v) continue;
            g->vals[v].n_uses--;
            n->in[k] = alias[v];
            g->vals[alias[v]].n_uses++;
        }
    }
    free(alias);
    free(g->user);
    g->user = malloc(((size_t)g->n_vals + 1) * sizeof *g->user);
    if (!g->user) return tsc_error_set(err, TSC_ENOMEM, "out of memory");
    g->n_user = g->n_vals;
    for (int v = 0; v < g->n_vals; v++) g->user[v] = -1;
    for (int i = 0; i < g->n_nodes; i++)
        if (!g->nodes[i].dead)
            for (int k = 0; k < g->nodes[i].n_in; k++)
                if (g->nodes[i].in[k] >= 0) g->user[g->nodes[i].in[k]] = i;
    for (int oi = 0; oi < g->n_nodes; oi++) {
        tsc__nn_node *n = &g->nodes[g->order[oi]];
        if (!n->dead && n->op == TSC__NN_OP_BN && (st = fold_bn(g, n, err)) != TSC_OK) return st;
    }
    fuse_hardswish(g);
    /* Drop nodes nobody reads (reverse order, so whole dead chains go). */
    for (int oi = g->n_nodes - 1; oi >= 0; oi--) {
        tsc__nn_node *n = &g->nodes[g->order[oi]];
        if (n->dead) continue;
        int live = 0;
        for (int k = 0; k < n->n_out; k++)
            if (n->out[k] >= 0 && (g->vals[n->out[k]].n_uses || g->vals[n->out[k]].is_output))
                live = 1;
        if (live) continue;
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] >= 0) g->vals[n->in[k]].n_uses--;
        n->dead = 1;
    }
    int *pos = malloc(((size_t)g->n_nodes + 1) * sizeof *pos);
    if (!pos) return tsc_error_set(err, TSC_ENOMEM, "out of memory");
    for (int oi = 0; oi < g->n_nodes; oi++) pos[g->order[oi]] = oi;
    consumers cs;
    if (build_consumers(g, &cs) < 0) {
        free(pos);
        free(cs.start);
        free(cs.list);
        return tsc_error_set(err, TSC_ENOMEM, "out of memory");
    }
    for (int oi = 0; oi < g->n_nodes; oi++) {
        tsc__nn_node *n = &g->nodes[g->order[oi]];
        if (n->dead || !can_take_posts(n->op)) continue;
        fuse_acts(g, n);
        if (try_fuse_sum(g, n, pos, &cs)) fuse_acts(g, n);
    }
    free(cs.start);
    free(cs.list);
    free(pos);
    return TSC_OK;
}
