/* SPDX-License-Identifier: BSD-3-Clause */
/* Inputs a host or a dataset can legitimately give that used to break us or
 * be ignored: per-slice CSV rows longer than a fixed buffer (tumorscope
 * eval), a dataset index with a `plane` column (normal-mri), and a
 * DICOM writer parameter struct from a host built against an older, shorter
 * version of it; a dataset to calibrate int8 on, and an eval asked for int8
 * on a CPU that cannot run it. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tsc_dicom_write.h"
#include "tsc_io.h"
#include "tsc_test.h"

/* A 256x256 8-bit head-like ellipse, with a bright disc when `lesion`. */
static void write_png(const char *path, int lesion)
{
    tsc_gray_image *im = tsc_gray_image_new(256, 256, 8);
    REQUIRE(im);
    unsigned char *px = im->pixels;
    for (int y = 0; y < 256; y++)
        for (int x = 0; x < 256; x++) {
            double dy = (y - 128) / 100.0, dx = (x - 128) / 85.0;
            unsigned char v = dx * dx + dy * dy <= 1 ? 100 : 2;
            if (lesion && (x - 150) * (x - 150) + (y - 110) * (y - 110) <= 400) v = 240;
            px[y * 256 + x] = v;
        }
    tsc_error err;
    REQUIRE(tsc_png_write(path, im, &err) == TSC_OK);
    tsc_gray_image_free(im);
}

/* Makes dataset folder `ds` with its images/ folder; returns its index.csv,
 * open for writing. */
static FILE *new_dataset(const char *ds)
{
    char path[4200];
    REQUIRE(mkdir(ds, 0755) == 0);
    snprintf(path, sizeof path, "%s/images", ds);
    REQUIRE(mkdir(path, 0755) == 0);
    snprintf(path, sizeof path, "%s/index.csv", ds);
    FILE *f = fopen(path, "w");
    REQUIRE(f);
    return f;
}

TSC_TEST(eval_per_slice_csv_keeps_1000_character_patient_ids)
{
    tsc_test_children_skip_tls_in_leak_checks();
    const char *bin = tsc_test_program("tumorscope");
    char path[4200];
    const char *ds = tsc_test_path("dataset");
    FILE *f = new_dataset(ds);

    /* Three slices whose patient ids are 1,000 characters long. */
    static char pid[3][1001];
    static const char *const ids[3] = {"slice-a", "slice-b", "slice-c"};
    fprintf(f, "id,label,label_name,patient_id,split\n");
    for (int i = 0; i < 3; i++) {
        for (int k = 0; k < 1000; k++) pid[i][k] = (char)('a' + (k * 7 + i) % 26);
        pid[i][1000] = '\0';
        fprintf(f, "%s,%d,%s,%s,test\n", ids[i], i ? 1 : 0, i ? "glioma" : "no_tumor", pid[i]);
        snprintf(path, sizeof path, "%s/images/%s.png", ds, ids[i]);
        write_png(path, i != 0);
    }
    REQUIRE(fclose(f) == 0);

    const char *csv = tsc_test_path("per-slice.csv");
    int rc = tsc_test_system("'%s' eval --dataset '%s' --split test --per-slice '%s' "
                             "--method threshold >/dev/null",
                             bin, ds, csv);
    CHECK(rc == 0);
    char *text = tsc_test_read_file(csv, NULL);
    REQUIRE(text);
    CHECK(!strncmp(text, "dataset,id,patient_id,", 22));
    /* The header and three rows (the CLI's writer ends files with a newline
     * of its own, so a blank last line does not count). */
    size_t lines = 0;
    for (const char *s = text; *s; s++) lines += *s == '\n' && s != text && s[-1] != '\n';
    CHECK(lines == 4);
    for (int i = 0; i < 3; i++) {
        /* Each row holds its id and the whole patient id, then the truth. */
        char want[1100];
        snprintf(want, sizeof want, "0,%s,%s,%s,", ids[i], pid[i], i ? "tumor" : "no_tumor");
        if (!strstr(text, want)) {
            fprintf(stderr, "row %d (%s) is missing or cut short\n", i, ids[i]);
            tsc_test_failures++;
        }
    }
    free(text);
}

