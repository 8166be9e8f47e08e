/* SPDX-License-Identifier: BSD-3-Clause */
#define G_LOG_DOMAIN "tsc-viewer-jobs"
#include "viewer_jobs.h"

#include <errno.h>

#include <cairo.h>
#include <glib/gstdio.h>

/* ---- model ------------------------------------------------------------- */

static void model_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
    (void)source;
    (void)data;
    (void)cancellable;
    const tsc_plugin_api *api = tsc_viewer_api();
    tsc_model_params params = api->model_default_params();
    /* All cores for a click: its flip-TTA pair runs on two single-thread
     * engines at once (the analysis threads run at nice 10, so the
     * interface still comes first).  A series runs single-thread engines
     * on the workers of the preference, 1 by default, which keeps a core
     * for the interface on small machines. */
    params.threads = 0;
    tsc_model *model = NULL;
    tsc_error err = {0};
    gint64 t0 = g_get_monotonic_time();
    tsc_status st = api->model_load(NULL, &params, &model, &err);
    if (st != TSC_OK) {
        tsc_viewer_task_return_status(task, st, &err, "The default model could not be loaded");
        return;
    }
    g_info("model %s %s loaded in %.0f ms", api->model_get_name(model),
           api->model_get_version(model), (g_get_monotonic_time() - t0) / 1000.0);
    g_task_return_pointer(task, model, (GDestroyNotify)api->model_free);
}

void tsc_viewer_model_load_async(GCancellable *cancellable, GAsyncReadyCallback callback,
                                 gpointer user_data)
{
    g_autoptr(GTask) task = g_task_new(NULL, cancellable, callback, user_data);
    g_task_set_source_tag(task, tsc_viewer_model_load_async);
    tsc_viewer_pool_run(TSC_VIEWER_POOL_ANALYSIS, task, model_thread);
}

tsc_model *tsc_viewer_model_load_finish(GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(G_IS_TASK(result), NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}

/* ---- analysis ---------------------------------------------------------- */

/* The first overlay a process draws pays for fontconfig matching, loading
 * the plugin's font and rasterising its glyphs: tens of milliseconds that
 * would otherwise land in one frame on the main thread.  The first result
 * is therefore drawn once here, off screen, on the worker; cairo's font and
 * glyph caches are process-wide and thread-safe. */
static void warm_overlay_once(const tsc_model *model, const tsc_result *r)
{
    static gsize done = 0;
    if (!g_once_init_enter(&done)) return;
    const tsc_plugin_api *api = tsc_viewer_api();
    int rows = 0, cols = 0;
    api->result_get_mask(r, &rows, &cols);
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 512, 512);
    cairo_t *cr = cairo_create(s);
    if (rows > 0 && cols > 0) cairo_scale(cr, 512.0 / cols, 512.0 / rows);
    tsc_overlay_options o = api->overlay_default_options();
    o.view_width = o.view_height = 512;
    tsc_error err = {0};
    gint64 t0 = g_get_monotonic_time();
    api->render_overlay(cr, model, r, &o, &err);
    g_debug("overlay fonts warmed in %.1f ms", (g_get_monotonic_time() - t0) / 1000.0);
    cairo_destroy(cr);
    cairo_surface_destroy(s);
    g_once_init_leave(&done, 1);
}

typedef struct AnalysisData AnalysisData;
/* What one kind of analysis does on its worker, once analysis_thread has
 * checked the task and filled the options. */
typedef void (*AnalysisRun)(GTask *task, AnalysisData *d, const tsc_analysis_options *opt);

struct AnalysisData {
    TscViewerStudy *study;
    tsc_model *model;
    int method, threads;
    gsize series, slice;
    TscViewerProgress *progress;
    gboolean force_scope; /* analyse outside the model's scope (research use) */
    TscViewerImage *decoded; /* the slice as the viewer decoded it, or NULL */
    AnalysisRun run;
};

/* Slices analysed from the pixels the viewer had decoded (write-state). */
static gint n_from_decoded;

