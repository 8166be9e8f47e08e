/* SPDX-License-Identifier: BSD-3-Clause */
/* End to end through DICOM on real data: every test-split patient of
 * figshare-cheng becomes a DICOM series (`tumorscope dicomize`), the study is
 * analysed with `tumorscope analyze --all`, and each slice's verdict, label,
 * confidence and mask area must equal what `tumorscope eval` finds on the
 * same PNG (the same pipeline, reached through DICOM instead of PNG).
 * Needs ../shared/data; skips with a message without it. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tsc_test.h"

#define MAX_ROWS 4096
#define MAX_PATIENTS 512

typedef struct row {
    char id[64];
    char patient[64];
    char truth[32];     /* label_name of the dataset */
    int patient_index;  /* into patients[] */
    int slice;          /* position in its patient's series */
    /* from eval */
    char eval_verdict[32], eval_label[32];
    double eval_conf, eval_dice;
    long eval_mask_px;
    int have_eval;
    /* from analyze */
    char dcm_verdict[32], dcm_label[32];
    int dcm_head_end; /* made not assessable by the series rule (an end of the head) */
    double dcm_conf, dcm_area_mm2, dcm_ms;
    int have_dcm;
} row;

static row rows[MAX_ROWS];
static size_t n_rows;
static char patients[MAX_PATIENTS][64];
static int patient_slices[MAX_PATIENTS];
static size_t n_patients;

/* Runs a shell command, its output into LOG; returns the exit status. */
static int run(const char *log, const char *fmt, ...)
{
    char cmd[8192], full[8448];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    snprintf(full, sizeof full, "(%s) > '%s' 2>&1", cmd, log);
    int rc = system(full);
    if (rc == -1 || !WIFEXITED(rc)) return -1;
    if (WEXITSTATUS(rc) != 0) {
        fprintf(stderr, "command failed (%d): %s\n--- output:\n", WEXITSTATUS(rc), cmd);
        FILE *f = fopen(log, "r");
        char line[1024];
        for (int i = 0; f && i < 40 && fgets(line, sizeof line, f); i++) fputs(line, stderr);
        if (f) fclose(f);
    }
    return WEXITSTATUS(rc);
}

/* Splits a CSV line without quotes (the shared datasets have none) in place. */
static int split(char *line, char **f, int max)
{
    int n = 0;
    line[strcspn(line, "\r\n")] = 0;
    for (char *p = line; n < max;) {
        f[n++] = p;
        char *c = strchr(p, ',');
        if (!c) break;
        *c = 0;
        p = c + 1;
    }
    return n;
}

static int column(char **f, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(f[i], name)) return i;
    return -1;
}

static row *find_row(const char *id)
{
    for (size_t i = 0; i < n_rows; i++)
        if (!strcmp(rows[i].id, id)) return &rows[i];
    return NULL;
}

/* The test split, grouped by patient in file order; `limit` patients at most. */
static void read_index(const char *data, const char *ds_dir, size_t limit)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/index.csv", data);
    FILE *in = fopen(path, "r");
    REQUIRE(in);
    snprintf(path, sizeof path, "%s/index.csv", ds_dir);
    FILE *out = fopen(path, "w");
    REQUIRE(out);
    char line[1024], copy[1024], *f[32];
    REQUIRE(fgets(line, sizeof line, in));
    fputs(line, out);
    int n = split(line, f, 32);
    int c_id = column(f, n, "id"), c_label = column(f, n, "label_name"), c_pat = column(f, n, "patient_id"),
        c_split = column(f, n, "split");
    REQUIRE(c_id >= 0 && c_label >= 0 && c_pat >= 0 && c_split >= 0);
    while (fgets(line, sizeof line, in)) {
        snprintf(copy, sizeof copy, "%s", line);
        int m = split(line, f, 32);
        if (m < n || strcmp(f[c_split], "test") != 0) continue;
        size_t p = 0;
        while (p < n_patients && strcmp(patients[p], f[c_pat]) != 0) p++;
        if (p == n_patients) {
            if (n_patients == limit || n_patients == MAX_PATIENTS) continue;
            snprintf(patients[n_patients++], sizeof patients[0], "%s", f[c_pat]);
        }
        REQUIRE(n_rows < MAX_ROWS);
        row *r = &rows[n_rows++];
        memset(r, 0, sizeof *r);
        snprintf(r->id, sizeof r->id, "%s", f[c_id]);
        snprintf(r->patient, sizeof r->patient, "%s", f[c_pat]);
        snprintf(r->truth, sizeof r->truth, "%s", f[c_label]);
        r->patient_index = (int)p;
        r->slice = patient_slices[p]++;
        fputs(copy, out);
    }
    fclose(in);
    REQUIRE(fclose(out) == 0);
}

