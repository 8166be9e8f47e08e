/* SPDX-License-Identifier: BSD-3-Clause */
/* Classical image analysis: each operator on a phantom with known truth, the
 * optimised ones against plain references, and the edge cases. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsc_classic.h"
#include "tsc_test.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* The seed of this file's random inputs (tsc_test_uniform, tsc_test_gauss). */
static uint64_t rng_state = 0xD1B54A32D192ED03ull;

static size_t count(const uint8_t *m, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++) c += m[i] != 0;
    return c;
}

static int in_ellipse(int r, int c, double cy, double cx, double ry, double rx)
{
    double y = (r - cy) / ry, x = (c - cx) / rx;
    return x * x + y * y <= 1.0;
}

/* ---- intensity ------------------------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

TSC_TEST(percentiles_match_sorted_reference_with_ties_and_nan)
{
    for (int trial = 0; trial < 20; trial++) {
        size_t n = 1 + (size_t)(tsc_test_uniform(&rng_state) * 5000);
        float *v = malloc(n * sizeof *v);
        double *s = malloc(n * sizeof *s);
        REQUIRE(v && s);
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            v[i] = trial % 2 ? (float)floor(tsc_test_uniform(&rng_state) * 7)
                             : (float)tsc_test_gauss(&rng_state);
            if (tsc_test_uniform(&rng_state) < 0.05) v[i] = NAN;
            if (isfinite(v[i])) s[m++] = v[i];
        }
        if (m == 0) {
            free(v);
            free(s);
            continue;
        }
        qsort(s, m, sizeof *s, cmp_double);
        double q[5] = {0, 0.5, 37.3, 99.5, 100}, got[5];
        CHECK_STATUS(tsc_percentiles(v, NULL, n, q, 5, got, NULL), TSC_OK);
        for (int k = 0; k < 5; k++) {
            double pos = q[k] / 100 * (double)(m - 1);
            size_t i = (size_t)floor(pos);
            size_t j = i + 1 < m ? i + 1 : m - 1;
            CHECK_NEAR(got[k], s[i] + (pos - (double)i) * (s[j] - s[i]), 1e-12);
        }
        free(v);
        free(s);
    }
    /* numpy: np.percentile(range(1, 11), 50) == 5.5. */
    float ten[10] = {10, 9, 8, 7, 6, 5, 4, 3, 2, 1};
    double q = 50, p;
    CHECK_STATUS(tsc_percentiles(ten, NULL, 10, &q, 1, &p, NULL), TSC_OK);
    CHECK_NEAR(p, 5.5, 0);
}

TSC_TEST(normalize_percentile_maps_window_to_unit_range)
{
    float v[101], out[101];
    for (int i = 0; i <= 100; i++) v[i] = (float)i;
    v[50] = NAN;
    CHECK_STATUS(tsc_normalize_percentile(v, NULL, 101, 10, 90, out, NULL), TSC_OK);
    /* 100 finite values 0..100 without 50: p10 = 9.9, p90 = 90.1. */
    CHECK_NEAR(out[0], 0, 0);
    CHECK_NEAR(out[100], 1, 0);
    CHECK(out[50] == 0.0f);
    CHECK_NEAR(out[30], (30 - 9.9) / (90.1 - 9.9), 1e-6);
    /* In place, with a mask choosing the window. */
    uint8_t mask[101] = {0};
    for (int i = 0; i < 10; i++) mask[i] = 1;
    CHECK_STATUS(tsc_normalize_percentile(v, mask, 101, 0, 100, v, NULL), TSC_OK);
    CHECK_NEAR(v[9], 1, 0);
    CHECK_NEAR(v[3], 3.0 / 9.0, 1e-7);
}

TSC_TEST(normalize_zscore_uses_statistics_inside_mask)
{
    float v[6] = {1, 2, 3, 4, 5, NAN}, out[6];
    uint8_t mask[6] = {1, 1, 1, 1, 0, 1};
    CHECK_STATUS(tsc_normalize_zscore(v, mask, 6, out, NULL), TSC_OK);
    double sd = sqrt(1.25);
    CHECK_NEAR(out[0], (1 - 2.5) / sd, 1e-6);
    CHECK_NEAR(out[4], (5 - 2.5) / sd, 1e-6);
    CHECK(out[5] == 0.0f);
    /* A constant region: sd 0, out = v - mean. */
    float c[3] = {4, 4, 7};
    uint8_t cm[3] = {1, 1, 0};
    CHECK_STATUS(tsc_normalize_zscore(c, cm, 3, c, NULL), TSC_OK);
    CHECK(c[0] == 0.0f && c[2] == 3.0f);
}

