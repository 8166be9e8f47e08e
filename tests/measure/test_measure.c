/* SPDX-License-Identifier: BSD-3-Clause */
/* Lesion measurements on synthetic phantoms with known truth. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsc_classic.h"
#include "tsc_measure.h"
#include "tsc_test.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* The seed of this file's random inputs (tsc_test_uniform, tsc_test_gauss). */
static uint64_t rng_state = 0x2545F4914F6CDD1Dull;

/* A phantom: an ellipse (semi-axes a, b mm, rotated by theta) centred at
 * (cx, cy) mm on a grid of spacing dx, dy, intensity 100 on a noisy
 * background (sd 5).  The mask is the image thresholded at 50, so it is
 * the shape itself (the noise never reaches 10 sd). */
typedef struct phantom {
    int rows, cols;
    double dx, dy;
    float *img;
    uint8_t *mask;
} phantom;

static phantom phantom_new(int rows, int cols, double dx, double dy)
{
    phantom p = {rows, cols, dx, dy, malloc((size_t)rows * cols * sizeof(float)),
                 calloc((size_t)rows * cols, 1)};
    REQUIRE(p.img && p.mask);
    for (int i = 0; i < rows * cols; i++) p.img[i] = (float)(5.0 * tsc_test_gauss(&rng_state));
    return p;
}

static void phantom_ellipse(phantom *p, double cx, double cy, double a, double b, double theta,
                            float value)
{
    double c = cos(theta), s = sin(theta);
    for (int r = 0; r < p->rows; r++)
        for (int k = 0; k < p->cols; k++) {
            double x = k * p->dx - cx, y = r * p->dy - cy;
            double u = x * c + y * s, v = -x * s + y * c;
            if ((u / a) * (u / a) + (v / b) * (v / b) <= 1.0) p->img[r * p->cols + k] += value;
        }
}

static void phantom_threshold(phantom *p)
{
    tsc_threshold(p->img, (size_t)p->rows * p->cols, 50, INFINITY, p->mask);
}

static void phantom_free(phantom *p)
{
    free(p->img);
    free(p->mask);
}

static tsc_lesion_set *measure(const phantom *p, double min_area)
{
    tsc_lesion_set *set = NULL;
    tsc_error err;
    tsc_status st = tsc_measure_lesions(p->mask, p->img, p->rows, p->cols, p->dx, p->dy, min_area,
                                        &set, &err);
    if (st != TSC_OK) fprintf(stderr, "measure: %s\n", err.message);
    REQUIRE(st == TSC_OK && set);
    return set;
}

#define CHECK_REL(got, want, rel) CHECK_NEAR(got, want, fabs((double)(want)) * (rel))

