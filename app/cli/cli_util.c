/* SPDX-License-Identifier: BSD-3-Clause */
#include "cli_util.h"

#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "tsc_io.h"

/* The plugin is loaded at run time, not linked: libgomp (under oneDNN) reads
 * OMP_WAIT_POLICY once, when it is loaded with the plugin, and its default
 * spinning takes the other core from the worker next to it (2x slower at 2
 * threads, docs/ENGINE.md).  So the policy is set first (the user's own
 * setting wins), then the plugin is opened with dlopen, as the Orthanc plugin
 * and tests/abi/minimal_host.c open it. */
/* The plugin next to the binary (bin/../lib in the build tree, or the
 * installed library folder), else wherever the dynamic linker finds it.
 * The folder is spelt out rather than left to the binary's RUNPATH, which a
 * dlopen interceptor (AddressSanitizer's) hides. */
static void *open_plugin(void)
{
    static const char *const dirs[] = {"/../lib/", "/../" TSC_CLI_PLUGIN_LIBDIR "/"};
    char exe[PATH_MAX], path[PATH_MAX + 256];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) *slash = '\0';
        for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
            snprintf(path, sizeof path, "%s%s%s", exe, dirs[i], TSC_CLI_PLUGIN_FILE);
            if (access(path, R_OK) != 0) continue;
            void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
            if (lib) return lib;
        }
    }
    return dlopen(TSC_CLI_PLUGIN_FILE, RTLD_NOW | RTLD_LOCAL);
}

static const tsc_plugin_api *load_plugin(char *why, size_t n)
{
    static const tsc_plugin_api *api;
    static int tried;
    static char reason[512];
    if (!tried) {
        tried = 1;
        if (!getenv("OMP_WAIT_POLICY")) setenv("OMP_WAIT_POLICY", "passive", 1);
        void *lib = open_plugin();
        tsc_plugin_get_api_fn get =
            lib ? (tsc_plugin_get_api_fn)dlsym(lib, "tsc_plugin_get_api") : NULL;
        if (!lib) snprintf(reason, sizeof reason, "cannot load the plugin: %s", dlerror());
        else if (!get)
            snprintf(reason, sizeof reason, "%s exports no tsc_plugin_get_api",
                     TSC_CLI_PLUGIN_FILE);
        else if (!(api = get(TSC_PLUGIN_API_VERSION)))
            snprintf(reason, sizeof reason,
                     "the plugin does not serve ABI version %u that this program needs",
                     TSC_PLUGIN_API_VERSION);
    }
    if (!api && why) snprintf(why, n, "%s", reason);
    return api;
}

const tsc_plugin_api *tsc_cli_plugin_quiet(void)
{
    return load_plugin(NULL, 0);
}

const tsc_plugin_api *tsc_cli_plugin(void)
{
    char why[512];
    const tsc_plugin_api *api = load_plugin(why, sizeof why);
    if (!api) fprintf(stderr, "tumorscope: %s; install a matching libtumorscope-plugin\n", why);
    return api;
}

int tsc_cli_parse_options(const char *cmd, int argc, char **argv, const struct option *options,
                          tsc_cli_option_fn on_option, void *user, const char **operands,
                          size_t *n_operands)
{
    /* ':' first: a missing value is told apart from an unknown option. */
    char shorts[64] = ":";
    size_t ns = 1;
    for (const struct option *o = options; o->name && ns + 3 < sizeof shorts; o++) {
        if (o->flag || o->val <= 0 || o->val > 127 || !isalpha(o->val)) continue;
        shorts[ns++] = (char)o->val;
        if (o->has_arg == required_argument) shorts[ns++] = ':';
    }
    shorts[ns] = '\0';
    *n_operands = 0;
    opterr = 0;
    optind = 0; /* glibc: start afresh (a command may parse more than once in tests) */
    for (;;) {
        int code = getopt_long(argc, argv, shorts, options, NULL);
        if (code == -1) break;
        if (code == '?' || code == ':') {
            const char *bad = argv[optind - 1];
            if (code == ':')
                fprintf(stderr, "tumorscope %s: option '%s' needs a value\n", cmd, bad);
            else fprintf(stderr, "tumorscope %s: unknown option '%s'\n", cmd, bad);
            fprintf(stderr, "(see tumorscope %s --help)\n", cmd);
            return TSC_EXIT_USAGE;
        }
        int rc = on_option(code, optarg, user);
        if (rc != 0) return rc;
    }
    for (int i = optind; i < argc; i++) operands[(*n_operands)++] = argv[i];
    return 0;
}

