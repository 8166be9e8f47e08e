/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Orthanc plugin (app/orthanc) inside Debian's Orthanc, as a site runs
 * it: each case starts `Orthanc config.json` on free loopback ports with a
 * temporary storage and index and our plugin loaded, sends a sample series
 * over REST, waits for the stable-series event (StableAge 2 s) and checks
 * what the plugin stored and said.  Orthanc is stopped at the end of every
 * case, also when a check fails (atexit, and PR_SET_PDEATHSIG if the test
 * itself is killed).  Skips (77) when the Orthanc binary is not installed. */
#define _GNU_SOURCE
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "orthanc_harness.h"
#include "tsc_test.h"

static char orthanc_bin[512], plugin_so[2048], samples[2048];
static pid_t orthanc_pid = -1;
static int http_port;
static char log_path[4200];
static int stable_age = 2; /* Orthanc's StableAge for the next start_orthanc() */

/* ---- processes and tools ---- */

static void stop_orthanc(void)
{
    tsc_oh_stop(&orthanc_pid);
}

static void setup(void)
{
    const char *bin = tsc_oh_orthanc_bin();
    if (!bin)
        tsc_test_skip("the Orthanc binary is not installed (Debian package orthanc); the "
                      "Orthanc plugin is not tested");
    snprintf(orthanc_bin, sizeof orthanc_bin, "%s", bin);
    snprintf(plugin_so, sizeof plugin_so, "%s/lib/libtumorscope-orthanc.so",
             tsc_test_env("TSC_BUILD_DIR", "."));
    if (access(plugin_so, R_OK) != 0) tsc_test_skip("%s is not built", plugin_so);
    snprintf(samples, sizeof samples, "%s/sample_dicom", tsc_test_env("TSC_SOURCE_DIR", ".."));
    if (access(samples, R_OK) != 0) tsc_test_skip("%s not found", samples);
    /* An instrumented plugin needs its sanitizer runtime loaded first, which
     * Debian's uninstrumented Orthanc does not do. */
    if (tsc_test_env("TSC_SANITIZED", "")[0])
        tsc_test_skip("sanitized build: Debian's Orthanc cannot load an instrumented plugin; "
                      "run `ctest -L pacs` in a plain build");
    atexit(stop_orthanc);
}

/* The REST API of the Orthanc this case started. */
#define http(...) tsc_oh_http(http_port, __VA_ARGS__)
#define get_json(...) tsc_oh_get_json(http_port, __VA_ARGS__)
#define str tsc_oh_str
typedef tsc_oh_reply http_reply;

/* ---- Orthanc ---- */

/* Starts Orthanc with our plugin and `tumorscope` as its "Tumorscope" section. */
static void start_orthanc(const char *dir, const char *tumorscope)
{
    http_port = tsc_test_free_port();
    int dicom_port = tsc_test_free_port();
    char cfg[4200];
    snprintf(cfg, sizeof cfg, "%s/config.json", dir);
    snprintf(log_path, sizeof log_path, "%s/orthanc.log", dir);
    FILE *f = fopen(cfg, "w");
    REQUIRE(f);
    fprintf(f,
            "{\n \"Name\": \"tumorscope-test\", \"HttpPort\": %d, \"DicomPort\": %d,\n"
            " \"DicomAet\": \"TSCTEST\", \"StorageDirectory\": \"%s/storage\",\n"
            " \"IndexDirectory\": \"%s/index\", \"RemoteAccessAllowed\": false,\n"
            " \"AuthenticationEnabled\": false, \"StableAge\": %d, \"SaveJobs\": false,\n"
            " \"Plugins\": [\"%s\"],\n"
            " \"UserMetadata\": {\"TumorscopeState\": 4301, \"TumorscopeModel\": 4302,\n"
            "   \"TumorscopeModelSha256\": 4303, \"TumorscopeVerdict\": 4304,\n"
            "   \"TumorscopeReason\": 4305, \"TumorscopeOutputs\": 4306},\n"
            " \"UserContentType\": {\"TumorscopeResult\": [4301, \"application/json\"]},\n"
            " \"Tumorscope\": %s\n}\n",
            http_port, dicom_port, dir, dir, stable_age, plugin_so, tumorscope);
    fclose(f);
    orthanc_pid = tsc_oh_start(orthanc_bin, cfg, log_path, http_port);
}

