/* SPDX-License-Identifier: BSD-3-Clause */
/* GUI tests of tumorscope-viewer: the viewer runs as its own process on a
 * private session bus (run_gui_test.sh) and is driven through its
 * application actions over D-Bus, as any script would.  Each test waits for
 * the viewer's files (state, screenshots, reports) with a timeout and checks
 * real pixels of GTK's own rendering against what the plugin computes here
 * independently (masks, verdicts, class colours).
 *
 * Pinned environment: GSK_RENDERER=cairo, GDK_DEBUG=gl-disable,
 * GSETTINGS_BACKEND=memory, the compiled schema of the build tree, and the
 * phantom test model (tests/analysis/fixtures) so that verdicts do not depend
 * on which shipped model is installed.
 *
 * A case fails, whatever its checks said, when a viewer it started logged a
 * sanitizer report (ASan, LSan, UBSan: `make check-sanitizers`), did not
 * quit when asked, or exited with a non-zero status.
 *
 * usage: viewer_gui_test CASE | --list
 * Exit status: 0 pass, 1 fail, 77 skip (with the reason on stdout). */
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dlfcn.h>

#include <cairo.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "tsc_plugin.h"
#include "tsc_test_png.h"

#define SKIP 77
#define WAIT_S 120

static const char *case_name;
static char *artefacts; /* where screenshots and logs are kept */
static char *workdir;   /* temporary, removed when the case passes */

static int failf(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static int failf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("FAIL %s: ", case_name);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    return 1;
}

#define CHECK(cond, ...)                                                                   \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            printf("  check failed at line %d: %s\n", __LINE__, #cond);                   \
            return failf(__VA_ARGS__);                                                     \
        }                                                                                  \
    } while (0)

static const char *env_or(const char *name, const char *fallback)
{
    const char *v = g_getenv(name);
    return v && *v ? v : fallback;
}

/* ---- files ------------------------------------------------------------- */

static gboolean wait_for_file(const char *path, int seconds)
{
    gint64 end = g_get_monotonic_time() + (gint64)seconds * G_USEC_PER_SEC;
    while (g_get_monotonic_time() < end) {
        if (g_file_test(path, G_FILE_TEST_EXISTS)) return TRUE;
        g_main_context_iteration(NULL, FALSE);
        g_usleep(50 * 1000);
    }
    return FALSE;
}

static int count_files(const char *dir)
{
    int n = 0;
    GDir *d = g_dir_open(dir, 0, NULL);
    if (!d) return 0;
    const char *name;
    while ((name = g_dir_read_name(d))) {
        g_autofree char *p = g_build_filename(dir, name, NULL);
        n += g_file_test(p, G_FILE_TEST_IS_DIR) ? count_files(p) : 1;
    }
    g_dir_close(d);
    return n;
}

/* The folder an export wrote into `out` (to free), waited for until it holds
 * report.pdf and `also` (a path below it, written last); NULL after WAIT_S. */
static char *wait_for_export(const char *out, const char *also)
{
    gint64 end = g_get_monotonic_time() + WAIT_S * G_USEC_PER_SEC;
    char *sub = NULL;
    while (!sub && g_get_monotonic_time() < end) {
        GDir *d = g_dir_open(out, 0, NULL);
        const char *name;
        while (d && (name = g_dir_read_name(d))) {
            g_autofree char *pdf = g_build_filename(out, name, "report.pdf", NULL);
            g_autofree char *last = g_build_filename(out, name, also, NULL);
            if (g_file_test(pdf, G_FILE_TEST_EXISTS) && g_file_test(last, G_FILE_TEST_EXISTS))
                sub = g_build_filename(out, name, NULL);
        }
        if (d) g_dir_close(d);
        if (!sub) g_usleep(100 * 1000);
    }
    return sub;
}

static void remove_tree(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    if (d) {
        const char *name;
        while ((name = g_dir_read_name(d))) {
            g_autofree char *p = g_build_filename(dir, name, NULL);
            if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
                remove_tree(p);
            else g_unlink(p);
        }
        g_dir_close(d);
    }
    g_rmdir(dir);
}

/* ---- images ------------------------------------------------------------ */

typedef struct {
    cairo_surface_t *s;
    int w, h, stride;
    const unsigned char *data;
} Shot;

static Shot *shot_load(const char *path)
{
    cairo_surface_t *s = cairo_image_surface_create_from_png(path);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(s);
        return NULL;
    }
    Shot *shot = g_new0(Shot, 1);
    shot->s = s;
    shot->w = cairo_image_surface_get_width(s);
    shot->h = cairo_image_surface_get_height(s);
    shot->stride = cairo_image_surface_get_stride(s);
    shot->data = cairo_image_surface_get_data(s);
    return shot;
}

static void shot_free(Shot *s)
{
    if (!s) return;
    cairo_surface_destroy(s->s);
    g_free(s);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Shot, shot_free)

/* RGB of pixel (x, y); the screenshots are opaque. */
static void px(const Shot *s, int x, int y, int rgb[3])
{
    x = CLAMP(x, 0, s->w - 1);
    y = CLAMP(y, 0, s->h - 1);
    guint32 v = *(const guint32 *)(const void *)(s->data + (gsize)y * s->stride + (gsize)x * 4);
    rgb[0] = (v >> 16) & 255;
    rgb[1] = (v >> 8) & 255;
    rgb[2] = v & 255;
}

static int color_dist(const int a[3], guint32 rgb)
{
    int d = 0;
    d = MAX(d, abs(a[0] - (int)((rgb >> 16) & 255)));
    d = MAX(d, abs(a[1] - (int)((rgb >> 8) & 255)));
    d = MAX(d, abs(a[2] - (int)(rgb & 255)));
    return d;
}

/* Mean grey of the middle of the image in a screenshot. */
static double mid_grey(const Shot *s, const double img[4])
{
    double sum = 0;
    int n = 0;
    for (int y = (int)(img[1] + img[3] * 0.3); y < img[1] + img[3] * 0.7; y += 3)
        for (int x = (int)(img[0] + img[2] * 0.3); x < img[0] + img[2] * 0.7; x += 3) {
            int c[3];
            px(s, x, y, c);
            sum += (c[0] + c[1] + c[2]) / 3.0;
            n++;
        }
    return n ? sum / n : 0;
}

/* ---- synthetic studies -------------------------------------------------- */

static guint32 rng_state = 12345;
static double rnd(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return (rng_state >> 8) / 16777216.0;
}

/* A phantom like the ones the test model was trained on: a head-like
 * ellipse (~400 after --scale 4) with noise, optionally a bright disc
 * (~950) of radius `r` pixels at (cx, cy). */
static gboolean write_phantom_png(const char *path, gboolean lesion, double cx, double cy, double r)
{
    const int S = 256;
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_A8, S, S);
    unsigned char *d = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    cairo_surface_flush(s);
    for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++) {
            double yy = (y + 0.5 - S / 2.0) / (0.40 * S), xx = (x + 0.5 - S / 2.0) / (0.33 * S);
            double noise = (rnd() - 0.5) * 15;
            double v = 1 + fabs(noise) * 0.1;
            if (yy * yy + xx * xx <= 1) v = 100 + noise;
            if (lesion && (x + 0.5 - cx) * (x + 0.5 - cx) + (y + 0.5 - cy) * (y + 0.5 - cy) <= r * r)
                v = 237 + noise * 0.3;
            d[y * stride + x] = (unsigned char)CLAMP(lround(v), 0, 255);
        }
    cairo_surface_mark_dirty(s);
    gboolean ok = cairo_surface_write_to_png(s, path) == CAIRO_STATUS_SUCCESS;
    cairo_surface_destroy(s);
    return ok;
}

/* The tumorscope CLI (TSC_CLI_BIN), or NULL when it is not built: the
 * case, which needs it for `what`, says so and skips. */
static const char *cli_or_skip(const char *what)
{
    const char *cli = env_or("TSC_CLI_BIN", NULL);
    if (!cli || !g_file_test(cli, G_FILE_TEST_IS_EXECUTABLE)) {
        printf("SKIP: the tumorscope CLI (for `%s`) is not built\n", what);
        return NULL;
    }
    return cli;
}

/* Makes a phantom series with `tumorscope dicomize` into `out`; slices
 * [lesion_from, lesion_to) carry a disc.  Returns SKIP (with a message)
 * when the CLI cannot do it, 0 when done, 1 on failure. */
static int make_phantom_series(const char *out, int n, int lesion_from, int lesion_to,
                               const char *description, int series_number)
{
    const char *cli = cli_or_skip("dicomize");
    if (!cli) return SKIP;
    g_autofree char *png = g_strdup_printf("%s-png", out);
    g_mkdir_with_parents(png, 0755);
    for (int k = 0; k < n; k++) {
        char *p = g_strdup_printf("%s/IM%04d.png", png, k + 1);
        gboolean lesion = k >= lesion_from && k < lesion_to;
        /* The disc grows and shrinks through the slices like a real lesion. */
        double t = lesion_to > lesion_from ? (k - lesion_from + 0.5) / (lesion_to - lesion_from) : 0;
        double r = 10 + 12 * sin(G_PI * t);
        if (!write_phantom_png(p, lesion, 100, 110, r)) {
            g_free(p);
            return failf("could not write %s", p);
        }
        g_free(p);
    }
    g_autofree char *num = g_strdup_printf("%d", series_number);
    const char *argv[] = {cli, "dicomize", "--out", out, "--series-description", description,
                          "--series-number", num, "--patient-name", "Phantom^Viewer Test",
                          "--patient-id", "TSC-VIEWER-TEST", "--study-description",
                          "Viewer test phantom", "--uid-seed", "tsc-viewer-test", "--spacing", "1,1",
                          "--slice-spacing", "5", "--scale", "4", "--study-date", "20240101",
                          png, NULL};
    GError *error = NULL;
    int status = 0;
    char *err_out = NULL;
    gboolean ok = g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                               NULL, &err_out, &status, &error);
    if (!ok || !g_spawn_check_wait_status(status, NULL)) {
        if (err_out && strstr(err_out, "unknown command")) {
            printf("SKIP: this tumorscope CLI has no `dicomize`\n");
            g_free(err_out);
            return SKIP;
        }
        int r = failf("tumorscope dicomize failed: %s%s", error ? error->message : "", err_out ? err_out : "");
        g_clear_error(&error);
        g_free(err_out);
        return r;
    }
    g_free(err_out);
    return 0;
}

/* The sample studies, or (fresh checkout without them) a stand-in with a
 * normal series and a "SYNTHETIC LESION" series made here. */
/* A folder a case needs under sample_dicom/ (sub NULL: sample_dicom/
 * itself); NULL, after saying why the case skips, when it is missing. */
static char *sample_folder(const char *sub)
{
    g_autofree char *p = g_build_filename(env_or("TSC_SOURCE_DIR", "."), "sample_dicom", sub, NULL);
    if (g_file_test(p, G_FILE_TEST_IS_DIR)) return g_steal_pointer(&p);
    printf("SKIP: sample_dicom/%s is missing\n", sub ? sub : "");
    return NULL;
}

static int sample_study(char **path)
{
    *path = g_build_filename(env_or("TSC_SOURCE_DIR", "."), "sample_dicom", NULL);
    if (g_file_test(*path, G_FILE_TEST_IS_DIR)) return 0;
    g_free(*path);
    printf("note: sample_dicom/ is missing; making a stand-in study with tumorscope dicomize\n");
    *path = g_build_filename(workdir, "study", NULL);
    g_autofree char *a = g_build_filename(*path, "normal", NULL);
    g_autofree char *b = g_build_filename(*path, "lesion", NULL);
    int r = make_phantom_series(a, 12, 0, 0, "Phantom normal", 1);
    if (!r) r = make_phantom_series(b, 12, 3, 9, "SYNTHETIC LESION - phantom", 2);
    return r;
}

/* ---- the plugin, independently of the viewer ----------------------------- */

typedef struct {
    const tsc_plugin_api *api;
    tsc_dicom_index *index;
    tsc_model *model;
} Plugin;

static int plugin_open(Plugin *p, const char *path)
{
    memset(p, 0, sizeof *p);
    p->api = tsc_plugin_get_api(TSC_PLUGIN_API_VERSION);
    if (!p->api) return failf("the plugin does not serve ABI %u", TSC_PLUGIN_API_VERSION);
    const char *paths[] = {path};
    tsc_dicom_open_params op = p->api->study_default_params();
    tsc_error err = {0};
    tsc_status st = p->api->study_open(paths, 1, &op, &p->index, &err);
    if (st != TSC_OK) return failf("study_open(%s): %s", path, err.message);
    tsc_model_params mp = p->api->model_default_params();
    st = p->api->model_load(NULL, &mp, &p->model, &err);
    if (st != TSC_OK) return failf("model_load: %s", err.message);
    return 0;
}

static void plugin_close(Plugin *p)
{
    if (p->model) p->api->model_free(p->model);
    if (p->index) p->api->study_free(p->index);
}

static gssize find_series(Plugin *p, const char *needle)
{
    for (size_t i = 0; i < p->api->study_n_series(p->index); i++)
        if (strstr(p->api->study_get_series(p->index, i)->description, needle)) return (gssize)i;
    return -1;
}

static size_t no_tumor_class(Plugin *p)
{
    for (size_t i = 0; i < p->api->model_n_classes(p->model); i++)
        if (strcmp(p->api->model_get_class_name(p->model, i), "no_tumor") == 0) return i;
    return 0;
}

/* ---- the viewer process ------------------------------------------------ */

typedef struct {
    GSubprocess *proc;
    GDBusConnection *bus;
    gboolean exited;
    int n_files;
} Viewer;

static void on_viewer_exit(GObject *src, GAsyncResult *res, gpointer data)
{
    g_subprocess_wait_finish(G_SUBPROCESS(src), res, NULL);
    ((Viewer *)data)->exited = TRUE;
}

/* A viewer that ended badly (a sanitizer report, a crash, a non-zero exit)
 * fails the case even when every check of the case passed: a leak or
 * undefined behaviour is only seen in the viewer's log, at its exit. */
static char *viewer_failure;

static char *viewer_log_path(void)
{
    return g_strdup_printf("%s/%s-viewer.log", artefacts, case_name);
}

/* Reports of AddressSanitizer, LeakSanitizer and UndefinedBehaviorSanitizer
 * in the log of the viewer that ran last; NULL when there are none. */
static char *sanitizer_report_in_log(void)
{
    static const char *markers[] = {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                                    "SUMMARY: UndefinedBehaviorSanitizer", ": runtime error: "};
    g_autofree char *log = viewer_log_path();
    g_autofree char *text = NULL;
    if (!g_file_get_contents(log, &text, NULL, NULL)) return NULL;
    for (size_t i = 0; i < G_N_ELEMENTS(markers); i++) {
        const char *at = strstr(text, markers[i]);
        if (!at) continue;
        const char *nl = strchr(at, '\n');
        return g_strdup_printf("a sanitizer report in %s: %.*s", log, nl ? (int)(nl - at) : 200,
                               at);
    }
    return NULL;
}

/* LeakSanitizer's tracer (gcc 12, glibc 2.36) can crash with SIGSEGV while
 * it reads the dynamic TLS of a host that dlopen()ed the plugin and ran the
 * engine (seen once in three sanitized CI runs).  The ABI hosts and the CLI
 * avoid it with use_tls=0 (tests/CMakeLists.txt), but the viewer cannot:
 * glib, GTK and libxml2 keep per-thread state there that would then read as
 * leaks.
 * Such an exit is the tool failing, not the viewer: it says so and passes
 * on, unless the log also holds a report (sanitizer_report_in_log). */
static gboolean leak_tracer_crashed(void)
{
    g_autofree char *log = viewer_log_path();
    g_autofree char *text = NULL;
    if (!g_file_get_contents(log, &text, NULL, NULL)) return FALSE;
    return strstr(text, "Tracer caught signal") &&
           strstr(text, "LeakSanitizer has encountered a fatal error");
}

/* How a viewer that never came up ended, and its log's last lines: CI keeps
 * only the test's output, not the artefacts. */
static void print_viewer_end(Viewer *v)
{
    if (v->exited) {
        if (g_subprocess_get_if_signaled(v->proc))
            printf("  the viewer was killed by signal %d\n", g_subprocess_get_term_sig(v->proc));
        else
            printf("  the viewer exited with status %d\n", g_subprocess_get_exit_status(v->proc));
    } else {
        printf("  the viewer is still running, without its bus name\n");
    }
    g_autofree char *log = viewer_log_path();
    g_autofree char *text = NULL;
    if (!g_file_get_contents(log, &text, NULL, NULL)) {
        printf("  its log %s could not be read\n", log);
        return;
    }
    /* From the start of the 40th line before the end. */
    const char *from = text + strlen(text);
    for (int lines = 0; from > text; from--)
        if (from[-1] == '\n' && ++lines > 40) break;
    printf("  the end of its log:\n%s\n", from);
}

static void note_viewer_failure(char *why)
{
    if (!why) return;
    printf("  %s\n", why);
    if (viewer_failure) g_free(why);
    else viewer_failure = why;
}

static gboolean name_has_owner(GDBusConnection *bus, const char *name)
{
    GVariant *r = g_dbus_connection_call_sync(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                              "org.freedesktop.DBus", "NameHasOwner",
                                              g_variant_new("(s)", name), G_VARIANT_TYPE("(b)"),
                                              G_DBUS_CALL_FLAGS_NONE, 2000, NULL, NULL);
    gboolean owned = FALSE;
    if (r) {
        g_variant_get(r, "(b)", &owned);
        g_variant_unref(r);
    }
    return owned;
}

/* Starts the viewer on `study` (may be NULL) with extra "NAME=value"
 * environment entries; waits until it owns its bus name. */
static Viewer *viewer_start(const char *study, const char *const *extra_env)
{
    Viewer *v = g_new0(Viewer, 1);
    /* One file for both streams (two opens of it would overwrite each other). */
    GSubprocessLauncher *l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDERR_MERGE);
    g_autofree char *log = viewer_log_path();
    /* The launcher does not truncate: an earlier run's longer log would
     * leave its tail behind. */
    g_remove(log);
    g_subprocess_launcher_set_stdout_file_path(l, log);
    g_subprocess_launcher_setenv(l, "GSK_RENDERER", "cairo", TRUE);
    g_subprocess_launcher_setenv(l, "GSETTINGS_BACKEND", "memory", TRUE);
    g_subprocess_launcher_setenv(l, "GSETTINGS_SCHEMA_DIR", env_or("TSC_VIEWER_SCHEMA_DIR", ""), TRUE);
    g_subprocess_launcher_setenv(l, "TSC_MODEL_DIR", env_or("TSC_MODEL_DIR", ""), TRUE);
    g_subprocess_launcher_setenv(l, "G_MESSAGES_DEBUG", "tsc-viewer-window tsc-viewer-app tsc-viewer-jobs", TRUE);
    /* GDK probes GL when it opens the display, even for the cairo renderer,
     * and Mesa's llvmpipe keeps its setup in driver statics that read as a
     * leak once the driver is unloaded at exit; Mesa has no frame pointers,
     * so LeakSanitizer's fast unwinder cannot even name it for a
     * suppression.  The cairo renderer needs no GL at all. */
    g_subprocess_launcher_setenv(l, "GDK_DEBUG", "gl-disable", TRUE);
    /* Exports default to $XDG_DOCUMENTS_DIR or $HOME: keep them in the test
     * folder; and no animations, so that every screenshot has the final layout. */
    g_subprocess_launcher_setenv(l, "HOME", workdir, TRUE);
    g_subprocess_launcher_unsetenv(l, "XDG_CONFIG_HOME");
    g_autofree char *gtk_dir = g_build_filename(workdir, ".config", "gtk-4.0", NULL);
    g_autofree char *ini = g_build_filename(gtk_dir, "settings.ini", NULL);
    g_mkdir_with_parents(gtk_dir, 0755);
    g_file_set_contents(ini, "[Settings]\ngtk-enable-animations=false\n", -1, NULL);
    for (const char *const *e = extra_env; e && *e; e++) {
        /* "NAME=VALUE" sets, "NAME" unsets. */
        char **kv = g_strsplit(*e, "=", 2);
        if (kv[1])
            g_subprocess_launcher_setenv(l, kv[0], kv[1], TRUE);
        else
            g_subprocess_launcher_unsetenv(l, kv[0]);
        g_strfreev(kv);
    }
    const char *argv[] = {env_or("TSC_VIEWER_BIN", "tumorscope-viewer"), study, NULL};
    GError *error = NULL;
    v->proc = g_subprocess_launcher_spawnv(l, argv, &error);
    g_object_unref(l);
    if (!v->proc) {
        failf("could not start the viewer: %s", error->message);
        g_error_free(error);
        g_free(v);
        return NULL;
    }
    g_subprocess_wait_async(v->proc, NULL, on_viewer_exit, v);
    v->bus = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, &error);
    if (!v->bus) {
        failf("no session bus: %s", error->message);
        g_error_free(error);
        return NULL;
    }
    gint64 end = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
    while (!name_has_owner(v->bus, "org.tumorscope.Viewer")) {
        g_main_context_iteration(NULL, FALSE);
        if (v->exited || g_get_monotonic_time() > end) {
            failf("the viewer did not come up on the bus (see %s/%s-viewer.log)", artefacts, case_name);
            print_viewer_end(v);
            return NULL;
        }
        g_usleep(50 * 1000);
    }
    return v;
}

static gboolean viewer_action(Viewer *v, const char *action, GVariant *param)
{
    GVariantBuilder params;
    g_variant_builder_init(&params, G_VARIANT_TYPE("av"));
    if (param) g_variant_builder_add(&params, "v", param);
    GError *error = NULL;
    GVariant *r = g_dbus_connection_call_sync(
        v->bus, "org.tumorscope.Viewer", "/org/tumorscope/Viewer", "org.freedesktop.Application",
        "ActivateAction", g_variant_new("(sava{sv})", action, &params, NULL), NULL,
        G_DBUS_CALL_FLAGS_NONE, 10000, NULL, &error);
    if (!r) {
        printf("  action %s failed: %s\n", action, error->message);
        g_error_free(error);
        return FALSE;
    }
    g_variant_unref(r);
    return TRUE;
}

/* Asks for a file-writing action and waits for the file. */
static char *viewer_file(Viewer *v, const char *action, const char *name, int seconds)
{
    char *path = g_strdup_printf("%s/%s-%s", artefacts, case_name, name);
    g_unlink(path);
    if (!viewer_action(v, action, g_variant_new_string(path)) || !wait_for_file(path, seconds)) {
        printf("  no %s after %d s\n", name, seconds);
        g_free(path);
        return NULL;
    }
    return path;
}

static GKeyFile *viewer_state(Viewer *v, const char *tag)
{
    g_autofree char *name = g_strdup_printf("%s.ini", tag);
    g_autofree char *path = viewer_file(v, "write-state", name, WAIT_S);
    if (!path) return NULL;
    GKeyFile *kf = g_key_file_new();
    if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, NULL))
        g_clear_pointer(&kf, g_key_file_unref);
    return kf;
}

static Shot *viewer_shot(Viewer *v, const char *tag)
{
    g_autofree char *name = g_strdup_printf("%s.png", tag);
    g_autofree char *path = viewer_file(v, "screenshot", name, WAIT_S);
    if (!path) return NULL;
    Shot *s = shot_load(path);
    return s;
}

