/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The result JSON of an Orthanc series, in the format `tumorscope analyze
 * --json` writes (docs/RESULT_FORMAT.md) for whole-series analysis, built by
 * the hosts' shared builders (app/common/result_json.c, BSD-3-Clause). */
#include "orthanc_private.h"
#include "result_json.h"

cJSON *tsc__json_root(const tsc_plugin_api *api, const tsc_model *model)
{
    cJSON *root = tsc_result_json_root(api, model, TSC_METHOD_CNN);
    cJSON_AddArrayToObject(root, "series");
    return root;
}

cJSON *tsc__json_series(const tsc_plugin_api *api, const tsc_model *model,
                        const tsc_dicom_index *ix, size_t s, const tsc_series_result *sr,
                        tsc_status st, const char *error)
{
    cJSON *js = tsc_result_json_series_new(api, ix, s, 0);
    cJSON_AddItemToObject(js, "scope", tsc_result_json_scope(api, model, ix, s));
    cJSON_AddArrayToObject(js, "failed_slices");
    cJSON_AddArrayToObject(js, "slices");
    if (st == TSC_ESCOPE && sr) {
        tsc_description d = {.struct_size = sizeof d};
        api->series_result_describe(model, sr, &d);
        tsc_result_json_add_description(js, api, model, &d);
    } else if (st != TSC_OK || !sr) {
        cJSON_AddStringToObject(js, "error", error ? error : "not analysed");
    } else {
        tsc_result_json_add_series_result(js, api, model, ix, s, sr, 0);
    }
    return js;
}