/* POSTs every .dcm file of `folder`; returns the Orthanc id of their series. */
static void upload(const char *folder, char *series, size_t len)
{
    char list[4400];
    snprintf(list, sizeof list, "%s/.files", tsc_test_tmpdir());
    REQUIRE(tsc_test_system("ls '%s'/*.dcm > '%s'", folder, list) == 0);
    FILE *fl = fopen(list, "r");
    char path[4096];
    int n = 0;
    while (fl && fgets(path, sizeof path, fl)) {
        path[strcspn(path, "\n")] = 0;
        FILE *f = fopen(path, "rb");
        REQUIRE(f);
        static char data[1 << 24];
        size_t size = fread(data, 1, sizeof data, f);
        fclose(f);
        http_reply r = http("POST", "/instances", data, size);
        REQUIRE(r.status == 200);
        cJSON *j = cJSON_Parse(r.body);
        snprintf(series, len, "%s", str(j, "ParentSeries"));
        cJSON_Delete(j);
        free(r.body);
        n++;
    }
    if (fl) fclose(fl);
    REQUIRE(n > 0 && series[0]);
}

/* GET /tumorscope/series/{id} once its state is final (or after 180 s). */
static cJSON *wait_final(const char *series)
{
    for (int i = 0; i < 360; i++) {
        cJSON *j = get_json("/tumorscope/series/%s", series);
        const char *st = str(j, "state");
        if (!strcmp(st, "done") || !strcmp(st, "not_analysed") || !strcmp(st, "failed")) return j;
        cJSON_Delete(j);
        usleep(500000);
    }
    tsc_test_system("tail -20 '%s' >&2", log_path);
    REQUIRE(!"the series did not reach a final state within 180 s");
    return NULL;
}

/* Orthanc ids of the series of `series`' study, with their modalities. */
static cJSON *study_series(const char *series)
{
    cJSON *s = get_json("/series/%s", series);
    REQUIRE(s);
    cJSON *all = get_json("/studies/%s/series", str(s, "ParentStudy"));
    cJSON_Delete(s);
    REQUIRE(all);
    return all;
}

static int count_modality(const cJSON *all, const char *modality)
{
    int n = 0;
    const cJSON *s;
    cJSON_ArrayForEach(s, all)
        if (!strcmp(str(cJSON_GetObjectItemCaseSensitive(s, "MainDicomTags"), "Modality"), modality)) n++;
    return n;
}

/* Every instance of series `id` passes dciodvfy without an error. */
static int dciodvfy_clean(const char *id, const char *dir)
{
    cJSON *inst = get_json("/series/%s/instances", id);
    REQUIRE(inst);
    int clean = 1, k = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, inst)
    {
        char uri[256], file[4400];
        snprintf(uri, sizeof uri, "/instances/%s/file", str(it, "ID"));
        http_reply r = http("GET", uri, NULL, 0);
        REQUIRE(r.status == 200);
        snprintf(file, sizeof file, "%s/%s-%d.dcm", dir, id, k++);
        FILE *f = fopen(file, "wb");
        REQUIRE(f && fwrite(r.body, 1, r.size, f) == r.size);
        fclose(f);
        free(r.body);
        if (tsc_test_system("dciodvfy '%s' > '%s.vfy' 2>&1", file, file) < 0 ||
            tsc_test_system("grep -q Error '%s.vfy'", file) == 0) {
            fprintf(stderr, "dciodvfy %s (output series %s):\n", file, id);
            tsc_test_system("grep Error '%s.vfy' >&2", file);
            clean = 0;
        }
    }
    cJSON_Delete(inst);
    return clean;
}

/* ---- cases ---- */

