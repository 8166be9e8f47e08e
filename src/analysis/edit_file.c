/* SPDX-License-Identifier: BSD-3-Clause */
/* The edits file: a reader's corrections saved beside the exports, keyed by
 * the series' UIDs and each stroke's SOP instance (docs/RESULT_FORMAT.md). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model_private.h"
#include "struct_size_private.h"
#include "tsc_edit.h"
#include "tsc_io.h"
#include "tsc_sha256.h"

#define EDITS_FORMAT "tumorscope-edits"
#define EDITS_VERSION 1
#define EDITS_MAX_BYTES (64u << 20)

/* One edit as read: the slice by SOP instance and frame, the class by name
 * or index, resolved against the series as opened now. */
typedef struct file_edit {
    tsc_edit edit;
    char *sop_uid;
    int frame;
    char *label_name; /* painted class by name; NULL: by index (edit.label) */
    char *reason;
    tsc_point *points;
} file_edit;

struct tsc_edit_file {
    tsc_edit_file_info info;
    char *strings[7]; /* owned behind info */
    file_edit *edits;
    size_t n_edits;
    const tsc_edit **resolved;
};

char *tsc_edit_file_name(const char *study_uid, const char *series_uid, char *buf, size_t size)
{
    TSC_ASSERT(buf && size);
    tsc_sha256_ctx ctx;
    tsc_sha256_init(&ctx);
    const char *s = study_uid ? study_uid : "", *t = series_uid ? series_uid : "";
    /* The NUL separates the two, so that ("1.2", "3") and ("1", "2.3") differ. */
    tsc_sha256_update(&ctx, s, strlen(s) + 1);
    tsc_sha256_update(&ctx, t, strlen(t));
    uint8_t digest[32];
    char hex[65];
    tsc_sha256_final(&ctx, digest);
    tsc_sha256_hex(digest, hex);
    snprintf(buf, size, "tumorscope-edits-%.16s.json", hex);
    return buf;
}

static const char *kind_name(int kind)
{
    return kind == TSC_EDIT_REJECT   ? "reject"
           : kind == TSC_EDIT_ACCEPT ? "accept"
           : kind == TSC_EDIT_ERASE  ? "erase"
                                     : "paint";
}

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

tsc_status tsc_edit_file_save(const char *path, const tsc_edit_file_info *info,
                              const tsc_model *model, const tsc_edit *const *edits, size_t n_edits,
                              const char *const *slice_uids, const int *slice_frames,
                              size_t n_slices, tsc_error *err)
{
    TSC_ASSERT(path && info && (edits || !n_edits) && (slice_uids || !n_slices));
    tsc_error_clear(err);
    tsc_edit_file_info in;
    memset(&in, 0, sizeof in);
    TSC__PARAMS_COPY(&in, info);
    char now[32];
    if (!in.saved_at || !in.saved_at[0]) {
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
        in.saved_at = now;
    }
    cJSON *root = cJSON_CreateObject(), *list = NULL;
    if (!root) return tsc_error_set(err, TSC_ENOMEM, "%s: out of memory", path);
    cJSON_AddStringToObject(root, "format", EDITS_FORMAT);
    cJSON_AddNumberToObject(root, "version", EDITS_VERSION);
    cJSON_AddStringToObject(root, "study_instance_uid", or_empty(in.study_uid));
    cJSON_AddStringToObject(root, "series_instance_uid", or_empty(in.series_uid));
    cJSON *made = cJSON_AddObjectToObject(root, "made_on");
    if (made) {
        cJSON_AddStringToObject(made, "method", or_empty(in.method));
        cJSON_AddStringToObject(made, "model", or_empty(in.model));
        cJSON_AddStringToObject(made, "model_sha256", or_empty(in.model_sha256));
    }
    cJSON_AddStringToObject(root, "editor", or_empty(in.editor));
    cJSON_AddStringToObject(root, "saved_at", in.saved_at);
    list = cJSON_AddArrayToObject(root, "edits");
    tsc_status st = TSC_OK;
    for (size_t i = 0; i < n_edits && list; i++) {
        tsc_edit e = tsc_edit_default();
        TSC__PARAMS_COPY(&e, edits[i]);
        cJSON *o = cJSON_CreateObject();
        if (!o) break;
        cJSON_AddItemToArray(list, o);
        cJSON_AddStringToObject(o, "kind", kind_name(e.kind));
        if (e.kind == TSC_EDIT_REJECT || e.kind == TSC_EDIT_ACCEPT) {
            /* Numbered from 1, as the JSON result and the reports number lesions. */
            cJSON_AddNumberToObject(o, "lesion_number", (double)e.lesion + 1);
            if (e.kind == TSC_EDIT_REJECT) cJSON_AddStringToObject(o, "reason", or_empty(e.reason));
            continue;
        }
        if (e.slice >= n_slices) {
            st =
                tsc_error_set(err, TSC_EINVAL,
                              "%s: edit %zu strokes slice %zu of a %zu-slice series; nothing saved",
                              path, i, e.slice, n_slices);
            break;
        }
        cJSON_AddNumberToObject(o, "slice", (double)e.slice);
        cJSON_AddStringToObject(o, "sop_instance_uid", or_empty(slice_uids[e.slice]));
        cJSON_AddNumberToObject(o, "frame", slice_frames ? slice_frames[e.slice] : 0);
        cJSON_AddNumberToObject(o, "radius_mm", e.radius_mm);
        if (e.kind == TSC_EDIT_PAINT && e.label != (size_t)-1) {
            if (model && e.label < tsc_model_n_classes(model))
                cJSON_AddStringToObject(o, "class", tsc_model_get_class_name(model, e.label));
            else cJSON_AddNumberToObject(o, "class_index", (double)e.label);
        }
        cJSON *pts = cJSON_AddArrayToObject(o, "points");
        for (size_t p = 0; pts && p < e.n_points; p++) {
            double xy[2] = {e.points[p].x, e.points[p].y};
            cJSON_AddItemToArray(pts, cJSON_CreateDoubleArray(xy, 2));
        }
    }
    char *text = st == TSC_OK ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    if (st != TSC_OK) return st;
    if (!text) return tsc_error_set(err, TSC_ENOMEM, "%s: out of memory", path);
    tsc_atomic_file *f = NULL;
    st = tsc_atomic_file_open(path, &f, err);
    if (st == TSC_OK) {
        FILE *fp = tsc_atomic_file_get_stream(f);
        if (fputs(text, fp) < 0 || fputc('\n', fp) == EOF) {
            tsc_atomic_file_abort(f);
            st = tsc_error_set(err, TSC_EIO, "%s: cannot write the edits: %s", path,
                               strerror(errno));
        } else {
            st = tsc_atomic_file_commit(f, err);
        }
    }
    free(text);
    return st;
}