TSC_TEST(otsu_splits_bimodal_histogram)
{
    const size_t n = 20000;
    float *v = malloc(n * sizeof *v);
    REQUIRE(v);
    for (size_t i = 0; i < n; i++)
        v[i] = (float)(i % 2 ? 50 + 5 * tsc_test_gauss(&rng_state)
                             : 150 + 10 * tsc_test_gauss(&rng_state));
    double t = 0;
    CHECK_STATUS(tsc_otsu_threshold(v, NULL, n, 256, 0, 0, &t, NULL), TSC_OK);
    printf("Otsu threshold of N(50,5) + N(150,10): %.2f\n", t);
    CHECK(t > 85 && t < 115);
    /* Misclassified fraction is tiny at the threshold. */
    size_t wrong = 0;
    for (size_t i = 0; i < n; i++) wrong += (i % 2) == (v[i] >= t);
    CHECK(wrong < n / 1000);
    /* Two spikes: the threshold is the middle of the empty gap. */
    float two[200];
    for (int i = 0; i < 200; i++) two[i] = i < 100 ? 10.0f : 20.0f;
    CHECK_STATUS(tsc_otsu_threshold(two, NULL, 200, 256, 0, 30, &t, NULL), TSC_OK);
    CHECK_NEAR(t, 15.0, 30.0 / 256);
    /* The mask restricts the statistics. */
    uint8_t mask[200];
    for (int i = 0; i < 200; i++) mask[i] = i >= 50 && i < 150;
    two[0] = 1000; /* outside the mask: ignored */
    CHECK_STATUS(tsc_otsu_threshold(two, mask, 200, 64, 0, 0, &t, NULL), TSC_OK);
    CHECK(t > 10 && t <= 20);
    free(v);
}

TSC_TEST(otsu_reports_uniform_values_as_not_found)
{
    float v[50];
    for (int i = 0; i < 50; i++) v[i] = 3;
    double t;
    tsc_error err;
    CHECK_STATUS(tsc_otsu_threshold(v, NULL, 50, 256, 0, 0, &t, &err), TSC_ENOTFOUND);
    CHECK(strstr(err.message, "equal") != NULL);
    v[0] = NAN;
    for (int i = 0; i < 50; i++) v[i] = NAN;
    CHECK_STATUS(tsc_otsu_threshold(v, NULL, 50, 256, 0, 0, &t, &err), TSC_EINVAL);
    CHECK(strstr(err.message, "finite") != NULL);
}

TSC_TEST(threshold_keeps_closed_interval_and_drops_nan)
{
    float v[6] = {0, 1, 2, 3, NAN, INFINITY};
    uint8_t out[6];
    CHECK(tsc_threshold(v, 6, 1, 2, out) == 2);
    CHECK(!out[0] && out[1] && out[2] && !out[3] && !out[4] && !out[5]);
    CHECK(tsc_threshold(v, 6, 2, INFINITY, out) == 3);
}

/* ---- blur ----------------------------------------------------------------- */

TSC_TEST(gaussian_blur_matches_direct_convolution)
{
    const int rows = 23, cols = 31;
    float in[23 * 31], out[23 * 31];
    for (int i = 0; i < rows * cols; i++) in[i] = (float)(tsc_test_uniform(&rng_state) * 100);
    const double sx = 1.7, sy = 0.9;
    CHECK_STATUS(tsc_gaussian_blur(in, rows, cols, sx, sy, out, NULL), TSC_OK);
    int rx = (int)ceil(3 * sx), ry = (int)ceil(3 * sy);
    double worst = 0;
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            double s = 0, w = 0;
            for (int i = -ry; i <= ry; i++)
                for (int j = -rx; j <= rx; j++) {
                    int rr = r + i, cc = c + j;
                    if (rr < 0 || rr >= rows || cc < 0 || cc >= cols) continue;
                    double k = exp(-0.5 * (j / sx) * (j / sx)) * exp(-0.5 * (i / sy) * (i / sy));
                    s += k * in[rr * cols + cc];
                    w += k;
                }
            worst = fmax(worst, fabs(s / w - out[r * cols + c]));
        }
    CHECK(worst < 1e-3);
    /* In place gives the same. */
    CHECK_STATUS(tsc_gaussian_blur(in, rows, cols, sx, sy, in, NULL), TSC_OK);
    CHECK(memcmp(in, out, sizeof in) == 0);
}

TSC_TEST(gaussian_blur_keeps_constant_and_fills_nan_holes)
{
    const int rows = 20, cols = 20;
    float in[400], out[400];
    for (int i = 0; i < 400; i++) in[i] = 7;
    in[5 * cols + 5] = NAN;
    in[0] = INFINITY;
    CHECK_STATUS(tsc_gaussian_blur(in, rows, cols, 2, 2, out, NULL), TSC_OK);
    for (int i = 0; i < 400; i++) CHECK_NEAR(out[i], 7, 1e-5);
    /* All-NaN: NaN out, and a status that says it ran. */
    for (int i = 0; i < 400; i++) in[i] = NAN;
    CHECK_STATUS(tsc_gaussian_blur(in, rows, cols, 2, 2, out, NULL), TSC_OK);
    CHECK(isnan(out[0]) && isnan(out[399]));
}

/* ---- Canny ---------------------------------------------------------------- */

