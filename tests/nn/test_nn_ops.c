/* SPDX-License-Identifier: BSD-3-Clause */
/* Every operator the oneDNN engine executes, checked against the plain-C
 * reference engine on random inputs (our convention: an optimised operator
 * is not done until it is in this file).  Each check builds a tiny ONNX
 * graph in memory, loads it into both engines and compares all outputs with
 * the NN_TOL bound of nn_test_util.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn_builder.h"
#include "nn_test_util.h"
#include "tsc_log.h"
#include "tsc_nn.h"
#include "tsc_test.h"

static nb_model *B;
static unsigned seed = 1;
/* Post-ops the next compare() expects the oneDNN plan to have fused (checks
 * that the optimisation under test really happened); reset after use. */
static int expect_fused = -1;
static int n_checks;

static const char *fresh(const char *prefix)
{
    static char pool[1024][48];
    static int n;
    char *s = pool[n % 1024];
    snprintf(s, 48, "%s_%d", prefix, n++);
    return s;
}

static void begin(int64_t opset)
{
    nb_free(B);
    B = nb_new(opset);
}

static const char *input(int rank, const int64_t *dims)
{
    const char *x = fresh("x");
    nb_input(B, x, rank, dims);
    return x;
}

static const char *weight(int rank, const int64_t *dims, float scale)
{
    const char *w = fresh("w");
    nb_init_rand(B, w, rank, dims, scale, seed++);
    return w;
}

static const char *ints(int n, const int64_t *v)
{
    const char *c = fresh("c");
    int64_t d = n;
    nb_init_i64(B, c, 1, &d, v);
    return c;
}

static const char *scalar(float v)
{
    const char *c = fresh("s");
    nb_init_f32(B, c, 0, NULL, &v);
    return c;
}

/* node(op, &last_node, in0, in1, ...) with a NULL-terminated input list. */
static Onnx__NodeProto *last;
static const char *node(const char *op, const char *a, const char *b, const char *c)
{
    const char *out = fresh(op);
    const char *in[4] = {a, b, c, NULL};
    if (!b) in[1] = NULL;
    else if (!c) in[2] = NULL;
    const char *o[2] = {out, NULL};
    last = nb_node(B, op, in, o);
    return out;
}

static const char *conv(const char *x, int64_t C, int64_t M, int nsp, int64_t k, int64_t group,
                        int bias)
{
    int64_t wd[5] = {M, C / group, k, k, k};
    const char *w = weight(2 + nsp, wd, 1.0f / sqrtf((float)(C / group * k * k)));
    const char *b = NULL;
    if (bias) {
        int64_t bd = M;
        b = weight(1, &bd, 0.5f);
    }
    const char *y = node("Conv", x, w, b);
    if (group > 1) nb_attr_i(B, last, "group", group);
    return y;
}

static void ints_attr(const char *name, int n, int64_t a0, int64_t a1, int64_t a2, int64_t a3);

/* 2-D convolution keeping the spatial size (odd k). */
static const char *conv_same(const char *x, int64_t C, int64_t M, int64_t k, int bias)
{
    const char *y = conv(x, C, M, 2, k, 1, bias);
    ints_attr("pads", 4, k / 2, k / 2, k / 2, k / 2);
    return y;
}

static void ints_attr(const char *name, int n, int64_t a0, int64_t a1, int64_t a2, int64_t a3)
{
    int64_t v[4] = {a0, a1, a2, a3};
    nb_attr_ints(B, last, name, n, v);
}

