/* SPDX-License-Identifier: BSD-3-Clause */
/* The int8 activation ranges on the command line (bench-model,
 * calibrate-int8): read from a manifest's "int8" block or a calibration
 * file, or calibrated on the benchmark's own input. */
#ifndef TSC_CLI_INT8_H
#define TSC_CLI_INT8_H

#include <stddef.h>

#include "tsc_plugin.h"

typedef struct tsc_cli_int8_ranges {
    size_t n;
    tsc_nn_int8_range *r; /* tensor names owned here */
} tsc_cli_int8_ranges;

/* The "ranges" of `path`: a model manifest (its "int8" block) or what
 * calibrate-int8 wrote.  0, or -1 after printing why to stderr. */
int tsc_cli_int8_ranges_read(const char *path, tsc_cli_int8_ranges *out);
/* Calibrates the fp32 model `path` on one run of `inputs`. */
int tsc_cli_int8_ranges_calibrate(const tsc_plugin_api *api, const char *path,
                                  const tsc_nn_params *params, const float *const *inputs,
                                  tsc_cli_int8_ranges *out);
void tsc_cli_int8_ranges_clear(tsc_cli_int8_ranges *r);

#endif