TSC_TEST(orthanc_lesion_series_is_analysed_once_with_seg_sr_sc_pdf_in_its_study)
{
    setup();
    if (tsc_test_system("command -v dciodvfy >/dev/null 2>&1") != 0)
        tsc_test_skip("dciodvfy (Debian package dicom3tools) is not installed");
    const char *t = tsc_test_tmpdir();
    start_orthanc(t, "{}");
    cJSON *status = get_json("/tumorscope/status");
    REQUIRE(status);
    char sha[128];
    snprintf(sha, sizeof sha, "%s", str(cJSON_GetObjectItemCaseSensitive(status, "model"), "sha256"));
    cJSON_Delete(status);
    REQUIRE(strlen(sha) == 64);

    char src[4096], series[128];
    snprintf(src, sizeof src, "%s/03-synthetic-lesion/t1-post-contrast", samples);
    upload(src, series, sizeof series);
    cJSON *j = wait_final(series);
    printf("state %s, verdict %s, model %s\n", str(j, "state"), str(j, "verdict"), str(j, "model"));
    CHECK(!strcmp(str(j, "state"), "done"));
    CHECK(!strcmp(str(j, "model_sha256"), sha));
    CHECK(str(j, "verdict")[0] != 0);
    /* The result is the CLI's JSON (docs/RESULT_FORMAT.md). */
    const cJSON *result = cJSON_GetObjectItemCaseSensitive(j, "result");
    CHECK(!strcmp(str(result, "format_version"), "2.0"));
    const cJSON *rs = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(result, "series"), 0);
    CHECK(!strcmp(str(rs, "verdict"), str(j, "verdict")));
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(rs, "slices")) == 26);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(rs, "lesions_3d")) >= 1);

    /* The metadata as Orthanc itself serves it. */
    char uri[256];
    snprintf(uri, sizeof uri, "/series/%s/metadata/TumorscopeState", series);
    http_reply m = http("GET", uri, NULL, 0);
    CHECK(m.status == 200 && m.body && !strcmp(m.body, "done"));
    free(m.body);
    snprintf(uri, sizeof uri, "/series/%s/metadata/TumorscopeModelSha256", series);
    m = http("GET", uri, NULL, 0);
    CHECK(m.status == 200 && m.body && !strcmp(m.body, sha));
    free(m.body);

    /* SEG, SR, SC and the Encapsulated PDF in the same study, each valid. */
    cJSON *all = study_series(series);
    CHECK(cJSON_GetArraySize(all) == 5);
    CHECK(count_modality(all, "SEG") == 1);
    CHECK(count_modality(all, "SR") == 1);
    CHECK(count_modality(all, "OT") == 1); /* Secondary Capture */
    CHECK(count_modality(all, "DOC") == 1); /* Encapsulated PDF */
    cJSON *src_tags = get_json("/series/%s/instances-tags?simplify", series);
    const cJSON *first = src_tags && src_tags->child ? src_tags->child : NULL;
    const cJSON *s;
    cJSON_ArrayForEach(s, all)
    {
        if (!strcmp(str(s, "ID"), series)) continue;
        CHECK(dciodvfy_clean(str(s, "ID"), t));
        if (!strcmp(str(cJSON_GetObjectItemCaseSensitive(s, "MainDicomTags"), "Modality"), "DOC")) {
            cJSON *inst = get_json("/series/%s/instances", str(s, "ID"));
            CHECK(cJSON_GetArraySize(inst) == 1);
            const char *iid = str(cJSON_GetArrayItem(inst, 0), "ID");
            cJSON *tags = get_json("/instances/%s/simplified-tags", iid);
            CHECK(!strcmp(str(tags, "SOPClassUID"), "1.2.840.10008.5.1.4.1.1.104.1"));
            CHECK(!strcmp(str(tags, "MIMETypeOfEncapsulatedDocument"), "application/pdf"));
            /* Same patient and study as the source, our own series UID. */
            CHECK(first && !strcmp(str(tags, "PatientID"), str(first, "PatientID")));
            CHECK(first && !strcmp(str(tags, "StudyInstanceUID"), str(first, "StudyInstanceUID")));
            CHECK(first && strcmp(str(tags, "SeriesInstanceUID"), str(first, "SeriesInstanceUID")));
            cJSON_Delete(tags);
            /* The document is the PDF report; pydicom reads the object. */
            char file[4400];
            snprintf(file, sizeof file, "%s/%s-0.dcm", t, str(s, "ID"));
            if (tsc_test_system("/usr/bin/python3 -c 'import pydicom' >/dev/null 2>&1") == 0)
                CHECK(tsc_test_system(
                          "/usr/bin/python3 -c \"import pydicom,sys; d=pydicom.dcmread(sys.argv[1]); "
                          "b=bytes(d.EncapsulatedDocument); "
                          "assert b[:5]==b'%%PDF-' and len(d.SourceInstanceSequence)>=1, b[:8]\" '%s'",
                          file) == 0);
            else /* Without pydicom: DCMTK's dcm2pdf extracts the document. */
                CHECK(tsc_test_system("dcm2pdf '%s' '%s/report.pdf' && head -c 5 '%s/report.pdf' | "
                                      "grep -q '^%%PDF-' && dcmdump '%s' | grep -q "
                                      "SourceInstanceSequence",
                                      file, t, t, file) == 0);
            cJSON_Delete(inst);
        }
        /* Marked as ours: never analysed themselves. */
        cJSON *o = get_json("/tumorscope/series/%s", str(s, "ID"));
        CHECK(!strcmp(str(o, "state"), "output"));
        cJSON_Delete(o);
    }
    cJSON_Delete(all);
    cJSON_Delete(src_tags);

    /* Source instances untouched: still 26, same ids. */
    cJSON *src_series = get_json("/series/%s", series);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(src_series, "Instances")) == 26);
    cJSON_Delete(src_series);

    /* No patient identifier in Orthanc's log. */
    cJSON *pt = get_json("/patients");
    const cJSON *pid;
    cJSON_ArrayForEach(pid, pt)
    {
        cJSON *p = get_json("/patients/%s", pid->valuestring);
        const cJSON *tags = cJSON_GetObjectItemCaseSensitive(p, "MainDicomTags");
        const char *ids[] = {str(tags, "PatientName"), str(tags, "PatientID")};
        for (int i = 0; i < 2; i++)
            if (strlen(ids[i]) > 2)
                CHECK(tsc_test_system("grep -qF '%s' '%s'", ids[i], log_path) != 0);
        cJSON_Delete(p);
    }
    cJSON_Delete(pt);
    cJSON_Delete(j);
}