static void viewer_stop(Viewer *v)
{
    if (!v) return;
    viewer_action(v, "quit", NULL);
    /* LeakSanitizer scans the whole heap at exit: seconds under ASan. */
    int quit_s = g_getenv("TSC_VIEWER_SANITIZED") ? 90 : 10;
    gint64 end = g_get_monotonic_time() + quit_s * G_USEC_PER_SEC;
    while (!v->exited && g_get_monotonic_time() < end) {
        g_main_context_iteration(NULL, FALSE);
        g_usleep(20 * 1000);
    }
    if (!v->exited) {
        note_viewer_failure(g_strdup_printf("the viewer did not quit within %d s", quit_s));
        g_subprocess_force_exit(v->proc);
    } else {
        note_viewer_failure(sanitizer_report_in_log());
        if (!g_subprocess_get_successful(v->proc) && leak_tracer_crashed())
            printf("  note: LeakSanitizer's tracer crashed at the viewer's exit (gcc 12's "
                   "dynamic-TLS bug, tests/CMakeLists.txt): this run's leak check did not "
                   "complete; every other check of the case stands\n");
        else if (!g_subprocess_get_successful(v->proc))
            note_viewer_failure(g_strdup_printf(
                "the viewer ended with %s %d (see %s/%s-viewer.log)",
                g_subprocess_get_if_signaled(v->proc) ? "signal" : "status",
                g_subprocess_get_if_signaled(v->proc) ? g_subprocess_get_term_sig(v->proc)
                                                      : g_subprocess_get_exit_status(v->proc),
                artefacts, case_name));
    }
    g_clear_object(&v->proc);
    g_clear_object(&v->bus);
    g_free(v);
}

static gboolean get_rect(GKeyFile *kf, const char *key, double r[4])
{
    gsize n = 0;
    double *v = g_key_file_get_double_list(kf, "geometry", key, &n, NULL);
    gboolean ok = v && n == 4;
    if (ok) memcpy(r, v, sizeof(double) * 4);
    g_free(v);
    return ok;
}

static char *kf_str(GKeyFile *kf, const char *group, const char *key)
{
    char *v = g_key_file_get_string(kf, group, key, NULL);
    return v ? v : g_strdup("");
}

/* Starts the viewer on sample_dicom/`sub` (NULL: all of it) with extra
 * environment entries `env`: 0 with *v set, SKIP when the folder is
 * missing, 1 when the viewer did not start. */
static int start_on_sample(const char *sub, const char *const *env, Viewer **v)
{
    g_autofree char *dir = sample_folder(sub);
    if (!dir) return SKIP;
    *v = viewer_start(dir, env);
    CHECK(*v, "viewer start");
    return 0;
}

/* The sample study (or its stand-in) in *study, opened here by the plugin,
 * and the index of its lesion series: 0, or SKIP or 1 as the steps say. */
static int open_lesion_study(char **study, Plugin *p, gssize *series)
{
    int r = sample_study(study);
    if (r) return r;
    if ((r = plugin_open(p, *study))) return r;
    *series = find_series(p, "SYNTHETIC LESION");
    CHECK(*series >= 0, "no SYNTHETIC LESION series in %s", *study);
    return 0;
}

/* ---- cases ------------------------------------------------------------- */

static int test_opens_sample_study(void)
{
    g_autofree char *study = NULL;
    int r = sample_study(&study);
    if (r) return r;
    /* Without a policy of the user's, the viewer sets OpenMP's before it
     * loads the plugin (and with it libgomp), not by re-executing itself. */
    const char *no_policy[] = {"OMP_WAIT_POLICY", NULL};
    Viewer *v = viewer_start(study, no_policy);
    CHECK(v, "viewer start");
    g_autoptr(GKeyFile) kf = viewer_state(v, "state");
    CHECK(kf, "no state");
    CHECK(g_key_file_get_boolean(kf, "viewer", "study-loaded", NULL), "study not loaded");
    CHECK(g_key_file_get_boolean(kf, "viewer", "open-enabled", NULL), "Open is disabled");
    g_autofree char *policy = kf_str(kf, "viewer", "omp-wait-policy");
    CHECK(strcmp(policy, "passive") == 0, "OMP_WAIT_POLICY is \"%s\" in the viewer, not passive",
          policy);
    {
        /* The plugin came in with dlopen: libgomp is mapped, and it was not
         * loaded before the policy was set (the viewer logs that case). */
        g_autofree char *maps_path =
            g_strdup_printf("/proc/%s/maps", g_subprocess_get_identifier(v->proc));
        char *maps = NULL, *log = viewer_log_path(), *text = NULL;
        gboolean have_maps = g_file_get_contents(maps_path, &maps, NULL, NULL);
        if (have_maps) {
            CHECK(strstr(maps, "libtumorscope-plugin.so"), "the plugin is not loaded in the viewer");
            printf("  plugin loaded; libgomp %s\n", strstr(maps, "libgomp") ? "loaded with it" : "not used");
        }
        CHECK(g_file_get_contents(log, &text, NULL, NULL), "no log");
        CHECK(!strstr(text, "libgomp was loaded before the plugin"), "libgomp came before the policy (see %s)", log);
        g_free(text);
        g_free(log);
        g_free(maps);
    }
    int n_series = g_key_file_get_integer(kf, "study", "series-count", NULL);
    CHECK(n_series >= 2, "expected at least 2 series, got %d", n_series);
    CHECK(g_key_file_get_integer(kf, "series", "index", NULL) == 0, "the first series is not shown");
    int slices = g_key_file_get_integer(kf, "series", "slices", NULL);
    CHECK(g_key_file_get_integer(kf, "series", "slice", NULL) == slices / 2, "not on the middle slice");
    double img[4];
    CHECK(get_rect(kf, "image", img), "no image geometry");
    g_autoptr(Shot) s = viewer_shot(v, "study");
    CHECK(s, "no screenshot");
    /* The slice is drawn: the centre of the image is bright brain, the view
     * around it black. */
    double mean = mid_grey(s, img);
    printf("  mean grey in the brain: %.1f\n", mean);
    CHECK(mean > 40, "the slice is not drawn (mean grey %.1f)", mean);
    /* Physical aspect: a square slice of square pixels is drawn square. */
    int cols = g_key_file_get_integer(kf, "geometry", "image-cols", NULL);
    int rows = g_key_file_get_integer(kf, "geometry", "image-rows", NULL);
    CHECK(fabs(img[2] / img[3] - (double)cols / rows) < 0.02, "aspect %f", img[2] / img[3]);
    viewer_stop(v);
    return 0;
}

static int test_overlay_colours_lesion_mask(void)
{
    g_autofree char *study = NULL;
    Plugin p;
    gssize series;
    int r = open_lesion_study(&study, &p, &series);
    if (r) return r;
    /* The slice with the largest mask, analysed here by the plugin itself. */
    tsc_analysis_options ao = p.api->analysis_default_options();
    size_t n = p.api->study_get_series(p.index, series)->n_slices, best = 0, best_area = 0;
    tsc_result *best_r = NULL;
    for (size_t k = 0; k < n; k++) {
        tsc_result *res = NULL;
        tsc_error err = {0};
        CHECK(p.api->analyze_study_slice(p.model, p.index, series, k, &ao, &res, &err) == TSC_OK, "%s", err.message);
        int rows, cols;
        const uint8_t *m = p.api->result_get_mask(res, &rows, &cols);
        size_t area = 0;
        for (size_t i = 0; i < (size_t)rows * cols; i++) area += m[i] != 0;
        if (area > best_area) {
            if (best_r) p.api->result_free(best_r);
            best_r = res;
            best_area = area;
            best = k;
        } else {
            p.api->result_free(res);
        }
    }
    CHECK(best_r && best_area > 50, "the model finds no lesion in the lesion series");
    guint32 color = p.api->model_get_class_color(p.model, p.api->result_get_label(best_r));
    printf("  lesion series %zd, slice %zu, mask %zu px, class colour #%06X\n", series, best, best_area, color);

    Viewer *v = viewer_start(study, NULL);
    CHECK(v, "viewer start");
    viewer_action(v, "select-series", g_variant_new_int32((gint32)series));
    viewer_action(v, "goto-slice", g_variant_new_int32((gint32)best));
    /* The slice on screen first: its decoded pixels are what is analysed
     * (api->analyze_slice), and the overlay below must still be the mask the
     * plugin finds when it decodes the file itself. */
    g_autoptr(GKeyFile) shown = viewer_state(v, "shown");
    CHECK(shown, "no state");
    viewer_action(v, "analyze-slice", NULL);
    g_autoptr(GKeyFile) kf = viewer_state(v, "state");
    CHECK(kf, "no state");
    CHECK(g_key_file_get_integer(kf, "series", "slice", NULL) == (int)best, "wrong slice");
    CHECK(g_key_file_get_integer(kf, "viewer", "slices-analysed-from-decoded", NULL) == 1,
          "the slice on screen was decoded again to be analysed");
    g_autofree char *verdict = g_key_file_get_string(kf, "slice", "verdict", NULL);
    CHECK(g_strcmp0(verdict, "tumor") == 0, "slice verdict %s", verdict);
    double img[4];
    CHECK(get_rect(kf, "image", img), "no geometry");
    int cols = g_key_file_get_integer(kf, "geometry", "image-cols", NULL);
    int rows = g_key_file_get_integer(kf, "geometry", "image-rows", NULL);
    g_autoptr(Shot) on = viewer_shot(v, "overlay-on");
    viewer_action(v, "show-overlay", NULL); /* toggles it off */
    g_autoptr(Shot) off = viewer_shot(v, "overlay-off");
    CHECK(on && off, "no screenshots");

    int mrows, mcols;
    const uint8_t *mask = p.api->result_get_mask(best_r, &mrows, &mcols);
    CHECK(mrows == rows && mcols == cols, "mask %dx%d vs image %dx%d", mcols, mrows, cols, rows);
#define M(x, y) ((x) >= 0 && (y) >= 0 && (x) < cols && (y) < rows && mask[(size_t)(y) * cols + (x)])
    int in_total = 0, in_ok = 0, out_total = 0, out_ok = 0;
    for (int y = 0; y < rows; y++)
        for (int x = 0; x < cols; x++) {
            int sx = (int)(img[0] + (x + 0.5) * img[2] / cols), sy = (int)(img[1] + (y + 0.5) * img[3] / rows);
            int a[3], b[3];
            /* Interior mask pixels (their 5x5 neighbourhood is all mask). */
            gboolean interior = TRUE;
            for (int dy = -2; dy <= 2 && interior; dy++)
                for (int dx = -2; dx <= 2 && interior; dx++) interior = M(x + dx, y + dy);
            if (interior) {
                px(on, sx, sy, a);
                px(off, sx, sy, b);
                /* Fill: on ≈ off + opacity (colour - off); check each channel moved toward the colour. */
                int moved = 0;
                for (int c = 0; c < 3; c++) {
                    int target = (int)((color >> (16 - 8 * c)) & 255);
                    double expect = b[c] + 0.35 * (target - b[c]);
                    moved += fabs(a[c] - expect) <= 30;
                }
                in_total++;
                in_ok += moved == 3;
                continue;
            }
            /* Pixels away from the mask, clear of the banner and legend at the
             * top and the disclaimer at the bottom: unchanged. */
            if (x % 3 || y % 3 || sy < img[1] + 110 || sy > img[1] + img[3] - 50) continue;
            gboolean far = TRUE;
            for (int dy = -10; dy <= 10 && far; dy += 2)
                for (int dx = -10; dx <= 10 && far; dx += 2) far = !M(x + dx, y + dy);
            if (!far) continue;
            px(on, sx, sy, a);
            px(off, sx, sy, b);
            out_total++;
            out_ok += abs(a[0] - b[0]) + abs(a[1] - b[1]) + abs(a[2] - b[2]) <= 12;
        }
#undef M
    printf("  inside the mask: %d of %d pixels carry the class colour; outside: %d of %d unchanged\n",
           in_ok, in_total, out_ok, out_total);
    CHECK(in_total >= 20, "too few interior mask pixels (%d)", in_total);
    CHECK(in_ok >= in_total * 0.8, "the overlay colour is missing where the mask is (%d/%d)", in_ok, in_total);
    CHECK(out_total >= 50 && out_ok >= out_total * 0.85,
          "the overlay changed pixels away from the mask (%d/%d)", out_ok, out_total);
    viewer_stop(v);
    p.api->result_free(best_r);
    plugin_close(&p);
    return 0;
}

/* Counts pixels of colour `rgb` (within tol) in a rectangle. */
static int count_color(const Shot *s, double x0, double y0, double w, double h, guint32 rgb, int tol)
{
    int n = 0;
    for (int y = (int)y0; y < y0 + h; y++)
        for (int x = (int)x0; x < x0 + w; x++) {
            int c[3];
            px(s, x, y, c);
            n += color_dist(c, rgb) <= tol;
        }
    return n;
}

static int test_normal_slice_green_label(void)
{
    g_autofree char *dir = g_build_filename(workdir, "phantom", NULL);
    int r = make_phantom_series(dir, 6, 0, 0, "Phantom normal head", 1);
    if (r) return r;
    Plugin p;
    if ((r = plugin_open(&p, dir))) return r;
    tsc_analysis_options ao = p.api->analysis_default_options();
    tsc_result *res = NULL;
    tsc_error err = {0};
    CHECK(p.api->analyze_study_slice(p.model, p.index, 0, 3, &ao, &res, &err) == TSC_OK, "%s", err.message);
    if (p.api->result_get_verdict(res) != TSC_VERDICT_NO_TUMOR) {
        /* The analysis tests pin that down; here it is only a precondition. */
        printf("SKIP: the phantom model does not call a plain phantom head normal (P(no tumour) %.3f); "
               "see the analysis tests\n", p.api->result_get_probability(res, no_tumor_class(&p)));
        p.api->result_free(res);
        plugin_close(&p);
        return SKIP;
    }
    guint32 green = p.api->model_get_class_color(p.model, no_tumor_class(&p));
    p.api->result_free(res);

    Viewer *v = viewer_start(dir, NULL);
    CHECK(v, "viewer start");
    viewer_action(v, "goto-slice", g_variant_new_int32(3));
    viewer_action(v, "analyze-slice", NULL);
    g_autoptr(GKeyFile) kf = viewer_state(v, "state");
    CHECK(kf, "no state");
    g_autofree char *verdict = g_key_file_get_string(kf, "slice", "verdict", NULL);
    CHECK(g_strcmp0(verdict, "no_tumor") == 0, "viewer verdict %s", verdict);
    double view[4];
    CHECK(get_rect(kf, "view", view), "no geometry");
    g_autoptr(Shot) on = viewer_shot(v, "no-tumor");
    viewer_action(v, "show-overlay", NULL);
    g_autoptr(Shot) off = viewer_shot(v, "no-tumor-overlay-off");
    CHECK(on && off, "no screenshots");
    /* The green verdict banner sits in the top-left quarter of the view. */
    int n_on = count_color(on, view[0], view[1], view[2] / 2, view[3] / 3, green, 24);
    int n_off = count_color(off, view[0], view[1], view[2] / 2, view[3] / 3, green, 24);
    printf("  #%06X pixels in the top-left of the view: %d with the overlay, %d without\n", green, n_on, n_off);
    CHECK(n_on >= 600, "no green NO TUMOR banner (%d pixels)", n_on);
    CHECK(n_off <= 20, "green pixels without the overlay (%d)", n_off);
    viewer_stop(v);
    plugin_close(&p);
    return 0;
}

static int test_slice_strip_marks(void)
{
    g_autofree char *study = NULL;
    Plugin p;
    gssize series;
    int r = open_lesion_study(&study, &p, &series);
    if (r) return r;
    tsc_analysis_options ao = p.api->analysis_default_options();
    tsc_series_result *sr = NULL;
    tsc_error err = {0};
    CHECK(p.api->analyze_study_series(p.model, p.index, series, &ao, 1, NULL, NULL, &sr, &err) == TSC_OK,
          "%s", err.message);

    Viewer *v = viewer_start(study, NULL);
    CHECK(v, "viewer start");
    viewer_action(v, "select-series", g_variant_new_int32((gint32)series));
    g_autoptr(GKeyFile) before = viewer_state(v, "before");
    g_autoptr(Shot) s0 = viewer_shot(v, "strip-before");
    viewer_action(v, "analyze-series", NULL);
    g_autoptr(GKeyFile) kf = viewer_state(v, "after");
    g_autoptr(Shot) s1 = viewer_shot(v, "strip-after");
    CHECK(before && kf && s0 && s1, "no state or screenshots");
    double strip[4];
    CHECK(get_rect(kf, "strip", strip), "no strip geometry");
    double x0 = g_key_file_get_double(kf, "geometry", "strip-first-center", NULL);
    double x1 = g_key_file_get_double(kf, "geometry", "strip-last-center", NULL);
    int n = g_key_file_get_integer(kf, "series", "slices", NULL);
    g_autofree char *verdicts = g_key_file_get_string(kf, "series", "verdicts", NULL);
    g_autofree char *colors = g_key_file_get_string(kf, "series", "colors", NULL);
    CHECK(verdicts && (int)strlen(verdicts) == n, "verdicts %s", verdicts);
    g_autofree char *verdicts0 = g_key_file_get_string(before, "series", "verdicts", NULL);
    CHECK(strspn(verdicts0, "-") == strlen(verdicts0), "slices analysed before asking: %s",
          verdicts0);
    printf("  verdicts per slice: %s\n", verdicts);
    double cy = strip[1] + strip[3] / 2;
    char **cells = g_strsplit(colors, ",", -1);
    int checked = 0;
    for (char **c = cells; *c; c++) {
        int k = atoi(*c);
        guint32 rgb = (guint32)strtoul(strchr(*c, ':') + 1, NULL, 16);
        /* The viewer shows what the plugin computes. */
        const tsc_result *pr = p.api->series_result_get_slice(sr, (size_t)k);
        static const char letters[] = "NTIAX"; /* in tsc_verdict order */
        tsc_verdict pv = pr ? p.api->result_get_verdict(pr) : TSC_VERDICT_NOT_ANALYSED;
        char want = !pr ? 'F' : (size_t)pv < sizeof letters - 1 ? letters[pv] : '?';
        CHECK(verdicts[k] == want, "slice %d: viewer %c, plugin %c", k, verdicts[k], want);
        int x = (int)lround(x0 + (n > 1 ? k * (x1 - x0) / (n - 1) : 0));
        int a[3], b[3];
        px(s1, x, (int)cy, a);
        px(s0, x, (int)cy, b);
        CHECK(color_dist(a, rgb) <= 24, "slice %d: strip pixel (%d,%d,%d) is not #%06X", k, a[0], a[1], a[2], rgb);
        CHECK(color_dist(b, rgb) > 24, "slice %d: marked before the analysis", k);
        /* Tumour slices stand taller than the others. */
        int top[3];
        px(s1, x, (int)(strip[1] + 6), top);
        CHECK((verdicts[k] == 'T') == (color_dist(top, rgb) <= 24), "slice %d: marker height", k);
        checked++;
    }
    CHECK(checked == n, "%d of %d slices marked", checked, n);
    g_strfreev(cells);
    viewer_stop(v);
    p.api->series_result_free(sr);
    plugin_close(&p);
    return 0;
}

static int copy_file(const char *from, const char *to, gssize max_bytes)
{
    g_autofree char *data = NULL;
    gsize len;
    if (!g_file_get_contents(from, &data, &len, NULL)) return 0;
    if (max_bytes >= 0 && (gsize)max_bytes < len) len = (gsize)max_bytes;
    gboolean ok = g_file_set_contents(to, data, (gssize)len, NULL);
    return ok;
}

/* Pixels of the info bar's warning colour (the default theme's dark amber,
 * about 90,69,22, or a light theme's yellow) in the top 160 rows, where the
 * bar is: a revealed warning bar fills tens of thousands. */
static int warning_bar_pixels(const Shot *s)
{
    int n = 0;
    for (int y = 0; y < 160 && y < s->h; y++)
        for (int x = 0; x < s->w; x++) {
            int c[3];
            px(s, x, y, c);
            if (c[0] > 60 && c[0] >= c[1] && c[0] - c[2] > 45 && c[1] - c[2] > 30) n++;
        }
    return n;
}

static int test_skipped_files_in_info_bar(void)
{
    g_autofree char *study = NULL;
    int r = sample_study(&study);
    if (r) return r;
    /* One good series, one truncated DICOM file and one text file. */
    Plugin p;
    if ((r = plugin_open(&p, study))) return r;
    const tsc_dicom_slice_info *first = p.api->study_get_slice(p.index, 0, 0);
    g_autofree char *src_dir = g_path_get_dirname(first->path);
    g_autofree char *dir = g_build_filename(workdir, "mixed", NULL);
    g_mkdir_with_parents(dir, 0755);
    GDir *d = g_dir_open(src_dir, 0, NULL);
    const char *name;
    int copied = 0;
    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *from = g_build_filename(src_dir, name, NULL);
        g_autofree char *to = g_build_filename(dir, name, NULL);
        copied += copy_file(from, to, -1);
    }
    if (d) g_dir_close(d);
    g_autofree char *bad = g_build_filename(dir, "truncated.dcm", NULL);
    g_autofree char *txt = g_build_filename(dir, "notes.txt", NULL);
    CHECK(copy_file(first->path, bad, 700), "copy");
    CHECK(g_file_set_contents(txt, "not an image\n", -1, NULL), "write");
    plugin_close(&p);

    Viewer *v = viewer_start(dir, NULL);
    CHECK(v, "viewer start");
    g_autoptr(GKeyFile) kf = viewer_state(v, "state");
    CHECK(kf, "no state");
    int skipped = g_key_file_get_integer(kf, "study", "skipped-count", NULL);
    g_autofree char *issues = g_key_file_get_string(kf, "viewer", "issues", NULL);
    printf("  %d files copied, %d skipped; issues: %s\n", copied, skipped, issues);
    CHECK(skipped >= 2, "expected the 2 bad files skipped, got %d", skipped);
    /* The truncated DICOM file is a warning; the text file is only counted. */
    CHECK(issues && strstr(issues, "skipped: 1 DICOM file could not be read"), "no skipped-files message: %s",
          issues);
    CHECK(strstr(issues, "ignored: 1 file that is not DICOM"), "the text file is not counted apart: %s", issues);
    CHECK(g_key_file_get_integer(kf, "study", "ignored-count", NULL) == 1, "ignored-count");
    CHECK(g_key_file_get_boolean(kf, "viewer", "info-bar-revealed", NULL), "the info bar is hidden");
    g_autofree char *type = g_key_file_get_string(kf, "viewer", "info-bar-type", NULL);
    CHECK(g_strcmp0(type, "warning") == 0, "the info bar is not a warning: %s", type);
    CHECK(g_key_file_get_boolean(kf, "viewer", "study-loaded", NULL) &&
              g_key_file_get_integer(kf, "series", "slices", NULL) > 0,
          "the rest of the study is not usable");
    g_autoptr(Shot) s = viewer_shot(v, "skipped");
    CHECK(s, "no screenshot");
    int warm = warning_bar_pixels(s);
    printf("  warning-bar pixels in the top rows: %d\n", warm);
    CHECK(warm > 20000, "no warning bar on screen (%d pixels)", warm);
    /* The messages belong to that study: opening another clears them. */
    viewer_action(v, "open", g_variant_new_string(src_dir));
    g_autoptr(GKeyFile) next = viewer_state(v, "next-study");
    CHECK(next, "no state");
    g_autofree char *left = kf_str(next, "viewer", "issues");
    printf("  after opening the clean series: \"%s\"\n", left);
    CHECK(!strstr(left, "skipped") && !strstr(left, "1 file that is not DICOM"),
          "messages of the previous study: %s", left);
    CHECK(!g_key_file_get_boolean(next, "viewer", "info-bar-revealed", NULL),
          "the info bar outlived its study");
    viewer_stop(v);
    return 0;
}

/* sample_dicom holds ground-truth PNGs, a README and scripts beside its
 * DICOM files: they are counted quietly, never a warning; and the yellow bar
 * shows nowhere in the screenshot. */
