/* SPDX-License-Identifier: BSD-3-Clause */
/* The follow-up comparison on 3D lesions with known geometry: matching by
 * position, the change table and the suggested RANO category at and around
 * each rule's threshold. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tsc_compare.h"
#include "tsc_test.h"

/* A lesion centred at (x, y, z) mm with diameters d x p mm on its key slice,
 * `ml` mL, and a cubic bounding box of half-size `half` mm. */
static tsc_lesion3d_info lesion(double x, double y, double z, double d, double p, double ml,
                                double half)
{
    tsc_lesion3d_info l;
    memset(&l, 0, sizeof l);
    l.volume_ml = ml;
    l.diameter_mm = d;
    l.perpendicular_mm = p;
    l.measurable = d >= 10 && p >= 10;
    l.max_product_mm2 = l.measurable ? d * p : 0;
    l.has_patient_coordinates = 1;
    double c[3] = {x, y, z};
    for (int i = 0; i < 3; i++) {
        l.centre_mm[i] = c[i];
        l.extent_min_mm[i] = c[i] - half;
        l.extent_max_mm[i] = c[i] + half;
    }
    return l;
}

/* Lesions as the ABI lends them: pointers into `l`. */
static const tsc_lesion3d_info *const *pointers(const tsc_lesion3d_info *l, size_t n,
                                                const tsc_lesion3d_info **p)
{
    for (size_t i = 0; i < n; i++) p[i] = &l[i];
    return p;
}

static tsc_status compare_with(const tsc_lesion3d_info *b, size_t nb, const tsc_lesion3d_info *f,
                               size_t nf, const tsc_compare_params *params, tsc_comparison **out,
                               tsc_error *err)
{
    const tsc_lesion3d_info *pb[16], *pf[16];
    REQUIRE(nb <= 16 && nf <= 16);
    return tsc_compare_lesions(pointers(b, nb, pb), nb, pointers(f, nf, pf), nf, params, out, err);
}

static tsc_comparison *compare(const tsc_lesion3d_info *b, size_t nb, const tsc_lesion3d_info *f,
                               size_t nf)
{
    tsc_comparison *c = NULL;
    tsc_error err;
    tsc_status st = compare_with(b, nb, f, nf, NULL, &c, &err);
    if (st != TSC_OK) fprintf(stderr, "compare: %s\n", err.message);
    REQUIRE(st == TSC_OK && c);
    return c;
}

static tsc_rano_category category(const tsc_lesion3d_info *b, size_t nb, const tsc_lesion3d_info *f,
                                  size_t nf)
{
    tsc_comparison *c = compare(b, nb, f, nf);
    tsc_rano_category cat = tsc_comparison_get_rano(c)->category;
    tsc_comparison_free(c);
    return cat;
}

TSC_TEST(compare_study_with_itself_matches_every_lesion_unchanged_and_stable)
{
    tsc_lesion3d_info l[3] = {lesion(30, -10, 40, 30, 22, 9.5, 15),
                              lesion(-40, 20, 10, 14, 11, 1.2, 7),
                              lesion(-20, -50, 60, 6, 4, 0.1, 3)};
    tsc_comparison *c = compare(l, 3, l, 3);
    CHECK(tsc_comparison_n_rows(c) == 3);
    for (size_t i = 0; i < 3; i++) {
        const tsc_compare_row *r = tsc_comparison_get_row(c, i);
        CHECK(r->change == TSC_LESION_MATCHED && r->baseline == i && r->followup == i);
        CHECK(r->volume_change_percent == 0 && r->product_change_percent == 0);
        CHECK(r->distance_mm == 0);
    }
    const tsc_compare_totals *t = tsc_comparison_get_totals(c);
    CHECK(t->n_matched == 3 && t->n_new == 0 && t->n_gone == 0);
    CHECK(t->n_targets == 2); /* the 6 x 4 mm lesion is not measurable */
    CHECK_NEAR(t->baseline_spd_mm2, 30 * 22 + 14 * 11, 1e-9);
    CHECK(t->spd_change_percent == 0 && t->volume_change_percent == 0);
    CHECK(tsc_comparison_get_rano(c)->category == TSC_RANO_SD);
    CHECK(!strcmp(tsc_rano_category_name(TSC_RANO_SD), "stable disease"));
    tsc_comparison_free(c);
}

TSC_TEST(compare_matches_by_position_not_by_order)
{
    /* The follow-up lists the lesions the other way round, shifted 4 mm. */
    tsc_lesion3d_info b[2] = {lesion(30, 0, 40, 20, 20, 4, 10), lesion(-30, 0, 40, 12, 12, 1, 6)};
    tsc_lesion3d_info f[2] = {lesion(-26, 0, 40, 12, 12, 1, 6), lesion(34, 0, 40, 20, 20, 4, 10)};
    tsc_comparison *c = compare(b, 2, f, 2);
    CHECK(tsc_comparison_get_row(c, 0)->followup == 1);
    CHECK(tsc_comparison_get_row(c, 1)->followup == 0);
    CHECK_NEAR(tsc_comparison_get_row(c, 0)->distance_mm, 4, 1e-9);
    tsc_comparison_free(c);
}

