/* SPDX-License-Identifier: BSD-3-Clause */
/* tumorscope dicomize and the DICOM writer, checked from the outside: the
 * CLI is run as a user would, the files are checked with DCMTK's dcmdump and
 * dicom3tools' dciodvfy, and read back with our own reader (tsc_dicom). */
#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tsc_dicom.h"
#include "tsc_dicom_write.h"
#include "tsc_io.h"
#include "tsc_sha256.h"
#include "tsc_test.h"

/* ---- helpers ------------------------------------------------------------- */

static const char *cli(void)
{
    return tsc_test_program("tumorscope");
}

/* Every command's stdout and stderr land in `output` for the checks to read. */
static char output[65536];
#define run(...) tsc_test_system_output(output, sizeof output, __VA_ARGS__)

static void require_tool(const char *tool, const char *package)
{
    if (run("command -v %s", tool) != 0)
        tsc_test_skip("%s is not installed (Debian package %s)", tool, package);
}

/* dciodvfy prints "Error - ..." lines for violations; warnings are allowed. */
static int dciodvfy_clean(const char *file)
{
    run("dciodvfy '%s'", file);
    if (strstr(output, "Error")) {
        fprintf(stderr, "dciodvfy %s:\n%s\n", file, output);
        return 0;
    }
    return 1;
}

static int dcmdump_reads(const char *file)
{
    int rc = run("dcmdump -q '%s'", file);
    if (rc != 0) fprintf(stderr, "dcmdump %s failed:\n%s\n", file, output);
    return rc == 0;
}

/* One attribute's value as dcmdump prints it ("" when absent): text in
 * [brackets], a known UID's name after '=', or a number. */
static const char *dump_value(const char *file, const char *name)
{
    static char value[1024];
    value[0] = '\0';
    if (run("dcmdump -q -s +L +P %s '%s'", name, file) != 0) return value;
    /* "(gggg,eeee) VR value  # length, VM Name" */
    const char *p = strchr(output, ')');
    if (!p || strlen(p) < 5) return value;
    p += 5;
    const char *start = p, *end;
    if (*p == '[') {
        start = p + 1;
        end = strchr(start, ']');
    } else {
        if (*p == '=') start = p + 1;
        end = start + strcspn(start, " \n");
    }
    if (!end || strncmp(start, "(no value", 9) == 0) return value;
    size_t n = (size_t)(end - start);
    if (n >= sizeof value) n = sizeof value - 1;
    memcpy(value, start, n);
    value[n] = '\0';
    return value;
}

/* A stack of `n` PNG slices named s1.png ... (unpadded, to exercise natural
 * order) whose pixel (x, y) of slice k is value(k, x, y). */
static unsigned png_value(size_t k, int x, int y, int depth)
{
    unsigned v = (unsigned)(k * 1000 + (size_t)x * 37 + (size_t)y * 11);
    return depth == 8 ? v % 251 : v % 60000;
}

static void make_png_stack(const char *dir, size_t n, int w, int h, int depth)
{
    REQUIRE(mkdir(dir, 0755) == 0);
    for (size_t k = 0; k < n; k++) {
        tsc_gray_image *im = tsc_gray_image_new(w, h, depth);
        REQUIRE(im);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                unsigned v = png_value(k, x, y, depth);
                if (depth == 8)
                    ((uint8_t *)im->pixels)[y * w + x] = (uint8_t)v;
                else
                    ((uint16_t *)im->pixels)[y * w + x] = (uint16_t)v;
            }
        char path[4096];
        snprintf(path, sizeof path, "%s/s%zu.png", dir, k + 1);
        tsc_error err;
        REQUIRE(tsc_png_write(path, im, &err) == TSC_OK);
        tsc_gray_image_free(im);
    }
}

static tsc_dicom_index *open_dir(const char *dir)
{
    tsc_dicom_index *ix = NULL;
    tsc_error err;
    const char *paths[] = {dir};
    tsc_status st = tsc_dicom_open(paths, 1, NULL, &ix, &err);
    if (st != TSC_OK) fprintf(stderr, "tsc_dicom_open %s: %s\n", dir, err.message);
    REQUIRE(st == TSC_OK && ix);
    return ix;
}

/* Decodes slice `k` of series `s` and compares it with png_value*scale+offset. */
static int slice_matches(const tsc_dicom_index *ix, size_t s, size_t k, int w, int h, int depth,
                         double scale, double offset, double tol)
{
    tsc_dicom_image *im = NULL;
    tsc_error err;
    if (tsc_dicom_decode_slice(ix, s, k, &im, &err) != TSC_OK) {
        fprintf(stderr, "decode %zu/%zu: %s\n", s, k, err.message);
        return 0;
    }
    int ok = im->cols == w && im->rows == h;
    for (int y = 0; ok && y < h; y++)
        for (int x = 0; ok && x < w; x++) {
            double want = png_value(k, x, y, depth) * scale + offset;
            double got = im->pixels[y * w + x];
            if (fabs(got - want) > tol) {
                fprintf(stderr, "slice %zu (%d,%d): got %g, want %g\n", k, x, y, got, want);
                ok = 0;
            }
        }
    tsc_dicom_image_free(im);
    return ok;
}

static void sha_of(const char *path, char hex[65])
{
    tsc_error err;
    REQUIRE(tsc_sha256_file(path, hex, &err) == TSC_OK);
}

