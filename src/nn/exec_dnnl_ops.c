/* SPDX-License-Identifier: BSD-3-Clause */
/* The oneDNN engine's lowering of each operator to steps (see exec_dnnl.c):
 * descriptor, primitive, output memory, step and its bound arguments, the
 * last three by tsc__dnnl_emit(). */
#include <dnnl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dnnl_private.h"
#include "tsc_log.h"

/* ---- operators ---------------------------------------------------------- */

static const tsc__nn_value *V(dstate *S, int v)
{
    return &S->g->vals[v];
}

/* The plain (dense row-major f32) descriptor of the node's output. */
static dnnl_memory_desc_t out_plain_md(dstate *S, const tsc__nn_node *n)
{
    const tsc__nn_value *y = V(S, n->out[0]);
    dnnl_memory_desc_t md;
    tsc__dnnl_plain_md(&md, y->rank, y->dims);
    return md;
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
        if (a->kernel[i] != a->stride[i] || a->kernel[i] < 1 || a->kernel[i] > 8 || a->pad_b[i] ||
            a->pad_e[i] || a->out_pad[i] || a->dilation[i] != 1)
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
        return tsc__dnnl_nomem(S);
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
    const dnnl_data_type_t dt = S->conv_dt;
    tsc__dnnl_any_md(&src_md, 4, x->dims, dt);
    dnnl_memory_desc_init_by_tag(&wei_any, 4, wd, dt, dnnl_format_tag_any);
    tsc__dnnl_plain_md(&wei_plain, 4, wdims4);
    tsc__dnnl_plain_md(&bias_md, 1, &Z);
    dnnl_memory_desc_init_by_tag(&z_md, 4, zd, dt, dnnl_acdb);
    dnnl_primitive_attr_t attr = NULL;
    tsc_status st = tsc__dnnl_make_attr(S, n, &attr);
    dnnl_primitive_desc_t pd = NULL;
    if (st == TSC_OK) {
        dnnl_convolution_desc_t cd;
        st = tsc__dnnl_make_pd(S,
                               dnnl_dilated_convolution_forward_desc_init(
                                   &cd, dnnl_forward_inference, dnnl_convolution_direct, &src_md,
                                   &wei_any, &bias_md, &z_md, one, zero, zero, zero),
                               &cd, attr, &pd, "create a 1x1 convolution for a deconvolution");
    }
    int xm = -1, wm = -1, bm = -1, zm = -1;
    if (st == TSC_OK)
        st = tsc__dnnl_value_as(S, n->in[0], dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0),
                                &xm);
    if (st == TSC_OK)
        st = tsc__dnnl_const_mem(S, wz, &wei_plain,
                                 dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0), &wm);
    if (st == TSC_OK) st = tsc__dnnl_const_mem(S, bz, &bias_md, &bias_md, &bm);
    free(wz), free(bz);
    if (st == TSC_OK && (zm = tsc__dnnl_new_act_mem(S, &z_md)) < 0) st = tsc__dnnl_nomem(S);
    if (st != TSC_OK) {
        if (pd) dnnl_primitive_desc_destroy(pd);
        return st;
    }
    const bind in[] = {{DNNL_ARG_SRC, xm}, {DNNL_ARG_WEIGHTS, wm}, {DNNL_ARG_BIAS, bm}};
    if ((st = tsc__dnnl_emit(S, pd, "deconvolution as 1x1 convolution", in, 3, zm, &zm)) != TSC_OK)
        return st;
    /* Shuffle: z[n, h, w, (i, j, m)] -> y[n, h*kh + i, w*kw + j, m], both nhwc,
     * as one reorder between two 6-D views (n, h, i, w, j, m). */
    dnnl_dims_t d6 = {N, H, kh, W, kw, M};
    dnnl_dims_t zs = {H * W * Z, W * Z, kw * M, Z, M, 1};
    dnnl_dims_t ys = {H * kh * W * kw * M, kh * W * kw * M, W * kw * M, kw * M, M, 1};
    dnnl_memory_desc_t z6, y6, y_md;
    dnnl_dims_t yd = {N, M, H * kh, W * kw};
    CHECK_DNNL(dnnl_memory_desc_init_by_strides(&z6, 6, d6, dt, zs), "describe a shuffle");
    CHECK_DNNL(dnnl_memory_desc_init_by_strides(&y6, 6, d6, dt, ys), "describe a shuffle");
    CHECK_DNNL(dnnl_memory_desc_init_by_tag(&y_md, 4, yd, dt, dnnl_acdb), "describe a shuffle");
    int ym = tsc__dnnl_new_act_mem(S, &y_md);
    if (ym < 0) return tsc__dnnl_nomem(S);
    int zv = tsc__dnnl_alias_mem(S, zm, &z6), yv = tsc__dnnl_alias_mem(S, ym, &y6);
    if (zv < 0 || yv < 0) return tsc__dnnl_nomem(S);
    if ((st = tsc__dnnl_reorder_into(S, zv, yv, "depth-to-space")) != TSC_OK) return st;
    S->n_reorder_steps--; /* part of the operator, not a layout change */
    return tsc__dnnl_set_output(S, n->out[0], ym);
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
            ws[o + 1] = ksz; /* ONNX [M, C/G, k]: ic inner */
            ws[o] = ksz * (C / G);
            if (G > 1) ws[0] = ksz * (C / G) * (M / G);
        } else {
            ws[o] = ksz; /* ONNX [C, M/G, k]: oc inner */
            ws[o + 1] = ksz * (M / G);
            if (G > 1) ws[0] = ksz * (M / G) * (C / G);
        }
    }
    dnnl_memory_desc_t src_md, wei_any, wei_src, bias_md, dst_md;
    dnnl_memory_desc_init_by_strides(&wei_src, wr, wd, dnnl_f32, ws);
    tsc__dnnl_plain_md(&bias_md, 1, &M);
    int sum_mem = -1;
    if (n->sum_with >= 0) {
        tsc_status st = tsc__dnnl_value_mem(S, n->sum_with, &sum_mem);
        if (st != TSC_OK) return st;
        if (S->mems[sum_mem].buf < 0) {
            /* Never write into the caller's input: work on a copy. */
            int cp = tsc__dnnl_new_act_mem(S, tsc__dnnl_mem_md(S, sum_mem));
            if (cp < 0) return tsc__dnnl_nomem(S);
            if ((st = tsc__dnnl_reorder_into(S, sum_mem, cp, "copy a residual")) != TSC_OK)
                return st;
            sum_mem = cp;
        }
    }
    tsc__int8_conv q8;
    int i8 = tsc__dnnl_int8_conv_begin(S, n, &q8);
    if (!i8 && tsc__dnnl_int8_quantised(S, n->in[0]))
        /* Its producer relied on this convolution running int8. */
        return tsc_error_set(S->err, TSC_ENOMEM,
                             "model %s: out of memory preparing an int8 convolution",
                             S->g->src_name);
    /* An int8 convolution whose readers all quantise its output writes it
     * quantised (after the post-ops, times their scale). */
    dnnl_data_type_t qdt = dnnl_u8;
    float qscale = 0;
    if (!(i8 && tsc__dnnl_int8_dst(S, n, &qdt, &qscale))) qscale = 0;
    if (sum_mem >= 0)
        dst_md = *tsc__dnnl_mem_md(S, sum_mem);
    else
        tsc__dnnl_any_md(&dst_md, r, y->dims, qscale ? qdt : S->conv_dt);
    tsc__dnnl_any_md(&src_md, r, x->dims, i8 ? q8.src_dt : S->conv_dt);
    dnnl_memory_desc_init_by_tag(&wei_any, wr, wd, i8 ? dnnl_s8 : S->conv_dt, dnnl_format_tag_any);
    dnnl_primitive_attr_t attr = NULL;
    tsc_status st = tsc__dnnl_make_attr_scaled(S, n, qscale, &attr);
    if (st == TSC_OK && i8 && (st = tsc__dnnl_int8_conv_attr(S, &q8, attr)) != TSC_OK)
        dnnl_primitive_attr_destroy(attr);
    if (st != TSC_OK) {
        tsc__dnnl_int8_conv_end(&q8);
        return st;
    }
    /* oneDNN's deconvolution descriptor is its convolution descriptor, and
     * the two initialisers take the same arguments. */
    __typeof__(dnnl_dilated_convolution_forward_desc_init) *desc_init =
        deconv ? dnnl_dilated_deconvolution_forward_desc_init
               : dnnl_dilated_convolution_forward_desc_init;
    dnnl_convolution_desc_t cd;
    dnnl_primitive_desc_t pd = NULL;
    st = tsc__dnnl_make_pd(
        S,
        desc_init(&cd, dnnl_forward_inference,
                  deconv ? dnnl_deconvolution_direct : dnnl_convolution_direct, &src_md, &wei_any,
                  has_b ? &bias_md : NULL, &dst_md, strides, dil, pl, pr),
        &cd, attr, &pd, deconv ? "create a deconvolution" : "create a convolution");
    if (st != TSC_OK) {
        tsc__dnnl_int8_conv_end(&q8);
        return st;
    }
    int xm, wm, bm = -1;
    const dnnl_memory_desc_t *xmd = dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
    const dnnl_memory_desc_t *wmd = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    if (i8) {
        S->n_int8_convs++;
        if ((st = tsc__dnnl_int8_conv_src(S, &q8, n->in[0], xmd, &xm)) == TSC_OK &&
            (st = tsc__dnnl_int8_conv_weights(S, &q8, &wei_src, wmd, &wm)) == TSC_OK && has_b)
            st = tsc__dnnl_int8_conv_bias(S, &q8, V(S, n->in[2])->data, &bm);
        tsc__dnnl_int8_conv_end(&q8);
    } else {
        if ((st = tsc__dnnl_value_as(S, n->in[0], xmd, &xm)) == TSC_OK &&
            (st = tsc__dnnl_const_mem(S, w->data, &wei_src, wmd, &wm)) == TSC_OK && has_b)
            st = tsc__dnnl_value_as(S, n->in[2], &bias_md, &bm);
        if (st == TSC_OK) tsc__dnnl_int8_observe(S, n, xm); /* calibration */
    }
    if (st != TSC_OK) {
        dnnl_primitive_desc_destroy(pd);
        return st;
    }
    const bind in[] = {{DNNL_ARG_SRC, xm}, {DNNL_ARG_WEIGHTS, wm}, {DNNL_ARG_BIAS, bm}};
    return tsc__dnnl_emit_output(S, n, pd, deconv ? "deconvolution" : "convolution", in,
                                 bm >= 0 ? 3 : 2, sum_mem >= 0 ? sum_mem : NEW_DST);
}