TSC_TEST(compare_far_lesion_is_new_and_the_old_one_gone)
{
    tsc_lesion3d_info b = lesion(30, 0, 40, 12, 12, 1, 6);
    tsc_lesion3d_info f = lesion(30, 0, 70, 12, 12, 1, 6); /* 30 mm higher: another lesion */
    tsc_comparison *c = compare(&b, 1, &f, 1);
    CHECK(tsc_comparison_n_rows(c) == 2);
    const tsc_compare_row *gone = tsc_comparison_get_row(c, 0), *new = tsc_comparison_get_row(c, 1);
    CHECK(gone->change == TSC_LESION_GONE && gone->followup == (size_t)-1);
    CHECK(gone->volume_change_percent == -100 && gone->followup_volume_ml == 0);
    CHECK(new->change == TSC_LESION_NEW &&new->baseline == (size_t)-1 && new->followup == 0);
    CHECK(isnan(new->volume_change_percent) && isnan(new->distance_mm));
    CHECK(!strcmp(tsc_lesion_change_to_string(new->change), "new"));
    /* The new lesion is measurable: progression. */
    CHECK(tsc_comparison_get_rano(c)->category == TSC_RANO_PD);
    CHECK(strstr(tsc_comparison_get_rano(c)->reason, "new measurable") != NULL);
    tsc_comparison_free(c);
}

TSC_TEST(compare_large_lesion_matches_when_its_centre_stays_inside_the_box)
{
    /* A large lesion that grew to one side: the centre moved 20 mm (beyond
     * the 15 mm distance) but stays within the other's box + 5 mm. */
    tsc_lesion3d_info b = lesion(0, 0, 0, 40, 30, 20, 20);
    tsc_lesion3d_info f = lesion(20, 0, 0, 60, 30, 30, 30);
    tsc_comparison *c = compare(&b, 1, &f, 1);
    CHECK(tsc_comparison_n_rows(c) == 1 &&
          tsc_comparison_get_row(c, 0)->change == TSC_LESION_MATCHED);
    tsc_comparison_free(c);
}

TSC_TEST(compare_closest_pair_wins_when_two_candidates_compete)
{
    tsc_lesion3d_info b = lesion(0, 0, 0, 20, 20, 4, 10);
    tsc_lesion3d_info f[2] = {lesion(9, 0, 0, 20, 20, 4, 10), lesion(2, 0, 0, 20, 20, 4, 10)};
    tsc_comparison *c = compare(&b, 1, f, 2);
    CHECK(tsc_comparison_get_row(c, 0)->followup == 1);
    CHECK(tsc_comparison_get_totals(c)->n_new == 1);
    tsc_comparison_free(c);
}

TSC_TEST(compare_rano_thresholds_are_inclusive_at_50_and_25_percent)
{
    tsc_lesion3d_info b = lesion(0, 0, 0, 20, 20, 4, 10); /* product 400 */
    tsc_lesion3d_info f = lesion(0, 0, 0, 20, 10, 2, 10); /* 200: -50 % */
    CHECK(category(&b, 1, &f, 1) == TSC_RANO_PR);
    f = lesion(0, 0, 0, 20, 10.2, 2, 10); /* -49 % */
    CHECK(category(&b, 1, &f, 1) == TSC_RANO_SD);
    f = lesion(0, 0, 0, 20, 25, 5, 10); /* 500: +25 % */
    CHECK(category(&b, 1, &f, 1) == TSC_RANO_PD);
    f = lesion(0, 0, 0, 20, 24.8, 5, 10); /* +24 % */
    CHECK(category(&b, 1, &f, 1) == TSC_RANO_SD);
}

TSC_TEST(compare_all_enhancing_disease_gone_is_complete_response)
{
    tsc_lesion3d_info b[2] = {lesion(0, 0, 0, 20, 20, 4, 10), lesion(50, 0, 0, 6, 5, 0.1, 3)};
    tsc_comparison *c = compare(b, 2, NULL, 0);
    CHECK(tsc_comparison_get_rano(c)->category == TSC_RANO_CR);
    CHECK(tsc_comparison_get_totals(c)->n_gone == 2);
    CHECK(tsc_comparison_get_totals(c)->spd_change_percent == -100);
    tsc_comparison_free(c);
    /* A small lesion left over is not complete response, however much the
     * sum of products fell. */
    tsc_lesion3d_info f = lesion(50, 0, 0, 6, 5, 0.1, 3);
    CHECK(category(b, 2, &f, 1) == TSC_RANO_PR);
}