/* A float32 NIfTI-1 file with the given sform (RAS mm). */
static void write_nifti_f32(const char *path, int nx, int ny, int nz, const float srow[3][4],
                            const float *data)
{
    unsigned char h[352];
    memset(h, 0, sizeof h);
    int32_t hs = 348;
    memcpy(h, &hs, 4);
    int16_t dim[8] = {3, (int16_t)nx, (int16_t)ny, (int16_t)nz, 1, 1, 1, 1};
    memcpy(h + 40, dim, sizeof dim);
    int16_t dt[2] = {16, 32};
    memcpy(h + 70, dt, sizeof dt);
    float pixdim[8] = {1, 1, 1, 1, 0, 0, 0, 0};
    for (int a = 0; a < 3; a++)
        pixdim[a + 1] = sqrtf(srow[0][a] * srow[0][a] + srow[1][a] * srow[1][a] +
                              srow[2][a] * srow[2][a]);
    memcpy(h + 76, pixdim, sizeof pixdim);
    float vo = 352, slope = 1;
    memcpy(h + 108, &vo, 4);
    memcpy(h + 112, &slope, 4);
    h[123] = 2;
    int16_t sform = 2;
    memcpy(h + 254, &sform, 2);
    memcpy(h + 280, srow, 48);
    memcpy(h + 344, "n+1\0", 4);
    FILE *f = fopen(path, "wb");
    REQUIRE(f);
    REQUIRE(fwrite(h, 1, sizeof h, f) == sizeof h);
    size_t n = (size_t)nx * ny * nz;
    REQUIRE(fwrite(data, sizeof *data, n, f) == n);
    REQUIRE(fclose(f) == 0);
}

/* ---- single-frame series from PNG ---------------------------------------- */

TSC_TEST(dicomize_png_stack_is_valid_mr_image_storage)
{
    require_tool("dciodvfy", "dicom3tools");
    require_tool("dcmdump", "dcmtk");
    const char *in = tsc_test_path("png"), *out = tsc_test_path("out");
    make_png_stack(in, 4, 40, 30, 16);
    int rc = run("'%s' dicomize --out '%s' --patient-name Test^Synthetic --patient-id SYN-1 "
                 "--study-id 1 --series-description 'T1 test' --spacing 0.8 --thickness 3 '%s'",
                 cli(), out, in);
    if (rc) fprintf(stderr, "%s\n", output);
    CHECK(rc == 0);
    /* Exactly the four files: no temporaries left behind. */
    CHECK(tsc_test_count_entries(out) == 4);
    for (int k = 1; k <= 4; k++) {
        char f[4200];
        snprintf(f, sizeof f, "%s/IM%04d.dcm", out, k);
        CHECK(dcmdump_reads(f));
        CHECK(dciodvfy_clean(f));
        CHECK(!strcmp(dump_value(f, "SOPClassUID"), "MRImageStorage"));
        CHECK(!strcmp(dump_value(f, "PhotometricInterpretation"), "MONOCHROME2"));
        CHECK(!strcmp(dump_value(f, "Modality"), "MR"));
        CHECK(!strcmp(dump_value(f, "PixelSpacing"), "0.8\\0.8"));
        CHECK(!strcmp(dump_value(f, "SliceThickness"), "3"));
        CHECK(!strcmp(dump_value(f, "SpacingBetweenSlices"), "3"));
        CHECK(!strcmp(dump_value(f, "ImageOrientationPatient"), "1\\0\\0\\0\\1\\0"));
        CHECK(*dump_value(f, "FrameOfReferenceUID"));
        CHECK(*dump_value(f, "WindowWidth"));
    }
}

TSC_TEST(dicomize_png_values_and_geometry_round_trip_without_touching_inputs)
{
    const char *in = tsc_test_path("png"), *out = tsc_test_path("out");
    make_png_stack(in, 12, 21, 17, 16);
    char before[12][65], after[65];
    for (int k = 0; k < 12; k++) {
        char p[4200];
        snprintf(p, sizeof p, "%s/s%d.png", in, k + 1);
        sha_of(p, before[k]);
    }
    int rc = run("'%s' dicomize --out '%s' --spacing 0.5,0.7 --slice-spacing 2.5 --thickness 2 "
                 "--origin 10,-20,30 --scale 0.5 --offset 3 '%s'",
                 cli(), out, in);
    if (rc) fprintf(stderr, "%s\n", output);
    CHECK(rc == 0);
    for (int k = 0; k < 12; k++) {
        char p[4200];
        snprintf(p, sizeof p, "%s/s%d.png", in, k + 1);
        sha_of(p, after);
        CHECK(!strcmp(before[k], after));
    }
    CHECK(tsc_test_count_entries(in) == 12);
    tsc_dicom_index *ix = open_dir(out);
    REQUIRE(tsc_dicom_n_series(ix) == 1);
    const tsc_dicom_series_info *se = tsc_dicom_get_series(ix, 0);
    CHECK(se->n_slices == 12 && se->cols == 21 && se->rows == 17);
    CHECK_NEAR(se->pixel_spacing[0], 0.5, 1e-9);
    CHECK_NEAR(se->pixel_spacing[1], 0.7, 1e-9);
    CHECK_NEAR(se->slice_thickness, 2, 1e-9);
    CHECK_NEAR(se->slice_spacing, 2.5, 1e-6);
    CHECK(!strcmp(se->modality, "MR"));
    for (size_t k = 0; k < 12; k++) {
        /* s1 ... s12 in natural order, from inferior to superior. */
        const tsc_dicom_slice_info *sl = tsc_dicom_get_slice(ix, 0, k);
        CHECK_NEAR(sl->position[0], 10, 1e-9);
        CHECK_NEAR(sl->position[1], -20, 1e-9);
        CHECK_NEAR(sl->position[2], 30 + 2.5 * (double)k, 1e-9);
        CHECK(sl->instance_number == (int)k + 1);
        CHECK(slice_matches(ix, 0, k, 21, 17, 16, 0.5, 3, 0.5));
    }
    tsc_dicom_index_free(ix);
}

