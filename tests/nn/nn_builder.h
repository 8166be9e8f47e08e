/* SPDX-License-Identifier: BSD-3-Clause */
/* Builds small ONNX models in memory with the engine's protobuf-c bindings:
 * single operators for the reference comparisons and deliberately broken
 * files for the hostile-input tests. */
#ifndef TSC_NN_BUILDER_H
#define TSC_NN_BUILDER_H

#include <stddef.h>
#include <stdint.h>

#include "onnx.pb-c.h"

typedef struct nb_model nb_model;

nb_model *nb_new(int64_t opset);
void nb_free(nb_model *b);
/* A float graph input with static dims (dims may be NULL with rank 0). */
Onnx__ValueInfoProto *nb_input(nb_model *b, const char *name, int rank, const int64_t *dims);
void nb_output(nb_model *b, const char *name);
/* Initializers stored as raw_data; the returned tensor may be tampered with. */
Onnx__TensorProto *nb_init_f32(nb_model *b, const char *name, int rank, const int64_t *dims,
                               const float *data);
Onnx__TensorProto *nb_init_i64(nb_model *b, const char *name, int rank, const int64_t *dims,
                               const int64_t *data);
/* Random float initializer in [-scale, scale] (deterministic per seed). */
Onnx__TensorProto *nb_init_rand(nb_model *b, const char *name, int rank, const int64_t *dims,
                                float scale, unsigned seed);
/* A node; inputs/outputs are NULL-terminated lists ("" for an absent input). */
Onnx__NodeProto *nb_node(nb_model *b, const char *op, const char *const *in,
                         const char *const *out);
void nb_attr_i(nb_model *b, Onnx__NodeProto *n, const char *name, int64_t v);
void nb_attr_f(nb_model *b, Onnx__NodeProto *n, const char *name, float v);
void nb_attr_s(nb_model *b, Onnx__NodeProto *n, const char *name, const char *v);
void nb_attr_ints(nb_model *b, Onnx__NodeProto *n, const char *name, int count,
                  const int64_t *v);
/* Serialises; the caller frees the buffer. */
uint8_t *nb_pack(nb_model *b, size_t *len);

/* Deterministic uniform floats in [-1, 1]. */
void nb_fill_random(float *x, size_t n, unsigned seed);

#endif
