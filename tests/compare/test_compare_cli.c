/* SPDX-License-Identifier: BSD-3-Clause */
/* `tumorscope compare` run as a user would, on lesion phantoms with known
 * geometry made with `tumorscope dicomize` (compare_phantom.c, shared with
 * the viewer's comparison tests): a head-like ellipse with bright spherical
 * lesions, written as 16-bit PNG slices at 1 mm and turned into MR
 * series.  Baseline and follow-ups differ in slice spacing and origin, so
 * matching must go by patient position.  The analysis runs the phantom test
 * model of tests/analysis/fixtures (pinned by its SHA-256, as in the viewer
 * tests): results do not change when the shipped model does.  The classical
 * threshold baseline was no use here: its second Otsu pass splits the bright
 * lesion's blurred edge from its core and shrinks every lesion by ~1 mm. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compare_phantom.h"
#include "tsc_test.h"

typedef tsc_phantom_sphere sphere;
typedef tsc_phantom_study study;

static char cli[2048], model[2048];

static void need_cli(void)
{
    tsc_test_children_skip_tls_in_leak_checks();
    snprintf(cli, sizeof cli, "%s/bin/tumorscope", tsc_test_env("TSC_BUILD_DIR", "."));
    if (access(cli, X_OK) != 0) tsc_test_skip("%s is not built", cli);
    snprintf(model, sizeof model, "%s/tests/analysis/fixtures/phantom-model.json",
             tsc_test_env("TSC_SOURCE_DIR", "."));
    REQUIRE(access(model, R_OK) == 0);
}

/* Makes study `name` under the test's folder with `tumorscope dicomize`;
 * returns the DICOM folder (static storage, one per name). */
static const char *make_study(const char *name, const study *s, const char *patient_id)
{
    static char dirs[8][2048];
    static int next;
    char png[2048], cmd[8192];
    snprintf(png, sizeof png, "%s/%s-png", tsc_test_tmpdir(), name);
    REQUIRE(mkdir(png, 0755) == 0);
    tsc_error err;
    tsc_status st = tsc_phantom_write_pngs(png, s, &err);
    if (st != TSC_OK) fprintf(stderr, "%s\n", err.message);
    REQUIRE(st == TSC_OK);
    char *dir = dirs[next++ % 8];
    snprintf(dir, sizeof dirs[0], "%s/%s", tsc_test_tmpdir(), name);
    REQUIRE(tsc_phantom_dicomize_command(cmd, sizeof cmd, cli, dir, patient_id, name, s, "20240101",
                                         png) < (int)sizeof cmd);
    REQUIRE(tsc_test_system("%s", cmd) == 0);
    return dir;
}

/* Runs compare with `extra` options into <tmp>/<name>.json; returns the
 * exit status and the parsed JSON in *out (NULL when none was written). */
static int run_compare(const char *base, const char *follow, const char *name, const char *extra,
                       cJSON **out)
{
    char json[2048];
    snprintf(json, sizeof json, "%s/%s.json", tsc_test_tmpdir(), name);
    int rc = tsc_test_system("'%s' compare '%s' '%s' --model '%s' --quiet --json '%s' %s "
                             ">'%s.out' 2>'%s.err'",
                             cli, base, follow, model, json, extra ? extra : "", json, json);
    *out = NULL;
    FILE *f = fopen(json, "rb");
    if (f) {
        char *text = calloc(1, 1 << 22);
        REQUIRE(text);
        size_t n = fread(text, 1, (1 << 22) - 1, f);
        fclose(f);
        text[n] = 0;
        *out = cJSON_Parse(text);
        free(text);
    }
    return rc;
}

