/* SPDX-License-Identifier: BSD-3-Clause */
/* TscSliceView: one slice at native resolution with its physical aspect,
 * the plugin's overlay on top, corner text and orientation letters.
 *
 * Input: wheel / arrows / Page Up/Down step through slices (the "step"
 * signal: the window owns the slice index), right-drag sets window/level,
 * and so does left-drag unless "left-drag-window-level" is off,
 * Ctrl+wheel zooms about the pointer, middle-drag pans, double-click or F
 * fits, a left click (a press and release that moved under
 * TSC_SLICE_VIEW_CLICK_SLOP pixels) emits "clicked" with image pixel
 * coordinates.
 *
 * With a measuring tool ("tool": ruler, ellipse, freehand) a left drag
 * draws a measurement instead, emitting "measured" with its kind and
 * points; a click then never analyses.
 *
 * A stored DICOM SEG mask of the slice on screen (set_seg) is drawn as a
 * cyan outline under our own overlay, with its label; "show-seg" hides it. */
#ifndef TSC_SLICE_VIEW_H
#define TSC_SLICE_VIEW_H

#include <gtk/gtk.h>

#include "measurements.h"
#include "viewer_study.h"

G_BEGIN_DECLS

#define TSC_TYPE_SLICE_VIEW (tsc_slice_view_get_type())
G_DECLARE_FINAL_TYPE(TscSliceView, tsc_slice_view, TSC, SLICE_VIEW, GtkWidget)

typedef enum {
    TSC_WINDOW_HEADER, /* the slice's own VOI window (min/max when it has none) */
    TSC_WINDOW_BRAIN,  /* CT: C40 W80; MR: 1st-99.5th percentile of the head */
    TSC_WINDOW_MINMAX,
    TSC_WINDOW_CUSTOM  /* set by right-drag */
} TscWindowPreset;

GtkWidget *tsc_slice_view_new(void);

/* The slice to show (NULL: none).  Keeps zoom, pan and window. */
void tsc_slice_view_set_image(TscSliceView *self, TscViewerImage *image);
TscViewerImage *tsc_slice_view_get_image(TscSliceView *self);
/* Per series: modality (for the brain window) and ImageOrientationPatient
 * (for the letters; NULL: none).  Resets window, zoom and pan. */
void tsc_slice_view_set_series(TscSliceView *self, const char *modality, const double *iop);
/* The overlay for the image on screen (borrowed; NULL: none). */
void tsc_slice_view_set_result(TscSliceView *self, const tsc_model *model, const tsc_result *r);
/* The result whose overlay is drawn (borrowed; NULL: none). */
const tsc_result *tsc_slice_view_get_result(TscSliceView *self);
/* Corner text lines ("\n"-separated, may be NULL). */
void tsc_slice_view_set_corner_text(TscSliceView *self, const char *top_left,
                                    const char *top_right, const char *bottom_right);
/* A line drawn at the bottom centre ("Analysing slice…"); NULL clears it. */
void tsc_slice_view_set_status(TscSliceView *self, const char *status);

/* A left press and release that moved less than this (pixels) is a click. */
#define TSC_SLICE_VIEW_CLICK_SLOP 4.0

/* The stored SEG mask(s) of the image on screen, already merged:
 * rows*cols bytes, nonzero inside (copied); NULL clears.  `label` is drawn
 * as "SEG: <label> (stored result)". */
void tsc_slice_view_set_seg(TscSliceView *self, const guint8 *mask, int rows, int cols,
                            const char *label);
/* Whether a SEG outline is drawn now (set, matching the image, shown). */
gboolean tsc_slice_view_get_seg_drawn(TscSliceView *self);
/* The label line drawn with it ("" when none). */
const char *tsc_slice_view_get_seg_label(TscSliceView *self);

/* The measurements to draw: those of `series_uid` on the slice shown, with
 * their values in `unit` ("" for none).  The view keeps a reference on
 * `store` and redraws when it changes. */
void tsc_slice_view_set_measurements(TscSliceView *self, TscMeasurements *store,
                                     const char *series_uid, const char *unit);

/* The probe (tool "probe") at image point (x, y), as when the pointer
 * hovers there; and the line it draws ("" when none: another tool, or
 * off the image). */
void tsc_slice_view_set_probe(TscSliceView *self, double x, double y);
const char *tsc_slice_view_get_probe_text(TscSliceView *self);
/* The scale bar as last drawn: mm, and its length in view pixels (0 when
 * none is drawn; property "show-scale-bar"). */
double tsc_slice_view_get_scale_bar(TscSliceView *self, double *pixels);

/* A window of the user's (a saved preset), as a drag would set it. */
void tsc_slice_view_set_window(TscSliceView *self, double center, double width);
void tsc_slice_view_set_window_preset(TscSliceView *self, TscWindowPreset preset);
void tsc_slice_view_get_window(TscSliceView *self, double *center, double *width);
void tsc_slice_view_fit(TscSliceView *self);

/* The transformation from image pixel coordinates to the view's (zoom, pan,
 * "rotation" and "flip"); FALSE when no image is shown. */
gboolean tsc_slice_view_get_image_matrix(TscSliceView *self, cairo_matrix_t *m);
/* Where the image is drawn (its bounding box), in the view's coordinates;
 * FALSE when none. */
gboolean tsc_slice_view_get_image_rect(TscSliceView *self, graphene_rect_t *rect);
typedef enum {
    TSC_SLICE_VIEW_TEXT_TOP_LEFT,
    TSC_SLICE_VIEW_TEXT_TOP_RIGHT,
    TSC_SLICE_VIEW_TEXT_BOTTOM_LEFT,
    TSC_SLICE_VIEW_TEXT_BOTTOM_RIGHT,
    TSC_SLICE_VIEW_TEXT_LETTER_LEFT,
    TSC_SLICE_VIEW_TEXT_LETTER_RIGHT,
    TSC_SLICE_VIEW_TEXT_LETTER_TOP,
    TSC_SLICE_VIEW_TEXT_LETTER_BOTTOM,
    TSC_SLICE_VIEW_N_TEXTS
} TscSliceViewText;
/* Where a corner text or orientation letter was last drawn (view
 * coordinates) and whether its lines were cut to fit; FALSE when it is not
 * drawn.  Corner texts never overlap each other or the letters. */
gboolean tsc_slice_view_get_text_rect(TscSliceView *self, TscSliceViewText which, graphene_rect_t *rect,
                                      gboolean *ellipsized);
/* The slice index last drawn and when (monotonic µs), for latency checks. */
gssize tsc_slice_view_get_painted_slice(TscSliceView *self, gint64 *when);

G_END_DECLS
#endif
