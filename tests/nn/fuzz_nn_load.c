/* SPDX-License-Identifier: BSD-3-Clause */
/* Fuzz target: load (and, when that succeeds, run) a model from memory.
 * Built as a libFuzzer binary with -DTSC_FUZZ=ON (clang); otherwise linked
 * with fuzz_replay_main.c so that ctest replays a corpus through it. */
#include <stdint.h>
#include <stdlib.h>

#include "tsc_nn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tsc_nn_params p = tsc_nn_default_params();
    p.n_threads = 1;
    p.max_weight_bytes = 64u << 20;
    p.max_activation_bytes = 64u << 20;
    tsc_nn_model *m = NULL;
    tsc_error err;
    if (tsc_nn_model_load_from_memory(data, size, "fuzz", &p, &m, &err) != TSC_OK) return 0;
    size_t ni = tsc_nn_model_n_inputs(m), no = tsc_nn_model_n_outputs(m);
    float **ins = calloc(ni, sizeof *ins), **outs = calloc(no, sizeof *outs);
    int ok = ins && outs;
    for (size_t i = 0; ok && i < ni; i++) ok = (ins[i] = calloc(tsc_nn_model_input_size(m, i), 4)) != NULL;
    for (size_t i = 0; ok && i < no; i++) ok = (outs[i] = calloc(tsc_nn_model_output_size(m, i), 4)) != NULL;
    if (ok && tsc_nn_model_run(m, (const float *const *)ins, outs, &err) != TSC_OK) abort();
    for (size_t i = 0; ins && i < ni; i++) free(ins[i]);
    for (size_t i = 0; outs && i < no; i++) free(outs[i]);
    free(ins);
    free(outs);
    tsc_nn_model_free(m);
    return 0;
}
