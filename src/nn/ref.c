/* SPDX-License-Identifier: BSD-3-Clause */
/* Plain-C reference kernels: the constant folder, the reference engine and
 * the yardstick every oneDNN-executed operator is tested against.  Written
 * for clarity (straight loops, double accumulation), not speed. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn_private.h"

float tsc__nn_ref_act(tsc__nn_act act, float alpha, float beta, float x)
{
    switch (act) {
    case TSC__NN_ACT_RELU: return x > 0 ? x : alpha * x;
    case TSC__NN_ACT_CLIP: return x < alpha ? alpha : x > beta ? beta : x;
    case TSC__NN_ACT_SIGMOID: return (float)(1.0 / (1.0 + exp(-(double)x)));
    case TSC__NN_ACT_HARDSIGMOID: {
        double y = (double)alpha * x + beta;
        return (float)(y < 0 ? 0 : y > 1 ? 1 : y);
    }
    case TSC__NN_ACT_HARDSWISH: {
        double y = x / 6.0 + 0.5;
        return (float)(x * (y < 0 ? 0 : y > 1 ? 1 : y));
    }
    case TSC__NN_ACT_TANH: return (float)tanh((double)x);
    case TSC__NN_ACT_ELU: return x > 0 ? x : (float)(alpha * (exp((double)x) - 1.0));
    case TSC__NN_ACT_ABS: return fabsf(x);
    }
    return x;
}

double tsc__nn_resize_coord(tsc__nn_coord mode, int64_t o, int64_t in_len, int64_t out_len,
                            double scale)
{
    switch (mode) {
    case TSC__NN_COORD_HALF_PIXEL: return ((double)o + 0.5) / scale - 0.5;
    case TSC__NN_COORD_PYTORCH_HALF_PIXEL:
        return out_len > 1 ? ((double)o + 0.5) / scale - 0.5 : 0.0;
    case TSC__NN_COORD_ALIGN_CORNERS:
        return out_len > 1 ? (double)o * (double)(in_len - 1) / (double)(out_len - 1) : 0.0;
    case TSC__NN_COORD_ASYMMETRIC: return (double)o / scale;
    }
    return 0;
}

int64_t tsc__nn_resize_nearest(tsc__nn_nearest mode, double x, int64_t in_len)
{
    double r;
    switch (mode) {
    case TSC__NN_NEAREST_ROUND_PREFER_FLOOR:
        r = (x - floor(x) == 0.5) ? floor(x) : round(x);
        break;
    case TSC__NN_NEAREST_ROUND_PREFER_CEIL: r = (x - floor(x) == 0.5) ? ceil(x) : round(x); break;
    case TSC__NN_NEAREST_FLOOR: r = floor(x); break;
    default: r = ceil(x); break;
    }
    int64_t i = (int64_t)r;
    return i < 0 ? 0 : i >= in_len ? in_len - 1 : i;
}

/* ---- helpers ---------------------------------------------------------- */

static int64_t numel(const tsc__nn_tensor *t)
{
    int64_t n = 1;
    for (int i = 0; i < t->rank; i++) n *= t->dims[i];
    return n;
}

static void strides_of(const int64_t *dims, int rank, int64_t *st)
{
    int64_t s = 1;
    for (int i = rank - 1; i >= 0; i--) st[i] = s, s *= dims[i];
}

static double get(const tsc__nn_tensor *t, int64_t i)
{
    return t->dtype == TSC__NN_F32 ? (double)((const float *)t->data)[i]
                                   : (double)((const int64_t *)t->data)[i];
}

/* double -> int64 without undefined behaviour for NaN or out-of-range values. */
static int64_t to_i64(double v)
{
    if (!(v == v)) return 0;
    if (v >= 9.2233720368547758e18) return INT64_MAX;
    if (v <= -9.2233720368547758e18) return INT64_MIN;
    return (int64_t)v;
}

static void put(const tsc__nn_tensor *t, int64_t i, double v)
{
    if (t->dtype == TSC__NN_F32)
        ((float *)t->data)[i] = (float)v;
    else
        ((int64_t *)t->data)[i] = to_i64(v);
}

/* Pads the spatial description of an N-d window op to 3 axes. */
typedef struct win3 {
    int64_t in[3], out[3], k[3], s[3], d[3], pb[3], pe[3], op[3];
} win3;

