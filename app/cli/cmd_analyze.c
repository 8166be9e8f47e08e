/* SPDX-License-Identifier: BSD-3-Clause */
/* tumorscope analyze: headless analysis of DICOM series through the plugin
 * ABI, with the JSON result (docs/RESULT_FORMAT.md), reports and DICOM
 * outputs. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cli_analysis.h"
#include "cli_edits.h"
#include "cli_util.h"
#include "result_json.h"
#include "tsc_plugin.h"

static void analyze_usage(FILE *f)
{
    fprintf(
        f,
        "usage: tumorscope analyze PATH... [options]\n"
        "\n"
        "Analyses DICOM image series (every series found under PATH unless --series\n"
        "is given) and writes the findings as JSON and, with --out, as reports.\n"
        "\n"
        "  --series N|UID    analyse this series (index from `tumorscope info`, or its\n"
        "                    SeriesInstanceUID); repeatable\n"
        "  --slice K         analyse slice K (0-based, in display order); repeatable\n"
        "  --all             analyse every slice (the default)\n"
        "  --method M        cnn (default), threshold or region-growing\n"
        "  --model FILE      model manifest (default: the shipped model)\n"
        "  --threads N       worker threads (default: all cores)\n"
        "  --precision P     fp32, bf16 or int8: the network's arithmetic (default:\n"
        "                    $TSC_PRECISION, else the manifest's \"precision\")\n"
        "  --no-tta          no horizontal-flip test-time augmentation\n"
        "  --json FILE       write the result as JSON (`-` for stdout; never into the input "
        "folders)\n"
        "  --out DIR         write reports into DIR (never into the input folders)\n"
        "  --png             per-slice PNG reports and a series summary PNG (default with --out)\n"
        "  --pdf             a PDF report per series\n"
        "  --dicom           DICOM SEG, Secondary Capture and SR per series (with --pdf\n"
        "                    also the PDF report as a DICOM Encapsulated PDF, PDF.dcm)\n"
        "  --deidentify      no patient identifiers in any report\n"
        "  --force-scope     analyse series outside the model's scope too (research use;\n"
        "                    every result then carries the scope warning)\n"
        "  --edits FILE      a reader's saved corrections (docs/RESULT_FORMAT.md): applied\n"
        "                    to the series they are about before its outputs are written,\n"
        "                    and saved again beside them with --out; refused when made on\n"
        "                    another method or model\n"
        "  --force           overwrite existing output files\n"
        "  --quiet           no progress on stderr\n"
        "\n"
        "Exit status: 0 done, 1 failure (model, output), 2 usage error, 3 input\n"
        "unreadable, 4 analysis failed for some slices (listed on stderr and in the JSON;\n"
        "everything else is still written), 5 some series not analysed because they are\n"
        "outside the model's scope (reasons on stderr and in the JSON).\n");
}

typedef struct analyze_args {
    const char **paths;
    size_t n_paths;
    const char **series;
    size_t n_series;
    long *slices;
    size_t n_slices;
    tsc_cli_analysis_args c; /* --method, --model, ..., --json, --out, ... */
    int force_scope;
    const char *edits_path; /* --edits */
} analyze_args;

enum { OPT_SERIES = 256, OPT_SLICE, OPT_ALL, OPT_FORCE_SCOPE, OPT_EDITS };

static const struct option analyze_options[] = {{"help", no_argument, NULL, 'h'},
                                                {"series", required_argument, NULL, OPT_SERIES},
                                                {"slice", required_argument, NULL, OPT_SLICE},
                                                {"all", no_argument, NULL, OPT_ALL},
                                                TSC_CLI_MODEL_OPTIONS,
                                                TSC_CLI_PRECISION_OPTION,
                                                TSC_CLI_JSON_FORCE_OPTIONS,
                                                TSC_CLI_REPORT_OPTIONS,
                                                {"force-scope", no_argument, NULL, OPT_FORCE_SCOPE},
                                                {"edits", required_argument, NULL, OPT_EDITS},
                                                {NULL, 0, NULL, 0}};

static int analyze_option(int code, const char *v, void *user)
{
    analyze_args *a = user;
    switch (code) {
    case 'h': analyze_usage(stdout); return TSC_CLI_DONE;
    case OPT_SERIES: a->series[a->n_series++] = v; break;
    case OPT_SLICE: {
        char *end;
        long k = strtol(v, &end, 10);
        if (!*v || *end || k < 0) {
            fprintf(stderr, "tumorscope analyze: --slice needs a slice number >= 0\n");
            return TSC_EXIT_USAGE;
        }
        a->slices[a->n_slices++] = k;
        break;
    }
    case OPT_ALL: a->n_slices = 0; break;
    case OPT_FORCE_SCOPE: a->force_scope = 1; break;
    case OPT_EDITS: a->edits_path = v; break;
    default: return tsc_cli_analysis_option("analyze", code, v, &a->c);
    }
    return 0;
}

