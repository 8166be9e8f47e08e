/* SPDX-License-Identifier: BSD-3-Clause */
/* The bf16 mode against fp32 on the operator fixtures, and its fallback.
 *
 * bf16 keeps 8 significant bits (relative rounding 2^-9, about 0.2%), and
 * every convolution rounds its input activations and weights once, with
 * fp32 accumulation.  A sum of K rounded products is off by about
 * 2^-9 * sqrt(K) * (typical |term|), which is large relative to an output
 * that cancels to near zero, so the measure here is relative to the
 * tensor's largest magnitude, max_i |a_i - b_i| / max_j |b_j| (range
 * error), not NN_TOL's per-element one.  Observed on this CPU: 1e-3 to
 * 6e-3 for every fixture with convolutions, whole networks included, and
 * 1.8e-2 for a sigmoid output of small range in `activations`; the bounds
 * are 1.5e-2 and 4e-2 (docs/ENGINE.md).  A graph without a convolution
 * (`pooling`) runs entirely in fp32 and must match exactly. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "nn_test_util.h"
#include "tsc_nn.h"
#include "tsc_test.h"

/* Runs fixture `name` in fp32 and in bf16 and returns the largest error of
 * bf16 against fp32 over all outputs; *prec gets the bf16 model's precision. */
static double bf16_vs_fp32(const char *name, const char **prec)
{
    size_t n_in, n_out;
    nn_tensor_file *t = nn_fixture_io(name, &n_in, &n_out);
    const char *path = nn_fixture_path(name, ".onnx");
    tsc_nn_model *f = nn_load_file(path, TSC_NN_ENGINE_ONEDNN, 2);
    tsc_nn_model *b = nn_load_file(path, TSC_NN_ENGINE_ONEDNN_BF16, 2);
    float **ins = calloc(n_in, sizeof *ins);
    for (size_t i = 0; i < n_in; i++) ins[i] = t[i].data;
    float **of = nn_run_alloc(f, ins), **ob = nn_run_alloc(b, ins);
    double worst = nn_worst_range_err(name, "bf16", f, ob, of);
    *prec = tsc_nn_model_get_precision(b);
    printf("%s\n", tsc_nn_model_get_summary(b));
    nn_free_outputs(f, of);
    nn_free_outputs(b, ob);
    free(ins);
    tsc_nn_model_free(f);
    tsc_nn_model_free(b);
    nn_free_io(t, n_in + n_out);
    return worst;
}

/* One case a fixture of NN_REDUCED_PRECISION_FIXTURES, with its bf16 bound. */
#define BF16_TEST(name, bf16_tol, int8_tol)                                                        \
    TSC_TEST(nn_bf16_##name##_matches_fp32_within_bound)                                           \
    {                                                                                              \
        nn_check_within_bound(#name, bf16_tol, bf16_vs_fp32, "bf16", "AVX512_BF16");               \
    }
NN_REDUCED_PRECISION_FIXTURES(BF16_TEST)

/* ctest runs this case with ONEDNN_MAX_CPU_ISA=AVX2 (tests/nn/CMakeLists.txt):
 * oneDNN then offers no avx512_core_bf16, as on a CPU without AVX512_BF16. */
TSC_TEST(nn_bf16_falls_back_to_fp32_with_a_warning_without_avx512_bf16)
{
    nn_check_fallback("AVX2", "AVX512_BF16", bf16_vs_fp32);
}

#define BF16_CASE(name, bf16_tol, int8_tol) TSC_CASE(nn_bf16_##name##_matches_fp32_within_bound),
TSC_TEST_MAIN(NN_REDUCED_PRECISION_FIXTURES(BF16_CASE)
                  TSC_CASE(nn_bf16_falls_back_to_fp32_with_a_warning_without_avx512_bf16))