static void to_win3(const tsc__nn_attrs *a, const int64_t *in_sp, const int64_t *out_sp, int nsp,
                    win3 *w)
{
    for (int i = 0; i < 3; i++) {
        int j = i - (3 - nsp);
        w->in[i] = j >= 0 ? in_sp[j] : 1;
        w->out[i] = j >= 0 ? out_sp[j] : 1;
        w->k[i] = j >= 0 ? a->kernel[j] : 1;
        w->s[i] = j >= 0 ? a->stride[j] : 1;
        w->d[i] = j >= 0 ? a->dilation[j] : 1;
        w->pb[i] = j >= 0 ? a->pad_b[j] : 0;
        w->pe[i] = j >= 0 ? a->pad_e[j] : 0;
        w->op[i] = j >= 0 ? a->out_pad[j] : 0;
    }
}

/* The (d, h, w) position of flat index i of a box of size dims[3]. */
static void box_pos(int64_t i, const int64_t dims[3], int64_t pos[3])
{
    pos[2] = i % dims[2];
    pos[1] = i / dims[2] % dims[1];
    pos[0] = i / (dims[2] * dims[1]);
}

/* The taps of a strided, dilated, padded window placed at flat index i of a
 * box of size at_dims[] that fall inside a box of size lim[]: the flat
 * offset of each tap in that box and in the kernel.  Convolution and
 * pooling place the window at an output pixel and look into the input; the
 * transposed convolution places it at an input pixel and scatters into the
 * output.  Returns how many taps landed. */
static int64_t win_taps(const win3 *s, int64_t i, const int64_t at_dims[3], const int64_t lim[3],
                        int64_t *at, int64_t *k_at)
{
    int64_t pos[3], n = 0;
    box_pos(i, at_dims, pos);
    for (int64_t kd = 0; kd < s->k[0]; kd++) {
        int64_t d = pos[0] * s->s[0] - s->pb[0] + kd * s->d[0];
        if (d < 0 || d >= lim[0]) continue;
        for (int64_t kh = 0; kh < s->k[1]; kh++) {
            int64_t h = pos[1] * s->s[1] - s->pb[1] + kh * s->d[1];
            if (h < 0 || h >= lim[1]) continue;
            for (int64_t kw = 0; kw < s->k[2]; kw++) {
                int64_t w = pos[2] * s->s[2] - s->pb[2] + kw * s->d[2];
                if (w < 0 || w >= lim[2]) continue;
                at[n] = (d * lim[1] + h) * lim[2] + w;
                k_at[n++] = (kd * s->k[1] + kh) * s->k[2] + kw;
            }
        }
    }
    return n;
}

/* The shapes of a window op (batch, channels in and out, channels per
 * group, spatial sizes of input, output and kernel) and room for the taps
 * of one window; free(o->at) when done. */
typedef struct winop {
    win3 s;
    int64_t N, C, M, Cg, Mg, isz, osz, ksz;
    int64_t *at, *k_at;
} winop;

static int winop_init(const tsc__nn_attrs *a, const tsc__nn_tensor *x, const tsc__nn_tensor *y,
                      int64_t groups, winop *o)
{
    to_win3(a, x->dims + 2, y->dims + 2, x->rank - 2, &o->s);
    o->N = x->dims[0], o->C = x->dims[1], o->M = y->dims[1];
    o->Cg = o->C / groups, o->Mg = o->M / groups;
    o->isz = o->s.in[0] * o->s.in[1] * o->s.in[2];
    o->osz = o->s.out[0] * o->s.out[1] * o->s.out[2];
    o->ksz = o->s.k[0] * o->s.k[1] * o->s.k[2];
    o->at = malloc(2 * (size_t)o->ksz * sizeof *o->at);
    o->k_at = o->at ? o->at + o->ksz : NULL;
    return o->at ? 0 : -1;
}

/* ---- kernels ---------------------------------------------------------- */

static int ref_conv(const tsc__nn_attrs *a, const tsc__nn_tensor *x, const tsc__nn_tensor *w,
                    const tsc__nn_tensor *b, const tsc__nn_tensor *y)
{
    winop o;
    if (winop_init(a, x, y, a->group, &o) < 0) return -1;
    const win3 *s = &o.s;
    const float *X = x->data, *W = w->data, *B = b && b->data ? b->data : NULL;
    float *Y = y->data;
    for (int64_t n = 0; n < o.N; n++)
        for (int64_t m = 0; m < o.M; m++) {
            int64_t grp = m / o.Mg;
            for (int64_t p = 0; p < o.osz; p++) {
                int64_t nt = win_taps(s, p, s->out, s->in, o.at, o.k_at);
                double acc = B ? B[m] : 0.0;
                for (int64_t c = 0; c < o.Cg; c++) {
                    const float *xp = X + (n * o.C + grp * o.Cg + c) * o.isz;
                    const float *wp = W + (m * o.Cg + c) * o.ksz;
                    for (int64_t t = 0; t < nt; t++) acc += (double)xp[o.at[t]] * wp[o.k_at[t]];
                }
                Y[(n * o.M + m) * o.osz + p] = (float)acc;
            }
        }
    free(o.at);
    return 0;
}