int tsc_cli_method_from_string(const char *s)
{
    if (!strcmp(s, "cnn")) return TSC_METHOD_CNN;
    if (!strcmp(s, "threshold")) return TSC_METHOD_THRESHOLD;
    if (!strcmp(s, "region-growing")) return TSC_METHOD_REGION_GROWING;
    return -1;
}

int tsc_cli_parse_precision(const char *s)
{
    return !strcmp(s, "fp32") ? 0 : !strcmp(s, "bf16") ? 1 : !strcmp(s, "int8") ? 2 : -1;
}

int tsc_cli_set_precision(const char *s)
{
    if (tsc_cli_parse_precision(s) < 0) return -1;
    return setenv("TSC_PRECISION", s, 1);
}

const char *tsc_cli_get_precision(void)
{
    const char *p = getenv("TSC_PRECISION");
    return p && *p ? p : "manifest";
}

int tsc_cli_mkdir_p(const char *path)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST) return -1;
    struct stat st;
    if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

tsc_status tsc_cli_write_file_atomic(const char *path, const void *data, size_t n, int force,
                                     tsc_error *err)
{
    if (!strcmp(path, "-")) {
        if (fwrite(data, 1, n, stdout) != n || fputc('\n', stdout) == EOF)
            return tsc_error_set(err, TSC_EIO, "cannot write to standard output");
        return TSC_OK;
    }
    if (!force && access(path, F_OK) == 0)
        return tsc_error_set(err, TSC_EEXIST, "%s exists; pass --force to replace it", path);
    /* The same writer as the reports: a hidden ".NAME.XXXXXX" temporary that
     * the DICOM reader ignores, fsync'ed and renamed over the target. */
    tsc_atomic_file *f = NULL;
    tsc_status st = tsc_atomic_file_open(path, &f, err);
    if (st != TSC_OK) return st;
    FILE *fp = tsc_atomic_file_get_stream(f);
    if (fwrite(data, 1, n, fp) != n || fputc('\n', fp) == EOF) {
        int e = errno;
        tsc_atomic_file_abort(f);
        return tsc_error_set(err, TSC_EIO, "%s: write failed: %s", path, strerror(e));
    }
    return tsc_atomic_file_commit(f, err);
}

/* Like realpath(3) for a path whose last components may not exist yet: the
 * longest existing prefix is resolved, the rest appended with "." and ".."
 * handled lexically.  0 on success. */