static int parse_args(int argc, char **argv, analyze_args *a)
{
    memset(a, 0, sizeof *a);
    a->paths = calloc((size_t)argc, sizeof *a->paths);
    a->series = calloc((size_t)argc, sizeof *a->series);
    a->slices = calloc((size_t)argc, sizeof *a->slices);
    tsc_cli_analysis_args_init(&a->c);
    if (!a->paths || !a->series || !a->slices) return TSC_EXIT_FAILURE;
    int rc = tsc_cli_parse_options("analyze", argc, argv, analyze_options, analyze_option, a,
                                   a->paths, &a->n_paths);
    if (rc != 0) return rc;
    if (!a->n_paths) {
        analyze_usage(stderr);
        return TSC_EXIT_USAGE;
    }
    if (a->edits_path && a->n_slices) {
        fprintf(stderr, "tumorscope analyze: --edits needs whole series; drop --slice\n");
        return TSC_EXIT_USAGE;
    }
    return tsc_cli_check_outputs("analyze", &a->c, a->paths, a->n_paths);
}

/* Says why an output could not be written; returns 1 (failed). */
static int output_failed(const tsc_error *err)
{
    fprintf(stderr, "tumorscope analyze: %s\n", err->message);
    return 1;
}

/* The PNG report of slice k of series s; 1 when it could not be written. */
static int write_slice_png(const tsc_plugin_api *api, const analyze_args *a, const tsc_model *model,
                           const tsc_dicom_index *ix, size_t s, size_t k, const tsc_result *r,
                           const tsc_report_options *ro)
{
    char path[4096];
    tsc_error err;
    snprintf(path, sizeof path, "%s/series%03zu_slice%04zu.png", a->c.out_dir, s, k);
    return api->report_slice_png(path, model, ix, s, k, r, ro, &err) == TSC_OK
               ? 0
               : output_failed(&err);
}

/* The reports (PNG, PDF) and DICOM outputs asked for, of a whole-series
 * result; 1 when one could not be written. */
static int write_series_outputs(const tsc_plugin_api *api, const analyze_args *a,
                                const tsc_model *model, const tsc_dicom_index *ix, size_t s,
                                const tsc_series_result *sr, const tsc_report_options *ro)
{
    char path[4096];
    tsc_error err;
    int failed = 0;
    if (a->c.png) {
        for (size_t k = 0; k < api->study_get_series(ix, s)->n_slices; k++) {
            const tsc_result *r = api->series_result_get_slice(sr, k);
            if (r) failed |= write_slice_png(api, a, model, ix, s, k, r, ro);
        }
        snprintf(path, sizeof path, "%s/series%03zu_summary.png", a->c.out_dir, s);
        if (api->report_series_png(path, model, ix, s, sr, ro, &err) != TSC_OK)
            failed = output_failed(&err);
    }
    if (a->c.pdf) {
        snprintf(path, sizeof path, "%s/series%03zu_report.pdf", a->c.out_dir, s);
        if (api->report_pdf(path, model, ix, s, sr, ro, &err) != TSC_OK)
            failed = output_failed(&err);
    }
    if (a->c.dicom) {
        snprintf(path, sizeof path, "%s/series%03zu_dicom", a->c.out_dir, s);
        tsc_dicom_outputs w;
        memset(&w, 0, sizeof w);
        w.struct_size = sizeof w;
        if (api->write_dicom_outputs(path, model, ix, s, sr, ro, &w, &err) != TSC_OK)
            failed = output_failed(&err);
        else if (a->c.pdf) {
            /* The PDF report also as a DICOM Encapsulated PDF, for a PACS
             * (the Orthanc plugin stores the same object). */
            snprintf(path, sizeof path, "%s/series%03zu_dicom/PDF.dcm", a->c.out_dir, s);
            if (api->write_dicom_pdf(path, model, ix, s, sr, ro, &err) != TSC_OK)
                failed = output_failed(&err);
        }
    }
    return failed;
}

