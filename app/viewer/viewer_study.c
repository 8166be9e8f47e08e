/* SPDX-License-Identifier: BSD-3-Clause */
#define G_LOG_DOMAIN "tsc-viewer-study"
#include "viewer_study.h"

#include <math.h>
#include <string.h>

#define N_METHODS 3

typedef struct {
    tsc_result **slices; /* n_slices, owned */
    TscViewerSeriesRef *ref;
} SeriesResults;

struct _TscViewerStudy {
    GObject parent_instance;
    tsc_dicom_index *index;
    char **paths;
    GError *open_error;
    gsize n_series;

    /* Decoded-slice LRU cache, shared with the decode workers. */
    GMutex lock;
    GHashTable *cache; /* key -> GList link in `lru` (data: TscViewerImage) */
    GQueue lru;        /* head = most recent */
    gsize cache_bytes;
    gint focus_series, focus_slice; /* atomics */

    SeriesResults *results[N_METHODS]; /* n_series each, lazily */
    GHashTable *stored;                /* series UID -> TscViewerStored */
};

G_DEFINE_FINAL_TYPE(TscViewerStudy, tsc_viewer_study, G_TYPE_OBJECT)

TscViewerImage *tsc_viewer_image_ref(TscViewerImage *image)
{
    g_return_val_if_fail(image != NULL, NULL);
    g_atomic_ref_count_inc(&image->rc);
    return image;
}

void tsc_viewer_image_unref(TscViewerImage *image)
{
    if (!image || !g_atomic_ref_count_dec(&image->rc)) return;
    tsc_viewer_api()->image_free(image->image);
    g_free(image);
}

static gsize image_bytes(const TscViewerImage *im)
{
    return (gsize)im->image->rows * (gsize)im->image->cols * sizeof(float) + sizeof *im;
}

static gpointer cache_key(gsize series, gsize slice)
{
    return GSIZE_TO_POINTER(((guint64)series << 32) | (guint64)slice);
}

static void tsc_viewer_study_finalize(GObject *object)
{
    TscViewerStudy *self = TSC_VIEWER_STUDY(object);
    const tsc_plugin_api *api = tsc_viewer_api();
    for (int m = 0; m < N_METHODS; m++) {
        if (!self->results[m]) continue;
        for (gsize s = 0; s < self->n_series; s++) {
            SeriesResults *sr = &self->results[m][s];
            if (sr->slices) {
                gsize n = tsc_viewer_study_n_slices(self, s);
                for (gsize k = 0; k < n; k++)
                    if (sr->slices[k]) api->result_free(sr->slices[k]);
                g_free(sr->slices);
            }
            tsc_viewer_series_ref_release(sr->ref);
        }
        g_free(self->results[m]);
    }
    g_hash_table_unref(self->stored);
    g_queue_clear_full(&self->lru, (GDestroyNotify)tsc_viewer_image_unref);
    g_hash_table_unref(self->cache);
    g_mutex_clear(&self->lock);
    if (self->index) api->study_free(self->index);
    g_strfreev(self->paths);
    g_clear_error(&self->open_error);
    G_OBJECT_CLASS(tsc_viewer_study_parent_class)->finalize(object);
}

static void tsc_viewer_study_class_init(TscViewerStudyClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = tsc_viewer_study_finalize;
}

static void tsc_viewer_study_init(TscViewerStudy *self)
{
    g_mutex_init(&self->lock);
    self->cache = g_hash_table_new(g_direct_hash, g_direct_equal);
    self->stored = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                         (GDestroyNotify)tsc_viewer_stored_free);
    g_queue_init(&self->lru);
}

/* ---- opening ----------------------------------------------------------- */

typedef struct {
    char **paths;
    TscViewerProgress *progress;
} OpenData;

static void open_data_free(OpenData *d)
{
    g_strfreev(d->paths);
    tsc_viewer_progress_unref(d->progress);
    g_free(d);
}