static void check_disc(double radius_mm, double dx, double dy)
{
    int cols = (int)ceil(3 * radius_mm / dx), rows = (int)ceil(3 * radius_mm / dy);
    phantom p = phantom_new(rows, cols, dx, dy);
    /* Off-grid centre so the digital disc is not artificially symmetric. */
    phantom_ellipse(&p, cols * dx * 0.5 + 0.37 * dx, rows * dy * 0.5 - 0.21 * dy, radius_mm,
                    radius_mm, 0, 100);
    phantom_threshold(&p);
    tsc_lesion_set *set = measure(&p, 10);
    REQUIRE(tsc_lesion_set_count(set) == 1);
    const tsc_lesion_measure *m = tsc_lesion_set_get(set, 0);
    printf("disc r=%g mm on %gx%g mm: area %.2f (%.2f), diameter %.3f, perpendicular %.3f (%.3f)\n",
           radius_mm, dx, dy, m->area_mm2, M_PI * radius_mm * radius_mm, m->diameter_mm,
           m->perpendicular_mm, 2 * radius_mm);
    CHECK_REL(m->area_mm2, M_PI * radius_mm * radius_mm, 0.02);
    CHECK_REL(m->diameter_mm, 2 * radius_mm, 0.02);
    CHECK_REL(m->perpendicular_mm, 2 * radius_mm, 0.02);
    CHECK_NEAR(m->product_mm2, m->diameter_mm * m->perpendicular_mm, 1e-9);
    CHECK(m->perpendicular_mm <= m->diameter_mm);
    CHECK_NEAR(m->mean_intensity, 100, 1.0);
    /* The axes are perpendicular in mm and cross near the centre. */
    double ax = (m->diameter_ends[1].x - m->diameter_ends[0].x) * dx;
    double ay = (m->diameter_ends[1].y - m->diameter_ends[0].y) * dy;
    double bx = (m->perpendicular_ends[1].x - m->perpendicular_ends[0].x) * dx;
    double by = (m->perpendicular_ends[1].y - m->perpendicular_ends[0].y) * dy;
    CHECK(fabs(ax * bx + ay * by) <= 1e-6 * m->diameter_mm * m->perpendicular_mm);
    CHECK_NEAR(hypot(ax, ay), m->diameter_mm, 1e-9);
    CHECK_NEAR(hypot(bx, by), m->perpendicular_mm, 1e-9);
    CHECK_NEAR(m->centroid.x * dx, cols * dx * 0.5 + 0.37 * dx, 0.05 * radius_mm);
    CHECK_NEAR(m->centroid.y * dy, rows * dy * 0.5 - 0.21 * dy, 0.05 * radius_mm);
    tsc_lesion_set_free(set);
    phantom_free(&p);
}

TSC_TEST(measure_disc_area_and_diameters_within_2_percent)
{
    check_disc(25, 1, 1);
}

TSC_TEST(measure_disc_with_half_mm_spacing)
{
    check_disc(12.5, 0.5, 0.5);
}

TSC_TEST(measure_disc_with_anisotropic_spacing)
{
    check_disc(25, 0.5, 0.8);
    check_disc(25, 0.8, 0.5);
}

TSC_TEST(measure_ellipse_long_and_perpendicular_diameters)
{
    static const double thetas[] = {0, 0.5235987755982988, 1.2, M_PI / 2};
    for (size_t t = 0; t < sizeof thetas / sizeof thetas[0]; t++) {
        phantom p = phantom_new(160, 130, 0.5, 0.6);
        phantom_ellipse(&p, 65 * 0.5, 80 * 0.6, 30, 18, thetas[t], 100);
        phantom_threshold(&p);
        tsc_lesion_set *set = measure(&p, 10);
        REQUIRE(tsc_lesion_set_count(set) == 1);
        const tsc_lesion_measure *m = tsc_lesion_set_get(set, 0);
        printf("ellipse 60x36 mm at %.2f rad: diameter %.3f, perpendicular %.3f, area %.1f (%.1f)\n",
               thetas[t], m->diameter_mm, m->perpendicular_mm, m->area_mm2, M_PI * 30 * 18);
        CHECK_REL(m->diameter_mm, 60, 0.02);
        CHECK_REL(m->perpendicular_mm, 36, 0.02);
        CHECK_REL(m->area_mm2, M_PI * 30 * 18, 0.02);
        /* The long axis follows the ellipse's orientation (mod 180°). */
        double ax = (m->diameter_ends[1].x - m->diameter_ends[0].x) * 0.5;
        double ay = (m->diameter_ends[1].y - m->diameter_ends[0].y) * 0.6;
        double cosang = fabs(ax * cos(thetas[t]) + ay * sin(thetas[t])) / hypot(ax, ay);
        CHECK(cosang > cos(3.0 * M_PI / 180));
        tsc_lesion_set_free(set);
        phantom_free(&p);
    }
}

