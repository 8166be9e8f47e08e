/* SPDX-License-Identifier: BSD-3-Clause */
#define G_LOG_DOMAIN "tsc-viewer-measure"
#include "measurements.h"

#include <math.h>
#include <string.h>

struct _TscMeasurements {
    GObject parent_instance;
    GPtrArray *items; /* TscMeasurement */
    guint next_id;
};

G_DEFINE_FINAL_TYPE(TscMeasurements, tsc_measurements, G_TYPE_OBJECT)

enum { SIGNAL_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static const char *const kind_names[] = {"ruler", "ellipse", "freehand"};

int tsc_measure_name_index(const char *const *names, gsize n, const char *s)
{
    for (gsize i = 0; i < n; i++)
        if (g_strcmp0(s, names[i]) == 0) return (int)i;
    return -1;
}

int tsc_measure_kind_from_string(const char *s)
{
    return tsc_measure_name_index(kind_names, G_N_ELEMENTS(kind_names), s);
}

const char *tsc_measure_kind_to_string(TscMeasureKind kind)
{
    g_return_val_if_fail((int)kind >= 0 && kind < G_N_ELEMENTS(kind_names), "");
    return kind_names[kind];
}

const char *tsc_measure_unit_for_modality(const char *modality)
{
    /* MR values have no absolute scale: no unit rather than a made-up one. */
    return g_strcmp0(modality, "CT") == 0 ? "HU" : "";
}

static void measurement_free(gpointer p)
{
    TscMeasurement *m = p;
    g_free(m->series_uid);
    g_free(m->xy);
    g_free(m);
}

/* Even-odd rule, as cairo fills the same polygon on screen. */
static gboolean inside_polygon(const double *xy, gsize n, double x, double y)
{
    gboolean in = FALSE;
    for (gsize i = 0, j = n - 1; i < n; j = i++) {
        double xi = xy[2 * i], yi = xy[2 * i + 1], xj = xy[2 * j], yj = xy[2 * j + 1];
        if ((yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) in = !in;
    }
    return in;
}

static gboolean inside(const TscMeasurement *m, double x, double y)
{
    if (m->kind == TSC_MEASURE_FREEHAND) return inside_polygon(m->xy, m->n_points, x, y);
    double cx = (m->xy[0] + m->xy[2]) / 2, cy = (m->xy[1] + m->xy[3]) / 2;
    double a = fabs(m->xy[2] - m->xy[0]) / 2, b = fabs(m->xy[3] - m->xy[1]) / 2;
    double u = (x - cx) / a, v = (y - cy) / b;
    return u * u + v * v <= 1;
}

/* Mean, SD (of the pixels themselves, not an estimate: divided by n), min
 * and max of the pixels whose centre is inside the ROI. */
static void roi_statistics(TscMeasurement *m, const tsc_dicom_image *d)
{
    double x0 = m->xy[0], x1 = x0, y0 = m->xy[1], y1 = y0;
    for (gsize i = 1; i < m->n_points; i++) {
        x0 = MIN(x0, m->xy[2 * i]);
        x1 = MAX(x1, m->xy[2 * i]);
        y0 = MIN(y0, m->xy[2 * i + 1]);
        y1 = MAX(y1, m->xy[2 * i + 1]);
    }
    int c0 = MAX(0, (int)floor(x0)), c1 = MIN(d->cols - 1, (int)ceil(x1));
    int r0 = MAX(0, (int)floor(y0)), r1 = MIN(d->rows - 1, (int)ceil(y1));
    double sum = 0, sum2 = 0;
    m->n_pixels = 0;
    m->min = INFINITY;
    m->max = -INFINITY;
    for (int r = r0; r <= r1; r++)
        for (int c = c0; c <= c1; c++) {
            if (!inside(m, c + 0.5, r + 0.5)) continue;
            double v = d->pixels[(size_t)r * d->cols + c];
            sum += v;
            sum2 += v * v;
            m->min = MIN(m->min, v);
            m->max = MAX(m->max, v);
            m->n_pixels++;
        }
    if (m->n_pixels == 0) {
        m->mean = m->sd = m->min = m->max = 0;
        return;
    }
    m->mean = sum / m->n_pixels;
    m->sd = sqrt(MAX(0.0, sum2 / m->n_pixels - m->mean * m->mean));
}

static gboolean measure(TscMeasurement *m, const tsc_dicom_image *d)
{
    double dy = d->pixel_spacing[0] > 0 ? d->pixel_spacing[0] : 1;
    double dx = d->pixel_spacing[1] > 0 ? d->pixel_spacing[1] : 1;
    const double *p = m->xy;
    switch (m->kind) {
    case TSC_MEASURE_RULER:
        m->length_mm = hypot((p[2] - p[0]) * dx, (p[3] - p[1]) * dy);
        return m->length_mm > 0;
    case TSC_MEASURE_ELLIPSE: {
        double a = fabs(p[2] - p[0]) / 2 * dx, b = fabs(p[3] - p[1]) / 2 * dy;
        m->area_mm2 = G_PI * a * b;
        /* Ramanujan's approximation of the perimeter. */
        m->length_mm = G_PI * (3 * (a + b) - sqrt((3 * a + b) * (a + 3 * b)));
        break;
    }
    case TSC_MEASURE_FREEHAND: {
        double area = 0, len = 0;
        for (gsize i = 0, j = m->n_points - 1; i < m->n_points; j = i++) {
            area += (p[2 * j] * dx) * (p[2 * i + 1] * dy) - (p[2 * i] * dx) * (p[2 * j + 1] * dy);
            len += hypot((p[2 * i] - p[2 * j]) * dx, (p[2 * i + 1] - p[2 * j + 1]) * dy);
        }
        m->area_mm2 = fabs(area) / 2;
        m->length_mm = len;
        break;
    }
    }
    if (!(m->area_mm2 > 0)) return FALSE;
    roi_statistics(m, d);
    return TRUE;
}

const TscMeasurement *tsc_measurements_add(TscMeasurements *self, TscMeasureKind kind,
                                           const char *series_uid, gsize slice,
                                           const tsc_dicom_image *image, const double *xy,
                                           gsize n_points)
{
    g_return_val_if_fail(TSC_IS_MEASUREMENTS(self), NULL);
    g_return_val_if_fail(image && xy, NULL);
    gsize need = kind == TSC_MEASURE_FREEHAND ? 3 : 2;
    if (n_points < need || (kind != TSC_MEASURE_FREEHAND && n_points != 2)) return NULL;
    TscMeasurement *m = g_new0(TscMeasurement, 1);
    m->kind = kind;
    m->series_uid = g_strdup(series_uid ? series_uid : "");
    m->slice = slice;
    m->xy = g_memdup2(xy, sizeof(double) * 2 * n_points);
    m->n_points = n_points;
    if (!measure(m, image)) {
        measurement_free(m);
        return NULL;
    }
    m->id = ++self->next_id;
    g_ptr_array_add(self->items, m);
    g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
    return m;
}

gboolean tsc_measurements_remove(TscMeasurements *self, guint id)
{
    g_return_val_if_fail(TSC_IS_MEASUREMENTS(self), FALSE);
    for (guint i = 0; i < self->items->len; i++) {
        const TscMeasurement *m = g_ptr_array_index(self->items, i);
        if (m->id != id) continue;
        g_ptr_array_remove_index(self->items, i);
        g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
        return TRUE;
    }
    return FALSE;
}

void tsc_measurements_clear(TscMeasurements *self)
{
    g_return_if_fail(TSC_IS_MEASUREMENTS(self));
    if (self->items->len == 0) return;
    g_ptr_array_set_size(self->items, 0);
    g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
}

gsize tsc_measurements_get_n(TscMeasurements *self)
{
    g_return_val_if_fail(TSC_IS_MEASUREMENTS(self), 0);
    return self->items->len;
}

const TscMeasurement *tsc_measurements_get(TscMeasurements *self, gsize i)
{
    g_return_val_if_fail(TSC_IS_MEASUREMENTS(self), NULL);
    g_return_val_if_fail(i < self->items->len, NULL);
    return g_ptr_array_index(self->items, i);
}

/* Values to a precision that suits their range: 1234, 123.4, 0.123. */
static char *fmt_value(double v)
{
    double a = fabs(v);
    return g_strdup_printf(a >= 1000 ? "%.0f" : a >= 1 || a == 0 ? "%.1f" : "%.3g", v);
}

char *tsc_measurement_dup_summary(const TscMeasurement *m, const char *unit)
{
    g_return_val_if_fail(m, NULL);
    if (m->kind == TSC_MEASURE_RULER) return g_strdup_printf("Ruler %.1f mm", m->length_mm);
    const char *name = m->kind == TSC_MEASURE_ELLIPSE ? "Ellipse" : "Freehand";
    if (m->n_pixels == 0)
        return g_strdup_printf("%s %.1f mm\xc2\xb2 \xc2\xb7 no pixel inside", name, m->area_mm2);
    const char *sp = unit && *unit ? " " : "";
    g_autofree char *mean = fmt_value(m->mean), *sd = fmt_value(m->sd), *lo = fmt_value(m->min),
                    *hi = fmt_value(m->max);
    return g_strdup_printf(
        "%s %.1f mm\xc2\xb2 \xc2\xb7 mean %s \xc2\xb1 %s%s%s \xc2\xb7 min %s, max %s", name,
        m->area_mm2, mean, sd, sp, unit ? unit : "", lo, hi);
}

static void tsc_measurements_finalize(GObject *object)
{
    TscMeasurements *self = TSC_MEASUREMENTS(object);
    g_ptr_array_unref(self->items);
    G_OBJECT_CLASS(tsc_measurements_parent_class)->finalize(object);
}

static void tsc_measurements_class_init(TscMeasurementsClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = tsc_measurements_finalize;
    signals[SIGNAL_CHANGED] = g_signal_new("changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void tsc_measurements_init(TscMeasurements *self)
{
    self->items = g_ptr_array_new_with_free_func(measurement_free);
}

TscMeasurements *tsc_measurements_new(void)
{
    return g_object_new(TSC_TYPE_MEASUREMENTS, NULL);
}