static void read_eval(const char *csv_path)
{
    char *text = tsc_test_read_file(csv_path, NULL);
    REQUIRE(text);
    char *save = NULL, *f[16];
    char *line = strtok_r(text, "\n", &save);
    REQUIRE(line);
    int n = split(line, f, 16);
    int c_id = column(f, n, "id"), c_pred = column(f, n, "prediction"), c_v = column(f, n, "verdict"),
        c_conf = column(f, n, "confidence"), c_dice = column(f, n, "dice"), c_px = column(f, n, "mask_px");
    REQUIRE(c_id >= 0 && c_pred >= 0 && c_v >= 0 && c_conf >= 0 && c_dice >= 0 && c_px >= 0);
    while ((line = strtok_r(NULL, "\n", &save))) {
        if (split(line, f, 16) < n) continue;
        row *r = find_row(f[c_id]);
        if (!r) continue;
        snprintf(r->eval_label, sizeof r->eval_label, "%s", f[c_pred]);
        snprintf(r->eval_verdict, sizeof r->eval_verdict, "%s", f[c_v]);
        r->eval_conf = strtod(f[c_conf], NULL);
        r->eval_dice = strtod(f[c_dice], NULL);
        r->eval_mask_px = atol(f[c_px]);
        r->have_eval = 1;
    }
    free(text);
}

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* Series are named after the patient (SeriesDescription); slice k of a
 * series is the patient's k-th PNG (dicomize stacks them inferior to
 * superior, and the reader shows them in that order). */
static void read_analyze(const char *json_path)
{
    char *text = tsc_test_read_file(json_path, NULL);
    REQUIRE(text);
    cJSON *root = cJSON_Parse(text);
    REQUIRE(root);
    const cJSON *series;
    cJSON_ArrayForEach(series, cJSON_GetObjectItemCaseSensitive(root, "series"))
    {
        const char *pid = str(series, "description");
        size_t p = 0;
        while (p < n_patients && strcmp(patients[p], pid) != 0) p++;
        REQUIRE(p < n_patients);
        const cJSON *s;
        cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(series, "slices"))
        {
            int k = (int)num(s, "index");
            row *r = NULL;
            for (size_t i = 0; i < n_rows && !r; i++)
                if (rows[i].patient_index == (int)p && rows[i].slice == k) r = &rows[i];
            REQUIRE(r);
            snprintf(r->dcm_verdict, sizeof r->dcm_verdict, "%s", str(s, "verdict"));
            r->dcm_head_end = !strncmp(str(s, "reason"), "an end of the head", 18);
            /* The 4-class prediction and its probability, as eval reads them. */
            const cJSON *pr, *probs = cJSON_GetObjectItemCaseSensitive(s, "probabilities");
            r->dcm_conf = -1;
            cJSON_ArrayForEach(pr, probs)
                if (cJSON_IsNumber(pr) && pr->valuedouble > r->dcm_conf) {
                    r->dcm_conf = pr->valuedouble;
                    snprintf(r->dcm_label, sizeof r->dcm_label, "%s", pr->string);
                }
            r->dcm_ms = num(s, "ms");
            double area = 0;
            const cJSON *l;
            cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(s, "lesions")) area += num(l, "area_mm2");
            r->dcm_area_mm2 = area;
            r->have_dcm = 1;
        }
    }
    cJSON_Delete(root);
    free(text);
}