static int test_non_dicom_files_are_counted_quietly(void)
{
    Viewer *v;
    int r = start_on_sample(NULL, NULL, &v);
    if (r) return r;
    g_autoptr(GKeyFile) kf = viewer_state(v, "state");
    CHECK(kf, "no state");
    int skipped = g_key_file_get_integer(kf, "study", "skipped-count", NULL);
    int ignored = g_key_file_get_integer(kf, "study", "ignored-count", NULL);
    g_autofree char *issues = g_key_file_get_string(kf, "viewer", "issues", NULL);
    printf("  %d skipped, %d not DICOM; issues: %s\n", skipped, ignored, issues);
    CHECK(ignored > 0 && ignored == skipped, "the PNGs and README are not all counted as not DICOM");
    CHECK(issues && !strstr(issues, "could not be read") && !strstr(issues, "skipped:"), "a warning: %s", issues);
    CHECK(!g_key_file_get_boolean(kf, "viewer", "info-bar-revealed", NULL), "the info bar is shown");
    CHECK(g_key_file_get_boolean(kf, "viewer", "study-loaded", NULL), "no study");
    g_autoptr(Shot) s = viewer_shot(v, "sample-no-warning");
    CHECK(s, "no screenshot");
    int warm = warning_bar_pixels(s);
    printf("  warning-bar pixels in the top rows: %d\n", warm);
    CHECK(warm < 2000, "a warning bar is on screen (%d pixels)", warm);
    viewer_stop(v);
    return 0;
}

static int test_refuses_other_abi(void)
{
    const char *fake = env_or("TSC_VIEWER_FAKE_PLUGIN_DIR", NULL);
    if (!fake) {
        printf("SKIP: TSC_VIEWER_FAKE_PLUGIN_DIR is not set\n");
        return SKIP;
    }
    g_autofree char *ld = g_strdup_printf("LD_LIBRARY_PATH=%s", fake);
    const char *env[] = {ld, NULL};
    g_autofree char *study = NULL;
    int r = sample_study(&study);
    if (r) return r;
    Viewer *v = viewer_start(study, env);
    CHECK(v, "viewer start");
    GKeyFile *kf = viewer_state(v, "state");
    CHECK(kf, "no state");
    g_autofree char *e = g_key_file_get_string(kf, "viewer", "api-error", NULL);
    printf("  message: %s\n", e);
    g_autofree char *wanted = g_strdup_printf("ABI version %u", TSC_PLUGIN_API_VERSION);
    CHECK(e && strstr(e, wanted) && strstr(e, "serves no ABI version") && strstr(e, fake),
          "the message does not name both versions and the plugin: %s", e);
    CHECK(!g_key_file_get_boolean(kf, "viewer", "study-loaded", NULL), "a study was loaded anyway");
    CHECK(g_key_file_get_boolean(kf, "viewer", "info-bar-revealed", NULL), "not shown in the window");
    /* The window's commands are disabled, whether from a script or a button. */
    CHECK(!g_key_file_get_boolean(kf, "viewer", "open-enabled", NULL), "Open is still enabled");
    viewer_action(v, "open", g_variant_new_string(study));
    viewer_action(v, "analyze-series", NULL);
    g_key_file_unref(kf);
    kf = viewer_state(v, "after-open");
    CHECK(kf, "no state after open");
    CHECK(!g_key_file_get_boolean(kf, "viewer", "study-loaded", NULL),
          "a study was opened without the plugin");
    g_autoptr(Shot) s = viewer_shot(v, "abi-mismatch");
    CHECK(s, "no screenshot");
    g_key_file_unref(kf);
    viewer_stop(v);
    return 0;
}

static gboolean has_magic(const char *path, const char *magic, gsize n)
{
    char *data = NULL;
    gsize len = 0;
    gboolean ok = g_file_get_contents(path, &data, &len, NULL) && len >= n && memcmp(data, magic, n) == 0;
    g_free(data);
    return ok;
}

static int test_export_report(void)
{
    g_autofree char *study = NULL;
    Plugin p;
    gssize series;
    int r = open_lesion_study(&study, &p, &series);
    if (r) return r;
    plugin_close(&p);
    int files_before = count_files(study);
    g_autofree char *out = g_build_filename(workdir, "exports", NULL);

    Viewer *v = viewer_start(study, NULL);
    CHECK(v, "viewer start");
    viewer_action(v, "select-series", g_variant_new_int32((gint32)series));
    viewer_action(v, "analyze-series", NULL);
    viewer_action(v, "export-report", g_variant_new_string(out));
    g_autoptr(GKeyFile) kf = viewer_state(v, "state");
    CHECK(kf, "no state");
    /* The export runs in the background: wait for its last file. */
    char *sub = wait_for_export(out, "dicom");
    CHECK(sub, "no export folder with report.pdf and dicom/ in %s", out);
    g_autoptr(GKeyFile) kf2 = viewer_state(v, "after-export");
    g_autofree char *issues = g_key_file_get_string(kf2, "viewer", "issues", NULL);
    printf("  exported into %s; issues: %s\n", sub, issues);
    g_autofree char *pdf = g_build_filename(sub, "report.pdf", NULL);
    g_autofree char *summary = g_build_filename(sub, "series-summary.png", NULL);
    int slice = g_key_file_get_integer(kf, "series", "slice", NULL);
    g_autofree char *slice_name = g_strdup_printf("slice%03d.png", slice + 1);
    g_autofree char *slice_png = g_build_filename(sub, slice_name, NULL);
    CHECK(has_magic(pdf, "%PDF", 4), "report.pdf is not a PDF");
    CHECK(has_magic(summary, "\x89PNG", 4), "series-summary.png missing");
    CHECK(has_magic(slice_png, "\x89PNG", 4), "%s missing", slice_name);
    g_autofree char *dicom = g_build_filename(sub, "dicom", NULL);
    CHECK(count_files(dicom) >= 2, "too few DICOM outputs");
    g_autofree char *toast = g_key_file_get_string(kf2, "viewer", "toast", NULL);
    CHECK(toast && strstr(toast, "Report exported to ") && g_key_file_get_boolean(kf2, "viewer", "toast-revealed", NULL),
          "the window does not say where: toast \"%s\"", toast);
    CHECK(issues && !strstr(issues, "Report exported"), "the success is a bar, not a toast: %s",
          issues);
    CHECK(count_files(study) == files_before, "files were written into the study folder");
    g_autoptr(Shot) s = viewer_shot(v, "exported");
    g_free(sub);
    viewer_stop(v);
    return 0;
}

static int test_cancel_series_analysis(void)
{
    g_autofree char *dir = g_build_filename(workdir, "long", NULL);
    int r = make_phantom_series(dir, 240, 100, 140, "Phantom long series", 1);
    if (r) return r;
    Viewer *v = viewer_start(dir, NULL);
    CHECK(v, "viewer start");
    g_autoptr(GKeyFile) kf0 = viewer_state(v, "loaded");
    CHECK(kf0, "no state");
    viewer_action(v, "analyze-series", NULL);
    g_usleep(400 * 1000);
    gint64 t0 = g_get_monotonic_time();
    viewer_action(v, "cancel", NULL);
    g_autoptr(GKeyFile) kf = viewer_state(v, "state");
    double ms = (g_get_monotonic_time() - t0) / 1000.0;
    CHECK(kf, "no state");
    g_autofree char *verdicts = g_key_file_get_string(kf, "series", "verdicts", NULL);
    int done = 0, n = (int)strlen(verdicts);
    for (int i = 0; i < n; i++) done += verdicts[i] != '-';
    printf("  cancelled after %d of %d slices; idle again %.0f ms after cancel\n", done, n, ms);
    CHECK(done > 0 && done < n, "not a partial analysis (%d of %d)", done, n);
    CHECK(ms < 5000, "cancel took %.0f ms", ms);
    g_autoptr(Shot) s = viewer_shot(v, "cancelled");
    viewer_stop(v);
    return 0;
}

static double json_number(const char *json, const char *key)
{
    g_autofree char *k = g_strdup_printf("\"%s\":", key);
    const char *p = strstr(json, k);
    double v = p ? g_ascii_strtod(p + strlen(k), NULL) : -1;
    return v;
}

/* Scrolls a 300-slice series one slice per step, as fast as frames allow,
 * while the series is analysed, and on past the end of the analysis (back
 * and forth if need be: the frames that show the finished series are the
 * costly ones): every step must reach the screen, and the analysis must
 * really run alongside.  The latencies are printed, not held to
 * a budget here: a timed unit test says more about the machine than about the
 * viewer.  bench/viewer/run.sh runs this case as a benchmark
 * (TSC_VIEWER_ENFORCE_BUDGET=1) and holds the worst step to the 50 ms budget. */
static int test_scroll_latency(void)
{
    if (g_getenv("TSC_VIEWER_SANITIZED")) {
        printf("SKIP: timings of a sanitizer build say nothing about the viewer's latency\n");
        return SKIP;
    }
    /* The benchmark runs the shipped model (heavier than the phantom one). */
    const char *bench_model = g_getenv("TSC_VIEWER_BENCH_MODEL_DIR");
    if (bench_model) g_setenv("TSC_MODEL_DIR", bench_model, TRUE);
    g_autofree char *dir = g_build_filename(workdir, "bench", NULL);
    int r = make_phantom_series(dir, 300, 120, 170, "Phantom 300 slices", 1);
    if (r) return r;
    double load[3] = {0};
    if (getloadavg(load, 3) < 1) load[0] = 99;
    Viewer *v = viewer_start(dir, NULL);
    CHECK(v, "viewer start");
    g_autoptr(GKeyFile) kf0 = viewer_state(v, "loaded");
    CHECK(kf0 && g_key_file_get_integer(kf0, "series", "slices", NULL) == 300, "the series has not 300 slices");
    g_autofree char *path = viewer_file(v, "benchmark-scroll", "latency.json", 300);
    CHECK(path, "no benchmark result");
    g_autofree char *json = NULL;
    CHECK(g_file_get_contents(path, &json, NULL, NULL), "read %s", path);
    double worst = json_number(json, "worst_ms"), p95 = json_number(json, "p95_ms");
    double median = json_number(json, "median_ms"), cpu = json_number(json, "main_thread_cpu_worst_ms");
    int steps = (int)json_number(json, "steps"), during = (int)json_number(json, "steps_during_analysis");
    int after = (int)json_number(json, "steps_after_analysis");
    double budget = g_ascii_strtod(env_or("TSC_VIEWER_STEP_BUDGET_MS", "50"), NULL);
    printf("  %d steps (%d while the analysis ran, %d after it): worst %.1f ms, p95 %.1f ms, median %.1f ms; "
           "main-thread CPU per step at worst %.1f ms; load average before %.2f\n",
           steps, during, after, worst, p95, median, cpu, load[0]);
    /* One pass over the 299 steps, then back and forth until the analysis
     * has ended and 30 steps have shown its result. */
    CHECK(steps >= 299 && steps == during + after, "%d steps reached the screen (%d + %d)", steps, during, after);
    CHECK(after >= 30, "only %d steps after the analysis ended", after);
    CHECK(during >= 1, "the series analysis did not run while scrolling");
    CHECK(worst > 0 && p95 > 0 && median > 0 && cpu >= 0, "latency figures missing from %s", path);
    if (g_getenv("TSC_VIEWER_ENFORCE_BUDGET")) {
        CHECK(during >= steps / 3, "the analysis overlapped only %d of %d steps: too short to measure", during, steps);
        CHECK(cpu <= budget, "the main thread worked %.1f ms on one step (budget %.0f ms)", cpu, budget);
        if (load[0] < 1.5)
            CHECK(worst <= budget, "worst step latency %.1f ms is over %.0f ms", worst, budget);
        else
            printf("  note: load average %.2f before the run: other processes share the cores, so the "
                   "wall-clock worst case (%.1f ms) is reported, not held to %.0f ms\n", load[0], worst, budget);
    }
    viewer_stop(v);
    return 0;
}


/* ---- one description everywhere, scope, wrong patient, mistyped paths ---- */

/* The .dcm files of `src` copied into `dest` and edited there by dcmodify
 * with `options` (NULL-terminated; no backups are kept): 0, SKIP without
 * dcmodify, 1 when it failed. */
static int dcmodify_copy(const char *src, const char *dest, const char *const *options)
{
    g_autofree char *dcmodify = g_find_program_in_path("dcmodify");
    if (!dcmodify) {
        printf("SKIP: dcmodify (Debian: dcmtk) is not installed\n");
        return SKIP;
    }
    g_mkdir_with_parents(dest, 0755);
    g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(argv, g_strdup(dcmodify));
    g_ptr_array_add(argv, g_strdup("-nb"));
    for (const char *const *o = options; *o; o++) g_ptr_array_add(argv, g_strdup(*o));
    GDir *d = g_dir_open(src, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
        if (!g_str_has_suffix(name, ".dcm")) continue;
        g_autofree char *from = g_build_filename(src, name, NULL);
        g_autofree char *to = g_build_filename(dest, name, NULL);
        if (copy_file(from, to, -1)) g_ptr_array_add(argv, g_strdup(to));
    }
    if (d) g_dir_close(d);
    g_ptr_array_add(argv, NULL);
    int status = 0;
    g_autofree char *err_out = NULL;
    gboolean ok = g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                               &err_out, &status, NULL) &&
                  g_spawn_check_wait_status(status, NULL);
    return ok ? 0 : failf("dcmodify failed: %s", err_out ? err_out : "");
}

/* A copy of the Colin27 series relabelled as CT (dcmodify), which the
 * model's scope gate refuses. */
static int make_ct_copy(char **out)
{
    g_autofree char *src = sample_folder("01-normal-colin27/t1-axial");
    if (!src) return SKIP;
    *out = g_build_filename(workdir, "ct", NULL);
    static const char *const as_ct[] = {"-m", "(0008,0060)=CT", NULL};
    return dcmodify_copy(src, *out, as_ct);
}

/* Pixels of `rgb` that the overlay put there: in `on`, not in `off`. */
static int count_added(const Shot *on, const Shot *off, const double r[4], guint32 rgb, int tol)
{
    int n = 0;
    for (int y = (int)r[1]; y < r[1] + r[3]; y++)
        for (int x = (int)r[0]; x < r[0] + r[2]; x++) {
            int a[3], b[3];
            px(on, x, y, a);
            px(off, x, y, b);
            n += color_dist(a, rgb) <= tol && color_dist(b, rgb) > tol;
        }
    return n;
}

typedef struct {
    tsc_verdict verdict;
    const char *path;
    gssize series;
    size_t slice;
    tsc_description d;
    gboolean found;
} VerdictCase;

/* For a slice the plugin calls `verdict`, the viewer's panel, strip (colour
 * and tooltip), state and overlay banner say the plugin's one description. */
static int check_slice_case(Viewer *v, const VerdictCase *c)
{
    char tag[64];
    const char *vname = tsc_plugin_get_api(TSC_PLUGIN_API_VERSION)->verdict_to_string(c->verdict);
    viewer_action(v, "select-series", g_variant_new_int32((gint32)c->series));
    viewer_action(v, "analyze-series", NULL);
    viewer_action(v, "goto-slice", g_variant_new_int32((gint32)c->slice));
    g_snprintf(tag, sizeof tag, "%s", vname);
    g_autoptr(GKeyFile) kf = viewer_state(v, tag);
    CHECK(kf, "no state");
    g_autofree char *verdict = kf_str(kf, "slice", "verdict"),
                    *label = kf_str(kf, "slice", "label");
    g_autofree char *panel = kf_str(kf, "panel", "slice-verdict"),
                    *tip = kf_str(kf, "slice", "tooltip");
    g_autofree char *col = kf_str(kf, "slice", "color"),
                    *strip_col = kf_str(kf, "slice", "strip-color");
    g_autofree char *want_tip = g_strdup_printf("Slice %zu: %s", c->slice + 1, c->d.label);
    g_autofree char *want_col = g_strdup_printf("%06X", c->d.color);
    printf("  %s: series %zd slice %zu: plugin \"%s\" #%06X | panel \"%s\" | tooltip \"%s\" | strip #%s\n",
           vname, c->series, c->slice + 1, c->d.label, c->d.color, panel, tip, strip_col);
    CHECK(strcmp(verdict, vname) == 0, "%s: the viewer says %s", vname, verdict);
    CHECK(strcmp(label, c->d.label) == 0, "%s: state label \"%s\" vs plugin \"%s\"", vname, label, c->d.label);
    CHECK(g_str_has_suffix(panel, c->d.label), "%s: panel \"%s\" vs \"%s\"", vname, panel, c->d.label);
    CHECK(g_str_has_prefix(tip, want_tip), "%s: tooltip \"%s\" vs \"%s\"", vname, tip, want_tip);
    CHECK(strcmp(col, want_col) == 0 && strcmp(strip_col, want_col) == 0, "%s: colours %s / %s vs %s", vname,
          col, strip_col, want_col);
    if (*c->d.reason) {
        CHECK(strstr(tip, c->d.reason), "%s: the tooltip lacks the reason \"%s\"", vname, c->d.reason);
    }
    CHECK(g_key_file_get_boolean(kf, "slice", "overlay", NULL) &&
              g_key_file_get_boolean(kf, "slice", "overlay-matches", NULL),
          "%s: the overlay does not show this slice's result", vname);
    /* The banner, in the top-left of the view, in the description's colour:
     * pixels of that colour that are there only with the overlay. */
    double view[4];
    CHECK(get_rect(kf, "view", view), "no geometry");
    g_snprintf(tag, sizeof tag, "%s.png", vname);
    g_autoptr(Shot) on = viewer_shot(v, vname);
    viewer_action(v, "show-overlay", NULL);
    g_snprintf(tag, sizeof tag, "%s-overlay-off", vname);
    g_autoptr(Shot) off = viewer_shot(v, tag);
    viewer_action(v, "show-overlay", NULL);
    CHECK(on && off, "no screenshots");
    double band[4] = {view[0], view[1], view[2] / 2, 80};
    int n = count_added(on, off, band, c->d.color, 12);
    printf("    banner: %d pixels of #%06X added by the overlay\n", n, c->d.color);
    CHECK(n >= 150, "%s: no banner in #%06X (%d pixels)", vname, c->d.color, n);
    return 0;
}

/* Finds, in every series of `path` (or the one named `needle`), a slice of
 * each verdict still missing from `cases`, with the plugin's description. */
static int find_verdicts(const char *path, const char *needle, VerdictCase *cases, size_t n_cases)
{
    Plugin p;
    int r;
    if ((r = plugin_open(&p, path))) return r;
    tsc_analysis_options ao = p.api->analysis_default_options();
    for (size_t s = 0; s < p.api->study_n_series(p.index); s++) {
        const tsc_dicom_series_info *si = p.api->study_get_series(p.index, s);
        if (needle && !strstr(si->description, needle)) continue;
        tsc_series_result *sr = NULL;
        tsc_error err = {0};
        tsc_status st = p.api->analyze_study_series(p.model, p.index, s, &ao, 1, NULL, NULL, &sr, &err);
        if (st != TSC_OK) {
            if (sr) p.api->series_result_free(sr);
            continue;
        }
        for (size_t k = 0; k < p.api->series_result_n_slices(sr); k++) {
            const tsc_result *res = p.api->series_result_get_slice(sr, k);
            for (size_t i = 0; res && i < n_cases; i++) {
                if (cases[i].found || p.api->result_get_verdict(res) != cases[i].verdict) continue;
                cases[i].found = TRUE;
                cases[i].path = path;
                cases[i].series = (gssize)s;
                cases[i].slice = k;
                cases[i].d.struct_size = sizeof cases[i].d;
                p.api->result_describe(p.model, res, &cases[i].d);
            }
        }
        p.api->series_result_free(sr);
    }
    plugin_close(&p);
    return 0;
}

static int test_every_verdict_reads_the_same(void)
{
    g_autofree char *study = NULL;
    int r = sample_study(&study);
    if (r) return r;
    char *ct = NULL;
    if ((r = make_ct_copy(&ct))) return r;
    if (!TSC_PLUGIN_HAS(tsc_plugin_get_api(TSC_PLUGIN_API_VERSION), result_describe)) {
        printf("SKIP: the plugin has no result_describe\n");
        return SKIP;
    }
    /* The shipped model when it is there: on the Colin27 sample it gives
     * no-tumour, inconclusive and not-assessable slices, the lesion sample
     * tumour slices; the phantom test model marks white matter of real
     * brains as tumour.  And a phantom head, which the phantom model calls
     * normal. */
    const char *shipped = g_getenv("TSC_VIEWER_SHIPPED_MODEL_DIR");
    if (shipped && g_file_test(shipped, G_FILE_TEST_IS_DIR)) {
        printf("  model: the shipped one in %s\n", shipped);
        g_setenv("TSC_MODEL_DIR", shipped, TRUE);
    }
    g_autofree char *phantom = g_build_filename(workdir, "phantom", NULL);
    if ((r = make_phantom_series(phantom, 6, 0, 0, "Phantom normal head", 1))) return r;
    VerdictCase cases[] = {{.verdict = TSC_VERDICT_NO_TUMOR}, {.verdict = TSC_VERDICT_TUMOR},
                           {.verdict = TSC_VERDICT_INCONCLUSIVE}, {.verdict = TSC_VERDICT_NOT_ASSESSABLE}};
    if ((r = find_verdicts(study, "LESION", cases, G_N_ELEMENTS(cases)))) return r;
    if ((r = find_verdicts(study, "T1 axial 5mm (Colin27", cases, G_N_ELEMENTS(cases)))) return r;
    if ((r = find_verdicts(phantom, NULL, cases, G_N_ELEMENTS(cases)))) return r;
    const tsc_plugin_api *api = tsc_plugin_get_api(TSC_PLUGIN_API_VERSION);
    Viewer *v = viewer_start(study, NULL);
    CHECK(v, "viewer start");
    int checked = 0;
    const char *open_path = study;
    for (int pass = 0; pass < 2; pass++) {
        const char *want = pass == 0 ? study : phantom;
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
            if (!cases[i].found || cases[i].path != want) continue;
            if (open_path != want) {
                viewer_action(v, "open", g_variant_new_string(want));
                open_path = want;
            }
            if ((r = check_slice_case(v, &cases[i]))) return r;
            checked++;
        }
    }
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
        if (!cases[i].found)
            printf("  note: no %s slice in the samples with this model\n", api->verdict_to_string(cases[i].verdict));
    CHECK(cases[0].found && cases[1].found, "no no_tumor or no tumour slice to check");
    /* Not analysed: the CT copy, refused by the scope gate. */
    viewer_action(v, "open", g_variant_new_string(ct));
    viewer_action(v, "analyze-series", NULL);
    g_autoptr(GKeyFile) kf = viewer_state(v, "not_analysed");
    CHECK(kf, "no state");
    g_autofree char *sv = kf_str(kf, "series", "verdict"), *sl = kf_str(kf, "series", "label");
    g_autofree char *sreason = kf_str(kf, "series", "reason"),
                    *panel = kf_str(kf, "panel", "series-verdict");
    g_autofree char *tip = kf_str(kf, "slice", "tooltip"), *badge = kf_str(kf, "panel", "badge");
    g_autofree char *scope = kf_str(kf, "panel", "scope");
    printf("  not_analysed: \"%s\" (%s) | panel \"%s\" | tooltip \"%s\" | badge \"%s\" | scope \"%s\"\n", sl,
           sreason, panel, tip, badge, scope);
    CHECK(strcmp(sv, "not_analysed") == 0, "CT series verdict %s", sv);
    CHECK(*sl && g_str_has_suffix(panel, sl), "panel \"%s\" vs \"%s\"", panel, sl);
    CHECK(strstr(tip, sl) && strstr(tip, sreason), "tooltip \"%s\"", tip);
    CHECK(strstr(badge, sl), "badge \"%s\"", badge);
    CHECK(*sreason && strstr(scope, sreason), "the panel does not say why: \"%s\"", scope);
    CHECK(!g_key_file_get_boolean(kf, "slice", "overlay", NULL), "an overlay on a series not analysed");
    g_autoptr(Shot) s = viewer_shot(v, "not_analysed");
    CHECK(s, "no screenshot");
    checked++;
    printf("  %d verdicts checked\n", checked);
    viewer_stop(v);
    g_free(ct);
    return 0;
}

