/* The overlay of one slice result, shared by the viewer, the CLI, the
 * reports and the Secondary Capture output.
 *
 * Image-space drawing (heat map, mask) uses the caller's transformation.
 * Everything that must stay legible at any zoom (outlines, axes, text,
 * legend, disclaimer) is built in device space: points are mapped with
 * cairo_user_to_device() and drawn under an identity matrix, so sizes are in
 * device units. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render_private.h"

/* Device-space sizes. */
#define FONT_LABEL 13.0
#define FONT_SMALL 11.0
#define PAD 6.0
#define MARGIN 8.0
#define LINE_W 2.0
#define MAX_LEGEND 24

tsc_overlay_options tsc_overlay_default_options(void)
{
    tsc_overlay_options o;
    memset(&o, 0, sizeof o);
    o.struct_size = sizeof o;
    o.mode = TSC_OVERLAY_FILL;
    o.opacity = 0.35;
    o.show_labels = 1;
    o.show_axes = 1;
    o.show_legend = 1;
    o.show_disclaimer = 1;
    o.show_heatmap = 0;
    return o;
}

tsc_overlay_options tsc__overlay_options(const tsc_overlay_options *o)
{
    tsc_overlay_options d = tsc_overlay_default_options();
    if (o) {
        TSC_ASSERT(o->struct_size >= sizeof(size_t));
        size_t n = o->struct_size < sizeof d ? o->struct_size : sizeof d;
        memcpy(&d, o, n);
        d.struct_size = sizeof d;
    }
    if (!(d.opacity >= 0)) d.opacity = 0;
    if (d.opacity > 1) d.opacity = 1;
    return d;
}

typedef struct rect {
    double x, y, w, h;
} rect;

static int rects_overlap(rect a, rect b)
{
    return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

static double overlap_area(rect a, rect b)
{
    double w = fmin(a.x + a.w, b.x + b.w) - fmax(a.x, b.x);
    double h = fmin(a.y + a.h, b.y + b.h) - fmax(a.y, b.y);
    return w > 0 && h > 0 ? w * h : 0;
}

static void rounded_rect(cairo_t *cr, rect r, double rad)
{
    double x0 = r.x, y0 = r.y, x1 = r.x + r.w, y1 = r.y + r.h;
    if (rad > r.h / 2) rad = r.h / 2;
    cairo_new_sub_path(cr);
    cairo_arc(cr, x1 - rad, y0 + rad, rad, -M_PI / 2, 0);
    cairo_arc(cr, x1 - rad, y1 - rad, rad, 0, M_PI / 2);
    cairo_arc(cr, x0 + rad, y1 - rad, rad, M_PI / 2, M_PI);
    cairo_arc(cr, x0 + rad, y0 + rad, rad, M_PI, 3 * M_PI / 2);
    cairo_close_path(cr);
}

/* Relative luminance decides between black and white text on a colour. */
static int dark_text_on(tsc__rgb c)
{
    double l = 0.2126 * c.r + 0.7152 * c.g + 0.0722 * c.b;
    return l > 0.45;
}

static cairo_surface_t *mask_surface(const uint8_t *mask, int rows, int cols)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_A8, cols, rows);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(s);
        return NULL;
    }
    cairo_surface_flush(s);
    unsigned char *d = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    for (int y = 0; y < rows; y++)
        for (int x = 0; x < cols; x++) d[y * stride + x] = mask[(size_t)y * cols + x] ? 255 : 0;
    cairo_surface_mark_dirty(s);
    return s;
}