TSC_TEST(canny_finds_step_edge_at_its_column_one_pixel_thick)
{
    const int rows = 48, cols = 64;
    float img[48 * 64];
    uint8_t edges[48 * 64];
    for (int noisy = 0; noisy < 2; noisy++) {
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                img[r * cols + c] = (c >= 32 ? 100.0f : 0.0f) +
                                    (noisy ? (float)(2 * tsc_test_gauss(&rng_state)) : 0);
        CHECK_STATUS(tsc_canny(img, rows, cols, NULL, edges, NULL), TSC_OK);
        int bad = 0;
        for (int r = 1; r < rows - 1; r++) {
            int n = 0, col = -1;
            for (int c = 0; c < cols; c++)
                if (edges[r * cols + c]) {
                    n++;
                    col = c;
                }
            /* Noise-free, the tie between columns 31 and 32 goes to 32. */
            if (n != 1 || (noisy ? (col != 31 && col != 32) : col != 32)) bad++;
        }
        if (bad) fprintf(stderr, "%s step: %d rows without a single edge at the step\n",
                         noisy ? "noisy" : "clean", bad);
        CHECK(bad == 0);
        for (int c = 0; c < cols; c++) CHECK(!edges[c] && !edges[(rows - 1) * cols + c]);
    }
    /* A horizontal step: the edge is a row. */
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) img[r * cols + c] = r >= 20 ? 10.0f : 0.0f;
    CHECK_STATUS(tsc_canny(img, rows, cols, NULL, edges, NULL), TSC_OK);
    for (int c = 1; c < cols - 1; c++) CHECK(edges[20 * cols + c] && !edges[19 * cols + c]);
    CHECK(count(edges, rows * cols) == (size_t)(cols - 2));
}

TSC_TEST(canny_circle_edge_is_thin_and_closed)
{
    const int rows = 80, cols = 80;
    float *img = malloc(rows * cols * sizeof *img);
    uint8_t *edges = malloc(rows * cols), *fill = malloc(rows * cols);
    REQUIRE(img && edges && fill);
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) img[r * cols + c] = in_ellipse(r, c, 40, 40, 25, 25) ? 80.0f : 20.0f;
    CHECK_STATUS(tsc_canny(img, rows, cols, NULL, edges, NULL), TSC_OK);
    size_t n = count(edges, rows * cols);
    /* About the circumference, and thin: no 2x2 block is all edge. */
    CHECK(n > 2 * M_PI * 25 * 0.8 && n < 2 * M_PI * 25 * 1.5);
    int blocks = 0;
    for (int r = 0; r + 1 < rows; r++)
        for (int c = 0; c + 1 < cols; c++)
            blocks += edges[r * cols + c] && edges[r * cols + c + 1] && edges[(r + 1) * cols + c] &&
                      edges[(r + 1) * cols + c + 1];
    CHECK(blocks == 0);
    /* Closed: filling its holes covers the disc. */
    CHECK_STATUS(tsc_fill_holes(edges, rows, cols, fill, NULL), TSC_OK);
    CHECK(fill[40 * cols + 40]);
    free(img);
    free(edges);
    free(fill);
}

TSC_TEST(canny_flat_or_nan_image_has_no_edges)
{
    float img[100];
    uint8_t edges[100];
    for (int i = 0; i < 100; i++) img[i] = 3;
    CHECK_STATUS(tsc_canny(img, 10, 10, NULL, edges, NULL), TSC_OK);
    CHECK(count(edges, 100) == 0);
    for (int i = 0; i < 100; i++) img[i] = NAN;
    CHECK_STATUS(tsc_canny(img, 10, 10, NULL, edges, NULL), TSC_OK);
    CHECK(count(edges, 100) == 0);
    tsc_canny_params p = tsc_canny_default_params();
    p.low = 0.5;
    p.high = 0.1;
    CHECK_STATUS(tsc_canny(img, 10, 10, &p, edges, NULL), TSC_EINVAL);
}

/* ---- region growing ------------------------------------------------------- */

TSC_TEST(region_growing_recovers_known_blob)
{
    const int rows = 64, cols = 64;
    float img[64 * 64];
    uint8_t out[64 * 64], truth[64 * 64];
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            truth[r * cols + c] = (uint8_t)in_ellipse(r, c, 30, 25, 12, 9);
            img[r * cols + c] =
                (float)((truth[r * cols + c] ? 100 : 10) + tsc_test_gauss(&rng_state));
        }
    size_t n = 0;
    CHECK_STATUS(tsc_region_grow(img, rows, cols, 30, 25, NULL, out, &n, NULL), TSC_OK);
    CHECK(n == count(truth, rows * cols));
    CHECK(memcmp(out, truth, sizeof out) == 0);
}

