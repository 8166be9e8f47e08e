/* SPDX-License-Identifier: BSD-3-Clause */
/* The reader's saved corrections of a series, read back without a window. */
#define G_LOG_DOMAIN "tsc-viewer-edits"
#include "viewer_edits_file.h"

#include "viewer_api.h"

char *tsc_viewer_edits_file_path(const char *export_folder, const tsc_edit_file_info *info)
{
    char name[64];
    tsc_viewer_api()->edit_file_name(info->study_uid, info->series_uid, name, sizeof name);
    return g_build_filename(export_folder, name, NULL);
}

void tsc_viewer_edits_applied_clear(TscViewerEditsApplied *a)
{
    g_clear_pointer(&a->editor, g_free);
    g_clear_pointer(&a->note, g_free);
    a->n_edits = 0;
}

tsc_series_result *tsc_viewer_edits_file_apply(const char *export_folder, const tsc_model *model,
                                               int method, const tsc_dicom_index *index,
                                               gsize series, const tsc_series_result *result,
                                               TscViewerEditVisit visit, gpointer data,
                                               TscViewerEditsApplied *out)
{
    *out = (TscViewerEditsApplied){0};
    const tsc_plugin_api *api = tsc_viewer_api();
    if (!result || !TSC_PLUGIN_HAS(api, study_edit_resolve)) return NULL;
    char model_buf[256];
    tsc_edit_file_info in =
        api->study_edit_info(model, (tsc_method)method, index, series, model_buf, sizeof model_buf);
    g_autofree char *path = tsc_viewer_edits_file_path(export_folder, &in);
    if (!g_file_test(path, G_FILE_TEST_EXISTS)) return NULL;
    tsc_edit_file *f = NULL;
    tsc_error err;
    const tsc_edit *const *edits = NULL;
    size_t n = 0;
    tsc_series_result *edited = NULL;
    /* The check refuses edits made on another model or method: their
     * lesion numbers and masks would not be this analysis'. */
    tsc_status st = api->edit_file_load(path, &f, &err);
    if (st == TSC_OK) st = api->edit_file_check(f, &in, &err);
    if (st == TSC_OK) st = api->study_edit_resolve(f, model, index, series, &edits, &n, &err);
    const char *editor = st == TSC_OK ? api->edit_file_get_info(f)->editor : "";
    if (st == TSC_OK && visit)
        for (size_t i = 0; i < n; i++) visit(edits[i], data);
    /* No edits left (all undone): the analysis as it is. */
    if (st == TSC_OK && n)
        st = api->series_result_apply_edits(model, result, edits, n, editor, &edited, &err);
    if (st == TSC_OK) {
        out->editor = g_strdup(editor);
        out->n_edits = n;
        out->note = g_strdup_printf("%zu saved edit(s) of %s restored", n,
                                    editor[0] ? editor : "the reader");
    } else {
        out->note = g_strdup_printf("Saved edits not applied: %s", err.message);
        out->refused = TRUE;
    }
    if (f) api->edit_file_free(f);
    return edited;
}