/* Builds, loads into both engines, runs on random inputs and compares. */
static void compare(const char *what)
{
    size_t len;
    uint8_t *bytes = nb_pack(B, &len);
    tsc_nn_model *fast = nn_load_mem(bytes, len, TSC_NN_ENGINE_ONEDNN, 2);
    tsc_nn_model *ref = nn_load_mem(bytes, len, TSC_NN_ENGINE_REFERENCE, 1);
    size_t ni = tsc_nn_model_n_inputs(fast);
    float **ins = calloc(ni, sizeof *ins);
    for (size_t i = 0; i < ni; i++) {
        size_t n = tsc_nn_model_input_size(fast, i);
        ins[i] = malloc(n * sizeof(float));
        nb_fill_random(ins[i], n, 1000 + seed++);
        for (size_t k = 0; k < n; k++) ins[i][k] *= 2.0f;
    }
    if (expect_fused >= 0) {
        int fused = -1;
        const char *p = strstr(tsc_nn_model_get_summary(fast), "fused post-ops");
        while (p && p > tsc_nn_model_get_summary(fast) && p[-1] == ' ') p--;
        while (p && p > tsc_nn_model_get_summary(fast) && p[-1] >= '0' && p[-1] <= '9') p--;
        if (p) fused = atoi(p);
        if (fused != expect_fused)
            fprintf(stderr, "%s: %d fused post-ops, expected %d (%s)\n", what, fused, expect_fused,
                    tsc_nn_model_get_summary(fast));
        CHECK(fused == expect_fused);
        expect_fused = -1;
    }
    float **a = nn_run_alloc(fast, ins), **b = nn_run_alloc(ref, ins);
    for (size_t o = 0; o < tsc_nn_model_n_outputs(fast); o++) {
        size_t n = tsc_nn_model_output_size(fast, o), worst;
        REQUIRE(n == tsc_nn_model_output_size(ref, o));
        double e = nn_rel_err(a[o], b[o], n, &worst);
        int bad = nn_count_nonfinite(a[o], n);
        printf("%-48s out %zu: %6zu values, max rel err %.2e\n", what, o, n, e);
        if (!(e <= NN_TOL) || bad)
            fprintf(stderr, "%s: output %zu err %.3g at %zu (oneDNN %g, reference %g), %d non-finite\n",
                    what, o, e, worst, a[o][worst], b[o][worst], bad);
        CHECK(e <= NN_TOL);
        CHECK(bad == 0);
    }
    nn_free_outputs(fast, a);
    nn_free_outputs(ref, b);
    for (size_t i = 0; i < ni; i++) free(ins[i]);
    free(ins);
    tsc_nn_model_free(fast);
    tsc_nn_model_free(ref);
    free(bytes);
    n_checks++;
}

static const int64_t D4_3[4] = {1, 3, 19, 17}, D4_16[4] = {1, 16, 14, 15};

TSC_TEST(nn_op_conv_matches_reference)
{
    struct {
        int64_t C, M, k, s, group, dil;
        int64_t pb0, pb1, pe0, pe1;
        const char *auto_pad;
    } cfg[] = {
        {3, 16, 3, 1, 1, 1, 1, 1, 1, 1, NULL},    {16, 32, 3, 2, 1, 1, 0, 1, 1, 0, NULL},
        {16, 16, 3, 1, 1, 2, 2, 2, 2, 2, NULL},   {16, 16, 3, 1, 16, 1, 1, 1, 1, 1, NULL},
        {16, 32, 5, 2, 4, 1, 2, 2, 2, 2, NULL},   {16, 8, 1, 1, 1, 1, 0, 0, 0, 0, NULL},
        {16, 16, 3, 2, 1, 1, 0, 0, 0, 0, "SAME_UPPER"}, {16, 16, 4, 2, 1, 1, 0, 0, 0, 0, "SAME_LOWER"},
        {3, 8, 3, 1, 1, 1, 0, 0, 0, 0, "VALID"},  {16, 32, 3, 1, 16, 1, 1, 1, 1, 1, NULL},
        {3, 5, 7, 2, 1, 1, 3, 3, 3, 3, NULL},
    };
    for (size_t i = 0; i < sizeof cfg / sizeof cfg[0]; i++) {
        begin(13);
        const char *x = input(4, cfg[i].C == 3 ? D4_3 : D4_16);
        const char *y = conv(x, cfg[i].C, cfg[i].M, 2, cfg[i].k, cfg[i].group, (int)(i % 3 != 1));
        ints_attr("strides", 2, cfg[i].s, cfg[i].s, 0, 0);
        ints_attr("dilations", 2, cfg[i].dil, cfg[i].dil, 0, 0);
        if (cfg[i].auto_pad)
            nb_attr_s(B, last, "auto_pad", cfg[i].auto_pad);
        else
            ints_attr("pads", 4, cfg[i].pb0, cfg[i].pb1, cfg[i].pe0, cfg[i].pe1);
        nb_output(B, y);
        char what[64];
        snprintf(what, sizeof what, "conv config %zu", i);
        compare(what);
    }
    /* 1-D and 3-D convolutions. */
    begin(13);
    int64_t d3[3] = {1, 8, 40};
    const char *y = conv(input(3, d3), 8, 16, 1, 3, 1, 1);
    ints_attr("pads", 2, 1, 1, 0, 0);
    nb_output(B, y);
    compare("conv 1-D");
    begin(13);
    int64_t d5[5] = {1, 4, 6, 7, 8};
    y = conv(input(5, d5), 4, 16, 3, 3, 1, 1);
    nb_output(B, y);
    compare("conv 3-D");
}

