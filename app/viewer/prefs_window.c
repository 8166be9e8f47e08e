/* SPDX-License-Identifier: BSD-3-Clause */
#define G_LOG_DOMAIN "tsc-viewer-prefs"
#include "prefs_window.h"

struct _TscPrefsWindow {
    GtkWindow parent_instance;
    GtkDropDown *mode_dropdown, *left_drag_dropdown;
    GtkAdjustment *opacity_adjustment, *threads_adjustment;
    GtkSwitch *click_switch, *deidentify_switch, *force_scope_switch;
    GtkLabel *folder_label, *persist_label;
    GtkEntry *editor_entry;
};

G_DEFINE_FINAL_TYPE(TscPrefsWindow, tsc_prefs_window, GTK_TYPE_WINDOW)

static gboolean outline_to_index(GBinding *b, const GValue *from, GValue *to, gpointer data)
{
    (void)b;
    (void)data;
    g_value_set_uint(to, g_value_get_boolean(from) ? 1 : 0);
    return TRUE;
}

static gboolean index_to_outline(GBinding *b, const GValue *from, GValue *to, gpointer data)
{
    (void)b;
    (void)data;
    g_value_set_boolean(to, g_value_get_uint(from) == 1);
    return TRUE;
}

static gboolean int_to_double(GBinding *b, const GValue *from, GValue *to, gpointer data)
{
    (void)b;
    (void)data;
    g_value_set_double(to, g_value_get_int(from));
    return TRUE;
}

static gboolean double_to_int(GBinding *b, const GValue *from, GValue *to, gpointer data)
{
    (void)b;
    (void)data;
    g_value_set_int(to, (int)(g_value_get_double(from) + 0.5));
    return TRUE;
}

static gboolean left_drag_to_index(GBinding *b, const GValue *from, GValue *to, gpointer data)
{
    (void)b;
    (void)data;
    g_value_set_uint(to, g_strcmp0(g_value_get_string(from), "none") == 0 ? 1 : 0);
    return TRUE;
}

static gboolean index_to_left_drag(GBinding *b, const GValue *from, GValue *to, gpointer data)
{
    (void)b;
    (void)data;
    g_value_set_string(to, g_value_get_uint(from) == 1 ? "none" : "window-level");
    return TRUE;
}

static void tsc_prefs_window_class_init(TscPrefsWindowClass *klass)
{
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    gtk_widget_class_set_template_from_resource(wc, "/org/tumorscope/Viewer/prefs_window.ui");
    gtk_widget_class_bind_template_child(wc, TscPrefsWindow, mode_dropdown);
    gtk_widget_class_bind_template_child(wc, TscPrefsWindow, opacity_adjustment);
    gtk_widget_class_bind_template_child(wc, TscPrefsWindow, threads_adjustment);
    gtk_widget_class_bind_template_child(wc, TscPrefsWindow, click_switch);
    gtk_widget_class_bind_template_child(wc, TscPrefsWindow, left_drag_dropdown);
    gtk_widget_class_bind_template_child(wc, TscPrefsWindow, deidentify_switch);
    gtk_widget_class_bind_template_child(wc, TscPrefsWindow, force_scope_switch);
    gtk_widget_class_bind_template_child(wc, TscPrefsWindow, folder_label);
    gtk_widget_class_bind_template_child(wc, TscPrefsWindow, persist_label);
    gtk_widget_class_bind_template_child(wc, TscPrefsWindow, editor_entry);
    gtk_widget_class_add_binding_action(wc, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void tsc_prefs_window_init(TscPrefsWindow *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
}

TscPrefsWindow *tsc_prefs_window_new(GtkWindow *parent, TscViewerPrefs *prefs)
{
    g_return_val_if_fail(parent == NULL || GTK_IS_WINDOW(parent), NULL);
    g_return_val_if_fail(TSC_IS_VIEWER_PREFS(prefs), NULL);
    TscPrefsWindow *self = g_object_new(TSC_TYPE_PREFS_WINDOW, "transient-for", parent,
                                        "destroy-with-parent", TRUE, NULL);
    GBindingFlags bi = G_BINDING_SYNC_CREATE | G_BINDING_BIDIRECTIONAL;
    g_object_bind_property_full(prefs, "overlay-outline", self->mode_dropdown, "selected", bi,
                                outline_to_index, index_to_outline, NULL, NULL);
    g_object_bind_property(prefs, "opacity", self->opacity_adjustment, "value", bi);
    g_object_bind_property_full(prefs, "threads", self->threads_adjustment, "value", bi,
                                int_to_double, double_to_int, NULL, NULL);
    g_object_bind_property(prefs, "analyze-on-click", self->click_switch, "active", bi);
    g_object_bind_property_full(prefs, "left-drag", self->left_drag_dropdown, "selected", bi,
                                left_drag_to_index, index_to_left_drag, NULL, NULL);
    g_object_bind_property(prefs, "deidentify", self->deidentify_switch, "active", bi);
    g_object_bind_property(prefs, "force-scope", self->force_scope_switch, "active", bi);
    g_object_bind_property(prefs, "editor-name", self->editor_entry, "text", bi);
    const char *real = g_get_real_name();
    gtk_entry_set_placeholder_text(self->editor_entry, real && *real && g_strcmp0(real, "Unknown")
                                                           ? real
                                                           : g_get_user_name());
    g_autofree char *folder = tsc_viewer_prefs_dup_export_folder(prefs);
    g_autofree char *t = g_strdup_printf("Reports go to %s (change it in the Export dialog)", folder);
    gtk_label_set_text(self->folder_label, t);
    gtk_widget_set_visible(GTK_WIDGET(self->persist_label), !tsc_viewer_prefs_get_persistent(prefs));
    return self;
}