static cairo_surface_t *heat_surface(const float *p, int rows, int cols)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, cols, rows);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(s);
        return NULL;
    }
    cairo_surface_flush(s);
    unsigned char *d = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    for (int y = 0; y < rows; y++) {
        uint32_t *row = (uint32_t *)(void *)(d + (size_t)y * stride);
        for (int x = 0; x < cols; x++) {
            double v = p[(size_t)y * cols + x];
            if (!(v >= 0.05)) { /* also NaN */
                row[x] = 0;
                continue;
            }
            if (v > 1) v = 1;
            /* Opacity grows with the probability so that low values fade out. */
            double a = 0.15 + 0.55 * v;
            tsc__rgb c = tsc__viridis(v);
            uint32_t A = (uint32_t)lround(a * 255), R = (uint32_t)lround(c.r * a * 255),
                     G = (uint32_t)lround(c.g * a * 255), B = (uint32_t)lround(c.b * a * 255);
            row[x] = (A << 24) | (R << 16) | (G << 8) | B;
        }
    }
    cairo_surface_mark_dirty(s);
    return s;
}

/* The boundary between mask and background as pixel-edge runs (image space). */
static void mask_boundary_path(cairo_t *cr, const uint8_t *m, int rows, int cols)
{
#define IN(y, x) ((y) >= 0 && (y) < rows && (x) >= 0 && (x) < cols && m[(size_t)(y) * cols + (x)])
    for (int y = 0; y <= rows; y++) {
        int x = 0;
        while (x < cols) {
            if (IN(y - 1, x) != IN(y, x)) {
                int x0 = x;
                while (x < cols && IN(y - 1, x) != IN(y, x)) x++;
                cairo_move_to(cr, x0, y);
                cairo_line_to(cr, x, y);
            } else {
                x++;
            }
        }
    }
    for (int x = 0; x <= cols; x++) {
        int y = 0;
        while (y < rows) {
            if (IN(y, x - 1) != IN(y, x)) {
                int y0 = y;
                while (y < rows && IN(y, x - 1) != IN(y, x)) y++;
                cairo_move_to(cr, x, y0);
                cairo_line_to(cr, x, y);
            } else {
                y++;
            }
        }
    }
#undef IN
}

/* Strokes the current path (already in device space) with a dark halo. */
static void stroke_haloed(cairo_t *cr, tsc__rgb c, double width, int dashed)
{
    cairo_save(cr);
    cairo_identity_matrix(cr);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_source_rgba(cr, 0, 0, 0, 0.65);
    cairo_set_line_width(cr, width + 2.0);
    cairo_stroke_preserve(cr);
    if (dashed) {
        const double dash[] = {6.0, 4.0};
        cairo_set_dash(cr, dash, 2, 0);
    }
    cairo_set_source_rgb(cr, c.r, c.g, c.b);
    cairo_set_line_width(cr, width);
    cairo_stroke(cr);
    cairo_restore(cr);
}

typedef struct view {
    rect r;          /* device-space drawing area */
    double scale;    /* device units per image pixel (geometric mean) */
} view;

static view compute_view(cairo_t *cr, int rows, int cols, const tsc_overlay_options *o)
{
    view v;
    double xs[4] = {0, cols, 0, cols}, ys[4] = {0, 0, rows, rows};
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (int i = 0; i < 4; i++) {
        double x = xs[i], y = ys[i];
        cairo_user_to_device(cr, &x, &y);
        x0 = fmin(x0, x);
        y0 = fmin(y0, y);
        x1 = fmax(x1, x);
        y1 = fmax(y1, y);
    }
    if (o->view_width > 0 && o->view_height > 0) {
        v.r.x = 0;
        v.r.y = 0;
        v.r.w = o->view_width;
        v.r.h = o->view_height;
    } else {
        v.r.x = x0;
        v.r.y = y0;
        v.r.w = x1 - x0;
        v.r.h = y1 - y0;
    }
    double ax = 1, ay = 0, bx = 0, by = 1;
    cairo_user_to_device_distance(cr, &ax, &ay);
    cairo_user_to_device_distance(cr, &bx, &by);
    v.scale = sqrt(fabs(ax * by - ay * bx));
    return v;
}

/* A label box: text on a dark translucent background with a colour swatch,
 * so that the type is never conveyed by colour alone. */
static rect label_size(cairo_t *cr, const char *text, double font)
{
    tsc__font(cr, font, TSC__BOLD);
    rect r = {0, 0, tsc__text_width(cr, text) + 2 * PAD + font * 0.9, font + 2 * PAD - 2};
    return r;
}

