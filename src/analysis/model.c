/* SPDX-License-Identifier: BSD-3-Clause */
/* Loading a shipped model: manifest, checksum, and a pool of engine
 * instances so that several threads can analyse at once. */
#define _GNU_SOURCE /* sched_getaffinity */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"
#include "model_private.h"
#include "struct_size_private.h"
#include "tsc_nn.h"
#include "tsc_log.h"
#include "tsc_sha256.h"

#ifndef TSC_SOURCE_MODEL_DIR
#define TSC_SOURCE_MODEL_DIR ""
#endif
#ifndef TSC_INSTALL_MODEL_DIR
#define TSC_INSTALL_MODEL_DIR ""
#endif

tsc_model_params tsc_model_default_params(void)
{
    tsc_model_params p;
    memset(&p, 0, sizeof p);
    p.struct_size = sizeof p;
    p.threads = 0;
    p.verify_checksum = 1;
    return p;
}

static int is_dir(const char *p)
{
    struct stat st;
    return p && *p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *tsc_model_default_dir(void)
{
    const char *env = getenv("TSC_MODEL_DIR");
    if (is_dir(env)) return env;
    if (is_dir(TSC_INSTALL_MODEL_DIR)) return TSC_INSTALL_MODEL_DIR;
    if (is_dir(TSC_SOURCE_MODEL_DIR)) return TSC_SOURCE_MODEL_DIR;
    return "resources/models";
}

char *tsc_model_dup_default_manifest(void)
{
    const char *dir = tsc_model_default_dir();
    char path[PATH_MAX];
    /* default.txt names the default manifest; otherwise the alphabetically
     * first manifest in the folder is the default. */
    snprintf(path, sizeof path, "%s/default.txt", dir);
    FILE *f = fopen(path, "r");
    if (f) {
        char name[256] = "";
        if (fgets(name, sizeof name, f)) name[strcspn(name, "\r\n")] = '\0';
        fclose(f);
        if (name[0] && !strchr(name, '/')) {
            snprintf(path, sizeof path, "%s/%s", dir, name);
            if (access(path, R_OK) == 0) return strdup(path);
        }
    }
    DIR *d = opendir(dir);
    if (!d) return NULL;
    char best[256] = "";
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 6 || n >= sizeof best || strcmp(e->d_name + n - 5, ".json") != 0) continue;
        if (!best[0] || strcmp(e->d_name, best) < 0) snprintf(best, sizeof best, "%s", e->d_name);
    }
    closedir(d);
    if (!best[0]) return NULL;
    snprintf(path, sizeof path, "%s/%s", dir, best);
    return strdup(path);
}

static const char *json_str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL;
}

static int json_num(const cJSON *o, const char *key, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v)) return 0;
    *out = v->valuedouble;
    return 1;
}

static int is_precision(const char *s)
{
    return !strcmp(s, "fp32") || !strcmp(s, "bf16") || !strcmp(s, "int8");
}

/* "precision": "fp32" | "bf16" | "int8", or a list of them, preferred first,
 * without repeats (absent or null: fp32). */
static tsc_status parse_precision(const cJSON *j, const char *name, tsc__manifest *m,
                                  tsc_error *err)
{
    m->n_precision = 1;
    snprintf(m->precision[0], sizeof m->precision[0], "fp32");
    if (!j || cJSON_IsNull(j)) return TSC_OK;
    int n = cJSON_IsArray(j) ? cJSON_GetArraySize(j) : 1;
    if (n < 1)
        return tsc_error_set(err, TSC_EFORMAT,
                             "%s: \"precision\" is an empty list; give fp32, bf16 or int8, or a "
                             "list of them",
                             name);
    for (int i = 0; i < n; i++) {
        const cJSON *e = cJSON_IsArray(j) ? cJSON_GetArrayItem(j, i) : j;
        const char *v = cJSON_GetStringValue(e);
        if (!v || !is_precision(v))
            return tsc_error_set(err, TSC_EFORMAT,
                                 "%s: precision \"%s\" is not fp32, bf16 or int8 (a string or a "
                                 "list of them)",
                                 name, v ? v : "(not a string)");
        for (int k = 0; k < i; k++)
            if (!strcmp(m->precision[k], v))
                return tsc_error_set(err, TSC_EFORMAT, "%s: precision \"%s\" is listed twice", name,
                                     v);
        /* Three distinct modes exist, so a fourth entry is a repeat. */
        snprintf(m->precision[i], sizeof m->precision[i], "%s", v);
    }
    m->n_precision = n;
    return TSC_OK;
}

