/* SPDX-License-Identifier: BSD-3-Clause */
/* Analysis speed as a host sees it, through the plugin ABI with the model
 * loaded once (as in the viewer):
 *  - click -> result: analyze_study_slice on each slice of a series in turn
 *    (decode + preprocessing + both TTA inferences + mask post-processing +
 *    lesion measurement), wall time per call;
 *  - whole series: analyze_study_series on the worker pool, wall time.
 * Prints one JSON object.
 *
 * usage: tsc-bench-analysis STUDY [SERIES_INDEX] [REPEATS] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bench_util.h"
#include "tsc_plugin.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: tsc-bench-analysis STUDY [SERIES_INDEX] [REPEATS]\n");
        return 2;
    }
    size_t series = argc > 2 ? strtoul(argv[2], NULL, 10) : 0;
    int repeats = argc > 3 ? atoi(argv[3]) : 3;
    const tsc_plugin_api *api = tsc_plugin_get_api(TSC_PLUGIN_API_VERSION);
    if (!api) return 1;
    tsc_error err;
    tsc_dicom_index *ix = NULL;
    const char *paths[] = {argv[1]};
    tsc_dicom_open_params op = api->study_default_params();
    if (api->study_open(paths, 1, &op, &ix, &err) != TSC_OK || series >= api->study_n_series(ix)) {
        fprintf(stderr, "cannot open series %zu of %s: %s\n", series, argv[1], err.message);
        return 1;
    }
    size_t n = api->study_get_series(ix, series)->n_slices;
    tsc_model *model = NULL;
    tsc_model_params mp = api->model_default_params();
    double t0 = bench_now_ms();
    if (api->model_load(NULL, &mp, &model, &err) != TSC_OK) {
        fprintf(stderr, "cannot load the default model: %s\n", err.message);
        return 1;
    }
    double load_ms = bench_now_ms() - t0;
    tsc_analysis_options ao = api->analysis_default_options();

    /* Warm-up: the first call creates the engine's primitives. */
    tsc_result *r = NULL;
    if (api->analyze_study_slice(model, ix, series, 0, &ao, &r, &err) != TSC_OK) {
        fprintf(stderr, "analysis failed: %s\n", err.message);
        return 1;
    }
    api->result_free(r);

    size_t m = n * (size_t)repeats;
    double *click = malloc(m * sizeof *click), pre = 0, inf = 0, post = 0;
    for (size_t i = 0; i < m; i++) {
        t0 = bench_now_ms();
        if (api->analyze_study_slice(model, ix, series, i % n, &ao, &r, &err) != TSC_OK) return 1;
        click[i] = bench_now_ms() - t0;
        const tsc_timings *t = api->result_get_timings(r);
        pre += t->preprocess_ms, inf += t->inference_ms, post += t->postprocess_ms;
        api->result_free(r);
    }
    qsort(click, m, sizeof *click, bench_cmp_double);

    double best_series = 1e30, sum_series = 0;
    for (int k = 0; k < repeats; k++) {
        tsc_series_result *sr = NULL;
        t0 = bench_now_ms();
        if (api->analyze_study_series(model, ix, series, &ao, 0, NULL, NULL, &sr, &err) != TSC_OK) return 1;
        double ms = bench_now_ms() - t0;
        api->series_result_free(sr);
        sum_series += ms;
        if (ms < best_series) best_series = ms;
    }
    printf("{\"model\": \"%s\", \"slices\": %zu, \"rows\": %d, \"cols\": %d, \"model_load_ms\": %.1f,\n"
           " \"click_ms\": {\"median\": %.1f, \"p95\": %.1f, \"max\": %.1f, \"mean_preprocess\": %.1f, "
           "\"mean_inference\": %.1f, \"mean_postprocess\": %.1f},\n"
           " \"series_s\": {\"best\": %.3f, \"mean\": %.3f, \"per_30_slices_best\": %.3f}}\n",
           api->model_get_name(model), n, api->study_get_slice(ix, series, 0)->rows,
           api->study_get_slice(ix, series, 0)->cols, load_ms, click[m / 2], click[m * 95 / 100],
           click[m - 1], pre / m, inf / m, post / m, best_series / 1e3, sum_series / repeats / 1e3,
           best_series / 1e3 * 30.0 / (double)n);
    free(click);
    api->model_free(model);
    api->study_free(ix);
    return 0;
}
