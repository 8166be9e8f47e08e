/* SPDX-License-Identifier: BSD-3-Clause */
/* Static shape inference, attribute validation and constant folding.
 *
 * Runs over the topologically sorted graph once.  Every output shape goes
 * through tsc__nn_set_shape (element caps, overflow checks).  Shape
 * computations that PyTorch emits (Shape -> Gather/Slice -> Unsqueeze ->
 * Concat -> Reshape/Resize) are folded into constants here, so that the
 * engines only see static tensors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn_private.h"

#define FAIL(status, ...) return tsc_error_set(err, status, __VA_ARGS__)
#define NODE_ERR(status, fmt, ...)                                                         \
    return tsc_error_set(err, status, "model %s: " TSC__NN_NODE_FMT ": " fmt, g->src_name, \
                         TSC__NN_NODE_ARGS(n), __VA_ARGS__)

static const tsc__nn_value *in_val(const tsc__nn_graph *g, const tsc__nn_node *n, int k)
{
    return k < n->n_in && n->in[k] >= 0 ? &g->vals[n->in[k]] : NULL;
}

static tsc_status need_inputs(const tsc__nn_graph *g, const tsc__nn_node *n, int min, int max,
                              tsc_error *err)
{
    if (n->n_in < min || n->n_in > max)
        NODE_ERR(TSC_EFORMAT, "has %d inputs; the operator takes %d to %d", n->n_in, min, max);
    for (int k = 0; k < min; k++)
        if (n->in[k] < 0) NODE_ERR(TSC_EFORMAT, "required input %d is empty", k);
    if (n->n_out < 1 || n->out[0] < 0) NODE_ERR(TSC_EFORMAT, "has no output%s", "");
    return TSC_OK;
}

static tsc_status need_float(const tsc__nn_graph *g, const tsc__nn_node *n, int k,
                             tsc_error *err)
{
    const tsc__nn_value *v = in_val(g, n, k);
    if (v && v->dtype != TSC__NN_F32)
        NODE_ERR(TSC_EUNSUPPORTED, "input '%s' is an integer tensor; float32 expected",
                 v->name);
    return TSC_OK;
}

/* need_inputs(), and every input present a float tensor. */
static tsc_status need_float_inputs(const tsc__nn_graph *g, const tsc__nn_node *n, int min, int max,
                                    tsc_error *err)
{
    tsc_status st;
    if ((st = need_inputs(g, n, min, max, err)) != TSC_OK) return st;
    for (int k = 0; k < max; k++)
        if ((st = need_float(g, n, k, err)) != TSC_OK) return st;
    return TSC_OK;
}

/* The one input of a node that takes one float tensor (pooling, softmax,
 * reductions). */
static tsc_status one_float_input(const tsc__nn_graph *g, const tsc__nn_node *n,
                                  const tsc__nn_value **x, tsc_error *err)
{
    tsc_status st = need_float_inputs(g, n, 1, 1, err);
    *x = in_val(g, n, 0);
    return st;
}

/* Reads a small constant integer vector (shape, axes, pads...). */
static tsc_status const_ints(const tsc__nn_graph *g, const tsc__nn_node *n, int k,
                             const char *what, int64_t *out, int max, int *count,
                             tsc_error *err)
{
    const tsc__nn_value *v = in_val(g, n, k);
    if (!v) NODE_ERR(TSC_EFORMAT, "input %s is missing", what);
    if (v->kind != TSC__NN_VAL_CONST)
        NODE_ERR(TSC_EUNSUPPORTED,
                 "input %s ('%s') is computed at run time; the engine needs it constant "
                 "(static shapes)",
                 what, v->name);
    if (v->dtype != TSC__NN_I64) NODE_ERR(TSC_EFORMAT, "input %s ('%s') must be an integer tensor", what, v->name);
    if (v->rank > 1 || v->numel > max)
        NODE_ERR(TSC_EUNSUPPORTED, "input %s ('%s') has %lld values (at most %d)", what, v->name,
                 (long long)v->numel, max);
    for (int64_t i = 0; i < v->numel; i++) out[i] = ((const int64_t *)v->data)[i];
    *count = (int)v->numel;
    return TSC_OK;
}

static tsc_status const_scalar(const tsc__nn_graph *g, const tsc__nn_node *n, int k,
                               const char *what, double *out, tsc_error *err)
{
    const tsc__nn_value *v = in_val(g, n, k);
    if (v->kind != TSC__NN_VAL_CONST)
        NODE_ERR(TSC_EUNSUPPORTED,
                 "input %s ('%s') is computed at run time; the engine needs it constant", what,
                 v->name);
    if (v->numel != 1) NODE_ERR(TSC_EFORMAT, "input %s ('%s') must be a scalar", what, v->name);
    *out = v->dtype == TSC__NN_F32 ? (double)((const float *)v->data)[0]
                                   : (double)((const int64_t *)v->data)[0];
    return TSC_OK;
}

static int norm_axis(int64_t axis, int rank, int64_t *out)
{
    if (axis < -rank || axis >= rank) return -1;
    *out = axis < 0 ? axis + rank : axis;
    return 0;
}

/* Conv/pool: resolve auto_pad into explicit pads and compute spatial output dims. */
static tsc_status window_out(const tsc__nn_graph *g, tsc__nn_node *n, const int64_t *in_sp,
                             int64_t *out_sp, int is_pool, tsc_error *err)
{
    tsc__nn_attrs *a = &n->a;
    for (int i = 0; i < a->nsp; i++) {
        int64_t k = a->kernel[i], s = a->stride[i], d = a->dilation[i];
        if (k < 1 || s < 1 || d < 1 || k > (1 << 20) || s > (1 << 20) || d > (1 << 20))
            NODE_ERR(TSC_EFORMAT, "kernel %lld, stride %lld or dilation %lld is out of range",
                     (long long)k, (long long)s, (long long)d);
        if (a->pad_b[i] < 0 || a->pad_e[i] < 0 || a->pad_b[i] > (1 << 20) ||
            a->pad_e[i] > (1 << 20))
            NODE_ERR(TSC_EUNSUPPORTED, "pads must be between 0 and 2^20 (got %lld, %lld)",
                     (long long)a->pad_b[i], (long long)a->pad_e[i]);
        int64_t ext = (k - 1) * d + 1;
        if (a->auto_pad == 1 || a->auto_pad == 2) {
            int64_t o = (in_sp[i] + s - 1) / s;
            int64_t total = (o - 1) * s + ext - in_sp[i];
            if (total < 0) total = 0;
            int64_t small = total / 2;
            a->pad_b[i] = a->auto_pad == 1 ? small : total - small;
            a->pad_e[i] = total - a->pad_b[i];
        } else if (a->auto_pad == 3) {
            a->pad_b[i] = a->pad_e[i] = 0;
        }
        int64_t span = in_sp[i] + a->pad_b[i] + a->pad_e[i] - ext;
        if (span < 0)
            NODE_ERR(TSC_EFORMAT,
                     "the kernel (extent %lld) is larger than the padded input (%lld) along "
                     "spatial axis %d",
                     (long long)ext, (long long)(in_sp[i] + a->pad_b[i] + a->pad_e[i]), i);
        int64_t o = span / s + 1;
        if (is_pool && a->ceil_mode && a->auto_pad == 0) {
            o = (span + s - 1) / s + 1;
            /* The last window must start inside the input or the left padding. */
            if ((o - 1) * s >= in_sp[i] + a->pad_b[i]) o--;
        }
        out_sp[i] = o;
    }
    return TSC_OK;
}