static int precision_available(const tsc__manifest *mf, const char *prec)
{
    if (!strcmp(prec, "bf16")) return tsc_nn_engine_available(TSC_NN_ENGINE_ONEDNN_BF16);
    if (!strcmp(prec, "int8"))
        return mf->n_int8 && tsc_nn_engine_available(TSC_NN_ENGINE_ONEDNN_INT8);
    return 1;
}

/* What a precision needs beyond fp32, for messages. */
static const char *precision_needs(const char *prec)
{
    return !strcmp(prec, "bf16") ? "AVX512_BF16" : "AVX512_VNNI and the manifest's \"int8\" ranges";
}

/* The manifest's first precision this CPU runs (fp32 when none: the last
 * resort, logged at info level), unless $TSC_PRECISION overrides it (hosts
 * and `--precision` set it; tsc_model_params is frozen in the plugin ABI).
 * An override the CPU lacks falls back to fp32 in the engine, with a
 * warning.  Calibration ($TSC_INT8_CALIBRATE) always observes fp32. */
static tsc_status choose_precision(tsc_model *m, tsc_error *err)
{
    const tsc__manifest *mf = &m->manifest;
    char list[32] = "";
    for (int i = 0; i < mf->n_precision; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                 mf->precision[i]);
    const char *env = getenv("TSC_PRECISION");
    if (env && *env && !is_precision(env))
        return tsc_error_set(err, TSC_EINVAL,
                             "TSC_PRECISION is \"%s\"; use fp32, bf16 or int8, or unset it for "
                             "the model's own (%s)",
                             env, list);
    const char *cal = getenv("TSC_INT8_CALIBRATE");
    const char *prec = "fp32";
    if (cal && *cal) {
        snprintf(m->calibrate_out, sizeof m->calibrate_out, "%s", cal);
    } else if (env && *env) {
        prec = env;
    } else {
        char skipped[192] = "";
        for (int i = 0; i < mf->n_precision; i++) {
            if (precision_available(mf, mf->precision[i])) {
                prec = mf->precision[i];
                break;
            }
            snprintf(skipped + strlen(skipped), sizeof skipped - strlen(skipped), "%s%s needs %s",
                     skipped[0] ? "; " : "", mf->precision[i], precision_needs(mf->precision[i]));
        }
        if (skipped[0])
            tsc_log(TSC_LOG_INFO, "model",
                    "model %s: running in %s, not the manifest's first choice (of %s): %s, "
                    "which this CPU (or ONEDNN_MAX_CPU_ISA) or the manifest lacks",
                    mf->name, prec, list, skipped);
    }
    if (!strcmp(prec, "int8") && !m->manifest.n_int8)
        tsc_log(TSC_LOG_WARNING, "model",
                "model %s: int8 was asked for, but the manifest has no \"int8\" block of "
                "calibrated ranges (tumorscope calibrate-int8 makes one); running in fp32",
                m->manifest.name);
    m->bf16 = !strcmp(prec, "bf16");
    m->int8 = !strcmp(prec, "int8") && m->manifest.n_int8;
    return TSC_OK;
}

static uint32_t parse_color(const char *s, uint32_t fallback)
{
    if (!s || s[0] != '#' || strlen(s) != 7) return fallback;
    char *end = NULL;
    unsigned long v = strtoul(s + 1, &end, 16);
    return end && *end == '\0' ? (uint32_t)v : fallback;
}