TSC_TEST(region_growing_honours_connectivity_constraint_and_max_size)
{
    const int rows = 20, cols = 20;
    float img[400];
    uint8_t out[400], constraint[400];
    /* A bright diagonal line: only corner-connected. */
    for (int i = 0; i < 400; i++) img[i] = 1;
    for (int k = 0; k < 20; k++) img[k * cols + k] = 50;
    tsc_region_grow_params p = tsc_region_grow_default_params();
    size_t n;
    p.connectivity = TSC_CONNECT_4;
    CHECK_STATUS(tsc_region_grow(img, rows, cols, 5, 5, &p, out, &n, NULL), TSC_OK);
    CHECK(n == 1);
    p.connectivity = TSC_CONNECT_8;
    CHECK_STATUS(tsc_region_grow(img, rows, cols, 5, 5, &p, out, &n, NULL), TSC_OK);
    CHECK(n == 20);
    p.max_pixels = 7;
    CHECK_STATUS(tsc_region_grow(img, rows, cols, 5, 5, &p, out, &n, NULL), TSC_OK);
    CHECK(n == 7 && count(out, 400) == 7);
    p.max_pixels = 0;
    for (int i = 0; i < 400; i++) constraint[i] = (i / cols) < 10;
    p.constraint = constraint;
    CHECK_STATUS(tsc_region_grow(img, rows, cols, 5, 5, &p, out, &n, NULL), TSC_OK);
    CHECK(n == 10);
    /* Absolute tolerance grows over a gentle ramp that a strict relative one stops on. */
    for (int i = 0; i < 400; i++) img[i] = (float)(i % cols);
    p = tsc_region_grow_default_params();
    p.rel_tolerance = 0;
    p.abs_tolerance = 0.5;
    CHECK_STATUS(tsc_region_grow(img, rows, cols, 0, 0, &p, out, &n, NULL), TSC_OK);
    CHECK(n == (size_t)rows);
    p.abs_tolerance = 100;
    CHECK_STATUS(tsc_region_grow(img, rows, cols, 0, 0, &p, out, &n, NULL), TSC_OK);
    CHECK(n == 400);
}

TSC_TEST(region_growing_refuses_bad_seed)
{
    float img[4] = {1, 2, NAN, 4};
    uint8_t out[4], constraint[4] = {1, 0, 1, 1};
    tsc_error err;
    CHECK_STATUS(tsc_region_grow(img, 2, 2, 2, 0, NULL, out, NULL, &err), TSC_EINVAL);
    CHECK(strstr(err.message, "outside") != NULL);
    CHECK_STATUS(tsc_region_grow(img, 2, 2, 1, 0, NULL, out, NULL, &err), TSC_EINVAL);
    CHECK(strstr(err.message, "finite") != NULL);
    tsc_region_grow_params p = tsc_region_grow_default_params();
    p.constraint = constraint;
    CHECK_STATUS(tsc_region_grow(img, 2, 2, 0, 1, &p, out, NULL, &err), TSC_EINVAL);
}

/* ---- morphology ----------------------------------------------------------- */

static void brute_morph(const uint8_t *in, int rows, int cols, double rad, double dx, double dy,
                        int erode, uint8_t *out)
{
    int ry = (int)(rad / dy) + 1, rx = (int)(rad / dx) + 1;
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            int hit = erode;
            for (int i = -ry; i <= ry; i++)
                for (int j = -rx; j <= rx; j++) {
                    if ((i * dy) * (i * dy) + (j * dx) * (j * dx) > rad * rad) continue;
                    int rr = r + i, cc = c + j;
                    int v = (rr < 0 || rr >= rows || cc < 0 || cc >= cols) ? erode
                                                                           : in[rr * cols + cc] != 0;
                    if (erode && !v) hit = 0;
                    if (!erode && v) hit = 1;
                }
            out[r * cols + c] = (uint8_t)hit;
        }
}

