/* SPDX-License-Identifier: BSD-3-Clause */
/* A minimal third-party host: loads libtumorscope-plugin.so with dlopen,
 * finds tsc_plugin_get_api with dlsym (no link-time dependency), opens a
 * study, analyses one slice and writes a PNG report.
 *
 * usage: minimal_host PLUGIN.so STUDY_PATH OUT.png [METHOD] */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsc_plugin.h"

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: minimal_host PLUGIN.so STUDY_PATH OUT.png [cnn|threshold]\n");
        return 2;
    }
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "cannot load the plugin: %s\n", dlerror());
        return 1;
    }
    tsc_plugin_get_api_fn get_api = (tsc_plugin_get_api_fn)dlsym(lib, "tsc_plugin_get_api");
    if (!get_api) {
        fprintf(stderr, "the plugin exports no tsc_plugin_get_api\n");
        return 1;
    }
    /* A version from the future is refused with NULL, ours is served. */
    if (get_api(TSC_PLUGIN_API_VERSION + 1000) != NULL) {
        fprintf(stderr, "the plugin claims to serve ABI version %u\n", TSC_PLUGIN_API_VERSION + 1000);
        return 1;
    }
    const tsc_plugin_api *api = get_api(TSC_PLUGIN_API_VERSION);
    if (!api) {
        fprintf(stderr, "the plugin does not serve ABI version %u\n", TSC_PLUGIN_API_VERSION);
        return 1;
    }
    if (api->version < TSC_PLUGIN_API_VERSION || api->struct_size < sizeof(tsc_plugin_api) ||
        !TSC_PLUGIN_HAS(api, write_dicom_outputs)) {
        fprintf(stderr, "the plugin's table is too small (version %u, %u bytes)\n", api->version,
                api->struct_size);
        return 1;
    }
    printf("plugin %s, ABI %u\n", api->plugin_version(), api->version);

    tsc_error err;
    tsc_dicom_index *ix = NULL;
    const char *paths[] = {argv[2]};
    tsc_dicom_open_params op = api->study_default_params();
    if (api->study_open(paths, 1, &op, &ix, &err) != TSC_OK) {
        fprintf(stderr, "cannot open the study: %s\n", err.message);
        return 1;
    }
    /* The series with the most slices, its middle slice. */
    size_t best = 0;
    for (size_t s = 1; s < api->study_n_series(ix); s++)
        if (api->study_get_series(ix, s)->n_slices > api->study_get_series(ix, best)->n_slices) best = s;
    const tsc_dicom_series_info *si = api->study_get_series(ix, best);
    size_t k = si->n_slices / 2;

    const char *method = argc > 4 ? argv[4] : "cnn";
    tsc_model *model = NULL;
    tsc_analysis_options ao = api->analysis_default_options();
    if (!strcmp(method, "cnn")) {
        tsc_model_params mp = api->model_default_params();
        if (api->model_load(NULL, &mp, &model, &err) != TSC_OK) {
            fprintf(stderr, "cannot load the default model: %s\n", err.message);
            return 1;
        }
    } else {
        ao.method = TSC_METHOD_THRESHOLD;
    }
    tsc_result *r = NULL;
    if (api->analyze_study_slice(model, ix, best, k, &ao, &r, &err) != TSC_OK) {
        fprintf(stderr, "analysis failed: %s\n", err.message);
        return 1;
    }
    printf("series %zu slice %zu: %s\n", best, k,
           api->result_get_verdict(r) == TSC_VERDICT_TUMOR        ? "tumour"
           : api->result_get_verdict(r) == TSC_VERDICT_NO_TUMOR ? "no tumour"
                                                                  : "inconclusive");
    tsc_report_options ro = api->report_default_options_v9();
    ro.force = 1;
    if (api->report_slice_png(argv[3], model, ix, best, k, r, &ro, &err) != TSC_OK) {
        fprintf(stderr, "report failed: %s\n", err.message);
        return 1;
    }
    api->result_free(r);
    api->model_free(model);
    api->study_free(ix);
    dlclose(lib);
    printf("wrote %s\n", argv[3]);
    return 0;
}
