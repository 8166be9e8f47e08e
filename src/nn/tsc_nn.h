/* SPDX-License-Identifier: BSD-3-Clause */
/* tsc_nn: runs ONNX convolutional networks on the CPU through oneDNN.
 *
 * A model is loaded once (the ONNX file is parsed, validated, constant-folded,
 * batch normalisations are folded into convolutions, oneDNN primitives are
 * created and weights are reordered into the layouts oneDNN picked) and then
 * run many times.  Tensors crossing this API are dense float32 in row-major
 * order of their ONNX shape (NCHW for images).
 *
 * Threads: a model object is used from one thread at a time; several model
 * objects may run in parallel from different threads.  Each run uses
 * `n_threads` OpenMP threads (the Debian libdnnl is built with the OpenMP
 * runtime), set on the calling thread only for the duration of the call.
 * On a machine shared with other busy processes, start the process with
 * OMP_WAIT_POLICY=passive: libgomp's default spinning at barriers can make
 * multi-threaded runs several times slower there (docs/ENGINE.md). */
#ifndef TSC_NN_H
#define TSC_NN_H

#include <stddef.h>
#include <stdint.h>

#include "tsc_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Highest tensor rank the engine accepts. */
#define TSC_NN_MAX_RANK 6

typedef struct tsc_nn_model tsc_nn_model;

typedef enum tsc_nn_engine {
    /* oneDNN primitives, fused and in blocked layouts: the production path. */
    TSC_NN_ENGINE_ONEDNN = 0,
    /* Plain C loops over the unoptimised graph: slow, for verification only. */
    TSC_NN_ENGINE_REFERENCE = 1,
    /* oneDNN with convolutions in bfloat16 (weights and the activations
     * between them; fp32 accumulation, fp32 graph inputs and outputs).
     * Needs AVX512_BF16 (oneDNN's avx512_core_bf16); on a CPU without it,
     * or with the ISA masked by ONEDNN_MAX_CPU_ISA, the model runs as
     * TSC_NN_ENGINE_ONEDNN and a warning says so.  A value rather than a
     * params field because tsc_nn_params is frozen in the plugin ABI. */
    TSC_NN_ENGINE_ONEDNN_BF16 = 2,
    /* oneDNN with convolutions in int8: each Conv whose input has a
     * calibrated range (tsc_nn_model_load_int8_from_memory) quantises it
     * (u8 or s8, one scale per tensor), uses s8 weights with one scale per
     * output channel and writes fp32; the rest runs in fp32.  Needs
     * AVX512_VNNI; without it, or without ranges, the model runs as
     * TSC_NN_ENGINE_ONEDNN and a warning says so. */
    TSC_NN_ENGINE_ONEDNN_INT8 = 3
} tsc_nn_engine;

/* The range of one tensor of the optimised graph, by name: what calibration
 * observed of a convolution input over its inputs, min and max. */
typedef struct tsc_nn_int8_range {
    const char *tensor;
    float min, max;
} tsc_nn_int8_range;

typedef struct tsc_nn_params {
    /* sizeof(tsc_nn_params) as the caller was built (plugin ABI 4; the
     * version-2 layout without it is tsc_nn_params_v2 in tsc_plugin.h).
     * The core's own callers may leave it 0: tsc_nn_model_load reads the
     * whole struct; the plugin's nn_model_load_v4 reads only this many bytes
     * and takes defaults for the rest. */
    size_t struct_size;
    /* OpenMP threads per run; 0 means every online core. */
    int n_threads;
    tsc_nn_engine engine;
    /* Value bound to a symbolic (dim_param) leading dimension of a graph
     * input, e.g. a "batch" axis from dynamic_axes; 0 rejects such models. */
    int64_t batch;
    /* Safety caps for hostile files, checked before anything is allocated:
     * the size of the ONNX file, the bytes of all weights and constants,
     * and the bytes of all activations (arena plus scratch). */
    size_t max_file_bytes;
    size_t max_weight_bytes;
    size_t max_activation_bytes;
} tsc_nn_params;

/* 0 threads (all cores), oneDNN engine, batch 0, 2 GiB file, 2 GiB weights,
 * 4 GiB activations. */
tsc_nn_params tsc_nn_default_params(void);

/* Loads and prepares an ONNX model (opset 9 to 17, default domain only).
 * `params` may be NULL for the defaults.  On success *out owns the model
 * (free with tsc_nn_model_free) and TSC_OK is returned.  Errors:
 * TSC_EIO (file unreadable), TSC_EFORMAT (not a well-formed ONNX graph,
 * e.g. truncated, cyclic, a missing initializer, a tensor whose byte size
 * does not match its dims), TSC_EUNSUPPORTED (an operator, attribute, data
 * type or dynamic shape the engine does not run; the message names the node
 * and operator), TSC_ELIMIT (a safety cap above), TSC_ENOMEM,
 * TSC_EINTERNAL (oneDNN refused a primitive).  *out is NULL on error. */
