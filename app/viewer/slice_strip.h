/* SPDX-License-Identifier: BSD-3-Clause */
/* TscSliceStrip: one cell per slice under the image, coloured by the
 * slice's analysis (tumour type, no tumour, inconclusive, failed), with the
 * current slice marked.  Clicking or dragging jumps to a slice. */
#ifndef TSC_SLICE_STRIP_H
#define TSC_SLICE_STRIP_H

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define TSC_TYPE_SLICE_STRIP (tsc_slice_strip_get_type())
G_DECLARE_FINAL_TYPE(TscSliceStrip, tsc_slice_strip, TSC, SLICE_STRIP, GtkWidget)

/* Cell states. */
typedef enum {
    TSC_STRIP_NONE,     /* not analysed */
    TSC_STRIP_RESULT,   /* analysed: coloured with the cell's colour */
    TSC_STRIP_TUMOR,    /* analysed, tumour: coloured and raised */
    TSC_STRIP_FAILED
} TscStripState;

GtkWidget *tsc_slice_strip_new(void);
void tsc_slice_strip_set_n_slices(TscSliceStrip *self, gsize n);
void tsc_slice_strip_set_cell(TscSliceStrip *self, gsize slice, TscStripState state,
                              guint32 rgb, const char *tooltip);
void tsc_slice_strip_clear(TscSliceStrip *self);
void tsc_slice_strip_set_current(TscSliceStrip *self, gsize slice);
/* The tooltip of slice `slice`'s cell, as shown ("Slice 4: Glioma 97.3%"). */
char *tsc_slice_strip_dup_tooltip(TscSliceStrip *self, gsize slice);
/* The colour drawn for the cell (0xRRGGBB; G_MAXUINT32: not analysed). */
guint32 tsc_slice_strip_get_cell_color(TscSliceStrip *self, gsize slice);
/* Centre of slice `slice`'s cell, in the strip's coordinates. */
double tsc_slice_strip_cell_center(TscSliceStrip *self, gsize slice);

G_END_DECLS
#endif