static tsc_status lower_bn(dstate *S, const tsc__nn_node *n)
{
    for (int k = 1; k < 5; k++)
        if (V(S, n->in[k])->kind != TSC__NN_VAL_CONST)
            NODE_ERR(TSC_EUNSUPPORTED, "statistics computed at run time are not supported%s", "");
    int xm;
    tsc_status st = tsc__dnnl_value_mem(S, n->in[0], &xm);
    if (st != TSC_OK) return st;
    dnnl_batch_normalization_desc_t bd;
    dnnl_primitive_attr_t attr = NULL;
    if ((st = tsc__dnnl_make_attr(S, NULL, &attr)) != TSC_OK) return st;
    dnnl_primitive_desc_t pd = NULL;
    st = tsc__dnnl_make_pd(S,
                           dnnl_batch_normalization_forward_desc_init(
                               &bd, dnnl_forward_inference, tsc__dnnl_mem_md(S, xm), n->a.epsilon,
                               dnnl_use_global_stats | dnnl_use_scale | dnnl_use_shift),
                           &bd, attr, &pd, "create a batch normalization");
    if (st != TSC_OK) return st;
    bind in[5] = {{DNNL_ARG_SRC, xm},
                  {DNNL_ARG_SCALE, -1},
                  {DNNL_ARG_SHIFT, -1},
                  {DNNL_ARG_MEAN, -1},
                  {DNNL_ARG_VARIANCE, -1}};
    int64_t C = V(S, n->in[0])->dims[1];
    dnnl_memory_desc_t cmd;
    tsc__dnnl_plain_md(&cmd, 1, &C);
    for (int k = 0; k < 4 && st == TSC_OK; k++)
        st = tsc__dnnl_value_as(S, n->in[1 + k], &cmd, &in[1 + k].mem);
    if (st != TSC_OK) {
        dnnl_primitive_desc_destroy(pd);
        return st;
    }
    return tsc__dnnl_emit_output(S, n, pd, "batch normalization", in, 5, NEW_DST);
}