static int test_out_of_scope_series(void)
{
    char *ct = NULL;
    int r = make_ct_copy(&ct);
    if (r) return r;
    Viewer *v = viewer_start(ct, NULL);
    CHECK(v, "viewer start");
    viewer_action(v, "analyze-slice", NULL);
    GKeyFile *kf = viewer_state(v, "refused");
    CHECK(kf, "no state");
    char *scope = kf_str(kf, "panel", "scope"), *issues = kf_str(kf, "viewer", "issues");
    g_autofree char *status = kf_str(kf, "panel", "slice-status"),
                    *reason = kf_str(kf, "series", "scope-reason");
    printf("  refused: scope \"%s\" | slice \"%s\" | issues \"%s\"\n", scope, status, issues);
    CHECK(!g_key_file_get_boolean(kf, "series", "in-scope", NULL) && *reason, "the CT series is in scope");
    CHECK(g_str_has_prefix(scope, "Not analysed: ") && strstr(scope, reason), "panel scope \"%s\"", scope);
    CHECK(strstr(status, reason), "slice status \"%s\"", status);
    CHECK(strstr(issues, "analysis: Not analysed: "), "the window does not say why: %s", issues);
    CHECK(!g_key_file_get_boolean(kf, "slice", "analysed", NULL), "analysed although out of scope");
    Shot *s = viewer_shot(v, "refused");
    shot_free(s);
    g_key_file_unref(kf);
    g_free(scope);
    g_free(issues);
    /* Research use: forced, and every result says so. */
    viewer_action(v, "force-scope", NULL);
    viewer_action(v, "analyze-slice", NULL);
    kf = viewer_state(v, "forced");
    CHECK(kf, "no state");
    g_autofree char *warn = kf_str(kf, "slice", "scope-warning"),
                    *pwarn = kf_str(kf, "panel", "slice-scope");
    g_autofree char *tip = kf_str(kf, "slice", "tooltip");
    scope = kf_str(kf, "panel", "scope");
    printf("  forced: warning \"%s\" | panel \"%s\" | scope \"%s\"\n", warn, pwarn, scope);
    CHECK(g_key_file_get_boolean(kf, "slice", "analysed", NULL), "not analysed when forced");
    CHECK(g_key_file_get_boolean(kf, "series", "force-scope", NULL), "force-scope is off");
    CHECK(*warn && strstr(pwarn, warn), "the panel lacks the scope warning: \"%s\"", pwarn);
    CHECK(strstr(tip, warn), "the tooltip lacks the scope warning: \"%s\"", tip);
    CHECK(strstr(scope, "research use"), "panel scope \"%s\"", scope);
    s = viewer_shot(v, "forced");
    CHECK(s, "no screenshot");
    shot_free(s);
    g_free(scope);
    g_key_file_unref(kf);
    viewer_stop(v);
    g_free(ct);
    return 0;
}

static int test_another_study_shows_nothing_of_the_first(void)
{
    g_autofree char *study = NULL;
    int r = sample_study(&study);
    if (r) return r;
    g_autofree char *lesion = g_build_filename(study, "03-synthetic-lesion", NULL);
    g_autofree char *normal = g_build_filename(study, "01-normal-colin27", NULL);
    if (!g_file_test(lesion, G_FILE_TEST_IS_DIR) || !g_file_test(normal, G_FILE_TEST_IS_DIR)) {
        printf("SKIP: the lesion and Colin27 samples are needed\n");
        return SKIP;
    }
    Viewer *v = viewer_start(lesion, NULL);
    CHECK(v, "viewer start");
    viewer_action(v, "analyze-series", NULL);
    g_autoptr(GKeyFile) a = viewer_state(v, "first");
    CHECK(a, "no state");
    char *key = kf_str(a, "panel", "key-slice"), *badge = kf_str(a, "panel", "badge");
    g_autofree char *label = kf_str(a, "series", "label");
    printf("  first study: %s | key \"%s\" | badge \"%s\" | %d lesions listed\n", label, key, badge,
           g_key_file_get_integer(a, "panel", "lesions", NULL));
    CHECK(g_key_file_get_boolean(a, "series", "analysed", NULL), "the first series was not analysed");
    g_free(key);
    g_free(badge);
    viewer_action(v, "open", g_variant_new_string(normal));
    g_autoptr(GKeyFile) b = viewer_state(v, "second");
    CHECK(b, "no state");
    key = kf_str(b, "panel", "key-slice");
    badge = kf_str(b, "panel", "badge");
    g_autofree char *sv = kf_str(b, "panel", "series-verdict"),
                    *slv = kf_str(b, "panel", "slice-verdict");
    g_autofree char *verdicts = kf_str(b, "series", "verdicts");
    printf("  second study: key \"%s\" | badge \"%s\" | series \"%s\" | slice \"%s\" | strip %s\n", key, badge,
           sv, slv, verdicts);
    CHECK(!*key, "\"%s\" beside another patient", key);
    CHECK(!*sv && !*slv, "findings of the first study: \"%s\" / \"%s\"", sv, slv);
    CHECK(g_key_file_get_integer(b, "panel", "lesions", NULL) == 0, "lesions of the first study listed");
    CHECK(strcmp(badge, "Not analysed") == 0, "badge \"%s\"", badge);
    CHECK(strspn(verdicts, "-") == strlen(verdicts), "strip of the first study: %s", verdicts);
    CHECK(!g_key_file_get_boolean(b, "series", "analysed", NULL) && !g_key_file_get_boolean(b, "slice", "overlay", NULL),
          "a result or overlay of the first study");
    g_autoptr(Shot) s = viewer_shot(v, "second");
    CHECK(s, "no screenshot");
    /* No verdict colour of the first study anywhere in the window. */
    g_autofree char *col = kf_str(a, "slice", "color");
    guint32 rgb = (guint32)strtoul(col, NULL, 16);
    int n = *col ? count_color(s, 0, 0, s->w, s->h, rgb, 10) : 0;
    printf("  #%s pixels in the window: %d\n", col, n);
    CHECK(n < 20, "%d pixels of the first study's verdict colour", n);
    g_free(key);
    g_free(badge);
    viewer_stop(v);
    return 0;
}

static int test_mistyped_path_keeps_the_study(void)
{
    g_autofree char *study = NULL;
    int r = sample_study(&study);
    if (r) return r;
    Viewer *v = viewer_start(study, NULL);
    CHECK(v, "viewer start");
    g_autoptr(GKeyFile) a = viewer_state(v, "before");
    CHECK(a, "no state");
    int n_series = g_key_file_get_integer(a, "study", "series-count", NULL);
    viewer_action(v, "open", g_variant_new_string("/no/such/folder"));
    g_autoptr(GKeyFile) b = viewer_state(v, "mistyped");
    CHECK(b, "no state");
    char *issues = kf_str(b, "viewer", "issues");
    printf("  after /no/such/folder: %s\n", issues);
    CHECK(g_key_file_get_boolean(b, "viewer", "study-loaded", NULL) &&
              g_key_file_get_integer(b, "study", "series-count", NULL) == n_series,
          "the open study was closed");
    CHECK(strstr(issues, "open: Folder not found: /no/such/folder"), "issues: %s", issues);
    g_free(issues);
    /* A folder of PNGs. */
    g_autofree char *pngs = g_build_filename(workdir, "pngs", NULL);
    g_mkdir_with_parents(pngs, 0755);
    for (int k = 0; k < 3; k++) {
        g_autofree char *f = g_strdup_printf("%s/IM%04d.png", pngs, k + 1);
        CHECK(write_phantom_png(f, FALSE, 0, 0, 0), "png");
    }
    viewer_action(v, "open", g_variant_new_string(pngs));
    g_autoptr(GKeyFile) c = viewer_state(v, "pngs");
    CHECK(c, "no state");
    issues = kf_str(c, "viewer", "issues");
    printf("  after a folder of PNGs: %s\n", issues);
    CHECK(g_key_file_get_boolean(c, "viewer", "study-loaded", NULL) &&
              g_key_file_get_integer(c, "study", "series-count", NULL) == n_series,
          "the open study was closed");
    CHECK(strstr(issues, "open: No DICOM files in"), "issues: %s", issues);
    /* ... and how to make DICOM of them. */
    g_autofree char *how = kf_str(c, "viewer", "issue-details");
    CHECK(strstr(how, "tumorscope dicomize --out"), "the details do not say how to make DICOM: %s",
          how);
    g_autoptr(Shot) s = viewer_shot(v, "pngs");
    CHECK(s, "no screenshot");
    g_free(issues);
    viewer_stop(v);
    return 0;
}

/* ---- a stored DICOM SEG ------------------------------------------------ */

#define SEG_RGB 0x30E0F0u /* TSC_VIEWER_COLOR_SEG */

static int g_strcmp0_ptr(const char **a, const char **b)
{
    return g_strcmp0(*a, *b);
}

/* Finds the first file named `name` under `dir`; newly allocated or NULL. */
static char *find_named(const char *dir, const char *name)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    if (!d) return NULL;
    char *found = NULL;
    const char *e;
    while (!found && (e = g_dir_read_name(d))) {
        g_autofree char *p = g_build_filename(dir, e, NULL);
        if (strcmp(e, name) == 0 && g_file_test(p, G_FILE_TEST_IS_REGULAR))
            found = g_strdup(p);
        else if (g_file_test(p, G_FILE_TEST_IS_DIR)) found = find_named(p, name);
    }
    g_dir_close(d);
    return found;
}

/* Replaces `from` by `to` (the same length) in the file at `path`: a DICOM
 * string value changed without moving anything. */
static gboolean patch_same_length(const char *path, const char *from, const char *to)
{
    g_autofree char *data = NULL;
    gsize n = 0, len = strlen(from);
    if (strlen(to) != len || !g_file_get_contents(path, &data, &n, NULL)) return FALSE;
    char *at = NULL;
    for (gsize i = 0; !at && i + len <= n; i++)
        if (memcmp(data + i, from, len) == 0) at = data + i;
    if (!at) return FALSE;
    memcpy(at, to, len);
    return g_file_set_contents(path, data, (gssize)n, NULL);
}

/* A SEG of another tool (our own `analyze --dicom` SEG of the lesion series
 * with its series description made another's), stored beside the series
 * in one folder, is drawn as a cyan outline on exactly the slices it has
 * frames for, labelled as a stored result, and hidden by the toggle. */
static int test_stored_seg_is_outlined(void)
{
    g_autofree char *study = NULL;
    int r = sample_study(&study);
    if (r) return r;
    const char *cli = cli_or_skip("analyze --dicom");
    if (!cli) return SKIP;
    g_autofree char *lesion = sample_folder("03-synthetic-lesion/t1-post-contrast");
    if (!lesion) return SKIP;
    /* The SEG is made from every other slice (the threshold method marks
     * something on every slice), so that half the slices have no frame. */
    g_autofree char *half = g_build_filename(workdir, "every-other-slice", NULL);
    g_autofree char *both = g_build_filename(workdir, "with-seg", NULL);
    g_mkdir_with_parents(half, 0755);
    g_mkdir_with_parents(both, 0755);
    GDir *d = g_dir_open(lesion, 0, NULL);
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    const char *e;
    while ((e = g_dir_read_name(d))) g_ptr_array_add(names, g_strdup(e));
    g_dir_close(d);
    g_ptr_array_sort(names, (GCompareFunc)g_strcmp0_ptr);
    for (guint i = 0; i < names->len; i++) {
        const char *name = names->pdata[i];
        g_autofree char *from = g_build_filename(lesion, name, NULL);
        g_autofree char *to = g_build_filename(both, name, NULL);
        if (g_file_test(from, G_FILE_TEST_IS_REGULAR)) {
            CHECK(copy_file(from, to, -1), "copy %s", name);
            if (i % 2 == 0) {
                g_autofree char *to2 = g_build_filename(half, name, NULL);
                CHECK(copy_file(from, to2, -1), "copy %s", name);
            }
        }
    }
    g_ptr_array_unref(names);
    g_autofree char *out = g_build_filename(workdir, "out", NULL);
    const char *argv[] = {cli, "analyze", half, "--dicom", "--method", "threshold", "--out", out, NULL};
    int status = 0;
    char *err_out = NULL;
    gboolean ok = g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                               &err_out, &status, NULL);
    CHECK(ok && g_spawn_check_wait_status(status, NULL), "tumorscope analyze --dicom failed: %s",
          err_out ? err_out : "");
    g_free(err_out);
    g_autofree char *seg = find_named(out, "SEG.dcm");
    CHECK(seg, "analyze --dicom wrote no SEG.dcm under %s", out);
    g_autofree char *seg_to = g_build_filename(both, "SEG.dcm", NULL);
    CHECK(copy_file(seg, seg_to, -1), "copy SEG");
    /* Ours would be shown as an analysis (viewer_gui_stored.c). */
    CHECK(patch_same_length(seg_to, "tumorscope tumour segmentation",
                            "othertool! tumour segmentation"),
          "the SEG's series description was not found");
    /* Its TID 1500 report beside it: shown as a stored result, not ours. */
    g_autofree char *sr = find_named(out, "SR.dcm");
    CHECK(sr, "analyze --dicom wrote no SR.dcm under %s", out);
    g_autofree char *sr_to = g_build_filename(both, "SR.dcm", NULL);
    CHECK(copy_file(sr, sr_to, -1), "copy SR");

    /* What the SEG covers, from the plugin here: frames by referenced SOP
     * instance UID, and the slice with the largest mask. */
    Plugin p;
    r = plugin_open(&p, both);
    if (r) return r;
    const tsc_plugin_api *api = p.api;
    CHECK(api->study_n_series(p.index) == 1, "%zu series", api->study_n_series(p.index));
    CHECK(api->study_n_segmentations(p.index) == 1, "%zu segmentations", api->study_n_segmentations(p.index));
    const tsc_dicom_series_info *si = api->study_get_series(p.index, 0);
    const tsc_dicom_seg_info *g = api->study_get_segmentation(p.index, 0);
    CHECK(strcmp(g->referenced_series_uid, si->series_uid) == 0, "the SEG references another series");
    size_t n_frames = g->n_frames;
    g_autofree char *expect = g_malloc0(si->n_slices + 1);
    memset(expect, '-', si->n_slices);
    guint8 *mask = g_malloc((gsize)g->rows * g->cols);
    gssize best = -1;
    long best_n = 0;
    for (size_t f = 0; f < g->n_frames; f++) {
        const tsc_dicom_seg_frame_info *fi = api->study_get_seg_frame(p.index, 0, f);
        for (size_t k = 0; k < si->n_slices; k++) {
            if (strcmp(api->study_get_slice(p.index, 0, k)->sop_instance_uid, fi->referenced_sop_instance_uid))
                continue;
            expect[k] = 'S';
            tsc_error err = {0};
            CHECK(api->seg_frame_decode(p.index, 0, f, mask, &err) == TSC_OK, "decode: %s", err.message);
            long n = 0;
            for (size_t i = 0; i < (size_t)g->rows * g->cols; i++) n += mask[i] != 0;
            if (n > best_n) {
                best_n = n;
                best = (gssize)k;
            }
        }
    }
    gssize empty = -1;
    for (size_t k = 0; k < si->n_slices && empty < 0; k++)
        if (expect[k] == '-') empty = (gssize)k;
    printf("  SEG frames on slices %s; largest mask %ld px on slice %zd; no frame on slice %zd\n", expect,
           best_n, best, empty);
    CHECK(best >= 0 && empty >= 0, "need a slice with and one without a frame");
    g_free(mask);
    plugin_close(&p);

    Viewer *v = viewer_start(both, NULL);
    CHECK(v, "viewer start");
    viewer_action(v, "goto-slice", g_variant_new_int32((gint32)best));
    g_autoptr(GKeyFile) a = viewer_state(v, "with-frame");
    CHECK(a, "no state");
    g_autofree char *slices = kf_str(a, "series", "seg-slices"),
                    *label = kf_str(a, "slice", "seg-label");
    printf("  viewer: seg-slices %s | slice %zd seg-drawn %d | \"%s\"\n", slices, best,
           g_key_file_get_boolean(a, "slice", "seg-drawn", NULL), label);
    CHECK(strcmp(slices, expect) == 0, "seg-slices %s, expected %s", slices, expect);
    CHECK(g_key_file_get_boolean(a, "slice", "seg-drawn", NULL), "no SEG outline on slice %zd", best);
    CHECK(g_str_has_prefix(label, "SEG: ") && g_str_has_suffix(label, " (stored result)"), "label \"%s\"", label);
    CHECK(!g_key_file_get_boolean(a, "slice", "analysed", NULL), "the SEG was taken for our analysis");
    g_autofree char *stored = kf_str(a, "series", "stored-report");
    printf("  stored report: %s\n", stored);
    CHECK(strstr(stored, "threshold method") && strstr(stored, "tumorscope ") &&
              strstr(stored, "measurement"),
          "the stored report is not shown with its finding, software and measurements: \"%s\"",
          stored);
    CHECK(!g_key_file_get_boolean(a, "series", "analysed", NULL),
          "the stored report was taken for our analysis");
    double img[4];
    CHECK(get_rect(a, "image", img), "no image geometry");
    g_autoptr(Shot) on = viewer_shot(v, "with-frame");
    CHECK(on, "no screenshot");
    int n_on = count_color(on, img[0], img[1], img[2], img[3], SEG_RGB, 40);
    printf("  #%06X outline pixels in the image on slice %zd: %d\n", SEG_RGB, best, n_on);
    CHECK(n_on >= 40, "only %d outline pixels", n_on);

    viewer_action(v, "goto-slice", g_variant_new_int32((gint32)empty));
    g_autoptr(GKeyFile) b = viewer_state(v, "without-frame");
    CHECK(b, "no state");
    CHECK(!g_key_file_get_boolean(b, "slice", "seg-drawn", NULL), "a SEG outline on slice %zd", empty);
    g_autoptr(Shot) off = viewer_shot(v, "without-frame");
    CHECK(off, "no screenshot");
    int n_off = count_color(off, img[0], img[1], img[2], img[3], SEG_RGB, 40);
    printf("  outline pixels on slice %zd (no frame): %d\n", empty, n_off);
    CHECK(n_off < 5, "%d outline pixels on a slice without a frame", n_off);

    /* The toggle hides it. */
    viewer_action(v, "goto-slice", g_variant_new_int32((gint32)best));
    viewer_action(v, "show-seg", NULL);
    g_autoptr(GKeyFile) c = viewer_state(v, "hidden");
    CHECK(c, "no state");
    CHECK(!g_key_file_get_boolean(c, "slice", "seg-drawn", NULL), "show-seg off still draws the SEG");
    g_autoptr(Shot) hidden = viewer_shot(v, "hidden");
    CHECK(hidden, "no screenshot");
    int n_hidden = count_color(hidden, img[0], img[1], img[2], img[3], SEG_RGB, 40);
    CHECK(n_hidden < 5, "%d outline pixels with show-seg off", n_hidden);
    /* Without any reference (no ReferencedSeriesSequence, no source images
     * per frame): matched by the frame of reference, frames by position. */
    char *dcmodify = g_find_program_in_path("dcmodify");
    if (dcmodify) {
        g_autofree char *bare = g_build_filename(workdir, "with-seg", "SEG-no-refs.dcm", NULL);
        CHECK(copy_file(seg, bare, -1), "copy SEG");
        g_unlink(seg_to);
        GPtrArray *args = g_ptr_array_new_with_free_func(g_free);
        g_ptr_array_add(args, g_strdup(dcmodify));
        g_ptr_array_add(args, g_strdup("-nb"));
        g_ptr_array_add(args, g_strdup("-ea"));
        g_ptr_array_add(args, g_strdup("(0008,1115)"));
        for (size_t f = 0; f < n_frames; f++) {
            g_ptr_array_add(args, g_strdup("-ea"));
            g_ptr_array_add(args, g_strdup_printf("(5200,9230)[%zu].(0008,9124)", f));
        }
        g_ptr_array_add(args, g_strdup(bare));
        g_ptr_array_add(args, NULL);
        ok = g_spawn_sync(NULL, (char **)args->pdata, NULL, G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                          NULL, NULL, NULL, NULL, &status, NULL);
        CHECK(ok && g_spawn_check_wait_status(status, NULL), "dcmodify failed");
        g_ptr_array_unref(args);
        viewer_action(v, "open", g_variant_new_string(both));
        viewer_action(v, "show-seg", NULL);
        g_autoptr(GKeyFile) pos = viewer_state(v, "by-position");
        CHECK(pos, "no state");
        g_autofree char *by_pos = kf_str(pos, "series", "seg-slices");
        printf("  without references (by frame of reference and position): seg-slices %s\n", by_pos);
        CHECK(strcmp(by_pos, expect) == 0, "seg-slices %s by position, expected %s", by_pos,
              expect);
        g_free(dcmodify);
    } else {
        printf("  (dcmodify not installed: the position fallback is not checked)\n");
    }
    viewer_stop(v);
    return 0;
}

/* ---- mouse gestures, synthesised with XTest ------------------------------ */

/* libX11 and libXtst through dlopen: the test needs no X development
 * headers, and skips where the libraries or xwininfo are missing. */
typedef struct {
    void *x11, *xtst, *dpy;
    int (*flush)(void *);
    int (*sync)(void *, int);
    int (*close)(void *);
    int (*motion)(void *, int, int, int, unsigned long);
    int (*button)(void *, unsigned, int, unsigned long);
    int (*key)(void *, unsigned, int, unsigned long);
    unsigned char (*keycode)(void *, unsigned long);
    int ox, oy; /* the window's origin on the screen */
} XInput;

/* The viewer window's position on the screen, from `xwininfo -root -tree`
 * (the line of the window titled "… — tumorscope": "WxH+X+Y  +AX+AY"). */
static gboolean window_origin(int *x, int *y)
{
    const char *argv[] = {"xwininfo", "-root", "-tree", NULL};
    char *out = NULL;
    int status = 0;
    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                      &out, NULL, &status, NULL))
        return FALSE;
    gboolean found = FALSE;
    char **lines = g_strsplit(out, "\n", -1);
    for (char **l = lines; *l && !found; l++) {
        if (!strstr(*l, "tumorscope\"") || !strstr(*l, "\xe2\x80\x94")) continue;
        const char *last = strrchr(*l, ' ');
        found = last && sscanf(last + 1, "+%d+%d", x, y) == 2;
    }
    g_strfreev(lines);
    g_free(out);
    return found;
}

static int xinput_open(XInput *xi)
{
    memset(xi, 0, sizeof *xi);
    xi->x11 = dlopen("libX11.so.6", RTLD_NOW);
    xi->xtst = dlopen("libXtst.so.6", RTLD_NOW);
    if (!xi->x11 || !xi->xtst || !g_getenv("DISPLAY")) {
        printf("SKIP: mouse input needs an X display with libX11 and libXtst (Debian: libxtst6)\n");
        return SKIP;
    }
    void *(*open)(const char *) = (void *(*)(const char *))dlsym(xi->x11, "XOpenDisplay");
    xi->flush = (int (*)(void *))dlsym(xi->x11, "XFlush");
    xi->sync = (int (*)(void *, int))dlsym(xi->x11, "XSync");
    xi->close = (int (*)(void *))dlsym(xi->x11, "XCloseDisplay");
    xi->motion = (int (*)(void *, int, int, int, unsigned long))dlsym(xi->xtst, "XTestFakeMotionEvent");
    xi->button = (int (*)(void *, unsigned, int, unsigned long))dlsym(xi->xtst, "XTestFakeButtonEvent");
    xi->key = (int (*)(void *, unsigned, int, unsigned long))dlsym(xi->xtst, "XTestFakeKeyEvent");
    xi->keycode = (unsigned char (*)(void *, unsigned long))dlsym(xi->x11, "XKeysymToKeycode");
    if (!open || !xi->flush || !xi->sync || !xi->close || !xi->motion || !xi->button || !xi->key || !xi->keycode)
        return failf("libX11/libXtst lack the functions the test needs");
    xi->dpy = open(NULL);
    if (!xi->dpy) return failf("XOpenDisplay(%s) failed", g_getenv("DISPLAY"));
    if (!window_origin(&xi->ox, &xi->oy)) {
        printf("SKIP: the viewer window was not found with xwininfo (Debian: x11-utils)\n");
        return SKIP;
    }
    return 0;
}