guint tsc_viewer_jobs_n_analysed_from_decoded(void)
{
    return (guint)g_atomic_int_get(&n_from_decoded);
}

/* The one place the viewer's analysis options are filled: slices, series and
 * the slice an export analyses. */
static tsc_analysis_options analysis_options(int method, gboolean force_scope, GCancellable *cancellable)
{
    tsc_analysis_options opt = tsc_viewer_api()->analysis_default_options();
    opt.method = (tsc_method)method;
    opt.cancel = tsc_viewer_cancel_cb;
    opt.cancel_data = cancellable;
    opt.force_scope = force_scope;
    /* The viewer draws results on the slices on screen: an axial reformat's
     * slices are not those, so a thin 3D volume in another plane is refused
     * with its reason (the CLI analyses the reformat). */
    opt.axial_reformat = 0;
    return opt;
}

static void analysis_data_free(AnalysisData *d)
{
    g_object_unref(d->study);
    g_clear_pointer(&d->decoded, tsc_viewer_image_unref);
    tsc_viewer_progress_unref(d->progress);
    g_free(d);
}

static AnalysisData *analysis_data_new(AnalysisRun run, TscViewerStudy *study, tsc_model *model,
                                       int method, gsize series, gsize slice)
{
    AnalysisData *d = g_new0(AnalysisData, 1);
    d->run = run;
    d->study = g_object_ref(study);
    d->model = method == TSC_METHOD_CNN ? model : NULL;
    d->method = method;
    d->series = series;
    d->slice = slice;
    return d;
}

/* The thread of every analysis: nothing more to do when the task is
 * already answered (cancelled, or the CNN without its model); else the
 * options are filled and d->run analyses. */
static void analysis_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
    (void)source;
    AnalysisData *d = data;
    if (g_task_return_error_if_cancelled(task)) return;
    if (d->method == TSC_METHOD_CNN && !d->model) {
        g_task_return_new_error(task, TSC_VIEWER_ERROR, TSC_ENOTFOUND,
                                "The CNN needs the default model, which is not loaded; choose "
                                "the Threshold method or install the model");
        return;
    }
    tsc_analysis_options opt = analysis_options(d->method, d->force_scope, cancellable);
    d->run(task, d, &opt);
}

static void analyse_slice(GTask *task, AnalysisData *d, const tsc_analysis_options *opt)
{
    const tsc_plugin_api *api = tsc_viewer_api();
    tsc_result *r = NULL;
    tsc_error err = {0};
    tsc_status st;
    if (d->decoded) {
        /* The pixels on screen, decoded once: the plugin analyses them as
         * analyze_study_slice would after decoding the file again. */
        const tsc_dicom_image *im = d->decoded->image;
        tsc_slice s = {.pixels = im->pixels, .rows = im->rows, .cols = im->cols,
                       .spacing = {im->pixel_spacing[0], im->pixel_spacing[1]}};
        st = api->analyze_slice(d->model, &s, opt, &r, &err);
        if (st == TSC_OK) g_atomic_int_inc(&n_from_decoded);
    } else {
        st = api->analyze_study_slice(d->model, tsc_viewer_study_get_index(d->study), d->series,
                                      d->slice, opt, &r, &err);
    }
    if (st != TSC_OK) {
        if (st == TSC_ECANCELLED) {
            g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Analysis cancelled");
        } else {
            g_autofree char *what = g_strdup_printf("Slice %zu could not be analysed", d->slice + 1);
            tsc_viewer_task_return_status(task, st, &err, what);
        }
        return;
    }
    warm_overlay_once(d->model, r);
    g_debug("series %zu slice %zu analysed (%s)", d->series, d->slice,
            api->verdict_to_string(api->result_get_verdict(r)));
    g_task_return_pointer(task, r, (GDestroyNotify)api->result_free);
}

