/* The model's network, wrapped for the analysis: one instance per thread. */
#ifndef TSC_ENGINE_H
#define TSC_ENGINE_H

#include "model_private.h"

/* Runs the network on one S×S input; writes S×S segmentation logits and
 * n_classes class logits. */
tsc_status tsc__engine_run(tsc__engine *e, const float *input, float *seg_logits,
                           float *class_logits, tsc_error *err);

#endif
