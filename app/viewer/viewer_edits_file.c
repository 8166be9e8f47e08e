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

gboolean tsc_viewer_edits_file_read(const char *export_folder, const tsc_model *model, int method,
                                    const tsc_dicom_index *index, gsize series,
                                    TscViewerEditVisit visit, gpointer data,
                                    TscViewerEditsApplied *out)
{
    *out = (TscViewerEditsApplied){0};
    const tsc_plugin_api *api = tsc_viewer_api();
    if (!TSC_PLUGIN_HAS(api, study_edit_resolve)) return FALSE;
    char model_buf[256];
    tsc_edit_file_info in =
        api->study_edit_info(model, (tsc_method)method, index, series, model_buf, sizeof model_buf);
    g_autofree char *path = tsc_viewer_edits_file_path(export_folder, &in);
    if (!g_file_test(path, G_FILE_TEST_EXISTS)) return FALSE;
    tsc_edit_file *f = NULL;
    tsc_error err;
    const tsc_edit *const *edits = NULL;
    size_t n = 0;
    /* The check refuses edits made on another model or method: their
     * lesion numbers and masks would not be this analysis'. */
    tsc_status st = api->edit_file_load(path, &f, &err);
    if (st == TSC_OK) st = api->edit_file_check(f, &in, &err);
    if (st == TSC_OK) st = api->study_edit_resolve(f, model, index, series, &edits, &n, &err);
    if (st == TSC_OK) {
        const char *editor = api->edit_file_get_info(f)->editor;
        if (visit)
            for (size_t i = 0; i < n; i++) visit(edits[i], data);
        out->editor = g_strdup(editor);
        out->n_edits = n;
        out->note = g_strdup_printf("%zu saved edit(s) of %s restored", n,
                                    editor[0] ? editor : "the reader");
    } else {
        tsc_viewer_edits_applied_refuse(out, err.message);
    }
    if (f) api->edit_file_free(f);
    return TRUE;
}

char *tsc_viewer_edits_refused_note(const char *why)
{
    return g_strdup_printf("Saved edits not applied: %s", why);
}

void tsc_viewer_edits_applied_refuse(TscViewerEditsApplied *a, const char *why)
{
    g_clear_pointer(&a->editor, g_free);
    g_free(a->note);
    a->note = tsc_viewer_edits_refused_note(why);
    a->n_edits = 0;
    a->refused = TRUE;
}

static void collect(const tsc_edit *e, gpointer data)
{
    g_ptr_array_add(data, tsc_viewer_edit_copy(e));
}

tsc_series_result *tsc_viewer_edits_file_apply(const char *export_folder, const tsc_model *model,
                                               int method, const tsc_dicom_index *index,
                                               gsize series, const tsc_series_result *result,
                                               TscViewerEditVisit visit, gpointer data,
                                               TscViewerEditsApplied *out)
{
    *out = (TscViewerEditsApplied){0};
    if (!result) return NULL;
    g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func(tsc_viewer_edit_free);
    if (!tsc_viewer_edits_file_read(export_folder, model, method, index, series, collect, list,
                                    out) ||
        out->refused)
        return NULL;
    if (visit)
        for (guint i = 0; i < list->len; i++)
            visit(tsc_viewer_edit_get(g_ptr_array_index(list, i)), data);
    /* No edits left (all undone): the analysis as it is. */
    if (!list->len) return NULL;
    tsc_series_result *edited = NULL;
    tsc_error err;
    if (tsc_viewer_edits_replay(model, result, list, (guint)list->len, out->editor, &edited,
                                &err) != TSC_OK)
        tsc_viewer_edits_applied_refuse(out, err.message);
    return edited;
}

/* ---- owned edits ---------------------------------------------------------- */

/* One edit with the memory its pointers name. */
struct TscViewerEdit {
    tsc_edit e;
    tsc_point *points;
    char *reason;
};

TscViewerEdit *tsc_viewer_edit_copy(const tsc_edit *e)
{
    TscViewerEdit *o = g_new0(TscViewerEdit, 1);
    o->e = *e;
    o->points = e->n_points ? g_memdup2(e->points, e->n_points * sizeof *e->points) : NULL;
    o->reason = g_strdup(e->reason ? e->reason : "");
    o->e.points = o->points;
    o->e.reason = o->reason;
    return o;
}

void tsc_viewer_edit_free(gpointer edit)
{
    TscViewerEdit *o = edit;
    if (!o) return;
    g_free(o->points);
    g_free(o->reason);
    g_free(o);
}

const tsc_edit *tsc_viewer_edit_get(const TscViewerEdit *edit)
{
    return &edit->e;
}

tsc_status tsc_viewer_edits_replay(const tsc_model *model, const tsc_series_result *original,
                                   GPtrArray *edits, guint n, const char *editor,
                                   tsc_series_result **out, tsc_error *err)
{
    g_return_val_if_fail(n <= edits->len, TSC_EINVAL);
    g_autofree const tsc_edit **list = g_new0(const tsc_edit *, n + 1);
    for (guint i = 0; i < n; i++) list[i] = tsc_viewer_edit_get(g_ptr_array_index(edits, i));
    return tsc_viewer_api()->series_result_apply_edits(model, original, list, n,
                                                       editor ? editor : "", out, err);
}