static char *read_small_file(const char *path, size_t limit, size_t *len, tsc_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        tsc_error_set(err, errno == ENOENT ? TSC_ENOTFOUND : TSC_EIO, "%s: cannot open: %s", path,
                      strerror(errno));
        return NULL;
    }
    char *buf = malloc(limit + 1);
    if (!buf) {
        fclose(f);
        tsc_error_set(err, TSC_ENOMEM, "out of memory reading %s", path);
        return NULL;
    }
    size_t n = fread(buf, 1, limit + 1, f);
    fclose(f);
    if (n > limit) {
        free(buf);
        tsc_error_set(err, TSC_ELIMIT, "%s: larger than %zu bytes; not a model manifest", path, limit);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* Reads the whole ONNX file into memory, up to the engine's size limit. */
static tsc_status read_model_file(const char *path, void **out, size_t *size, tsc_error *err)
{
    *out = NULL;
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return tsc_error_set(err, TSC_EIO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fclose(f);
        return tsc_error_set(err, TSC_EIO, "%s: not a regular file", path);
    }
    size_t limit = tsc_nn_default_params().max_file_bytes;
    if ((uintmax_t)sb.st_size > limit) {
        fclose(f);
        return tsc_error_set(err, TSC_ELIMIT, "%s: the file has %jd bytes, more than the limit of %zu",
                             path, (intmax_t)sb.st_size, limit);
    }
    size_t n = (size_t)sb.st_size;
    unsigned char *buf = malloc(n ? n : 1);
    if (!buf) {
        fclose(f);
        return tsc_error_set(err, TSC_ENOMEM, "out of memory reading %s", path);
    }
    size_t got = fread(buf, 1, n, f);
    /* A file that grows while being read is not the file that was sized. */
    int bad = ferror(f) || got != n || fgetc(f) != EOF;
    fclose(f);
    if (bad) {
        free(buf);
        return tsc_error_set(err, TSC_EIO, "%s: read error (the file changed while being read?)",
                             path);
    }
    *out = buf;
    *size = n;
    return TSC_OK;
}

/* The manifest's "scope" block (docs/MODEL_CARD.md, docs/RESULT_FORMAT.md):
 *   "scope": {"modalities": ["MR"], "planes": ["axial"],
 *             "sequences": ["T1", "T1 post-contrast", "T2", "FLAIR"],
 *             "max_oblique_deg": 25, "pixel_spacing_mm": [0.2, 2.0], "min_matrix": 128} */
static tsc_status parse_scope(const cJSON *sc, const char *name, tsc__scope *out, tsc_error *err)
{
    memset(out, 0, sizeof *out);
    out->max_oblique_deg = 25;
    out->pixel_spacing_mm[0] = 0;
    out->pixel_spacing_mm[1] = 1e9;
    if (!sc) return TSC_OK;
    if (!cJSON_IsObject(sc))
        return tsc_error_set(err, TSC_EFORMAT, "%s: \"scope\" must be an object", name);
    out->declared = 1;
    static const char *const lists[] = {"modalities", "planes", "sequences"};
    for (int l = 0; l < 3; l++) {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(sc, lists[l]);
        if (!a) continue;
        int n = cJSON_GetArraySize(a);
        if (!cJSON_IsArray(a) || n > TSC__SCOPE_MAX)
            return tsc_error_set(err, TSC_EFORMAT, "%s: scope.%s must be a list of at most %d names",
                                 name, lists[l], TSC__SCOPE_MAX);
        for (int i = 0; i < n; i++) {
            const cJSON *it = cJSON_GetArrayItem(a, i);
            const char *v = cJSON_IsString(it) ? it->valuestring : NULL;
            if (!v || strlen(v) >= sizeof out->sequences[0])
                return tsc_error_set(err, TSC_EFORMAT, "%s: scope.%s[%d] is not a short name", name,
                                     lists[l], i);
            if (l == 0) {
                if (strlen(v) >= sizeof out->modalities[0])
                    return tsc_error_set(err, TSC_EFORMAT, "%s: scope.modalities[%d] is too long",
                                         name, i);
                snprintf(out->modalities[out->n_modalities++], sizeof out->modalities[0], "%s", v);
            } else if (l == 1) {
                tsc_plane p = TSC_PLANE_UNKNOWN;
                for (int q = TSC_PLANE_AXIAL; q <= TSC_PLANE_OBLIQUE; q++)
                    if (!strcmp(v, tsc_plane_to_string((tsc_plane)q))) p = (tsc_plane)q;
                if (p == TSC_PLANE_UNKNOWN)
                    return tsc_error_set(err, TSC_EFORMAT,
                                         "%s: scope.planes[%d] \"%s\" is not axial, coronal, "
                                         "sagittal or oblique",
                                         name, i, v);
                out->planes[out->n_planes++] = p;
            } else {
                snprintf(out->sequences[out->n_sequences++], sizeof out->sequences[0], "%s", v);
            }
        }
    }
    double v;
    if (json_num(sc, "max_oblique_deg", &v)) {
        if (!(v >= 0 && v <= 45))
            return tsc_error_set(err, TSC_EFORMAT, "%s: scope.max_oblique_deg must be 0..45", name);
        out->max_oblique_deg = v;
    }
    const cJSON *ps = cJSON_GetObjectItemCaseSensitive(sc, "pixel_spacing_mm");
    if (ps) {
        const cJSON *a = cJSON_GetArrayItem(ps, 0), *b = cJSON_GetArrayItem(ps, 1);
        if (!cJSON_IsArray(ps) || cJSON_GetArraySize(ps) != 2 || !cJSON_IsNumber(a) ||
            !cJSON_IsNumber(b) || !(a->valuedouble >= 0 && b->valuedouble > a->valuedouble))
            return tsc_error_set(err, TSC_EFORMAT,
                                 "%s: scope.pixel_spacing_mm must be [min, max] in mm", name);
        out->pixel_spacing_mm[0] = a->valuedouble;
        out->pixel_spacing_mm[1] = b->valuedouble;
    }
    if (json_num(sc, "min_matrix", &v)) {
        if (!(v >= 0 && v <= 4096))
            return tsc_error_set(err, TSC_EFORMAT, "%s: scope.min_matrix must be 0..4096", name);
        out->min_matrix = (int)v;
    }
    return TSC_OK;
}

tsc_status tsc__manifest_parse(const char *text, size_t len, const char *name, tsc__manifest *m,
                               tsc_error *err)
{
    memset(m, 0, sizeof *m);
    cJSON *root = cJSON_ParseWithLength(text, len);
    if (!root || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return tsc_error_set(err, TSC_EFORMAT, "%s: not valid JSON", name);
    }
    tsc_status st = TSC_OK;
    double v = 0;
    if (!json_num(root, "format_version", &v) || v != 1) {
        st = tsc_error_set(err, TSC_EVERSION,
                           "%s: manifest format_version is not 1; this tumorscope reads version 1",
                           name);
        goto out;
    }
    const char *s;
    if (!(s = json_str(root, "name")) || strlen(s) >= sizeof m->name) {
        st = tsc_error_set(err, TSC_EFORMAT, "%s: missing or too long \"name\"", name);
        goto out;
    }
    snprintf(m->name, sizeof m->name, "%s", s);
    snprintf(m->version, sizeof m->version, "%s", (s = json_str(root, "version")) ? s : "");
    if (!(s = json_str(root, "onnx")) || strlen(s) >= sizeof m->onnx || strchr(s, '/')) {
        st = tsc_error_set(err, TSC_EFORMAT,
                           "%s: \"onnx\" must name the model file next to the manifest", name);
        goto out;
    }
    snprintf(m->onnx, sizeof m->onnx, "%s", s);
    if (!(s = json_str(root, "sha256")) || strlen(s) != 64) {
        st = tsc_error_set(err, TSC_EFORMAT, "%s: \"sha256\" must be 64 hex digits", name);
        goto out;
    }
    snprintf(m->sha256, sizeof m->sha256, "%s", s);
    for (char *p = m->sha256; *p; p++)
        if (*p >= 'A' && *p <= 'F') *p = (char)(*p - 'A' + 'a');

    const cJSON *pre = cJSON_GetObjectItemCaseSensitive(root, "preprocessing");
    if (!cJSON_IsObject(pre) || !(s = json_str(pre, "rule")) || strcmp(s, "tsc-v1") != 0) {
        st = tsc_error_set(err, TSC_EVERSION,
                           "%s: preprocessing rule is not \"tsc-v1\"; this tumorscope implements "
                           "only tsc-v1 (docs/PREPROCESSING.md)",
                           name);
        goto out;
    }
    if (!json_num(pre, "input_size", &v) || v < 16 || v > 1024 || v != (int)v) {
        st = tsc_error_set(err, TSC_EFORMAT, "%s: preprocessing.input_size must be 16..1024", name);
        goto out;
    }
    m->input_size = (int)v;

    const cJSON *outs = cJSON_GetObjectItemCaseSensitive(root, "outputs");
    snprintf(m->seg_output, sizeof m->seg_output, "%s",
             (s = json_str(outs, "segmentation")) ? s : "seg_logits");
    snprintf(m->cls_output, sizeof m->cls_output, "%s",
             (s = json_str(outs, "classification")) ? s : "class_logits");
    snprintf(m->ood_output, sizeof m->ood_output, "%s", (s = json_str(outs, "ood")) ? s : "");

    const cJSON *classes = cJSON_GetObjectItemCaseSensitive(root, "classes");
    int nc = cJSON_GetArraySize(classes);
    if (!cJSON_IsArray(classes) || nc < 2 || nc > TSC__MAX_CLASSES) {
        st = tsc_error_set(err, TSC_EFORMAT, "%s: \"classes\" must list 2..%d classes", name,
                           TSC__MAX_CLASSES);
        goto out;
    }
    m->n_classes = (size_t)nc;
    m->no_tumor = (size_t)-1;
    for (int i = 0; i < nc; i++) {
        const cJSON *c = cJSON_GetArrayItem(classes, i);
        const char *cn = json_str(c, "name");
        if (!cn || strlen(cn) >= sizeof m->classes[i].name) {
            st = tsc_error_set(err, TSC_EFORMAT, "%s: class %d has no name", name, i);
            goto out;
        }
        snprintf(m->classes[i].name, sizeof m->classes[i].name, "%s", cn);
        const char *disp = json_str(c, "display");
        snprintf(m->classes[i].display, sizeof m->classes[i].display, "%s", disp ? disp : cn);
        m->classes[i].color = parse_color(json_str(c, "color"), 0xE69F00);
        if (!strcmp(cn, "no_tumor")) m->no_tumor = (size_t)i;
    }
    if (m->no_tumor == (size_t)-1) {
        st = tsc_error_set(err, TSC_EFORMAT, "%s: no class named \"no_tumor\"", name);
        goto out;
    }
    if ((st = parse_precision(cJSON_GetObjectItemCaseSensitive(root, "precision"), name, m, err)) !=
        TSC_OK)
        goto out;
    st = tsc__manifest_parse_int8(cJSON_GetObjectItemCaseSensitive(root, "int8"), name, m, err);
    if (st != TSC_OK) goto out;
    /* Images per network run where the network's batch axis is symbolic;
     * 1 (the default) where batching did not pay when measured
     * (docs/ENGINE.md, "Series throughput"). */
    double batch = 1;
    json_num(root, "batch", &batch);
    if (!(batch >= 1 && batch <= 64 && batch == floor(batch))) {
        st = tsc_error_set(err, TSC_EFORMAT, "%s: batch %g is not a whole number from 1 to 64",
                           name, batch);
        goto out;
    }
    m->batch = (int)batch;
    m->temperature = 1.0;
    json_num(root, "temperature", &m->temperature);
    if (!(m->temperature > 0.05 && m->temperature < 20)) {
        st = tsc_error_set(err, TSC_EFORMAT, "%s: temperature %g is out of range", name,
                           m->temperature);
        goto out;
    }
    const cJSON *th = cJSON_GetObjectItemCaseSensitive(root, "thresholds");
    m->mask_probability = 0.5;
    m->tumor_probability = 0.5;
    m->min_tumor_area_px = 0;
    m->min_confidence = 0.6;
    json_num(th, "mask_probability", &m->mask_probability);
    json_num(th, "tumor_probability", &m->tumor_probability);
    json_num(th, "min_tumor_area_px", &m->min_tumor_area_px);
    json_num(th, "min_confidence", &m->min_confidence);
    if (!(m->mask_probability > 0 && m->mask_probability < 1) ||
        !(m->tumor_probability > 0 && m->tumor_probability < 1) ||
        !(m->min_confidence >= 0 && m->min_confidence < 1) || m->min_tumor_area_px < 0) {
        st = tsc_error_set(err, TSC_EFORMAT, "%s: thresholds out of range", name);
        goto out;
    }
    m->min_head_area_mm2 = 4000;
    m->max_head_cut_fraction = 0.35;
    json_num(th, "min_head_area_mm2", &m->min_head_area_mm2);
    json_num(th, "max_head_cut_fraction", &m->max_head_cut_fraction);
    m->vertex_area_fraction = 0.55;
    json_num(th, "vertex_area_fraction", &m->vertex_area_fraction);
    if (!(m->min_head_area_mm2 >= 0 && m->min_head_area_mm2 < 1e6) ||
        !(m->max_head_cut_fraction > 0 && m->max_head_cut_fraction <= 1) ||
        !(m->vertex_area_fraction >= 0 && m->vertex_area_fraction < 1)) {
        st = tsc_error_set(err, TSC_EFORMAT,
                           "%s: thresholds.min_head_area_mm2 / max_head_cut_fraction out of range",
                           name);
        goto out;
    }
    m->ood_threshold = NAN;
    const cJSON *ood = cJSON_GetObjectItemCaseSensitive(root, "ood");
    if (ood && !json_num(ood, "threshold", &m->ood_threshold)) {
        st = tsc_error_set(err, TSC_EFORMAT, "%s: \"ood\" needs a numeric \"threshold\"", name);
        goto out;
    }
    if (ood && !m->ood_output[0]) {
        st = tsc_error_set(err, TSC_EFORMAT,
                           "%s: \"ood\" is set but \"outputs\" names no \"ood\" output of the "
                           "network",
                           name);
        goto out;
    }
    st = parse_scope(cJSON_GetObjectItemCaseSensitive(root, "scope"), name, &m->scope, err);
out:
    cJSON_Delete(root);
    return st;
}

int tsc__usable_cpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
    long c = sysconf(_SC_NPROCESSORS_ONLN);
    return c > 0 ? (int)c : 1;
}

