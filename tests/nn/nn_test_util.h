/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared helpers of the tsc_nn tests. */
#ifndef TSC_NN_TEST_UTIL_H
#define TSC_NN_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "tsc_nn.h"

/* The tolerance of every comparison in these tests:
 *   err = max_i |a_i - b_i| / max(|b_i|, 1e-2 * max_j |b_j|, 1e-6)
 * i.e. relative error, with values much smaller than the tensor's largest
 * magnitude judged against 1% of that magnitude (so near-zero outputs of a
 * sum do not blow the ratio up).  Fixtures must stay at or below 1e-4. */
#define NN_TOL 1e-4
double nn_rel_err(const float *a, const float *b, size_t n, size_t *worst);
/* The reduced-precision modes' measure, relative to the tensor's range:
 * max_i |a_i - b_i| / max_j |b_j|; *at gets the worst i. */
double nn_range_err(const float *a, const float *b, size_t n, size_t *at);
/* While on, the core's last warning is kept ("" when none since it was
 * turned on); off restores the default log. */
void nn_keep_warnings(int on);
const char *nn_last_warning(void);
/* A reduced-precision mode's fallback: ctest runs the case with
 * ONEDNN_MAX_CPU_ISA=isa, which hides `feature`; vs_fp32("unet_small",
 * &prec) must report precision fp32, outputs bit-identical to fp32's, and a
 * warning naming `feature` and "running in fp32". */
typedef double (*nn_vs_fp32_fn)(const char *name, const char **prec);
void nn_check_fallback(const char *isa, const char *feature, nn_vs_fp32_fn vs_fp32);
/* A reduced-precision mode within its bound: vs_fp32(name, ...) must be at
 * most `tol`; skips when the model ran in another precision than `prec`
 * (the CPU lacks `feature`). */
void nn_check_within_bound(const char *name, double tol, nn_vs_fp32_fn vs_fp32, const char *prec,
                           const char *feature);
int nn_count_nonfinite(const float *a, size_t n);

/* The operator fixtures each reduced-precision mode is checked on against
 * fp32, one case a fixture and mode (tests/nn/CMakeLists.txt lists the same
 * names), with each mode's bound: X(fixture, bf16 bound, int8 bound).  A
 * bound of 0: the mode runs that graph in fp32, which must match exactly.
 * The bounds are explained in test_nn_bf16.c and test_nn_int8.c. */
// clang-format off
#define NN_REDUCED_PRECISION_FIXTURES(X)                                                           \
    X(conv_basic, 1.5e-2, 3e-2) X(conv_groups, 1.5e-2, 3e-2) X(conv_same, 1.5e-2, 3e-2)            \
    X(conv_transpose, 1.5e-2, 0) X(batchnorm, 1.5e-2, 3e-2) X(activations, 4e-2, 0.15)             \
    X(broadcast, 1.5e-2, 3e-2) X(concat, 1.5e-2, 3e-2) X(pooling, 0, 0) X(resize, 1.5e-2, 3e-2)    \
    X(head, 1.5e-2, 3e-2) X(misc, 1.5e-2, 3e-2) X(unet_small, 1.5e-2, 3e-2)                        \
    X(resnet_block, 1.5e-2, 3e-2) X(mobilenet_block, 1.5e-2, 3e-2) X(tumornet_small, 1.5e-2, 3e-2)
// clang-format on

typedef struct nn_tensor_file {
    int rank;
    int64_t dims[8];
    size_t n;
    float *data;
} nn_tensor_file;

/* Reads NAME.io written by make_fixtures.py; returns 0 on success. */
int nn_read_io(const char *path, size_t *n_in, size_t *n_out, nn_tensor_file **tensors);
void nn_free_io(nn_tensor_file *t, size_t n);
/* Fixture NAME's tensors (*n_in inputs, then *n_out expected outputs);
 * skips the case when make_fixtures.py has not written them. */
nn_tensor_file *nn_fixture_io(const char *name, size_t *n_in, size_t *n_out);

/* Path of a fixture file inside tests/nn/fixtures (static buffer). */
const char *nn_fixture_path(const char *name, const char *ext);

/* Loads bytes with the given engine and thread count; aborts the case on error
 * unless expected != TSC_OK. */
tsc_nn_model *nn_load_mem(const void *data, size_t len, tsc_nn_engine engine, int threads);
/* The same from a file. */
tsc_nn_model *nn_load_file(const char *path, tsc_nn_engine engine, int threads);

/* A whole file in a new buffer (*len bytes); NULL when it cannot be read. */
void *nn_read_file(const char *path, size_t *len);

/* Runs a model on inputs (one buffer per input) into freshly allocated outputs. */
float **nn_run_alloc(tsc_nn_model *m, float *const *inputs);
void nn_free_outputs(tsc_nn_model *m, float **outs);
/* The largest nn_range_err of a reduced-precision run's outputs `got`
 * against the fp32 run's `fp32` of model `m` (fixture `name`), each output
 * printed and checked free of NaN and infinities; `mode` names the
 * precision in the lines printed. */
double nn_worst_range_err(const char *name, const char *mode, tsc_nn_model *m, float **got,
                          float **fp32);

#endif