static void free_edits(tsc_edit_file *f)
{
    for (size_t i = 0; i < f->n_edits; i++) {
        free(f->edits[i].sop_uid);
        free(f->edits[i].label_name);
        free(f->edits[i].reason);
        free(f->edits[i].points);
    }
    free(f->edits);
}

void tsc_edit_file_free(tsc_edit_file *f)
{
    if (!f) return;
    for (size_t i = 0; i < sizeof f->strings / sizeof *f->strings; i++) free(f->strings[i]);
    free_edits(f);
    free(f->resolved);
    free(f);
}

static char *dup_json_string(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    const char *s = cJSON_IsString(v) && v->valuestring ? v->valuestring : "";
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* A non-negative integer member; -1 when missing or not one. */
static double index_of(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble != floor(v->valuedouble) ||
        v->valuedouble > 1e15)
        return -1;
    return v->valuedouble;
}

static tsc_status read_edit(const char *path, size_t i, const cJSON *o, file_edit *fe,
                            tsc_error *err)
{
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(o, "kind");
    const char *k = cJSON_IsString(kind) ? kind->valuestring : "";
    fe->edit = tsc_edit_default();
    if (!strcmp(k, "reject") || !strcmp(k, "accept")) {
        fe->edit.kind = strcmp(k, "accept") ? TSC_EDIT_REJECT : TSC_EDIT_ACCEPT;
        double number = index_of(o, "lesion_number");
        if (number < 1)
            return tsc_error_set(err, TSC_EFORMAT,
                                 "%s: edit %zu names no lesion (\"lesion_number\" from 1)", path,
                                 i);
        fe->edit.lesion = (size_t)number - 1;
        if (!(fe->reason = dup_json_string(o, "reason")))
            return tsc_error_set(err, TSC_ENOMEM, "%s: out of memory", path);
        fe->edit.reason = fe->reason;
        return TSC_OK;
    }
    if (strcmp(k, "paint") && strcmp(k, "erase"))
        return tsc_error_set(
            err, TSC_EFORMAT,
            "%s: edit %zu has kind \"%s\"; expected reject, accept, paint or erase", path, i, k);
    fe->edit.kind = strcmp(k, "paint") ? TSC_EDIT_ERASE : TSC_EDIT_PAINT;
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(o, "radius_mm");
    const cJSON *pts = cJSON_GetObjectItemCaseSensitive(o, "points");
    double slice = index_of(o, "slice"), frame = index_of(o, "frame");
    if (frame > INT_MAX)
        return tsc_error_set(err, TSC_EFORMAT, "%s: edit %zu (%s) names frame %.0f, out of range",
                             path, i, k, frame);
    if (!cJSON_IsNumber(r) || !cJSON_IsArray(pts) || slice < 0)
        return tsc_error_set(err, TSC_EFORMAT,
                             "%s: edit %zu (%s) needs slice, radius_mm and points", path, i, k);
    fe->edit.slice = (size_t)slice;
    fe->frame = frame < 0 ? 0 : (int)frame;
    fe->edit.radius_mm = r->valuedouble;
    if (!(fe->sop_uid = dup_json_string(o, "sop_instance_uid")))
        return tsc_error_set(err, TSC_ENOMEM, "%s: out of memory", path);
    const cJSON *cls = cJSON_GetObjectItemCaseSensitive(o, "class");
    if (cJSON_IsString(cls) && !(fe->label_name = dup_json_string(o, "class")))
        return tsc_error_set(err, TSC_ENOMEM, "%s: out of memory", path);
    double ci = index_of(o, "class_index");
    if (ci >= 0) fe->edit.label = (size_t)ci;
    size_t n = (size_t)cJSON_GetArraySize(pts);
    fe->points = calloc(n ? n : 1, sizeof *fe->points);
    if (!fe->points) return tsc_error_set(err, TSC_ENOMEM, "%s: out of memory", path);
    size_t p = 0;
    const cJSON *pt;
    cJSON_ArrayForEach(pt, pts)
    {
        const cJSON *x = cJSON_GetArrayItem(pt, 0), *y = cJSON_GetArrayItem(pt, 1);
        if (!cJSON_IsNumber(x) || !cJSON_IsNumber(y))
            return tsc_error_set(err, TSC_EFORMAT, "%s: edit %zu: point %zu is not [x, y]", path, i,
                                 p);
        fe->points[p++] = (tsc_point){x->valuedouble, y->valuedouble};
    }
    fe->edit.points = fe->points;
    fe->edit.n_points = p;
    return TSC_OK;
}