/* The "n" of the JSON object that follows `key` in `text`, or -1. */
static int count_after(const char *text, const char *key)
{
    const char *k = strstr(text, key);
    const char *n = k ? strstr(k, "\"n\":") : NULL;
    int v = -1;
    if (!n || sscanf(n + 4, " %d", &v) != 1) return -1;
    return v;
}

/* normal-mri's index has a `plane` column: eval reports each plane of such
 * a dataset apart, and datasets without the column get no by_plane. */
TSC_TEST(eval_reports_each_plane_of_a_dataset_with_a_plane_column)
{
    tsc_test_children_skip_tls_in_leak_checks();
    const char *bin = tsc_test_program("tumorscope");
    const char *dir = tsc_test_tmpdir();
    static const char *const planes[3] = {"axial", "sagittal", "axial"};
    char ds[4096], path[4200];
    for (int with_plane = 0; with_plane < 2; with_plane++) {
        snprintf(ds, sizeof ds, "%s/ds%d", dir, with_plane);
        FILE *f = new_dataset(ds);
        fprintf(f, "id,label,label_name,patient_id,split%s\n", with_plane ? ",plane" : "");
        for (int i = 0; i < 3; i++) {
            fprintf(f, "n%d,0,no_tumor,p%d,val%s%s\n", i, i, with_plane ? "," : "",
                    with_plane ? planes[i] : "");
            snprintf(path, sizeof path, "%s/images/n%d.png", ds, i);
            write_png(path, 0);
        }
        REQUIRE(fclose(f) == 0);
    }
    const char *json = tsc_test_path("eval.json");
    int rc = tsc_test_system("'%s' eval --dataset '%s/ds0' --dataset '%s/ds1' --split val "
                             "--method threshold --json '%s' >/dev/null 2>&1",
                             bin, dir, dir, json);
    CHECK(rc == 0);
    char *text = tsc_test_read_file(json, NULL);
    REQUIRE(text);
    /* One by_plane, under ds1, after ds0's figures. */
    const char *ds0 = strstr(text, "\"ds0\"");
    const char *ds1 = strstr(text, "\"ds1\"");
    const char *byp = strstr(text, "\"by_plane\"");
    CHECK(ds0 && ds1 && byp && ds0 < ds1 && ds1 < byp);
    CHECK(byp && !strstr(byp + 1, "\"by_plane\""));
    if (byp) {
        CHECK(count_after(byp, "\"axial\"") == 2);
        CHECK(count_after(byp, "\"sagittal\"") == 1);
    }
    free(text);
}

static void write_with_struct_size(size_t struct_size, const char *out)
{
    /* The host's struct really is that short: copy the prefix into a buffer
     * of exactly that size, so that reading past it is caught by ASan. */
    tsc_dicom_write_params full = tsc_dicom_write_default_params();
    full.patient_name = "Older^Host";
    full.patient_id = "OLD-1";
    full.series_description = "older host";
    full.uid_seed = "older-host-test";
    full.pixel_spacing[0] = full.pixel_spacing[1] = 0.5;
    full.struct_size = struct_size;
    tsc_dicom_write_params *p = malloc(struct_size);
    REQUIRE(p);
    memcpy(p, &full, struct_size);

    enum { R = 16, C = 12, N = 2 };
    float values[N * R * C];
    for (size_t i = 0; i < N * R * C; i++) values[i] = (float)(i % 200);
    double positions[3 * N] = {0, 0, 0, 0, 0, 2.5};
    tsc_dicom_write_volume v = {C, R, N, values, positions};
    tsc_dicom_write_result res;
    tsc_error err;
    tsc_status st = tsc_dicom_write_series(out, p, &v, &res, &err);
    if (st != TSC_OK) fprintf(stderr, "write (struct_size %zu): %s\n", struct_size, err.message);
    CHECK(st == TSC_OK);
    if (st == TSC_OK) {
        CHECK(res.n_files == N);
        char path[4200];
        snprintf(path, sizeof path, "%s/IM0001.dcm", out);
        CHECK(access(path, R_OK) == 0);
        snprintf(path, sizeof path, "%s/IM0002.dcm", out);
        CHECK(access(path, R_OK) == 0);
    }
    free(p);
}

