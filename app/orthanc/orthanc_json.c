/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The result JSON of an Orthanc series, in the format `tumorscope analyze
 * --json` writes (docs/RESULT_FORMAT.md, format 2.0) for whole-series
 * analysis.  The builders mirror app/cli/cmd_analyze.c, which keeps its own
 * as static functions; they belong in one shared place (see docs/PACS.md). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "orthanc_private.h"

#define RESULT_FORMAT_VERSION "2.0"

static double rnd(double v, int decimals)
{
    if (!isfinite(v)) return v;
    double f = pow(10.0, decimals);
    return round(v * f) / f;
}

static const char *class_name(const tsc_plugin_api *api, const tsc_model *m, size_t i)
{
    return m && i < api->model_n_classes(m) ? api->model_get_class_name(m, i) : "tumor";
}

static void add_prob(cJSON *o, const char *key, double p)
{
    if (isfinite(p)) cJSON_AddNumberToObject(o, key, rnd(p, 4));
    else cJSON_AddNullToObject(o, key);
}

static void add_description(cJSON *o, const tsc_plugin_api *api, const tsc_model *m,
                            const tsc_description *d)
{
    cJSON_AddStringToObject(o, "verdict", api->verdict_to_string(d->verdict));
    cJSON_AddStringToObject(o, "finding", d->finding);
    cJSON_AddStringToObject(o, "display", d->label);
    char color[8];
    snprintf(color, sizeof color, "#%06X", (unsigned)(d->color & 0xFFFFFFu));
    cJSON_AddStringToObject(o, "color", color);
    if (d->type != (size_t)-1) cJSON_AddStringToObject(o, "type", class_name(api, m, d->type));
    else cJSON_AddNullToObject(o, "type");
    cJSON_AddBoolToObject(o, "type_uncertain", d->type_uncertain);
    add_prob(o, "confidence", d->confidence);
    add_prob(o, "p_tumor", d->tumor_probability);
    if (d->reason[0]) cJSON_AddStringToObject(o, "reason", d->reason);
    if (d->detail[0]) cJSON_AddStringToObject(o, "detail", d->detail);
    if (d->scope_warning[0]) cJSON_AddStringToObject(o, "scope_warning", d->scope_warning);
}

static cJSON *lesion_json(const tsc_lesion_info *l)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "area_mm2", rnd(l->area_mm2, 2));
    cJSON_AddNumberToObject(o, "diameter_mm", rnd(l->diameter_mm, 2));
    cJSON_AddNumberToObject(o, "perpendicular_mm", rnd(l->perpendicular_mm, 2));
    cJSON_AddNumberToObject(o, "product_mm2", rnd(l->product_mm2, 2));
    cJSON *c = cJSON_AddArrayToObject(o, "centroid_px");
    cJSON_AddItemToArray(c, cJSON_CreateNumber(rnd(l->centroid.x, 2)));
    cJSON_AddItemToArray(c, cJSON_CreateNumber(rnd(l->centroid.y, 2)));
    cJSON *b = cJSON_AddArrayToObject(o, "bbox_px");
    for (int i = 0; i < 4; i++) cJSON_AddItemToArray(b, cJSON_CreateNumber(l->bbox[i]));
    cJSON_AddNumberToObject(o, "mean_intensity", rnd(l->mean_intensity, 3));
    return o;
}

