/* SPDX-License-Identifier: BSD-3-Clause */
/* The user's window/level presets: the window on screen saved under a name
 * (win.save-window-preset), applied (win.user-window-preset) and deleted
 * (win.delete-window-preset); kept in GSettings `window-presets`, or for
 * the session when there is no schema.  Their buttons sit under the
 * built-in presets and follow the settings. */
#define G_LOG_DOMAIN "tsc-viewer-window"
#include "viewer_window-private.h"

#define PRESETS_KEY "window-presets"

/* New reference to the list, a(sdd). */
static GVariant *presets_dup(TscViewerWindow *self)
{
    GSettings *settings = self->prefs ? tsc_viewer_prefs_get_settings(self->prefs) : NULL;
    if (settings) return g_settings_get_value(settings, PRESETS_KEY);
    if (!self->session_presets)
        self->session_presets =
            g_variant_ref_sink(g_variant_new_array(G_VARIANT_TYPE("(sdd)"), NULL, 0));
    return g_variant_ref(self->session_presets);
}

static void rebuild_buttons(TscViewerWindow *self);

typedef struct {
    const char *name; /* borrowed from the list */
    double center, width;
} Preset;

/* The presets of `list` (a(sdd)) as an array of Preset borrowing from it. */
static GArray *presets_read(GVariant *list)
{
    GArray *a = g_array_new(FALSE, FALSE, sizeof(Preset));
    GVariantIter it;
    Preset p;
    g_variant_iter_init(&it, list);
    while (g_variant_iter_next(&it, "(&sdd)", &p.name, &p.center, &p.width))
        g_array_append_val(a, p);
    return a;
}

static void presets_store(TscViewerWindow *self, GVariant *list)
{
    GSettings *settings = self->prefs ? tsc_viewer_prefs_get_settings(self->prefs) : NULL;
    g_variant_ref_sink(list);
    if (settings) {
        g_settings_set_value(settings, PRESETS_KEY, list); /* "changed" rebuilds the buttons */
    } else {
        g_clear_pointer(&self->session_presets, g_variant_unref);
        self->session_presets = g_variant_ref(list);
        rebuild_buttons(self);
    }
    g_variant_unref(list);
}

/* The list without `name`, and with (name, center, width) at the end unless
 * `keep` is FALSE. */
static GVariant *presets_with(TscViewerWindow *self, const char *name, gboolean keep, double center,
                              double width)
{
    g_autoptr(GVariant) old = presets_dup(self);
    g_autoptr(GArray) all = presets_read(old);
    GVariantBuilder b;
    g_variant_builder_init(&b, G_VARIANT_TYPE("a(sdd)"));
    for (guint i = 0; i < all->len; i++) {
        const Preset *p = &g_array_index(all, Preset, i);
        if (g_strcmp0(p->name, name) != 0)
            g_variant_builder_add(&b, "(sdd)", p->name, p->center, p->width);
    }
    if (keep) g_variant_builder_add(&b, "(sdd)", name, center, width);
    return g_variant_builder_end(&b);
}

static void rebuild_buttons(TscViewerWindow *self)
{
    GtkFlowBox *box = GTK_FLOW_BOX(self->user_preset_box);
    GtkWidget *child;
    while ((child = gtk_widget_get_first_child(self->user_preset_box)))
        gtk_flow_box_remove(box, child);
    g_autoptr(GVariant) list = presets_dup(self);
    g_autoptr(GArray) all = presets_read(list);
    for (guint i = 0; i < all->len; i++) {
        const char *n = g_array_index(all, Preset, i).name;
        double c = g_array_index(all, Preset, i).center, w = g_array_index(all, Preset, i).width;
        GtkWidget *pair = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 0);
        gtk_widget_add_css_class(pair, "linked");
        GtkWidget *apply = gtk_button_new_with_label(n);
        g_autofree char *tip = g_strdup_printf("W %g  L %g", w, c);
        gtk_widget_set_tooltip_text(apply, tip);
        gtk_actionable_set_action_name(GTK_ACTIONABLE(apply), "win.user-window-preset");
        gtk_actionable_set_action_target_value(GTK_ACTIONABLE(apply), g_variant_new_string(n));
        GtkWidget *del = gtk_button_new_from_icon_name("window-close-symbolic");
        gtk_widget_set_tooltip_text(del, "Delete this preset");
        gtk_actionable_set_action_name(GTK_ACTIONABLE(del), "win.delete-window-preset");
        gtk_actionable_set_action_target_value(GTK_ACTIONABLE(del), g_variant_new_string(n));
        gtk_widget_set_focus_on_click(apply, FALSE);
        gtk_widget_set_focus_on_click(del, FALSE);
        gtk_box_append(GTK_BOX(pair), apply);
        gtk_box_append(GTK_BOX(pair), del);
        gtk_flow_box_append(box, pair);
    }
    gtk_widget_set_visible(self->user_preset_box, g_variant_n_children(list) > 0);
}