TSC_TEST(measure_two_blobs_give_two_lesions_largest_first)
{
    phantom p = phantom_new(100, 160, 1, 1);
    phantom_ellipse(&p, 40, 50, 10, 10, 0, 100);  /* small, first in raster order */
    phantom_ellipse(&p, 110, 50, 20, 15, 0, 100); /* large */
    phantom_threshold(&p);
    tsc_lesion_set *set = measure(&p, 10);
    REQUIRE(tsc_lesion_set_count(set) == 2);
    const tsc_lesion_measure *a = tsc_lesion_set_get(set, 0), *b = tsc_lesion_set_get(set, 1);
    CHECK(a->area_mm2 > b->area_mm2);
    CHECK_NEAR(a->centroid.x, 110, 1);
    CHECK_NEAR(b->centroid.x, 40, 1);
    CHECK_REL(a->diameter_mm, 40, 0.03);
    CHECK_REL(b->diameter_mm, 20, 0.05);
    CHECK(a->label == 1 && b->label == 2);
    int rows, cols;
    const int32_t *lab = tsc_lesion_set_get_labels(set, &rows, &cols);
    CHECK(rows == 100 && cols == 160);
    CHECK(lab[50 * 160 + 110] == 1 && lab[50 * 160 + 40] == 2 && lab[0] == 0);
    /* Bounding boxes hold every pixel of their lesion. */
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            int32_t l = lab[r * cols + c];
            if (!l) continue;
            const tsc_lesion_measure *m = tsc_lesion_set_get(set, (size_t)l - 1);
            CHECK(c >= m->bbox[0] && c <= m->bbox[2] && r >= m->bbox[1] && r <= m->bbox[3]);
        }
    tsc_lesion_set_free(set);
    phantom_free(&p);
}

TSC_TEST(measure_ring_is_one_lesion_spanning_its_cavity)
{
    phantom p = phantom_new(100, 100, 1, 1);
    phantom_ellipse(&p, 50, 50, 25, 25, 0, 100);
    phantom_ellipse(&p, 50, 50, 15, 15, 0, -100);
    phantom_threshold(&p);
    tsc_lesion_set *set = measure(&p, 10);
    REQUIRE(tsc_lesion_set_count(set) == 1);
    const tsc_lesion_measure *m = tsc_lesion_set_get(set, 0);
    CHECK_REL(m->area_mm2, M_PI * (25 * 25 - 15 * 15), 0.03);
    CHECK_REL(m->diameter_mm, 50, 0.02);
    CHECK_REL(m->perpendicular_mm, 50, 0.02); /* across the cavity, as RANO measures cysts */
    /* The centroid falls in the cavity; the outline's first vertex is on a
     * lesion pixel's edge. */
    int rows, cols;
    const int32_t *lab = tsc_lesion_set_get_labels(set, &rows, &cols);
    CHECK(lab[(int)lround(m->centroid.y) * cols + (int)lround(m->centroid.x)] == 0);
    CHECK(lab[(int)lround(m->outline[0].y) * cols + (int)lround(m->outline[0].x)] == 1);
    tsc_lesion_set_free(set);
    phantom_free(&p);
}

TSC_TEST(measure_drops_blob_under_min_area)
{
    phantom p = phantom_new(60, 60, 0.5, 0.5);
    phantom_ellipse(&p, 10, 10, 1.5, 1.5, 0, 100); /* ~7 mm² */
    phantom_ellipse(&p, 20, 20, 4, 4, 0, 100);     /* ~50 mm² */
    phantom_threshold(&p);
    tsc_lesion_set *set = measure(&p, 10);
    REQUIRE(tsc_lesion_set_count(set) == 1);
    CHECK_NEAR(tsc_lesion_set_get(set, 0)->centroid.x, 40, 0.5);
    const int32_t *lab = tsc_lesion_set_get_labels(set, NULL, NULL);
    CHECK(lab[20 * 60 + 20] == 0); /* the dropped blob is cleared */
    CHECK(lab[40 * 60 + 40] == 1);
    tsc_lesion_set_free(set);
    /* With no minimum, it comes back. */
    set = measure(&p, 0);
    CHECK(tsc_lesion_set_count(set) == 2);
    tsc_lesion_set_free(set);
    phantom_free(&p);
}

