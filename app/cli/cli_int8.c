/* SPDX-License-Identifier: BSD-3-Clause */
#include "cli_int8.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int add_range(tsc_cli_int8_ranges *out, const char *tensor, float lo, float hi)
{
    tsc_nn_int8_range *r = realloc(out->r, (out->n + 1) * sizeof *r);
    if (!r) return -1;
    out->r = r;
    char *name = strdup(tensor);
    if (!name) return -1;
    r[out->n++] = (tsc_nn_int8_range){name, lo, hi};
    return 0;
}

void tsc_cli_int8_ranges_clear(tsc_cli_int8_ranges *r)
{
    for (size_t i = 0; i < r->n; i++) free((char *)r->r[i].tensor);
    free(r->r);
    r->r = NULL;
    r->n = 0;
}

int tsc_cli_int8_ranges_read(const char *path, tsc_cli_int8_ranges *out)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    long len = -1;
    if (f && fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && len < (16L << 20) &&
        fseek(f, 0, SEEK_SET) == 0 && (text = malloc((size_t)len + 1)) &&
        fread(text, 1, (size_t)len, f) == (size_t)len)
        text[len] = '\0';
    else len = -1;
    if (f) fclose(f);
    cJSON *root = len >= 0 ? cJSON_Parse(text) : NULL;
    free(text);
    if (!root) {
        fprintf(stderr, "tumorscope: cannot read %s as JSON\n", path);
        return -1;
    }
    const cJSON *block = cJSON_GetObjectItemCaseSensitive(root, "int8");
    const cJSON *ranges = cJSON_GetObjectItemCaseSensitive(block ? block : root, "ranges");
    const cJSON *r;
    int rc = cJSON_IsObject(ranges) && ranges->child ? 0 : -1;
    cJSON_ArrayForEach(r, ranges)
    {
        const cJSON *lo = cJSON_GetArrayItem(r, 0), *hi = cJSON_GetArrayItem(r, 1);
        if (rc || !cJSON_IsNumber(lo) || !cJSON_IsNumber(hi) ||
            add_range(out, r->string, (float)lo->valuedouble, (float)hi->valuedouble) < 0)
            rc = -1;
    }
    cJSON_Delete(root);
    if (rc) {
        fprintf(stderr,
                "tumorscope: %s has no int8 ranges (an \"int8\" block with \"ranges\": "
                "{tensor: [min, max]}); make them with tumorscope calibrate-int8\n",
                path);
        tsc_cli_int8_ranges_clear(out);
    }
    return rc;
}

int tsc_cli_int8_ranges_calibrate(const tsc_plugin_api *api, const char *path,
                                  const tsc_nn_params *params, const float *const *inputs,
                                  tsc_cli_int8_ranges *out)
{
    memset(out, 0, sizeof *out);
    tsc_nn_params p = *params;
    p.engine = TSC_NN_ENGINE_ONEDNN;
    tsc_nn_model *m = NULL;
    tsc_error err;
    if (api->nn_model_load_v4(path, &p, &m, &err) != TSC_OK) {
        fprintf(stderr, "tumorscope: %s\n", err.message);
        return -1;
    }
    size_t no = api->nn_model_n_outputs(m);
    float **outs = calloc(no, sizeof *outs);
    int rc = outs ? 0 : -1;
    for (size_t i = 0; i < no && !rc; i++)
        if (!(outs[i] = malloc(api->nn_model_output_size(m, i) * sizeof(float)))) rc = -1;
    if (!rc && api->nn_model_calibrate(m, inputs, outs, &err) != TSC_OK) {
        fprintf(stderr, "tumorscope: %s\n", err.message);
        rc = -1;
    }
    for (size_t i = 0; i < api->nn_model_n_int8_ranges(m) && !rc; i++) {
        tsc_nn_int8_range r = api->nn_model_get_int8_range(m, i);
        rc = add_range(out, r.tensor, r.min, r.max);
    }
    for (size_t i = 0; outs && i < no; i++) free(outs[i]);
    free(outs);
    api->nn_model_free(m);
    if (rc) tsc_cli_int8_ranges_clear(out);
    return rc;
}