static void check_lossless(const char *kind, int multiframe)
{
    require_tool("dciodvfy", "dicom3tools");
    require_tool("dcmconv", "dcmtk");
    char in[4200], out[4200];
    snprintf(in, sizeof in, "%s/png-%s-%d", tsc_test_tmpdir(), kind, multiframe);
    snprintf(out, sizeof out, "%s/out-%s-%d", tsc_test_tmpdir(), kind, multiframe);
    make_png_stack(in, 5, 33, 29, 16);
    int rc = run("'%s' dicomize --out '%s' --compress %s %s --patient-id SYN-2 --study-id 1 "
                 "--series-description 'T2 %s' '%s'",
                 cli(), out, kind, multiframe ? "--multiframe" : "", kind, in);
    if (rc) fprintf(stderr, "%s\n", output);
    CHECK(rc == 0);
    CHECK(tsc_test_count_entries(out) == (multiframe ? 1u : 5u));
    static const struct {
        const char *kind, *xfer;
    } names[] = {{"jpeg-ls", "JPEGLSLossless"},
                 {"rle", "RLELossless"},
                 {"jpeg-lossless", "JPEGLossless:Non-hierarchical-1stOrderPrediction"},
                 {"deflate", "DeflatedLittleEndianExplicit"},
                 {"none", "LittleEndianExplicit"}};
    char first[4300];
    snprintf(first, sizeof first, "%s/IM0001.dcm", out);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(kind, names[i].kind)) {
            const char *ts = dump_value(first, "TransferSyntaxUID");
            if (strcmp(ts, names[i].xfer)) fprintf(stderr, "transfer syntax %s\n", ts);
            CHECK(!strcmp(ts, names[i].xfer));
        }
    /* dicom3tools cannot inflate: validate a copy that DCMTK re-encodes
     * (which also proves DCMTK reads it), and read that copy back. */
    const char *dir = out;
    if (!strcmp(kind, "deflate")) {
        static char plain[4300];
        snprintf(plain, sizeof plain, "%s-plain", out);
        REQUIRE(mkdir(plain, 0755) == 0);
        for (int k = 1; k <= (multiframe ? 1 : 5); k++) {
            rc = run("dcmconv -q +te '%s/IM%04d.dcm' '%s/IM%04d.dcm'", out, k, plain, k);
            CHECK(rc == 0);
        }
        dir = plain;
    }
    for (int k = 1; k <= (multiframe ? 1 : 5); k++) {
        char f[4400];
        snprintf(f, sizeof f, "%s/IM%04d.dcm", dir, k);
        CHECK(dcmdump_reads(f));
        CHECK(dciodvfy_clean(f));
    }
    tsc_dicom_index *ix = open_dir(dir);
    REQUIRE(tsc_dicom_n_series(ix) == 1);
    CHECK(tsc_dicom_get_series(ix, 0)->n_slices == 5);
    for (size_t k = 0; k < 5; k++) CHECK(slice_matches(ix, 0, k, 33, 29, 16, 1, 0, 0));
    tsc_dicom_index_free(ix);
}

TSC_TEST(dicomize_jpeg_ls_is_lossless_and_valid)
{
    check_lossless("jpeg-ls", 0);
}

TSC_TEST(dicomize_rle_is_lossless_and_valid)
{
    check_lossless("rle", 0);
}

TSC_TEST(dicomize_jpeg_lossless_is_lossless_and_valid)
{
    check_lossless("jpeg-lossless", 0);
}

TSC_TEST(dicomize_deflate_is_lossless_and_valid)
{
    check_lossless("deflate", 0);
}

TSC_TEST(dicomize_multiframe_is_valid_enhanced_mr)
{
    check_lossless("none", 1);
    char f[4300];
    snprintf(f, sizeof f, "%s/out-none-1/IM0001.dcm", tsc_test_tmpdir());
    CHECK(!strcmp(dump_value(f, "SOPClassUID"), "EnhancedMRImageStorage"));
    CHECK(!strcmp(dump_value(f, "NumberOfFrames"), "5"));
    /* Per-frame positions in order, shared orientation and pixel measures. */
    tsc_dicom_index *ix = open_dir(tsc_test_path("out-none-1"));
    const tsc_dicom_series_info *se = tsc_dicom_get_series(ix, 0);
    CHECK(se->flags & TSC_DICOM_SERIES_MULTIFRAME);
    CHECK_NEAR(se->slice_spacing, 1, 1e-9);
    for (size_t k = 0; k < 5; k++) {
        const tsc_dicom_slice_info *sl = tsc_dicom_get_slice(ix, 0, k);
        CHECK(sl->frame == (int)k && sl->has_geometry);
        CHECK_NEAR(sl->position[2], -2 + (double)k, 1e-9);
        CHECK_NEAR(sl->orientation[4], 1, 1e-12);
    }
    tsc_dicom_index_free(ix);
}

TSC_TEST(dicomize_multiframe_compressed_variants_are_valid)
{
    check_lossless("jpeg-ls", 1);
    check_lossless("rle", 1);
    check_lossless("jpeg-lossless", 1);
}

