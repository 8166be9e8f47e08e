/* SPDX-License-Identifier: BSD-3-Clause */
/* The slice stage of a series analysis (series_run.c), used by series.c. */
#ifndef TSC_SERIES_PRIVATE_H
#define TSC_SERIES_PRIVATE_H

#include "model_private.h"

/* Analyses every slice of `source` into out->slices / out->errors on
 * `threads` workers (the caller among them); *done gets the slices
 * finished.  Returns 1 when cancelled, else 0. */
int tsc__series_run_slices(tsc_model *model, const tsc_series_source *source,
                           const tsc_analysis_options *options, int threads,
                           tsc_progress_fn progress, void *progress_data, tsc_series_result *out,
                           size_t *done);

/* Images per network run in a series: $TSC_BATCH (1 to 64, for
 * benchmarks), else the manifest's "batch", else 1.  A network with a fixed
 * batch runs its own whatever this says. */
int tsc__model_batch(const tsc_model *m);

#endif