void tsc_viewer_analyze_slice_async(TscViewerStudy *study, tsc_model *model, int method,
                                    gsize series, gsize slice, gboolean force_scope,
                                    TscViewerImage *decoded, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data)
{
    g_return_if_fail(TSC_IS_VIEWER_STUDY(study));
    g_return_if_fail(decoded == NULL || (decoded->series == series && decoded->slice == slice));
    g_autoptr(GTask) task = g_task_new(NULL, cancellable, callback, user_data);
    g_task_set_source_tag(task, tsc_viewer_analyze_slice_async);
    AnalysisData *d = analysis_data_new(analyse_slice, study, model, method, series, slice);
    d->force_scope = force_scope;
    d->decoded = decoded ? tsc_viewer_image_ref(decoded) : NULL;
    g_task_set_task_data(task, d, (GDestroyNotify)analysis_data_free);
    tsc_viewer_pool_run(TSC_VIEWER_POOL_ANALYSIS, task, analysis_thread);
}

tsc_result *tsc_viewer_analyze_slice_finish(GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(G_IS_TASK(result), NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}

typedef struct {
    tsc_series_result *result;
    gboolean cancelled;
} SeriesOutcome;

static void series_outcome_free(SeriesOutcome *o)
{
    if (o->result) tsc_viewer_api()->series_result_free(o->result);
    g_free(o);
}

static void analyse_series(GTask *task, AnalysisData *d, const tsc_analysis_options *opt)
{
    const tsc_plugin_api *api = tsc_viewer_api();
    tsc_series_result *r = NULL;
    tsc_error err = {0};
    gint64 t0 = g_get_monotonic_time();
    tsc_status st = api->analyze_study_series(
        d->model, tsc_viewer_study_get_index(d->study), d->series, opt, d->threads,
        d->progress ? tsc_viewer_progress_cb : NULL, d->progress, &r, &err);
    /* Outside the scope the plugin still returns a "not analysed" result
     * with the reason: that is what the window shows. */
    if (st == TSC_ESCOPE && r) {
        g_info("series %zu not analysed: outside the model's scope", d->series);
        SeriesOutcome *o = g_new0(SeriesOutcome, 1);
        o->result = r;
        g_task_return_pointer(task, o, (GDestroyNotify)series_outcome_free);
        return;
    }
    if (st != TSC_OK && st != TSC_ECANCELLED) {
        if (r) api->series_result_free(r);
        g_autofree char *what = g_strdup_printf("Series %zu could not be analysed", d->series + 1);
        tsc_viewer_task_return_status(task, st, &err, what);
        return;
    }
    if (!r) {
        g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Analysis cancelled");
        return;
    }
    g_info("series %zu analysed in %.0f ms%s", d->series, (g_get_monotonic_time() - t0) / 1000.0,
           st == TSC_ECANCELLED ? " (cancelled)" : "");
    for (size_t k = 0; k < api->series_result_n_slices(r); k++) {
        const tsc_result *sr = api->series_result_get_slice(r, k);
        if (sr) {
            warm_overlay_once(d->model, sr);
            break;
        }
    }
    SeriesOutcome *o = g_new0(SeriesOutcome, 1);
    o->result = r;
    o->cancelled = st == TSC_ECANCELLED;
    /* Return even when cancelled: the partial result is worth keeping. */
    g_task_set_check_cancellable(task, FALSE);
    g_task_return_pointer(task, o, (GDestroyNotify)series_outcome_free);
}

void tsc_viewer_analyze_series_async(TscViewerStudy *study, tsc_model *model, int method,
                                     gsize series, int threads, gboolean force_scope,
                                     TscViewerProgress *progress,
                                     GCancellable *cancellable, GAsyncReadyCallback callback,
                                     gpointer user_data)
{
    g_return_if_fail(TSC_IS_VIEWER_STUDY(study));
    g_autoptr(GTask) task = g_task_new(NULL, cancellable, callback, user_data);
    g_task_set_source_tag(task, tsc_viewer_analyze_series_async);
    AnalysisData *d = analysis_data_new(analyse_series, study, model, method, series, 0);
    d->threads = CLAMP(threads, 1, 2);
    d->force_scope = force_scope;
    d->progress = progress;
    g_task_set_task_data(task, d, (GDestroyNotify)analysis_data_free);
    tsc_viewer_pool_run(TSC_VIEWER_POOL_ANALYSIS, task, analysis_thread);
}

tsc_series_result *tsc_viewer_analyze_series_finish(GAsyncResult *result, gboolean *cancelled,
                                                    GError **error)
{
    g_return_val_if_fail(G_IS_TASK(result), NULL);
    SeriesOutcome *o = g_task_propagate_pointer(G_TASK(result), error);
    if (cancelled) *cancelled = o ? o->cancelled : TRUE;
    if (!o) return NULL;
    tsc_series_result *r = o->result;
    o->result = NULL;
    series_outcome_free(o);
    return r;
}

/* ---- export ------------------------------------------------------------ */

typedef struct {
    TscViewerStudy *study;
    tsc_model *model;
    int method;
    gsize series, slice;
    tsc_result *slice_result; /* owned duplicate, may be NULL */
    TscViewerSeriesRef *series_ref;
    TscViewerExportSpec spec;
    /* The reader's measurements of the series, owned copies: rows, their
     * points, the pointers the report options lend. */
    GArray *meas;           /* tsc_reader_measurement */
    GPtrArray *meas_points; /* double *, freed with it */
    char *unit, *observer;
    char *folder, *notes; /* outputs */
} ExportData;

static void export_data_free(ExportData *d)
{
    g_object_unref(d->study);
    if (d->slice_result) tsc_viewer_api()->result_free(d->slice_result);
    tsc_viewer_series_ref_release(d->series_ref);
    g_free(d->spec.folder);
    g_clear_pointer(&d->meas, g_array_unref);
    g_clear_pointer(&d->meas_points, g_ptr_array_unref);
    g_free(d->unit);
    g_free(d->observer);
    g_free(d->folder);
    g_free(d->notes);
    g_free(d);
}

/* Records one output of an export: its line in `written` when it was
 * written, else its failure when it is the first (the export goes on with
 * the other outputs and says what failed first). */
static void note_output(GString *written, GError **first_error, tsc_status st, const tsc_error *err,
                        const char *line, const char *failure)
{
    if (st == TSC_OK) g_string_append_printf(written, "%s\n", line);
    else if (!*first_error) tsc_viewer_set_error(first_error, st, err, failure);
}

static void export_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
    (void)source;
    ExportData *d = data;
    const tsc_plugin_api *api = tsc_viewer_api();
    const tsc_dicom_index *index = tsc_viewer_study_get_index(d->study);
    const tsc_model *model = d->method == TSC_METHOD_CNN ? d->model : NULL;
    g_autoptr(GString) written = g_string_new(NULL);
    g_autoptr(GString) notes = g_string_new(NULL);
    g_autoptr(GError) first_error = NULL;

    /* A new folder per export: the plugin never overwrites (force = 0), and
     * the names carry no patient identifier. */
    g_autoptr(GDateTime) now = g_date_time_new_now_local();
    g_autofree char *stamp = g_date_time_format(now, "%Y%m%d-%H%M%S");
    g_autofree char *base = g_strdup_printf("series%zu-slice%zu-%s", d->series + 1, d->slice + 1, stamp);
    g_autofree char *folder = g_build_filename(d->spec.folder, base, NULL);
    for (int i = 2; g_file_test(folder, G_FILE_TEST_EXISTS); i++) {
        g_free(folder);
        folder = g_strdup_printf("%s%c%s-%d", d->spec.folder, G_DIR_SEPARATOR, base, i);
    }
    if (g_mkdir_with_parents(folder, 0755) != 0) {
        g_task_return_new_error(task, G_IO_ERROR, g_io_error_from_errno(errno),
                                "The export folder %s could not be created: %s", folder,
                                g_strerror(errno));
        return;
    }

    tsc_report_options ro = api->report_default_options_v9();
    ro.deidentify = d->spec.deidentify;
    /* The reader's measurements of this series, lent for these calls. */
    gsize n_meas = d->meas ? d->meas->len : 0;
    g_autofree const tsc_reader_measurement **meas =
        g_new0(const tsc_reader_measurement *, n_meas + 1);
    for (gsize i = 0; i < n_meas; i++) meas[i] = &g_array_index(d->meas, tsc_reader_measurement, i);
    ro.measurements = meas;
    ro.n_measurements = n_meas;
    ro.observer = d->observer;
    tsc_error err = {0};
    tsc_status st;

    if (d->spec.slice_png) {
        if (!d->slice_result && !(d->method == TSC_METHOD_CNN && !d->model)) {
            tsc_analysis_options opt = analysis_options(d->method, d->spec.force_scope, cancellable);
            st = api->analyze_study_slice(d->model, index, d->series, d->slice, &opt,
                                          &d->slice_result, &err);
            if (st != TSC_OK && !first_error)
                tsc_viewer_set_error(&first_error, st, &err, "The slice could not be analysed");
        }
        if (d->slice_result) {
            g_autofree char *name = g_strdup_printf("slice%03zu.png", d->slice + 1);
            g_autofree char *path = g_build_filename(folder, name, NULL);
            st = api->report_slice_png(path, model, index, d->series, d->slice, d->slice_result,
                                       &ro, &err);
            note_output(written, &first_error, st, &err, name, "The slice report failed");
        } else if (d->method == TSC_METHOD_CNN && !d->model) {
            g_string_append(notes, "Slice report skipped: the model is not loaded.\n");
        }
    }
    const tsc_series_result *sr = d->series_ref ? d->series_ref->result : NULL;
    gboolean want_series = d->spec.series_png || d->spec.pdf || d->spec.dicom;
    if (want_series && !sr)
        g_string_append(notes, "Series summary, PDF and DICOM outputs need a series analysis: "
                               "use Analyse Series first.\n");
    if (sr && d->spec.series_png && !g_cancellable_is_cancelled(cancellable)) {
        g_autofree char *path = g_build_filename(folder, "series-summary.png", NULL);
        st = api->report_series_png(path, model, index, d->series, sr, &ro, &err);
        note_output(written, &first_error, st, &err, "series-summary.png",
                    "The series summary failed");
    }
    if (sr && d->spec.pdf && !g_cancellable_is_cancelled(cancellable)) {
        g_autofree char *path = g_build_filename(folder, "report.pdf", NULL);
        st = api->report_pdf(path, model, index, d->series, sr, &ro, &err);
        note_output(written, &first_error, st, &err, "report.pdf", "The PDF report failed");
    }
    if (sr && d->spec.dicom && !g_cancellable_is_cancelled(cancellable)) {
        g_autofree char *dir = g_build_filename(folder, "dicom", NULL);
        tsc_dicom_outputs out = {0};
        out.struct_size = sizeof out;
        st = api->write_dicom_outputs(dir, model, index, d->series, sr, &ro, &out, &err);
        g_autofree char *line = g_strdup_printf("dicom/ (%s%zu Secondary Capture images, SR)",
                                                out.seg_path[0] ? "SEG, " : "", out.n_sc);
        note_output(written, &first_error, st, &err, line, "The DICOM outputs failed");
    }

    if (written->len == 0) {
        g_rmdir(folder); /* only removes it when empty */
        if (!first_error)
            g_set_error(&first_error, TSC_VIEWER_ERROR, TSC_VIEWER_ERROR_NO_RESULT,
                        "Nothing was exported. %s", notes->len ? notes->str : "Choose at least one output.");
        g_task_return_error(task, g_steal_pointer(&first_error));
        return;
    }
    if (first_error) g_string_append_printf(notes, "%s\n", first_error->message);
    d->folder = g_steal_pointer(&folder);
    d->notes = notes->len ? g_string_free(g_steal_pointer(&notes), FALSE) : NULL;
    g_info("export for series %zu slice %zu done", d->series, d->slice);
    g_task_return_pointer(task, g_string_free(g_steal_pointer(&written), FALSE), g_free);
}