static void on_presets_changed(GSettings *settings, const char *key, TscViewerWindow *self)
{
    (void)settings;
    (void)key;
    rebuild_buttons(self);
}

static void save_preset(TscViewerWindow *self, const char *name)
{
    g_autofree char *trimmed = g_strstrip(g_strdup(name ? name : ""));
    if (!*trimmed || !tsc_slice_view_get_image(self->view)) return;
    double c, w;
    tsc_slice_view_get_window(self->view, &c, &w);
    presets_store(self, presets_with(self, trimmed, TRUE, c, w));
}

static void win_save_window_preset(GtkWidget *widget, const char *name, GVariant *p)
{
    (void)name;
    save_preset(TSC_VIEWER_WINDOW(widget), g_variant_get_string(p, NULL));
}

static void win_save_entered_window_preset(GtkWidget *widget, const char *name, GVariant *p)
{
    (void)name;
    (void)p;
    TscViewerWindow *self = TSC_VIEWER_WINDOW(widget);
    save_preset(self, gtk_editable_get_text(self->user_preset_name));
    gtk_editable_set_text(self->user_preset_name, "");
}

static void win_user_window_preset(GtkWidget *widget, const char *name, GVariant *p)
{
    TscViewerWindow *self = TSC_VIEWER_WINDOW(widget);
    if (tsc_viewer_window_defer(self, name, p)) return;
    g_autoptr(GVariant) list = presets_dup(self);
    g_autoptr(GArray) all = presets_read(list);
    for (guint i = 0; i < all->len; i++) {
        const Preset *pr = &g_array_index(all, Preset, i);
        if (g_strcmp0(pr->name, g_variant_get_string(p, NULL)) == 0)
            tsc_slice_view_set_window(self->view, pr->center, pr->width);
    }
}

static void win_delete_window_preset(GtkWidget *widget, const char *name, GVariant *p)
{
    (void)name;
    TscViewerWindow *self = TSC_VIEWER_WINDOW(widget);
    presets_store(self, presets_with(self, g_variant_get_string(p, NULL), FALSE, 0, 0));
}

static void on_name_activate(GtkEditable *entry, TscViewerWindow *self)
{
    (void)entry;
    gtk_widget_activate_action(GTK_WIDGET(self), "win.save-entered-window-preset", NULL);
}

void _tsc_viewer_window_setup_presets(TscViewerWindow *self)
{
    GSettings *settings = tsc_viewer_prefs_get_settings(self->prefs);
    if (settings)
        g_signal_connect_object(settings, "changed::" PRESETS_KEY, G_CALLBACK(on_presets_changed),
                                self, 0);
    g_signal_connect(self->user_preset_name, "activate", G_CALLBACK(on_name_activate), self);
    rebuild_buttons(self);
}

void _tsc_viewer_window_write_presets_state(TscViewerWindow *self, GKeyFile *kf)
{
    g_autoptr(GVariant) list = presets_dup(self);
    g_autoptr(GArray) all = presets_read(list);
    g_autoptr(GString) text = g_string_new(NULL);
    for (guint i = 0; i < all->len; i++) {
        const Preset *p = &g_array_index(all, Preset, i);
        g_string_append_printf(text, "%s%s:%g:%g", text->len ? "|" : "", p->name, p->center,
                               p->width);
    }
    g_key_file_set_string(kf, "measurements", "window-presets", text->str);
    int buttons = 0;
    for (GtkWidget *b = gtk_widget_get_first_child(self->user_preset_box); b;
         b = gtk_widget_get_next_sibling(b))
        buttons++;
    g_key_file_set_integer(kf, "measurements", "window-preset-buttons",
                           gtk_widget_get_visible(self->user_preset_box) ? buttons : 0);
}

void _tsc_viewer_window_install_preset_actions(GtkWidgetClass *wc)
{
    static const WinAction actions[] = {
        {"win.save-window-preset", "s", win_save_window_preset},
        {"win.save-entered-window-preset", NULL, win_save_entered_window_preset},
        {"win.user-window-preset", "s", win_user_window_preset},
        {"win.delete-window-preset", "s", win_delete_window_preset},
    };
    install_win_actions(wc, actions, G_N_ELEMENTS(actions));
}