/* The engines a click with flip TTA (the default) runs on. */
static tsc_status make_click_engines(tsc_model *m, tsc_error *err)
{
    int threads;
    const int n = tsc__model_click_engines(m, 2, &threads);
    tsc__engine *e[2] = {NULL, NULL};
    tsc_status st = TSC_OK;
    for (int i = 0; i < n && st == TSC_OK; i++)
        st = tsc__engine_acquire_for(m, 1, threads, &e[i], err);
    tsc__engine_release(m, e[0]);
    tsc__engine_release(m, e[1]);
    return st;
}

tsc_status tsc_model_load(const char *manifest_path, const tsc_model_params *params,
                          tsc_model **out, tsc_error *err)
{
    TSC_ASSERT(out);
    *out = NULL;
    tsc_error_clear(err);
    tsc_model_params p = tsc_model_default_params();
    TSC__PARAMS_COPY(&p, params);
    char *owned = NULL;
    if (!manifest_path) {
        owned = tsc_model_dup_default_manifest();
        if (!owned)
            return tsc_error_set(err, TSC_ENOTFOUND,
                                 "no model found in %s; set TSC_MODEL_DIR to the folder holding "
                                 "the model manifest (.json) and its .onnx file",
                                 tsc_model_default_dir());
        manifest_path = owned;
    }
    size_t len = 0;
    char *text = read_small_file(manifest_path, 1 << 20, &len, err);
    if (!text) {
        free(owned);
        return err ? err->status : TSC_EIO;
    }
    tsc_model *m = calloc(1, sizeof *m);
    if (!m) {
        free(text);
        free(owned);
        return tsc_error_set(err, TSC_ENOMEM, "out of memory loading the model");
    }
    const char *base = strrchr(manifest_path, '/');
    base = base ? base + 1 : manifest_path;
    tsc_status st = tsc__manifest_parse(text, len, base, &m->manifest, err);
    free(text);
    if (st != TSC_OK) goto fail;
    /* The ONNX file lives next to the manifest. */
    size_t dirlen = (size_t)(base - manifest_path);
    snprintf(m->onnx_path, sizeof m->onnx_path, "%.*s%s", (int)dirlen, manifest_path,
             m->manifest.onnx);
    /* Read once: the bytes hashed here are the bytes every engine runs. */
    st = read_model_file(m->onnx_path, &m->onnx_bytes, &m->onnx_size, err);
    if (st != TSC_OK) {
        tsc_error_prefix(err, "model %s", m->manifest.name);
        goto fail;
    }
    char hex[65];
    tsc_sha256_ctx ctx;
    uint8_t digest[32];
    tsc_sha256_init(&ctx);
    tsc_sha256_update(&ctx, m->onnx_bytes, m->onnx_size);
    tsc_sha256_final(&ctx, digest);
    tsc_sha256_hex(digest, hex);
    if (p.verify_checksum && strcmp(hex, m->manifest.sha256) != 0) {
        st = tsc_error_set(err, TSC_ECHECKSUM,
                           "model file %s does not match its manifest (SHA-256 %.12s..., expected "
                           "%.12s...); the file is damaged or was replaced: reinstall the model",
                           m->manifest.onnx, hex, m->manifest.sha256);
        goto fail;
    }
    memcpy(m->sha256, hex, sizeof hex);
    m->cores = p.threads > 0 ? p.threads : tsc__usable_cpus();
    if ((st = choose_precision(m, err)) != TSC_OK) goto fail;
    pthread_mutex_init(&m->lock, NULL);
    pthread_cond_init(&m->released, NULL);
    m->lock_init = 1;
    /* Make the engines a click runs on now, so that a bad model fails here
     * and the first click does not wait for them. */
    st = make_click_engines(m, err);
    if (st != TSC_OK) goto fail;
    m->precision = tsc__engine_get_precision(m->engines[0]);
    free(owned);
    *out = m;
    return TSC_OK;
fail:
    free(owned);
    tsc_model_free(m);
    return st;
}

