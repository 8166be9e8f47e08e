/* SPDX-License-Identifier: BSD-3-Clause */
/* The analysis result as JSON (docs/RESULT_FORMAT.md, format 2.0), for every
 * host of the plugin ABI. */
#include "result_json.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tsc_deid.h"

double tsc_result_json_round(double v, int decimals)
{
    if (!isfinite(v)) return v;
    double f = pow(10.0, decimals);
    return round(v * f) / f;
}

#define rnd tsc_result_json_round

cJSON *tsc_result_json_root(const tsc_plugin_api *api, const tsc_model *model, tsc_method method)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "format_version", TSC_RESULT_FORMAT_VERSION);
    cJSON_AddStringToObject(root, "tumorscope_version", api->plugin_version());
    cJSON *jm = cJSON_AddObjectToObject(root, "model");
    if (model) {
        cJSON_AddStringToObject(jm, "name", api->model_get_name(model));
        cJSON_AddStringToObject(jm, "version", api->model_get_version(model));
        cJSON_AddStringToObject(jm, "sha256", api->model_get_sha256(model));
    } else {
        cJSON_AddNullToObject(jm, "name");
        cJSON_AddNullToObject(jm, "sha256");
    }
    cJSON_AddStringToObject(root, "method", api->method_to_string(method));
    return root;
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

static const char *class_name(const tsc_plugin_api *api, const tsc_model *m, size_t i)
{
    return m && i < api->model_n_classes(m) ? api->model_get_class_name(m, i) : "tumor";
}

/* A probability, or null when there is none (never NaN in JSON). */
static void add_prob(cJSON *o, const char *key, double p)
{
    if (isfinite(p)) cJSON_AddNumberToObject(o, key, rnd(p, 4));
    else cJSON_AddNullToObject(o, key);
}

/* The same words and colour the overlay, the panel and the reports show. */
void tsc_result_json_add_description(cJSON *o, const tsc_plugin_api *api, const tsc_model *m,
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
    /* confidence: P(no tumour) for no_tumor, P(type | tumour) for tumor. */
    add_prob(o, "confidence", d->confidence);
    add_prob(o, "p_tumor", d->tumor_probability);
    if (d->reason[0]) cJSON_AddStringToObject(o, "reason", d->reason);
    if (d->detail[0]) cJSON_AddStringToObject(o, "detail", d->detail);
    if (d->scope_warning[0]) cJSON_AddStringToObject(o, "scope_warning", d->scope_warning);
}

cJSON *tsc_result_json_slice(const tsc_plugin_api *api, const tsc_model *m,
                             const tsc_dicom_index *ix, size_t series, size_t k,
                             const tsc_result *r, int deidentify, const tsc_series_result *sr)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "index", (double)k);
    double pos[3], iop[6], sp[2];
    if (sr && TSC_PLUGIN_HAS(api, series_result_get_slice_geometry) &&
        api->series_result_get_slice_geometry(sr, k, pos, iop, sp)) {
        /* A slice of the axial reformat: no source instance, its own place. */
        cJSON_AddNullToObject(o, "sop_instance_uid");
        cJSON_AddNumberToObject(o, "location_mm", rnd(pos[2], 3));
    } else {
        const tsc_dicom_slice_info *si = api->study_get_slice(ix, series, k);
        /* De-identified: the source UIDs are not written (docs/REPORTS.md). */
        if (deidentify) cJSON_AddNullToObject(o, "sop_instance_uid");
        else cJSON_AddStringToObject(o, "sop_instance_uid", si->sop_instance_uid);
        if (si->n_frames > 1) cJSON_AddNumberToObject(o, "frame", si->frame);
        if (si->has_geometry) cJSON_AddNumberToObject(o, "location_mm", rnd(si->location, 3));
    }
    tsc_description d;
    memset(&d, 0, sizeof d);
    d.struct_size = sizeof d;
    api->result_describe(m, r, &d);
    tsc_result_json_add_description(o, api, m, &d);
    size_t nc = api->result_n_classes(r);
    if (nc) {
        cJSON *p = cJSON_AddObjectToObject(o, "probabilities");
        for (size_t c = 0; c < nc; c++)
            cJSON_AddNumberToObject(p, class_name(api, m, c),
                                    rnd(api->result_get_probability(r, c), 4));
    } else {
        /* Classical baselines: a mask, no type and no calibrated probability. */
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

cJSON *tsc_result_json_scope(const tsc_plugin_api *api, const tsc_model *m,
                             const tsc_dicom_index *ix, size_t s)
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

/* A slice that could not be analysed stays in the result with its reason, so
 * that a batch reader need not parse stderr to learn what is missing. */
void tsc_result_json_add_failed_slice(cJSON *failed, size_t k, const char *why)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "index", (double)k);
    cJSON_AddStringToObject(o, "error", why);
    cJSON_AddItemToArray(failed, o);
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

