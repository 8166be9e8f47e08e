/* SPDX-License-Identifier: BSD-3-Clause */
/* Analysis speed as a host sees it, through the plugin ABI with the model
 * loaded once (as in the viewer):
 *  - click -> result: analyze_study_slice on each slice of a series in turn
 *    (decode + preprocessing + both TTA inferences + mask post-processing +
 *    lesion measurement), wall time per call;
 *  - whole series: analyze_study_series on the worker pool, wall time.
 * Prints one JSON object.
 *
 * usage: tsc-bench-analysis STUDY [SERIES_INDEX] [REPEATS] [ENGINE_THREADS]
 *                           [SERIES_WORKERS] [MANIFEST]
 * ENGINE_THREADS (the model's cores: a click runs its flip-TTA pair on two
 * engines of half of them at once, or on one engine when 1) and
 * SERIES_WORKERS (slices analysed at once, each on a single-thread engine)
 * default to 0: every core (the viewer gives a click every core and a series
 * the workers of its preference, 1 by default); MANIFEST defaults to the
 * shipped default model.  $TSC_BATCH is read by the library (docs/ENGINE.md,
 * "Series throughput", "Threads"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bench_util.h"
#include "tsc_plugin.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: tsc-bench-analysis STUDY [SERIES_INDEX] [REPEATS] [ENGINE_THREADS] "
                        "[SERIES_WORKERS] [MANIFEST]\n");
        return 2;
    }
    size_t series = argc > 2 ? strtoul(argv[2], NULL, 10) : 0;
    int repeats = argc > 3 ? atoi(argv[3]) : 3;
    int engine_threads = argc > 4 ? atoi(argv[4]) : 0;
    int workers = argc > 5 ? atoi(argv[5]) : 0;
    const char *manifest = argc > 6 ? argv[6] : NULL;
    if (repeats < 1) repeats = 1;
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
    mp.threads = engine_threads;
    double t0 = bench_now_ms();
    if (api->model_load(manifest, &mp, &model, &err) != TSC_OK) {
        fprintf(stderr, "cannot load the model: %s\n", err.message);
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

    double best_series = 1e30, *series_ms = malloc(2 * (size_t)repeats * sizeof *series_ms);
    double *series_cpu = series_ms + repeats;
    for (int k = 0; k < repeats; k++) {
        tsc_series_result *sr = NULL;
        double c0 = bench_cpu_ms();
        t0 = bench_now_ms();
        if (api->analyze_study_series(model, ix, series, &ao, workers, NULL, NULL, &sr, &err) !=
            TSC_OK)
            return 1;
        double ms = series_ms[k] = bench_now_ms() - t0;
        series_cpu[k] = bench_cpu_ms() - c0;
        api->series_result_free(sr);
        if (ms < best_series) best_series = ms;
    }
    qsort(series_ms, (size_t)repeats, sizeof *series_ms, bench_cmp_double);
    qsort(series_cpu, (size_t)repeats, sizeof *series_cpu, bench_cmp_double);
    printf("{\"model\": \"%s\", \"slices\": %zu, \"rows\": %d, \"cols\": %d, \"model_load_ms\": "
           "%.1f,\n"
           " \"engine_threads\": %d, \"series_workers\": %d, \"load_average\": %.2f,\n"
           " \"click_ms\": {\"median\": %.1f, \"p95\": %.1f, \"max\": %.1f, \"mean_preprocess\": "
           "%.1f, "
           "\"mean_inference\": %.1f, \"mean_postprocess\": %.1f},\n"
           " \"series_s\": {\"best\": %.3f, \"median\": %.3f, \"per_30_slices_best\": %.3f, "
           "\"per_30_slices_median\": %.3f, \"cpu_per_30_slices_median\": %.3f}}\n",
           api->model_get_name(model), n, api->study_get_slice(ix, series, 0)->rows,
           api->study_get_slice(ix, series, 0)->cols, load_ms, engine_threads, workers,
           bench_load_average(), click[m / 2], click[m * 95 / 100], click[m - 1], pre / m, inf / m,
           post / m, best_series / 1e3, series_ms[repeats / 2] / 1e3,
           best_series / 1e3 * 30.0 / (double)n, series_ms[repeats / 2] / 1e3 * 30.0 / (double)n,
           series_cpu[repeats / 2] / 1e3 * 30.0 / (double)n);
    free(click);
    free(series_ms);
    api->model_free(model);
    api->study_free(ix);
    return 0;
}