TSC_TEST(dicomize_signed_pixels_and_rescale_round_trip)
{
    require_tool("dciodvfy", "dicom3tools");
    const char *in = tsc_test_path("png");
    make_png_stack(in, 3, 16, 12, 16);
    /* Real values -30000 .. +29999 need signed storage; every codec keeps
     * them exactly. */
    const char *kinds[] = {"none", "jpeg-ls", "jpeg-lossless", "rle"};
    char f[4300];
    int rc;
    tsc_dicom_index *ix;
    for (size_t i = 0; i < 4; i++) {
        char out1[4200];
        snprintf(out1, sizeof out1, "%s/signed-%s", tsc_test_tmpdir(), kinds[i]);
        rc = run("'%s' dicomize --out '%s' --signed --offset -30000 --compress %s '%s'", cli(),
                 out1, kinds[i], in);
        CHECK(rc == 0);
        snprintf(f, sizeof f, "%s/IM0002.dcm", out1);
        CHECK(!strcmp(dump_value(f, "PixelRepresentation"), "1"));
        CHECK(dciodvfy_clean(f));
        ix = open_dir(out1);
        for (size_t k = 0; k < 3; k++) {
            if (!slice_matches(ix, 0, k, 16, 12, 16, 1, -30000, 0)) {
                fprintf(stderr, "signed values differ with --compress %s\n", kinds[i]);
                CHECK(0);
            }
        }
        tsc_dicom_index_free(ix);
    }
    /* A Rescale Slope/Intercept keeps the real values: stored = (v - 100) / 0.5. */
    const char *out2 = tsc_test_path("rescale");
    rc = run("'%s' dicomize --out '%s' --scale 0.25 --rescale-slope 0.5 --rescale-intercept 100 "
             "--compress rle '%s'",
             cli(), out2, in);
    CHECK(rc == 0);
    /* Values under the intercept do not fit unsigned storage: clipped, said. */
    CHECK(strstr(output, "clipped") != NULL);
    snprintf(f, sizeof f, "%s/IM0001.dcm", out2);
    CHECK(!strcmp(dump_value(f, "RescaleIntercept"), "100"));
    CHECK(!strcmp(dump_value(f, "RescaleSlope"), "0.5"));
    ix = open_dir(out2);
    tsc_dicom_image *im = NULL;
    tsc_error err;
    REQUIRE(tsc_dicom_decode_slice(ix, 0, 2, &im, &err) == TSC_OK);
    for (int i = 0; i < 16 * 12; i++) {
        double want = png_value(2, i % 16, i / 16, 16) * 0.25;
        if (want < 100) want = 100; /* clipped at stored 0 */
        CHECK_NEAR(im->pixels[i], want, 0.25);
    }
    tsc_dicom_image_free(im);
    tsc_dicom_index_free(ix);
}

/* ---- output folder rules --------------------------------------------------- */

TSC_TEST(dicomize_refuses_a_non_empty_output_folder)
{
    const char *in = tsc_test_path("png"), *out = tsc_test_path("out");
    make_png_stack(in, 2, 8, 8, 8);
    REQUIRE(mkdir(out, 0755) == 0);
    char keep[4300];
    snprintf(keep, sizeof keep, "%s/notes.txt", out);
    FILE *f = fopen(keep, "w");
    REQUIRE(f);
    fputs("mine", f);
    fclose(f);
    int rc = run("'%s' dicomize --out '%s' '%s'", cli(), out, in);
    CHECK(rc == 1);
    CHECK(strstr(output, "not empty") != NULL && strstr(output, "--force") != NULL);
    CHECK(tsc_test_count_entries(out) == 1);
    rc = run("'%s' dicomize --force --out '%s' '%s'", cli(), out, in);
    CHECK(rc == 0);
    CHECK(tsc_test_count_entries(out) == 3);
    /* The refusal also covers --mask-out, before anything is written. */
    const char *out2 = tsc_test_path("out2");
    rc = run("'%s' dicomize --out '%s' --mask '%s' --mask-out '%s' '%s'", cli(), out2, in, out, in);
    CHECK(rc == 1);
    struct stat st;
    CHECK(stat(out2, &st) != 0);
}

TSC_TEST(dicomize_refuses_to_write_into_an_input_folder)
{
    const char *in = tsc_test_path("png");
    make_png_stack(in, 2, 8, 8, 8);
    int rc = run("'%s' dicomize --force --out '%s' '%s'", cli(), in, in);
    CHECK(rc == 2);
    CHECK(tsc_test_count_entries(in) == 2);
    char one[4300];
    snprintf(one, sizeof one, "%s/s1.png", in);
    rc = run("'%s' dicomize --force --out '%s/.' '%s'", cli(), in, one);
    CHECK(rc == 2);
    CHECK(tsc_test_count_entries(in) == 2);
}

/* ---- UIDs ------------------------------------------------------------------ */

