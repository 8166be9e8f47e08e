/* SPDX-License-Identifier: BSD-3-Clause */
/* tumorscope compare: a follow-up study against its baseline.  One series of
 * each is analysed through the plugin ABI, the 3D lesions are compared by the
 * core's tsc_compare (matching by position, change table, suggested RANO
 * category) and the result is printed and written as JSON
 * (docs/RESULT_FORMAT.md "Comparison with a prior study"). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_analysis.h"
#include "cli_util.h"
#include "compare_report.h"
#include "result_json.h"
#include "tsc_compare.h"
#include "tsc_plugin.h"

static void compare_usage(FILE *f)
{
    fprintf(f, "usage: tumorscope compare BASELINE FOLLOWUP [options]\n"
               "\n"
               "Compares a follow-up study with its baseline: analyses one series of each,\n"
               "matches their lesions by position (patient coordinates, not slice numbers)\n"
               "and prints the change in volume and RANO bidimensional product per lesion\n"
               "and in total, with a RANO category suggested for the radiologist's decision.\n"
               "Both must be of the same patient (same PatientID).\n"
               "\n"
               "  --baseline-series N|UID   the series of BASELINE to compare (needed when it\n"
               "                            holds several; index from `tumorscope info`)\n"
               "  --followup-series N|UID   the same for FOLLOWUP\n"
               "  --allow-different-patients  compare although the PatientIDs differ (or are\n"
               "                            missing): only after you have confirmed that both\n"
               "                            studies are of one patient\n"
               "  --method M        cnn (default), threshold or region-growing\n"
               "  --model FILE      model manifest (default: the shipped model)\n"
               "  --threads N       worker threads (default: all cores)\n"
               "  --no-tta          no horizontal-flip test-time augmentation\n"
               "  --json FILE       write the comparison as JSON (`-` for stdout; never into the\n"
               "                    input folders)\n"
               "  --out DIR         write the report into DIR (never into the input folders)\n"
               "  --png             DIR/comparison.png: both key slices side by side with\n"
               "                    their lesions, and the change table (default with --out)\n"
               "  --pdf             DIR/comparison.pdf: the same on one page\n"
               "  --dicom           DIR/comparison_sr.dcm: the comparison as a DICOM TID 1500\n"
               "                    measurement report in a new series of the follow-up\n"
               "                    study, referencing the images of both studies\n"
               "  --deidentify      no patient identifiers or source UIDs in the JSON, no\n"
               "                    study dates in the report; the DICOM report pseudonymous\n"
               "  --force           overwrite existing output files\n"
               "  --quiet           no progress on stderr\n"
               "\n"
               "Exit status: 0 done, 1 failure (model, analysis, output), 2 usage error or\n"
               "different patients without --allow-different-patients, 3 input unreadable,\n"
               "4 some slices could not be analysed (the comparison is still written), 5 a\n"
               "series is outside the model's scope (nothing compared).\n");
}

typedef struct compare_args {
    const char **paths;
    size_t n_paths;
    const char *series[2];
    int allow_different_patients;
    tsc_cli_analysis_args c; /* --method, --model, ..., --json, --out, ... */
} compare_args;

enum { OPT_BASELINE_SERIES = 256, OPT_FOLLOWUP_SERIES, OPT_ALLOW_DIFFERENT };

static const struct option compare_options[] = {
    {"help", no_argument, NULL, 'h'},
    {"baseline-series", required_argument, NULL, OPT_BASELINE_SERIES},
    {"followup-series", required_argument, NULL, OPT_FOLLOWUP_SERIES},
    {"allow-different-patients", no_argument, NULL, OPT_ALLOW_DIFFERENT},
    TSC_CLI_MODEL_OPTIONS,
    TSC_CLI_JSON_FORCE_OPTIONS,
    TSC_CLI_REPORT_OPTIONS,
    {NULL, 0, NULL, 0}};

static int compare_option(int code, const char *v, void *user)
{
    compare_args *a = user;
    switch (code) {
    case 'h': compare_usage(stdout); return TSC_CLI_DONE;
    case OPT_BASELINE_SERIES: a->series[0] = v; break;
    case OPT_FOLLOWUP_SERIES: a->series[1] = v; break;
    case OPT_ALLOW_DIFFERENT: a->allow_different_patients = 1; break;
    default: return tsc_cli_analysis_option("compare", code, v, &a->c);
    }
    return 0;
}