/* The store's measurements of `series_uid` as the plugin takes them,
 * numbered as the viewer shows them. */
static void copy_measurements(ExportData *d, TscMeasurements *store, const char *series_uid,
                              const char *unit)
{
    d->meas = g_array_new(FALSE, TRUE, sizeof(tsc_reader_measurement));
    d->meas_points = g_ptr_array_new_with_free_func(g_free);
    d->unit = g_strdup(unit ? unit : "");
    /* The name the desktop knows the user by; the login name else. */
    const char *real = g_get_real_name();
    d->observer =
        g_strdup(real && *real && g_strcmp0(real, "Unknown") != 0 ? real : g_get_user_name());
    gsize n = store && series_uid ? tsc_measurements_get_n(store) : 0;
    for (gsize i = 0; i < n; i++) {
        const TscMeasurement *m = tsc_measurements_get(store, i);
        if (g_strcmp0(m->series_uid, series_uid) != 0) continue;
        double *xy = g_memdup2(m->xy, m->n_points * 2 * sizeof(double));
        g_ptr_array_add(d->meas_points, xy);
        tsc_reader_measurement r = {0};
        r.struct_size = sizeof r;
        r.kind = m->kind == TSC_MEASURE_RULER     ? TSC_READER_RULER
                 : m->kind == TSC_MEASURE_ELLIPSE ? TSC_READER_ELLIPSE
                                                  : TSC_READER_FREEHAND;
        r.number = (int)m->id;
        r.slice = m->slice;
        r.points = xy;
        r.n_points = m->n_points;
        r.length_mm = m->length_mm;
        r.area_mm2 = m->area_mm2;
        r.n_pixels = m->n_pixels;
        r.mean = m->mean;
        r.sd = m->sd;
        r.min = m->min;
        r.max = m->max;
        r.units = d->unit;
        g_array_append_val(d->meas, r);
    }
}

