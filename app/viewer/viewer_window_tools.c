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
    if (!_tsc_viewer_window_edits_stroke(self, kind, points)) add_measurement(self, kind, points);
}

/* ---- cine ---------------------------------------------------------------- */

static gboolean cine_tick(gpointer data)
{
    TscViewerWindow *self = data;
    if (!self->have_series) {
        self->cine_id = 0;
        _tsc_viewer_window_cine_stop(self);
        return G_SOURCE_REMOVE;
    }
    /* Round and round: after the last slice the first. */
    gsize n = tsc_viewer_study_n_slices(self->study, self->series);
    tsc_viewer_window_goto_slice(self, n ? (gssize)((self->slice + 1) % n) : 0);
    return G_SOURCE_CONTINUE;
}

static void cine_restart(TscViewerWindow *self)
{
    if (self->cine_id) g_source_remove(self->cine_id);
    int fps = gtk_spin_button_get_value_as_int(self->cine_fps);
    self->cine_id = g_timeout_add(1000 / MAX(1, fps), cine_tick, self);
}

void _tsc_viewer_window_cine_stop(TscViewerWindow *self)
{
    if (self->cine_id) g_source_remove(self->cine_id);
    self->cine_id = 0;
    GAction *a = g_action_map_lookup_action(G_ACTION_MAP(self), "cine");
    if (a) g_simple_action_set_state(G_SIMPLE_ACTION(a), g_variant_new_boolean(FALSE));
}

static void on_cine_change(GSimpleAction *a, GVariant *state, gpointer data)
{
    TscViewerWindow *self = data;
    if (g_variant_get_boolean(state) && self->have_series) {
        cine_restart(self);
        g_simple_action_set_state(a, g_variant_new_boolean(TRUE));
    } else {
        _tsc_viewer_window_cine_stop(self);
    }
}

static void on_cine_fps_change(GSimpleAction *a, GVariant *state, gpointer data)
{
    TscViewerWindow *self = data;
    (void)a;
    /* The spin button's handler below sets the action's state. */
    gtk_spin_button_set_value(self->cine_fps, CLAMP(g_variant_get_int32(state), 1, 60));
}

/* The spin button and win.cine-fps show the same rate; a new rate applies
 * at once while playing. */
static void on_fps_spin_changed(GtkSpinButton *spin, TscViewerWindow *self)
{
    GAction *a = g_action_map_lookup_action(G_ACTION_MAP(self), "cine-fps");
    g_simple_action_set_state(G_SIMPLE_ACTION(a),
                              g_variant_new_int32(gtk_spin_button_get_value_as_int(spin)));
    if (self->cine_id) cine_restart(self);
}

static void setup_cine(TscViewerWindow *self)
{
    static const GActionEntry entries[] = {
        {"cine", NULL, NULL, "false", on_cine_change, {0}},
        {"cine-fps", NULL, "i", "10", on_cine_fps_change, {0}},
    };
    g_action_map_add_action_entries(G_ACTION_MAP(self), entries, G_N_ELEMENTS(entries), self);
    g_signal_connect(self->cine_fps, "value-changed", G_CALLBACK(on_fps_spin_changed), self);
}

void _tsc_viewer_window_setup_tools(TscViewerWindow *self)
{
    self->measurements = tsc_measurements_new();
    tsc_measurement_list_set_store(self->measurement_list, self->measurements);
    tsc_slice_view_set_measurements(self->view, self->measurements, NULL, NULL);
    g_signal_connect(self->view, "measured", G_CALLBACK(on_measured), self);
    setup_cine(self);
    /* win.tool: the view's tool, a radio for the toolbar's toggle buttons. */
    static const char *view_props[] = {"tool", "show-scale-bar", "invert"};
    for (size_t i = 0; i < G_N_ELEMENTS(view_props); i++) {
        g_autoptr(GPropertyAction) pa =
            g_property_action_new(view_props[i], self->view, view_props[i]);
        g_action_map_add_action(G_ACTION_MAP(self), G_ACTION(pa));
    }
}

void _tsc_viewer_window_tools_series_changed(TscViewerWindow *self)
{
    _tsc_viewer_window_cine_stop(self);
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
    _tsc_viewer_window_write_presets_state(self, kf);
    g_key_file_set_string(kf, "measurements", "probe", tsc_slice_view_get_probe_text(self->view));
    gboolean invert = FALSE;
    g_object_get(self->view, "invert", &invert, NULL);
    g_key_file_set_boolean(kf, "measurements", "invert", invert);
    int rotation = 0;
    gboolean flip = FALSE;
    g_object_get(self->view, "rotation", &rotation, "flip", &flip, NULL);
    g_key_file_set_integer(kf, "measurements", "rotation", rotation * 90);
    g_key_file_set_boolean(kf, "measurements", "flip", flip);
    g_key_file_set_boolean(kf, "measurements", "cine", self->cine_id != 0);
    g_key_file_set_integer(kf, "measurements", "cine-fps",
                           gtk_spin_button_get_value_as_int(self->cine_fps));
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

/* Turning and mirroring compose on screen: a mirror after k quarter turns
 * is the mirror first and -k turns (the view mirrors before it turns). */
static void turn(TscViewerWindow *self, int quarter_turns, int mirror)
{
    int rotation = 0;
    gboolean flip = FALSE;
    g_object_get(self->view, "rotation", &rotation, "flip", &flip, NULL);
    if (mirror) rotation = (mirror == 2 ? 2 : 0) - rotation;
    g_object_set(self->view, "rotation", ((rotation + quarter_turns) % 4 + 4) % 4, "flip",
                 mirror ? !flip : flip, NULL);
}

static void win_rotate(GtkWidget *widget, const char *name, GVariant *p)
{
    (void)name;
    turn(TSC_VIEWER_WINDOW(widget), g_variant_get_int32(p), 0);
}

static void win_flip(GtkWidget *widget, const char *name, GVariant *p)
{
    (void)p;
    turn(TSC_VIEWER_WINDOW(widget), 0, g_str_equal(name, "win.flip-vertical") ? 2 : 1);
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
    static const WinAction actions[] = {
        {"win.measure", "(sad)", win_measure},
        {"win.delete-measurement", "i", win_delete_measurement},
        {"win.clear-measurements", NULL, win_clear_measurements},
        {"win.probe", "(dd)", win_probe},
        {"win.rotate", "i", win_rotate},
        {"win.flip-horizontal", NULL, win_flip},
        {"win.flip-vertical", NULL, win_flip},
    };
    install_win_actions(wc, actions, G_N_ELEMENTS(actions));
    gtk_widget_class_add_binding_action(wc, GDK_KEY_bracketleft, 0, "win.rotate", "i", -1);
    gtk_widget_class_add_binding_action(wc, GDK_KEY_bracketright, 0, "win.rotate", "i", 1);
    gtk_widget_class_add_binding_action(wc, GDK_KEY_x, 0, "win.flip-horizontal", NULL);
    gtk_widget_class_add_binding_action(wc, GDK_KEY_y, 0, "win.flip-vertical", NULL);
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
    gtk_widget_class_add_binding_action(wc, GDK_KEY_v, 0, "win.invert", NULL);
    gtk_widget_class_add_binding_action(wc, GDK_KEY_k, 0, "win.cine", NULL);
}
