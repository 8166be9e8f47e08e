/* SPDX-License-Identifier: BSD-3-Clause */
/* The reader's corrections (tsc_edit.h) on a series result rebuilt from
 * known masks: two discs, A (r 8 mm, slices 1-3) and B (r 5 mm, slices
 * 2-4), 1 mm pixels, 3 mm between slices, typed glioma by the phantom
 * model with a stated P(type | tumour). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsc_analysis.h"
#include "tsc_edit.h"
#include "tsc_test.h"
#include "tsc_test_analysis.h"

#define N 6
#define SIDE 64
#define SLAB 3.0

static tsc_model *load_phantom_model(void)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/analysis/fixtures/phantom-model.json",
             tsc_test_env("TSC_SOURCE_DIR", "."));
    return tsc_test_load_model(path, NULL);
}

static size_t class_named(const tsc_model *m, const char *name)
{
    for (size_t c = 0; c < tsc_model_n_classes(m); c++)
        if (!strcmp(tsc_model_get_class_name(m, c), name)) return c;
    return (size_t)-1;
}

static void disc(uint8_t *mask, double cx, double cy, double r)
{
    for (int y = 0; y < SIDE; y++)
        for (int x = 0; x < SIDE; x++)
            if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r) mask[y * SIDE + x] = 1;
}

static tsc_series_result *make_original(const tsc_model *m)
{
    static uint8_t masks[N][SIDE * SIDE];
    memset(masks, 0, sizeof masks);
    const uint8_t *ptr[N];
    size_t types[N];
    double p_type[N], p_tumor[N], loc[N];
    size_t glioma = class_named(m, "glioma");
    for (int k = 0; k < N; k++) {
        if (k >= 1 && k <= 3) disc(masks[k], 20, 20, 8);
        if (k >= 2 && k <= 4) disc(masks[k], 46, 46, 5);
        ptr[k] = k >= 1 && k <= 4 ? masks[k] : NULL;
        types[k] = ptr[k] ? glioma : (size_t)-1;
        p_type[k] = 0.9 - 0.01 * k;
        p_tumor[k] = 0.95;
        loc[k] = SLAB * k;
    }
    tsc_stored_slices in = {.masks = ptr,
                            .types = types,
                            .p_type = p_type,
                            .p_tumor = p_tumor,
                            .series_confidence = 0.88,
                            .series_p_tumor = 0.95,
                            .series_volume_ml = NAN};
    tsc_series_source src = {.struct_size = sizeof src, .n_slices = N, .locations_mm = loc};
    const double spacing[2] = {1.0, 1.0};
    tsc_series_result *r = NULL;
    tsc_error err;
    REQUIRE(tsc_series_result_from_masks(m, TSC_METHOD_CNN, &src, SIDE, SIDE, spacing, &in, &r,
                                         &err) == TSC_OK);
    REQUIRE(tsc_series_result_n_lesions3d(r) == 2);
    return r;
}

/* A brush or eraser stroke on `slice` through n points (borrowed). */
static tsc_edit stroke(int kind, size_t slice, const tsc_point *points, size_t n, double radius_mm)
{
    tsc_edit e = tsc_edit_default();
    e.kind = kind;
    e.slice = slice;
    e.points = points;
    e.n_points = n;
    e.radius_mm = radius_mm;
    return e;
}

static tsc_series_result *apply(const tsc_model *m, const tsc_series_result *o,
                                const tsc_edit *const *e, size_t n)
{
    tsc_series_result *r = NULL;
    tsc_error err;
    tsc_status st = tsc_series_result_apply_edits(m, o, e, n, "Dr Test", &r, &err);
    if (st != TSC_OK) fprintf(stderr, "apply: %s\n", err.message);
    REQUIRE(st == TSC_OK && r);
    return r;
}

static size_t mask_pixels(const tsc_series_result *r, size_t k)
{
    int rows, cols;
    const uint8_t *mask = tsc_result_get_mask(tsc_series_result_get_slice(r, k), &rows, &cols);
    size_t on = 0;
    for (int i = 0; i < rows * cols; i++) on += mask[i] != 0;
    return on;
}

static int same_masks(const tsc_series_result *a, const tsc_series_result *b)
{
    for (size_t k = 0; k < N; k++) {
        int rows, cols;
        const uint8_t *ma = tsc_result_get_mask(tsc_series_result_get_slice(a, k), &rows, &cols);
        const uint8_t *mb = tsc_result_get_mask(tsc_series_result_get_slice(b, k), &rows, &cols);
        if (memcmp(ma, mb, (size_t)rows * (size_t)cols)) return 0;
    }
    return 1;
}

static double slice_area(const tsc_series_result *r, size_t k)
{
    const tsc_result *s = tsc_series_result_get_slice(r, k);
    double a = 0;
    for (size_t j = 0; j < tsc_result_n_lesions(s); j++) a += tsc_result_get_lesion(s, j)->area_mm2;
    return a;
}

