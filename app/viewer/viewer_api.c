/* SPDX-License-Identifier: BSD-3-Clause */
#define G_LOG_DOMAIN "tsc-viewer-api"
#define _GNU_SOURCE /* dladdr */
#include "viewer_api.h"

#include <dlfcn.h>
#include <math.h>
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
    g_autofree char *d = g_strdup_printf("tsc-core-%s", domain && *domain ? domain : "plugin");
    g_log(d, flags, "%s", message);
}

/* oneDNN's OpenMP threads spin between layers by default; while a series is
 * analysed that spinning takes the cores the GTK main thread needs for the
 * next frame.  libgomp reads OMP_WAIT_POLICY once, when it is loaded, and it
 * is loaded with the plugin: so the viewer loads the plugin itself, after
 * setting the policy (a user's own setting wins). */
static void set_openmp_policy(void)
{
    const char *policy = g_getenv("OMP_WAIT_POLICY");
    if (!policy || !*policy) g_setenv("OMP_WAIT_POLICY", "passive", TRUE);
    void *gomp = dlopen("libgomp.so.1", RTLD_NOW | RTLD_NOLOAD);
    if (gomp) {
        /* Something loaded it before the plugin: its policy is already set. */
        g_message("libgomp was loaded before the plugin; OMP_WAIT_POLICY=%s may not apply",
                  g_getenv("OMP_WAIT_POLICY"));
        dlclose(gomp);
    }
}

gboolean tsc_viewer_api_init(GError **error)
{
    if (api) return TRUE;
    set_openmp_policy();
    /* By name: LD_LIBRARY_PATH first, then the binary's run path
     * ($ORIGIN/../lib).  Then next to the binary explicitly: under
     * AddressSanitizer dlopen is called from libasan's interceptor, whose run
     * path is not ours. */
    static const char soname[] = "libtumorscope-plugin.so";
    void *lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    g_autofree char *first_error = lib ? NULL : g_strdup(dlerror());
    if (!lib) {
        g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
        g_autofree char *bindir = exe ? g_path_get_dirname(exe) : NULL;
        static const char *const libdirs[] = {"lib", TSC_VIEWER_INSTALL_LIBDIR};
        for (size_t i = 0; bindir && !lib && i < G_N_ELEMENTS(libdirs); i++) {
            g_autofree char *path = g_build_filename(bindir, "..", libdirs[i], soname, NULL);
            if (g_file_test(path, G_FILE_TEST_EXISTS)) lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        }
    }
    if (!lib) {
        g_set_error(error, TSC_VIEWER_ERROR, TSC_VIEWER_ERROR_ABI,
                    "The tumorscope plugin %s could not be loaded: %s. Install the plugin next to "
                    "the viewer (lib/ beside bin/) or set LD_LIBRARY_PATH.",
                    soname, first_error);
        return FALSE;
    }
    tsc_plugin_get_api_fn tsc_plugin_get_api = (tsc_plugin_get_api_fn)dlsym(lib, "tsc_plugin_get_api");
    Dl_info info;
    if (tsc_plugin_get_api && dladdr((void *)tsc_plugin_get_api, &info) && info.dli_fname)
        plugin_path = g_strdup(info.dli_fname);
    else
        plugin_path = g_strdup(soname);
    if (!tsc_plugin_get_api) {
        g_set_error(error, TSC_VIEWER_ERROR, TSC_VIEWER_ERROR_ABI,
                    "The library %s exports no tsc_plugin_get_api: it is not a tumorscope plugin.",
                    plugin_path);
        return FALSE;
    }
    /* The plugin stays loaded for the life of the process. */

    api = tsc_plugin_get_api(TSC_PLUGIN_API_VERSION);
    if (!api) {
        /* Name what the plugin does serve, so the user knows which side to update. */
        guint32 highest = 0;
        for (guint32 v = 1; v <= 64; v++)
            if (tsc_plugin_get_api(v)) highest = v;
        g_autofree char *served = highest ? g_strdup_printf("ABI versions 1 to %u", highest)
                                          : g_strdup("no ABI version between 1 and 64");
        g_set_error(error, TSC_VIEWER_ERROR, TSC_VIEWER_ERROR_ABI,
                    "This viewer needs tumorscope plugin ABI version %u, but the plugin "
                    "%s serves %s. Install a plugin and viewer from the same release.",
                    TSC_PLUGIN_API_VERSION, plugin_path, served);
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

void tsc_viewer_task_return_status(GTask *task, tsc_status status, const tsc_error *err,
                                   const char *what)
{
    GError *error = NULL;
    tsc_viewer_set_error(&error, status, err, what);
    g_task_return_error(task, error);
}

/* A description as it crosses the ABI: zeroed, with its size. */
static void description_init(tsc_description *out)
{
    memset(out, 0, sizeof *out);
    out->struct_size = sizeof *out;
}

/* A plugin older than ABI 3 has no description: say only what is certain
 * (the verdict), never a percentage whose meaning we would have to guess.
 * `out` has been through description_init(). */
static void describe_fallback(tsc_verdict v, tsc_description *out)
{
    static const struct {
        const char *headline, *finding;
        guint32 color;
    } names[] = {
        [TSC_VERDICT_NO_TUMOR] = {"NO TUMOUR", "No tumour detected", TSC_COLOR_NO_TUMOR},
        [TSC_VERDICT_TUMOR] = {"TUMOUR", "Tumour", TSC_COLOR_CLASSIC},
        [TSC_VERDICT_INCONCLUSIVE] = {"INCONCLUSIVE", "Inconclusive", TSC_COLOR_INCONCLUSIVE},
        [TSC_VERDICT_NOT_ASSESSABLE] = {"NOT ASSESSABLE", "Not assessable", TSC_COLOR_NOT_ASSESSABLE},
        [TSC_VERDICT_NOT_ANALYSED] = {"NOT ANALYSED", "Not analysed", TSC_COLOR_NOT_ASSESSABLE},
    };
    guint i = (guint)v < G_N_ELEMENTS(names) ? (guint)v : TSC_VERDICT_INCONCLUSIVE;
    out->verdict = v;
    g_strlcpy(out->headline, names[i].headline, sizeof out->headline);
    g_strlcpy(out->finding, names[i].finding, sizeof out->finding);
    g_strlcpy(out->label, names[i].headline, sizeof out->label);
    out->confidence = out->tumor_probability = NAN;
    out->type = (size_t)-1;
    out->color = names[i].color;
}

void tsc_viewer_describe_result(const tsc_model *model, const tsc_result *r, tsc_description *out)
{
    g_return_if_fail(api && r && out);
    description_init(out);
    if (TSC_PLUGIN_HAS(api, result_describe)) api->result_describe(model, r, out);
    else describe_fallback(api->result_get_verdict(r), out);
}

void tsc_viewer_describe_series(const tsc_model *model, const tsc_series_result *r,
                                tsc_description *out)
{
    g_return_if_fail(api && r && out);
    description_init(out);
    if (TSC_PLUGIN_HAS(api, series_result_describe)) api->series_result_describe(model, r, out);
    else describe_fallback(api->series_result_get_verdict(r), out);
}