static void open_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
    (void)source;
    OpenData *d = task_data;
    const tsc_plugin_api *api = tsc_viewer_api();
    tsc_dicom_open_params params = api->study_default_params();
    params.progress = d->progress ? tsc_viewer_progress_cb : NULL;
    params.progress_data = d->progress;
    params.cancel = tsc_viewer_cancel_cb;
    params.cancel_data = cancellable;
    tsc_dicom_index *index = NULL;
    tsc_error err = {0};
    gint64 t0 = g_get_monotonic_time();
    tsc_status st = api->study_open((const char *const *)d->paths, g_strv_length(d->paths),
                                    &params, &index, &err);
    if (!index) {
        GError *error = NULL;
        if (st == TSC_ECANCELLED)
            g_set_error_literal(&error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Opening was cancelled");
        else
            tsc_viewer_set_error(&error, st, &err, "The study could not be opened");
        g_task_return_error(task, error);
        return;
    }
    TscViewerStudy *self = g_object_new(TSC_TYPE_VIEWER_STUDY, NULL);
    self->index = index;
    self->paths = g_strdupv(d->paths);
    self->n_series = api->study_n_series(index);
    if (st != TSC_OK) tsc_viewer_set_error(&self->open_error, st, &err, "No images were found");
    g_info("indexed %zu series (%zu skipped files) in %.0f ms", self->n_series,
           api->study_n_skipped(index), (g_get_monotonic_time() - t0) / 1000.0);
    g_task_return_pointer(task, self, g_object_unref);
}

void tsc_viewer_study_open_async(const char *const *paths, TscViewerProgress *progress,
                                 GCancellable *cancellable, GAsyncReadyCallback callback,
                                 gpointer user_data)
{
    g_return_if_fail(paths != NULL && paths[0] != NULL);
    g_autoptr(GTask) task = g_task_new(NULL, cancellable, callback, user_data);
    g_task_set_source_tag(task, tsc_viewer_study_open_async);
    OpenData *d = g_new0(OpenData, 1);
    d->paths = g_strdupv((char **)paths);
    d->progress = progress;
    g_task_set_task_data(task, d, (GDestroyNotify)open_data_free);
    tsc_viewer_pool_run(TSC_VIEWER_POOL_INDEX, task, open_thread);
}