/* Writes the JSON result atomically; 0 on success (the error is on stderr). */
static int write_json(const cJSON *root, const char *path, int force)
{
    tsc_error err;
    char *text = cJSON_Print(root);
    int rc = 0;
    if (!text || tsc_cli_write_file_atomic(path, text, strlen(text), force, &err) != TSC_OK) {
        fprintf(stderr, "tumorscope analyze: %s\n", text ? err.message : "out of memory");
        rc = -1;
    }
    free(text);
    return rc;
}

/* One analysis run: what every series of it shares, and its tallies. */
typedef struct analyze_run {
    const tsc_plugin_api *api;
    const analyze_args *a;
    tsc_model *model;
    tsc_dicom_index *ix;
    tsc_analysis_options ao;
    tsc_report_options ro;
    size_t failed_total, out_of_scope;
    int write_failed;
    tsc_cli_edits *edits; /* --edits; NULL without */
} analyze_run;

/* Analyses series s as a whole into `js`; returns its result, or NULL when
 * it was not analysed (outside the scope, or an error; said in `js`). */
static tsc_series_result *analyze_whole_series(analyze_run *R, size_t s, cJSON *js)
{
    const tsc_plugin_api *api = R->api;
    const analyze_args *a = R->a;
    char label[64];
    snprintf(label, sizeof label, "series %zu", s);
    tsc_error err;
    tsc_series_result *sr = NULL;
    tsc_status st = api->analyze_study_series(R->model, R->ix, s, &R->ao, a->c.threads,
                                              a->c.quiet || !isatty(2) ? NULL : tsc_cli_progress,
                                              label, &sr, &err);
    if (st == TSC_ESCOPE) {
        /* Not analysed: the reason for the radiologist, nothing guessed. */
        fprintf(stderr,
                "tumorscope analyze: %s (--force-scope analyses it anyway, for research use)\n",
                err.message);
        R->out_of_scope++;
        tsc_description d = {.struct_size = sizeof d};
        api->series_result_describe(R->model, sr, &d);
        tsc_result_json_add_description(js, api, R->model, &d);
        if (sr) api->series_result_free(sr);
        return NULL;
    }
    if (st != TSC_OK) {
        fprintf(stderr, "tumorscope analyze: series %zu: %s\n", s, err.message);
        R->failed_total += api->study_get_series(R->ix, s)->n_slices;
        cJSON_AddStringToObject(js, "error", err.message);
        if (sr) api->series_result_free(sr);
        return NULL;
    }
    const char *reformat =
        TSC_PLUGIN_HAS(api, series_result_get_reformat) ? api->series_result_get_reformat(sr) : "";
    if (reformat[0]) fprintf(stderr, "tumorscope analyze: series %zu: %s\n", s, reformat);
    /* The reader's corrections first: the JSON and every output are of the
     * edited result. */
    if (R->edits)
        sr = tsc_cli_edits_apply(R->edits, api, R->model, a->c.method, R->ix, s, sr, js,
                                 &R->write_failed);
    R->failed_total +=
        tsc_result_json_add_series_result(js, api, R->model, R->ix, s, sr, a->c.deidentify);
    tsc_result_json_add_edits(js, api, R->model, sr, a->c.deidentify);
    cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(js, "failed_slices"))
        fprintf(stderr, "tumorscope analyze: series %zu %s\n", s,
                cJSON_GetObjectItemCaseSensitive(f, "error")->valuestring);
    return sr;
}

/* Chosen slices only: analysed one by one, no series aggregate. */
static void analyze_chosen_slices(analyze_run *R, size_t s, cJSON *js)
{
    const tsc_plugin_api *api = R->api;
    const analyze_args *a = R->a;
    size_t n = api->study_get_series(R->ix, s)->n_slices;
    cJSON *jfailed = cJSON_GetObjectItemCaseSensitive(js, "failed_slices");
    cJSON *jslices = cJSON_GetObjectItemCaseSensitive(js, "slices");
    tsc_error err;
    for (size_t i = 0; i < a->n_slices; i++) {
        size_t k = (size_t)a->slices[i];
        if (k >= n) {
            char why[128];
            snprintf(why, sizeof why, "series %zu has %zu slices; no slice %zu", s, n, k);
            fprintf(stderr, "tumorscope analyze: %s\n", why);
            tsc_result_json_add_failed_slice(jfailed, k, why);
            R->failed_total++;
            continue;
        }
        tsc_result *r = NULL;
        tsc_status st = api->analyze_study_slice(R->model, R->ix, s, k, &R->ao, &r, &err);
        if (st == TSC_ESCOPE) {
            fprintf(stderr,
                    "tumorscope analyze: %s (--force-scope analyses it anyway, for research use)\n",
                    err.message);
            R->out_of_scope++;
            cJSON_AddStringToObject(js, "verdict", "not_analysed");
            cJSON_AddStringToObject(js, "reason", err.message);
            break;
        }
        if (st != TSC_OK) {
            fprintf(stderr, "tumorscope analyze: %s\n", err.message);
            tsc_result_json_add_failed_slice(jfailed, k, err.message);
            R->failed_total++;
            continue;
        }
        cJSON_AddItemToArray(
            jslices, tsc_result_json_slice(api, R->model, R->ix, s, k, r, a->c.deidentify, NULL));
        if (a->c.png) R->write_failed |= write_slice_png(api, a, R->model, R->ix, s, k, r, &R->ro);
        api->result_free(r);
    }
}