TSC_TEST(dicomize_uid_seed_makes_identical_files)
{
    const char *in = tsc_test_path("png");
    make_png_stack(in, 3, 10, 10, 16);
    const char *a = tsc_test_path("a"), *b = tsc_test_path("b"), *c = tsc_test_path("c"),
               *d = tsc_test_path("d");
    const char *fixed = "--study-date 20240101 --study-time 120000 --compress jpeg-ls";
    CHECK(run("'%s' dicomize --out '%s' --uid-seed alpha %s '%s'", cli(), a, fixed, in) == 0);
    CHECK(run("'%s' dicomize --out '%s' --uid-seed alpha %s '%s'", cli(), b, fixed, in) == 0);
    CHECK(run("'%s' dicomize --out '%s' --uid-seed beta %s '%s'", cli(), c, fixed, in) == 0);
    CHECK(run("'%s' dicomize --out '%s' %s '%s'", cli(), d, fixed, in) == 0);
    for (int k = 1; k <= 3; k++) {
        char fa[4300], fb[4300], fc[4300], fd[4300];
        snprintf(fa, sizeof fa, "%s/IM%04d.dcm", a, k);
        snprintf(fb, sizeof fb, "%s/IM%04d.dcm", b, k);
        snprintf(fc, sizeof fc, "%s/IM%04d.dcm", c, k);
        snprintf(fd, sizeof fd, "%s/IM%04d.dcm", d, k);
        char ha[65], hb[65], hc[65], hd[65];
        sha_of(fa, ha);
        sha_of(fb, hb);
        sha_of(fc, hc);
        sha_of(fd, hd);
        CHECK(!strcmp(ha, hb)); /* byte for byte */
        CHECK(strcmp(ha, hc) != 0);
        CHECK(strcmp(ha, hd) != 0);
    }
    tsc_dicom_index *ia = open_dir(a), *ic = open_dir(c), *id = open_dir(d);
    const tsc_dicom_series_info *sa = tsc_dicom_get_series(ia, 0), *sc = tsc_dicom_get_series(ic, 0),
                                *sd = tsc_dicom_get_series(id, 0);
    CHECK(strcmp(sa->series_uid, sc->series_uid) != 0);
    CHECK(strcmp(sa->series_uid, sd->series_uid) != 0);
    CHECK(tsc_dicom_write_uid_is_valid(sa->series_uid) && !strncmp(sa->series_uid, "2.25.", 5));
    CHECK(tsc_dicom_write_uid_is_valid(sd->series_uid));
    CHECK(tsc_dicom_write_uid_is_valid(tsc_dicom_get_slice(ia, 0, 2)->sop_instance_uid));
    tsc_dicom_index_free(ia);
    tsc_dicom_index_free(ic);
    tsc_dicom_index_free(id);

    /* The library: seeds are stable, roots are honoured, junk is refused. */
    char u1[65], u2[65], u3[65];
    tsc_error err;
    CHECK_STATUS(tsc_dicom_write_make_uid(NULL, "s", "study", u1, &err), TSC_OK);
    CHECK_STATUS(tsc_dicom_write_make_uid(NULL, "s", "study", u2, &err), TSC_OK);
    CHECK(!strcmp(u1, u2));
    CHECK_STATUS(tsc_dicom_write_make_uid(NULL, "s", "series 1", u2, &err), TSC_OK);
    CHECK(strcmp(u1, u2) != 0);
    CHECK_STATUS(tsc_dicom_write_make_uid("1.2.3.4", "s", "study", u3, &err), TSC_OK);
    CHECK(!strncmp(u3, "1.2.3.4.", 8) && tsc_dicom_write_uid_is_valid(u3));
    CHECK_STATUS(tsc_dicom_write_make_uid("1.2.3.4", NULL, "study", u3, &err), TSC_OK);
    CHECK(!strncmp(u3, "1.2.3.4.", 8) && tsc_dicom_write_uid_is_valid(u3));
    CHECK_STATUS(tsc_dicom_write_make_uid("1.2.03", NULL, "study", u3, &err), TSC_EINVAL);
    CHECK(!tsc_dicom_write_uid_is_valid("1..2") && !tsc_dicom_write_uid_is_valid("1.2.") &&
          !tsc_dicom_write_uid_is_valid("1.a") && tsc_dicom_write_uid_is_valid("0.1.0"));
}

TSC_TEST(dicomize_study_uid_adds_a_series_to_a_study)
{
    const char *in = tsc_test_path("png"), *a = tsc_test_path("a"), *b = tsc_test_path("b");
    make_png_stack(in, 2, 8, 8, 8);
    CHECK(run("'%s' dicomize --out '%s' --series-number 1 --patient-id P '%s'", cli(), a, in) == 0);
    tsc_dicom_index *ia = open_dir(a);
    char study[65];
    snprintf(study, sizeof study, "%s", tsc_dicom_get_study(ia, 0)->study_uid);
    tsc_dicom_index_free(ia);
    CHECK(run("'%s' dicomize --out '%s' --series-number 2 --patient-id P --study-uid %s '%s'", cli(),
              b, study, in) == 0);
    const char *paths[] = {a, b};
    tsc_dicom_index *ix = NULL;
    tsc_error err;
    REQUIRE(tsc_dicom_open(paths, 2, NULL, &ix, &err) == TSC_OK);
    CHECK(tsc_dicom_n_studies(ix) == 1 && tsc_dicom_n_series(ix) == 2);
    CHECK(!strcmp(tsc_dicom_get_study(ix, 0)->study_uid, study));
    tsc_dicom_index_free(ix);
    CHECK(run("'%s' dicomize --out '%s' --study-uid 1.2.x '%s'", cli(), tsc_test_path("c"), in) ==
          2);
}

/* ---- NIfTI ------------------------------------------------------------------ */