/* Transposed convolution as a scatter: every input pixel adds its weighted
 * kernel into the output (ONNX ConvTranspose, weights [C, M/G, k...]). */
static int ref_convt(const tsc__nn_attrs *a, const tsc__nn_tensor *x, const tsc__nn_tensor *w,
                     const tsc__nn_tensor *b, const tsc__nn_tensor *y)
{
    winop o;
    if (winop_init(a, x, y, a->group, &o) < 0) return -1;
    const win3 *s = &o.s;
    double *acc = malloc((size_t)(o.N * o.M * o.osz) * sizeof *acc);
    if (!acc) {
        free(o.at);
        return -1;
    }
    const float *X = x->data, *W = w->data, *B = b && b->data ? b->data : NULL;
    for (int64_t n = 0; n < o.N; n++)
        for (int64_t m = 0; m < o.M; m++)
            for (int64_t i = 0; i < o.osz; i++) acc[(n * o.M + m) * o.osz + i] = B ? B[m] : 0.0;
    for (int64_t n = 0; n < o.N; n++)
        for (int64_t c = 0; c < o.C; c++) {
            int64_t grp = c / o.Cg;
            for (int64_t p = 0; p < o.isz; p++) {
                int64_t nt = win_taps(s, p, s->in, s->out, o.at, o.k_at);
                double xv = X[(n * o.C + c) * o.isz + p];
                for (int64_t mm = 0; mm < o.Mg; mm++) {
                    int64_t m = grp * o.Mg + mm;
                    const float *wp = W + (c * o.Mg + mm) * o.ksz;
                    double *ap = acc + (n * o.M + m) * o.osz;
                    for (int64_t t = 0; t < nt; t++) ap[o.at[t]] += xv * wp[o.k_at[t]];
                }
            }
        }
    float *Y = y->data;
    for (int64_t i = 0; i < o.N * o.M * o.osz; i++) Y[i] = (float)acc[i];
    free(acc);
    free(o.at);
    return 0;
}

static int ref_pool(tsc__nn_op op, const tsc__nn_attrs *a, const tsc__nn_tensor *x,
                    const tsc__nn_tensor *y)
{
    winop o;
    if (winop_init(a, x, y, 1, &o) < 0) return -1;
    const win3 *s = &o.s;
    int is_max = op == TSC__NN_OP_MAXPOOL || op == TSC__NN_OP_GMP;
    const float *X = x->data;
    float *Y = y->data;
    for (int64_t nc = 0; nc < o.N * o.C; nc++)
        for (int64_t p = 0; p < o.osz; p++) {
            int64_t pos[3];
            box_pos(p, s->out, pos);
            double acc = is_max ? -INFINITY : 0.0;
            int64_t cnt_pad = 1;
            /* Window extent clipped to the padded input, as PyTorch counts it
             * for count_include_pad. */
            for (int i = 0; i < 3; i++) {
                int64_t st = pos[i] * s->s[i] - s->pb[i];
                int64_t en = st + (s->k[i] - 1) * s->d[i] + 1;
                if (en > s->in[i] + s->pe[i]) en = s->in[i] + s->pe[i];
                cnt_pad *= (en - st + s->d[i] - 1) / s->d[i];
            }
            int64_t cnt = win_taps(s, p, s->out, s->in, o.at, o.k_at);
            for (int64_t t = 0; t < cnt; t++) {
                double v = X[nc * o.isz + o.at[t]];
                if (is_max) acc = v > acc ? v : acc;
                else acc += v;
            }
            if (!is_max) acc /= (double)(a->count_include_pad ? cnt_pad : cnt);
            Y[nc * o.osz + p] = (float)acc;
        }
    free(o.at);
    return 0;
}

/* Resize: per axis a pair of source indices and a weight, then the tensor
 * product over the (up to 3) spatial axes. */