static tsc_status lower_act(dstate *S, const tsc__nn_node *n)
{
    int xm;
    tsc_status st = tsc__dnnl_value_mem(S, n->in[0], &xm);
    if (st != TSC_OK) return st;
    /* One eltwise primitive; HardSigmoid is linear followed by a fused clip. */
    dnnl_alg_kind_t alg;
    float alpha = n->a.alpha, beta = n->a.beta;
    tsc__nn_node tmp = *n;
    tmp.n_post = 0;
    switch (n->act) {
    case TSC__NN_ACT_RELU:
        alg = dnnl_eltwise_relu;
        beta = 0;
        break;
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
    if ((st = tsc__dnnl_make_attr(S, &tmp, &attr)) != TSC_OK) return st;
    S->n_fused -= tmp.n_post; /* not a graph-level fusion */
    dnnl_eltwise_desc_t ed;
    dnnl_primitive_desc_t pd = NULL;
    st = tsc__dnnl_make_pd(S,
                           dnnl_eltwise_forward_desc_init(&ed, dnnl_forward_inference, alg,
                                                          tsc__dnnl_mem_md(S, xm), alpha, beta),
                           &ed, attr, &pd, "create an element-wise primitive");
    if (st != TSC_OK) return st;
    const bind in[] = {{DNNL_ARG_SRC, xm}};
    return tsc__dnnl_emit_output(S, n, pd, "eltwise", in, 1, NEW_DST);
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
    if ((st = tsc__dnnl_make_attr(S, n, &attr)) != TSC_OK) return st;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_status_t s = dnnl_unimplemented;
    /* Try the layouts as they are, then b in a's layout, then all plain. */
    for (int attempt = 0; attempt < 3 && s != dnnl_success; attempt++) {
        dnnl_memory_desc_t b_md, dst_md;
        if (attempt == 0) {
            if ((st = tsc__dnnl_value_mem(S, a, &am)) != TSC_OK) break;
            if ((st = tsc__dnnl_value_mem(S, b, &bm)) != TSC_OK) break;
            if (bv->rank != r) {
                if ((st = tsc__dnnl_value_plain(S, b, &bm)) != TSC_OK) break;
            }
        } else if (attempt == 1) {
            if (bv->rank != r || !same_dims(bv, y)) continue;
            if ((st = tsc__dnnl_value_as(S, b, tsc__dnnl_mem_md(S, am), &bm)) != TSC_OK) break;
        } else {
            if ((st = tsc__dnnl_value_plain(S, a, &am)) != TSC_OK) break;
            if ((st = tsc__dnnl_value_plain(S, b, &bm)) != TSC_OK) break;
        }
        b_md = *tsc__dnnl_mem_md(S, bm);
        if (bv->rank != r) {
            /* A lower-rank plain operand is the same bytes with leading 1s. */
            tsc__dnnl_plain_md(&b_md, r, bd);
        }
        tsc__dnnl_any_md(&dst_md, r, y->dims, tsc__dnnl_mem_dt(S, am));
        dnnl_binary_desc_t bdsc;
        s = dnnl_binary_desc_init(&bdsc, alg, tsc__dnnl_mem_md(S, am), &b_md, &dst_md);
        if (s == dnnl_success) s = dnnl_primitive_desc_create(&pd, &bdsc, attr, S->eng, NULL);
        if (s == dnnl_success && bv->rank != r) {
            int view = tsc__dnnl_alias_mem(S, bm, &b_md);
            if (view < 0) st = tsc__dnnl_nomem(S);
            bm = view;
        }
    }
    dnnl_primitive_attr_destroy(attr);
    if (st != TSC_OK) {
        if (pd) dnnl_primitive_desc_destroy(pd);
        return st;
    }
    if (s != dnnl_success) return tsc__dnnl_fail(S, s, "create a binary primitive");
    const bind in[] = {{DNNL_ARG_SRC_0, am}, {DNNL_ARG_SRC_1, bm}};
    return tsc__dnnl_emit_output(S, n, pd, "binary", in, 2, NEW_DST);
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
                     "supported%s",
                     "");
    }
    int xm;
    tsc_status st = tsc__dnnl_value_mem(S, n->in[0], &xm);
    if (st != TSC_OK) return st;
    dnnl_memory_desc_t dst_md;
    tsc__dnnl_any_md(&dst_md, y->rank, y->dims, tsc__dnnl_mem_dt(S, xm));
    dnnl_pooling_v2_desc_t pdsc;
    dnnl_alg_kind_t alg = is_max                 ? dnnl_pooling_max
                          : a->count_include_pad ? dnnl_pooling_avg_include_padding
                                                 : dnnl_pooling_avg_exclude_padding;
    dnnl_primitive_desc_t pd = NULL;
    st = tsc__dnnl_make_pd(S,
                           dnnl_pooling_v2_forward_desc_init(&pdsc, dnnl_forward_inference, alg,
                                                             tsc__dnnl_mem_md(S, xm), &dst_md,
                                                             strides, kernel, dil, pl, pr),
                           &pdsc, S->attr, &pd, "create a pooling");
    if (st != TSC_OK) return st;
    const bind in[] = {{DNNL_ARG_SRC, xm}};
    return tsc__dnnl_emit_output(S, n, pd, "pooling", in, 1, NEW_DST);
}

