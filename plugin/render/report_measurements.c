/* SPDX-License-Identifier: BSD-3-Clause */
/* The reader's measurements in the reports: their shapes on the slice, the
 * words of their labels and table rows.  The values are the host's, as the
 * viewer shows them; nothing here measures again. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_private.h"
#include "struct_size_private.h"

int tsc__measurement_get(const tsc_report_options *o, size_t i, tsc_reader_measurement *out)
{
    memset(out, 0, sizeof *out);
    if (!o || i >= o->n_measurements || !o->measurements || !o->measurements[i]) return 0;
    TSC__PARAMS_COPY(out, o->measurements[i]);
    size_t need = out->kind == TSC_READER_FREEHAND ? 3 : 2;
    if (out->kind < TSC_READER_RULER || out->kind > TSC_READER_FREEHAND) return 0;
    if (!out->points || out->n_points < need) return 0;
    for (size_t k = 0; k < 2 * out->n_points; k++)
        if (!isfinite(out->points[k])) return 0;
    return 1;
}

tsc_status tsc__measurements_check(const tsc_report_options *o, size_t n_slices, tsc_error *err)
{
    if (!o ||
        tsc__struct_size_of(o) < offsetof(tsc_report_options, n_measurements) + sizeof(size_t))
        return TSC_OK; /* a host of version 8 or older: no measurements */
    if (o->n_measurements && !o->measurements)
        return tsc_error_set(err, TSC_EINVAL,
                             "%zu reader measurements announced but none given (measurements "
                             "is NULL)",
                             o->n_measurements);
    for (size_t i = 0; i < o->n_measurements; i++) {
        tsc_reader_measurement m;
        if (!tsc__measurement_get(o, i, &m))
            return tsc_error_set(err, TSC_EINVAL,
                                 "reader measurement %zu is malformed (kind %d, %zu points): a "
                                 "ruler and an ellipse need 2 points, a freehand ROI 3",
                                 i + 1, m.kind, m.n_points);
        if (m.slice >= n_slices)
            return tsc_error_set(err, TSC_EINVAL,
                                 "reader measurement %zu is on slice %zu but the series has %zu",
                                 i + 1, m.slice + 1, n_slices);
    }
    return TSC_OK;
}

int tsc__measurement_number(const tsc_reader_measurement *m, size_t i)
{
    return m->number > 0 ? m->number : (int)i + 1;
}

const char *tsc__measurement_kind_name(int kind)
{
    switch (kind) {
    case TSC_READER_RULER: return "Ruler";
    case TSC_READER_ELLIPSE: return "Ellipse";
    default: return "Freehand ROI";
    }
}

/* As the viewer prints a value: no false precision on large numbers. */
static void fmt_value(double v, char *out, size_t n)
{
    double a = fabs(v);
    snprintf(out, n, a >= 1000 ? "%.0f" : a >= 1 || a == 0 ? "%.1f" : "%.3g", v);
}

void tsc__measurement_values(const tsc_reader_measurement *m, int full, char *out, size_t n)
{
    if (m->kind == TSC_READER_RULER) {
        snprintf(out, n, "%.1f mm", m->length_mm);
        return;
    }
    if (m->n_pixels == 0) {
        snprintf(out, n, "%.1f mm\xc2\xb2 \xc2\xb7 no pixel inside", m->area_mm2);
        return;
    }
    const char *u = m->units && *m->units ? m->units : "";
    const char *sp = *u ? " " : "";
    char mean[32], sd[32], lo[32], hi[32];
    fmt_value(m->mean, mean, sizeof mean);
    fmt_value(m->sd, sd, sizeof sd);
    fmt_value(m->min, lo, sizeof lo);
    fmt_value(m->max, hi, sizeof hi);
    if (full)
        snprintf(out, n, "%.1f mm\xc2\xb2 \xc2\xb7 mean %s \xc2\xb1 %s%s%s \xc2\xb7 min %s, max %s",
                 m->area_mm2, mean, sd, sp, u, lo, hi);
    else snprintf(out, n, "%.1f mm\xc2\xb2 \xc2\xb7 mean %s%s%s", m->area_mm2, mean, sp, u);
}

void tsc__measurement_path(cairo_t *cr, const tsc_reader_measurement *m)
{
    const double *p = m->points;
    cairo_new_path(cr);
    if (m->kind == TSC_READER_ELLIPSE) {
        double rx = fabs(p[2] - p[0]) / 2, ry = fabs(p[3] - p[1]) / 2;
        if (!(rx > 0 && ry > 0)) return;
        cairo_save(cr);
        cairo_translate(cr, (p[0] + p[2]) / 2, (p[1] + p[3]) / 2);
        cairo_scale(cr, rx, ry);
        cairo_arc(cr, 0, 0, 1, 0, 2 * M_PI);
        cairo_restore(cr);
        return;
    }
    for (size_t i = 0; i < m->n_points; i++) cairo_line_to(cr, p[2 * i], p[2 * i + 1]);
    if (m->kind == TSC_READER_FREEHAND) cairo_close_path(cr);
}

