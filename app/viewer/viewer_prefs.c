/* SPDX-License-Identifier: BSD-3-Clause */
#define G_LOG_DOMAIN "tsc-viewer-prefs"
#include "viewer_prefs.h"

#include <string.h>

#include "display_props.h"
#include "tsc_plugin.h"

#define MAX_RECENT 10

struct _TscViewerPrefs {
    GObject parent_instance;
    GSettings *settings; /* NULL when the schema cannot be found */
    TscDisplayProps display;
    gboolean deidentify;
    gboolean force_scope; /* research use: never persisted */
    gboolean show_seg;
    char *left_drag; /* "window-level" or "none" */
    int threads;
    char *method;
    char *export_folder;
    char *editor_name; /* who edits results; "": the desktop's name for the user */
    char **recent; /* session-only copy when there is no schema */
};

G_DEFINE_FINAL_TYPE(TscViewerPrefs, tsc_viewer_prefs, G_TYPE_OBJECT)

enum {
    PROP_THREADS = TSC_DISPLAY_PROP_END,
    PROP_DEIDENTIFY,
    PROP_METHOD,
    PROP_EXPORT_FOLDER,
    PROP_FORCE_SCOPE,
    PROP_SHOW_SEG,
    PROP_LEFT_DRAG,
    PROP_EDITOR_NAME,
    N_PROPS
};
static GParamSpec *props[N_PROPS];

/* The schema from the usual places (installed, GSETTINGS_SCHEMA_DIR), else
 * compiled next to the binary: build/bin/../share/glib-2.0/schemas, which is
 * also where a relocated install keeps it.  NULL when neither has it. */
static GSettingsSchema *find_schema(void)
{
    GSettingsSchemaSource *def = g_settings_schema_source_get_default();
    GSettingsSchema *schema = def ? g_settings_schema_source_lookup(def, TSC_VIEWER_APP_ID, TRUE)
                                  : NULL;
    if (schema) return schema;
    g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
    if (!exe) return NULL;
    g_autofree char *bindir = g_path_get_dirname(exe);
    g_autofree char *dir = g_build_filename(bindir, "..", "share", "glib-2.0", "schemas", NULL);
    GError *error = NULL;
    GSettingsSchemaSource *src = NULL;
    if (g_file_test(dir, G_FILE_TEST_IS_DIR))
        src = g_settings_schema_source_new_from_directory(dir, def, FALSE, &error);
    if (src) {
        schema = g_settings_schema_source_lookup(src, TSC_VIEWER_APP_ID, FALSE);
        g_settings_schema_source_unref(src);
    } else if (error) {
        g_message("settings schema folder %s unusable: %s", dir, error->message);
        g_clear_error(&error);
    }
    return schema;
}

static gboolean mode_get(GValue *value, GVariant *variant, gpointer data)
{
    (void)data;
    g_value_set_boolean(value, g_strcmp0(g_variant_get_string(variant, NULL), "outline") == 0);
    return TRUE;
}

static GVariant *mode_set(const GValue *value, const GVariantType *type, gpointer data)
{
    (void)type;
    (void)data;
    return g_variant_new_string(g_value_get_boolean(value) ? "outline" : "fill");
}

static void tsc_viewer_prefs_get_property(GObject *object, guint id, GValue *value,
                                          GParamSpec *pspec)
{
    TscViewerPrefs *self = TSC_VIEWER_PREFS(object);
    if (tsc_display_props_get(&self->display, id, value)) return;
    switch (id) {
    case PROP_THREADS: g_value_set_int(value, self->threads); break;
    case PROP_DEIDENTIFY: g_value_set_boolean(value, self->deidentify); break;
    case PROP_METHOD: g_value_set_string(value, self->method); break;
    case PROP_EXPORT_FOLDER: g_value_set_string(value, self->export_folder); break;
    case PROP_EDITOR_NAME: g_value_set_string(value, self->editor_name); break;
    case PROP_FORCE_SCOPE: g_value_set_boolean(value, self->force_scope); break;
    case PROP_SHOW_SEG: g_value_set_boolean(value, self->show_seg); break;
    case PROP_LEFT_DRAG: g_value_set_string(value, self->left_drag); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    }
}

/* Each setter says whether the value changed: with G_PARAM_EXPLICIT_NOTIFY
 * the property notifies only on real changes, so that bindings, GSettings
 * and GPropertyActions do not loop or redraw for nothing. */
static gboolean set_bool(gboolean *field, const GValue *value)
{
    gboolean v = g_value_get_boolean(value);
    if (*field == v) return FALSE;
    *field = v;
    return TRUE;
}

static gboolean set_string(char **field, const char *v)
{
    if (g_strcmp0(*field, v) == 0) return FALSE;
    g_free(*field);
    *field = g_strdup(v ? v : "");
    return TRUE;
}

