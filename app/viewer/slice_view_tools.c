/* SPDX-License-Identifier: BSD-3-Clause */
#define G_LOG_DOMAIN "tsc-viewer-view"
#include "slice_view_tools.h"

#include <math.h>
#include <string.h>

static const char *const tool_names[] = {"none",  "ruler", "ellipse", "freehand",
                                         "probe", "brush", "eraser"};

/* Measurements in the one yellow the reports draw them in too. */
#define MEASURE_R (((TSC_COLOR_MEASUREMENT >> 16) & 0xFF) / 255.0)
#define MEASURE_G (((TSC_COLOR_MEASUREMENT >> 8) & 0xFF) / 255.0)
#define MEASURE_B ((TSC_COLOR_MEASUREMENT & 0xFF) / 255.0)

int tsc__view_tool_from_string(const char *s)
{
    return tsc_measure_name_index(tool_names, G_N_ELEMENTS(tool_names), s);
}

const char *tsc__view_tool_to_string(TscViewTool tool)
{
    g_return_val_if_fail((int)tool >= 0 && tool < G_N_ELEMENTS(tool_names), "none");
    return tool_names[tool];
}

void tsc__slice_tools_init(TscSliceTools *t)
{
    t->tool = TSC_TOOL_NONE;
    t->draft = g_array_new(FALSE, FALSE, sizeof(double));
    t->show_scale_bar = TRUE;
}

void tsc__slice_tools_dispose(TscSliceTools *t)
{
    g_clear_pointer(&t->probe_text, g_free);
    if (t->store && t->changed_handler) g_signal_handler_disconnect(t->store, t->changed_handler);
    t->changed_handler = 0;
    g_clear_object(&t->store);
    g_clear_pointer(&t->series_uid, g_free);
    g_clear_pointer(&t->unit, g_free);
    g_clear_pointer(&t->draft, g_array_unref);
}

gboolean tsc__slice_tools_draws(const TscSliceTools *t)
{
    return t->tool == TSC_TOOL_RULER || t->tool == TSC_TOOL_ELLIPSE ||
           t->tool == TSC_TOOL_FREEHAND || t->tool == TSC_TOOL_BRUSH || t->tool == TSC_TOOL_ERASER;
}

/* Tools whose drag is a polyline: the freehand ROI and the brush strokes. */
static gboolean polyline(const TscSliceTools *t)
{
    return t->tool == TSC_TOOL_FREEHAND || t->tool == TSC_TOOL_BRUSH || t->tool == TSC_TOOL_ERASER;
}

static void add_point(TscSliceTools *t, double ix, double iy)
{
    double p[2] = {ix, iy};
    g_array_append_vals(t->draft, p, 2);
}

void tsc__slice_tools_begin(TscSliceTools *t, double ix, double iy)
{
    g_array_set_size(t->draft, 0);
    t->drawing = tsc__slice_tools_draws(t);
    if (!t->drawing) return;
    add_point(t, ix, iy);
    /* A ruler and an ellipse have two points: the second follows the pointer. */
    if (!polyline(t)) add_point(t, ix, iy);
}

void tsc__slice_tools_update(TscSliceTools *t, double ix, double iy)
{
    if (!t->drawing) return;
    double *p = (double *)(void *)t->draft->data;
    guint n = t->draft->len / 2;
    if (!polyline(t)) {
        p[2] = ix;
        p[3] = iy;
        return;
    }
    /* A point every half pixel is plenty for the outline and the area. */
    if (hypot(ix - p[2 * (n - 1)], iy - p[2 * (n - 1) + 1]) >= 0.5) add_point(t, ix, iy);
}

gboolean tsc__slice_tools_end(TscSliceTools *t, const char **kind, GVariant **points)
{
    if (!t->drawing) return FALSE;
    t->drawing = FALSE;
    gsize n = t->draft->len;
    gboolean stroke = t->tool == TSC_TOOL_BRUSH || t->tool == TSC_TOOL_ERASER;
    gboolean ok = n >= (stroke ? 2u : t->tool == TSC_TOOL_FREEHAND ? 6u : 4u);
    if (ok) {
        *kind = tool_names[t->tool];
        *points =
            g_variant_new_fixed_array(G_VARIANT_TYPE_DOUBLE, t->draft->data, n, sizeof(double));
    }
    g_array_set_size(t->draft, 0);
    return ok;
}

/* The shape of a measurement as a cairo path in view coordinates; `m`
 * maps image pixels to the view. */