tsc_status tsc_nn_model_load(const char *path, const tsc_nn_params *params, tsc_nn_model **out,
                             tsc_error *err);
/* Same from a memory buffer (used by the fuzz target); `name` only labels
 * error messages and may be NULL.  The buffer is not retained. */
tsc_status tsc_nn_model_load_from_memory(const void *data, size_t size, const char *name,
                                         const tsc_nn_params *params, tsc_nn_model **out,
                                         tsc_error *err);
void tsc_nn_model_free(tsc_nn_model *model);
/* tsc_nn_model_load(_from_memory) with the activation ranges the int8 mode
 * quantises with (params->engine TSC_NN_ENGINE_ONEDNN_INT8; the strings are
 * copied).  A range naming a tensor the optimised graph lacks, or with
 * min > max or a non-finite bound, is TSC_EINVAL: the ranges belong to
 * another model or engine version, recalibrate. */
tsc_status tsc_nn_model_load_int8(const char *path, const tsc_nn_params *params,
                                  const tsc_nn_int8_range *ranges, size_t n_ranges,
                                  tsc_nn_model **out, tsc_error *err);
tsc_status tsc_nn_model_load_int8_from_memory(const void *data, size_t size, const char *name,
                                              const tsc_nn_params *params,
                                              const tsc_nn_int8_range *ranges, size_t n_ranges,
                                              tsc_nn_model **out, tsc_error *err);

/* Calibration for the int8 mode: runs the model (loaded with
 * TSC_NN_ENGINE_ONEDNN, fp32) like tsc_nn_model_run and widens the recorded
 * range of every convolution input of the optimised graph by what this run
 * saw.  The ranges so far are read with tsc_nn_model_n_int8_ranges and
 * tsc_nn_model_get_int8_range (the tensor name is borrowed from the model). */
tsc_status tsc_nn_model_calibrate(tsc_nn_model *model, const float *const *inputs,
                                  float *const *outputs, tsc_error *err);
size_t tsc_nn_model_n_int8_ranges(const tsc_nn_model *model);
tsc_nn_int8_range tsc_nn_model_get_int8_range(const tsc_nn_model *model, size_t i);

/* Graph inputs (initializers excluded) and outputs, in ONNX order.  Names and
 * shapes are borrowed and live as long as the model.  `*rank` receives the
 * rank; the returned array has `rank` dims, all positive. */
size_t tsc_nn_model_n_inputs(const tsc_nn_model *model);
size_t tsc_nn_model_n_outputs(const tsc_nn_model *model);
const char *tsc_nn_model_get_input_name(const tsc_nn_model *model, size_t i);
const char *tsc_nn_model_get_output_name(const tsc_nn_model *model, size_t i);
const int64_t *tsc_nn_model_get_input_shape(const tsc_nn_model *model, size_t i, int *rank);
const int64_t *tsc_nn_model_get_output_shape(const tsc_nn_model *model, size_t i, int *rank);
/* Element count of input/output i (product of its dims). */
size_t tsc_nn_model_input_size(const tsc_nn_model *model, size_t i);
size_t tsc_nn_model_output_size(const tsc_nn_model *model, size_t i);

/* Runs the network once.  inputs[i] points to tsc_nn_model_input_size(i)
 * floats, outputs[i] to tsc_nn_model_output_size(i) floats, both owned by
 * the caller; inputs are only read.  Returns TSC_OK, or TSC_EINTERNAL when
 * oneDNN fails to execute a primitive. */
tsc_status tsc_nn_model_run(tsc_nn_model *model, const float *const *inputs,
                            float *const *outputs, tsc_error *err);

/* Floating-point operations of one run: 2 x multiply-accumulates of Conv,
 * ConvTranspose, Gemm and MatMul over the unfused graph (other operators are
 * not counted), so that GFLOP/s figures compare with other engines. */
double tsc_nn_model_flops(const tsc_nn_model *model);
/* The arithmetic the model runs in: "fp32", "bf16" or "int8" (after any
 * fallback from TSC_NN_ENGINE_ONEDNN_BF16 or _INT8 to fp32).  Static string. */
const char *tsc_nn_model_get_precision(const tsc_nn_model *model);
/* 1 when this CPU, as oneDNN sees it (ONEDNN_MAX_CPU_ISA applied), runs
 * `engine`'s precision natively: bf16 needs AVX512_BF16, int8 AVX512_VNNI;
 * fp32 and the reference engine always.  A model loaded with an engine this
 * says 0 for runs fp32 and logs why. */
int tsc_nn_engine_available(tsc_nn_engine engine);
/* OpenMP threads a run uses. */
int tsc_nn_model_n_threads(const tsc_nn_model *model);
/* Human-readable one-line summary of the prepared plan: numbers of nodes,
 * fused operations, reorders, arena and weight bytes.  Borrowed. */
const char *tsc_nn_model_get_summary(const tsc_nn_model *model);

#ifdef __cplusplus
}
#endif
#endif