static int ref_resize(const tsc__nn_attrs *a, const tsc__nn_tensor *x, const tsc__nn_tensor *y)
{
    int nsp = x->rank - 2;
    int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1};
    double scale[3] = {1, 1, 1};
    for (int i = 0; i < nsp; i++) {
        in[3 - nsp + i] = x->dims[2 + i];
        out[3 - nsp + i] = y->dims[2 + i];
        scale[3 - nsp + i] = a->scales[2 + i];
    }
    int64_t *i0[3], *i1[3];
    double *wt[3];
    int ok = 1;
    for (int ax = 0; ax < 3; ax++) {
        i0[ax] = malloc((size_t)out[ax] * sizeof(int64_t));
        i1[ax] = malloc((size_t)out[ax] * sizeof(int64_t));
        wt[ax] = malloc((size_t)out[ax] * sizeof(double));
        if (!i0[ax] || !i1[ax] || !wt[ax]) ok = 0;
    }
    for (int ax = 0; ax < 3 && ok; ax++)
        for (int64_t o = 0; o < out[ax]; o++) {
            double c = tsc__nn_resize_coord(a->coord, o, in[ax], out[ax], scale[ax]);
            if (!a->resize_linear) {
                i0[ax][o] = i1[ax][o] = tsc__nn_resize_nearest(a->nearest, c, in[ax]);
                wt[ax][o] = 0;
            } else {
                if (c < 0) c = 0;
                if (c > (double)(in[ax] - 1)) c = (double)(in[ax] - 1);
                int64_t f = (int64_t)floor(c);
                i0[ax][o] = f;
                i1[ax][o] = f + 1 < in[ax] ? f + 1 : in[ax] - 1;
                wt[ax][o] = c - (double)f;
            }
        }
    if (ok) {
        int64_t NC = x->dims[0] * x->dims[1];
        int64_t isz = in[0] * in[1] * in[2], osz = out[0] * out[1] * out[2];
        const float *X = x->data;
        float *Y = y->data;
        for (int64_t nc = 0; nc < NC; nc++)
            for (int64_t od = 0; od < out[0]; od++)
                for (int64_t oh = 0; oh < out[1]; oh++)
                    for (int64_t ow = 0; ow < out[2]; ow++) {
                        double acc = 0;
                        for (int c = 0; c < 8; c++) {
                            int64_t d = c & 4 ? i1[0][od] : i0[0][od];
                            int64_t h = c & 2 ? i1[1][oh] : i0[1][oh];
                            int64_t w = c & 1 ? i1[2][ow] : i0[2][ow];
                            double f = (c & 4 ? wt[0][od] : 1 - wt[0][od]) *
                                       (c & 2 ? wt[1][oh] : 1 - wt[1][oh]) *
                                       (c & 1 ? wt[2][ow] : 1 - wt[2][ow]);
                            if (f != 0) acc += f * X[nc * isz + (d * in[1] + h) * in[2] + w];
                        }
                        Y[nc * osz + (od * out[1] + oh) * out[2] + ow] = (float)acc;
                    }
    }
    for (int ax = 0; ax < 3; ax++) free(i0[ax]), free(i1[ax]), free(wt[ax]);
    return ok ? 0 : -1;
}

static void ref_broadcast(tsc__nn_op op, const tsc__nn_tensor *x, const tsc__nn_tensor *yv,
                          const tsc__nn_tensor *z)
{
    int r = z->rank;
    int64_t sx[TSC_NN_MAX_RANK], sy[TSC_NN_MAX_RANK], zs[TSC_NN_MAX_RANK];
    int64_t xd[TSC_NN_MAX_RANK], yd[TSC_NN_MAX_RANK];
    for (int i = 0; i < r; i++) {
        int ix = i - (r - x->rank), iy = i - (r - yv->rank);
        xd[i] = ix >= 0 ? x->dims[ix] : 1;
        yd[i] = iy >= 0 ? yv->dims[iy] : 1;
    }
    strides_of(xd, r, sx);
    strides_of(yd, r, sy);
    strides_of(z->dims, r, zs);
    int64_t n = numel(z);
    for (int64_t i = 0; i < n; i++) {
        int64_t rem = i, ox = 0, oy = 0;
        for (int d = 0; d < r; d++) {
            int64_t c = rem / zs[d];
            rem %= zs[d];
            if (xd[d] != 1) ox += c * sx[d];
            if (yd[d] != 1) oy += c * sy[d];
        }
        if (z->dtype == TSC__NN_I64) {
            int64_t a = ((const int64_t *)x->data)[ox], b = ((const int64_t *)yv->data)[oy], v;
            /* Shape arithmetic from a hostile file may overflow: wrap, never UB. */
            uint64_t ua = (uint64_t)a, ub = (uint64_t)b;
            switch (op) {
            case TSC__NN_OP_ADD: v = (int64_t)(ua + ub); break;
            case TSC__NN_OP_SUB: v = (int64_t)(ua - ub); break;
            case TSC__NN_OP_MUL: v = (int64_t)(ua * ub); break;
            default: v = b == 0 || (b == -1 && a == INT64_MIN) ? 0 : a / b; break;
            }
            ((int64_t *)z->data)[i] = v;
        } else {
            float a = ((const float *)x->data)[ox], b = ((const float *)yv->data)[oy], v;
            switch (op) {
            case TSC__NN_OP_ADD: v = a + b; break;
            case TSC__NN_OP_SUB: v = a - b; break;
            case TSC__NN_OP_MUL: v = a * b; break;
            default: v = a / b; break;
            }
            ((float *)z->data)[i] = v;
        }
    }
}

