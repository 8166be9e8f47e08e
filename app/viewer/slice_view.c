/* SPDX-License-Identifier: BSD-3-Clause */
#define G_LOG_DOMAIN "tsc-viewer-view"
#include "slice_view.h"

#include "display_props.h"
#include "slice_view_tools.h"
#include "viewer_api.h"

#include <math.h>
#include <string.h>

enum { SLOT_TL, SLOT_TR, SLOT_BL, SLOT_BR, SLOT_LETTER0, SLOT_STATUS = SLOT_LETTER0 + 4, SLOT_SEG, N_SLOTS };

#define ZOOM_MIN 0.25
#define ZOOM_MAX 40.0
#define TEXT_PAD 8.0

struct _TscSliceView {
    GtkWidget parent_instance;

    TscViewerImage *image;
    /* `image` mapped with tex_center/tex_width.  Cairo surfaces, not
     * GdkTextures: GTK 4.8's cairo renderer copies a texture into a new
     * surface on every frame it draws, cairo nodes reuse ours. */
    cairo_surface_t *surface;
    double tex_center, tex_width;

    char *modality;
    double iop[6];
    gboolean has_iop;

    const tsc_model *model; /* borrowed */
    cairo_surface_t *overlay_surface; /* the overlay as last drawn */
    unsigned char overlay_key[128]; /* OverlayKey it was drawn for */
    const tsc_result *result; /* borrowed: the window resets it before freeing */

    TscWindowPreset preset;
    double custom_center, custom_width;

    double zoom; /* relative to fit */
    double pan_x, pan_y;
    double pointer_x, pointer_y;

    /* drag state */
    double drag_center, drag_width, drag_pan_x, drag_pan_y;
    gboolean left_moved; /* the left press has moved past the click slop */
    int last_n_press;
    /* The left press found the image without the keyboard focus (another
     * widget had it, or the window was not active): it only focuses. */
    gboolean press_focuses;

    /* The stored SEG of the image on screen: mask, and its outline as an
     * image-sized surface drawn with the image's transform. */
    guint8 *seg_mask;
    int seg_rows, seg_cols;
    char *seg_label;
    cairo_surface_t *seg_surface;
    gboolean show_seg, left_drag_wl, invert;

    TscDisplayProps display;

    char *top_left, *top_right, *bottom_right, *status;

    gssize painted_slice;
    gint64 painted_time;

    /* Text layouts are kept between frames: scrolling redraws the view at
     * the frame rate and only the slice line's text changes. */
    PangoLayout *layouts[N_SLOTS];
    /* Where the corner texts and letters were last drawn, and whether a
     * corner text had to be cut (write-state reads them). */
    graphene_rect_t text_rects[N_SLOTS];
    gboolean text_ellipsized[N_SLOTS];
    double text_x[N_SLOTS]; /* where each corner layout is drawn from */

    TscSliceTools tools; /* measuring (slice_view_tools.c) */
    int rotation;        /* quarter turns clockwise, 0-3 */
    gboolean flip;       /* mirrored left-right before the rotation */
};

G_DEFINE_FINAL_TYPE(TscSliceView, tsc_slice_view, GTK_TYPE_WIDGET)

enum {
    PROP_SHOW_SEG = TSC_DISPLAY_PROP_END,
    PROP_LEFT_DRAG_WL,
    PROP_TOOL,
    PROP_SHOW_SCALE_BAR,
    PROP_INVERT,
    PROP_ROTATION,
    PROP_FLIP,
    PROP_ZOOM,
    N_PROPS
};
static GParamSpec *props[N_PROPS];

enum { SIGNAL_STEP, SIGNAL_CLICKED, SIGNAL_WINDOW_CHANGED, SIGNAL_MEASURED, N_SIGNALS };
static guint signals[N_SIGNALS];

/* ---- geometry ---------------------------------------------------------- */

static void physical_size(TscSliceView *self, double *w_mm, double *h_mm)
{
    const tsc_dicom_image *d = self->image->image;
    double dy = d->pixel_spacing[0] > 0 ? d->pixel_spacing[0] : 1;
    double dx = d->pixel_spacing[1] > 0 ? d->pixel_spacing[1] : 1;
    /* On screen: a quarter turn swaps width and height. */
    *w_mm = (self->rotation & 1 ? d->rows * dy : d->cols * dx);
    *h_mm = (self->rotation & 1 ? d->cols * dx : d->rows * dy);
}

static double fit_scale(TscSliceView *self)
{
    double wmm, hmm;
    physical_size(self, &wmm, &hmm);
    double vw = gtk_widget_get_width(GTK_WIDGET(self)), vh = gtk_widget_get_height(GTK_WIDGET(self));
    return MAX(1e-6, MIN(vw / wmm, vh / hmm));
}

gboolean tsc_slice_view_get_image_rect(TscSliceView *self, graphene_rect_t *rect)
{
    g_return_val_if_fail(TSC_IS_SLICE_VIEW(self), FALSE);
    if (!self->image) return FALSE;
    double wmm, hmm;
    physical_size(self, &wmm, &hmm);
    double s = fit_scale(self) * self->zoom;
    double w = wmm * s, h = hmm * s;
    double vw = gtk_widget_get_width(GTK_WIDGET(self)), vh = gtk_widget_get_height(GTK_WIDGET(self));
    graphene_rect_init(rect, (float)(vw / 2 + self->pan_x - w / 2),
                       (float)(vh / 2 + self->pan_y - h / 2), (float)w, (float)h);
    return TRUE;
}

gboolean tsc_slice_view_get_image_matrix(TscSliceView *self, cairo_matrix_t *m)
{
    g_return_val_if_fail(TSC_IS_SLICE_VIEW(self), FALSE);
    graphene_rect_t r;
    if (!tsc_slice_view_get_image_rect(self, &r)) return FALSE;
    const tsc_dicom_image *d = self->image->image;
    double s = fit_scale(self) * self->zoom;
    cairo_matrix_init_translate(m, r.origin.x + r.size.width / 2.0,
                                r.origin.y + r.size.height / 2.0);
    cairo_matrix_rotate(m, self->rotation * G_PI / 2);
    if (self->flip) cairo_matrix_scale(m, -1, 1);
    cairo_matrix_scale(m, s * (d->pixel_spacing[1] > 0 ? d->pixel_spacing[1] : 1),
                       s * (d->pixel_spacing[0] > 0 ? d->pixel_spacing[0] : 1));
    cairo_matrix_translate(m, -d->cols / 2.0, -d->rows / 2.0);
    return TRUE;
}

static gboolean widget_to_image(TscSliceView *self, double x, double y, double *ix, double *iy)
{
    cairo_matrix_t m;
    if (!tsc_slice_view_get_image_matrix(self, &m) ||
        cairo_matrix_invert(&m) != CAIRO_STATUS_SUCCESS)
        return FALSE;
    const tsc_dicom_image *d = self->image->image;
    *ix = x;
    *iy = y;
    cairo_matrix_transform_point(&m, ix, iy);
    return *ix >= 0 && *iy >= 0 && *ix < d->cols && *iy < d->rows;
}