static const char *act_node(const char *x, const char *kind)
{
    if (!strcmp(kind, "Clip")) {
        const char *y = node("Clip", x, scalar(-0.3f), scalar(0.6f));
        return y;
    }
    if (!strcmp(kind, "HardSwishPattern")) {
        const char *h = node("HardSigmoid", x, NULL, NULL);
        nb_attr_f(B, last, "alpha", 1.0f / 6.0f);
        return node("Mul", x, h, NULL);
    }
    const char *y = node(kind, x, NULL, NULL);
    if (!strcmp(kind, "LeakyRelu")) nb_attr_f(B, last, "alpha", 0.13f);
    if (!strcmp(kind, "Elu")) nb_attr_f(B, last, "alpha", 0.8f);
    if (!strcmp(kind, "HardSigmoid")) nb_attr_f(B, last, "alpha", 0.25f), nb_attr_f(B, last, "beta", 0.4f);
    return y;
}

static const char *const acts[] = {"Relu", "LeakyRelu", "Clip", "Sigmoid", "HardSigmoid",
                                   "HardSwish", "HardSwishPattern", "Tanh", "Elu", "Abs"};

TSC_TEST(nn_op_conv_fused_activations_match_reference)
{
    for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++) {
        begin(14);
        const char *y = act_node(conv_same(input(4, D4_16), 16, 16, 3, 1), acts[i]);
        nb_output(B, y);
        char what[64];
        snprintf(what, sizeof what, "conv + %s", acts[i]);
        expect_fused = 1;
        compare(what);
    }
    /* Transposed convolutions (both lowerings) with fused activations. */
    for (int k = 2; k <= 3; k++) {
        begin(13);
        int64_t wd[4] = {16, 8, k, k};
        const char *ct = node("ConvTranspose", input(4, D4_16), weight(4, wd, 0.3f), NULL);
        ints_attr("strides", 2, 2, 2, 0, 0);
        nb_output(B, act_node(act_node(ct, "LeakyRelu"), "Clip"));
        expect_fused = 2;
        compare(k == 2 ? "patchwise convtranspose + LeakyRelu + Clip" : "convtranspose + LeakyRelu + Clip");
    }
    /* Chains, and an activation that must not fuse (the conv output is reused). */
    begin(13);
    const char *c = conv(input(4, D4_16), 16, 16, 2, 3, 1, 1);
    const char *y = act_node(act_node(c, "Relu"), "Clip");
    nb_output(B, y);
    nb_output(B, act_node(c, "Sigmoid"));
    compare("conv + Relu + Clip, shared output");
}

TSC_TEST(nn_op_conv_residual_sum_matches_reference)
{
    /* relu(conv_b(relu(conv_a(x))) + x') with x' computed earlier: the sum post-op. */
    begin(13);
    const char *x = input(4, D4_16);
    const char *skip = node("Relu", x, NULL, NULL);
    const char *a = node("Relu", conv_same(skip, 16, 16, 3, 1), NULL, NULL);
    const char *b = conv_same(a, 16, 16, 3, 0);
    const char *y = node("Relu", node("Add", b, skip, NULL), NULL, NULL);
    nb_output(B, y);
    expect_fused = 3; /* relu; sum + relu */
    compare("conv + residual Add + Relu");
    /* The residual on the graph input itself (must not be overwritten) and
     * operand order Add(skip, conv). */
    begin(13);
    x = input(4, D4_16);
    b = conv(x, 16, 16, 2, 1, 1, 1);
    nb_output(B, node("Add", x, b, NULL));
    nb_output(B, node("Sigmoid", x, NULL, NULL));
    compare("Add(input, conv)");
    /* A residual that is read again later cannot be overwritten. */
    begin(13);
    x = input(4, D4_16);
    skip = conv(x, 16, 16, 2, 1, 1, 1);
    b = conv(skip, 16, 16, 2, 1, 1, 1);
    y = node("Add", b, skip, NULL);
    nb_output(B, node("Mul", y, skip, NULL));
    expect_fused = 0;
    compare("conv + Add with a live residual");
    /* The residual is a view (Reshape) of a value that is read again. */
    begin(13);
    x = input(4, D4_16);
    skip = conv(x, 16, 16, 2, 1, 1, 1);
    int64_t same[4] = {1, 16, 14, 15};
    const char *view = node("Reshape", skip, ints(4, same), NULL);
    b = conv(x, 16, 16, 2, 1, 1, 1);
    y = node("Add", b, view, NULL);
    nb_output(B, node("Mul", y, skip, NULL));
    expect_fused = 0;
    compare("conv + Add with a view of a live residual");
    /* The residual was read earlier by another node: still fusable. */
    begin(13);
    x = input(4, D4_16);
    skip = node("Relu", x, NULL, NULL);
    b = conv_same(conv_same(skip, 16, 16, 3, 1), 16, 16, 3, 1);
    nb_output(B, node("Relu", node("Add", skip, b, NULL), NULL, NULL));
    expect_fused = 2; /* sum + relu */
    compare("conv + Add, residual read earlier");
    /* ... and one that is read again later through a view. */
    begin(13);
    x = input(4, D4_16);
    skip = node("Relu", x, NULL, NULL);
    view = node("Reshape", skip, ints(4, same), NULL);
    b = conv_same(skip, 16, 16, 3, 1);
    y = node("Add", b, skip, NULL);
    nb_output(B, node("Sub", y, view, NULL));
    expect_fused = 0;
    compare("conv + Add, residual viewed later");
}