/* The value at a dotted path ("totals.matched", "lesions.0.change"). */
static const cJSON *at(const cJSON *o, const char *path)
{
    char key[128];
    while (o && *path) {
        size_t n = strcspn(path, ".");
        snprintf(key, sizeof key, "%.*s", (int)n, path);
        o = cJSON_IsArray(o) ? cJSON_GetArrayItem(o, atoi(key))
                             : cJSON_GetObjectItemCaseSensitive(o, key);
        path += n + (path[n] == '.');
    }
    return o;
}

static double number_at(const cJSON *o, const char *path)
{
    const cJSON *v = at(o, path);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static int string_is(const cJSON *o, const char *path, const char *want)
{
    const cJSON *v = at(o, path);
    if (cJSON_IsString(v) && !strcmp(v->valuestring, want)) return 1;
    fprintf(stderr, "%s is %s, expected %s\n", path, cJSON_IsString(v) ? v->valuestring : "(none)",
            want);
    return 0;
}

#define BASE tsc_phantom_base_lesions
#define BASELINE tsc_phantom_baseline
#define GROWN_SHRUNK_NEW tsc_phantom_grown_shrunk_new
static const sphere BOTH_SHRUNK[] = {{20, -15, 25, 9.5}, {-25, 15, 58, 8}};

/* The baseline against a follow-up with `lesions` (same patient): makes
 * both studies, compares them (exit status 0 required) and returns the
 * JSON.  Follow-ups have 3 mm slices from z = 1: other positions, other
 * indices. */
static cJSON *compare_followup(const char *name, const sphere *lesions, size_t n)
{
    need_cli();
    const char *b = make_study("base", &BASELINE, "CMP-001");
    study fs = tsc_phantom_followup(lesions, n);
    const char *f = make_study(name, &fs, "CMP-001");
    cJSON *j;
    CHECK(run_compare(b, f, name, NULL, &j) == 0);
    REQUIRE(j);
    return j;
}

/* Percent change of a sphere's volume and of its bidimensional product. */
static double volume_change(double r0, double r1)
{
    return 100.0 * (pow(r1 / r0, 3) - 1);
}

static double product_change(double r0, double r1)
{
    return 100.0 * (pow(r1 / r0, 2) - 1);
}

/* The row of baseline lesion `number` (1-based, as in "lesions_3d"). */
static const cJSON *row_of_baseline(const cJSON *j, int number)
{
    const cJSON *r;
    cJSON_ArrayForEach(r, at(j, "lesions")) if (number_at(r, "baseline_lesion") == number) return r;
    return NULL;
}

/* The baseline lesion centred nearest (x, y, z): lesions are numbered by
 * volume, which the test need not assume. */
static int baseline_lesion_at(const cJSON *j, const sphere *s)
{
    int best = 0, n = 0;
    double best_d = 1e9;
    const cJSON *l;
    cJSON_ArrayForEach(l, at(j, "baseline.lesions_3d"))
    {
        n++;
        double d =
            hypot(hypot(number_at(l, "centre_mm.0") - s->x, number_at(l, "centre_mm.1") - s->y),
                  number_at(l, "centre_mm.2") - s->z);
        if (d < best_d) best_d = d, best = n;
    }
    return best_d < 3 ? best : 0;
}

TSC_TEST(compare_study_with_itself_matches_every_lesion_with_no_change_and_stable)
{
    need_cli();
    const char *b = make_study("base", &BASELINE, "CMP-001");
    cJSON *j;
    CHECK(run_compare(b, b, "self", NULL, &j) == 0);
    REQUIRE(j);
    CHECK(number_at(j, "totals.matched") == 2);
    CHECK(number_at(j, "totals.new") == 0 && number_at(j, "totals.gone") == 0);
    for (int i = 0; i < 2; i++) {
        char p[64];
        snprintf(p, sizeof p, "lesions.%d.change", i);
        CHECK(string_is(j, p, "matched"));
        snprintf(p, sizeof p, "lesions.%d.volume_change_percent", i);
        CHECK(number_at(j, p) == 0);
        snprintf(p, sizeof p, "lesions.%d.product_change_percent", i);
        CHECK(number_at(j, p) == 0);
    }
    CHECK(number_at(j, "totals.sum_of_products_change_percent") == 0);
    CHECK(string_is(j, "rano_suggestion.category", "SD"));
    CHECK(string_is(j, "rano_suggestion.name", "stable disease"));
    CHECK(string_is(j, "rano_suggestion.label", "suggested, for the radiologist's decision"));
    CHECK(cJSON_IsTrue(at(j, "patient_check.same_patient_id")));
    /* The known volumes (4/3 pi r^3) within 5 %. */
    for (int i = 0; i < 2; i++) {
        int n = baseline_lesion_at(j, &BASE[i]);
        REQUIRE(n);
        double truth = 4.0 / 3 * M_PI * pow(BASE[i].r, 3) / 1000;
        CHECK_NEAR(number_at(row_of_baseline(j, n), "baseline_volume_ml"), truth, 0.05 * truth);
    }
    cJSON_Delete(j);
}

TSC_TEST(compare_grown_shrunk_and_new_lesions_on_other_slices_is_progression)
{
    cJSON *j = compare_followup("progression", GROWN_SHRUNK_NEW, 3);
    CHECK(number_at(j, "totals.matched") == 2);
    CHECK(number_at(j, "totals.gone") == 0);
    CHECK(number_at(j, "totals.new") == 1 && number_at(j, "totals.new_measurable") == 1);
    for (int i = 0; i < 2; i++) {
        const cJSON *r = row_of_baseline(j, baseline_lesion_at(j, &BASE[i]));
        REQUIRE(r);
        CHECK(string_is(r, "change", "matched"));
        double r0 = BASE[i].r, r1 = GROWN_SHRUNK_NEW[i].r;
        printf(
            "  lesion at z %.0f: volume %+.1f %% (truth %+.1f), product %+.1f %% (truth %+.1f)\n",
            BASE[i].z, number_at(r, "volume_change_percent"), volume_change(r0, r1),
            number_at(r, "product_change_percent"), product_change(r0, r1));
        CHECK_NEAR(number_at(r, "volume_change_percent"), volume_change(r0, r1), 5);
        CHECK_NEAR(number_at(r, "product_change_percent"), product_change(r0, r1), 5);
    }
    const cJSON *r, *new_row = NULL;
    cJSON_ArrayForEach(r, at(j, "lesions")) if (cJSON_IsNull(at(r, "baseline_lesion"))) new_row = r;
    REQUIRE(new_row);
    CHECK(string_is(new_row, "change", "new"));
    CHECK(cJSON_IsNull(at(new_row, "baseline_lesion")) &&
          cJSON_IsNull(at(new_row, "volume_change_percent")));
    CHECK_NEAR(number_at(new_row, "followup_product_mm2"), 16.0 * 16.0, 0.1 * 256);
    /* The targets alone would be stable (+14.4 %): the new lesion decides. */
    CHECK_NEAR(number_at(j, "totals.sum_of_products_change_percent"),
               100.0 * ((34.0 * 34 + 20 * 20) / (28.0 * 28 + 24 * 24) - 1), 5);
    CHECK(string_is(j, "rano_suggestion.category", "PD"));
    CHECK(strstr(at(j, "rano_suggestion.reason")->valuestring, "new measurable") != NULL);
    cJSON_Delete(j);
}

TSC_TEST(compare_lesions_shrunk_by_half_is_partial_response)
{
    cJSON *j = compare_followup("response", BOTH_SHRUNK, 2);
    CHECK(number_at(j, "totals.matched") == 2 && number_at(j, "totals.new") == 0);
    double truth = 100.0 * ((19.0 * 19 + 16 * 16) / (28.0 * 28 + 24 * 24) - 1); /* -54.6 % */
    CHECK_NEAR(number_at(j, "totals.sum_of_products_change_percent"), truth, 5);
    CHECK(string_is(j, "rano_suggestion.category", "PR"));
    cJSON_Delete(j);
}

TSC_TEST(compare_every_lesion_gone_is_complete_response)
{
    cJSON *j = compare_followup("clear", NULL, 0);
    CHECK(number_at(j, "totals.gone") == 2 && number_at(j, "totals.matched") == 0);
    CHECK(number_at(j, "totals.volume_change_percent") == -100);
    CHECK(string_is(j, "rano_suggestion.category", "CR"));
    cJSON_Delete(j);
}

TSC_TEST(compare_refuses_two_patients_unless_the_user_confirms)
{
    need_cli();
    const char *b = make_study("base", &BASELINE, "CMP-001");
    const char *o = make_study("other", &BASELINE, "CMP-002");
    cJSON *j;
    CHECK(run_compare(b, o, "refused", NULL, &j) == 2);
    CHECK(j == NULL); /* nothing written */
    char err[2048];
    snprintf(err, sizeof err, "%s/refused.json.err", tsc_test_tmpdir());
    /* Says why and what to do, without the identifiers. */
    CHECK(tsc_test_system("grep -q 'different PatientIDs' '%s' && grep -q -- "
                          "'--allow-different-patients' '%s' && ! grep -q CMP-00 '%s'",
                          err, err, err) == 0);
    CHECK(run_compare(b, o, "confirmed", "--allow-different-patients", &j) == 0);
    REQUIRE(j);
    CHECK(cJSON_IsFalse(at(j, "patient_check.same_patient_id")));
    CHECK(cJSON_IsTrue(at(j, "patient_check.confirmed_by_user")));
    CHECK(string_is(j, "rano_suggestion.category", "SD"));
    cJSON_Delete(j);
}

TSC_TEST(compare_png_and_pdf_reports_are_written_atomically_outside_the_inputs)
{
    need_cli();
    const char *b = make_study("base", &BASELINE, "CMP-001");
    char out[2100];
    snprintf(out, sizeof out, "%s/report", tsc_test_tmpdir());
    cJSON *j;
    char extra[2200];
    snprintf(extra, sizeof extra, "--out '%s'", out);
    CHECK(run_compare(b, b, "png", extra, &j) == 0);
    cJSON_Delete(j);
    /* A PNG, alone in its folder (no temporary left behind). */
    CHECK(tsc_test_system(
              "test \"$(ls -A '%s')\" = comparison.png && head -c 8 '%s/comparison.png' | "
              "od -An -tx1 | grep -q '89 50 4e 47 0d 0a 1a 0a'",
              out, out) == 0);
    /* The PDF holds the table and the suggestion as text. */
    snprintf(extra, sizeof extra, "--out '%s' --pdf", out);
    CHECK(run_compare(b, b, "pdf", extra, &j) == 0);
    cJSON_Delete(j);
    CHECK(tsc_test_system("head -c 5 '%s/comparison.pdf' | grep -q '%%PDF-'", out) == 0);
    if (tsc_test_system("command -v pdftotext >/dev/null") == 0)
        CHECK(tsc_test_system("pdftotext '%s/comparison.pdf' - | tr '\\n' ' ' | grep -q "
                              "\"RANO SD (stable disease) - suggested, for the radiologist's "
                              "decision\"",
                              out) == 0);
    else printf("  pdftotext (poppler-utils) not installed: the PDF's text is not checked\n");
    /* Not replaced without --force, and never written into an input. */
    snprintf(extra, sizeof extra, "--out '%s'", out);
    CHECK(run_compare(b, b, "png-again", extra, &j) == 1);
    cJSON_Delete(j);
    snprintf(extra, sizeof extra, "--out '%s/report'", b);
    CHECK(run_compare(b, b, "png-inside", extra, &j) == 2);
    CHECK(j == NULL);
    CHECK(tsc_test_system("test ! -e '%s/report'", b) == 0);
}

TSC_TEST(compare_study_with_several_series_needs_the_series_named)
{
    need_cli();
    char two[2100];
    snprintf(two, sizeof two, "%s/two", tsc_test_tmpdir());
    REQUIRE(mkdir(two, 0755) == 0);
    make_study("two/a", &BASELINE, "CMP-001");
    study fs = {1, 3, 34, GROWN_SHRUNK_NEW, 3};
    make_study("two/b", &fs, "CMP-001");
    const char *b = make_study("base", &BASELINE, "CMP-001");
    cJSON *j;
    CHECK(run_compare(b, two, "ambiguous", NULL, &j) == 2);
    CHECK(j == NULL);
    char err[2200];
    snprintf(err, sizeof err, "%s/ambiguous.json.err", tsc_test_tmpdir());
    CHECK(tsc_test_system("grep -q 'holds 2 image series; choose one with --followup-series' '%s'",
                          err) == 0);
    /* Series are ordered by study and series UID: find the follow-up's
     * index by its slice count rather than assuming it. */
    for (int k = 0; k < 2; k++) {
        char extra[64];
        snprintf(extra, sizeof extra, "--followup-series %d", k);
        REQUIRE(run_compare(b, two, "chosen", extra, &j) == 0);
        REQUIRE(j);
        if (number_at(j, "followup.n_slices") == 34) {
            CHECK(number_at(j, "followup.index") == k);
            CHECK(string_is(j, "rano_suggestion.category", "PD"));
        } else {
            CHECK(number_at(j, "followup.n_slices") == 50);
            CHECK(string_is(j, "rano_suggestion.category", "SD"));
        }
        cJSON_Delete(j);
        char json[2100];
        snprintf(json, sizeof json, "%s/chosen.json", tsc_test_tmpdir());
        remove(json);
    }
    CHECK(run_compare(b, two, "missing", "--followup-series 7", &j) == 2);
}

TSC_TEST(compare_deidentified_json_has_no_uids_or_dates)
{
    need_cli();
    const char *b = make_study("base", &BASELINE, "CMP-001");
    cJSON *j;
    CHECK(run_compare(b, b, "deid", "--deidentify", &j) == 0);
    REQUIRE(j);
    static const char *const gone[] = {"series_uid", "study_uid", "study_date"};
    for (int side = 0; side < 2; side++)
        for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++) {
            char p[64];
            snprintf(p, sizeof p, "%s.%s", side ? "followup" : "baseline", gone[i]);
            CHECK(cJSON_IsNull(at(j, p)));
        }
    char json[2100];
    snprintf(json, sizeof json, "%s/deid.json", tsc_test_tmpdir());
    CHECK(tsc_test_system("! grep -q -e CMP-001 -e 20240101 -e Phantom '%s'", json) == 0);
    CHECK(string_is(j, "rano_suggestion.category", "SD"));
    cJSON_Delete(j);
}

