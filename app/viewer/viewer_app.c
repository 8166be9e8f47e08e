/* SPDX-License-Identifier: BSD-3-Clause */
#define G_LOG_DOMAIN "tsc-viewer-app"
#include "viewer_app.h"

#include "compare_window.h"
#include "prefs_window.h"
#include "viewer_jobs.h"
#include "viewer_window.h"
#include "viewer_window_pacs.h"

struct _TscViewerApp {
    GtkApplication parent_instance;
    TscViewerPrefs *prefs;
    GError *api_error;
    tsc_model *model;
    GError *model_error;
    gboolean model_loading;
    GCancellable *cancellable;
    GMenu *recent_menu;
};

G_DEFINE_FINAL_TYPE(TscViewerApp, tsc_viewer_app, GTK_TYPE_APPLICATION)

static TscViewerWindow *main_window(TscViewerApp *self)
{
    for (GList *l = gtk_application_get_windows(GTK_APPLICATION(self)); l; l = l->next)
        if (TSC_IS_VIEWER_WINDOW(l->data)) return l->data;
    return NULL;
}

/* Scripted actions may arrive before activation: make sure there is a window. */
static TscViewerWindow *ensure_window(TscViewerApp *self)
{
    TscViewerWindow *win = main_window(self);
    if (!win) {
        g_application_activate(G_APPLICATION(self));
        win = main_window(self);
    }
    return win;
}

TscViewerPrefs *tsc_viewer_app_get_prefs(TscViewerApp *self)
{
    g_return_val_if_fail(TSC_IS_VIEWER_APP(self), NULL);
    return self->prefs;
}
tsc_model *tsc_viewer_app_get_model(TscViewerApp *self)
{
    g_return_val_if_fail(TSC_IS_VIEWER_APP(self), NULL);
    return self->model;
}
const GError *tsc_viewer_app_get_model_error(TscViewerApp *self)
{
    g_return_val_if_fail(TSC_IS_VIEWER_APP(self), NULL);
    return self->model_error;
}
gboolean tsc_viewer_app_get_model_loading(TscViewerApp *self)
{
    g_return_val_if_fail(TSC_IS_VIEWER_APP(self), FALSE);
    return self->model_loading;
}
const GError *tsc_viewer_app_get_api_error(TscViewerApp *self)
{
    g_return_val_if_fail(TSC_IS_VIEWER_APP(self), NULL);
    return self->api_error;
}
GMenuModel *tsc_viewer_app_get_recent_menu(TscViewerApp *self)
{
    g_return_val_if_fail(TSC_IS_VIEWER_APP(self), NULL);
    return G_MENU_MODEL(self->recent_menu);
}

static void rebuild_recent(TscViewerApp *self)
{
    g_menu_remove_all(self->recent_menu);
    g_auto(GStrv) recent = tsc_viewer_prefs_dup_recent(self->prefs);
    g_autoptr(GMenu) section = g_menu_new();
    for (char **p = recent; *p; p++) {
        g_autofree char *base = g_path_get_basename(*p);
        g_autofree char *parent = g_path_get_dirname(*p);
        g_autofree char *shown = g_strdup_printf("%s  (%s)", base, parent);
        /* Menu labels are parsed for mnemonics: "sample_dicom" would show
         * as "sampledicom"; a doubled underscore shows one. */
        g_auto(GStrv) parts = g_strsplit(shown, "_", -1);
        g_autofree char *label = g_strjoinv("__", parts);
        g_autoptr(GMenuItem) item = g_menu_item_new(label, NULL);
        g_menu_item_set_action_and_target_value(item, "win.open", g_variant_new_string(*p));
        g_menu_append_item(section, item);
    }
    if (!recent[0]) {
        g_autoptr(GMenuItem) item = g_menu_item_new("No recent studies", "app.none");
        g_menu_append_item(section, item);
    }
    g_menu_append_section(self->recent_menu, "Recent Studies", G_MENU_MODEL(section));
}

void tsc_viewer_app_add_recent(TscViewerApp *self, const char *path)
{
    g_return_if_fail(TSC_IS_VIEWER_APP(self));
    tsc_viewer_prefs_add_recent(self->prefs, path);
    rebuild_recent(self);
}

/* ---- model ------------------------------------------------------------- */