static void draw_label(cairo_t *cr, rect r, const char *text, double font, tsc__rgb c)
{
    rounded_rect(cr, r, 4);
    cairo_set_source_rgba(cr, 0.05, 0.06, 0.07, 0.78);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, c.r, c.g, c.b);
    cairo_set_line_width(cr, 1.5);
    cairo_stroke(cr);
    double sw = font * 0.65;
    cairo_rectangle(cr, r.x + PAD, r.y + (r.h - sw) / 2, sw, sw);
    cairo_set_source_rgb(cr, c.r, c.g, c.b);
    cairo_fill(cr);
    tsc__font(cr, font, TSC__BOLD);
    cairo_set_source_rgb(cr, 1, 1, 1);
    tsc__text(cr, r.x + PAD + font * 0.9, r.y + r.h / 2 + font * 0.36, text);
}

/* The verdict banner; wraps the inconclusive reason over several lines. */
static rect draw_banner(cairo_t *cr, const view *v, const tsc_result *r, const tsc__finding *f)
{
    char text[512];
    tsc_verdict verdict = tsc_result_get_verdict(r);
    if (verdict == TSC_VERDICT_INCONCLUSIVE) {
        const char *why = tsc_result_get_reason(r);
        snprintf(text, sizeof text, "INCONCLUSIVE \xe2\x80\x94 %s", why && *why ? why : "no reason given");
    } else if (verdict == TSC_VERDICT_TUMOR) {
        if (f->has_confidence)
            snprintf(text, sizeof text, "TUMOR \xc2\xb7 %s", f->label);
        else
            snprintf(text, sizeof text, "TUMOR \xc2\xb7 %s method",
                     tsc_method_to_string(tsc_result_get_method(r)));
    } else {
        snprintf(text, sizeof text, "%s", f->label);
    }
    tsc__font(cr, FONT_LABEL, TSC__BOLD);
    double max_w = fmax(80, v->r.w - 2 * MARGIN - 2 * PAD);
    int lines = tsc__text_wrap(cr, 0, 0, max_w, FONT_LABEL * 1.3, text, 0);
    double w = lines > 1 ? max_w : tsc__text_width(cr, text);
    rect b = {v->r.x + MARGIN, v->r.y + MARGIN, w + 2 * PAD,
              (lines ? lines : 1) * FONT_LABEL * 1.3 + 2 * PAD - FONT_LABEL * 0.3};
    rounded_rect(cr, b, 4);
    cairo_set_source_rgb(cr, f->color.r, f->color.g, f->color.b);
    cairo_fill(cr);
    if (dark_text_on(f->color))
        cairo_set_source_rgb(cr, 0, 0, 0);
    else
        cairo_set_source_rgb(cr, 1, 1, 1);
    tsc__text_wrap(cr, b.x + PAD, b.y + PAD + FONT_LABEL * 0.95, max_w, FONT_LABEL * 1.3, text, 1);
    return b;
}

typedef struct legend_entry {
    char text[96];
    tsc__rgb color;
    int kind; /* 0 swatch, 1 axis line, 2 colour bar */
} legend_entry;

