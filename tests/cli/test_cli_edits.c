/* SPDX-License-Identifier: BSD-3-Clause */
/* `tumorscope analyze --edits FILE` on the lesion phantom
 * (sample_dicom/03-synthetic-lesion, read by tsc_unet128_v2, which finds two
 * 3D lesions there): an edits file that rejects lesion 2 and erases a disc
 * of lesion 1 gives the volumes that leaves, a SEMIAUTOMATIC SEG, the edits
 * saved again beside the outputs and restored from there by UID; a file
 * made on another method is not applied. */
#include <cjson/cJSON.h>
#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_test_json.h"
#include "tsc_test.h"

static const char *bin;
static char series[2048], model[2048];

static void setup(void)
{
    tsc_test_children_skip_tls_in_leak_checks();
    bin = tsc_test_program("tumorscope");
    const char *src = tsc_test_env("TSC_SOURCE_DIR", "..");
    snprintf(series, sizeof series, "%s/sample_dicom/03-synthetic-lesion/t1-post-contrast", src);
    snprintf(model, sizeof model, "%s/resources/models/tsc_unet128_v2.json", src);
    if (access(series, R_OK) != 0) tsc_test_skip("%s not found", series);
    if (access(model, R_OK) != 0) tsc_test_skip("%s not found", model);
    if (system("command -v dcmdump >/dev/null 2>&1") != 0)
        tsc_test_skip("dcmdump (Debian package dcmtk) is not installed");
}