static void ref_gemm(const tsc__nn_attrs *a, const tsc__nn_tensor *A, const tsc__nn_tensor *B,
                     const tsc__nn_tensor *C, const tsc__nn_tensor *Y)
{
    int64_t M = Y->dims[0], N = Y->dims[1];
    int64_t K = a->trans_a ? A->dims[0] : A->dims[1];
    const float *pa = A->data, *pb = B->data;
    for (int64_t m = 0; m < M; m++)
        for (int64_t nn = 0; nn < N; nn++) {
            double acc = 0;
            for (int64_t k = 0; k < K; k++) {
                double av = a->trans_a ? pa[k * M + m] : pa[m * K + k];
                double bv = a->trans_b ? pb[nn * K + k] : pb[k * N + nn];
                acc += av * bv;
            }
            acc *= a->alpha;
            if (C && C->data) {
                int64_t cm = C->rank == 2 ? C->dims[0] : 1, cn = C->rank >= 1 ? C->dims[C->rank - 1] : 1;
                acc += (double)a->beta * ((const float *)C->data)[(cm == 1 ? 0 : m) * cn + (cn == 1 ? 0 : nn)];
            }
            ((float *)Y->data)[m * N + nn] = (float)acc;
        }
}

static void ref_matmul(const tsc__nn_tensor *A, const tsc__nn_tensor *B, const tsc__nn_tensor *Y)
{
    int r = Y->rank;
    int64_t M = Y->dims[r - 2], N = Y->dims[r - 1], K = A->dims[A->rank - 1];
    int64_t ad[TSC_NN_MAX_RANK], bd[TSC_NN_MAX_RANK], as[TSC_NN_MAX_RANK], bs[TSC_NN_MAX_RANK],
        ys[TSC_NN_MAX_RANK];
    for (int i = 0; i < r - 2; i++) {
        int ia = i - (r - A->rank), ib = i - (r - B->rank);
        ad[i] = ia >= 0 ? A->dims[ia] : 1;
        bd[i] = ib >= 0 ? B->dims[ib] : 1;
    }
    strides_of(ad, r - 2, as);
    strides_of(bd, r - 2, bs);
    strides_of(Y->dims, r - 2, ys);
    int64_t batch = 1;
    for (int i = 0; i < r - 2; i++) batch *= Y->dims[i];
    for (int64_t bt = 0; bt < batch; bt++) {
        int64_t rem = bt, oa = 0, ob = 0;
        for (int d = 0; d < r - 2; d++) {
            int64_t c = rem / ys[d];
            rem %= ys[d];
            if (ad[d] != 1) oa += c * as[d];
            if (bd[d] != 1) ob += c * bs[d];
        }
        const float *pa = (const float *)A->data + oa * M * K;
        const float *pb = (const float *)B->data + ob * K * N;
        float *py = (float *)Y->data + bt * M * N;
        for (int64_t m = 0; m < M; m++)
            for (int64_t nn = 0; nn < N; nn++) {
                double acc = 0;
                for (int64_t k = 0; k < K; k++) acc += (double)pa[m * K + k] * pb[k * N + nn];
                py[m * N + nn] = (float)acc;
            }
    }
}

static void ref_softmax(int64_t axis, const tsc__nn_tensor *x, const tsc__nn_tensor *y)
{
    int64_t outer = 1, len = x->dims[axis], inner = 1;
    for (int i = 0; i < axis; i++) outer *= x->dims[i];
    for (int i = (int)axis + 1; i < x->rank; i++) inner *= x->dims[i];
    const float *X = x->data;
    float *Y = y->data;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t in = 0; in < inner; in++) {
            const float *xp = X + o * len * inner + in;
            float *yp = Y + o * len * inner + in;
            double mx = -INFINITY, sum = 0;
            for (int64_t i = 0; i < len; i++) mx = xp[i * inner] > mx ? xp[i * inner] : mx;
            for (int64_t i = 0; i < len; i++) sum += exp((double)xp[i * inner] - mx);
            for (int64_t i = 0; i < len; i++) yp[i * inner] = (float)(exp((double)xp[i * inner] - mx) / sum);
        }
}

/* Generic gather of elements: y[i] = x[base + sum_d c_d * step[d]] for the
 * coordinates c of element i of y (which has x's rank), the strided view of x
 * that transpose and slice read. */
