/* SPDX-License-Identifier: BSD-3-Clause */
/* The window's reading tools: the tool mode (win.tool), the measurements
 * of the series on screen (win.measure, win.delete-measurement,
 * win.clear-measurements) and their state for scripts. */
#define G_LOG_DOMAIN "tsc-viewer-window"
#include "viewer_window-private.h"

/* Measures the slice on screen; the gesture and the action share it. */
static void add_measurement(TscViewerWindow *self, const char *kind_name, GVariant *points)
{
    int kind = tsc_measure_kind_from_string(kind_name);
    TscViewerImage *im = tsc_slice_view_get_image(self->view);
    if (!self->have_series || kind < 0 || !im || im->series != self->series ||
        im->slice != self->slice) {
        g_warning("no measurement: %s",
                  kind < 0 ? "unknown kind" : "the slice is not on screen yet");
        return;
    }
    gsize n = 0;
    const double *xy = g_variant_get_fixed_array(points, &n, sizeof(double));
    const TscMeasurement *m =
        tsc_measurements_add(self->measurements, (TscMeasureKind)kind,
                             series_info(self)->series_uid, self->slice, im->image, xy, n / 2);
    if (m)
        g_info("measurement %u (%s) on series %zu slice %zu", m->id, kind_name, self->series,
               self->slice);
}

static void on_measured(TscSliceView *view, const char *kind, GVariant *points,
                        TscViewerWindow *self)
{
    (void)view;
    add_measurement(self, kind, points);
}

void _tsc_viewer_window_setup_tools(TscViewerWindow *self)
{
    self->measurements = tsc_measurements_new();
    tsc_measurement_list_set_store(self->measurement_list, self->measurements);
    tsc_slice_view_set_measurements(self->view, self->measurements, NULL, NULL);
    g_signal_connect(self->view, "measured", G_CALLBACK(on_measured), self);
    /* win.tool: the view's tool, a radio for the toolbar's toggle buttons. */
    static const char *view_props[] = {"tool", "show-scale-bar"};
    for (size_t i = 0; i < G_N_ELEMENTS(view_props); i++) {
        g_autoptr(GPropertyAction) pa =
            g_property_action_new(view_props[i], self->view, view_props[i]);
        g_action_map_add_action(G_ACTION_MAP(self), G_ACTION(pa));
    }
}

void _tsc_viewer_window_tools_series_changed(TscViewerWindow *self)
{
    /* What is on screen belongs to the series on screen. */
    tsc_measurements_clear(self->measurements);
    const tsc_dicom_series_info *si = self->have_series ? series_info(self) : NULL;
    const char *unit = si ? tsc_measure_unit_for_modality(si->modality) : "";
    tsc_slice_view_set_measurements(self->view, self->measurements, si ? si->series_uid : NULL,
                                    unit);
    tsc_measurement_list_set_unit(self->measurement_list, unit);
}

