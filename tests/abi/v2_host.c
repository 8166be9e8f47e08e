/* SPDX-License-Identifier: BSD-3-Clause */
/* A host built against plugin ABI version 2 runs against the current plugin.
 *
 * Compiled ONLY with the version-2 public headers in tests/abi/v2/ (copied
 * from git history, see tests/abi/v2/README.md), exactly as a third-party
 * host released against ABI 2 was compiled.  It dlopen()s the current
 * libtumorscope-plugin.so, asks for version 2 and does what such a host
 * does: open a study, load the default model, analyse a slice and a series
 * with default options and its own (version-2 sized) structs, render
 * reports, and read the results.  Verdict values the version-2 header does
 * not know are handled as "unknown" (docs/PLUGIN_ABI.md, rule 6).
 *
 * usage: v2_host PLUGIN.so SAMPLE_DICOM OUT_DIR [OUT_OF_SCOPE_STUDY]
 *
 * OUT_OF_SCOPE_STUDY (optional): a study the model's scope refuses (the
 * normal sample relabelled as CT); the version-2 host then gets a status it
 * does not know and must still be able to name it and free what it got.
 * Exit status 0 when every check holds; every failed check is printed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "old_host.h"
#include "tsc_plugin.h"

#if TSC_PLUGIN_API_VERSION != 2
#error "v2_host must be compiled against the version-2 headers in tests/abi/v2/"
#endif

/* What a version-2 host shows for a verdict: the three it knows, and
 * "unknown" for any value added later (rule 6), never a crash or a guess. */
static const char *v2_verdict_name(tsc_verdict v)
{
    switch ((int)v) {
    case TSC_VERDICT_NO_TUMOR: return "no tumour";
    case TSC_VERDICT_TUMOR: return "tumour";
    case TSC_VERDICT_INCONCLUSIVE: return "inconclusive";
    default: return "unknown";
    }
}

static int known_verdict(tsc_verdict v)
{
    return (int)v == TSC_VERDICT_NO_TUMOR || (int)v == TSC_VERDICT_TUMOR ||
           (int)v == TSC_VERDICT_INCONCLUSIVE;
}

static int is_probability(double p)
{
    return p >= 0.0 && p <= 1.0;
}

/* A struct the plugin returned by value (a *_default_* function's) must be
 * the size this host allocated for it (rule 4). */