static int parse_args(int argc, char **argv, compare_args *a)
{
    memset(a, 0, sizeof *a);
    tsc_cli_analysis_args_init(&a->c);
    a->paths = calloc((size_t)argc, sizeof *a->paths);
    if (!a->paths) return TSC_EXIT_FAILURE;
    int rc = tsc_cli_parse_options("compare", argc, argv, compare_options, compare_option, a,
                                   a->paths, &a->n_paths);
    if (rc != 0) return rc;
    if (a->n_paths != 2) {
        fprintf(stderr, "tumorscope compare: needs two studies, BASELINE and FOLLOWUP (got %zu)\n",
                a->n_paths);
        fprintf(stderr, "(see tumorscope compare --help)\n");
        return TSC_EXIT_USAGE;
    }
    return tsc_cli_check_outputs("compare", &a->c, a->paths, a->n_paths);
}

/* One side of the comparison: its study, the series chosen and its result. */
typedef struct side {
    const char *role; /* "baseline", "follow-up" */
    const char *path;
    tsc_dicom_index *ix;
    size_t series;
    tsc_series_result *sr;
    const tsc_lesion3d_info **lesions; /* borrowed from sr */
    size_t n_lesions;
} side;

/* The series of `sd` named by `want` (index or UID), or its only one; a
 * usage error says which to choose. */
static int choose_series(const tsc_plugin_api *api, side *sd, const char *want, const char *opt)
{
    size_t n = api->study_n_series(sd->ix);
    if (want) {
        /* A UID may name several parts of a split series: the first. */
        if (tsc_cli_match_series(api, sd->ix, want, &sd->series, 1)) return TSC_EXIT_OK;
        fprintf(stderr,
                "tumorscope compare: the %s %s has no series '%s' (see `tumorscope info`)\n",
                sd->role, sd->path, want);
        return TSC_EXIT_USAGE;
    }
    if (n == 1) {
        sd->series = 0;
        return TSC_EXIT_OK;
    }
    fprintf(stderr,
            "tumorscope compare: the %s %s holds %zu image series; choose one with %s N (series "
            "indices from `tumorscope info`)\n",
            sd->role, sd->path, n, opt);
    return TSC_EXIT_USAGE;
}

static const char *patient_id(const tsc_plugin_api *api, const side *sd)
{
    const tsc_dicom_series_info *se = api->study_get_series(sd->ix, sd->series);
    const tsc_dicom_study_info *st = api->study_get_study(sd->ix, se->study);
    return api->study_get_patient(sd->ix, st->patient)->id;
}

/* Analyses the chosen series of `sd` and copies its 3D lesions. */
static int analyse_side(const tsc_plugin_api *api, const compare_args *a, tsc_model *model,
                        const tsc_analysis_options *ao, side *sd, size_t *failed)
{
    tsc_error err;
    char label[64];
    snprintf(label, sizeof label, "%s series %zu", sd->role, sd->series);
    tsc_status st = api->analyze_study_series(model, sd->ix, sd->series, ao, a->c.threads,
                                              a->c.quiet || !isatty(2) ? NULL : tsc_cli_progress,
                                              label, &sd->sr, &err);
    if (st != TSC_OK) {
        fprintf(stderr, "tumorscope compare: %s series %zu: %s%s\n", sd->role, sd->series,
                err.message, st == TSC_ESCOPE ? " (nothing compared)" : "");
        return st == TSC_ESCOPE ? TSC_EXIT_SCOPE : TSC_EXIT_FAILURE;
    }
    *failed += api->series_result_n_failed(sd->sr);
    sd->n_lesions = api->series_result_n_lesions3d(sd->sr);
    sd->lesions = calloc(sd->n_lesions + 1, sizeof *sd->lesions);
    if (!sd->lesions) return TSC_EXIT_FAILURE;
    for (size_t i = 0; i < sd->n_lesions; i++)
        sd->lesions[i] = api->series_result_get_lesion3d(sd->sr, i);
    return TSC_EXIT_OK;
}

static double rnd(double v, int decimals)
{
    return tsc_result_json_round(v, decimals);
}