static const cJSON *at(const cJSON *o, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = at(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* `tumorscope analyze` of the phantom with `extra`; exit status `want`; the
 * JSON's one series (*root to cJSON_Delete). */
static const cJSON *analyze(const char *name, const char *extra, int want, cJSON **root)
{
    char json[4096];
    snprintf(json, sizeof json, "%s/%s.json", tsc_test_tmpdir(), name);
    CHECK(tsc_test_system("'%s' analyze '%s' --quiet --force --json '%s' %s 2>'%s.err'", bin,
                          series, json, extra, json) == want);
    *root = cli_test_load_json(json);
    REQUIRE(*root);
    REQUIRE(cJSON_GetArraySize(at(*root, "series")) == 1);
    return cJSON_GetArrayItem(at(*root, "series"), 0);
}

/* The series' StudyInstanceUID, read from its first file. */
static void study_uid(char *out, size_t n)
{
    char cmd[4300];
    snprintf(cmd, sizeof cmd,
             "dcmdump +P StudyInstanceUID \"$(ls -d '%s'/* | head -1)\" | sed "
             "'s/.*\\[\\(.*\\)\\].*/\\1/'",
             series);
    FILE *p = popen(cmd, "r");
    REQUIRE(p);
    REQUIRE(fgets(out, (int)n, p));
    pclose(p);
    out[strcspn(out, "\n")] = '\0';
}

/* An edits file for the phantom's series: reject lesion 2, erase a disc of
 * `radius` mm at (x, y) on slice k; made on `method`/`model_name`. */
static void write_edits(const char *path, const cJSON *s, size_t k, double x, double y,
                        double radius, const char *method, const char *model_name)
{
    char study[256];
    study_uid(study, sizeof study);
    const cJSON *slice = cJSON_GetArrayItem(at(s, "slices"), (int)k);
    FILE *f = fopen(path, "w");
    REQUIRE(f);
    fprintf(f,
            "{\"format\": \"tumorscope-edits\", \"version\": 1,\n"
            " \"study_instance_uid\": \"%s\", \"series_instance_uid\": \"%s\",\n"
            " \"made_on\": {\"method\": \"%s\", \"model\": \"%s\"},\n"
            " \"editor\": \"Jane Doe\", \"saved_at\": \"2026-12-05T07:00:00Z\",\n"
            " \"edits\": [\n"
            "  {\"kind\": \"reject\", \"lesion_number\": 2, \"reason\": \"false positive\"},\n"
            "  {\"kind\": \"erase\", \"slice\": %zu, \"sop_instance_uid\": \"%s\", \"frame\": 0,\n"
            "   \"radius_mm\": %g, \"points\": [[%g, %g]]}]}\n",
            study, at(s, "series_uid")->valuestring, method, model_name, k,
            at(slice, "sop_instance_uid")->valuestring, radius, x, y);
    fclose(f);
}

TSC_TEST(cli_edits_reject_a_lesion_and_erase_part_of_another_before_the_outputs)
{
    setup();
    char extra[16384], edits[4096], out[4096];
    snprintf(extra, sizeof extra, "--model '%s'", model);
    cJSON *r0;
    const cJSON *s0 = analyze("unedited", extra, 0, &r0);
    const cJSON *l3 = at(s0, "lesions_3d");
    REQUIRE(cJSON_GetArraySize(l3) == 2);
    const cJSON *l1 = cJSON_GetArrayItem(l3, 0), *l2 = cJSON_GetArrayItem(l3, 1);
    double v0 = num(s0, "volume_ml"), v2 = num(l2, "volume_ml");
    /* Erase a 4 mm disc at the centre of lesion 1's largest part on its key slice. */
    size_t key = (size_t)num(l1, "key_slice");
    const cJSON *key_slice = cJSON_GetArrayItem(at(s0, "slices"), (int)key);
    const cJSON *big = cJSON_GetArrayItem(at(key_slice, "lesions"), 0);
    double cx = cJSON_GetArrayItem(at(big, "centroid_px"), 0)->valuedouble;
    double cy = cJSON_GetArrayItem(at(big, "centroid_px"), 1)->valuedouble;
    double slab = num(cJSON_GetArrayItem(at(s0, "slices"), (int)key + 1), "location_mm") -
                  num(key_slice, "location_mm");
    snprintf(edits, sizeof edits, "%s/edits.json", tsc_test_tmpdir());
    write_edits(edits, s0, key, cx, cy, 4.0, "cnn", "tsc_unet128_v2 2.0.0");
    snprintf(out, sizeof out, "%s/out", tsc_test_tmpdir());
    snprintf(extra, sizeof extra, "--model '%s' --edits '%s' --out '%s' --dicom", model, edits,
             out);
    cJSON *r1;
    const cJSON *s1 = analyze("edited", extra, 0, &r1);

    /* Lesion 2 rejected: listed with its reason, its volume gone; the
     * erased disc (pi r^2 of pixels, within a pixel ring) gone from lesion 1. */
    const cJSON *ed = at(s1, "edits");
    REQUIRE(ed);
    CHECK(!strcmp(at(ed, "editor")->valuestring, "Jane Doe"));
    const cJSON *rej = at(ed, "rejected_lesions");
    REQUIRE(cJSON_GetArraySize(rej) == 1);
    CHECK(num(cJSON_GetArrayItem(rej, 0), "number") == 2);
    CHECK(!strcmp(at(cJSON_GetArrayItem(rej, 0), "reason")->valuestring, "false positive"));
    CHECK(cJSON_GetArraySize(at(s1, "lesions_3d")) == 1);
    double erased = (v0 - v2 - num(s1, "volume_ml")) * 1000.0 / slab; /* mm² */
    printf("volume %.3f -> %.3f mL; erased %.1f mm^2 (pi r^2 = %.1f)\n", v0, num(s1, "volume_ml"),
           erased, M_PI * 16);
    CHECK_NEAR(erased, M_PI * 16, 0.5 * 2 * M_PI * 4 + 0.01);
    CHECK(num(cJSON_GetArrayItem(at(s1, "lesions_3d"), 0), "analysis_number") == 1);
    const cJSON *sl = at(ed, "edited_slices");
    int erased_key = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, sl) erased_key |= num(e, "index") == key && cJSON_IsTrue(at(e, "eraser"));
    CHECK(erased_key);

    /* The SEG is the edited mask: SEMIAUTOMATIC. */
    CHECK(tsc_test_system("dcmdump +P SegmentAlgorithmType '%s/series000_dicom/SEG.dcm' | grep -q "
                          "SEMIAUTOMATIC",
                          out) == 0);
    /* Saved again beside the outputs, under the series' name; analysing the
     * series again with that file restores the same result. */
    glob_t g;
    char pattern[4200];
    snprintf(pattern, sizeof pattern, "%s/tumorscope-edits-*.json", out);
    REQUIRE(glob(pattern, 0, NULL, &g) == 0 && g.gl_pathc == 1);
    snprintf(extra, sizeof extra, "--model '%s' --edits '%s'", model, g.gl_pathv[0]);
    globfree(&g);
    cJSON *r2;
    const cJSON *s2 = analyze("restored", extra, 0, &r2);
    CHECK(num(s2, "volume_ml") == num(s1, "volume_ml"));
    CHECK(cJSON_GetArraySize(at(at(s2, "edits"), "rejected_lesions")) == 1);
    cJSON_Delete(r0);
    cJSON_Delete(r1);
    cJSON_Delete(r2);
}

TSC_TEST(cli_edits_made_on_another_method_are_not_applied)
{
    setup();
    char extra[8192], edits[4096];
    cJSON *r0;
    const cJSON *s0 = analyze("threshold", "--method threshold", 0, &r0);
    snprintf(edits, sizeof edits, "%s/edits.json", tsc_test_tmpdir());
    write_edits(edits, s0, 16, 90, 120, 4.0, "cnn", "tsc_unet128_v2 2.0.0");
    snprintf(extra, sizeof extra, "--method threshold --edits '%s'", edits);
    cJSON *r1;
    const cJSON *s1 = analyze("threshold-edits", extra, 1, &r1);
    const cJSON *why = at(s1, "edits_not_applied");
    REQUIRE(cJSON_IsString(why));
    CHECK(strstr(why->valuestring, "made on the cnn method's result") != NULL);
    CHECK(at(s1, "edits") == NULL);
    CHECK(num(s1, "volume_ml") == num(s0, "volume_ml"));
    cJSON_Delete(r0);
    cJSON_Delete(r1);
}

TSC_TEST_MAIN(TSC_CASE(cli_edits_reject_a_lesion_and_erase_part_of_another_before_the_outputs),
              TSC_CASE(cli_edits_made_on_another_method_are_not_applied))