static void on_model_loaded(GObject *source, GAsyncResult *res, gpointer data)
{
    (void)source;
    TscViewerApp *self = data;
    GError *error = NULL;
    self->model = tsc_viewer_model_load_finish(res, &error);
    self->model_loading = FALSE;
    if (!self->model && !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        /* The message names the cause (no model, checksum mismatch) and remedy. */
        g_message("model not loaded: %s", error->message);
        self->model_error = error;
        error = NULL;
    }
    g_clear_error(&error);
    for (GList *l = gtk_application_get_windows(GTK_APPLICATION(self)); l; l = l->next)
        if (TSC_IS_VIEWER_WINDOW(l->data)) tsc_viewer_window_model_changed(l->data);
        else if (TSC_IS_COMPARE_WINDOW(l->data)) tsc_compare_window_model_changed(l->data);
    g_application_release(G_APPLICATION(self));
}

/* ---- actions ----------------------------------------------------------- */

#define ACTION(name) static void name(GSimpleAction *a, GVariant *p, gpointer data)
#define UNUSED (void)a; (void)p

/* The window's commands: each application action (exported on D-Bus for
 * scripts) forwards to the window's win.* action of the same name, which
 * waits for a study being opened when it needs one. */
static void forward(TscViewerWindow *w, GSimpleAction *a, GVariant *p)
{
    if (!w) return;
    g_autofree char *name = g_strconcat("win.", g_action_get_name(G_ACTION(a)), NULL);
    gtk_widget_activate_action_variant(GTK_WIDGET(w), name, p);
}
ACTION(act_forward) { forward(ensure_window(data), a, p); }
/* Cancelling never opens a window. */
ACTION(act_forward_no_window) { forward(main_window(data), a, p); }
ACTION(act_shortcuts)
{
    UNUSED;
    TscViewerWindow *w = ensure_window(data);
    if (w) gtk_widget_activate_action(GTK_WIDGET(w), "win.show-help-overlay", NULL);
}
ACTION(act_quit) { UNUSED; g_application_quit(G_APPLICATION(data)); }

ACTION(act_preferences)
{
    UNUSED;
    TscViewerApp *self = data;
    TscPrefsWindow *pw = tsc_prefs_window_new(GTK_WINDOW(main_window(self)), self->prefs);
    gtk_window_present(GTK_WINDOW(pw));
}

ACTION(act_about)
{
    UNUSED;
    TscViewerApp *self = data;
    g_autofree char *comments = NULL;
    if (self->api_error) {
        comments = g_strdup(self->api_error->message);
    } else {
        const tsc_plugin_api *api = tsc_viewer_api();
        g_autofree char *model = self->model ? g_strdup_printf("Model %s %s, SHA-256 %s",
                                                               api->model_get_name(self->model),
                                                               api->model_get_version(self->model),
                                                               api->model_get_sha256(self->model))
                                             : g_strdup("No model loaded");
        comments = g_strdup_printf(
            "Brain tumour MRI decision support.\nPlugin %s (ABI %u): %s\n%s\n\n"
            "Decision support only \xe2\x80\x94 not for diagnostic use.",
            api->plugin_version(), api->version, tsc_viewer_api_plugin_path(), model);
    }
    gtk_show_about_dialog(GTK_WINDOW(main_window(self)), "program-name", "tumorscope viewer",
                          "logo-icon-name", "org.tumorscope.Viewer", "version", TSC_VERSION,
                          "comments", comments, "license-type", GTK_LICENSE_CUSTOM, "license",
                          "See the LICENSE file of the tumorscope distribution.", NULL);
}

static const GActionEntry app_entries[] = {
    {"preferences", act_preferences, NULL, NULL, NULL, {0}},
    {"about", act_about, NULL, NULL, NULL, {0}},
    {"shortcuts", act_shortcuts, NULL, NULL, NULL, {0}},
    {"quit", act_quit, NULL, NULL, NULL, {0}},
};

static void add_forward_action(TscViewerApp *self, const char *name, const GVariantType *type)
{
    g_autoptr(GSimpleAction) a = g_simple_action_new(name, type);
    GCallback fn =
        g_str_equal(name, "cancel") ? G_CALLBACK(act_forward_no_window) : G_CALLBACK(act_forward);
    g_signal_connect(a, "activate", fn, self);
    g_action_map_add_action(G_ACTION_MAP(self), G_ACTION(a));
}