/* Layouts the resize kernel walks as dense [outer][spatial...][blk]. */
enum { LAYOUT_OTHER, LAYOUT_PLAIN, LAYOUT_BLOCKED, LAYOUT_CHANNELS_LAST };

static int spatial_layout(const dnnl_memory_desc_t *md, int64_t *outer, int64_t *blk)
{
    if (md->format_kind != dnnl_blocked || md->offset0) return LAYOUT_OTHER;
    const dnnl_blocking_desc_t *b = &md->format_desc.blocking;
    int r = md->ndims;
    for (int i = 0; i < r; i++)
        if (md->padded_offsets[i] || (i != 1 && md->padded_dims[i] != md->dims[i]))
            return LAYOUT_OTHER;
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
                          const int64_t *dims, dnnl_data_type_t dt)
{
    static const dnnl_format_tag_t t16[] = {dnnl_aBc16b, dnnl_aBcd16b, dnnl_aBcde16b};
    static const dnnl_format_tag_t t8[] = {dnnl_aBc8b, dnnl_aBcd8b, dnnl_aBcde8b};
    static const dnnl_format_tag_t tcl[] = {dnnl_acb, dnnl_acdb, dnnl_acdeb};
    if (kind == LAYOUT_PLAIN) {
        tsc__dnnl_plain_md(out, rank, dims);
        return 0;
    }
    dnnl_dims_t d;
    for (int i = 0; i < rank; i++) d[i] = dims[i];
    dnnl_format_tag_t tag = kind == LAYOUT_CHANNELS_LAST ? tcl[rank - 3]
                            : blk == 16                  ? t16[rank - 3]
                            : blk == 8                   ? t8[rank - 3]
                                                         : dnnl_format_tag_undef;
    if (tag == dnnl_format_tag_undef) return -1;
    return dnnl_memory_desc_init_by_tag(out, rank, d, dt, tag) == dnnl_success ? 0 : -1;
}

/* A channel concat of channels-last inputs (the layout the brgconv kernels
 * pick) of one data type becomes our copy loop: oneDNN 2.6 runs it with its
 * generic concat ("simple:any"), which took ~1 ms for two 16-channel 256x256
 * bf16 inputs of the U-Net16 benchmark, several times the copy's cost.
 * Returns 1 when the step was added, 0 when the case is not ours. */
static int concat_channels_last(dstate *S, const tsc__nn_node *n, const bind *in,
                                const dnnl_memory_desc_t *mds, tsc_status *st)
{
    const tsc__nn_value *y = V(S, n->out[0]);
    dnnl_data_type_t dt = mds[0].data_type;
    int64_t outer, blk, rows = 0;
    if (n->a.axis != 1 || y->rank < 3 || y->rank > 5 || (dt != dnnl_f32 && dt != dnnl_bf16))
        return 0;
    for (int k = 0; k < n->n_in; k++) {
        if (mds[k].data_type != dt || spatial_layout(&mds[k], &outer, &blk) != LAYOUT_CHANNELS_LAST)
            return 0;
        int64_t px = outer;
        for (int i = 2; i < mds[k].ndims; i++) px *= mds[k].dims[i];
        if (k && px != rows) return 0;
        rows = px;
    }
    dnnl_memory_desc_t ymd;
    if (same_layout_md(&ymd, LAYOUT_CHANNELS_LAST, 0, y->rank, y->dims, dt) < 0) return 0;
    size_t es = dt == dnnl_bf16 ? 2 : 4;
    concat_plan *cp = calloc(1, sizeof *cp);
    step *stp = NULL;
    if (cp) {
        cp->src = malloc((size_t)n->n_in * sizeof *cp->src);
        cp->bytes = malloc((size_t)n->n_in * sizeof *cp->bytes);
        cp->ptr = malloc((size_t)n->n_in * sizeof *cp->ptr);
    }
    int ym = cp && cp->src && cp->bytes && cp->ptr ? tsc__dnnl_new_act_mem(S, &ymd) : -1;
    if (ym >= 0) stp = tsc__dnnl_add_step(S, STEP_CONCAT);
    if (!stp) {
        tsc__dnnl_concat_plan_free(cp);
        *st = tsc__dnnl_nomem(S);
        return 1;
    }
    stp->cat = cp;
    cp->n = n->n_in, cp->dst = ym, cp->rows = (size_t)rows;
    int stepi = (int)(stp - S->steps);
    for (int k = 0; k < n->n_in; k++) {
        cp->src[k] = in[k].mem;
        cp->bytes[k] = (size_t)mds[k].dims[1] * es;
        cp->dst_bytes += cp->bytes[k];
        tsc__dnnl_touch(S, in[k].mem, stepi);
    }
    tsc__dnnl_touch(S, ym, stepi);
    tsc_log(TSC_LOG_DEBUG, TSC__NN_DOMAIN, "%s: concat -> tsc channels-last %s, %d inputs",
            stp->node, dt == dnnl_bf16 ? "bf16" : "f32", cp->n);
    *st = tsc__dnnl_set_output(S, n->out[0], ym);
    return 1;
}