cJSON *tsc_result_json_series_new(const tsc_plugin_api *api, const tsc_dicom_index *ix, size_t s,
                                  int deidentify)
{
    const tsc_dicom_series_info *si = api->study_get_series(ix, s);
    cJSON *js = cJSON_CreateObject();
    cJSON_AddNumberToObject(js, "index", (double)s);
    if (deidentify) {
        /* The same neutral description as the reports (tsc_deid.h); no UID. */
        char desc[128];
        cJSON_AddNullToObject(js, "series_uid");
        cJSON_AddStringToObject(
            js, "description",
            tsc_deid_series_description(si->modality, si->contrast_label, desc, sizeof desc));
    } else {
        cJSON_AddStringToObject(js, "series_uid", si->series_uid);
        cJSON_AddStringToObject(js, "description", si->description);
    }
    cJSON_AddNumberToObject(js, "n_slices", (double)si->n_slices);
    return js;
}

size_t tsc_result_json_add_series_result(cJSON *js, const tsc_plugin_api *api,
                                         const tsc_model *model, const tsc_dicom_index *ix,
                                         size_t s, const tsc_series_result *sr, int deidentify)
{
    cJSON *jslices = cJSON_GetObjectItemCaseSensitive(js, "slices");
    cJSON *jfailed = cJSON_GetObjectItemCaseSensitive(js, "failed_slices");
    size_t failed = 0;
    /* On an axial reformat the slices are the reformat's, not the series'. */
    const char *reformat =
        TSC_PLUGIN_HAS(api, series_result_get_reformat) ? api->series_result_get_reformat(sr) : "";
    if (reformat[0]) cJSON_AddStringToObject(js, "reformat", reformat);
    for (size_t k = 0; k < api->series_result_n_slices(sr); k++) {
        const tsc_result *r = api->series_result_get_slice(sr, k);
        if (r) {
            cJSON_AddItemToArray(jslices,
                                 tsc_result_json_slice(api, model, ix, s, k, r, deidentify, sr));
        } else {
            const char *e = api->series_result_get_error(sr, k);
            tsc_result_json_add_failed_slice(jfailed, k, e ? e : "slice not analysed");
            failed++;
        }
    }
    tsc_description d;
    memset(&d, 0, sizeof d);
    d.struct_size = sizeof d;
    api->series_result_describe(model, sr, &d);
    tsc_result_json_add_description(js, api, model, &d);
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
        cJSON_AddItemToArray(l3,
                             lesion3d_json(api, model, api->series_result_get_lesion3d(sr, i), i));
    return failed;
}

void tsc_result_json_add_edits(cJSON *js, const tsc_plugin_api *api, const tsc_model *model,
                               const tsc_series_result *sr, int deidentify)
{
    if (!TSC_PLUGIN_HAS(api, series_result_lesion3d_is_accepted) ||
        !api->series_result_is_edited(sr))
        return;
    cJSON *o = cJSON_AddObjectToObject(js, "edits");
    char buf[1024];
    const char *editor = api->series_result_get_editor(sr);
    /* Staff names stay out of de-identified outputs, as the SR's observer. */
    if (!deidentify && editor[0]) cJSON_AddStringToObject(o, "editor", editor);
    cJSON_AddStringToObject(o, "description",
                            api->series_result_describe_edits(sr, !deidentify, buf, sizeof buf));
    cJSON *rej = cJSON_AddArrayToObject(o, "rejected_lesions");
    for (size_t i = 0; i < api->series_result_n_rejected(sr); i++) {
        const tsc_rejected_lesion *rl = api->series_result_get_rejected(sr, i);
        cJSON *l = lesion3d_json(api, model, rl->info, rl->lesion);
        cJSON_AddStringToObject(l, "reason", rl->reason);
        cJSON_AddItemToArray(rej, l);
    }
    cJSON *sl = cJSON_AddArrayToObject(o, "edited_slices");
    for (size_t k = 0; k < api->series_result_n_slices(sr); k++) {
        unsigned e = api->series_result_get_slice_edits(sr, k);
        if (!e) continue;
        cJSON *x = cJSON_CreateObject();
        cJSON_AddNumberToObject(x, "index", (double)k);
        cJSON_AddBoolToObject(x, "brush", (e & TSC_SLICE_PAINTED) != 0);
        cJSON_AddBoolToObject(x, "eraser", (e & TSC_SLICE_ERASED) != 0);
        cJSON_AddBoolToObject(x, "rejected_lesion", (e & TSC_SLICE_REJECTED) != 0);
        cJSON_AddItemToArray(sl, x);
    }
    /* Each lesion of the edited result: the lesion of the analysis it came
     * from (its number there), null for one the reader painted. */
    cJSON *l3 = cJSON_GetObjectItemCaseSensitive(js, "lesions_3d");
    cJSON *l;
    size_t i = 0;
    cJSON_ArrayForEach(l, l3)
    {
        cJSON_AddBoolToObject(l, "accepted", api->series_result_lesion3d_is_accepted(sr, i));
        size_t from = api->series_result_get_lesion3d_origin(sr, i++);
        if (from == (size_t)-1) cJSON_AddNullToObject(l, "analysis_number");
        else cJSON_AddNumberToObject(l, "analysis_number", (double)(from + 1));
    }
}