TSC_TEST(measure_empty_mask_has_no_lesions)
{
    uint8_t mask[12] = {0};
    tsc_lesion_set *set = NULL;
    CHECK_STATUS(tsc_measure_lesions(mask, NULL, 3, 4, 1, 1, 0, &set, NULL), TSC_OK);
    REQUIRE(set);
    CHECK(tsc_lesion_set_count(set) == 0);
    tsc_lesion_set_free(set);
}

TSC_TEST(measure_full_mask_is_one_lesion_spanning_the_image)
{
    const int rows = 30, cols = 40;
    uint8_t *mask = malloc(rows * cols);
    REQUIRE(mask);
    memset(mask, 1, rows * cols);
    tsc_lesion_set *set = NULL;
    CHECK_STATUS(tsc_measure_lesions(mask, NULL, rows, cols, 0.5, 0.5, 0, &set, NULL), TSC_OK);
    REQUIRE(set && tsc_lesion_set_count(set) == 1);
    const tsc_lesion_measure *m = tsc_lesion_set_get(set, 0);
    CHECK_NEAR(m->area_mm2, rows * cols * 0.25, 1e-9);
    CHECK_REL(m->diameter_mm, 25, 0.02); /* the diagonal of 20 x 15 mm */
    CHECK(m->bbox[0] == 0 && m->bbox[1] == 0 && m->bbox[2] == cols - 1 && m->bbox[3] == rows - 1);
    CHECK(isnan(m->mean_intensity));
    /* The contour runs along the image border: an 8-vertex rectangle with
     * cut corners. */
    CHECK(m->n_outline == 8);
    tsc_lesion_set_free(set);
    free(mask);
}

TSC_TEST(measure_one_pixel_lesion_in_1x1_image)
{
    uint8_t mask[1] = {1};
    float img[1] = {7};
    tsc_lesion_set *set = NULL;
    CHECK_STATUS(tsc_measure_lesions(mask, img, 1, 1, 0.8, 0.5, 0, &set, NULL), TSC_OK);
    REQUIRE(set && tsc_lesion_set_count(set) == 1);
    const tsc_lesion_measure *m = tsc_lesion_set_get(set, 0);
    CHECK_NEAR(m->area_mm2, 0.4, 1e-12);
    CHECK_NEAR(m->diameter_mm, 0.8, 1e-12);
    CHECK_NEAR(m->perpendicular_mm, 0.5, 1e-12);
    CHECK_NEAR(m->mean_intensity, 7, 0);
    CHECK(m->n_outline == 4);
    tsc_lesion_set_free(set);
}

TSC_TEST(measure_outline_is_clockwise_on_the_lesion_edge)
{
    /* A 10 x 6 rectangle, columns 3..12, rows 5..10. */
    const int rows = 16, cols = 16;
    uint8_t mask[16 * 16] = {0};
    for (int r = 5; r <= 10; r++)
        for (int c = 3; c <= 12; c++) mask[r * cols + c] = 1;
    tsc_lesion_set *set = NULL;
    CHECK_STATUS(tsc_measure_lesions(mask, NULL, rows, cols, 1, 1, 0, &set, NULL), TSC_OK);
    REQUIRE(set && tsc_lesion_set_count(set) == 1);
    const tsc_lesion_measure *m = tsc_lesion_set_get(set, 0);
    static const double want[8][2] = {{3, 4.5},   {12, 4.5}, {12.5, 5}, {12.5, 10},
                                      {12, 10.5}, {3, 10.5}, {2.5, 10}, {2.5, 5}};
    REQUIRE(m->n_outline == 8);
    double area2 = 0;
    for (size_t i = 0; i < 8; i++) {
        CHECK_NEAR(m->outline[i].x, want[i][0], 0);
        CHECK_NEAR(m->outline[i].y, want[i][1], 0);
        const tsc_vec2 *a = &m->outline[i], *b = &m->outline[(i + 1) % 8];
        area2 += a->x * b->y - b->x * a->y;
    }
    /* Positive shoelace area with y down = clockwise on screen; each cut
     * corner removes 1/8 pixel. */
    CHECK_NEAR(area2 / 2, 60 - 0.5, 1e-12);
    CHECK(m->bbox[0] == 3 && m->bbox[1] == 5 && m->bbox[2] == 12 && m->bbox[3] == 10);
    CHECK_NEAR(m->centroid.x, 7.5, 1e-12);
    CHECK_NEAR(m->centroid.y, 7.5, 1e-12);
    tsc_lesion_set_free(set);
}

