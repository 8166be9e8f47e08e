/* SPDX-License-Identifier: BSD-3-Clause */
#define G_LOG_DOMAIN "tsc-viewer-compare"
#include "compare_export.h"

#include <errno.h>

#include <glib/gstdio.h>

#include "compare_report.h"
#include "tsc_compare.h"

typedef struct {
    char *folder, *written_to;
    TscViewerStudy *study[2];
    gsize series[2];
    TscViewerSeriesRef *result[2];
    const tsc_model *model;
    gboolean deidentify;
} ExportData;

static void export_data_free(ExportData *d)
{
    for (int i = 0; i < 2; i++) {
        g_clear_object(&d->study[i]);
        tsc_viewer_series_ref_release(d->result[i]);
    }
    g_free(d->folder);
    g_free(d->written_to);
    g_free(d);
}

/* Whether `folder` is, or is inside, `path` (a study's folder, or the
 * folder of a study file). */
static gboolean inside(const char *folder, const char *path)
{
    g_autofree char *dir =
        g_file_test(path, G_FILE_TEST_IS_DIR) ? g_strdup(path) : g_path_get_dirname(path);
    g_autofree char *cf = g_canonicalize_filename(folder, NULL);
    g_autofree char *cs = g_canonicalize_filename(dir, NULL);
    g_autoptr(GFile) f = g_file_new_for_path(cf);
    g_autoptr(GFile) s = g_file_new_for_path(cs);
    return g_file_equal(f, s) || g_file_has_prefix(f, s);
}

static void export_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
    (void)source;
    ExportData *d = data;
    const tsc_plugin_api *api = tsc_viewer_api();
    for (int i = 0; i < 2; i++)
        for (const char *const *p = tsc_viewer_study_get_paths(d->study[i]); *p; p++)
            if (inside(d->folder, *p)) {
                g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                        "%s is inside the %s study's folder; outputs never go into "
                                        "a study. Choose another export folder in Preferences.",
                                        d->folder, i ? "follow-up" : "baseline");
                return;
            }
    tsc_compare_view views[2];
    const tsc_lesion3d_info **lesions[2] = {NULL, NULL};
    size_t n[2];
    for (int i = 0; i < 2; i++) {
        const tsc_series_result *sr = d->result[i]->result;
        views[i] = (tsc_compare_view){i ? "Follow-up" : "Baseline",
                                      tsc_viewer_study_get_index(d->study[i]), d->series[i], sr};
        n[i] = api->series_result_n_lesions3d(sr);
        lesions[i] = g_new0(const tsc_lesion3d_info *, n[i] + 1);
        for (size_t k = 0; k < n[i]; k++) lesions[i][k] = api->series_result_get_lesion3d(sr, k);
    }
    tsc_comparison *cmp = NULL;
    tsc_compare_params p = tsc_compare_default_params();
    tsc_error err = {0};
    tsc_status st = tsc_compare_lesions(lesions[0], n[0], lesions[1], n[1], &p, &cmp, &err);
    for (int i = 0; i < 2; i++) g_free((gpointer)lesions[i]);
    if (st != TSC_OK) {
        tsc_viewer_task_return_status(task, st, &err, "The lesions could not be compared");
        return;
    }
    /* A new folder per export: nothing is overwritten, and the name carries
     * no patient identifier. */
    g_autoptr(GDateTime) now = g_date_time_new_now_local();
    g_autofree char *stamp = g_date_time_format(now, "%Y%m%d-%H%M%S");
    g_autofree char *base = g_strdup_printf("comparison-%s", stamp);
    g_autofree char *folder = g_build_filename(d->folder, base, NULL);
    for (int i = 2; g_file_test(folder, G_FILE_TEST_EXISTS); i++) {
        g_free(folder);
        folder = g_strdup_printf("%s%c%s-%d", d->folder, G_DIR_SEPARATOR, base, i);
    }
    if (g_mkdir_with_parents(folder, 0755) != 0) {
        int e = errno;
        tsc_comparison_free(cmp);
        g_task_return_new_error(task, G_IO_ERROR, g_io_error_from_errno(e),
                                "The export folder %s could not be created: %s", folder,
                                g_strerror(e));
        return;
    }
    static const struct {
        const char *name;
        tsc_status (*write)(const char *, const tsc_plugin_api *, const tsc_model *,
                            const tsc_compare_view[2], const tsc_comparison *, int, int,
                            tsc_error *);
    } outputs[] = {{"comparison.png", tsc_compare_report_png},
                   {"comparison.pdf", tsc_compare_report_pdf},
                   {"comparison_sr.dcm", tsc_compare_report_sr}};
    g_autoptr(GString) written = g_string_new(NULL);
    g_autoptr(GError) first = NULL;
    for (size_t i = 0; i < G_N_ELEMENTS(outputs) && !g_cancellable_is_cancelled(cancellable); i++) {
        g_autofree char *path = g_build_filename(folder, outputs[i].name, NULL);
        st = outputs[i].write(path, api, d->model, views, cmp, d->deidentify, 0, &err);
        if (st == TSC_OK)
            g_string_append_printf(written, "%s%s", written->len ? ", " : "", outputs[i].name);
        else if (!first) tsc_viewer_set_error(&first, st, &err, "An output failed");
    }
    tsc_comparison_free(cmp);
    if (!written->len) {
        g_rmdir(folder);
        if (!first)
            g_set_error(&first, G_IO_ERROR, G_IO_ERROR_CANCELLED, "The export was cancelled.");
        g_task_return_error(task, g_steal_pointer(&first));
        return;
    }
    if (first) g_string_append_printf(written, " (%s)", first->message);
    d->written_to = g_steal_pointer(&folder);
    g_info("comparison exported");
    g_task_return_pointer(task, g_string_free(g_steal_pointer(&written), FALSE), g_free);
}

void tsc_compare_export_async(const TscCompareExportSpec *spec, const tsc_model *model,
                              GCancellable *cancellable, GAsyncReadyCallback callback,
                              gpointer user_data)
{
    g_return_if_fail(spec && spec->folder && spec->result[0] && spec->result[1]);
    g_autoptr(GTask) task = g_task_new(NULL, cancellable, callback, user_data);
    g_task_set_source_tag(task, tsc_compare_export_async);
    ExportData *d = g_new0(ExportData, 1);
    d->folder = g_strdup(spec->folder);
    for (int i = 0; i < 2; i++) {
        d->study[i] = g_object_ref(spec->study[i]);
        d->series[i] = spec->series[i];
        d->result[i] = tsc_viewer_series_ref_acquire(spec->result[i]);
    }
    d->model = model;
    d->deidentify = spec->deidentify;
    g_task_set_task_data(task, d, (GDestroyNotify)export_data_free);
    tsc_viewer_pool_run(TSC_VIEWER_POOL_ANALYSIS, task, export_thread);
}

char *tsc_compare_export_finish(GAsyncResult *result, char **folder, GError **error)
{
    g_return_val_if_fail(G_IS_TASK(result), NULL);
    char *summary = g_task_propagate_pointer(G_TASK(result), error);
    ExportData *d = g_task_get_task_data(G_TASK(result));
    if (folder) *folder = g_strdup(d->written_to);
    return summary;
}