TSC_TEST(orthanc_same_series_again_is_not_analysed_twice)
{
    setup();
    const char *t = tsc_test_tmpdir();
    start_orthanc(t, "{\"Outputs\": [\"SEG\", \"SR\"]}");
    char src[4096], series[128];
    snprintf(src, sizeof src, "%s/03-synthetic-lesion/t1-post-contrast", samples);
    upload(src, series, sizeof series);
    cJSON *j = wait_final(series);
    CHECK(!strcmp(str(j, "state"), "done"));
    cJSON_Delete(j);
    cJSON *all = study_series(series);
    int before = cJSON_GetArraySize(all);
    cJSON_Delete(all);
    CHECK(before == 3); /* source, SEG, SR: Outputs honoured */

    /* The same instances again, and one new instance of the series: the
     * series turns stable a second time. */
    upload(src, series, sizeof series);
    REQUIRE(tsc_test_system("mkdir -p '%s/extra' && cp '%s/IM0001.dcm' '%s/extra/' && "
                            "dcmodify -nb -gin '%s/extra/IM0001.dcm' >/dev/null 2>&1",
                            t, src, t, t) == 0);
    char extra[4400], again[128];
    snprintf(extra, sizeof extra, "%s/extra", t);
    upload(extra, again, sizeof again);
    CHECK(!strcmp(again, series));
    /* An explicit request for a done series queues nothing. */
    char uri[256];
    snprintf(uri, sizeof uri, "/tumorscope/series/%s/analyze", series);
    http_reply r = http("POST", uri, "", 0);
    cJSON *a = cJSON_Parse(r.body ? r.body : "");
    CHECK(r.status == 200);
    CHECK(!strcmp(str(a, "state"), "done"));
    CHECK(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(a, "queued")));
    cJSON_Delete(a);
    free(r.body);
    sleep(6); /* StableAge 2 s, checked every 0.5 s: the second event has come */
    all = study_series(series);
    CHECK(cJSON_GetArraySize(all) == before);
    cJSON_Delete(all);
    cJSON *st = get_json("/tumorscope/status");
    CHECK(cJSON_GetObjectItemCaseSensitive(st, "done")->valuedouble == 1);
    CHECK(cJSON_GetObjectItemCaseSensitive(st, "queue")->valuedouble == 0);
    cJSON_Delete(st);
}