TSC_TEST(compare_new_small_lesion_is_not_progression_by_itself)
{
    tsc_lesion3d_info b = lesion(0, 0, 0, 20, 20, 4, 10);
    tsc_lesion3d_info f[2] = {lesion(0, 0, 0, 20, 20, 4, 10), lesion(60, 0, 0, 9, 8, 0.3, 4)};
    tsc_comparison *c = compare(&b, 1, f, 2);
    CHECK(tsc_comparison_get_totals(c)->n_new == 1 &&
          tsc_comparison_get_totals(c)->n_new_measurable == 0);
    CHECK(tsc_comparison_get_rano(c)->category == TSC_RANO_SD);
    tsc_comparison_free(c);
}

TSC_TEST(compare_targets_are_the_five_largest_measurable_lesions)
{
    tsc_lesion3d_info b[7];
    for (int i = 0; i < 7; i++) b[i] = lesion(40.0 * i, 0, 0, 11 + i, 11 + i, 1, 6);
    tsc_comparison *c = compare(b, 7, b, 7);
    CHECK(tsc_comparison_get_totals(c)->n_targets == 5);
    CHECK(!tsc_comparison_get_row(c, 0)->target && !tsc_comparison_get_row(c, 1)->target);
    CHECK(tsc_comparison_get_row(c, 6)->target);
    double spd = 0;
    for (int i = 2; i < 7; i++) spd += (11.0 + i) * (11.0 + i);
    CHECK_NEAR(tsc_comparison_get_totals(c)->baseline_spd_mm2, spd, 1e-9);
    tsc_comparison_free(c);
}

TSC_TEST(compare_without_measurable_disease_is_not_evaluable)
{
    tsc_lesion3d_info b = lesion(0, 0, 0, 8, 6, 0.2, 4);
    CHECK(category(&b, 1, &b, 1) == TSC_RANO_NE);
    tsc_comparison *c = compare(NULL, 0, NULL, 0);
    CHECK(tsc_comparison_n_rows(c) == 0);
    CHECK(tsc_comparison_get_rano(c)->category == TSC_RANO_NE);
    CHECK(isnan(tsc_comparison_get_totals(c)->volume_change_percent));
    tsc_comparison_free(c);
}

TSC_TEST(compare_refuses_lesions_without_patient_coordinates)
{
    tsc_lesion3d_info b = lesion(0, 0, 0, 20, 20, 4, 10), f = b;
    f.has_patient_coordinates = 0;
    tsc_comparison *c = (tsc_comparison *)&b;
    tsc_error err;
    CHECK_STATUS(compare_with(&b, 1, &f, 1, NULL, &c, &err), TSC_EINVAL);
    CHECK(c == NULL);
    CHECK(strstr(err.message, "lesion 1 of the follow-up has no patient coordinates") != NULL);
}

TSC_TEST(compare_params_from_an_older_host_keep_the_new_defaults)
{
    /* A host that knows only the distance: the margin keeps its default. */
    tsc_compare_params p = tsc_compare_default_params();
    p.max_centre_distance_mm = 1;
    p.struct_size = offsetof(tsc_compare_params, box_margin_mm);
    p.box_margin_mm = -1000; /* not read */
    tsc_lesion3d_info b = lesion(0, 0, 0, 20, 20, 4, 10), f = lesion(12, 0, 0, 20, 20, 4, 10);
    tsc_comparison *c = NULL;
    CHECK_STATUS(compare_with(&b, 1, &f, 1, &p, &c, NULL), TSC_OK);
    /* 12 mm > 1 mm, but the centre is inside the box + 5 mm. */
    CHECK(tsc_comparison_get_totals(c)->n_matched == 1);
    tsc_comparison_free(c);
    p = tsc_compare_default_params();
    p.max_centre_distance_mm = 1;
    p.box_margin_mm = 0;
    f = lesion(12, 0, 0, 20, 20, 4, 1);
    CHECK_STATUS(compare_with(&b, 1, &f, 1, &p, &c, NULL), TSC_OK);
    CHECK(tsc_comparison_get_totals(c)->n_matched == 0);
    tsc_comparison_free(c);
}

TSC_TEST_MAIN(TSC_CASE(compare_study_with_itself_matches_every_lesion_unchanged_and_stable),
              TSC_CASE(compare_matches_by_position_not_by_order),
              TSC_CASE(compare_far_lesion_is_new_and_the_old_one_gone),
              TSC_CASE(compare_large_lesion_matches_when_its_centre_stays_inside_the_box),
              TSC_CASE(compare_closest_pair_wins_when_two_candidates_compete),
              TSC_CASE(compare_rano_thresholds_are_inclusive_at_50_and_25_percent),
              TSC_CASE(compare_all_enhancing_disease_gone_is_complete_response),
              TSC_CASE(compare_new_small_lesion_is_not_progression_by_itself),
              TSC_CASE(compare_targets_are_the_five_largest_measurable_lesions),
              TSC_CASE(compare_without_measurable_disease_is_not_evaluable),
              TSC_CASE(compare_refuses_lesions_without_patient_coordinates),
              TSC_CASE(compare_params_from_an_older_host_keep_the_new_defaults))
