/* SPDX-License-Identifier: BSD-3-Clause */
/* Preprocessing rule tsc-v1: the C twin against the numpy twin's fixtures
 * (tests/preprocess/make_fixture.py) and against a plain, literal reference
 * written here from docs/PREPROCESSING.md. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsc_preprocess.h"
#include "tsc_test.h"

/* ---- fixtures ------------------------------------------------------------ */

typedef struct fixture_case {
    char name[64], kind[32];
    int rows, cols, size;
    double dx, dy;
} fixture_case;

static const char *fixture_dir(void)
{
    static char dir[4096];
    snprintf(dir, sizeof dir, "%s/tests/preprocess/fixtures",
             tsc_test_env("TSC_SOURCE_DIR", TSC_TEST_SOURCE_DIR));
    return dir;
}

/* The `n` float32 values of fixture file CASE.PART.f32. */
static float *read_f32(const char *case_name, const char *part, size_t n)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.%s.f32", fixture_dir(), case_name, part);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open fixture %s (regenerate with make_fixture.py)\n", path);
        exit(1);
    }
    float *p = malloc(n * sizeof *p);
    REQUIRE(p);
    size_t got = fread(p, sizeof *p, n, f);
    int extra = fgetc(f) != EOF;
    fclose(f);
    if (got != n || extra) {
        fprintf(stderr, "fixture %s: expected %zu float32 values\n", path, n);
        exit(1);
    }
    /* The files are little-endian; so is every machine we build for. */
    const uint16_t probe = 1;
    REQUIRE(*(const uint8_t *)&probe == 1);
    return p;
}

/* Runs fn on every case of `kind` in cases.txt; returns how many. */
static int for_each_case(const char *kind, void (*fn)(const fixture_case *))
{
    char path[4200];
    snprintf(path, sizeof path, "%s/cases.txt", fixture_dir());
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(1);
    }
    char line[512];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        fixture_case c;
        if (sscanf(line, "%63s %31s %d %d %lf %lf %d", c.name, c.kind, &c.rows, &c.cols, &c.dx,
                   &c.dy, &c.size) != 7) {
            fprintf(stderr, "%s: bad line: %s", path, line);
            exit(1);
        }
        if (strcmp(c.kind, kind) != 0) continue;
        fn(&c);
        n++;
    }
    fclose(f);
    return n;
}

static double max_abs_diff(const float *a, const float *b, size_t n, size_t *where)
{
    double m = 0;
    *where = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (!(d <= m)) { /* NaN counts as a failure */
            m = isnan(d) ? INFINITY : d;
            *where = i;
        }
    }
    return m;
}

/* One float step of a case against numpy's output: from the native
 * rows x cols grid to the size x size square (from_native), or back.
 * Reads the case's input and numpy's output, runs step on them, prints the
 * largest difference (and, over the bound, where it is) and checks it is
 * within 1e-5. */
static void check_f32_case(const fixture_case *c, int from_native,
                           void (*step)(const fixture_case *, const float *, float *))
{
    size_t npx = (size_t)c->rows * c->cols, ss = (size_t)c->size * c->size, at;
    size_t n_in = from_native ? npx : ss, n_out = from_native ? ss : npx;
    size_t out_w = from_native ? (size_t)c->size : (size_t)c->cols;
    char native[32], square[16];
    snprintf(native, sizeof native, "%4dx%-4d", c->cols, c->rows);
    snprintf(square, sizeof square, "%3d", c->size);
    float *in = read_f32(c->name, "in", n_in);
    float *want = read_f32(c->name, "out", n_out);
    float *got = malloc(n_out * sizeof *got);
    REQUIRE(got);
    step(c, in, got);
    double d = max_abs_diff(got, want, n_out, &at);
    printf("%-14s %s -> %s: max |C - numpy| = %.3g\n", c->name, from_native ? native : square,
           from_native ? square : native, d);
    if (!(d <= 1e-5))
        fprintf(stderr, "%s: at (%zu, %zu) C %.9g numpy %.9g\n", c->name, at / out_w, at % out_w,
                got[at], want[at]);
    CHECK(d <= 1e-5);
    free(in);
    free(want);
    free(got);
}