/* Lines of `dcmdump +L` of `file` matching the extended regex `re`. */
static int dump_count(const char *file, const char *re)
{
    char out[2200];
    snprintf(out, sizeof out, "%s/dump-count", tsc_test_tmpdir());
    REQUIRE(tsc_test_system("dcmdump +L '%s' | grep -c -E -e '%s' >'%s'; true", file, re, out) ==
            0);
    FILE *f = fopen(out, "r");
    REQUIRE(f);
    int n = -1;
    REQUIRE(fscanf(f, "%d", &n) == 1);
    fclose(f);
    return n;
}

/* The Study Instance UIDs inside the top-level sequence `tag` ("0040,a375")
 * of `file` include `uid`. */
static int evidence_names_study(const char *file, const char *tag, const char *uid)
{
    return tsc_test_system("dcmdump +L '%s' | awk '/^\\(/ { top = $1 } /^ .*\\(0020,000d\\)/ "
                           "{ print top, $3 }' | grep -q -F '(%s) [%s]'",
                           file, tag, uid) == 0;
}

/* Grown, gone and new: the comparison report has one group per lesion of
 * the follow-up and one per gone lesion, and references both studies. */
static const sphere GROWN_GONE_NEW[] = {{20, -15, 25, 17}, {-20, -30, 90, 8}};

