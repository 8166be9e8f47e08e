/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers of the commands that run the analysis (cli_analysis.h). */
#include "cli_analysis.h"

#include <assert.h>
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

void tsc_cli_analysis_args_init(tsc_cli_analysis_args *a)
{
    memset(a, 0, sizeof *a);
    a->method = TSC_METHOD_CNN;
    a->tta = 1;
}

int tsc_cli_analysis_option(const char *cmd, int code, const char *v, tsc_cli_analysis_args *a)
{
    switch (code) {
    case TSC_CLI_OPT_METHOD: return tsc_cli_parse_method(cmd, v, &a->method);
    case TSC_CLI_OPT_MODEL: a->model_path = v; break;
    case TSC_CLI_OPT_THREADS: a->threads = atoi(v); break;
    case TSC_CLI_OPT_NO_TTA: a->tta = 0; break;
    case TSC_CLI_OPT_PRECISION:
        if (tsc_cli_set_precision(v)) {
            fprintf(stderr, "tumorscope %s: --precision is fp32, bf16 or int8, not '%s'\n", cmd, v);
            return TSC_EXIT_USAGE;
        }
        break;
    case TSC_CLI_OPT_JSON: a->json_path = v; break;
    case TSC_CLI_OPT_FORCE: a->force = 1; break;
    case TSC_CLI_OPT_OUT: a->out_dir = v; break;
    case TSC_CLI_OPT_PNG: a->png = 1; break;
    case TSC_CLI_OPT_PDF: a->pdf = 1; break;
    case TSC_CLI_OPT_DICOM: a->dicom = 1; break;
    case TSC_CLI_OPT_DEIDENTIFY: a->deidentify = 1; break;
    case TSC_CLI_OPT_QUIET: a->quiet = 1; break;
    default: assert(!"not a shared option"); return TSC_EXIT_FAILURE;
    }
    return 0;
}

int tsc_cli_check_outputs(const char *cmd, tsc_cli_analysis_args *a, const char *const *inputs,
                          size_t n)
{
    if ((a->png || a->pdf || a->dicom) && !a->out_dir) {
        fprintf(stderr, "tumorscope %s: --png, --pdf and --dicom need --out DIR\n", cmd);
        return TSC_EXIT_USAGE;
    }
    if (a->out_dir && !a->png && !a->pdf && !a->dicom) a->png = 1;
    /* Refused before anything is read or created. */
    int refused = tsc_cli_refuse_output_in_inputs(cmd, "--out", a->out_dir, inputs, n);
    return refused ? refused
                   : tsc_cli_refuse_output_in_inputs(cmd, "--json", a->json_path, inputs, n);
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
