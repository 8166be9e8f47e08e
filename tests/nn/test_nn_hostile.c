/* SPDX-License-Identifier: BSD-3-Clause */
/* Corrupt and hostile model files: every one must give an error status with
 * a message that names the problem, never a crash or an unbounded
 * allocation.  (These cases also run under ASan+UBSan.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn_builder.h"
#include "nn_test_util.h"
#include "tsc_nn.h"
#include "tsc_test.h"

/* Loads bytes; returns the status and leaves the message in *err. */
static tsc_status try_load(const void *data, size_t len, const tsc_nn_params *p, tsc_error *err)
{
    tsc_error_clear(err);
    tsc_nn_model *m = (tsc_nn_model *)&m; /* must be reset to NULL on error */
    tsc_status st = tsc_nn_model_load_from_memory(data, len, "hostile.onnx", p, &m, err);
    if (st == TSC_OK) {
        CHECK(m != NULL);
        tsc_nn_model_free(m);
    } else {
        CHECK(m == NULL);
        CHECK(err->status == st);
        CHECK(strlen(err->message) > 10);
    }
    return st;
}

/* Expects `status` and every word of `words` ("|"-separated) in the message. */
static void expect(nb_model *b, tsc_status status, const char *words)
{
    size_t len;
    uint8_t *bytes = nb_pack(b, &len);
    tsc_error err;
    tsc_status st = try_load(bytes, len, NULL, &err);
    printf("%s: %s\n", tsc_status_name(st), err.message);
    CHECK_STATUS(st, status);
    char buf[256];
    snprintf(buf, sizeof buf, "%s", words);
    for (char *w = strtok(buf, "|"); w; w = strtok(NULL, "|"))
        if (!strstr(err.message, w)) {
            fprintf(stderr, "message lacks '%s'\n", w);
            tsc_test_failures++;
        }
    free(bytes);
    nb_free(b);
}

/* x[1,4,8,8] -> Conv(w[8,4,3,3]) -> y: a valid model to break. */
static nb_model *conv_model(Onnx__TensorProto **w_out, Onnx__NodeProto **n_out)
{
    nb_model *b = nb_new(13);
    int64_t xd[4] = {1, 4, 8, 8}, wd[4] = {8, 4, 3, 3};
    nb_input(b, "x", 4, xd);
    Onnx__TensorProto *w = nb_init_rand(b, "w", 4, wd, 0.1f, 1);
    const char *in[] = {"x", "w", NULL}, *out[] = {"y", NULL};
    Onnx__NodeProto *n = nb_node(b, "Conv", in, out);
    nb_output(b, "y");
    if (w_out) *w_out = w;
    if (n_out) *n_out = n;
    return b;
}

/* x (dims xd) -> op -> y; with `scales`, a Resize's scales as the
 * initializer "s", its third input.  *n_out gets the node. */
static nb_model *one_node_model(const char *op, const int64_t xd[4], const float *scales,
                                Onnx__NodeProto **n_out)
{
    nb_model *b = nb_new(13);
    nb_input(b, "x", 4, xd);
    const char *in[] = {"x", scales ? "" : NULL, "s", NULL}, *out[] = {"y", NULL};
    const int64_t four = 4;
    if (scales) nb_init_f32(b, "s", 1, &four, scales);
    Onnx__NodeProto *n = nb_node(b, op, in, out);
    nb_output(b, "y");
    if (n_out) *n_out = n;
    return b;
}

TSC_TEST(nn_valid_model_loads)
{
    expect(conv_model(NULL, NULL), TSC_OK, "");
}

TSC_TEST(nn_rejects_truncated_files)
{
    size_t len;
    uint8_t *bytes = nn_read_file(nn_fixture_path("unet_small", ".onnx"), &len);
    if (!bytes) tsc_test_skip("unet_small.onnx fixture missing");
    size_t cuts[] = {0, 1, 2, 7, 16, 100, 1000, len / 3, len / 2, len - 200, len - 10, len - 1};
    tsc_error err;
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        tsc_status st = try_load(bytes, cuts[i], NULL, &err);
        printf("cut at %zu: %s: %s\n", cuts[i], tsc_status_name(st), err.message);
        CHECK_STATUS(st, TSC_EFORMAT);
    }
    /* A sweep over many offsets: any error is fine, a crash is not. */
    for (size_t cut = 3; cut < len; cut += 331) CHECK(try_load(bytes, cut, NULL, &err) != TSC_OK);
    free(bytes);
}