/* A number, or null where it is not defined (a percentage of nothing). */
static void add_number(cJSON *o, const char *key, double v, int decimals)
{
    if (isfinite(v)) cJSON_AddNumberToObject(o, key, rnd(v, decimals));
    else cJSON_AddNullToObject(o, key);
}

/* The lesion number as in the series' "lesions_3d" (1-based), or null. */
static void add_lesion_number(cJSON *o, const char *key, size_t i)
{
    if (i == (size_t)-1) cJSON_AddNullToObject(o, key);
    else cJSON_AddNumberToObject(o, key, (double)(i + 1));
}

static cJSON *row_json(const tsc_compare_row *r)
{
    cJSON *o = cJSON_CreateObject();
    int b = r->baseline != (size_t)-1, f = r->followup != (size_t)-1;
    cJSON_AddStringToObject(o, "change", tsc_lesion_change_to_string(r->change));
    add_lesion_number(o, "baseline_lesion", r->baseline);
    add_lesion_number(o, "followup_lesion", r->followup);
    add_number(o, "distance_mm", r->distance_mm, 2);
    add_number(o, "baseline_volume_ml", b ? r->baseline_volume_ml : NAN, 3);
    add_number(o, "followup_volume_ml", f ? r->followup_volume_ml : NAN, 3);
    add_number(o, "volume_change_ml", r->volume_change_ml, 3);
    add_number(o, "volume_change_percent", r->volume_change_percent, 1);
    add_number(o, "baseline_product_mm2", b ? r->baseline_product_mm2 : NAN, 1);
    add_number(o, "followup_product_mm2", f ? r->followup_product_mm2 : NAN, 1);
    add_number(o, "product_change_mm2", r->product_change_mm2, 1);
    add_number(o, "product_change_percent", r->product_change_percent, 1);
    if (b) cJSON_AddBoolToObject(o, "baseline_measurable", r->baseline_measurable);
    else cJSON_AddNullToObject(o, "baseline_measurable");
    if (f) cJSON_AddBoolToObject(o, "followup_measurable", r->followup_measurable);
    else cJSON_AddNullToObject(o, "followup_measurable");
    cJSON_AddBoolToObject(o, "target", r->target);
    return o;
}

static cJSON *totals_json(const tsc_compare_totals *t)
{
    cJSON *o = cJSON_CreateObject();
    add_number(o, "baseline_volume_ml", t->baseline_volume_ml, 3);
    add_number(o, "followup_volume_ml", t->followup_volume_ml, 3);
    add_number(o, "volume_change_ml", t->volume_change_ml, 3);
    add_number(o, "volume_change_percent", t->volume_change_percent, 1);
    add_number(o, "baseline_sum_of_products_mm2", t->baseline_spd_mm2, 1);
    add_number(o, "followup_sum_of_products_mm2", t->followup_spd_mm2, 1);
    add_number(o, "sum_of_products_change_mm2", t->spd_change_mm2, 1);
    add_number(o, "sum_of_products_change_percent", t->spd_change_percent, 1);
    cJSON_AddNumberToObject(o, "target_lesions", (double)t->n_targets);
    cJSON_AddNumberToObject(o, "matched", (double)t->n_matched);
    cJSON_AddNumberToObject(o, "new", (double)t->n_new);
    cJSON_AddNumberToObject(o, "new_measurable", (double)t->n_new_measurable);
    cJSON_AddNumberToObject(o, "gone", (double)t->n_gone);
    return o;
}

/* One side as analyze writes a series (docs/RESULT_FORMAT.md), with its study. */
static cJSON *side_json(const tsc_plugin_api *api, const compare_args *a, const tsc_model *model,
                        const side *sd)
{
    cJSON *js = tsc_result_json_series_new(api, sd->ix, sd->series, a->c.deidentify);
    const tsc_dicom_series_info *se = api->study_get_series(sd->ix, sd->series);
    const tsc_dicom_study_info *st = api->study_get_study(sd->ix, se->study);
    if (a->c.deidentify) {
        cJSON_AddNullToObject(js, "study_uid");
        cJSON_AddNullToObject(js, "study_date");
    } else {
        cJSON_AddStringToObject(js, "study_uid", st->study_uid);
        cJSON_AddStringToObject(js, "study_date", st->date);
    }
    add_number(js, "slice_spacing_mm", se->slice_spacing, 3);
    cJSON_AddArrayToObject(js, "failed_slices");
    cJSON_AddArrayToObject(js, "slices");
    tsc_result_json_add_series_result(js, api, model, sd->ix, sd->series, sd->sr, a->c.deidentify);
    return js;
}