TSC_TEST(compare_dicom_report_references_both_studies_with_a_group_per_lesion)
{
    need_cli();
    const char *b = make_study("base", &BASELINE, "CMP-001");
    study fs = {1, 3, 34, GROWN_GONE_NEW, 2};
    const char *f = make_study("grown-gone-new", &fs, "CMP-001");
    char out[2100], extra[2200], sr[2200];
    snprintf(out, sizeof out, "%s/dicom-report", tsc_test_tmpdir());
    snprintf(sr, sizeof sr, "%s/comparison_sr.dcm", out);
    cJSON *j;
    CHECK(run_compare(b, f, "dicom-usage", "--dicom", &j) == 2); /* needs --out */
    cJSON_Delete(j);
    snprintf(extra, sizeof extra, "--out '%s' --dicom", out);
    REQUIRE(run_compare(b, f, "dicom", extra, &j) == 0);
    REQUIRE(j);
    CHECK(number_at(j, "totals.matched") == 1 && number_at(j, "totals.new") == 1 &&
          number_at(j, "totals.gone") == 1);
    CHECK(string_is(j, "rano_suggestion.category", "PD"));
    /* Alone in its folder: written atomically, no PNG unless asked. */
    CHECK(tsc_test_system("test \"$(ls -A '%s')\" = comparison_sr.dcm", out) == 0);
    if (tsc_test_system("command -v dciodvfy >/dev/null 2>&1") == 0)
        CHECK(tsc_test_system("dciodvfy '%s' 2>&1 | tee '%s.dciodvfy' | grep -q '^Error'; "
                              "test $? -ne 0",
                              sr, sr) == 0);
    else printf("  dciodvfy (dicom3tools) is not installed: the IOD is not checked\n");
    if (tsc_test_system("command -v dcmdump >/dev/null 2>&1") != 0)
        tsc_test_skip("dcmdump (dcmtk) is not installed: the report cannot be read back");
    /* A new SR series in the follow-up study, the baseline as other evidence. */
    const char *fu_study = at(j, "followup.study_uid")->valuestring;
    const char *base_study = at(j, "baseline.study_uid")->valuestring;
    CHECK(strcmp(fu_study, base_study) != 0);
    CHECK(tsc_test_system("dcmdump '%s' | grep -q -F '(0020,000d) UI [%s]'", sr, fu_study) == 0);
    CHECK(tsc_test_system("dcmdump '%s' | grep -q -F '(0020,0011) IS [9905]'", sr) == 0);
    CHECK(evidence_names_study(sr, "0040,a375", fu_study));
    CHECK(evidence_names_study(sr, "0040,a385", base_study));
    CHECK(!evidence_names_study(sr, "0040,a375", base_study));
    /* One measurement group per follow-up lesion, plus the gone one. */
    int n_followup = cJSON_GetArraySize(at(j, "followup.lesions_3d"));
    CHECK(n_followup == 2);
    CHECK(dump_count(sr, "\\[Measurement Group\\]") == n_followup + 1);
    CHECK(dump_count(sr, "\\(0040,a160\\) UT \\[Follow-up lesion [0-9]+\\]") == n_followup);
    CHECK(dump_count(sr, "\\[Baseline lesion [0-9]+, gone\\]") == 1);
    CHECK(dump_count(sr, "\\[Gone since the baseline") == 1);
    CHECK(dump_count(sr, "\\[New since the baseline") == 1);
    CHECK(dump_count(sr, "\\[Matched with baseline lesion [0-9]+ \\[matched\\]; volume ") == 1);
    CHECK(dump_count(sr, "\\[Long Axis\\]") == n_followup);
    CHECK(dump_count(sr, "\\[Volume\\]") == n_followup + 1);
    CHECK(dump_count(sr, "RANO PD \\(progressive disease\\), suggested, for the "
                         "radiologist.s decision: ") == 1);
    CHECK(dump_count(sr, "\\[Decision support only - not for diagnostic use\\]") == 1);
    cJSON_Delete(j);
    /* Not replaced without --force. */
    CHECK(run_compare(b, f, "dicom-again", extra, &j) == 1);
    cJSON_Delete(j);
    snprintf(extra, sizeof extra, "--out '%s' --dicom --force", out);
    CHECK(run_compare(b, f, "dicom-forced", extra, &j) == 0);
    cJSON_Delete(j);
}

