/* SPDX-License-Identifier: BSD-3-Clause */
/* The model's network, wrapped for the analysis: one instance per thread. */
#ifndef TSC_ENGINE_H
#define TSC_ENGINE_H

#include "model_private.h"

/* Runs the network on one S×S input; writes S×S segmentation logits,
 * n_classes class logits and (when ood_score is not NULL) the network's
 * out-of-distribution score, NaN when the model has none. */
tsc_status tsc__engine_run(tsc__engine *e, const float *input, float *seg_logits,
                           float *class_logits, float *ood_score, tsc_error *err);

/* tsc_nn_model_get_precision of the engine's network. */
const char *tsc__engine_get_precision(const tsc__engine *e);

#endif