/* widget_to_image, kept on the image: a measurement dragged past its edge
 * ends at the edge. */
static void image_point(TscSliceView *self, double x, double y, double *ix, double *iy)
{
    widget_to_image(self, x, y, ix, iy);
    *ix = CLAMP(*ix, 0, self->image->image->cols);
    *iy = CLAMP(*iy, 0, self->image->image->rows);
}

/* Zooms by `factor` keeping the image point under (x, y) in place. */
static void zoom_about(TscSliceView *self, double factor, double x, double y)
{
    if (!self->image) return;
    double zoom = CLAMP(self->zoom * factor, ZOOM_MIN, ZOOM_MAX);
    factor = zoom / self->zoom;
    double vw = gtk_widget_get_width(GTK_WIDGET(self)), vh = gtk_widget_get_height(GTK_WIDGET(self));
    /* The image centre sits at (vw/2 + pan); scaling about (x, y) moves it. */
    double cx = vw / 2 + self->pan_x, cy = vh / 2 + self->pan_y;
    cx = x + (cx - x) * factor;
    cy = y + (cy - y) * factor;
    self->pan_x = cx - vw / 2;
    self->pan_y = cy - vh / 2;
    self->zoom = zoom;
    gtk_widget_queue_draw(GTK_WIDGET(self));
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_ZOOM]);
}

void tsc_slice_view_fit(TscSliceView *self)
{
    g_return_if_fail(TSC_IS_SLICE_VIEW(self));
    gboolean changed = self->zoom != 1;
    self->zoom = 1;
    self->pan_x = self->pan_y = 0;
    gtk_widget_queue_draw(GTK_WIDGET(self));
    if (changed) g_object_notify_by_pspec(G_OBJECT(self), props[PROP_ZOOM]);
}

/* ---- window / level ---------------------------------------------------- */

static void effective_window(TscSliceView *self, TscWindowPreset preset, double *c, double *w)
{
    const tsc_dicom_image *d = self->image->image;
    double lo = d->min_value, hi = d->max_value;
    switch (preset) {
    case TSC_WINDOW_HEADER:
        if (d->window_width > 0) {
            *c = d->window_center;
            *w = d->window_width;
            return;
        }
        break;
    case TSC_WINDOW_BRAIN:
        if (g_strcmp0(self->modality, "CT") == 0) {
            *c = 40;
            *w = 80;
            return;
        }
        lo = self->image->brain_lo;
        hi = self->image->brain_hi;
        break;
    case TSC_WINDOW_CUSTOM:
        *c = self->custom_center;
        *w = self->custom_width;
        return;
    case TSC_WINDOW_MINMAX:
        break;
    }
    *c = (lo + hi) / 2;
    *w = MAX(hi - lo, 1e-3);
}

void tsc_slice_view_get_window(TscSliceView *self, double *center, double *width)
{
    g_return_if_fail(TSC_IS_SLICE_VIEW(self));
    if (!self->image) {
        *center = *width = 0;
        return;
    }
    effective_window(self, self->preset, center, width);
}

void tsc_slice_view_set_window(TscSliceView *self, double center, double width)
{
    g_return_if_fail(TSC_IS_SLICE_VIEW(self));
    self->custom_center = center;
    self->custom_width = MAX(1e-3, width);
    tsc_slice_view_set_window_preset(self, TSC_WINDOW_CUSTOM);
}

void tsc_slice_view_set_window_preset(TscSliceView *self, TscWindowPreset preset)
{
    g_return_if_fail(TSC_IS_SLICE_VIEW(self));
    self->preset = preset;
    gtk_widget_queue_draw(GTK_WIDGET(self));
    g_signal_emit(self, signals[SIGNAL_WINDOW_CHANGED], 0);
}

static cairo_surface_t *current_surface(TscSliceView *self)
{
    double c, w;
    effective_window(self, self->preset, &c, &w);
    if (!self->surface || c != self->tex_center || w != self->tex_width) {
        g_clear_pointer(&self->surface, cairo_surface_destroy);
        self->surface = tsc_viewer_image_to_surface(self->image, c, w);
        self->tex_center = c;
        self->tex_width = w;
    }
    return self->surface;
}

/* ---- public setters ---------------------------------------------------- */

void tsc_slice_view_set_image(TscSliceView *self, TscViewerImage *image)
{
    g_return_if_fail(TSC_IS_SLICE_VIEW(self));
    if (image == self->image) return;
    if (image) tsc_viewer_image_ref(image);
    if (self->image) tsc_viewer_image_unref(self->image);
    self->image = image;
    g_clear_pointer(&self->surface, cairo_surface_destroy);
    gtk_widget_queue_draw(GTK_WIDGET(self));
}

TscViewerImage *tsc_slice_view_get_image(TscSliceView *self)
{
    g_return_val_if_fail(TSC_IS_SLICE_VIEW(self), NULL);
    return self->image;
}

void tsc_slice_view_set_series(TscSliceView *self, const char *modality, const double *iop)
{
    g_return_if_fail(TSC_IS_SLICE_VIEW(self));
    g_free(self->modality);
    self->modality = g_strdup(modality);
    self->has_iop = iop && (iop[0] != 0 || iop[1] != 0 || iop[2] != 0);
    if (self->has_iop) memcpy(self->iop, iop, sizeof self->iop);
    self->preset = TSC_WINDOW_HEADER;
    self->rotation = 0;
    self->flip = FALSE;
    tsc_slice_view_fit(self);
}

void tsc_slice_view_set_result(TscSliceView *self, const tsc_model *model, const tsc_result *r)
{
    g_return_if_fail(TSC_IS_SLICE_VIEW(self));
    self->model = model;
    self->result = r;
    /* A freed result's address may come back for another one: never trust
     * the cache across calls. */
    g_clear_pointer(&self->overlay_surface, cairo_surface_destroy);
    gtk_widget_queue_draw(GTK_WIDGET(self));
}

const tsc_result *tsc_slice_view_get_result(TscSliceView *self)
{
    g_return_val_if_fail(TSC_IS_SLICE_VIEW(self), NULL);
    return self->result;
}

static void replace(char **field, const char *v)
{
    g_free(*field);
    *field = v && *v ? g_strdup(v) : NULL;
}

void tsc_slice_view_set_corner_text(TscSliceView *self, const char *top_left,
                                    const char *top_right, const char *bottom_right)
{
    g_return_if_fail(TSC_IS_SLICE_VIEW(self));
    replace(&self->top_left, top_left);
    replace(&self->top_right, top_right);
    replace(&self->bottom_right, bottom_right);
    gtk_widget_queue_draw(GTK_WIDGET(self));
}

void tsc_slice_view_set_status(TscSliceView *self, const char *status)
{
    g_return_if_fail(TSC_IS_SLICE_VIEW(self));
    if (g_strcmp0(status, self->status) == 0) return;
    replace(&self->status, status);
    gtk_widget_queue_draw(GTK_WIDGET(self));
}

