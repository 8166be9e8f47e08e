/* SPDX-License-Identifier: BSD-3-Clause */
/* The manifest's "int8" block (activation ranges for the engine's int8 mode)
 * and the calibration that writes it ($TSC_INT8_CALIBRATE, which
 * `tumorscope calibrate-int8` sets: tsc_model_params is frozen in the ABI).
 *
 *   "int8": {"ranges": {"<tensor>": [min, max], ...}, ...}
 *
 * Tensors are named as in the engine's optimised graph; other members
 * (how the ranges were calibrated) are informational. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_private.h"
#include "tsc_log.h"

tsc_status tsc__manifest_parse_int8(const cJSON *block, const char *name, tsc__manifest *m,
                                    tsc_error *err)
{
    m->n_int8 = 0;
    if (!block) return TSC_OK;
    const cJSON *ranges = cJSON_GetObjectItemCaseSensitive(block, "ranges");
    if (!cJSON_IsObject(ranges) || !ranges->child)
        return tsc_error_set(err, TSC_EFORMAT,
                             "%s: \"int8\" needs a non-empty \"ranges\" object (tensor: [min, "
                             "max]); recalibrate with tumorscope calibrate-int8",
                             name);
    const cJSON *r;
    cJSON_ArrayForEach(r, ranges)
    {
        const cJSON *lo = cJSON_GetArrayItem(r, 0), *hi = cJSON_GetArrayItem(r, 1);
        tsc__int8_range *o = &m->int8[m->n_int8];
        if (m->n_int8 == TSC__INT8_MAX_RANGES || strlen(r->string) >= sizeof o->tensor ||
            cJSON_GetArraySize(r) != 2 || !cJSON_IsNumber(lo) || !cJSON_IsNumber(hi) ||
            !(lo->valuedouble <= hi->valuedouble) || !isfinite(lo->valuedouble) ||
            !isfinite(hi->valuedouble))
            return tsc_error_set(err, TSC_EFORMAT,
                                 "%s: \"int8\" range of \"%.64s\" is not [min, max] with min <= "
                                 "max (or there are more than %d ranges)",
                                 name, r->string, TSC__INT8_MAX_RANGES);
        snprintf(o->tensor, sizeof o->tensor, "%s", r->string);
        o->min = (float)lo->valuedouble;
        o->max = (float)hi->valuedouble;
        m->n_int8++;
    }
    return TSC_OK;
}

void tsc__model_keep_calibration(tsc_model *m, const tsc__engine *e)
{
    if (!m->calibrate_out[0] || !e) return;
    if (!m->calib && !(m->calib = calloc(TSC__INT8_MAX_RANGES, sizeof *m->calib))) {
        tsc_log(TSC_LOG_ERROR, "model",
                "model %s: out of memory: the int8 calibration loses an engine's ranges",
                m->manifest.name);
        return;
    }
    m->calib_runs += tsc__engine_merge_ranges(e, m->calib, &m->calib_n);
}

void tsc__model_write_calibration(tsc_model *m)
{
    tsc__int8_range *acc = calloc(TSC__INT8_MAX_RANGES, sizeof *acc);
    size_t n = 0, runs = 0;
    if (acc && m->calib) {
        memcpy(acc, m->calib, m->calib_n * sizeof *acc);
        n = m->calib_n;
        runs = m->calib_runs;
    }
    for (size_t i = 0; acc && i < m->n_engines; i++)
        if (m->engines[i]) runs += tsc__engine_merge_ranges(m->engines[i], acc, &n);
    cJSON *root = cJSON_CreateObject(), *rg = cJSON_CreateObject();
    if (root && rg) {
        cJSON_AddStringToObject(root, "scheme",
                                "conv inputs u8 (min >= 0) or s8 per tensor, weights s8 per "
                                "output channel, fp32 elsewhere");
        cJSON_AddNumberToObject(root, "runs", (double)runs);
        cJSON_AddItemToObject(root, "ranges", rg);
        for (size_t i = 0; i < n; i++) {
            const float v[2] = {acc[i].min, acc[i].max};
            cJSON_AddItemToObject(rg, acc[i].tensor, cJSON_CreateFloatArray(v, 2));
        }
        rg = NULL;
    }
    char *text = root && acc ? cJSON_Print(root) : NULL;
    FILE *f = text ? fopen(m->calibrate_out, "w") : NULL;
    int ok = f && fputs(text, f) >= 0 && fputc('\n', f) != EOF;
    if (f && fclose(f) != 0) ok = 0;
    if (ok)
        tsc_log(TSC_LOG_INFO, "model", "model %s: %zu int8 ranges from %zu runs written to %s",
                m->manifest.name, n, runs, m->calibrate_out);
    else
        tsc_log(TSC_LOG_ERROR, "model", "model %s: cannot write the int8 calibration to %s",
                m->manifest.name, m->calibrate_out);
    free(text);
    cJSON_Delete(root);
    cJSON_Delete(rg);
    free(acc);
}