TSC_TEST(nn_op_convtranspose_matches_reference)
{
    struct {
        int64_t C, M, k, s, p, op, group, dil;
    } cfg[] = {{16, 8, 2, 2, 0, 0, 1, 1}, {16, 16, 3, 2, 1, 1, 1, 1}, {8, 4, 4, 2, 1, 0, 1, 1},
               {16, 8, 3, 1, 1, 0, 2, 1}, {8, 8, 3, 1, 2, 0, 1, 2},  {3, 16, 3, 3, 0, 2, 1, 1},
               /* kernel == stride, no padding: lowered as 1x1 conv + depth-to-space */
               {12, 24, 2, 2, 0, 0, 1, 1}, {5, 3, 3, 3, 0, 0, 1, 1}};
    for (size_t i = 0; i < sizeof cfg / sizeof cfg[0]; i++) {
        begin(13);
        int64_t xd[4] = {1, cfg[i].C, 9, 11};
        const char *x = input(4, xd);
        int64_t wd[4] = {cfg[i].C, cfg[i].M / cfg[i].group, cfg[i].k, cfg[i].k};
        int64_t bd = cfg[i].M;
        const char *y = node("ConvTranspose", x, weight(4, wd, 0.3f), i % 2 ? weight(1, &bd, 0.5f) : NULL);
        ints_attr("strides", 2, cfg[i].s, cfg[i].s, 0, 0);
        ints_attr("pads", 4, cfg[i].p, cfg[i].p, cfg[i].p + cfg[i].op, cfg[i].p + cfg[i].op);
        ints_attr("output_padding", 2, cfg[i].op, cfg[i].op, 0, 0);
        ints_attr("dilations", 2, cfg[i].dil, cfg[i].dil, 0, 0);
        if (cfg[i].group > 1) nb_attr_i(B, last, "group", cfg[i].group);
        nb_output(B, y);
        char what[64];
        snprintf(what, sizeof what, "convtranspose config %zu", i);
        compare(what);
    }
}

static const char *bn(const char *x, int64_t C)
{
    float *p = malloc((size_t)C * 4 * sizeof *p);
    nb_fill_random(p, (size_t)C * 4, seed++);
    const char *names[4];
    for (int k = 0; k < 4; k++) {
        for (int64_t c = 0; c < C; c++) {
            float v = p[k * C + c];
            if (k == 0) v = 0.5f + fabsf(v);     /* scale */
            if (k == 3) v = 0.2f + fabsf(v);     /* variance */
            p[k * C + c] = v;
        }
        names[k] = fresh("bn");
        nb_init_f32(B, names[k], 1, &C, p + k * C);
    }
    free(p);
    const char *in[6] = {x, names[0], names[1], names[2], names[3], NULL};
    const char *y = fresh("BatchNormalization");
    const char *o[2] = {y, NULL};
    last = nb_node(B, "BatchNormalization", in, o);
    nb_attr_f(B, last, "epsilon", 1e-3f);
    return y;
}

TSC_TEST(nn_op_batchnorm_matches_reference)
{
    begin(13);
    const char *x = input(4, D4_16);
    nb_output(B, bn(x, 16));                                   /* standalone, plain input */
    nb_output(B, node("Relu", bn(conv(x, 16, 16, 2, 3, 1, 0), 16), NULL, NULL)); /* folded */
    int64_t wd[4] = {16, 4, 2, 2};
    const char *ct = node("ConvTranspose", x, weight(4, wd, 0.3f), NULL);
    ints_attr("strides", 2, 2, 2, 0, 0);
    nb_attr_i(B, last, "group", 2);
    nb_output(B, bn(ct, 8));                                    /* folded into grouped deconv */
    compare("batchnorm: standalone, after conv, after deconv");
    begin(13);
    const char *c = conv(input(4, D4_16), 16, 16, 2, 3, 1, 1);
    nb_output(B, bn(c, 16));
    nb_output(B, c); /* conv output still needed: no folding */
    compare("batchnorm after a shared conv");
}