static void shape_path(cairo_t *cr, TscMeasureKind kind, const double *xy, gsize n,
                       const cairo_matrix_t *m)
{
    cairo_new_path(cr);
    /* Built in image coordinates; stroked in the view's, at a constant width. */
    cairo_save(cr);
    cairo_transform(cr, m);
    if (kind == TSC_MEASURE_ELLIPSE) {
        double rx = fabs(xy[2] - xy[0]) / 2, ry = fabs(xy[3] - xy[1]) / 2;
        if (rx > 0 && ry > 0) {
            cairo_translate(cr, (xy[0] + xy[2]) / 2, (xy[1] + xy[3]) / 2);
            cairo_scale(cr, rx, ry);
            cairo_arc(cr, 0, 0, 1, 0, 2 * G_PI);
        }
    } else {
        for (gsize i = 0; i < n; i++) cairo_line_to(cr, xy[2 * i], xy[2 * i + 1]);
        if (kind == TSC_MEASURE_FREEHAND) cairo_close_path(cr);
    }
    cairo_restore(cr);
}

/* A dark halo under the line keeps it visible on bright tissue. */
static void stroke_shape(cairo_t *cr, gboolean draft)
{
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    cairo_set_source_rgba(cr, 0, 0, 0, 0.8);
    cairo_set_line_width(cr, 3.5);
    cairo_stroke_preserve(cr);
    if (draft) {
        static const double dash[] = {6, 4};
        cairo_set_dash(cr, dash, 2, 0);
    }
    cairo_set_source_rgb(cr, MEASURE_R, MEASURE_G, MEASURE_B);
    cairo_set_line_width(cr, 1.5);
    cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0);
}

static void draw_label(cairo_t *cr, PangoLayout *layout, const char *text, double x, double y,
                       const graphene_rect_t *bounds)
{
    pango_layout_set_text(layout, text, -1);
    int lw, lh;
    pango_layout_get_pixel_size(layout, &lw, &lh);
    /* Kept inside the view. */
    x = CLAMP(x, bounds->origin.x + 4, bounds->origin.x + bounds->size.width - lw - 4);
    y = CLAMP(y, bounds->origin.y + 4, bounds->origin.y + bounds->size.height - lh - 4);
    cairo_set_source_rgba(cr, 0, 0, 0, 0.6);
    cairo_rectangle(cr, x - 3, y - 1, lw + 6, lh + 2);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, MEASURE_R, MEASURE_G, MEASURE_B);
    cairo_move_to(cr, x, y);
    pango_cairo_show_layout(cr, layout);
}

static PangoLayout *tool_layout(GtkWidget *view)
{
    PangoLayout *layout = gtk_widget_create_pango_layout(view, NULL);
    PangoFontDescription *font = pango_font_description_from_string("Sans 9");
    pango_layout_set_font_description(layout, font);
    pango_font_description_free(font);
    return layout;
}

/* The probe's line: the pixel's column and row (1-based, as DICOM viewers
 * show them), its value in the image's units and where it is in mm from
 * the top-left corner. */
static void update_probe_text(TscSliceTools *t, const tsc_dicom_image *d)
{
    g_clear_pointer(&t->probe_text, g_free);
    int c = (int)floor(t->probe_x), r = (int)floor(t->probe_y);
    if (!t->probe_valid || c < 0 || r < 0 || c >= d->cols || r >= d->rows) return;
    double v = d->pixels[(size_t)r * d->cols + c];
    double dy = d->pixel_spacing[0] > 0 ? d->pixel_spacing[0] : 1;
    double dx = d->pixel_spacing[1] > 0 ? d->pixel_spacing[1] : 1;
    const char *unit = t->unit && *t->unit ? t->unit : "";
    t->probe_text =
        g_strdup_printf("%.1f%s%s \xc2\xb7 col %d, row %d \xc2\xb7 %.1f, %.1f mm", v,
                        *unit ? " " : "", unit, c + 1, r + 1, (c + 0.5) * dx, (r + 0.5) * dy);
}

static void draw_probe(TscSliceTools *t, cairo_t *cr, PangoLayout *layout, const tsc_dicom_image *d,
                       const cairo_matrix_t *m, const graphene_rect_t *bounds)
{
    update_probe_text(t, d);
    if (!t->probe_text) return;
    /* The pixel itself, outlined (at least 3 screen pixels), and its value beside it. */
    double x = floor(t->probe_x) + 0.5, y = floor(t->probe_y) + 0.5;
    cairo_matrix_transform_point(m, &x, &y);
    double half = MAX(hypot(m->xx, m->yx), 3.0) / 2 + 0.5;
    cairo_rectangle(cr, x - half, y - half, 2 * half, 2 * half);
    stroke_shape(cr, FALSE);
    draw_label(cr, layout, t->probe_text, x + half + 12, y + half + 12, bounds);
}