static cJSON *slice_json(const tsc_plugin_api *api, const tsc_model *m, const tsc_dicom_index *ix,
                         size_t series, size_t k, const tsc_result *r, const tsc_series_result *sr)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "index", (double)k);
    double pos[3], iop[6], sp[2];
    if (sr && TSC_PLUGIN_HAS(api, series_result_get_slice_geometry) &&
        api->series_result_get_slice_geometry(sr, k, pos, iop, sp)) {
        cJSON_AddNullToObject(o, "sop_instance_uid");
        cJSON_AddNumberToObject(o, "location_mm", rnd(pos[2], 3));
    } else {
        const tsc_dicom_slice_info *si = api->study_get_slice(ix, series, k);
        cJSON_AddStringToObject(o, "sop_instance_uid", si->sop_instance_uid);
        if (si->n_frames > 1) cJSON_AddNumberToObject(o, "frame", si->frame);
        if (si->has_geometry) cJSON_AddNumberToObject(o, "location_mm", rnd(si->location, 3));
    }
    tsc_description d;
    memset(&d, 0, sizeof d);
    d.struct_size = sizeof d;
    api->result_describe(m, r, &d);
    add_description(o, api, m, &d);
    size_t nc = api->result_n_classes(r);
    if (nc) {
        cJSON *p = cJSON_AddObjectToObject(o, "probabilities");
        for (size_t c = 0; c < nc; c++)
            cJSON_AddNumberToObject(p, class_name(api, m, c), rnd(api->result_get_probability(r, c), 4));
    } else {
        cJSON_AddNullToObject(o, "probabilities");
    }
    double head = api->result_get_head_area_mm2(r);
    if (isfinite(head)) cJSON_AddNumberToObject(o, "head_area_mm2", rnd(head, 0));
    cJSON *les = cJSON_AddArrayToObject(o, "lesions");
    for (size_t i = 0; i < api->result_n_lesions(r); i++)
        cJSON_AddItemToArray(les, lesion_json(api->result_get_lesion(r, i)));
    const tsc_timings *t = api->result_get_timings(r);
    cJSON_AddNumberToObject(o, "ms", rnd(t->total_ms, 2));
    return o;
}

static cJSON *scope_json(const tsc_plugin_api *api, const tsc_model *m, const tsc_dicom_index *ix,
                         size_t s)
{
    tsc_scope_decision d;
    memset(&d, 0, sizeof d);
    d.struct_size = sizeof d;
    api->series_check_scope(m, ix, s, &d);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "in_scope", d.in_scope);
    if (!d.in_scope) cJSON_AddStringToObject(o, "reason", d.reason);
    cJSON_AddStringToObject(o, "plane", api->plane_to_string(d.plane));
    if (isfinite(d.oblique_deg)) cJSON_AddNumberToObject(o, "oblique_deg", rnd(d.oblique_deg, 1));
    cJSON_AddStringToObject(o, "sequence_family", d.sequence_family);
    if (!d.in_scope) cJSON_AddBoolToObject(o, "reformat_possible", d.reformat_possible);
    return o;
}

static cJSON *lesion3d_json(const tsc_plugin_api *api, const tsc_model *model,
                            const tsc_lesion3d_info *li, size_t i)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "number", (double)(i + 1));
    cJSON_AddNumberToObject(o, "volume_ml", rnd(li->volume_ml, 3));
    cJSON_AddNumberToObject(o, "first_slice", (double)li->first_slice);
    cJSON_AddNumberToObject(o, "last_slice", (double)li->last_slice);
    cJSON_AddNumberToObject(o, "key_slice", (double)li->key_slice);
    cJSON_AddBoolToObject(o, "measurable", li->measurable);
    if (li->measurable) {
        cJSON_AddNumberToObject(o, "max_product_mm2", rnd(li->max_product_mm2, 2));
        cJSON_AddNumberToObject(o, "diameter_mm", rnd(li->diameter_mm, 2));
        cJSON_AddNumberToObject(o, "perpendicular_mm", rnd(li->perpendicular_mm, 2));
    } else {
        cJSON_AddNullToObject(o, "max_product_mm2");
    }
    if (model && li->label < api->model_n_classes(model)) {
        cJSON_AddStringToObject(o, "type", class_name(api, model, li->label));
        add_prob(o, "type_probability", li->type_probability);
    }
    if (li->has_patient_coordinates) {
        cJSON *c = cJSON_AddArrayToObject(o, "centre_mm");
        cJSON *e0 = cJSON_AddArrayToObject(o, "extent_min_mm");
        cJSON *e1 = cJSON_AddArrayToObject(o, "extent_max_mm");
        for (int q = 0; q < 3; q++) {
            cJSON_AddItemToArray(c, cJSON_CreateNumber(rnd(li->centre_mm[q], 1)));
            cJSON_AddItemToArray(e0, cJSON_CreateNumber(rnd(li->extent_min_mm[q], 1)));
            cJSON_AddItemToArray(e1, cJSON_CreateNumber(rnd(li->extent_max_mm[q], 1)));
        }
    }
    return o;
}