TSC_TEST(nn_op_activations_match_reference)
{
    for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++) {
        begin(14);
        const char *x = input(4, D4_16);
        nb_output(B, act_node(x, acts[i]));                                   /* plain */
        const char *p = node("MaxPool", conv(x, 16, 16, 2, 1, 1, 1), NULL, NULL);
        ints_attr("kernel_shape", 2, 1, 1, 0, 0);
        nb_output(B, act_node(p, acts[i]));                                   /* blocked */
        char what[64];
        snprintf(what, sizeof what, "standalone %s", acts[i]);
        compare(what);
    }
}

TSC_TEST(nn_op_binary_broadcast_matches_reference)
{
    static const char *const ops[] = {"Add", "Sub", "Mul", "Div"};
    for (int i = 0; i < 4; i++) {
        begin(13);
        const char *x = input(4, D4_16);
        const char *c = conv_same(x, 16, 16, 3, 1); /* blocked */
        int64_t pd[4] = {1, 16, 1, 1}, cd[3] = {16, 1, 1};
        const char *se = node("Sigmoid", node("GlobalAveragePool", c, NULL, NULL), NULL, NULL);
        nb_output(B, node(ops[i], c, se, NULL));                    /* SE-style [1,C,1,1] */
        nb_output(B, node(ops[i], x, node("Abs", weight(4, pd, 1.f), NULL, NULL), NULL));
        nb_output(B, node(ops[i], c, weight(3, cd, 1.f), NULL));   /* lower rank */
        nb_output(B, node(ops[i], c, scalar(1.7f), NULL));         /* scalar */
        nb_output(B, node(ops[i], c, x, NULL));                    /* blocked with plain */
        nb_output(B, node(ops[i], c, node("Sigmoid", c, NULL, NULL), NULL));
        char what[64];
        snprintf(what, sizeof what, "%s with broadcasting", ops[i]);
        compare(what);
    }
    begin(13);
    const char *x = input(4, D4_16);
    const char *c = conv(x, 16, 16, 2, 3, 1, 1);
    const char *se = node("GlobalAveragePool", c, NULL, NULL);
    nb_output(B, node("Mul", se, c, NULL)); /* broadcast operand first */
    nb_output(B, node("Add", scalar(0.5f), c, NULL));
    compare("broadcast first operand (commutative)");
}

TSC_TEST(nn_op_concat_matches_reference)
{
    begin(13);
    const char *x = input(4, D4_16);
    const char *a = conv_same(x, 16, 16, 3, 1), *b = conv_same(x, 16, 32, 3, 1);
    const char *c = conv_same(x, 16, 5, 3, 1);
    const char *in4[5] = {a, b, x, a, NULL};
    const char *y = fresh("cat"), *o[2] = {y, NULL};
    last = nb_node(B, "Concat", in4, o);
    nb_attr_i(B, last, "axis", 1);
    nb_output(B, y);
    nb_output(B, node("Concat", c, x, NULL));
    nb_attr_i(B, last, "axis", 1);
    nb_output(B, node("Concat", a, b, NULL));
    nb_attr_i(B, last, "axis", -3);
    nb_output(B, node("Concat", a, x, NULL));
    nb_attr_i(B, last, "axis", 2);
    compare("concat: blocked, mixed, odd channels, spatial axis");
}

static int saw_our_concat;

static void watch_concat(tsc_log_level level, const char *domain, const char *message, void *user)
{
    (void)level, (void)domain, (void)user;
    if (strstr(message, "concat -> tsc channels-last")) saw_our_concat++;
}

/* Where the convolutions write channels-last (the AVX-512 brgconv kernels
 * do), a channel concat is the engine's own copy loop: equal to the
 * reference in fp32 and within bf16's bound of fp32 in bf16 (2-byte rows).
 * Skips where this CPU's convolutions pick another layout (then oneDNN's
 * concat runs, as in nn_op_concat_matches_reference). */