TscViewerStudy *tsc_viewer_study_open_finish(GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(G_IS_TASK(result), NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}

const tsc_dicom_index *tsc_viewer_study_get_index(TscViewerStudy *self)
{
    g_return_val_if_fail(TSC_IS_VIEWER_STUDY(self), NULL);
    return self->index;
}

const char *const *tsc_viewer_study_get_paths(TscViewerStudy *self)
{
    g_return_val_if_fail(TSC_IS_VIEWER_STUDY(self), NULL);
    return (const char *const *)self->paths;
}

const GError *tsc_viewer_study_get_open_error(TscViewerStudy *self)
{
    g_return_val_if_fail(TSC_IS_VIEWER_STUDY(self), NULL);
    return self->open_error;
}

gsize tsc_viewer_study_n_series(TscViewerStudy *self)
{
    g_return_val_if_fail(TSC_IS_VIEWER_STUDY(self), 0);
    return self->n_series;
}

gsize tsc_viewer_study_n_slices(TscViewerStudy *self, gsize series)
{
    g_return_val_if_fail(series < self->n_series, 0);
    return tsc_viewer_api()->study_get_series(self->index, series)->n_slices;
}

/* ---- decoding and the cache -------------------------------------------- */

void tsc_viewer_study_set_focus(TscViewerStudy *self, gsize series, gsize slice)
{
    g_return_if_fail(TSC_IS_VIEWER_STUDY(self));
    g_atomic_int_set(&self->focus_series, (gint)series);
    g_atomic_int_set(&self->focus_slice, (gint)slice);
}

TscViewerImage *tsc_viewer_study_lookup_image(TscViewerStudy *self, gsize series, gsize slice)
{
    g_return_val_if_fail(TSC_IS_VIEWER_STUDY(self), NULL);
    TscViewerImage *found = NULL;
    g_mutex_lock(&self->lock);
    GList *link = g_hash_table_lookup(self->cache, cache_key(series, slice));
    if (link) {
        g_queue_unlink(&self->lru, link);
        g_queue_push_head_link(&self->lru, link);
        found = tsc_viewer_image_ref(link->data);
    }
    g_mutex_unlock(&self->lock);
    return found;
}

gboolean tsc_viewer_study_has_image(TscViewerStudy *self, gsize series, gsize slice)
{
    g_return_val_if_fail(TSC_IS_VIEWER_STUDY(self), FALSE);
    g_mutex_lock(&self->lock);
    gboolean found = g_hash_table_contains(self->cache, cache_key(series, slice));
    g_mutex_unlock(&self->lock);
    return found;
}

static void cache_insert(TscViewerStudy *self, TscViewerImage *im)
{
    g_mutex_lock(&self->lock);
    gpointer key = cache_key(im->series, im->slice);
    if (!g_hash_table_contains(self->cache, key)) {
        g_queue_push_head(&self->lru, tsc_viewer_image_ref(im));
        g_hash_table_insert(self->cache, key, self->lru.head);
        self->cache_bytes += image_bytes(im);
        while (self->lru.length > 1 && (self->lru.length > TSC_VIEWER_CACHE_MAX_SLICES ||
                                        self->cache_bytes > TSC_VIEWER_CACHE_MAX_BYTES)) {
            TscViewerImage *old = g_queue_pop_tail(&self->lru);
            g_hash_table_remove(self->cache, cache_key(old->series, old->slice));
            self->cache_bytes -= image_bytes(old);
            tsc_viewer_image_unref(old);
        }
    }
    g_mutex_unlock(&self->lock);
}

static void compute_brain_window(TscViewerImage *im)
{
    const tsc_dicom_image *d = im->image;
    double lo = d->min_value, hi = d->max_value;
    im->brain_lo = lo;
    im->brain_hi = hi;
    if (!(hi > lo)) return;
    enum { BINS = 1024 };
    guint32 hist[BINS] = {0};
    double scale = (BINS - 1) / (hi - lo);
    double bg = lo + 0.1 * (hi - lo);
    gsize n = (gsize)d->rows * d->cols, count = 0;
    for (gsize i = 0; i < n; i++) {
        float v = d->pixels[i];
        if (!(v > bg)) continue; /* background and NaN */
        hist[(int)((v - lo) * scale)]++;
        count++;
    }
    if (count < 16) return;
    gsize acc = 0, want_lo = count / 100, want_hi = count - count / 200;
    int b_lo = -1, b_hi = BINS - 1;
    for (int b = 0; b < BINS; b++) {
        acc += hist[b];
        if (b_lo < 0 && acc > want_lo) b_lo = b;
        if (acc >= want_hi) {
            b_hi = b;
            break;
        }
    }
    im->brain_lo = lo + b_lo / scale;
    im->brain_hi = lo + (b_hi + 1) / scale;
}

static TscViewerImage *decode_now(TscViewerStudy *self, gsize series, gsize slice, GError **error)
{
    const tsc_plugin_api *api = tsc_viewer_api();
    tsc_dicom_image *image = NULL;
    tsc_error err = {0};
    tsc_status st = api->slice_decode(self->index, series, slice, &image, &err);
    if (st != TSC_OK) {
        g_autofree char *what = g_strdup_printf("Slice %zu of series %zu could not be decoded", slice + 1,
                                     series + 1);
        tsc_viewer_set_error(error, st, &err, what);
        return NULL;
    }
    TscViewerImage *im = g_new0(TscViewerImage, 1);
    g_atomic_ref_count_init(&im->rc);
    im->series = series;
    im->slice = slice;
    im->image = image;
    compute_brain_window(im);
    cache_insert(self, im);
    return im;
}

/* What a task of the decode pool is about: a slice to decode, or the slice
 * a series' thumbnail of `size` pixels is made from. */
typedef struct {
    gsize series, slice;
    int size;
} SliceTask;

static GTask *slice_task_new(TscViewerStudy *self, gpointer source_tag, gsize series, gsize slice,
                             int size, GCancellable *cancellable, GAsyncReadyCallback callback,
                             gpointer user_data)
{
    GTask *task = g_task_new(self, cancellable, callback, user_data);
    g_task_set_source_tag(task, source_tag);
    SliceTask *d = g_new(SliceTask, 1);
    d->series = series;
    d->slice = slice;
    d->size = size;
    g_task_set_task_data(task, d, g_free);
    return task;
}

static void decode_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
    TscViewerStudy *self = source;
    SliceTask *d = task_data;
    TscViewerImage *im = tsc_viewer_study_lookup_image(self, d->series, d->slice);
    if (!im) {
        gsize fs = (gsize)g_atomic_int_get(&self->focus_series);
        gsize fk = (gsize)g_atomic_int_get(&self->focus_slice);
        gsize dist = d->slice > fk ? d->slice - fk : fk - d->slice;
        if (g_cancellable_is_cancelled(cancellable) || fs != d->series ||
            dist > TSC_VIEWER_DECODE_REACH) {
            g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                    "Scrolled past slice %zu", d->slice);
            return;
        }
        GError *error = NULL;
        im = decode_now(self, d->series, d->slice, &error);
        if (!im) {
            g_task_return_error(task, error);
            return;
        }
    }
    g_task_return_pointer(task, im, (GDestroyNotify)tsc_viewer_image_unref);
}