TSC_TEST(edit_rejecting_a_lesion_removes_its_volume_and_keeps_it_listed_as_rejected)
{
    tsc_model *m = load_phantom_model();
    tsc_series_result *o = make_original(m);
    tsc_lesion3d_info a = *tsc_series_result_get_lesion3d(o, 0);
    double v0 = tsc_series_result_get_volume_ml(o);
    CHECK(a.first_slice == 1 && a.last_slice == 3); /* the larger disc is lesion 0 */
    tsc_edit e = tsc_edit_default();
    e.kind = TSC_EDIT_REJECT;
    e.lesion = 0;
    e.reason = "false positive: vessel";
    const tsc_edit *list[] = {&e};
    tsc_series_result *r = apply(m, o, list, 1);
    CHECK(tsc_series_result_is_edited(r));
    CHECK(!strcmp(tsc_series_result_get_editor(r), "Dr Test"));
    CHECK(tsc_series_result_n_lesions3d(r) == 1);
    CHECK_NEAR(tsc_series_result_get_volume_ml(r), v0 - a.volume_ml, 1e-9);
    CHECK(tsc_series_result_get_lesion3d_origin(r, 0) == 1);
    REQUIRE(tsc_series_result_n_rejected(r) == 1);
    const tsc_rejected_lesion *rl = tsc_series_result_get_rejected(r, 0);
    CHECK(rl->lesion == 0);
    CHECK(rl->info->volume_ml == a.volume_ml);
    CHECK(!strcmp(rl->reason, "false positive: vessel"));
    /* Slice 1 showed only A: no tumour now, said without a model probability. */
    const tsc_result *s1 = tsc_series_result_get_slice(r, 1);
    CHECK(tsc_result_get_verdict(s1) == TSC_VERDICT_NO_TUMOR);
    CHECK(tsc_result_n_lesions(s1) == 0);
    CHECK(tsc_series_result_get_slice_edits(r, 1) == TSC_SLICE_REJECTED);
    /* Slice 4 showed only B: untouched, its stated confidence kept. */
    CHECK(tsc_series_result_get_slice_edits(r, 4) == 0);
    CHECK(tsc_result_get_confidence(tsc_series_result_get_slice(r, 4)) ==
          tsc_result_get_confidence(tsc_series_result_get_slice(o, 4)));
    CHECK(tsc_series_result_get_verdict(r) == TSC_VERDICT_TUMOR);
    /* The unedited result is unchanged. */
    CHECK(tsc_series_result_n_lesions3d(o) == 2);
    CHECK(tsc_series_result_get_volume_ml(o) == v0);
    CHECK(!tsc_series_result_is_edited(o));
    tsc_series_result_free(r);
    tsc_series_result_free(o);
    tsc_model_free(m);
}

TSC_TEST(edit_erasing_a_whole_lesion_makes_the_slice_no_tumour)
{
    tsc_model *m = load_phantom_model();
    tsc_series_result *o = make_original(m);
    double v0 = tsc_series_result_get_volume_ml(o), a1 = slice_area(o, 1);
    tsc_point centre = {20, 20};
    tsc_edit e = stroke(TSC_EDIT_ERASE, 1, &centre, 1, 10);
    const tsc_edit *list[] = {&e};
    tsc_series_result *r = apply(m, o, list, 1);
    const tsc_result *s = tsc_series_result_get_slice(r, 1);
    CHECK(tsc_result_get_verdict(s) == TSC_VERDICT_NO_TUMOR);
    CHECK(tsc_result_n_lesions(s) == 0);
    CHECK(mask_pixels(r, 1) == 0);
    CHECK(tsc_series_result_get_slice_edits(r, 1) == TSC_SLICE_ERASED);
    CHECK_NEAR(tsc_series_result_get_volume_ml(r), v0 - a1 * SLAB / 1000.0, 1e-9);
    CHECK(tsc_series_result_n_lesions3d(r) == 2); /* A lives on in slices 2-3 */
    CHECK(tsc_series_result_get_lesion3d(r, 0)->first_slice == 2);
    tsc_series_result_free(r);
    tsc_series_result_free(o);
    tsc_model_free(m);
}