/* One image pixel wide, on the inside of the mask: a pixel of the mask
 * with a 4-neighbour outside it (or on the border). */
static cairo_surface_t *seg_outline_surface(const guint8 *m, int rows, int cols)
{
    cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, cols, rows);
    if (cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS) return surf;
    cairo_surface_flush(surf);
    unsigned char *data = cairo_image_surface_get_data(surf);
    int stride = cairo_image_surface_get_stride(surf);
    const guint32 px = 0xFF000000u | TSC_VIEWER_COLOR_SEG;
    for (int y = 0; y < rows; y++) {
        guint32 *row = (guint32 *)(data + (size_t)y * stride);
        for (int x = 0; x < cols; x++) {
            const guint8 *p = m + (size_t)y * cols + x;
            gboolean edge = *p && (x == 0 || y == 0 || x == cols - 1 || y == rows - 1 || !p[-1] ||
                                   !p[1] || !p[-cols] || !p[cols]);
            row[x] = edge ? px : 0;
        }
    }
    cairo_surface_mark_dirty(surf);
    return surf;
}

void tsc_slice_view_set_seg(TscSliceView *self, const guint8 *mask, int rows, int cols,
                            const char *label)
{
    g_return_if_fail(TSC_IS_SLICE_VIEW(self));
    g_clear_pointer(&self->seg_mask, g_free);
    g_clear_pointer(&self->seg_label, g_free);
    g_clear_pointer(&self->seg_surface, cairo_surface_destroy);
    if (mask && rows > 0 && cols > 0) {
        self->seg_mask = g_memdup2(mask, (gsize)rows * cols);
        self->seg_rows = rows;
        self->seg_cols = cols;
        self->seg_label = g_strdup_printf("SEG: %s (stored result)", label && *label ? label : "segmentation");
        self->seg_surface = seg_outline_surface(self->seg_mask, rows, cols);
    }
    gtk_widget_queue_draw(GTK_WIDGET(self));
}

TscSliceTools *tsc__slice_view_get_tools(TscSliceView *self)
{
    return &self->tools;
}

gboolean tsc_slice_view_get_seg_drawn(TscSliceView *self)
{
    g_return_val_if_fail(TSC_IS_SLICE_VIEW(self), FALSE);
    return self->seg_surface && self->show_seg && self->image &&
           self->image->image->rows == self->seg_rows && self->image->image->cols == self->seg_cols;
}

const char *tsc_slice_view_get_seg_label(TscSliceView *self)
{
    g_return_val_if_fail(TSC_IS_SLICE_VIEW(self), "");
    return self->seg_label ? self->seg_label : "";
}

gboolean tsc_slice_view_get_text_rect(TscSliceView *self, TscSliceViewText which, graphene_rect_t *rect,
                                      gboolean *ellipsized)
{
    g_return_val_if_fail(TSC_IS_SLICE_VIEW(self), FALSE);
    g_return_val_if_fail(which >= 0 && which < TSC_SLICE_VIEW_N_TEXTS, FALSE);
    int slot = which <= TSC_SLICE_VIEW_TEXT_BOTTOM_RIGHT ? SLOT_TL + (int)which
                                                         : SLOT_LETTER0 + (int)(which - TSC_SLICE_VIEW_TEXT_LETTER_LEFT);
    *rect = self->text_rects[slot];
    if (ellipsized) *ellipsized = self->text_ellipsized[slot];
    return rect->size.width > 0 && rect->size.height > 0;
}

gssize tsc_slice_view_get_painted_slice(TscSliceView *self, gint64 *when)
{
    g_return_val_if_fail(TSC_IS_SLICE_VIEW(self), -1);
    if (when) *when = self->painted_time;
    return self->painted_slice;
}

/* ---- drawing ----------------------------------------------------------- */

/* The layout of `slot`, created once and updated only when its text changes. */
static PangoLayout *slot_layout(TscSliceView *self, int slot, const char *text, gboolean bold,
                                PangoAlignment align)
{
    PangoLayout *layout = self->layouts[slot];
    if (!layout) {
        layout = self->layouts[slot] = gtk_widget_create_pango_layout(GTK_WIDGET(self), NULL);
        PangoFontDescription *font = pango_font_description_from_string(bold ? "Sans Bold 10" : "Sans 9.5");
        pango_layout_set_font_description(layout, font);
        pango_font_description_free(font);
        pango_layout_set_alignment(layout, align);
    }
    if (g_strcmp0(pango_layout_get_text(layout), text) != 0) pango_layout_set_text(layout, text, -1);
    return layout;
}

/* Text over any image: a dark outline first (two offset copies), then the
 * text. */
static void draw_text(GtkSnapshot *s, PangoLayout *layout, double x, double y, const GdkRGBA *color)
{
    static const GdkRGBA shadow = {0, 0, 0, 0.9};
    static const int off[2][2] = {{1, 1}, {-1, -1}};
    for (int i = 0; i < 2; i++) {
        gtk_snapshot_save(s);
        gtk_snapshot_translate(s, &GRAPHENE_POINT_INIT((float)(x + off[i][0]), (float)(y + off[i][1])));
        gtk_snapshot_append_layout(s, layout, &shadow);
        gtk_snapshot_restore(s);
    }
    gtk_snapshot_save(s);
    gtk_snapshot_translate(s, &GRAPHENE_POINT_INIT((float)x, (float)y));
    gtk_snapshot_append_layout(s, layout, color);
    gtk_snapshot_restore(s);
}

static void edge_letters(TscSliceView *self, char out[4][4])
{
    tsc__edge_letters(self->iop, self->rotation, self->flip, out);
}

/* Lays out one row of corner texts (top or bottom) so that the left and
 * right texts never meet each other nor the orientation letter centred
 * between them: a text that does not fit its share is cut line by line
 * with an ellipsis in its middle (each line keeps its start and its end).
 * Records where each text goes in text_rects. */