/* Returns the legend's box (zero-sized when there was no room). */
static rect draw_legend(cairo_t *cr, const view *v, const tsc_model *model, const tsc_result *r,
                        int axes, int heat, rect banner, double bottom_reserved)
{
    legend_entry e[MAX_LEGEND];
    size_t n = 0;
    if (model && tsc_result_get_method(r) == TSC_METHOD_CNN && tsc_result_n_classes(r) > 0) {
        size_t nc = tsc_model_n_classes(model);
        for (size_t i = 0; i < nc && n < MAX_LEGEND - 4; i++) {
            snprintf(e[n].text, sizeof e[n].text, "%s", tsc_model_get_class_display(model, i));
            e[n].color = tsc__rgb_from_hex(tsc_model_get_class_color(model, i));
            e[n++].kind = 0;
        }
        snprintf(e[n].text, sizeof e[n].text, "Inconclusive");
        e[n].color = tsc__rgb_from_hex(TSC__COLOR_INCONCLUSIVE);
        e[n++].kind = 0;
    } else {
        tsc__class_info(model, r, 0, e[n].text, sizeof e[n].text, &e[n].color);
        e[n++].kind = 0;
        snprintf(e[n].text, sizeof e[n].text, "No tumour");
        e[n].color = tsc__rgb_from_hex(TSC__COLOR_NO_TUMOR);
        e[n++].kind = 0;
    }
    if (axes) {
        snprintf(e[n].text, sizeof e[n].text, "RANO axes (mm)");
        e[n].color = (tsc__rgb){1, 1, 1};
        e[n++].kind = 1;
    }
    if (heat) {
        snprintf(e[n].text, sizeof e[n].text, "Tumour probability 0\xe2\x80\x93" "1");
        e[n].color = (tsc__rgb){1, 1, 1};
        e[n++].kind = 2;
    }
    tsc__font(cr, FONT_SMALL, TSC__NORMAL);
    double tw = 0;
    for (size_t i = 0; i < n; i++) tw = fmax(tw, tsc__text_width(cr, e[i].text));
    double row = FONT_SMALL * 1.6, sw = 22;
    rect box = {0, 0, tw + sw + 3 * PAD, n * row + 2 * PAD - (row - FONT_SMALL * 1.2)};
    box.x = v->r.x + v->r.w - MARGIN - box.w;
    box.y = v->r.y + MARGIN;
    /* On narrow views, move below the verdict banner. */
    if (rects_overlap(box, banner)) box.y = banner.y + banner.h + MARGIN;
    if (box.y + box.h > v->r.y + v->r.h - bottom_reserved) return (rect){0, 0, 0, 0}; /* no room */
    rounded_rect(cr, box, 4);
    cairo_set_source_rgba(cr, 0.05, 0.06, 0.07, 0.72);
    cairo_fill(cr);
    for (size_t i = 0; i < n; i++) {
        double cy = box.y + PAD + i * row + FONT_SMALL * 0.6;
        double x = box.x + PAD;
        if (e[i].kind == 0) {
            cairo_rectangle(cr, x + 4, cy - 6, 14, 12);
            cairo_set_source_rgb(cr, e[i].color.r, e[i].color.g, e[i].color.b);
            cairo_fill_preserve(cr);
            cairo_set_source_rgba(cr, 1, 1, 1, 0.8);
            cairo_set_line_width(cr, 1);
            cairo_stroke(cr);
        } else if (e[i].kind == 1) {
            cairo_move_to(cr, x, cy);
            cairo_line_to(cr, x + sw, cy);
            cairo_set_source_rgb(cr, 1, 1, 1);
            cairo_set_line_width(cr, LINE_W);
            cairo_stroke(cr);
            cairo_move_to(cr, x, cy - 4);
            cairo_line_to(cr, x, cy + 4);
            cairo_move_to(cr, x + sw, cy - 4);
            cairo_line_to(cr, x + sw, cy + 4);
            cairo_stroke(cr);
        } else {
            cairo_pattern_t *g = cairo_pattern_create_linear(x, 0, x + sw, 0);
            for (int k = 0; k <= 8; k++) {
                tsc__rgb c = tsc__viridis(k / 8.0);
                cairo_pattern_add_color_stop_rgb(g, k / 8.0, c.r, c.g, c.b);
            }
            cairo_rectangle(cr, x, cy - 5, sw, 10);
            cairo_set_source(cr, g);
            cairo_fill(cr);
            cairo_pattern_destroy(g);
        }
        tsc__font(cr, FONT_SMALL, TSC__NORMAL);
        cairo_set_source_rgb(cr, 1, 1, 1);
        tsc__text(cr, x + sw + PAD, cy + FONT_SMALL * 0.36, e[i].text);
    }
    return box;
}