TSC_TEST(morphology_matches_brute_force_disc_on_random_masks)
{
    const int rows = 37, cols = 45;
    uint8_t in[37 * 45], got[37 * 45], want[37 * 45];
    static const double cases[][3] = {{2, 1, 1}, {3.3, 1, 1}, {2.1, 0.5, 0.8}, {1.9, 0.8, 0.5},
                                      {0.4, 1, 1}, {5, 0.7, 0.7}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
        for (int erode = 0; erode < 2; erode++) {
            for (int i = 0; i < rows * cols; i++)
                in[i] = tsc_test_uniform(&rng_state) < (erode ? 0.85 : 0.08);
            if (erode)
                CHECK_STATUS(tsc_erode(in, rows, cols, cases[k][0], cases[k][1], cases[k][2], got, NULL), TSC_OK);
            else
                CHECK_STATUS(tsc_dilate(in, rows, cols, cases[k][0], cases[k][1], cases[k][2], got, NULL), TSC_OK);
            brute_morph(in, rows, cols, cases[k][0], cases[k][1], cases[k][2], erode, want);
            if (memcmp(got, want, sizeof got) != 0)
                fprintf(stderr, "%s r=%g on %gx%g differs from brute force\n", erode ? "erode" : "dilate",
                        cases[k][0], cases[k][1], cases[k][2]);
            CHECK(memcmp(got, want, sizeof got) == 0);
        }
}

TSC_TEST(disc_in_mm_is_an_ellipse_in_pixels_for_anisotropic_spacing)
{
    const int rows = 21, cols = 21;
    uint8_t in[441] = {0}, out[441];
    in[10 * cols + 10] = 1;
    CHECK_STATUS(tsc_dilate(in, rows, cols, 2.0, 0.5, 1.0, out, NULL), TSC_OK);
    /* 2 mm reaches 4 columns (0.5 mm) and 2 rows (1 mm). */
    CHECK(out[10 * cols + 14] && !out[10 * cols + 15] && out[10 * cols + 6] && !out[10 * cols + 5]);
    CHECK(out[12 * cols + 10] && !out[13 * cols + 10] && out[8 * cols + 10] && !out[7 * cols + 10]);
    /* Under one pixel: identity. */
    CHECK_STATUS(tsc_dilate(in, rows, cols, 0.4, 0.5, 1.0, out, NULL), TSC_OK);
    CHECK(count(out, 441) == 1);
    tsc_error err;
    CHECK_STATUS(tsc_dilate(in, rows, cols, 2, 0, 1, out, &err), TSC_EINVAL);
    CHECK_STATUS(tsc_dilate(in, rows, cols, -1, 1, 1, out, &err), TSC_EINVAL);
}

TSC_TEST(open_removes_specks_smaller_than_the_disc)
{
    const int rows = 50, cols = 50;
    uint8_t m[2500] = {0}, out[2500];
    for (int r = 10; r < 30; r++)
        for (int c = 10; c < 30; c++) m[r * cols + c] = 1;
    m[40 * cols + 40] = 1;                               /* single speck */
    m[5 * cols + 40] = m[5 * cols + 41] = m[6 * cols + 40] = m[6 * cols + 41] = 1; /* 2x2 */
    m[45 * cols + 5] = m[46 * cols + 6] = 1;             /* diagonal pair */
    CHECK_STATUS(tsc_open(m, rows, cols, 2, 1, 1, out, NULL), TSC_OK);
    CHECK(!out[40 * cols + 40] && !out[5 * cols + 40] && !out[45 * cols + 5]);
    for (int r = 12; r < 28; r++)
        for (int c = 12; c < 28; c++) CHECK(out[r * cols + c]);
    size_t n = count(out, 2500);
    CHECK(n >= 380 && n <= 400); /* the square loses only its corners */
    for (int i = 0; i < 2500; i++) CHECK(!out[i] || m[i]); /* anti-extensive */
}

TSC_TEST(close_fills_gaps_narrower_than_the_disc)
{
    const int rows = 30, cols = 40;
    uint8_t m[1200] = {0}, out[1200];
    for (int r = 10; r < 20; r++) {
        for (int c = 5; c < 18; c++) m[r * cols + c] = 1;
        for (int c = 20; c < 35; c++) m[r * cols + c] = 1; /* a 2-pixel gap at columns 18-19 */
    }
    m[14 * cols + 26] = 0; /* a pinhole */
    CHECK_STATUS(tsc_close(m, rows, cols, 2, 1, 1, out, NULL), TSC_OK);
    for (int r = 11; r < 19; r++) CHECK(out[r * cols + 18] && out[r * cols + 19]);
    CHECK(out[14 * cols + 26]);
    for (int i = 0; i < 1200; i++) CHECK(!m[i] || out[i]); /* extensive */
    /* A mask touching the border is not eaten from outside. */
    memset(m, 1, sizeof m);
    CHECK_STATUS(tsc_close(m, rows, cols, 3, 1, 1, out, NULL), TSC_OK);
    CHECK(count(out, 1200) == 1200);
    CHECK_STATUS(tsc_erode(m, rows, cols, 3, 1, 1, out, NULL), TSC_OK);
    CHECK(count(out, 1200) == 1200);
}

TSC_TEST(fill_holes_fills_a_ring_but_not_an_open_ring)
{
    const int rows = 40, cols = 40;
    uint8_t m[1600], out[1600];
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++)
            m[r * cols + c] = in_ellipse(r, c, 20, 20, 12, 12) && !in_ellipse(r, c, 20, 20, 8, 8);
    CHECK_STATUS(tsc_fill_holes(m, rows, cols, out, NULL), TSC_OK);
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) CHECK(out[r * cols + c] == in_ellipse(r, c, 20, 20, 12, 12));
    /* Cut the ring open: its inside now reaches the border. */
    for (int r = 20; r < rows; r++) m[r * cols + 20] = 0;
    CHECK_STATUS(tsc_fill_holes(m, rows, cols, m, NULL), TSC_OK);
    CHECK(!m[20 * cols + 20]);
    /* A hole closed only diagonally is still a hole of the 8-connected mask. */
    uint8_t d[25] = {0, 1, 0, 0, 0, /**/ 1, 0, 1, 0, 0, /**/ 0, 1, 0, 0, 0, /**/ 0, 0, 0, 0, 0,
                     /**/ 0, 0, 0, 0, 0};
    CHECK_STATUS(tsc_fill_holes(d, 5, 5, d, NULL), TSC_OK);
    CHECK(d[6] == 1 && d[0] == 0);
}

/* ---- components ----------------------------------------------------------- */