void tsc__slice_tools_snapshot(TscSliceTools *t, TscSliceView *view, GtkSnapshot *s,
                               const graphene_rect_t *bounds)
{
    const TscViewerImage *image = tsc_slice_view_get_image(view);
    gsize n_store = t->store ? tsc_measurements_get_n(t->store) : 0;
    gboolean probing = t->tool == TSC_TOOL_PROBE && t->probe_valid;
    if (!probing) g_clear_pointer(&t->probe_text, g_free);
    if (!image || (n_store == 0 && !t->drawing && !probing)) return;
    const tsc_dicom_image *d = image->image;
    cairo_matrix_t mat;
    tsc_slice_view_get_image_matrix(view, &mat);
    cairo_t *cr = gtk_snapshot_append_cairo(s, bounds);
    g_autoptr(PangoLayout) layout = tool_layout(GTK_WIDGET(view));
    for (gsize i = 0; i < n_store; i++) {
        const TscMeasurement *m = tsc_measurements_get(t->store, i);
        if (m->slice != image->slice || g_strcmp0(m->series_uid, t->series_uid) != 0) continue;
        shape_path(cr, m->kind, m->xy, m->n_points, &mat);
        /* The label beside the right end of the shape as drawn. */
        double x0, y0, lx, ly;
        cairo_stroke_extents(cr, &x0, &y0, &lx, &ly);
        ly = (y0 + ly) / 2;
        stroke_shape(cr, FALSE);
        g_autofree char *text = tsc_measurement_dup_summary(m, t->unit);
        /* "Ellipse 312 mm² · mean …" on two lines beside the shape. */
        g_autofree char *shown = g_strdup_printf("%u \xc2\xb7 %s", m->id, text);
        for (char *c = shown; (c = strstr(c, " \xc2\xb7 mean")) != NULL;) *c = '\n', c++;
        draw_label(cr, layout, shown, lx + 8, ly - 8, bounds);
    }
    if (t->drawing && t->draft->len >= 4) {
        /* A brush stroke is drawn open, as a ruler's line is. */
        TscMeasureKind kind = t->tool == TSC_TOOL_ELLIPSE    ? TSC_MEASURE_ELLIPSE
                              : t->tool == TSC_TOOL_FREEHAND ? TSC_MEASURE_FREEHAND
                                                             : TSC_MEASURE_RULER;
        shape_path(cr, kind, (const double *)(void *)t->draft->data, t->draft->len / 2, &mat);
        stroke_shape(cr, TRUE);
    }
    if (probing) draw_probe(t, cr, layout, d, &mat, bounds);
    cairo_destroy(cr);
}

void tsc__slice_tools_snapshot_scale_bar(TscSliceTools *t, TscSliceView *view, GtkSnapshot *s,
                                         double h, double bottom)
{
    t->scale_bar_mm = t->scale_bar_px = 0;
    const TscViewerImage *image = tsc_slice_view_get_image(view);
    cairo_matrix_t m;
    if (!image || !t->show_scale_bar || !tsc_slice_view_get_image_matrix(view, &m)) return;
    const tsc_dicom_image *d = image->image;
    double dx = d->pixel_spacing[1] > 0 ? d->pixel_spacing[1] : 1;
    double px_per_mm = hypot(m.xx, m.yx) / dx;
    static const double nice[] = {200, 100, 50, 20, 10, 5, 2, 1, 0.5, 0.2, 0.1};
    double mm = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(nice) && !mm; i++)
        if (nice[i] * px_per_mm <= 120) mm = nice[i];
    if (!mm || mm * px_per_mm < 4) return;
    t->scale_bar_mm = mm;
    t->scale_bar_px = mm * px_per_mm;
    double x = 12, y = h - bottom - 10;
    g_autoptr(PangoLayout) layout = tool_layout(GTK_WIDGET(view));
    g_autofree char *label = g_strdup_printf("%g mm", mm);
    pango_layout_set_text(layout, label, -1);
    int lw, lh;
    pango_layout_get_pixel_size(layout, &lw, &lh);
    cairo_t *cr = gtk_snapshot_append_cairo(
        s, &GRAPHENE_RECT_INIT(0, (float)(y - lh - 12), (float)(x + MAX(t->scale_bar_px, lw) + 12),
                               (float)(lh + 20)));
    /* A bar with end ticks, white on a dark halo. */
    cairo_move_to(cr, x, y - 5);
    cairo_line_to(cr, x, y);
    cairo_line_to(cr, x + t->scale_bar_px, y);
    cairo_line_to(cr, x + t->scale_bar_px, y - 5);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_SQUARE);
    cairo_set_source_rgba(cr, 0, 0, 0, 0.8);
    cairo_set_line_width(cr, 4);
    cairo_stroke_preserve(cr);
    cairo_set_source_rgb(cr, 0.86, 0.89, 0.92);
    cairo_set_line_width(cr, 2);
    cairo_stroke(cr);
    cairo_set_source_rgba(cr, 0, 0, 0, 0.8);
    cairo_move_to(cr, x + 1, y - 7 - lh + 1);
    pango_cairo_show_layout(cr, layout);
    cairo_set_source_rgb(cr, 0.86, 0.89, 0.92);
    cairo_move_to(cr, x, y - 7 - lh);
    pango_cairo_show_layout(cr, layout);
    cairo_destroy(cr);
}