/* An application action for each of the window's commands: the win.*
 * actions of its class are the one list of them; the stateful ones live
 * in each window's action map (property actions of the window and its
 * view, the cine), so they are named here. */
static void add_forward_actions(TscViewerApp *self)
{
    GtkWidgetClass *wc = g_type_class_ref(TSC_TYPE_VIEWER_WINDOW);
    GType owner;
    const char *name, *property;
    const GVariantType *type;
    for (guint i = 0; gtk_widget_class_query_action(wc, i, &owner, &name, &type, &property); i++)
        if (g_str_has_prefix(name, "win.")) add_forward_action(self, name + 4, type);
    g_type_class_unref(wc);
    static const struct {
        const char *name, *type;
    } stateful[] = {{"tool", "s"},           {"show-scale-bar", NULL}, {"invert", NULL},
                    {"cine", NULL},          {"cine-fps", "i"},        {"show-studies", NULL},
                    {"show-findings", NULL}, {"brush-radius", "d"}};
    for (size_t i = 0; i < G_N_ELEMENTS(stateful); i++)
        add_forward_action(self, stateful[i].name,
                           stateful[i].type ? G_VARIANT_TYPE(stateful[i].type) : NULL);
}

static void add_property_actions(TscViewerApp *self)
{
    /* View options are properties of the preferences; GPropertyAction makes
     * them stateful actions (toggles for booleans) for menus, keys and D-Bus. */
    static const char *props[] = {"show-overlay",     "overlay-outline",  "show-heatmap",
                                  "show-corner-text", "analyze-on-click", "method",
                                  "deidentify",       "force-scope",      "show-seg",
                                  "left-drag",        "editor-name"};
    for (size_t i = 0; i < G_N_ELEMENTS(props); i++) {
        g_autoptr(GPropertyAction) pa = g_property_action_new(props[i], self->prefs, props[i]);
        g_action_map_add_action(G_ACTION_MAP(self), G_ACTION(pa));
    }
}

static void set_accels(TscViewerApp *self)
{
    static const struct {
        const char *action;
        const char *accels[3];
    } accels[] = {
        {"win.open-folder", {"<Control>o", NULL}},
        {"win.open-file", {"<Control><Shift>o", NULL}},
        {"win.export-dialog", {"<Control>e", NULL}},
        {"win.pacs-dialog", {"<Control><Shift>p", NULL}},
        {"win.show-tags", {"<Control>i", NULL}},
        {"win.compare-show", {"<Control><Shift>c", NULL}},
        {"win.undo-edit", {"<Control>z", NULL}},
        {"win.redo-edit", {"<Control><Shift>z", NULL}},
        {"win.analyze-series", {"<Control>Return", "<Control>KP_Enter", NULL}},
        {"app.preferences", {"<Control>comma", NULL}},
        {"app.quit", {"<Control>q", NULL}},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(accels); i++)
        gtk_application_set_accels_for_action(GTK_APPLICATION(self), accels[i].action, accels[i].accels);
}

/* ---- GApplication ------------------------------------------------------ */

static void tsc_viewer_app_startup(GApplication *app)
{
    TscViewerApp *self = TSC_VIEWER_APP(app);
    G_APPLICATION_CLASS(tsc_viewer_app_parent_class)->startup(app);

    /* A radiology workstation is dark: the image is the brightest thing. */
    g_object_set(gtk_settings_get_default(), "gtk-application-prefer-dark-theme", TRUE, NULL);
    g_autoptr(GtkCssProvider) css = gtk_css_provider_new();
    gtk_css_provider_load_from_resource(css, "/org/tumorscope/Viewer/css/viewer.css");
    gtk_style_context_add_provider_for_display(gdk_display_get_default(), GTK_STYLE_PROVIDER(css),
                                               GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);

    self->prefs = tsc_viewer_prefs_new();
    self->recent_menu = g_menu_new();
    rebuild_recent(self);
    g_action_map_add_action_entries(G_ACTION_MAP(self), app_entries, G_N_ELEMENTS(app_entries), self);
    add_forward_actions(self);
    add_property_actions(self);
    set_accels(self);

    if (!tsc_viewer_api_init(&self->api_error)) {
        /* The window disables its commands (tsc_viewer_window_show_fatal). */
        g_warning("%s", self->api_error->message);
        return;
    }
    /* The model loads in the background; browsing works meanwhile. */
    self->model_loading = TRUE;
    self->cancellable = g_cancellable_new();
    g_application_hold(app);
    tsc_viewer_model_load_async(self->cancellable, on_model_loaded, self);
}

