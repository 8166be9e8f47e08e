/* SPDX-License-Identifier: BSD-3-Clause */
#define G_LOG_DOMAIN "tsc-viewer-strip"
#include "slice_strip.h"

#include <math.h>

#define PAD_X 8.0
#define MIN_HEIGHT 26

typedef struct {
    TscStripState state;
    guint32 rgb;
    char *tooltip;
} Cell;

struct _TscSliceStrip {
    GtkWidget parent_instance;
    GArray *cells; /* Cell */
    gsize current;
};

G_DEFINE_FINAL_TYPE(TscSliceStrip, tsc_slice_strip, GTK_TYPE_WIDGET)

enum { SIGNAL_SLICE_SELECTED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void cell_clear(gpointer p)
{
    Cell *c = p;
    g_clear_pointer(&c->tooltip, g_free);
}

static double cell_width(TscSliceStrip *self)
{
    double w = gtk_widget_get_width(GTK_WIDGET(self)) - 2 * PAD_X;
    return self->cells->len ? w / self->cells->len : w;
}

double tsc_slice_strip_cell_center(TscSliceStrip *self, gsize slice)
{
    g_return_val_if_fail(TSC_IS_SLICE_STRIP(self), 0.0);
    return PAD_X + (slice + 0.5) * cell_width(self);
}

static gssize slice_at(TscSliceStrip *self, double x)
{
    if (!self->cells->len) return -1;
    double k = floor((x - PAD_X) / cell_width(self));
    return (gssize)CLAMP(k, 0, (double)self->cells->len - 1);
}

static void set_rgb(GdkRGBA *c, guint32 rgb, float alpha)
{
    c->red = ((rgb >> 16) & 255) / 255.0f;
    c->green = ((rgb >> 8) & 255) / 255.0f;
    c->blue = (rgb & 255) / 255.0f;
    c->alpha = alpha;
}

static void tsc_slice_strip_snapshot(GtkWidget *widget, GtkSnapshot *s)
{
    TscSliceStrip *self = TSC_SLICE_STRIP(widget);
    double w = gtk_widget_get_width(widget), h = gtk_widget_get_height(widget);
    static const GdkRGBA track = {0.16, 0.17, 0.19, 1}, cur = {1, 1, 1, 1};
    double top = 5, bottom = h - 5, mid = (top + bottom) / 2;
    gtk_snapshot_append_color(s, &track, &GRAPHENE_RECT_INIT((float)PAD_X, (float)(mid - 3),
                                                             (float)(w - 2 * PAD_X), 6));
    if (!self->cells->len) return;
    double cw = cell_width(self);
    for (guint i = 0; i < self->cells->len; i++) {
        const Cell *c = &g_array_index(self->cells, Cell, i);
        if (c->state == TSC_STRIP_NONE) continue;
        GdkRGBA col;
        double y0 = mid - 5, y1 = mid + 5;
        if (c->state == TSC_STRIP_TUMOR) {
            y0 = top;
            y1 = bottom;
        }
        set_rgb(&col, c->rgb, 1);
        /* At least 2 px wide so that a single tumour slice of 300 stays visible. */
        double x0 = PAD_X + i * cw, cwid = MAX(2.0, cw - (cw > 4 ? 1 : 0));
        gtk_snapshot_append_color(s, &col, &GRAPHENE_RECT_INIT((float)x0, (float)y0, (float)cwid,
                                                               (float)(y1 - y0)));
    }
    /* The current slice: white ticks above and below its cell, clear of the
     * cell's colour so that both stay readable. */
    double cx = tsc_slice_strip_cell_center(self, self->current);
    double mw = MAX(3.0, MIN(cw, 8.0));
    gtk_snapshot_append_color(s, &cur, &GRAPHENE_RECT_INIT((float)(cx - mw / 2), 0, (float)mw, 3));
    gtk_snapshot_append_color(s, &cur, &GRAPHENE_RECT_INIT((float)(cx - mw / 2), (float)(h - 3),
                                                           (float)mw, 3));
}

static void tsc_slice_strip_measure(GtkWidget *widget, GtkOrientation o, int for_size, int *min,
                                    int *nat, int *min_base, int *nat_base)
{
    (void)widget;
    (void)for_size;
    *min_base = *nat_base = -1;
    if (o == GTK_ORIENTATION_VERTICAL) {
        *min = *nat = MIN_HEIGHT;
    } else {
        *min = 60;
        *nat = 400;
    }
}

static void jump(TscSliceStrip *self, double x)
{
    gssize k = slice_at(self, x);
    if (k >= 0) g_signal_emit(self, signals[SIGNAL_SLICE_SELECTED], 0, (guint)k);
}

static void on_drag_begin(GtkGestureDrag *g, double x, double y, gpointer data)
{
    (void)g;
    (void)y;
    jump(data, x);
}

static void on_drag_update(GtkGestureDrag *g, double dx, double dy, gpointer data)
{
    (void)dy;
    double x0, y0;
    gtk_gesture_drag_get_start_point(g, &x0, &y0);
    jump(data, x0 + dx);
}

static gboolean on_query_tooltip(GtkWidget *w, int x, int y, gboolean kb, GtkTooltip *tip, gpointer data)
{
    (void)y;
    (void)kb;
    (void)data;
    TscSliceStrip *self = TSC_SLICE_STRIP(w);
    gssize k = slice_at(self, x);
    if (k < 0) return FALSE;
    g_autofree char *text = tsc_slice_strip_dup_tooltip(self, (gsize)k);
    gtk_tooltip_set_text(tip, text);
    return TRUE;
}

static void tsc_slice_strip_finalize(GObject *object)
{
    g_array_unref(TSC_SLICE_STRIP(object)->cells);
    G_OBJECT_CLASS(tsc_slice_strip_parent_class)->finalize(object);
}

static void tsc_slice_strip_class_init(TscSliceStripClass *klass)
{
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    G_OBJECT_CLASS(klass)->finalize = tsc_slice_strip_finalize;
    wc->snapshot = tsc_slice_strip_snapshot;
    wc->measure = tsc_slice_strip_measure;
    signals[SIGNAL_SLICE_SELECTED] =
        g_signal_new("slice-selected", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                     NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
    gtk_widget_class_set_css_name(wc, "slicestrip");
}

static void tsc_slice_strip_init(TscSliceStrip *self)
{
    self->cells = g_array_new(FALSE, TRUE, sizeof(Cell));
    g_array_set_clear_func(self->cells, cell_clear);
    gtk_widget_set_hexpand(GTK_WIDGET(self), TRUE);
    gtk_widget_set_has_tooltip(GTK_WIDGET(self), TRUE);
    g_signal_connect(self, "query-tooltip", G_CALLBACK(on_query_tooltip), NULL);
    GtkGesture *drag = gtk_gesture_drag_new();
    g_signal_connect(drag, "drag-begin", G_CALLBACK(on_drag_begin), self);
    g_signal_connect(drag, "drag-update", G_CALLBACK(on_drag_update), self);
    gtk_widget_add_controller(GTK_WIDGET(self), GTK_EVENT_CONTROLLER(drag));
}

GtkWidget *tsc_slice_strip_new(void)
{
    return g_object_new(TSC_TYPE_SLICE_STRIP, NULL);
}

void tsc_slice_strip_set_n_slices(TscSliceStrip *self, gsize n)
{
    g_return_if_fail(TSC_IS_SLICE_STRIP(self));
    g_array_set_size(self->cells, 0);
    g_array_set_size(self->cells, n);
    self->current = 0;
    gtk_widget_queue_draw(GTK_WIDGET(self));
}

void tsc_slice_strip_set_cell(TscSliceStrip *self, gsize slice, TscStripState state, guint32 rgb,
                              const char *tooltip)
{
    g_return_if_fail(slice < self->cells->len);
    Cell *c = &g_array_index(self->cells, Cell, slice);
    c->state = state;
    c->rgb = rgb;
    g_free(c->tooltip);
    c->tooltip = g_strdup(tooltip);
    gtk_widget_queue_draw(GTK_WIDGET(self));
}

void tsc_slice_strip_clear(TscSliceStrip *self)
{
    g_return_if_fail(TSC_IS_SLICE_STRIP(self));
    for (guint i = 0; i < self->cells->len; i++) {
        Cell *c = &g_array_index(self->cells, Cell, i);
        c->state = TSC_STRIP_NONE;
        g_clear_pointer(&c->tooltip, g_free);
    }
    gtk_widget_queue_draw(GTK_WIDGET(self));
}

char *tsc_slice_strip_dup_tooltip(TscSliceStrip *self, gsize slice)
{
    g_return_val_if_fail(slice < self->cells->len, NULL);
    const Cell *c = &g_array_index(self->cells, Cell, slice);
    return g_strdup_printf("Slice %zu: %s", slice + 1, c->tooltip ? c->tooltip : "not analysed");
}

guint32 tsc_slice_strip_get_cell_color(TscSliceStrip *self, gsize slice)
{
    g_return_val_if_fail(slice < self->cells->len, 0);
    const Cell *c = &g_array_index(self->cells, Cell, slice);
    return c->state == TSC_STRIP_NONE ? G_MAXUINT32 : c->rgb;
}

void tsc_slice_strip_set_current(TscSliceStrip *self, gsize slice)
{
    g_return_if_fail(TSC_IS_SLICE_STRIP(self));
    self->current = slice;
    gtk_widget_queue_draw(GTK_WIDGET(self));
}