void tsc_viewer_study_decode_async(TscViewerStudy *self, gsize series, gsize slice,
                                   GCancellable *cancellable, GAsyncReadyCallback callback,
                                   gpointer user_data)
{
    g_return_if_fail(TSC_IS_VIEWER_STUDY(self));
    g_autoptr(GTask) task = slice_task_new(self, tsc_viewer_study_decode_async, series, slice, 0,
                                           cancellable, callback, user_data);
    TscViewerImage *im = tsc_viewer_study_lookup_image(self, series, slice);
    if (im) {
        g_task_return_pointer(task, im, (GDestroyNotify)tsc_viewer_image_unref);
    } else {
        tsc_viewer_pool_run(TSC_VIEWER_POOL_DECODE, task, decode_thread);
    }
}

TscViewerImage *tsc_viewer_study_decode_finish(TscViewerStudy *self, GAsyncResult *result,
                                               GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, self), NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}

/* ---- thumbnails -------------------------------------------------------- */

static inline guint8 grey(float v, double lo, double inv)
{
    double t = (v - lo) * inv;
    if (!(t > 0)) return 0; /* also NaN */
    if (t >= 1) return 255;
    return (guint8)(t * 255.0 + 0.5);
}

static void window_bounds(double center, double width, double *lo, double *inv)
{
    if (!(width > 0)) width = 1;
    *lo = center - width / 2;
    *inv = 1.0 / width;
}

cairo_surface_t *tsc_viewer_image_to_surface(const TscViewerImage *image, double center, double width)
{
    g_return_val_if_fail(image != NULL, NULL);
    const tsc_dicom_image *d = image->image;
    double lo, inv;
    window_bounds(center, width, &lo, &inv);
    cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, d->cols, d->rows);
    cairo_surface_flush(surf);
    guint8 *px = cairo_image_surface_get_data(surf);
    gsize stride = (gsize)cairo_image_surface_get_stride(surf);
    for (int y = 0; y < d->rows; y++) {
        const float *src = d->pixels + (gsize)y * d->cols;
        guint32 *dst = (guint32 *)(void *)(px + (gsize)y * stride);
        for (int x = 0; x < d->cols; x++) {
            guint32 g = grey(src[x], lo, inv);
            dst[x] = 0xff000000u | (g << 16) | (g << 8) | g;
        }
    }
    cairo_surface_mark_dirty(surf);
    return surf;
}

static void thumb_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
    TscViewerStudy *self = source;
    SliceTask *d = task_data;
    if (g_task_return_error_if_cancelled(task)) return;
    (void)cancellable;
    GError *error = NULL;
    TscViewerImage *im = tsc_viewer_study_lookup_image(self, d->series, d->slice);
    if (!im) im = decode_now(self, d->series, d->slice, &error);
    if (!im) {
        g_task_return_error(task, error);
        return;
    }
    const tsc_dicom_image *img = im->image;
    /* Physical aspect from the pixel spacing, letterboxed in a square. */
    double wmm = img->cols * img->pixel_spacing[1], hmm = img->rows * img->pixel_spacing[0];
    int S = d->size, w = S, h = S;
    if (wmm > hmm)
        h = MAX(1, (int)lround(S * hmm / wmm));
    else
        w = MAX(1, (int)lround(S * wmm / hmm));
    int ox = (S - w) / 2, oy = (S - h) / 2;
    double lo, inv;
    window_bounds(img->window_center, img->window_width, &lo, &inv);
    guint8 *px = g_malloc0((gsize)S * S * 4);
    for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++) ((guint32 *)(void *)px)[y * S + x] = 0xff000000u;
    for (int y = 0; y < h; y++) {
        int y0 = (int)((double)y * img->rows / h), y1 = MAX(y0 + 1, (int)((double)(y + 1) * img->rows / h));
        for (int x = 0; x < w; x++) {
            int x0 = (int)((double)x * img->cols / w), x1 = MAX(x0 + 1, (int)((double)(x + 1) * img->cols / w));
            /* Box filter: the average of the source pixels under this one. */
            double sum = 0;
            int cnt = 0;
            for (int yy = y0; yy < y1 && yy < img->rows; yy++)
                for (int xx = x0; xx < x1 && xx < img->cols; xx++) {
                    float v = img->pixels[(gsize)yy * img->cols + xx];
                    if (v == v) {
                        sum += v;
                        cnt++;
                    }
                }
            guint32 g = grey(cnt ? (float)(sum / cnt) : 0.0f, lo, inv);
            ((guint32 *)(void *)px)[(oy + y) * S + ox + x] = 0xff000000u | (g << 16) | (g << 8) | g;
        }
    }
    tsc_viewer_image_unref(im);
    GBytes *bytes = g_bytes_new_take(px, (gsize)S * S * 4);
    GdkTexture *t = gdk_memory_texture_new(S, S, GDK_MEMORY_DEFAULT, bytes, (gsize)S * 4);
    g_bytes_unref(bytes);
    g_task_return_pointer(task, t, g_object_unref);
}

