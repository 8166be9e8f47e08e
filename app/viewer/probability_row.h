/* SPDX-License-Identifier: BSD-3-Clause */
/* TscProbabilityRow: one class probability in the findings panel
 * (probability_row.ui): the class with its colour, a bar and the
 * percentage as the reports print it. */
#ifndef TSC_PROBABILITY_ROW_H
#define TSC_PROBABILITY_ROW_H

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define TSC_TYPE_PROBABILITY_ROW (tsc_probability_row_get_type())
G_DECLARE_FINAL_TYPE(TscProbabilityRow, tsc_probability_row, TSC, PROBABILITY_ROW, GtkBox)

GtkWidget *tsc_probability_row_new(void);
/* `name` is plain text, shown after a square of `rgb` (0xRRGGBB), in bold
 * when `top`; `p` in [0, 1]. */
void tsc_probability_row_set(TscProbabilityRow *self, const char *name, guint32 rgb, gboolean top, double p);
/* The class name's label (borrowed), to align the names of several rows. */
GtkWidget *tsc_probability_row_get_name_label(TscProbabilityRow *self);

G_END_DECLS
#endif