void _tsc_viewer_window_write_tools_state(TscViewerWindow *self, GKeyFile *kf)
{
    g_autofree char *tool = NULL;
    g_object_get(self->view, "tool", &tool, NULL);
    g_key_file_set_string(kf, "measurements", "tool", tool);
    /* The tool bar's toggle that shows as pressed. */
    for (GtkWidget *b = gtk_widget_get_first_child(self->tool_bar); b;
         b = gtk_widget_get_next_sibling(b))
        if (GTK_IS_TOGGLE_BUTTON(b) && gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(b)))
            g_key_file_set_string(kf, "measurements", "tool-button",
                                  gtk_button_get_label(GTK_BUTTON(b)));
    gsize n = self->measurements ? tsc_measurements_get_n(self->measurements) : 0;
    g_key_file_set_integer(kf, "measurements", "count", (int)n);
    g_key_file_set_integer(kf, "measurements", "panel-rows",
                           tsc_measurement_list_n_rows(self->measurement_list));
    TscViewerImage *im = tsc_slice_view_get_image(self->view);
    int on_slice = 0;
    for (gsize i = 0; i < n; i++) {
        const TscMeasurement *m = tsc_measurements_get(self->measurements, i);
        on_slice += im && m->slice == im->slice;
        g_autofree char *g = g_strdup_printf("measurement-%u", m->id);
        g_key_file_set_string(kf, g, "kind", tsc_measure_kind_to_string(m->kind));
        g_key_file_set_string(kf, g, "series-uid", m->series_uid);
        g_key_file_set_integer(kf, g, "slice", (int)m->slice);
        g_key_file_set_double(kf, g, "length-mm", m->length_mm);
        g_key_file_set_double(kf, g, "area-mm2", m->area_mm2);
        g_key_file_set_integer(kf, g, "pixels", (int)m->n_pixels);
        g_key_file_set_double(kf, g, "mean", m->mean);
        g_key_file_set_double(kf, g, "sd", m->sd);
        g_key_file_set_double(kf, g, "min", m->min);
        g_key_file_set_double(kf, g, "max", m->max);
        g_key_file_set_string(kf, g, "panel",
                              tsc_measurement_list_get_row_text(self->measurement_list, (int)i));
    }
    g_key_file_set_integer(kf, "measurements", "on-slice-shown", on_slice);
    g_key_file_set_string(kf, "measurements", "probe", tsc_slice_view_get_probe_text(self->view));
    double px = 0, mm = tsc_slice_view_get_scale_bar(self->view, &px);
    g_key_file_set_double(kf, "measurements", "scale-bar-mm", mm);
    g_key_file_set_double(kf, "measurements", "scale-bar-px", px);
}

static void win_measure(GtkWidget *widget, const char *name, GVariant *p)
{
    TscViewerWindow *self = TSC_VIEWER_WINDOW(widget);
    if (tsc_viewer_window_defer(self, name, p)) return;
    const char *kind = NULL;
    g_autoptr(GVariant) points = NULL;
    g_variant_get(p, "(&s@ad)", &kind, &points);
    add_measurement(self, kind, points);
}

static void win_probe(GtkWidget *widget, const char *name, GVariant *p)
{
    TscViewerWindow *self = TSC_VIEWER_WINDOW(widget);
    if (tsc_viewer_window_defer(self, name, p)) return;
    double x, y;
    g_variant_get(p, "(dd)", &x, &y);
    tsc_slice_view_set_probe(self->view, x, y);
}

static void win_delete_measurement(GtkWidget *widget, const char *name, GVariant *p)
{
    (void)name;
    TscViewerWindow *self = TSC_VIEWER_WINDOW(widget);
    tsc_measurements_remove(self->measurements, (guint)g_variant_get_int32(p));
}

static void win_clear_measurements(GtkWidget *widget, const char *name, GVariant *p)
{
    (void)name;
    (void)p;
    tsc_measurements_clear(TSC_VIEWER_WINDOW(widget)->measurements);
}

void _tsc_viewer_window_install_tool_actions(GtkWidgetClass *wc)
{
    gtk_widget_class_install_action(wc, "win.measure", "(sad)", win_measure);
    gtk_widget_class_install_action(wc, "win.delete-measurement", "i", win_delete_measurement);
    gtk_widget_class_install_action(wc, "win.probe", "(dd)", win_probe);
    gtk_widget_class_install_action(wc, "win.clear-measurements", NULL, win_clear_measurements);
    static const struct {
        guint key;
        const char *tool;
    } keys[] = {{GDK_KEY_n, "none"},
                {GDK_KEY_r, "ruler"},
                {GDK_KEY_e, "ellipse"},
                {GDK_KEY_d, "freehand"},
                {GDK_KEY_p, "probe"}};
    for (size_t i = 0; i < G_N_ELEMENTS(keys); i++)
        gtk_widget_class_add_binding_action(wc, keys[i].key, 0, "win.tool", "s", keys[i].tool);
}