static void ref_strided_copy(const tsc__nn_tensor *x, const tsc__nn_tensor *y, int64_t base,
                             const int64_t *step)
{
    int r = x->rank;
    int64_t ys[TSC_NN_MAX_RANK];
    strides_of(y->dims, r, ys);
    int64_t n = numel(y);
    size_t es = tsc__nn_dtype_size(x->dtype);
    for (int64_t i = 0; i < n; i++) {
        int64_t rem = i, src = base;
        for (int d = 0; d < r; d++) {
            int64_t c = rem / ys[d];
            rem %= ys[d];
            src += c * step[d];
        }
        memcpy((char *)y->data + i * es, (const char *)x->data + src * es, es);
    }
}

static void ref_transpose(const tsc__nn_attrs *a, const tsc__nn_tensor *x, const tsc__nn_tensor *y)
{
    int64_t xs[TSC_NN_MAX_RANK], step[TSC_NN_MAX_RANK];
    strides_of(x->dims, x->rank, xs);
    for (int d = 0; d < x->rank; d++) step[d] = xs[a->perm[d]];
    ref_strided_copy(x, y, 0, step);
}

/* Shape inference (infer.c) leaves each axis' start in a->starts and its step
 * in a->ends. */
static void ref_slice(const tsc__nn_attrs *a, const tsc__nn_tensor *x, const tsc__nn_tensor *y)
{
    int64_t xs[TSC_NN_MAX_RANK], step[TSC_NN_MAX_RANK], base = 0;
    strides_of(x->dims, x->rank, xs);
    for (int d = 0; d < x->rank; d++) {
        base += a->starts[d] * xs[d];
        step[d] = a->ends[d] * xs[d];
    }
    ref_strided_copy(x, y, base, step);
}

static void ref_gather(int64_t axis, const tsc__nn_tensor *x, const tsc__nn_tensor *ix,
                       const tsc__nn_tensor *y)
{
    int64_t outer = 1, inner = 1, len = x->dims[axis], ni = numel(ix);
    for (int i = 0; i < axis; i++) outer *= x->dims[i];
    for (int i = (int)axis + 1; i < x->rank; i++) inner *= x->dims[i];
    size_t es = tsc__nn_dtype_size(x->dtype);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < ni; j++) {
            int64_t k = ((const int64_t *)ix->data)[j];
            if (k < 0) k += len;
            memcpy((char *)y->data + ((o * ni + j) * inner) * es,
                   (const char *)x->data + ((o * len + k) * inner) * es, (size_t)inner * es);
        }
}

static void ref_concat(int64_t axis, const tsc__nn_tensor *in, int n_in, const tsc__nn_tensor *y)
{
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < axis; i++) outer *= y->dims[i];
    for (int i = (int)axis + 1; i < y->rank; i++) inner *= y->dims[i];
    size_t es = tsc__nn_dtype_size(y->dtype);
    char *dst = y->data;
    for (int64_t o = 0; o < outer; o++)
        for (int k = 0; k < n_in; k++) {
            size_t chunk = (size_t)(in[k].dims[axis] * inner) * es;
            memcpy(dst, (const char *)in[k].data + (size_t)o * chunk, chunk);
            dst += chunk;
        }
}

static void ref_pad(const tsc__nn_attrs *a, const tsc__nn_tensor *x, const tsc__nn_tensor *y)
{
    int r = x->rank;
    int64_t xs[TSC_NN_MAX_RANK], ys[TSC_NN_MAX_RANK];
    strides_of(x->dims, r, xs);
    strides_of(y->dims, r, ys);
    int64_t n = numel(y);
    for (int64_t i = 0; i < n; i++) {
        int64_t rem = i, src = 0;
        int inside = 1;
        for (int d = 0; d < r; d++) {
            int64_t c = rem / ys[d] - a->pads[d];
            rem %= ys[d];
            if (c < 0 || c >= x->dims[d]) inside = 0;
            src += c * xs[d];
        }
        put(y, i, inside ? get(x, src) : a->fill);
    }
}

