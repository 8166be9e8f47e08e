/* SPDX-License-Identifier: BSD-3-Clause */
/* tumorscope info PATH... [--json]: the patient/study/series tree. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli_util.h"
#include "tsc_plugin.h"

static const tsc_plugin_api *api;

static void info_usage(FILE *f)
{
    fprintf(f,
            "usage: tumorscope info PATH... [--json] [--no-recursive]\n"
            "\n"
            "Indexes DICOM files (folders are walked recursively; a DICOMDIR is followed)\n"
            "and prints patients, studies and series with slice counts, geometry and\n"
            "transfer syntaxes, then the files that were skipped and why.\n"
            "\n"
            "  --json          print the tree as JSON (see docs/CLI.md)\n"
            "  --no-recursive  do not descend into sub-folders\n"
            "\n"
            "Exit status: 0 ok, 2 usage error, 3 nothing readable.\n");
}

static const char *or_dash(const char *s)
{
    return s && *s ? s : "-";
}

/* Results computed elsewhere and stored with the series: its DICOM SEGs
 * and structured reports (matched by the series they reference), as the
 * JSON of `info --json`. */
static void add_stored_json(const tsc_dicom_index *ix, const char *series_uid, cJSON *jr)
{
    cJSON *segs = cJSON_AddArrayToObject(jr, "stored_segmentations");
    for (size_t i = 0; i < api->study_n_segmentations(ix); i++) {
        const tsc_dicom_seg_info *g = api->study_get_segmentation(ix, i);
        if (strcmp(g->referenced_series_uid, series_uid) != 0) continue;
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "sop_instance_uid", g->sop_instance_uid);
        cJSON_AddStringToObject(j, "description", g->description);
        cJSON_AddNumberToObject(j, "frames", (double)g->n_frames);
        cJSON_AddNumberToObject(j, "segments", (double)g->n_segments);
        cJSON_AddItemToArray(segs, j);
    }
    cJSON *reps = cJSON_AddArrayToObject(jr, "stored_reports");
    if (!TSC_PLUGIN_HAS(api, study_get_report)) return;
    for (size_t i = 0; i < api->study_n_reports(ix); i++) {
        const tsc_dicom_report_info *r = api->study_get_report(ix, i);
        if (strcmp(r->referenced_series_uid, series_uid) != 0) continue;
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "sop_instance_uid", r->sop_instance_uid);
        cJSON_AddStringToObject(j, "title", r->title);
        cJSON_AddStringToObject(j, "manufacturer", r->manufacturer);
        cJSON_AddStringToObject(j, "software", r->software);
        cJSON_AddStringToObject(j, "content_date", r->content_date);
        cJSON_AddStringToObject(j, "content_time", r->content_time);
        cJSON_AddStringToObject(j, "finding", r->finding);
        cJSON_AddNumberToObject(j, "measurement_groups", (double)r->n_measurement_groups);
        cJSON_AddItemToArray(reps, j);
    }
}

/* The same, as text lines under the series. */
static void print_stored(const tsc_dicom_index *ix, const char *series_uid)
{
    cJSON *st = cJSON_CreateObject();
    add_stored_json(ix, series_uid, st);
    const cJSON *j;
    cJSON_ArrayForEach(j, cJSON_GetObjectItemCaseSensitive(st, "stored_segmentations"))
        printf("        stored SEG \"%s\": %.0f frame(s), %.0f segment(s)\n",
               cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "description")),
               cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(j, "frames")),
               cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(j, "segments")));
    cJSON_ArrayForEach(j, cJSON_GetObjectItemCaseSensitive(st, "stored_reports"))
    {
        const char *k[] = {"title",        "manufacturer", "software",
                           "content_date", "content_time", "finding"};
        const char *v[6];
        for (int i = 0; i < 6; i++)
            v[i] = or_dash(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, k[i])));
        printf("        stored report \"%s\" by %s (%s), %s %s: %s; %.0f measurement group(s)\n",
               v[0], v[1], v[2], v[3], v[4], v[5],
               cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(j, "measurement_groups")));
    }
    cJSON_Delete(st);
}

