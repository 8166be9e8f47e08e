/* SPDX-License-Identifier: BSD-3-Clause */
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
#include "struct_size_private.h"

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
    TSC__PARAMS_COPY(&d, o);
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

/* Writes row y (cols pixels) of an image surface from `src`. */
typedef void (*fill_row_fn)(unsigned char *row, int y, int cols, const void *src);

/* A new image surface of rows x cols whose rows fill_row writes from `src`;
 * NULL when it cannot be made. */
static cairo_surface_t *pixel_surface(cairo_format_t format, int rows, int cols,
                                      fill_row_fn fill_row, const void *src)
{
    cairo_surface_t *s = cairo_image_surface_create(format, cols, rows);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(s);
        return NULL;
    }
    cairo_surface_flush(s);
    unsigned char *d = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    for (int y = 0; y < rows; y++) fill_row(d + (size_t)y * stride, y, cols, src);
    cairo_surface_mark_dirty(s);
    return s;
}

/* A8: opaque where the mask is set. */
static void mask_row(unsigned char *row, int y, int cols, const void *src)
{
    const uint8_t *mask = (const uint8_t *)src + (size_t)y * cols;
    for (int x = 0; x < cols; x++) row[x] = mask[x] ? 255 : 0;
}

/* ARGB32 (premultiplied): the probability on viridis. */
static void heat_row(unsigned char *bytes, int y, int cols, const void *src)
{
    const float *p = (const float *)src + (size_t)y * cols;
    uint32_t *row = (uint32_t *)(void *)bytes;
    for (int x = 0; x < cols; x++) {
        double v = p[x];
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

void tsc__stroke_halo(cairo_t *cr, tsc__rgb c, double halo_alpha, double halo_w, double line_w,
                      const double *dash)
{
    cairo_set_source_rgba(cr, 0, 0, 0, halo_alpha);
    cairo_set_line_width(cr, halo_w);
    cairo_stroke_preserve(cr);
    if (dash) cairo_set_dash(cr, dash, 2, 0);
    cairo_set_source_rgb(cr, c.r, c.g, c.b);
    cairo_set_line_width(cr, line_w);
    cairo_stroke(cr);
}

/* Strokes the current path (already in device space) with a dark halo. */
static void stroke_haloed(cairo_t *cr, tsc__rgb c, double width, int dashed)
{
    static const double dash[] = {6.0, 4.0};
    cairo_save(cr);
    cairo_identity_matrix(cr);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    tsc__stroke_halo(cr, c, 0.65, width + 2.0, width, dashed ? dash : NULL);
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

/* ---- occupied boxes ---------------------------------------------------- */

/* Everything already on the overlay that a lesion label must not cover. */
typedef struct occ {
    rect *r;
    tsc__box *kind;
    size_t n, cap;
} occ;

static void occ_add(occ *o, rect r, tsc__box kind)
{
    if (o->n == o->cap) {
        size_t cap = o->cap ? 2 * o->cap : 64;
        rect *nr = realloc(o->r, cap * sizeof *nr);
        if (nr) o->r = nr;
        tsc__box *nk = realloc(o->kind, cap * sizeof *nk);
        if (nk) o->kind = nk;
        if (!nr || !nk) return; /* the box is then only not avoided */
        o->cap = cap;
    }
    o->kind[o->n] = kind;
    o->r[o->n++] = r;
}

/* 1 when segment (x0, y0)-(x1, y1) passes through `r` (Liang-Barsky). */
static int segment_hits(double x0, double y0, double x1, double y1, rect r)
{
    double t0 = 0, t1 = 1, dx = x1 - x0, dy = y1 - y0;
    const double p[4] = {-dx, dx, -dy, dy};
    const double q[4] = {x0 - r.x, r.x + r.w - x0, y0 - r.y, r.y + r.h - y0};
    for (int i = 0; i < 4; i++) {
        if (p[i] == 0) {
            if (q[i] < 0) return 0;
            continue;
        }
        double t = q[i] / p[i];
        if (p[i] < 0) t0 = fmax(t0, t);
        else t1 = fmin(t1, t);
        if (t0 > t1) return 0;
    }
    return 1;
}

/* A leader line that would run across text (banner, badge, legend, another
 * label) hides it; across axes and other leaders it only crosses them. */
static int leader_blocked(const occ *o, double x0, double y0, double x1, double y1)
{
    for (size_t i = 0; i < o->n; i++) {
        tsc__box k = o->kind[i];
        if (k == TSC__BOX_AXIS || k == TSC__BOX_ORIENTATION || k == TSC__BOX_DISCLAIMER) continue;
        if (segment_hits(x0, y0, x1, y1, o->r[i])) return 1;
    }
    return 0;
}

static int occ_hits(const occ *o, rect r)
{
    for (size_t i = 0; i < o->n; i++)
        if (rects_overlap(r, o->r[i])) return 1;
    return 0;
}

static double occ_overlap(const occ *o, rect r)
{
    double a = 0;
    for (size_t i = 0; i < o->n; i++) a += overlap_area(r, o->r[i]);
    return a;
}

/* Adds `r` to the obstacles and tells the layout seam. */
static void reserve(occ *o, tsc__box kind, rect r, int index, const char *text)
{
    occ_add(o, r, kind);
    tsc__layout_note(kind, r.x, r.y, r.w, r.h, index, text);
}

/* A segment as a chain of small boxes (a diagonal axis's single bounding
 * box would block far more than the line covers). */
static void reserve_segment(occ *o, double ax, double ay, double bx, double by, double pad,
                            int index)
{
    double len = hypot(bx - ax, by - ay);
    int n = (int)ceil(len / 12.0);
    if (n < 1) n = 1;
    for (int i = 0; i < n; i++) {
        double x0 = ax + (bx - ax) * i / n, y0 = ay + (by - ay) * i / n;
        double x1 = ax + (bx - ax) * (i + 1) / n, y1 = ay + (by - ay) * (i + 1) / n;
        rect r = {fmin(x0, x1) - pad, fmin(y0, y1) - pad, fabs(x1 - x0) + 2 * pad,
                  fabs(y1 - y0) + 2 * pad};
        reserve(o, TSC__BOX_AXIS, r, index, NULL);
    }
}

/* ---- banner, badge, legend, disclaimer --------------------------------- */

/* A box of wrapped text on a solid colour; returns it. */
static rect text_box(cairo_t *cr, double x, double y, double max_w, const char *text, double font,
                     tsc__rgb bg)
{
    tsc__font(cr, font, TSC__BOLD);
    int lines = tsc__text_wrap(cr, 0, 0, max_w, font * 1.3, text, 0);
    double w = lines > 1 ? max_w : fmin(max_w, tsc__text_width(cr, text));
    rect b = {x, y, w + 2 * PAD, (lines ? lines : 1) * font * 1.3 + 2 * PAD - font * 0.3};
    rounded_rect(cr, b, 4);
    cairo_set_source_rgb(cr, bg.r, bg.g, bg.b);
    cairo_fill(cr);
    if (dark_text_on(bg)) cairo_set_source_rgb(cr, 0, 0, 0);
    else cairo_set_source_rgb(cr, 1, 1, 1);
    tsc__text_wrap(cr, b.x + PAD, b.y + PAD + font * 0.95, max_w, font * 1.3, text, 1);
    return b;
}

/* The one verdict banner of the slice: the description's label, with the
 * reason wrapped over further lines. */
static rect draw_banner(cairo_t *cr, const view *v, const tsc_description *d)
{
    char text[640];
    tsc__banner_text(d, 1, text, sizeof text);
    double max_w = fmax(80, v->r.w - 2 * MARGIN - 2 * PAD);
    return text_box(cr, v->r.x + MARGIN, v->r.y + MARGIN, max_w, text, FONT_LABEL,
                    tsc__rgb_from_hex(d->color));
}

/* "Outside the model's scope — research use", with the warning itself
 * where the view has room for it. */
static rect draw_scope_badge(cairo_t *cr, const view *v, double y, const char *warning)
{
    double max_w = fmax(80, v->r.w - 2 * MARGIN - 2 * PAD);
    char text[512];
    snprintf(text, sizeof text, "%s", TSC__SCOPE_BADGE);
    if (v->r.h >= 240 && warning && *warning) {
        tsc__font(cr, FONT_SMALL, TSC__BOLD);
        char full[512];
        snprintf(full, sizeof full, "%s: %s", TSC__SCOPE_BADGE, tsc__scope_detail(warning));
        if (tsc__text_wrap(cr, 0, 0, max_w, FONT_SMALL * 1.3, full, 0) <= 3)
            snprintf(text, sizeof text, "%s", full);
    }
    return text_box(cr, v->r.x + MARGIN, y, max_w, text, FONT_SMALL,
                    tsc__rgb_from_hex(TSC__COLOR_SCOPE));
}

typedef struct legend_entry {
    char text[96];
    tsc__rgb color;
    int kind; /* 0 swatch, 1 axis line, 2 colour bar */
} legend_entry;

/* The legend under the top-right corner, below anything already there;
 * zero-sized when there is no room. */
static rect draw_legend(cairo_t *cr, const view *v, const tsc_model *model, const tsc_result *r,
                        const tsc_description *d, int axes, int heat, const occ *o,
                        double bottom_reserved)
{
    legend_entry e[MAX_LEGEND];
    size_t n = 0;
    tsc_verdict verdict = d->verdict;
    if (model && tsc_result_get_method(r) == TSC_METHOD_CNN && tsc_result_n_classes(r) > 0) {
        size_t nc = tsc_model_n_classes(model);
        for (size_t i = 0; i < nc && n < MAX_LEGEND - 6; i++) {
            snprintf(e[n].text, sizeof e[n].text, "%s", tsc_model_get_class_display(model, i));
            e[n].color = tsc__rgb_from_hex(tsc_model_get_class_color(model, i));
            e[n++].kind = 0;
        }
        /* The states without a type of their own, in the description's words
         * where this slice is in one of them. */
        if (verdict == TSC_VERDICT_INCONCLUSIVE) {
            snprintf(e[n].text, sizeof e[n].text, "%s", d->finding);
            e[n].color = tsc__rgb_from_hex(d->color);
        } else {
            snprintf(e[n].text, sizeof e[n].text, "Inconclusive");
            e[n].color = tsc__rgb_from_hex(TSC_COLOR_INCONCLUSIVE);
        }
        e[n++].kind = 0;
        if (d->type_uncertain || verdict == TSC_VERDICT_NOT_ASSESSABLE) {
            snprintf(e[n].text, sizeof e[n].text, "%s", d->finding);
            e[n].color = tsc__rgb_from_hex(d->color);
            e[n++].kind = 0;
        }
    } else {
        if (verdict == TSC_VERDICT_TUMOR) {
            snprintf(e[n].text, sizeof e[n].text, "%s", d->finding);
            e[n].color = tsc__rgb_from_hex(d->color);
        } else {
            snprintf(e[n].text, sizeof e[n].text, "Tumour (%s method)",
                     tsc_method_to_string(tsc_result_get_method(r)));
            e[n].color = tsc__rgb_from_hex(TSC_COLOR_CLASSIC);
        }
        e[n++].kind = 0;
        snprintf(e[n].text, sizeof e[n].text, "No tumour");
        e[n].color = tsc__rgb_from_hex(verdict == TSC_VERDICT_NO_TUMOR ? d->color : TSC_COLOR_NO_TUMOR);
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
    /* On narrow views, move below the banner and the badge. */
    for (size_t i = 0; i < o->n; i++)
        if (rects_overlap(box, o->r[i])) box.y = fmax(box.y, o->r[i].y + o->r[i].h + MARGIN / 2);
    if (box.x < v->r.x || box.y + box.h > v->r.y + v->r.h - bottom_reserved)
        return (rect){0, 0, 0, 0}; /* no room */
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

static rect draw_disclaimer(cairo_t *cr, const view *v)
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
    return b;
}

/* ---- lesions ----------------------------------------------------------- */

static void to_device(cairo_t *cr, tsc_point p, double *x, double *y)
{
    *x = p.x + 0.5;
    *y = p.y + 0.5;
    cairo_user_to_device(cr, x, y);
}

/* One axis with end ticks, without text (its length is in the label). */
static void draw_axis(cairo_t *cr, occ *o, int index, double ax, double ay, double bx, double by)
{
    double dx = bx - ax, dy = by - ay, len = hypot(dx, dy);
    if (len < 1e-6) return;
    double nx = -dy / len, ny = dx / len;
    const double t = 4.0, pad = 3.0;
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
    reserve_segment(o, ax, ay, bx, by, pad, index);
    reserve_segment(o, ax - nx * t, ay - ny * t, ax + nx * t, ay + ny * t, pad, index);
    reserve_segment(o, bx - nx * t, by - ny * t, bx + nx * t, by + ny * t, pad, index);
}

/* "#2 12.2 × 8.1 mm": the number and the RANO measurement; the type is said
 * once, in the banner. */
static void lesion_text(const tsc_lesion_info *le, int number, char *out, size_t n)
{
    if (le->diameter_mm > 0 && le->perpendicular_mm > 0)
        snprintf(out, n, "#%d %.1f \xc3\x97 %.1f mm", number, le->diameter_mm, le->perpendicular_mm);
    else if (le->diameter_mm > 0)
        snprintf(out, n, "#%d %.1f mm", number, le->diameter_mm);
    else
        snprintf(out, n, "#%d", number);
}

static rect label_size(cairo_t *cr, const char *text, double font)
{
    tsc__font(cr, font, TSC__BOLD);
    rect r = {0, 0, tsc__text_width(cr, text) + 2 * PAD + font * 0.9, font + 2 * PAD - 2};
    return r;
}

/* The box under a label's words: dark, translucent, edged in colour c. */
static void label_box(cairo_t *cr, rect r, tsc__rgb c)
{
    rounded_rect(cr, r, 4);
    cairo_set_source_rgba(cr, 0.05, 0.06, 0.07, 0.82);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, c.r, c.g, c.b);
    cairo_set_line_width(cr, 1.5);
    cairo_stroke(cr);
}

/* A label box: text on a dark translucent background with a colour swatch,
 * so that the finding is never conveyed by colour alone. */
static void draw_label(cairo_t *cr, rect r, const char *text, double font, tsc__rgb c)
{
    label_box(cr, r, c);
    double sw = font * 0.65;
    cairo_rectangle(cr, r.x + PAD, r.y + (r.h - sw) / 2, sw, sw);
    cairo_set_source_rgb(cr, c.r, c.g, c.b);
    cairo_fill(cr);
    tsc__font(cr, font, TSC__BOLD);
    cairo_set_source_rgb(cr, 1, 1, 1);
    tsc__text(cr, r.x + PAD + font * 0.9, r.y + r.h / 2 + font * 0.36, text);
}

typedef struct lesion_box {
    rect bb;            /* the lesion's bounding box, device units */
    double cx, cy;      /* its centroid */
    char text[160];
    rect label;
    int placed;
} lesion_box;

/* Leader lines placed so far: x0, y0, x1, y1. */
typedef struct segs {
    double (*s)[4];
    size_t n;
} segs;

typedef struct area {
    double x0, y0, x1, y1; /* where a label may go */
} area;

static int inside(const area *a, rect r)
{
    return r.x >= a->x0 && r.y >= a->y0 && r.x + r.w <= a->x1 && r.y + r.h <= a->y1;
}

static int hits_lesions(const lesion_box *L, size_t n, rect r)
{
    for (size_t i = 0; i < n; i++)
        if (rects_overlap(r, L[i].bb)) return 1;
    return 0;
}

static double gap(rect r, rect bb)
{
    double dx = fmax(0, fmax(bb.x - (r.x + r.w), r.x - (bb.x + bb.w)));
    double dy = fmax(0, fmax(bb.y - (r.y + r.h), r.y - (bb.y + bb.h)));
    return hypot(dx, dy);
}

/* Greedy placement of one label: spots in rings around the lesion, nearest
 * first, that cover no obstacle (banner, badge, legend, disclaimer,
 * orientation letters, axes, earlier labels) and no lesion; then the same
 * allowing lesions; then a scan of the whole view for the free spot nearest
 * to the lesion; only when the view is full, the spot covering least. */
/* The leader of a label at `r` to lesion `l`: from the label's edge to
 * the lesion's centre. */
static int leader_clear(const occ *o, const segs *g, rect r, const lesion_box *l)
{
    double sx = fmax(r.x, fmin(l->cx, r.x + r.w)), sy = fmax(r.y, fmin(l->cy, r.y + r.h));
    if (leader_blocked(o, sx, sy, l->cx, l->cy)) return 0;
    /* Nor may the label cover an earlier leader. */
    for (size_t k = 0; k < g->n; k++)
        if (segment_hits(g->s[k][0], g->s[k][1], g->s[k][2], g->s[k][3], r)) return 0;
    return 1;
}

static rect place_label(const area *a, const occ *o, const segs *g, const lesion_box *L, size_t n,
                        size_t i, double w, double h, int *placed)
{
    static const double ring[] = {6, 14, 26, 42, 62, 90, 125, 170, 230};
    static const double dir[8][2] = {{1, 0}, {-1, 0}, {0, -1}, {0, 1},
                                     {1, -1}, {-1, -1}, {1, 1}, {-1, 1}};
    rect bb = L[i].bb;
    double cx = bb.x + bb.w / 2, cy = bb.y + bb.h / 2;
    rect best = {0, 0, w, h};
    double best_cost = INFINITY;
    *placed = 1;
    for (int pass = 0; pass < 3; pass++) {
        for (size_t ri = 0; ri < sizeof ring / sizeof ring[0]; ri++) {
            for (int di = 0; di < 8; di++) {
                double d = ring[ri], ux = dir[di][0], uy = dir[di][1];
                rect r = {0, 0, w, h};
                r.x = ux > 0 ? bb.x + bb.w + d * (uy ? 0.7 : 1)
                      : ux < 0 ? bb.x - w - d * (uy ? 0.7 : 1) : cx - w / 2;
                r.y = uy > 0 ? bb.y + bb.h + d * (ux ? 0.7 : 1)
                      : uy < 0 ? bb.y - h - d * (ux ? 0.7 : 1) : cy - h / 2;
                if (!inside(a, r) || occ_hits(o, r)) continue;
                if (pass == 0 && hits_lesions(L, n, r)) continue;
                if (pass < 2 && !leader_clear(o, g, r, &L[i])) continue;
                return r;
            }
        }
    }
    /* Scan the view. */
    for (double y = a->y0; y + h <= a->y1; y += 4)
        for (double x = a->x0; x + w <= a->x1; x += 4) {
            rect r = {x, y, w, h};
            if (occ_hits(o, r)) continue;
            double cost = gap(r, bb) + (hits_lesions(L, n, r) ? 1e4 : 0) +
                          (leader_clear(o, g, r, &L[i]) ? 0 : 500);
            if (cost < best_cost) {
                best_cost = cost;
                best = r;
            }
        }
    if (isfinite(best_cost)) return best;
    /* Nowhere free: the ring spot covering the least. */
    *placed = 0;
    for (size_t ri = 0; ri < sizeof ring / sizeof ring[0]; ri++)
        for (int di = 0; di < 8; di++) {
            double d = ring[ri], ux = dir[di][0], uy = dir[di][1];
            rect r = {cx - w / 2 + ux * (bb.w / 2 + w / 2 + d), cy - h / 2 + uy * (bb.h / 2 + h / 2 + d), w, h};
            r.x = fmax(a->x0, fmin(r.x, a->x1 - w));
            r.y = fmax(a->y0, fmin(r.y, a->y1 - h));
            double cost = occ_overlap(o, r) + 0.01 * d;
            if (cost < best_cost) {
                best_cost = cost;
                best = r;
            }
        }
    return best;
}

/* A leader from a label's edge (sx, sy) to its shape (tx, ty), in device
 * space: a dark halo under a thin line of the shape's colour. */
static void leader_line(cairo_t *cr, double sx, double sy, double tx, double ty, tsc__rgb c)
{
    cairo_move_to(cr, sx, sy);
    cairo_line_to(cr, tx, ty);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    tsc__stroke_halo(cr, c, 0.65, 3, 1.25, NULL);
}

/* The outline point of lesion `le` nearest to (x, y), device units; the
 * centroid when there is no outline. */
static void nearest_outline(cairo_t *cr, const tsc_lesion_info *le, double x, double y, double *px,
                            double *py)
{
    to_device(cr, le->centroid, px, py);
    double best = INFINITY;
    for (size_t i = 0; i < le->n_outline; i++) {
        double ox, oy;
        to_device(cr, le->outline[i], &ox, &oy);
        double d = hypot(ox - x, oy - y);
        if (d < best) {
            best = d;
            *px = ox;
            *py = oy;
        }
    }
}

/* ---- the overlay ------------------------------------------------------- */

tsc_status tsc_render_overlay(cairo_t *cr, const tsc_model *model, const tsc_result *r,
                              const tsc_overlay_options *options, tsc_error *err)
{
    return tsc__render_overlay_ex(cr, model, r, options, 0, err);
}

tsc_status tsc__render_overlay_ex(cairo_t *cr, const tsc_model *model, const tsc_result *r,
                                  const tsc_overlay_options *options, unsigned flags,
                                  tsc_error *err)
{
    return tsc__render_overlay_meas(cr, model, r, options, flags, NULL, 0, err);
}

/* The reader's measurements: shapes (image space, constant device width),
 * then labels placed like the lesion labels, after them; lesion boxes
 * L[0, n_les) and measurement boxes L[n_les, n_les + n_ms) are what a
 * label avoids covering. */
static void draw_measurements(cairo_t *cr, const view *v, occ *obst, lesion_box *L, size_t n_les,
                              const tsc_reader_measurement *ms, size_t n_ms, double bottom)
{
    tsc__rgb yellow = tsc__rgb_from_hex(TSC_COLOR_MEASUREMENT);
    double font = fmin(v->r.w, v->r.h) < 360 ? FONT_SMALL : FONT_LABEL;
    area a = {v->r.x + 2, v->r.y + 2, v->r.x + v->r.w - 2, v->r.y + v->r.h - bottom - 2};
    segs g = {calloc(n_ms ? n_ms : 1, sizeof *g.s), 0};
    cairo_save(cr);
    for (size_t j = 0; j < n_ms; j++) {
        lesion_box *b = &L[n_les + j];
        char values[128];
        tsc__measurement_values(&ms[j], 0, values, sizeof values);
        snprintf(b->text, sizeof b->text, "M%d %s", tsc__measurement_number(&ms[j], j), values);
        cairo_identity_matrix(cr);
        rect sz = label_size(cr, b->text, font);
        b->label = place_label(&a, obst, &g, L, n_les + n_ms, n_les + j, sz.w, sz.h, &b->placed);
        reserve(obst, TSC__BOX_MEASURE, b->label, tsc__measurement_number(&ms[j], j), b->text);
        if (g.s) {
            rect lb = b->label;
            g.s[g.n][0] = fmax(lb.x, fmin(b->cx, lb.x + lb.w));
            g.s[g.n][1] = fmax(lb.y, fmin(b->cy, lb.y + lb.h));
            g.s[g.n][2] = b->cx;
            g.s[g.n++][3] = b->cy;
        }
    }
    cairo_restore(cr);
    free(g.s);
    for (size_t j = 0; j < n_ms; j++) {
        lesion_box *b = &L[n_les + j];
        rect lb = b->label;
        double lcx = lb.x + lb.w / 2, lcy = lb.y + lb.h / 2, tx = b->cx, ty = b->cy,
               best = INFINITY;
        double xy[2 * 64];
        size_t na = tsc__measurement_anchors(&ms[j], xy, 64);
        for (size_t k = 0; k < na; k++) {
            double x = xy[2 * k], y = xy[2 * k + 1];
            cairo_user_to_device(cr, &x, &y);
            if (hypot(x - lcx, y - lcy) < best) {
                best = hypot(x - lcx, y - lcy);
                tx = x;
                ty = y;
            }
        }
        double sx = fmax(lb.x, fmin(tx, lb.x + lb.w)), sy = fmax(lb.y, fmin(ty, lb.y + lb.h));
        cairo_save(cr);
        cairo_identity_matrix(cr);
        /* A label beside its shape needs no leader (one would read as a
         * longer ruler). */
        if (hypot(tx - sx, ty - sy) > 16) leader_line(cr, sx, sy, tx, ty, yellow);
        /* As the viewer shows them: yellow words on a dark box. */
        label_box(cr, lb, yellow);
        tsc__font(cr, font, TSC__BOLD);
        tsc__text(cr, lb.x + PAD + font * 0.45, lb.y + lb.h / 2 + font * 0.36, b->text);
        cairo_restore(cr);
    }
}

tsc_status tsc__render_overlay_meas(cairo_t *cr, const tsc_model *model, const tsc_result *r,
                                    const tsc_overlay_options *options, unsigned flags,
                                    const tsc_reader_measurement *ms, size_t n_ms, tsc_error *err)
{
    TSC_ASSERT(cr && r && (ms || !n_ms));
    tsc_error_clear(err);
    if (cairo_status(cr) != CAIRO_STATUS_SUCCESS)
        return tsc_error_set(err, TSC_EINVAL, "the cairo context is in an error state (%s)",
                             cairo_status_to_string(cairo_status(cr)));
    tsc_overlay_options o = tsc__overlay_options(options);
    int rows = 0, cols = 0;
    const uint8_t *mask = tsc_result_get_mask(r, &rows, &cols);
    if (!mask || rows <= 0 || cols <= 0)
        return tsc_error_set(err, TSC_EINVAL, "the result has no mask to draw");

    tsc_description d;
    tsc_result_describe(model, r, &d);
    tsc__rgb color = tsc__rgb_from_hex(d.color);
    tsc_verdict verdict = d.verdict;
    /* Lesions are findings only where a tumour is, or may be. */
    int lesions_shown = verdict == TSC_VERDICT_TUMOR || verdict == TSC_VERDICT_INCONCLUSIVE;
    size_t n_mask = 0;
    for (size_t i = 0; i < (size_t)rows * cols; i++) n_mask += mask[i] != 0;

    cairo_save(cr);
    view v = compute_view(cr, rows, cols, &o);

    /* 1. Heat map (image space), under the mask. */
    const float *pmap = tsc_result_get_probability_map(r);
    int heat = o.show_heatmap && pmap;
    if (heat) {
        cairo_surface_t *hs = pixel_surface(CAIRO_FORMAT_ARGB32, rows, cols, heat_row, pmap);
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
    if (n_mask) {
        if (o.mode == TSC_OVERLAY_FILL && o.opacity > 0) {
            cairo_surface_t *ms = pixel_surface(CAIRO_FORMAT_A8, rows, cols, mask_row, mask);
            if (ms) {
                cairo_pattern_t *p = cairo_pattern_create_for_surface(ms);
                cairo_pattern_set_filter(p, CAIRO_FILTER_NEAREST);
                cairo_set_source_rgba(cr, color.r, color.g, color.b, o.opacity);
                cairo_mask(cr, p);
                cairo_pattern_destroy(p);
                cairo_surface_destroy(ms);
            }
        }
        cairo_new_path(cr);
        mask_boundary_path(cr, mask, rows, cols);
        /* A mask that is not a finding is dashed: a region to look at. */
        stroke_haloed(cr, color, LINE_W, verdict != TSC_VERDICT_TUMOR);
    }
    /* The reader's shapes over the mask, under the banner, legend and labels. */
    for (size_t j = 0; j < n_ms; j++) {
        cairo_save(cr);
        tsc__measurement_path(cr, &ms[j]);
        tsc__measurement_stroke(cr);
        cairo_restore(cr);
    }

    /* 3. Device-space annotations, each added to the obstacles as placed. */
    size_t n_les = lesions_shown ? tsc_result_n_lesions(r) : 0;
    lesion_box *L = n_les + n_ms ? calloc(n_les + n_ms, sizeof *L) : NULL;
    if (n_les + n_ms && !L) {
        cairo_restore(cr);
        return tsc_error_set(err, TSC_ENOMEM, "out of memory for %zu lesion labels", n_les);
    }
    for (size_t i = 0; i < n_les; i++) {
        const tsc_lesion_info *le = tsc_result_get_lesion(r, i);
        double bx0 = le->bbox[0], by0 = le->bbox[1], bx1 = le->bbox[2] + 1.0, by1 = le->bbox[3] + 1.0;
        cairo_user_to_device(cr, &bx0, &by0);
        cairo_user_to_device(cr, &bx1, &by1);
        L[i].bb = (rect){fmin(bx0, bx1), fmin(by0, by1), fabs(bx1 - bx0), fabs(by1 - by0)};
        to_device(cr, le->centroid, &L[i].cx, &L[i].cy);
    }
    /* A measurement's box, so that no lesion label covers it either. */
    for (size_t j = 0; j < n_ms; j++) {
        cairo_save(cr);
        tsc__measurement_path(cr, &ms[j]);
        cairo_identity_matrix(cr);
        double x0, y0, x1, y1;
        cairo_path_extents(cr, &x0, &y0, &x1, &y1);
        cairo_new_path(cr);
        cairo_restore(cr);
        L[n_les + j].bb = (rect){x0 - 2, y0 - 2, x1 - x0 + 4, y1 - y0 + 4};
        L[n_les + j].cx = (x0 + x1) / 2;
        L[n_les + j].cy = (y0 + y1) / 2;
    }

    cairo_identity_matrix(cr);
    cairo_new_path(cr);
    occ obst = {0};
    double top = v.r.y;
    if (!(flags & TSC__OVERLAY_NO_BANNER)) {
        if (o.show_labels) {
            rect b = draw_banner(cr, &v, &d);
            reserve(&obst, TSC__BOX_BANNER, b, 0, NULL);
            top = b.y + b.h;
        }
        if (d.scope_warning[0]) {
            rect b = draw_scope_badge(cr, &v, top + (top > v.r.y ? 4 : MARGIN), d.scope_warning);
            reserve(&obst, TSC__BOX_SCOPE, b, 0, NULL);
        }
    }
    double bottom = 0;
    if (o.show_disclaimer) {
        rect b = draw_disclaimer(cr, &v);
        reserve(&obst, TSC__BOX_DISCLAIMER, b, 0, NULL);
        bottom = b.h;
    }
    int axes = 0;
    for (size_t i = 0; i < n_les; i++)
        axes |= o.show_axes && tsc_result_get_lesion(r, i)->diameter_mm > 0;
    if (o.show_legend) {
        rect lg = draw_legend(cr, &v, model, r, &d, axes, heat, &obst, bottom);
        if (lg.w > 0) reserve(&obst, TSC__BOX_LEGEND, lg, 0, NULL);
    }
    /* Where hosts draw the orientation letters: the middle of each edge. */
    if (n_les && o.show_labels) {
        const double lw = 26, lh = 22;
        double cx = v.r.x + v.r.w / 2, cy = v.r.y + v.r.h / 2;
        rect z[4] = {{v.r.x + 2, cy - lh / 2, lw, lh},
                     {v.r.x + v.r.w - 2 - lw, cy - lh / 2, lw, lh},
                     {cx - lw / 2, v.r.y + 2, lw, lh},
                     {cx - lw / 2, v.r.y + v.r.h - bottom - 2 - lh, lw, lh}};
        for (int i = 0; i < 4; i++) reserve(&obst, TSC__BOX_ORIENTATION, z[i], 0, NULL);
    }
    cairo_restore(cr);

    /* Axes of every lesion first, so that no label covers any of them. */
    for (size_t i = 0; i < n_les && o.show_axes; i++) {
        const tsc_lesion_info *le = tsc_result_get_lesion(r, i);
        if (!(le->diameter_mm > 0)) continue;
        double p0x, p0y, p1x, p1y, q0x, q0y, q1x, q1y;
        to_device(cr, le->diameter_ends[0], &p0x, &p0y);
        to_device(cr, le->diameter_ends[1], &p1x, &p1y);
        to_device(cr, le->perpendicular_ends[0], &q0x, &q0y);
        to_device(cr, le->perpendicular_ends[1], &q1x, &q1y);
        cairo_save(cr);
        cairo_identity_matrix(cr);
        draw_axis(cr, &obst, (int)i + 1, p0x, p0y, p1x, p1y);
        if (le->perpendicular_mm > 0) draw_axis(cr, &obst, (int)i + 1, q0x, q0y, q1x, q1y);
        cairo_restore(cr);
    }

    /* Lesion labels: "#n" and the measurement, placed greedily (largest
     * lesions are first in the result), each tied to its lesion by a
     * leader line. */
    if (o.show_labels && n_les) {
        double font = fmin(v.r.w, v.r.h) < 360 ? FONT_SMALL : FONT_LABEL;
        area a = {v.r.x + 2, v.r.y + 2, v.r.x + v.r.w - 2, v.r.y + v.r.h - bottom - 2};
        cairo_save(cr);
        cairo_identity_matrix(cr);
        segs g = {calloc(n_les, sizeof *g.s), 0};
        for (size_t i = 0; i < n_les; i++) {
            lesion_text(tsc_result_get_lesion(r, i), (int)i + 1, L[i].text, sizeof L[i].text);
            rect sz = label_size(cr, L[i].text, font);
            L[i].label = place_label(&a, &obst, &g, L, n_les + n_ms, i, sz.w, sz.h, &L[i].placed);
            reserve(&obst, TSC__BOX_LABEL, L[i].label, (int)i + 1, L[i].text);
            rect lb = L[i].label;
            if (g.s) {
                g.s[g.n][0] = fmax(lb.x, fmin(L[i].cx, lb.x + lb.w));
                g.s[g.n][1] = fmax(lb.y, fmin(L[i].cy, lb.y + lb.h));
                g.s[g.n][2] = L[i].cx;
                g.s[g.n++][3] = L[i].cy;
            }
        }
        free(g.s);
        cairo_restore(cr);
        for (size_t i = 0; i < n_les; i++) {
            rect lb = L[i].label;
            double lcx = lb.x + lb.w / 2, lcy = lb.y + lb.h / 2, tx, ty;
            nearest_outline(cr, tsc_result_get_lesion(r, i), lcx, lcy, &tx, &ty);
            double sx = fmax(lb.x, fmin(tx, lb.x + lb.w)), sy = fmax(lb.y, fmin(ty, lb.y + lb.h));
            cairo_save(cr);
            cairo_identity_matrix(cr);
            if (hypot(tx - sx, ty - sy) > 3) {
                leader_line(cr, sx, sy, tx, ty, color);
                cairo_arc(cr, tx, ty, 2.2, 0, 2 * M_PI);
                cairo_fill(cr);
            }
            cairo_restore(cr);
        }
        cairo_save(cr);
        cairo_identity_matrix(cr);
        for (size_t i = 0; i < n_les; i++) draw_label(cr, L[i].label, L[i].text, font, color);
        cairo_restore(cr);
    }
    if (n_ms) draw_measurements(cr, &v, &obst, L, n_les, ms, n_ms, bottom);
    free(L);
    free(obst.r);
    free(obst.kind);

    if (cairo_status(cr) != CAIRO_STATUS_SUCCESS)
        return tsc_error_set(err, TSC_ENOMEM, "drawing the overlay failed (%s)",
                             cairo_status_to_string(cairo_status(cr)));
    return TSC_OK;
}