static tsc_status infer_conv(tsc__nn_graph *g, tsc__nn_node *n, tsc_error *err)
{
    tsc_status st = need_float_inputs(g, n, 2, 3, err);
    if (st != TSC_OK) return st;
    const tsc__nn_value *x = in_val(g, n, 0), *w = in_val(g, n, 1), *b = in_val(g, n, 2);
    tsc__nn_attrs *a = &n->a;
    int r = x->rank, nsp = r - 2;
    if (nsp < 1 || nsp > TSC__NN_MAX_SPATIAL)
        NODE_ERR(TSC_EUNSUPPORTED, "input '%s' has rank %d; 1D to 3D convolutions are supported",
                 x->name, r);
    if (w->rank != r)
        NODE_ERR(TSC_EFORMAT, "weights '%s' have rank %d, input '%s' rank %d", w->name, w->rank,
                 x->name, r);
    a->nsp = nsp;
    if (a->has_kernel && a->has_kernel != nsp)
        NODE_ERR(TSC_EFORMAT, "kernel_shape has %d values for %d spatial axes", a->has_kernel, nsp);
    if (a->has_pads && a->has_pads != nsp)
        NODE_ERR(TSC_EFORMAT, "pads has %d pairs for %d spatial axes", a->has_pads, nsp);
    if ((a->n_strides && a->n_strides != nsp) || (a->n_dilations && a->n_dilations != nsp) ||
        (a->n_out_pad && a->n_out_pad != nsp))
        NODE_ERR(TSC_EFORMAT, "strides, dilations or output_padding do not have %d values", nsp);
    for (int i = 0; i < nsp; i++) {
        if (a->has_kernel && a->kernel[i] != w->dims[2 + i])
            NODE_ERR(TSC_EFORMAT, "kernel_shape does not match weights '%s'", w->name);
        a->kernel[i] = w->dims[2 + i];
    }
    int64_t g_ = a->group;
    int64_t out[TSC_NN_MAX_RANK];
    out[0] = x->dims[0];
    if (n->op == TSC__NN_OP_CONV) {
        if (g_ < 1 || g_ > x->dims[1] || x->dims[1] % g_ || w->dims[0] % g_ ||
            w->dims[1] * g_ != x->dims[1])
            NODE_ERR(TSC_EFORMAT,
                     "group %lld does not fit input channels %lld and weights '%s' [%lld, %lld, ...]",
                     (long long)g_, (long long)x->dims[1], w->name, (long long)w->dims[0],
                     (long long)w->dims[1]);
        out[1] = w->dims[0];
        if ((st = window_out(g, n, x->dims + 2, out + 2, 0, err)) != TSC_OK) return st;
    } else {
        if (g_ < 1 || g_ > x->dims[1] || x->dims[1] % g_ || w->dims[0] != x->dims[1])
            NODE_ERR(TSC_EFORMAT, "group %lld does not fit input channels %lld and weights '%s'",
                     (long long)g_, (long long)x->dims[1], w->name);
        if (a->auto_pad == 1 || a->auto_pad == 2)
            NODE_ERR(TSC_EUNSUPPORTED, "auto_pad SAME_* is not supported for %s; give explicit pads",
                     "ConvTranspose");
        out[1] = w->dims[1] * g_;
        for (int i = 0; i < nsp; i++) {
            int64_t k = a->kernel[i], s = a->stride[i], d = a->dilation[i];
            if (k < 1 || s < 1 || d < 1 || k > (1 << 20) || s > (1 << 20) || d > (1 << 20))
                NODE_ERR(TSC_EFORMAT, "kernel, stride or dilation out of range on axis %d", i);
            if (a->auto_pad == 3) a->pad_b[i] = a->pad_e[i] = 0;
            if (a->pad_b[i] < 0 || a->pad_e[i] < 0 || a->pad_b[i] > (1 << 20) ||
                a->pad_e[i] > (1 << 20))
                NODE_ERR(TSC_EUNSUPPORTED, "pads must be between 0 and 2^20%s", "");
            if (a->out_pad[i] < 0 || (a->out_pad[i] >= s && a->out_pad[i] >= d))
                NODE_ERR(TSC_EFORMAT, "output_padding %lld must be smaller than the stride or dilation",
                         (long long)a->out_pad[i]);
            int64_t o = s * (x->dims[2 + i] - 1) + a->out_pad[i] + (k - 1) * d + 1 - a->pad_b[i] -
                        a->pad_e[i];
            if (o < 1) NODE_ERR(TSC_EFORMAT, "output size %lld on spatial axis %d", (long long)o, i);
            out[2 + i] = o;
        }
    }
    if (b && (b->rank != 1 || b->dims[0] != out[1]))
        NODE_ERR(TSC_EFORMAT, "bias '%s' must have %lld values", b->name, (long long)out[1]);
    if ((st = tsc__nn_set_shape(g, n->out[0], TSC__NN_F32, r, out, n, err)) != TSC_OK) return st;
    /* 2 x MACs. */
    const tsc__nn_value *y = &g->vals[n->out[0]];
    double ksz = 1;
    for (int i = 0; i < nsp; i++) ksz *= (double)a->kernel[i];
    if (n->op == TSC__NN_OP_CONV)
        g->flops += 2.0 * (double)y->numel * (double)w->dims[1] * ksz;
    else
        g->flops += 2.0 * (double)x->numel * (double)w->dims[1] * ksz;
    return TSC_OK;
}