#define CHECK_HOST_SIZED(s, fn)                                                                    \
    CHECK((s).struct_size == sizeof(s), fn "(): %zu bytes, host has %zu", (s).struct_size,         \
          sizeof(s))

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* Checks one slice result as a version-2 host reads it. */
static void check_slice(const tsc_plugin_api *api, const tsc_model *model, const tsc_result *r,
                        const char *what)
{
    size_t nc = api->model_n_classes(model);
    tsc_verdict v = api->result_get_verdict(r);
    /* The plugin's own name for every value it returns, known to us or not. */
    const char *name = api->verdict_to_string(v);
    CHECK(name && *name && strcmp(name, "unknown") != 0, "%s: verdict %d has no name", what, (int)v);
    CHECK((int)v >= 0, "%s: negative verdict %d", what, (int)v);
    CHECK(api->result_n_classes(r) == nc, "%s: %zu class probabilities, model has %zu", what,
          api->result_n_classes(r), nc);
    double sum = 0;
    for (size_t c = 0; c < api->result_n_classes(r); c++) {
        double p = api->result_get_probability(r, c);
        CHECK(is_probability(p), "%s: P(class %zu) = %g", what, c, p);
        sum += p;
    }
    CHECK(fabs(sum - 1.0) < 1e-3, "%s: class probabilities sum to %g", what, sum);
    size_t label = api->result_get_label(r);
    CHECK(label < nc, "%s: label %zu out of %zu classes", what, label, nc);
    double conf = api->result_get_confidence(r);
    /* A confidence is a probability when stated; a verdict in doubt (or one
     * this host does not know) may state none. */
    if ((int)v == TSC_VERDICT_NO_TUMOR || (int)v == TSC_VERDICT_TUMOR)
        CHECK(is_probability(conf), "%s: %s with confidence %g", what, name, conf);
    else
        CHECK(isnan(conf) || is_probability(conf), "%s: %s with confidence %g", what, name, conf);
    if ((int)v == TSC_VERDICT_NO_TUMOR) {
        /* No tumour: the label is the no-tumour class, stated with its probability. */
        CHECK(!strcmp(api->model_get_class_name(model, label), "no_tumor"),
              "%s: no tumour labelled %s", what, api->model_get_class_name(model, label));
        CHECK(fabs(conf - api->result_get_probability(r, label)) < 1e-9,
              "%s: no-tumour confidence %g is not P(no tumour) %g", what, conf,
              api->result_get_probability(r, label));
    }
    if ((int)v == TSC_VERDICT_TUMOR) {
        /* Tumour: a tumour type, stated with P(type | tumour) >= P(type). */
        CHECK(strcmp(api->model_get_class_name(model, label), "no_tumor") != 0,
              "%s: tumour labelled no_tumor", what);
        CHECK(conf + 1e-9 >= api->result_get_probability(r, label),
              "%s: tumour confidence %g under P(type) %g", what, conf,
              api->result_get_probability(r, label));
    }
    int rows = 0, cols = 0;
    const uint8_t *mask = api->result_get_mask(r, &rows, &cols);
    CHECK(mask && rows > 0 && cols > 0, "%s: no mask", what);
    size_t on = 0;
    for (size_t i = 0; mask && i < (size_t)rows * (size_t)cols; i++) on += mask[i] != 0;
    /* "No tumour" outlines nothing (any other verdict may). */
    if ((int)v == TSC_VERDICT_NO_TUMOR)
        CHECK(on == 0 && api->result_n_lesions(r) == 0, "%s: no tumour with %zu mask pixels",
              what, on);
    for (size_t i = 0; i < api->result_n_lesions(r); i++) {
        const tsc_lesion_info *l = api->result_get_lesion(r, i);
        CHECK(l->area_mm2 > 0 && l->diameter_mm >= l->perpendicular_mm &&
                  l->perpendicular_mm >= 0,
              "%s: lesion %zu area %g, diameters %g x %g", what, i, l->area_mm2, l->diameter_mm,
              l->perpendicular_mm);
    }
    const tsc_timings *t = api->result_get_timings(r);
    CHECK(t && t->total_ms > 0, "%s: no timing", what);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: v2_host PLUGIN.so SAMPLE_DICOM OUT_DIR [OUT_OF_SCOPE_STUDY]\n");
        return 2;
    }
    void *lib;
    tsc_plugin_get_api_fn get_api = old_host_load(argv[1], &lib);
    if (!get_api) return 1;
    /* ---- the table: version 2 is served, with every version-2 member ---- */
    const tsc_plugin_api *api = get_api(2);
    if (!api) {
        fprintf(stderr, "FAIL: the plugin does not serve ABI version 2\n");
        return 1;
    }
    CHECK(api->version >= 2, "table version %u", api->version);
    CHECK(api->struct_size >= sizeof(tsc_plugin_api), "table of %u bytes, a v2 table has %zu",
          api->struct_size, sizeof(tsc_plugin_api));
    if (!TSC_PLUGIN_HAS(api, nn_model_get_summary)) {
        fprintf(stderr, "FAIL: the table lacks the version-2 members\n");
        return 1;
    }
    printf("v2 host: plugin %s serves ABI %u (table %u bytes, v2 table %zu bytes)\n",
           api->plugin_version(), api->version, api->struct_size, sizeof(tsc_plugin_api));

    /* ---- defaults, into this host's own (version-2 sized) structs ---- */
    /* Structs returned by value are written by the plugin into the host's
     * variable: they must be the size the host allocated (rule 4). */
    tsc_analysis_options ao = api->analysis_default_options();
    CHECK(ao.struct_size == sizeof ao,
          "analysis_default_options() returned a %zu-byte tsc_analysis_options into this "
          "host's %zu-byte variable: the plugin writes past a v2 host's struct (stack "
          "corruption), and the struct_size it leaves there makes analyze_* read %zu bytes "
          "past the host's struct as new fields",
          ao.struct_size, sizeof ao, ao.struct_size - sizeof ao);
    ao.struct_size = sizeof ao; /* what the host's struct really is, from here on */
    CHECK(ao.method == TSC_METHOD_CNN && ao.flip_tta == 1 && ao.restrict_to_head == 1 &&
              ao.min_lesion_area_mm2 == 10.0 && ao.cancel == NULL,
          "unexpected default analysis options");
    tsc_dicom_open_params op = api->study_default_params();
    CHECK_HOST_SIZED(op, "study_default_params");
    tsc_model_params mp = api->model_default_params();
    CHECK_HOST_SIZED(mp, "model_default_params");
    tsc_report_options ro = api->report_default_options();
    CHECK(ro.struct_size == sizeof ro && ro.overlay.struct_size == sizeof ro.overlay,
          "report_default_options(): %zu/%zu bytes, host has %zu/%zu", ro.struct_size,
          ro.overlay.struct_size, sizeof ro, sizeof ro.overlay);
    tsc_overlay_options oo = api->overlay_default_options();
    CHECK_HOST_SIZED(oo, "overlay_default_options");
    tsc_dicom_write_params wp = api->dicom_write_default_params();
    CHECK_HOST_SIZED(wp, "dicom_write_default_params");
    ro.force = 1;

    /* ---- the study ---- */
    tsc_error err;
    tsc_dicom_index *ix = NULL;
    const char *paths[] = {argv[2]};
    if (api->study_open(paths, 1, &op, &ix, &err) != TSC_OK) {
        fprintf(stderr, "FAIL: cannot open %s: %s\n", argv[2], err.message);
        return 1;
    }
    size_t lesion = (size_t)-1;
    for (size_t s = 0; s < api->study_n_series(ix); s++) {
        const tsc_dicom_series_info *si = api->study_get_series(ix, s);
        CHECK(si->n_slices > 0 && si->rows > 0 && si->cols > 0, "series %zu is empty", s);
        if (strstr(si->description, "SYNTHETIC LESION")) lesion = s;
    }
    if (lesion == (size_t)-1) {
        fprintf(stderr, "FAIL: no SYNTHETIC LESION series under %s\n", argv[2]);
        return 1;
    }
    const tsc_dicom_series_info *si = api->study_get_series(ix, lesion);

    /* ---- the default model ---- */
    tsc_model *model = NULL;
    if (api->model_load(NULL, &mp, &model, &err) != TSC_OK) {
        fprintf(stderr, "FAIL: cannot load the default model: %s\n", err.message);
        return 1;
    }
    size_t nc = api->model_n_classes(model);
    CHECK(nc >= 2, "%zu classes", nc);
    printf("v2 host: model %s %s, %zu classes\n", api->model_get_name(model),
           api->model_get_version(model), nc);

    /* ---- one slice: the middle of the lesion ---- */
    size_t k = si->n_slices * 2 / 3;
    tsc_result *r = NULL;
    tsc_status st = api->analyze_study_slice(model, ix, lesion, k, &ao, &r, &err);
    CHECK(st == TSC_OK && r, "analyze_study_slice: %s", err.message);
    if (r) {
        check_slice(api, model, r, "slice");
        printf("v2 host: series %zu slice %zu: %s (plugin: %s), label %s, confidence %.3f\n",
               lesion, k, v2_verdict_name(api->result_get_verdict(r)),
               api->verdict_to_string(api->result_get_verdict(r)),
               api->model_get_class_name(model, api->result_get_label(r)),
               api->result_get_confidence(r));
        char path[4096];
        snprintf(path, sizeof path, "%s/v2_host_slice.png", argv[3]);
        st = api->report_slice_png(path, model, ix, lesion, k, r, &ro, &err);
        CHECK(st == TSC_OK && file_size(path) > 1000, "report_slice_png: %s", err.message);
        /* A copy outlives the original. */
        tsc_result *copy = api->result_dup(r);
        CHECK(copy && api->result_get_verdict(copy) == api->result_get_verdict(r), "result_dup");
        api->result_free(r);
        if (copy) check_slice(api, model, copy, "slice copy");
        api->result_free(copy);
    }

    /* ---- the series ---- */
    tsc_series_result *sr = NULL;
    st = api->analyze_study_series(model, ix, lesion, &ao, 2, NULL, NULL, &sr, &err);
    CHECK(st == TSC_OK && sr, "analyze_study_series: %s", err.message);
    if (sr) {
        size_t n = api->series_result_n_slices(sr);
        CHECK(n == si->n_slices, "%zu slice results for %zu slices", n, si->n_slices);
        size_t counts[4] = {0, 0, 0, 0}; /* no tumour, tumour, inconclusive, unknown */
        for (size_t j = 0; j < n; j++) {
            const tsc_result *s = api->series_result_get_slice(sr, j);
            CHECK(s || api->series_result_get_error(sr, j), "slice %zu: neither result nor error",
                  j);
            if (!s) continue;
            char what[32];
            snprintf(what, sizeof what, "series slice %zu", j);
            check_slice(api, model, s, what);
            tsc_verdict v = api->result_get_verdict(s);
            counts[known_verdict(v) ? (int)v : 3]++;
        }
        tsc_verdict v = api->series_result_get_verdict(sr);
        const char *name = api->verdict_to_string(v);
        CHECK(name && strcmp(name, "unknown") != 0, "series verdict %d has no name", (int)v);
        /* The lesion phantom is a tumour, in any version. */
        CHECK((int)v == TSC_VERDICT_TUMOR, "the lesion phantom's series verdict is %s", name);
        CHECK(counts[TSC_VERDICT_TUMOR] > 0, "no tumour slice in the lesion phantom");
        size_t label = api->series_result_get_label(sr);
        CHECK(label < nc && strcmp(api->model_get_class_name(model, label), "no_tumor") != 0,
              "series label %zu", label);
        CHECK(is_probability(api->series_result_get_confidence(sr)), "series confidence %g",
              api->series_result_get_confidence(sr));
        double vol = api->series_result_get_volume_ml(sr);
        CHECK(vol > 0 && isfinite(vol), "series volume %g mL", vol);
        size_t key = api->series_result_get_key_slice(sr);
        CHECK(key < n && api->series_result_get_slice(sr, key) &&
                  (int)api->result_get_verdict(api->series_result_get_slice(sr, key)) ==
                      TSC_VERDICT_TUMOR,
              "key slice %zu", key);
        size_t n3 = api->series_result_n_lesions3d(sr);
        CHECK(n3 >= 1, "no 3D lesion");
        double vol3 = 0;
        for (size_t i = 0; i < n3; i++) {
            /* Read through the pointer: only the version-2 fields. */
            const tsc_lesion3d_info *l = api->series_result_get_lesion3d(sr, i);
            CHECK(l->volume_ml > 0 && l->first_slice <= l->key_slice &&
                      l->key_slice <= l->last_slice && l->last_slice < n &&
                      l->max_product_mm2 >= 0 && l->label < nc,
                  "3D lesion %zu: %g mL, slices %zu-%zu key %zu, product %g, label %zu", i,
                  l->volume_ml, l->first_slice, l->last_slice, l->key_slice, l->max_product_mm2,
                  l->label);
            vol3 += l->volume_ml;
        }
        CHECK(fabs(vol3 - vol) < 1e-6 * (vol > 1 ? vol : 1), "3D lesions %g mL, series %g mL",
              vol3, vol);
        printf("v2 host: series %zu: %s (plugin: %s), %zu no tumour, %zu tumour, %zu "
               "inconclusive, %zu unknown to v2; %.2f mL in %zu 3D lesion(s)\n",
               lesion, v2_verdict_name(v), name, counts[0], counts[1], counts[2], counts[3], vol,
               n3);
        char path[4096];
        snprintf(path, sizeof path, "%s/v2_host_series.png", argv[3]);
        st = api->report_series_png(path, model, ix, lesion, sr, &ro, &err);
        CHECK(st == TSC_OK && file_size(path) > 1000, "report_series_png: %s", err.message);
        api->series_result_free(sr);
    }

    /* ---- a series the model's scope refuses ---- */
    if (argc > 4) {
        tsc_dicom_index *ct = NULL;
        const char *ct_paths[] = {argv[4]};
        if (api->study_open(ct_paths, 1, &op, &ct, &err) != TSC_OK) {
            fprintf(stderr, "FAIL: cannot open %s: %s\n", argv[4], err.message);
            failures++;
        } else {
            tsc_series_result *csr = NULL;
            st = api->analyze_study_series(model, ct, 0, &ao, 2, NULL, NULL, &csr, &err);
            /* A status added after version 2: not OK, named by the plugin,
             * with a message the host can show. */
            CHECK(st != TSC_OK, "an out-of-scope series was analysed for a v2 host");
            const char *sname = api->status_to_string(st);
            CHECK(sname && *sname && strcmp(sname, "unknown") != 0, "status %d has no name",
                  (int)st);
            CHECK(err.message[0] != '\0', "no message for status %d", (int)st);
            printf("v2 host: out-of-scope series: status %d (%s): %s\n", (int)st,
                   sname ? sname : "?", err.message);
            if (csr) {
                /* What it got is a result like any other: counted, freed. */
                CHECK(api->series_result_n_lesions3d(csr) == 0, "lesions in a refused series");
                for (size_t j = 0; j < api->series_result_n_slices(csr); j++)
                    CHECK(api->series_result_get_slice(csr, j) == NULL,
                          "slice %zu of a refused series was analysed", j);
                printf("v2 host: refused series verdict: %s\n",
                       v2_verdict_name(api->series_result_get_verdict(csr)));
                api->series_result_free(csr);
            }
            tsc_result *cr = NULL;
            st = api->analyze_study_slice(model, ct, 0, 0, &ao, &cr, &err);
            CHECK(st != TSC_OK && cr == NULL, "an out-of-scope slice was analysed for a v2 host");
            api->result_free(cr);
            api->study_free(ct);
        }
    }

    api->model_free(model);
    api->study_free(ix);
    dlclose(lib);
    return old_host_finish("v2 host");
}
