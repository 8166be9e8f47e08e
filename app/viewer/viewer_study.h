/* SPDX-License-Identifier: BSD-3-Clause */
/* TscViewerStudy: an opened study (the plugin's tsc_dicom_index) with the
 * viewer's caches: decoded slices (LRU, thread-safe), thumbnails and
 * analysis results per method, series and slice (main thread).
 *
 * Background jobs hold a reference on the study, so the index outlives
 * every job that reads it even when the user opens another study. */
#ifndef TSC_VIEWER_STUDY_H
#define TSC_VIEWER_STUDY_H

#include <gtk/gtk.h>

#include "viewer_api.h"
#include "viewer_pool.h"

G_BEGIN_DECLS

/* Decoded-slice cache: at most this many slices or bytes, whichever comes
 * first (a 512x512 slice is 1 MiB of float32). */
#define TSC_VIEWER_CACHE_MAX_SLICES 96
#define TSC_VIEWER_CACHE_MAX_BYTES (256u << 20)
/* Decode jobs further than this from the slice on screen are dropped: the
 * user has scrolled past them. */
#define TSC_VIEWER_DECODE_REACH 4

/* One decoded slice, immutable and shared between threads. */
typedef struct TscViewerImage {
    gatomicrefcount rc;
    gsize series, slice;
    tsc_dicom_image *image; /* plugin-owned, freed with api->image_free */
    /* "Brain" window for MR: 1st to 99.5th percentile of the pixels above the
     * background (the head), computed once off the main thread. */
    double brain_lo, brain_hi;
} TscViewerImage;

TscViewerImage *tsc_viewer_image_ref(TscViewerImage *image);
void tsc_viewer_image_unref(TscViewerImage *image);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TscViewerImage, tsc_viewer_image_unref)

#define TSC_TYPE_VIEWER_STUDY (tsc_viewer_study_get_type())
G_DECLARE_FINAL_TYPE(TscViewerStudy, tsc_viewer_study, TSC, VIEWER_STUDY, GObject)

/* Opens `paths` on the INDEX pool.  Progress (files done/total) goes to
 * `progress` on the main thread.  The study is returned whenever the plugin
 * returned an index, even when nothing readable was found (its
 * get_open_error() then says why and the skipped files can be listed). */
void tsc_viewer_study_open_async(const char *const *paths, TscViewerProgress *progress,
                                 GCancellable *cancellable, GAsyncReadyCallback callback,
                                 gpointer user_data);
TscViewerStudy *tsc_viewer_study_open_finish(GAsyncResult *result, GError **error);

const tsc_dicom_index *tsc_viewer_study_get_index(TscViewerStudy *self);
/* The paths the study was opened from (borrowed). */
const char *const *tsc_viewer_study_get_paths(TscViewerStudy *self);
/* Why opening found nothing readable; NULL when it found slices. */
const GError *tsc_viewer_study_get_open_error(TscViewerStudy *self);
gsize tsc_viewer_study_n_series(TscViewerStudy *self);
gsize tsc_viewer_study_n_slices(TscViewerStudy *self, gsize series);

/* The slice the user looks at: decode jobs far from it are dropped. */
void tsc_viewer_study_set_focus(TscViewerStudy *self, gsize series, gsize slice);
/* A cached decoded slice (new reference) or NULL; any thread. */
TscViewerImage *tsc_viewer_study_lookup_image(TscViewerStudy *self, gsize series, gsize slice);
/* Whether slice `slice` is in the cache (does not count as a use). */
gboolean tsc_viewer_study_has_image(TscViewerStudy *self, gsize series, gsize slice);
/* Decodes on the DECODE pool (immediately from the cache when there).
 * Fails with G_IO_ERROR_CANCELLED when the job was dropped. */
void tsc_viewer_study_decode_async(TscViewerStudy *self, gsize series, gsize slice,
                                   GCancellable *cancellable, GAsyncReadyCallback callback,
                                   gpointer user_data);