TSC_TEST(dicomize_nifti_is_resampled_to_axial_slices)
{
    /* Voxel axes permuted and flipped against the patient axes: i runs
     * posterior, j right, k superior.  A linear function of the world
     * position survives trilinear sampling and slab averaging exactly. */
    const int nx = 20, ny = 16, nz = 12;
    const float srow[3][4] = {{0, 1.25f, 0, -10}, {-1.5f, 0, 0, 12}, {0, 0, 2, -11}};
    float *data = malloc(sizeof(float) * nx * ny * nz);
    REQUIRE(data);
    for (int k = 0; k < nz; k++)
        for (int j = 0; j < ny; j++)
            for (int i = 0; i < nx; i++) {
                double x = 1.25 * j - 10, y = -1.5 * i + 12, z = 2.0 * k - 11;
                data[(k * ny + j) * nx + i] = (float)(3 * x - 2 * y + 5 * z + 1000);
            }
    const char *vol = tsc_test_path("vol.nii"), *out = tsc_test_path("out");
    write_nifti_f32(vol, nx, ny, nz, srow, data);
    free(data);
    int rc = run("'%s' dicomize --out '%s' --size 8x10 --spacing 1.1,0.9 --center 0,2 "
                 "--z-range=-6:6 --slice-spacing 3 --scale 10 '%s'",
                 cli(), out, vol);
    if (rc) fprintf(stderr, "%s\n", output);
    CHECK(rc == 0);
    tsc_dicom_index *ix = open_dir(out);
    const tsc_dicom_series_info *se = tsc_dicom_get_series(ix, 0);
    REQUIRE(se->n_slices == 5);
    CHECK(se->cols == 8 && se->rows == 10);
    CHECK_NEAR(se->pixel_spacing[0], 1.1, 1e-9);
    CHECK_NEAR(se->pixel_spacing[1], 0.9, 1e-9);
    CHECK_NEAR(se->slice_thickness, 3, 1e-9);
    for (size_t k = 0; k < 5; k++) {
        const tsc_dicom_slice_info *sl = tsc_dicom_get_slice(ix, 0, k);
        CHECK_NEAR(sl->position[0], -3.15, 1e-9);
        CHECK_NEAR(sl->position[1], -2.95, 1e-9);
        CHECK_NEAR(sl->position[2], -6 + 3.0 * (double)k, 1e-9);
        tsc_dicom_image *im = NULL;
        tsc_error err;
        REQUIRE(tsc_dicom_decode_slice(ix, 0, k, &im, &err) == TSC_OK);
        for (int r = 0; r < 10; r++)
            for (int c = 0; c < 8; c++) {
                /* DICOM LPS -> NIfTI RAS. */
                double X = -3.15 + 0.9 * c, Y = -2.95 + 1.1 * r, Z = -6 + 3.0 * (double)k;
                double want = 10 * (3 * -X - 2 * -Y + 5 * Z + 1000);
                CHECK_NEAR(im->pixels[r * 8 + c], want, 0.51);
            }
        tsc_dicom_image_free(im);
    }
    tsc_dicom_index_free(ix);
}

TSC_TEST(dicomize_mask_out_writes_pngs_matching_the_slices)
{
    const char *in = tsc_test_path("png"), *mask = tsc_test_path("mask"),
               *out = tsc_test_path("out"), *mout = tsc_test_path("mask-out");
    make_png_stack(in, 3, 12, 9, 8);
    make_png_stack(mask, 3, 12, 9, 8); /* non-zero almost everywhere */
    int rc = run("'%s' dicomize --out '%s' --mask '%s' --mask-out '%s' '%s'", cli(), out, mask, mout,
                 in);
    if (rc) fprintf(stderr, "%s\n", output);
    CHECK(rc == 0);
    CHECK(tsc_test_count_entries(mout) == 3);
    for (size_t k = 0; k < 3; k++) {
        char p[4300];
        snprintf(p, sizeof p, "%s/IM%04zu.png", mout, k + 1);
        tsc_gray_image *im = NULL;
        tsc_error err;
        REQUIRE(tsc_png_read(p, &im, &err) == TSC_OK);
        CHECK(im->width == 12 && im->height == 9 && im->bit_depth == 8);
        for (int y = 0; y < 9; y++)
            for (int x = 0; x < 12; x++)
                CHECK(tsc_gray_image_get(im, x, y) == (png_value(k, x, y, 8) ? 255u : 0u));
        tsc_gray_image_free(im);
    }
    /* A mask with another slice count is an input error. */
    const char *few = tsc_test_path("few");
    make_png_stack(few, 2, 12, 9, 8);
    rc = run("'%s' dicomize --out '%s' --mask '%s' --mask-out '%s' '%s'", cli(),
             tsc_test_path("o2"), few, tsc_test_path("m2"), in);
    CHECK(rc == 3);
    CHECK(strstr(output, "2 mask slice(s) for 3") != NULL);
}

/* ---- errors and usage ------------------------------------------------------ */