TSC_TEST(dicom_write_series_accepts_an_older_shorter_params_struct)
{
    const char *dir = tsc_test_tmpdir();
    char out[4200];
    /* A host built before the cancel callback was appended... */
    snprintf(out, sizeof out, "%s/without-cancel", dir);
    write_with_struct_size(offsetof(tsc_dicom_write_params, cancel), out);
    /* ...and one built before multiframe and allow_non_empty. */
    snprintf(out, sizeof out, "%s/without-multiframe", dir);
    write_with_struct_size(offsetof(tsc_dicom_write_params, multiframe), out);
}

/* calibrate-int8 records the shipped model's convolution inputs on the val
 * images; eval --precision int8 records the precision that really ran:
 * int8 with AVX512_VNNI, fp32 (and the warning) with it masked. */
TSC_TEST(calibrate_int8_writes_ranges_and_eval_records_the_precision_that_ran)
{
    tsc_test_children_skip_tls_in_leak_checks();
    const char *bin = tsc_test_program("tumorscope");
    char path[4200];
    const char *ds = tsc_test_path("int8-ds");
    FILE *f = new_dataset(ds);
    fprintf(f, "id,label,label_name,patient_id,split\n");
    for (int i = 0; i < 4; i++) {
        fprintf(f, "s%d,%d,%s,p%d,%s\n", i, i & 1, i & 1 ? "glioma" : "no_tumor", i,
                i < 2 ? "val" : "test");
        snprintf(path, sizeof path, "%s/images/s%d.png", ds, i);
        write_png(path, i & 1);
    }
    REQUIRE(fclose(f) == 0);
    const char *ranges = tsc_test_path("int8.json");
    const char *json = tsc_test_path("eval-int8.json");
    const char *log = tsc_test_path("eval-int8.log");
    /* v2 is the shipped model whose manifest carries an int8 block. */
    char model[4200];
    snprintf(model, sizeof model, "%s/resources/models/tsc_unet128_v2.json",
             tsc_test_env("TSC_SOURCE_DIR", ".."));
    CHECK(tsc_test_system("'%s' calibrate-int8 --model '%s' --dataset '%s' --threads 1 --out '%s' "
                          "2>/dev/null",
                          bin, model, ds, ranges) == 0);
    char *text = tsc_test_read_file(ranges, NULL);
    REQUIRE(text);
    CHECK(strstr(text, "\"ranges\"") && strstr(text, "\"image\"") && strstr(text, "\"val\""));
    free(text);
    for (int masked = 0; masked < 2; masked++) {
        CHECK(tsc_test_system("%s'%s' eval --model '%s' --dataset '%s' --split test --threads 1 "
                              "--precision int8 --json '%s' --force >/dev/null 2>'%s'",
                              masked ? "ONEDNN_MAX_CPU_ISA=AVX512_CORE " : "", bin, model, ds,
                              json, log) == 0);
        text = tsc_test_read_file(json, NULL);
        char *warn = tsc_test_read_file(log, NULL);
        REQUIRE(text && warn);
        int vnni = !strstr(warn, "AVX512_VNNI");
        printf("masked %d: %s", masked, warn);
        CHECK(!masked || !vnni);
        CHECK(strstr(text, vnni ? "\"inference_precision\":\t\"int8\""
                                : "\"inference_precision\":\t\"fp32\"") != NULL);
        free(text);
        free(warn);
    }
}

TSC_TEST_MAIN(TSC_CASE(eval_per_slice_csv_keeps_1000_character_patient_ids),
              TSC_CASE(eval_reports_each_plane_of_a_dataset_with_a_plane_column),
              TSC_CASE(dicom_write_series_accepts_an_older_shorter_params_struct),
              TSC_CASE(calibrate_int8_writes_ranges_and_eval_records_the_precision_that_ran))