static void tsc_viewer_prefs_set_property(GObject *object, guint id, const GValue *value,
                                          GParamSpec *pspec)
{
    TscViewerPrefs *self = TSC_VIEWER_PREFS(object);
    gboolean changed = FALSE;
    if (tsc_display_props_set(&self->display, id, value, &changed)) {
        if (changed) g_object_notify_by_pspec(object, pspec);
        return;
    }
    switch (id) {
    case PROP_DEIDENTIFY: changed = set_bool(&self->deidentify, value); break;
    case PROP_FORCE_SCOPE: changed = set_bool(&self->force_scope, value); break;
    case PROP_SHOW_SEG: changed = set_bool(&self->show_seg, value); break;
    case PROP_LEFT_DRAG: {
        /* Unknown names fall back to the default gesture. */
        const char *m = g_value_get_string(value);
        changed = set_string(&self->left_drag, g_strcmp0(m, "none") == 0 ? "none" : "window-level");
        break;
    }
    case PROP_THREADS:
        changed = self->threads != g_value_get_int(value);
        self->threads = g_value_get_int(value);
        break;
    case PROP_METHOD: {
        const char *m = g_value_get_string(value);
        /* Unknown names fall back to the CNN rather than failing later. */
        if (g_strcmp0(m, "threshold") != 0 && g_strcmp0(m, "region-growing") != 0) m = "cnn";
        changed = set_string(&self->method, m);
        break;
    }
    case PROP_EXPORT_FOLDER:
        changed = set_string(&self->export_folder, g_value_get_string(value));
        break;
    case PROP_EDITOR_NAME:
        changed = set_string(&self->editor_name, g_value_get_string(value));
        break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec); return;
    }
    if (changed) g_object_notify_by_pspec(object, pspec);
}

static void tsc_viewer_prefs_finalize(GObject *object)
{
    TscViewerPrefs *self = TSC_VIEWER_PREFS(object);
    g_clear_object(&self->settings);
    g_free(self->method);
    g_free(self->export_folder);
    g_free(self->editor_name);
    g_free(self->left_drag);
    g_strfreev(self->recent);
    G_OBJECT_CLASS(tsc_viewer_prefs_parent_class)->finalize(object);
}

static void tsc_viewer_prefs_constructed(GObject *object)
{
    TscViewerPrefs *self = TSC_VIEWER_PREFS(object);
    G_OBJECT_CLASS(tsc_viewer_prefs_parent_class)->constructed(object);
    GSettingsSchema *schema = find_schema();
    if (!schema) {
        g_message("settings schema %s not found; preferences last for this session only",
                  TSC_VIEWER_APP_ID);
        return;
    }
    self->settings = g_settings_new_full(schema, NULL, NULL);
    /* Keys added `later` are bound only when the schema found has
     * them: an older compiled schema must not abort the viewer. */
    static const struct {
        const char *key, *prop;
        gboolean later;
    } binds[] = {
        {"show-overlay", "show-overlay", FALSE},
        {"overlay-opacity", "opacity", FALSE},
        {"show-heatmap", "show-heatmap", FALSE},
        {"show-corner-text", "show-corner-text", FALSE},
        {"analyze-on-click", "analyze-on-click", FALSE},
        {"threads", "threads", FALSE},
        {"deidentify", "deidentify", FALSE},
        {"export-folder", "export-folder", FALSE},
        {"show-seg", "show-seg", TRUE},
        {"left-drag", "left-drag", TRUE},
        {"editor-name", "editor-name", TRUE},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(binds); i++)
        if (!binds[i].later || g_settings_schema_has_key(schema, binds[i].key))
            g_settings_bind(self->settings, binds[i].key, self, binds[i].prop,
                            G_SETTINGS_BIND_DEFAULT);
    g_settings_schema_unref(schema);
    g_settings_bind_with_mapping(self->settings, "overlay-mode", self, "overlay-outline",
                                 G_SETTINGS_BIND_DEFAULT, mode_get, mode_set, NULL, NULL);
}

static void tsc_viewer_prefs_class_init(TscViewerPrefsClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    oc->get_property = tsc_viewer_prefs_get_property;
    oc->set_property = tsc_viewer_prefs_set_property;
    oc->finalize = tsc_viewer_prefs_finalize;
    oc->constructed = tsc_viewer_prefs_constructed;
    GParamFlags f = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;
    tsc_display_props_install(props, f);
    props[PROP_THREADS] = g_param_spec_int("threads", NULL, NULL, 1, 2, 1, f);
    props[PROP_DEIDENTIFY] = g_param_spec_boolean("deidentify", NULL, NULL, TRUE, f);
    props[PROP_METHOD] = g_param_spec_string("method", NULL, NULL, "cnn", f);
    props[PROP_EXPORT_FOLDER] = g_param_spec_string("export-folder", NULL, NULL, "", f);
    /* Analyse series the model's scope gate refuses (research use).  Not a
     * GSettings key: every session starts with the gate on. */
    props[PROP_FORCE_SCOPE] = g_param_spec_boolean("force-scope", NULL, NULL, FALSE, f);
    /* A DICOM SEG stored with the study (a result computed elsewhere) drawn
     * as an outline on the slices it covers. */
    props[PROP_SHOW_SEG] = g_param_spec_boolean("show-seg", NULL, NULL, TRUE, f);
    /* What a left drag on the slice does: "window-level" or "none". */
    props[PROP_LEFT_DRAG] = g_param_spec_string("left-drag", NULL, NULL, "window-level", f);
    /* The name the reader's corrections are signed with in every output;
     * "" (default): the desktop's name for the user, else the login name. */
    props[PROP_EDITOR_NAME] = g_param_spec_string("editor-name", NULL, NULL, "", f);
    g_object_class_install_properties(oc, N_PROPS, props);
}