TSC_TEST(nn_rejects_random_bytes)
{
    tsc_error err;
    for (unsigned i = 0; i < 64; i++) {
        size_t n = 1 + (i * 977u) % 4096;
        float *buf = malloc(n + 4);
        nb_fill_random(buf, (n + 3) / 4, i);
        CHECK(try_load(buf, n, NULL, &err) != TSC_OK);
        free(buf);
    }
    CHECK_STATUS(try_load("", 0, NULL, &err), TSC_EFORMAT);
}

TSC_TEST(nn_rejects_unsupported_data_types)
{
    Onnx__TensorProto *w;
    nb_model *b = conv_model(&w, NULL);
    w->data_type = 11; /* DOUBLE */
    expect(b, TSC_EUNSUPPORTED, "initializer 'w'|DOUBLE");

    b = conv_model(&w, NULL);
    w->data_type = 8; /* STRING */
    expect(b, TSC_EUNSUPPORTED, "'w'|STRING");

    b = nb_new(13);
    int64_t d[2] = {2, 3};
    Onnx__ValueInfoProto *vi = nb_input(b, "ids", 2, d);
    vi->type->tensor_type->elem_type = 7; /* INT64 input */
    const char *in[] = {"ids", NULL}, *out[] = {"y", NULL};
    nb_node(b, "Relu", in, out);
    nb_output(b, "y");
    expect(b, TSC_EUNSUPPORTED, "graph input 'ids'|INT64");

    /* An integer tensor where float weights belong. */
    b = nb_new(13);
    int64_t xd[4] = {1, 1, 4, 4}, wd[4] = {1, 1, 1, 1}, one = 1;
    nb_input(b, "x", 4, xd);
    nb_init_i64(b, "w", 4, wd, &one);
    const char *cin[] = {"x", "w", NULL}, *cout[] = {"y", NULL};
    nb_node(b, "Conv", cin, cout);
    nb_output(b, "y");
    expect(b, TSC_EUNSUPPORTED, "Conv|'w'|integer");
}

TSC_TEST(nn_rejects_absurd_dims_before_allocating)
{
    Onnx__TensorProto *w;
    nb_model *b = conv_model(&w, NULL);
    static int64_t huge[2] = {1000000, 1000000}; /* 1e12 elements, 4 TB */
    w->dims = huge;
    w->n_dims = 2;
    expect(b, TSC_ELIMIT, "initializer 'w'|absurd");

    b = conv_model(&w, NULL);
    static int64_t overflow[4] = {INT64_C(1) << 40, INT64_C(1) << 40, 1 << 20, 3};
    w->dims = overflow;
    expect(b, TSC_ELIMIT, "'w'");

    b = conv_model(&w, NULL);
    static int64_t negative[4] = {8, -4, 3, 3};
    w->dims = negative;
    expect(b, TSC_ELIMIT, "'w'");

    const int64_t big[4] = {1, 1000, 1000000, 1000000};
    expect(one_node_model("Relu", big, NULL, NULL), TSC_ELIMIT, "graph input 'x'|limit");

    /* A Resize whose scales blow the activation up. */
    const int64_t xd[4] = {1, 16, 64, 64};
    const float scales[4] = {1, 1, 100000, 100000};
    expect(one_node_model("Resize", xd, scales, NULL), TSC_ELIMIT, "Resize|'y'");
}

TSC_TEST(nn_rejects_cyclic_graph)
{
    nb_model *b = nb_new(13);
    int64_t d[2] = {2, 3};
    nb_input(b, "x", 2, d);
    const char *a_in[] = {"x", "b", NULL}, *a_out[] = {"a", NULL};
    const char *b_in[] = {"a", NULL}, *b_out[] = {"b", NULL};
    nb_node(b, "Add", a_in, a_out);
    nb_node(b, "Relu", b_in, b_out);
    nb_output(b, "b");
    expect(b, TSC_EFORMAT, "cycle");
}

TSC_TEST(nn_rejects_missing_initializer)
{
    nb_model *b = nb_new(13);
    int64_t xd[4] = {1, 4, 8, 8};
    nb_input(b, "x", 4, xd);
    const char *in[] = {"x", "conv1.weight", NULL}, *out[] = {"y", NULL};
    nb_node(b, "Conv", in, out);
    nb_output(b, "y");
    expect(b, TSC_EFORMAT, "Conv_0|Conv|'conv1.weight'|missing initializer");

    b = conv_model(NULL, NULL);
    nb_output(b, "nowhere");
    expect(b, TSC_EFORMAT, "graph output 'nowhere'");
}