static double draw_disclaimer(cairo_t *cr, const view *v)
{
    tsc__font(cr, FONT_SMALL, TSC__NORMAL);
    double h = FONT_SMALL + 2 * 4;
    rect b = {v->r.x, v->r.y + v->r.h - h, v->r.w, h};
    cairo_rectangle(cr, b.x, b.y, b.w, b.h);
    cairo_set_source_rgba(cr, 0, 0, 0, 0.7);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 1.0, 0.84, 0.45);
    double tw = tsc__text_width(cr, TSC__DISCLAIMER);
    double x = b.x + fmax(4, (b.w - tw) / 2);
    tsc__text_fit(cr, x, b.y + 4 + FONT_SMALL * 0.8, b.w - 8, TSC__DISCLAIMER);
    return h;
}

static void to_device(cairo_t *cr, tsc_point p, double *x, double *y)
{
    *x = p.x + 0.5;
    *y = p.y + 0.5;
    cairo_user_to_device(cr, x, y);
}

/* One axis with end ticks; its length written beyond end `b`. */
static void draw_axis(cairo_t *cr, const view *v, double ax, double ay, double bx, double by,
                      double mm, rect *placed, size_t *n_placed, size_t max_placed)
{
    double dx = bx - ax, dy = by - ay, len = hypot(dx, dy);
    if (len < 1e-6) return;
    double ux = dx / len, uy = dy / len, nx = -uy, ny = ux;
    const double t = 4.0;
    /* Path in device space (identity matrix is current). */
    cairo_move_to(cr, ax, ay);
    cairo_line_to(cr, bx, by);
    cairo_move_to(cr, ax - nx * t, ay - ny * t);
    cairo_line_to(cr, ax + nx * t, ay + ny * t);
    cairo_move_to(cr, bx - nx * t, by - ny * t);
    cairo_line_to(cr, bx + nx * t, by + ny * t);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    cairo_set_source_rgba(cr, 0, 0, 0, 0.7);
    cairo_set_line_width(cr, LINE_W + 2);
    cairo_stroke_preserve(cr);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_set_line_width(cr, LINE_W * 0.75);
    cairo_stroke(cr);

    char text[32];
    snprintf(text, sizeof text, "%.1f mm", mm);
    tsc__font(cr, FONT_SMALL, TSC__BOLD);
    double tw = tsc__text_width(cr, text);
    rect r = {0, 0, tw + 8, FONT_SMALL + 6};
    double px = bx + ux * 8, py = by + uy * 8;
    r.x = ux >= 0 ? px : px - r.w;
    r.y = uy >= 0 ? py : py - r.h;
    if (fabs(uy) < 0.3) r.y = py - r.h / 2;
    if (fabs(ux) < 0.3) r.x = px - r.w / 2;
    for (size_t i = 0; i < *n_placed; i++)
        if (rects_overlap(r, placed[i])) r.y = placed[i].y + placed[i].h + 2;
    /* Keep the length readable at the edges of the view. */
    r.x = fmax(v->r.x + 2, fmin(r.x, v->r.x + v->r.w - r.w - 2));
    r.y = fmax(v->r.y + 2, fmin(r.y, v->r.y + v->r.h - r.h - 2));
    rounded_rect(cr, r, 3);
    cairo_set_source_rgba(cr, 0, 0, 0, 0.7);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 1, 1, 1);
    tsc__text(cr, r.x + 4, r.y + 3 + FONT_SMALL * 0.8, text);
    if (*n_placed < max_placed) placed[(*n_placed)++] = r;
}