TSC_TEST(edit_painting_a_disc_of_radius_r_adds_pi_r_squared_and_the_volume_follows)
{
    tsc_model *m = load_phantom_model();
    tsc_series_result *o = make_original(m);
    double v0 = tsc_series_result_get_volume_ml(o);
    const double radius[] = {3.0, 6.0};
    for (size_t t = 0; t < 2; t++) {
        tsc_point at = {32, 32};
        tsc_edit e = stroke(TSC_EDIT_PAINT, 5, &at, 1, radius[t]);
        const tsc_edit *list[] = {&e};
        tsc_series_result *r = apply(m, o, list, 1);
        const tsc_result *s = tsc_series_result_get_slice(r, 5);
        double want = M_PI * radius[t] * radius[t];
        /* Pixel discretisation: within one pixel ring of the circle. */
        CHECK_NEAR(slice_area(r, 5), want, 2 * M_PI * radius[t] * 1.0 * 0.5);
        CHECK(tsc_result_get_verdict(s) == TSC_VERDICT_TUMOR);
        CHECK(tsc_result_get_label(s) == class_named(m, "glioma"));
        CHECK(isnan(tsc_result_get_confidence(s))); /* the reader's, not the model's */
        CHECK_NEAR(tsc_series_result_get_volume_ml(r), v0 + slice_area(r, 5) * SLAB / 1000.0, 1e-9);
        CHECK(tsc_series_result_n_lesions3d(r) == 3);
        tsc_series_result_free(r);
    }
    /* A stroke is a capsule: pi r^2 + 2 r L, within half a pixel along its
     * outline (2 L + 2 pi r). */
    tsc_point line[] = {{10, 55.5}, {40, 55.5}};
    tsc_edit e = stroke(TSC_EDIT_PAINT, 5, line, 2, 2.0);
    const tsc_edit *list[] = {&e};
    tsc_series_result *r = apply(m, o, list, 1);
    CHECK_NEAR(slice_area(r, 5), M_PI * 4 + 2 * 2 * 30, 0.5 * (2 * 30 + 2 * M_PI * 2));
    tsc_series_result_free(r);
    tsc_series_result_free(o);
    tsc_model_free(m);
}

TSC_TEST(edit_replaying_all_but_the_last_edit_equals_undo)
{
    tsc_model *m = load_phantom_model();
    tsc_series_result *o = make_original(m);
    tsc_point p1 = {32, 32}, p2[] = {{46, 40}, {46, 52}};
    tsc_edit e[3] = {stroke(TSC_EDIT_PAINT, 5, &p1, 1, 3.0), stroke(TSC_EDIT_ERASE, 3, p2, 2, 2),
                     tsc_edit_default()};
    e[2].kind = TSC_EDIT_REJECT;
    e[2].lesion = 0;
    const tsc_edit *list[] = {&e[0], &e[1], &e[2]};
    tsc_series_result *all = apply(m, o, list, 3);
    tsc_series_result *undo = apply(m, o, list, 2);
    tsc_series_result *again = apply(m, o, list, 2);
    tsc_series_result *none = apply(m, o, list, 0);
    CHECK(same_masks(undo, again));
    CHECK(tsc_series_result_get_volume_ml(undo) == tsc_series_result_get_volume_ml(again));
    CHECK(tsc_series_result_n_lesions3d(undo) == tsc_series_result_n_lesions3d(again));
    CHECK(!same_masks(undo, all));
    CHECK(tsc_series_result_n_rejected(undo) == 0 && tsc_series_result_n_rejected(all) == 1);
    /* Undoing everything is the unedited result. */
    CHECK(!tsc_series_result_is_edited(none));
    CHECK(same_masks(none, o));
    CHECK(tsc_series_result_get_volume_ml(none) == tsc_series_result_get_volume_ml(o));
    CHECK(tsc_series_result_get_verdict(none) == tsc_series_result_get_verdict(o));
    tsc_series_result_free(all);
    tsc_series_result_free(undo);
    tsc_series_result_free(again);
    tsc_series_result_free(none);
    tsc_series_result_free(o);
    tsc_model_free(m);
}

static void check_refused(const tsc_model *m, const tsc_series_result *o, const tsc_edit *e,
                          size_t n, const char *says)
{
    const tsc_edit *list[] = {&e[0], n > 1 ? &e[1] : &e[0]};
    tsc_series_result *r = (tsc_series_result *)1;
    tsc_error err;
    CHECK_STATUS(tsc_series_result_apply_edits(m, o, list, n, NULL, &r, &err), TSC_EINVAL);
    CHECK(r == NULL);
    if (!strstr(err.message, says)) fprintf(stderr, "message: %s (want %s)\n", err.message, says);
    CHECK(strstr(err.message, says) != NULL);
}

