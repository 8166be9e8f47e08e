/* SPDX-License-Identifier: BSD-3-Clause */
/* viewer_seg: a stored DICOM SEG (a result computed elsewhere, e.g. on the
 * PACS, or an earlier `tumorscope analyze --dicom`) mapped onto the slices
 * of the series it belongs to, for the slice view's outline overlay.
 *
 * A SEG belongs to a series when its ReferencedSeriesSequence names the
 * series' SeriesInstanceUID, or when it shares the series' frame of
 * reference and its frames lie on the series' slices.  Each frame goes to
 * the slice whose SOPInstanceUID (and frame) it references, else to the slice
 * whose location along the normal is within half a slice spacing of the
 * frame's position.  Frames of one slice (several segments) are merged. */
#ifndef TSC_VIEWER_SEG_H
#define TSC_VIEWER_SEG_H

#include <gio/gio.h>

#include "viewer_study.h"

G_BEGIN_DECLS

typedef struct {
    gsize series;      /* the series the masks are for */
    int rows, cols;
    gsize n_slices;
    guint8 **masks;    /* per slice: rows*cols bytes (nonzero inside), NULL: no frame */
    gsize n_frames_mapped;
    char *label;       /* SeriesDescription of the SEG, else its first segment's label */
} TscViewerSegMasks;

void tsc_viewer_seg_masks_free(TscViewerSegMasks *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TscViewerSegMasks, tsc_viewer_seg_masks_free)

/* Whether a SEG of the study belongs to `series` (metadata only; cheap). */
gboolean tsc_viewer_seg_exists(TscViewerStudy *study, gsize series);

/* Finds the first SEG that belongs to `series` and decodes its frames on the
 * decode pool.  _finish returns the masks (NULL with no error when no SEG
 * belongs to the series; NULL with `error` when decoding failed). */
void tsc_viewer_seg_load_async(TscViewerStudy *study, gsize series, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer data);
TscViewerSegMasks *tsc_viewer_seg_load_finish(TscViewerStudy *study, GAsyncResult *res,
                                              GError **error);

/* The newest structured report stored with the study about `series` (the
 * Orthanc plugin's TID 1500 report, another tool's SR) as two lines for the
 * findings panel: its finding (else its title), then what made it and when
 * ("tumorscope 0.1.0; tsc_unet128_v2 2.0.0 · 2026-12-04 01:19 · 3
 * measurements").  NULL when there is none.  Metadata only; cheap. */
char *tsc_viewer_stored_report_text(TscViewerStudy *study, gsize series);

/* Rebuilds the results stored with the study (api->study_stored_result) for
 * every series that has a SEG or an SR about it, on the decode pool, with
 * `model` for the tumour types (the application's; it outlives the job).
 * _finish returns a GPtrArray of TscViewerStored (free with
 * g_ptr_array_unref), with their provenance line; a series whose SEG
 * cannot be decoded gets a TscViewerStored without a result and the error
 * in its note. */
void tsc_viewer_stored_load_async(TscViewerStudy *study, const tsc_model *model,
                                  GCancellable *cancellable, GAsyncReadyCallback callback,
                                  gpointer data);
GPtrArray *tsc_viewer_stored_load_finish(TscViewerStudy *study, GAsyncResult *res, GError **error);

G_END_DECLS
#endif