TSC_TEST(nn_op_channels_last_concat_is_our_copy_and_matches_reference)
{
    begin(13);
    static const int64_t D4_CL[4] = {2, 16, 40, 36};
    const char *x = input(4, D4_CL);
    const char *p = conv_same(x, 16, 16, 3, 1), *q = conv_same(x, 16, 32, 3, 1);
    const char *r = conv_same(x, 16, 48, 3, 1);
    const char *in3[4] = {q, p, r, NULL};
    const char *z = fresh("cat"), *oz[2] = {z, NULL};
    last = nb_node(B, "Concat", in3, oz);
    nb_attr_i(B, last, "axis", 1);
    nb_output(B, conv_same(z, 96, 16, 3, 1));
    nb_output(B, z);
    saw_our_concat = 0;
    tsc_log_set(watch_concat, NULL);
    compare("concat: channels-last, batch 2, three inputs");
    tsc_log_set(NULL, NULL);
    if (!saw_our_concat)
        tsc_test_skip("this CPU's convolutions do not write channels-last (oneDNN's concat ran)");
    if (!tsc_nn_engine_available(TSC_NN_ENGINE_ONEDNN_BF16)) return;
    size_t len;
    uint8_t *bytes = nb_pack(B, &len);
    saw_our_concat = 0;
    tsc_log_set(watch_concat, NULL);
    tsc_nn_model *bf = nn_load_mem(bytes, len, TSC_NN_ENGINE_ONEDNN_BF16, 2);
    tsc_log_set(NULL, NULL);
    CHECK(saw_our_concat == 1);
    tsc_nn_model *f32 = nn_load_mem(bytes, len, TSC_NN_ENGINE_ONEDNN, 2);
    float *in = malloc(tsc_nn_model_input_size(f32, 0) * sizeof(float));
    REQUIRE(in);
    nb_fill_random(in, tsc_nn_model_input_size(f32, 0), 77);
    float **a = nn_run_alloc(bf, &in), **b = nn_run_alloc(f32, &in);
    for (size_t o = 0; o < 2; o++) {
        size_t at;
        double e = nn_range_err(a[o], b[o], tsc_nn_model_output_size(f32, o), &at);
        printf("concat in bf16: out %zu range err %.2e\n", o, e);
        CHECK(e <= 1.5e-2); /* the bf16 bound of the single-operator fixtures */
    }
    nn_free_outputs(bf, a);
    nn_free_outputs(f32, b);
    free(in);
    tsc_nn_model_free(bf);
    tsc_nn_model_free(f32);
    free(bytes);
}

TSC_TEST(nn_op_pooling_matches_reference)
{
    struct {
        const char *op;
        int64_t k, s, pb, pe, dil, ceil, include;
    } cfg[] = {{"MaxPool", 3, 2, 1, 1, 1, 0, 0},     {"MaxPool", 2, 2, 0, 0, 1, 1, 0},
               {"MaxPool", 3, 1, 2, 2, 2, 0, 0},     {"MaxPool", 3, 2, 0, 1, 1, 1, 0},
               {"AveragePool", 3, 2, 1, 1, 1, 0, 1}, {"AveragePool", 3, 2, 1, 1, 1, 0, 0},
               {"AveragePool", 2, 2, 0, 0, 1, 1, 0}, {"AveragePool", 3, 3, 1, 0, 1, 0, 1}};
    for (size_t i = 0; i < sizeof cfg / sizeof cfg[0]; i++)
        for (int blocked = 0; blocked < 2; blocked++) {
            begin(13);
            const char *x = input(4, D4_16);
            if (blocked) x = conv(x, 16, 16, 2, 1, 1, 1);
            const char *y = node(cfg[i].op, x, NULL, NULL);
            ints_attr("kernel_shape", 2, cfg[i].k, cfg[i].k, 0, 0);
            ints_attr("strides", 2, cfg[i].s, cfg[i].s, 0, 0);
            ints_attr("pads", 4, cfg[i].pb, cfg[i].pb, cfg[i].pe, cfg[i].pe);
            if (cfg[i].dil > 1) ints_attr("dilations", 2, cfg[i].dil, cfg[i].dil, 0, 0);
            if (cfg[i].ceil) nb_attr_i(B, last, "ceil_mode", 1);
            if (cfg[i].include) nb_attr_i(B, last, "count_include_pad", 1);
            nb_output(B, y);
            char what[64];
            snprintf(what, sizeof what, "%s config %zu%s", cfg[i].op, i, blocked ? " blocked" : "");
            compare(what);
        }
    begin(13);
    int64_t d3[3] = {1, 8, 31}, d5[5] = {1, 4, 7, 8, 9};
    nb_output(B, node("MaxPool", input(3, d3), NULL, NULL));
    ints_attr("kernel_shape", 1, 3, 0, 0, 0);
    ints_attr("strides", 1, 2, 0, 0, 0);
    nb_output(B, node("AveragePool", input(5, d5), NULL, NULL));
    ints_attr("kernel_shape", 3, 2, 2, 2, 0);
    ints_attr("strides", 3, 2, 2, 2, 0);
    compare("pooling 1-D and 3-D");
}