static cJSON *comparison_json(const tsc_plugin_api *api, const compare_args *a,
                              const tsc_model *model, const side *sides,
                              const tsc_compare_params *p, const tsc_comparison *c, int same_id)
{
    cJSON *root = tsc_result_json_root(api, model, (tsc_method)a->c.method);
    cJSON *pc = cJSON_AddObjectToObject(root, "patient_check");
    cJSON_AddBoolToObject(pc, "same_patient_id", same_id);
    cJSON_AddBoolToObject(pc, "confirmed_by_user", !same_id);
    cJSON *m = cJSON_AddObjectToObject(root, "matching");
    cJSON_AddStringToObject(m, "rule",
                            "centres of mass within max_centre_distance_mm, or the centre of "
                            "either inside the other's bounding box enlarged by box_margin_mm; "
                            "paired one to one, closest first; no registration");
    cJSON_AddNumberToObject(m, "max_centre_distance_mm", p->max_centre_distance_mm);
    cJSON_AddNumberToObject(m, "box_margin_mm", p->box_margin_mm);
    const char *for0 = api->study_get_series(sides[0].ix, sides[0].series)->frame_of_reference_uid;
    const char *for1 = api->study_get_series(sides[1].ix, sides[1].series)->frame_of_reference_uid;
    cJSON_AddBoolToObject(m, "same_frame_of_reference", *for0 && !strcmp(for0, for1));
    cJSON_AddItemToObject(root, "baseline", side_json(api, a, model, &sides[0]));
    cJSON_AddItemToObject(root, "followup", side_json(api, a, model, &sides[1]));
    cJSON *rows = cJSON_AddArrayToObject(root, "lesions");
    for (size_t i = 0; i < tsc_comparison_n_rows(c); i++)
        cJSON_AddItemToArray(rows, row_json(tsc_comparison_get_row(c, i)));
    cJSON_AddItemToObject(root, "totals", totals_json(tsc_comparison_get_totals(c)));
    const tsc_rano_suggestion *rs = tsc_comparison_get_rano(c);
    cJSON *r = cJSON_AddObjectToObject(root, "rano_suggestion");
    cJSON_AddStringToObject(r, "category", tsc_rano_category_to_string(rs->category));
    cJSON_AddStringToObject(r, "name", tsc_rano_category_name(rs->category));
    cJSON_AddStringToObject(r, "label", TSC_RANO_SUGGESTION_LABEL);
    cJSON_AddStringToObject(r, "reason", rs->reason);
    cJSON_AddStringToObject(r, "rules", TSC_RANO_RULES);
    return root;
}

static void print_value(double v, const char *fmt, int width)
{
    char b[32];
    if (isfinite(v)) snprintf(b, sizeof b, fmt, v);
    else snprintf(b, sizeof b, "-");
    printf("%*s", width, b);
}