TSC_TEST(labels_split_diagonal_with_4_connectivity_and_join_with_8)
{
    uint8_t m[16] = {1, 0, 0, 0, /**/ 0, 1, 0, 0, /**/ 0, 0, 1, 1, /**/ 0, 0, 0, 0};
    int32_t lab[16], n = 0;
    size_t *counts = NULL;
    CHECK_STATUS(tsc_label_components(m, 4, 4, TSC_CONNECT_4, lab, &n, &counts, NULL), TSC_OK);
    CHECK(n == 3);
    REQUIRE(counts);
    CHECK(counts[0] == 12 && counts[1] == 1 && counts[2] == 1 && counts[3] == 2);
    CHECK(lab[0] == 1 && lab[5] == 2 && lab[10] == 3 && lab[11] == 3 && lab[1] == 0);
    free(counts);
    CHECK_STATUS(tsc_label_components(m, 4, 4, TSC_CONNECT_8, lab, &n, &counts, NULL), TSC_OK);
    CHECK(n == 1 && counts[1] == 4);
    free(counts);
    /* counts is optional. */
    CHECK_STATUS(tsc_label_components(m, 4, 4, TSC_CONNECT_8, lab, &n, NULL, NULL), TSC_OK);
    CHECK(n == 1);
}

TSC_TEST(labels_count_every_pixel_of_random_masks)
{
    const int rows = 64, cols = 80;
    uint8_t m[64 * 80];
    int32_t lab[64 * 80], n;
    size_t *counts = NULL;
    for (int i = 0; i < rows * cols; i++) m[i] = tsc_test_uniform(&rng_state) < 0.45;
    for (int conn = 4; conn <= 8; conn += 4) {
        CHECK_STATUS(tsc_label_components(m, rows, cols, (tsc_connectivity)conn, lab, &n, &counts, NULL), TSC_OK);
        size_t total = 0;
        for (int32_t l = 0; l <= n; l++) total += counts[l];
        CHECK(total == (size_t)(rows * cols));
        /* No two neighbours carry different nonzero labels. */
        int clash = 0;
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                for (int dr = 0; dr <= 1; dr++)
                    for (int dc = -1; dc <= 1; dc++) {
                        if ((dr == 0 && dc <= 0) || (conn == 4 && dr && dc)) continue;
                        int rr = r + dr, cc = c + dc;
                        if (rr >= rows || cc < 0 || cc >= cols) continue;
                        int32_t a = lab[r * cols + c], b = lab[rr * cols + cc];
                        clash += a && b && a != b;
                    }
        CHECK(clash == 0);
        free(counts);
    }
}

TSC_TEST(largest_component_keeps_the_biggest)
{
    uint8_t m[30] = {1, 1, 0, 0, 0, 0, /**/ 1, 1, 0, 1, 1, 1, /**/ 0, 0, 0, 1, 1, 1,
                     /**/ 0, 0, 0, 0, 0, 0, /**/ 1, 0, 0, 0, 0, 0};
    size_t n = 0;
    CHECK_STATUS(tsc_largest_component(m, 5, 6, TSC_CONNECT_8, m, &n, NULL), TSC_OK);
    CHECK(n == 6 && count(m, 30) == 6 && m[9] && !m[0] && !m[24]);
    uint8_t e[4] = {0};
    CHECK_STATUS(tsc_largest_component(e, 2, 2, TSC_CONNECT_8, e, &n, NULL), TSC_OK);
    CHECK(n == 0 && count(e, 4) == 0);
}

/* ---- head mask and baselines ---------------------------------------------- */

/* A synthetic axial slice of ROWS x COLS: noisy background with a few hot
 * specks, scalp, dark skull, textured brain, dark ventricle and a bright
 * lesion disc of radius 12 px at (row 85, column 120); with its true head
 * and lesion masks and room for the mask under test. */
enum { ROWS = 200, COLS = 220, N_PIXELS = ROWS * COLS };
typedef struct synthetic_head {
    float *img;
    uint8_t *head, *lesion, *got;
} synthetic_head;

static synthetic_head synthetic_head_new(void)
{
    synthetic_head s = {malloc(N_PIXELS * sizeof(float)), malloc(N_PIXELS), malloc(N_PIXELS),
                        malloc(N_PIXELS)};
    REQUIRE(s.img && s.head && s.lesion && s.got);
    for (int r = 0; r < ROWS; r++)
        for (int c = 0; c < COLS; c++) {
            size_t i = (size_t)r * COLS + c;
            double v = hypot(12 * tsc_test_gauss(&rng_state),
                             12 * tsc_test_gauss(&rng_state)); /* Rician background */
            int h = in_ellipse(r, c, 100, 110, 85, 95);
            s.head[i] = (uint8_t)h;
            s.lesion[i] = (uint8_t)in_ellipse(r, c, 85, 120, 12, 12);
            if (h) v = 400 + 15 * tsc_test_gauss(&rng_state); /* scalp */
            if (in_ellipse(r, c, 100, 110, 80, 90))
                v = 60 + 10 * tsc_test_gauss(&rng_state); /* skull */
            if (in_ellipse(r, c, 100, 110, 75, 85))
                v = 300 + 20 * tsc_test_gauss(&rng_state); /* brain */
            if (in_ellipse(r, c, 110, 95, 8, 14))
                v = 90 + 10 * tsc_test_gauss(&rng_state); /* ventricle */
            if (s.lesion[i]) v = 700 + 30 * tsc_test_gauss(&rng_state);
            s.img[i] = (float)v;
        }
    s.img[10 * COLS + 10] = s.img[190 * COLS + 200] = s.img[15 * COLS + 205] = 900; /* hot specks */
    return s;
}