TscViewerImage *tsc_viewer_study_decode_finish(TscViewerStudy *self, GAsyncResult *result,
                                               GError **error);
/* A square thumbnail of the series' middle slice, `size` pixels, on the
 * DECODE pool. */
void tsc_viewer_study_thumbnail_async(TscViewerStudy *self, gsize series, int size,
                                      GCancellable *cancellable, GAsyncReadyCallback callback,
                                      gpointer user_data);
GdkTexture *tsc_viewer_study_thumbnail_finish(TscViewerStudy *self, GAsyncResult *result,
                                              GError **error);

/* Results (main thread).  A slice's result comes from a slice analysis or,
 * failing that, from the series analysis of the same method. */
const tsc_result *tsc_viewer_study_get_result(TscViewerStudy *self, int method, gsize series,
                                              gsize slice);
/* Takes ownership of `r`. */
void tsc_viewer_study_take_result(TscViewerStudy *self, int method, gsize series, gsize slice,
                                  tsc_result *r);
const tsc_series_result *tsc_viewer_study_get_series_result(TscViewerStudy *self, int method,
                                                            gsize series);
/* A series result shared with jobs that outlive its replacement (exports). */
typedef struct TscViewerSeriesRef {
    tsc_series_result *result; /* owned */
} TscViewerSeriesRef;
TscViewerSeriesRef *tsc_viewer_series_ref_acquire(TscViewerSeriesRef *ref);
void tsc_viewer_series_ref_release(TscViewerSeriesRef *ref);
/* New reference, or NULL when the series was not analysed with `method`. */
TscViewerSeriesRef *tsc_viewer_study_ref_series_result(TscViewerStudy *self, int method,
                                                       gsize series);
/* Takes ownership of `r`; replaces an earlier one.  Slices the earlier one
 * had and `r` lacks (a cancelled rerun) are kept. */
void tsc_viewer_study_take_series_result(TscViewerStudy *self, int method, gsize series,
                                         tsc_series_result *r);
/* The failure of slice `slice` in the series analysis, or NULL. */
const char *tsc_viewer_study_get_slice_error(TscViewerStudy *self, int method, gsize series,
                                             gsize slice);

/* A result stored with the study for one series (tumorscope's own SEG and
 * SR, rebuilt by the plugin's study_stored_result), or the note on one that
 * is not ours.  Kept by series UID. */
typedef struct TscViewerStored {
    char *series_uid;
    tsc_series_result *result; /* owned; NULL: not ours, shown as stored text only */
    tsc_stored_result_info info;
    char *
        provenance; /* "Stored result · tsc_unet128_v2 2.0.0 · 2026-12-04 01:19 · from the archive" */
} TscViewerStored;

void tsc_viewer_stored_free(TscViewerStored *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TscViewerStored, tsc_viewer_stored_free)

/* Takes ownership of `stored`; replaces an earlier one of its series. */
void tsc_viewer_study_take_stored(TscViewerStudy *self, TscViewerStored *stored);
/* The stored result of `series` (borrowed), or NULL. */
const TscViewerStored *tsc_viewer_study_get_stored(TscViewerStudy *self, gsize series);
/* What is shown for `series` with `method`: its own analysis when there is
 * one (a local series result replaces a stored one; a slice analysed here
 * replaces that slice), else the stored result when it was rebuilt.
 * *stored (may be NULL) says whether the stored one is shown. */
const tsc_result *tsc_viewer_study_get_shown_result(TscViewerStudy *self, int method, gsize series,
                                                    gsize slice, gboolean *stored);
const tsc_series_result *tsc_viewer_study_get_shown_series_result(TscViewerStudy *self, int method,
                                                                  gsize series, gboolean *stored);

/* Maps window values to 8-bit grey (linear VOI) into a cairo ARGB32 image
 * surface (new reference). */
cairo_surface_t *tsc_viewer_image_to_surface(const TscViewerImage *image, double center, double width);

G_END_DECLS
#endif