/* The change table on stdout: no identifiers, series by index. */
static void print_table(const side *sides, const tsc_comparison *c)
{
    printf("baseline:  %s, series %zu, %zu lesion(s)\n", sides[0].path, sides[0].series,
           sides[0].n_lesions);
    printf("follow-up: %s, series %zu, %zu lesion(s)\n\n", sides[1].path, sides[1].series,
           sides[1].n_lesions);
    printf("%-6s %-8s %9s %9s %8s %11s %11s %8s\n", "lesion", "change", "base mL", "f/u mL",
           "vol %", "base mm²", "f/u mm²", "prod %");
    for (size_t i = 0; i < tsc_comparison_n_rows(c); i++) {
        const tsc_compare_row *r = tsc_comparison_get_row(c, i);
        char name[48];
        if (r->baseline != (size_t)-1 && r->followup != (size_t)-1)
            snprintf(name, sizeof name, "%zu/%zu", r->baseline + 1, r->followup + 1);
        else if (r->baseline != (size_t)-1) snprintf(name, sizeof name, "%zu/-", r->baseline + 1);
        else snprintf(name, sizeof name, "-/%zu", r->followup + 1);
        printf("%-6s %-8s", name, tsc_lesion_change_to_string(r->change));
        print_value(r->baseline != (size_t)-1 ? r->baseline_volume_ml : NAN, "%.2f", 10);
        print_value(r->followup != (size_t)-1 ? r->followup_volume_ml : NAN, "%.2f", 10);
        print_value(r->volume_change_percent, "%+.1f", 9);
        print_value(r->baseline != (size_t)-1 ? r->baseline_product_mm2 : NAN, "%.0f", 11);
        print_value(r->followup != (size_t)-1 ? r->followup_product_mm2 : NAN, "%.0f", 11);
        print_value(r->product_change_percent, "%+.1f", 9);
        printf("%s\n", r->target ? "  target" : "");
    }
    const tsc_compare_totals *t = tsc_comparison_get_totals(c);
    printf("%-15s", "total");
    print_value(t->baseline_volume_ml, "%.2f", 10);
    print_value(t->followup_volume_ml, "%.2f", 10);
    print_value(t->volume_change_percent, "%+.1f", 9);
    print_value(t->baseline_spd_mm2, "%.0f", 11);
    print_value(t->followup_spd_mm2, "%.0f", 11);
    print_value(t->spd_change_percent, "%+.1f", 9);
    printf("  (sum of products of the %zu target lesion(s))\n", t->n_targets);
    const tsc_rano_suggestion *rs = tsc_comparison_get_rano(c);
    printf("\nRANO %s (%s), %s: %s\n", tsc_rano_category_to_string(rs->category),
           tsc_rano_category_name(rs->category), TSC_RANO_SUGGESTION_LABEL, rs->reason);
}

/* The reports asked for into --out; TSC_EXIT_FAILURE (said on stderr) when
 * one could not be written. */
static int write_reports(const tsc_plugin_api *api, const compare_args *a, const tsc_model *model,
                         const side *sides, const tsc_comparison *cmp)
{
    tsc_compare_view v[2];
    for (int i = 0; i < 2; i++)
        v[i] = (tsc_compare_view){i ? "Follow-up" : "Baseline", sides[i].ix, sides[i].series,
                                  sides[i].sr};
    char path[4096];
    tsc_error err;
    int rc = TSC_EXIT_OK;
    if (tsc_cli_mkdir_p(a->c.out_dir) != 0) {
        fprintf(stderr, "tumorscope compare: cannot create %s: %s\n", a->c.out_dir,
                strerror(errno));
        return TSC_EXIT_FAILURE;
    }
    snprintf(path, sizeof path, "%s/comparison.png", a->c.out_dir);
    if (a->c.png &&
        tsc_compare_report_png(path, api, model, v, cmp, a->c.deidentify, a->c.force, &err)) {
        fprintf(stderr, "tumorscope compare: %s\n", err.message);
        rc = TSC_EXIT_FAILURE;
    }
    snprintf(path, sizeof path, "%s/comparison.pdf", a->c.out_dir);
    if (a->c.pdf &&
        tsc_compare_report_pdf(path, api, model, v, cmp, a->c.deidentify, a->c.force, &err)) {
        fprintf(stderr, "tumorscope compare: %s\n", err.message);
        rc = TSC_EXIT_FAILURE;
    }
    snprintf(path, sizeof path, "%s/comparison_sr.dcm", a->c.out_dir);
    if (a->c.dicom &&
        tsc_compare_report_sr(path, api, model, v, cmp, a->c.deidentify, a->c.force, &err)) {
        fprintf(stderr, "tumorscope compare: %s\n", err.message);
        rc = TSC_EXIT_FAILURE;
    }
    return rc;
}

static int open_side(const tsc_plugin_api *api, side *sd)
{
    tsc_error err;
    tsc_dicom_open_params op = api->study_default_params();
    tsc_status st = api->study_open(&sd->path, 1, &op, &sd->ix, &err);
    if (sd->ix) tsc_cli_print_skipped(api, sd->ix, stderr, "tumorscope compare: ", "");
    if (st == TSC_OK) return TSC_EXIT_OK;
    fprintf(stderr, "tumorscope compare: %s: %s\n", sd->role, err.message);
    return st == TSC_ENOTFOUND ? TSC_EXIT_UNREADABLE : TSC_EXIT_FAILURE;
}