static void place_corner_row(TscSliceView *self, int left_slot, const char *left, int right_slot,
                             const char *right, double letter_w, gboolean bottom, double w, double h)
{
    PangoLayout *l[2] = {left ? slot_layout(self, left_slot, left, FALSE, PANGO_ALIGN_LEFT) : NULL,
                         right ? slot_layout(self, right_slot, right, FALSE, PANGO_ALIGN_RIGHT) : NULL};
    int slots[2] = {left_slot, right_slot};
    int nat[2] = {0, 0};
    for (int i = 0; i < 2; i++) {
        if (!l[i]) continue;
        pango_layout_set_width(l[i], -1);
        pango_layout_set_ellipsize(l[i], PANGO_ELLIPSIZE_NONE);
        pango_layout_get_pixel_size(l[i], &nat[i], NULL);
    }
    const double gap = 12, avail = MAX(0.0, w - 2 * TEXT_PAD);
    /* With a letter between them each text has its half; without, a short
     * text leaves the rest to the other. */
    double half = letter_w > 0 ? MAX(0.0, (avail - letter_w) / 2 - gap) : MAX(0.0, (avail - gap) / 2);
    for (int i = 0; i < 2; i++) {
        self->text_ellipsized[slots[i]] = FALSE;
        graphene_rect_init(&self->text_rects[slots[i]], 0, 0, 0, 0);
        if (!l[i]) continue;
        double limit = letter_w > 0 ? half : MAX(half, avail - gap - nat[1 - i]);
        if (nat[i] > limit) {
            pango_layout_set_width(l[i], (int)(MAX(1.0, limit) * PANGO_SCALE));
            /* In the middle: the end of a series name ("... (time point 3 of
             * 10)") is often what tells it from its neighbours. */
            pango_layout_set_ellipsize(l[i], PANGO_ELLIPSIZE_MIDDLE);
            pango_layout_set_height(l[i], -1); /* one line per paragraph */
            self->text_ellipsized[slots[i]] = pango_layout_is_ellipsized(l[i]);
        }
        int lw, lh;
        pango_layout_get_pixel_size(l[i], &lw, &lh);
        if (nat[i] > limit) lw = (int)MIN((double)lw, limit);
        double x = i == 1 ? w - TEXT_PAD - lw : TEXT_PAD, y = bottom ? h - TEXT_PAD - lh : TEXT_PAD;
        graphene_rect_init(&self->text_rects[slots[i]], (float)x, (float)y, (float)lw, (float)lh);
        /* A right-aligned layout with a width aligns its lines inside it. */
        self->text_x[slots[i]] = i == 1 && nat[i] > limit ? w - TEXT_PAD - limit : x;
    }
}

/* Draws a laid-out corner text; returns the height of its band. */
static double draw_corner(TscSliceView *self, GtkSnapshot *s, int slot)
{
    static const GdkRGBA fg = {0.86, 0.89, 0.92, 1};
    const graphene_rect_t *r = &self->text_rects[slot];
    if (r->size.height <= 0) return 0;
    draw_text(s, self->layouts[slot], self->text_x[slot], r->origin.y, &fg);
    return r->size.height + TEXT_PAD;
}

static void draw_letters(TscSliceView *self, GtkSnapshot *s, double w, double h)
{
    static const GdkRGBA fg = {1.0, 0.83, 0.47, 1};
    char txt[4][4];
    edge_letters(self, txt);
    for (int i = 0; i < 4; i++) {
        PangoLayout *layout = slot_layout(self, SLOT_LETTER0 + i, txt[i], TRUE, PANGO_ALIGN_CENTER);
        int lw, lh;
        pango_layout_get_pixel_size(layout, &lw, &lh);
        double x = i == 0 ? TEXT_PAD : i == 1 ? w - TEXT_PAD - lw : (w - lw) / 2;
        double y = i < 2 ? (h - lh) / 2 : i == 2 ? TEXT_PAD : h - TEXT_PAD - lh;
        graphene_rect_init(&self->text_rects[SLOT_LETTER0 + i], (float)x, (float)y, (float)lw, (float)lh);
        draw_text(s, layout, x, y, &fg);
    }
}

/* Width of the letter centred on the top (i = 2) or bottom (3) edge; 0 without letters. */
static double letter_width(TscSliceView *self, int i)
{
    if (!self->image || !self->has_iop) return 0;
    char txt[4][4];
    edge_letters(self, txt);
    int lw;
    pango_layout_get_pixel_size(slot_layout(self, SLOT_LETTER0 + i, txt[i], TRUE, PANGO_ALIGN_CENTER), &lw,
                                NULL);
    return lw;
}

/* What the cached overlay surface was drawn for. */
typedef struct {
    const void *result, *model;
    float img[4];
    double w, band_h, top, opacity;
    int outline, heatmap, scale, orientation;
} OverlayKey;
G_STATIC_ASSERT(sizeof(OverlayKey) <= 128);

/* The plugin's overlay.  render_overlay lays its banner, legend and
 * disclaimer out in device space [0, view_width] x [0, view_height], but a
 * GtkSnapshot cairo node's device space is offset by the widget's position
 * in the window.  So the overlay is drawn into our own image surface whose
 * device space is the band between the corner texts, and shown as a
 * cairo image; it is kept until the result, geometry or options change, so that
 * window/level drags and panel redraws do not draw it again. */
static void draw_overlay(TscSliceView *self, GtkSnapshot *s, const graphene_rect_t *img, double w,
                         double h, double top, double bottom)
{
    const tsc_plugin_api *api = tsc_viewer_api();
    const tsc_dicom_image *d = self->image->image;
    int mrows = 0, mcols = 0;
    api->result_get_mask(self->result, &mrows, &mcols);
    if (mrows != d->rows || mcols != d->cols) return; /* stale: another slice's result */
    double band_h = MAX(1.0, h - top - bottom);
    OverlayKey key;
    memset(&key, 0, sizeof key); /* padding too: keys are compared with memcmp */
    key.result = self->result;
    key.model = self->model;
    key.img[0] = img->origin.x;
    key.img[1] = img->origin.y;
    key.img[2] = img->size.width;
    key.img[3] = img->size.height;
    key.w = w;
    key.band_h = band_h;
    key.top = top;
    key.opacity = self->display.opacity;
    key.outline = self->display.overlay_outline;
    key.heatmap = self->display.show_heatmap;
    key.scale = gtk_widget_get_scale_factor(GTK_WIDGET(self));
    key.orientation = self->rotation * 2 + self->flip;
    if (!self->overlay_surface || memcmp(&key, self->overlay_key, sizeof key) != 0) {
        g_clear_pointer(&self->overlay_surface, cairo_surface_destroy);
        int pw = (int)ceil(w) * key.scale, ph = (int)ceil(band_h) * key.scale;
        cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, pw, ph);
        cairo_surface_set_device_scale(surf, key.scale, key.scale);
        cairo_t *c2 = cairo_create(surf);
        cairo_matrix_t m;
        tsc_slice_view_get_image_matrix(self, &m);
        cairo_translate(c2, 0, -top);
        cairo_transform(c2, &m);
        tsc_overlay_options o = api->overlay_default_options();
        o.mode = self->display.overlay_outline ? TSC_OVERLAY_OUTLINE : TSC_OVERLAY_FILL;
        o.opacity = self->display.opacity;
        o.show_heatmap = self->display.show_heatmap;
        o.view_width = w;
        o.view_height = band_h;
        tsc_error err = {0};
        tsc_status st = api->render_overlay(c2, self->model, self->result, &o, &err);
        if (st != TSC_OK) g_warning("overlay not drawn: %s", err.message);
        cairo_destroy(c2);
        cairo_surface_flush(surf);
        self->overlay_surface = surf;
        memcpy(self->overlay_key, &key, sizeof key);
    }
    cairo_t *cr = gtk_snapshot_append_cairo(s, &GRAPHENE_RECT_INIT(0, (float)top, (float)ceil(w), (float)ceil(band_h)));
    cairo_set_source_surface(cr, self->overlay_surface, 0, top);
    cairo_paint(cr);
    cairo_destroy(cr);
}