static void preprocess_step(const fixture_case *c, const float *in, float *out)
{
    tsc_error err;
    CHECK_STATUS(tsc_preprocess(in, c->rows, c->cols, c->dx, c->dy, c->size, out, &err), TSC_OK);
}

static void check_preprocess_case(const fixture_case *c)
{
    check_f32_case(c, 1, preprocess_step);
}

TSC_TEST(preprocess_matches_python_reference)
{
    CHECK(for_each_case("preprocess", check_preprocess_case) >= 4);
}

static void to_native_step(const fixture_case *c, const float *prob, float *out)
{
    tsc_preprocess_to_native(prob, c->size, c->rows, c->cols, c->dx, c->dy, out);
}

static void check_native_case(const fixture_case *c)
{
    check_f32_case(c, 0, to_native_step);
}

TSC_TEST(preprocess_to_native_matches_python_reference)
{
    CHECK(for_each_case("to_native", check_native_case) >= 2);
}

static void check_mask_case(const fixture_case *c)
{
    size_t npx = (size_t)c->rows * c->cols, ss = (size_t)c->size * c->size;
    float *in = read_f32(c->name, "in", npx);
    float *want = read_f32(c->name, "out", ss);
    uint8_t *mask = malloc(npx), *got = malloc(ss);
    REQUIRE(mask && got);
    for (size_t i = 0; i < npx; i++) mask[i] = in[i] != 0;
    CHECK_STATUS(tsc_resample_mask(mask, c->rows, c->cols, c->dx, c->dy, c->size, got, NULL),
                 TSC_OK);
    size_t diff = 0, ones = 0;
    for (size_t i = 0; i < ss; i++) {
        diff += got[i] != (want[i] != 0);
        ones += got[i];
    }
    printf("%-14s: %zu of %zu pixels differ (%zu set)\n", c->name, diff, ss, ones);
    CHECK(diff == 0);
    CHECK(ones > 0);
    free(in);
    free(want);
    free(mask);
    free(got);
}

TSC_TEST(preprocess_resample_mask_matches_python_reference)
{
    CHECK(for_each_case("resample_mask", check_mask_case) >= 1);
}

/* ---- a literal reference ------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The doc, step by step, with a full sort and the 2-D weights summed
 * directly per output pixel: slow and obviously right. */