TSC_TEST(compare_deidentified_dicom_report_has_no_identifiers_or_source_uids)
{
    need_cli();
    if (tsc_test_system("command -v dcmdump >/dev/null 2>&1") != 0)
        tsc_test_skip("dcmdump (dcmtk) is not installed: the report cannot be read back");
    const char *b = make_study("base", &BASELINE, "CMP-001");
    study fs = {1, 3, 34, GROWN_SHRUNK_NEW, 3};
    const char *f = make_study("progression", &fs, "CMP-001");
    cJSON *j;
    REQUIRE(run_compare(b, f, "identified", NULL, &j) == 0);
    REQUIRE(j);
    char out[2100], extra[2200], sr[2200];
    snprintf(out, sizeof out, "%s/deid-report", tsc_test_tmpdir());
    snprintf(sr, sizeof sr, "%s/comparison_sr.dcm", out);
    snprintf(extra, sizeof extra, "--out '%s' --dicom --deidentify", out);
    cJSON *d;
    REQUIRE(run_compare(b, f, "deid-dicom", extra, &d) == 0);
    cJSON_Delete(d);
    /* Pseudonymous patient, shifted dates, remapped UIDs of both studies. */
    CHECK(tsc_test_system("dcmdump '%s' | grep -q -F '(0012,0062) CS [YES]'", sr) == 0);
    CHECK(tsc_test_system("dcmdump '%s' | grep -q -E '\\(0010,0020\\) LO \\[TSC-'", sr) == 0);
    CHECK(tsc_test_system("! dcmdump +L '%s' | grep -q -e CMP-001 -e Phantom -e 20240101 -F -e "
                          "'%s' -e '%s'",
                          sr, at(j, "baseline.study_uid")->valuestring,
                          at(j, "followup.study_uid")->valuestring) == 0);
    /* Still both studies referenced, under their new UIDs. */
    CHECK(dump_count(sr, "\\[Measurement Group\\]") == 3);
    CHECK(tsc_test_system("dcmdump '%s' | grep -q -F PertinentOtherEvidenceSequence", sr) == 0);
    cJSON_Delete(j);
}

TSC_TEST_MAIN(TSC_CASE(compare_study_with_itself_matches_every_lesion_with_no_change_and_stable),
              TSC_CASE(compare_grown_shrunk_and_new_lesions_on_other_slices_is_progression),
              TSC_CASE(compare_lesions_shrunk_by_half_is_partial_response),
              TSC_CASE(compare_every_lesion_gone_is_complete_response),
              TSC_CASE(compare_refuses_two_patients_unless_the_user_confirms),
              TSC_CASE(compare_png_and_pdf_reports_are_written_atomically_outside_the_inputs),
              TSC_CASE(compare_study_with_several_series_needs_the_series_named),
              TSC_CASE(compare_deidentified_json_has_no_uids_or_dates),
              TSC_CASE(compare_dicom_report_references_both_studies_with_a_group_per_lesion),
              TSC_CASE(compare_deidentified_dicom_report_has_no_identifiers_or_source_uids))