TSC_TEST(measure_mean_intensity_skips_nan_pixels)
{
    uint8_t mask[4] = {1, 1, 1, 1};
    float img[4] = {1, NAN, 3, INFINITY};
    tsc_lesion_set *set = NULL;
    CHECK_STATUS(tsc_measure_lesions(mask, img, 2, 2, 1, 1, 0, &set, NULL), TSC_OK);
    REQUIRE(set && tsc_lesion_set_count(set) == 1);
    CHECK_NEAR(tsc_lesion_set_get(set, 0)->mean_intensity, 2, 1e-12);
    tsc_lesion_set_free(set);
}

TSC_TEST(measure_refuses_non_positive_spacing)
{
    uint8_t mask[4] = {1, 0, 0, 0};
    tsc_lesion_set *set = (tsc_lesion_set *)&mask; /* must be reset to NULL */
    tsc_error err;
    CHECK_STATUS(tsc_measure_lesions(mask, NULL, 2, 2, 0, 1, 0, &set, &err), TSC_EINVAL);
    CHECK(set == NULL);
    CHECK(strstr(err.message, "spacing") != NULL);
    CHECK_STATUS(tsc_measure_lesions(mask, NULL, 2, 2, 1, NAN, 0, &set, &err), TSC_EINVAL);
}

/* ---- against brute force on random blobs ---------------------------------- */

/* Midpoints of every lesion/outside pixel side, collected by a plain scan
 * (independent of the contour walk), pixel coordinates. */
static size_t crack_midpoints(const int32_t *lab, int rows, int cols, int32_t l, tsc_vec2 *out)
{
    size_t n = 0;
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            if (lab[r * cols + c] != l) continue;
            if (r == 0 || lab[(r - 1) * cols + c] != l) out[n++] = (tsc_vec2){c, r - 0.5};
            if (r == rows - 1 || lab[(r + 1) * cols + c] != l) out[n++] = (tsc_vec2){c, r + 0.5};
            if (c == 0 || lab[r * cols + c - 1] != l) out[n++] = (tsc_vec2){c - 0.5, r};
            if (c == cols - 1 || lab[r * cols + c + 1] != l) out[n++] = (tsc_vec2){c + 0.5, r};
        }
    return n;
}

/* The widest chord perpendicular to the axis, by dense sampling of lines. */
static double sampled_perpendicular(const tsc_lesion_measure *m, double dx, double dy)
{
    double ax = m->diameter_ends[0].x * dx, ay = m->diameter_ends[0].y * dy;
    double ex = m->diameter_ends[1].x * dx - ax, ey = m->diameter_ends[1].y * dy - ay;
    double len = hypot(ex, ey);
    ex /= len;
    ey /= len;
    double best = 0;
    for (double t = 0; t <= len; t += len / 4000) {
        double lo = INFINITY, hi = -INFINITY;
        for (size_t i = 0; i < m->n_outline; i++) {
            const tsc_vec2 *p = &m->outline[i], *q = &m->outline[(i + 1) % m->n_outline];
            double pu = (p->x * dx - ax) * ex + (p->y * dy - ay) * ey;
            double pv = -(p->x * dx - ax) * ey + (p->y * dy - ay) * ex;
            double qu = (q->x * dx - ax) * ex + (q->y * dy - ay) * ey;
            double qv = -(q->x * dx - ax) * ey + (q->y * dy - ay) * ex;
            if ((pu - t) * (qu - t) > 0 || pu == qu) continue;
            double v = pv + (t - pu) / (qu - pu) * (qv - pv);
            lo = fmin(lo, v);
            hi = fmax(hi, v);
        }
        if (hi > lo) best = fmax(best, hi - lo);
    }
    return best;
}