static tsc_status infer_pool(tsc__nn_graph *g, tsc__nn_node *n, tsc_error *err)
{
    const tsc__nn_value *x;
    tsc_status st = one_float_input(g, n, &x, err);
    if (st != TSC_OK) return st;
    if (n->n_out > 1 && n->out[1] >= 0)
        NODE_ERR(TSC_EUNSUPPORTED, "the Indices output is not supported%s", "");
    tsc__nn_attrs *a = &n->a;
    int r = x->rank, nsp = r - 2;
    if (nsp < 1 || nsp > TSC__NN_MAX_SPATIAL)
        NODE_ERR(TSC_EUNSUPPORTED, "input '%s' has rank %d; 1D to 3D pooling is supported",
                 x->name, r);
    a->nsp = nsp;
    int64_t out[TSC_NN_MAX_RANK];
    out[0] = x->dims[0];
    out[1] = x->dims[1];
    if (n->op == TSC__NN_OP_GAP || n->op == TSC__NN_OP_GMP) {
        for (int i = 0; i < nsp; i++) {
            a->kernel[i] = x->dims[2 + i];
            a->stride[i] = a->dilation[i] = 1;
            a->pad_b[i] = a->pad_e[i] = 0;
            out[2 + i] = 1;
        }
    } else {
        if (a->has_kernel != nsp)
            NODE_ERR(TSC_EFORMAT, "kernel_shape must have %d values", nsp);
        if (a->has_pads && a->has_pads != nsp)
            NODE_ERR(TSC_EFORMAT, "pads has %d pairs for %d spatial axes", a->has_pads, nsp);
        if ((a->n_strides && a->n_strides != nsp) || (a->n_dilations && a->n_dilations != nsp))
            NODE_ERR(TSC_EFORMAT, "strides or dilations do not have %d values", nsp);
        if ((st = window_out(g, n, x->dims + 2, out + 2, 1, err)) != TSC_OK) return st;
        for (int i = 0; i < nsp; i++)
            if (a->pad_b[i] >= a->kernel[i] || a->pad_e[i] >= a->kernel[i] + a->stride[i])
                NODE_ERR(TSC_EUNSUPPORTED, "pads larger than the kernel on axis %d", i);
    }
    return tsc__nn_set_shape(g, n->out[0], TSC__NN_F32, r, out, n, err);
}

static tsc_status infer_broadcast(tsc__nn_graph *g, tsc__nn_node *n, tsc_error *err)
{
    tsc_status st;
    if ((st = need_inputs(g, n, 2, 2, err)) != TSC_OK) return st;
    const tsc__nn_value *x = in_val(g, n, 0), *y = in_val(g, n, 1);
    if (x->dtype != y->dtype)
        NODE_ERR(TSC_EFORMAT, "inputs '%s' and '%s' have different data types", x->name, y->name);
    int r = x->rank > y->rank ? x->rank : y->rank;
    int64_t out[TSC_NN_MAX_RANK];
    for (int i = 0; i < r; i++) {
        int ix = i - (r - x->rank), iy = i - (r - y->rank);
        int64_t dx = ix >= 0 ? x->dims[ix] : 1, dy = iy >= 0 ? y->dims[iy] : 1;
        if (dx != dy && dx != 1 && dy != 1)
            NODE_ERR(TSC_EFORMAT, "inputs '%s' and '%s' do not broadcast (axis %d: %lld vs %lld)",
                     x->name, y->name, i, (long long)dx, (long long)dy);
        out[i] = dx == 1 ? dy : dx;
    }
    return tsc__nn_set_shape(g, n->out[0], x->dtype, r, out, n, err);
}

static tsc_status infer_same(tsc__nn_graph *g, tsc__nn_node *n, tsc_error *err)
{
    const tsc__nn_value *x = in_val(g, n, 0);
    return tsc__nn_set_shape(g, n->out[0], x->dtype, x->rank, x->dims, n, err);
}

static tsc_status infer_act(tsc__nn_graph *g, tsc__nn_node *n, tsc_error *err)
{
    tsc_status st;
    int max_in = n->op == TSC__NN_OP_CLIP && g->opset >= 11 ? 3 : 1;
    if ((st = need_inputs(g, n, 1, max_in, err)) != TSC_OK) return st;
    if (n->op != TSC__NN_OP_CLIP && (st = need_float(g, n, 0, err)) != TSC_OK) return st;
    tsc__nn_attrs *a = &n->a;
    switch (n->op) {
    case TSC__NN_OP_RELU: n->act = TSC__NN_ACT_RELU, a->alpha = 0; break;
    case TSC__NN_OP_LEAKYRELU: n->act = TSC__NN_ACT_RELU; break;
    case TSC__NN_OP_SIGMOID: n->act = TSC__NN_ACT_SIGMOID; break;
    case TSC__NN_OP_HARDSIGMOID: n->act = TSC__NN_ACT_HARDSIGMOID; break;
    case TSC__NN_OP_HARDSWISH: n->act = TSC__NN_ACT_HARDSWISH; break;
    case TSC__NN_OP_TANH: n->act = TSC__NN_ACT_TANH; break;
    case TSC__NN_OP_ELU: n->act = TSC__NN_ACT_ELU; break;
    case TSC__NN_OP_ABS: n->act = TSC__NN_ACT_ABS; break;
    case TSC__NN_OP_CLIP: {
        n->act = TSC__NN_ACT_CLIP;
        double v;
        if (in_val(g, n, 1)) {
            if ((st = const_scalar(g, n, 1, "min", &v, err)) != TSC_OK) return st;
            a->clip_lo = (float)v;
        }
        if (in_val(g, n, 2)) {
            if ((st = const_scalar(g, n, 2, "max", &v, err)) != TSC_OK) return st;
            a->clip_hi = (float)v;
        }
        a->alpha = a->clip_lo;
        a->beta = a->clip_hi;
        break;
    }
    default: break;
    }
    return infer_same(g, n, err);
}

static tsc_status infer_bn(tsc__nn_graph *g, tsc__nn_node *n, tsc_error *err)
{
    tsc_status st = need_float_inputs(g, n, 5, 5, err);
    if (st != TSC_OK) return st;
    if (n->n_out > 1)
        for (int k = 1; k < n->n_out; k++)
            if (n->out[k] >= 0)
                NODE_ERR(TSC_EUNSUPPORTED, "training outputs (running statistics) are not "
                         "supported; export the model in eval() mode%s", "");
    const tsc__nn_value *x = in_val(g, n, 0);
    if (x->rank < 2) NODE_ERR(TSC_EFORMAT, "input '%s' needs a channel axis", x->name);
    for (int k = 1; k < 5; k++) {
        const tsc__nn_value *p = in_val(g, n, k);
        if (p->numel != x->dims[1])
            NODE_ERR(TSC_EFORMAT, "parameter '%s' has %lld values for %lld channels", p->name,
                     (long long)p->numel, (long long)x->dims[1]);
    }
    if (!(n->a.epsilon >= 0) || !isfinite(n->a.epsilon))
        NODE_ERR(TSC_EFORMAT, "epsilon %g is invalid", (double)n->a.epsilon);
    return infer_same(g, n, err);
}