static int resolve_maybe_missing(const char *path, char *out)
{
    char head[PATH_MAX], real[PATH_MAX], joined[2 * PATH_MAX];
    if (snprintf(head, sizeof head, "%s", path) >= (int)sizeof head) return -1;
    const char *tail = "";
    size_t cut = strlen(head);
    for (;;) {
        if (realpath(cut ? head : ".", real)) break;
        /* Drop the last component and try again. */
        while (cut > 0 && head[cut - 1] == '/') cut--;
        while (cut > 0 && head[cut - 1] != '/') cut--;
        head[cut] = '\0';
        tail = path + cut;
        if (cut == 0 && path[0] == '/') return -1;
    }
    snprintf(joined, sizeof joined, "%s/%s", real, tail);
    /* Normalise: split on '/', drop "." and empty parts, pop on "..". */
    size_t n = 0;
    out[0] = '\0';
    for (char *save = NULL, *c = strtok_r(joined, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
        if (!strcmp(c, ".")) continue;
        if (!strcmp(c, "..")) {
            char *slash = strrchr(out, '/');
            n = slash ? (size_t)(slash - out) : 0;
            out[n] = '\0';
            continue;
        }
        size_t len = strlen(c);
        if (n + len + 2 > PATH_MAX) return -1;
        out[n++] = '/';
        memcpy(out + n, c, len + 1);
        n += len;
    }
    if (!n) strcpy(out, "/");
    return 0;
}

const char *tsc_cli_output_in_inputs(const char *out, const char *const *inputs, size_t n)
{
    char target[PATH_MAX];
    if (resolve_maybe_missing(out, target) != 0) return NULL;
    for (size_t i = 0; i < n; i++) {
        char dir[PATH_MAX];
        struct stat st;
        if (!realpath(inputs[i], dir) || stat(dir, &st) != 0) continue;
        if (!S_ISDIR(st.st_mode)) {
            char *slash = strrchr(dir, '/');
            if (slash && slash != dir) *slash = '\0';
            else if (slash) slash[1] = '\0';
        }
        size_t len = strlen(dir);
        if (!strcmp(dir, "/") || (!strncmp(target, dir, len) && (target[len] == '\0' || target[len] == '/')))
            return inputs[i];
    }
    return NULL;
}

/* Skipped files, grouped by reason: one line per file for real problems,
 * one line per reason with a few examples when many share it (a PACS export
 * folder full of non-DICOM files must not drown the one broken slice). */
void tsc_cli_print_skipped(const tsc_plugin_api *api, const tsc_dicom_index *ix, FILE *f,
                           const char *prefix, const char *indent)
{
    size_t nk = api->study_n_skipped(ix);
    if (!nk) return;
    char *done = calloc(nk, 1);
    if (!done) return;
    if (f == stdout) fprintf(f, "%sSkipped %zu file(s):\n", prefix, nk);
    for (size_t i = 0; i < nk; i++) {
        if (done[i]) continue;
        const tsc_dicom_skipped *k = api->study_get_skipped(ix, i);
        size_t same = 0;
        for (size_t j = i; j < nk; j++)
            if (!done[j] && !strcmp(api->study_get_skipped(ix, j)->reason, k->reason)) same++;
        if (same <= 3) {
            for (size_t j = i; j < nk; j++) {
                const tsc_dicom_skipped *o = api->study_get_skipped(ix, j);
                if (done[j] || strcmp(o->reason, k->reason)) continue;
                fprintf(f, "%s%sskipped %s: %s\n", prefix, indent, o->path, o->reason);
                done[j] = 1;
            }
            continue;
        }
        fprintf(f, "%s%s%zu files skipped: %s (", prefix, indent, same, k->reason);
        size_t shown = 0;
        for (size_t j = i; j < nk; j++) {
            const tsc_dicom_skipped *o = api->study_get_skipped(ix, j);
            if (done[j] || strcmp(o->reason, k->reason)) continue;
            if (shown < 3) fprintf(f, "%s%s", shown ? ", " : "", o->path);
            shown++;
            done[j] = 1;
        }
        fprintf(f, ", ...)\n");
    }
    free(done);
}

void tsc_cli_add_skipped_json(const tsc_plugin_api *api, const tsc_dicom_index *ix, cJSON *root)
{
    cJSON *skipped = cJSON_AddArrayToObject(root, "skipped");
    for (size_t i = 0; i < api->study_n_skipped(ix); i++) {
        const tsc_dicom_skipped *k = api->study_get_skipped(ix, i);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "path", k->path);
        cJSON_AddStringToObject(o, "reason", k->reason);
        cJSON_AddItemToArray(skipped, o);
    }
}