static void xinput_close(XInput *xi)
{
    if (xi->dpy) xi->close(xi->dpy);
}

/* A left press at window point (x, y), moved by (dx, dy) in 10 steps, and a
 * release: (0, 0) is a click. */
static void xinput_left_drag(XInput *xi, double x, double y, double dx, double dy)
{
    int x0 = xi->ox + (int)x, y0 = xi->oy + (int)y;
    xi->motion(xi->dpy, -1, x0, y0, 0);
    xi->sync(xi->dpy, 0);
    g_usleep(100 * 1000);
    xi->button(xi->dpy, 1, 1, 0);
    xi->sync(xi->dpy, 0);
    g_usleep(30 * 1000);
    for (int i = 1; dx != 0 || dy != 0 ? i <= 10 : 0; i++) {
        xi->motion(xi->dpy, -1, x0 + (int)(dx * i / 10), y0 + (int)(dy * i / 10), 0);
        xi->sync(xi->dpy, 0);
        g_usleep(20 * 1000);
    }
    xi->button(xi->dpy, 1, 0, 0);
    xi->sync(xi->dpy, 0);
    g_usleep(200 * 1000);
}

/* The viewer on the lesion sample with the threshold method (its results
 * come at once), its state before any input in *before, and the pointer
 * and keys of X in *xi: 0, or SKIP or 1 as the steps say. */
static int start_input_case(Viewer **v, GKeyFile **before, XInput *xi)
{
    int r = start_on_sample("03-synthetic-lesion", NULL, v);
    if (r) return r;
    viewer_action(*v, "method", g_variant_new_string("threshold"));
    *before = viewer_state(*v, "before");
    CHECK(*before, "no state");
    return xinput_open(xi);
}

/* The classical methods are baselines: the menu and every result say
 * "for comparison"; the CNN's results do not. */
static int test_baseline_methods_are_labelled(void)
{
    Viewer *v;
    int r = start_on_sample("03-synthetic-lesion", NULL, &v);
    if (r) return r;
    g_autoptr(GKeyFile) a = viewer_state(v, "cnn");
    CHECK(a, "no state");
    char *note = kf_str(a, "viewer", "method-note");
    CHECK(!*note, "a note on the CNN: %s", note);
    g_free(note);
    const char *methods[] = {"threshold", "region-growing"};
    for (int m = 0; m < 2; m++) {
        viewer_action(v, "method", g_variant_new_string(methods[m]));
        viewer_action(v, "analyze-series", NULL);
        g_autoptr(GKeyFile) b = viewer_state(v, methods[m]);
        CHECK(b, "no state");
        note = kf_str(b, "viewer", "method-note");
        g_autofree char *label = kf_str(b, "slice", "label"),
                        *series = kf_str(b, "series", "label");
        g_autofree char *badge = kf_str(b, "panel", "badge");
        printf("  %s: note \"%s\" | slice \"%s\" | series \"%s\" | badge \"%s\"\n", methods[m], note, label,
               series, badge);
        CHECK(strstr(note, "For comparison, not a clinical method"), "no note under the method: %s", note);
        CHECK(strstr(label, "for comparison only") && strstr(label, methods[m]), "slice label: %s", label);
        CHECK(strstr(series, "for comparison only"), "series label: %s", series);
        CHECK(strlen(label) <= 60, "too long for a banner: %s", label);
        double nr[4], va[4], vb[4];
        CHECK(get_rect(b, "method-note", nr), "the note is not on screen");
        /* The longer labels never widen a panel: the view keeps its place. */
        CHECK(get_rect(a, "view", va) && get_rect(b, "view", vb), "no view geometry");
        printf("  view %.0f+%.0f wide (with the CNN: %.0f+%.0f)\n", vb[0], vb[2], va[0], va[2]);
        CHECK(fabs(va[0] - vb[0]) < 1 && fabs(va[2] - vb[2]) < 1, "the view moved: x %.0f -> %.0f, width %.0f -> %.0f",
              va[0], vb[0], va[2], vb[2]);
        g_autoptr(Shot) s = viewer_shot(v, methods[m]);
        CHECK(s, "no screenshot");
        /* The note is drawn: text pixels of several colours in its box. */
        int bg[3], ink = 0;
        px(s, (int)nr[0] + 1, (int)nr[1] + 1, bg);
        for (int y = (int)nr[1]; y < (int)(nr[1] + nr[3]); y++)
            for (int x = (int)nr[0]; x < (int)(nr[0] + nr[2]); x++) {
                int c[3];
                px(s, x, y, c);
                if (abs(c[0] - bg[0]) + abs(c[1] - bg[1]) + abs(c[2] - bg[2]) > 120) ink++;
            }
        printf("  note: %d text pixels in %.0fx%.0f\n", ink, nr[2], nr[3]);
        CHECK(ink > 200, "the note is not drawn (%d pixels)", ink);
        g_free(note);
    }
    viewer_stop(v);
    return 0;
}

/* The recent-studies menu shows "sample_dicom" with its underscore, and
 * closing the window with its × quits without a Gtk-CRITICAL. */
static int test_recent_menu_and_closing_with_the_window_button(void)
{
    Viewer *v;
    int r = start_on_sample(NULL, NULL, &v);
    if (r) return r;
    g_autoptr(GKeyFile) a = viewer_state(v, "state");
    CHECK(a, "no state");
    g_autofree char *recent = kf_str(a, "viewer", "recent-menu");
    printf("  recent menu: %s\n", recent);
    CHECK(strstr(recent, "sample_dicom  ("), "the menu does not show sample_dicom: %s", recent);
    XInput xi;
    if ((r = xinput_open(&xi))) return r;
    /* The header bar's close button, at its right end. */
    int w = g_key_file_get_integer(a, "viewer", "width", NULL);
    xinput_left_drag(&xi, w - 28, 26, 0, 0);
    gint64 end = g_get_monotonic_time() + 15 * G_USEC_PER_SEC;
    while (!v->exited && g_get_monotonic_time() < end) {
        g_main_context_iteration(NULL, FALSE);
        g_usleep(20 * 1000);
    }
    CHECK(v->exited, "the window's close button did not quit the viewer");
    g_autofree char *log = viewer_log_path();
    g_autofree char *text = NULL;
    CHECK(g_file_get_contents(log, &text, NULL, NULL), "no log");
    const char *crit = strstr(text, "CRITICAL");
    if (crit) {
        const char *nl = strchr(crit, '\n');
        printf("  %.*s\n", nl ? (int)(nl - crit) : 200, crit);
    }
    CHECK(!crit, "a CRITICAL on closing (see %s)", log);
    xinput_close(&xi);
    viewer_stop(v);
    return 0;
}

/* A key press and release (an X keysym, e.g. 0xff57 End). */
static void xinput_key(XInput *xi, unsigned long keysym)
{
    unsigned code = xi->keycode(xi->dpy, keysym);
    xi->key(xi->dpy, code, 1, 0);
    xi->sync(xi->dpy, 0);
    g_usleep(30 * 1000);
    xi->key(xi->dpy, code, 0, 0);
    xi->sync(xi->dpy, 0);
    g_usleep(200 * 1000);
}

/* Slice keys after the opacity slider was used: End goes to the last slice
 * and leaves the opacity alone, Home to the first; then the first click on
 * the image (focus elsewhere) only focuses it, the second analyses; F9 and
 * Shift+F9 fold the side panels. */
static int test_keys_navigate_after_the_slider(void)
{
    Viewer *v = NULL;
    g_autoptr(GKeyFile) a = NULL;
    XInput xi;
    int r = start_input_case(&v, &a, &xi);
    if (r) return r;
    double sl[4], img[4];
    CHECK(get_rect(a, "opacity-slider", sl) && get_rect(a, "image", img), "no geometry");
    int n = g_key_file_get_integer(a, "series", "slices", NULL);
    CHECK(n > 2, "too few slices");
    /* A click at the slider's first third moves the opacity there and gives
     * the slider the focus. */
    xinput_left_drag(&xi, sl[0] + sl[2] / 3, sl[1] + sl[3] / 2, 0, 0);
    g_autoptr(GKeyFile) b = viewer_state(v, "slider");
    CHECK(b, "no state");
    double o1 = g_key_file_get_double(b, "viewer", "opacity", NULL);
    char *focus = kf_str(b, "viewer", "focus");
    int s1 = g_key_file_get_integer(b, "series", "slice", NULL);
    printf("  after the slider: opacity %.2f (was %.2f), focus %s, slice %d of %d, window active %d\n", o1,
           g_key_file_get_double(a, "viewer", "opacity", NULL), focus, s1 + 1, n,
           g_key_file_get_boolean(b, "viewer", "window-active", NULL));
    CHECK(strstr(focus, "Scale") || strstr(focus, "Range"), "the slider does not have the focus: %s", focus);
    g_free(focus);

    xinput_key(&xi, 0xff57); /* End */
    g_autoptr(GKeyFile) c = viewer_state(v, "end");
    CHECK(c, "no state");
    int s2 = g_key_file_get_integer(c, "series", "slice", NULL);
    double o2 = g_key_file_get_double(c, "viewer", "opacity", NULL);
    printf("  End: slice %d of %d, opacity %.2f\n", s2 + 1, n, o2);
    CHECK(s2 == n - 1, "End went to slice %d, not the last (%d)", s2 + 1, n);
    CHECK(o2 == o1, "End changed the opacity from %.2f to %.2f", o1, o2);
    xinput_key(&xi, 0xff50); /* Home */
    xinput_key(&xi, 0xff54); /* Down */
    xinput_key(&xi, 0xff56); /* Page Down */
    g_autoptr(GKeyFile) d = viewer_state(v, "home");
    CHECK(d, "no state");
    int s3 = g_key_file_get_integer(d, "series", "slice", NULL);
    printf("  Home, Down, Page Down: slice %d, opacity %.2f\n", s3 + 1,
           g_key_file_get_double(d, "viewer", "opacity", NULL));
    CHECK(s3 == MIN(11, n - 1), "Home, Down, Page Down went to slice %d, not 12", s3 + 1);
    CHECK(g_key_file_get_double(d, "viewer", "opacity", NULL) == o1, "the opacity changed");

    double cx = img[0] + img[2] / 2, cy = img[1] + img[3] / 2;
    xinput_left_drag(&xi, cx, cy, 0, 0);
    g_autoptr(GKeyFile) e = viewer_state(v, "first-click");
    CHECK(e, "no state");
    focus = kf_str(e, "viewer", "focus");
    printf("  first click on the image: focus %s, analysed %d\n", focus,
           g_key_file_get_boolean(e, "slice", "analysed", NULL));
    CHECK(strstr(focus, "SliceView"), "the click did not focus the image: %s", focus);
    CHECK(!g_key_file_get_boolean(e, "slice", "analysed", NULL), "the focusing click analysed");
    g_free(focus);
    g_usleep(700 * 1000); /* not a double click (which fits the view) */
    xinput_left_drag(&xi, cx, cy, 0, 0);
    g_autoptr(GKeyFile) f = viewer_state(v, "second-click");
    CHECK(f, "no state");
    CHECK(g_key_file_get_boolean(f, "slice", "analysed", NULL), "the second click did not analyse");
    g_autoptr(Shot) sh = viewer_shot(v, "keys");
    CHECK(sh, "no screenshot");
    /* F9 folds the Studies panel, Shift+F9 the findings panel; again shows them. */
    xinput_key(&xi, 0xffc6); /* F9 */
    unsigned shift = xi.keycode(xi.dpy, 0xffe1); /* Shift_L */
    xi.key(xi.dpy, shift, 1, 0);
    xi.sync(xi.dpy, 0);
    xinput_key(&xi, 0xffc6);
    xi.key(xi.dpy, shift, 0, 0);
    xi.sync(xi.dpy, 0);
    g_autoptr(GKeyFile) g = viewer_state(v, "f9");
    CHECK(g, "no state");
    CHECK(!g_key_file_get_boolean(g, "viewer", "show-studies", NULL), "F9 did not fold the Studies panel");
    CHECK(!g_key_file_get_boolean(g, "viewer", "show-findings", NULL), "Shift+F9 did not fold the findings panel");
    xinput_key(&xi, 0xffc6);
    g_autoptr(GKeyFile) h = viewer_state(v, "f9-again");
    CHECK(h && g_key_file_get_boolean(h, "viewer", "show-studies", NULL),
          "F9 did not show the Studies panel again");
    /* Ctrl+Enter, the application's accelerator of win.analyze-series. */
    CHECK(!g_key_file_get_boolean(h, "series", "analysed", NULL),
          "the series was analysed before Ctrl+Enter");
    unsigned ctrl = xi.keycode(xi.dpy, 0xffe3); /* Control_L */
    xi.key(xi.dpy, ctrl, 1, 0);
    xi.sync(xi.dpy, 0);
    xinput_key(&xi, 0xff0d); /* Return */
    xi.key(xi.dpy, ctrl, 0, 0);
    xi.sync(xi.dpy, 0);
    g_autoptr(GKeyFile) k = viewer_state(v, "ctrl-enter");
    CHECK(k && g_key_file_get_boolean(k, "series", "analysed", NULL),
          "Ctrl+Enter did not analyse the series");
    xinput_close(&xi);
    viewer_stop(v);
    return 0;
}

/* Left-drag sets window/level (horizontal: width, vertical: level) and does
 * not analyse; a click without drag still analyses; with the preference
 * left-drag set to none a drag leaves the window alone. */
static int test_left_drag_sets_window_level(void)
{
    Viewer *v = NULL;
    g_autoptr(GKeyFile) a = NULL;
    XInput xi;
    int r = start_input_case(&v, &a, &xi);
    if (r) return r;
    double img[4];
    CHECK(get_rect(a, "image", img), "no image geometry");
    double cx = img[0] + img[2] / 2, cy = img[1] + img[3] / 2;
    double c0 = g_key_file_get_double(a, "geometry", "window-center", NULL);
    double w0 = g_key_file_get_double(a, "geometry", "window-width", NULL);
    CHECK(!g_key_file_get_boolean(a, "slice", "analysed", NULL), "analysed before any click");

    xinput_left_drag(&xi, cx, cy, 150, 60);
    g_autoptr(GKeyFile) b = viewer_state(v, "dragged");
    CHECK(b, "no state");
    double c1 = g_key_file_get_double(b, "geometry", "window-center", NULL);
    double w1 = g_key_file_get_double(b, "geometry", "window-width", NULL);
    printf("  drag (+150, +60) px: W %.1f -> %.1f, L %.1f -> %.1f; analysed %d\n", w0, w1, c0, c1,
           g_key_file_get_boolean(b, "slice", "analysed", NULL));
    /* 300 px add one width, for the width and the level alike. */
    CHECK(fabs(w1 - w0 * 1.5) < w0 * 0.1, "width %.1f after the drag, expected about %.1f", w1, w0 * 1.5);
    CHECK(fabs(c1 - (c0 + w0 * 0.2)) < w0 * 0.1, "level %.1f after the drag, expected about %.1f", c1,
          c0 + w0 * 0.2);
    CHECK(!g_key_file_get_boolean(b, "slice", "analysed", NULL), "the drag started an analysis");

    xinput_left_drag(&xi, cx, cy, 0, 0);
    g_autoptr(GKeyFile) c = viewer_state(v, "clicked");
    CHECK(c, "no state");
    printf("  click: analysed %d, W %.1f\n", g_key_file_get_boolean(c, "slice", "analysed", NULL),
           g_key_file_get_double(c, "geometry", "window-width", NULL));
    CHECK(g_key_file_get_boolean(c, "slice", "analysed", NULL), "a click did not analyse");
    /* The click analysed the pixels the view already shows (analyze_slice),
     * not a second decoding of the file. */
    CHECK(g_key_file_get_integer(c, "viewer", "slices-analysed-from-decoded", NULL) == 1,
          "the clicked slice was decoded again to be analysed");
    CHECK(g_key_file_get_double(c, "geometry", "window-width", NULL) == w1, "a click changed the window");

    viewer_action(v, "left-drag", g_variant_new_string("none"));
    xinput_left_drag(&xi, cx, cy, 150, 60);
    g_autoptr(GKeyFile) d = viewer_state(v, "drag-none");
    CHECK(d, "no state");
    double w2 = g_key_file_get_double(d, "geometry", "window-width", NULL);
    printf("  left-drag none, drag: W %.1f\n", w2);
    CHECK(w2 == w1, "a drag with left-drag none changed the width to %.1f", w2);
    g_autoptr(Shot) s = viewer_shot(v, "drag-none");
    CHECK(s, "no screenshot");
    xinput_close(&xi);
    viewer_stop(v);
    return 0;
}


/* Copies of the lesion series under new series and instance UIDs with the
 * names GE gives the time points of one acquisition: only the end of the
 * name tells them apart. */
static const char *const time_point_names[] = {
    "Ax T1 FSPGR 3D BRAVO post-contrast (time point 3 of 10)",
    "Ax T1 FSPGR 3D BRAVO post-contrast (time point 4 of 10)"};

static int make_time_points(char **out)
{
    g_autofree char *src = sample_folder("03-synthetic-lesion/t1-post-contrast");
    if (!src) return SKIP;
    *out = g_build_filename(workdir, "time-points", NULL);
    int r = 0;
    for (int t = 0; t < 2 && !r; t++) {
        g_autofree char *dir = g_strdup_printf("%s/tp%d", *out, t + 3);
        g_autofree char *description = g_strdup_printf("(0008,103E)=%s", time_point_names[t]);
        g_autofree char *uid =
            g_strdup_printf("(0020,000E)=1.2.826.0.1.3680043.10.1137.17.%d", t + 3);
        g_autofree char *number = g_strdup_printf("(0020,0011)=%d", t + 3);
        const char *const options[] = {"-gin", "-m", description, "-m", uid, "-m", number, NULL};
        r = dcmodify_copy(src, dir, options);
    }
    return r;
}

static gboolean rects_overlap(const double a[4], const double b[4])
{
    return a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3];
}

static gboolean same_rect(const double a[4], const double b[4])
{
    for (int i = 0; i < 4; i++)
        if (fabs(a[i] - b[i]) >= 1) return FALSE;
    return TRUE;
}

/* Light text pixels (corner text is near-white on the image) in a box. */
static int text_pixels(const Shot *s, const double r[4])
{
    int n = 0;
    for (int y = (int)r[1]; y < (int)(r[1] + r[3]); y++)
        for (int x = (int)r[0]; x < (int)(r[0] + r[2]); x++) {
            int c[3];
            px(s, x, y, c);
            if (c[0] > 180 && c[1] > 180 && c[2] > 180) n++;
        }
    return n;
}

/* At 1280x720 (a laptop, a reading-room side screen): the corner texts
 * and letters never overlap, the series names that differ only at their
 * end are whole, the image keeps its place when a badge's text grows, and
 * both side panels fold away (win.show-studies / win.show-findings, F9 and
 * Shift+F9) and come back to the same layout. */
static int test_fits_1280x720(void)
{
    g_autofree char *tp = NULL;
    int r = make_time_points(&tp);
    if (r) return r;
    const char *env[] = {"TSC_VIEWER_WINDOW_SIZE=1280x720", NULL};
    Viewer *v = viewer_start(tp, env);
    CHECK(v, "viewer start");
    viewer_action(v, "select-series", g_variant_new_int32(0));
    g_autoptr(GKeyFile) a = viewer_state(v, "1280x720");
    CHECK(a, "no state");
    int ww = g_key_file_get_integer(a, "viewer", "width", NULL), wh = g_key_file_get_integer(a, "viewer", "height", NULL);
    printf("  window %dx%d\n", ww, wh);
    CHECK(ww > 1000 && ww <= 1280 && wh > 600 && wh <= 720, "the window is %dx%d, not 1280x720", ww, wh);
    CHECK(g_key_file_get_integer(a, "study", "series-count", NULL) == 2, "two time points expected");

    /* Long names: whole (wrapped, never cut), the tooltip has each. */
    for (int i = 0; i < 2; i++) {
        char *key = g_strdup_printf("series-%d-name-cut", i);
        gboolean cut = g_key_file_get_boolean(a, "study", key, NULL);
        g_free(key);
        key = g_strdup_printf("series-%d-tooltip", i);
        g_autofree char *tip = kf_str(a, "study", key);
        g_free(key);
        printf("  series %d: \"%s\"%s\n", i, tip, cut ? " (cut)" : "");
        CHECK(!cut, "the name of series %d is cut: \"%s\"", i, tip);
        CHECK(strstr(tip, "(time point ") != NULL, "tooltip without the whole name: %s", tip);
    }

    /* Corner texts and letters: inside the view, none over another. */
    static const char *texts[] = {"text-top-left", "text-top-right", "text-bottom-left", "text-bottom-right",
                                  "letter-left", "letter-right", "letter-top", "letter-bottom"};
    double rc[8][4], view[4];
    CHECK(get_rect(a, "view", view), "no view geometry");
    for (int i = 0; i < 8; i++) {
        CHECK(get_rect(a, texts[i], rc[i]), "%s is not drawn", texts[i]);
        CHECK(rc[i][0] >= view[0] && rc[i][1] >= view[1] && rc[i][0] + rc[i][2] <= view[0] + view[2] + 0.5 &&
                  rc[i][1] + rc[i][3] <= view[1] + view[3] + 0.5,
              "%s leaves the view", texts[i]);
    }
    for (int i = 0; i < 8; i++)
        for (int j = i + 1; j < 8; j++)
            CHECK(!rects_overlap(rc[i], rc[j]), "%s (%.0f,%.0f %.0fx%.0f) overlaps %s (%.0f,%.0f %.0fx%.0f)",
                  texts[i], rc[i][0], rc[i][1], rc[i][2], rc[i][3], texts[j], rc[j][0], rc[j][1], rc[j][2],
                  rc[j][3]);
    printf("  view %.0fx%.0f; top-left text %.0f wide%s, top-right %.0f wide%s\n", view[2], view[3], rc[0][2],
           g_key_file_get_boolean(a, "geometry", "text-top-left-cut", NULL) ? " (lines cut)" : "", rc[1][2],
           g_key_file_get_boolean(a, "geometry", "text-top-right-cut", NULL) ? " (lines cut)" : "");
    Shot *s = viewer_shot(v, "1280x720");
    CHECK(s, "no screenshot");
    for (int i = 0; i < 4; i++) {
        int n = text_pixels(s, rc[i]);
        CHECK(n > 40, "%s: no text drawn (%d light pixels)", texts[i], n);
    }
    shot_free(s);

    /* A series analysis changes the badge; the image stays where it was. */
    double img_a[4], img_b[4];
    CHECK(get_rect(a, "image", img_a), "no image geometry");
    g_autofree char *badge_a = kf_str(a, "panel", "badge");
    viewer_action(v, "analyze-series", NULL);
    g_autoptr(GKeyFile) b = viewer_state(v, "analysed");
    CHECK(b, "no state");
    g_autofree char *badge_b = kf_str(b, "panel", "badge");
    CHECK(get_rect(b, "image", img_b), "no image geometry");
    printf("  badge \"%s\" -> \"%s\"; image %.0f,%.0f %.0fx%.0f -> %.0f,%.0f %.0fx%.0f\n", badge_a, badge_b,
           img_a[0], img_a[1], img_a[2], img_a[3], img_b[0], img_b[1], img_b[2], img_b[3]);
    CHECK(strcmp(badge_a, badge_b) != 0, "the badge did not change");
    CHECK(same_rect(img_a, img_b), "the image moved or changed its zoom when the badge changed");

    /* The panels fold away: the view takes the window's width. */
    viewer_action(v, "show-studies", NULL);
    g_autoptr(GKeyFile) c = viewer_state(v, "no-studies");
    CHECK(c, "no state");
    double vc[4], vd[4], ve[4], img_d[4], img_e[4];
    CHECK(!g_key_file_get_boolean(c, "viewer", "show-studies", NULL), "the Studies panel is still shown");
    CHECK(get_rect(c, "view", vc) && vc[0] < view[0] - 200 && vc[2] > view[2] + 200,
          "the view did not take the Studies panel's place");
    viewer_action(v, "show-findings", NULL);
    g_autoptr(GKeyFile) d = viewer_state(v, "no-panels");
    CHECK(d, "no state");
    CHECK(!g_key_file_get_boolean(d, "viewer", "show-findings", NULL), "the findings panel is still shown");
    CHECK(g_key_file_get_boolean(a, "viewer", "studies-toggle", NULL) &&
              g_key_file_get_boolean(a, "viewer", "findings-toggle", NULL) &&
              !g_key_file_get_boolean(d, "viewer", "studies-toggle", NULL) &&
              !g_key_file_get_boolean(d, "viewer", "findings-toggle", NULL),
          "the header's panel toggles do not show the panels' state");
    CHECK(get_rect(d, "view", vd) && vd[0] < 1 && vd[2] >= ww - 1, "the view is not the window's width: %.0f of %d",
          vd[2], ww);
    CHECK(get_rect(d, "image", img_d) && img_d[3] >= img_a[3] - 0.5, "the image got smaller without the panels");
    printf("  without panels: view %.0fx%.0f, image %.0fx%.0f\n", vd[2], vd[3], img_d[2], img_d[3]);
    s = viewer_shot(v, "no-panels");
    CHECK(s, "no screenshot");
    shot_free(s);
    /* ... and come back to the same layout. */
    viewer_action(v, "show-studies", NULL);
    viewer_action(v, "show-findings", NULL);
    g_autoptr(GKeyFile) e = viewer_state(v, "panels-back");
    CHECK(e, "no state");
    CHECK(g_key_file_get_boolean(e, "viewer", "show-studies", NULL) &&
              g_key_file_get_boolean(e, "viewer", "show-findings", NULL),
          "the panels did not come back");
    CHECK(get_rect(e, "view", ve) && same_rect(ve, view), "the view is not back in its place");
    CHECK(get_rect(e, "image", img_e) && same_rect(img_e, img_a),
          "the image is not back to its fit");
    viewer_stop(v);
    return 0;
}

