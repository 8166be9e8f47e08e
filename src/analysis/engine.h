/* SPDX-License-Identifier: BSD-3-Clause */
/* The model's network, wrapped for the analysis: one instance per thread. */
#ifndef TSC_ENGINE_H
#define TSC_ENGINE_H

#include "model_private.h"

/* Runs the network on tsc__engine_get_batch(e) S×S inputs, one after the
 * other in `input`; writes as many S×S segmentation logits, n_classes
 * class logits and (when ood_score is not NULL) out-of-distribution
 * scores, NaN when the model has none. */
tsc_status tsc__engine_run(tsc__engine *e, const float *input, float *seg_logits,
                           float *class_logits, float *ood_score, tsc_error *err);

/* Images per run: the batch the engine was made with, or 1 for a network
 * exported with a fixed batch of 1. */
size_t tsc__engine_get_batch(const tsc__engine *e);

/* OpenMP threads of each run. */
int tsc__engine_get_threads(const tsc__engine *e);

/* Network runs so far (tests count batches with it). */
size_t tsc__engine_get_runs(const tsc__engine *e);

/* Whether `e` serves a request for `batch` images per run on `threads`
 * OpenMP threads. */
int tsc__engine_matches(const tsc__engine *e, int batch, int threads);

/* tsc_nn_model_get_precision of the engine's network. */
const char *tsc__engine_get_precision(const tsc__engine *e);

#endif