void tsc__measurement_stroke(cairo_t *cr)
{
    tsc__rgb c = tsc__rgb_from_hex(TSC_COLOR_MEASUREMENT);
    cairo_save(cr);
    cairo_identity_matrix(cr);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    tsc__stroke_halo(cr, c, 0.8, 3.5, 1.75, NULL);
    cairo_restore(cr);
}

size_t tsc__measurement_anchors(const tsc_reader_measurement *m, double *xy, size_t max)
{
    const double *p = m->points;
    size_t n = 0;
    if (m->kind == TSC_READER_ELLIPSE) {
        double cx = (p[0] + p[2]) / 2, cy = (p[1] + p[3]) / 2;
        double rx = fabs(p[2] - p[0]) / 2, ry = fabs(p[3] - p[1]) / 2;
        for (int k = 0; k < 8 && n < max; k++, n++) {
            xy[2 * n] = cx + rx * cos(k * M_PI / 4);
            xy[2 * n + 1] = cy + ry * sin(k * M_PI / 4);
        }
        return n;
    }
    for (size_t i = 0; i < m->n_points && n < max; i++, n++) {
        xy[2 * n] = p[2 * i];
        xy[2 * n + 1] = p[2 * i + 1];
    }
    /* A ruler's middle too: a leader to its nearest end looks like part of it. */
    if (m->kind == TSC_READER_RULER && n < max) {
        xy[2 * n] = (p[0] + p[2]) / 2;
        xy[2 * n + 1] = (p[1] + p[3]) / 2;
        n++;
    }
    return n;
}

/* ---- the reports' table ----------------------------------------------- */

tsc_reader_measurement *tsc__report_measurements(const rep *c, size_t slice, size_t *n)
{
    *n = 0;
    size_t total = c->opt.n_measurements;
    tsc_reader_measurement *out = total ? calloc(total, sizeof *out) : NULL;
    if (!out) return NULL;
    for (size_t i = 0; i < total; i++) {
        tsc_reader_measurement m;
        if (!tsc__measurement_get(&c->opt, i, &m)) continue;
        if (slice != (size_t)-1 && m.slice != slice) continue;
        /* Numbered by its place among all of them, as on every page. */
        m.number = tsc__measurement_number(&m, i);
        out[(*n)++] = m;
    }
    if (*n == 0) {
        free(out);
        return NULL;
    }
    return out;
}

double tsc__report_measurement_table(cairo_t *cr, const rep *c, double x, double y, double w,
                                     size_t slice)
{
    size_t n = 0;
    tsc_reader_measurement *ms = tsc__report_measurements(c, slice, &n);
    if (!ms) return y;
    char title[96];
    snprintf(title, sizeof title, "READER MEASUREMENTS (%zu)", n);
    y = tsc__report_section(cr, x, y, w, title);
    /* On a slice page the slice column says nothing. */
    int with_slice = slice == (size_t)-1;
    const double x_kind = x + 0.02 * w + 34, x_slice = x_kind + 100,
                 x_val = with_slice ? x_slice + 64 : x_slice;
    const tsc__tcol cols[4] = {{x + 0.02 * w + 24, 0, 1},
                               {x_kind, x_slice - x_kind - 8, 0},
                               {x_slice + 40, 0, 1},
                               {x_val, x + w - x_val - 4, 0}};
    const char *head[4] = {"#", "Kind", "Slice", "Values (as measured by the reader)"};
    const tsc__tcol cv[3] = {cols[0], cols[1], cols[3]};
    const char *hv[3] = {head[0], head[1], head[3]};
    if (with_slice) y = tsc__report_table_head(cr, x, y, w, cols, head, 4);
    else y = tsc__report_table_head(cr, x, y, w, cv, hv, 3);
    for (size_t i = 0; i < n; i++) {
        char num[16], sl[24], val[200];
        snprintf(num, sizeof num, "M%d", ms[i].number);
        snprintf(sl, sizeof sl, "%zu", ms[i].slice + 1);
        tsc__measurement_values(&ms[i], 1, val, sizeof val);
        const char *cells[4] = {num, tsc__measurement_kind_name(ms[i].kind), sl, val};
        const char *cvv[3] = {num, cells[1], val};
        if (with_slice) y = tsc__report_table_row(cr, x, y, w, i, cols, cells, 4, 12);
        else y = tsc__report_table_row(cr, x, y, w, i, cv, cvv, 3, 12);
    }
    tsc__report_rule(cr, x, y, w);
    free(ms);
    return y + 14;
}