/* ---- orientation letters ------------------------------------------------- */

/* Patient-axis letters of direction `v` (DICOM LPS: +x left, +y posterior,
 * +z head), strongest first; oblique directions get two or three. */
static void orientation_letters(const double v[3], char out[4])
{
    static const char pos[3] = {'L', 'P', 'S'}, neg[3] = {'R', 'A', 'I'};
    int order[3] = {0, 1, 2};
    for (int i = 0; i < 3; i++)
        for (int j = i + 1; j < 3; j++)
            if (fabs(v[order[j]]) > fabs(v[order[i]])) {
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
    int n = 0;
    for (int i = 0; i < 3; i++) {
        int a = order[i];
        if (fabs(v[a]) < 0.25 && n > 0) break;
        out[n++] = v[a] >= 0 ? pos[a] : neg[a];
    }
    out[n] = 0;
}

/* Orientation letters of the slice's edges: left, right, top, bottom. */
void tsc__edge_letters(const double iop[6], int rotation, gboolean flip, char out[4][4])
{
    const double *r = iop, *c = iop + 3;
    /* The screen's right and down as image directions (rotated, flipped),
     * then in patient space. */
    cairo_matrix_t m;
    cairo_matrix_init_rotate(&m, rotation * G_PI / 2);
    if (flip) cairo_matrix_scale(&m, -1, 1);
    cairo_matrix_invert(&m);
    double dirs[2][2] = {{1, 0}, {0, 1}}, v[4][3];
    for (int k = 0; k < 2; k++) {
        cairo_matrix_transform_distance(&m, &dirs[k][0], &dirs[k][1]);
        for (int i = 0; i < 3; i++) {
            v[2 * k + 1][i] = round(dirs[k][0]) * r[i] + round(dirs[k][1]) * c[i];
            v[2 * k][i] = -v[2 * k + 1][i];
        }
    }
    for (int e = 0; e < 4; e++) orientation_letters(v[e], out[e]);
}

/* ---- TscSliceView's public API of the tools -------------------------------- */

static void on_measurements_changed(TscMeasurements *store, TscSliceView *self)
{
    (void)store;
    gtk_widget_queue_draw(GTK_WIDGET(self));
}

void tsc_slice_view_set_measurements(TscSliceView *self, TscMeasurements *store,
                                     const char *series_uid, const char *unit)
{
    g_return_if_fail(TSC_IS_SLICE_VIEW(self));
    TscSliceTools *t = tsc__slice_view_get_tools(self);
    if (t->store != store) {
        if (t->store) g_signal_handler_disconnect(t->store, t->changed_handler);
        g_set_object(&t->store, store);
        t->changed_handler =
            store ? g_signal_connect(store, "changed", G_CALLBACK(on_measurements_changed), self)
                  : 0;
    }
    g_free(t->series_uid);
    t->series_uid = g_strdup(series_uid);
    g_free(t->unit);
    t->unit = g_strdup(unit);
    gtk_widget_queue_draw(GTK_WIDGET(self));
}

void tsc_slice_view_set_probe(TscSliceView *self, double x, double y)
{
    g_return_if_fail(TSC_IS_SLICE_VIEW(self));
    TscSliceTools *t = tsc__slice_view_get_tools(self);
    /* Checked against the slice when drawn: it may still be decoding. */
    t->probe_valid = x >= 0 && y >= 0;
    t->probe_x = x;
    t->probe_y = y;
    gtk_widget_queue_draw(GTK_WIDGET(self));
}

const char *tsc_slice_view_get_probe_text(TscSliceView *self)
{
    g_return_val_if_fail(TSC_IS_SLICE_VIEW(self), "");
    TscSliceTools *t = tsc__slice_view_get_tools(self);
    return t->probe_text ? t->probe_text : "";
}

double tsc_slice_view_get_scale_bar(TscSliceView *self, double *pixels)
{
    g_return_val_if_fail(TSC_IS_SLICE_VIEW(self), 0);
    TscSliceTools *t = tsc__slice_view_get_tools(self);
    if (pixels) *pixels = t->scale_bar_px;
    return t->scale_bar_mm;
}