static void tsc_slice_view_snapshot(GtkWidget *widget, GtkSnapshot *s)
{
    TscSliceView *self = TSC_SLICE_VIEW(widget);
    double w = gtk_widget_get_width(widget), h = gtk_widget_get_height(widget);
    graphene_rect_t bounds = GRAPHENE_RECT_INIT(0, 0, (float)w, (float)h);
    static const GdkRGBA black = {0, 0, 0, 1};
    gtk_snapshot_append_color(s, &black, &bounds);
    gtk_snapshot_push_clip(s, &bounds);

    graphene_rect_t img;
    if (tsc_slice_view_get_image_rect(self, &img)) {
        /* Only the visible part: a zoomed-in image can be far larger than the view. */
        graphene_rect_t vis;
        if (graphene_rect_intersection(&img, &bounds, &vis)) {
            const tsc_dicom_image *d = self->image->image;
            cairo_t *cr = gtk_snapshot_append_cairo(s, &vis);
            cairo_matrix_t m;
            tsc_slice_view_get_image_matrix(self, &m);
            cairo_transform(cr, &m);
            cairo_set_source_surface(cr, current_surface(self), 0, 0);
            /* Bilinear when enlarging; a box filter when shrinking. */
            cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_GOOD);
            cairo_pattern_set_extend(cairo_get_source(cr), CAIRO_EXTEND_PAD);
            cairo_rectangle(cr, 0, 0, d->cols, d->rows);
            cairo_fill(cr);
            if (self->invert) {
                /* Grey g becomes 255 - g; the cached surface stays as it is. */
                cairo_set_operator(cr, CAIRO_OPERATOR_DIFFERENCE);
                cairo_set_source_rgb(cr, 1, 1, 1);
                cairo_rectangle(cr, 0, 0, d->cols, d->rows);
                cairo_fill(cr);
                cairo_set_operator(cr, CAIRO_OPERATOR_OVER);
            }
            if (tsc_slice_view_get_seg_drawn(self)) {
                /* Under our own overlay, which keeps priority. */
                cairo_set_source_surface(cr, self->seg_surface, 0, 0);
                cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
                cairo_paint(cr);
            }
            cairo_destroy(cr);
        }
        self->painted_slice = (gssize)self->image->slice;
        self->painted_time = g_get_monotonic_time();
    }

    /* Corner texts first (measured), so the overlay can keep clear of them. */
    double top = 0, bottom = 0;
    if (self->display.show_corner_text && self->image) {
        double c, ww;
        effective_window(self, self->preset, &c, &ww);
        static const char *names[] = {"header", "brain", "min/max", "custom"};
        const tsc_dicom_image *d = self->image->image;
        g_autofree char *bl = g_strdup_printf(
            "W %.0f  L %.0f (%s)\nZoom %.0f%%  %d\xc3\x97%d", ww, c, names[self->preset],
            100.0 * MAX(img.size.width, img.size.height) / MAX(1, MAX(d->cols, d->rows)), d->cols,
            d->rows);
        place_corner_row(self, SLOT_TL, self->top_left, SLOT_TR, self->top_right, letter_width(self, 2),
                         FALSE, w, h);
        place_corner_row(self, SLOT_BL, bl, SLOT_BR, self->bottom_right, letter_width(self, 3), TRUE, w, h);
        top = MAX(draw_corner(self, s, SLOT_TL), draw_corner(self, s, SLOT_TR));
        bottom = MAX(draw_corner(self, s, SLOT_BL), draw_corner(self, s, SLOT_BR));
        tsc__slice_tools_snapshot_scale_bar(&self->tools, self, s, h, bottom);
    } else {
        for (int i = SLOT_TL; i <= SLOT_BR; i++) graphene_rect_init(&self->text_rects[i], 0, 0, 0, 0);
        tsc__slice_tools_snapshot_scale_bar(&self->tools, self, s, h, 0);
    }
    if (!self->image || !self->has_iop)
        for (int i = 0; i < 4; i++) graphene_rect_init(&self->text_rects[SLOT_LETTER0 + i], 0, 0, 0, 0);
    if (self->image && self->result && self->display.show_overlay)
        draw_overlay(self, s, &img, w, h, top, bottom);
    tsc__slice_tools_snapshot(&self->tools, self, s, &bounds);
    if (self->image && self->has_iop) draw_letters(self, s, w, h);
    if (tsc_slice_view_get_seg_drawn(self)) {
        static const GdkRGBA seg_fg = {((TSC_VIEWER_COLOR_SEG >> 16) & 0xFF) / 255.0f,
                                       ((TSC_VIEWER_COLOR_SEG >> 8) & 0xFF) / 255.0f,
                                       (TSC_VIEWER_COLOR_SEG & 0xFF) / 255.0f, 1};
        PangoLayout *layout = slot_layout(self, SLOT_SEG, self->seg_label, TRUE, PANGO_ALIGN_CENTER);
        int lw, lh;
        pango_layout_get_pixel_size(layout, &lw, &lh);
        draw_text(s, layout, (w - lw) / 2, h - bottom - TEXT_PAD - lh, &seg_fg);
    }

    if (self->status || !self->image) {
        static const GdkRGBA fg = {0.75, 0.8, 0.85, 1};
        const char *text = self->status ? self->status : "";
        PangoLayout *layout = slot_layout(self, SLOT_STATUS, text, TRUE, PANGO_ALIGN_CENTER);
        int lw, lh;
        pango_layout_get_pixel_size(layout, &lw, &lh);
        double y = self->image ? h - bottom - TEXT_PAD - lh - 28 : (h - lh) / 2;
        draw_text(s, layout, (w - lw) / 2, y, &fg);
    }
    gtk_snapshot_pop(s);
}

/* ---- input ------------------------------------------------------------- */

static gboolean on_scroll(GtkEventControllerScroll *ctl, double dx, double dy, gpointer data)
{
    (void)dx;
    TscSliceView *self = data;
    GdkModifierType mods = gtk_event_controller_get_current_event_state(GTK_EVENT_CONTROLLER(ctl));
    if (dy == 0) return FALSE;
    if (mods & GDK_CONTROL_MASK) {
        zoom_about(self, pow(1.2, -dy), self->pointer_x, self->pointer_y);
        return TRUE;
    }
    g_signal_emit(self, signals[SIGNAL_STEP], 0, dy > 0 ? (int)ceil(dy) : (int)floor(dy));
    return TRUE;
}

static void on_motion(GtkEventControllerMotion *ctl, double x, double y, gpointer data)
{
    (void)ctl;
    TscSliceView *self = data;
    self->pointer_x = x;
    self->pointer_y = y;
    if (self->tools.tool == TSC_TOOL_PROBE && self->image) {
        self->tools.probe_valid =
            widget_to_image(self, x, y, &self->tools.probe_x, &self->tools.probe_y);
        gtk_widget_queue_draw(GTK_WIDGET(self));
    }
}