cJSON *tsc__json_root(const tsc_plugin_api *api, const tsc_model *model)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "format_version", RESULT_FORMAT_VERSION);
    cJSON_AddStringToObject(root, "tumorscope_version", api->plugin_version());
    cJSON *jm = cJSON_AddObjectToObject(root, "model");
    cJSON_AddStringToObject(jm, "name", api->model_get_name(model));
    cJSON_AddStringToObject(jm, "version", api->model_get_version(model));
    cJSON_AddStringToObject(jm, "sha256", api->model_get_sha256(model));
    cJSON_AddStringToObject(root, "method", api->method_to_string(TSC_METHOD_CNN));
    cJSON_AddArrayToObject(root, "series");
    return root;
}

cJSON *tsc__json_series(const tsc_plugin_api *api, const tsc_model *model,
                        const tsc_dicom_index *ix, size_t s, const tsc_series_result *sr,
                        tsc_status st, const char *error)
{
    const tsc_dicom_series_info *si = api->study_get_series(ix, s);
    cJSON *js = cJSON_CreateObject();
    cJSON_AddNumberToObject(js, "index", (double)s);
    cJSON_AddStringToObject(js, "series_uid", si->series_uid);
    cJSON_AddStringToObject(js, "description", si->description);
    cJSON_AddNumberToObject(js, "n_slices", (double)si->n_slices);
    cJSON_AddItemToObject(js, "scope", scope_json(api, model, ix, s));
    cJSON *jfailed = cJSON_AddArrayToObject(js, "failed_slices");
    cJSON *jslices = cJSON_AddArrayToObject(js, "slices");
    tsc_description d;
    memset(&d, 0, sizeof d);
    d.struct_size = sizeof d;
    if (st == TSC_ESCOPE && sr) {
        api->series_result_describe(model, sr, &d);
        add_description(js, api, model, &d);
        return js;
    }
    if (st != TSC_OK || !sr) {
        cJSON_AddStringToObject(js, "error", error ? error : "not analysed");
        return js;
    }
    const char *reformat =
        TSC_PLUGIN_HAS(api, series_result_get_reformat) ? api->series_result_get_reformat(sr) : "";
    if (reformat[0]) cJSON_AddStringToObject(js, "reformat", reformat);
    for (size_t k = 0; k < api->series_result_n_slices(sr); k++) {
        const tsc_result *r = api->series_result_get_slice(sr, k);
        if (r) {
            cJSON_AddItemToArray(jslices, slice_json(api, model, ix, s, k, r, sr));
        } else {
            const char *e = api->series_result_get_error(sr, k);
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "index", (double)k);
            cJSON_AddStringToObject(o, "error", e ? e : "slice not analysed");
            cJSON_AddItemToArray(jfailed, o);
        }
    }
    api->series_result_describe(model, sr, &d);
    add_description(js, api, model, &d);
    cJSON *counts = cJSON_AddObjectToObject(js, "slice_counts");
    for (int v = TSC_VERDICT_NO_TUMOR; v <= TSC_VERDICT_NOT_ASSESSABLE; v++)
        cJSON_AddNumberToObject(counts, api->verdict_to_string((tsc_verdict)v),
                                (double)api->series_result_count(sr, (tsc_verdict)v));
    cJSON_AddNumberToObject(counts, "failed", (double)api->series_result_n_failed(sr));
    double vol = api->series_result_get_volume_ml(sr);
    if (isfinite(vol)) cJSON_AddNumberToObject(js, "volume_ml", rnd(vol, 3));
    else cJSON_AddNullToObject(js, "volume_ml");
    size_t key = api->series_result_get_key_slice(sr);
    if (key != (size_t)-1) cJSON_AddNumberToObject(js, "key_slice", (double)key);
    else cJSON_AddNullToObject(js, "key_slice");
    cJSON *l3 = cJSON_AddArrayToObject(js, "lesions_3d");
    for (size_t i = 0; i < api->series_result_n_lesions3d(sr); i++)
        cJSON_AddItemToArray(l3, lesion3d_json(api, model, api->series_result_get_lesion3d(sr, i), i));
    return js;
}