TSC_TEST(e2e_figshare_test_patients_through_dicom_agree_with_eval)
{
    const char *shared = tsc_test_env("TSC_SHARED_DATA", "../shared/data");
    char data[1024];
    snprintf(data, sizeof data, "%s/figshare-cheng", shared);
    char probe[1200];
    snprintf(probe, sizeof probe, "%s/index.csv", data);
    if (access(probe, R_OK) != 0)
        tsc_test_skip("%s is not readable: the shared MRI data are absent (see docs/EVALUATION.md)", probe);
    const char *cli = tsc_test_env("TSC_CLI_BIN", "");
    char cli_path[1024];
    if (!*cli) {
        tsc_test_children_skip_tls_in_leak_checks();
        snprintf(cli_path, sizeof cli_path, "%s/bin/tumorscope", tsc_test_env("TSC_BUILD_DIR", "build"));
        cli = cli_path;
    }
    /* A sanitizer build is ~10x slower: four patients prove the same path. */
    size_t limit = getenv("TSC_SANITIZED") ? 4 : MAX_PATIENTS;

    const char *tmp = tsc_test_tmpdir();
    const char *ds = tsc_test_path("dataset");
    const char *study = tsc_test_path("study");
    const char *log = tsc_test_path("command.log");
    const char *result = tsc_test_path("result.json");
    const char *metrics = tsc_test_path("metrics.json");
    const char *per_slice = tsc_test_path("per-slice.csv");
    REQUIRE(mkdir(ds, 0755) == 0);
    read_index(data, ds, limit);
    REQUIRE(n_rows > 0);
    /* The subset dataset shares the original images and masks. */
    char link[2048], target[2048];
    snprintf(link, sizeof link, "%s/images", ds);
    snprintf(target, sizeof target, "%s/images", data);
    REQUIRE(symlink(target, link) == 0);
    snprintf(link, sizeof link, "%s/masks", ds);
    snprintf(target, sizeof target, "%s/masks", data);
    REQUIRE(symlink(target, link) == 0);

    /* One DICOM series per patient, its slices in the index's order. */
    double t0 = tsc_test_seconds();
    for (size_t p = 0; p < n_patients; p++) {
        char png[1024];
        snprintf(png, sizeof png, "%s/png-%zu", tmp, p);
        REQUIRE(mkdir(png, 0755) == 0);
        for (size_t i = 0; i < n_rows; i++) {
            if (rows[i].patient_index != (int)p) continue;
            snprintf(link, sizeof link, "%s/%04d.png", png, rows[i].slice + 1);
            snprintf(target, sizeof target, "%.1000s/images/%.64s.png", data, rows[i].id);
            REQUIRE(symlink(target, link) == 0);
        }
        REQUIRE(run(log,
                    "'%s' dicomize --out '%s/p%03zu' --patient-name 'Test^E2E%03zu' --patient-id E2E%03zu "
                    "--series-description '%s' --uid-seed e2e-%zu --spacing 1 --slice-spacing 6 '%s'",
                    cli, study, p, p, p, patients[p], p, png) == 0);
    }
    double t_dicomize = tsc_test_seconds() - t0;

    t0 = tsc_test_seconds();
    REQUIRE(run(log, "'%s' analyze '%s' --all --quiet --json '%s'", cli, study, result) == 0);
    double t_analyze = tsc_test_seconds() - t0;
    t0 = tsc_test_seconds();
    REQUIRE(run(log, "'%s' eval --dataset '%s' --split test --json '%s' --per-slice '%s'", cli, ds, metrics,
                per_slice) == 0);
    double t_eval = tsc_test_seconds() - t0;
    read_eval(per_slice);
    read_analyze(result);

    size_t n = 0, same_verdict = 0, same_label = 0, same_area = 0, correct = 0, worst_i = 0;
    double worst_conf = 0, ms = 0;
    for (size_t i = 0; i < n_rows; i++) {
        row *r = &rows[i];
        if (!r->have_eval || !r->have_dcm) {
            fprintf(stderr, "slice %s of patient %s: %s\n", r->id, r->patient,
                    r->have_eval ? "missing from the DICOM analysis" : "missing from eval");
            CHECK(0);
            continue;
        }
        n++;
        /* The one rule eval cannot apply: a series' end slices that are not
         * tumour become not assessable (docs/RESULT_FORMAT.md). */
        int series_rule = r->dcm_head_end && !strcmp(r->dcm_verdict, "not_assessable") &&
                          strcmp(r->eval_verdict, "tumor") != 0;
        same_verdict += series_rule || !strcmp(r->eval_verdict, r->dcm_verdict);
        same_label += !strcmp(r->eval_label, r->dcm_label);
        /* Spacing 1 mm: the mask's area in mm² is its pixel count. */
        same_area += series_rule || fabs(r->dcm_area_mm2 - (double)r->eval_mask_px) <=
                                        fmax(1.0, 0.005 * r->eval_mask_px);
        double d = fabs(r->dcm_conf - r->eval_conf);
        if (d > worst_conf) worst_conf = d, worst_i = i;
        correct += !strcmp(r->dcm_label, r->truth);
        ms += r->dcm_ms;
        if (strcmp(r->eval_label, r->dcm_label) != 0 || strcmp(r->eval_verdict, r->dcm_verdict) != 0)
            fprintf(stderr, "  %s (patient %s, slice %d): eval %s/%s %.4f, DICOM %s/%s %.4f\n", r->id,
                    r->patient, r->slice, r->eval_verdict, r->eval_label, r->eval_conf, r->dcm_verdict,
                    r->dcm_label, r->dcm_conf);
    }
    char *mj = tsc_test_read_file(metrics, NULL);
    cJSON *m = mj ? cJSON_Parse(mj) : NULL;
    printf("  %zu patients, %zu slices: dicomize %.1f s, analyze %.1f s (%.1f ms/slice in the pipeline), "
           "eval %.1f s\n",
           n_patients, n, t_dicomize, t_analyze, n ? ms / n : 0, t_eval);
    printf("  agreement DICOM vs eval: verdict %zu/%zu, label %zu/%zu, mask area %zu/%zu, "
           "largest confidence difference %.4f (%s)\n",
           same_verdict, n, same_label, n, same_area, n, worst_conf, rows[worst_i].id);
    printf("  through DICOM: 4-class accuracy %.4f; eval: accuracy %.4f, Dice %.4f\n",
           n ? (double)correct / n : 0, m ? num(m, "accuracy") : NAN, m ? num(m, "dice_mean") : NAN);
    CHECK(n == n_rows);
    /* The same pixels and the same pipeline: identical up to rounding in
     * the JSON (4 decimals) and thread-count dependent float sums. */
    CHECK(same_verdict == n);
    CHECK(same_label == n);
    CHECK(same_area == n);
    CHECK(worst_conf <= 2e-3);
    if (m) CHECK(fabs((double)correct / n - num(m, "accuracy")) <= 5e-5); /* JSON: 4 decimals */
    cJSON_Delete(m);
    free(mj);
}

TSC_TEST_MAIN(TSC_CASE(e2e_figshare_test_patients_through_dicom_agree_with_eval))