/* ---- PACS: the viewer against DCMTK's dcmqrscp --------------------------- */

typedef struct {
    GSubprocess *proc;
    int port;
    char *dir;
} Archive;

/* The port of the viewer's Store SCP, known to the next archive started as
 * the move destination TSCVIEWER (0: none). */
static int archive_move_port;

/* A loopback port nothing listens on (at the time of asking). */
static int free_port(void)
{
    g_autoptr(GSocket) s =
        g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
    g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) any = g_inet_socket_address_new(lo, 0);
    if (!s || !g_socket_bind(s, any, FALSE, NULL)) return 0;
    g_autoptr(GSocketAddress) bound = g_socket_get_local_address(s, NULL);
    return bound ? g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound)) : 0;
}

/* SKIP (said) when a program of the NULL-terminated `tools` is not in
 * PATH; `packages` names where Debian has them. */
static int skip_without(const char *const *tools, const char *packages)
{
    for (; *tools; tools++) {
        g_autofree char *p = g_find_program_in_path(*tools);
        if (!p) {
            printf("SKIP: %s is not installed (Debian: %s)\n", *tools, packages);
            return SKIP;
        }
    }
    return 0;
}

/* dcmqrscp on a free loopback port with an empty archive (AE TSCQR,
 * read-write), up when it answers echoscu.  SKIP without DCMTK's tools. */
static int archive_start(Archive *a)
{
    memset(a, 0, sizeof *a);
    static const char *const tools[] = {"dcmqrscp", "echoscu", "findscu", NULL};
    if (skip_without(tools, "dcmtk")) return SKIP;
    a->dir = g_build_filename(workdir, "archive", NULL);
    g_mkdir_with_parents(a->dir, 0700);
    a->port = free_port();
    CHECK(a->port > 0, "no free port");
    g_autofree char *cfg = g_build_filename(workdir, "dcmqrscp.cfg", NULL);
    g_autofree char *text =
        g_strdup_printf("NetworkTCPPort = %d\nMaxPDUSize = 16384\nMaxAssociations = 8\n"
                        "HostTable BEGIN\nviewer = (TSCVIEWER, 127.0.0.1, %d)\nHostTable END\n"
                        "VendorTable BEGIN\nVendorTable END\n"
                        "AETable BEGIN\nTSCQR %s RW (200, 1024mb) ANY\nAETable END\n",
                        a->port, archive_move_port ? archive_move_port : 1, a->dir);
    CHECK(g_file_set_contents(cfg, text, -1, NULL), "cannot write %s", cfg);
    g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDERR_MERGE);
    g_autofree char *log = g_strdup_printf("%s/%s-dcmqrscp.log", artefacts, case_name);
    g_subprocess_launcher_set_stdout_file_path(l, log);
    const char *argv[] = {"dcmqrscp", "-c", cfg, NULL};
    g_autoptr(GError) error = NULL;
    a->proc = g_subprocess_launcher_spawnv(l, argv, &error);
    CHECK(a->proc, "dcmqrscp did not start: %s", error->message);
    g_autofree char *port = g_strdup_printf("%d", a->port);
    const char *echo[] = {"echoscu", "-aec", "TSCQR", "-to", "2", "127.0.0.1", port, NULL};
    for (int i = 0; i < 50; i++) {
        int status = 0;
        if (g_spawn_sync(NULL, (char **)echo, NULL,
                         G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
                             G_SPAWN_STDERR_TO_DEV_NULL,
                         NULL, NULL, NULL, NULL, &status, NULL) &&
            g_spawn_check_wait_status(status, NULL))
            return 0;
        g_usleep(200 * 1000);
    }
    return failf("dcmqrscp answered no C-ECHO within 10 s (see %s)", log);
}

/* Stops dcmqrscp and the children it forked per association (they exit
 * with their association; the parent is ours, stopped by its PID). */
static void archive_stop(Archive *a)
{
    if (a->proc) {
        g_subprocess_send_signal(a->proc, SIGTERM);
        g_subprocess_wait(a->proc, NULL, NULL);
    }
    g_clear_object(&a->proc);
    g_free(a->dir);
}

static void dicom_files_under(const char *dir, GPtrArray *out)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
        char *p = g_build_filename(dir, name, NULL);
        if (g_file_test(p, G_FILE_TEST_IS_DIR)) {
            dicom_files_under(p, out);
            g_free(p);
        } else if (g_str_has_suffix(name, ".dcm")) {
            g_ptr_array_add(out, p);
        } else {
            g_free(p);
        }
    }
}

/* Sends the DICOM files under `dir` with the plugin's C-STORE, which
 * decompresses what dcmqrscp does not take (the samples are JPEG-LS and
 * other codecs; storescu would only send them as they are). */
static int archive_fill(Archive *a, const char *dir)
{
    const tsc_plugin_api *api = tsc_plugin_get_api(TSC_PLUGIN_API_VERSION);
    CHECK(api, "the plugin does not serve ABI %u", TSC_PLUGIN_API_VERSION);
    g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);
    dicom_files_under(dir, files);
    CHECK(files->len > 0, "no DICOM file under %s", dir);
    tsc_pacs_node node = {.struct_size = sizeof node,
                          .host = "127.0.0.1",
                          .port = a->port,
                          .called_ae = "TSCQR",
                          .calling_ae = "TSCFILL",
                          .timeout_s = 10};
    size_t stored = 0;
    tsc_error err = {0};
    tsc_status st = api->pacs_store_files(&node, (const char *const *)files->pdata, files->len,
                                          NULL, NULL, &stored, &err);
    CHECK(st == TSC_OK && stored == files->len, "filling the archive stored %zu of %u files: %s",
          stored, files->len, err.message);
    return 0;
}

/* The end of a PACS case, passed or not: the viewer (may be NULL) and the
 * archive stopped. */
static int pacs_case_end(Viewer *v, Archive *a, int r)
{
    viewer_stop(v);
    archive_stop(a);
    return r;
}

static char *pacs_node_env(int port)
{
    return g_strdup_printf("TSC_VIEWER_PACS_NODE=Test archive|TSCQR|127.0.0.1|%d|TSCVIEWER|10",
                           port);
}

/* The viewer on `study` (may be NULL) with the archive as its PACS node and
 * a cache folder of the test's (*cache). */
static Viewer *viewer_start_with_archive(const char *study, const Archive *a, char **cache)
{
    g_autofree char *node = pacs_node_env(a->port);
    *cache = g_build_filename(workdir, "cache", NULL);
    g_autofree char *cache_env = g_strdup_printf("TSC_VIEWER_PACS_CACHE=%s", *cache);
    /* Pages of two studies, so that a few samples page. */
    const char *env[] = {node, cache_env, "TSC_VIEWER_PACS_PAGE=2", NULL};
    return viewer_start(study, env);
}

/* Polls write-state until [pacs] `key` is `want` (or `timeout_s` passes);
 * returns the last state. */
static GKeyFile *wait_pacs_state(Viewer *v, const char *tag, const char *key, gboolean want,
                                 int timeout_s)
{
    gint64 end = g_get_monotonic_time() + (gint64)timeout_s * G_USEC_PER_SEC;
    GKeyFile *kf = NULL;
    do {
        if (kf) {
            g_key_file_unref(kf);
            g_usleep(200 * 1000);
        }
        kf = viewer_state(v, tag);
        if (!kf) return NULL;
    } while (g_key_file_get_boolean(kf, "pacs", key, NULL) != want && g_get_monotonic_time() < end);
    return kf;
}

static GVariant *search_fields(const char *name, const char *modality)
{
    GVariantBuilder b;
    g_variant_builder_init(&b, G_VARIANT_TYPE("a{ss}"));
    g_variant_builder_add(&b, "{ss}", "patient-name", name);
    g_variant_builder_add(&b, "{ss}", "modality", modality);
    return g_variant_builder_end(&b);
}

/* Test Connection of the PACS nodes window (C-ECHO) on node `name` says
 * `words`. */
static int pacs_node_test_says(Viewer *v, const char *name, const char *words)
{
    viewer_action(v, "pacs-test-connection", g_variant_new_string(name));
    g_autoptr(GKeyFile) kf = wait_pacs_state(v, "echo", "nodes-testing", FALSE, 60);
    CHECK(kf, "no state");
    g_autofree char *result = kf_str(kf, "pacs", "nodes-result");
    printf("  test connection: %s\n", result);
    CHECK(strstr(result, words), "Test Connection does not say \"%s\": \"%s\"", words, result);
    Shot *s = viewer_shot(v, "pacs-nodes");
    CHECK(s, "no screenshot");
    shot_free(s);
    return 0;
}

/* The same on the archive's node ("Test archive"). */
static int pacs_connection_test_says(Viewer *v, const char *words)
{
    return pacs_node_test_says(v, "Test archive", words);
}

/* Every MR study of the archive (the samples: three or more), two a page:
 * "More" appears, and brings the next page without repeating a study. */
static int pacs_paging_steps(Viewer *v)
{
    viewer_action(v, "pacs-search", search_fields("", "MR"));
    g_autoptr(GKeyFile) first = wait_pacs_state(v, "page-1", "searching", FALSE, 60);
    CHECK(first, "no state");
    CHECK(g_key_file_get_integer(first, "pacs", "rows", NULL) == 2 &&
              g_key_file_get_boolean(first, "pacs", "more", NULL),
          "the first page is not two studies with More");
    viewer_action(v, "pacs-more", NULL);
    g_autoptr(GKeyFile) second = wait_pacs_state(v, "page-2", "searching", FALSE, 60);
    CHECK(second, "no state");
    int rows = g_key_file_get_integer(second, "pacs", "rows", NULL);
    printf("  paging: 2 rows with More, then %d\n", rows);
    CHECK(rows > 2 && rows <= 4, "More did not bring the next page (%d rows)", rows);
    g_autoptr(GHashTable) uids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (int i = 0; i < rows; i++) {
        g_autofree char *key = g_strdup_printf("row-%d", i);
        g_autofree char *row = kf_str(second, "pacs", key);
        const char *uid = strrchr(row, '|');
        CHECK(uid && g_hash_table_add(uids, g_strdup(uid + 1)), "study listed twice: %s", row);
    }
    return 0;
}

/* Search → list → retrieve → the study is open, from our cache. */
static int pacs_retrieve_steps(Viewer *v, const char *cache, Archive *a)
{
    int r = pacs_paging_steps(v);
    if (r) return r;
    /* Typed as the user types: a prefix of the family name (dcmqrscp
     * matches case-sensitively, as DICOM says; most PACS do not). */
    viewer_action(v, "pacs-search", search_fields("Phan", "MR"));
    g_autoptr(GKeyFile) kf = wait_pacs_state(v, "searched", "searching", FALSE, 60);
    CHECK(kf, "no state");
    g_autofree char *err = kf_str(kf, "pacs", "error");
    int rows = g_key_file_get_integer(kf, "pacs", "rows", NULL);
    printf("  search: %d rows, error \"%s\"\n", rows, err);
    CHECK(rows >= 1, "the search listed no study (error \"%s\")", err);
    /* date|modalities|description|series|instances|study UID */
    g_autofree char *row = kf_str(kf, "pacs", "row-0");
    CHECK(g_str_has_prefix(row, "2024") && strstr(row, "SYNTHETIC") && strstr(row, "|2.25."),
          "the listed study is not the sample's: %s", row);
    /* The dialog, not the main window, is what the screenshot shows. */
    Shot *s = viewer_shot(v, "pacs-results");
    gboolean dialog_shot = s && s->w < 1100;
    shot_free(s);
    CHECK(dialog_shot, "no screenshot of the PACS dialog");
    /* A search for nobody: the empty state says so. */
    viewer_action(v, "pacs-search", search_fields("zzz-nobody", "MR"));
    g_autoptr(GKeyFile) none = wait_pacs_state(v, "nobody", "searching", FALSE, 60);
    CHECK(none, "no state");
    g_autofree char *empty = kf_str(none, "pacs", "empty-title");
    CHECK(g_key_file_get_integer(none, "pacs", "rows", NULL) == 0 && strstr(empty, "No Studies"),
          "a search without match does not say so (\"%s\")", empty);
    /* Search as you type: "P", "Pha", "Phan" typed in quick succession
     * (the state counts a pending search as searching): the list of
     * "zzz-nobody" gives way to the last text's. */
    static const char *keys[] = {"P", "Pha", "Phan"};
    for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
        GVariantBuilder b;
        g_variant_builder_init(&b, G_VARIANT_TYPE("a{ss}"));
        g_variant_builder_add(&b, "{ss}", "patient-name", keys[i]);
        g_variant_builder_add(&b, "{ss}", "typed", "true");
        viewer_action(v, "pacs-search", g_variant_builder_end(&b));
    }
    g_autoptr(GKeyFile) again = wait_pacs_state(v, "again", "searching", FALSE, 60);
    CHECK(again && g_key_file_get_integer(again, "pacs", "rows", NULL) >= 1,
          "the search as typed listed nothing");
    viewer_action(v, "pacs-retrieve", g_variant_new_int32(0));
    g_autoptr(GKeyFile) done = wait_pacs_state(v, "retrieved", "dialog", FALSE, 120);
    CHECK(done, "no state");
    g_autofree char *retrieve_error = kf_str(done, "pacs", "error");
    CHECK(g_key_file_get_boolean(done, "viewer", "study-loaded", NULL) &&
              g_key_file_get_integer(done, "study", "series-count", NULL) >= 1,
          "the retrieved study is not open (%s)", retrieve_error);
    g_autofree char *series0 = kf_str(done, "study", "series-0");
    printf("  opened from the cache: %s\n", series0);
    /* Everything came into our cache folder, one file per object. */
    g_autofree char *folder = g_build_filename(cache, strrchr(row, '|') + 1, NULL);
    int n_cache = count_files(folder), n_archive = count_files(a->dir);
    printf("  %d files in the cache, %d in the archive\n", n_cache, n_archive);
    CHECK(n_cache >= 1 && strstr(series0, "slices"), "nothing retrieved into %s", folder);
    return pacs_connection_test_says(v, "the connection works");
}

static int test_pacs_search_retrieve_opens_the_study(void)
{
    g_autofree char *study = NULL;
    int r = sample_study(&study);
    if (r) return r;
    Archive a;
    if ((r = archive_start(&a))) return r;
    if ((r = archive_fill(&a, study))) return pacs_case_end(NULL, &a, r);
    g_autofree char *cache = NULL;
    Viewer *v = viewer_start_with_archive(NULL, &a, &cache);
    return pacs_case_end(v, &a, v ? pacs_retrieve_steps(v, cache, &a) : 1);
}

static int test_pacs_wrong_port_says_nothing_listens(void)
{
    int port = free_port();
    CHECK(port > 0, "no free port");
    g_autofree char *node = pacs_node_env(port);
    const char *env[] = {node, NULL};
    Viewer *v = viewer_start(NULL, env);
    CHECK(v, "viewer start");
    viewer_action(v, "pacs-search", search_fields("", "MR"));
    g_autoptr(GKeyFile) kf = wait_pacs_state(v, "refused", "searching", FALSE, 60);
    CHECK(kf, "no state");
    g_autofree char *err = kf_str(kf, "pacs", "error");
    g_autofree char *empty = kf_str(kf, "pacs", "empty-title");
    printf("  error: %s\n", err);
    CHECK(strstr(err, "nothing listens"), "the dialog does not say that nothing listens: \"%s\"",
          err);
    CHECK(strstr(empty, "Failed"), "the list does not say the search failed: \"%s\"", empty);
    Shot *s = viewer_shot(v, "pacs-refused");
    CHECK(s, "no screenshot");
    shot_free(s);
    int r = pacs_connection_test_says(v, "nothing listens");
    viewer_stop(v);
    return r;
}

/* The series-level C-FIND answers of the archive for `study_uid`: every
 * Modality it holds, one per line. */
/* The modalities of the objects of one study in the archive's storage
 * folder, one line each: what dcmqrscp stored, read from its files (its
 * C-FIND index is covered by the retrieve test). */
static char *archive_modalities(Archive *a, const char *study_uid)
{
    GString *mods = g_string_new(NULL);
    g_autoptr(GDir) d = g_dir_open(a->dir, 0, NULL);
    for (const char *name; d && (name = g_dir_read_name(d));) {
        g_autofree char *path = g_build_filename(a->dir, name, NULL);
        const char *argv[] = {"dcmdump", "-q",       "+P", "StudyInstanceUID",
                              "+P",      "Modality", path, NULL};
        g_autofree char *out = NULL;
        int status = 0;
        if (!g_spawn_sync(NULL, (char **)argv, NULL,
                          G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL,
                          &status, NULL) ||
            !out || !strstr(out, study_uid))
            continue;
        const char *m = strstr(out, "(0008,0060) CS [");
        if (!m) continue;
        m += strlen("(0008,0060) CS [");
        g_autofree char *value = g_strndup(m, strcspn(m, "]"));
        g_string_append_printf(mods, "%s\n", g_strstrip(value));
    }
    return g_string_free(mods, FALSE);
}

/* Nothing to send before an analysis; after it, SEG and SR reach the
 * archive and the temporary outputs are gone. */
static int pacs_send_steps(Viewer *v, Plugin *p, Archive *a, const char *cache)
{
    viewer_action(v, "pacs-send", g_variant_new_string(""));
    g_autoptr(GKeyFile) early = viewer_state(v, "early");
    CHECK(early, "no state");
    g_autofree char *why = kf_str(early, "pacs", "send-outcome");
    CHECK(strstr(why, "Analyse"), "sending before an analysis does not say what to do: \"%s\"",
          why);
    viewer_action(v, "analyze-series", NULL);
    g_autoptr(GKeyFile) analysed = viewer_state(v, "analysed");
    CHECK(analysed && g_key_file_get_boolean(analysed, "series", "analysed", NULL),
          "the series was not analysed");
    viewer_action(v, "pacs-send", g_variant_new_string(""));
    g_autoptr(GKeyFile) sent = NULL;
    g_autofree char *outcome = NULL;
    for (int i = 0; i < 300; i++) {
        g_clear_pointer(&sent, g_key_file_unref);
        g_clear_pointer(&outcome, g_free);
        sent = viewer_state(v, "sent");
        CHECK(sent, "no state");
        outcome = kf_str(sent, "pacs", "send-outcome");
        if (!g_key_file_get_boolean(sent, "pacs", "sending", NULL) && *outcome &&
            !strstr(outcome, "Analyse"))
            break;
        g_usleep(200 * 1000);
    }
    g_autofree char *toast = kf_str(sent, "viewer", "toast");
    printf("  send: %s\n  toast: %s\n", outcome, toast);
    CHECK(strstr(outcome, "objects stored") && strstr(toast, "Results sent to PACS"),
          "the results were not sent: %s", outcome);
    Shot *s = viewer_shot(v, "pacs-sent");
    shot_free(s);
    const tsc_dicom_series_info *si = p->api->study_get_series(p->index, 0);
    g_autofree char *mods =
        archive_modalities(a, p->api->study_get_study(p->index, si->study)->study_uid);
    g_autofree char *shown = g_strdelimit(g_strdup(mods), "\n", ' ');
    printf("  the archive's objects of the study: %s\n", shown);
    CHECK(strstr(mods, "SEG\n") && strstr(mods, "SR\n"),
          "the archive holds no SEG and SR series of the study (%s)", shown);
    g_autofree char *outgoing = g_build_filename(cache, "outgoing", NULL);
    CHECK(count_files(outgoing) == 0, "outputs were left in %s", outgoing);
    return 0;
}

static int test_pacs_sends_seg_and_sr_to_the_archive(void)
{
    g_autofree char *dir = g_build_filename(workdir, "phantom", NULL);
    int r = make_phantom_series(dir, 12, 3, 9, "SYNTHETIC LESION - phantom", 1);
    if (r) return r;
    Archive a;
    if ((r = archive_start(&a))) return r;
    Plugin p;
    if ((r = plugin_open(&p, dir))) {
        plugin_close(&p);
        return pacs_case_end(NULL, &a, r);
    }
    g_autofree char *cache = NULL;
    Viewer *v = viewer_start_with_archive(dir, &a, &cache);
    r = v ? pacs_send_steps(v, &p, &a, cache) : 1;
    plugin_close(&p);
    return pacs_case_end(v, &a, r);
}

/* DCMTK's storescp with DIMSE over TLS (AE TSCSTORE) on a free loopback
 * port, its key and self-signed certificate made with openssl in the work
 * folder together with another certificate (*crt, *other_crt); up when a
 * TLS C-ECHO of the plugin that trusts its certificate is answered.  SKIP
 * without openssl or storescp. */