static void print_text(const tsc_dicom_index *ix, double seconds)
{
    size_t np = api->study_n_patients(ix), ns = api->study_n_studies(ix), nse = api->study_n_series(ix);
    for (size_t p = 0; p < np; p++) {
        const tsc_dicom_patient_info *pi = api->study_get_patient(ix, p);
        printf("Patient %s  ID %s  born %s  sex %s\n", or_dash(pi->name), or_dash(pi->id),
               or_dash(pi->birth_date), or_dash(pi->sex));
        for (size_t s = 0; s < ns; s++) {
            const tsc_dicom_study_info *si = api->study_get_study(ix, s);
            if (si->patient != p) continue;
            printf("  Study %s  \"%s\"  accession %s\n", or_dash(si->date), si->description,
                   or_dash(si->accession));
            printf("        UID %s\n", si->study_uid);
            for (size_t r = 0; r < nse; r++) {
                const tsc_dicom_series_info *se = api->study_get_series(ix, r);
                if (se->study != s) continue;
                printf("    [%zu] Series %d  %s  \"%s\"%s%s%s\n", r, se->series_number,
                       or_dash(se->modality), se->description, *se->contrast_label ? "  (" : "",
                       se->contrast_label, *se->contrast_label ? ")" : "");
                printf("        %zu slice(s), %dx%d, pixel %.3gx%.3g mm, thickness %.3g mm, "
                       "spacing %.3g mm\n",
                       se->n_slices, se->cols, se->rows, se->pixel_spacing[1],
                       se->pixel_spacing[0], se->slice_thickness, se->slice_spacing);
                printf("        %s; %s %s\n", se->transfer_syntaxes, or_dash(se->manufacturer),
                       se->model_name);
                if (!(se->pixel_spacing[0] > 0))
                    printf("        note: no valid PixelSpacing; sizes assume 1 mm per pixel\n");
                if (se->flags & TSC_DICOM_SERIES_ORDER_BY_INSTANCE)
                    printf("        note: ordered by InstanceNumber (no slice geometry)\n");
                if (se->flags & TSC_DICOM_SERIES_UNEVEN_SPACING)
                    printf("        note: slice positions are unevenly spaced\n");
                if (se->flags & TSC_DICOM_SERIES_MULTIFRAME)
                    printf("        note: multi-frame object split into frames\n");
                if (se->flags & TSC_DICOM_SERIES_COLOR)
                    printf("        note: colour images, converted to luminance\n");
                print_stored(ix, se->series_uid);
                printf("        UID %s\n", se->series_uid);
            }
        }
    }
    tsc_cli_print_skipped(api, ix, stdout, "", "  ");
    printf("%zu file(s), %zu series, indexed in %.3f s\n", api->study_n_files(ix), nse, seconds);
}

static cJSON *json_tree(const tsc_dicom_index *ix)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *patients = cJSON_AddArrayToObject(root, "patients");
    size_t np = api->study_n_patients(ix), ns = api->study_n_studies(ix), nse = api->study_n_series(ix);
    for (size_t p = 0; p < np; p++) {
        const tsc_dicom_patient_info *pi = api->study_get_patient(ix, p);
        cJSON *jp = cJSON_CreateObject();
        cJSON_AddStringToObject(jp, "name", pi->name);
        cJSON_AddStringToObject(jp, "id", pi->id);
        cJSON_AddStringToObject(jp, "birth_date", pi->birth_date);
        cJSON_AddStringToObject(jp, "sex", pi->sex);
        cJSON *studies = cJSON_AddArrayToObject(jp, "studies");
        for (size_t s = 0; s < ns; s++) {
            const tsc_dicom_study_info *si = api->study_get_study(ix, s);
            if (si->patient != p) continue;
            cJSON *js = cJSON_CreateObject();
            cJSON_AddStringToObject(js, "study_uid", si->study_uid);
            cJSON_AddStringToObject(js, "date", si->date);
            cJSON_AddStringToObject(js, "time", si->time);
            cJSON_AddStringToObject(js, "description", si->description);
            cJSON_AddStringToObject(js, "accession", si->accession);
            cJSON_AddStringToObject(js, "institution", si->institution);
            cJSON *series = cJSON_AddArrayToObject(js, "series");
            for (size_t r = 0; r < nse; r++) {
                const tsc_dicom_series_info *se = api->study_get_series(ix, r);
                if (se->study != s) continue;
                cJSON *jr = cJSON_CreateObject();
                cJSON_AddNumberToObject(jr, "index", (double)r);
                cJSON_AddStringToObject(jr, "series_uid", se->series_uid);
                cJSON_AddNumberToObject(jr, "series_number", se->series_number);
                cJSON_AddStringToObject(jr, "description", se->description);
                cJSON_AddStringToObject(jr, "modality", se->modality);
                cJSON_AddStringToObject(jr, "contrast", se->contrast_label);
                cJSON_AddStringToObject(jr, "manufacturer", se->manufacturer);
                cJSON_AddNumberToObject(jr, "slices", (double)se->n_slices);
                cJSON_AddNumberToObject(jr, "rows", se->rows);
                cJSON_AddNumberToObject(jr, "columns", se->cols);
                cJSON *sp = cJSON_AddArrayToObject(jr, "spacing_mm");
                cJSON_AddItemToArray(sp, cJSON_CreateNumber(se->pixel_spacing[0]));
                cJSON_AddItemToArray(sp, cJSON_CreateNumber(se->pixel_spacing[1]));
                cJSON_AddNumberToObject(jr, "slice_thickness_mm", se->slice_thickness);
                cJSON_AddNumberToObject(jr, "slice_spacing_mm", se->slice_spacing);
                cJSON *ori = cJSON_AddArrayToObject(jr, "orientation");
                for (int k = 0; k < 6; k++)
                    cJSON_AddItemToArray(ori, cJSON_CreateNumber(se->orientation[k]));
                cJSON *ts = cJSON_AddArrayToObject(jr, "transfer_syntaxes");
                /* The series keeps a joined list; split it back for JSON. */
                char *copy = strdup(se->transfer_syntaxes);
                for (char *tok = strtok(copy, ","); tok; tok = strtok(NULL, ",")) {
                    while (*tok == ' ') tok++;
                    cJSON_AddItemToArray(ts, cJSON_CreateString(tok));
                }
                free(copy);
                cJSON_AddBoolToObject(jr, "multiframe", (se->flags & TSC_DICOM_SERIES_MULTIFRAME) != 0);
                cJSON_AddBoolToObject(jr, "ordered_by_position",
                                      (se->flags & TSC_DICOM_SERIES_ORDER_BY_INSTANCE) == 0);
                cJSON_AddBoolToObject(jr, "uneven_spacing",
                                      (se->flags & TSC_DICOM_SERIES_UNEVEN_SPACING) != 0);
                cJSON_AddBoolToObject(jr, "split_from_mixed_series",
                                      (se->flags & TSC_DICOM_SERIES_SPLIT) != 0);
                add_stored_json(ix, se->series_uid, jr);
                cJSON_AddItemToArray(series, jr);
            }
            cJSON_AddItemToArray(studies, js);
        }
        cJSON_AddItemToArray(patients, jp);
    }
    tsc_cli_add_skipped_json(api, ix, root);
    cJSON_AddNumberToObject(root, "files", (double)api->study_n_files(ix));
    return root;
}