TSC_TEST(orthanc_ct_series_is_not_analysed_with_the_scope_reason)
{
    setup();
    if (tsc_test_system("command -v dcmodify >/dev/null 2>&1") != 0)
        tsc_test_skip("dcmodify (Debian package dcmtk) is not installed");
    const char *t = tsc_test_tmpdir();
    REQUIRE(
        tsc_test_system(
            "mkdir -p '%s/ct' && cp '%s'/03-synthetic-lesion/t1-post-contrast/*.dcm '%s/ct/' && "
            "dcmodify -nb -gin -m '(0020,000e)=2.25.%ld' -m '(0008,0060)=CT' "
            "-m '(0008,0016)=1.2.840.10008.5.1.4.1.1.2' '%s'/ct/*.dcm >/dev/null 2>&1",
            t, samples, t, (long)time(NULL), t) == 0);
    start_orthanc(t, "{}");
    char ct[4400], series[128];
    snprintf(ct, sizeof ct, "%s/ct", t);
    upload(ct, series, sizeof series);
    sleep(5);
    /* AutoAnalyze.Modality "MR" (the default): a CT series is not even queued. */
    cJSON *j = get_json("/tumorscope/series/%s", series);
    REQUIRE(j);
    CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(j, "state")));
    cJSON_Delete(j);
    cJSON *all = study_series(series);
    REQUIRE(cJSON_GetArraySize(all) == 1); /* one CT series */
    cJSON_Delete(all);
    /* Asked for, it meets the scope gate. */
    char uri[256];
    snprintf(uri, sizeof uri, "/tumorscope/series/%s/analyze", series);
    http_reply r = http("POST", uri, "", 0);
    CHECK(r.status == 202);
    cJSON *a = cJSON_Parse(r.body ? r.body : "");
    char job[128];
    snprintf(job, sizeof job, "%s", str(a, "ID"));
    cJSON_Delete(a);
    free(r.body);
    j = wait_final(series);
    printf("state %s, reason: %s\n", str(j, "state"), str(j, "reason"));
    CHECK(!strcmp(str(j, "state"), "not_analysed"));
    CHECK(strstr(str(j, "reason"), "CT") != NULL);
    CHECK(!strcmp(str(j, "verdict"), "not_analysed"));
    const cJSON *rs = cJSON_GetArrayItem(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "result"), "series"), 0);
    CHECK(!strcmp(str(rs, "verdict"), "not_analysed"));
    cJSON_Delete(j);
    /* The Orthanc job of the request failed, with the reason in its content. */
    REQUIRE(job[0]);
    cJSON *jj = NULL;
    for (int i = 0; i < 40; i++) {
        cJSON_Delete(jj);
        jj = get_json("/jobs/%s", job);
        if (strcmp(str(jj, "State"), "Running") && strcmp(str(jj, "State"), "Pending")) break;
        usleep(250000);
    }
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(jj, "Content");
    printf("job %s: %s, content %s %s\n", job, str(jj, "State"), str(content, "State"),
           str(content, "Reason"));
    CHECK(!strcmp(str(jj, "State"), "Failure"));
    CHECK(!strcmp(str(jj, "Type"), "TumorscopeAnalysis"));
    CHECK(!strcmp(str(content, "State"), "not_analysed"));
    CHECK(strstr(str(content, "Reason"), "CT") != NULL);
    cJSON_Delete(jj);
    all = study_series(series);
    CHECK(cJSON_GetArraySize(all) == 1); /* no outputs */
    cJSON_Delete(all);
}