static int tls_store_start(Archive *a, char **crt, char **other_crt)
{
    memset(a, 0, sizeof *a);
    static const char *const tools[] = {"openssl", "storescp", NULL};
    if (skip_without(tools, "openssl, dcmtk")) return SKIP;
    a->dir = g_build_filename(workdir, "received", NULL);
    g_mkdir_with_parents(a->dir, 0700);
    g_autofree char *key = g_build_filename(workdir, "node.key", NULL);
    *crt = g_build_filename(workdir, "node.crt", NULL);
    *other_crt = g_build_filename(workdir, "other.crt", NULL);
    g_autofree char *other_key = g_build_filename(workdir, "other.key", NULL);
    const char *pairs[][3] = {{key, *crt, "/CN=node"}, {other_key, *other_crt, "/CN=other"}};
    for (size_t i = 0; i < G_N_ELEMENTS(pairs); i++) {
        const char *argv[] = {"openssl", "req",     "-x509",     "-newkey",   "rsa:2048",
                              "-nodes",  "-keyout", pairs[i][0], "-out",      pairs[i][1],
                              "-days",   "2",       "-subj",     pairs[i][2], NULL};
        int status = 0;
        g_autofree char *err = NULL;
        CHECK(g_spawn_sync(NULL, (char **)argv, NULL,
                           G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err,
                           &status, NULL) &&
                  g_spawn_check_wait_status(status, NULL),
              "openssl made no certificate: %s", err ? err : "");
    }
    a->port = free_port();
    CHECK(a->port > 0, "no free port");
    g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDERR_MERGE);
    g_autofree char *log = g_strdup_printf("%s/%s-storescp.log", artefacts, case_name);
    g_subprocess_launcher_set_stdout_file_path(l, log);
    g_autofree char *port = g_strdup_printf("%d", a->port);
    const char *argv[] = {"storescp", "+tls", key,    *crt, "-ic", "--aetitle",
                          "TSCSTORE", "-od",  a->dir, port, NULL};
    g_autoptr(GError) error = NULL;
    a->proc = g_subprocess_launcher_spawnv(l, argv, &error);
    CHECK(a->proc, "storescp did not start: %s", error->message);
    const tsc_plugin_api *api = tsc_plugin_get_api(TSC_PLUGIN_API_VERSION);
    CHECK(api, "the plugin does not serve ABI %u", TSC_PLUGIN_API_VERSION);
    tsc_pacs_node node = {.struct_size = sizeof node,
                          .host = "127.0.0.1",
                          .port = a->port,
                          .called_ae = "TSCSTORE",
                          .calling_ae = "TSCPROBE",
                          .timeout_s = 2,
                          .tls = 1,
                          .tls_ca_file = *crt};
    tsc_error err = {0};
    for (int i = 0; i < 50; i++) {
        if (api->pacs_echo(&node, &err) == TSC_OK) return 0;
        g_usleep(200 * 1000);
    }
    return failf("storescp +tls answered no C-ECHO within 10 s: %s (see %s)", err.message, log);
}

/* The viewer with the TLS store as its node, trusting `ca`. */
static Viewer *viewer_start_with_tls_node(const Archive *a, const char *ca)
{
    g_autofree char *node = g_strdup_printf(
        "TSC_VIEWER_PACS_NODE=Test archive|TSCSTORE|127.0.0.1|%d|TSCVIEWER|10|tls|%s", a->port, ca);
    const char *env[] = {node, NULL};
    return viewer_start(NULL, env);
}

/* Trusting the node's certificate, Test Connection over TLS works (a plain
 * association to that port fails); trusting another certificate, both
 * Test Connection and the PACS dialog's search say the node's certificate
 * is not trusted. */
static int test_pacs_tls_node_is_trusted_only_with_its_certificate(void)
{
    Archive a;
    g_autofree char *crt = NULL, *other = NULL;
    int r = tls_store_start(&a, &crt, &other);
    if (r) return r == SKIP ? r : pacs_case_end(NULL, &a, r);
    Viewer *v = viewer_start_with_tls_node(&a, crt);
    if (!v) return pacs_case_end(NULL, &a, failf("viewer start"));
    r = pacs_connection_test_says(v, "over TLS answers: the connection works");
    /* With the TLS rows, the nodes window still fits a 1280x720 screen
     * under a top bar. */
    Shot *shot = r ? NULL : viewer_shot(v, "pacs-nodes-tls");
    if (shot) printf("  nodes window: %dx%d\n", shot->w, shot->h);
    if (!r && (!shot || shot->h > 688))
        r = failf("the PACS nodes window is %d px high: more than a 720-line screen shows",
                  shot ? shot->h : -1);
    shot_free(shot);
    viewer_stop(v);
    if (r) return pacs_case_end(NULL, &a, r);
    v = viewer_start_with_tls_node(&a, other);
    if (!v) return pacs_case_end(NULL, &a, failf("viewer start"));
    viewer_action(v, "pacs-search", search_fields("", "MR"));
    g_autoptr(GKeyFile) kf = wait_pacs_state(v, "untrusted", "searching", FALSE, 60);
    g_autofree char *err = kf ? kf_str(kf, "pacs", "error") : g_strdup("(no state)");
    printf("  search: %s\n", err);
    if (!strstr(err, "TLS handshake") || !strstr(err, "not trusted"))
        r = failf("the dialog does not say the certificate is not trusted: \"%s\"", err);
    else r = pacs_connection_test_says(v, "its certificate is not trusted");
    return pacs_case_end(v, &a, r);
}

/* Quitting while a PACS search is still in its TLS handshake (here one that
 * fails: the viewer trusts another certificate), right away or a little
 * later: the viewer waits for the network job and ends cleanly, with no
 * sanitizer report.  It used to exit under the job's feet (a crash inside
 * OpenSSL, or its per-thread state reported as leaked). */
static int test_pacs_quit_during_a_search_ends_cleanly(void)
{
    Archive a;
    g_autofree char *crt = NULL, *other = NULL;
    int r = tls_store_start(&a, &crt, &other);
    if (r) return r == SKIP ? r : pacs_case_end(NULL, &a, r);
    for (int i = 0; i < 3 && !r; i++) {
        Viewer *v = viewer_start_with_tls_node(&a, other);
        if (!v) return pacs_case_end(NULL, &a, failf("viewer start"));
        viewer_action(v, "pacs-search", search_fields("", "MR"));
        g_usleep(i * 150 * 1000);
        viewer_stop(v);
        if (viewer_failure)
            r = failf("quitting %d ms after the search began: %s", i * 150, viewer_failure);
    }
    return pacs_case_end(NULL, &a, r);
}

/* Saves PACS nodes where the viewer's settings keep them (GSettings'
 * keyfile backend in the test's home, with GSETTINGS_BACKEND=keyfile):
 * `nodes` as the key pacs-nodes and `value` as `key` (pacs-nodes-tls,
 * pacs-nodes-move).  0, or 1 with a message. */
static int save_pacs_nodes(const char *nodes, const char *key, const char *value)
{
    g_autofree char *dir = g_build_filename(workdir, ".config", "glib-2.0", "settings", NULL);
    g_mkdir_with_parents(dir, 0700);
    g_autofree char *path = g_build_filename(dir, "keyfile", NULL);
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_key_file_set_string(kf, "org/tumorscope/Viewer", "pacs-nodes", nodes);
    g_key_file_set_string(kf, "org/tumorscope/Viewer", key, value);
    if (!g_key_file_save_to_file(kf, path, NULL)) return failf("cannot write %s", path);
    return 0;
}

/* Settings saved by the viewer (GSettings' keyfile backend in the test's
 * home): a node of the settings before TLS (no pacs-nodes-tls entry) and a
 * node with TLS trusting the store's certificate, both at the TLS store.
 * The TLS node answers; the older one still loads and talks without TLS,
 * which the store refuses. */
static int test_pacs_stored_nodes_keep_their_tls_settings(void)
{
    Archive a;
    g_autofree char *crt = NULL, *other = NULL;
    int r = tls_store_start(&a, &crt, &other);
    if (r) return r == SKIP ? r : pacs_case_end(NULL, &a, r);
    g_autofree char *nodes =
        g_strdup_printf("[('Old archive', 'TSCSTORE', '127.0.0.1', %d, 'TSCVIEWER', 5), "
                        "('Secure archive', 'TSCSTORE', '127.0.0.1', %d, 'TSCVIEWER', 10)]",
                        a.port, a.port);
    g_autoptr(GVariant) tls =
        g_variant_ref_sink(g_variant_new_parsed("{'Secure archive': (true, %s, '', '')}", crt));
    g_autofree char *tls_text = g_variant_print(tls, FALSE);
    if ((r = save_pacs_nodes(nodes, "pacs-nodes-tls", tls_text))) return pacs_case_end(NULL, &a, r);
    const char *env[] = {"GSETTINGS_BACKEND=keyfile", "TSC_VIEWER_PACS_NODE", NULL};
    Viewer *v = viewer_start(NULL, env);
    if (!v) return pacs_case_end(NULL, &a, failf("viewer start"));
    r = pacs_node_test_says(v, "Secure archive", "over TLS answers: the connection works");
    if (!r) r = pacs_node_test_says(v, "Old archive", "it may expect TLS on this port");
    return pacs_case_end(v, &a, r);
}

/* ---- reading tools -------------------------------------------------------- */

/* The lesion series, opened by the plugin here and shown by a new viewer. */
typedef struct {
    char *study;
    Plugin p;
    gssize series;
    const tsc_dicom_series_info *si;
    Viewer *v;
} LesionCase;

/* 0, or SKIP or 1 as the steps say. */
static int start_on_lesion_series(LesionCase *c)
{
    memset(c, 0, sizeof *c);
    int r = open_lesion_study(&c->study, &c->p, &c->series);
    if (r) return r;
    c->si = c->p.api->study_get_series(c->p.index, c->series);
    c->v = viewer_start(c->study, NULL);
    g_clear_pointer(&c->study, g_free);
    CHECK(c->v, "viewer start");
    viewer_action(c->v, "select-series", g_variant_new_int32((gint32)c->series));
    return 0;
}

/* The lesion series' middle slice: its index in *slice, its pixels as the
 * plugin decodes them in *d (freed with image_free). */
static int decode_middle_slice(LesionCase *c, size_t *slice, tsc_dicom_image **d)
{
    *slice = c->si->n_slices / 2;
    tsc_error err = {0};
    CHECK(c->p.api->slice_decode(c->p.index, c->series, *slice, d, &err) == TSC_OK, "%s",
          err.message);
    return 0;
}

/* Stops the viewer and closes the plugin's model and study. */
static void end_lesion_case(LesionCase *c)
{
    viewer_stop(c->v);
    plugin_close(&c->p);
}

/* The measurement colour (slice_view_tools.c) and a measurement's values as
 * the test computes them from the plugin's own decoding: pixels whose
 * centre is inside, values after the modality LUT. */
#define MEASURE_RGB 0xFFD600u

typedef struct {
    const char *kind;
    double xy[8];
    int n; /* points */
    double length_mm, area_mm2, mean, sd, min, max;
    int pixels;
} Expected;

static gboolean expected_inside(const Expected *e, double x, double y)
{
    if (strcmp(e->kind, "ellipse") == 0) {
        double u = (x - (e->xy[0] + e->xy[2]) / 2) / (fabs(e->xy[2] - e->xy[0]) / 2);
        double w = (y - (e->xy[1] + e->xy[3]) / 2) / (fabs(e->xy[3] - e->xy[1]) / 2);
        return u * u + w * w <= 1;
    }
    /* The freehand case is a triangle: inside all three half-planes. */
    int sign = 0;
    for (int i = 0; i < 3; i++) {
        const double *a = e->xy + 2 * i, *b = e->xy + 2 * ((i + 1) % 3);
        double cross = (b[0] - a[0]) * (y - a[1]) - (b[1] - a[1]) * (x - a[0]);
        int s = cross > 0 ? 1 : -1;
        if (sign && s != sign) return FALSE;
        sign = s;
    }
    return TRUE;
}

static void expected_values(Expected *e, const tsc_dicom_image *d)
{
    double dy = d->pixel_spacing[0], dx = d->pixel_spacing[1];
    if (strcmp(e->kind, "ruler") == 0) {
        e->length_mm =
            sqrt(pow((e->xy[2] - e->xy[0]) * dx, 2) + pow((e->xy[3] - e->xy[1]) * dy, 2));
        return;
    }
    if (strcmp(e->kind, "ellipse") == 0)
        e->area_mm2 =
            G_PI * fabs(e->xy[2] - e->xy[0]) / 2 * dx * fabs(e->xy[3] - e->xy[1]) / 2 * dy;
    else
        e->area_mm2 = fabs((e->xy[2] - e->xy[0]) * (e->xy[5] - e->xy[1]) -
                           (e->xy[4] - e->xy[0]) * (e->xy[3] - e->xy[1])) /
                      2 * dx * dy;
    double s = 0, s2 = 0;
    e->min = 1e300;
    e->max = -1e300;
    for (int r = 0; r < d->rows; r++)
        for (int c = 0; c < d->cols; c++) {
            if (!expected_inside(e, c + 0.5, r + 0.5)) continue;
            double v = d->pixels[(size_t)r * d->cols + c];
            s += v;
            s2 += v * v;
            e->min = MIN(e->min, v);
            e->max = MAX(e->max, v);
            e->pixels++;
        }
    e->mean = s / e->pixels;
    e->sd = sqrt(s2 / e->pixels - e->mean * e->mean);
}

static gboolean near(double a, double b)
{
    return fabs(a - b) <= 1e-6 * MAX(1.0, fabs(b));
}

static int check_measurement(GKeyFile *kf, int id, const Expected *e)
{
    g_autofree char *g = g_strdup_printf("measurement-%d", id);
    g_autofree char *kind = kf_str(kf, g, "kind");
    CHECK(strcmp(kind, e->kind) == 0, "measurement %d is a %s, not a %s", id, kind, e->kind);
    double len = g_key_file_get_double(kf, g, "length-mm", NULL),
           area = g_key_file_get_double(kf, g, "area-mm2", NULL);
    printf("  %s: %.2f mm, %.1f mm2, %d px, mean %.2f sd %.2f min %.1f max %.1f (expected %d px, "
           "mean %.2f)\n",
           kind, len, area, g_key_file_get_integer(kf, g, "pixels", NULL),
           g_key_file_get_double(kf, g, "mean", NULL), g_key_file_get_double(kf, g, "sd", NULL),
           g_key_file_get_double(kf, g, "min", NULL), g_key_file_get_double(kf, g, "max", NULL),
           e->pixels, e->mean);
    if (strcmp(e->kind, "ruler") == 0) {
        CHECK(near(len, e->length_mm), "ruler %.4f mm, expected %.4f", len, e->length_mm);
        return 0;
    }
    CHECK(near(area, e->area_mm2), "%s area %.4f mm2, expected %.4f", kind, area, e->area_mm2);
    CHECK(g_key_file_get_integer(kf, g, "pixels", NULL) == e->pixels, "%s pixel count", kind);
    static const char *keys[] = {"mean", "sd", "min", "max"};
    const double want[] = {e->mean, e->sd, e->min, e->max};
    for (int i = 0; i < 4; i++) {
        double got = g_key_file_get_double(kf, g, keys[i], NULL);
        CHECK(fabs(got - want[i]) <= 1e-3 * MAX(1.0, fabs(want[i])), "%s %s %.4f, expected %.4f",
              kind, keys[i], got, want[i]);
    }
    g_autofree char *panel = kf_str(kf, g, "panel");
    CHECK(strstr(panel, "mean"), "the panel row \"%s\" has no mean", panel);
    return 0;
}

static GVariant *measure_param(const Expected *e)
{
    return g_variant_new(
        "(s@ad)", e->kind,
        g_variant_new_fixed_array(G_VARIANT_TYPE_DOUBLE, e->xy, (gsize)e->n * 2, sizeof(double)));
}

static int measure_pixels(Viewer *v, GKeyFile *kf, const char *tag)
{
    double img[4];
    g_autoptr(Shot) s = viewer_shot(v, tag);
    if (!s || !get_rect(kf, "image", img)) return -1;
    return count_color(s, img[0], img[1], img[2], img[3], MEASURE_RGB, 40);
}

static int test_measurements_keep_their_slice(void)
{
    LesionCase c;
    int r = start_on_lesion_series(&c);
    if (r) return r;
    Viewer *v = c.v;
    size_t slice;
    tsc_dicom_image *d = NULL;
    if ((r = decode_middle_slice(&c, &slice, &d))) return r;
    double W = d->cols, H = d->rows;
    Expected e[3] = {
        {.kind = "ruler", .n = 2, .xy = {0.2 * W, 0.25 * H, 0.7 * W, 0.55 * H}},
        {.kind = "ellipse", .n = 2, .xy = {0.35 * W, 0.35 * H, 0.62 * W, 0.58 * H}},
        {.kind = "freehand",
         .n = 3,
         .xy = {0.3 * W, 0.7 * H, 0.55 * W, 0.62 * H, 0.45 * W, 0.85 * H}},
    };
    for (int i = 0; i < 3; i++) expected_values(&e[i], d);
    c.p.api->image_free(d);

    viewer_action(v, "goto-slice", g_variant_new_int32((gint32)slice));
    g_autoptr(GKeyFile) shown = viewer_state(v, "shown");
    CHECK(shown, "no state");
    int before = measure_pixels(v, shown, "no-measurement");
    viewer_action(v, "tool", g_variant_new_string("ellipse"));
    for (int i = 0; i < 3; i++) viewer_action(v, "measure", measure_param(&e[i]));
    g_autoptr(GKeyFile) kf = viewer_state(v, "measured");
    CHECK(kf, "no state");
    g_autofree char *tool = kf_str(kf, "measurements", "tool");
    CHECK(strcmp(tool, "ellipse") == 0, "win.tool is %s", tool);
    g_autofree char *pressed = kf_str(kf, "measurements", "tool-button");
    CHECK(strcmp(pressed, "Ellipse") == 0, "the tool bar shows %s pressed", pressed);
    CHECK(g_key_file_get_integer(kf, "measurements", "count", NULL) == 3, "not 3 measurements");
    CHECK(g_key_file_get_integer(kf, "measurements", "panel-rows", NULL) == 3,
          "not 3 rows in the panel");
    CHECK(g_key_file_get_integer(kf, "measurements", "on-slice-shown", NULL) == 3,
          "not drawn on the slice");
    for (int i = 0; i < 3; i++)
        if ((r = check_measurement(kf, i + 1, &e[i]))) return r;
    int drawn = measure_pixels(v, kf, "measured");
    printf("  measurement-coloured pixels: %d before, %d with the three\n", before, drawn);
    CHECK(drawn > before + 200, "the measurements are not drawn (%d pixels)", drawn);

    /* Scrolled away, none is drawn; back, all three are. */
    viewer_action(v, "goto-slice", g_variant_new_int32((gint32)slice + 2));
    g_autoptr(GKeyFile) away = viewer_state(v, "away");
    CHECK(away && g_key_file_get_integer(away, "measurements", "on-slice-shown", NULL) == 0,
          "drawn on another slice");
    CHECK(g_key_file_get_integer(away, "measurements", "panel-rows", NULL) == 3,
          "the panel lost them");
    int other = measure_pixels(v, away, "away");
    CHECK(other <= before + 20, "measurements drawn on another slice (%d pixels)", other);
    viewer_action(v, "goto-slice", g_variant_new_int32((gint32)slice));
    g_autoptr(GKeyFile) back = viewer_state(v, "back");
    CHECK(back && g_key_file_get_integer(back, "measurements", "on-slice-shown", NULL) == 3,
          "lost on the way back");
    CHECK(measure_pixels(v, back, "back") > before + 200, "not drawn again");

    viewer_action(v, "delete-measurement", g_variant_new_int32(2));
    g_autoptr(GKeyFile) deleted = viewer_state(v, "deleted");
    CHECK(deleted && g_key_file_get_integer(deleted, "measurements", "count", NULL) == 2,
          "not deleted");
    CHECK(!g_key_file_has_group(deleted, "measurement-2"), "the ellipse is still there");
    CHECK(g_key_file_get_integer(deleted, "measurements", "panel-rows", NULL) == 2,
          "still in the panel");

    /* Another c.series: nothing of this one stays. */
    viewer_action(v, "select-series", g_variant_new_int32(c.series == 0 ? 1 : 0));
    g_autoptr(GKeyFile) other_series = viewer_state(v, "other-series");
    CHECK(other_series && g_key_file_get_integer(other_series, "measurements", "count", NULL) == 0,
          "measurements outlived their series");
    CHECK(g_key_file_get_integer(other_series, "measurements", "panel-rows", NULL) == 0,
          "rows outlived their series");
    end_lesion_case(&c);
    return 0;
}

static int test_export_carries_the_measurements(void)
{
    LesionCase c;
    int r = start_on_lesion_series(&c);
    if (r) return r;
    Viewer *v = c.v;
    size_t slice;
    tsc_dicom_image *d = NULL;
    if ((r = decode_middle_slice(&c, &slice, &d))) return r;
    double W = d->cols, H = d->rows;
    c.p.api->image_free(d);
    Expected e[2] = {
        {.kind = "ruler", .n = 2, .xy = {0.15 * W, 0.8 * H, 0.5 * W, 0.8 * H}},
        {.kind = "ellipse", .n = 2, .xy = {0.6 * W, 0.15 * H, 0.85 * W, 0.35 * H}},
    };
    viewer_action(v, "goto-slice", g_variant_new_int32((gint32)slice));
    g_autoptr(GKeyFile) shown = viewer_state(v, "shown"); /* the slice is decoded */
    CHECK(shown, "no state");
    for (int i = 0; i < 2; i++) viewer_action(v, "measure", measure_param(&e[i]));
    g_autoptr(GKeyFile) kf = viewer_state(v, "measured");
    CHECK(kf && g_key_file_get_integer(kf, "measurements", "count", NULL) == 2,
          "not 2 measurements");
    viewer_action(v, "analyze-series", NULL);
    g_autofree char *out = g_build_filename(workdir, "exports-measured", NULL);
    viewer_action(v, "export-report", g_variant_new_string(out));
    char *sub = wait_for_export(out, "dicom/SR.dcm");
    CHECK(sub, "no export with dicom/SR.dcm and report.pdf in %s", out);
    g_usleep(300 * 1000); /* the export's summary line comes after its last file */
    g_autofree char *sr = g_build_filename(sub, "dicom", "SR.dcm", NULL);
    g_autofree char *bytes = NULL;
    gsize len = 0;
    CHECK(g_file_get_contents(sr, &bytes, &len, NULL), "cannot read %s", sr);
    /* The SR's text values are plain in the file: both groups, a ruler's
     * POLYLINE and an ellipse's ELLIPSE.  The viewer exports de-identified
     * by default (the deidentify key), so the user's name is not in it
     * (outputs_reader_measurements_… pins the observer of an identified SR). */
    gboolean m1 = FALSE, m2 = FALSE, poly = FALSE, ell = FALSE, observer = FALSE;
    const char *user = g_get_real_name();
    if (!user || !*user || strcmp(user, "Unknown") == 0) user = g_get_user_name();
    for (gsize i = 0; i + 20 <= len; i++) {
        m1 = m1 || memcmp(bytes + i, "Reader measurement 1", 20) == 0;
        m2 = m2 || memcmp(bytes + i, "Reader measurement 2", 20) == 0;
        poly = poly || memcmp(bytes + i, "POLYLINE", 8) == 0;
        ell = ell || memcmp(bytes + i, "ELLIPSE", 7) == 0;
        observer =
            observer || (i + strlen(user) <= len && memcmp(bytes + i, user, strlen(user)) == 0);
    }
    printf("  SR: group 1 %d, group 2 %d, POLYLINE %d, ELLIPSE %d, observer \"%s\" %d\n", m1, m2,
           poly, ell, user, observer);
    CHECK(m1 && m2 && poly && ell, "the SR lacks the reader measurement groups");
    CHECK(!observer, "the de-identified SR names the observer \"%s\"", user);
    g_autofree char *slice_name = g_strdup_printf("slice%03zu.png", slice + 1);
    g_autofree char *png = g_build_filename(sub, slice_name, NULL);
    size_t yellow;
    int readable = tsc_test_png_measurement_yellow(png, &yellow) >= 0;
    printf("  %s: %zu measurement-yellow pixels%s\n", png, yellow, readable ? "" : " (unreadable)");
    CHECK(readable && yellow > 200, "the slice report draws no measurement (%zu pixels)", yellow);
    g_free(sub);
    end_lesion_case(&c);
    return 0;
}