static tsc_status infer_concat(tsc__nn_graph *g, tsc__nn_node *n, tsc_error *err)
{
    tsc_status st;
    if ((st = need_inputs(g, n, 1, 64, err)) != TSC_OK) return st;
    if (!n->a.has_axis) NODE_ERR(TSC_EFORMAT, "attribute 'axis' is required%s", "");
    const tsc__nn_value *x0 = in_val(g, n, 0);
    int64_t axis;
    if (norm_axis(n->a.axis, x0->rank, &axis) < 0)
        NODE_ERR(TSC_EFORMAT, "axis %lld is out of range for rank %d", (long long)n->a.axis, x0->rank);
    n->a.axis = axis;
    int64_t out[TSC_NN_MAX_RANK];
    memcpy(out, x0->dims, sizeof out);
    out[axis] = 0;
    for (int k = 0; k < n->n_in; k++) {
        const tsc__nn_value *x = in_val(g, n, k);
        if (!x) NODE_ERR(TSC_EFORMAT, "input %d is empty", k);
        if (x->rank != x0->rank || x->dtype != x0->dtype)
            NODE_ERR(TSC_EFORMAT, "input '%s' has another rank or type than '%s'", x->name, x0->name);
        for (int i = 0; i < x->rank; i++)
            if (i != axis && x->dims[i] != x0->dims[i])
                NODE_ERR(TSC_EFORMAT, "input '%s' differs from '%s' on axis %d", x->name,
                         x0->name, i);
        out[axis] += x->dims[axis];
    }
    return tsc__nn_set_shape(g, n->out[0], x0->dtype, x0->rank, out, n, err);
}

static tsc_status infer_resize(tsc__nn_graph *g, tsc__nn_node *n, tsc_error *err)
{
    tsc_status st;
    tsc__nn_attrs *a = &n->a;
    int k_scales, k_sizes = -1;
    if (n->op == TSC__NN_OP_UPSAMPLE) {
        if ((st = need_inputs(g, n, 2, 2, err)) != TSC_OK) return st;
        k_scales = 1;
        a->nearest = TSC__NN_NEAREST_FLOOR;
    } else if (g->opset < 11) {
        if ((st = need_inputs(g, n, 2, 2, err)) != TSC_OK) return st;
        k_scales = 1;
        a->coord = TSC__NN_COORD_ASYMMETRIC;
        a->nearest = TSC__NN_NEAREST_FLOOR;
    } else {
        if ((st = need_inputs(g, n, 1, 4, err)) != TSC_OK) return st;
        k_scales = 2;
        k_sizes = 3;
    }
    if ((st = need_float(g, n, 0, err)) != TSC_OK) return st;
    const tsc__nn_value *x = in_val(g, n, 0);
    const tsc__nn_value *sc = in_val(g, n, k_scales);
    const tsc__nn_value *sz = k_sizes >= 0 ? in_val(g, n, k_sizes) : NULL;
    if (sc && sc->numel == 0) sc = NULL;
    if (sz && sz->numel == 0) sz = NULL;
    int r = x->rank;
    if (r < 3 || r > 2 + TSC__NN_MAX_SPATIAL)
        NODE_ERR(TSC_EUNSUPPORTED, "input '%s' has rank %d; 1D to 3D resizing is supported", x->name, r);
    int64_t out[TSC_NN_MAX_RANK];
    if (sc && !sz) {
        if (sc->kind != TSC__NN_VAL_CONST)
            NODE_ERR(TSC_EUNSUPPORTED, "scales '%s' are computed at run time; static shapes needed", sc->name);
        if (sc->dtype != TSC__NN_F32 || sc->numel != r)
            NODE_ERR(TSC_EFORMAT, "scales '%s' must be %d floats", sc->name, r);
        for (int i = 0; i < r; i++) {
            double s = ((const float *)sc->data)[i];
            if (!(s > 0) || !isfinite(s) || s > 1e6)
                NODE_ERR(TSC_EFORMAT, "scale %g on axis %d is invalid", s, i);
            double o = floor((double)x->dims[i] * s);
            if (o < 1 || o > 1e15) NODE_ERR(TSC_ELIMIT, "scale %g gives output size %g on axis %d", s, o, i);
            out[i] = (int64_t)o;
            a->scales[i] = (float)s;
        }
    } else if (sz && !sc) {
        if (sz->kind != TSC__NN_VAL_CONST)
            NODE_ERR(TSC_EUNSUPPORTED, "sizes '%s' are computed at run time; static shapes needed", sz->name);
        if (sz->dtype != TSC__NN_I64 || sz->numel != r)
            NODE_ERR(TSC_EFORMAT, "sizes '%s' must be %d integers", sz->name, r);
        for (int i = 0; i < r; i++) {
            out[i] = ((const int64_t *)sz->data)[i];
            if (out[i] < 1) NODE_ERR(TSC_EFORMAT, "size %lld on axis %d", (long long)out[i], i);
            a->scales[i] = (float)((double)out[i] / (double)x->dims[i]);
        }
    } else {
        NODE_ERR(TSC_EFORMAT, "exactly one of scales and sizes must be given%s", "");
    }
    a->n_scales = r;
    if (out[0] != x->dims[0] || out[1] != x->dims[1])
        NODE_ERR(TSC_EUNSUPPORTED, "resizing the batch or channel axis is not supported%s", "");
    return tsc__nn_set_shape(g, n->out[0], TSC__NN_F32, r, out, n, err);
}

static tsc_status infer_gemm(tsc__nn_graph *g, tsc__nn_node *n, tsc_error *err)
{
    tsc_status st = need_float_inputs(g, n, 2, 3, err);
    if (st != TSC_OK) return st;
    const tsc__nn_value *A = in_val(g, n, 0), *B = in_val(g, n, 1), *C = in_val(g, n, 2);
    if (A->rank != 2 || B->rank != 2) NODE_ERR(TSC_EFORMAT, "A and B must be matrices%s", "");
    int64_t M = n->a.trans_a ? A->dims[1] : A->dims[0];
    int64_t K = n->a.trans_a ? A->dims[0] : A->dims[1];
    int64_t Kb = n->a.trans_b ? B->dims[1] : B->dims[0];
    int64_t N = n->a.trans_b ? B->dims[0] : B->dims[1];
    if (K != Kb) NODE_ERR(TSC_EFORMAT, "inner dimensions differ (%lld vs %lld)", (long long)K, (long long)Kb);
    if (C) {
        if (C->rank > 2) NODE_ERR(TSC_EFORMAT, "C '%s' must broadcast to [M, N]", C->name);
        int64_t cm = C->rank == 2 ? C->dims[0] : 1, cn = C->rank >= 1 ? C->dims[C->rank - 1] : 1;
        if ((cm != 1 && cm != M) || (cn != 1 && cn != N))
            NODE_ERR(TSC_EFORMAT, "C '%s' does not broadcast to [%lld, %lld]", C->name, (long long)M, (long long)N);
    }
    int64_t out[2] = {M, N};
    g->flops += 2.0 * (double)M * (double)N * (double)K;
    return tsc__nn_set_shape(g, n->out[0], TSC__NN_F32, 2, out, n, err);
}

