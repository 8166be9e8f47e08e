/* SPDX-License-Identifier: BSD-3-Clause */
/* TscMeasurementList: the reader's measurements of the series on screen in
 * the findings column, one row each ("Slice 13 · Ruler 23.4 mm") with a
 * button to its slice (win.goto-slice) and one that deletes it
 * (win.delete-measurement).  Hidden while there are none. */
#ifndef TSC_MEASUREMENT_LIST_H
#define TSC_MEASUREMENT_LIST_H

#include <gtk/gtk.h>

#include "measurements.h"

G_BEGIN_DECLS

#define TSC_TYPE_MEASUREMENT_LIST (tsc_measurement_list_get_type())
G_DECLARE_FINAL_TYPE(TscMeasurementList, tsc_measurement_list, TSC, MEASUREMENT_LIST, GtkBox)

/* Follows `store` (a reference is kept), values shown in `unit`. */
void tsc_measurement_list_set_store(TscMeasurementList *self, TscMeasurements *store);
void tsc_measurement_list_set_unit(TscMeasurementList *self, const char *unit);
/* Rows shown, and the text of row `i` ("" past the end; borrowed). */
int tsc_measurement_list_n_rows(TscMeasurementList *self);
const char *tsc_measurement_list_get_row_text(TscMeasurementList *self, int i);

G_END_DECLS
#endif