tsc_status tsc__nn_ref_eval(const tsc__nn_graph *g, const tsc__nn_node *n,
                            const tsc__nn_tensor *in, const tsc__nn_tensor *out, tsc_error *err)
{
    const tsc__nn_attrs *a = &n->a;
    const tsc__nn_tensor *y = &out[0];
    int64_t ny = numel(y);
    switch (n->op) {
    case TSC__NN_OP_CONV:
        if (ref_conv(a, &in[0], &in[1], n->n_in > 2 ? &in[2] : NULL, y) < 0) goto nomem;
        break;
    case TSC__NN_OP_CONVT:
        if (ref_convt(a, &in[0], &in[1], n->n_in > 2 ? &in[2] : NULL, y) < 0) goto nomem;
        break;
    case TSC__NN_OP_BN: {
        int64_t C = in[0].dims[1], inner = 1;
        for (int i = 2; i < in[0].rank; i++) inner *= in[0].dims[i];
        const float *X = in[0].data, *sc = in[1].data, *bi = in[2].data, *mu = in[3].data,
                    *var = in[4].data;
        for (int64_t i = 0; i < ny; i++) {
            int64_t c = (i / inner) % C;
            double s = sc[c] / sqrt((double)var[c] + a->epsilon);
            ((float *)y->data)[i] = (float)(((double)X[i] - mu[c]) * s + bi[c]);
        }
        break;
    }
    TSC__NN_CASE_ACT_OPS:
        if (in[0].dtype != TSC__NN_F32) goto unsupported;
        for (int64_t i = 0; i < ny; i++)
            ((float *)y->data)[i] =
                tsc__nn_ref_act(n->act, a->alpha, a->beta, ((const float *)in[0].data)[i]);
        break;
    case TSC__NN_OP_ADD:
    case TSC__NN_OP_SUB:
    case TSC__NN_OP_MUL:
    case TSC__NN_OP_DIV: ref_broadcast(n->op, &in[0], &in[1], y); break;
    case TSC__NN_OP_FLOOR:
    case TSC__NN_OP_CEIL:
        for (int64_t i = 0; i < ny; i++)
            put(y, i, n->op == TSC__NN_OP_FLOOR ? floor(get(&in[0], i)) : ceil(get(&in[0], i)));
        break;
    case TSC__NN_OP_CONCAT: ref_concat(a->axis, in, n->n_in, y); break;
    case TSC__NN_OP_MAXPOOL:
    case TSC__NN_OP_AVGPOOL:
    case TSC__NN_OP_GAP:
    case TSC__NN_OP_GMP:
        if (ref_pool(n->op, a, &in[0], y) < 0) goto nomem;
        break;
    case TSC__NN_OP_RESIZE:
    case TSC__NN_OP_UPSAMPLE:
        if (ref_resize(a, &in[0], y) < 0) goto nomem;
        break;
    case TSC__NN_OP_GEMM: ref_gemm(a, &in[0], &in[1], n->n_in > 2 ? &in[2] : NULL, y); break;
    case TSC__NN_OP_MATMUL: ref_matmul(&in[0], &in[1], y); break;
    case TSC__NN_OP_FLATTEN:
    case TSC__NN_OP_RESHAPE:
    case TSC__NN_OP_SQUEEZE:
    case TSC__NN_OP_UNSQUEEZE:
    case TSC__NN_OP_IDENTITY:
    case TSC__NN_OP_DROPOUT:
        memcpy(y->data, in[0].data, (size_t)ny * tsc__nn_dtype_size(y->dtype));
        break;
    case TSC__NN_OP_CAST:
        for (int64_t i = 0; i < ny; i++) {
            double v = get(&in[0], i);
            if (y->dtype == TSC__NN_I64 && !(fabs(v) < 9.2e18)) goto unsupported;
            put(y, i, y->dtype == TSC__NN_I64 ? trunc(v) : v);
        }
        break;
    case TSC__NN_OP_TRANSPOSE: ref_transpose(a, &in[0], y); break;
    case TSC__NN_OP_SOFTMAX: ref_softmax(a->axis, &in[0], y); break;
    case TSC__NN_OP_SHAPE:
        for (int64_t i = 0; i < ny; i++) ((int64_t *)y->data)[i] = in[0].dims[a->shape_start + i];
        break;
    case TSC__NN_OP_GATHER: ref_gather(a->axis, &in[0], &in[1], y); break;
    case TSC__NN_OP_SLICE: ref_slice(a, &in[0], y); break;
    case TSC__NN_OP_CONSTANTOFSHAPE:
        for (int64_t i = 0; i < ny; i++) put(y, i, a->fill);
        break;
    case TSC__NN_OP_PAD: ref_pad(a, &in[0], y); break;
    case TSC__NN_OP_REDUCEMEAN: {
        /* Sum every input element into its output slot, then divide. */
        const tsc__nn_tensor *x = &in[0];
        int64_t xs[TSC_NN_MAX_RANK], kd[TSC_NN_MAX_RANK], ks[TSC_NN_MAX_RANK];
        strides_of(x->dims, x->rank, xs);
        for (int i = 0; i < x->rank; i++) kd[i] = a->axes[i] ? 1 : x->dims[i];
        strides_of(kd, x->rank, ks);
        double *acc = calloc((size_t)ny, sizeof *acc);
        if (!acc) goto nomem;
        int64_t nx = numel(x), cnt = nx / (ny ? ny : 1);
        for (int64_t i = 0; i < nx; i++) {
            int64_t rem = i, o = 0;
            for (int d = 0; d < x->rank; d++) {
                int64_t c = rem / xs[d];
                rem %= xs[d];
                if (!a->axes[d]) o += c * ks[d];
            }
            acc[o] += ((const float *)x->data)[i];
        }
        for (int64_t i = 0; i < ny; i++) ((float *)y->data)[i] = (float)(acc[i] / (double)cnt);
        free(acc);
        break;
    }
    default: goto unsupported;
    }
    return TSC_OK;
nomem:
    return tsc_error_set(err, TSC_ENOMEM, "model %s: " TSC__NN_NODE_FMT ": out of memory",
                         g->src_name, TSC__NN_NODE_ARGS(n));
unsupported:
    return tsc_error_set(err, TSC_EUNSUPPORTED,
                         "model %s: " TSC__NN_NODE_FMT
                         ": the reference kernel does not support this configuration",
                         g->src_name, TSC__NN_NODE_ARGS(n));
}