static tsc_status infer_matmul(tsc__nn_graph *g, tsc__nn_node *n, tsc_error *err)
{
    tsc_status st = need_float_inputs(g, n, 2, 2, err);
    if (st != TSC_OK) return st;
    const tsc__nn_value *A = in_val(g, n, 0), *B = in_val(g, n, 1);
    if (A->rank < 2 || B->rank < 2)
        NODE_ERR(TSC_EUNSUPPORTED, "1-D operands are not supported; both need rank >= 2%s", "");
    int r = A->rank > B->rank ? A->rank : B->rank;
    int64_t out[TSC_NN_MAX_RANK];
    double batch = 1;
    for (int i = 0; i < r - 2; i++) {
        int ia = i - (r - A->rank), ib = i - (r - B->rank);
        int64_t da = ia >= 0 ? A->dims[ia] : 1, db = ib >= 0 ? B->dims[ib] : 1;
        if (da != db && da != 1 && db != 1) NODE_ERR(TSC_EFORMAT, "batch axis %d does not broadcast", i);
        out[i] = da == 1 ? db : da;
        batch *= (double)out[i];
    }
    int64_t M = A->dims[A->rank - 2], K = A->dims[A->rank - 1];
    int64_t Kb = B->dims[B->rank - 2], N = B->dims[B->rank - 1];
    if (K != Kb) NODE_ERR(TSC_EFORMAT, "inner dimensions differ (%lld vs %lld)", (long long)K, (long long)Kb);
    out[r - 2] = M;
    out[r - 1] = N;
    g->flops += 2.0 * batch * (double)M * (double)N * (double)K;
    return tsc__nn_set_shape(g, n->out[0], TSC__NN_F32, r, out, n, err);
}

static tsc_status infer_reshape_like(tsc__nn_graph *g, tsc__nn_node *n, tsc_error *err)
{
    tsc_status st;
    const tsc__nn_value *x;
    int64_t out[TSC_NN_MAX_RANK];
    int r = 0;
    switch (n->op) {
    case TSC__NN_OP_FLATTEN: {
        if ((st = need_inputs(g, n, 1, 1, err)) != TSC_OK) return st;
        x = in_val(g, n, 0);
        int64_t axis = n->a.axis;
        if (axis < 0) axis += x->rank;
        if (axis < 0 || axis > x->rank) NODE_ERR(TSC_EFORMAT, "axis %lld is out of range", (long long)n->a.axis);
        out[0] = out[1] = 1;
        for (int i = 0; i < x->rank; i++) out[i < axis ? 0 : 1] *= x->dims[i];
        r = 2;
        break;
    }
    case TSC__NN_OP_RESHAPE: {
        if ((st = need_inputs(g, n, 2, 2, err)) != TSC_OK) return st;
        x = in_val(g, n, 0);
        int cnt;
        if ((st = const_ints(g, n, 1, "shape", out, TSC_NN_MAX_RANK, &cnt, err)) != TSC_OK) return st;
        r = cnt;
        int infer_at = -1;
        int64_t known = 1;
        for (int i = 0; i < r; i++) {
            if (out[i] == 0) {
                if (i >= x->rank) NODE_ERR(TSC_EFORMAT, "shape copies axis %d that the input lacks", i);
                out[i] = x->dims[i];
            }
            if (out[i] == -1) {
                if (infer_at >= 0) NODE_ERR(TSC_EFORMAT, "shape has more than one -1%s", "");
                infer_at = i;
                continue;
            }
            if (out[i] < 1) NODE_ERR(TSC_EFORMAT, "shape has invalid size %lld", (long long)out[i]);
            if (__builtin_mul_overflow(known, out[i], &known)) NODE_ERR(TSC_ELIMIT, "shape overflows%s", "");
        }
        if (infer_at >= 0) {
            if (x->numel % known) NODE_ERR(TSC_EFORMAT, "cannot reshape %lld elements", (long long)x->numel);
            out[infer_at] = x->numel / known;
        }
        break;
    }
    case TSC__NN_OP_SQUEEZE:
    case TSC__NN_OP_UNSQUEEZE: {
        int64_t axes[TSC_NN_MAX_RANK];
        int na = 0;
        if (g->opset >= 13) {
            if ((st = need_inputs(g, n, n->op == TSC__NN_OP_UNSQUEEZE ? 2 : 1, 2, err)) != TSC_OK) return st;
            if (in_val(g, n, 1) &&
                (st = const_ints(g, n, 1, "axes", axes, TSC_NN_MAX_RANK, &na, err)) != TSC_OK)
                return st;
        } else {
            if ((st = need_inputs(g, n, 1, 1, err)) != TSC_OK) return st;
            na = n->a.n_axes;
            memcpy(axes, n->a.axes, sizeof axes);
        }
        x = in_val(g, n, 0);
        int flag[TSC_NN_MAX_RANK * 2] = {0};
        if (n->op == TSC__NN_OP_SQUEEZE) {
            for (int i = 0; i < na; i++) {
                int64_t ax;
                if (norm_axis(axes[i], x->rank, &ax) < 0 || x->dims[ax] != 1)
                    NODE_ERR(TSC_EFORMAT, "cannot squeeze axis %lld", (long long)axes[i]);
                flag[ax] = 1;
            }
            for (int i = 0; i < x->rank; i++)
                if (!(na ? flag[i] : x->dims[i] == 1)) out[r++] = x->dims[i];
        } else {
            int ro = x->rank + na;
            if (ro > TSC_NN_MAX_RANK) NODE_ERR(TSC_EUNSUPPORTED, "output rank %d is too large", ro);
            for (int i = 0; i < na; i++) {
                int64_t ax;
                if (norm_axis(axes[i], ro, &ax) < 0 || flag[ax])
                    NODE_ERR(TSC_EFORMAT, "invalid axis %lld", (long long)axes[i]);
                flag[ax] = 1;
            }
            for (int i = 0, j = 0; i < ro; i++) out[i] = flag[i] ? 1 : x->dims[j++];
            r = ro;
        }
        break;
    }
    default:
        if ((st = need_inputs(g, n, 1, n->op == TSC__NN_OP_DROPOUT ? 3 : 1, err)) != TSC_OK) return st;
        x = in_val(g, n, 0);
        if (n->op == TSC__NN_OP_DROPOUT) {
            if (in_val(g, n, 2)) {
                double tm;
                if ((st = const_scalar(g, n, 2, "training_mode", &tm, err)) != TSC_OK) return st;
                if (tm != 0) NODE_ERR(TSC_EUNSUPPORTED, "training_mode is set; export in eval() mode%s", "");
            }
            if (n->n_out > 1 && n->out[1] >= 0 &&
                (g->vals[n->out[1]].n_uses || g->vals[n->out[1]].is_output))
                NODE_ERR(TSC_EUNSUPPORTED, "the mask output is used; it is not supported%s", "");
        }
        r = x->rank;
        memcpy(out, x->dims, sizeof out);
        break;
    }
    int64_t numel;
    if (tsc__nn_numel(out, r, INT64_MAX, &numel) < 0 || numel != x->numel)
        NODE_ERR(TSC_EFORMAT, "the output shape has %lld elements, the input '%s' %lld",
                 (long long)numel, x->name, (long long)x->numel);
    return tsc__nn_set_shape(g, n->out[0], x->dtype, r, out, n, err);
}