/* The reports and DICOM outputs of a whole-series result, unless its
 * results are on an axial reformat (said in `js`). */
static void write_outputs(analyze_run *R, size_t s, const tsc_series_result *sr, cJSON *js)
{
    const tsc_plugin_api *api = R->api;
    const analyze_args *a = R->a;
    const char *on_reformat =
        TSC_PLUGIN_HAS(api, series_result_get_reformat) ? api->series_result_get_reformat(sr) : "";
    if (!on_reformat[0]) {
        R->write_failed |= write_series_outputs(api, a, R->model, R->ix, s, sr, &R->ro);
        return;
    }
    if (!a->c.png && !a->c.pdf && !a->c.dicom) return;
    /* Every image output draws on, or references, the source slices;
     * written over them the reformat's masks would be in the wrong
     * place.  The JSON holds the findings in patient coordinates. */
    char what[96] = "", why[512];
    if (a->c.dicom) strcat(what, "SEG, SR and Secondary Captures");
    if (a->c.png) strcat(what, what[0] ? ", PNG reports" : "PNG reports");
    if (a->c.pdf) strcat(what, what[0] ? ", PDF report" : "PDF report");
    snprintf(why, sizeof why,
             "%s not written: results are on an axial reformat (%s), and these outputs "
             "draw on or reference the source slices",
             what, on_reformat);
    fprintf(stderr, "tumorscope analyze: series %zu: %s\n", s, why);
    cJSON_AddStringToObject(js, "outputs_not_written", why);
}

/* Series s: analysed, its outputs written, its JSON returned. */
static cJSON *analyze_one_series(analyze_run *R, size_t s)
{
    const tsc_plugin_api *api = R->api;
    const analyze_args *a = R->a;
    cJSON *js = tsc_result_json_series_new(api, R->ix, s, a->c.deidentify);
    if (a->c.method == TSC_METHOD_CNN)
        cJSON_AddItemToObject(js, "scope", tsc_result_json_scope(api, R->model, R->ix, s));
    cJSON_AddArrayToObject(js, "failed_slices");
    cJSON_AddArrayToObject(js, "slices");
    if (a->n_slices) {
        analyze_chosen_slices(R, s, js);
        return js;
    }
    tsc_series_result *sr = analyze_whole_series(R, s, js);
    if (sr && a->c.out_dir) write_outputs(R, s, sr, js);
    /* Beside the exports, never in the study: a later run or the viewer
     * finds them by the series' UIDs. */
    if (sr && a->c.out_dir && R->edits && api->series_result_is_edited(sr) &&
        tsc_cli_edits_save(R->edits, api, R->model, a->c.method, R->ix, s, a->c.out_dir) != 0)
        R->write_failed = 1;
    if (sr) api->series_result_free(sr);
    return js;
}

/* A batch host always gets its JSON, with the reasons, even when nothing
 * could be read; 0 when it was written. */
static int write_unreadable_json(const tsc_plugin_api *api, const analyze_args *a,
                                 const tsc_dicom_index *ix, const tsc_error *err)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "format_version", TSC_RESULT_FORMAT_VERSION);
    cJSON_AddStringToObject(root, "tumorscope_version", api->plugin_version());
    cJSON_AddStringToObject(root, "error", err->message);
    if (ix) tsc_cli_add_skipped_json(api, ix, root);
    cJSON_AddArrayToObject(root, "series");
    int rc = write_json(root, a->c.json_path, a->c.force);
    cJSON_Delete(root);
    return rc;
}

/* The series to analyse (every one, or those --series names); NULL after
 * saying which --series matched none. */