void tsc_viewer_export_async(TscViewerStudy *study, tsc_model *model, int method, gsize series,
                             gsize slice, const tsc_result *slice_result,
                             TscViewerSeriesRef *series_ref, const TscViewerExportSpec *spec,
                             TscMeasurements *measurements, const char *series_uid,
                             const char *unit, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
    g_return_if_fail(TSC_IS_VIEWER_STUDY(study));
    g_return_if_fail(spec != NULL && spec->folder != NULL);
    g_autoptr(GTask) task = g_task_new(NULL, cancellable, callback, user_data);
    g_task_set_source_tag(task, tsc_viewer_export_async);
    ExportData *d = g_new0(ExportData, 1);
    d->study = g_object_ref(study);
    d->model = model;
    d->method = method;
    d->series = series;
    d->slice = slice;
    d->slice_result = slice_result ? tsc_viewer_api()->result_dup(slice_result) : NULL;
    d->series_ref = series_ref ? tsc_viewer_series_ref_acquire(series_ref) : NULL;
    d->spec = *spec;
    d->spec.folder = g_strdup(spec->folder);
    copy_measurements(d, measurements, series_uid, unit);
    g_task_set_task_data(task, d, (GDestroyNotify)export_data_free);
    tsc_viewer_pool_run(TSC_VIEWER_POOL_ANALYSIS, task, export_thread);
}

char *tsc_viewer_export_finish(GAsyncResult *result, char **folder, char **notes, GError **error)
{
    g_return_val_if_fail(G_IS_TASK(result), NULL);
    char *summary = g_task_propagate_pointer(G_TASK(result), error);
    ExportData *d = g_task_get_task_data(G_TASK(result));
    if (folder) *folder = summary ? g_strdup(d->folder) : NULL;
    if (notes) *notes = summary ? g_strdup(d->notes) : NULL;
    return summary;
}