static tsc_status infer_transpose(tsc__nn_graph *g, tsc__nn_node *n, tsc_error *err)
{
    tsc_status st;
    if ((st = need_inputs(g, n, 1, 1, err)) != TSC_OK) return st;
    const tsc__nn_value *x = in_val(g, n, 0);
    tsc__nn_attrs *a = &n->a;
    if (!a->n_perm) {
        a->n_perm = x->rank;
        for (int i = 0; i < x->rank; i++) a->perm[i] = x->rank - 1 - i;
    }
    if (a->n_perm != x->rank) NODE_ERR(TSC_EFORMAT, "perm has %d values for rank %d", a->n_perm, x->rank);
    int seen[TSC_NN_MAX_RANK] = {0};
    int64_t out[TSC_NN_MAX_RANK];
    for (int i = 0; i < x->rank; i++) {
        if (a->perm[i] < 0 || a->perm[i] >= x->rank || seen[a->perm[i]])
            NODE_ERR(TSC_EFORMAT, "perm is not a permutation%s", "");
        seen[a->perm[i]] = 1;
        out[i] = x->dims[a->perm[i]];
    }
    return tsc__nn_set_shape(g, n->out[0], x->dtype, x->rank, out, n, err);
}

static tsc_status infer_softmax(tsc__nn_graph *g, tsc__nn_node *n, tsc_error *err)
{
    const tsc__nn_value *x;
    tsc_status st = one_float_input(g, n, &x, err);
    if (st != TSC_OK) return st;
    int64_t axis;
    if (norm_axis(n->a.axis, x->rank, &axis) < 0)
        NODE_ERR(TSC_EFORMAT, "axis %lld is out of range", (long long)n->a.axis);
    /* Before opset 13 Softmax flattens to 2-D at `axis`; that matches a
     * single-axis softmax only on the last axis. */
    if (g->opset < 13 && axis != x->rank - 1)
        NODE_ERR(TSC_EUNSUPPORTED, "opset %lld softmax over axes %lld.. is not supported; "
                 "re-export with opset 13", (long long)g->opset, (long long)axis);
    n->a.axis = axis;
    return infer_same(g, n, err);
}

static tsc_status infer_shape_op(tsc__nn_graph *g, tsc__nn_node *n, tsc_error *err)
{
    tsc_status st;
    if ((st = need_inputs(g, n, 1, 1, err)) != TSC_OK) return st;
    const tsc__nn_value *x = in_val(g, n, 0);
    int64_t s = n->a.shape_start, e = n->a.has_shape_end ? n->a.shape_end : x->rank;
    if (s < 0) s += x->rank;
    if (e < 0) e += x->rank;
    s = s < 0 ? 0 : s > x->rank ? x->rank : s;
    e = e < 0 ? 0 : e > x->rank ? x->rank : e;
    if (e < s) e = s;
    n->a.shape_start = s;
    n->a.shape_end = e;
    int64_t d = e - s;
    return tsc__nn_set_shape(g, n->out[0], TSC__NN_I64, 1, &d, n, err);
}

static tsc_status infer_gather(tsc__nn_graph *g, tsc__nn_node *n, tsc_error *err)
{
    tsc_status st;
    if ((st = need_inputs(g, n, 2, 2, err)) != TSC_OK) return st;
    const tsc__nn_value *x = in_val(g, n, 0), *ix = in_val(g, n, 1);
    int64_t axis;
    if (norm_axis(n->a.axis, x->rank, &axis) < 0)
        NODE_ERR(TSC_EFORMAT, "axis %lld is out of range", (long long)n->a.axis);
    n->a.axis = axis;
    if (ix->dtype != TSC__NN_I64) NODE_ERR(TSC_EFORMAT, "indices '%s' must be integers", ix->name);
    if (ix->kind == TSC__NN_VAL_CONST)
        for (int64_t i = 0; i < ix->numel; i++) {
            int64_t k = ((const int64_t *)ix->data)[i];
            if (k < -x->dims[axis] || k >= x->dims[axis])
                NODE_ERR(TSC_EFORMAT, "index %lld is out of range", (long long)k);
        }
    int r = x->rank - 1 + ix->rank;
    if (r > TSC_NN_MAX_RANK) NODE_ERR(TSC_EUNSUPPORTED, "output rank %d is too large", r);
    int64_t out[TSC_NN_MAX_RANK];
    int j = 0;
    for (int i = 0; i < axis; i++) out[j++] = x->dims[i];
    for (int i = 0; i < ix->rank; i++) out[j++] = ix->dims[i];
    for (int i = (int)axis + 1; i < x->rank; i++) out[j++] = x->dims[i];
    return tsc__nn_set_shape(g, n->out[0], x->dtype, r, out, n, err);
}

static tsc_status infer_slice(tsc__nn_graph *g, tsc__nn_node *n, tsc_error *err)
{
    tsc_status st;
    tsc__nn_attrs *a = &n->a;
    int64_t starts[TSC_NN_MAX_RANK], ends[TSC_NN_MAX_RANK], axes[TSC_NN_MAX_RANK],
        steps[TSC_NN_MAX_RANK];
    int ns, ne, na = 0, nst = 0;
    if (g->opset >= 10) {
        if ((st = need_inputs(g, n, 3, 5, err)) != TSC_OK) return st;
        if ((st = const_ints(g, n, 1, "starts", starts, TSC_NN_MAX_RANK, &ns, err)) != TSC_OK) return st;
        if ((st = const_ints(g, n, 2, "ends", ends, TSC_NN_MAX_RANK, &ne, err)) != TSC_OK) return st;
        if (in_val(g, n, 3) && (st = const_ints(g, n, 3, "axes", axes, TSC_NN_MAX_RANK, &na, err)) != TSC_OK) return st;
        if (in_val(g, n, 4) && (st = const_ints(g, n, 4, "steps", steps, TSC_NN_MAX_RANK, &nst, err)) != TSC_OK) return st;
    } else {
        if ((st = need_inputs(g, n, 1, 1, err)) != TSC_OK) return st;
        ns = a->n_starts, ne = a->n_ends, na = a->n_axes;
        memcpy(starts, a->starts, sizeof starts);
        memcpy(ends, a->ends, sizeof ends);
        memcpy(axes, a->axes, sizeof axes);
    }
    const tsc__nn_value *x = in_val(g, n, 0);
    if (ns != ne || (na && na != ns) || (nst && nst != ns))
        NODE_ERR(TSC_EFORMAT, "starts, ends, axes and steps differ in length%s", "");
    /* Resolved per axis: start in a->starts, step in a->ends. */
    int64_t out[TSC_NN_MAX_RANK];
    int seen[TSC_NN_MAX_RANK] = {0};
    for (int i = 0; i < x->rank; i++) a->starts[i] = 0, a->ends[i] = 1, out[i] = x->dims[i];
    for (int i = 0; i < ns; i++) {
        int64_t ax;
        if (norm_axis(na ? axes[i] : i, x->rank, &ax) < 0 || seen[ax])
            NODE_ERR(TSC_EFORMAT, "invalid axis %lld", (long long)(na ? axes[i] : i));
        seen[ax] = 1;
        int64_t d = x->dims[ax], step = nst ? steps[i] : 1, s = starts[i], e = ends[i];
        if (step == 0 || step == INT64_MIN)
            NODE_ERR(TSC_EFORMAT, "step %lld on axis %lld is invalid", (long long)step, (long long)ax);
        if (s < 0 && s > INT64_MIN / 2) s += d;
        if (e < 0 && e > INT64_MIN / 2) e += d;
        int64_t cnt;
        if (step > 0) {
            s = s < 0 ? 0 : s > d ? d : s;
            e = e < 0 ? 0 : e > d ? d : e;
            cnt = e > s ? (e - s - 1) / step + 1 : 0;
        } else {
            s = s < 0 ? 0 : s > d - 1 ? d - 1 : s;
            e = e < -1 ? -1 : e > d - 1 ? d - 1 : e;
            cnt = s > e ? (s - e - 1) / (-step) + 1 : 0;
        }
        if (cnt < 1) NODE_ERR(TSC_EUNSUPPORTED, "the slice on axis %lld is empty", (long long)ax);
        a->starts[ax] = s;
        a->ends[ax] = step;
        out[ax] = cnt;
    }
    a->n_starts = x->rank;
    return tsc__nn_set_shape(g, n->out[0], x->dtype, x->rank, out, n, err);
}