/* ---- reference engine ------------------------------------------------- */

typedef struct ref_state {
    float **bufs; /* per value; NULL for constants and inputs */
} ref_state;

tsc_status tsc__nn_ref_prepare(tsc_nn_model *m, tsc_error *err)
{
    tsc__nn_graph *g = &m->g;
    ref_state *rs = calloc(1, sizeof *rs);
    if (!rs || !(rs->bufs = calloc((size_t)g->n_vals, sizeof *rs->bufs))) {
        free(rs);
        return tsc_error_set(err, TSC_ENOMEM, "model %s: out of memory", g->src_name);
    }
    m->exec = rs;
    size_t total = 0;
    for (int v = 0; v < g->n_vals; v++) {
        tsc__nn_value *val = &g->vals[v];
        if (val->kind != TSC__NN_VAL_ACT || !val->shaped || val->producer < 0 ||
            g->nodes[val->producer].dead)
            continue;
        size_t bytes = (size_t)val->numel * 4;
        if (bytes > g->params.max_activation_bytes - total)
            return tsc_error_set(err, TSC_ELIMIT,
                                 "model %s: activations need more than %zu bytes", g->src_name,
                                 g->params.max_activation_bytes);
        total += bytes;
        if (!(rs->bufs[v] = malloc(bytes ? bytes : 4)))
            return tsc_error_set(err, TSC_ENOMEM, "model %s: out of memory", g->src_name);
    }
    return TSC_OK;
}

void tsc__nn_ref_free(tsc_nn_model *m)
{
    ref_state *rs = m->exec;
    if (!rs) return;
    for (int v = 0; v < m->g.n_vals; v++) free(rs->bufs[v]);
    free(rs->bufs);
    free(rs);
    m->exec = NULL;
}

tsc_status tsc__nn_ref_run(tsc_nn_model *m, const float *const *inputs, float *const *outputs,
                           tsc_error *err)
{
    tsc__nn_graph *g = &m->g;
    ref_state *rs = m->exec;
    const void **ptr = calloc((size_t)g->n_vals, sizeof *ptr);
    if (!ptr) return tsc_error_set(err, TSC_ENOMEM, "out of memory");
    for (int v = 0; v < g->n_vals; v++)
        ptr[v] = g->vals[v].kind == TSC__NN_VAL_CONST ? g->vals[v].data : rs->bufs[v];
    for (int i = 0; i < g->n_inputs; i++) ptr[g->inputs[i]] = inputs[i];
    tsc_status st = TSC_OK;
    for (int oi = 0; oi < g->n_nodes && st == TSC_OK; oi++) {
        const tsc__nn_node *n = &g->nodes[g->order[oi]];
        if (n->dead) continue;
        tsc__nn_tensor in[64], out[16];
        for (int k = 0; k < n->n_in; k++) {
            int v = n->in[k];
            in[k] = v >= 0 ? (tsc__nn_tensor){g->vals[v].rank, g->vals[v].dims, g->vals[v].dtype,
                                              (void *)ptr[v]}
                           : (tsc__nn_tensor){0, NULL, TSC__NN_F32, NULL};
        }
        for (int k = 0; k < n->n_out; k++) {
            int v = n->out[k];
            out[k] = v >= 0 && rs->bufs[v]
                         ? (tsc__nn_tensor){g->vals[v].rank, g->vals[v].dims, g->vals[v].dtype,
                                            rs->bufs[v]}
                         : (tsc__nn_tensor){0, NULL, TSC__NN_F32, NULL};
        }
        st = tsc__nn_ref_eval(g, n, in, out, err);
    }
    for (int i = 0; i < g->n_outputs && st == TSC_OK; i++) {
        int v = g->outputs[i];
        memcpy(outputs[i], ptr[v], (size_t)g->vals[v].numel * 4);
    }
    free(ptr);
    return st;
}