static void on_leave(GtkEventControllerMotion *ctl, gpointer data)
{
    (void)ctl;
    TscSliceView *self = data;
    if (!self->tools.probe_valid) return;
    self->tools.probe_valid = FALSE;
    gtk_widget_queue_draw(GTK_WIDGET(self));
}

static void on_wl_begin(GtkGestureDrag *g, double x, double y, gpointer data)
{
    (void)g;
    (void)x;
    (void)y;
    TscSliceView *self = data;
    if (!self->image) return;
    effective_window(self, self->preset, &self->drag_center, &self->drag_width);
    gtk_widget_grab_focus(GTK_WIDGET(self));
}

/* Horizontal: width, vertical: level, at a speed proportional to the
 * window width when the drag began (Weasis, OHIF, Horos): 300 pixels add
 * one width, so a narrow window is fine-tuned and a wide one moves fast. */
static void apply_wl_drag(TscSliceView *self, double dx, double dy)
{
    const tsc_dicom_image *d = self->image->image;
    double range = MAX(d->max_value - d->min_value, 1.0);
    double k = MAX(self->drag_width, range * 0.01) / 300.0;
    self->custom_width = MAX(1e-3, self->drag_width + dx * k);
    self->custom_center = self->drag_center + dy * k;
    self->preset = TSC_WINDOW_CUSTOM;
    gtk_widget_queue_draw(GTK_WIDGET(self));
    g_signal_emit(self, signals[SIGNAL_WINDOW_CHANGED], 0);
}

static void on_wl_update(GtkGestureDrag *g, double dx, double dy, gpointer data)
{
    (void)g;
    TscSliceView *self = data;
    if (!self->image) return;
    apply_wl_drag(self, dx, dy);
}

/* Left button: a drag sets window/level (when left_drag_wl), a press and
 * release within the slop is a click. */
static void on_left_begin(GtkGestureDrag *g, double x, double y, gpointer data)
{
    (void)g;
    (void)x;
    (void)y;
    TscSliceView *self = data;
    self->left_moved = FALSE;
    if (self->image) effective_window(self, self->preset, &self->drag_center, &self->drag_width);
    if (self->image && tsc__slice_tools_draws(&self->tools)) {
        double ix, iy;
        image_point(self, x, y, &ix, &iy);
        tsc__slice_tools_begin(&self->tools, ix, iy);
    }
}

static void on_left_update(GtkGestureDrag *g, double dx, double dy, gpointer data)
{
    (void)g;
    TscSliceView *self = data;
    if (!self->left_moved && hypot(dx, dy) < TSC_SLICE_VIEW_CLICK_SLOP) return;
    self->left_moved = TRUE;
    double x0, y0, ix, iy;
    if (self->tools.drawing && self->image && gtk_gesture_drag_get_start_point(g, &x0, &y0)) {
        image_point(self, x0 + dx, y0 + dy, &ix, &iy);
        tsc__slice_tools_update(&self->tools, ix, iy);
        gtk_widget_queue_draw(GTK_WIDGET(self));
        return;
    }
    if (self->image && self->left_drag_wl && self->tools.tool == TSC_TOOL_NONE)
        apply_wl_drag(self, dx, dy);
}

/* Capture phase, before every gesture: whether this press comes to an image
 * that had the focus. */
static gboolean on_any_event(GtkEventControllerLegacy *c, GdkEvent *ev, gpointer data)
{
    (void)c;
    TscSliceView *self = data;
    if (gdk_event_get_event_type(ev) == GDK_BUTTON_PRESS && gdk_button_event_get_button(ev) == GDK_BUTTON_PRIMARY) {
        GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
        gboolean active = !GTK_IS_WINDOW(root) || gtk_window_is_active(GTK_WINDOW(root));
        self->press_focuses = !gtk_widget_is_focus(GTK_WIDGET(self)) || !active;
    }
    return FALSE;
}

static void on_left_end(GtkGestureDrag *g, double dx, double dy, gpointer data)
{
    TscSliceView *self = data;
    if (self->tools.drawing) {
        /* A measuring drag never analyses nor changes the window. */
        const char *kind = NULL;
        GVariant *points = NULL;
        self->left_moved = self->press_focuses = FALSE;
        if (tsc__slice_tools_end(&self->tools, &kind, &points))
            g_signal_emit(self, signals[SIGNAL_MEASURED], 0, kind, points);
        gtk_widget_queue_draw(GTK_WIDGET(self));
        return;
    }
    gboolean click = !self->left_moved && hypot(dx, dy) < TSC_SLICE_VIEW_CLICK_SLOP;
    /* The first click on an image without the focus only focuses it. */
    if (self->press_focuses) click = FALSE;
    self->press_focuses = FALSE;
    self->left_moved = FALSE;
    double x0, y0, ix, iy;
    /* The first release of a double click analyses, the second only fits. */
    if (click && self->last_n_press == 1 && gtk_gesture_drag_get_start_point(g, &x0, &y0) &&
        widget_to_image(self, x0 + dx, y0 + dy, &ix, &iy))
        g_signal_emit(self, signals[SIGNAL_CLICKED], 0, ix, iy);
}

static void on_pan_begin(GtkGestureDrag *g, double x, double y, gpointer data)
{
    (void)g;
    (void)x;
    (void)y;
    TscSliceView *self = data;
    self->drag_pan_x = self->pan_x;
    self->drag_pan_y = self->pan_y;
    gtk_widget_grab_focus(GTK_WIDGET(self));
}

static void on_pan_update(GtkGestureDrag *g, double dx, double dy, gpointer data)
{
    (void)g;
    TscSliceView *self = data;
    self->pan_x = self->drag_pan_x + dx;
    self->pan_y = self->drag_pan_y + dy;
    gtk_widget_queue_draw(GTK_WIDGET(self));
}

static void on_pressed(GtkGestureClick *g, int n_press, double x, double y, gpointer data)
{
    (void)g;
    (void)x;
    (void)y;
    TscSliceView *self = data;
    self->last_n_press = n_press;
    gtk_widget_grab_focus(GTK_WIDGET(self));
    if (n_press == 2) tsc_slice_view_fit(self);
}

/* ---- actions ----------------------------------------------------------- */

static void action_step(GtkWidget *w, const char *name, GVariant *param)
{
    (void)name;
    g_signal_emit(w, signals[SIGNAL_STEP], 0, g_variant_get_int32(param));
}

static void action_fit(GtkWidget *w, const char *name, GVariant *param)
{
    (void)name;
    (void)param;
    tsc_slice_view_fit(TSC_SLICE_VIEW(w));
}