static tsc_status infer_pad(tsc__nn_graph *g, tsc__nn_node *n, tsc_error *err)
{
    tsc_status st;
    tsc__nn_attrs *a = &n->a;
    int np = a->n_axes;
    if (g->opset >= 11) {
        if ((st = need_inputs(g, n, 2, 3, err)) != TSC_OK) return st;
        if ((st = const_ints(g, n, 1, "pads", a->pads, 2 * TSC_NN_MAX_RANK, &np, err)) != TSC_OK) return st;
        if (in_val(g, n, 2) && (st = const_scalar(g, n, 2, "constant_value", &a->fill, err)) != TSC_OK)
            return st;
    } else if ((st = need_inputs(g, n, 1, 1, err)) != TSC_OK) {
        return st;
    }
    const tsc__nn_value *x = in_val(g, n, 0);
    if (np != 2 * x->rank) NODE_ERR(TSC_EFORMAT, "pads has %d values for rank %d", np, x->rank);
    int64_t out[TSC_NN_MAX_RANK];
    for (int i = 0; i < x->rank; i++) {
        int64_t b = a->pads[i], e = a->pads[i + x->rank];
        if (b < 0 || e < 0 || b > (1 << 20) || e > (1 << 20))
            NODE_ERR(TSC_EUNSUPPORTED, "pads must be between 0 and 2^20 (cropping is not supported)%s", "");
        out[i] = x->dims[i] + b + e;
    }
    return tsc__nn_set_shape(g, n->out[0], x->dtype, x->rank, out, n, err);
}

static tsc_status infer_reduce(tsc__nn_graph *g, tsc__nn_node *n, tsc_error *err)
{
    const tsc__nn_value *x;
    tsc_status st = one_float_input(g, n, &x, err);
    if (st != TSC_OK) return st;
    tsc__nn_attrs *a = &n->a;
    int flag[TSC_NN_MAX_RANK] = {0};
    if (!a->n_axes)
        for (int i = 0; i < x->rank; i++) flag[i] = 1;
    for (int i = 0; i < a->n_axes; i++) {
        int64_t ax;
        if (norm_axis(a->axes[i], x->rank, &ax) < 0 || flag[ax])
            NODE_ERR(TSC_EFORMAT, "invalid axis %lld", (long long)a->axes[i]);
        flag[ax] = 1;
    }
    /* Resolved: a->axes becomes a 0/1 mask per input axis. */
    int64_t out[TSC_NN_MAX_RANK];
    int r = 0;
    for (int i = 0; i < x->rank; i++) {
        a->axes[i] = flag[i];
        if (!flag[i])
            out[r++] = x->dims[i];
        else if (a->keepdims)
            out[r++] = 1;
    }
    a->n_axes = x->rank;
    return tsc__nn_set_shape(g, n->out[0], TSC__NN_F32, r, out, n, err);
}

static tsc_status infer_node(tsc__nn_graph *g, tsc__nn_node *n, tsc_error *err)
{
    tsc_status st;
    switch (n->op) {
    case TSC__NN_OP_CONV:
    case TSC__NN_OP_CONVT: return infer_conv(g, n, err);
    case TSC__NN_OP_BN: return infer_bn(g, n, err);
    TSC__NN_CASE_ACT_OPS:
        return infer_act(g, n, err);
    case TSC__NN_OP_REDUCEMEAN: return infer_reduce(g, n, err);
    case TSC__NN_OP_ADD:
    case TSC__NN_OP_SUB:
    case TSC__NN_OP_MUL:
    case TSC__NN_OP_DIV: return infer_broadcast(g, n, err);
    case TSC__NN_OP_FLOOR:
    case TSC__NN_OP_CEIL:
        if ((st = need_inputs(g, n, 1, 1, err)) != TSC_OK) return st;
        return infer_same(g, n, err);
    case TSC__NN_OP_CONCAT: return infer_concat(g, n, err);
    case TSC__NN_OP_MAXPOOL:
    case TSC__NN_OP_AVGPOOL:
    case TSC__NN_OP_GAP:
    case TSC__NN_OP_GMP: return infer_pool(g, n, err);
    case TSC__NN_OP_RESIZE:
    case TSC__NN_OP_UPSAMPLE: return infer_resize(g, n, err);
    case TSC__NN_OP_GEMM: return infer_gemm(g, n, err);
    case TSC__NN_OP_MATMUL: return infer_matmul(g, n, err);
    case TSC__NN_OP_FLATTEN:
    case TSC__NN_OP_RESHAPE:
    case TSC__NN_OP_SQUEEZE:
    case TSC__NN_OP_UNSQUEEZE:
    case TSC__NN_OP_IDENTITY:
    case TSC__NN_OP_DROPOUT: return infer_reshape_like(g, n, err);
    case TSC__NN_OP_TRANSPOSE: return infer_transpose(g, n, err);
    case TSC__NN_OP_SOFTMAX: return infer_softmax(g, n, err);
    case TSC__NN_OP_SHAPE: return infer_shape_op(g, n, err);
    case TSC__NN_OP_GATHER: return infer_gather(g, n, err);
    case TSC__NN_OP_SLICE: return infer_slice(g, n, err);
    case TSC__NN_OP_PAD: return infer_pad(g, n, err);
    case TSC__NN_OP_CAST: {
        if ((st = need_inputs(g, n, 1, 1, err)) != TSC_OK) return st;
        const tsc__nn_value *x = in_val(g, n, 0);
        tsc__nn_dtype t = (n->a.cast_to == 1 || n->a.cast_to == 11) ? TSC__NN_F32 : TSC__NN_I64;
        return tsc__nn_set_shape(g, n->out[0], t, x->rank, x->dims, n, err);
    }
    case TSC__NN_OP_CONSTANTOFSHAPE: {
        if ((st = need_inputs(g, n, 1, 1, err)) != TSC_OK) return st;
        int64_t d[TSC_NN_MAX_RANK];
        int cnt;
        if ((st = const_ints(g, n, 0, "shape", d, TSC_NN_MAX_RANK, &cnt, err)) != TSC_OK) return st;
        for (int i = 0; i < cnt; i++)
            if (d[i] < 1) NODE_ERR(TSC_EUNSUPPORTED, "shape has size %lld", (long long)d[i]);
        return tsc__nn_set_shape(g, n->out[0], n->a.fill_dtype, cnt, d, n, err);
    }
    case TSC__NN_OP_CONSTANT: return TSC_OK;
    default: break;
    }
    NODE_ERR(TSC_EUNSUPPORTED, "operator is not supported%s", "");
}