int tsc_cli_compare(int argc, char **argv)
{
    compare_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc != TSC_EXIT_OK) {
        free(a.paths);
        return rc < 0 ? TSC_EXIT_OK : rc;
    }
    side sides[2] = {{.role = "baseline", .path = a.paths[0]},
                     {.role = "follow-up", .path = a.paths[1]}};
    tsc_model *model = NULL;
    tsc_comparison *cmp = NULL;
    const tsc_plugin_api *api = tsc_cli_plugin();
    if (!api) {
        free(a.paths);
        return TSC_EXIT_FAILURE;
    }
    static const char *const series_opt[2] = {"--baseline-series", "--followup-series"};
    for (int i = 0; i < 2 && rc == TSC_EXIT_OK; i++) {
        rc = open_side(api, &sides[i]);
        if (rc == TSC_EXIT_OK) rc = choose_series(api, &sides[i], a.series[i], series_opt[i]);
    }
    if (rc != TSC_EXIT_OK) goto out;
    /* Never two patients silently: the identifiers stay out of stderr. */
    const char *id0 = patient_id(api, &sides[0]), *id1 = patient_id(api, &sides[1]);
    int same_id = *id0 && !strcmp(id0, id1);
    if (!same_id && !a.allow_different_patients) {
        fprintf(stderr,
                "tumorscope compare: the baseline and the follow-up %s (identifiers not shown); "
                "compare studies of one patient, or pass --allow-different-patients once you have "
                "confirmed that they are the same patient\n",
                *id0 && *id1 ? "have different PatientIDs" : "lack a PatientID");
        rc = TSC_EXIT_USAGE;
        goto out;
    }
    if (!same_id)
        fprintf(stderr, "tumorscope compare: PatientIDs differ; compared as one patient on "
                        "request (--allow-different-patients)\n");
    tsc_error err;
    if (a.c.method == TSC_METHOD_CNN &&
        (rc = tsc_cli_load_model(api, "compare", a.c.model_path, &model)))
        goto out;
    tsc_analysis_options ao = api->analysis_default_options();
    ao.method = (tsc_method)a.c.method;
    ao.flip_tta = a.c.tta;
    size_t failed = 0;
    for (int i = 0; i < 2 && rc == TSC_EXIT_OK; i++)
        rc = analyse_side(api, &a, model, &ao, &sides[i], &failed);
    if (rc != TSC_EXIT_OK) goto out;
    tsc_compare_params p = tsc_compare_default_params();
    if (tsc_compare_lesions(sides[0].lesions, sides[0].n_lesions, sides[1].lesions,
                            sides[1].n_lesions, &p, &cmp, &err) != TSC_OK) {
        fprintf(stderr, "tumorscope compare: %s\n", err.message);
        rc = TSC_EXIT_FAILURE;
        goto out;
    }
    if (!a.c.json_path || strcmp(a.c.json_path, "-")) print_table(sides, cmp);
    if (a.c.out_dir) rc = write_reports(api, &a, model, sides, cmp);
    if (a.c.json_path) {
        cJSON *root = comparison_json(api, &a, model, sides, &p, cmp, same_id);
        char *text = cJSON_Print(root);
        if (!text || tsc_cli_write_file_atomic(a.c.json_path, text, strlen(text), a.c.force,
                                               &err) != TSC_OK) {
            fprintf(stderr, "tumorscope compare: %s\n", text ? err.message : "out of memory");
            rc = TSC_EXIT_FAILURE;
        }
        free(text);
        cJSON_Delete(root);
    }
    if (rc == TSC_EXIT_OK && failed) {
        fprintf(stderr,
                "tumorscope compare: %zu slice(s) could not be analysed; the comparison may miss "
                "lesions on them (listed in the JSON)\n",
                failed);
        rc = TSC_EXIT_PARTIAL;
    }
out:
    tsc_comparison_free(cmp);
    for (int i = 0; i < 2; i++) {
        if (sides[i].sr) api->series_result_free(sides[i].sr);
        free((void *)sides[i].lesions);
        api->study_free(sides[i].ix);
    }
    api->model_free(model);
    free(a.paths);
    return rc;
}