void tsc_viewer_study_thumbnail_async(TscViewerStudy *self, gsize series, int size,
                                      GCancellable *cancellable, GAsyncReadyCallback callback,
                                      gpointer user_data)
{
    g_return_if_fail(TSC_IS_VIEWER_STUDY(self));
    /* The middle slice stands for the series. */
    gsize middle = tsc_viewer_study_n_slices(self, series) / 2;
    g_autoptr(GTask) task = slice_task_new(self, tsc_viewer_study_thumbnail_async, series, middle,
                                           size, cancellable, callback, user_data);
    tsc_viewer_pool_run(TSC_VIEWER_POOL_DECODE, task, thumb_thread);
}

GdkTexture *tsc_viewer_study_thumbnail_finish(TscViewerStudy *self, GAsyncResult *result,
                                              GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, self), NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}

/* ---- results ----------------------------------------------------------- */

static void series_ref_clear(gpointer data)
{
    TscViewerSeriesRef *ref = data;
    tsc_viewer_api()->series_result_free(ref->result);
}

TscViewerSeriesRef *tsc_viewer_series_ref_acquire(TscViewerSeriesRef *ref)
{
    g_return_val_if_fail(ref != NULL, NULL);
    return g_atomic_rc_box_acquire(ref);
}

void tsc_viewer_series_ref_release(TscViewerSeriesRef *ref)
{
    if (ref) g_atomic_rc_box_release_full(ref, series_ref_clear);
}

static SeriesResults *series_results(TscViewerStudy *self, int method, gsize series, gboolean create)
{
    g_return_val_if_fail(method >= 0 && method < N_METHODS && series < self->n_series, NULL);
    if (!self->results[method]) {
        if (!create) return NULL;
        self->results[method] = g_new0(SeriesResults, self->n_series);
    }
    SeriesResults *sr = &self->results[method][series];
    if (!sr->slices && create) sr->slices = g_new0(tsc_result *, tsc_viewer_study_n_slices(self, series));
    return sr;
}

const tsc_result *tsc_viewer_study_get_result(TscViewerStudy *self, int method, gsize series,
                                              gsize slice)
{
    g_return_val_if_fail(TSC_IS_VIEWER_STUDY(self), NULL);
    SeriesResults *sr = series_results(self, method, series, FALSE);
    if (!sr) return NULL;
    if (sr->slices && sr->slices[slice]) return sr->slices[slice];
    const tsc_plugin_api *api = tsc_viewer_api();
    if (sr->ref && slice < api->series_result_n_slices(sr->ref->result))
        return api->series_result_get_slice(sr->ref->result, slice);
    return NULL;
}

void tsc_viewer_study_take_result(TscViewerStudy *self, int method, gsize series, gsize slice,
                                  tsc_result *r)
{
    SeriesResults *sr = series_results(self, method, series, TRUE);
    g_return_if_fail(slice < tsc_viewer_study_n_slices(self, series));
    if (sr->slices[slice]) tsc_viewer_api()->result_free(sr->slices[slice]);
    sr->slices[slice] = r;
}

const tsc_series_result *tsc_viewer_study_get_series_result(TscViewerStudy *self, int method,
                                                            gsize series)
{
    g_return_val_if_fail(TSC_IS_VIEWER_STUDY(self), NULL);
    SeriesResults *sr = series_results(self, method, series, FALSE);
    return sr && sr->ref ? sr->ref->result : NULL;
}

TscViewerSeriesRef *tsc_viewer_study_ref_series_result(TscViewerStudy *self, int method,
                                                       gsize series)
{
    g_return_val_if_fail(TSC_IS_VIEWER_STUDY(self), NULL);
    SeriesResults *sr = series_results(self, method, series, FALSE);
    return sr && sr->ref ? tsc_viewer_series_ref_acquire(sr->ref) : NULL;
}