static void action_zoom(GtkWidget *w, const char *name, GVariant *param)
{
    (void)name;
    TscSliceView *self = TSC_SLICE_VIEW(w);
    zoom_about(self, g_variant_get_double(param), gtk_widget_get_width(w) / 2.0,
               gtk_widget_get_height(w) / 2.0);
}

static void action_native(GtkWidget *w, const char *name, GVariant *param)
{
    (void)name;
    (void)param;
    TscSliceView *self = TSC_SLICE_VIEW(w);
    if (!self->image) return;
    /* One image column per screen pixel, whichever way the image is turned. */
    cairo_matrix_t m;
    tsc_slice_view_get_image_matrix(self, &m);
    zoom_about(self, 1.0 / hypot(m.xx, m.yx), gtk_widget_get_width(w) / 2.0,
               gtk_widget_get_height(w) / 2.0);
}

static void action_window(GtkWidget *w, const char *name, GVariant *param)
{
    (void)name;
    const char *p = g_variant_get_string(param, NULL);
    TscWindowPreset preset = g_str_equal(p, "brain")    ? TSC_WINDOW_BRAIN
                             : g_str_equal(p, "minmax") ? TSC_WINDOW_MINMAX
                                                        : TSC_WINDOW_HEADER;
    tsc_slice_view_set_window_preset(TSC_SLICE_VIEW(w), preset);
}

/* ---- GObject ----------------------------------------------------------- */

static void tsc_slice_view_get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
    TscSliceView *self = TSC_SLICE_VIEW(object);
    if (tsc_display_props_get(&self->display, id, value)) return;
    switch (id) {
    case PROP_SHOW_SEG: g_value_set_boolean(value, self->show_seg); break;
    case PROP_LEFT_DRAG_WL: g_value_set_boolean(value, self->left_drag_wl); break;
    case PROP_TOOL: g_value_set_string(value, tsc__view_tool_to_string(self->tools.tool)); break;
    case PROP_SHOW_SCALE_BAR: g_value_set_boolean(value, self->tools.show_scale_bar); break;
    case PROP_INVERT: g_value_set_boolean(value, self->invert); break;
    case PROP_ROTATION: g_value_set_int(value, self->rotation); break;
    case PROP_FLIP: g_value_set_boolean(value, self->flip); break;
    case PROP_ZOOM: g_value_set_double(value, self->zoom); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    }
}

static void tsc_slice_view_set_property(GObject *object, guint id, const GValue *value,
                                        GParamSpec *pspec)
{
    TscSliceView *self = TSC_SLICE_VIEW(object);
    if (tsc_display_props_set(&self->display, id, value, NULL)) {
        if (id == TSC_DISPLAY_PROP_ANALYZE_ON_CLICK)
            gtk_widget_set_cursor_from_name(GTK_WIDGET(self),
                                            self->display.analyze_on_click ? "crosshair" : NULL);
        gtk_widget_queue_draw(GTK_WIDGET(self));
        return;
    }
    switch (id) {
    case PROP_SHOW_SEG: self->show_seg = g_value_get_boolean(value); break;
    case PROP_LEFT_DRAG_WL: self->left_drag_wl = g_value_get_boolean(value); break;
    case PROP_TOOL: {
        int tool = tsc__view_tool_from_string(g_value_get_string(value));
        self->tools.tool = tool < 0 ? TSC_TOOL_NONE : (TscViewTool)tool;
        self->tools.drawing = FALSE;
        self->tools.probe_valid = FALSE;
        break;
    }
    case PROP_SHOW_SCALE_BAR: self->tools.show_scale_bar = g_value_get_boolean(value); break;
    case PROP_INVERT: self->invert = g_value_get_boolean(value); break;
    case PROP_ROTATION: self->rotation = g_value_get_int(value) & 3; break;
    case PROP_FLIP: self->flip = g_value_get_boolean(value); break;
    case PROP_ZOOM: {
        /* About the view's centre, as the zoom keys do. */
        double z = g_value_get_double(value);
        if (self->image && z != self->zoom)
            zoom_about(self, z / self->zoom, gtk_widget_get_width(GTK_WIDGET(self)) / 2.0,
                       gtk_widget_get_height(GTK_WIDGET(self)) / 2.0);
        break;
    }
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec); return;
    }
    gtk_widget_queue_draw(GTK_WIDGET(self));
}

static void tsc_slice_view_dispose(GObject *object)
{
    TscSliceView *self = TSC_SLICE_VIEW(object);
    g_clear_pointer(&self->image, tsc_viewer_image_unref);
    g_clear_pointer(&self->surface, cairo_surface_destroy);
    g_clear_pointer(&self->overlay_surface, cairo_surface_destroy);
    g_clear_pointer(&self->seg_surface, cairo_surface_destroy);
    g_clear_pointer(&self->seg_mask, g_free);
    g_clear_pointer(&self->seg_label, g_free);
    for (int i = 0; i < N_SLOTS; i++) g_clear_object(&self->layouts[i]);
    tsc__slice_tools_dispose(&self->tools);
    self->result = NULL;
    G_OBJECT_CLASS(tsc_slice_view_parent_class)->dispose(object);
}

static void tsc_slice_view_finalize(GObject *object)
{
    TscSliceView *self = TSC_SLICE_VIEW(object);
    g_free(self->modality);
    g_free(self->top_left);
    g_free(self->top_right);
    g_free(self->bottom_right);
    g_free(self->status);
    G_OBJECT_CLASS(tsc_slice_view_parent_class)->finalize(object);
}

static void bind_step(GtkWidgetClass *wc, guint key, GdkModifierType mods, int step)
{
    gtk_widget_class_add_binding_action(wc, key, mods, "view.step", "i", step);
}

