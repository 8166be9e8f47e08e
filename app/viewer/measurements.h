/* SPDX-License-Identifier: BSD-3-Clause */
/* TscMeasurements: the reader's own measurements (ruler, ellipse and
 * freehand ROIs) of the series on screen, keyed by series UID and slice.
 *
 * Points are image pixel coordinates: (0, 0) is the top-left corner of the
 * first pixel, so pixel (c, r) has its centre at (c + 0.5, r + 0.5).
 * Lengths are in mm and areas in mm² (from the slice's pixel spacing);
 * mean, SD, min and max are in the image's own units: the decoded values
 * after the modality LUT (rescale slope and intercept), e.g. HU for CT.
 * A ROI's statistics cover the pixels whose centre lies inside it. */
#ifndef TSC_MEASUREMENTS_H
#define TSC_MEASUREMENTS_H

#include <gtk/gtk.h>

#include "viewer_api.h"

G_BEGIN_DECLS

typedef enum {
    TSC_MEASURE_RULER,    /* two points */
    TSC_MEASURE_ELLIPSE,  /* two opposite corners of its bounding box */
    TSC_MEASURE_FREEHAND, /* a closed polygon of at least three points */
} TscMeasureKind;

typedef struct {
    guint id; /* unique within the store, never reused */
    TscMeasureKind kind;
    char *series_uid;
    gsize slice;
    double *xy; /* n_points (x, y) pairs */
    gsize n_points;
    double length_mm; /* ruler: its length; ROIs: their perimeter */
    double area_mm2;  /* ROIs */
    gsize n_pixels;   /* ROIs: pixels inside; 0 means no statistics */
    double mean, sd, min, max;
} TscMeasurement;

/* The index of `s` in `names` (n of them), -1 when absent. */
int tsc_measure_name_index(const char *const *names, gsize n, const char *s);
/* "ruler", "ellipse", "freehand"; -1 for anything else. */
int tsc_measure_kind_from_string(const char *s);
const char *tsc_measure_kind_to_string(TscMeasureKind kind);

#define TSC_TYPE_MEASUREMENTS (tsc_measurements_get_type())
G_DECLARE_FINAL_TYPE(TscMeasurements, tsc_measurements, TSC, MEASUREMENTS, GObject)

/* Emits "changed" after every add, remove and clear. */
TscMeasurements *tsc_measurements_new(void);
/* Measures `image` (the decoded slice `slice` of series `series_uid`) and
 * keeps the result; returns it (borrowed), or NULL when the points do not
 * make one (too few, or of zero length or area). */
const TscMeasurement *tsc_measurements_add(TscMeasurements *self, TscMeasureKind kind,
                                           const char *series_uid, gsize slice,
                                           const tsc_dicom_image *image, const double *xy,
                                           gsize n_points);
gboolean tsc_measurements_remove(TscMeasurements *self, guint id);
void tsc_measurements_clear(TscMeasurements *self);
gsize tsc_measurements_get_n(TscMeasurements *self);
/* In the order they were made (borrowed). */
const TscMeasurement *tsc_measurements_get(TscMeasurements *self, gsize i);

/* One line for the panel and the view: "Ruler 23.4 mm", "Ellipse 312 mm² ·
 * mean 123.4 ± 5.6 HU · 100 to 150".  `unit` is appended to the values
 * ("" when the modality has none). */
char *tsc_measurement_dup_summary(const TscMeasurement *m, const char *unit);
/* The unit of a modality's values after the modality LUT ("HU" for CT). */
const char *tsc_measure_unit_for_modality(const char *modality);

G_END_DECLS
#endif