void tsc_model_free(tsc_model *m)
{
    if (!m) return;
    if (m->calibrate_out[0]) tsc__model_write_calibration(m);
    for (size_t i = 0; i < m->n_engines; i++) tsc__engine_free(m->engines[i]);
    if (m->lock_init) {
        pthread_mutex_destroy(&m->lock);
        pthread_cond_destroy(&m->released);
    }
    free(m->onnx_bytes);
    free(m->calib);
    free(m);
}

int tsc__model_click_engines(const tsc_model *m, size_t images, int *threads)
{
    const int n = images >= 2 && m->cores >= 2 ? 2 : 1;
    *threads = m->cores / n > 1 ? m->cores / n : 1;
    return n;
}

tsc_status tsc__engine_acquire(tsc_model *m, tsc__engine **out, tsc_error *err)
{
    return tsc__engine_acquire_for(m, 1, m->cores, out, err);
}

/* The pool's slot for an engine of (batch, threads), marked busy, with m->lock
 * held: an idle match (*ready = 1), else an empty or new slot, else the slot
 * of an idle engine of another kind (its engine moved to *evict, for the
 * caller to free outside the lock); -1 when every slot is busy. */
static int take_slot(tsc_model *m, int batch, int threads, int *ready, tsc__engine **evict)
{
    *ready = 0;
    *evict = NULL;
    for (size_t i = 0; i < m->n_engines; i++)
        if (!m->busy[i] && m->engines[i] && tsc__engine_matches(m->engines[i], batch, threads)) {
            m->busy[i] = 1;
            *ready = 1;
            return (int)i;
        }
    size_t slot = m->n_engines;
    for (size_t i = 0; i < m->n_engines; i++)
        if (!m->busy[i] && !m->engines[i]) {
            slot = i;
            break;
        }
    if (slot == TSC__MAX_ENGINES) {
        /* Full: replace an idle engine of another batch or thread count
         * rather than refuse (the click's engines on many cores, a batched
         * series' engines). */
        for (size_t i = 0; i < m->n_engines && slot == TSC__MAX_ENGINES; i++)
            if (!m->busy[i]) slot = i;
        if (slot == TSC__MAX_ENGINES) return -1;
        *evict = m->engines[slot];
        tsc__model_keep_calibration(m, *evict);
    }
    if (slot == m->n_engines) m->n_engines++;
    m->busy[slot] = 1;
    m->engines[slot] = NULL;
    return (int)slot;
}

