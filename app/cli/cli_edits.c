/* SPDX-License-Identifier: BSD-3-Clause */
/* `tumorscope analyze --edits FILE` (cli_edits.h). */
#include "cli_edits.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "result_json.h"

struct tsc_cli_edits {
    const tsc_plugin_api *api;
    const char *path;
    tsc_edit_file *file;
    /* The edits as resolved for the series they were applied to. */
    const tsc_edit *const *edits;
    size_t n_edits;
    int matched;
};

tsc_cli_edits *tsc_cli_edits_load(const tsc_plugin_api *api, const char *path)
{
    if (!TSC_PLUGIN_HAS(api, study_edit_resolve)) {
        fprintf(stderr,
                "tumorscope analyze: --edits needs plugin ABI 11; this plugin serves %u: install "
                "the plugin built with this tumorscope\n",
                api->version);
        return NULL;
    }
    tsc_cli_edits *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    e->api = api;
    e->path = path;
    tsc_error err;
    if (api->edit_file_load(path, &e->file, &err) != TSC_OK) {
        fprintf(stderr, "tumorscope analyze: --edits: %s\n", err.message);
        free(e);
        return NULL;
    }
    return e;
}

void tsc_cli_edits_free(tsc_cli_edits *e)
{
    if (!e) return;
    e->api->edit_file_free(e->file);
    free(e);
}

int tsc_cli_edits_matched(const tsc_cli_edits *e)
{
    return e && e->matched;
}

static tsc_series_result *not_applied(const char *why, size_t s, tsc_series_result *sr, cJSON *js,
                                      int *failed)
{
    fprintf(stderr, "tumorscope analyze: series %zu: --edits not applied: %s\n", s, why);
    cJSON_AddStringToObject(js, "edits_not_applied", why);
    *failed = 1;
    return sr;
}

tsc_series_result *tsc_cli_edits_apply(tsc_cli_edits *e, const tsc_plugin_api *api,
                                       const tsc_model *model, int method,
                                       const tsc_dicom_index *ix, size_t s, tsc_series_result *sr,
                                       cJSON *js, int *failed)
{
    const tsc_edit_file_info *fi = api->edit_file_get_info(e->file);
    char model_buf[256];
    tsc_edit_file_info cur =
        api->study_edit_info(model, (tsc_method)method, ix, s, model_buf, sizeof model_buf);
    if (strcmp(fi->study_uid, cur.study_uid) || strcmp(fi->series_uid, cur.series_uid)) return sr;
    e->matched = 1;
    tsc_error err;
    if (api->edit_file_check(e->file, &cur, &err) != TSC_OK)
        return not_applied(err.message, s, sr, js, failed);
    tsc_series_result *edited = NULL;
    tsc_status st = api->study_edit_resolve(e->file, model, ix, s, &e->edits, &e->n_edits, &err);
    if (st == TSC_OK)
        st = api->series_result_apply_edits(model, sr, e->edits, e->n_edits, fi->editor, &edited,
                                            &err);
    if (st != TSC_OK) {
        e->n_edits = 0;
        return not_applied(err.message, s, sr, js, failed);
    }
    api->series_result_free(sr);
    return edited;
}

int tsc_cli_edits_save(const tsc_cli_edits *e, const tsc_plugin_api *api, const tsc_model *model,
                       int method, const tsc_dicom_index *ix, size_t s, const char *out_dir)
{
    if (!e->n_edits) return 0;
    const tsc_edit_file_info *fi = api->edit_file_get_info(e->file);
    char model_buf[256], name[64], path[4096];
    tsc_edit_file_info in =
        api->study_edit_info(model, (tsc_method)method, ix, s, model_buf, sizeof model_buf);
    in.editor = fi->editor;
    in.saved_at = fi->saved_at; /* the edits are the reader's, of that time */
    api->edit_file_name(in.study_uid, in.series_uid, name, sizeof name);
    snprintf(path, sizeof path, "%s/%s", out_dir, name);
    tsc_error err;
    if (api->study_edit_save(path, &in, model, e->edits, e->n_edits, ix, s, &err) == TSC_OK)
        return 0;
    fprintf(stderr, "tumorscope analyze: series %zu: the edits were not saved: %s\n", s,
            err.message);
    return -1;
}
