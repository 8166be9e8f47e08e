/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers of the commands that run the analysis (cli_analysis.h). */
#include "cli_analysis.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_util.h"

int tsc_cli_parse_method(const char *cmd, const char *value, int *method)
{
    *method = tsc_cli_method_from_string(value);
    if (*method >= 0) return 0;
    fprintf(stderr, "tumorscope %s: unknown method '%s' (cnn, threshold, region-growing)\n", cmd,
            value);
    return TSC_EXIT_USAGE;
}

int tsc_cli_refuse_output_in_inputs(const char *cmd, const char *opt, const char *path,
                                    const char *const *inputs, size_t n)
{
    const char *input =
        path && strcmp(path, "-") ? tsc_cli_output_in_inputs(path, inputs, n) : NULL;
    if (!input) return 0;
    /* A report inside a study would change the study (and be indexed with
     * it next time). */
    fprintf(stderr,
            "tumorscope %s: %s %s is inside the input folder of %s; tumorscope never writes into "
            "input folders, choose another\n",
            cmd, opt, path, input);
    return TSC_EXIT_USAGE;
}

void tsc_cli_progress(size_t done, size_t total, void *label)
{
    fprintf(stderr, "\rtumorscope: %s: %zu/%zu slices", (const char *)label, done, total);
    if (done == total) fputc('\n', stderr);
}

size_t tsc_cli_match_series(const tsc_plugin_api *api, const tsc_dicom_index *ix, const char *want,
                            size_t *out, size_t max)
{
    size_t n = api->study_n_series(ix), m = 0;
    char *end;
    long k = strtol(want, &end, 10);
    if (*want && !*end && !strchr(want, '.')) {
        if (k >= 0 && (size_t)k < n && m < max) out[m++] = (size_t)k;
        return m;
    }
    for (size_t i = 0; i < n && m < max; i++)
        if (!strcmp(api->study_get_series(ix, i)->series_uid, want)) out[m++] = i;
    return m;
}

int tsc_cli_load_model(const tsc_plugin_api *api, const char *cmd, const char *path,
                       tsc_model **model)
{
    tsc_error err;
    tsc_model_params mp = api->model_default_params();
    mp.threads = 1; /* one engine thread per worker; the workers use the cores */
    if (api->model_load(path, &mp, model, &err) == TSC_OK) return 0;
    fprintf(stderr, "tumorscope %s: cannot load the model: %s\n", cmd, err.message);
    return TSC_EXIT_FAILURE;
}