static tsc_status acquire(tsc_model *m, int batch, int threads, int wait, tsc__engine **out,
                          tsc_error *err)
{
    *out = NULL;
    int ready;
    tsc__engine *evict;
    pthread_mutex_lock(&m->lock);
    int slot;
    while ((slot = take_slot(m, batch, threads, &ready, &evict)) < 0 && wait)
        pthread_cond_wait(&m->released, &m->lock);
    if (slot < 0) {
        pthread_mutex_unlock(&m->lock);
        return tsc_error_set(err, TSC_ELIMIT, "all %d engines of the model are busy",
                             TSC__MAX_ENGINES);
    }
    if (ready) {
        *out = m->engines[slot];
        pthread_mutex_unlock(&m->lock);
        return TSC_OK;
    }
    pthread_mutex_unlock(&m->lock);
    /* Freeing and loading take a while; do it outside the lock (the slot
     * is busy, so nobody else takes it meanwhile). */
    tsc__engine_free(evict);
    tsc__engine *e = NULL;
    tsc_status st = tsc__engine_new(m, batch, threads, &e, err);
    pthread_mutex_lock(&m->lock);
    if (st != TSC_OK) {
        /* Give the slot back empty: no acquire hands out a NULL engine, and
         * the next one that needs an engine tries this slot again.  Empty
         * slots at the end are dropped. */
        m->busy[slot] = 0;
        while (m->n_engines > 0 && !m->engines[m->n_engines - 1] && !m->busy[m->n_engines - 1])
            m->n_engines--;
        pthread_cond_broadcast(&m->released);
        pthread_mutex_unlock(&m->lock);
        return st;
    }
    m->engines[slot] = e;
    pthread_mutex_unlock(&m->lock);
    *out = e;
    return TSC_OK;
}