TSC_TEST(orthanc_series_left_queued_by_a_stop_is_analysed_after_restart)
{
    setup();
    const char *t = tsc_test_tmpdir();
    /* On request only: nothing starts on its own. */
    start_orthanc(t, "{\"AutoAnalyze\": false, \"Outputs\": [\"SR\"]}");
    char src[4096], series[128], uri[256];
    snprintf(src, sizeof src, "%s/03-synthetic-lesion/t1-post-contrast", samples);
    upload(src, series, sizeof series);
    /* What a stop during analysis leaves behind. */
    snprintf(uri, sizeof uri, "/series/%s/metadata/TumorscopeState", series);
    http_reply r = http("PUT", uri, "running", 7);
    REQUIRE(r.status == 200);
    free(r.body);
    stop_orthanc();
    start_orthanc(t, "{\"AutoAnalyze\": false, \"Outputs\": [\"SR\"]}");
    cJSON *j = wait_final(series);
    CHECK(!strcmp(str(j, "state"), "done"));
    cJSON_Delete(j);
    cJSON *all = study_series(series);
    CHECK(cJSON_GetArraySize(all) == 2);
    cJSON_Delete(all);
}

TSC_TEST(orthanc_series_without_stable_event_is_found_by_the_periodic_sweep)
{
    setup();
    const char *t = tsc_test_tmpdir();
    /* StableAge one day: no stable event comes during the test (as when the
     * receiving node stopped before it); only the sweep can find the series. */
    stable_age = 86400;
    start_orthanc(t, "{\"SweepSeconds\": 1, \"SweepMinAge\": 2, \"Outputs\": [\"SEG\", \"SR\", \"SC\"]}");
    stable_age = 2;
    char src[4096], series[128];
    snprintf(src, sizeof src, "%s/03-synthetic-lesion/t1-post-contrast", samples);
    upload(src, series, sizeof series);
    cJSON *s = get_json("/series/%s", series);
    CHECK(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(s, "IsStable")));
    cJSON_Delete(s);
    cJSON *j = wait_final(series);
    CHECK(!strcmp(str(j, "state"), "done"));
    cJSON_Delete(j);
    /* Still no stable event: the analysis came from the sweep. */
    s = get_json("/series/%s", series);
    CHECK(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(s, "IsStable")));
    cJSON_Delete(s);
    /* Several more sweeps: the results are there exactly once, and neither
     * the source nor our own result series is analysed again. */
    sleep(6);
    cJSON *all = study_series(series);
    CHECK(cJSON_GetArraySize(all) == 4);
    CHECK(count_modality(all, "SEG") == 1);
    CHECK(count_modality(all, "SR") == 1);
    CHECK(count_modality(all, "OT") == 1);
    const cJSON *o;
    cJSON_ArrayForEach(o, all)
    {
        if (!strcmp(str(o, "ID"), series)) continue;
        cJSON *oj = get_json("/tumorscope/series/%s", str(o, "ID"));
        CHECK(!strcmp(str(oj, "state"), "output"));
        cJSON_Delete(oj);
        cJSON *inst = get_json("/series/%s/instances", str(o, "ID"));
        /* SEG and SR: one instance each; SC: one per slice with a finding.
         * (A second analysis would have added series: new UIDs each time.) */
        int n = cJSON_GetArraySize(inst);
        const char *mod = str(cJSON_GetObjectItemCaseSensitive(o, "MainDicomTags"), "Modality");
        if (!strcmp(mod, "SEG") || !strcmp(mod, "SR")) CHECK(n == 1);
        else CHECK(n >= 1 && n <= 26);
        cJSON_Delete(inst);
    }
    cJSON_Delete(all);
    cJSON *st = get_json("/tumorscope/status");
    CHECK(cJSON_GetObjectItemCaseSensitive(st, "done")->valuedouble == 1);
    CHECK(cJSON_GetObjectItemCaseSensitive(st, "failed")->valuedouble == 0);
    CHECK(cJSON_GetObjectItemCaseSensitive(st, "queue")->valuedouble == 0);
    cJSON_Delete(st);
    CHECK(tsc_test_system("grep -q 'periodic sweep: 1 series' '%s'", log_path) == 0);
}

TSC_TEST_MAIN(TSC_CASE(orthanc_lesion_series_is_analysed_once_with_seg_sr_sc_pdf_in_its_study),
              TSC_CASE(orthanc_same_series_again_is_not_analysed_twice),
              TSC_CASE(orthanc_ct_series_is_not_analysed_with_the_scope_reason),
              TSC_CASE(orthanc_series_left_queued_by_a_stop_is_analysed_after_restart),
              TSC_CASE(orthanc_series_without_stable_event_is_found_by_the_periodic_sweep))