TSC_TEST(nn_rejects_unknown_operator)
{
    nb_model *b = nb_new(13);
    int64_t d[2] = {2, 3};
    nb_input(b, "x", 2, d);
    const char *in[] = {"x", NULL}, *out[] = {"y", NULL};
    nb_node(b, "NonMaxSuppression", in, out);
    nb_output(b, "y");
    expect(b, TSC_EUNSUPPORTED, "NonMaxSuppression_0|operator 'NonMaxSuppression'");

    b = nb_new(13);
    nb_input(b, "x", 2, d);
    Onnx__NodeProto *n = nb_node(b, "Relu", in, out);
    n->domain = (char *)"com.microsoft";
    nb_output(b, "y");
    expect(b, TSC_EUNSUPPORTED, "Relu_0|com.microsoft");

    b = nb_new(7);
    nb_input(b, "x", 2, d);
    nb_node(b, "Relu", in, out);
    nb_output(b, "y");
    expect(b, TSC_EUNSUPPORTED, "opset 7");
}

TSC_TEST(nn_rejects_unsupported_attributes)
{
    Onnx__NodeProto *n;
    nb_model *b = conv_model(NULL, &n);
    nb_attr_i(b, n, "quantum_mode", 1);
    expect(b, TSC_EUNSUPPORTED, "Conv_0|Conv|'quantum_mode'");

    b = conv_model(NULL, &n);
    nb_attr_s(b, n, "auto_pad", "SAME_SIDEWAYS");
    expect(b, TSC_EUNSUPPORTED, "'auto_pad'");

    const int64_t xd[4] = {1, 4, 8, 8};
    const float sc[4] = {1, 1, 2, 2};
    b = one_node_model("Resize", xd, sc, &n);
    nb_attr_s(b, n, "mode", "cubic");
    expect(b, TSC_EUNSUPPORTED, "Resize_0|Resize|'mode'|nearest or linear");

    b = one_node_model("MaxPool", xd, NULL, &n);
    int64_t k[2] = {2, 2};
    nb_attr_ints(b, n, "kernel_shape", 2, k);
    nb_attr_i(b, n, "storage_order", 1);
    expect(b, TSC_EUNSUPPORTED, "MaxPool|'storage_order'");

    /* A weight attribute of the wrong type. */
    b = conv_model(NULL, &n);
    nb_attr_f(b, n, "group", 2.0f);
    expect(b, TSC_EUNSUPPORTED, "'group'|wrong type");
}

TSC_TEST(nn_rejects_mismatched_tensor_bytes)
{
    Onnx__TensorProto *w;
    nb_model *b = conv_model(&w, NULL);
    w->raw_data.len -= 4; /* one float short */
    expect(b, TSC_EFORMAT, "initializer 'w'|raw data|corrupt");

    b = conv_model(&w, NULL);
    w->has_raw_data = 0;
    static float some[5] = {1, 2, 3, 4, 5};
    w->float_data = some;
    w->n_float_data = 5;
    expect(b, TSC_EFORMAT, "'w'|5 values");

    b = conv_model(&w, NULL);
    w->has_data_location = 1;
    w->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    expect(b, TSC_EUNSUPPORTED, "'w'|external");
}

TSC_TEST(nn_rejects_inconsistent_shapes)
{
    Onnx__TensorProto *w;
    nb_model *b = conv_model(&w, NULL);
    w->dims[1] = 3; /* 3 input channels for a 4-channel input */
    w->raw_data.len = 8 * 3 * 3 * 3 * 4;
    expect(b, TSC_EFORMAT, "Conv_0|group");

    b = nb_new(13);
    int64_t a[2] = {2, 3}, c[2] = {4, 3};
    nb_input(b, "x", 2, a);
    nb_input(b, "z", 2, c);
    const char *in[] = {"x", "z", NULL}, *out[] = {"y", NULL};
    nb_node(b, "Add", in, out);
    nb_output(b, "y");
    expect(b, TSC_EFORMAT, "Add_0|broadcast");

    b = nb_new(13);
    nb_input(b, "x", 2, a);
    int64_t shp[2] = {5, -1}, two = 2;
    nb_init_i64(b, "shape", 1, &two, shp);
    const char *rin[] = {"x", "shape", NULL};
    nb_node(b, "Reshape", rin, out);
    nb_output(b, "y");
    expect(b, TSC_EFORMAT, "Reshape_0|reshape");
}