static int test_probe_and_scale_bar(void)
{
    LesionCase c;
    int r = start_on_lesion_series(&c);
    if (r) return r;
    Viewer *v = c.v;
    size_t slice;
    tsc_dicom_image *d = NULL;
    if ((r = decode_middle_slice(&c, &slice, &d))) return r;
    int col = d->cols / 2 + 3, row = d->rows / 2 - 5;
    g_autofree char *want = g_strdup_printf("%.1f", d->pixels[(size_t)row * d->cols + col]);
    g_autofree char *want_pos = g_strdup_printf("col %d, row %d", col + 1, row + 1);
    double dx = d->pixel_spacing[1];
    int cols = d->cols;
    c.p.api->image_free(d);

    viewer_action(v, "goto-slice", g_variant_new_int32((gint32)slice));
    viewer_action(v, "tool", g_variant_new_string("probe"));
    viewer_action(v, "probe", g_variant_new("(dd)", col + 0.5, row + 0.5));
    g_autoptr(GKeyFile) kf = viewer_state(v, "probe");
    CHECK(kf, "no state");
    g_autoptr(Shot) shot = viewer_shot(v, "probe");
    CHECK(shot, "no screenshot");
    g_autofree char *text = kf_str(kf, "measurements", "probe");
    printf("  probe: \"%s\" (value %s expected)\n", text, want);
    CHECK(g_str_has_prefix(text, want) && strstr(text, want_pos),
          "the probe says \"%s\", not %s at %s", text, want, want_pos);
    double img[4];
    CHECK(get_rect(kf, "image", img), "no geometry");
    CHECK(count_color(shot, img[0], img[1], img[2], img[3], MEASURE_RGB, 40) > 20,
          "the probe is not drawn");
    /* The scale bar: a round length, drawn at the image's scale. */
    double mm = g_key_file_get_double(kf, "measurements", "scale-bar-mm", NULL);
    double bar = g_key_file_get_double(kf, "measurements", "scale-bar-px", NULL);
    double px_per_mm = img[2] / (cols * dx);
    printf("  scale bar %g mm = %.1f px (%.3f px/mm)\n", mm, bar, px_per_mm);
    CHECK(mm > 0 && fabs(bar - mm * px_per_mm) < 0.01 && bar <= 120 && bar >= 30,
          "scale bar %g mm, %.1f px", mm, bar);
    CHECK(fabs(log10(mm) - round(log10(mm))) < 1e-9 ||
              fabs(log10(mm / 2) - round(log10(mm / 2))) < 1e-9 ||
              fabs(log10(mm / 5) - round(log10(mm / 5))) < 1e-9,
          "%g mm is not a round length", mm);
    /* Another tool: no probe; the scale bar can be hidden. */
    viewer_action(v, "tool", g_variant_new_string("none"));
    viewer_action(v, "show-scale-bar", NULL);
    g_autoptr(GKeyFile) off = viewer_state(v, "no-probe");
    CHECK(off, "no state");
    g_autofree char *gone = kf_str(off, "measurements", "probe");
    CHECK(*gone == 0, "the probe stays with another tool: \"%s\"", gone);
    CHECK(g_key_file_get_double(off, "measurements", "scale-bar-mm", NULL) == 0,
          "the scale bar is still drawn");
    end_lesion_case(&c);
    return 0;
}

static int test_cine_and_invert(void)
{
    LesionCase c;
    int r = start_on_lesion_series(&c);
    if (r) return r;
    Viewer *v = c.v;
    viewer_action(v, "goto-slice", g_variant_new_int32(0));
    g_autoptr(GKeyFile) kf = viewer_state(v, "start");
    CHECK(kf, "no state");
    double img[4];
    CHECK(get_rect(kf, "image", img), "no geometry");
    g_autoptr(Shot) plain = viewer_shot(v, "plain");
    viewer_action(v, "invert", NULL);
    g_autoptr(GKeyFile) inv = viewer_state(v, "inverted");
    g_autoptr(Shot) inverted = viewer_shot(v, "inverted");
    CHECK(plain && inverted && inv, "no screenshots");
    CHECK(g_key_file_get_boolean(inv, "measurements", "invert", NULL), "not inverted in the state");
    double g0 = mid_grey(plain, img), g1 = mid_grey(inverted, img);
    printf("  mean grey %.1f, inverted %.1f\n", g0, g1);
    CHECK(fabs(g0 + g1 - 255) < 3, "inverting gave %.1f from %.1f", g1, g0);
    viewer_action(v, "invert", NULL);

    /* 10 frames a second for about a second, then paused: it stays. */
    viewer_action(v, "cine-fps", g_variant_new_int32(10));
    viewer_action(v, "cine", NULL);
    g_usleep(1200 * 1000);
    viewer_action(v, "cine", NULL);
    g_autoptr(GKeyFile) paused = viewer_state(v, "paused");
    CHECK(paused, "no state");
    int at = g_key_file_get_integer(paused, "series", "slice", NULL);
    printf("  cine at 10 fps for 1.2 s: slice 0 -> %d\n", at);
    CHECK(!g_key_file_get_boolean(paused, "measurements", "cine", NULL),
          "still playing after pause");
    CHECK(g_key_file_get_integer(paused, "measurements", "cine-fps", NULL) == 10, "fps not 10");
    CHECK(at >= 4 && at <= 13, "the cine went from slice 0 to %d in 1.2 s at 10 fps", at);
    g_usleep(500 * 1000);
    g_autoptr(GKeyFile) still = viewer_state(v, "still");
    CHECK(still && g_key_file_get_integer(still, "series", "slice", NULL) == at,
          "it moved while paused");
    /* Playing stops when another c.series is shown. */
    viewer_action(v, "cine", NULL);
    viewer_action(v, "select-series", g_variant_new_int32(c.series == 0 ? 1 : 0));
    g_autoptr(GKeyFile) other = viewer_state(v, "other-series");
    CHECK(other && !g_key_file_get_boolean(other, "measurements", "cine", NULL),
          "the cine plays on another series");
    end_lesion_case(&c);
    return 0;
}

/* Measurement-yellow pixels in a band across (horizontal) or down
 * (vertical) the image at fraction `at` of its height or width. */
static int band_pixels(const Shot *s, const double img[4], gboolean vertical, double at)
{
    if (vertical)
        return count_color(s, img[0] + img[2] * at - 4, img[1], 9, img[3], MEASURE_RGB, 40);
    return count_color(s, img[0], img[1] + img[3] * at - 4, img[2], 9, MEASURE_RGB, 40);
}

static int test_rotate_and_flip(void)
{
    LesionCase c;
    int r = start_on_lesion_series(&c);
    if (r) return r;
    Viewer *v = c.v;
    g_autoptr(GKeyFile) kf = viewer_state(v, "start");
    CHECK(kf, "no state");
    /* A ruler across the image at a fifth of its height. */
    double W = c.si->cols, H = c.si->rows, xy[4] = {0.3 * W, 0.2 * H, 0.7 * W, 0.2 * H};
    viewer_action(
        v, "measure",
        g_variant_new("(s@ad)", "ruler",
                      g_variant_new_fixed_array(G_VARIANT_TYPE_DOUBLE, xy, 4, sizeof(double))));
    static const struct {
        const char *action;
        int param; /* rotate's, or 0 */
        int rotation;
        gboolean flip, vertical;
        double at; /* where the ruler is drawn then */
    } steps[] = {
        {NULL, 0, 0, FALSE, FALSE, 0.2},
        {"rotate", 1, 90, FALSE, TRUE, 0.8}, /* its top is on the right */
        {"flip-horizontal", 0, 270, TRUE, TRUE, 0.2},
        {"flip-vertical", 0, 270, FALSE, TRUE, 0.2},
        {"rotate", -1, 180, FALSE, FALSE, 0.8}, /* upside down */
        {"rotate", 2, 0, FALSE, FALSE, 0.2},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(steps); i++) {
        if (steps[i].action)
            viewer_action(v, steps[i].action,
                          steps[i].param ? g_variant_new_int32(steps[i].param) : NULL);
        g_autofree char *tag = g_strdup_printf("turn-%zu", i);
        g_autoptr(GKeyFile) st = viewer_state(v, tag);
        g_autoptr(Shot) shot = viewer_shot(v, tag);
        double img[4];
        CHECK(st && shot && get_rect(st, "image", img), "no state");
        int rot = g_key_file_get_integer(st, "measurements", "rotation", NULL);
        gboolean flip = g_key_file_get_boolean(st, "measurements", "flip", NULL);
        int here = band_pixels(shot, img, steps[i].vertical, steps[i].at);
        int across = band_pixels(shot, img, !steps[i].vertical, steps[i].at);
        printf("  %s: rotation %d, flip %d; ruler pixels %d in its band, %d across\n",
               steps[i].action ? steps[i].action : "start", rot, flip, here, across);
        CHECK(rot == steps[i].rotation && flip == steps[i].flip, "step %zu: rotation %d flip %d", i,
              rot, flip);
        CHECK(here > 100 && here > 3 * across,
              "step %zu: the ruler is not where the image's turn puts it", i);
    }
    end_lesion_case(&c);
    return 0;
}

static int test_user_window_presets(void)
{
    LesionCase c;
    int r = start_on_lesion_series(&c);
    if (r) return r;
    Viewer *v = c.v;
    viewer_action(v, "window-preset", g_variant_new_string("header"));
    g_autoptr(GKeyFile) header = viewer_state(v, "header");
    CHECK(header, "no state");
    double hc = g_key_file_get_double(header, "geometry", "window-center", NULL);
    double hw = g_key_file_get_double(header, "geometry", "window-width", NULL);
    /* The header's window saved as "Lesion", another shown, then "Lesion" again. */
    viewer_action(v, "save-window-preset", g_variant_new_string("Lesion"));
    viewer_action(v, "window-preset", g_variant_new_string("minmax"));
    g_autoptr(GKeyFile) minmax = viewer_state(v, "minmax");
    CHECK(minmax, "no state");
    double mw = g_key_file_get_double(minmax, "geometry", "window-width", NULL);
    CHECK(fabs(mw - hw) > 1, "min/max and the header's window are the same (%g)", mw);
    g_autofree char *saved = kf_str(minmax, "measurements", "window-presets");
    g_autofree char *want = g_strdup_printf("Lesion:%g:%g", hc, hw);
    printf("  presets \"%s\"\n", saved);
    CHECK(strcmp(saved, want) == 0, "presets \"%s\", not \"%s\"", saved, want);
    CHECK(g_key_file_get_integer(minmax, "measurements", "window-preset-buttons", NULL) == 1,
          "no button for it");
    viewer_action(v, "user-window-preset", g_variant_new_string("Lesion"));
    g_autoptr(GKeyFile) back = viewer_state(v, "user-preset");
    CHECK(back, "no state");
    double bc = g_key_file_get_double(back, "geometry", "window-center", NULL);
    double bw = g_key_file_get_double(back, "geometry", "window-width", NULL);
    CHECK(fabs(bc - hc) < 1e-6 && fabs(bw - hw) < 1e-6, "the preset gave C %g W %g, not C %g W %g",
          bc, bw, hc, hw);
    g_autoptr(Shot) shot = viewer_shot(v, "user-preset");
    CHECK(shot, "no screenshot");
    viewer_action(v, "delete-window-preset", g_variant_new_string("Lesion"));
    g_autoptr(GKeyFile) gone = viewer_state(v, "deleted");
    CHECK(gone, "no state");
    g_autofree char *left = kf_str(gone, "measurements", "window-presets");
    CHECK(*left == 0 &&
              g_key_file_get_integer(gone, "measurements", "window-preset-buttons", NULL) == 0,
          "the preset is still there: \"%s\"", left);
    end_lesion_case(&c);
    return 0;
}

static int test_ruler_drag_measures(void)
{
    Viewer *v = NULL;
    g_autoptr(GKeyFile) a = NULL;
    XInput xi;
    int r = start_input_case(&v, &a, &xi);
    if (r) return r;
    /* Screen pixels per mm, as the scale bar is drawn. */
    double ppm = g_key_file_get_double(a, "measurements", "scale-bar-px", NULL) /
                 g_key_file_get_double(a, "measurements", "scale-bar-mm", NULL);
    double w0 = g_key_file_get_double(a, "geometry", "window-width", NULL);
    double img[4];
    CHECK(get_rect(a, "image", img), "no image geometry");
    double cx = img[0] + img[2] / 2, cy = img[1] + img[3] / 2;
    viewer_action(v, "tool", g_variant_new_string("ruler"));
    xinput_left_drag(&xi, cx - 100, cy, 200, 0);
    viewer_action(v, "tool", g_variant_new_string("ellipse"));
    xinput_left_drag(&xi, cx - 60, cy - 30, 120, 60);
    g_autoptr(GKeyFile) b = viewer_state(v, "drawn");
    CHECK(b, "no state");
    double len = g_key_file_get_double(b, "measurement-1", "length-mm", NULL);
    double area = g_key_file_get_double(b, "measurement-2", "area-mm2", NULL);
    double want_area = G_PI * (60 / ppm) * (30 / ppm);
    printf("  %.3f px/mm: ruler %.2f mm (expected %.2f), ellipse %.1f mm2 (expected %.1f)\n", ppm,
           len, 200 / ppm, area, want_area);
    CHECK(g_key_file_get_integer(b, "measurements", "count", NULL) == 2, "not two measurements");
    CHECK(fabs(len - 200 / ppm) <= 2 / ppm, "the ruler drag measured %.2f mm", len);
    CHECK(fabs(area - want_area) <= want_area * 0.05, "the ellipse drag measured %.1f mm2", area);
    CHECK(g_key_file_get_double(b, "geometry", "window-width", NULL) == w0,
          "a measuring drag changed the window");
    CHECK(!g_key_file_get_boolean(b, "slice", "analysed", NULL),
          "a measuring drag analysed the slice");
    xinput_close(&xi);
    viewer_stop(v);
    return 0;
}

/* A node saved in the settings (GSettings' keyfile backend in the test's
 * home) that retrieves with C-MOVE: its pacs-nodes-move entry is read, the
 * archive moves the study to the viewer's Store SCP on that port, the study
 * opens from the cache, and the port is closed again. */
static int test_pacs_move_retrieve_opens_the_study(void)
{
    g_autofree char *study = NULL;
    int r = sample_study(&study);
    if (r) return r;
    archive_move_port = free_port();
    CHECK(archive_move_port > 0, "no free port");
    Archive a;
    if ((r = archive_start(&a))) return r;
    if ((r = archive_fill(&a, study))) return pacs_case_end(NULL, &a, r);
    g_autofree char *nodes =
        g_strdup_printf("[('Move archive', 'TSCQR', '127.0.0.1', %d, 'TSCVIEWER', 10)]", a.port);
    g_autofree char *move =
        g_strdup_printf("{'Move archive': (true, %d, '127.0.0.1')}", archive_move_port);
    if ((r = save_pacs_nodes(nodes, "pacs-nodes-move", move))) return pacs_case_end(NULL, &a, r);
    g_autofree char *cache = g_build_filename(workdir, "cache", NULL);
    g_autofree char *cache_env = g_strdup_printf("TSC_VIEWER_PACS_CACHE=%s", cache);
    const char *env[] = {"GSETTINGS_BACKEND=keyfile", "TSC_VIEWER_PACS_NODE", cache_env, NULL};
    Viewer *v = viewer_start(NULL, env);
    if (!v) return pacs_case_end(NULL, &a, failf("viewer start"));
    viewer_action(v, "pacs-search", search_fields("Phan", "MR"));
    g_autoptr(GKeyFile) found = wait_pacs_state(v, "searched", "searching", FALSE, 60);
    r = found && g_key_file_get_integer(found, "pacs", "rows", NULL) >= 1
            ? 0
            : failf("the search listed no study");
    if (!r) {
        viewer_action(v, "pacs-retrieve", g_variant_new_int32(0));
        g_autoptr(GKeyFile) done = wait_pacs_state(v, "moved", "dialog", FALSE, 120);
        g_autofree char *err = done ? kf_str(done, "pacs", "error") : g_strdup("no state");
        g_autofree char *row = found ? kf_str(found, "pacs", "row-0") : g_strdup("");
        g_autofree char *folder = g_build_filename(cache, strrchr(row, '|') + 1, NULL);
        int n_cache = count_files(folder);
        printf("  C-MOVE: %d files in the cache (error \"%s\")\n", n_cache, err);
        if (!done || !g_key_file_get_boolean(done, "viewer", "study-loaded", NULL) || n_cache < 1)
            r = failf("the study moved by C-MOVE is not open (%s)", err);
        /* The Store SCP listened only while the retrieve ran. */
        g_autoptr(GSocketClient) c = g_socket_client_new();
        g_autoptr(GSocketConnection) conn =
            g_socket_client_connect_to_host(c, "127.0.0.1", (guint16)archive_move_port, NULL, NULL);
        if (!r && conn) r = failf("our Store SCP still listens on %d", archive_move_port);
    }
    return pacs_case_end(v, &a, r);
}

/* The viewer against Debian's Orthanc, on the helpers above. */
#include "viewer_gui_orthanc.c"
/* The DICOM tag browser. */
#include "viewer_gui_tags.c"
/* Results stored with the study shown as analysed. */
#include "viewer_gui_stored.c"
/* The reader's corrections. */
#include "viewer_gui_edits.c"
/* The prior comparison (with the corrections' EditState). */
#include "viewer_gui_compare.c"

static const struct {
    const char *name;
    int (*fn)(void);
} cases[] = {
    {"viewer_opens_sample_study_on_first_series", test_opens_sample_study},
    {"viewer_overlay_colours_the_lesion_mask", test_overlay_colours_lesion_mask},
    {"viewer_normal_slice_shows_green_no_tumor_label", test_normal_slice_green_label},
    {"viewer_slice_strip_marks_each_analysed_slice", test_slice_strip_marks},
    {"viewer_lists_skipped_files_in_the_window", test_skipped_files_in_info_bar},
    {"viewer_counts_non_dicom_files_quietly", test_non_dicom_files_are_counted_quietly},
    {"viewer_refuses_a_plugin_without_its_abi_version", test_refuses_other_abi},
    {"viewer_exports_reports_outside_the_study", test_export_report},
    {"viewer_cancels_a_series_analysis", test_cancel_series_analysis},
    {"viewer_every_verdict_reads_the_same_in_panel_strip_and_overlay",
     test_every_verdict_reads_the_same},
    {"viewer_out_of_scope_series_says_why_and_forced_results_warn", test_out_of_scope_series},
    {"viewer_another_study_shows_nothing_of_the_first",
     test_another_study_shows_nothing_of_the_first},
    {"viewer_mistyped_path_keeps_the_open_study", test_mistyped_path_keeps_the_study},
    {"viewer_shows_a_stored_seg_as_an_outline_on_its_slices", test_stored_seg_is_outlined},
    {"viewer_compare_followup_shows_matched_new_rows_and_the_cli_category",
     test_compare_followup_shows_the_change_and_the_cli_category},
    {"viewer_compare_study_with_itself_is_all_matched_unchanged_and_stable",
     test_compare_study_with_itself_is_unchanged_and_stable},
    {"viewer_compare_scrolling_one_viewport_moves_the_other_to_the_nearest_position",
     test_compare_scrolling_moves_the_other_to_the_nearest_position},
    {"viewer_compare_refuses_another_patient_until_confirmed",
     test_compare_refuses_another_patient_until_confirmed},
    {"viewer_compare_uses_the_readers_saved_edits", test_compare_uses_the_readers_saved_edits},
    {"viewer_edits_reject_brush_undo_redo_and_restore",
     test_edits_reject_brush_undo_redo_and_restore},
    {"viewer_edits_brush_class_paints_a_no_tumour_slice_off_the_main_thread",
     test_edits_brush_class_paints_a_no_tumour_slice_off_the_main_thread},
    {"viewer_edits_refused_file_is_moved_aside_at_the_next_save",
     test_edits_refused_file_is_moved_aside_at_the_next_save},
    {"viewer_left_drag_sets_window_level_and_a_click_analyses", test_left_drag_sets_window_level},
    {"viewer_keys_navigate_slices_after_the_slider", test_keys_navigate_after_the_slider},
    {"viewer_labels_baseline_methods_for_comparison_only", test_baseline_methods_are_labelled},
    {"viewer_recent_menu_keeps_underscores_and_closes_cleanly",
     test_recent_menu_and_closing_with_the_window_button},
    {"viewer_fits_1280x720_with_folding_panels_and_whole_series_names", test_fits_1280x720},
    {"viewer_keeps_scrolling_300_slices_while_the_series_is_analysed", test_scroll_latency},
    {"viewer_measurements_keep_their_slice_and_values", test_measurements_keep_their_slice},
    {"viewer_export_carries_the_measurements_into_the_reports_and_sr",
     test_export_carries_the_measurements},
    {"viewer_probe_reads_the_value_and_the_scale_bar_its_length", test_probe_and_scale_bar},
    {"viewer_cine_plays_at_its_fps_and_invert_flips_the_grey", test_cine_and_invert},
    {"viewer_rotate_and_flip_turn_the_image_and_its_measurements", test_rotate_and_flip},
    {"viewer_user_window_presets_are_saved_applied_and_deleted", test_user_window_presets},
    {"viewer_measuring_drags_measure_what_they_span", test_ruler_drag_measures},
    {"viewer_pacs_search_retrieve_opens_the_study", test_pacs_search_retrieve_opens_the_study},
    {"viewer_pacs_wrong_port_says_nothing_listens", test_pacs_wrong_port_says_nothing_listens},
    {"viewer_pacs_sends_seg_and_sr_to_the_archive", test_pacs_sends_seg_and_sr_to_the_archive},
    {"viewer_pacs_tls_node_is_trusted_only_with_its_certificate",
     test_pacs_tls_node_is_trusted_only_with_its_certificate},
    {"viewer_pacs_stored_nodes_keep_their_tls_settings",
     test_pacs_stored_nodes_keep_their_tls_settings},
    {"viewer_quits_cleanly_while_a_pacs_search_runs", test_pacs_quit_during_a_search_ends_cleanly},
    {"viewer_pacs_move_retrieve_opens_the_study", test_pacs_move_retrieve_opens_the_study},
    VIEWER_ORTHANC_CASES VIEWER_TAGS_CASES VIEWER_STORED_CASES};

int main(int argc, char **argv)
{
    /* Line-buffered: ctest shows the output even when a sanitizer ends the process. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) printf("%s\n", cases[i].name);
        return 0;
    }
    if (argc != 2) {
        fprintf(stderr, "usage: %s CASE | --list\n", argv[0]);
        return 2;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        if (strcmp(argv[1], cases[i].name) != 0) continue;
        case_name = cases[i].name;
        artefacts = g_strdup(env_or("TSC_VIEWER_ARTEFACTS", "."));
        g_mkdir_with_parents(artefacts, 0755);
        GError *error = NULL;
        workdir = g_dir_make_tmp("tsc-viewer-test-XXXXXX", &error);
        if (!workdir) {
            fprintf(stderr, "%s\n", error->message);
            return 1;
        }
        /* The plugin in this process resolves the default model like the viewer. */
        g_setenv("TSC_MODEL_DIR", env_or("TSC_MODEL_DIR", ""), TRUE);
        gint64 t0 = g_get_monotonic_time();
        /* An earlier run's log must not be read as this run's. */
        g_autofree char *log = viewer_log_path();
        g_remove(log);
        int r = cases[i].fn();
        /* A case that failed early left its viewer running or crashed. */
        if (!viewer_failure) note_viewer_failure(sanitizer_report_in_log());
        if (r != 1 && viewer_failure) r = failf("%s", viewer_failure);
        printf("%s %s (%.1f s; artefacts in %s)\n", r == 0 ? "PASS" : r == SKIP ? "SKIP" : "FAIL", case_name,
               (g_get_monotonic_time() - t0) / 1e6, artefacts);
        if (r != 1) remove_tree(workdir);
        return r;
    }
    fprintf(stderr, "unknown case %s\n", argv[1]);
    return 2;
}
