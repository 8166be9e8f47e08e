#define G_LOG_DOMAIN "tsc-viewer-api"
#define _GNU_SOURCE /* dladdr */
#include "viewer_api.h"

#include <dlfcn.h>
#include <string.h>

static const tsc_plugin_api *api;
static char *plugin_path;

G_DEFINE_QUARK(tsc-viewer-error-quark, tsc_viewer_error)

/* The core's log messages never name patients (ABI rule), so they may go
 * straight to g_log under their own domain. */
static void core_log(tsc_log_level level, const char *domain, const char *message, void *data)
{
    (void)data;
    GLogLevelFlags flags = level >= TSC_LOG_ERROR     ? G_LOG_LEVEL_WARNING
                           : level == TSC_LOG_WARNING ? G_LOG_LEVEL_MESSAGE
                           : level == TSC_LOG_INFO    ? G_LOG_LEVEL_INFO
                                                      : G_LOG_LEVEL_DEBUG;
    char *d = g_strdup_printf("tsc-core-%s", domain && *domain ? domain : "plugin");
    g_log(d, flags, "%s", message);
    g_free(d);
}

gboolean tsc_viewer_api_init(GError **error)
{
    if (api) return TRUE;
    Dl_info info;
    if (dladdr((void *)tsc_plugin_get_api, &info) && info.dli_fname)
        plugin_path = g_strdup(info.dli_fname);
    else
        plugin_path = g_strdup("libtumorscope-plugin.so");

    api = tsc_plugin_get_api(TSC_PLUGIN_API_VERSION);
    if (!api) {
        /* Name what the plugin does serve, so the user knows which side to update. */
        guint32 highest = 0;
        for (guint32 v = 1; v <= 64; v++)
            if (tsc_plugin_get_api(v)) highest = v;
        char *served = highest ? g_strdup_printf("ABI versions 1 to %u", highest)
                               : g_strdup("no ABI version between 1 and 64");
        g_set_error(error, TSC_VIEWER_ERROR, TSC_VIEWER_ERROR_ABI,
                    "This viewer needs tumorscope plugin ABI version %u, but the plugin "
                    "%s serves %s. Install a plugin and viewer from the same release.",
                    TSC_PLUGIN_API_VERSION, plugin_path, served);
        g_free(served);
        return FALSE;
    }
    if (api->version < TSC_PLUGIN_API_VERSION ||
        api->struct_size < offsetof(tsc_plugin_api, write_dicom_outputs) + sizeof(void *)) {
        g_set_error(error, TSC_VIEWER_ERROR, TSC_VIEWER_ERROR_ABI,
                    "This viewer needs tumorscope plugin ABI version %u, but the plugin %s "
                    "returned a version %u table of %u bytes.",
                    TSC_PLUGIN_API_VERSION, plugin_path, api->version, api->struct_size);
        api = NULL;
        return FALSE;
    }
    api->log_set(core_log, NULL);
    g_info("plugin %s, version %s, ABI %u", plugin_path, api->plugin_version(), api->version);
    return TRUE;
}

const tsc_plugin_api *tsc_viewer_api(void)
{
    g_assert(api != NULL);
    return api;
}

const char *tsc_viewer_api_plugin_path(void)
{
    return plugin_path ? plugin_path : "libtumorscope-plugin.so";
}

void tsc_viewer_set_error(GError **error, tsc_status status, const tsc_error *err,
                          const char *what)
{
    const char *detail = err && err->message[0] ? err->message
                         : api                  ? api->status_to_string(status)
                                                : "failed";
    if (what)
        g_set_error(error, TSC_VIEWER_ERROR, (int)status, "%s: %s", what, detail);
    else
        g_set_error_literal(error, TSC_VIEWER_ERROR, (int)status, detail);
}

guint32 tsc_viewer_result_color(const tsc_model *model, const tsc_result *r)
{
    tsc_verdict v = api->result_get_verdict(r);
    if (v == TSC_VERDICT_INCONCLUSIVE) return TSC_VIEWER_COLOR_INCONCLUSIVE;
    if (model && api->result_n_classes(r) > 0) {
        size_t label = api->result_get_label(r);
        if (label < api->model_n_classes(model)) return api->model_get_class_color(model, label);
    }
    return v == TSC_VERDICT_TUMOR ? TSC_VIEWER_COLOR_CLASSIC : TSC_VIEWER_COLOR_NO_TUMOR;
}

char *tsc_viewer_result_describe(const tsc_model *model, const tsc_result *r, int method)
{
    tsc_verdict v = api->result_get_verdict(r);
    if (v == TSC_VERDICT_INCONCLUSIVE) return g_strdup("Inconclusive");
    if (model && api->result_n_classes(r) > 0) {
        size_t label = api->result_get_label(r);
        if (label < api->model_n_classes(model))
            return g_strdup(api->model_get_class_display(model, label));
    }
    if (v == TSC_VERDICT_TUMOR)
        return g_strdup_printf("Tumour (%s method)",
                               method == TSC_METHOD_REGION_GROWING ? "region-growing"
                                                                   : "threshold");
    return g_strdup("No tumour");
}