void tsc__dnnl_concat_plan_free(concat_plan *cp)
{
    if (cp) free(cp->src), free(cp->bytes), free(cp->ptr);
    free(cp);
}

void tsc__dnnl_run_concat(dstate *S, concat_plan *cp)
{
    char *dst;
    dnnl_memory_get_data_handle(S->mems[cp->dst].m, (void **)&dst);
    for (int k = 0; k < cp->n; k++)
        dnnl_memory_get_data_handle(S->mems[cp->src[k]].m, (void **)&cp->ptr[k]);
    const int n = cp->n;
    const size_t *bytes = cp->bytes, db = cp->dst_bytes;
    const char *const *ptr = cp->ptr;
#pragma omp parallel for schedule(static)
    for (size_t r = 0; r < cp->rows; r++) {
        char *d = dst + r * db;
        for (int k = 0; k < n; k++) {
            memcpy(d, ptr[k] + r * bytes[k], bytes[k]);
            d += bytes[k];
        }
    }
}

static tsc_status lower_concat(dstate *S, const tsc__nn_node *n)
{
    dnnl_memory_desc_t mds[64]; /* the loader caps inputs at 64 */
    bind in[64];
    if (n->n_in > 64) NODE_ERR(TSC_EUNSUPPORTED, "more than 64 inputs (%d)", n->n_in);
    tsc_status st;
    for (int k = 0; k < n->n_in; k++) {
        in[k].arg = DNNL_ARG_MULTIPLE_SRC + k;
        st = k ? tsc__dnnl_value_typed(S, n->in[k], mds[0].data_type, &in[k].mem)
               : tsc__dnnl_value_mem(S, n->in[k], &in[k].mem);
        if (st != TSC_OK) return st;
        mds[k] = *tsc__dnnl_mem_md(S, in[k].mem);
    }
    if (concat_channels_last(S, n, in, mds, &st)) return st;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_status_t s =
        dnnl_concat_primitive_desc_create(&pd, NULL, n->n_in, (int)n->a.axis, mds, S->attr, S->eng);
    if (s != dnnl_success) {
        /* Mixed layouts: concatenate plain copies. */
        for (int k = 0; k < n->n_in; k++) {
            if ((st = tsc__dnnl_value_plain(S, n->in[k], &in[k].mem)) != TSC_OK) return st;
            mds[k] = *tsc__dnnl_mem_md(S, in[k].mem);
        }
        s = dnnl_concat_primitive_desc_create(&pd, NULL, n->n_in, (int)n->a.axis, mds, S->attr,
                                              S->eng);
    }
    if (s != dnnl_success) return tsc__dnnl_fail(S, s, "create a concat");
    return tsc__dnnl_emit_output(S, n, pd, "concat", in, n->n_in, NEW_DST);
}

static tsc_status lower_resize(dstate *S, const tsc__nn_node *n)
{
    const tsc__nn_value *x = V(S, n->in[0]), *y = V(S, n->out[0]);
    const tsc__nn_attrs *a = &n->a;
    int xm;
    tsc_status st = tsc__dnnl_value_mem(S, n->in[0], &xm);
    /* Our kernel reads and writes fp32 or bf16 (the bf16 mode's activations). */
    if (st == TSC_OK && tsc__dnnl_mem_dt(S, xm) != dnnl_bf16)
        st = tsc__dnnl_value_typed(S, n->in[0], dnnl_f32, &xm);
    if (st != TSC_OK) return st;
    dnnl_data_type_t dt = tsc__dnnl_mem_dt(S, xm);
    int64_t outer, blk, o2, b2;
    int kind = spatial_layout(tsc__dnnl_mem_md(S, xm), &outer, &blk);
    dnnl_memory_desc_t ymd;
    /* The output takes the input's layout; anything else goes through nchw. */
    if (kind == LAYOUT_OTHER || same_layout_md(&ymd, kind, blk, y->rank, y->dims, dt) < 0 ||
        spatial_layout(&ymd, &o2, &b2) != kind || b2 != blk) {
        if ((st = tsc__dnnl_value_plain(S, n->in[0], &xm)) != TSC_OK) return st;
        kind = spatial_layout(tsc__dnnl_mem_md(S, xm), &outer, &blk);
        tsc__dnnl_plain_md(&ymd, y->rank, y->dims);
    }
    int ym = tsc__dnnl_new_act_mem(S, &ymd);
    if (ym < 0) return tsc__dnnl_nomem(S);
    resize_plan *rz = calloc(1, sizeof *rz);
    if (!rz) return tsc__dnnl_nomem(S);
    step *stp = tsc__dnnl_add_step(S, STEP_RESIZE);
    if (!stp) {
        free(rz);
        return tsc__dnnl_nomem(S);
    }
    stp->rz = rz;
    int nsp = x->rank - 2;
    rz->src = xm, rz->dst = ym, rz->blk = blk, rz->linear = a->resize_linear;
    rz->bf16 = tsc__dnnl_mem_dt(S, xm) == dnnl_bf16;
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
        if (!rz->i0[ax] || !rz->i1[ax] || !rz->w[ax]) return tsc__dnnl_nomem(S);
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
    tsc__dnnl_touch(S, xm, (int)(stp - S->steps));
    tsc__dnnl_touch(S, ym, (int)(stp - S->steps));
    tsc_log(TSC_LOG_DEBUG, TSC__NN_DOMAIN, "%s: resize -> tsc %s blk %lld", stp->node,
            rz->linear ? "linear" : "nearest", (long long)blk);
    return tsc__dnnl_set_output(S, n->out[0], ym);
}