TSC_TEST(nn_op_global_pools_and_reducemean_match_reference)
{
    begin(13);
    const char *x = input(4, D4_16);
    const char *c = conv(x, 16, 24, 2, 3, 1, 1);
    nb_output(B, node("GlobalAveragePool", c, NULL, NULL));
    nb_output(B, node("GlobalMaxPool", c, NULL, NULL));
    nb_output(B, node("GlobalAveragePool", x, NULL, NULL));
    nb_output(B, node("ReduceMean", c, NULL, NULL));
    ints_attr("axes", 2, 2, 3, 0, 0);
    nb_output(B, node("ReduceMean", c, NULL, NULL));
    ints_attr("axes", 2, -1, -2, 0, 0);
    nb_attr_i(B, last, "keepdims", 0);
    nb_output(B, node("ReduceMean", x, NULL, NULL));
    ints_attr("axes", 1, 1, 0, 0, 0);
    compare("global pools and ReduceMean");
}

TSC_TEST(nn_op_resize_matches_reference)
{
    static const char *const coords[] = {"half_pixel", "pytorch_half_pixel", "align_corners",
                                         "asymmetric"};
    static const char *const nearest[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
    static const int64_t sizes[][4] = {{1, 16, 28, 30}, {1, 16, 37, 11}, {1, 16, 7, 8}, {1, 16, 1, 45}};
    for (int m = 0; m < 2; m++)
        for (int ci = 0; ci < 4; ci++) {
            begin(13);
            const char *x = input(4, D4_16);
            const char *c = conv(x, 16, 16, 2, 1, 1, 1);
            for (int si = 0; si < 4; si++)
                for (int blocked = 0; blocked < 2; blocked++) {
                    const char *src = blocked ? c : x;
                    const char *in[5] = {src, "", "", ints(4, sizes[si]), NULL};
                    const char *y = fresh("rs"), *o[2] = {y, NULL};
                    last = nb_node(B, "Resize", in, o);
                    nb_attr_s(B, last, "mode", m ? "linear" : "nearest");
                    nb_attr_s(B, last, "coordinate_transformation_mode", coords[ci]);
                    if (!m) nb_attr_s(B, last, "nearest_mode", nearest[(ci + si) % 4]);
                    nb_output(B, y);
                }
            /* Scales instead of sizes. */
            float sc[4] = {1, 1, 2.0f, 1.5f};
            int64_t four = 4;
            const char *sn = fresh("scales");
            nb_init_f32(B, sn, 1, &four, sc);
            const char *in[4] = {c, "", sn, NULL};
            const char *y = fresh("rs"), *o[2] = {y, NULL};
            last = nb_node(B, "Resize", in, o);
            nb_attr_s(B, last, "mode", m ? "linear" : "nearest");
            nb_attr_s(B, last, "coordinate_transformation_mode", coords[ci]);
            nb_output(B, y);
            char what[64];
            snprintf(what, sizeof what, "resize %s %s", m ? "linear" : "nearest", coords[ci]);
            compare(what);
        }
    /* 3-D (trilinear) and opset-9 Upsample. */
    begin(13);
    int64_t d5[5] = {1, 4, 5, 6, 7}, s5[5] = {1, 4, 9, 12, 10};
    const char *in[5] = {input(5, d5), "", "", ints(5, s5), NULL};
    const char *y = fresh("rs"), *o[2] = {y, NULL};
    last = nb_node(B, "Resize", in, o);
    nb_attr_s(B, last, "mode", "linear");
    nb_output(B, y);
    compare("resize 3-D linear");
    begin(9);
    float sc[4] = {1, 1, 2, 2};
    int64_t four = 4;
    const char *sn = fresh("scales");
    nb_init_f32(B, sn, 1, &four, sc);
    const char *x = input(4, D4_16);
    nb_output(B, node("Upsample", conv(x, 16, 16, 2, 1, 1, 1), sn, NULL));
    nb_attr_s(B, last, "mode", "nearest");
    nb_output(B, node("Upsample", x, sn, NULL));
    nb_attr_s(B, last, "mode", "linear");
    compare("upsample opset 9");
}

TSC_TEST(nn_op_gemm_and_matmul_match_reference)
{
    for (int variant = 0; variant < 4; variant++) {
        begin(13);
        const char *x = input(4, D4_16);
        const char *f = node("Flatten", node("GlobalAveragePool", conv(x, 16, 32, 2, 3, 1, 1), NULL, NULL), NULL, NULL);
        int64_t wt[2] = {10, 32}, w[2] = {32, 10}, b1 = 10, b2[2] = {1, 10};
        const char *bias = variant == 0 ? weight(1, &b1, 1.f) : variant == 1 ? weight(2, b2, 1.f)
                           : variant == 2 ? scalar(0.25f) : NULL;
        const char *y = node("Gemm", f, weight(2, variant % 2 ? w : wt, 0.3f), bias);
        nb_attr_i(B, last, "transB", variant % 2 ? 0 : 1);
        if (variant >= 2) nb_attr_f(B, last, "alpha", 0.7f), nb_attr_f(B, last, "beta", 1.3f);
        nb_output(B, node("Relu", y, NULL, NULL));
        char what[64];
        snprintf(what, sizeof what, "gemm variant %d", variant);
        compare(what);
    }
    begin(13);
    int64_t a2[2] = {7, 12}, k2[2] = {12, 9}, a4[4] = {2, 3, 5, 12}, r3[3] = {1, 16, 210};
    nb_output(B, node("MatMul", input(2, a2), weight(2, k2, 0.3f), NULL));
    nb_output(B, node("MatMul", input(4, a4), weight(2, k2, 0.3f), NULL));
    /* Both operands computed: [1,16,210] x [1,210,16] from a convolution. */
    const char *c = node("Reshape", conv(input(4, D4_16), 16, 16, 2, 1, 1, 1), ints(3, r3), NULL);
    int64_t perm[3] = {0, 2, 1};
    const char *t = node("Transpose", c, NULL, NULL);
    nb_attr_ints(B, last, "perm", 3, perm);
    nb_output(B, node("Sigmoid", node("MatMul", c, t, NULL), NULL, NULL));
    compare("matmul: const, batched, both computed");
}

TSC_TEST(nn_op_softmax_matches_reference)
{
    begin(13);
    const char *x = input(4, D4_16);
    const char *c = conv(x, 16, 10, 2, 3, 1, 1);
    nb_output(B, node("Softmax", c, NULL, NULL));
    nb_output(B, node("Softmax", c, NULL, NULL));
    nb_attr_i(B, last, "axis", 1);
    int64_t d2[2] = {3, 17};
    nb_output(B, node("Softmax", input(2, d2), NULL, NULL));
    compare("softmax last axis, channel axis, 2-D");
    begin(11);
    nb_output(B, node("Softmax", input(2, d2), NULL, NULL));
    nb_attr_i(B, last, "axis", -1);
    compare("softmax opset 11");
}

TSC_TEST(nn_op_layout_ops_match_reference)
{
    begin(13);
    const char *x = input(4, D4_16);
    const char *c = conv(x, 16, 16, 2, 3, 1, 1);
    int64_t perm[4] = {0, 2, 3, 1}, shp[3] = {1, 16, -1}, ax[1] = {0};
    nb_output(B, node("Transpose", c, NULL, NULL));
    nb_attr_ints(B, last, "perm", 4, perm);
    nb_output(B, node("Reshape", c, ints(3, shp), NULL));
    nb_output(B, node("Flatten", c, NULL, NULL));
    nb_attr_i(B, last, "axis", 2);
    nb_output(B, node("Squeeze", node("Unsqueeze", c, ints(1, ax), NULL), ints(1, ax), NULL));
    int64_t st0[2] = {0, 2}, en0[2] = {1, 100}, st[2] = {2, 1}, en[2] = {11, 100}, axes[2] = {2, 1};
    nb_output(B, node("Relu", node("Slice", c, ints(2, st0), ints(2, en0)), NULL, NULL));
    {
        const char *in[5] = {c, ints(2, st), ints(2, en), ints(2, axes), NULL};
        const char *y = fresh("slice"), *o[2] = {y, NULL};
        nb_node(B, "Slice", in, o);
        nb_output(B, y);
    }
    int64_t pads[8] = {0, 1, 2, 0, 0, 0, 1, 3};
    nb_output(B, node("Pad", c, ints(8, pads), scalar(0.25f)));
    nb_output(B, node("Identity", x, NULL, NULL));
    compare("transpose, reshape, flatten, (un)squeeze, slice, pad, identity");
}

TSC_TEST_MAIN(
    TSC_CASE(nn_op_conv_matches_reference), TSC_CASE(nn_op_conv_fused_activations_match_reference),
    TSC_CASE(nn_op_conv_residual_sum_matches_reference),
    TSC_CASE(nn_op_convtranspose_matches_reference), TSC_CASE(nn_op_batchnorm_matches_reference),
    TSC_CASE(nn_op_activations_match_reference), TSC_CASE(nn_op_binary_broadcast_matches_reference),
    TSC_CASE(nn_op_concat_matches_reference),
    TSC_CASE(nn_op_channels_last_concat_is_our_copy_and_matches_reference),
    TSC_CASE(nn_op_pooling_matches_reference),
    TSC_CASE(nn_op_global_pools_and_reducemean_match_reference),
    TSC_CASE(nn_op_resize_matches_reference), TSC_CASE(nn_op_gemm_and_matmul_match_reference),
    TSC_CASE(nn_op_softmax_matches_reference), TSC_CASE(nn_op_layout_ops_match_reference))