TSC_TEST(dicomize_unreadable_input_exits_3_naming_the_file)
{
    const char *in = tsc_test_path("png");
    make_png_stack(in, 3, 10, 10, 8);
    /* A slice of another size. */
    tsc_gray_image *odd = tsc_gray_image_new(11, 10, 8);
    tsc_error err;
    char p[4300];
    snprintf(p, sizeof p, "%s/s2.png", in);
    REQUIRE(odd && tsc_png_write(p, odd, &err) == TSC_OK);
    tsc_gray_image_free(odd);
    int rc = run("'%s' dicomize --out '%s' '%s'", cli(), tsc_test_path("o1"), in);
    CHECK(rc == 3);
    CHECK(strstr(output, "s2.png") != NULL && strstr(output, "11x10") != NULL);
    /* A truncated PNG. */
    FILE *f = fopen(p, "wb");
    REQUIRE(f);
    fwrite("\x89PNG\r\n\x1a\n\0\0", 1, 10, f);
    fclose(f);
    rc = run("'%s' dicomize --out '%s' '%s'", cli(), tsc_test_path("o2"), in);
    CHECK(rc == 3 && strstr(output, "s2.png") != NULL);
    /* A missing file, an empty folder, a broken NIfTI. */
    rc = run("'%s' dicomize --out '%s' '%s/nope.png'", cli(), tsc_test_path("o3"), in);
    CHECK(rc == 3 && strstr(output, "nope.png") != NULL);
    const char *empty = tsc_test_path("empty");
    mkdir(empty, 0755);
    rc = run("'%s' dicomize --out '%s' '%s'", cli(), tsc_test_path("o4"), empty);
    CHECK(rc == 3 && strstr(output, "no .png files") != NULL);
    const char *bad = tsc_test_path("bad.nii.gz");
    f = fopen(bad, "wb");
    REQUIRE(f);
    fwrite("\x1f\x8b\x08\x00garbage", 1, 11, f);
    fclose(f);
    rc = run("'%s' dicomize --out '%s' '%s'", cli(), tsc_test_path("o5"), bad);
    CHECK(rc == 3 && strstr(output, "bad.nii.gz") != NULL);
    /* Nothing was created for any of them. */
    struct stat st;
    CHECK(stat(tsc_test_path("o1"), &st) != 0 && stat(tsc_test_path("o5"), &st) != 0);
}

TSC_TEST(dicomize_usage_errors_exit_2)
{
    const char *in = tsc_test_path("png");
    make_png_stack(in, 1, 4, 4, 8);
    const char *o = tsc_test_path("o");
    CHECK(run("'%s' dicomize '%s'", cli(), in) == 2);
    CHECK(strstr(output, "--out") != NULL);
    CHECK(run("'%s' dicomize --out '%s'", cli(), o) == 2);
    CHECK(run("'%s' dicomize --out '%s' --bogus '%s'", cli(), o, in) == 2);
    CHECK(strstr(output, "--bogus") != NULL);
    CHECK(run("'%s' dicomize --out '%s' --compress jpeg2000 '%s'", cli(), o, in) == 2);
    CHECK(run("'%s' dicomize --out '%s' --spacing -1 '%s'", cli(), o, in) == 2);
    CHECK(run("'%s' dicomize --out '%s' --birth-date 1990-01-01 '%s'", cli(), o, in) == 2);
    CHECK(strstr(output, "PatientBirthDate") != NULL);
    CHECK(run("'%s' dicomize --out '%s' --sex X '%s'", cli(), o, in) == 2);
    CHECK(run("'%s' dicomize --out '%s' --patient-id "
              "0123456789012345678901234567890123456789012345678901234567890123456789 '%s'",
              cli(), o, in) == 2);
    CHECK(strstr(output, "PatientID") != NULL);
    /* The identifier itself is never echoed. */
    CHECK(strstr(output, "0123456789012345678901234567890123") == NULL);
    CHECK(run("'%s' dicomize --out '%s' --size 8x8 '%s'", cli(), o, in) == 2);
    struct stat st;
    CHECK(stat(o, &st) != 0);
}

TSC_TEST(dicomize_help_documents_the_options)
{
    CHECK(run("'%s' dicomize --help", cli()) == 0);
    const char *opts[] = {"--out", "--force", "--multiframe", "--compress", "jpeg-ls", "rle",
                          "jpeg-lossless", "deflate", "--patient-name", "--patient-id",
                          "--birth-date", "--sex", "--study-description", "--series-description",
                          "--series-number", "--study-uid", "--accession", "--institution",
                          "--manufacturer", "--sequence-name", "--contrast", "--spacing",
                          "--thickness", "--slice-spacing", "--uid-seed", "--signed",
                          "--rescale-intercept", "--window", "--mask", "Exit status"};
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        if (!strstr(output, opts[i])) fprintf(stderr, "--help does not mention %s\n", opts[i]);
        CHECK(strstr(output, opts[i]) != NULL);
    }
    CHECK(run("'%s' --help", cli()) == 0 && strstr(output, "dicomize") != NULL);
}

TSC_TEST(dicomize_utf8_text_sets_the_character_set)
{
    require_tool("dciodvfy", "dicom3tools");
    const char *in = tsc_test_path("png"), *out = tsc_test_path("out");
    make_png_stack(in, 1, 4, 4, 8);
    int rc = run("'%s' dicomize --out '%s' --patient-name 'M\xc3\xbcller^J\xc3\xb6rg' "
                 "--institution 'Klinik S\xc3\xbc\x64' '%s'",
                 cli(), out, in);
    CHECK(rc == 0);
    char f[4300];
    snprintf(f, sizeof f, "%s/IM0001.dcm", out);
    CHECK(!strcmp(dump_value(f, "SpecificCharacterSet"), "ISO_IR 192"));
    CHECK(dciodvfy_clean(f));
    tsc_dicom_index *ix = open_dir(out);
    CHECK(!strcmp(tsc_dicom_get_patient(ix, 0)->name, "M\xc3\xbcller^J\xc3\xb6rg"));
    tsc_dicom_index_free(ix);
    /* Not UTF-8: refused. */
    rc = run("'%s' dicomize --out '%s' --patient-name 'M\xfcller' '%s'", cli(), tsc_test_path("o2"),
             in);
    CHECK(rc == 2);
}