/* bf16 is the upper half of a float; stores round to nearest even. */
static inline float ld(const void *p, int64_t i, int bf16)
{
    if (!bf16) return ((const float *)p)[i];
    uint32_t u = (uint32_t)((const uint16_t *)p)[i] << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static inline void st(void *p, int64_t i, float f, int bf16)
{
    if (!bf16) {
        ((float *)p)[i] = f;
        return;
    }
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u) u |= 0x00400000u; /* keep NaN a NaN */
    else u += 0x7fffu + ((u >> 16) & 1u);
    ((uint16_t *)p)[i] = (uint16_t)(u >> 16);
}

/* One body for both types: bf16 is a constant in each call below, so the
 * compiler makes two branch-free copies. */
static inline __attribute__((always_inline)) void resize_rows(const resize_plan *rz,
                                                              const void *src, void *dst,
                                                              const int bf16)
{
    const int64_t B = rz->blk, ID = rz->in[0], IH = rz->in[1], IW = rz->in[2];
    const int64_t OD = rz->out[0], OH = rz->out[1], OW = rz->out[2];
    const int64_t rows = rz->outer * OD * OH;
#pragma omp parallel for schedule(static)
    for (int64_t row = 0; row < rows; row++) {
        int64_t oh = row % OH, od = (row / OH) % OD, o = row / (OH * OD);
        const int64_t y = row * OW * B, xb = o * ID * IH * IW * B; /* element offsets */
        if (!rz->linear) {
            const int64_t xr = xb + (rz->i0[0][od] * IH + rz->i0[1][oh]) * IW * B;
            for (int64_t ow = 0; ow < OW; ow++) {
                const int64_t xp = xr + rz->i0[2][ow] * B;
                for (int64_t j = 0; j < B; j++)
                    st(dst, y + ow * B + j, ld(src, xp + j, bf16), bf16);
            }
            continue;
        }
        /* Trilinear weights for the two source planes and rows of this output row. */
        float wd = rz->w[0][od], wh = rz->w[1][oh];
        const int64_t r00 = xb + (rz->i0[0][od] * IH + rz->i0[1][oh]) * IW * B;
        const int64_t r01 = xb + (rz->i0[0][od] * IH + rz->i1[1][oh]) * IW * B;
        const int64_t r10 = xb + (rz->i1[0][od] * IH + rz->i0[1][oh]) * IW * B;
        const int64_t r11 = xb + (rz->i1[0][od] * IH + rz->i1[1][oh]) * IW * B;
        float c00 = (1 - wd) * (1 - wh), c01 = (1 - wd) * wh, c10 = wd * (1 - wh), c11 = wd * wh;
        for (int64_t ow = 0; ow < OW; ow++) {
            int64_t x0 = rz->i0[2][ow] * B, x1 = rz->i1[2][ow] * B;
            float ww = rz->w[2][ow];
            for (int64_t j = 0; j < B; j++) {
#define LERP(r)                                                                                    \
    (ld(src, r + x0 + j, bf16) + ww * (ld(src, r + x1 + j, bf16) - ld(src, r + x0 + j, bf16)))
                float a0 = LERP(r00), a1 = LERP(r01), a2 = LERP(r10), a3 = LERP(r11);
#undef LERP
                st(dst, y + ow * B + j, c00 * a0 + c01 * a1 + c10 * a2 + c11 * a3, bf16);
            }
        }
    }
}