tsc_status tsc__engine_acquire_for(tsc_model *m, int batch, int threads, tsc__engine **out,
                                   tsc_error *err)
{
    return acquire(m, batch, threads, 1, out, err);
}

tsc_status tsc__engine_try_acquire_for(tsc_model *m, int batch, int threads, tsc__engine **out,
                                       tsc_error *err)
{
    return acquire(m, batch, threads, 0, out, err);
}

void tsc__engine_release(tsc_model *m, tsc__engine *e)
{
    if (!e) return;
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < m->n_engines; i++)
        if (m->engines[i] == e) m->busy[i] = 0;
    pthread_cond_broadcast(&m->released);
    pthread_mutex_unlock(&m->lock);
}

const char *tsc_model_get_name(const tsc_model *m) { return m->manifest.name; }
const char *tsc_model_get_version(const tsc_model *m) { return m->manifest.version; }
const char *tsc_model_get_sha256(const tsc_model *m) { return m->sha256; }
const char *tsc_model_get_precision(const tsc_model *m)
{
    return m->precision;
}
int tsc_model_get_input_size(const tsc_model *m) { return m->manifest.input_size; }
size_t tsc_model_n_classes(const tsc_model *m) { return m->manifest.n_classes; }
size_t tsc_model_get_no_tumor_class(const tsc_model *m) { return m->manifest.no_tumor; }

const char *tsc_model_get_class_name(const tsc_model *m, size_t i)
{
    TSC_ASSERT(i < m->manifest.n_classes);
    return m->manifest.classes[i].name;
}

const char *tsc_model_get_class_display(const tsc_model *m, size_t i)
{
    TSC_ASSERT(i < m->manifest.n_classes);
    return m->manifest.classes[i].display;
}

uint32_t tsc_model_get_class_color(const tsc_model *m, size_t i)
{
    TSC_ASSERT(i < m->manifest.n_classes);
    return m->manifest.classes[i].color;
}