void tsc_viewer_study_take_series_result(TscViewerStudy *self, int method, gsize series,
                                         tsc_series_result *r)
{
    g_return_if_fail(TSC_IS_VIEWER_STUDY(self));
    const tsc_plugin_api *api = tsc_viewer_api();
    SeriesResults *sr = series_results(self, method, series, TRUE);
    gsize n = MIN(tsc_viewer_study_n_slices(self, series), api->series_result_n_slices(r));
    if (sr->ref) {
        /* Slices the old result had but the new one lacks (a cancelled rerun)
         * become slice results: result_dup is there for such caches. */
        for (gsize k = 0; k < n; k++) {
            const tsc_result *old = api->series_result_get_slice(sr->ref->result, k);
            if (old && !api->series_result_get_slice(r, k) && !sr->slices[k])
                sr->slices[k] = api->result_dup(old);
        }
        tsc_viewer_series_ref_release(sr->ref);
    }
    /* The series result now answers for its slices: drop the duplicates. */
    for (gsize k = 0; k < n; k++)
        if (sr->slices[k] && api->series_result_get_slice(r, k)) {
            api->result_free(sr->slices[k]);
            sr->slices[k] = NULL;
        }
    sr->ref = g_atomic_rc_box_new0(TscViewerSeriesRef);
    sr->ref->result = r;
}

const char *tsc_viewer_study_get_slice_error(TscViewerStudy *self, int method, gsize series,
                                             gsize slice)
{
    g_return_val_if_fail(TSC_IS_VIEWER_STUDY(self), "");
    SeriesResults *sr = series_results(self, method, series, FALSE);
    if (!sr || !sr->ref) return NULL;
    const tsc_plugin_api *api = tsc_viewer_api();
    if (slice >= api->series_result_n_slices(sr->ref->result)) return NULL;
    if (api->series_result_get_slice(sr->ref->result, slice)) return NULL;
    if (sr->slices && sr->slices[slice]) return NULL;
    return api->series_result_get_error(sr->ref->result, slice);
}

/* ---- results stored with the study -------------------------------------- */

void tsc_viewer_stored_free(TscViewerStored *s)
{
    if (!s) return;
    if (s->result) tsc_viewer_api()->series_result_free(s->result);
    g_free(s->series_uid);
    g_free(s->provenance);
    g_free(s);
}

void tsc_viewer_study_take_stored(TscViewerStudy *self, TscViewerStored *stored)
{
    g_return_if_fail(TSC_IS_VIEWER_STUDY(self) && stored && stored->series_uid);
    /* The key lives in the value: replacing frees the old one with its key. */
    g_hash_table_replace(self->stored, stored->series_uid, stored);
}

const TscViewerStored *tsc_viewer_study_get_stored(TscViewerStudy *self, gsize series)
{
    g_return_val_if_fail(TSC_IS_VIEWER_STUDY(self), NULL);
    if (!self->index || series >= self->n_series) return NULL;
    const tsc_dicom_series_info *si = tsc_viewer_api()->study_get_series(self->index, series);
    return g_hash_table_lookup(self->stored, si->series_uid);
}

const tsc_series_result *tsc_viewer_study_get_shown_series_result(TscViewerStudy *self, int method,
                                                                  gsize series, gboolean *stored)
{
    g_return_val_if_fail(TSC_IS_VIEWER_STUDY(self), NULL);
    if (stored) *stored = FALSE;
    const tsc_series_result *own = tsc_viewer_study_get_series_result(self, method, series);
    if (own) return own;
    const TscViewerStored *st = tsc_viewer_study_get_stored(self, series);
    if (!st || !st->result) return NULL;
    if (stored) *stored = TRUE;
    return st->result;
}

const tsc_result *tsc_viewer_study_get_shown_result(TscViewerStudy *self, int method, gsize series,
                                                    gsize slice, gboolean *stored)
{
    g_return_val_if_fail(TSC_IS_VIEWER_STUDY(self), NULL);
    if (stored) *stored = FALSE;
    const tsc_result *own = tsc_viewer_study_get_result(self, method, series, slice);
    if (own || tsc_viewer_study_get_series_result(self, method, series)) return own;
    const TscViewerStored *st = tsc_viewer_study_get_stored(self, series);
    const tsc_plugin_api *api = tsc_viewer_api();
    if (!st || !st->result || slice >= api->series_result_n_slices(st->result)) return NULL;
    if (stored) *stored = TRUE;
    return api->series_result_get_slice(st->result, slice);
}