enum { OPT_JSON = 256, OPT_NO_RECURSIVE };

static const struct option info_options[] = {{"help", no_argument, NULL, 'h'},
                                             {"json", no_argument, NULL, OPT_JSON},
                                             {"no-recursive", no_argument, NULL, OPT_NO_RECURSIVE},
                                             {NULL, 0, NULL, 0}};

typedef struct info_opts {
    int json;
    tsc_dicom_open_params *params;
} info_opts;

static int info_option(int code, const char *value, void *user)
{
    (void)value;
    info_opts *io = user;
    switch (code) {
    case 'h': info_usage(stdout); return TSC_CLI_DONE;
    case OPT_JSON: io->json = 1; break;
    case OPT_NO_RECURSIVE: io->params->recursive = 0; break;
    }
    return 0;
}

int tsc_cli_info(int argc, char **argv)
{
    int json = 0;
    api = tsc_cli_plugin();
    if (!api) return TSC_EXIT_FAILURE;
    tsc_dicom_open_params params = api->study_default_params();
    const char **paths = calloc((size_t)argc, sizeof *paths);
    size_t n_paths = 0;
    if (!paths) return TSC_EXIT_FAILURE;
    info_opts io = {0, &params};
    int prc =
        tsc_cli_parse_options("info", argc, argv, info_options, info_option, &io, paths, &n_paths);
    json = io.json;
    if (prc != 0) {
        free(paths);
        return prc == TSC_CLI_DONE ? TSC_EXIT_OK : prc;
    }
    if (!n_paths) {
        info_usage(stderr);
        free(paths);
        return TSC_EXIT_USAGE;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    tsc_dicom_index *ix = NULL;
    tsc_error err;
    tsc_status st = api->study_open(paths, n_paths, &params, &ix, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    free(paths);
    double seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    if (st != TSC_OK && st != TSC_ENOTFOUND) {
        fprintf(stderr, "tumorscope info: %s\n", err.message);
        api->study_free(ix);
        return TSC_EXIT_FAILURE;
    }
    if (json) {
        cJSON *root = json_tree(ix);
        char *text = cJSON_Print(root);
        if (text) puts(text);
        free(text);
        cJSON_Delete(root);
    } else {
        print_text(ix, seconds);
    }
    /* Skipped files also go to stderr (grouped by reason; --json lists each). */
    tsc_cli_print_skipped(api, ix, stderr, "tumorscope info: ", "");
    int rc = TSC_EXIT_OK;
    if (st == TSC_ENOTFOUND) {
        fprintf(stderr, "tumorscope info: %s\n", err.message);
        rc = TSC_EXIT_UNREADABLE;
    }
    api->study_free(ix);
    return rc;
}