static void tsc_viewer_prefs_init(TscViewerPrefs *self)
{
    tsc_display_props_init(&self->display);
    self->threads = 1;
    self->deidentify = TRUE;
    self->method = g_strdup("cnn");
    self->export_folder = g_strdup("");
    self->editor_name = g_strdup("");
    self->show_seg = TRUE;
    self->left_drag = g_strdup("window-level");
    self->recent = g_new0(char *, 1);
}

TscViewerPrefs *tsc_viewer_prefs_new(void)
{
    return g_object_new(TSC_TYPE_VIEWER_PREFS, NULL);
}

gboolean tsc_viewer_prefs_get_persistent(TscViewerPrefs *self)
{
    g_return_val_if_fail(TSC_IS_VIEWER_PREFS(self), FALSE);
    return self->settings != NULL;
}

GSettings *tsc_viewer_prefs_get_settings(TscViewerPrefs *self)
{
    g_return_val_if_fail(TSC_IS_VIEWER_PREFS(self), NULL);
    return self->settings;
}

/* The plain getters: a field each, checked like every public function. */
#define GETTER(type, field, member, fallback)                                                      \
    type tsc_viewer_prefs_get_##field(TscViewerPrefs *self)                                        \
    {                                                                                              \
        g_return_val_if_fail(TSC_IS_VIEWER_PREFS(self), fallback);                                 \
        return self->member;                                                                       \
    }
GETTER(gboolean, show_overlay, display.show_overlay, FALSE)
GETTER(gboolean, overlay_outline, display.overlay_outline, FALSE)
GETTER(double, opacity, display.opacity, 0)
GETTER(gboolean, show_heatmap, display.show_heatmap, FALSE)
GETTER(gboolean, show_corner_text, display.show_corner_text, FALSE)
GETTER(gboolean, analyze_on_click, display.analyze_on_click, FALSE)
GETTER(int, threads, threads, 0)
GETTER(gboolean, deidentify, deidentify, FALSE)
GETTER(gboolean, force_scope, force_scope, FALSE)
GETTER(gboolean, show_seg, show_seg, FALSE)
#undef GETTER

gboolean tsc_viewer_prefs_get_left_drag_window_level(TscViewerPrefs *self)
{
    g_return_val_if_fail(TSC_IS_VIEWER_PREFS(self), FALSE);
    return g_strcmp0(self->left_drag, "none") != 0;
}

int tsc_viewer_prefs_get_method(TscViewerPrefs *self)
{
    g_return_val_if_fail(TSC_IS_VIEWER_PREFS(self), 0);
    if (g_strcmp0(self->method, "threshold") == 0) return TSC_METHOD_THRESHOLD;
    if (g_strcmp0(self->method, "region-growing") == 0) return TSC_METHOD_REGION_GROWING;
    return TSC_METHOD_CNN;
}

char *tsc_viewer_prefs_dup_export_folder(TscViewerPrefs *self)
{
    g_return_val_if_fail(TSC_IS_VIEWER_PREFS(self), NULL);
    if (self->export_folder && *self->export_folder) return g_strdup(self->export_folder);
    const char *docs = g_get_user_special_dir(G_USER_DIRECTORY_DOCUMENTS);
    /* XDG falls back to $HOME for unset special folders; avoid cluttering it. */
    if (docs && g_strcmp0(docs, g_get_home_dir()) != 0 && g_file_test(docs, G_FILE_TEST_IS_DIR))
        return g_build_filename(docs, "tumorscope", NULL);
    return g_build_filename(g_get_home_dir(), "tumorscope", NULL);
}

char **tsc_viewer_prefs_dup_recent(TscViewerPrefs *self)
{
    g_return_val_if_fail(TSC_IS_VIEWER_PREFS(self), NULL);
    if (self->settings) return g_settings_get_strv(self->settings, "recent-studies");
    return g_strdupv(self->recent);
}

void tsc_viewer_prefs_add_recent(TscViewerPrefs *self, const char *path)
{
    g_return_if_fail(TSC_IS_VIEWER_PREFS(self));
    char **old = tsc_viewer_prefs_dup_recent(self);
    GPtrArray *list = g_ptr_array_new();
    g_ptr_array_add(list, (char *)path);
    for (char **p = old; *p && list->len < MAX_RECENT; p++)
        if (strcmp(*p, path) != 0) g_ptr_array_add(list, *p);
    g_ptr_array_add(list, NULL);
    if (self->settings) {
        g_settings_set_strv(self->settings, "recent-studies", (const char *const *)list->pdata);
    } else {
        char **copy = g_strdupv((char **)list->pdata);
        g_strfreev(self->recent);
        self->recent = copy;
    }
    g_ptr_array_unref(list);
    g_strfreev(old);
}