/* Operators cheap enough to evaluate at load time when their inputs are known. */
static int foldable(tsc__nn_op op)
{
    switch (op) {
    case TSC__NN_OP_RESHAPE: case TSC__NN_OP_FLATTEN: case TSC__NN_OP_SQUEEZE:
    case TSC__NN_OP_UNSQUEEZE: case TSC__NN_OP_CONCAT: case TSC__NN_OP_GATHER:
    case TSC__NN_OP_SLICE: case TSC__NN_OP_CAST: case TSC__NN_OP_CONSTANTOFSHAPE:
    case TSC__NN_OP_ADD: case TSC__NN_OP_SUB: case TSC__NN_OP_MUL: case TSC__NN_OP_DIV:
    case TSC__NN_OP_FLOOR: case TSC__NN_OP_CEIL: case TSC__NN_OP_TRANSPOSE:
    case TSC__NN_OP_IDENTITY: case TSC__NN_OP_DROPOUT: case TSC__NN_OP_SHAPE:
    case TSC__NN_OP_PAD: case TSC__NN_OP_CLIP: case TSC__NN_OP_RELU: case TSC__NN_OP_ABS:
        return 1;
    default:
        return 0;
    }
}

static tsc_status fold(tsc__nn_graph *g, tsc__nn_node *n, tsc_error *err)
{
    tsc__nn_tensor in[64], out[16];
    tsc_status st;
    for (int k = 0; k < n->n_in; k++) {
        const tsc__nn_value *v = in_val(g, n, k);
        in[k] = v ? (tsc__nn_tensor){v->rank, v->dims, v->dtype, v->data}
                  : (tsc__nn_tensor){0, NULL, TSC__NN_F32, NULL};
    }
    /* Shape reads only dims; give it a dummy so the kernel sees "present". */
    for (int k = 0; k < n->n_out; k++) {
        int v = n->out[k];
        if (v < 0 || !g->vals[v].shaped) {
            out[k] = (tsc__nn_tensor){0, NULL, TSC__NN_F32, NULL};
            continue;
        }
        if ((st = tsc__nn_alloc_const(g, v, n, err)) != TSC_OK) return st;
        tsc__nn_value *val = &g->vals[v];
        out[k] = (tsc__nn_tensor){val->rank, val->dims, val->dtype, val->data};
    }
    if ((st = tsc__nn_ref_eval(g, n, in, out, err)) != TSC_OK) return st;
    n->dead = 1;
    return TSC_OK;
}

tsc_status tsc__nn_infer(tsc__nn_graph *g, tsc_error *err)
{
    tsc_status st;
    g->flops = 0;
    for (int oi = 0; oi < g->n_nodes; oi++) {
        tsc__nn_node *n = &g->nodes[g->order[oi]];
        if (n->dead) continue; /* Constant */
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] >= 0 && !g->vals[n->in[k]].shaped)
                NODE_ERR(TSC_EFORMAT, "input '%s' has no known shape", g->vals[n->in[k]].name);
        double flops_before = g->flops;
        if ((st = infer_node(g, n, err)) != TSC_OK) return st;
        int all_const = 1;
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] >= 0 && g->vals[n->in[k]].kind != TSC__NN_VAL_CONST) all_const = 0;
        if (foldable(n->op) && (all_const || n->op == TSC__NN_OP_SHAPE)) {
            if ((st = fold(g, n, err)) != TSC_OK) return st;
            g->flops = flops_before;
            continue;
        }
        /* What remains runs on float activations only. */
        switch (n->op) {
        case TSC__NN_OP_GATHER:
        case TSC__NN_OP_CONSTANTOFSHAPE:
        case TSC__NN_OP_FLOOR:
        case TSC__NN_OP_CEIL: {
            int k = 0;
            while (k < n->n_in - 1 && (n->in[k] < 0 || g->vals[n->in[k]].kind == TSC__NN_VAL_CONST)) k++;
            NODE_ERR(TSC_EUNSUPPORTED,
                     "only supported on constant data (shape computations); input '%s' is "
                     "computed at run time",
                     g->vals[n->in[k]].name);
        }
        case TSC__NN_OP_CAST:
            if (g->vals[n->in[0]].dtype != TSC__NN_F32 || g->vals[n->out[0]].dtype != TSC__NN_F32)
                NODE_ERR(TSC_EUNSUPPORTED, "casts between run-time float and integer tensors "
                         "are not supported (input '%s')", g->vals[n->in[0]].name);
            n->op = TSC__NN_OP_IDENTITY;
            break;
        default:
            break;
        }
        for (int k = 0; k < n->n_out; k++)
            if (n->out[k] >= 0 && g->vals[n->out[k]].shaped && g->vals[n->out[k]].numel < 1)
                NODE_ERR(TSC_EUNSUPPORTED, "output '%s' has no elements; empty tensors are not "
                         "supported at run time", g->vals[n->out[k]].name);
        for (int k = 0; k < n->n_out; k++)
            if (n->out[k] >= 0 && g->vals[n->out[k]].shaped &&
                g->vals[n->out[k]].dtype != TSC__NN_F32)
                NODE_ERR(TSC_EUNSUPPORTED, "computes the integer tensor '%s' at run time; only "
                         "float32 activations are supported", g->vals[n->out[k]].name);
    }
    for (int i = 0; i < g->n_outputs; i++) {
        const tsc__nn_value *v = &g->vals[g->outputs[i]];
        if (!v->shaped || v->dtype != TSC__NN_F32)
            FAIL(TSC_EUNSUPPORTED, "model %s: graph output '%s' is not a float32 tensor",
                 g->src_name, v->name);
    }
    return TSC_OK;
}