static void synthetic_head_free(synthetic_head *s)
{
    free(s->img);
    free(s->head);
    free(s->lesion);
    free(s->got);
}

static double dice(const uint8_t *a, const uint8_t *b, size_t n)
{
    size_t na = 0, nb = 0, nab = 0;
    for (size_t i = 0; i < n; i++) {
        na += a[i] != 0;
        nb += b[i] != 0;
        nab += a[i] && b[i];
    }
    return na + nb ? 2.0 * nab / (double)(na + nb) : 1.0;
}

TSC_TEST(head_mask_covers_synthetic_head_and_ignores_background_noise)
{
    synthetic_head s = synthetic_head_new();
    CHECK_STATUS(tsc_head_mask(s.img, ROWS, COLS, s.got, NULL), TSC_OK);
    size_t inside = 0, outside = 0, nh = count(s.head, N_PIXELS);
    for (size_t i = 0; i < N_PIXELS; i++) {
        inside += s.head[i] && s.got[i];
        outside += !s.head[i] && s.got[i];
    }
    printf("head mask: %.2f%% of the head, %zu pixels outside it\n", 100.0 * inside / nh, outside);
    CHECK(inside >= nh * 98 / 100);
    CHECK(outside <= nh / 100);
    CHECK(!s.got[10 * COLS + 10] && !s.got[190 * COLS + 200]);
    /* The dark skull and ventricle are inside the mask (holes filled). */
    CHECK(s.got[100 * COLS + 110 + 87] && s.got[110 * COLS + 95]);
    synthetic_head_free(&s);
}

/* A baseline finds the phantom's lesion at pixel spacing dx = dy (mm). */
static void check_baseline_finds_lesion(const char *what,
                                        tsc_status (*baseline)(const float *, int, int, double,
                                                               double, uint8_t *, tsc_error *),
                                        double spacing)
{
    synthetic_head s = synthetic_head_new();
    CHECK_STATUS(baseline(s.img, ROWS, COLS, spacing, spacing, s.got, NULL), TSC_OK);
    double d = dice(s.got, s.lesion, N_PIXELS);
    printf("%s baseline at %.1f mm: Dice %.3f\n", what, spacing, d);
    CHECK(d > 0.85);
    synthetic_head_free(&s);
}

TSC_TEST(baseline_threshold_finds_bright_lesion_in_phantom)
{
    check_baseline_finds_lesion("threshold", tsc_baseline_threshold, 1.0);
    /* Same phantom read as 0.8 mm pixels: the margins scale, the result holds. */
    check_baseline_finds_lesion("threshold", tsc_baseline_threshold, 0.8);
}

TSC_TEST(baseline_region_growing_finds_bright_lesion_in_phantom)
{
    check_baseline_finds_lesion("region-growing", tsc_baseline_region_growing, 1.0);
}

TSC_TEST(baselines_return_empty_mask_on_uniform_image)
{
    float img[400];
    uint8_t m[400], head[400];
    for (int i = 0; i < 400; i++) img[i] = 12;
    memset(m, 1, sizeof m);
    tsc_error err;
    CHECK_STATUS(tsc_head_mask(img, 20, 20, head, &err), TSC_ENOTFOUND);
    CHECK(strstr(err.message, "head mask") != NULL);
    CHECK(count(head, 400) == 0);
    CHECK_STATUS(tsc_baseline_threshold(img, 20, 20, 1, 1, m, &err), TSC_OK);
    CHECK(count(m, 400) == 0);
    memset(m, 1, sizeof m);
    CHECK_STATUS(tsc_baseline_region_growing(img, 20, 20, 1, 1, m, &err), TSC_OK);
    CHECK(count(m, 400) == 0);
    CHECK_STATUS(tsc_baseline_threshold(img, 20, 20, 0, 1, m, &err), TSC_EINVAL);
    CHECK(strstr(err.message, "spacing") != NULL);
}

TSC_TEST(classic_all_nan_image_reports_no_finite_pixels)
{
    float img[64];
    uint8_t m[64];
    for (int i = 0; i < 64; i++) img[i] = NAN;
    tsc_error err;
    double t, q = 50;
    CHECK_STATUS(tsc_percentiles(img, NULL, 64, &q, 1, &t, &err), TSC_EINVAL);
    CHECK_STATUS(tsc_normalize_percentile(img, NULL, 64, 1, 99, img, &err), TSC_EINVAL);
    CHECK_STATUS(tsc_normalize_zscore(img, NULL, 64, img, &err), TSC_EINVAL);
    CHECK_STATUS(tsc_otsu_threshold(img, NULL, 64, 256, 0, 0, &t, &err), TSC_EINVAL);
    CHECK_STATUS(tsc_head_mask(img, 8, 8, m, &err), TSC_EINVAL);
    CHECK(strstr(err.message, "finite") != NULL);
    CHECK_STATUS(tsc_baseline_threshold(img, 8, 8, 1, 1, m, &err), TSC_EINVAL);
    printf("all-NaN threshold baseline: %s\n", err.message);
    CHECK(strstr(err.message, "finite") != NULL);
    CHECK_STATUS(tsc_baseline_region_growing(img, 8, 8, 1, 1, m, &err), TSC_EINVAL);
    CHECK(count(m, 64) == 0);
}

