/* SPDX-License-Identifier: BSD-3-Clause */
/* The slice view's reading tools (slice_view.c keeps the image, overlay
 * and navigation; this file the measuring on top of them): drawing a ruler,
 * ellipse or freehand ROI with the left button, and the measurements of
 * the slice on screen drawn over the image; the pixel probe and the scale
 * bar.  Private to TscSliceView. */
#ifndef TSC_SLICE_VIEW_TOOLS_H
#define TSC_SLICE_VIEW_TOOLS_H

#include <gtk/gtk.h>

#include "measurements.h"
#include "slice_view.h"
#include "viewer_study.h"

G_BEGIN_DECLS

typedef enum {
    TSC_TOOL_NONE,
    TSC_TOOL_RULER,
    TSC_TOOL_ELLIPSE,
    TSC_TOOL_FREEHAND,
    TSC_TOOL_PROBE,
    TSC_TOOL_BRUSH,  /* the reader's corrections: a stroke that adds tumour */
    TSC_TOOL_ERASER, /* ... or removes it (viewer_window_edits.c) */
} TscViewTool;

typedef struct {
    TscViewTool tool;
    TscMeasurements *store; /* owned reference; NULL: none */
    char *series_uid, *unit;
    gulong changed_handler;
    GArray *draft; /* double (x, y) pairs of the measurement being drawn */
    gboolean drawing;
    /* The probe: the image point under the pointer (or set by win.probe)
     * and the line drawn for it ("" when none). */
    gboolean probe_valid;
    double probe_x, probe_y;
    char *probe_text;
    /* The scale bar as last drawn: its length in mm and pixels (0: none). */
    gboolean show_scale_bar;
    double scale_bar_mm, scale_bar_px;
} TscSliceTools;

/* "none", "ruler", "ellipse", "freehand", "probe", "brush", "eraser"; -1
 * when unknown.  A brush or eraser drag ends as kind "brush"/"eraser" with
 * its polyline (a click: one point). */
int tsc__view_tool_from_string(const char *s);
const char *tsc__view_tool_to_string(TscViewTool tool);

void tsc__slice_tools_init(TscSliceTools *t);
void tsc__slice_tools_dispose(TscSliceTools *t);
/* Whether a left drag draws a measurement (instead of window/level). */
gboolean tsc__slice_tools_draws(const TscSliceTools *t);
/* A left drag in image pixel coordinates (clamped to the image). */
void tsc__slice_tools_begin(TscSliceTools *t, double ix, double iy);
void tsc__slice_tools_update(TscSliceTools *t, double ix, double iy);
/* Ends the drag: the measurement drawn as its kind and an "ad" of its
 * points (floating), or FALSE when nothing was drawn. */
gboolean tsc__slice_tools_end(TscSliceTools *t, const char **kind, GVariant **points);
/* The orientation letters of the view's edges (left, right, top, bottom)
 * for ImageOrientationPatient `iop` turned `rotation` quarter turns
 * clockwise after a left-right mirror when `flip`. */
void tsc__edge_letters(const double iop[6], int rotation, gboolean flip, char out[4][4]);
/* The view's tools (slice_view.c). */
TscSliceTools *tsc__slice_view_get_tools(TscSliceView *self);
/* Draws the measurements of the slice on screen, the one being drawn and
 * the probe; `bounds` is the view. */
void tsc__slice_tools_snapshot(TscSliceTools *t, TscSliceView *view, GtkSnapshot *s,
                               const graphene_rect_t *bounds);
/* The scale bar, bottom left above the corner text band of height
 * `bottom`: a round length in mm of at most 120 screen pixels. */
void tsc__slice_tools_snapshot_scale_bar(TscSliceTools *t, TscSliceView *view, GtkSnapshot *s,
                                         double h, double bottom);

G_END_DECLS
#endif