static void tsc_slice_view_class_init(TscSliceViewClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    oc->get_property = tsc_slice_view_get_property;
    oc->set_property = tsc_slice_view_set_property;
    oc->dispose = tsc_slice_view_dispose;
    oc->finalize = tsc_slice_view_finalize;
    wc->snapshot = tsc_slice_view_snapshot;

    GParamFlags f = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;
    tsc_display_props_install(props, f);
    props[PROP_SHOW_SEG] = g_param_spec_boolean("show-seg", NULL, NULL, TRUE, f);
    props[PROP_LEFT_DRAG_WL] = g_param_spec_boolean("left-drag-window-level", NULL, NULL, TRUE, f);
    /* "none", "ruler", "ellipse", "freehand" or "probe" (win.tool). */
    props[PROP_TOOL] = g_param_spec_string("tool", NULL, NULL, "none", f);
    props[PROP_SHOW_SCALE_BAR] = g_param_spec_boolean("show-scale-bar", NULL, NULL, TRUE, f);
    props[PROP_INVERT] = g_param_spec_boolean("invert", NULL, NULL, FALSE, f);
    /* Quarter turns clockwise, after a left-right mirror when "flip". */
    props[PROP_ROTATION] = g_param_spec_int("rotation", NULL, NULL, 0, 3, 0, f);
    props[PROP_FLIP] = g_param_spec_boolean("flip", NULL, NULL, FALSE, f);
    /* Relative to fit (1); notified on every change, so two views can be bound. */
    props[PROP_ZOOM] =
        g_param_spec_double("zoom", NULL, NULL, ZOOM_MIN, ZOOM_MAX, 1, f | G_PARAM_EXPLICIT_NOTIFY);
    g_object_class_install_properties(oc, N_PROPS, props);

    signals[SIGNAL_STEP] = g_signal_new("step", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);
    signals[SIGNAL_CLICKED] = g_signal_new("clicked", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_DOUBLE,
                                           G_TYPE_DOUBLE);
    signals[SIGNAL_WINDOW_CHANGED] = g_signal_new("window-changed", G_TYPE_FROM_CLASS(klass),
                                                  G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                  G_TYPE_NONE, 0);
    /* A measurement drawn with the tool: its kind and points ("ad", image
     * pixel coordinates). */
    signals[SIGNAL_MEASURED] =
        g_signal_new("measured", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                     G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_VARIANT);

    gtk_widget_class_install_action(wc, "view.step", "i", action_step);
    gtk_widget_class_install_action(wc, "view.fit", NULL, action_fit);
    gtk_widget_class_install_action(wc, "view.zoom", "d", action_zoom);
    gtk_widget_class_install_action(wc, "view.zoom-native", NULL, action_native);
    gtk_widget_class_install_action(wc, "view.window-preset", "s", action_window);

    bind_step(wc, GDK_KEY_Up, 0, -1);
    bind_step(wc, GDK_KEY_Left, 0, -1);
    bind_step(wc, GDK_KEY_KP_Up, 0, -1);
    bind_step(wc, GDK_KEY_Down, 0, 1);
    bind_step(wc, GDK_KEY_Right, 0, 1);
    bind_step(wc, GDK_KEY_KP_Down, 0, 1);
    bind_step(wc, GDK_KEY_Page_Up, 0, -10);
    bind_step(wc, GDK_KEY_Page_Down, 0, 10);
    bind_step(wc, GDK_KEY_Home, 0, -1000000);
    bind_step(wc, GDK_KEY_End, 0, 1000000);
    gtk_widget_class_add_binding_action(wc, GDK_KEY_f, 0, "view.fit", NULL);
    gtk_widget_class_add_binding_action(wc, GDK_KEY_plus, 0, "view.zoom", "d", 1.25);
    gtk_widget_class_add_binding_action(wc, GDK_KEY_equal, 0, "view.zoom", "d", 1.25);
    gtk_widget_class_add_binding_action(wc, GDK_KEY_KP_Add, 0, "view.zoom", "d", 1.25);
    gtk_widget_class_add_binding_action(wc, GDK_KEY_minus, 0, "view.zoom", "d", 0.8);
    gtk_widget_class_add_binding_action(wc, GDK_KEY_KP_Subtract, 0, "view.zoom", "d", 0.8);
    gtk_widget_class_add_binding_action(wc, GDK_KEY_0, 0, "view.zoom-native", NULL);
    gtk_widget_class_add_binding_action(wc, GDK_KEY_1, 0, "view.window-preset", "s", "header");
    gtk_widget_class_add_binding_action(wc, GDK_KEY_2, 0, "view.window-preset", "s", "brain");
    gtk_widget_class_add_binding_action(wc, GDK_KEY_3, 0, "view.window-preset", "s", "minmax");

    gtk_widget_class_set_css_name(wc, "sliceview");
    gtk_widget_class_set_accessible_role(wc, GTK_ACCESSIBLE_ROLE_IMG);
}

/* A drag gesture of one mouse button on the view; `end` may be NULL. */
static void add_drag(TscSliceView *self, guint button, GCallback begin, GCallback update,
                     GCallback end)
{
    GtkGesture *drag = gtk_gesture_drag_new();
    gtk_gesture_single_set_button(GTK_GESTURE_SINGLE(drag), button);
    g_signal_connect(drag, "drag-begin", begin, self);
    g_signal_connect(drag, "drag-update", update, self);
    if (end) g_signal_connect(drag, "drag-end", end, self);
    gtk_widget_add_controller(GTK_WIDGET(self), GTK_EVENT_CONTROLLER(drag));
}

static void tsc_slice_view_init(TscSliceView *self)
{
    GtkWidget *w = GTK_WIDGET(self);
    self->zoom = 1;
    tsc_display_props_init(&self->display);
    self->show_seg = TRUE;
    self->left_drag_wl = TRUE;
    self->painted_slice = -1;
    tsc__slice_tools_init(&self->tools);
    gtk_widget_set_focusable(w, TRUE);
    gtk_widget_set_focus_on_click(w, TRUE);
    gtk_widget_set_hexpand(w, TRUE);
    gtk_widget_set_vexpand(w, TRUE);
    gtk_widget_set_cursor_from_name(w, "crosshair");

    GtkEventController *scroll = gtk_event_controller_scroll_new(
        GTK_EVENT_CONTROLLER_SCROLL_VERTICAL | GTK_EVENT_CONTROLLER_SCROLL_DISCRETE);
    g_signal_connect(scroll, "scroll", G_CALLBACK(on_scroll), self);
    gtk_widget_add_controller(w, scroll);

    GtkEventController *motion = gtk_event_controller_motion_new();
    g_signal_connect(motion, "motion", G_CALLBACK(on_motion), self);
    g_signal_connect(motion, "enter", G_CALLBACK(on_motion), self);
    g_signal_connect(motion, "leave", G_CALLBACK(on_leave), self);
    gtk_widget_add_controller(w, motion);

    add_drag(self, GDK_BUTTON_SECONDARY, G_CALLBACK(on_wl_begin), G_CALLBACK(on_wl_update), NULL);
    add_drag(self, GDK_BUTTON_MIDDLE, G_CALLBACK(on_pan_begin), G_CALLBACK(on_pan_update), NULL);

    GtkEventController *any = gtk_event_controller_legacy_new();
    gtk_event_controller_set_propagation_phase(any, GTK_PHASE_CAPTURE);
    g_signal_connect(any, "event", G_CALLBACK(on_any_event), self);
    gtk_widget_add_controller(w, any);

    GtkGesture *click = gtk_gesture_click_new();
    gtk_gesture_single_set_button(GTK_GESTURE_SINGLE(click), GDK_BUTTON_PRIMARY);
    g_signal_connect(click, "pressed", G_CALLBACK(on_pressed), self);
    gtk_widget_add_controller(w, GTK_EVENT_CONTROLLER(click));

    /* The click itself is decided here, at the release, from how far the
     * press moved (GtkGestureClick alone cannot tell a drag from a click). */
    add_drag(self, GDK_BUTTON_PRIMARY, G_CALLBACK(on_left_begin), G_CALLBACK(on_left_update),
             G_CALLBACK(on_left_end));
}

GtkWidget *tsc_slice_view_new(void)
{
    return g_object_new(TSC_TYPE_SLICE_VIEW, NULL);
}