static void reference(const float *px, int rows, int cols, double dx, double dy, int S, float *out)
{
    size_t n = (size_t)rows * cols, m = 0;
    double *a = malloc(n * sizeof *a), *x = malloc(n * sizeof *x);
    REQUIRE(a && x);
    for (size_t i = 0; i < n; i++)
        if (isfinite(px[i])) a[m++] = px[i];
    qsort(a, m, sizeof *a, cmp_double);
    double lo = 0, hi = 0;
    if (m > 0) {
        double q[2] = {0.5, 99.5}, p[2];
        for (int t = 0; t < 2; t++) {
            double pos = q[t] / 100 * (double)(m - 1);
            size_t i = (size_t)floor(pos);
            double f = pos - (double)i;
            size_t j = i + 1 < m ? i + 1 : m - 1;
            p[t] = a[i] + f * (a[j] - a[i]);
        }
        lo = p[0];
        hi = p[1];
    }
    for (size_t i = 0; i < n; i++) {
        double v = px[i];
        x[i] = (m > 0 && hi > lo && isfinite(v)) ? fmin(fmax((v - lo) / (hi - lo), 0), 1) : 0;
    }
    double fov = fmax(cols * dx, rows * dy), o = fov / S;
    for (int oy = 0; oy < S; oy++)
        for (int ox = 0; ox < S; ox++) {
            double num = 0, den = 1;
            for (int axis = 0; axis < 2; axis++) {
                /* Per-axis denominators; the numerator is the 2-D sum below. */
                int nn = axis ? rows : cols, idx = axis ? oy : ox;
                double d = axis ? dy : dx, off = (fov - nn * d) / 2, support = fmax(o / d, 1);
                double c = ((idx + 0.5) * o - off) / d, s = 0;
                for (double j = floor(c - support - 0.5); j <= ceil(c + support - 0.5); j++)
                    s += fmax(0, 1 - fabs((j + 0.5 - c) / support));
                den *= s;
            }
            double cx = ((ox + 0.5) * o - (fov - cols * dx) / 2) / dx;
            double cy = ((oy + 0.5) * o - (fov - rows * dy) / 2) / dy;
            double sx = fmax(o / dx, 1), sy = fmax(o / dy, 1);
            for (int r = 0; r < rows; r++) {
                double wy = fmax(0, 1 - fabs((r + 0.5 - cy) / sy));
                if (wy == 0) continue;
                for (int c = 0; c < cols; c++) {
                    double wx = fmax(0, 1 - fabs((c + 0.5 - cx) / sx));
                    num += wy * wx * x[(size_t)r * cols + c];
                }
            }
            out[(size_t)oy * S + ox] = den > 0 ? (float)(num / den) : 0.0f;
        }
    free(a);
    free(x);
}

/* The seed of this file's random inputs (tsc_test_uniform, tsc_test_gauss). */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

TSC_TEST(preprocess_matches_plain_reference_on_random_slices)
{
    /* Shapes, spacings and sizes that cover down- and upsampling, odd sizes,
     * 1-pixel sides; values with heavy ties (the selection's weak spot),
     * NaN and Inf. */
    static const struct {
        int rows, cols, size;
        double dx, dy;
        int ties; /* 1: few distinct values; 0: continuous values */
    } shapes[] = {{37, 53, 16, 0.8, 1.25, 1}, {64, 64, 64, 1, 1, 1},     {1, 1, 4, 1, 1, 1},
                  {1, 40, 8, 1, 1, 1},         {23, 9, 31, 0.5, 2.0, 1}, {100, 70, 12, 0.3, 0.3, 0},
                  {17, 17, 17, 1.5, 0.5, 0},
                  /* Large enough for the sampled percentile bracket. */
                  {240, 200, 12, 0.9, 1.1, 1}, {200, 240, 12, 1, 1, 0}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int rows = shapes[s].rows, cols = shapes[s].cols, S = shapes[s].size;
        size_t n = (size_t)rows * cols, ss = (size_t)S * S;
        float *in = malloc(n * sizeof *in), *got = malloc(ss * sizeof *got);
        float *want = malloc(ss * sizeof *want);
        REQUIRE(in && got && want);
        for (size_t i = 0; i < n; i++) {
            double u = tsc_test_uniform(&rng_state);
            if (shapes[s].ties)
                in[i] = u < 0.3 ? 0.0f : (float)floor(tsc_test_uniform(&rng_state) * 20.0);
            else
                in[i] =
                    (float)(1000.0 * tsc_test_uniform(&rng_state) * tsc_test_uniform(&rng_state));
            if (u > 0.97) in[i] = NAN;
            if (u > 0.995) in[i] = INFINITY;
        }
        CHECK_STATUS(tsc_preprocess(in, rows, cols, shapes[s].dx, shapes[s].dy, S, got, NULL),
                     TSC_OK);
        reference(in, rows, cols, shapes[s].dx, shapes[s].dy, S, want);
        size_t at;
        double d = max_abs_diff(got, want, ss, &at);
        if (!(d <= 1e-6))
            fprintf(stderr, "shape %zu (%dx%d -> %d): max diff %.3g\n", s, cols, rows, S, d);
        CHECK(d <= 1e-6);
        free(in);
        free(got);
        free(want);
    }
}