TSC_TEST(classic_handles_1x1_image)
{
    float img[1] = {5}, out[1];
    uint8_t m[1] = {1}, o[1];
    int32_t lab[1], n;
    size_t px;
    double t;
    CHECK_STATUS(tsc_gaussian_blur(img, 1, 1, 3, 3, out, NULL), TSC_OK);
    CHECK(out[0] == 5.0f);
    CHECK_STATUS(tsc_canny(img, 1, 1, NULL, o, NULL), TSC_OK);
    CHECK(o[0] == 0);
    CHECK_STATUS(tsc_dilate(m, 1, 1, 5, 1, 1, o, NULL), TSC_OK);
    CHECK(o[0] == 1);
    CHECK_STATUS(tsc_erode(m, 1, 1, 5, 1, 1, o, NULL), TSC_OK);
    CHECK(o[0] == 1);
    CHECK_STATUS(tsc_fill_holes(m, 1, 1, o, NULL), TSC_OK);
    CHECK(o[0] == 1);
    CHECK_STATUS(tsc_label_components(m, 1, 1, TSC_CONNECT_8, lab, &n, NULL, NULL), TSC_OK);
    CHECK(n == 1 && lab[0] == 1);
    CHECK_STATUS(tsc_region_grow(img, 1, 1, 0, 0, NULL, o, &px, NULL), TSC_OK);
    CHECK(px == 1 && o[0] == 1);
    CHECK_STATUS(tsc_otsu_threshold(img, NULL, 1, 256, 0, 0, &t, NULL), TSC_ENOTFOUND);
    CHECK_STATUS(tsc_normalize_percentile(img, NULL, 1, 1, 99, out, NULL), TSC_OK);
    CHECK(out[0] == 0.0f);
    CHECK_STATUS(tsc_head_mask(img, 1, 1, o, NULL), TSC_ENOTFOUND);
    CHECK_STATUS(tsc_baseline_threshold(img, 1, 1, 1, 1, o, NULL), TSC_OK);
    CHECK(o[0] == 0);
    CHECK_STATUS(tsc_baseline_region_growing(img, 1, 1, 1, 1, o, NULL), TSC_OK);
    CHECK(o[0] == 0);
}

TSC_TEST_MAIN(TSC_CASE(percentiles_match_sorted_reference_with_ties_and_nan),
              TSC_CASE(normalize_percentile_maps_window_to_unit_range),
              TSC_CASE(normalize_zscore_uses_statistics_inside_mask),
              TSC_CASE(otsu_splits_bimodal_histogram),
              TSC_CASE(otsu_reports_uniform_values_as_not_found),
              TSC_CASE(threshold_keeps_closed_interval_and_drops_nan),
              TSC_CASE(gaussian_blur_matches_direct_convolution),
              TSC_CASE(gaussian_blur_keeps_constant_and_fills_nan_holes),
              TSC_CASE(canny_finds_step_edge_at_its_column_one_pixel_thick),
              TSC_CASE(canny_circle_edge_is_thin_and_closed),
              TSC_CASE(canny_flat_or_nan_image_has_no_edges),
              TSC_CASE(region_growing_recovers_known_blob),
              TSC_CASE(region_growing_honours_connectivity_constraint_and_max_size),
              TSC_CASE(region_growing_refuses_bad_seed),
              TSC_CASE(morphology_matches_brute_force_disc_on_random_masks),
              TSC_CASE(disc_in_mm_is_an_ellipse_in_pixels_for_anisotropic_spacing),
              TSC_CASE(open_removes_specks_smaller_than_the_disc),
              TSC_CASE(close_fills_gaps_narrower_than_the_disc),
              TSC_CASE(fill_holes_fills_a_ring_but_not_an_open_ring),
              TSC_CASE(labels_split_diagonal_with_4_connectivity_and_join_with_8),
              TSC_CASE(labels_count_every_pixel_of_random_masks),
              TSC_CASE(largest_component_keeps_the_biggest),
              TSC_CASE(head_mask_covers_synthetic_head_and_ignores_background_noise),
              TSC_CASE(baseline_threshold_finds_bright_lesion_in_phantom),
              TSC_CASE(baseline_region_growing_finds_bright_lesion_in_phantom),
              TSC_CASE(baselines_return_empty_mask_on_uniform_image),
              TSC_CASE(classic_all_nan_image_reports_no_finite_pixels),
              TSC_CASE(classic_handles_1x1_image))