static size_t *series_to_analyse(const tsc_plugin_api *api, const tsc_dicom_index *ix,
                                 const analyze_args *a, size_t *n_todo)
{
    size_t n_all = api->study_n_series(ix);
    size_t *todo = calloc(n_all ? n_all : 1, sizeof *todo);
    *n_todo = 0;
    if (!todo) return NULL;
    if (!a->n_series) {
        for (size_t i = 0; i < n_all; i++) todo[(*n_todo)++] = i;
        return todo;
    }
    for (size_t i = 0; i < a->n_series; i++) {
        size_t got = tsc_cli_match_series(api, ix, a->series[i], todo + *n_todo, n_all - *n_todo);
        if (!got) {
            fprintf(stderr, "tumorscope analyze: no series '%s' (see `tumorscope info`)\n",
                    a->series[i]);
            free(todo);
            return NULL;
        }
        *n_todo += got;
    }
    return todo;
}

int tsc_cli_analyze(int argc, char **argv)
{
    analyze_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc != TSC_EXIT_OK) {
        free(a.paths);
        free(a.series);
        free(a.slices);
        return rc < 0 ? TSC_EXIT_OK : rc;
    }
    const tsc_plugin_api *api = tsc_cli_plugin();
    if (!api) return TSC_EXIT_FAILURE;
    analyze_run R = {.api = api, .a = &a};
    tsc_error err;
    tsc_dicom_open_params op = api->study_default_params();
    tsc_status st = api->study_open(a.paths, a.n_paths, &op, &R.ix, &err);
    if (R.ix) tsc_cli_print_skipped(api, R.ix, stderr, "tumorscope analyze: ", "");
    if (st != TSC_OK) {
        fprintf(stderr, "tumorscope analyze: %s\n", err.message);
        rc = st == TSC_ENOTFOUND ? TSC_EXIT_UNREADABLE : TSC_EXIT_FAILURE;
        if (a.c.json_path) write_unreadable_json(api, &a, R.ix, &err);
        goto out;
    }
    if (a.c.out_dir && tsc_cli_mkdir_p(a.c.out_dir) != 0) {
        fprintf(stderr, "tumorscope analyze: cannot create %s: %s\n", a.c.out_dir, strerror(errno));
        rc = TSC_EXIT_FAILURE;
        goto out;
    }
    if (a.c.method == TSC_METHOD_CNN &&
        (rc = tsc_cli_load_model(api, "analyze", a.c.model_path, &R.model)))
        goto out;
    if (a.edits_path && !(R.edits = tsc_cli_edits_load(api, a.edits_path))) {
        rc = TSC_EXIT_FAILURE;
        goto out;
    }
    size_t n_todo;
    size_t *todo = series_to_analyse(api, R.ix, &a, &n_todo);
    if (!todo) {
        rc = TSC_EXIT_USAGE;
        goto out;
    }
    R.ao = api->analysis_default_options();
    R.ao.method = (tsc_method)a.c.method;
    R.ao.flip_tta = a.c.tta;
    R.ao.force_scope = a.force_scope;
    R.ro = api->report_default_options_v9();
    R.ro.deidentify = a.c.deidentify;
    R.ro.force = a.c.force;

    cJSON *root = tsc_result_json_root(api, R.model, (tsc_method)a.c.method);
    tsc_cli_add_skipped_json(api, R.ix, root);
    cJSON *jseries = cJSON_AddArrayToObject(root, "series");
    for (size_t t = 0; t < n_todo; t++)
        cJSON_AddItemToArray(jseries, analyze_one_series(&R, todo[t]));
    free(todo);

    if (R.edits && !tsc_cli_edits_matched(R.edits)) {
        fprintf(stderr,
                "tumorscope analyze: --edits %s is about a series not analysed here; nothing "
                "was edited\n",
                a.edits_path);
        R.write_failed = 1;
    }
    if (a.c.json_path && write_json(root, a.c.json_path, a.c.force) != 0) R.write_failed = 1;
    cJSON_Delete(root);
    if (R.failed_total) {
        fprintf(stderr, "tumorscope analyze: %zu slice(s) could not be analysed (listed above)\n",
                R.failed_total);
        rc = TSC_EXIT_PARTIAL;
    } else if (R.write_failed) {
        rc = TSC_EXIT_FAILURE;
    } else if (R.out_of_scope) {
        fprintf(stderr,
                "tumorscope analyze: %zu series not analysed: outside the model's scope (listed "
                "above)\n",
                R.out_of_scope);
        rc = TSC_EXIT_SCOPE;
    }
out:
    tsc_cli_edits_free(R.edits);
    api->model_free(R.model);
    api->study_free(R.ix);
    free(a.paths);
    free(a.series);
    free(a.slices);
    return rc;
}