TSC_TEST(edit_bad_indices_are_refused_with_a_message)
{
    tsc_model *m = load_phantom_model();
    tsc_series_result *o = make_original(m);
    tsc_point p = {10, 10};
    tsc_edit e[2] = {tsc_edit_default(), tsc_edit_default()};
    e[0].kind = TSC_EDIT_REJECT;
    e[0].lesion = 7;
    check_refused(m, o, e, 1, "rejects lesion 7, but the unedited result has 2");
    e[0].lesion = 1;
    e[1] = e[0];
    check_refused(m, o, e, 2, "already rejected");
    e[0] = tsc_edit_default();
    e[0].slice = 99;
    e[0].points = &p;
    e[0].n_points = 1;
    check_refused(m, o, e, 1, "slice 99 of a 6-slice series");
    e[0].slice = 0;
    e[0].radius_mm = 0;
    check_refused(m, o, e, 1, "radius");
    e[0].radius_mm = 2;
    e[0].n_points = 0;
    check_refused(m, o, e, 1, "without points");
    e[0].n_points = 1;
    e[0].label = tsc_model_get_no_tumor_class(m);
    check_refused(m, o, e, 1, "not a tumour class");
    /* Edits apply to the unedited result only. */
    e[0].label = (size_t)-1;
    const tsc_edit *one[] = {&e[0]};
    tsc_series_result *r = apply(m, o, one, 1);
    check_refused(m, r, e, 1, "already edited");
    tsc_series_result_free(r);
    tsc_series_result_free(o);
    tsc_model_free(m);
}

TSC_TEST(edit_accepting_a_lesion_keeps_its_mask_and_is_stated)
{
    tsc_model *m = load_phantom_model();
    tsc_series_result *o = make_original(m);
    tsc_edit accept = tsc_edit_default(), reject = tsc_edit_default();
    accept.kind = TSC_EDIT_ACCEPT;
    accept.lesion = 1;
    reject.kind = TSC_EDIT_REJECT;
    reject.lesion = 1;
    const tsc_edit *one[] = {&accept};
    tsc_series_result *r = apply(m, o, one, 1);
    CHECK(same_masks(r, o));
    CHECK(tsc_series_result_get_volume_ml(r) == tsc_series_result_get_volume_ml(o));
    for (size_t k = 0; k < N; k++) CHECK(tsc_series_result_get_slice_edits(r, k) == 0);
    CHECK(!tsc_series_result_lesion3d_is_accepted(r, 0));
    CHECK(tsc_series_result_lesion3d_is_accepted(r, 1));
    char buf[256];
    CHECK(!strcmp(tsc_series_result_describe_edits(r, 1, buf, sizeof buf),
                  "Edited by Dr Test: 1 lesion accepted"));
    tsc_series_result_free(r);
    /* The reader may reject what they accepted, not accept what they rejected. */
    const tsc_edit *changed[] = {&accept, &reject};
    r = apply(m, o, changed, 2);
    CHECK(tsc_series_result_n_rejected(r) == 1 && tsc_series_result_n_lesions3d(r) == 1);
    CHECK(!tsc_series_result_lesion3d_is_accepted(r, 0));
    tsc_series_result_free(r);
    tsc_edit pair[2] = {reject, accept};
    check_refused(m, o, pair, 2, "already rejected");
    pair[0] = accept;
    check_refused(m, o, pair, 2, "already accepted");
    tsc_series_result_free(o);
    tsc_model_free(m);
}

/* An edits file is untrusted: a stroke far off the image (beyond an int)
 * paints nothing and returns at once, and one across it paints the row it
 * crosses. */
TSC_TEST(edit_stroke_far_off_the_image_paints_nothing_and_ends)
{
    tsc_model *m = load_phantom_model();
    tsc_series_result *o = make_original(m);
    tsc_point far[] = {{1e15, 1e15}, {2e15, -1e15}}, across[] = {{-1e12, 10}, {1e12, 10}};
    tsc_edit e[2] = {stroke(TSC_EDIT_PAINT, 5, far, 2, 3.0),
                     stroke(TSC_EDIT_PAINT, 5, across, 2, 1.0)};
    const tsc_edit *first[] = {&e[0]}, *both[] = {&e[0], &e[1]};
    tsc_series_result *r = apply(m, o, first, 1);
    CHECK(mask_pixels(r, 5) == mask_pixels(o, 5));
    tsc_series_result *r2 = apply(m, o, both, 2);
    CHECK(mask_pixels(r2, 5) > mask_pixels(o, 5));
    tsc_series_result_free(r);
    tsc_series_result_free(r2);
    tsc_series_result_free(o);
    tsc_model_free(m);
}

TSC_TEST_MAIN(TSC_CASE(edit_rejecting_a_lesion_removes_its_volume_and_keeps_it_listed_as_rejected),
              TSC_CASE(edit_erasing_a_whole_lesion_makes_the_slice_no_tumour),
              TSC_CASE(edit_painting_a_disc_of_radius_r_adds_pi_r_squared_and_the_volume_follows),
              TSC_CASE(edit_replaying_all_but_the_last_edit_equals_undo),
              TSC_CASE(edit_bad_indices_are_refused_with_a_message),
              TSC_CASE(edit_accepting_a_lesion_keeps_its_mask_and_is_stated),
              TSC_CASE(edit_stroke_far_off_the_image_paints_nothing_and_ends))