tsc_status tsc_render_overlay(cairo_t *cr, const tsc_model *model, const tsc_result *r,
                              const tsc_overlay_options *options, tsc_error *err)
{
    TSC_ASSERT(cr && r);
    tsc_error_clear(err);
    if (cairo_status(cr) != CAIRO_STATUS_SUCCESS)
        return tsc_error_set(err, TSC_EINVAL, "the cairo context is in an error state (%s)",
                             cairo_status_to_string(cairo_status(cr)));
    tsc_overlay_options o = tsc__overlay_options(options);
    int rows = 0, cols = 0;
    const uint8_t *mask = tsc_result_get_mask(r, &rows, &cols);
    if (!mask || rows <= 0 || cols <= 0)
        return tsc_error_set(err, TSC_EINVAL, "the result has no mask to draw");

    tsc__finding f;
    tsc__describe(model, r, &f);
    tsc_verdict verdict = tsc_result_get_verdict(r);
    size_t n_mask = 0;
    for (size_t i = 0; i < (size_t)rows * cols; i++) n_mask += mask[i] != 0;

    cairo_save(cr);
    view v = compute_view(cr, rows, cols, &o);

    /* 1. Heat map (image space), under the mask. */
    const float *pmap = tsc_result_get_probability_map(r);
    int heat = o.show_heatmap && pmap;
    if (heat) {
        cairo_surface_t *hs = heat_surface(pmap, rows, cols);
        if (hs) {
            cairo_pattern_t *p = cairo_pattern_create_for_surface(hs);
            cairo_pattern_set_filter(p, v.scale >= 1 ? CAIRO_FILTER_BILINEAR : CAIRO_FILTER_GOOD);
            cairo_set_source(cr, p);
            cairo_rectangle(cr, 0, 0, cols, rows);
            cairo_fill(cr);
            cairo_pattern_destroy(p);
            cairo_surface_destroy(hs);
        }
    }

    /* 2. Mask: translucent fill (image space), then the pixel-exact outline. */
    tsc__rgb mc = f.color;
    if (n_mask) {
        if (o.mode == TSC_OVERLAY_FILL && o.opacity > 0) {
            cairo_surface_t *ms = mask_surface(mask, rows, cols);
            if (ms) {
                cairo_pattern_t *p = cairo_pattern_create_for_surface(ms);
                cairo_pattern_set_filter(p, CAIRO_FILTER_NEAREST);
                cairo_set_source_rgba(cr, mc.r, mc.g, mc.b, o.opacity);
                cairo_mask(cr, p);
                cairo_pattern_destroy(p);
                cairo_surface_destroy(ms);
            }
        }
        cairo_new_path(cr);
        mask_boundary_path(cr, mask, rows, cols);
        /* Inconclusive masks are dashed: a region to look at, not a finding. */
        stroke_haloed(cr, mc, LINE_W, verdict == TSC_VERDICT_INCONCLUSIVE);
    }

    /* 3. Device-space annotations. */
    cairo_identity_matrix(cr);
    cairo_new_path(cr);
    size_t n_les = tsc_result_n_lesions(r);
    rect placed[64];
    size_t n_placed = 0;
    rect banner = {v.r.x, v.r.y, 0, 0};
    if (o.show_labels) {
        banner = draw_banner(cr, &v, r, &f);
        placed[n_placed++] = banner;
    }
    double bottom = 0;
    if (o.show_disclaimer) bottom = draw_disclaimer(cr, &v);
    /* The legend goes before the lesion labels so that they avoid it. */
    int axes = 0;
    for (size_t i = 0; i < n_les && verdict != TSC_VERDICT_NO_TUMOR; i++)
        axes |= o.show_axes && tsc_result_get_lesion(r, i)->diameter_mm > 0;
    if (o.show_legend) {
        rect lg = draw_legend(cr, &v, model, r, axes, heat, banner, bottom);
        if (lg.w > 0) placed[n_placed++] = lg;
    }
    cairo_restore(cr);

    /* Axes and lesion labels need the caller's matrix to map points. */
    for (size_t i = 0; i < n_les && verdict != TSC_VERDICT_NO_TUMOR; i++) {
        const tsc_lesion_info *le = tsc_result_get_lesion(r, i);
        double p0x, p0y, p1x, p1y, q0x, q0y, q1x, q1y;
        to_device(cr, le->diameter_ends[0], &p0x, &p0y);
        to_device(cr, le->diameter_ends[1], &p1x, &p1y);
        to_device(cr, le->perpendicular_ends[0], &q0x, &q0y);
        to_device(cr, le->perpendicular_ends[1], &q1x, &q1y);
        double bx0 = le->bbox[0], by0 = le->bbox[1], bx1 = le->bbox[2] + 1.0, by1 = le->bbox[3] + 1.0;
        cairo_user_to_device(cr, &bx0, &by0);
        cairo_user_to_device(cr, &bx1, &by1);
        rect bb = {fmin(bx0, bx1), fmin(by0, by1), fabs(bx1 - bx0), fabs(by1 - by0)};

        cairo_save(cr);
        cairo_identity_matrix(cr);
        if (o.show_axes && le->diameter_mm > 0) {
            draw_axis(cr, &v, p0x, p0y, p1x, p1y, le->diameter_mm, placed, &n_placed, 64);
            if (le->perpendicular_mm > 0)
                draw_axis(cr, &v, q0x, q0y, q1x, q1y, le->perpendicular_mm, placed, &n_placed, 64);
        }
        if (o.show_labels) {
            char text[160];
            if (verdict == TSC_VERDICT_INCONCLUSIVE)
                snprintf(text, sizeof text, "Inconclusive region");
            else
                snprintf(text, sizeof text, "%s", f.label);
            rect lb = label_size(cr, text, FONT_LABEL);
            /* Six spots around the lesion: right, left, above, below, lower
             * right, lower left. */
            double top = v.r.y + MARGIN, bot = v.r.y + v.r.h - bottom - 2;
            rect cand[6];
            for (int ci = 0; ci < 6; ci++) cand[ci] = lb; /* sizes */
            const double right = bb.x + bb.w + 10, left = bb.x - lb.w - 10;
            const double centre = bb.x + bb.w / 2 - lb.w / 2;
            const double xs[6] = {right, left, centre, centre, right, left};
            const double ys[6] = {bb.y - lb.h / 2, bb.y - lb.h / 2, bb.y - lb.h - 12,
                                  bb.y + bb.h + 12, bb.y + bb.h, bb.y + bb.h};
            for (int ci = 0; ci < 6; ci++) {
                cand[ci].x = xs[ci];
                cand[ci].y = ys[ci];
            }
            /* Each spot moved inside the view; the one covering the least of
             * the other annotations and of the lesion itself wins. */
            double best = INFINITY;
            for (int ci = 0; ci < 6; ci++) {
                rect t = cand[ci];
                t.x = fmax(v.r.x + MARGIN, fmin(t.x, v.r.x + v.r.w - MARGIN - t.w));
                t.y = fmax(top, fmin(t.y, bot - t.h));
                double cost = 0;
                for (size_t k = 0; k < n_placed; k++) cost += overlap_area(t, placed[k]);
                cost += 2 * overlap_area(t, bb) + 0.01 * ci; /* ties: keep the order */
                if (cost < best) {
                    best = cost;
                    lb = t;
                }
            }
            /* A leader line when the label had to move away from its lesion. */
            double lx = lb.x + lb.w / 2 < bb.x + bb.w / 2 ? lb.x + lb.w : lb.x, ly = lb.y + lb.h / 2;
            double tx = fmax(bb.x, fmin(lx, bb.x + bb.w)), ty = fmax(bb.y, fmin(ly, bb.y + bb.h));
            if (hypot(tx - lx, ty - ly) > 14) {
                cairo_move_to(cr, lx, ly);
                cairo_line_to(cr, tx, ty);
                cairo_set_source_rgba(cr, 0, 0, 0, 0.6);
                cairo_set_line_width(cr, 3);
                cairo_stroke_preserve(cr);
                cairo_set_source_rgb(cr, f.color.r, f.color.g, f.color.b);
                cairo_set_line_width(cr, 1.25);
                cairo_stroke(cr);
            }
            draw_label(cr, lb, text, FONT_LABEL, f.color);
            if (n_placed < 64) placed[n_placed++] = lb;
        }
        cairo_restore(cr);
    }

    if (cairo_status(cr) != CAIRO_STATUS_SUCCESS)
        return tsc_error_set(err, TSC_ENOMEM, "drawing the overlay failed (%s)",
                             cairo_status_to_string(cairo_status(cr)));
    return TSC_OK;
}