/* ---- edge cases ---------------------------------------------------------- */

TSC_TEST(preprocess_all_nan_slice_becomes_zero)
{
    float in[12], out[64];
    for (int i = 0; i < 12; i++) in[i] = NAN;
    for (int i = 0; i < 64; i++) out[i] = -1;
    CHECK_STATUS(tsc_preprocess(in, 3, 4, 1, 1, 8, out, NULL), TSC_OK);
    for (int i = 0; i < 64; i++) CHECK(out[i] == 0.0f);
}

TSC_TEST(preprocess_one_pixel_slice_is_centred_and_zero)
{
    /* One finite value: hi == lo, so x = 0 everywhere. */
    float in[1] = {5}, out[9];
    CHECK_STATUS(tsc_preprocess(in, 1, 1, 1, 1, 3, out, NULL), TSC_OK);
    for (int i = 0; i < 9; i++) CHECK(out[i] == 0.0f);
    /* Resampled raw, the pixel spreads to the 3x3 grid with darkened borders. */
    CHECK_STATUS(tsc_resample(in, 1, 1, 1, 1, 3, out, NULL), TSC_OK);
    CHECK(out[4] > 0 && out[4] <= 5.0f);
    CHECK_NEAR(out[0], out[8], 1e-6);
}

TSC_TEST(preprocess_refuses_bad_spacing_and_size)
{
    float in[4] = {1, 2, 3, 4}, out[4];
    tsc_error err;
    CHECK_STATUS(tsc_preprocess(in, 2, 2, 0, 1, 2, out, &err), TSC_EINVAL);
    CHECK(strstr(err.message, "spacing") != NULL);
    CHECK_STATUS(tsc_preprocess(in, 2, 2, 1, NAN, 2, out, &err), TSC_EINVAL);
    CHECK_STATUS(tsc_preprocess(in, 2, 2, 1, 1, 0, out, &err), TSC_EINVAL);
    CHECK_STATUS(tsc_preprocess(in, 0, 2, 1, 1, 2, out, &err), TSC_EINVAL);
}

TSC_TEST(preprocess_to_native_round_trips_a_smooth_map)
{
    /* A smooth map resampled to S and back stays close to itself. */
    int rows = 90, cols = 120, S = 128;
    float *img = malloc((size_t)rows * cols * sizeof *img), *small = malloc((size_t)S * S * 4);
    float *back = malloc((size_t)rows * cols * sizeof *back);
    REQUIRE(img && small && back);
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++)
            img[r * cols + c] = (float)(0.5 + 0.4 * sin(r * 0.05) * cos(c * 0.04));
    CHECK_STATUS(tsc_resample(img, rows, cols, 1.2, 0.9, S, small, NULL), TSC_OK);
    tsc_preprocess_to_native(small, S, rows, cols, 1.2, 0.9, back);
    double worst = 0;
    for (int r = 3; r < rows - 3; r++)
        for (int c = 3; c < cols - 3; c++)
            worst = fmax(worst, fabs(back[r * cols + c] - img[r * cols + c]));
    CHECK(worst < 0.01);
    free(img);
    free(small);
    free(back);
}

TSC_TEST_MAIN(TSC_CASE(preprocess_matches_python_reference),
              TSC_CASE(preprocess_to_native_matches_python_reference),
              TSC_CASE(preprocess_resample_mask_matches_python_reference),
              TSC_CASE(preprocess_matches_plain_reference_on_random_slices),
              TSC_CASE(preprocess_all_nan_slice_becomes_zero),
              TSC_CASE(preprocess_one_pixel_slice_is_centred_and_zero),
              TSC_CASE(preprocess_refuses_bad_spacing_and_size),
              TSC_CASE(preprocess_to_native_round_trips_a_smooth_map))