static void tsc_viewer_app_activate(GApplication *app)
{
    TscViewerApp *self = TSC_VIEWER_APP(app);
    TscViewerWindow *win = main_window(self);
    if (!win) {
        win = tsc_viewer_window_new(self);
        if (self->api_error)
            tsc_viewer_window_show_fatal(win, self->api_error->message,
                                         "The viewer talks to tumorscope only through the plugin's ABI "
                                         "table (tsc_plugin_get_api). Reinstall matching versions.");
    }
    gtk_window_present(GTK_WINDOW(win));
}

static void tsc_viewer_app_open(GApplication *app, GFile **files, int n_files, const char *hint)
{
    (void)hint;
    TscViewerApp *self = TSC_VIEWER_APP(app);
    g_application_activate(app);
    TscViewerWindow *win = main_window(self);
    GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
    for (int i = 0; i < n_files; i++) {
        char *p = g_file_get_path(files[i]);
        if (p) g_ptr_array_add(paths, p);
    }
    g_ptr_array_add(paths, NULL);
    if (win && paths->len > 1) tsc_viewer_window_open(win, (const char *const *)paths->pdata);
    g_ptr_array_unref(paths);
}

static void tsc_viewer_app_shutdown(GApplication *app)
{
    TscViewerApp *self = TSC_VIEWER_APP(app);
    if (self->cancellable) g_cancellable_cancel(self->cancellable);
    /* Windows are gone and their jobs cancelled: wait for the workers before
     * freeing the model they use. */
    tsc_viewer_pool_shutdown();
    if (self->model) tsc_viewer_api()->model_free(self->model);
    self->model = NULL;
    G_APPLICATION_CLASS(tsc_viewer_app_parent_class)->shutdown(app);
}

static int tsc_viewer_app_handle_local_options(GApplication *app, GVariantDict *options)
{
    (void)app;
    if (g_variant_dict_contains(options, "version")) {
        g_print("tumorscope-viewer %s (plugin ABI %u)\n", TSC_VERSION, TSC_PLUGIN_API_VERSION);
        return 0;
    }
    return -1;
}

static void tsc_viewer_app_finalize(GObject *object)
{
    TscViewerApp *self = TSC_VIEWER_APP(object);
    g_clear_object(&self->prefs);
    g_clear_object(&self->cancellable);
    g_clear_object(&self->recent_menu);
    g_clear_error(&self->api_error);
    g_clear_error(&self->model_error);
    G_OBJECT_CLASS(tsc_viewer_app_parent_class)->finalize(object);
}

static void tsc_viewer_app_class_init(TscViewerAppClass *klass)
{
    GApplicationClass *ac = G_APPLICATION_CLASS(klass);
    ac->startup = tsc_viewer_app_startup;
    ac->activate = tsc_viewer_app_activate;
    ac->open = tsc_viewer_app_open;
    ac->shutdown = tsc_viewer_app_shutdown;
    ac->handle_local_options = tsc_viewer_app_handle_local_options;
    G_OBJECT_CLASS(klass)->finalize = tsc_viewer_app_finalize;
}

static void tsc_viewer_app_init(TscViewerApp *self)
{
    static const GOptionEntry entries[] = {
        {"version", 0, 0, G_OPTION_ARG_NONE, NULL, "Print the version and exit", NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    g_application_add_main_option_entries(G_APPLICATION(self), entries);
    g_application_set_option_context_parameter_string(G_APPLICATION(self), "[PATH…]");
    g_application_set_option_context_summary(
        G_APPLICATION(self), "Browse DICOM studies and analyse brain MRI slices for tumours.\n"
                             "PATH: a study folder, a DICOMDIR or DICOM files.");
}

TscViewerApp *tsc_viewer_app_new(void)
{
    return g_object_new(TSC_TYPE_VIEWER_APP, "application-id", TSC_VIEWER_APP_ID, "flags",
                        G_APPLICATION_HANDLES_OPEN, "resource-base-path", "/org/tumorscope/Viewer", NULL);
}