TSC_TEST(measure_diameters_match_brute_force_on_random_blobs)
{
    const int rows = 48, cols = 56;
    uint8_t *mask = malloc(rows * cols);
    float *noise = malloc(rows * cols * sizeof *noise), *smooth = malloc(rows * cols * sizeof *smooth);
    tsc_vec2 *mid = malloc(4 * rows * cols * sizeof *mid);
    REQUIRE(mask && noise && smooth && mid);
    static const double spacing[3][2] = {{1, 1}, {0.5, 0.8}, {1.3, 0.6}};
    int lesions = 0;
    for (int trial = 0; trial < 30; trial++) {
        /* Blobs: thresholded smoothed noise, irregular and concave. */
        for (int i = 0; i < rows * cols; i++) noise[i] = (float)tsc_test_gauss(&rng_state);
        REQUIRE(tsc_gaussian_blur(noise, rows, cols, 3, 3, smooth, NULL) == TSC_OK);
        tsc_threshold(smooth, rows * cols, 0.15, INFINITY, mask);
        double dx = spacing[trial % 3][0], dy = spacing[trial % 3][1];
        tsc_lesion_set *set = NULL;
        REQUIRE(tsc_measure_lesions(mask, NULL, rows, cols, dx, dy, 0, &set, NULL) == TSC_OK);
        const int32_t *lab = tsc_lesion_set_get_labels(set, NULL, NULL);
        for (size_t k = 0; k < tsc_lesion_set_count(set); k++) {
            const tsc_lesion_measure *m = tsc_lesion_set_get(set, k);
            size_t n = crack_midpoints(lab, rows, cols, m->label, mid);
            double best = 0;
            for (size_t i = 0; i < n; i++)
                for (size_t j = i + 1; j < n; j++)
                    best = fmax(best, hypot((mid[i].x - mid[j].x) * dx, (mid[i].y - mid[j].y) * dy));
            CHECK_NEAR(m->diameter_mm, best, 1e-9);
            CHECK(m->perpendicular_mm <= m->diameter_mm + 1e-9);
            if (m->n_pixels >= 3) {
                double sp = sampled_perpendicular(m, dx, dy);
                /* Sampling can only miss the peak, by a sliver. */
                CHECK(sp <= m->perpendicular_mm + 1e-9);
                CHECK_NEAR(m->perpendicular_mm, sp, 0.02 * m->perpendicular_mm + 0.01);
            }
            lesions++;
        }
        tsc_lesion_set_free(set);
    }
    CHECK(lesions > 30);
    free(mask);
    free(noise);
    free(smooth);
    free(mid);
}

TSC_TEST_MAIN(TSC_CASE(measure_disc_area_and_diameters_within_2_percent),
              TSC_CASE(measure_disc_with_half_mm_spacing),
              TSC_CASE(measure_disc_with_anisotropic_spacing),
              TSC_CASE(measure_ellipse_long_and_perpendicular_diameters),
              TSC_CASE(measure_two_blobs_give_two_lesions_largest_first),
              TSC_CASE(measure_ring_is_one_lesion_spanning_its_cavity),
              TSC_CASE(measure_drops_blob_under_min_area),
              TSC_CASE(measure_empty_mask_has_no_lesions),
              TSC_CASE(measure_full_mask_is_one_lesion_spanning_the_image),
              TSC_CASE(measure_one_pixel_lesion_in_1x1_image),
              TSC_CASE(measure_outline_is_clockwise_on_the_lesion_edge),
              TSC_CASE(measure_mean_intensity_skips_nan_pixels),
              TSC_CASE(measure_refuses_non_positive_spacing),
              TSC_CASE(measure_diameters_match_brute_force_on_random_blobs))