/* ---- the committed samples ------------------------------------------------ */

static const char *sample_dir(void)
{
    static char dir[4096];
    snprintf(dir, sizeof dir, "%s/sample_dicom", tsc_test_env("TSC_SOURCE_DIR", "."));
    struct stat st;
    if (stat(dir, &st) != 0) tsc_test_skip("%s not found", dir);
    return dir;
}

TSC_TEST(sample_dicom_is_valid_small_and_labelled_synthetic)
{
    require_tool("dciodvfy", "dicom3tools");
    const char *dir = sample_dir();
    CHECK(run("du -s --apparent-size -k '%s'", dir) == 0);
    long kb = atol(output);
    if (kb > 4300) fprintf(stderr, "sample_dicom is %ld KiB\n", kb);
    CHECK(kb > 0 && kb <= 4300);
    CHECK(run("find '%s' -name '*.dcm' | sort", dir) == 0);
    char list[65536];
    snprintf(list, sizeof list, "%s", output);
    size_t n = 0;
    for (char *line = strtok(list, "\n"); line; line = strtok(NULL, "\n")) {
        CHECK(dciodvfy_clean(line));
        n++;
    }
    CHECK(n == 26 + 13 + 13 + 1 + 26);
    tsc_dicom_index *ix = open_dir(dir);
    CHECK(tsc_dicom_n_series(ix) == 5 && tsc_dicom_n_studies(ix) == 3);
    for (size_t i = 0; i < tsc_dicom_n_skipped(ix); i++) {
        const char *p = tsc_dicom_get_skipped(ix, i)->path;
        int is_dicom = strstr(p, ".dcm") != NULL;
        if (is_dicom) fprintf(stderr, "skipped %s: %s\n", p, tsc_dicom_get_skipped(ix, i)->reason);
        CHECK(!is_dicom);
    }
    int lesion = 0;
    for (size_t s = 0; s < tsc_dicom_n_series(ix); s++) {
        const tsc_dicom_series_info *se = tsc_dicom_get_series(ix, s);
        if (strstr(se->description, "SYNTHETIC LESION")) {
            lesion = 1;
            CHECK(se->n_slices == 26 && *se->contrast_agent);
        }
    }
    CHECK(lesion);
    for (size_t p = 0; p < tsc_dicom_n_patients(ix); p++)
        CHECK(strstr(tsc_dicom_get_patient(ix, p)->id, "SYNTH") != NULL);
    tsc_dicom_index_free(ix);
    char masks[4300];
    snprintf(masks, sizeof masks, "%s/03-synthetic-lesion/ground-truth-mask", dir);
    CHECK(tsc_test_count_entries(masks) == 26);
}

TSC_TEST(sample_dicom_regenerates_byte_for_byte)
{
    const char *dir = sample_dir();
    struct stat st;
    if (stat("/usr/share/mricron/templates/ch2.nii.gz", &st) != 0)
        tsc_test_skip("the Colin27 template is not installed (Debian package mricron-data)");
    if (run("/usr/bin/python3 -c 'import numpy'") != 0)
        tsc_test_skip("/usr/bin/python3 with numpy is not installed (python3-numpy)");
    const char *out = tsc_test_path("regen");
    int rc = run("sh '%s/regenerate.sh' '%s' '%s'", dir, cli(), out);
    if (rc) fprintf(stderr, "%s\n", output);
    CHECK(rc == 0);
    const char *studies[] = {"01-normal-colin27", "02-codecs-colin27", "03-synthetic-lesion"};
    for (size_t i = 0; i < 3; i++) {
        rc = run("diff -r '%s/%s' '%s/%s'", dir, studies[i], out, studies[i]);
        if (rc) fprintf(stderr, "%s differs from a fresh regeneration:\n%s\n", studies[i], output);
        CHECK(rc == 0);
    }
}

TSC_TEST_MAIN(TSC_CASE(dicomize_png_stack_is_valid_mr_image_storage),
              TSC_CASE(dicomize_png_values_and_geometry_round_trip_without_touching_inputs),
              TSC_CASE(dicomize_jpeg_ls_is_lossless_and_valid),
              TSC_CASE(dicomize_rle_is_lossless_and_valid),
              TSC_CASE(dicomize_jpeg_lossless_is_lossless_and_valid),
              TSC_CASE(dicomize_deflate_is_lossless_and_valid),
              TSC_CASE(dicomize_multiframe_is_valid_enhanced_mr),
              TSC_CASE(dicomize_multiframe_compressed_variants_are_valid),
              TSC_CASE(dicomize_signed_pixels_and_rescale_round_trip),
              TSC_CASE(dicomize_refuses_a_non_empty_output_folder),
              TSC_CASE(dicomize_refuses_to_write_into_an_input_folder),
              TSC_CASE(dicomize_uid_seed_makes_identical_files),
              TSC_CASE(dicomize_study_uid_adds_a_series_to_a_study),
              TSC_CASE(dicomize_nifti_is_resampled_to_axial_slices),
              TSC_CASE(dicomize_mask_out_writes_pngs_matching_the_slices),
              TSC_CASE(dicomize_unreadable_input_exits_3_naming_the_file),
              TSC_CASE(dicomize_usage_errors_exit_2),
              TSC_CASE(dicomize_help_documents_the_options),
              TSC_CASE(dicomize_utf8_text_sets_the_character_set),
              TSC_CASE(sample_dicom_is_valid_small_and_labelled_synthetic),
              TSC_CASE(sample_dicom_regenerates_byte_for_byte))