static tsc_status parse(const char *path, const char *text, size_t len, tsc_edit_file *f,
                        tsc_error *err)
{
    cJSON *root = cJSON_ParseWithLength(text, len);
    if (!root)
        return tsc_error_set(err, TSC_EFORMAT,
                             "%s: not JSON; an edits file is written by "
                             "tumorscope (docs/RESULT_FORMAT.md)",
                             path);
    tsc_status st = TSC_OK;
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "version");
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "edits");
    const cJSON *made = cJSON_GetObjectItemCaseSensitive(root, "made_on");
    if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, EDITS_FORMAT)) {
        st = tsc_error_set(err, TSC_EFORMAT, "%s: \"format\" is not \"%s\"", path, EDITS_FORMAT);
        goto done;
    }
    if (!cJSON_IsNumber(ver) || ver->valueint != EDITS_VERSION) {
        st = tsc_error_set(err, TSC_EFORMAT,
                           "%s: edits file version %d; this tumorscope reads version %d", path,
                           cJSON_IsNumber(ver) ? ver->valueint : -1, EDITS_VERSION);
        goto done;
    }
    if (!cJSON_IsArray(list)) {
        st = tsc_error_set(err, TSC_EFORMAT, "%s: no \"edits\" list", path);
        goto done;
    }
    f->strings[0] = dup_json_string(root, "study_instance_uid");
    f->strings[1] = dup_json_string(root, "series_instance_uid");
    f->strings[2] = dup_json_string(made, "method");
    f->strings[3] = dup_json_string(made, "model");
    f->strings[4] = dup_json_string(made, "model_sha256");
    f->strings[5] = dup_json_string(root, "editor");
    f->strings[6] = dup_json_string(root, "saved_at");
    for (int i = 0; i < 7; i++)
        if (!f->strings[i]) {
            st = tsc_error_set(err, TSC_ENOMEM, "%s: out of memory", path);
            goto done;
        }
    f->info = (tsc_edit_file_info){sizeof f->info, f->strings[0], f->strings[1], f->strings[2],
                                   f->strings[3],  f->strings[4], f->strings[5], f->strings[6]};
    size_t n = (size_t)cJSON_GetArraySize(list);
    f->edits = calloc(n ? n : 1, sizeof *f->edits);
    f->resolved = calloc(n ? n : 1, sizeof *f->resolved);
    if (!f->edits || !f->resolved) {
        st = tsc_error_set(err, TSC_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    const cJSON *o;
    cJSON_ArrayForEach(o, list)
    {
        st = read_edit(path, f->n_edits, o, &f->edits[f->n_edits], err);
        f->n_edits++;
        if (st != TSC_OK) goto done;
    }
done:
    cJSON_Delete(root);
    return st;
}

tsc_status tsc_edit_file_load(const char *path, tsc_edit_file **out, tsc_error *err)
{
    TSC_ASSERT(path && out);
    *out = NULL;
    tsc_error_clear(err);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return tsc_error_set(err, TSC_EIO, "%s: cannot open the edits file: %s", path,
                             strerror(errno));
    char *text = malloc(EDITS_MAX_BYTES + 1);
    size_t len = text ? fread(text, 1, EDITS_MAX_BYTES + 1, fp) : 0;
    int failed = ferror(fp);
    fclose(fp);
    if (!text) return tsc_error_set(err, TSC_ENOMEM, "%s: out of memory", path);
    if (failed || len > EDITS_MAX_BYTES) {
        free(text);
        return tsc_error_set(err, failed ? TSC_EIO : TSC_ELIMIT,
                             failed ? "%s: cannot read the edits file"
                                    : "%s: over 64 MiB, not an edits file we wrote",
                             path);
    }
    tsc_edit_file *f = calloc(1, sizeof *f);
    if (!f) {
        free(text);
        return tsc_error_set(err, TSC_ENOMEM, "%s: out of memory", path);
    }
    tsc_status st = parse(path, text, len, f, err);
    free(text);
    if (st != TSC_OK) {
        tsc_edit_file_free(f);
        return st;
    }
    *out = f;
    return TSC_OK;
}

const tsc_edit_file_info *tsc_edit_file_get_info(const tsc_edit_file *f)
{
    TSC_ASSERT(f);
    return &f->info;
}

/* Differences are told in the order a reader cares: wrong series first. */
tsc_status tsc_edit_file_check(const tsc_edit_file *f, const tsc_edit_file_info *current,
                               tsc_error *err)
{
    TSC_ASSERT(f && current);
    tsc_error_clear(err);
    tsc_edit_file_info c;
    memset(&c, 0, sizeof c);
    TSC__PARAMS_COPY(&c, current);
    if (strcmp(f->info.study_uid, or_empty(c.study_uid)) ||
        strcmp(f->info.series_uid, or_empty(c.series_uid)))
        return tsc_error_set(err, TSC_EINVAL,
                             "the edits were made on another series; they are not applied");
    if (strcmp(f->info.method, or_empty(c.method)))
        return tsc_error_set(err, TSC_EINVAL,
                             "the edits were made on the %s method's result and this result is "
                             "the %s method's; they are not applied (analyse with %s to use them)",
                             f->info.method, or_empty(c.method), f->info.method);
    if (strcmp(f->info.model, or_empty(c.model)) ||
        (f->info.model_sha256[0] && c.model_sha256 && c.model_sha256[0] &&
         strcmp(f->info.model_sha256, c.model_sha256)))
        return tsc_error_set(err, TSC_EINVAL,
                             "the edits were made on the result of model %s and this result is "
                             "model %s's; they are not applied (lesions may differ)",
                             f->info.model[0] ? f->info.model : "(none)",
                             c.model && c.model[0] ? c.model : "(none)");
    return TSC_OK;
}

tsc_status tsc_edit_file_resolve(tsc_edit_file *f, const tsc_model *model,
                                 const char *const *slice_uids, const int *slice_frames,
                                 size_t n_slices, const tsc_edit *const **edits, size_t *n_edits,
                                 tsc_error *err)
{
    TSC_ASSERT(f && edits && n_edits && (slice_uids || !n_slices));
    tsc_error_clear(err);
    *edits = NULL;
    *n_edits = 0;
    for (size_t i = 0; i < f->n_edits; i++) {
        file_edit *fe = &f->edits[i];
        f->resolved[i] = &fe->edit;
        if (fe->edit.kind == TSC_EDIT_REJECT || fe->edit.kind == TSC_EDIT_ACCEPT) continue;
        /* The slice by its instance: a series sorted differently still maps. */
        size_t k = (size_t)-1;
        for (size_t j = 0; j < n_slices && k == (size_t)-1; j++)
            if (slice_uids[j] && !strcmp(slice_uids[j], fe->sop_uid) &&
                (slice_frames ? slice_frames[j] : 0) == fe->frame)
                k = j;
        if (k == (size_t)-1)
            return tsc_error_set(err, TSC_EINVAL,
                                 "edit %zu is on an image (frame %d) this series does not have; "
                                 "the edits are not applied",
                                 i, fe->frame);
        fe->edit.slice = k;
        if (fe->label_name) {
            size_t c = (size_t)-1;
            for (size_t j = 0; model && j < tsc_model_n_classes(model); j++)
                if (!strcmp(tsc_model_get_class_name(model, j), fe->label_name)) c = j;
            if (c == (size_t)-1)
                return tsc_error_set(
                    err, TSC_EINVAL, "edit %zu paints class \"%s\", which %s does not have", i,
                    fe->label_name, model ? tsc_model_get_name(model) : "this method");
            fe->edit.label = c;
        }
    }
    *edits = f->resolved;
    *n_edits = f->n_edits;
    return TSC_OK;
}