TSC_TEST(nn_rejects_dynamic_shapes_unless_batch_is_given)
{
    for (int axis = 0; axis < 2; axis++) {
        nb_model *b = nb_new(13);
        int64_t d[2] = {2, 3};
        Onnx__ValueInfoProto *vi = nb_input(b, "x", 2, d);
        Onnx__TensorShapeProto__Dimension *dim = vi->type->tensor_type->shape->dim[axis];
        dim->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
        dim->dim_param = (char *)"batch_size";
        const char *in[] = {"x", NULL}, *out[] = {"y", NULL};
        nb_node(b, "Relu", in, out);
        nb_output(b, "y");
        size_t len;
        uint8_t *bytes = nb_pack(b, &len);
        tsc_error err;
        CHECK_STATUS(try_load(bytes, len, NULL, &err), TSC_EUNSUPPORTED);
        printf("%s\n", err.message);
        CHECK(strstr(err.message, "dynamic") && strstr(err.message, "batch_size"));
        tsc_nn_params p = tsc_nn_default_params();
        p.batch = 3;
        CHECK_STATUS(try_load(bytes, len, &p, &err), axis == 0 ? TSC_OK : TSC_EUNSUPPORTED);
        free(bytes);
        nb_free(b);
    }
}

TSC_TEST(nn_enforces_size_limits)
{
    nb_model *b = conv_model(NULL, NULL);
    size_t len;
    uint8_t *bytes = nb_pack(b, &len);
    tsc_error err;
    tsc_nn_params p = tsc_nn_default_params();
    p.max_file_bytes = 100;
    CHECK_STATUS(try_load(bytes, len, &p, &err), TSC_ELIMIT);
    p = tsc_nn_default_params();
    p.max_weight_bytes = 1000; /* the weights need 1152 */
    CHECK_STATUS(try_load(bytes, len, &p, &err), TSC_ELIMIT);
    CHECK(strstr(err.message, "'w'") != NULL);
    p = tsc_nn_default_params();
    p.max_activation_bytes = 1024; /* the input alone needs 1024, the output 2048 */
    CHECK(try_load(bytes, len, &p, &err) == TSC_ELIMIT);
    free(bytes);
    nb_free(b);
}

/* Byte-flipped fixtures: loads must fail cleanly or give a model that runs. */
TSC_TEST(nn_survives_mutated_fixtures)
{
    static const char *const names[] = {"unet_small", "resnet_block", "mobilenet_block", "head",
                                        "resize", "misc"};
    tsc_nn_params p = tsc_nn_default_params();
    p.max_weight_bytes = 64u << 20;
    p.max_activation_bytes = 64u << 20;
    p.n_threads = 1;
    int loaded = 0, total = 0;
    for (size_t f = 0; f < sizeof names / sizeof names[0]; f++) {
        size_t len;
        uint8_t *orig = nn_read_file(nn_fixture_path(names[f], ".onnx"), &len);
        if (!orig) tsc_test_skip("fixture %s.onnx missing", names[f]);
        uint8_t *buf = malloc(len);
        for (unsigned m = 0; m < 40; m++) {
            memcpy(buf, orig, len);
            float r[8];
            nb_fill_random(r, 8, 7919u * (unsigned)f + m);
            int flips = 1 + (int)((r[0] + 1) * 2);
            for (int k = 0; k < flips; k++) {
                size_t at = (size_t)((r[1 + k] + 1) * 0.5 * (double)(len - 1));
                buf[at] ^= (uint8_t)(1u << (m % 8)) | (uint8_t)(k * 37);
            }
            tsc_error err;
            tsc_nn_model *model = NULL;
            total++;
            if (tsc_nn_model_load_from_memory(buf, len, names[f], &p, &model, &err) != TSC_OK)
                continue;
            loaded++;
            size_t ni = tsc_nn_model_n_inputs(model);
            float **ins = calloc(ni, sizeof *ins);
            for (size_t i = 0; i < ni; i++) ins[i] = calloc(tsc_nn_model_input_size(model, i), 4);
            float **outs = nn_run_alloc(model, ins);
            nn_free_outputs(model, outs);
            for (size_t i = 0; i < ni; i++) free(ins[i]);
            free(ins);
            tsc_nn_model_free(model);
        }
        free(buf);
        free(orig);
    }
    printf("%d of %d mutants loaded and ran\n", loaded, total);
}

TSC_TEST_MAIN(TSC_CASE(nn_valid_model_loads), TSC_CASE(nn_rejects_truncated_files),
              TSC_CASE(nn_rejects_random_bytes), TSC_CASE(nn_rejects_unsupported_data_types),
              TSC_CASE(nn_rejects_absurd_dims_before_allocating),
              TSC_CASE(nn_rejects_cyclic_graph), TSC_CASE(nn_rejects_missing_initializer),
              TSC_CASE(nn_rejects_unknown_operator), TSC_CASE(nn_rejects_unsupported_attributes),
              TSC_CASE(nn_rejects_mismatched_tensor_bytes),
              TSC_CASE(nn_rejects_inconsistent_shapes),
              TSC_CASE(nn_rejects_dynamic_shapes_unless_batch_is_given),
              TSC_CASE(nn_enforces_size_limits), TSC_CASE(nn_survives_mutated_fixtures))