void tsc__dnnl_run_resize(const resize_plan *rz, const void *src, void *dst)
{
    if (rz->bf16) resize_rows(rz, src, dst, 1);
    else resize_rows(rz, src, dst, 0);
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
        return tsc__dnnl_nomem(S);
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
    tsc__dnnl_plain_md(&src_md, 2, A->dims);
    dnnl_dims_t wd = {N, K};
    dnnl_memory_desc_init_by_tag(&wei_any, 2, wd, dnnl_f32, dnnl_format_tag_any);
    tsc__dnnl_plain_md(&wei_plain, 2, wdims);
    tsc__dnnl_plain_md(&bias_md, 1, &N);
    tsc__dnnl_any_md(&dst_md, 2, y->dims, dnnl_f32);
    dnnl_primitive_attr_t attr = NULL;
    tsc_status st = tsc__dnnl_make_attr(S, n, &attr);
    if (st != TSC_OK) {
        free(wbuf), free(bbuf);
        return st;
    }
    dnnl_inner_product_desc_t ipd;
    dnnl_primitive_desc_t pd = NULL;
    st = tsc__dnnl_make_pd(S,
                           dnnl_inner_product_forward_desc_init(
                               &ipd, dnnl_forward_inference, &src_md, &wei_any, &bias_md, &dst_md),
                           &ipd, attr, &pd, "create an inner product");
    if (st != TSC_OK) {
        free(wbuf), free(bbuf);
        return st;
    }
    int am, wm = -1, bm = -1;
    st = tsc__dnnl_value_as(S, n->in[0], &src_md, &am);
    if (st == TSC_OK)
        st = tsc__dnnl_const_mem(S, wbuf, &wei_plain,
                                 dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0), &wm);
    if (st == TSC_OK) st = tsc__dnnl_const_mem(S, bbuf, &bias_md, &bias_md, &bm);
    free(wbuf), free(bbuf);
    if (st != TSC_OK) {
        dnnl_primitive_desc_destroy(pd);
        return st;
    }
    const bind in[] = {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, wm}, {DNNL_ARG_BIAS, bm}};
    return tsc__dnnl_emit_output(S, n, pd, "inner product", in, 3, NEW_DST);
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
    if ((st = tsc__dnnl_value_plain(S, n->in[0], &am)) != TSC_OK) return st;
    if ((st = tsc__dnnl_value_plain(S, n->in[1], &bm)) != TSC_OK) return st;
    dnnl_memory_desc_t a_md, b_md, y_md = out_plain_md(S, n);
    tsc__dnnl_plain_md(&a_md, r, ad);
    tsc__dnnl_plain_md(&b_md, r, bd);
    if (A->rank != r && (am = tsc__dnnl_alias_mem(S, am, &a_md)) < 0) return tsc__dnnl_nomem(S);
    if (B->rank != r && (bm = tsc__dnnl_alias_mem(S, bm, &b_md)) < 0) return tsc__dnnl_nomem(S);
    dnnl_primitive_attr_t attr = NULL;
    if ((st = tsc__dnnl_make_attr(S, n, &attr)) != TSC_OK) return st;
    dnnl_matmul_desc_t mmd;
    dnnl_primitive_desc_t pd = NULL;
    st = tsc__dnnl_make_pd(S, dnnl_matmul_desc_init(&mmd, &a_md, &b_md, NULL, &y_md), &mmd, attr,
                           &pd, "create a matmul");
    if (st != TSC_OK) return st;
    const bind in[] = {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, bm}};
    return tsc__dnnl_emit_output(S, n, pd, "matmul", in, 2, tsc__dnnl_new_act_mem(S, &y_md));
}

static tsc_status lower_softmax(dstate *S, const tsc__nn_node *n)
{
    int xm;
    tsc_status st = tsc__dnnl_value_plain(S, n->in[0], &xm);
    if (st != TSC_OK) return st;
    dnnl_softmax_desc_t sd;
    dnnl_primitive_desc_t pd = NULL;
    st = tsc__dnnl_make_pd(S,
                           dnnl_softmax_forward_desc_init(&sd, dnnl_forward_inference,
                                                          tsc__dnnl_mem_md(S, xm), (int)n->a.axis),
                           &sd, S->attr, &pd, "create a softmax");
    if (st != TSC_OK) return st;
    dnnl_memory_desc_t y_md = out_plain_md(S, n);
    const bind in[] = {{DNNL_ARG_SRC, xm}};
    return tsc__dnnl_emit_output(S, n, pd, "softmax", in, 1, tsc__dnnl_new_act_mem(S, &y_md));
}

/* Reshape, Flatten, (Un)Squeeze, a surviving Identity: a new view of the
 * plain bytes, no copy unless the input was blocked. */
static tsc_status lower_view(dstate *S, const tsc__nn_node *n)
{
    int xm;
    tsc_status st = tsc__dnnl_value_plain(S, n->in[0], &xm);
    if (st != TSC_OK) return st;
    dnnl_memory_desc_t y_md = out_plain_md(S, n);
    int ym = tsc__dnnl_alias_mem(S, xm, &y_md);
    if (ym < 0) return tsc__dnnl_nomem(S);
    return tsc__dnnl_set_output(S, n->out[0], ym);
}

/* The node's output as a plain copy of `view_md`, a view of memory xm
 * (a permutation for Transpose, a sub-memory for Slice). */
static tsc_status copy_view_to_output(dstate *S, const tsc__nn_node *n, int xm,
                                      const dnnl_memory_desc_t *view_md, const char *what)
{
    dnnl_memory_desc_t y_md = out_plain_md(S, n);
    int view = tsc__dnnl_alias_mem(S, xm, view_md), ym = tsc__dnnl_new_act_mem(S, &y_md);
    if (view < 0 || ym < 0) return tsc__dnnl_nomem(S);
    tsc_status st = tsc__dnnl_reorder_into(S, view, ym, what);
    if (st != TSC_OK) return st;
    return tsc__dnnl_set_output(S, n->out[0], ym);
}

static tsc_status lower_transpose(dstate *S, const tsc__nn_node *n)
{
    const tsc__nn_value *x = V(S, n->in[0]);
    int xm;
    tsc_status st = tsc__dnnl_value_plain(S, n->in[0], &xm);
    if (st != TSC_OK) return st;
    /* oneDNN: out dims[p[i]] = in dims[i]; ONNX: out dims[i] = in dims[perm[i]]. */
    int p[TSC_NN_MAX_RANK];
    for (int i = 0; i < x->rank; i++) p[n->a.perm[i]] = i;
    dnnl_memory_desc_t view_md;
    CHECK_DNNL(dnnl_memory_desc_permute_axes(&view_md, tsc__dnnl_mem_md(S, xm), p), "permute axes");
    return copy_view_to_output(S, n, xm, &view_md, "transpose");
}

static tsc_status lower_pad(dstate *S, const tsc__nn_node *n)
{
    const tsc__nn_value *x = V(S, n->in[0]), *y = V(S, n->out[0]);
    int xm;
    tsc_status st = tsc__dnnl_value_mem(S, n->in[0], &xm);
    if (st != TSC_OK) return st;
    dnnl_memory_desc_t y_md = out_plain_md(S, n), sub;
    int ym = tsc__dnnl_new_act_mem(S, &y_md);
    if (ym < 0) return tsc__dnnl_nomem(S);
    fill_plan *fp = calloc(1, sizeof *fp);
    step *stp = fp ? tsc__dnnl_add_step(S, STEP_FILL) : NULL;
    if (!stp) {
        free(fp);
        return tsc__dnnl_nomem(S);
    }
    stp->fill = fp;
    *fp = (fill_plan){ym, (size_t)y->numel, (float)n->a.fill};
    tsc__dnnl_touch(S, ym, (int)(stp - S->steps));
    dnnl_dims_t d, off;
    for (int i = 0; i < x->rank; i++) d[i] = x->dims[i], off[i] = n->a.pads[i];
    CHECK_DNNL(dnnl_memory_desc_init_submemory(&sub, &y_md, d, off), "describe padding");
    int view = tsc__dnnl_alias_mem(S, ym, &sub);
    if (view < 0) return tsc__dnnl_nomem(S);
    if ((st = tsc__dnnl_reorder_into(S, xm, view, "pad")) != TSC_OK) return st;
    return tsc__dnnl_set_output(S, n->out[0], ym);
}

static tsc_status lower_reduce(dstate *S, const tsc__nn_node *n)
{
    const tsc__nn_value *x = V(S, n->in[0]);
    int64_t kd[TSC_NN_MAX_RANK];
    for (int i = 0; i < x->rank; i++) kd[i] = n->a.axes[i] ? 1 : x->dims[i];
    int xm;
    tsc_status st = tsc__dnnl_value_mem(S, n->in[0], &xm);
    if (st != TSC_OK) return st;
    /* The reduction keeps the rank; dropping axes is a view afterwards. */
    dnnl_memory_desc_t dst_md;
    if (n->a.keepdims) tsc__dnnl_any_md(&dst_md, x->rank, kd, dnnl_f32);
    else tsc__dnnl_plain_md(&dst_md, x->rank, kd);
    dnnl_reduction_desc_t rd;
    dnnl_primitive_desc_t pd = NULL;
    st = tsc__dnnl_make_pd(S,
                           dnnl_reduction_desc_init(&rd, dnnl_reduction_mean,
                                                    tsc__dnnl_mem_md(S, xm), &dst_md, 0.f, 0.f),
                           &rd, S->attr, &pd, "create a reduction");
    if (st != TSC_OK) return st;
    const bind in[] = {{DNNL_ARG_SRC, xm}};
    int ym;
    if ((st = tsc__dnnl_emit(S, pd, "reduction", in, 1, NEW_DST, &ym)) != TSC_OK) return st;
    if (!n->a.keepdims) {
        dnnl_memory_desc_t y_md = out_plain_md(S, n);
        if ((ym = tsc__dnnl_alias_mem(S, ym, &y_md)) < 0) return tsc__dnnl_nomem(S);
    }
    return tsc__dnnl_set_output(S, n->out[0], ym);
}

/* Slice with unit steps: reorder from a sub-memory view of the plain input. */
static tsc_status lower_slice(dstate *S, const tsc__nn_node *n)
{
    const tsc__nn_value *x = V(S, n->in[0]), *y = V(S, n->out[0]);
    dnnl_dims_t d, off;
    for (int i = 0; i < x->rank; i++) {
        if (n->a.ends[i] != 1)
            NODE_ERR(TSC_EUNSUPPORTED,
                     "steps other than 1 on run-time data are not supported (axis %d)", i);
        d[i] = y->dims[i];
        off[i] = n->a.starts[i];
    }
    int xm;
    tsc_status st = tsc__dnnl_value_plain(S, n->in[0], &xm);
    if (st != TSC_OK) return st;
    dnnl_memory_desc_t sub;
    CHECK_DNNL(dnnl_memory_desc_init_submemory(&sub, tsc__dnnl_mem_md(S, xm), d, off),
               "describe a slice");
    return copy_view_to_output(S, n, xm, &sub, "slice");
}

tsc_status tsc__dnnl_lower_node(dstate *S, const tsc__nn_node *n)
{
    switch (n->op) {
    case TSC__NN_OP_CONV:
    case TSC__NN_OP_CONVT: return lower_conv(S, n);
    case TSC__NN_OP_BN:
        return lower_bn(S, n);
    TSC__NN_CASE_ACT_OPS:
        return lower_act(S, n);
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
